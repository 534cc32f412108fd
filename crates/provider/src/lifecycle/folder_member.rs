//! `yandex_resourcemanager_folder_iam_member`: one role granted to one subject on a folder,
//! added and removed with deltas so every other binding stays untouched.

use serde_json::{Value, json};

use super::schema::{AttrType, Attribute, OPTIONAL_STRING, ResourceSchema};
use super::value::{Attrs, get, is_unknown, string};
use super::{Context, Diagnostic, Outcome, Resource, required_string, settle};
use crate::error::Code;
use crate::model::Subject;
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

impl Resource for FolderMember {
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
        let binding = match binding_of(planned) {
            Ok(binding) => binding,
            Err(diagnostic) => return Outcome::failed(None, diagnostic),
        };
        let action = format!(
            "Cannot grant role \"{}\" on folder {} to {}",
            binding.role, binding.folder_id, binding.member
        );
        if let Err(error) = ctx
            .iam()
            .bind_role(binding.folder_id, binding.role, &binding.subject)
        {
            return Outcome::failed(None, Diagnostic::api_failure(&action, &error));
        }
        if let Some(seconds) = get(planned, "sleep_after").as_u64().filter(|s| *s > 0) {
            let millis = seconds.min(MAX_SLEEP_AFTER_SECONDS) * 1000;
            ctx.platform
                .sleep(u32::try_from(millis).unwrap_or(u32::MAX));
        }
        let mut observed = planned.clone();
        observed.insert(
            "id".into(),
            json!(binding_id(binding.folder_id, binding.role, binding.member)),
        );
        Outcome::state(settle(&SCHEMA, planned, &observed))
    }

    fn update(&self, _ctx: &Context<'_>, prior: &Attrs, planned: &Attrs) -> Outcome {
        Outcome::state(settle(&SCHEMA, planned, prior))
    }

    fn delete(&self, ctx: &Context<'_>, prior: &Attrs) -> Outcome {
        let binding = match binding_of(prior) {
            Ok(binding) => binding,
            Err(diagnostic) => return Outcome::failed(Some(prior.clone()), diagnostic),
        };
        match ctx
            .iam()
            .unbind_role(binding.folder_id, binding.role, &binding.subject)
        {
            Ok(()) => Outcome::gone(),
            Err(error) if error.is(Code::NotFound) => Outcome::gone(),
            Err(error) => Outcome::failed(
                Some(prior.clone()),
                Diagnostic::api_failure(
                    &format!(
                        "Cannot revoke role \"{}\" on folder {} from {}",
                        binding.role, binding.folder_id, binding.member
                    ),
                    &error,
                ),
            ),
        }
    }

    fn read(&self, ctx: &Context<'_>, state: &Attrs) -> Outcome {
        let binding = match binding_of(state) {
            Ok(binding) => binding,
            Err(diagnostic) => {
                return Outcome::gone().with(Diagnostic::warning(
                    "Folder IAM member removed from state",
                    format!(
                        "The state does not name a valid binding ({}: {}).",
                        diagnostic.summary, diagnostic.detail
                    ),
                ));
            }
        };
        match find_binding(ctx, &binding) {
            Ok(true) => {
                let mut fresh = state.clone();
                fresh.insert(
                    "id".into(),
                    json!(binding_id(binding.folder_id, binding.role, binding.member)),
                );
                Outcome::state(fresh)
            }
            Ok(false) => Outcome::gone(),
            Err(diagnostic) => Outcome::failed(Some(state.clone()), diagnostic),
        }
    }

    fn import(&self, ctx: &Context<'_>, id: &str) -> Outcome {
        let parts: Vec<&str> = id.splitn(3, ',').collect();
        let [folder_id, role, member] = parts[..] else {
            return Outcome::failed(
                None,
                Diagnostic::error(
                    "Invalid import id",
                    format!(
                        "Expected \"<folder_id>,<role>,<member>\", e.g. \"b1g…,viewer,serviceAccount:aje…\"; got {id:?}."
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
                state.insert("id".into(), json!(binding_id(folder_id, role, member)));
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
}

/// Whether the folder has the binding; a missing folder counts as no binding.
fn find_binding(ctx: &Context<'_>, binding: &Binding<'_>) -> Result<bool, Diagnostic> {
    match ctx.iam().list_folder_bindings(binding.folder_id) {
        Ok(bindings) => Ok(bindings.iter().any(|existing| {
            existing.role_id == binding.role && existing.subject == binding.subject
        })),
        Err(error) if error.is(Code::NotFound) => Ok(false),
        Err(error) => Err(Diagnostic::api_failure(
            &format!(
                "Cannot list access bindings of folder {}",
                binding.folder_id
            ),
            &error,
        )),
    }
}
