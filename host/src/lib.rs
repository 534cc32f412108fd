//! `ycprov`: Yandex Cloud access provisioning as sandboxed, declarative infrastructure code.
//!
//! The provider (all Yandex Cloud logic) is a WebAssembly component; this host
//! supplies its capabilities (HTTP, credentials, clock, log) and the user interface.
//! The binary is a thin `main` over [`main_with_args`]; the modules are public so
//! the integration tests can drive the runtime in-process.

pub mod ai_studio;
pub mod backend;
pub mod bindings;
pub mod cli;
pub mod clock;
pub mod component_provider;
pub mod declarative;
pub mod demo;
pub mod failure;
pub mod imperative;
pub mod interrupt;
pub mod logging;
pub mod output;
pub mod providers;
pub mod redact;
pub mod yandex;

pub use ycprov_runtime as runner;

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

use crate::cli::{AiStudioCommand, AiStudioKeyCommand, AuthCommand, Cli, Command, GlobalArgs};
use crate::failure::{CommandFailure, Exit};
use crate::yandex::credentials::CredentialConfig;
use ycprov_runtime::Runtime;

/// Parses `args` (including the program name) and runs the command; returns the exit code.
pub fn main_with_args(args: impl IntoIterator<Item = String>) -> ExitCode {
    let cli = Cli::parse_from(cli::normalize_args(args));
    logging::init(cli.global.log.as_deref());
    std::panic::set_hook(Box::new(|info| {
        let message = redact::scrub(&info.to_string()).into_owned();
        eprintln!("error: ycprov crashed (a bug; please report it): {message}");
    }));
    for secret in CredentialConfig::from_global(&cli.global).secrets() {
        redact::register(&secret);
    }
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            let exit = error
                .downcast_ref::<CommandFailure>()
                .map(|f| f.exit)
                .unwrap_or(Exit::Failure);
            let message = redact::scrub(&format!("{error:#}")).into_owned();
            eprintln!("error: {message}");
            exit.into()
        }
    }
}

fn run(cli: Cli) -> Result<u8> {
    clock::check()?;
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
            let runtime = runtime_for(&cli.global)?;
            imperative::account(&runtime, command, &mut stdout)
                .map_err(|e| credential_failure(&runtime, e))?
        }
        Command::Role(command) => {
            let runtime = runtime_for(&cli.global)?;
            imperative::role(&runtime, command, &mut stdout)
                .map_err(|e| credential_failure(&runtime, e))?
        }
        Command::Key(command) => {
            let runtime = runtime_for(&cli.global)?;
            imperative::key(&runtime, command, &mut stdout)
                .map_err(|e| credential_failure(&runtime, e))?
        }
        Command::AiStudio(AiStudioCommand::Key(AiStudioKeyCommand::Create(args))) => {
            let runtime = runtime_for(&cli.global)?;
            ai_studio::create_key(&runtime, args, &mut stdout)
                .map_err(|e| credential_failure(&runtime, e))?
        }
        Command::Auth(AuthCommand::Status { format }) => {
            return yandex::credentials::status::run(&cli.global, format, &mut stdout);
        }
        Command::Demo(args) => demo::run(&cli.global, &args, &mut stdout)?,
        Command::ProviderWasm { out, wasi } => {
            let (wasm, what) = if wasi {
                (yandex::WASI_COMPONENT, "the WASI build of the provider")
            } else {
                (yandex::EMBEDDED_COMPONENT, "the provider component")
            };
            std::fs::write(&out, wasm).with_context(|| format!("writing {}", out.display()))?;
            writeln!(
                stdout,
                "wrote {what} ({} bytes) to {}",
                wasm.len(),
                out.display()
            )?;
            let (imports, exports) = ycprov_runtime::interfaces(wasm)?;
            writeln!(stdout, "imports: {}", imports.join(", "))?;
            writeln!(stdout, "exports: {}", exports.join(", "))?;
        }
        _ => unreachable!("declarative commands return above"),
    }
    Ok(Exit::Ok as u8)
}

/// Builds the component runtime for the imperative commands (the Yandex host profile).
pub fn runtime_for(global: &GlobalArgs) -> Result<Runtime> {
    yandex::runtime(global.provider.as_deref(), yandex::capabilities(global)?)
}

/// When a command failed because the credential gave no token (its requests were refused
/// with `credentials: …`), the credential's own message and exit code 6 replace the error.
fn credential_failure(runtime: &Runtime, error: anyhow::Error) -> anyhow::Error {
    let undelivered = error
        .downcast_ref::<CommandFailure>()
        .is_some_and(|f| f.exit == Exit::Unreachable);
    match yandex::credentials_of(runtime).and_then(|c| c.credential.failure()) {
        Some(failure) if undelivered => CommandFailure {
            message: format!("cannot authenticate: {failure}"),
            exit: Exit::Unauthorized,
        }
        .into(),
        _ => error,
    }
}
