//! `yandex_iam_service_account`: a service account in a folder.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use ycprov_provider_sdk::pending::PendingCreate;
use ycprov_provider_sdk::rules::{is_checkable, required_string, settle};
use ycprov_provider_sdk::schema::{
    AttrType, Attribute, Equivalence, OPTIONAL_STRING, ResourceSchema,
};
use ycprov_provider_sdk::value::{Attrs, get, pairs_value, string, string_pairs};

use super::failure::failed_checks;
use super::{
    Context, Diagnostic, Outcome, Resource, Yandex, YandexContext, YandexDiagnostic, delete_by_id,
    plan_default_folder, planned_folder,
};
use crate::error::Code;
use crate::iam::CreateAccountError;
use crate::model::{AccountSpec, AccountUpdate, ServiceAccount as Account};
use crate::validation;

/// The resource type.
pub struct ServiceAccount;

static SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "yandex_iam_service_account",
    version: 0,
    description: "A Yandex Cloud IAM service account: an identity for programs, which roles and API keys are given to.",
    attributes: &[
        Attribute {
            name: "id",
            optional: false,
            computed: true,
            description: "The service account id.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "name",
            required: true,
            optional: false,
            description: "The name: 3-63 lowercase Latin letters, digits and hyphens, starting with a letter and not ending with a hyphen; unique within the cloud. Changes in place.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "folder_id",
            computed: true,
            force_new: true,
            description: "The folder to create the account in; defaults to the provider's folder_id, else the host's default folder. Changing it replaces the account.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "description",
            equivalence: Equivalence::EmptyIsNull,
            description: "A description, at most 256 characters. Changes in place.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "labels",
            ty: AttrType::MapOfString,
            equivalence: Equivalence::EmptyIsNull,
            description: "Labels: at most 64; keys 1-63 characters of [-_0-9a-z] starting with a letter, values at most 63 characters of [-_0-9a-z]. Change in place.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "created_at",
            optional: false,
            computed: true,
            description: "Creation time, RFC3339.",
            ..OPTIONAL_STRING
        },
    ],
};

fn account_attrs(account: &Account) -> Attrs {
    let mut attrs = Attrs::new();
    attrs.insert("id".into(), json!(account.id));
    attrs.insert("name".into(), json!(account.name));
    attrs.insert("folder_id".into(), json!(account.folder_id));
    attrs.insert("description".into(), json!(account.description));
    attrs.insert("labels".into(), pairs_value(&account.labels));
    attrs.insert("created_at".into(), json!(account.created_at));
    attrs
}

fn description_text(attrs: &Attrs) -> String {
    string(attrs, "description").unwrap_or_default().to_owned()
}

/// The state of `account` as read, keeping the prior computed values the API left empty.
fn fresh_state(account: &Account, prior: &Attrs) -> Attrs {
    let mut fresh = account_attrs(account);
    for computed in ["folder_id", "created_at"] {
        if string(&fresh, computed).is_some_and(str::is_empty) {
            fresh.insert(computed.into(), get(prior, computed).clone());
        }
    }
    fresh
}

