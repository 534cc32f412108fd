//! `yandex_iam_service_account_api_key`: an API key of a service account, whose secret
//! exists only in the create response and is kept in the state as a sensitive value.

use serde_json::json;

use ycprov_provider_sdk::pending::PendingCreate;
use ycprov_provider_sdk::rules::{equivalent, is_checkable, required_string, settle};
use ycprov_provider_sdk::schema::{
    AttrType, Attribute, Equivalence, OPTIONAL_STRING, ResourceSchema,
};
use ycprov_provider_sdk::value::{Attrs, get, is_unknown, string, strings};

use super::failure::failed_checks;
use super::secret_output::{
    KEY_FINGERPRINT, PGP_KEY, SECRET_ID, SecretOutput, VERSION_ID, encrypted,
};

/// Where `output_to_lockbox` puts the secret.
const OUTPUT: SecretOutput = SecretOutput {
    entries: &[("entry_for_secret_key", "secret_key")],
    secret_attributes: &["secret_key"],
    encrypted: &[("secret_key", "encrypted_secret_key")],
};
use super::issued_key::{KeyKind, imported, key_argument_checks, refreshed, revoke_lost};
use super::{
    Context, Diagnostic, Outcome, Resource, Yandex, YandexContext, YandexDiagnostic, delete_by_id,
};
use crate::model::{ApiKey as Key, KeySpec, KeyUpdate};
use crate::scopes;
use crate::validation;
use ycprov_provider_sdk::timestamp;

/// The resource type.
pub struct ApiKey;

static SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "yandex_iam_service_account_api_key",
    version: 0,
    description: "An API key of a service account, e.g. for Yandex AI Studio. The secret is returned only when the key is created.",
    attributes: &[
        Attribute {
            name: "id",
            optional: false,
            computed: true,
            description: "The API key id.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "service_account_id",
            required: true,
            optional: false,
            force_new: true,
            description: "The service account the key belongs to. Changing it replaces the key.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "description",
            equivalence: Equivalence::EmptyIsNull,
            description: "A description, at most 256 characters. Changes in place.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "scopes",
            ty: AttrType::ListOfString,
            computed: true,
            equivalence: Equivalence::Set,
            description: "Scopes, e.g. `yc.ai.languageModels.execute`; 1-100, unique, compared as a set. When unset the API's default scopes apply. Change in place.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "scope",
            description: "Deprecated: use scopes. One scope; when scopes is unset the key gets exactly this scope, and when both are set it must be one of scopes. Kept as configured: the API's echo of it never shows as a change.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "expires_at",
            equivalence: Equivalence::Instant,
            description: "When the key expires, RFC3339 (e.g. `2030-12-31T00:00:00Z`); unset means never. Changes in place.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "created_at",
            optional: false,
            computed: true,
            description: "Creation time, RFC3339.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "masked_secret",
            optional: false,
            computed: true,
            description: "The secret as the API shows it afterwards (`****` and its last characters): a fingerprint to tell keys apart, not a secret.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "secret_key",
            optional: false,
            computed: true,
            sensitive: true,
            description: "The secret, use it as `Authorization: Api-Key <secret>`. Known only after create; empty for imported keys.",
            ..OPTIONAL_STRING
        },
        PGP_KEY,
        encrypted("encrypted_secret_key"),
        KEY_FINGERPRINT,
        Attribute {
            name: "output_to_lockbox",
            ty: AttrType::Blocks {
                attributes: &[
                    SECRET_ID,
                    Attribute {
                        name: "entry_for_secret_key",
                        required: true,
                        optional: false,
                        description: "The entry key that holds the secret.",
                        ..OPTIONAL_STRING
                    },
                ],
                max_items: 1,
            },
            description: "Write the secret to a new version of a Lockbox secret instead of the state (secret_key stays null). Changes in place.",
            ..OPTIONAL_STRING
        },
        VERSION_ID,
    ],
};

