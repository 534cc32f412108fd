//! The additive `*_iam_member` types: one role granted to one subject on a folder
//! (`yandex_resourcemanager_folder_iam_member`), a cloud
//! (`yandex_resourcemanager_cloud_iam_member`) or a service account
//! (`yandex_iam_service_account_iam_member`), added and removed with deltas so every other
//! binding stays untouched.
//!
//! Members batch: the members of one resource applied together become one
//! `updateAccessBindings` per 1000 deltas, and reading them lists its bindings once.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};

use ycprov_provider_sdk::rules::{required_string, settle};
use ycprov_provider_sdk::schema::{AttrType, Attribute, OPTIONAL_STRING, ResourceSchema};
use ycprov_provider_sdk::value::{Attrs, get, is_unknown, string};

use super::failure::failed_checks;
use super::{
    Change, Context, Diagnostic, Outcome, Resource, Yandex, YandexContext, YandexDiagnostic,
};
use crate::error::{Code, Error};
use crate::iam::{BindingTarget, Iam, MAX_DELTAS_PER_REQUEST};
use crate::model::{AccessBinding, BindingAction, BindingDelta, Subject};
use crate::platform::Platform;
use crate::validation::{self, Invalid};

/// An additive member type: one role on one resource of `target`'s kind for one member.
pub struct Member {
    schema: &'static ResourceSchema,
    target: BindingTarget,
}

/// `yandex_resourcemanager_folder_iam_member`.
pub static FOLDER_MEMBER: Member = Member {
    schema: &FOLDER_SCHEMA,
    target: BindingTarget::Folder,
};

/// `yandex_resourcemanager_cloud_iam_member`.
pub static CLOUD_MEMBER: Member = Member {
    schema: &CLOUD_SCHEMA,
    target: BindingTarget::Cloud,
};

/// `yandex_iam_service_account_iam_member`.
pub static SERVICE_ACCOUNT_MEMBER: Member = Member {
    schema: &SERVICE_ACCOUNT_SCHEMA,
    target: BindingTarget::ServiceAccount,
};

/// The longest `sleep_after` accepted, in seconds.
pub(super) const MAX_SLEEP_AFTER_SECONDS: u64 = 3600;

/// The attributes of a member or binding type whose resource id is `id_name` and whose
/// subjects are `subjects` (`member`, or the binding's `members`).
pub(super) const fn attributes(
    id_name: &'static str,
    id_description: &'static str,
    resource_description: &'static str,
    subjects: Attribute,
) -> [Attribute; 5] {
    [
        Attribute {
            name: "id",
            optional: false,
            computed: true,
            description: id_description,
            ..OPTIONAL_STRING
        },
        Attribute {
            name: id_name,
            required: true,
            optional: false,
            force_new: true,
            description: resource_description,
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "role",
            required: true,
            optional: false,
            force_new: true,
            description: "The role id, e.g. `ai.languageModels.user`. Changing it replaces the binding.",
            ..OPTIONAL_STRING
        },
        subjects,
        Attribute {
            name: "sleep_after",
            ty: AttrType::Number,
            description: "Seconds to wait after granting the role, to let IAM propagate it (0-3600).",
            ..OPTIONAL_STRING
        },
    ]
}

/// The `member` of a member type.
const MEMBER: Attribute = Attribute {
    name: "member",
    required: true,
    optional: false,
    force_new: true,
    description: "The subject as `TYPE:ID`, TYPE one of serviceAccount, userAccount, federatedUser, group, system (e.g. `serviceAccount:aje…`, `system:allUsers`). Changing it replaces the binding.",
    ..OPTIONAL_STRING
};

const FOLDER_ATTRIBUTES: [Attribute; 5] = attributes(
    "folder_id",
    "`folder_id/role/member`.",
    "The folder to grant the role on. Changing it replaces the binding.",
    MEMBER,
);

