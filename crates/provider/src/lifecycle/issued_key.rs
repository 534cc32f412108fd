//! What the key types whose secret exists only in the create response share (API keys,
//! static access keys, authorized keys): revoking the keys an interrupted create made
//! but whose secret was never stored, and importing a key without its secret.

use serde_json::Value;

use ycprov_provider_sdk::pending::PendingCreate;
use ycprov_provider_sdk::rules::required_string;
use ycprov_provider_sdk::value::{Attrs, get, string};

use super::{Diagnostic, Outcome, YandexDiagnostic};
use crate::error::{Code, Error};
use crate::model::{AccessKey, ApiKey, AuthorizedKey};
use crate::validation::{self, Check};

/// A key as listed by the API.
pub(super) trait IssuedKey {
    /// Its id.
    fn id(&self) -> &str;
    /// When it was created, RFC3339.
    fn created_at(&self) -> &str;
}

impl IssuedKey for ApiKey {
    fn id(&self) -> &str {
        &self.id
    }
    fn created_at(&self) -> &str {
        &self.created_at
    }
}

impl IssuedKey for AccessKey {
    fn id(&self) -> &str {
        &self.id
    }
    fn created_at(&self) -> &str {
        &self.created_at
    }
}

impl IssuedKey for AuthorizedKey {
    fn id(&self) -> &str {
        &self.id
    }
    fn created_at(&self) -> &str {
        &self.created_at
    }
}

/// One key type's words and API calls.
pub(super) struct KeyKind<'a, K> {
    /// `API key`, `static access key`, `authorized key`.
    pub noun: &'static str,
    /// `secret` or `private key`.
    pub secret: &'static str,
    /// Lists the keys of a service account.
    pub list: &'a dyn Fn(&str) -> Result<Vec<K>, Error>,
    /// Deletes a key.
    pub delete: &'a dyn Fn(&str) -> Result<(), Error>,
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn article(noun: &str) -> &'static str {
    if noun.starts_with(['A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u']) {
        "An"
    } else {
        "A"
    }
}

/// A key the interrupted create made has a secret nobody stored, so it is useless and
/// must not linger: every key of the planned account that `matches` the plan, was
/// created since the create started and is not in the state is revoked, and the
/// instance is gone (a new key, whose secret is stored, will be created).
pub(super) fn revoke_lost<K: IssuedKey>(
    kind: &KeyKind<'_, K>,
    planned: &Attrs,
    pending: &PendingCreate,
    matches: impl Fn(&K) -> bool,
) -> Outcome {
    let Some(account) = string(planned, "service_account_id").filter(|id| !id.is_empty()) else {
        return Outcome::gone();
    };
    let noun = kind.noun;
    let keys = match (kind.list)(account) {
        Ok(keys) => keys,
        Err(error) if error.is(Code::NotFound) => return Outcome::gone(),
        Err(error) => {
            return Outcome::failed(
                Some(planned.clone()),
                Diagnostic::api_failure(
                    &format!(
                        "Cannot list the {noun}s of service account {account} to finish an interrupted apply"
                    ),
                    &error,
                ),
            );
        }
    };
    let mut revoked = Vec::new();
    for key in keys.iter().filter(|key| {
        !pending.is_known(key.id())
            && pending.may_have_created(key.created_at()) == Some(true)
            && matches(key)
    }) {
        match (kind.delete)(key.id()) {
            Ok(()) => revoked.push(key.id().to_owned()),
            Err(error) if error.is(Code::NotFound) => revoked.push(key.id().to_owned()),
            Err(error) => {
                return Outcome::failed(
                    Some(planned.clone()),
                    Diagnostic::api_failure(
                        &format!(
                            "Cannot revoke {noun} {} whose {} an interrupted apply lost",
                            key.id(),
                            kind.secret
                        ),
                        &error,
                    ),
                );
            }
        }
    }
    if revoked.is_empty() {
        return Outcome::gone();
    }
    Outcome::gone().with(Diagnostic::warning(
        format!("{} with a lost {} revoked", capitalised(noun), kind.secret),
        format!(
            "{} {noun} created by an interrupted apply was revoked because its {} was never stored; a new key will be created. Revoked: {}.",
            article(noun),
            kind.secret,
            revoked.join(", ")
        ),
    ))
}

/// The state of an imported key (`state`, its secret attribute `secret_attribute` null,
/// with a warning that the secret cannot be recovered), or why it cannot be imported.
pub(super) fn imported(
    noun: &str,
    secret: &str,
    secret_attribute: &str,
    id: &str,
    state: Result<Attrs, Error>,
) -> Outcome {
    match state {
        Ok(mut state) => {
            state.insert(secret_attribute.into(), Value::Null);
            Outcome::state(state).with(Diagnostic::warning(
                format!("The {noun} {secret} cannot be recovered"),
                format!("Yandex Cloud returns the {secret} of {noun} {id} only when it is created, so {secret_attribute} stays empty. Replace the key to get a new one."),
            ))
        }
        Err(error) if error.is(Code::NotFound) => Outcome::failed(
            None,
            Diagnostic::error(
                "Cannot import non-existent remote object",
                format!("No {noun} with id \"{id}\": {error}"),
            ),
        ),
        Err(error) => Outcome::failed(
            None,
            Diagnostic::api_failure(&format!("Cannot import {noun} {id}"), &error),
        ),
    }
}

/// The state of a key read again by id: the API's view (`read` turns the id into the
/// key's attributes) with `kept` copied from `state` (the secret and arguments the API
/// does not return) and `filled` taken from `state` where the API leaves them empty;
/// gone when the key is.
pub(super) fn refreshed(
    noun: &str,
    state: &Attrs,
    read: impl FnOnce(&str) -> Result<Attrs, Error>,
    kept: &[&str],
    filled: &[&str],
) -> Outcome {
    let id = match required_string(state, "id") {
        Ok(id) => id,
        Err(diagnostic) => return Outcome::failed(Some(state.clone()), diagnostic),
    };
    match read(id) {
        Ok(mut fresh) => {
            for name in kept {
                fresh.insert((*name).into(), get(state, name).clone());
            }
            for name in filled {
                if string(&fresh, name).is_some_and(str::is_empty) {
                    fresh.insert((*name).into(), get(state, name).clone());
                }
            }
            Outcome::state(fresh)
        }
        Err(error) if error.is(Code::NotFound) => Outcome::gone(),
        Err(error) => Outcome::failed(
            Some(state.clone()),
            Diagnostic::api_failure(&format!("Cannot read {noun} {id}"), &error),
        ),
    }
}

/// The checks every key type makes of its `service_account_id` and `description`.
pub(super) fn key_argument_checks(config: &Attrs) -> Vec<Check> {
    let mut checks = Vec::new();
    if let Some(account) = string(config, "service_account_id") {
        checks.push(validation::resource_id("service_account_id", account));
    }
    if let Some(description) = string(config, "description") {
        checks.push(validation::description("description", description));
    }
    checks
}
