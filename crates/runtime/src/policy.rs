//! The sandbox policy: which endpoints the provider may reach and how much it may consume.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

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
        let uri: ureq::http::Uri = url
            .parse()
            .with_context(|| format!("`{url}` is not a URL"))?;
        let scheme = uri
            .scheme_str()
            .with_context(|| format!("`{url}` has no scheme"))?
            .to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "https" => 443,
            "http" => 80,
            other => bail!("`{url}`: scheme `{other}` is not supported (use http or https)"),
        };
        let authority = uri
            .authority()
            .with_context(|| format!("`{url}` has no host"))?;
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

    /// The base URL of this origin, e.g. `https://api.example.com:443`.
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

/// What the host allows the provider component to do. It knows no cloud: the provider's
/// API origins come from the provider's host profile.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Origins requests may go to (after endpoint rewriting), matched exactly.
    pub allowed: Vec<Origin>,
    /// The provider's API origins: the default allow-list, and what an endpoint override
    /// replaces.
    pub api_origins: Vec<Origin>,
    /// When set, requests to the API origins are sent to this base URL instead (e.g. the emulator).
    pub endpoint_override: Option<Origin>,
    /// Whether allowed names may resolve to loopback, link-local (metadata) or private addresses.
    pub allow_private_addresses: bool,
    /// The largest response body accepted, in bytes.
    pub max_response_bytes: u64,
    /// The timeout of one HTTP request (connect to last byte).
    pub request_timeout: Duration,
    /// The longest one `clock.sleep` may block.
    pub max_sleep: Duration,
    /// The largest guest linear memory, in bytes.
    pub max_memory_bytes: usize,
    /// The wall-clock budget of one call into the component (time in host calls counts).
    pub call_deadline: Duration,
    /// How many requests may be in flight at once across all instances.
    pub max_concurrent_requests: usize,
}

/// The policy file (TOML); every field is optional and falls back to the default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    /// Exact `scheme://host:port` origins the component may reach (replaces the default list).
    pub allowed_endpoints: Option<Vec<String>>,
    /// Allow names that resolve to loopback/link-local/private addresses.
    pub allow_private_addresses: Option<bool>,
    /// Response size cap in bytes.
    pub max_response_bytes: Option<u64>,
    /// Per-request timeout in seconds.
    pub request_timeout_seconds: Option<f64>,
    /// Wall-clock deadline of one call into the component, in seconds.
    pub call_deadline_seconds: Option<f64>,
    /// Guest memory limit in MiB.
    pub max_memory_mib: Option<usize>,
    /// Concurrent requests across all instances.
    pub max_concurrent_requests: Option<usize>,
}

impl Policy {
    /// The default policy for a provider whose API lives at `api_origins`: those origins
    /// (plus the endpoint override, if any, which replaces them), public addresses only
    /// (unless the override is a loopback address), 10 MiB responses, 60 s requests, 10 min
    /// per call, 64 MiB of guest memory, 32 concurrent requests.
    pub fn new(api_origins: &[&str], endpoint_override: Option<&str>) -> Result<Policy> {
        let api_origins: Vec<Origin> = api_origins
            .iter()
            .map(|url| Origin::of_url(url))
            .collect::<Result<_>>()?;
        let mut allowed = api_origins.clone();
        let endpoint_override = match endpoint_override {
            Some(url) => {
                let origin =
                    Origin::of_url(url).with_context(|| format!("invalid endpoint `{url}`"))?;
                allowed.push(origin.clone());
                Some(origin)
            }
            None => None,
        };
        let allow_private_addresses = endpoint_override.as_ref().is_some_and(Origin::is_loopback);
        Ok(Policy {
            allowed,
            api_origins,
            endpoint_override,
            allow_private_addresses,
            max_response_bytes: 10 << 20,
            request_timeout: Duration::from_secs(60),
            max_sleep: Duration::from_secs(60),
            max_memory_bytes: 64 << 20,
            call_deadline: Duration::from_secs(600),
            max_concurrent_requests: 32,
        })
    }

