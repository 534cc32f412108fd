//! Where the host's Yandex Cloud credential comes from, and the IAM token it yields.
//!
//! The provider component never sees a credential: the HTTP capability asks the
//! [`Credential`] for an IAM token and attaches it to allowed requests itself. Token
//! exchanges are made by the host, with its own HTTP agent, at the same endpoint override as
//! the API (`--endpoint`, `YC_ENDPOINT`, `--local`), so they work against the emulator.
//!
//! # Precedence
//!
//! The first source that is configured is used; a configured source that cannot be used (an
//! unreadable key file, say) is an error, never a reason to fall through to the next one.
//!
//! 1. `--token` or `YC_IAM_TOKEN`: an IAM token, used as is.
//! 2. `--service-account-key-file FILE`: an authorized key (the JSON `yc iam key create`
//!    writes), exchanged through a PS256 JWT.
//! 3. The `provider "yandex"` block's `token` (declarative commands).
//! 4. The `provider "yandex"` block's `service_account_key_file` (a path or the key JSON).
//! 5. `YC_SERVICE_ACCOUNT_KEY_FILE`: an authorized key file.
//! 6. `YC_SERVICE_ACCOUNT_KEY`: the authorized key JSON itself.
//! 7. `YC_TOKEN`: an OAuth token (`y0_…`), exchanged for IAM tokens.
//! 8. The yc CLI profile in `~/.config/yandex-cloud/config.yaml` (`--profile`, `YC_PROFILE`
//!    or the file's `current:`): its `service-account-key`, `token` or
//!    `instance-service-account: true`.
//! 9. The VM metadata service, when `YC_METADATA_ADDR` names it, or without configuration on
//!    a machine whose DMI tables say it is a Yandex Cloud VM (other clouds serve the same
//!    path, and their tokens must not be sent to Yandex Cloud). It is asked at the first
//!    request; when it was not asked for explicitly and gives no token, requests go out
//!    unauthenticated.
//!
//! Tokens (3, 7, 8) that look like IAM tokens (`t1.…`) are used as is. Exchanged tokens
//! are cached in memory and refreshed shortly before they expire (see [`cache`]). The
//! profile's `cloud-id` and `folder-id` are defaults after `YC_CLOUD_ID` and `YC_FOLDER_ID`,
//! and its `endpoint`, when it is a URL, after `--endpoint` and `YC_ENDPOINT`.

pub mod cache;
pub mod exchange;
pub mod metadata;
pub mod profile;
pub mod service_account_key;
pub mod sources;
pub mod status;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use self::cache::{Clock, SystemClock, TokenCache};
use self::exchange::{Grant, TokenEndpoint};
use self::sources::{Chosen, Source};
use crate::cli::GlobalArgs;

pub use self::sources::CredentialConfig;

/// Why no IAM token could be had; the message names the source and never holds a secret.
#[derive(Clone, Debug)]
pub struct CredentialError {
    message: String,
    permanent: bool,
}

impl CredentialError {
    /// The credential itself is bad (rejected, unreadable): asking again will not help.
    pub fn rejected(message: impl Into<String>) -> CredentialError {
        CredentialError {
            message: message.into(),
            permanent: true,
        }
    }

    /// A failure that may pass (network, 5xx): the next request tries again.
    pub fn transient(message: impl Into<String>) -> CredentialError {
        CredentialError {
            message: message.into(),
            permanent: false,
        }
    }

    /// Whether asking again is pointless.
    pub fn is_permanent(&self) -> bool {
        self.permanent
    }
}

impl fmt::Display for CredentialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CredentialError {}

impl CredentialConfig {
    /// Reads the credential settings of the global flags, the environment and the yc profile.
    pub fn from_global(global: &GlobalArgs) -> CredentialConfig {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let iam_token = global.token.clone().filter(|t| !t.is_empty()).map(|token| {
            let origin = if env("YC_IAM_TOKEN").as_deref() == Some(token.as_str()) {
                "YC_IAM_TOKEN"
            } else {
                "--token"
            };
            (SecretString::from(token), origin)
        });
        let profile = match env("HOME") {
            Some(home) => profile::load(
                &PathBuf::from(home).join(profile::CONFIG_FILE),
                global.profile.as_deref(),
            )
            .transpose(),
            None => global.profile.as_ref().map(|name| {
                Err(format!(
                    "HOME is not set, so the yc profile `{name}` cannot be found"
                ))
            }),
        };
        let mut config = CredentialConfig {
            iam_token,
            key_file_flag: global.service_account_key_file.clone(),
            provider_token: None,
            provider_key: None,
            env_key_file: env("YC_SERVICE_ACCOUNT_KEY_FILE").map(PathBuf::from),
            env_key_json: env("YC_SERVICE_ACCOUNT_KEY").map(SecretString::from),
            env_token: env("YC_TOKEN").map(SecretString::from),
            profile,
            metadata_addr: env("YC_METADATA_ADDR"),
            on_yandex_vm: metadata::looks_like_yandex_vm(),
            endpoint: None,
            env_cloud_id: env("YC_CLOUD_ID"),
            env_folder_id: env("YC_FOLDER_ID"),
        };
        config.endpoint = global
            .endpoint
            .clone()
            .or_else(|| config.profile_endpoint());
        config
    }

