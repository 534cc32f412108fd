//! The sandbox policy: which endpoints the provider may reach and how much it may consume.

use std::fmt;
use std::time::Duration;

use anyhow::{Context, Result, bail};

/// The three Yandex Cloud API origins the provider talks to.
pub const YANDEX_ORIGINS: [&str; 3] = [
    "https://iam.api.cloud.yandex.net:443",
    "https://resource-manager.api.cloud.yandex.net:443",
    "https://operation.api.cloud.yandex.net:443",
];

/// An exact scheme + host + port triple.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// `http` or `https`.
    pub scheme: String,
    /// The host name or address, lower-case (IPv6 without brackets).
    pub host: String,
    /// The port (the scheme's default when the URL has none).
    pub port: u16,
}

impl Origin {
    /// Parses the origin of an absolute URL; path, query and fragment are ignored.
    pub fn of_url(url: &str) -> Result<Origin> {
        let uri: ureq::http::Uri = url.parse().with_context(|| format!("`{url}` is not a URL"))?;
        let scheme = uri
            .scheme_str()
            .with_context(|| format!("`{url}` has no scheme"))?
            .to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "https" => 443,
            "http" => 80,
            other => bail!("`{url}`: scheme `{other}` is not supported (use http or https)"),
        };
        let authority = uri.authority().with_context(|| format!("`{url}` has no host"))?;
        if authority.as_str().contains('@') {
            bail!("`{url}`: user information in URLs is not allowed");
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        if host.is_empty() {
            bail!("`{url}` has an empty host");
        }
        Ok(Origin {
            scheme,
            host,
            port: uri.port_u16().unwrap_or(default_port),
        })
    }

    /// The base URL of this origin, e.g. `https://iam.api.cloud.yandex.net:443`.
    pub fn base_url(&self) -> String {
        if self.host.contains(':') {
            format!("{}://[{}]:{}", self.scheme, self.host, self.port)
        } else {
            format!("{}://{}:{}", self.scheme, self.host, self.port)
        }
    }

    /// Whether the host is a loopback name or address.
    pub fn is_loopback(&self) -> bool {
        self.host == "localhost"
            || self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base_url())
    }
}

/// What the host allows the provider component to do.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Origins requests may go to (after endpoint rewriting), matched exactly.
    pub allowed: Vec<Origin>,
    /// When set, requests to the Yandex origins are sent to this base URL instead (e.g. the emulator).
    pub endpoint_override: Option<Origin>,
    /// The largest response body accepted, in bytes.
    pub max_response_bytes: u64,
    /// The timeout of one HTTP request (connect to last byte).
    pub request_timeout: Duration,
    /// The longest one `clock.sleep` may block.
    pub max_sleep: Duration,
    /// The largest guest linear memory, in bytes.
    pub max_memory_bytes: usize,
    /// The wall-clock budget of one call into the component, excluding nothing (host calls count).
    pub call_deadline: Duration,
}

impl Policy {
    /// The default policy: the three Yandex API origins, 10 MiB responses, 60 s requests.
    pub fn new(endpoint_override: Option<&str>) -> Result<Policy> {
        let mut allowed: Vec<Origin> = YANDEX_ORIGINS
            .iter()
            .map(|url| Origin::of_url(url))
            .collect::<Result<_>>()?;
        let endpoint_override = match endpoint_override {
            Some(url) => {
                let origin =
                    Origin::of_url(url).with_context(|| format!("invalid endpoint `{url}`"))?;
                allowed.push(origin.clone());
                Some(origin)
            }
            None => None,
        };
        Ok(Policy {
            allowed,
            endpoint_override,
            max_response_bytes: 10 << 20,
            request_timeout: Duration::from_secs(60),
            max_sleep: Duration::from_secs(60),
            max_memory_bytes: 64 << 20,
            call_deadline: Duration::from_secs(30 * 60),
        })
    }

    /// Rewrites a Yandex URL to the endpoint override, if any, and returns the URL to fetch
    /// and its origin, or an error saying why the URL is not allowed.
    pub fn route(&self, url: &str) -> Result<(String, Origin), String> {
        let origin = Origin::of_url(url).map_err(|e| format!("{e:#}"))?;
        let (url, origin) = match &self.endpoint_override {
            Some(target) if is_yandex_origin(&origin) => {
                let rest = path_and_query(url);
                (format!("{}{}", target.base_url(), rest), target.clone())
            }
            _ => (url.to_string(), origin),
        };
        if self.allowed.contains(&origin) {
            Ok((url, origin))
        } else {
            Err(format!(
                "{origin} is not an allowed endpoint (allowed: {})",
                self.allowed
                    .iter()
                    .map(Origin::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    }
}

fn is_yandex_origin(origin: &Origin) -> bool {
    YANDEX_ORIGINS
        .iter()
        .any(|url| Origin::of_url(url).is_ok_and(|o| &o == origin))
}

fn path_and_query(url: &str) -> &str {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[after_scheme..].find('/') {
        Some(i) => &url[after_scheme + i..],
        None => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_exact_origin() {
        let policy = Policy::new(None).unwrap();
        let cases = [
            ("https://iam.api.cloud.yandex.net/iam/v1/serviceAccounts", true),
            ("https://iam.api.cloud.yandex.net:443/x", true),
            ("http://iam.api.cloud.yandex.net/x", false),
            ("https://iam.api.cloud.yandex.net:8443/x", false),
            ("https://evil.example/x", false),
            ("https://user@iam.api.cloud.yandex.net/x", false),
            ("https://169.254.169.254/latest", false),
        ];
        for (url, allowed) in cases {
            assert_eq!(policy.route(url).is_ok(), allowed, "{url}");
        }
    }

    #[test]
    fn rewrites_yandex_hosts_to_the_endpoint() {
        let policy = Policy::new(Some("http://127.0.0.1:8080")).unwrap();
        let (url, origin) = policy
            .route("https://operation.api.cloud.yandex.net/operations/abc?x=1")
            .unwrap();
        assert_eq!(url, "http://127.0.0.1:8080/operations/abc?x=1");
        assert!(origin.is_loopback());
        assert!(policy.route("http://127.0.0.1:9090/x").is_err());
    }
}