const CLOUD_ATTRIBUTES: [Attribute; 5] = attributes(
    "cloud_id",
    "`cloud_id/role/member`.",
    "The cloud to grant the role on. Changing it replaces the binding.",
    MEMBER,
);

const SERVICE_ACCOUNT_ATTRIBUTES: [Attribute; 5] = attributes(
    "service_account_id",
    "`service_account_id/role/member`.",
    "The service account to grant the role on (who may use or manage it). Changing it replaces the binding.",
    MEMBER,
);

static FOLDER_SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "yandex_resourcemanager_folder_iam_member",
    version: 0,
    description: "One role on a folder granted to one member. Additive: other bindings of the folder are never touched.",
    attributes: &FOLDER_ATTRIBUTES,
};

static CLOUD_SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "yandex_resourcemanager_cloud_iam_member",
    version: 0,
    description: "One role on a cloud granted to one member. Additive: other bindings of the cloud are never touched.",
    attributes: &CLOUD_ATTRIBUTES,
};

static SERVICE_ACCOUNT_SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "yandex_iam_service_account_iam_member",
    version: 0,
    description: "One role on a service account granted to one member (e.g. `iam.serviceAccounts.user` to let someone act as it). Additive: other bindings of the account are never touched.",
    attributes: &SERVICE_ACCOUNT_ATTRIBUTES,
};

/// Parses a `TYPE:ID` member string.
pub(super) fn parse_member(member: &str) -> Result<Subject, Invalid> {
    let Some((kind, id)) = member.split_once(':') else {
        return Err(Invalid {
            path: "member".to_owned(),
            reason: format!("{member:?} is not of the form TYPE:ID, e.g. serviceAccount:aje…"),
        });
    };
    validation::subject_kind("member", kind)?;
    validation::subject_id("member", id)?;
    Ok(Subject {
        kind: kind.to_owned(),
        id: id.to_owned(),
    })
}

fn binding_id(resource_id: &str, role: &str, member: &str) -> String {
    format!("{resource_id}/{role}/{member}")
}

/// The three identifying attributes of a state or plan.
struct Binding<'a> {
    resource_id: &'a str,
    role: &'a str,
    member: &'a str,
    subject: Subject,
}

impl Binding<'_> {
    fn access_binding(&self) -> AccessBinding {
        AccessBinding {
            role_id: self.role.to_owned(),
            subject: self.subject.clone(),
        }
    }

    fn id(&self) -> String {
        binding_id(self.resource_id, self.role, self.member)
    }
}

fn binding_of(target: BindingTarget, attrs: &Attrs) -> Result<Binding<'_>, Diagnostic> {
    let resource_id = required_string(attrs, target.id_name())?;
    let role = required_string(attrs, "role")?;
    let member = required_string(attrs, "member")?;
    let subject = parse_member(member).map_err(Diagnostic::invalid)?;
    Ok(Binding {
        resource_id,
        role,
        member,
        subject,
    })
}

pub(super) fn sleep_after_check(value: &Value) -> Result<(), Invalid> {
    let invalid = |reason: String| Invalid {
        path: "sleep_after".to_owned(),
        reason,
    };
    match value.as_u64() {
        Some(seconds) if seconds <= MAX_SLEEP_AFTER_SECONDS => Ok(()),
        Some(seconds) => Err(invalid(format!(
            "must be at most {MAX_SLEEP_AFTER_SECONDS} seconds, got {seconds}"
        ))),
        None => Err(invalid(format!(
            "must be a whole number of seconds, got {value}"
        ))),
    }
}

/// The resource, role and member an import id names: `id,role,member` (the documented
/// form), `id/role/member` (the state's own id) or `id role member`.
fn import_parts(id: &str) -> Option<[&str; 3]> {
    let id = id.trim();
    let parts: Vec<&str> = if id.contains(',') {
        id.splitn(3, ',').map(str::trim).collect()
    } else if id.contains('/') {
        id.splitn(3, '/').collect()
    } else {
        id.split_whitespace().collect()
    };
    match parts[..] {
        [folder, role, member] if !folder.is_empty() && !role.is_empty() && !member.is_empty() => {
            Some([folder, role, member])
        }
        _ => None,
    }
}

