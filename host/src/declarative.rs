//! The declarative commands: the engine (`ycprov-engine`) driving the provider component.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use serde_json::Value;
use ycprov_engine::commands::{self, Options, RefreshOnly, Ui};
use ycprov_engine::config::VarSource;

use crate::cli::{
    ApplyArgs, Command, ConfigArgs, GlobalArgs, ImportArgs, OutputArgs, PlanArgs, StateCommand,
};
use crate::component_provider::ComponentProvider;
use crate::failure::{CommandFailure, Exit};
use crate::providers;
use crate::yandex;
use crate::yandex::local::LocalCloud;
use ycprov_engine::providers::{ProviderConfigAddr, Providers};

/// Runs one declarative command and returns its exit code.
pub fn run(global: &GlobalArgs, command: Command) -> Result<i32> {
    let mut ui = TerminalUi;
    let code = match command {
        Command::Init(args) => {
            let opts = if args.backend {
                let opts = options(&args.config)?;
                crate::backend::init::prepare(&args, &opts)?;
                opts
            } else {
                options_without_backend(&args.config)?
            };
            with_providers(global, &args.config, &opts, |p| {
                commands::init(&opts, p, &mut ui)
            })?
        }
        Command::Validate(args) => {
            let opts = options_without_backend(&args)?;
            with_providers(global, &args, &opts, |p| {
                commands::validate(&opts, p, &mut ui)
            })?
        }
        Command::Plan(PlanArgs {
            config,
            detailed_exitcode,
            out,
            destroy,
        }) => {
            let mut opts = options(&config)?;
            opts.detailed_exitcode = detailed_exitcode;
            opts.out = out;
            opts.destroy = destroy;
            with_providers(global, &config, &opts, |p| {
                if config.refresh_only {
                    commands::refresh_only(&opts, p, &mut ui, RefreshOnly::Plan)
                } else {
                    commands::plan(&opts, p, &mut ui)
                }
            })?
        }
        Command::Apply(args) => apply_like(global, args, &mut ui, commands::apply)?,
        Command::Destroy(args) => apply_like(global, args, &mut ui, commands::destroy)?,
        Command::Import(ImportArgs {
            config,
            address,
            id,
        }) => {
            let opts = options(&config)?;
            with_providers(global, &config, &opts, |p| {
                commands::import(&opts, p, &mut ui, &address, &id)
            })?
        }
        Command::Refresh(args) => {
            let opts = options(&args)?;
            with_providers(global, &args, &opts, |p| {
                commands::refresh(&opts, p, &mut ui)
            })?
        }
        Command::Output(OutputArgs {
            state,
            raw,
            json,
            name,
        }) => {
            let mut opts = state_options(&state)?;
            opts.raw = raw;
            opts.json = json;
            commands::output(&opts, &mut ui, name.as_deref())
        }
        Command::State(StateCommand::Pull { state }) => {
            commands::state_pull(&state_options(&state)?, &mut ui)
        }
        Command::State(StateCommand::Push { state, force, file }) => {
            commands::state_push(&state_options(&state)?, &mut ui, &file, force)
        }
        Command::State(StateCommand::List { state }) => {
            commands::state_list(&state_options(&state)?, &mut ui, &[])
        }
        Command::State(StateCommand::Show {
            state,
            show_sensitive,
            address,
        }) => {
            let mut opts = state_options(&state)?;
            opts.show_sensitive = show_sensitive;
            commands::state_show(&opts, &mut ui, &address)
        }
        Command::ForceUnlock { id, state } => {
            commands::force_unlock(&state_options(&state)?, &mut ui, &id)
        }
        other => unreachable!("not a declarative command: {other:?}"),
    };
    Ok(code)
}