    /// Applies a policy file on top of this policy.
    pub fn with_file(mut self, path: &Path) -> Result<Policy> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the policy file {}", path.display()))?;
        let file: PolicyFile = toml::from_str(&text)
            .with_context(|| format!("invalid policy file {}", path.display()))?;
        if let Some(endpoints) = file.allowed_endpoints {
            self.allowed = endpoints
                .iter()
                .map(|url| {
                    Origin::of_url(url)
                        .with_context(|| format!("{}: allowed_endpoints", path.display()))
                })
                .collect::<Result<_>>()?;
            if let Some(origin) = &self.endpoint_override {
                self.allowed.push(origin.clone());
            }
        }
        if let Some(allow) = file.allow_private_addresses {
            self.allow_private_addresses = allow;
        }
        if let Some(bytes) = file.max_response_bytes {
            self.max_response_bytes = in_range(bytes, 1024, 1 << 30, "max_response_bytes", path)?;
        }
        if let Some(seconds) = file.request_timeout_seconds {
            self.request_timeout =
                seconds_setting(seconds, 3600.0, "request_timeout_seconds", path)?;
        }
        if let Some(seconds) = file.call_deadline_seconds {
            self.call_deadline = seconds_setting(seconds, 86400.0, "call_deadline_seconds", path)?;
        }
        if let Some(mib) = file.max_memory_mib {
            self.max_memory_bytes = in_range(mib, 16, 4096, "max_memory_mib", path)? << 20;
        }
        if let Some(n) = file.max_concurrent_requests {
            self.max_concurrent_requests = in_range(n, 1, 1024, "max_concurrent_requests", path)?;
        }
        Ok(self)
    }

    /// Rewrites a URL of an API origin to the endpoint override, if any, and returns the URL
    /// to fetch and its origin, or an error saying why the URL is not allowed.
    pub fn route(&self, url: &str) -> Result<(String, Origin), String> {
        let origin = Origin::of_url(url).map_err(|e| format!("{e:#}"))?;
        let (url, origin) = match &self.endpoint_override {
            Some(target) if self.api_origins.contains(&origin) => {
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

/// Whether an address is one a name must not resolve to unless private addresses are allowed:
/// loopback, link-local (including the 169.254.169.254 metadata service), private, unspecified,
/// multicast, or an IPv4-mapped form of those.
pub fn is_prohibited_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_link_local()
                || v4.is_private()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_prohibited_address(IpAddr::V4(v4));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (v6.segments()[0] & 0xffc0) == 0xfe80
                || (v6.segments()[0] & 0xfe00) == 0xfc00
        }
    }
}

/// A whole-number setting of the policy file, refused outside `min..=max` with its name.
fn in_range<T: PartialOrd + fmt::Display + Copy>(
    value: T,
    min: T,
    max: T,
    name: &str,
    path: &Path,
) -> Result<T> {
    if value < min || value > max {
        bail!(
            "{}: {name} = {value} is out of range; it must be from {min} to {max}",
            path.display()
        );
    }
    Ok(value)
}

/// A duration setting in seconds: finite, at least a millisecond, at most `max`.
fn seconds_setting(seconds: f64, max: f64, name: &str, path: &Path) -> Result<Duration> {
    if !(seconds.is_finite() && (0.001..=max).contains(&seconds)) {
        bail!(
            "{}: {name} = {seconds} is out of range; it must be from 0.001 to {max} seconds",
            path.display()
        );
    }
    Ok(Duration::from_secs_f64(seconds))
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

    /// The API origins of an imaginary provider.
    const ORIGINS: [&str; 2] = [
        "https://api.example.com:443",
        "https://operations.example.com:443",
    ];

    #[test]
    fn routes_by_exact_origin() {
        let policy = Policy::new(&ORIGINS, None).unwrap();
        let cases = [
            ("https://api.example.com/iam/v1/serviceAccounts", true),
            ("https://api.example.com:443/x", true),
            ("http://api.example.com/x", false),
            ("https://api.example.com:8443/x", false),
            ("https://evil.example/x", false),
            ("https://user@api.example.com/x", false),
            ("https://169.254.169.254/latest", false),
        ];
        for (url, allowed) in cases {
            assert_eq!(policy.route(url).is_ok(), allowed, "{url}");
        }
    }

    #[test]
    fn prohibits_internal_addresses() {
        let cases = [
            ("127.0.0.1", true),
            ("169.254.169.254", true),
            ("10.1.2.3", true),
            ("192.168.0.1", true),
            ("100.64.0.1", true),
            ("0.0.0.0", true),
            ("::1", true),
            ("fe80::1", true),
            ("fd00::1", true),
            ("::ffff:169.254.169.254", true),
            ("84.201.181.26", false),
            ("2a02:6b8::1", false),
        ];
        for (ip, prohibited) in cases {
            assert_eq!(
                is_prohibited_address(ip.parse().unwrap()),
                prohibited,
                "{ip}"
            );
        }
    }

    #[test]
    fn policy_file_overrides_defaults_and_rejects_unknown_keys() {
        let dir = std::env::temp_dir().join(format!("ycprov-policy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let good = dir.join("good.toml");
        std::fs::write(&good, "allowed_endpoints = [\"https://api.example.com\"]\ncall_deadline_seconds = 2.5\nmax_memory_mib = 16\n").unwrap();
        let policy = Policy::new(&ORIGINS, None)
            .unwrap()
            .with_file(&good)
            .unwrap();
        assert_eq!(policy.allowed.len(), 1);
        assert_eq!(policy.call_deadline, Duration::from_millis(2500));
        assert_eq!(policy.max_memory_bytes, 16 << 20);
        let bad = dir.join("bad.toml");
        std::fs::write(&bad, "max_memory = 1\n").unwrap();
        let error = Policy::new(&ORIGINS, None)
            .unwrap()
            .with_file(&bad)
            .unwrap_err();
        assert!(format!("{error:#}").contains("max_memory"), "{error:#}");
    }

    #[test]
    fn rewrites_api_hosts_to_the_endpoint() {
        let policy = Policy::new(&ORIGINS, Some("http://127.0.0.1:8080")).unwrap();
        let (url, origin) = policy
            .route("https://operations.example.com/operations/abc?x=1")
            .unwrap();
        assert_eq!(url, "http://127.0.0.1:8080/operations/abc?x=1");
        assert!(origin.is_loopback());
        assert!(policy.route("http://127.0.0.1:9090/x").is_err());
    }
}
