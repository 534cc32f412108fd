//! The declarative commands: the engine (`ycprov-engine`) driving the provider component.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;

use anyhow::Result;
use serde_json::Value;
use ycprov_engine::commands::{self, Options, RefreshOnly, Ui};
use ycprov_engine::config::VarSource;

use crate::cli::{
    ApplyArgs, Command, ConfigArgs, GlobalArgs, ImportArgs, InitArgs, OutputArgs, PlanArgs,
    StateCommand,
};
use crate::component_provider::ComponentProvider;
use crate::failure::{CommandFailure, Exit};
use crate::runtime::Runtime;
use crate::yandex;
use crate::yandex::local::LocalCloud;

/// Runs one declarative command and returns its exit code.
pub fn run(global: &GlobalArgs, command: Command) -> Result<i32> {
    let mut ui = TerminalUi;
    let code = match command {
        Command::Init(InitArgs { config, .. }) => {
            let opts = options(&config)?;
            with_provider(global, &config, &opts, |p| {
                commands::init(&opts, p, &mut ui)
            })?
        }
        Command::Validate(args) => {
            let opts = options(&args)?;
            with_provider(global, &args, &opts, |p| {
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
            with_provider(global, &config, &opts, |p| {
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
            with_provider(global, &config, &opts, |p| {
                commands::import(&opts, p, &mut ui, &address, &id)
            })?
        }
        Command::Refresh(args) => {
            let opts = options(&args)?;
            with_provider(global, &args, &opts, |p| {
                commands::refresh(&opts, p, &mut ui)
            })?
        }
        Command::Output(OutputArgs {
            state,
            raw,
            json,
            name,
        }) => {
            let mut opts = state_options(&state);
            opts.raw = raw;
            opts.json = json;
            commands::output(&opts, &mut ui, name.as_deref())
        }
        Command::State(StateCommand::List { state }) => {
            commands::state_list(&state_options(&state), &mut ui, &[])
        }
        Command::State(StateCommand::Show {
            state,
            show_sensitive,
            address,
        }) => {
            let mut opts = state_options(&state);
            opts.show_sensitive = show_sensitive;
            commands::state_show(&opts, &mut ui, &address)
        }
        Command::ForceUnlock { id, state } => {
            commands::force_unlock(&state_options(&state), &mut ui, &id)
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
    command: fn(&Options, &dyn ycprov_engine::provider::Provider, &mut dyn Ui) -> i32,
) -> Result<i32> {
    let mut opts = options(&args.config)?;
    opts.auto_approve = args.auto_approve;
    opts.plan_file = args.plan_file;
    let refresh_only = args.config.refresh_only;
    with_provider(global, &args.config, &opts, |p| {
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

fn options(args: &ConfigArgs) -> Result<Options> {
    let mut opts = state_options(&args.state);
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
    Ok(opts)
}

fn state_options(state: &Path) -> Options {
    let mut opts = Options::new(".");
    opts.state_path = Some(state.to_path_buf());
    opts
}

/// Builds the provider for this configuration (or the local cloud) and runs `f` with it.
fn with_provider(
    global: &GlobalArgs,
    args: &ConfigArgs,
    opts: &Options,
    f: impl FnOnce(&dyn ycprov_engine::provider::Provider) -> i32,
) -> Result<i32> {
    let settings = commands::provider_settings(opts).unwrap_or(Value::Null);
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
    let block = yandex::ProviderBlock::from_settings(&settings);
    let caps = yandex::configured_capabilities(global, block, local.as_ref())?;
    let runtime = Arc::new(Runtime::new(global.provider.as_deref(), caps)?);
    let provider = ComponentProvider::new(runtime);
    let code = f(&provider);
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