/// `apply` and `destroy`: the same flags, a different engine command.
fn apply_like(
    global: &GlobalArgs,
    args: ApplyArgs,
    ui: &mut TerminalUi,
    command: fn(&Options, &Providers<'_>, &mut dyn Ui) -> i32,
) -> Result<i32> {
    let mut opts = options(&args.config)?;
    opts.auto_approve = args.auto_approve;
    opts.plan_file = args.plan_file;
    let refresh_only = args.config.refresh_only;
    with_providers(global, &args.config, &opts, |p| {
        if refresh_only {
            commands::refresh_only(&opts, p, ui, RefreshOnly::Apply { confirm: true })
        } else {
            command(&opts, p, ui)
        }
    })
}

/// Whether a command is one of the declarative ones.
pub fn is_declarative(command: &Command) -> bool {
    matches!(
        command,
        Command::Init(_)
            | Command::Validate(_)
            | Command::Plan(_)
            | Command::Apply(_)
            | Command::Destroy(_)
            | Command::Import(_)
            | Command::Refresh(_)
            | Command::Output(_)
            | Command::State(_)
            | Command::ForceUnlock { .. }
    )
}

/// Options for a command that reads and writes the state (through the backend).
fn options(args: &ConfigArgs) -> Result<Options> {
    let mut opts = options_without_backend(args)?;
    crate::backend::apply_backend(&mut opts, &args.state)?;
    Ok(opts)
}

/// Options for a command that never touches the state (`validate`): no backend, so no
/// backend credentials are needed.
fn options_without_backend(args: &ConfigArgs) -> Result<Options> {
    let mut opts = Options::new(".");
    opts.state_path = Some(args.state.clone());
    opts.vars = args
        .var_files
        .iter()
        .cloned()
        .map(VarSource::File)
        .collect();
    for var in &args.vars {
        let source = VarSource::parse_flag(var).map_err(|e| CommandFailure {
            message: format!("{e:#}"),
            exit: Exit::Usage,
        })?;
        opts.vars.push(source);
    }
    opts.targets = args.targets.clone();
    opts.replace = args.replace.clone();
    opts.parallelism = args.parallelism.max(1);
    opts.refresh = args.refresh;
    opts.lock = args.lock;
    opts.json = args.json;
    opts.now = Some(crate::clock::now());
    opts.interrupted = Some(crate::interrupt::flag());
    Ok(opts)
}

/// Options for the state: the configuration's backend (in the current directory), else
/// the `-state` file.
fn state_options(state: &Path) -> Result<Options> {
    let mut opts = Options::new(".");
    opts.state_path = Some(state.to_path_buf());
    crate::backend::apply_backend(&mut opts, state)?;
    Ok(opts)
}

/// Loads every provider this configuration and its state use (the Yandex one against
/// the local cloud with `--local`) and runs `f` with them.
fn with_providers(
    global: &GlobalArgs,
    args: &ConfigArgs,
    opts: &Options,
    f: impl FnOnce(&Providers<'_>) -> i32,
) -> Result<i32> {
    let mut configurations = commands::provider_configurations(opts).unwrap_or_default();
    if configurations.is_empty() {
        let yandex = ProviderConfigAddr::new(&providers::yandex_source(), "yandex");
        configurations.push((yandex, Value::Object(Default::default())));
    }
    let local = if args.local {
        let cloud = LocalCloud::start(&opts.state_path())?;
        eprintln!(
            "Using the local cloud in {} ({})",
            cloud.cloud_file.display(),
            cloud.emulator.base_url()
        );
        Some(cloud)
    } else {
        None
    };
    let mut loaded = Vec::new();
    for (addr, settings) in configurations {
        let runtime = if addr.source == providers::yandex_source() {
            let block = yandex::ProviderBlock::from_settings(&settings);
            let caps = yandex::configured_capabilities(global, block, local.as_ref())?;
            yandex::runtime(global.provider.as_deref(), caps)?
        } else if addr.source == providers::time_source() {
            providers::time_runtime(global)?
        } else {
            providers::file_runtime(global, &opts.config_dir, &addr)?
        };
        loaded.push((addr, ComponentProvider::new(Arc::new(runtime))));
    }
    let mut set = Providers::new();
    for (addr, provider) in &loaded {
        set.insert(addr.clone(), provider);
    }
    let code = f(&set);
    drop(local);
    Ok(code)
}

/// The process's terminal: stdout, stderr, and "yes" read from stdin.
struct TerminalUi;

impl Ui for TerminalUi {
    fn out(&mut self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        let _ = stdout.flush();
    }

    fn err(&mut self, text: &str) {
        let text = crate::redact::scrub(text);
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    fn confirm(&mut self, question: &str) -> Result<bool> {
        self.out(question);
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        Ok(answer.trim() == "yes")
    }

    fn is_terminal(&self) -> bool {
        std::io::stdin().is_terminal()
    }
}
