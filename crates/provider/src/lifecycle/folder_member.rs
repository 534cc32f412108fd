//! `yandex_resourcemanager_folder_iam_member`: one role granted to one subject on a folder,
//! added and removed with deltas so every other binding stays untouched.
//!
//! Members batch: the members of one folder applied together become one
//! `updateAccessBindings` per 1000 deltas, and reading them lists the folder's bindings once.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Value, json};

use ycprov_provider_sdk::rules::{required_string, settle};
use ycprov_provider_sdk::schema::{AttrType, Attribute, OPTIONAL_STRING, ResourceSchema};
use ycprov_provider_sdk::value::{Attrs, get, is_unknown, string};

use super::{
    Change, Context, Diagnostic, Outcome, Resource, Yandex, YandexContext, YandexDiagnostic,
};
use crate::error::{Code, Error};
use crate::iam::{Iam, MAX_DELTAS_PER_REQUEST};
use crate::model::{AccessBinding, BindingAction, BindingDelta, Subject};
use crate::platform::Platform;
use crate::validation::{self, Invalid};

/// The resource type.
pub struct FolderMember;

/// The longest `sleep_after` accepted, in seconds.
const MAX_SLEEP_AFTER_SECONDS: u64 = 3600;

static SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "yandex_resourcemanager_folder_iam_member",
    version: 0,
    description: "One role on a folder granted to one member. Additive: other bindings of the folder are never touched.",
    attributes: &[
        Attribute {
            name: "id",
            optional: false,
            computed: true,
            description: "`folder_id/role/member`.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "folder_id",
            required: true,
            optional: false,
            force_new: true,
            description: "The folder to grant the role on. Changing it replaces the binding.",
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
        Attribute {
            name: "member",
            required: true,
            optional: false,
            force_new: true,
            description: "The subject as `TYPE:ID`, TYPE one of serviceAccount, userAccount, federatedUser, group, system (e.g. `serviceAccount:aje…`, `system:allUsers`). Changing it replaces the binding.",
            ..OPTIONAL_STRING
        },
        Attribute {
            name: "sleep_after",
            ty: AttrType::Number,
            description: "Seconds to wait after granting the role, to let IAM propagate it (0-3600).",
            ..OPTIONAL_STRING
        },
    ],
};

/// Parses a `TYPE:ID` member string.
fn parse_member(member: &str) -> Result<Subject, Invalid> {
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

fn binding_id(folder_id: &str, role: &str, member: &str) -> String {
    format!("{folder_id}/{role}/{member}")
}

/// The three identifying attributes of a state or plan.
struct Binding<'a> {
    folder_id: &'a str,
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
        binding_id(self.folder_id, self.role, self.member)
    }
}

fn binding_of(attrs: &Attrs) -> Result<Binding<'_>, Diagnostic> {
    let folder_id = required_string(attrs, "folder_id")?;
    let role = required_string(attrs, "role")?;
    let member = required_string(attrs, "member")?;
    let subject = parse_member(member).map_err(Diagnostic::invalid)?;
    Ok(Binding {
        folder_id,
        role,
        member,
        subject,
    })
}

