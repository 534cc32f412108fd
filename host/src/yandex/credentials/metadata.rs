//! The VM metadata service: the token of the service account attached to the VM.

use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use time::OffsetDateTime;

use super::cache::IssuedToken;
use super::{CredentialError, read_token_response};

/// The metadata service address (`YC_METADATA_ADDR` overrides it).
pub const DEFAULT_ADDR: &str = "169.254.169.254";
/// The token path (the Google-compatible API Yandex Cloud VMs serve).
const TOKEN_PATH: &str = "/computeMetadata/v1/instance/service-accounts/default/token";
/// The DMI files that name the maker of the (virtual) machine.
const DMI_FILES: [&str; 4] = [
    "/sys/class/dmi/id/sys_vendor",
    "/sys/class/dmi/id/board_vendor",
    "/sys/class/dmi/id/bios_vendor",
    "/sys/class/dmi/id/product_name",
];

/// A client of the metadata service's token endpoint, with short timeouts and no proxy.
pub struct MetadataService {
    url: String,
    agent: ureq::Agent,
}

impl MetadataService {
    /// The service at `addr` (`host[:port]`, optionally with an `http://` prefix).
    pub fn new(addr: &str) -> MetadataService {
        let addr = addr.trim().trim_end_matches('/');
        let base = if addr.contains("://") {
            addr.to_string()
        } else {
            format!("http://{addr}")
        };
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .timeout_connect(Some(Duration::from_secs(1)))
            .timeout_global(Some(Duration::from_secs(3)))
            .user_agent(concat!("ycprov/", env!("CARGO_PKG_VERSION")));
        MetadataService {
            url: format!("{base}{TOKEN_PATH}"),
            agent: config.build().new_agent(),
        }
    }

    /// The token URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Fetches the VM service account's token.
    pub fn token(&self, now: OffsetDateTime) -> Result<IssuedToken, CredentialError> {
        let mut response = self
            .agent
            .get(&self.url)
            .header("Metadata-Flavor", "Google")
            .call()
            .map_err(|e| {
                CredentialError::transient(format!(
                    "the metadata service at {} is not reachable: {e}",
                    self.url
                ))
            })?;
        let (status, bytes) = read_token_response(&mut response, || {
            format!("reading the metadata service answer from {}", self.url)
        })?;
        if status != 200 {
            return Err(CredentialError::rejected(format!(
                "the metadata service at {} answered HTTP {status} (is a service account attached to this VM?)",
                self.url
            )));
        }
        parse_token(&bytes, now).map_err(|why| {
            CredentialError::transient(format!(
                "the metadata service answer from {} is not usable: {why}",
                self.url
            ))
        })
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: i64,
}

/// `{"access_token", "expires_in", "token_type"}` → the token, expiring `expires_in` from `now`.
fn parse_token(bytes: &[u8], now: OffsetDateTime) -> Result<IssuedToken, String> {
    let answer: TokenAnswer = serde_json::from_slice(bytes)
        .map_err(|e| super::service_account_key::describe_serde_error(&e))?;
    if answer.access_token.is_empty() {
        return Err("the access_token is empty".to_string());
    }
    if answer.expires_in <= 0 {
        return Err("expires_in is not positive".to_string());
    }
    Ok(IssuedToken {
        token: SecretString::from(answer.access_token),
        expires_at: now + time::Duration::seconds(answer.expires_in),
    })
}

/// Whether this machine says (in its DMI tables) that it is a Yandex Cloud VM. The metadata
/// service is asked without explicit configuration only then: other clouds serve the same
/// path, and their tokens must not be sent to Yandex Cloud.
pub fn looks_like_yandex_vm() -> bool {
    DMI_FILES.iter().any(|file| {
        std::fs::read_to_string(file).is_ok_and(|text| text.to_ascii_lowercase().contains("yandex"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn addresses_become_token_urls() {
        let table = [
            (
                DEFAULT_ADDR,
                "http://169.254.169.254/computeMetadata/v1/instance/service-accounts/default/token",
            ),
            (
                "127.0.0.1:8080",
                "http://127.0.0.1:8080/computeMetadata/v1/instance/service-accounts/default/token",
            ),
            (
                "http://[::1]:9/",
                "http://[::1]:9/computeMetadata/v1/instance/service-accounts/default/token",
            ),
        ];
        for (addr, url) in table {
            assert_eq!(MetadataService::new(addr).url(), url);
        }
    }

    #[test]
    fn answers_are_parsed() {
        let now = OffsetDateTime::from_unix_timestamp(1_000).unwrap();
        let token = parse_token(
            br#"{"access_token":"t1.vm","expires_in":3600,"token_type":"Bearer"}"#,
            now,
        )
        .unwrap();
        assert_eq!(token.token.expose_secret(), "t1.vm");
        assert_eq!(token.expires_at.unix_timestamp(), 4_600);
        for bad in [
            &br#"{"access_token":"","expires_in":3600}"#[..],
            br#"{"access_token":"t1.vm","expires_in":0}"#,
            br#"not json"#,
        ] {
            assert!(parse_token(bad, now).is_err());
        }
    }
}
