//! Where a key type's secret goes: into the state as a sensitive value (the default),
//! encrypted to an OpenPGP key with `pgp_key`, or into Lockbox with `output_to_lockbox`,
//! as terraform-provider-yandex does.
//!
//! `pgp_key`: right after the create, the secret is encrypted (see [`crate::openpgp`]) into
//! the non-sensitive `encrypted_*` attribute, `key_fingerprint` names the key and the plain
//! secret stays null. The key is checked before the API is called, so a key whose secret
//! cannot be encrypted is never made.
//!
//! `output_to_lockbox`:
//! * Create, or the block added: AddVersion with the configured entries (based on the
//!   secret's current version, so its other entries carry over); the state keeps the
//!   version's id in `output_to_lockbox_version_id` and null for the secret.
//! * Block removed: the secret is read back from that version into the state, then the
//!   version is scheduled for destruction. Block changed: read back, written to the new
//!   place, the old version scheduled for destruction.
//! * Key deleted: its version is scheduled for destruction.
//!
//! When encrypting or writing fails after the key was made, the secret stays in the state
//! (and `pgp_key` or the block does not), so nothing is lost and the next apply replaces
//! the key or writes it again.

use serde_json::{Map, Value, json};

use ycprov_provider_sdk::has_errors;
use ycprov_provider_sdk::schema::{Attribute, OPTIONAL_STRING};
use ycprov_provider_sdk::value::{Attrs, get, string, unknown};

use super::failure::failed_checks;
use super::{Context, Diagnostic, Outcome, YandexContext, YandexDiagnostic};
use crate::error::Code;
use crate::lockbox::{Entry, EntryValue, check_entry_key};
use crate::openpgp::Recipient;
use crate::validation;

/// The `secret_id` attribute of every `output_to_lockbox` block.
pub(super) const SECRET_ID: Attribute = Attribute {
    name: "secret_id",
    required: true,
    optional: false,
    description: "The Lockbox secret to add the version to.",
    ..OPTIONAL_STRING
};

/// The `pgp_key` argument.
pub(super) const PGP_KEY: Attribute = Attribute {
    name: "pgp_key",
    force_new: true,
    description: "An OpenPGP public key, base64-encoded (`gpg --export <key id> | base64 -w0`) or ASCII-armored, to encrypt the secret to: the state then holds only the encrypted form. `keybase:` names are not supported (no network). Changing it replaces the key.",
    ..OPTIONAL_STRING
};

/// The computed `key_fingerprint` attribute, null without `pgp_key`.
pub(super) const KEY_FINGERPRINT: Attribute = Attribute {
    name: "key_fingerprint",
    optional: false,
    computed: true,
    description: "The fingerprint of the pgp_key the secret is encrypted to, lowercase hex; null without pgp_key.",
    ..OPTIONAL_STRING
};

/// A computed attribute holding the secret encrypted to `pgp_key` (`encrypted_secret_key`,
/// …): a binary OpenPGP message in base64 (`base64 -d | gpg --decrypt`); null without it.
pub(super) const fn encrypted(name: &'static str) -> Attribute {
    Attribute {
        name,
        optional: false,
        computed: true,
        description: "The secret encrypted to pgp_key: a binary OpenPGP message, base64-encoded (decrypt with `base64 -d | gpg --decrypt`); null without pgp_key.",
        ..OPTIONAL_STRING
    }
}

/// The computed `output_to_lockbox_version_id` attribute.
pub(super) const VERSION_ID: Attribute = Attribute {
    name: "output_to_lockbox_version_id",
    optional: false,
    computed: true,
    description: "The Lockbox version that holds the secret, with output_to_lockbox.",
    ..OPTIONAL_STRING
};

/// What one key type writes to Lockbox.
pub(super) struct SecretOutput {
    /// The block's entry fields and the attribute each one's value comes from, e.g.
    /// `("entry_for_secret_key", "secret_key")`.
    pub entries: &'static [(&'static str, &'static str)],
    /// The attributes kept out of the state while the block is set.
    pub secret_attributes: &'static [&'static str],
    /// Each secret attribute and the attribute its `pgp_key`-encrypted form goes to, e.g.
    /// `("secret_key", "encrypted_secret_key")`.
    pub encrypted: &'static [(&'static str, &'static str)],
}

