//! Exact origins (scheme, host, port) and the split of an absolute URL into its origin and
//! the rest, the way ycprov's own host matches them.

use std::fmt;

/// An exact scheme + host + port triple.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// The host name or IPv4 address, lower-case.
    pub host: String,
    /// The port (the scheme's default when the URL has none).
    pub port: u16,
}

/// The two schemes a provider may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP (the local emulator, a private endpoint).
    Http,
    /// HTTP over TLS.
    Https,
}

impl Scheme {
    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// An absolute URL split into its origin and its path with query.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    /// Where the request goes.
    pub origin: Origin,
    /// The path and query, starting with `/`.
    pub path_and_query: String,
}

impl Origin {
    /// Parses the origin of an absolute `http`/`https` URL; the path is ignored.
    pub fn of_url(url: &str) -> Result<Origin, String> {
        split(url).map(|target| target.origin)
    }

    /// The authority to send: the host, with the port when it is not the scheme's default.
    pub fn authority(&self) -> String {
        if self.port == self.scheme.default_port() {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme.name(), self.host, self.port)
    }
}

/// Splits an absolute URL into its origin and its path with query; the fragment is dropped.
pub fn split(url: &str) -> Result<Target, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("`{url}` is not an absolute URL"))?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" => Scheme::Http,
        "https" => Scheme::Https,
        other => {
            return Err(format!(
                "`{url}`: scheme `{other}` is not supported (use http or https)"
            ));
        }
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    if authority.contains('@') {
        return Err(format!("`{url}`: user information in URLs is not allowed"));
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => {
            let port = port
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("`{url}`: `{port}` is not a port"))?;
            (host, port)
        }
        None => (authority, scheme.default_port()),
    };
    if host.is_empty() {
        return Err(format!("`{url}` has an empty host"));
    }
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return Err(format!(
            "`{url}`: the host `{host}` is not a DNS name or IPv4 address"
        ));
    }
    let tail = tail.split('#').next().unwrap_or_default();
    let path_and_query = if tail.starts_with('/') {
        tail.to_string()
    } else {
        format!("/{tail}")
    };
    if path_and_query
        .chars()
        .any(|c| c.is_ascii_control() || c == ' ')
    {
        return Err(format!(
            "`{url}`: the path has spaces or control characters"
        ));
    }
    Ok(Target {
        origin: Origin {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
        },
        path_and_query,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_urls_as_the_host_does() {
        type Expected<'a> = Result<(&'a str, &'a str), &'a str>;
        let cases: [(&str, Expected); 9] = [
            (
                "https://iam.api.cloud.yandex.net/iam/v1/keys?x=1",
                Ok(("https://iam.api.cloud.yandex.net:443", "/iam/v1/keys?x=1")),
            ),
            (
                "http://127.0.0.1:8080/v1#frag",
                Ok(("http://127.0.0.1:8080", "/v1")),
            ),
            ("HTTPS://Example.COM", Ok(("https://example.com:443", "/"))),
            ("https://a.example?q", Ok(("https://a.example:443", "/?q"))),
            ("ftp://example.com/", Err("scheme `ftp`")),
            ("https://user@example.com/", Err("user information")),
            ("https://example.com:99999/", Err("is not a port")),
            ("https:///x", Err("empty host")),
            ("example.com/x", Err("not an absolute URL")),
        ];
        for (url, expected) in cases {
            match (split(url), expected) {
                (Ok(target), Ok((origin, path))) => {
                    assert_eq!(target.origin.to_string(), origin, "{url}");
                    assert_eq!(target.path_and_query, path, "{url}");
                }
                (Err(error), Err(fragment)) => assert!(error.contains(fragment), "{url}: {error}"),
                (got, want) => panic!("{url}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn authority_omits_the_default_port() {
        assert_eq!(
            Origin::of_url("https://a.example:443").unwrap().authority(),
            "a.example"
        );
        assert_eq!(
            Origin::of_url("http://127.0.0.1:8080").unwrap().authority(),
            "127.0.0.1:8080"
        );
    }
}
