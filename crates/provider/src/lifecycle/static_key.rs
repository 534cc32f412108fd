//! `yandex_iam_service_account_static_access_key`: a static access key of a service account
//! for the S3-compatible APIs (Object Storage). The secret exists only in the create
//! response and is kept in the state as a sensitive value; a key whose secret an
//! interrupted apply lost is revoked and replaced, as for API keys.

use serde_json::json;

use ycprov_provider_sdk::pending::PendingCreate;
use ycprov_provider_sdk::rules::settle;
use ycprov_provider_sdk::schema::{Attribute, Equivalence, OPTIONAL_STRING, ResourceSchema};
use ycprov_provider_sdk::value::{Attrs, string};

use super::failure::failed_checks;
use super::issued_key::{KeyKind, imported, key_argument_checks, refreshed, revoke_lost};
use super::secret_output::{
    KEY_FINGERPRINT, PGP_KEY, SECRET_ID, SecretOutput, VERSION_ID, encrypted,
};
use super::{
    Context, Diagnostic, Outcome, Resource, Yandex, YandexContext, YandexDiagnostic, delete_by_id,
};
use crate::model::AccessKey;

/// The resource type.
pub struct StaticAccessKey;

/// Where `output_to_lockbox` puts the key (the key id stays in the state as well).
const OUTPUT: SecretOutput = SecretOutput {
    entries: &[
        ("entry_for_access_key", "access_key"),
        ("entry_for_secret_key", "secret_key"),
    ],
    secret_attributes: &["secret_key"],
    encrypted: &[("secret_key", "encrypted_secret_key")],
};

static SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "yandex_iam_service_account_static_access_key",
    version: 0,
    description: "A static access key of a service account for the S3-compatible APIs (Object Storage). The secret is returned only when the key is created.",
    attributes: &[
        Attribute {
            name: "id",
            optional: false,
            computed: true,
            description: "The key's resource id.",
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
            force_new: true,
            equivalence: Equivalence::EmptyIsNull,
            description: "A description, at most 256 characters. Changing it replaces the key.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "access_key",
            optional: false,
            computed: true,
            description: "The key id S3 clients send (`YCAJ…`); not secret.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "secret_key",
            optional: false,
            computed: true,
            sensitive: true,
            description: "The secret S3 clients sign with. Known only after create; empty for imported keys.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "created_at",
            optional: false,
            computed: true,
            description: "Creation time, RFC3339.",
            ..OPTIONAL_STRING
        },
        PGP_KEY,
        encrypted("encrypted_secret_key"),
        KEY_FINGERPRINT,
        Attribute {
            name: "output_to_lockbox",
            ty: ycprov_provider_sdk::AttrType::Blocks {
                attributes: &[
                    SECRET_ID,
                    Attribute {
                        name: "entry_for_access_key",
                        required: true,
                        optional: false,
                        description: "The entry key that holds the key id (access_key).",
                        ..OPTIONAL_STRING
                    },
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
            description: "Write the key to a new version of a Lockbox secret instead of the state (secret_key stays null). Changes in place.",
            ..OPTIONAL_STRING
        },
        VERSION_ID,
    ],
};

fn key_attrs(key: &AccessKey) -> Attrs {
    let mut attrs = Attrs::new();
    attrs.insert("id".into(), json!(key.id));
    attrs.insert("service_account_id".into(), json!(key.service_account_id));
    attrs.insert("description".into(), json!(key.description));
    attrs.insert("access_key".into(), json!(key.key_id));
    attrs.insert("created_at".into(), json!(key.created_at));
    OUTPUT.unencrypted(&mut attrs);
    attrs
}

fn description_text(attrs: &Attrs) -> &str {
    string(attrs, "description").unwrap_or_default()
}

impl Resource<Yandex> for StaticAccessKey {
    fn schema(&self) -> &'static ResourceSchema {
        &SCHEMA
    }

    fn check(&self, config: &Attrs) -> Vec<Diagnostic> {
        let mut diagnostics = OUTPUT.check(config);
        let checks = key_argument_checks(config);
        diagnostics.extend(failed_checks(checks));
        diagnostics
    }

    fn plan_update_values(
        &self,
        _ctx: &Context<'_>,
        prior: &Attrs,
        _config: &Attrs,
        planned: &mut Attrs,
        _diagnostics: &mut Vec<Diagnostic>,
    ) {
        OUTPUT.plan_update(prior, planned);
    }

    fn create(&self, ctx: &Context<'_>, planned: &Attrs) -> Outcome {
        if let Some(diagnostic) = self.check(planned).into_iter().find(Diagnostic::is_error) {
            return Outcome::failed(None, diagnostic);
        }
        let recipient = match OUTPUT.recipient(ctx, planned) {
            Ok(recipient) => recipient,
            Err(diagnostic) => return Outcome::failed(None, diagnostic),
        };
        let account = string(planned, "service_account_id").unwrap_or_default();
        match ctx
            .iam()
            .create_access_key(account, string(planned, "description"))
        {
            Ok(created) => {
                let mut observed = key_attrs(&created.key);
                observed.insert("secret_key".into(), json!(created.secret));
                let outcome = Outcome::state(settle(&SCHEMA, planned, &observed));
                OUTPUT.after_create(ctx, recipient.as_ref(), outcome)
            }
            Err(error) => Outcome::failed(
                None,
                Diagnostic::api_failure(
                    &format!("Cannot create a static access key for service account {account}"),
                    &error,
                ),
            ),
        }
    }

    fn update(&self, ctx: &Context<'_>, prior: &Attrs, planned: &Attrs) -> Outcome {
        let outcome = Outcome::state(settle(&SCHEMA, planned, prior));
        OUTPUT.after_update(ctx, prior, outcome)
    }

    fn delete(&self, ctx: &Context<'_>, prior: &Attrs) -> Outcome {
        let outcome = delete_by_id(prior, "static access key", |id| {
            ctx.iam().delete_access_key(id)
        });
        OUTPUT.after_delete(ctx, prior, outcome)
    }

    fn read(&self, ctx: &Context<'_>, state: &Attrs) -> Outcome {
        refreshed(
            "static access key",
            state,
            |id| ctx.iam().get_access_key(id).map(|key| key_attrs(&key)),
            &OUTPUT.kept(),
            &["service_account_id", "created_at", "access_key"],
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
            noun: "static access key",
            secret: "secret",
            list: &|account| iam.list_access_keys(account),
            delete: &|id| iam.delete_access_key(id),
        };
        revoke_lost(&kind, planned, pending, |key| {
            key.description == description_text(planned)
        })
    }

    fn import(&self, ctx: &Context<'_>, id: &str) -> Outcome {
        let state = ctx.iam().get_access_key(id).map(|key| key_attrs(&key));
        imported("static access key", "secret", "secret_key", id, state)
    }
}