fn block(attrs: &Attrs) -> Option<&Map<String, Value>> {
    get(attrs, "output_to_lockbox")
        .as_array()?
        .first()?
        .as_object()
}

fn field<'a>(block: &'a Map<String, Value>, name: &str) -> &'a str {
    block.get(name).and_then(Value::as_str).unwrap_or_default()
}

impl SecretOutput {
    /// Checks of where the secret goes: a `pgp_key` must be a public key that can encrypt
    /// (expiry is checked against the time of the create) and excludes
    /// `output_to_lockbox`; a configured block needs a valid secret id and distinct, valid
    /// entry keys.
    pub fn check(&self, config: &Attrs) -> Vec<Diagnostic> {
        let mut diagnostics = Vec::new();
        if let Some(text) = string(config, PGP_KEY.name) {
            if let Err(problem) = Recipient::parse(text, 0) {
                diagnostics.push(invalid_pgp_key(&problem));
            }
            if !get(config, "output_to_lockbox").is_null() {
                diagnostics.push(
                    Diagnostic::error(
                        "Conflicting arguments",
                        "\"pgp_key\" and \"output_to_lockbox\" cannot both be set: the secret is either encrypted into the state or written to Lockbox.",
                    )
                    .at(PGP_KEY.name),
                );
            }
        }
        let Some(block) = block(config) else {
            return diagnostics;
        };
        let path = |name: &str| format!("output_to_lockbox[0].{name}");
        let mut checks = Vec::new();
        if let Some(secret) = block.get("secret_id").and_then(Value::as_str) {
            checks.push(validation::resource_id(&path("secret_id"), secret));
        }
        let mut seen: Vec<&str> = Vec::new();
        for (name, _) in self.entries {
            if let Some(key) = block.get(*name).and_then(Value::as_str) {
                checks.push(check_entry_key(&path(name), key));
                if seen.contains(&key) {
                    checks.push(Err(validation::Invalid::new(
                        path(name),
                        format!("{key:?} is used for two values; each needs its own entry"),
                    )));
                }
                seen.push(key);
            }
        }
        diagnostics.extend(failed_checks(checks));
        diagnostics
    }

    /// Plans an in-place update: when the block changes, where the secret ends up and the
    /// version id are known only after the apply.
    pub fn plan_update(&self, prior: &Attrs, planned: &mut Attrs) {
        if block(prior) == block(planned) {
            return;
        }
        for name in self.secret_attributes.iter().chain(&[VERSION_ID.name]) {
            planned.insert((*name).into(), unknown());
        }
    }

    /// Writes the values to a new version of the block's secret; the version's id.
    fn write(
        &self,
        ctx: &Context<'_>,
        block: &Map<String, Value>,
        values: &[String],
    ) -> Result<String, Diagnostic> {
        let secret_id = field(block, "secret_id");
        let changes: Vec<Entry> = self
            .entries
            .iter()
            .zip(values)
            .map(|((name, _), value)| Entry {
                key: field(block, name).to_owned(),
                value: EntryValue::Text(value.clone()),
            })
            .collect();
        ctx.lockbox()
            .add_version(secret_id, "", &changes, None)
            .map(|version| version.id)
            .map_err(|error| {
                Diagnostic::api_failure(
                    &format!("Cannot write the key to Lockbox secret {secret_id}"),
                    &error,
                )
                .at("output_to_lockbox")
            })
    }

    /// Reads the values back from the version `prior` records.
    fn read_back(&self, ctx: &Context<'_>, prior: &Attrs) -> Result<Vec<String>, Diagnostic> {
        let block = block(prior).ok_or_else(|| {
            Diagnostic::error("Invalid state", "The state has no output_to_lockbox block.")
        })?;
        let secret_id = field(block, "secret_id");
        let version_id = string(prior, "output_to_lockbox_version_id").unwrap_or_default();
        let payload = ctx
            .lockbox()
            .get_payload(secret_id, Some(version_id))
            .map_err(|error| {
                Diagnostic::api_failure(
                    &format!("Cannot read the key back from version {version_id} of Lockbox secret {secret_id} (reading payloads needs lockbox.payloadViewer)"),
                    &error,
                )
                .at("output_to_lockbox")
            })?;
        self.entries
            .iter()
            .map(|(name, _)| {
                payload.text(field(block, name)).map(str::to_owned).ok_or_else(|| {
                    Diagnostic::error(
                        "Entry missing from Lockbox",
                        format!("Version {version_id} of Lockbox secret {secret_id} has no entry {:?}.", field(block, name)),
                    )
                    .at("output_to_lockbox")
                })
            })
            .collect()
    }

