//! `ycprov ai-studio key create`: the console's one-click AI Studio API key in one command.
//!
//! It checks the scopes, creates (or reuses) a service account, grants the preset's roles in
//! one batched binding update, creates the key, and delivers the secret before anything
//! else can fail. The roles and scopes are data (`host/presets/ai-studio.toml`).

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rand::Rng;
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::bindings::iam::{
    AccessBinding, AccountSpec, BindingAction, BindingDelta, KeySpec, ServiceAccount, Subject,
};
use crate::cli::{AiStudioKeyArgs, KeyFormat};
use crate::failure::{CommandFailure, Exit};
use crate::imperative::call_iam;
use ycprov_runtime::Runtime;

const PRESETS_TEXT: &str = include_str!("../presets/ai-studio.toml");

/// The preset file: named presets and which one is the default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Presets {
    /// The preset used when none is named.
    pub default: String,
    /// The presets by name.
    pub presets: BTreeMap<String, Preset>,
}

/// The roles and scopes of one preset.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    /// What it is for.
    pub description: String,
    /// Folder roles the service account gets.
    pub roles: Vec<String>,
    /// Scopes the API key carries.
    pub scopes: Vec<String>,
}

/// The presets shipped with ycprov.
pub fn presets() -> Presets {
    toml::from_str(PRESETS_TEXT).expect("host/presets/ai-studio.toml is valid")
}

/// What the command made, in the shape AI Studio clients take.
struct Outcome {
    folder_id: String,
    account: ServiceAccount,
    roles: Vec<String>,
    key_id: String,
    scopes: Vec<String>,
    expires_at: Option<String>,
    secret: String,
}

/// Runs `ycprov ai-studio key create`.
pub fn create_key(runtime: &Runtime, args: AiStudioKeyArgs, out: &mut impl Write) -> Result<()> {
    let presets = presets();
    let Some(preset) = presets.presets.get(&args.preset) else {
        let names: Vec<&str> = presets.presets.keys().map(String::as_str).collect();
        return Err(usage(format!(
            "--preset {:?} is not one of {}",
            args.preset,
            names.join(", ")
        )));
    };
    let roles = if args.roles.is_empty() {
        preset.roles.clone()
    } else {
        args.roles.clone()
    };
    let scopes = if args.scopes.is_empty() {
        preset.scopes.clone()
    } else {
        args.scopes.clone()
    };
    let default_folder = crate::yandex::credentials_of(runtime).and_then(|c| c.folder_id.clone());
    let folder_id = args.folder_id.clone().or(default_folder).ok_or_else(|| {
        usage("no folder: pass --folder-id, or set YC_FOLDER_ID or the yc profile's folder-id")
    })?;
    let expires_at = match (&args.expires_in, &args.expires_at) {
        (Some(duration), _) => Some(expiry_after(duration, OffsetDateTime::now_utc())?),
        (None, at) => at.clone(),
    };
    let description = args
        .description
        .clone()
        .unwrap_or_else(|| format!("AI Studio access ({}), made by ycprov", args.preset));
    let sink = Sink::open(args.out.as_deref(), args.format)?;

    let unknown = call_iam(runtime, "checking the scopes", |s, iam| {
        iam.call_check_scopes(s, &scopes)
    })?;
    if !unknown.is_empty() {
        let lines: Vec<String> = unknown
            .iter()
            .map(|u| match u.closest.as_slice() {
                [] => format!("  {}: not offered by the cloud", u.scope),
                names => format!(
                    "  {}: not offered by the cloud; did you mean {}?",
                    u.scope,
                    names.join(", ")
                ),
            })
            .collect();
        return Err(CommandFailure {
            message: format!(
                "unknown API key scope; nothing was created:\n{}",
                lines.join("\n")
            ),
            exit: Exit::InvalidInput,
        }
        .into());
    }

    let account = account(runtime, &args, &folder_id, &description)?;
    let progress = |error: anyhow::Error| {
        let rerun = match &args.service_account_id {
            Some(id) => format!("--service-account-id {id}"),
            None => format!("--name {}", account.name),
        };
        error.context(format!(
            "service account {} ({}) exists in folder {folder_id}; run the command again with {rerun} to complete it",
            account.name, account.id
        ))
    };
    let subject = Subject {
        kind: "serviceAccount".into(),
        id: account.id.clone(),
    };
    let deltas: Vec<BindingDelta> = roles
        .iter()
        .map(|role| BindingDelta {
            action: BindingAction::Add,
            binding: AccessBinding {
                role_id: role.clone(),
                subject: subject.clone(),
            },
        })
        .collect();
    call_iam(runtime, "granting the roles", |s, iam| {
        iam.call_update_folder_bindings(s, &folder_id, &deltas)
    })
    .map_err(progress)?;
    let spec = KeySpec {
        service_account_id: account.id.clone(),
        description: Some(description),
        scopes: scopes.clone(),
        expires_at: expires_at.clone(),
    };
    let created = call_iam(runtime, "creating the API key", |s, iam| {
        iam.call_create_key(s, &spec)
    })
    .map_err(progress)?;
    let outcome = Outcome {
        folder_id,
        account,
        roles,
        key_id: created.key.id.clone(),
        scopes: created.key.scopes.clone(),
        expires_at: created.key.expires_at.clone().or(expires_at),
        secret: created.secret,
    };
    sink.deliver(&outcome, out)
}

