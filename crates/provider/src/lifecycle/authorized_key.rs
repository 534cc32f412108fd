//! `yandex_iam_service_account_key`: an authorized key of a service account, an RSA key
//! pair whose private half signs the JWTs exchanged for IAM tokens. The private key exists
//! only in the create response and is kept in the state as a sensitive value; a key whose
//! private key an interrupted apply lost is revoked and replaced, as for API keys.

use serde_json::{Value, json};

use ycprov_provider_sdk::pending::PendingCreate;
use ycprov_provider_sdk::rules::settle;
use ycprov_provider_sdk::schema::{
    AttrType, Attribute, Equivalence, OPTIONAL_STRING, ResourceSchema,
};
use ycprov_provider_sdk::value::{Attrs, get, string};

use super::failure::failed_checks;
use super::issued_key::{KeyKind, imported, key_argument_checks, refreshed, revoke_lost};
use super::secret_output::{
    KEY_FINGERPRINT, PGP_KEY, SECRET_ID, SecretOutput, VERSION_ID, encrypted,
};
use super::{
    Context, Diagnostic, Outcome, Resource, Yandex, YandexContext, YandexDiagnostic, delete_by_id,
};
use crate::model::AuthorizedKey;

/// The resource type.
pub struct ServiceAccountKey;

/// Where `output_to_lockbox` puts the private key.
const OUTPUT: SecretOutput = SecretOutput {
    entries: &[("entry_for_private_key", "private_key")],
    secret_attributes: &["private_key"],
    encrypted: &[("private_key", "encrypted_private_key")],
};

/// The key algorithms the API offers.
const ALGORITHMS: [&str; 2] = ["RSA_2048", "RSA_4096"];

static SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "yandex_iam_service_account_key",
    version: 0,
    description: "An authorized key of a service account: an RSA key pair whose private key signs JWTs for IAM tokens. The private key is returned only when the key is created.",
    attributes: &[
        Attribute {
            name: "id",
            optional: false,
            computed: true,
            description: "The key id (`aje…`), the `kid` of JWTs signed with it.",
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
            name: "format",
            force_new: true,
            description: "The private key's format: `PEM_FILE` (the only one; the default).",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "key_algorithm",
            force_new: true,
            computed: true,
            description: "`RSA_2048` (the default) or `RSA_4096`. Changing it replaces the key.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "public_key",
            optional: false,
            computed: true,
            description: "The public key, PEM.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "private_key",
            optional: false,
            computed: true,
            sensitive: true,
            description: "The private key, PEM (with Yandex's key-id line first). Known only after create; empty for imported keys.",
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
        encrypted("encrypted_private_key"),
        KEY_FINGERPRINT,
        Attribute {
            name: "output_to_lockbox",
            ty: AttrType::Blocks {
                attributes: &[
                    SECRET_ID,
                    Attribute {
                        name: "entry_for_private_key",
                        required: true,
                        optional: false,
                        description: "The entry key that holds the private key.",
                        ..OPTIONAL_STRING
                    },
                ],
                max_items: 1,
            },
            description: "Write the private key to a new version of a Lockbox secret instead of the state (private_key stays null). Changes in place.",
            ..OPTIONAL_STRING
        },
        VERSION_ID,
    ],
};

fn key_attrs(key: &AuthorizedKey) -> Attrs {
    let mut attrs = Attrs::new();
    attrs.insert("id".into(), json!(key.id));
    attrs.insert("service_account_id".into(), json!(key.service_account_id));
    attrs.insert("description".into(), json!(key.description));
    attrs.insert("key_algorithm".into(), json!(key.key_algorithm));
    attrs.insert("public_key".into(), json!(key.public_key));
    attrs.insert("created_at".into(), json!(key.created_at));
    OUTPUT.unencrypted(&mut attrs);
    attrs
}

fn description_text(attrs: &Attrs) -> &str {
    string(attrs, "description").unwrap_or_default()
}

impl Resource<Yandex> for ServiceAccountKey {
    fn schema(&self) -> &'static ResourceSchema {
        &SCHEMA
    }

    fn check(&self, config: &Attrs) -> Vec<Diagnostic> {
        let mut diagnostics = OUTPUT.check(config);
        let checks = key_argument_checks(config);
        if let Some(format) = string(config, "format")
            && format != "PEM_FILE"
        {
            diagnostics.push(
                Diagnostic::error(
                    "Invalid attribute value",
                    format!("format {format:?} is not offered; the only format is PEM_FILE."),
                )
                .at("format"),
            );
        }
        if let Some(algorithm) = string(config, "key_algorithm")
            && !ALGORITHMS.contains(&algorithm)
        {
            diagnostics.push(
                Diagnostic::error(
                    "Invalid attribute value",
                    format!(
                        "key_algorithm {algorithm:?} is not one of {}.",
                        ALGORITHMS.join(", ")
                    ),
                )
                .at("key_algorithm"),
            );
        }
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
        let algorithm = string(planned, "key_algorithm").unwrap_or(ALGORITHMS[0]);
        match ctx
            .iam()
            .create_authorized_key(account, string(planned, "description"), algorithm)
        {
            Ok(created) => {
                let mut observed = key_attrs(&created.key);
                observed.insert("private_key".into(), json!(created.private_key));
                observed.insert("format".into(), get(planned, "format").clone());
                let outcome = Outcome::state(settle(&SCHEMA, planned, &observed));
                OUTPUT.after_create(ctx, recipient.as_ref(), outcome)
            }
            Err(error) => Outcome::failed(
                None,
                Diagnostic::api_failure(
                    &format!("Cannot create an authorized key for service account {account}"),
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
        let outcome = delete_by_id(prior, "authorized key", |id| {
            ctx.iam().delete_authorized_key(id)
        });
        OUTPUT.after_delete(ctx, prior, outcome)
    }

    fn read(&self, ctx: &Context<'_>, state: &Attrs) -> Outcome {
        refreshed(
            "authorized key",
            state,
            |id| ctx.iam().get_authorized_key(id).map(|key| key_attrs(&key)),
            &[OUTPUT.kept(), vec!["format"]].concat(),
            &[
                "service_account_id",
                "created_at",
                "key_algorithm",
                "public_key",
            ],
        )
    }

    /// Revokes the keys an interrupted create made whose private key was never stored
    /// (see [`revoke_lost`]).
    fn resolve_pending(
        &self,
        ctx: &Context<'_>,
        planned: &Attrs,
        pending: &PendingCreate,
    ) -> Outcome {
        let iam = ctx.iam();
        let kind = KeyKind {
            noun: "authorized key",
            secret: "private key",
            list: &|account| iam.list_authorized_keys(account),
            delete: &|id| iam.delete_authorized_key(id),
        };
        revoke_lost(&kind, planned, pending, |key| {
            key.description == description_text(planned)
        })
    }

    fn import(&self, ctx: &Context<'_>, id: &str) -> Outcome {
        let state = ctx.iam().get_authorized_key(id).map(|key| {
            let mut state = key_attrs(&key);
            state.insert("format".into(), Value::Null);
            state
        });
        imported("authorized key", "private key", "private_key", id, state)
    }
}
