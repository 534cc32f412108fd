//! `ycprov auth status`: which source is in use, as whom, and until when — never a secret.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;

use super::{Credential, CredentialConfig};
use crate::cli::{Format, GlobalArgs};
use crate::failure::Exit;

/// What `auth status` reports.
#[derive(Serialize, Debug)]
pub struct AuthStatus {
    /// `iam-token`, `oauth-token`, `service-account-key`, `metadata` or `none`.
    pub source: &'static str,
    /// Where it came from (`YC_TOKEN`, a file, a profile), or `None` without a credential.
    pub origin: Option<String>,
    /// The subject id, when the host knows it (the service account of an authorized key).
    pub subject_id: Option<String>,
    /// Until when the current token is valid (RFC3339), when known.
    pub expires_at: Option<String>,
    /// The default cloud (`YC_CLOUD_ID` or the profile).
    pub cloud_id: Option<String>,
    /// The default folder (`YC_FOLDER_ID` or the profile).
    pub folder_id: Option<String>,
    /// Configured sources that lost to a higher-precedence one.
    pub not_used: Vec<String>,
    /// Why no token could be had.
    pub error: Option<String>,
}

impl AuthStatus {
    /// Fetches a token (exchanging or asking the metadata service as needed) and describes
    /// the credential.
    pub fn of(credential: &Credential, config: &CredentialConfig) -> AuthStatus {
        let fetched = credential.token();
        let none = credential.source_name() == "none"
            || matches!(fetched, Ok(None)) && credential.source_name() == "metadata";
        let error = match &fetched {
            Err(error) => Some(error.to_string()),
            Ok(None) => Some(credential.unauthenticated_hint()),
            Ok(Some(_)) => None,
        };
        AuthStatus {
            source: if none {
                "none"
            } else {
                credential.source_name()
            },
            origin: (!none).then(|| credential.origin().to_string()),
            subject_id: credential.subject_id(),
            expires_at: credential
                .expires_at()
                .and_then(|at| at.format(&Rfc3339).ok()),
            cloud_id: config.default_cloud_id(),
            folder_id: config.default_folder_id(),
            not_used: credential.not_used().to_vec(),
            error,
        }
    }

    /// The human-readable form.
    pub fn to_text(&self, credential: &Credential) -> String {
        let mut lines = Vec::new();
        if self.source == "none" {
            lines.push("credential:  none".to_string());
        } else {
            lines.push(format!("credential:  {}", credential.describe()));
            lines.push(format!("source:      {}", self.source));
            lines.push(format!(
                "subject:     {}",
                match (&self.subject_id, self.source) {
                    (Some(id), _) => format!("{id} (service account)"),
                    (None, "iam-token") =>
                        "unknown (a ready IAM token does not say whose it is)".to_string(),
                    (None, _) =>
                        "unknown (the token service does not say whose token it is)".to_string(),
                }
            ));
            let valid_until = match (&self.expires_at, self.source) {
                (Some(at), _) => at.clone(),
                (None, "iam-token") => {
                    "unknown (a ready IAM token; IAM tokens live at most 12 hours)".to_string()
                }
                (None, _) => "no token".to_string(),
            };
            lines.push(format!("valid until: {valid_until}"));
        }
        for (name, value) in [("cloud:", &self.cloud_id), ("folder:", &self.folder_id)] {
            if let Some(value) = value {
                lines.push(format!("{name:<12} {value}"));
            }
        }
        for origin in &self.not_used {
            lines.push(format!(
                "not used:    {origin} (a higher-precedence source is set)"
            ));
        }
        if let Some(error) = &self.error {
            lines.push(format!("error:       {error}"));
        }
        lines.push(String::new());
        lines.join("\n")
    }
}

/// Runs `ycprov auth status`: prints the status; exit 0 with a usable token, 6 without.
pub fn run(global: &GlobalArgs, format: Format, out: &mut impl Write) -> Result<u8> {
    let config = CredentialConfig::from_global(global);
    let credential = Credential::resolve(&config);
    let status = AuthStatus::of(&credential, &config);
    let text = match format {
        Format::Json => format!("{}\n", serde_json::to_string_pretty(&status)?),
        Format::Text => status.to_text(&credential),
    };
    let text = crate::redact::redact(&text, &credential.secrets());
    out.write_all(text.as_bytes())?;
    Ok(if status.error.is_some() {
        Exit::Unauthorized as u8
    } else {
        Exit::Ok as u8
    })
}
