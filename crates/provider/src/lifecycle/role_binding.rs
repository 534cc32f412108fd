//! The authoritative `*_iam_binding` types: the members of one role on a folder
//! (`yandex_resourcemanager_folder_iam_binding`) or a service account
//! (`yandex_iam_service_account_iam_binding`) are exactly the configured ones.
//!
//! Only that role's bindings change: the difference between the members it has and the
//! configured ones is sent as ADD/REMOVE deltas, never a `setAccessBindings` that would
//! rewrite the other roles. The bindings of one resource are listed once and their deltas
//! batched, as with the member types.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::json;

use ycprov_provider_sdk::rules::{required_string, settle};
use ycprov_provider_sdk::schema::{
    AttrType, Attribute, Equivalence, OPTIONAL_STRING, ResourceSchema,
};
use ycprov_provider_sdk::value::{Attrs, get, is_unknown, string, strings};

use super::failure::failed_checks;
use super::member::{
    MAX_SLEEP_AFTER_SECONDS, attributes, bindings_of, one, parse_member, send_isolating_failures,
    sleep_after_check,
};
use super::{
    Change, Context, Diagnostic, Outcome, Resource, Yandex, YandexContext, YandexDiagnostic,
};
use crate::error::Error;
use crate::iam::{BindingTarget, MAX_DELTAS_PER_REQUEST};
use crate::model::{AccessBinding, BindingAction, BindingDelta};
use crate::validation::{self, Invalid};

/// An authoritative binding type: who holds one role on one resource of `target`'s kind.
pub struct RoleBinding {
    schema: &'static ResourceSchema,
    target: BindingTarget,
}

/// `yandex_resourcemanager_folder_iam_binding`.
pub static FOLDER_BINDING: RoleBinding = RoleBinding {
    schema: &FOLDER_SCHEMA,
    target: BindingTarget::Folder,
};

/// `yandex_iam_service_account_iam_binding`.
pub static SERVICE_ACCOUNT_BINDING: RoleBinding = RoleBinding {
    schema: &SERVICE_ACCOUNT_SCHEMA,
    target: BindingTarget::ServiceAccount,
};

/// The `members` of a binding type.
const MEMBERS: Attribute = Attribute {
    name: "members",
    ty: AttrType::ListOfString,
    required: true,
    optional: false,
    equivalence: Equivalence::Set,
    description: "Every subject that holds the role, as `TYPE:ID` (e.g. `serviceAccount:aje…`); compared as a set. Others holding the role lose it. Changes in place.",
    ..OPTIONAL_STRING
};

const FOLDER_ATTRIBUTES: [Attribute; 5] = attributes(
    "folder_id",
    "`folder_id/role`.",
    "The folder whose role this is. Changing it replaces the binding.",
    MEMBERS,
);

const SERVICE_ACCOUNT_ATTRIBUTES: [Attribute; 5] = attributes(
    "service_account_id",
    "`service_account_id/role`.",
    "The service account whose role this is. Changing it replaces the binding.",
    MEMBERS,
);

static FOLDER_SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "yandex_resourcemanager_folder_iam_binding",
    version: 0,
    description: "Who holds one role on a folder: exactly the members listed. Authoritative for that role only; other roles are never touched.",
    attributes: &FOLDER_ATTRIBUTES,
};

static SERVICE_ACCOUNT_SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "yandex_iam_service_account_iam_binding",
    version: 0,
    description: "Who holds one role on a service account: exactly the members listed. Authoritative for that role only; other roles are never touched.",
    attributes: &SERVICE_ACCOUNT_ATTRIBUTES,
};

/// The members of `role` among `bindings`, as `TYPE:ID`.
fn holders(bindings: &HashSet<AccessBinding>, role: &str) -> BTreeSet<String> {
    bindings
        .iter()
        .filter(|b| b.role_id == role)
        .map(|b| format!("{}:{}", b.subject.kind, b.subject.id))
        .collect()
}

/// The resource and role an import id names: `id,role`, `id/role` or `id role`.
fn import_parts(id: &str) -> Option<[&str; 2]> {
    let id = id.trim();
    let parts: Vec<&str> = if id.contains(',') {
        id.splitn(2, ',').map(str::trim).collect()
    } else if id.contains('/') {
        id.splitn(2, '/').collect()
    } else {
        id.split_whitespace().collect()
    };
    match parts[..] {
        [resource, role] if !resource.is_empty() && !role.is_empty() => Some([resource, role]),
        _ => None,
    }
}