impl Resource<Yandex> for Member {
    fn schema(&self) -> &'static ResourceSchema {
        self.schema
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
        if let Some(member) = string(config, "member") {
            checks.push(parse_member(member).map(drop));
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
        if let (Some(resource), Some(role), Some(member)) = (
            string(planned, self.target.id_name()),
            string(planned, "role"),
            string(planned, "member"),
        ) {
            let id = binding_id(resource, role, member);
            planned.insert("id".into(), json!(id));
        }
    }

    fn create(&self, ctx: &Context<'_>, planned: &Attrs) -> Outcome {
        let change = Change::Create(planned.clone());
        one(self.apply_many(ctx, std::slice::from_ref(&change)))
    }

    fn update(&self, _ctx: &Context<'_>, prior: &Attrs, planned: &Attrs) -> Outcome {
        Outcome::state(settle(self.schema, planned, prior))
    }

    fn delete(&self, ctx: &Context<'_>, prior: &Attrs) -> Outcome {
        let change = Change::Delete(prior.clone());
        one(self.apply_many(ctx, std::slice::from_ref(&change)))
    }

    fn read(&self, ctx: &Context<'_>, state: &Attrs) -> Outcome {
        one(self.read_many(ctx, std::slice::from_ref(state)))
    }

    fn import(&self, ctx: &Context<'_>, id: &str) -> Outcome {
        let id_name = self.target.id_name();
        let Some([resource_id, role, member]) = import_parts(id) else {
            return Outcome::failed(
                None,
                Diagnostic::error(
                    "Invalid import id",
                    format!(
                        "Expected \"<{id_name}>,<role>,<member>\" (or the state id \"<{id_name}>/<role>/<member>\", or the three separated by spaces), e.g. \"b1g…,viewer,serviceAccount:aje…\"; got {id:?}."
                    ),
                ),
            );
        };
        let mut attrs = Attrs::new();
        attrs.insert(id_name.into(), json!(resource_id));
        attrs.insert("role".into(), json!(role));
        attrs.insert("member".into(), json!(member));
        let problems = self.check(&attrs);
        if let Some(problem) = problems.into_iter().next() {
            return Outcome::failed(None, problem);
        }
        let binding = match binding_of(self.target, &attrs) {
            Ok(binding) => binding,
            Err(diagnostic) => return Outcome::failed(None, diagnostic),
        };
        match bindings_of(ctx, self.target, binding.resource_id) {
            Ok(existing) if existing.contains(&binding.access_binding()) => {
                let mut state = attrs.clone();
                state.insert("id".into(), json!(binding.id()));
                Outcome::state(state)
            }
            Ok(_) => Outcome::failed(
                None,
                Diagnostic::error(
                    "Cannot import non-existent remote object",
                    format!(
                        "The {} {resource_id} has no binding of role \"{role}\" to {member}.",
                        self.target.noun()
                    ),
                ),
            ),
            Err(diagnostic) => Outcome::failed(None, diagnostic),
        }
    }

    fn batches(&self) -> bool {
        true
    }

    fn read_many(&self, ctx: &Context<'_>, states: &[Attrs]) -> Vec<Outcome> {
        let bindings: Vec<Result<Binding<'_>, Diagnostic>> = states
            .iter()
            .map(|state| binding_of(self.target, state))
            .collect();
        let mut resources: BTreeMap<&str, Result<HashSet<AccessBinding>, Diagnostic>> =
            BTreeMap::new();
        for binding in bindings.iter().flatten() {
            resources
                .entry(binding.resource_id)
                .or_insert_with(|| bindings_of(ctx, self.target, binding.resource_id));
        }
        states
            .iter()
            .zip(&bindings)
            .map(|(state, binding)| {
                let binding = match binding {
                    Ok(binding) => binding,
                    Err(diagnostic) => return invalid_state(self.target, diagnostic),
                };
                match &resources[binding.resource_id] {
                    Ok(existing) if existing.contains(&binding.access_binding()) => {
                        let mut fresh = state.clone();
                        fresh.insert("id".into(), json!(binding.id()));
                        Outcome::state(fresh)
                    }
                    Ok(_) => Outcome::gone(),
                    Err(diagnostic) => Outcome::failed(Some(state.clone()), diagnostic.clone()),
                }
            })
            .collect()
    }

