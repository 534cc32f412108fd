//! `ycprov`: Yandex Cloud access provisioning as sandboxed, declarative infrastructure code.
//!
//! The provider (all Yandex Cloud logic) is a WebAssembly component; this host
//! supplies its capabilities (HTTP, credentials, clock, log) and the user interface.
//! The binary is a thin `main` over [`main_with_args`]; the modules are public so
//! the integration tests can drive the runtime in-process.

pub mod bindings;
pub mod capabilities;
pub mod cli;
pub mod component_cache;
pub mod component_provider;
pub mod credentials;
pub mod declarative;
pub mod demo;
pub mod failure;
pub mod imperative;
pub mod local;
pub mod output;
pub mod policy;
pub mod redact;
pub mod runtime;

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

use crate::capabilities::Capabilities;
use crate::cli::{Cli, Command, GlobalArgs};
use crate::credentials::Credential;
use crate::failure::{CommandFailure, Exit};
use crate::policy::Policy;
use crate::runtime::Runtime;

/// Parses `args` (including the program name) and runs the command; returns the exit code.
pub fn main_with_args(args: impl IntoIterator<Item = String>) -> ExitCode {
    let cli = Cli::parse_from(cli::normalize_args(args));
    init_logging(cli.global.log.as_deref());
    let secrets = Credential::from_sources(cli.global.token.clone(), None).secrets();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            let exit = error
                .downcast_ref::<CommandFailure>()
                .map(|f| f.exit)
                .unwrap_or(Exit::Failure);
            let message = redact::redact(&format!("{error:#}"), &secrets);
            eprintln!("error: {message}");
            exit.into()
        }
    }
}

fn run(cli: Cli) -> Result<u8> {
    if let Some(dir) = &cli.global.chdir {
        std::env::set_current_dir(dir)
            .with_context(|| format!("-chdir: cannot switch to {}", dir.display()))?;
    }
    if declarative::is_declarative(&cli.command) {
        let code = declarative::run(&cli.global, cli.command)?;
        return Ok(u8::try_from(code).unwrap_or(1));
    }
    let mut stdout = std::io::stdout().lock();
    match cli.command {
        Command::Account(command) => {
            imperative::account(&runtime_for(&cli.global)?, command, &mut stdout)?
        }
        Command::Role(command) => {
            imperative::role(&runtime_for(&cli.global)?, command, &mut stdout)?
        }
        Command::Key(command) => imperative::key(&runtime_for(&cli.global)?, command, &mut stdout)?,
        Command::Demo(args) => demo::run(&cli.global, &args, &mut stdout)?,
        Command::ProviderWasm { out } => {
            std::fs::write(&out, runtime::EMBEDDED_PROVIDER)
                .with_context(|| format!("writing {}", out.display()))?;
            writeln!(
                stdout,
                "wrote the provider component ({} bytes) to {}",
                runtime::EMBEDDED_PROVIDER.len(),
                out.display()
            )?;
        }
        _ => unreachable!("declarative commands return above"),
    }
    Ok(Exit::Ok as u8)
}

/// The sandbox policy of the global flags for requests to `endpoint` (if overridden).
pub fn policy_for(global: &GlobalArgs, endpoint: Option<&str>) -> Result<Policy> {
    let policy = Policy::new(endpoint)?;
    match &global.policy {
        Some(file) => policy.with_file(file),
        None => Ok(policy),
    }
}

/// Builds the component runtime from the global flags.
pub fn runtime_for(global: &GlobalArgs) -> Result<Runtime> {
    let policy = policy_for(global, global.endpoint.as_deref())?;
    let credential = Credential::from_sources(global.token.clone(), None);
    Runtime::new(
        global.provider.as_deref(),
        Capabilities::new(policy, credential),
    )
}

fn init_logging(filter: Option<&str>) {
    let filter = filter
        .map(str::to_string)
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "warn".to_string());
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_target(true)
        .init();
}