impl RoleBinding {
    fn id_of(&self, attrs: &Attrs) -> Option<String> {
        let resource = string(attrs, self.target.id_name())?;
        let role = string(attrs, "role")?;
        Some(format!("{resource}/{role}"))
    }

    /// The deltas that make `role`'s holders exactly `want`, given those it has.
    fn deltas(
        role: &str,
        have: &BTreeSet<String>,
        want: &BTreeSet<String>,
    ) -> Result<Vec<BindingDelta>, Invalid> {
        let delta = |action: BindingAction, member: &String| -> Result<BindingDelta, Invalid> {
            Ok(BindingDelta {
                action,
                binding: AccessBinding {
                    role_id: role.to_owned(),
                    subject: parse_member(member)?,
                },
            })
        };
        let mut deltas = Vec::new();
        for member in want.difference(have) {
            deltas.push(delta(BindingAction::Add, member)?);
        }
        for member in have.difference(want) {
            deltas.push(delta(BindingAction::Remove, member)?);
        }
        Ok(deltas)
    }

    /// The state after a successful change: the planned members with the id.
    fn applied(&self, planned: &Attrs) -> Outcome {
        let mut observed = planned.clone();
        if let Some(id) = self.id_of(planned) {
            observed.insert("id".into(), json!(id));
        }
        Outcome::state(settle(self.schema, planned, &observed))
    }

    fn failure(&self, change: &Change, error: &Error) -> Outcome {
        let (attrs, kept) = match change {
            Change::Create(planned) => (planned, None),
            Change::Update { prior, planned } => (planned, Some(prior.clone())),
            Change::Delete(prior) => (prior, Some(prior.clone())),
        };
        let resource = string(attrs, self.target.id_name()).unwrap_or_default();
        let role = string(attrs, "role").unwrap_or_default();
        Outcome::failed(
            kept,
            Diagnostic::api_failure(
                &format!(
                    "Cannot set the members of role \"{role}\" on {} {resource}",
                    self.target.noun()
                ),
                error,
            ),
        )
    }
}