    fn apply_many(&self, ctx: &Context<'_>, changes: &[Change]) -> Vec<Outcome> {
        let mut outcomes: Vec<Option<Outcome>> = std::iter::repeat_with(|| None)
            .take(changes.len())
            .collect();
        let mut resources: BTreeMap<&str, Vec<(usize, BindingDelta)>> = BTreeMap::new();
        for (index, change) in changes.iter().enumerate() {
            let (action, attrs) = match change {
                Change::Update { prior, planned } => {
                    outcomes[index] = Some(self.update(ctx, prior, planned));
                    continue;
                }
                Change::Create(planned) => (BindingAction::Add, planned),
                Change::Delete(prior) => (BindingAction::Remove, prior),
            };
            match binding_of(self.target, attrs) {
                Ok(binding) => resources.entry(binding.resource_id).or_default().push((
                    index,
                    BindingDelta {
                        action,
                        binding: binding.access_binding(),
                    },
                )),
                Err(diagnostic) => {
                    let kept = matches!(change, Change::Delete(_)).then(|| attrs.clone());
                    outcomes[index] = Some(Outcome::failed(kept, diagnostic));
                }
            }
        }
        let iam = ctx.iam();
        for (resource_id, deltas) in &resources {
            for chunk in deltas.chunks(MAX_DELTAS_PER_REQUEST) {
                let batch: Vec<BindingDelta> =
                    chunk.iter().map(|(_, delta)| delta.clone()).collect();
                let results = send_isolating_failures(&iam, self.target, resource_id, &batch);
                for ((index, _), result) in chunk.iter().zip(results) {
                    outcomes[*index] = Some(self.delta_outcome(&changes[*index], result));
                }
            }
        }
        let sleep_after = changes
            .iter()
            .zip(&outcomes)
            .filter_map(|(change, outcome)| match (change, outcome) {
                (Change::Create(planned), Some(Outcome { state: Some(_), .. })) => {
                    get(planned, "sleep_after").as_u64()
                }
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

/// The single outcome of a one-element batch.
pub(super) fn one(mut outcomes: Vec<Outcome>) -> Outcome {
    outcomes.pop().unwrap_or_default()
}

/// A state that names no valid binding is dropped, with a warning saying why.
fn invalid_state(target: BindingTarget, diagnostic: &Diagnostic) -> Outcome {
    let noun = target.noun();
    let capitalised = noun[..1].to_uppercase() + &noun[1..];
    Outcome::gone().with(Diagnostic::warning(
        format!("{capitalised} IAM member removed from state"),
        format!(
            "The state does not name a valid binding ({}: {}).",
            diagnostic.summary, diagnostic.detail
        ),
    ))
}

impl Member {
    /// The outcome of one create or delete whose delta was sent (`Ok`) or refused.
    fn delta_outcome(&self, change: &Change, result: Result<(), Error>) -> Outcome {
        match (change, result) {
            (Change::Create(planned), Ok(())) => {
                let mut observed = planned.clone();
                if let Ok(binding) = binding_of(self.target, planned) {
                    observed.insert("id".into(), json!(binding.id()));
                }
                Outcome::state(settle(self.schema, planned, &observed))
            }
            (Change::Create(planned), Err(error)) => Outcome::failed(
                None,
                Diagnostic::api_failure(&self.failure_text(BindingAction::Add, planned), &error),
            ),
            (Change::Delete(_), Ok(())) => Outcome::gone(),
            (Change::Delete(_), Err(error)) if error.is(Code::NotFound) => Outcome::gone(),
            (Change::Delete(prior), Err(error)) => Outcome::failed(
                Some(prior.clone()),
                Diagnostic::api_failure(&self.failure_text(BindingAction::Remove, prior), &error),
            ),
            (Change::Update { prior, planned }, _) => {
                Outcome::state(settle(self.schema, planned, prior))
            }
        }
    }

    /// What failed, e.g. `Cannot grant role "viewer" on folder b1g… to serviceAccount:aje…`.
    fn failure_text(&self, action: BindingAction, attrs: &Attrs) -> String {
        let [resource, role, member] = [self.target.id_name(), "role", "member"]
            .map(|name| string(attrs, name).unwrap_or_default());
        let noun = self.target.noun();
        match action {
            BindingAction::Add => {
                format!("Cannot grant role \"{role}\" on {noun} {resource} to {member}")
            }
            BindingAction::Remove => {
                format!("Cannot revoke role \"{role}\" on {noun} {resource} from {member}")
            }
        }
    }
}

/// Sends the deltas of one resource (at most 1000) in one request. When the API refuses a
/// request for a reason one delta may cause (an unknown subject, say), the deltas are
/// split in halves and sent again, so only the offending deltas fail.
pub(super) fn send_isolating_failures(
    iam: &Iam<'_, dyn Platform + '_>,
    target: BindingTarget,
    resource_id: &str,
    deltas: &[BindingDelta],
) -> Vec<Result<(), Error>> {
    match iam.update_bindings(target, resource_id, deltas) {
        Ok(_) => vec![Ok(()); deltas.len()],
        Err(error) if deltas.len() > 1 && may_concern_one_delta(&error) => {
            let (left, right) = deltas.split_at(deltas.len() / 2);
            let mut results = send_isolating_failures(iam, target, resource_id, left);
            results.extend(send_isolating_failures(iam, target, resource_id, right));
            results
        }
        Err(error) => vec![Err(error); deltas.len()],
    }
}

/// Whether a refused delta request may be the fault of single deltas rather than of all.
fn may_concern_one_delta(error: &Error) -> bool {
    matches!(error, Error::InvalidInput(_))
        || [
            Code::InvalidArgument,
            Code::NotFound,
            Code::FailedPrecondition,
        ]
        .iter()
        .any(|code| error.is(*code))
}

/// The bindings of `target` `id`; a missing resource has none.
pub(super) fn bindings_of(
    ctx: &Context<'_>,
    target: BindingTarget,
    id: &str,
) -> Result<HashSet<AccessBinding>, Diagnostic> {
    match ctx.iam().list_bindings(target, id) {
        Ok(bindings) => Ok(bindings.into_iter().collect()),
        Err(error) if error.is(Code::NotFound) => Ok(HashSet::new()),
        Err(error) => Err(Diagnostic::api_failure(
            &format!("Cannot list access bindings of {} {id}", target.noun()),
            &error,
        )),
    }
}

#[cfg(test)]
mod import_id_tests {
    use super::import_parts;

    #[test]
    fn every_documented_import_id_form_names_resource_role_and_member() {
        let want = Some(["b1gf", "ai.languageModels.user", "serviceAccount:aje1"]);
        let cases = [
            ("b1gf,ai.languageModels.user,serviceAccount:aje1", want),
            ("b1gf/ai.languageModels.user/serviceAccount:aje1", want),
            ("b1gf ai.languageModels.user serviceAccount:aje1", want),
            (" b1gf, ai.languageModels.user, serviceAccount:aje1 ", want),
            ("b1gf,viewer", None),
            ("b1gf//serviceAccount:aje1", None),
            ("", None),
        ];
        for (id, want) in cases {
            assert_eq!(import_parts(id), want, "{id:?}");
        }
    }
}
