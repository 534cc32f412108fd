//! `POST /iam/v1/tokens`: the host's own exchange of an OAuth token or a signed JWT for an
//! IAM token, sent to the same endpoint override as the API.

use std::time::Duration;

use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::cache::IssuedToken;
use super::{CredentialError, read_token_response};
use ycprov_runtime::Origin;

/// The public IAM origin.
const IAM_ORIGIN: &str = "https://iam.api.cloud.yandex.net";
/// The path of the exchange.
const TOKENS_PATH: &str = "/iam/v1/tokens";
/// What is exchanged.
pub enum Grant<'a> {
    /// A Yandex account's OAuth token.
    OAuth(&'a SecretString),
    /// A JWT signed with a service account's authorized key.
    Jwt(&'a SecretString),
}

/// The IAM token endpoint and the agent that calls it.
pub struct TokenEndpoint {
    url: String,
    agent: ureq::Agent,
}

impl TokenEndpoint {
    /// The endpoint of the public cloud, or `{endpoint}/iam/v1/tokens` when the API endpoint
    /// is overridden (an invalid override is reported by the policy before any request).
    pub fn new(endpoint_override: Option<&str>) -> TokenEndpoint {
        let origin = endpoint_override.and_then(|url| Origin::of_url(url).ok());
        let base = origin
            .as_ref()
            .map(Origin::base_url)
            .unwrap_or_else(|| IAM_ORIGIN.to_string());
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(Duration::from_secs(10)))
            .timeout_global(Some(Duration::from_secs(30)))
            .user_agent(concat!("ycprov/", env!("CARGO_PKG_VERSION")));
        if origin.as_ref().is_some_and(Origin::is_loopback) {
            config = config.proxy(None);
        }
        TokenEndpoint {
            url: format!("{base}{TOKENS_PATH}"),
            agent: config.build().new_agent(),
        }
    }

    /// The URL requests go to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Exchanges `grant` for an IAM token. `what` names the credential in errors, e.g.
    /// "the OAuth token from YC_TOKEN".
    pub fn exchange(&self, grant: Grant<'_>, what: &str) -> Result<IssuedToken, CredentialError> {
        let (field, secret) = match grant {
            Grant::OAuth(token) => ("yandexPassportOauthToken", token),
            Grant::Jwt(jwt) => ("jwt", jwt),
        };
        let mut body = serde_json::Map::new();
        body.insert(
            field.to_string(),
            Value::String(secret.expose_secret().to_string()),
        );
        let body = Zeroizing::new(Value::Object(body).to_string());
        let mut response = self
            .agent
            .post(&self.url)
            .header("content-type", "application/json")
            .send(body.as_bytes())
            .map_err(|e| {
                CredentialError::transient(format!(
                    "could not exchange {what} for an IAM token at {}: {e}",
                    self.url
                ))
            })?;
        let (status, bytes) = read_token_response(&mut response, || {
            format!(
                "could not read the IAM token response for {what} from {}",
                self.url
            )
        })?;
        if status != 200 {
            let reason = describe_error_body(status, &bytes);
            let message = format!("{what} was rejected by {}: {reason}", self.url);
            return Err(if (400..500).contains(&status) && status != 429 {
                CredentialError::rejected(message)
            } else {
                CredentialError::transient(message)
            });
        }
        parse_token_response(&bytes).map_err(|why| {
            CredentialError::transient(format!(
                "the IAM token response for {what} from {} is not usable: {why}",
                self.url
            ))
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenResponse {
    iam_token: String,
    expires_at: String,
}

/// `{"iamToken", "expiresAt"}` → the token and its expiry.
fn parse_token_response(bytes: &[u8]) -> Result<IssuedToken, String> {
    let response: TokenResponse = serde_json::from_slice(bytes)
        .map_err(|e| super::service_account_key::describe_serde_error(&e))?;
    let token = SecretString::from(response.iam_token);
    if token.expose_secret().is_empty() {
        return Err("the iamToken is empty".to_string());
    }
    let expires_at = OffsetDateTime::parse(&response.expires_at, &Rfc3339)
        .map_err(|_| "expiresAt is not an RFC3339 timestamp".to_string())?;
    Ok(IssuedToken { token, expires_at })
}

/// `CODE_NAME: message` from a `google.rpc.Status` body, or the HTTP status.
fn describe_error_body(status: u16, bytes: &[u8]) -> String {
    let body: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    let code = body.get("code").and_then(Value::as_u64);
    let message = body.get("message").and_then(Value::as_str);
    match (code, message) {
        (Some(code), Some(message)) => format!("{}: {message}", grpc_code_name(code)),
        (None, Some(message)) => format!("HTTP {status}: {message}"),
        _ => format!("HTTP {status}"),
    }
}

/// The name of a numeric gRPC status code.
pub fn grpc_code_name(code: u64) -> &'static str {
    const NAMES: [&str; 17] = [
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    ];
    usize::try_from(code)
        .ok()
        .and_then(|i| NAMES.get(i))
        .copied()
        .unwrap_or("UNKNOWN")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_follows_the_api_override() {
        let table = [
            (None, "https://iam.api.cloud.yandex.net/iam/v1/tokens"),
            (
                Some("http://127.0.0.1:8080"),
                "http://127.0.0.1:8080/iam/v1/tokens",
            ),
            (
                Some("http://localhost:9/some/path"),
                "http://localhost:9/iam/v1/tokens",
            ),
            (
                Some("https://iam.example.org"),
                "https://iam.example.org:443/iam/v1/tokens",
            ),
        ];
        for (endpoint, url) in table {
            assert_eq!(TokenEndpoint::new(endpoint).url(), url, "{endpoint:?}");
        }
    }

    #[test]
    fn error_bodies_name_the_grpc_code() {
        let table: [(u16, &[u8], &str); 4] = [
            (
                401,
                br#"{"code":16,"message":"The OAuth token is invalid or has expired."}"#,
                "UNAUTHENTICATED: The OAuth token is invalid or has expired.",
            ),
            (
                400,
                br#"{"code":3,"message":"bad"}"#,
                "INVALID_ARGUMENT: bad",
            ),
            (502, b"<html>bad gateway</html>", "HTTP 502"),
            (403, br#"{"message":"nope"}"#, "HTTP 403: nope"),
        ];
        for (status, body, expected) in table {
            assert_eq!(describe_error_body(status, body), expected);
        }
    }

    #[test]
    fn token_responses_are_parsed() {
        let token = parse_token_response(
            br#"{"iamToken":"t1.abc","expiresAt":"2030-01-01T12:00:00.123Z"}"#,
        )
        .unwrap();
        assert_eq!(token.token.expose_secret(), "t1.abc");
        assert_eq!(token.expires_at.unix_timestamp(), 1_893_499_200);
        for bad in [
            &br#"{"iamToken":"","expiresAt":"2030-01-01T00:00:00Z"}"#[..],
            br#"{"iamToken":"t1.a","expiresAt":"soon"}"#,
            br#"{"token":"t1.a"}"#,
        ] {
            assert!(parse_token_response(bad).is_err());
        }
    }
}
