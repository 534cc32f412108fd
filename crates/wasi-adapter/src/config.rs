//! The adapter's configuration, read once from the environment (`wasi:cli/environment`).
//!
//! The environment was chosen over `wasi:config/store` because every WASI 0.2 host links it
//! (wasmtime, jco's shim, Wassette, Spin, wasmCloud), while `wasi:config` is missing from
//! jco's shim and from wasmtime's default linker.

use crate::origin::Origin;

/// The provider's API origins built into this adapter (the build sets
/// `YCPROV_ADAPTER_API_ORIGINS`, comma-separated); `YCPROV_API_ORIGINS` overrides them.
const BUILT_IN_API_ORIGINS: Option<&str> = option_env!("YCPROV_ADAPTER_API_ORIGINS");

/// Prefix of the variables that become identity attributes: `YCPROV_ATTRIBUTE_FOLDER_ID`
/// is the attribute `folder-id`.
const ATTRIBUTE_PREFIX: &str = "YCPROV_ATTRIBUTE_";

/// The default response-size cap (10 MiB), as in ycprov's host.
const DEFAULT_MAX_RESPONSE_BYTES: u64 = 10 << 20;
/// The default request timeout (60 s), as in ycprov's host.
const DEFAULT_REQUEST_TIMEOUT_SECONDS: u64 = 60;
/// The longest request timeout accepted (1 h).
const MAX_REQUEST_TIMEOUT_SECONDS: u64 = 3600;
/// The largest response-size cap accepted (1 GiB).
const MAX_RESPONSE_BYTES_LIMIT: u64 = 1 << 30;

/// Log severities, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Every request.
    Trace,
    /// Debugging detail.
    Debug,
    /// Normal progress.
    Info,
    /// Handled surprises.
    Warn,
    /// Failures.
    Error,
}

impl Severity {
    /// Parses `trace`, `debug`, `info`, `warn` or `error`.
    fn parse(text: &str) -> Option<Severity> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "trace" => Severity::Trace,
            "debug" => Severity::Debug,
            "info" => Severity::Info,
            "warn" | "warning" => Severity::Warn,
            "error" => Severity::Error,
            _ => return None,
        })
    }

    /// The lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Trace => "trace",
            Severity::Debug => "debug",
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Error => "error",
        }
    }
}

/// What the environment configures.
#[derive(Debug)]
pub struct Config {
    /// The provider's API origins: allowed by default, and what `endpoint` replaces.
    pub api_origins: Vec<Origin>,
    /// Where requests to the API origins go instead (`YCPROV_ENDPOINT`).
    pub endpoint: Option<Origin>,
    /// The origins requests may reach after rewriting (`YCPROV_ALLOWED_ORIGINS`, else the
    /// API origins plus the endpoint).
    pub allowed: Vec<Origin>,
    /// The bearer token attached to every allowed request (`YCPROV_TOKEN`).
    pub token: Option<String>,
    /// The subject the token belongs to (`YCPROV_SUBJECT`).
    pub subject: Option<String>,
    /// Identity attributes from `YCPROV_ATTRIBUTE_<NAME>` variables.
    pub attributes: Vec<(String, String)>,
    /// The response-size cap (`YCPROV_MAX_RESPONSE_BYTES`).
    pub max_response_bytes: u64,
    /// The per-request timeout in seconds (`YCPROV_REQUEST_TIMEOUT_SECONDS`).
    pub request_timeout_seconds: u64,
    /// The lowest severity written to stderr (`YCPROV_LOG`, default `warn`).
    pub log_level: Severity,
}