fn key_attrs(key: &Key) -> Attrs {
    let mut attrs = Attrs::new();
    attrs.insert("id".into(), json!(key.id));
    attrs.insert("service_account_id".into(), json!(key.service_account_id));
    attrs.insert("description".into(), json!(key.description));
    attrs.insert("scopes".into(), json!(key.scopes));
    attrs.insert("expires_at".into(), json!(key.expires_at));
    attrs.insert("created_at".into(), json!(key.created_at));
    attrs.insert("masked_secret".into(), json!(key.masked_secret));
    OUTPUT.unencrypted(&mut attrs);
    attrs
}

/// The scopes a configuration asks for: `scopes`, else the deprecated `scope` alone
/// (`None` when neither is set or known).
fn configured_scopes(config: &Attrs) -> Option<Vec<String>> {
    let scopes = get(config, "scopes");
    if !scopes.is_null() {
        return is_checkable(scopes, AttrType::ListOfString).then(|| strings(config, "scopes"));
    }
    string(config, "scope").map(|scope| vec![scope.to_owned()])
}

fn description_text(attrs: &Attrs) -> String {
    string(attrs, "description").unwrap_or_default().to_owned()
}

/// Whether an existing key looks like the one `planned` describes: the same description,
/// expiry and (when planned) scopes.
fn matches_plan(planned: &Attrs, key: &Key) -> bool {
    let planned_scopes = get(planned, "scopes");
    let scopes_match = !planned_scopes.is_array()
        || equivalent(Equivalence::Set, planned_scopes, &json!(key.scopes));
    let expiry_matches = match (string(planned, "expires_at"), key.expires_at.as_deref()) {
        (Some(planned), Some(actual)) => timestamp::same_instant(planned, actual),
        (None, None) => true,
        (None, Some(actual)) => actual.is_empty(),
        (Some(_), None) => false,
    };
    description_text(planned) == key.description && scopes_match && expiry_matches
}

/// Scopes the key would newly carry that the cloud does not offer (documented ones pass
/// without a call), with the closest known names; a warning when the list cannot be read.
fn check_scopes(ctx: &Context<'_>, prior: Option<&Attrs>, config: &Attrs) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    if !is_checkable(get(config, "scopes"), AttrType::ListOfString) {
        return diagnostics;
    }
    let requested = strings(config, "scopes");
    let held = prior.map(|p| strings(p, "scopes")).unwrap_or_default();
    let new: Vec<String> = requested
        .iter()
        .filter(|scope| !held.contains(scope))
        .cloned()
        .collect();
    let found = scopes::check(&ctx.iam(), &new);
    for (scope, closest) in found.unknown {
        let index = requested.iter().position(|s| *s == scope).unwrap_or(0);
        let hint = match closest.as_slice() {
            [] => String::new(),
            names => format!(" Did you mean {}?", names.join(", ")),
        };
        diagnostics.push(
            Diagnostic::error(
                "Unknown API key scope",
                format!("The cloud offers no scope {scope:?}.{hint} The cloud lists the scopes it offers at GET /iam/v1/apiKeyScopes."),
            )
            .at(format!("scopes[{index}]")),
        );
    }
    if let Some(why) = found.unavailable {
        diagnostics.push(
            Diagnostic::warning(
                "Scopes not checked",
                format!("The cloud's list of API key scopes could not be read ({why}); scopes outside the documented list are passed to the API unchecked."),
            )
            .at("scopes"),
        );
    }
    diagnostics
}