fn sleep_after_check(value: &Value) -> Result<(), Invalid> {
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

/// The folder, role and member an import id names: `folder,role,member` (the documented
/// form), `folder/role/member` (the state's own id) or `folder role member`.
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

impl Resource<Yandex> for FolderMember {
    fn schema(&self) -> &'static ResourceSchema {
        &SCHEMA
    }

    fn check(&self, config: &Attrs) -> Vec<Diagnostic> {
        let mut checks = Vec::new();
        if let Some(folder) = string(config, "folder_id") {
            checks.push(validation::resource_id("folder_id", folder));
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
        checks
            .into_iter()
            .filter_map(Result::err)
            .map(Diagnostic::invalid)
            .collect()
    }

    fn plan_defaults(
        &self,
        _ctx: &Context<'_>,
        _config: &Attrs,
        planned: &mut Attrs,
        _diagnostics: &mut Vec<Diagnostic>,
    ) {
        if let (Some(folder), Some(role), Some(member)) = (
            string(planned, "folder_id"),
            string(planned, "role"),
            string(planned, "member"),
        ) {
            let id = binding_id(folder, role, member);
            planned.insert("id".into(), json!(id));
        }
    }

    fn create(&self, ctx: &Context<'_>, planned: &Attrs) -> Outcome {
        let change = Change::Create(planned.clone());
        one(self.apply_many(ctx, std::slice::from_ref(&change)))
    }

    fn update(&self, _ctx: &Context<'_>, prior: &Attrs, planned: &Attrs) -> Outcome {
        Outcome::state(settle(&SCHEMA, planned, prior))
    }

    fn delete(&self, ctx: &Context<'_>, prior: &Attrs) -> Outcome {
        let change = Change::Delete(prior.clone());
        one(self.apply_many(ctx, std::slice::from_ref(&change)))
    }

    fn read(&self, ctx: &Context<'_>, state: &Attrs) -> Outcome {
        one(self.read_many(ctx, std::slice::from_ref(state)))
    }

    fn import(&self, ctx: &Context<'_>, id: &str) -> Outcome {
        let Some([folder_id, role, member]) = import_parts(id) else {
            return Outcome::failed(
                None,
                Diagnostic::error(
                    "Invalid import id",
                    format!(
                        "Expected \"<folder_id>,<role>,<member>\" (or the state id \"<folder_id>/<role>/<member>\", or the three separated by spaces), e.g. \"b1g…,viewer,serviceAccount:aje…\"; got {id:?}."
                    ),
                ),
            );
        };
        let mut attrs = Attrs::new();
        attrs.insert("folder_id".into(), json!(folder_id));
        attrs.insert("role".into(), json!(role));
        attrs.insert("member".into(), json!(member));
        let problems = self.check(&attrs);
        if let Some(problem) = problems.into_iter().next() {
            return Outcome::failed(None, problem);
        }
        let binding = match binding_of(&attrs) {
            Ok(binding) => binding,
            Err(diagnostic) => return Outcome::failed(None, diagnostic),
        };
        match find_binding(ctx, &binding) {
            Ok(true) => {
                let mut state = attrs.clone();
                state.insert("id".into(), json!(binding.id()));
                Outcome::state(state)
            }
            Ok(false) => Outcome::failed(
                None,
                Diagnostic::error(
                    "Cannot import non-existent remote object",
                    format!("Folder {folder_id} has no binding of role \"{role}\" to {member}."),
                ),
            ),
            Err(diagnostic) => Outcome::failed(None, diagnostic),
        }
    }

    fn batches(&self) -> bool {
        true
    }

    fn read_many(&self, ctx: &Context<'_>, states: &[Attrs]) -> Vec<Outcome> {
        let bindings: Vec<Result<Binding<'_>, Diagnostic>> =
            states.iter().map(binding_of).collect();
        let mut folders: BTreeMap<&str, Result<HashSet<AccessBinding>, Diagnostic>> =
            BTreeMap::new();
        for binding in bindings.iter().flatten() {
            folders
                .entry(binding.folder_id)
                .or_insert_with(|| folder_bindings(ctx, binding.folder_id));
        }
        states
            .iter()
            .zip(&bindings)
            .map(|(state, binding)| {
                let binding = match binding {
                    Ok(binding) => binding,
                    Err(diagnostic) => return invalid_state(diagnostic),
                };
                match &folders[binding.folder_id] {
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
        let mut folders: BTreeMap<&str, Vec<(usize, BindingDelta)>> = BTreeMap::new();
        for (index, change) in changes.iter().enumerate() {
            let (action, attrs) = match change {
                Change::Update { prior, planned } => {
                    outcomes[index] = Some(self.update(ctx, prior, planned));
                    continue;
                }
                Change::Create(planned) => (BindingAction::Add, planned),
                Change::Delete(prior) => (BindingAction::Remove, prior),
            };
            match binding_of(attrs) {
                Ok(binding) => folders.entry(binding.folder_id).or_default().push((
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
        for (folder_id, deltas) in &folders {
            for chunk in deltas.chunks(MAX_DELTAS_PER_REQUEST) {
                let batch: Vec<BindingDelta> =
                    chunk.iter().map(|(_, delta)| delta.clone()).collect();
                let results = send_isolating_failures(&iam, folder_id, &batch);
                for ((index, _), result) in chunk.iter().zip(results) {
                    outcomes[*index] = Some(delta_outcome(&changes[*index], result));
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
fn one(mut outcomes: Vec<Outcome>) -> Outcome {
    outcomes.pop().unwrap_or_default()
}

/// A state that names no valid binding is dropped, with a warning saying why.
fn invalid_state(diagnostic: &Diagnostic) -> Outcome {
    Outcome::gone().with(Diagnostic::warning(
        "Folder IAM member removed from state",
        format!(
            "The state does not name a valid binding ({}: {}).",
            diagnostic.summary, diagnostic.detail
        ),
    ))
}

/// The outcome of one create or delete whose delta was sent (`Ok`) or refused.
fn delta_outcome(change: &Change, result: Result<(), Error>) -> Outcome {
    match (change, result) {
        (Change::Create(planned), Ok(())) => {
            let mut observed = planned.clone();
            if let Ok(binding) = binding_of(planned) {
                observed.insert("id".into(), json!(binding.id()));
            }
            Outcome::state(settle(&SCHEMA, planned, &observed))
        }
        (Change::Create(planned), Err(error)) => Outcome::failed(
            None,
            Diagnostic::api_failure(&failure_text(BindingAction::Add, planned), &error),
        ),
        (Change::Delete(_), Ok(())) => Outcome::gone(),
        (Change::Delete(_), Err(error)) if error.is(Code::NotFound) => Outcome::gone(),
        (Change::Delete(prior), Err(error)) => Outcome::failed(
            Some(prior.clone()),
            Diagnostic::api_failure(&failure_text(BindingAction::Remove, prior), &error),
        ),
        (Change::Update { prior, planned }, _) => Outcome::state(settle(&SCHEMA, planned, prior)),
    }
}

/// What failed, e.g. `Cannot grant role "viewer" on folder b1g… to serviceAccount:aje…`.
fn failure_text(action: BindingAction, attrs: &Attrs) -> String {
    let [folder, role, member] =
        ["folder_id", "role", "member"].map(|name| string(attrs, name).unwrap_or_default());
    match action {
        BindingAction::Add => {
            format!("Cannot grant role \"{role}\" on folder {folder} to {member}")
        }
        BindingAction::Remove => {
            format!("Cannot revoke role \"{role}\" on folder {folder} from {member}")
        }
    }
}

/// Sends the deltas of one folder (at most 1000) in one request. When the API refuses a
/// request for a reason one delta may cause (an unknown subject, say), the deltas are
/// split in halves and sent again, so only the offending deltas fail.
fn send_isolating_failures(
    iam: &Iam<'_, dyn Platform + '_>,
    folder_id: &str,
    deltas: &[BindingDelta],
) -> Vec<Result<(), Error>> {
    match iam.update_folder_bindings(folder_id, deltas) {
        Ok(_) => vec![Ok(()); deltas.len()],
        Err(error) if deltas.len() > 1 && may_concern_one_delta(&error) => {
            let (left, right) = deltas.split_at(deltas.len() / 2);
            let mut results = send_isolating_failures(iam, folder_id, left);
            results.extend(send_isolating_failures(iam, folder_id, right));
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

/// The bindings of a folder; a missing folder has none.
fn folder_bindings(
    ctx: &Context<'_>,
    folder_id: &str,
) -> Result<HashSet<AccessBinding>, Diagnostic> {
    match ctx.iam().list_folder_bindings(folder_id) {
        Ok(bindings) => Ok(bindings.into_iter().collect()),
        Err(error) if error.is(Code::NotFound) => Ok(HashSet::new()),
        Err(error) => Err(Diagnostic::api_failure(
            &format!("Cannot list access bindings of folder {folder_id}"),
            &error,
        )),
    }
}

/// Whether the folder has the binding; a missing folder counts as no binding.
fn find_binding(ctx: &Context<'_>, binding: &Binding<'_>) -> Result<bool, Diagnostic> {
    folder_bindings(ctx, binding.folder_id)
        .map(|existing| existing.contains(&binding.access_binding()))
}

#[cfg(test)]
mod import_id_tests {
    use super::import_parts;

    #[test]
    fn every_documented_import_id_form_names_folder_role_and_member() {
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