/// The account to give the key: the one named by `--service-account-id`, the one an
/// earlier run of the same `--name` made, or a new one.
fn account(
    runtime: &Runtime,
    args: &AiStudioKeyArgs,
    folder_id: &str,
    description: &str,
) -> Result<ServiceAccount> {
    if let Some(id) = &args.service_account_id {
        return call_iam(runtime, "reading the service account", |s, iam| {
            iam.call_get_account(s, id)
        });
    }
    if let Some(name) = &args.name {
        let existing = call_iam(runtime, "looking up the service account", |s, iam| {
            iam.call_find_account_by_name(s, folder_id, name)
        })?;
        if let Some(account) = existing {
            eprintln!(
                "Reusing service account {} ({}) from an earlier run.",
                account.name, account.id
            );
            return Ok(account);
        }
    }
    let spec = AccountSpec {
        folder_id: folder_id.to_string(),
        name: args.name.clone().unwrap_or_else(generated_name),
        description: Some(description.to_string()),
        labels: vec![("made-by".into(), "ycprov-ai-studio".into())],
    };
    call_iam(runtime, "creating the service account", |s, iam| {
        iam.call_create_account(s, &spec)
    })
}

/// `ai-studio-` and eight random lower-case letters and digits: a valid account name.
fn generated_name() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let suffix: String = (0..8)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("ai-studio-{suffix}")
}

/// The RFC3339 time `duration` (`90d`, `12h`, `30m`, `2w`) after `now`.
pub fn expiry_after(duration: &str, now: OffsetDateTime) -> Result<String> {
    let bad = || {
        usage(format!(
            "--expires-in {duration:?} is not a duration such as 90d, 12h, 30m or 2w"
        ))
    };
    let split = duration
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(bad)?;
    let (count, unit) = duration.split_at(split);
    let count: i64 = count.parse().map_err(|_| bad())?;
    let seconds_per_unit = match unit {
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(bad()),
    };
    let seconds = count
        .checked_mul(seconds_per_unit)
        .filter(|s| (60..=100 * 365 * 86_400).contains(s))
        .ok_or_else(|| {
            usage(format!(
                "--expires-in {duration:?} must be from 1m to 100 years"
            ))
        })?;
    let at = now + time::Duration::seconds(seconds);
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .format(&Rfc3339)
        .context("formatting the expiry")
}

fn usage(message: impl Into<String>) -> anyhow::Error {
    CommandFailure {
        message: message.into(),
        exit: Exit::Usage,
    }
    .into()
}

/// Where the result goes: stdout, or a new private file opened before anything is
/// created, so that writing the secret cannot fail for a reason found too late.
struct Sink {
    format: KeyFormat,
    file: Option<(PathBuf, File)>,
}

impl Sink {
    fn open(path: Option<&Path>, format: KeyFormat) -> Result<Sink> {
        let file = match path {
            None => None,
            Some(path) => {
                let file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .map_err(|e| {
                        usage(format!(
                            "--out {}: cannot create it ({e}); name a file that does not exist yet",
                            path.display()
                        ))
                    })?;
                Some((path.to_path_buf(), file))
            }
        };
        Ok(Sink { format, file })
    }