impl Resource<Yandex> for ApiKey {
    fn schema(&self) -> &'static ResourceSchema {
        &SCHEMA
    }

    fn check(&self, config: &Attrs) -> Vec<Diagnostic> {
        let mut diagnostics = OUTPUT.check(config);
        if let Some(scope) = string(config, "scope") {
            diagnostics.push(
                Diagnostic::warning(
                    "Argument is deprecated",
                    format!("scope is deprecated in favour of scopes; write scopes = [\"{scope}\"] instead."),
                )
                .at("scope"),
            );
            let scopes = get(config, "scopes");
            if is_checkable(scopes, AttrType::ListOfString)
                && !scopes.is_null()
                && !strings(config, "scopes").iter().any(|s| s == scope)
            {
                diagnostics.push(
                    Diagnostic::error(
                        "Conflicting scope and scopes",
                        format!("The API adds scope to scopes, so the key would not have the scopes configured: add \"{scope}\" to scopes, or remove scope."),
                    )
                    .at("scope"),
                );
            }
        }
        let mut checks = Vec::new();
        if let Some(scope) = string(config, "scope") {
            checks.push(validation::scopes("scope", [scope], false));
        }
        checks.extend(key_argument_checks(config));
        if is_checkable(get(config, "scopes"), AttrType::ListOfString) {
            let scopes = strings(config, "scopes");
            checks.push(validation::scopes(
                "scopes",
                scopes.iter().map(String::as_str),
                false,
            ));
        }
        if let Some(expires_at) = string(config, "expires_at") {
            checks.push(validation::expires_at("expires_at", expires_at));
        }
        diagnostics.extend(failed_checks(checks));
        diagnostics
    }

    fn check_with_cloud(
        &self,
        ctx: &Context<'_>,
        prior: Option<&Attrs>,
        config: &Attrs,
    ) -> Vec<Diagnostic> {
        let mut diagnostics = Vec::new();
        let prior_expiry = prior.and_then(|p| string(p, "expires_at"));
        if let Some(expires_at) = string(config, "expires_at")
            && !prior_expiry.is_some_and(|p| timestamp::same_instant(p, expires_at))
            && let Err(invalid) =
                validation::future_expiry("expires_at", expires_at, ctx.host.now_millis())
        {
            diagnostics.push(Diagnostic::invalid(invalid));
        }
        diagnostics.extend(check_scopes(ctx, prior, config));
        diagnostics
    }

    fn validate_with_cloud(&self, ctx: &Context<'_>, config: &Attrs) -> Vec<Diagnostic> {
        check_scopes(ctx, None, config)
    }

    fn plan_defaults(
        &self,
        _ctx: &Context<'_>,
        config: &Attrs,
        planned: &mut Attrs,
        _diagnostics: &mut Vec<Diagnostic>,
    ) {
        if let Some(scopes) = configured_scopes(config) {
            planned.insert("scopes".into(), json!(scopes));
        }
    }

    fn plan_update_values(
        &self,
        _ctx: &Context<'_>,
        prior: &Attrs,
        config: &Attrs,
        planned: &mut Attrs,
        _diagnostics: &mut Vec<Diagnostic>,
    ) {
        OUTPUT.plan_update(prior, planned);
        if get(config, "scopes").is_null()
            && let Some(scopes) = configured_scopes(config)
        {
            planned.insert("scopes".into(), json!(scopes));
        }
    }

    fn create(&self, ctx: &Context<'_>, planned: &Attrs) -> Outcome {
        if let Some(diagnostic) = self.check(planned).into_iter().find(Diagnostic::is_error) {
            return Outcome::failed(None, diagnostic);
        }
        let recipient = match OUTPUT.recipient(ctx, planned) {
            Ok(recipient) => recipient,
            Err(diagnostic) => return Outcome::failed(None, diagnostic),
        };
        let planned_scopes = get(planned, "scopes");
        let spec = KeySpec {
            service_account_id: string(planned, "service_account_id")
                .unwrap_or_default()
                .to_owned(),
            description: string(planned, "description").map(str::to_owned),
            scopes: if is_unknown(planned_scopes) {
                Vec::new()
            } else {
                strings(planned, "scopes")
            },
            expires_at: string(planned, "expires_at").map(str::to_owned),
            scope: string(planned, "scope").map(str::to_owned),
        };
        let created = match ctx.iam().create_key(&spec) {
            Ok(created) => created,
            Err(error) => {
                return Outcome::failed(
                    None,
                    Diagnostic::api_failure(
                        &format!(
                            "Cannot create an API key for service account {}",
                            spec.service_account_id
                        ),
                        &error,
                    ),
                );
            }
        };
        let mut observed = key_attrs(&created.key);
        observed.insert("secret_key".into(), json!(created.secret));
        let mut outcome = OUTPUT.after_create(
            ctx,
            recipient.as_ref(),
            Outcome::state(settle(&SCHEMA, planned, &observed)),
        );
        let returned_scopes = get(&observed, "scopes");
        if !is_unknown(planned_scopes)
            && !equivalent(Equivalence::Set, planned_scopes, returned_scopes)
        {
            outcome = outcome.with(Diagnostic::warning(
                "API key scopes differ from the configuration",
                format!("Yandex Cloud reports the scopes {returned_scopes} for key {}; the next refresh will show them.", created.key.id),
            ));
        }
        outcome
    }

    fn update(&self, ctx: &Context<'_>, prior: &Attrs, planned: &Attrs) -> Outcome {
        let id = match required_string(prior, "id") {
            Ok(id) => id,
            Err(diagnostic) => return Outcome::failed(Some(prior.clone()), diagnostic),
        };
        let mut update = KeyUpdate::default();
        if description_text(planned) != description_text(prior) {
            update.description = Some(description_text(planned));
        }
        let planned_scopes = get(planned, "scopes");
        if planned_scopes.is_array()
            && !equivalent(Equivalence::Set, get(prior, "scopes"), planned_scopes)
        {
            update.scopes = Some(strings(planned, "scopes"));
        }
        let expiry_changed = match (string(prior, "expires_at"), string(planned, "expires_at")) {
            (Some(before), Some(after)) => !timestamp::same_instant(before, after),
            (before, after) => before.is_some() != after.is_some(),
        };
        if expiry_changed {
            update.expires_at = Some(string(planned, "expires_at").unwrap_or_default().to_owned());
        }
        if update.is_empty() {
            let outcome = Outcome::state(settle(&SCHEMA, planned, prior));
            return OUTPUT.after_update(ctx, prior, outcome);
        }
        match ctx.iam().update_key(id, &update) {
            Ok(key) => {
                let mut observed = key_attrs(&key);
                for kept in ["secret_key", VERSION_ID.name] {
                    observed.insert(kept.into(), get(prior, kept).clone());
                }
                if key.created_at.is_empty() {
                    observed.insert("created_at".into(), get(prior, "created_at").clone());
                }
                let outcome = Outcome::state(settle(&SCHEMA, planned, &observed));
                OUTPUT.after_update(ctx, prior, outcome)
            }
            Err(error) => Outcome::failed(
                Some(prior.clone()),
                Diagnostic::api_failure(&format!("Cannot update API key {id}"), &error),
            ),
        }
    }

    fn delete(&self, ctx: &Context<'_>, prior: &Attrs) -> Outcome {
        let outcome = delete_by_id(prior, "API key", |id| ctx.iam().delete_key(id));
        OUTPUT.after_delete(ctx, prior, outcome)
    }

    fn read(&self, ctx: &Context<'_>, state: &Attrs) -> Outcome {
        refreshed(
            "API key",
            state,
            |id| ctx.iam().get_key(id).map(|key| key_attrs(&key)),
            &[OUTPUT.kept(), vec!["scope"]].concat(),
            &["service_account_id", "created_at"],
        )
    }

    /// Revokes the keys an interrupted create made whose secret was never stored
    /// (see [`revoke_lost`]).
    fn resolve_pending(
        &self,
        ctx: &Context<'_>,
        planned: &Attrs,
        pending: &PendingCreate,
    ) -> Outcome {
        let iam = ctx.iam();
        let kind = KeyKind {
            noun: "API key",
            secret: "secret",
            list: &|account| iam.list_keys(account),
            delete: &|id| iam.delete_key(id),
        };
        revoke_lost(&kind, planned, pending, |key| matches_plan(planned, key))
    }

    fn import(&self, ctx: &Context<'_>, id: &str) -> Outcome {
        let state = ctx.iam().get_key(id).map(|key| key_attrs(&key));
        imported("API key", "secret", "secret_key", id, state)
    }
}