    /// The values from the state's attributes, which must all be known.
    fn values_in(&self, state: &Attrs) -> Result<Vec<String>, Diagnostic> {
        self.entries
            .iter()
            .map(|(_, attribute)| {
                string(state, attribute).filter(|v| !v.is_empty()).map(str::to_owned).ok_or_else(|| {
                    Diagnostic::error(
                        "Nothing to write to Lockbox",
                        format!("The state does not hold {attribute} (an imported key has no secret), so it cannot be written to Lockbox; replace the key to get a new one."),
                    )
                    .at("output_to_lockbox")
                })
            })
            .collect()
    }

    fn stored_in_lockbox(&self, state: &mut Attrs, version_id: String) {
        for attribute in self.secret_attributes {
            state.insert((*attribute).into(), Value::Null);
        }
        state.insert(VERSION_ID.name.into(), json!(version_id));
    }

    /// Before a create: the `pgp_key` recipient, checked against the current time, so
    /// that no key is made whose secret cannot be encrypted.
    pub fn recipient(
        &self,
        ctx: &Context<'_>,
        planned: &Attrs,
    ) -> Result<Option<Recipient>, Diagnostic> {
        let Some(text) = string(planned, PGP_KEY.name) else {
            return Ok(None);
        };
        let now_secs = u32::try_from(ctx.host.now_millis() / 1000).unwrap_or(u32::MAX);
        Recipient::parse(text, now_secs)
            .map(Some)
            .map_err(|problem| invalid_pgp_key(&problem))
    }

    /// The state's attributes for a key without `pgp_key` (imported or just read).
    pub fn unencrypted(&self, attrs: &mut Attrs) {
        for (_, encrypted) in self.encrypted {
            attrs.insert((*encrypted).into(), Value::Null);
        }
        attrs.insert(KEY_FINGERPRINT.name.into(), Value::Null);
    }

