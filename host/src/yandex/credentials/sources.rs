//! Choosing the credential source: what the user configured, in order of precedence.

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};

use super::metadata::{self, MetadataService};
use super::profile::LoadedProfile;
use super::service_account_key::{self, ServiceAccountKey};

/// What the user configured, before a source is chosen. Built from the flags, the
/// environment, the `provider "yandex"` block and the yc profile; see [`super`] for the
/// precedence.
#[derive(Default)]
pub struct CredentialConfig {
    /// `--token` or `YC_IAM_TOKEN`, with the name it came by.
    pub iam_token: Option<(SecretString, &'static str)>,
    /// `--service-account-key-file`.
    pub key_file_flag: Option<PathBuf>,
    /// The provider block's `token`.
    pub provider_token: Option<SecretString>,
    /// The provider block's `service_account_key_file`: a path or the key JSON itself.
    pub provider_key: Option<SecretString>,
    /// `YC_SERVICE_ACCOUNT_KEY_FILE`.
    pub env_key_file: Option<PathBuf>,
    /// `YC_SERVICE_ACCOUNT_KEY`: the key JSON itself.
    pub env_key_json: Option<SecretString>,
    /// `YC_TOKEN`: an OAuth token, or an IAM token (`t1.…`).
    pub env_token: Option<SecretString>,
    /// The yc profile (`--profile`, `YC_PROFILE` or the file's `current:`), or why it could
    /// not be loaded; `None` when there is no yc configuration.
    pub profile: Option<Result<LoadedProfile, String>>,
    /// `YC_METADATA_ADDR`: use the metadata service at this address.
    pub metadata_addr: Option<String>,
    /// Whether this machine is a Yandex Cloud VM (then the metadata service is the fallback).
    pub on_yandex_vm: bool,
    /// The API endpoint override; the token exchange goes there too.
    pub endpoint: Option<String>,
    /// `YC_CLOUD_ID`.
    pub env_cloud_id: Option<String>,
    /// `YC_FOLDER_ID`.
    pub env_folder_id: Option<String>,
}

impl CredentialConfig {
    /// The default cloud: `YC_CLOUD_ID`, then the profile's `cloud-id`.
    pub fn default_cloud_id(&self) -> Option<String> {
        self.env_cloud_id
            .clone()
            .or_else(|| self.loaded_profile()?.profile.cloud_id.clone())
    }

    /// The default folder: `YC_FOLDER_ID`, then the profile's `folder-id`.
    pub fn default_folder_id(&self) -> Option<String> {
        self.env_folder_id
            .clone()
            .or_else(|| self.loaded_profile()?.profile.folder_id.clone())
    }

    /// The profile's `endpoint` when it is a URL (`yc` profiles usually hold the default
    /// `api.cloud.yandex.net:443`, which needs no override).
    pub fn profile_endpoint(&self) -> Option<String> {
        self.loaded_profile()?
            .profile
            .endpoint
            .clone()
            .filter(|e| e.contains("://"))
    }

    /// Every token value configured (for redacting messages).
    pub fn secrets(&self) -> Vec<String> {
        let profile_token = self.loaded_profile().and_then(|p| p.profile.token.as_ref());
        [
            self.iam_token.as_ref().map(|(t, _)| t),
            self.provider_token.as_ref(),
            self.env_token.as_ref(),
            profile_token,
        ]
        .into_iter()
        .flatten()
        .map(|t| t.expose_secret().to_string())
        .collect()
    }

    fn loaded_profile(&self) -> Option<&LoadedProfile> {
        self.profile.as_ref()?.as_ref().ok()
    }
}

/// The source in use.
pub enum Source {
    /// A ready IAM token.
    IamToken(SecretString),
    /// An OAuth token, exchanged for IAM tokens.
    OAuthToken(SecretString),
    /// An authorized key, whose JWTs are exchanged for IAM tokens.
    ServiceAccountKey(Box<ServiceAccountKey>),
    /// The VM metadata service; `implicit` when nothing asked for it (then a failure means
    /// "no credential" rather than an error).
    Metadata {
        /// The service.
        service: MetadataService,
        /// Used only because nothing else was configured.
        implicit: bool,
    },
    /// A configured source that cannot be used (unreadable key file, bad profile, …).
    Broken {
        /// The kind it would have been.
        kind: &'static str,
        /// Why it cannot be used (never quoting a secret).
        why: String,
    },
    /// Nothing is configured.
    None,
}

impl Source {
    /// The name the `credentials` import reports: `iam-token`, `oauth-token`,
    /// `service-account-key`, `metadata` or `none`.
    pub fn kind(&self) -> &'static str {
        match self {
            Source::IamToken(_) => "iam-token",
            Source::OAuthToken(_) => "oauth-token",
            Source::ServiceAccountKey(_) => "service-account-key",
            Source::Metadata { .. } => "metadata",
            Source::Broken { kind, .. } => kind,
            Source::None => "none",
        }
    }