    /// Adds the `provider "yandex"` block's `token` and `service_account_key_file`.
    pub fn with_provider_block(
        mut self,
        token: Option<String>,
        service_account_key_file: Option<String>,
    ) -> CredentialConfig {
        self.provider_token = token.filter(|t| !t.is_empty()).map(SecretString::from);
        self.provider_key = service_account_key_file
            .filter(|k| !k.is_empty())
            .map(SecretString::from);
        self
    }
}

/// The credential the host authenticates with: the chosen source and its token cache.
pub struct Credential {
    chosen: Chosen,
    cache: TokenCache,
    endpoint: TokenEndpoint,
}

impl Credential {
    /// Chooses the source (see the [module documentation](self) for the precedence) and reads
    /// it; no request is made until the first token is needed.
    pub fn resolve(config: &CredentialConfig) -> Credential {
        Credential::resolve_with_clock(config, Arc::new(SystemClock))
    }

    /// [`Credential::resolve`] with the token cache reading `clock`.
    pub fn resolve_with_clock(config: &CredentialConfig, clock: Arc<dyn Clock>) -> Credential {
        Credential {
            chosen: sources::choose(config),
            cache: TokenCache::new(clock),
            endpoint: TokenEndpoint::new(config.endpoint.as_deref()),
        }
    }

    /// A ready IAM token: the first non-empty of `flag_token` (`--token`) and `env_token`
    /// (`YC_IAM_TOKEN`); nothing else is consulted. No token: no credential.
    pub fn from_sources(flag_token: Option<String>, env_token: Option<String>) -> Credential {
        let iam_token = match (flag_token, env_token) {
            (Some(token), _) if !token.is_empty() => Some((token.into(), "--token")),
            (_, Some(token)) if !token.is_empty() => Some((token.into(), "YC_IAM_TOKEN")),
            _ => None,
        };
        Credential::resolve(&CredentialConfig {
            iam_token,
            ..CredentialConfig::default()
        })
    }

    /// The IAM token for the next request: cached, or obtained now. `Ok(None)` when no
    /// credential is configured (requests go out unauthenticated).
    pub fn token(&self) -> Result<Option<SecretString>, CredentialError> {
        let what = self.describe();
        match &self.chosen.source {
            Source::None => Ok(None),
            Source::IamToken(token) => Ok(Some(token.clone())),
            Source::Broken { why, .. } => Err(CredentialError::rejected(format!(
                "the {what} cannot be used: {why}"
            ))),
            Source::OAuthToken(token) => self
                .cache
                .token(|_| {
                    self.endpoint
                        .exchange(Grant::OAuth(token), &format!("the {what}"))
                })
                .map(Some),
            Source::ServiceAccountKey(key) => self
                .cache
                .token(|now| {
                    let jwt = key.jwt(now).map_err(|why| {
                        CredentialError::rejected(format!("the {what} cannot sign a JWT: {why}"))
                    })?;
                    self.endpoint
                        .exchange(Grant::Jwt(&jwt), &format!("the {what}"))
                })
                .map(Some),
            Source::Metadata { service, implicit } => {
                let fetched = self.cache.token(|now| {
                    service.token(now).map_err(|e| {
                        if *implicit {
                            CredentialError::rejected(e.to_string())
                        } else {
                            e
                        }
                    })
                });
                match fetched {
                    Ok(token) => Ok(Some(token)),
                    Err(error) if *implicit => {
                        tracing::info!(target: "ycprov::credentials", "no credential: {error}");
                        Ok(None)
                    }
                    Err(error) => Err(error),
                }
            }
        }
    }

    /// The `Authorization` header value for the next request, if there is a credential.
    pub fn authorization(&self) -> Result<Option<SecretString>, CredentialError> {
        Ok(self
            .token()?
            .map(|token| format!("Bearer {}", token.expose_secret()).into()))
    }