impl Resource<Yandex> for RoleBinding {
    fn schema(&self) -> &'static ResourceSchema {
        self.schema
    }

    fn batches(&self) -> bool {
        true
    }

    fn check(&self, config: &Attrs) -> Vec<Diagnostic> {
        let mut checks = Vec::new();
        let id_name = self.target.id_name();
        if let Some(id) = string(config, id_name) {
            checks.push(validation::resource_id(id_name, id));
        }
        if let Some(role) = string(config, "role") {
            checks.push(validation::role_id("role", role));
        }
        let members = get(config, "members");
        if members.is_array() {
            let items = members.as_array().map(Vec::as_slice).unwrap_or_default();
            if items.is_empty() {
                checks.push(Err(Invalid {
                    path: "members".to_owned(),
                    reason: "at least one member is required (to revoke the role from everyone, remove the resource)".to_owned(),
                }));
            }
            for (index, item) in items.iter().enumerate() {
                if let Some(member) = item.as_str() {
                    checks.push(parse_member(member).map(drop).map_err(|mut invalid| {
                        invalid.path = format!("members[{index}]");
                        invalid
                    }));
                }
            }
        }
        let sleep_after = get(config, "sleep_after");
        if !sleep_after.is_null() && !is_unknown(sleep_after) {
            checks.push(sleep_after_check(sleep_after));
        }
        failed_checks(checks).collect()
    }

    fn plan_defaults(
        &self,
        _ctx: &Context<'_>,
        _config: &Attrs,
        planned: &mut Attrs,
        _diagnostics: &mut Vec<Diagnostic>,
    ) {
        if let Some(id) = self.id_of(planned) {
            planned.insert("id".into(), json!(id));
        }
    }

    fn create(&self, ctx: &Context<'_>, planned: &Attrs) -> Outcome {
        one(self.apply_many(ctx, &[Change::Create(planned.clone())]))
    }

    fn update(&self, ctx: &Context<'_>, prior: &Attrs, planned: &Attrs) -> Outcome {
        let change = Change::Update {
            prior: prior.clone(),
            planned: planned.clone(),
        };
        one(self.apply_many(ctx, std::slice::from_ref(&change)))
    }

    fn delete(&self, ctx: &Context<'_>, prior: &Attrs) -> Outcome {
        one(self.apply_many(ctx, &[Change::Delete(prior.clone())]))
    }

    fn read(&self, ctx: &Context<'_>, state: &Attrs) -> Outcome {
        one(self.read_many(ctx, std::slice::from_ref(state)))
    }

    fn import(&self, ctx: &Context<'_>, id: &str) -> Outcome {
        let id_name = self.target.id_name();
        let Some([resource, role]) = import_parts(id) else {
            return Outcome::failed(
                None,
                Diagnostic::error(
                    "Invalid import id",
                    format!(
                        "Expected \"<{id_name}> <role>\" (or \"<{id_name}>,<role>\", or the state id \"<{id_name}>/<role>\"); got {id:?}."
                    ),
                ),
            );
        };
        let mut attrs = Attrs::new();
        attrs.insert(id_name.into(), json!(resource));
        attrs.insert("role".into(), json!(role));
        attrs.insert("members".into(), json!(["system:placeholder"]));
        if let Some(problem) = self.check(&attrs).into_iter().next() {
            return Outcome::failed(None, problem);
        }
        let existing = match bindings_of(ctx, self.target, resource) {
            Ok(existing) => existing,
            Err(diagnostic) => return Outcome::failed(None, diagnostic),
        };
        let members = holders(&existing, role);
        if members.is_empty() {
            return Outcome::failed(
                None,
                Diagnostic::error(
                    "Cannot import non-existent remote object",
                    format!(
                        "Nobody holds role \"{role}\" on {} {resource}.",
                        self.target.noun()
                    ),
                ),
            );
        }
        attrs.insert("members".into(), json!(members));
        attrs.insert("id".into(), json!(format!("{resource}/{role}")));
        Outcome::state(attrs)
    }

    fn read_many(&self, ctx: &Context<'_>, states: &[Attrs]) -> Vec<Outcome> {
        let id_name = self.target.id_name();
        let mut listed: BTreeMap<&str, Result<HashSet<AccessBinding>, Diagnostic>> =
            BTreeMap::new();
        for state in states {
            if let Some(resource) = string(state, id_name) {
                listed
                    .entry(resource)
                    .or_insert_with(|| bindings_of(ctx, self.target, resource));
            }
        }
        states
            .iter()
            .map(|state| {
                let (Ok(resource), Ok(role)) = (
                    required_string(state, id_name),
                    required_string(state, "role"),
                ) else {
                    return Outcome::gone();
                };
                match &listed[resource] {
                    Ok(existing) => {
                        let now = holders(existing, role);
                        if now.is_empty() {
                            return Outcome::gone();
                        }
                        let before = strings(state, "members");
                        let mut members: Vec<String> =
                            before.into_iter().filter(|m| now.contains(m)).collect();
                        members.extend(
                            now.iter()
                                .filter(|m| !members.contains(m))
                                .cloned()
                                .collect::<Vec<_>>(),
                        );
                        let mut fresh = state.clone();
                        fresh.insert("members".into(), json!(members));
                        fresh.insert("id".into(), json!(format!("{resource}/{role}")));
                        Outcome::state(fresh)
                    }
                    Err(diagnostic) => Outcome::failed(Some(state.clone()), diagnostic.clone()),
                }
            })
            .collect()
    }

    fn apply_many(&self, ctx: &Context<'_>, changes: &[Change]) -> Vec<Outcome> {
        let id_name = self.target.id_name();
        let mut outcomes: Vec<Option<Outcome>> = std::iter::repeat_with(|| None)
            .take(changes.len())
            .collect();
        let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (index, change) in changes.iter().enumerate() {
            let attrs = match change {
                Change::Create(planned) | Change::Update { planned, .. } => planned,
                Change::Delete(prior) => prior,
            };
            match string(attrs, id_name) {
                Some(resource) => groups.entry(resource.to_owned()).or_default().push(index),
                None => {
                    let kept = matches!(change, Change::Delete(_)).then(|| attrs.clone());
                    outcomes[index] = Some(Outcome::failed(
                        kept,
                        Diagnostic::error("Missing argument", format!("{id_name} is not set.")),
                    ));
                }
            }
        }
        let iam = ctx.iam();
        for (resource, indexes) in &groups {
            let existing = match bindings_of(ctx, self.target, resource) {
                Ok(existing) => existing,
                Err(diagnostic) => {
                    for &index in indexes {
                        let kept = match &changes[index] {
                            Change::Create(_) => None,
                            Change::Update { prior, .. } | Change::Delete(prior) => {
                                Some(prior.clone())
                            }
                        };
                        outcomes[index] = Some(Outcome::failed(kept, diagnostic.clone()));
                    }
                    continue;
                }
            };
            let mut owned: Vec<(usize, BindingDelta)> = Vec::new();
            for &index in indexes {
                let (role, want) = match &changes[index] {
                    Change::Create(planned) | Change::Update { planned, .. } => (
                        string(planned, "role").unwrap_or_default(),
                        strings(planned, "members").into_iter().collect(),
                    ),
                    Change::Delete(prior) => {
                        (string(prior, "role").unwrap_or_default(), BTreeSet::new())
                    }
                };
                match Self::deltas(role, &holders(&existing, role), &want) {
                    Ok(deltas) => owned.extend(deltas.into_iter().map(|d| (index, d))),
                    Err(invalid) => {
                        outcomes[index] = Some(Outcome::failed(None, Diagnostic::invalid(invalid)));
                    }
                }
            }
            let mut failed: BTreeMap<usize, Error> = BTreeMap::new();
            for chunk in owned.chunks(MAX_DELTAS_PER_REQUEST) {
                let batch: Vec<BindingDelta> = chunk.iter().map(|(_, d)| d.clone()).collect();
                let results = send_isolating_failures(&iam, self.target, resource, &batch);
                for ((index, _), result) in chunk.iter().zip(results) {
                    if let Err(error) = result {
                        failed.entry(*index).or_insert(error);
                    }
                }
            }
            for &index in indexes {
                if outcomes[index].is_some() {
                    continue;
                }
                let change = &changes[index];
                outcomes[index] = Some(match (failed.get(&index), change) {
                    (Some(error), _) => self.failure(change, error),
                    (None, Change::Delete(_)) => Outcome::gone(),
                    (None, Change::Create(planned) | Change::Update { planned, .. }) => {
                        self.applied(planned)
                    }
                });
            }
        }
        let sleep_after = changes
            .iter()
            .zip(&outcomes)
            .filter_map(|(change, outcome)| match (change, outcome) {
                (
                    Change::Create(planned) | Change::Update { planned, .. },
                    Some(Outcome { state: Some(_), .. }),
                ) => get(planned, "sleep_after").as_u64(),
                _ => None,
            })
            .max()
            .unwrap_or(0);
        if sleep_after > 0 {
            let millis = sleep_after.min(MAX_SLEEP_AFTER_SECONDS) * 1000;
            ctx.host.sleep(u32::try_from(millis).unwrap_or(u32::MAX));
        }
        outcomes
            .into_iter()
            .map(Option::unwrap_or_default)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_touch_only_the_difference() {
        let set = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        let deltas = RoleBinding::deltas(
            "viewer",
            &set(&["serviceAccount:a", "serviceAccount:b"]),
            &set(&["serviceAccount:b", "userAccount:c"]),
        )
        .unwrap();
        let shown: Vec<(BindingAction, String)> = deltas
            .iter()
            .map(|d| {
                (
                    d.action,
                    format!("{}:{}", d.binding.subject.kind, d.binding.subject.id),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                (BindingAction::Add, "userAccount:c".to_string()),
                (BindingAction::Remove, "serviceAccount:a".to_string()),
            ]
        );
        assert!(
            RoleBinding::deltas(
                "viewer",
                &set(&["serviceAccount:a"]),
                &set(&["serviceAccount:a"])
            )
            .unwrap()
            .is_empty()
        );
    }

    #[test]
    fn import_ids_name_resource_and_role() {
        for (id, want) in [
            ("b1g viewer", Some(["b1g", "viewer"])),
            ("b1g,viewer", Some(["b1g", "viewer"])),
            ("b1g/viewer", Some(["b1g", "viewer"])),
            ("b1g", None),
            ("", None),
        ] {
            assert_eq!(import_parts(id), want, "{id:?}");
        }
    }
}
