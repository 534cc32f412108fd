//! The imperative commands: one command per step of the manual procedure, each one call into the component.

use std::io::Write;

use anyhow::Result;

use crate::bindings::iam::{self, AccountSpec, KeySpec, Subject};
use crate::cli::{AccountCommand, BindingArgs, KeyCommand, RoleCommand};
use crate::failure::{CommandFailure, Exit};
use crate::output;
use ycprov_runtime::{HostState, Runtime};

/// Calls one `iam` export and turns its typed error into a [`CommandFailure`].
pub fn call_iam<T>(
    runtime: &Runtime,
    what: &str,
    f: impl FnOnce(
        &mut wasmtime::Store<HostState>,
        &iam::Guest,
    ) -> wasmtime::Result<Result<T, iam::Error>>,
) -> Result<T> {
    let indices = iam::GuestIndices::new(runtime.instance_pre()).map_err(|e| {
        anyhow::anyhow!("the provider component does not export the Yandex iam interface: {e:#}")
    })?;
    let result = runtime.call(what, |store, instance| {
        let guest = indices.load(&mut *store, instance)?;
        f(store, &guest)
    })?;
    result.map_err(|error| {
        let hint = crate::yandex::credentials_of(runtime)
            .map(|c| c.credential.unauthenticated_hint())
            .unwrap_or_default();
        CommandFailure::from_iam(what, &error, &hint).into()
    })
}

/// `ycprov account …`
pub fn account(runtime: &Runtime, command: AccountCommand, out: &mut impl Write) -> Result<()> {
    match command {
        AccountCommand::Create {
            folder_id,
            name,
            description,
            labels,
            format,
        } => {
            let spec = AccountSpec {
                folder_id,
                name,
                description,
                labels: parse_labels(&labels)?,
            };
            let account = call_iam(runtime, "creating the service account", |s, iam| {
                iam.call_create_account(s, &spec)
            })?;
            write!(
                out,
                "{}",
                output::render(&output::account_json(&account), format)
            )?;
        }
        AccountCommand::List { folder_id, format } => {
            let accounts = call_iam(runtime, "listing service accounts", |s, iam| {
                iam.call_list_accounts(s, &folder_id)
            })?;
            let values: Vec<_> = accounts.iter().map(output::account_json).collect();
            write!(out, "{}", output::render_list(&values, format))?;
        }
        AccountCommand::Get {
            id,
            name,
            folder_id,
            format,
        } => {
            let account = match (id, name, folder_id) {
                (Some(id), _, _) => call_iam(runtime, "reading the service account", |s, iam| {
                    iam.call_get_account(s, &id)
                })?,
                (None, Some(name), Some(folder_id)) => {
                    let found = call_iam(runtime, "finding the service account", |s, iam| {
                        iam.call_find_account_by_name(s, &folder_id, &name)
                    })?;
                    found.ok_or_else(|| CommandFailure {
                        message: format!("no service account named `{name}` in folder {folder_id}"),
                        exit: Exit::NotFound,
                    })?
                }
                _ => unreachable!("clap requires an id or --name with --folder-id"),
            };
            write!(
                out,
                "{}",
                output::render(&output::account_json(&account), format)
            )?;
        }
        AccountCommand::Delete { id } => {
            call_iam(runtime, "deleting the service account", |s, iam| {
                iam.call_delete_account(s, &id)
            })?;
            writeln!(out, "deleted service account {id}")?;
        }
    }
    Ok(())
}

/// `ycprov role …`
pub fn role(runtime: &Runtime, command: RoleCommand, out: &mut impl Write) -> Result<()> {
    match command {
        RoleCommand::Bind(args) => {
            let subject = subject_of(&args)?;
            call_iam(runtime, "binding the role", |s, iam| {
                iam.call_bind_role(s, &args.folder_id, &args.role, &subject)
            })?;
            writeln!(
                out,
                "granted {} on folder {} to {}:{}",
                args.role, args.folder_id, subject.kind, subject.id
            )?;
        }
        RoleCommand::Unbind(args) => {
            let subject = subject_of(&args)?;
            call_iam(runtime, "unbinding the role", |s, iam| {
                iam.call_unbind_role(s, &args.folder_id, &args.role, &subject)
            })?;
            writeln!(
                out,
                "revoked {} on folder {} from {}:{}",
                args.role, args.folder_id, subject.kind, subject.id
            )?;
        }
        RoleCommand::List { folder_id, format } => {
            let bindings = call_iam(runtime, "listing access bindings", |s, iam| {
                iam.call_list_folder_bindings(s, &folder_id)
            })?;
            let values: Vec<_> = bindings.iter().map(output::binding_json).collect();
            write!(out, "{}", output::render_list(&values, format))?;
        }
    }
    Ok(())
}

/// `ycprov key …`
pub fn key(runtime: &Runtime, command: KeyCommand, out: &mut impl Write) -> Result<()> {
    match command {
        KeyCommand::Create {
            service_account_id,
            scopes,
            expires_at,
            description,
            format,
        } => {
            let spec = KeySpec {
                service_account_id,
                description,
                scopes,
                expires_at,
            };
            let created = call_iam(runtime, "creating the API key", |s, iam| {
                iam.call_create_key(s, &spec)
            })?;
            write!(
                out,
                "{}",
                output::render(&output::created_key_json(&created), format)
            )?;
        }
        KeyCommand::List {
            service_account_id,
            format,
        } => {
            let keys = call_iam(runtime, "listing API keys", |s, iam| {
                iam.call_list_keys(s, &service_account_id)
            })?;
            let values: Vec<_> = keys.iter().map(output::key_json).collect();
            write!(out, "{}", output::render_list(&values, format))?;
        }
        KeyCommand::Get { id, format } => {
            let key = call_iam(runtime, "reading the API key", |s, iam| {
                iam.call_get_key(s, &id)
            })?;
            write!(out, "{}", output::render(&output::key_json(&key), format))?;
        }
        KeyCommand::Delete { id } => {
            call_iam(runtime, "deleting the API key", |s, iam| {
                iam.call_delete_key(s, &id)
            })?;
            writeln!(out, "deleted API key {id}")?;
        }
    }
    Ok(())
}

/// The subject of `--service-account-id ID` or `--subject TYPE:ID`.
fn subject_of(args: &BindingArgs) -> Result<Subject> {
    if let Some(id) = &args.service_account_id {
        return Ok(Subject {
            kind: "serviceAccount".into(),
            id: id.clone(),
        });
    }
    let member = args.subject.as_deref().unwrap_or_default();
    match member.split_once(':') {
        Some((kind, id)) if !kind.is_empty() && !id.is_empty() => Ok(Subject {
            kind: kind.into(),
            id: id.into(),
        }),
        _ => Err(CommandFailure {
            message: format!(
                "--subject `{member}` must be TYPE:ID, e.g. serviceAccount:ajexxxxxxxxxxxxxxxxx"
            ),
            exit: Exit::InvalidInput,
        }
        .into()),
    }
}

fn parse_labels(labels: &[String]) -> Result<Vec<(String, String)>> {
    labels
        .iter()
        .map(|label| match label.split_once('=') {
            Some((k, v)) => Ok((k.to_string(), v.to_string())),
            None => Err(CommandFailure {
                message: format!("--label `{label}` must be KEY=VALUE"),
                exit: Exit::InvalidInput,
            }
            .into()),
        })
        .collect()
}