    /// A short name of the source, as the `credentials` import reports it: `iam-token`,
    /// `oauth-token`, `service-account-key`, `metadata` or `none`.
    pub fn source_name(&self) -> &'static str {
        self.chosen.source.kind()
    }

    /// Where the credential came from, e.g. `YC_TOKEN`.
    pub fn origin(&self) -> &str {
        &self.chosen.origin
    }

    /// Configured sources that lost to a higher-precedence one, by origin.
    pub fn not_used(&self) -> &[String] {
        &self.chosen.not_used
    }

    /// The subject the credential authenticates, when the host knows it (the service account
    /// of an authorized key).
    pub fn subject_id(&self) -> Option<String> {
        match &self.chosen.source {
            Source::ServiceAccountKey(key) => Some(key.service_account_id.clone()),
            _ => None,
        }
    }

    /// When the current token expires, once one was obtained by exchange or from the
    /// metadata service.
    pub fn expires_at(&self) -> Option<time::OffsetDateTime> {
        self.cache.expires_at()
    }

    /// Why the credential could not give a token, if it failed and has no valid token now.
    /// An implicit metadata service that gave no token is not a failure (there is simply no
    /// credential).
    pub fn failure(&self) -> Option<CredentialError> {
        match &self.chosen.source {
            Source::Metadata { implicit: true, .. } => None,
            Source::Broken { .. } => self.token().err(),
            _ => self.cache.failure(),
        }
    }

    /// Where the credential was found, for humans, e.g. "OAuth token from YC_TOKEN".
    pub fn describe(&self) -> String {
        match &self.chosen.source {
            Source::None => "no credential".to_string(),
            source => format!("{} from {}", source.noun(), self.chosen.origin),
        }
    }

    /// The hint to print when the API says the caller is unauthenticated.
    pub fn unauthenticated_hint(&self) -> String {
        const HOW: &str = "set YC_IAM_TOKEN (or pass --token), YC_TOKEN or \
            YC_SERVICE_ACCOUNT_KEY_FILE, or configure a yc profile";
        match &self.chosen.source {
            Source::None => format!("no credential was found: {HOW}"),
            Source::Metadata { implicit: true, .. } => match self.cache.failure() {
                Some(why) => format!("no credential was found ({why}): {HOW}"),
                None => format!(
                    "the {} was rejected: the VM's service account may lack access",
                    self.describe()
                ),
            },
            Source::IamToken(_) => format!(
                "the {} was rejected: it may have expired (IAM tokens live at most 12 hours)",
                self.describe()
            ),
            _ => format!(
                "the IAM token obtained with the {} was rejected",
                self.describe()
            ),
        }
    }

    /// Every token this credential holds or obtained, for redacting host-side messages.
    pub fn secrets(&self) -> Vec<String> {
        let configured = match &self.chosen.source {
            Source::IamToken(token) | Source::OAuthToken(token) => Some(token),
            _ => None,
        };
        configured
            .cloned()
            .into_iter()
            .chain(self.cache.cached_token())
            .map(|token| token.expose_secret().to_string())
            .collect()
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// The largest token response read (exchange and metadata service).
const MAX_TOKEN_RESPONSE_BYTES: u64 = 64 << 10;

/// The status and body (capped, wiped when dropped) of a token response; a body that
/// cannot be read is a transient error described by `what`.
fn read_token_response(
    response: &mut ureq::http::Response<ureq::Body>,
    what: impl FnOnce() -> String,
) -> Result<(u16, secrecy::zeroize::Zeroizing<Vec<u8>>), CredentialError> {
    let status = response.status().as_u16();
    let bytes = response
        .body_mut()
        .with_config()
        .limit(MAX_TOKEN_RESPONSE_BYTES)
        .read_to_vec()
        .map_err(|e| CredentialError::transient(format!("{}: {e}", what())))?;
    Ok((status, secrecy::zeroize::Zeroizing::new(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_wins_over_environment_and_nothing_leaks() {
        let cred = Credential::from_sources(Some("t1.flag".into()), Some("t1.env".into()));
        assert_eq!(
            cred.authorization().unwrap().unwrap().expose_secret(),
            "Bearer t1.flag"
        );
        assert_eq!(format!("{cred:?}"), "IAM token from --token");
        let cred = Credential::from_sources(None, Some("t1.env".into()));
        assert_eq!(cred.describe(), "IAM token from YC_IAM_TOKEN");
        let none = Credential::from_sources(Some(String::new()), None);
        assert_eq!(none.source_name(), "none");
        assert!(none.authorization().unwrap().is_none());
        assert!(none.unauthenticated_hint().contains("YC_IAM_TOKEN"));
    }

    #[test]
    fn a_broken_source_fails_every_request_with_its_reason() {
        let cred = Credential::resolve(&CredentialConfig {
            env_key_file: Some(PathBuf::from("/nonexistent/key.json")),
            ..CredentialConfig::default()
        });
        let error = cred.token().unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("the service account key from YC_SERVICE_ACCOUNT_KEY_FILE"),
            "{error}"
        );
        assert!(error.is_permanent());
        assert_eq!(cred.failure().unwrap().to_string(), error.to_string());
    }

    #[test]
    fn an_unreachable_implicit_metadata_service_means_no_credential() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let mut config = CredentialConfig {
            metadata_addr: Some(addr.to_string()),
            ..CredentialConfig::default()
        };
        let explicit = Credential::resolve(&config);
        assert!(explicit.token().is_err(), "asked for explicitly: an error");

        config = CredentialConfig {
            on_yandex_vm: true,
            ..CredentialConfig::default()
        };
        let mut chosen = sources::choose(&config);
        chosen.source = Source::Metadata {
            service: metadata::MetadataService::new(&addr.to_string()),
            implicit: true,
        };
        let implicit = Credential {
            chosen,
            cache: TokenCache::new(Arc::new(SystemClock)),
            endpoint: TokenEndpoint::new(None),
        };
        assert!(implicit.token().unwrap().is_none());
        assert!(implicit.failure().is_none());
        assert!(
            implicit.unauthenticated_hint().contains("metadata service"),
            "{}",
            implicit.unauthenticated_hint()
        );
    }
}