    /// Writes the result: the secret first, to its destination; then the summary.
    fn deliver(mut self, outcome: &Outcome, out: &mut impl Write) -> Result<()> {
        let text = render(outcome, self.format);
        match self.file.take() {
            Some((path, mut file)) => {
                file.write_all(text.as_bytes())
                    .and_then(|()| file.sync_all())
                    .with_context(|| format!("writing the secret to {}", path.display()))?;
                writeln!(
                    out,
                    "Service account {} ({}) in folder {} has roles {}.\nAPI key {} (scopes {}); its secret is in {} (mode 0600).",
                    outcome.account.name,
                    outcome.account.id,
                    outcome.folder_id,
                    outcome.roles.join(", "),
                    outcome.key_id,
                    outcome.scopes.join(", "),
                    path.display()
                )?;
            }
            None => {
                out.write_all(text.as_bytes())?;
                out.flush()?;
            }
        }
        Ok(())
    }
}

/// A file opened for a result that never came is removed.
impl Drop for Sink {
    fn drop(&mut self) {
        if let Some((path, _)) = self.file.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn render(outcome: &Outcome, format: KeyFormat) -> String {
    match format {
        KeyFormat::Env => format!(
            "YC_API_KEY={}\nYC_API_KEY_ID={}\nYC_FOLDER_ID={}\nYC_SERVICE_ACCOUNT_ID={}\n",
            outcome.secret, outcome.key_id, outcome.folder_id, outcome.account.id
        ),
        KeyFormat::Json => {
            let value = json_of(outcome);
            format!(
                "{}\n",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            )
        }
        KeyFormat::Text => {
            let expires = outcome.expires_at.as_deref().unwrap_or("never");
            format!(
                "folder_id: {}\nservice_account_id: {}\nservice_account_name: {}\nroles: {}\napi_key_id: {}\nscopes: {}\nexpires_at: {expires}\nsecret: {}\n# The secret is shown once: store it now.\n",
                outcome.folder_id,
                outcome.account.id,
                outcome.account.name,
                outcome.roles.join(", "),
                outcome.key_id,
                outcome.scopes.join(", "),
                outcome.secret
            )
        }
    }
}

fn json_of(outcome: &Outcome) -> Value {
    json!({
        "folder_id": outcome.folder_id,
        "service_account_id": outcome.account.id,
        "service_account_name": outcome.account.name,
        "roles": outcome.roles,
        "api_key_id": outcome.key_id,
        "scopes": outcome.scopes,
        "expires_at": outcome.expires_at,
        "secret": outcome.secret,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::bail;
    use time::macros::datetime;

    /// Refuses a preset file whose presets are empty or whose default is missing.
    fn check_presets(presets: &Presets) -> Result<()> {
        if !presets.presets.contains_key(&presets.default) {
            bail!("the default preset {:?} is not defined", presets.default);
        }
        for (name, preset) in &presets.presets {
            if preset.roles.is_empty() || preset.scopes.is_empty() {
                bail!("preset {name:?} needs at least one role and one scope");
            }
        }
        Ok(())
    }

    #[test]
    fn the_shipped_presets_are_complete() {
        let presets = presets();
        check_presets(&presets).unwrap();
        let all = &presets.presets["all-services"];
        assert_eq!(all.roles.len(), 5);
        assert_eq!(all.scopes.len(), 9);
        assert_eq!(
            presets.presets["language-models"].roles,
            ["ai.languageModels.user"]
        );
    }

    #[test]
    fn expiry_durations() {
        let now = datetime!(2026-12-02 10:00:00.5 UTC);
        let cases = [
            ("90d", Some("2027-03-02T10:00:00Z")),
            ("12h", Some("2026-12-02T22:00:00Z")),
            ("30m", Some("2026-12-02T10:30:00Z")),
            ("2w", Some("2026-12-16T10:00:00Z")),
            ("0d", None),
            ("90", None),
            ("d", None),
            ("5y", None),
            ("99999999999999d", None),
        ];
        for (text, want) in cases {
            assert_eq!(expiry_after(text, now).ok().as_deref(), want, "{text}");
        }
        let names: Vec<String> = (0..20).map(|_| generated_name()).collect();
        assert!(
            names
                .iter()
                .all(|n| n.len() == 18 && n.starts_with("ai-studio-"))
        );
    }
}