    /// What the credential is, for humans: "OAuth token", "service account key", ….
    pub fn noun(&self) -> &'static str {
        match self.kind() {
            "iam-token" => "IAM token",
            "oauth-token" => "OAuth token",
            "service-account-key" => "service account key",
            "metadata" => "VM service account token",
            _ => "credential",
        }
    }
}

/// The chosen source, where it came from, and what else was configured but not used.
pub struct Chosen {
    /// The source.
    pub source: Source,
    /// Where it came from, e.g. `YC_TOKEN` or "the yc profile `default` (…)".
    pub origin: String,
    /// The lower-precedence sources that are configured too, by origin.
    pub not_used: Vec<String>,
}

/// A configured source, not yet read.
enum Pending<'a> {
    IamToken(&'a SecretString),
    Token(&'a SecretString),
    KeyFile(&'a PathBuf),
    KeyJson(&'a SecretString),
    KeyFileOrJson(&'a SecretString),
    Profile(&'a Result<LoadedProfile, String>),
    Metadata { addr: &'a str, implicit: bool },
}

/// Chooses the first configured source in order of precedence and reads it (files, PEM);
/// nothing is sent anywhere.
pub fn choose(config: &CredentialConfig) -> Chosen {
    let mut pending = candidates(config).into_iter();
    let Some((origin, first)) = pending.next() else {
        return Chosen {
            source: Source::None,
            origin: "no configuration".to_string(),
            not_used: Vec::new(),
        };
    };
    Chosen {
        source: read(first, config),
        origin,
        not_used: pending.map(|(origin, _)| origin).collect(),
    }
}

fn candidates(config: &CredentialConfig) -> Vec<(String, Pending<'_>)> {
    let mut list = Vec::new();
    if let Some((token, origin)) = &config.iam_token {
        list.push((origin.to_string(), Pending::IamToken(token)));
    }
    if let Some(path) = &config.key_file_flag {
        list.push((
            format!("--service-account-key-file ({})", path.display()),
            Pending::KeyFile(path),
        ));
    }
    if let Some(token) = &config.provider_token {
        list.push((
            "the provider block's `token`".to_string(),
            Pending::Token(token),
        ));
    }
    if let Some(key) = &config.provider_key {
        list.push((
            "the provider block's `service_account_key_file`".to_string(),
            Pending::KeyFileOrJson(key),
        ));
    }
    if let Some(path) = &config.env_key_file {
        list.push((
            format!("YC_SERVICE_ACCOUNT_KEY_FILE ({})", path.display()),
            Pending::KeyFile(path),
        ));
    }
    if let Some(json) = &config.env_key_json {
        list.push(("YC_SERVICE_ACCOUNT_KEY".to_string(), Pending::KeyJson(json)));
    }
    if let Some(token) = &config.env_token {
        list.push(("YC_TOKEN".to_string(), Pending::Token(token)));
    }
    if let Some(profile) = &config.profile {
        match profile {
            Ok(loaded) if has_credentials(loaded) => {
                list.push((loaded.describe(), Pending::Profile(profile)))
            }
            Ok(_) => {}
            Err(_) => list.push((
                "the yc configuration".to_string(),
                Pending::Profile(profile),
            )),
        }
    }
    match &config.metadata_addr {
        Some(addr) => list.push((
            format!("YC_METADATA_ADDR ({addr})"),
            Pending::Metadata {
                addr,
                implicit: false,
            },
        )),
        None if config.on_yandex_vm => list.push((
            format!("the VM metadata service ({})", metadata::DEFAULT_ADDR),
            Pending::Metadata {
                addr: metadata::DEFAULT_ADDR,
                implicit: true,
            },
        )),
        None => {}
    }
    list
}

fn has_credentials(loaded: &LoadedProfile) -> bool {
    let p = &loaded.profile;
    p.token.is_some()
        || p.service_account_key.is_some()
        || p.instance_service_account
        || p.federation_id.is_some()
}

/// Whether a token is an IAM token (used as is) rather than an OAuth token (exchanged).
pub fn is_iam_token(token: &str) -> bool {
    token.trim().starts_with("t1.")
}

fn read(pending: Pending<'_>, config: &CredentialConfig) -> Source {
    match pending {
        Pending::IamToken(token) => Source::IamToken(token.clone()),
        Pending::Token(token) if is_iam_token(token.expose_secret()) => {
            Source::IamToken(token.clone())
        }
        Pending::Token(token) => Source::OAuthToken(token.clone()),
        Pending::KeyFile(path) => read_key_file(path),
        Pending::KeyJson(json) => key_source(service_account_key::parse_secret_json(json)),
        Pending::KeyFileOrJson(value) if value.expose_secret().trim_start().starts_with('{') => {
            key_source(service_account_key::parse_secret_json(value))
        }
        Pending::KeyFileOrJson(value) => {
            read_key_file(&PathBuf::from(value.expose_secret().trim()))
        }
        Pending::Profile(Err(why)) => Source::Broken {
            kind: "profile",
            why: why.clone(),
        },
        Pending::Profile(Ok(loaded)) => read_profile(loaded, config),
        Pending::Metadata { addr, implicit } => Source::Metadata {
            service: MetadataService::new(addr),
            implicit,
        },
    }
}

fn read_key_file(path: &PathBuf) -> Source {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let text = secrecy::zeroize::Zeroizing::new(text);
            key_source(ServiceAccountKey::from_json(&text))
        }
        Err(e) => Source::Broken {
            kind: "service-account-key",
            why: format!("cannot read {}: {e}", path.display()),
        },
    }
}

fn key_source(key: Result<ServiceAccountKey, String>) -> Source {
    match key {
        Ok(key) => Source::ServiceAccountKey(Box::new(key)),
        Err(why) => Source::Broken {
            kind: "service-account-key",
            why,
        },
    }
}

fn read_profile(loaded: &LoadedProfile, config: &CredentialConfig) -> Source {
    let profile = &loaded.profile;
    if let Some(fields) = &profile.service_account_key {
        return key_source(ServiceAccountKey::from_fields(fields.clone()));
    }
    if let Some(token) = &profile.token {
        return read(Pending::Token(token), config);
    }
    if profile.instance_service_account {
        let addr = config
            .metadata_addr
            .as_deref()
            .unwrap_or(metadata::DEFAULT_ADDR);
        return Source::Metadata {
            service: MetadataService::new(addr),
            implicit: false,
        };
    }
    Source::Broken {
        kind: "profile",
        why: "it is a federated profile, which needs an interactive browser login; use a service account key or an OAuth/IAM token instead".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::service_account_key::tests::test_key_json;
    use super::*;
    use crate::yandex::credentials::profile::Profile;

    fn secret(value: &str) -> Option<SecretString> {
        Some(value.into())
    }

    fn profile_with_token(token: &str) -> Option<Result<LoadedProfile, String>> {
        Some(Ok(LoadedProfile {
            name: "default".into(),
            file: PathBuf::from("/home/u/.config/yandex-cloud/config.yaml"),
            profile: Profile {
                token: secret(token),
                ..Profile::default()
            },
        }))
    }

    /// Sets one input of the configuration.
    type Setter = fn(&mut CredentialConfig, &std::path::Path);

    #[test]
    fn the_first_configured_source_wins() {
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("key.json");
        std::fs::write(&key_file, test_key_json()).unwrap();
        let iam: Setter = |c, _| c.iam_token = Some(("t1.flag".into(), "--token"));
        let flag_key: Setter = |c, dir| c.key_file_flag = Some(dir.join("key.json"));
        let provider_token: Setter = |c, _| c.provider_token = secret("y0_provider");
        let provider_key: Setter = |c, _| c.provider_key = Some(test_key_json().into());
        let env_key_file: Setter = |c, dir| c.env_key_file = Some(dir.join("key.json"));
        let env_key: Setter = |c, _| c.env_key_json = Some(test_key_json().into());
        let env_token: Setter = |c, _| c.env_token = secret("y0_env");
        let profile: Setter = |c, _| c.profile = profile_with_token("y0_profile");
        let metadata: Setter = |c, _| c.metadata_addr = Some("127.0.0.1:1".into());
        let vm: Setter = |c, _| c.on_yandex_vm = true;
        let table: [(&str, Vec<Setter>, &str, &str, usize); 12] = [
            ("nothing", vec![], "none", "no configuration", 0),
            (
                "everything",
                vec![
                    iam,
                    flag_key,
                    provider_token,
                    provider_key,
                    env_key_file,
                    env_key,
                    env_token,
                    profile,
                    metadata,
                ],
                "iam-token",
                "--token",
                8,
            ),
            (
                "key flag over provider and env",
                vec![flag_key, provider_token, env_token],
                "service-account-key",
                "--service-account-key-file",
                2,
            ),
            (
                "provider token over env",
                vec![provider_token, env_key_file, env_token],
                "oauth-token",
                "the provider block's `token`",
                2,
            ),
            (
                "provider key (JSON) over env",
                vec![provider_key, env_token],
                "service-account-key",
                "the provider block's `service_account_key_file`",
                1,
            ),
            (
                "key file env over key JSON env",
                vec![env_key_file, env_key, env_token],
                "service-account-key",
                "YC_SERVICE_ACCOUNT_KEY_FILE",
                2,
            ),
            (
                "key JSON env over YC_TOKEN",
                vec![env_key, env_token],
                "service-account-key",
                "YC_SERVICE_ACCOUNT_KEY",
                1,
            ),
            (
                "YC_TOKEN over profile",
                vec![env_token, profile],
                "oauth-token",
                "YC_TOKEN",
                1,
            ),
            (
                "profile over metadata",
                vec![profile, metadata],
                "oauth-token",
                "the yc profile `default`",
                1,
            ),
            (
                "explicit metadata",
                vec![metadata],
                "metadata",
                "YC_METADATA_ADDR (127.0.0.1:1)",
                0,
            ),
            (
                "metadata on a Yandex VM",
                vec![vm],
                "metadata",
                "the VM metadata service",
                0,
            ),
            (
                "profile alone",
                vec![profile],
                "oauth-token",
                "the yc profile",
                0,
            ),
        ];
        for (name, setters, kind, origin, not_used) in table {
            let mut config = CredentialConfig::default();
            for set in setters {
                set(&mut config, dir.path());
            }
            let chosen = choose(&config);
            assert_eq!(chosen.source.kind(), kind, "{name}");
            assert!(
                chosen.origin.starts_with(origin),
                "{name}: {}",
                chosen.origin
            );
            assert_eq!(
                chosen.not_used.len(),
                not_used,
                "{name}: {:?}",
                chosen.not_used
            );
        }
    }

    #[test]
    fn tokens_are_classified_and_broken_sources_are_kept() {
        let table = [
            ("t1.9euelZq.abc", "iam-token"),
            ("y0_AgAAAAA", "oauth-token"),
            ("  t1.x  ", "iam-token"),
        ];
        for (token, kind) in table {
            let config = CredentialConfig {
                env_token: secret(token),
                ..CredentialConfig::default()
            };
            assert_eq!(choose(&config).source.kind(), kind, "{token}");
        }
        let config = CredentialConfig {
            env_key_file: Some(PathBuf::from("/nonexistent/key.json")),
            env_token: secret("y0_fallback"),
            ..CredentialConfig::default()
        };
        let chosen = choose(&config);
        match chosen.source {
            Source::Broken { kind, why } => {
                assert_eq!(kind, "service-account-key");
                assert!(why.contains("/nonexistent/key.json"), "{why}");
            }
            _ => panic!("a broken higher source must not fall through"),
        }
        let config = CredentialConfig {
            profile: Some(Err("config.yaml has no profile `x`".into())),
            ..CredentialConfig::default()
        };
        assert_eq!(choose(&config).source.kind(), "profile");
    }
}