impl Config {
    /// Reads the configuration from environment variables, or says which one is wrong and why.
    pub fn from_vars(vars: &[(String, String)]) -> Result<Config, String> {
        let var = |name: &str| {
            vars.iter()
                .rev()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.trim())
                .filter(|value| !value.is_empty())
        };
        let api_origins = match var("YCPROV_API_ORIGINS").or(BUILT_IN_API_ORIGINS) {
            Some(list) => origins(list, "YCPROV_API_ORIGINS")?,
            None => Vec::new(),
        };
        let endpoint = var("YCPROV_ENDPOINT")
            .map(|url| Origin::of_url(url).map_err(|e| format!("YCPROV_ENDPOINT: {e}")))
            .transpose()?;
        let allowed = match var("YCPROV_ALLOWED_ORIGINS") {
            Some(list) => origins(list, "YCPROV_ALLOWED_ORIGINS")?,
            None => api_origins.iter().chain(&endpoint).cloned().collect(),
        };
        let token = var("YCPROV_TOKEN").map(str::to_string);
        if token
            .as_deref()
            .is_some_and(|t| t.chars().any(|c| c.is_ascii_control() || c == ' '))
        {
            return Err("YCPROV_TOKEN: the token has spaces or control characters".into());
        }
        let mut attributes: Vec<(String, String)> = vars
            .iter()
            .filter_map(|(key, value)| {
                let name = key.strip_prefix(ATTRIBUTE_PREFIX)?;
                let value = value.trim();
                (!name.is_empty() && !value.is_empty()).then(|| {
                    (
                        name.to_ascii_lowercase().replace('_', "-"),
                        value.to_string(),
                    )
                })
            })
            .collect();
        attributes.sort();
        attributes.dedup_by(|a, b| a.0 == b.0);
        Ok(Config {
            api_origins,
            endpoint,
            allowed,
            token,
            subject: var("YCPROV_SUBJECT").map(str::to_string),
            attributes,
            max_response_bytes: number(
                var("YCPROV_MAX_RESPONSE_BYTES"),
                "YCPROV_MAX_RESPONSE_BYTES",
                DEFAULT_MAX_RESPONSE_BYTES,
                MAX_RESPONSE_BYTES_LIMIT,
            )?,
            request_timeout_seconds: number(
                var("YCPROV_REQUEST_TIMEOUT_SECONDS"),
                "YCPROV_REQUEST_TIMEOUT_SECONDS",
                DEFAULT_REQUEST_TIMEOUT_SECONDS,
                MAX_REQUEST_TIMEOUT_SECONDS,
            )?,
            log_level: match var("YCPROV_LOG") {
                Some(text) => Severity::parse(text).ok_or_else(|| {
                    format!("YCPROV_LOG: `{text}` is not one of trace, debug, info, warn, error")
                })?,
                None => Severity::Warn,
            },
        })
    }
}

/// A comma-separated list of origins.
fn origins(list: &str, name: &str) -> Result<Vec<Origin>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(|url| Origin::of_url(url).map_err(|e| format!("{name}: {e}")))
        .collect()
}

/// A whole number in 1..=max, or the default when unset.
fn number(text: Option<&str>, name: &str, default: u64, max: u64) -> Result<u64, String> {
    match text {
        None => Ok(default),
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| format!("{name}: `{text}` is not a whole number from 1 to {max}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_the_environment() {
        let config = Config::from_vars(&vars(&[
            (
                "YCPROV_API_ORIGINS",
                "https://iam.example, https://rm.example",
            ),
            ("YCPROV_ENDPOINT", "http://127.0.0.1:8080"),
            ("YCPROV_TOKEN", "t0k"),
            ("YCPROV_ATTRIBUTE_FOLDER_ID", "b1g"),
            ("YCPROV_ATTRIBUTE_CLOUD_ID", " c1 "),
            ("YCPROV_LOG", "DEBUG"),
            ("PATH", "/bin"),
        ]))
        .unwrap();
        let allowed: Vec<String> = config.allowed.iter().map(ToString::to_string).collect();
        assert_eq!(
            allowed,
            [
                "https://iam.example:443",
                "https://rm.example:443",
                "http://127.0.0.1:8080"
            ]
        );
        assert_eq!(config.token.as_deref(), Some("t0k"));
        assert_eq!(
            config.attributes,
            vars(&[("cloud-id", "c1"), ("folder-id", "b1g")])
        );
        assert_eq!(config.log_level, Severity::Debug);
        assert_eq!(config.max_response_bytes, DEFAULT_MAX_RESPONSE_BYTES);
    }

    #[test]
    fn names_the_wrong_variable() {
        let cases = [
            (("YCPROV_ENDPOINT", "ftp://x"), "YCPROV_ENDPOINT: "),
            (
                ("YCPROV_ALLOWED_ORIGINS", "https://a, nope"),
                "YCPROV_ALLOWED_ORIGINS: ",
            ),
            (("YCPROV_TOKEN", "a\r\nX-Evil: 1"), "YCPROV_TOKEN: "),
            (
                ("YCPROV_MAX_RESPONSE_BYTES", "0"),
                "YCPROV_MAX_RESPONSE_BYTES: `0`",
            ),
            (
                ("YCPROV_REQUEST_TIMEOUT_SECONDS", "1e9"),
                "YCPROV_REQUEST_TIMEOUT_SECONDS: ",
            ),
            (("YCPROV_LOG", "loud"), "YCPROV_LOG: `loud`"),
        ];
        for ((name, value), expected) in cases {
            let error = Config::from_vars(&vars(&[(name, value)])).unwrap_err();
            assert!(error.starts_with(expected), "{name}: {error}");
            assert!(
                !error.contains("X-Evil"),
                "{name}: the token leaked: {error}"
            );
        }
    }

    #[test]
    fn an_explicit_allow_list_replaces_the_default() {
        let config = Config::from_vars(&vars(&[
            ("YCPROV_API_ORIGINS", "https://iam.example"),
            ("YCPROV_ALLOWED_ORIGINS", "https://other.example:8443"),
        ]))
        .unwrap();
        assert_eq!(config.allowed.len(), 1);
        assert_eq!(config.allowed[0].to_string(), "https://other.example:8443");
    }
}
