//! Where the host's Yandex Cloud credential comes from, and the token it yields.
//!
//! The provider component never sees a token: the HTTP capability asks the
//! credential for one and attaches it to allowed requests itself.

use secrecy::{ExposeSecret, SecretString};

/// The credential the host authenticates with.
pub enum Credential {
    /// A ready IAM token (`--token` or `YC_IAM_TOKEN`).
    IamToken {
        /// The token; never printed.
        token: SecretString,
        /// Which flag or variable it came from, for `auth status` and errors.
        origin: &'static str,
    },
    /// No credential was configured: requests go out unauthenticated.
    None,
}

impl Credential {
    /// Chooses the credential from a `--token` flag value and the environment.
    pub fn from_sources(flag_token: Option<String>, env_token: Option<String>) -> Credential {
        match (flag_token, env_token) {
            (Some(token), _) if !token.is_empty() => Credential::IamToken {
                token: token.into(),
                origin: "--token",
            },
            (_, Some(token)) if !token.is_empty() => Credential::IamToken {
                token: token.into(),
                origin: "YC_IAM_TOKEN",
            },
            _ => Credential::None,
        }
    }

    /// The `Authorization` header value for API calls, if there is a credential.
    pub fn authorization(&self) -> Option<String> {
        match self {
            Credential::IamToken { token, .. } => Some(format!("Bearer {}", token.expose_secret())),
            Credential::None => None,
        }
    }

    /// A short name of the source, as the `credentials` import reports it.
    pub fn source_name(&self) -> &'static str {
        match self {
            Credential::IamToken { .. } => "iam-token",
            Credential::None => "none",
        }
    }

    /// Where the credential was found, for humans.
    pub fn describe(&self) -> String {
        match self {
            Credential::IamToken { origin, .. } => format!("IAM token from {origin}"),
            Credential::None => "no credential".to_string(),
        }
    }

    /// The hint to print when the API says the caller is unauthenticated.
    pub fn unauthenticated_hint(&self) -> String {
        match self {
            Credential::None => {
                "no credential was found: set YC_IAM_TOKEN or pass --token".to_string()
            }
            other => format!(
                "the {} was rejected: it may have expired (IAM tokens live at most 12 hours)",
                other.describe()
            ),
        }
    }

    /// Every secret this credential holds, for redacting host-side messages.
    pub fn secrets(&self) -> Vec<String> {
        match self {
            Credential::IamToken { token, .. } => vec![token.expose_secret().to_string()],
            Credential::None => Vec::new(),
        }
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_wins_over_environment_and_nothing_leaks() {
        let cred = Credential::from_sources(Some("t1.flag".into()), Some("t1.env".into()));
        assert_eq!(cred.authorization().as_deref(), Some("Bearer t1.flag"));
        assert_eq!(format!("{cred:?}"), "IAM token from --token");
        let cred = Credential::from_sources(None, Some("t1.env".into()));
        assert_eq!(cred.describe(), "IAM token from YC_IAM_TOKEN");
        assert!(matches!(
            Credential::from_sources(Some(String::new()), None),
            Credential::None
        ));
    }
}
