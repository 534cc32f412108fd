//! `ycprov demo`: the three steps of AI Studio access against an emulator started in this process.

use std::io::Write;

use anyhow::{Context, Result};

use crate::bindings::iam::{AccountSpec, KeySpec, Subject};
use crate::cli::{DemoArgs, GlobalArgs};
use crate::imperative::call_iam;
use crate::output;
use crate::yandex::credentials::Credential;

/// Starts an in-memory emulator, then creates the account, grants the role and creates the key.
pub fn run(global: &GlobalArgs, args: &DemoArgs, out: &mut impl Write) -> Result<()> {
    let emulator = yc_emulator::Emulator::start(yc_emulator::Config::default())
        .context("starting the local emulator")?;
    let seed = emulator.seed();
    writeln!(
        out,
        "local Yandex Cloud emulator at {}",
        emulator.base_url()
    )?;
    writeln!(out, "folder {} in cloud {}", seed.folder_id, seed.cloud_id)?;

    let policy = crate::yandex::policy(global, Some(&emulator.base_url()))?;
    let credential = Credential::from_sources(Some(seed.admin_token.clone()), None);
    let runtime = crate::yandex::runtime(
        global.provider.as_deref(),
        crate::yandex::capabilities_for(policy, credential, None, None),
    )?;

    let spec = AccountSpec {
        folder_id: seed.folder_id.clone(),
        name: args.name.clone(),
        description: Some("AI Studio access (ycprov demo)".into()),
        labels: Vec::new(),
    };
    let account = call_iam(
        &runtime,
        "step 1, creating the service account",
        |s, iam| iam.call_create_account(s, &spec),
    )?;
    writeln!(
        out,
        "\n1. service account {} ({})",
        account.name, account.id
    )?;

    let subject = Subject {
        kind: "serviceAccount".into(),
        id: account.id.clone(),
    };
    call_iam(&runtime, "step 2, binding the role", |s, iam| {
        iam.call_bind_role(s, &seed.folder_id, &args.role, &subject)
    })?;
    writeln!(out, "2. granted {} on folder {}", args.role, seed.folder_id)?;

    let spec = KeySpec {
        service_account_id: account.id.clone(),
        description: Some("AI Studio key (ycprov demo)".into()),
        scopes: vec![args.scope.clone()],
        expires_at: None,
    };
    let created = call_iam(&runtime, "step 3, creating the API key", |s, iam| {
        iam.call_create_key(s, &spec)
    })?;
    writeln!(out, "3. API key:")?;
    write!(
        out,
        "{}",
        output::render(
            &output::created_key_json(&created),
            crate::cli::Format::Text
        )
    )?;
    let snapshot = emulator.snapshot();
    writeln!(
        out,
        "\nthe emulator now holds {} service account(s), {} folder binding(s), {} API key(s)",
        snapshot.service_accounts.len(),
        snapshot
            .folder_bindings
            .values()
            .map(Vec::len)
            .sum::<usize>(),
        snapshot.api_keys.len()
    )?;
    Ok(())
}