    /// The attributes a refresh keeps from the state: the API never returns them.
    pub fn kept(&self) -> Vec<&'static str> {
        let mut kept = self.secret_attributes.to_vec();
        kept.extend(self.encrypted.iter().map(|(_, encrypted)| *encrypted));
        kept.extend([
            PGP_KEY.name,
            KEY_FINGERPRINT.name,
            "output_to_lockbox",
            VERSION_ID.name,
        ]);
        kept
    }

    /// Encrypts the secret attributes to `recipient`; on failure the plain secret stays
    /// and `pgp_key` is unrecorded, so the next plan replaces the key.
    fn encrypt(&self, ctx: &Context<'_>, recipient: &Recipient, mut state: Attrs) -> Outcome {
        let mut sealed = Vec::new();
        for (plain, encrypted) in self.encrypted {
            let secret = string(&state, plain).unwrap_or_default();
            match recipient.encrypt(ctx.host, secret) {
                Ok(message) => sealed.push((*plain, *encrypted, message)),
                Err(problem) => {
                    state.insert(PGP_KEY.name.into(), Value::Null);
                    return Outcome::failed(
                        Some(state),
                        Diagnostic::error(
                            "Cannot encrypt the secret to pgp_key",
                            format!("The pgp_key {problem}. The secret is kept in the state as a sensitive value; the next apply replaces the key."),
                        )
                        .at(PGP_KEY.name),
                    );
                }
            }
        }
        for (plain, encrypted, message) in sealed {
            state.insert(plain.into(), Value::Null);
            state.insert(encrypted.into(), json!(message));
        }
        state.insert(KEY_FINGERPRINT.name.into(), json!(recipient.fingerprint()));
        Outcome::state(state)
    }

    /// After a create: encrypts the secret to `recipient`, or writes it to Lockbox when
    /// the block is set.
    pub fn after_create(
        &self,
        ctx: &Context<'_>,
        recipient: Option<&Recipient>,
        outcome: Outcome,
    ) -> Outcome {
        self.then(outcome, |mut state| {
            state.insert(VERSION_ID.name.into(), Value::Null);
            self.unencrypted(&mut state);
            if let Some(recipient) = recipient {
                return self.encrypt(ctx, recipient, state);
            }
            let Some(block) = block(&state).cloned() else {
                return Outcome::state(state);
            };
            let written = self
                .values_in(&state)
                .and_then(|values| self.write(ctx, &block, &values));
            match written {
                Ok(version) => {
                    self.stored_in_lockbox(&mut state, version);
                    Outcome::state(state)
                }
                Err(diagnostic) => {
                    state.insert("output_to_lockbox".into(), Value::Null);
                    Outcome::failed(Some(state), diagnostic)
                }
            }
        })
    }

    /// After an in-place update: moves the secret as the block's change asks.
    pub fn after_update(&self, ctx: &Context<'_>, prior: &Attrs, outcome: Outcome) -> Outcome {
        self.then(outcome, |mut state| {
            let before = block(prior).cloned();
            let after = block(&state).cloned();
            if before == after {
                return Outcome::state(state);
            }
            let values = match &before {
                Some(_) => self.read_back(ctx, prior),
                None => self.values_in(prior),
            };
            let values = match values {
                Ok(values) => values,
                Err(diagnostic) => return self.unmoved(state, prior, diagnostic),
            };
            match &after {
                Some(block) => match self.write(ctx, block, &values) {
                    Ok(version) => self.stored_in_lockbox(&mut state, version),
                    Err(diagnostic) => return self.unmoved(state, prior, diagnostic),
                },
                None => {
                    for ((_, attribute), value) in self.entries.iter().zip(&values) {
                        state.insert((*attribute).into(), json!(value));
                    }
                    state.insert(VERSION_ID.name.into(), Value::Null);
                }
            }
            let mut outcome = Outcome::state(state);
            if before.is_some()
                && let Some(warning) = destroy_version(ctx, prior)
            {
                outcome = outcome.with(warning);
            }
            outcome
        })
    }

    /// A failed move: the key's own change stands, the secret stays where `prior` has it.
    fn unmoved(&self, mut state: Attrs, prior: &Attrs, diagnostic: Diagnostic) -> Outcome {
        let kept = self
            .secret_attributes
            .iter()
            .chain(&["output_to_lockbox", VERSION_ID.name]);
        for name in kept {
            state.insert((*name).into(), get(prior, name).clone());
        }
        Outcome::failed(Some(state), diagnostic)
    }

    /// After the key is deleted: schedules its Lockbox version for destruction.
    pub fn after_delete(&self, ctx: &Context<'_>, prior: &Attrs, outcome: Outcome) -> Outcome {
        if outcome.state.is_some() || has_errors(&outcome.diagnostics) || block(prior).is_none() {
            return outcome;
        }
        match destroy_version(ctx, prior) {
            Some(warning) => outcome.with(warning),
            None => outcome,
        }
    }

    /// Runs `next` on the state of a successful outcome, keeping its diagnostics.
    fn then(&self, outcome: Outcome, next: impl FnOnce(Attrs) -> Outcome) -> Outcome {
        match outcome.state {
            Some(state) if !has_errors(&outcome.diagnostics) => {
                let mut result = next(state);
                let mut diagnostics = outcome.diagnostics;
                diagnostics.append(&mut result.diagnostics);
                result.diagnostics = diagnostics;
                result
            }
            _ => outcome,
        }
    }
}

fn invalid_pgp_key(problem: &str) -> Diagnostic {
    Diagnostic::error("Invalid pgp_key", format!("The pgp_key {problem}.")).at(PGP_KEY.name)
}

/// Schedules the version `prior` records for destruction; a warning when that fails
/// (the key's own change has happened).
fn destroy_version(ctx: &Context<'_>, prior: &Attrs) -> Option<Diagnostic> {
    let secret_id = field(block(prior)?, "secret_id").to_owned();
    let version_id = string(prior, VERSION_ID.name).filter(|v| !v.is_empty())?;
    match ctx
        .lockbox()
        .schedule_version_destruction(&secret_id, version_id)
    {
        Ok(()) => None,
        Err(error) if error.is(Code::NotFound) || error.is(Code::FailedPrecondition) => None,
        Err(error) => Some(Diagnostic::warning(
            "Lockbox version not scheduled for destruction",
            format!(
                "Version {version_id} of Lockbox secret {secret_id} still holds the old key: {error}. Schedule its destruction by hand."
            ),
        )),
    }
}