impl Resource<Yandex> for ServiceAccount {
    fn schema(&self) -> &'static ResourceSchema {
        &SCHEMA
    }

    fn check(&self, config: &Attrs) -> Vec<Diagnostic> {
        let mut checks = Vec::new();
        if let Some(name) = string(config, "name") {
            checks.push(validation::name("name", name));
        }
        if let Some(folder) = string(config, "folder_id") {
            checks.push(validation::resource_id("folder_id", folder));
        }
        if let Some(description) = string(config, "description") {
            checks.push(validation::description("description", description));
        }
        if is_checkable(get(config, "labels"), AttrType::MapOfString) {
            let labels = string_pairs(config, "labels");
            checks.push(validation::labels(
                "labels",
                labels.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            ));
        }
        failed_checks(checks).collect()
    }

    fn plan_defaults(
        &self,
        ctx: &Context<'_>,
        config: &Attrs,
        planned: &mut Attrs,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        plan_default_folder(ctx, config, planned, diagnostics);
    }

    fn create(&self, ctx: &Context<'_>, planned: &Attrs) -> Outcome {
        let folder_id = match planned_folder(ctx, planned) {
            Ok(folder) => folder,
            Err(diagnostic) => return Outcome::failed(None, diagnostic),
        };
        let spec = AccountSpec {
            folder_id: folder_id.clone(),
            name: string(planned, "name").unwrap_or_default().to_owned(),
            description: string(planned, "description").map(str::to_owned),
            labels: string_pairs(planned, "labels"),
        };
        let action = format!("Cannot create service account \"{}\"", spec.name);
        match ctx.iam().create_account_tracked(&spec) {
            Ok(account) => {
                let mut observed = account_attrs(&account);
                observed.insert("folder_id".into(), json!(folder_id));
                Outcome::state(settle(&SCHEMA, planned, &observed))
            }
            Err(CreateAccountError {
                error,
                account_id: Some(id),
            }) => {
                let mut observed = planned.clone();
                observed.insert("id".into(), json!(id));
                observed.insert("folder_id".into(), json!(folder_id));
                observed.insert("created_at".into(), Value::Null);
                let diagnostic = Diagnostic::error(
                    format!(
                        "Service account \"{}\" may not have been created: {error}",
                        spec.name
                    ),
                    format!(
                        "Its id is {id}; the state records it so the next run reads back what exists."
                    ),
                );
                Outcome::failed(Some(settle(&SCHEMA, planned, &observed)), diagnostic)
            }
            Err(failure) => Outcome::failed(None, Diagnostic::api_failure(&action, &failure.error)),
        }
    }

    fn update(&self, ctx: &Context<'_>, prior: &Attrs, planned: &Attrs) -> Outcome {
        let id = match required_string(prior, "id") {
            Ok(id) => id,
            Err(diagnostic) => return Outcome::failed(Some(prior.clone()), diagnostic),
        };
        let mut update = AccountUpdate::default();
        if string(planned, "name") != string(prior, "name") {
            update.name = string(planned, "name").map(str::to_owned);
        }
        if description_text(planned) != description_text(prior) {
            update.description = Some(description_text(planned));
        }
        if string_pairs(planned, "labels") != string_pairs(prior, "labels") {
            update.labels = Some(string_pairs(planned, "labels"));
        }
        if update.is_empty() {
            return Outcome::state(settle(&SCHEMA, planned, prior));
        }
        let name = string(planned, "name").unwrap_or_default();
        match ctx.iam().patch_account(id, name, &update) {
            Ok(account) => {
                let mut observed = account_attrs(&account);
                if account.created_at.is_empty() {
                    observed.insert("created_at".into(), get(prior, "created_at").clone());
                }
                Outcome::state(settle(&SCHEMA, planned, &observed))
            }
            Err(error) => Outcome::failed(
                Some(prior.clone()),
                Diagnostic::api_failure(&format!("Cannot update service account {id}"), &error),
            ),
        }
    }

    fn delete(&self, ctx: &Context<'_>, prior: &Attrs) -> Outcome {
        delete_by_id(prior, "service account", |id| ctx.iam().delete_account(id))
    }

    fn reads_together(&self) -> bool {
        true
    }

    /// One paged list per folder that holds two or more of the accounts, instead of a
    /// read each; an account the list lacks (a list may lag a create) is read on its own.
    fn read_many(&self, ctx: &Context<'_>, states: &[Attrs]) -> Vec<Outcome> {
        let mut per_folder: BTreeMap<&str, usize> = BTreeMap::new();
        for state in states {
            if let Some(folder) = string(state, "folder_id").filter(|f| !f.is_empty()) {
                *per_folder.entry(folder).or_default() += 1;
            }
        }
        let mut listed: HashMap<String, Account> = HashMap::new();
        for (folder, _) in per_folder.into_iter().filter(|(_, count)| *count >= 2) {
            if let Ok(accounts) = ctx.iam().list_accounts(folder) {
                listed.extend(accounts.into_iter().map(|a| (a.id.clone(), a)));
            }
        }
        states
            .iter()
            .map(
                |state| match string(state, "id").and_then(|id| listed.get(id)) {
                    Some(account) => Outcome::state(fresh_state(account, state)),
                    None => self.read(ctx, state),
                },
            )
            .collect()
    }

    fn read(&self, ctx: &Context<'_>, state: &Attrs) -> Outcome {
        let id = match required_string(state, "id") {
            Ok(id) => id,
            Err(diagnostic) => return Outcome::failed(Some(state.clone()), diagnostic),
        };
        match ctx.iam().get_account(id) {
            Ok(account) => Outcome::state(fresh_state(&account, state)),
            Err(error) if error.is(Code::NotFound) => Outcome::gone(),
            Err(error) => Outcome::failed(
                Some(state.clone()),
                Diagnostic::api_failure(&format!("Cannot read service account {id}"), &error),
            ),
        }
    }

    /// The account of the planned name in the planned folder is adopted when it may have
    /// been made by the interrupted create (created since it started, not already in the
    /// state); otherwise the account is gone and will be created.
    fn resolve_pending(
        &self,
        ctx: &Context<'_>,
        planned: &Attrs,
        pending: &PendingCreate,
    ) -> Outcome {
        let folder_id = match string(planned, "folder_id") {
            Some(folder) => folder.to_owned(),
            None => match ctx.default_folder_id() {
                Ok(folder) => folder,
                Err(diagnostic) => return Outcome::failed(Some(planned.clone()), diagnostic),
            },
        };
        let name = match required_string(planned, "name") {
            Ok(name) => name,
            Err(diagnostic) => return Outcome::failed(Some(planned.clone()), diagnostic),
        };
        match ctx.iam().find_account_by_name(&folder_id, name) {
            Ok(Some(account))
                if !pending.is_known(&account.id)
                    && pending.may_have_created(&account.created_at) != Some(false) =>
            {
                let mut fresh = account_attrs(&account);
                if account.folder_id.is_empty() {
                    fresh.insert("folder_id".into(), json!(folder_id));
                }
                Outcome::state(fresh).with(Diagnostic::warning(
                    "Service account adopted after an interrupted apply",
                    format!(
                        "Service account \"{name}\" ({}) was created by an apply that stopped before it could record it; it is now in the state.",
                        account.id
                    ),
                ))
            }
            Ok(_) => Outcome::gone(),
            Err(error) if error.is(Code::NotFound) => Outcome::gone(),
            Err(error) => Outcome::failed(
                Some(planned.clone()),
                Diagnostic::api_failure(
                    &format!(
                        "Cannot look for service account \"{name}\" created by an interrupted apply"
                    ),
                    &error,
                ),
            ),
        }
    }

    fn import(&self, ctx: &Context<'_>, id: &str) -> Outcome {
        match ctx.iam().get_account(id) {
            Ok(account) => Outcome::state(account_attrs(&account)),
            Err(error) if error.is(Code::NotFound) => Outcome::failed(
                None,
                Diagnostic::error(
                    "Cannot import non-existent remote object",
                    format!("No service account with id \"{id}\": {error}"),
                ),
            ),
            Err(error) => Outcome::failed(
                None,
                Diagnostic::api_failure(&format!("Cannot import service account {id}"), &error),
            ),
        }
    }
}
