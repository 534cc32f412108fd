//! The commands the host maps its command line onto. Each writes to a [`Ui`] and
//! returns the process exit code: 0 success, 1 error, 2 changes present (plan with
//! `detailed_exitcode`).
//!
//! The engine calls [`Provider::configure`] itself (for plan, apply, destroy, import
//! and refresh) with the evaluated `provider` block, leaving out the attributes the
//! provider schema marks sensitive (credentials stay with the host; the host reads
//! them with [`provider_settings`] before it builds the provider).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::address::{InstanceKey, Target, parse_target};
use crate::apply::{ApplyEvent, ApplyRequest, apply_plan};
use crate::config::{
    Config, EvalContext, NoResources, Phase, VarSource, VariableInputs, Variables,
    check_required_providers, resolve_variables, validate_config,
};
use crate::diagnostics::{Diag, Diagnostics};
use crate::instances::{EVALS_PER_RUN, eval_instance, expand};
use crate::lock::StateLock;
use crate::modules::expand_modules;
use crate::plan::{Plan, PlanRequest, Selection, make_plan, refresh_state, resource_graph};
use crate::pool::{cpus, drop_in_background, map_in_runs, run_parallel_runs};
use crate::provider::{CALLS_PER_INSTANCE, Provider, Schema};
use crate::providers::{ProviderConfigAddr, Providers};
use crate::remote::RemoteState;
use crate::render;
use crate::state::{InstanceState, State};
use crate::state_file::StateFile;

/// Terraform's default `-parallelism`.
pub const DEFAULT_PARALLELISM: usize = 10;

/// The user interface the engine writes to.
pub trait Ui {
    /// Writes `text` to standard output exactly (the engine ends lines with `\n`).
    fn out(&mut self, text: &str);
    /// Writes `text` to standard error exactly.
    fn err(&mut self, text: &str);
    /// Shows `question` and reads an answer; returns true only when the answer is exactly `yes`.
    fn confirm(&mut self, question: &str) -> anyhow::Result<bool>;
    /// True when a person can answer [`Ui::confirm`].
    fn is_terminal(&self) -> bool;
}

/// Options shared by the commands (the host's flags). `Debug` hides variable
/// values and the environment.
#[derive(Clone)]
pub struct Options {
    /// The configuration directory (`*.tf`).
    pub config_dir: PathBuf,
    /// The state file; default `terraform.tfstate` in `config_dir`.
    pub state_path: Option<PathBuf>,
    /// `-var` and `-var-file`, in command-line order.
    pub vars: Vec<VarSource>,
    /// The environment for `TF_VAR_*`; `None` reads the process environment.
    pub env: Option<Vec<(String, String)>>,
    /// `-target` addresses.
    pub targets: Vec<String>,
    /// `-replace` addresses: objects to replace although nothing changed.
    pub replace: Vec<String>,
    /// `-parallelism` (default 10).
    pub parallelism: usize,
    /// `-refresh` (default true).
    pub refresh: bool,
    /// `-lock` (default true).
    pub lock: bool,
    /// `-json`.
    pub json: bool,
    /// `-detailed-exitcode` (plan).
    pub detailed_exitcode: bool,
    /// `-auto-approve` (apply, destroy).
    pub auto_approve: bool,
    /// `plan -destroy`.
    pub destroy: bool,
    /// `plan -out FILE`.
    pub out: Option<PathBuf>,
    /// `apply FILE`.
    pub plan_file: Option<PathBuf>,
    /// `state show -show-sensitive`, `output -json NAME`: reveal sensitive values.
    pub show_sensitive: bool,
    /// `output -raw`.
    pub raw: bool,
    /// The current time (tests pin it); `None` = the clock.
    pub now: Option<OffsetDateTime>,
    /// How often "Still creating..." is printed (default 10 s).
    pub progress_interval: Duration,
    /// The remote state store of the configuration's backend (`s3`), if any; `None`
    /// keeps the state in the local file.
    pub remote: Option<Arc<dyn RemoteState>>,
    /// Set (by the host's interrupt handler) to stop an apply gracefully: no new change
    /// starts, the ones under way finish and are saved.
    pub interrupted: Option<Arc<AtomicBool>>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("config_dir", &self.config_dir)
            .field("state_path", &self.state_path())
            .field("vars", &self.vars)
            .field(
                "env",
                &self
                    .env
                    .as_ref()
                    .map(|e| format!("({} entries, hidden)", e.len())),
            )
            .field("targets", &self.targets)
            .field("parallelism", &self.parallelism)
            .field("refresh", &self.refresh)
            .field("lock", &self.lock)
            .field("json", &self.json)
            .field("detailed_exitcode", &self.detailed_exitcode)
            .field("auto_approve", &self.auto_approve)
            .field("destroy", &self.destroy)
            .field("out", &self.out)
            .field("plan_file", &self.plan_file)
            .field("remote", &self.remote.as_ref().map(|r| r.location()))
            .finish_non_exhaustive()
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            config_dir: PathBuf::from("."),
            state_path: None,
            vars: Vec::new(),
            env: None,
            targets: Vec::new(),
            replace: Vec::new(),
            parallelism: DEFAULT_PARALLELISM,
            refresh: true,
            lock: true,
            json: false,
            detailed_exitcode: false,
            auto_approve: false,
            destroy: false,
            out: None,
            plan_file: None,
            show_sensitive: false,
            raw: false,
            now: None,
            progress_interval: Duration::from_secs(10),
            remote: None,
            interrupted: None,
        }
    }
}

impl Options {
    /// Options for the configuration in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Options {
            config_dir: dir.into(),
            ..Options::default()
        }
    }

    /// Where the state is: the remote store, else the local state file.
    pub fn state_file(&self) -> StateFile {
        match &self.remote {
            Some(remote) => StateFile::remote(remote.clone()),
            None => StateFile::new(self.state_path()),
        }
    }

    /// Where the state is, for messages.
    pub fn state_location(&self) -> String {
        match &self.remote {
            Some(remote) => remote.location(),
            None => self.state_path().display().to_string(),
        }
    }

    /// The state file path.
    pub fn state_path(&self) -> PathBuf {
        self.state_path
            .clone()
            .unwrap_or_else(|| self.config_dir.join("terraform.tfstate"))
    }

    fn inputs(&self, allow_missing: bool) -> VariableInputs {
        VariableInputs {
            cli: self.vars.clone(),
            env: self
                .env
                .clone()
                .unwrap_or_else(|| std::env::vars().collect()),
            allow_missing,
        }
    }

    fn now(&self) -> OffsetDateTime {
        self.now.unwrap_or_else(OffsetDateTime::now_utc)
    }
}

/// Reads and structures the configuration in `dir` (no schema needed).
pub fn load_config(dir: &Path) -> Result<Config, Diagnostics> {
    crate::config::load(dir)
}

/// The provider configurations a run needs, each with its evaluated `provider` block
/// (all attributes, including credentials, for the host; `{}` without a block): those
/// of the configuration, and those that only the state's objects still name.
pub fn provider_configurations(
    opts: &Options,
) -> Result<Vec<(ProviderConfigAddr, Value)>, Diagnostics> {
    let config = load_config(&opts.config_dir)?;
    let variables = resolve_variables(&config, &opts.inputs(false))?;
    let config = expand_modules(config, &variables, Phase::Validate)?;
    let mut addrs = config.provider_addrs();
    if let Ok(Some(state)) = opts.state_file().load() {
        addrs.extend(state.resources.iter().map(|r| config.provider_of_record(r)));
    }
    addrs.sort();
    addrs.dedup_by(|a, b| a.source == b.source && a.alias == b.alias);
    addrs
        .into_iter()
        .map(|addr| {
            let settings = config.provider_settings(&addr, &variables)?;
            Ok((addr, settings))
        })
        .collect()
}

const EXIT_OK: i32 = 0;
const EXIT_ERROR: i32 = 1;
const EXIT_CHANGES: i32 = 2;

/// Prints each diagnostic once (a provider's warning may come from several of its checks).
fn print_diags(ui: &mut dyn Ui, diags: &Diagnostics) {
    for (i, d) in diags.0.iter().enumerate() {
        if !diags.0[..i].contains(d) {
            ui.err(&format!("\n{d}\n"));
        }
    }
}

fn error(ui: &mut dyn Ui, summary: &str, detail: impl std::fmt::Display) -> i32 {
    print_diags(ui, &Diag::error(summary, detail.to_string()).into());
    EXIT_ERROR
}

struct Session {
    config: Config,
    schema: Schema,
    variables: Variables,
    /// The warnings already printed while preparing (not printed again by the plan).
    shown: Diagnostics,
}

impl Session {
    /// `diags` without those already printed.
    fn unseen(&self, diags: &[Diag]) -> Diagnostics {
        Diagnostics(
            diags
                .iter()
                .filter(|d| !self.shown.0.contains(d))
                .cloned()
                .collect(),
        )
    }
}

/// Loads, resolves and checks everything before any call that touches the cloud.
fn prepare(
    opts: &Options,
    providers: &Providers,
    ui: &mut dyn Ui,
    allow_missing: bool,
    configure: bool,
) -> Option<Session> {
    let config = match load_config(&opts.config_dir) {
        Ok(c) => c,
        Err(d) => {
            print_diags(ui, &d);
            return None;
        }
    };
    if configure
        && opts.remote.is_none()
        && let Some(backend) = config.backend.as_ref().filter(|b| b.kind != "local")
    {
        print_diags(
            ui,
            &Diag::error(
                "Remote state not available",
                format!("The configuration keeps its state in a \"{}\" backend, but this run was given no remote state store; it would read and write a local state instead. Run it through ycprov, which connects the backend.", backend.kind),
            )
            .at(config.location(&backend.span))
            .into(),
        );
        return None;
    }
    let schema = match providers.schema() {
        Ok(s) => s,
        Err(e) => {
            error(ui, "Failed to load the provider schema", format!("{e:#}"));
            return None;
        }
    };
    let phase = if allow_missing {
        Phase::Validate
    } else {
        Phase::Plan
    };
    // Modules expand with the variables' values; when those are in error, the
    // configuration's own errors still come first (as in Terraform), so it expands with
    // the values that could be read and the rest unknown.
    let resolved = resolve_variables(&config, &opts.inputs(allow_missing));
    let expanded = match &resolved {
        Ok(variables) => expand_modules(config, variables, phase),
        Err(_) => {
            let partial = resolve_variables(&config, &opts.inputs(true)).unwrap_or_default();
            expand_modules(config, &partial, Phase::Validate)
        }
    };
    let config = match expanded {
        Ok(c) => c,
        Err(d) => {
            print_diags(ui, &d);
            return None;
        }
    };
    let mut diags = config.warnings.clone();
    diags.extend(validate_config(&config, &schema));
    if diags.has_errors() {
        print_diags(ui, &diags);
        return None;
    }
    let variables = match resolved {
        Ok(v) => v,
        Err(d) => {
            print_diags(ui, &d);
            return None;
        }
    };
    diags.extend(variables.warnings.clone());
    diags.extend(validate_instances(
        &config,
        &schema,
        &variables,
        providers,
        phase,
        opts.now(),
    ));
    if diags.has_errors() {
        print_diags(ui, &diags);
        return None;
    }
    if configure {
        match configure_providers(&config, &schema, &variables, providers) {
            Ok(more) => diags.extend(more),
            Err(d) => {
                diags.extend(d);
                print_diags(ui, &diags);
                return None;
            }
        }
    }
    print_diags(ui, &diags);
    Some(Session {
        config,
        schema,
        variables,
        shown: diags,
    })
}

/// Sends every provider its `provider` block (without the sensitive attributes, which
/// the host consumes itself).
fn configure_providers(
    config: &Config,
    schema: &Schema,
    variables: &Variables,
    providers: &Providers,
) -> Result<Diagnostics, Diagnostics> {
    let mut all = Diagnostics::new();
    for (addr, provider) in providers.iter() {
        let mut settings = config.provider_settings(addr, variables)?;
        if let (Some(m), Some(accepted)) =
            (settings.as_object_mut(), schema.providers.get(&addr.source))
        {
            m.retain(|k, _| !accepted.get(k).is_some_and(|a| a.sensitive));
        }
        let location = config
            .provider_block(addr)
            .and_then(|p| config.location(&p.span));
        let diags = provider.configure(&settings).map_err(|e| {
            Diagnostics::from(Diag::error(
                format!("{addr} failed to configure"),
                format!("{e:#}"),
            ))
        })?;
        all.extend(Diagnostics(
            diags
                .iter()
                .map(|d| Diag::from_provider(d, &addr.to_string(), location.clone()))
                .collect(),
        ));
    }
    if all.has_errors() { Err(all) } else { Ok(all) }
}

/// Evaluates every resource instance and output with unknown resource values and
/// asks the provider to validate each instance: no API calls. `phase` is
/// [`Phase::Validate`] for `validate` and [`Phase::Plan`] before planning.
pub fn validate_instances(
    config: &Config,
    schema: &Schema,
    variables: &Variables,
    providers: &Providers,
    phase: Phase,
    now: OffsetDateTime,
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let ctx =
        EvalContext::new(config, Some(schema), variables, &NoResources, phase).with_times(now, now);
    let mut steps = Vec::new();
    for block in config.resources.iter().filter(|b| !b.addr.is_data()) {
        let Some(rs) = schema.resources.get(&block.addr.type_name) else {
            continue;
        };
        let provider = match providers.require(&config.provider_for(block)) {
            Ok(provider) => provider,
            Err(e) => {
                diags.push(
                    Diag::error(format!("{}: no provider", block.addr), format!("{e:#}"))
                        .at(config.location(&block.span)),
                );
                continue;
            }
        };
        let expansion = match expand(&ctx, config, block, true) {
            Ok(e) => e,
            Err(d) => {
                diags.push(d);
                continue;
            }
        };
        let provider_key = config.provider_for(block).to_string();
        let instances = expansion.instances();
        let evaluated = map_in_runs(cpus(), &instances, EVALS_PER_RUN, |(key, vars)| {
            let addr = block.addr.instance(key.clone());
            let evaluated = eval_instance(&ctx, config, block, rs, vars, &addr)
                .map(|inst| (provider, inst.value));
            let same_call = evaluated.as_ref().ok().map(|(_, value)| {
                format!("{provider_key}\u{0}{}\u{0}{value}", block.addr.type_name)
            });
            (block, addr, evaluated, same_call)
        });
        steps.extend(evaluated);
    }
    // Instances whose configuration evaluates alike (every value that differs between
    // them is unknown before planning) get one validate call: the answer depends only on
    // the provider, the type and the value.
    let mut first_of: HashMap<&str, usize> = HashMap::new();
    let mut calls = Vec::new();
    let call_of: Vec<Option<usize>> = steps
        .iter()
        .map(|(block, _, evaluated, same_call)| {
            let (provider, value) = evaluated.as_ref().ok()?;
            let key = same_call.as_deref()?;
            Some(*first_of.entry(key).or_insert_with(|| {
                calls.push((*provider, &block.addr.type_name, value));
                calls.len() - 1
            }))
        })
        .collect();
    let same_type = |a: &(&dyn Provider, &String, &Value), b: &(&dyn Provider, &String, &Value)| {
        std::ptr::addr_eq(a.0, b.0) && a.1 == b.1
    };
    let answers = run_parallel_runs(cpus(), &calls, CALLS_PER_INSTANCE, same_type, |run| {
        let values: Vec<&Value> = run.iter().map(|(_, _, value)| *value).collect();
        run[0].0.validate_many(run[0].1, &values)
    });
    let validated = call_of.into_iter().map(|call| {
        call.map(|i| match &answers[i] {
            Ok(diagnostics) => Ok(diagnostics.clone()),
            Err(e) => Err(anyhow::anyhow!("{e:#}")),
        })
    });
    for ((block, addr, evaluated, _), validated) in steps.into_iter().zip(validated) {
        match (evaluated, validated) {
            (Err(d), _) => diags.extend(d),
            (Ok(_), Some(Ok(ds))) => ds.iter().for_each(|d| {
                diags.push(
                    config.place_in_block(Diag::from_provider(d, &addr.to_string(), None), block),
                )
            }),
            (Ok(_), Some(Err(e))) => diags.push(Diag::error(
                format!("{addr}: the provider failed while validating"),
                format!("{e:#}"),
            )),
            (Ok(_), None) => {}
        }
    }
    for (name, out) in &config.outputs {
        match ctx.eval(&out.value, &Default::default()) {
            Ok(ev) if ev.sensitive && !out.sensitive => diags.push(
                Diag::error("Output refers to sensitive values", format!("The output \"{name}\" uses a sensitive value. To show it only on request, add `sensitive = true` to the output block."))
                    .at(config.location(&out.span)),
            ),
            Ok(_) => {}
            Err(d) => diags.push(d),
        }
    }
    diags
}

fn parse_targets(opts: &Options, ui: &mut dyn Ui) -> Option<Vec<Target>> {
    let mut out = Vec::new();
    for t in &opts.targets {
        match parse_target(t) {
            Ok(t) => out.push(t),
            Err(e) => {
                error(ui, "Invalid target address", e);
                return None;
            }
        }
    }
    Some(out)
}

fn take_lock(opts: &Options, ui: &mut dyn Ui, operation: &str) -> Result<Option<StateLock>, i32> {
    if !opts.lock {
        return Ok(None);
    }
    let acquired = match &opts.remote {
        Some(remote) => StateLock::acquire_remote(remote.clone(), operation),
        None => StateLock::acquire(&opts.state_path(), operation),
    };
    match acquired {
        Ok(l) => {
            if let Some(stale) = l.replaced() {
                ui.err(&format!(
                    "\nWarning: Took over a stale state lock\n\nThe lock {} taken by {} for {} at {} was left by process {}, which ended without releasing it (it crashed or was killed). This run holds the lock now.\n",
                    stale.id,
                    stale.who,
                    stale.operation,
                    stale.created,
                    stale.pid.map(|p| p.to_string()).unwrap_or_default()
                ));
            }
            Ok(Some(l))
        }
        Err(e) => {
            ui.err(&format!("\nError: {e:#}\n"));
            Err(EXIT_ERROR)
        }
    }
}

fn load_state(opts: &Options, ui: &mut dyn Ui) -> Result<(StateFile, Option<State>), i32> {
    let file = opts.state_file();
    match file.load() {
        Ok(s) => Ok((file, s)),
        Err(e) => Err(error(ui, "Failed to load state", format!("{e:#}"))),
    }
}

/// `init`: what `terraform init` does that ycprov needs: checks the configuration, its
/// backend and required providers, and that the embedded provider loads. There is
/// nothing to download: the provider is embedded and the state is local.
pub fn init(opts: &Options, providers: &Providers, ui: &mut dyn Ui) -> i32 {
    let config = match load_config(&opts.config_dir) {
        Ok(c) => c,
        Err(d) => {
            print_diags(ui, &d);
            return EXIT_ERROR;
        }
    };
    let config = match expand_modules(config, &Variables::default(), Phase::Validate) {
        Ok(c) => c,
        Err(d) => {
            print_diags(ui, &d);
            return EXIT_ERROR;
        }
    };
    let unavailable = check_required_providers(&config);
    if unavailable.has_errors() {
        print_diags(ui, &unavailable);
        return EXIT_ERROR;
    }
    if let Err(e) = opts.state_file().load() {
        return error(
            ui,
            "Failed to read the state of the backend",
            format!("{e:#}"),
        );
    }
    let schema = match providers.schema() {
        Ok(s) => s,
        Err(e) => return error(ui, "Failed to load the providers", format!("{e:#}")),
    };
    let mut lines = String::new();
    let mut seen = std::collections::BTreeSet::new();
    for (addr, _) in providers.iter() {
        if seen.insert(addr.source.clone()) {
            let types = schema
                .type_sources
                .values()
                .filter(|s| **s == addr.source)
                .count();
            lines.push_str(&format!(
                "- {} ({types} resource types)\n",
                addr.short_source()
            ));
        }
    }
    ui.out(&format!(
        "Initializing the backend...\nThe state is {}: {}\n\nInitializing provider plugins...\n{lines}\nycprov has been successfully initialized!\n",
        if opts.remote.is_some() { "remote" } else { "local" },
        opts.state_location(),
    ));
    EXIT_OK
}

/// `validate`: checks the configuration (syntax, types, attributes, references,
/// cycles, provider validation) without touching the cloud.
pub fn validate(opts: &Options, providers: &Providers, ui: &mut dyn Ui) -> i32 {
    if prepare(opts, providers, ui, true, false).is_none() {
        return EXIT_ERROR;
    }
    if opts.json {
        ui.out("{\"valid\": true, \"error_count\": 0}\n");
    } else {
        ui.out("Success! The configuration is valid.\n");
    }
    EXIT_OK
}

fn build_plan(
    opts: &Options,
    providers: &Providers,
    ui: &mut dyn Ui,
    session: &Session,
    state: &Option<State>,
    destroy: bool,
) -> Option<Plan> {
    let targets = parse_targets(opts, ui)?;
    let mut replace = Vec::new();
    for address in &opts.replace {
        match parse_target(address) {
            Ok(Target::Instance(addr)) => replace.push(Target::Instance(addr)),
            Ok(Target::Resource(r))
                if session
                    .config
                    .resource(&r)
                    .is_some_and(|b| b.count.is_none() && b.for_each.is_none()) =>
            {
                replace.push(Target::Instance(r.instance(InstanceKey::None)))
            }
            Ok(Target::Resource(r)) => {
                error(
                    ui,
                    "Invalid replace address",
                    format!(
                        "-replace={address}: {r} has several instances or is not in the configuration; name one instance, e.g. {r}[0]"
                    ),
                );
                return None;
            }
            Ok(Target::Module(m)) => {
                error(
                    ui,
                    "Invalid replace address",
                    format!(
                        "-replace={address}: {m} is a module; name one resource instance in it"
                    ),
                );
                return None;
            }
            Err(e) => {
                error(ui, "Invalid replace address", e);
                return None;
            }
        }
    }
    let empty = State::new();
    let req = PlanRequest {
        config: &session.config,
        schema: &session.schema,
        variables: &session.variables,
        providers,
        state: state.as_ref().unwrap_or(&empty),
        state_existed: state.is_some(),
        destroy,
        refresh: opts.refresh,
        targets: &targets,
        replace: &replace,
        parallelism: opts.parallelism.max(1),
        plan_time: opts.now(),
    };
    match make_plan(&req) {
        Ok(plan) => {
            print_diags(ui, &session.unseen(&plan.warnings));
            Some(plan)
        }
        Err(d) => {
            print_diags(ui, &session.unseen(&d.0));
            None
        }
    }
}

fn show_plan(opts: &Options, ui: &mut dyn Ui, plan: &Plan) {
    if opts.json {
        ui.out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&render::plan_json(plan)).unwrap_or_default()
        ));
    } else {
        ui.out(&render::plan_text(plan));
    }
}

/// `plan`: refresh, plan and show; with `out` save the plan.
pub fn plan(opts: &Options, providers: &Providers, ui: &mut dyn Ui) -> i32 {
    let Some(session) = prepare(opts, providers, ui, false, true) else {
        return EXIT_ERROR;
    };
    let _lock = match take_lock(opts, ui, "plan") {
        Ok(l) => l,
        Err(code) => return code,
    };
    let (_, state) = match load_state(opts, ui) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let Some(plan) = build_plan(opts, providers, ui, &session, &state, opts.destroy) else {
        return EXIT_ERROR;
    };
    show_plan(opts, ui, &plan);
    if let Some(out) = &opts.out {
        if let Err(e) = crate::planfile::save(out, &plan, &session.variables) {
            return error(ui, "Failed to write the plan file", format!("{e:#}"));
        }
        if !opts.json {
            ui.out(&format!("\nSaved the plan to: {}\n\nTo perform exactly these actions, run the following command to apply:\n    ycprov apply \"{}\"\n", out.display(), out.display()));
        }
    }
    let code = if opts.detailed_exitcode && plan.has_changes() {
        EXIT_CHANGES
    } else {
        EXIT_OK
    };
    drop_in_background((plan, state, session));
    code
}

/// `apply` (or `apply FILE` with `opts.plan_file`): plan, confirm, apply.
pub fn apply(opts: &Options, providers: &Providers, ui: &mut dyn Ui) -> i32 {
    run_apply(opts, providers, ui, false)
}

/// `destroy`: plan the destruction of everything (or the targets and their
/// dependents), confirm, apply.
pub fn destroy(opts: &Options, providers: &Providers, ui: &mut dyn Ui) -> i32 {
    run_apply(opts, providers, ui, true)
}

fn run_apply(opts: &Options, providers: &Providers, ui: &mut dyn Ui, destroy: bool) -> i32 {
    let saved = match &opts.plan_file {
        Some(path) => match crate::planfile::load(path) {
            Ok(s) => Some(s),
            Err(e) => return error(ui, "Failed to load the saved plan", format!("{e:#}")),
        },
        None => None,
    };
    let mut opts = opts.clone();
    if let Some(saved) = &saved {
        for (name, value) in &saved.variables {
            opts.vars.push(VarSource::Flag {
                name: name.clone(),
                value: value_as_flag(value),
            });
        }
    }
    let Some(mut session) = prepare(&opts, providers, ui, false, true) else {
        return EXIT_ERROR;
    };
    let _lock = match take_lock(&opts, ui, if destroy { "destroy" } else { "apply" }) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let (file, state) = match load_state(&opts, ui) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let (plan, prior) = match saved {
        Some(saved) => {
            let current = state.clone().unwrap_or_default();
            let same = match &state {
                Some(s) => s.lineage == saved.lineage && s.serial == saved.serial,
                None => !saved.plan.state_existed,
            };
            if !same {
                return error(
                    ui,
                    "Saved plan is stale",
                    format!(
                        "The plan was made from state serial {} (lineage {}), but the state is now at serial {}{}. Another operation changed the state after the plan was created; run plan again.",
                        saved.serial,
                        saved.lineage,
                        current.serial,
                        if current.lineage != saved.lineage {
                            format!(" with lineage {}", current.lineage)
                        } else {
                            String::new()
                        }
                    ),
                );
            }
            for (name, value) in &saved.variables {
                session.variables.values.insert(name.clone(), value.clone());
            }
            let prior = crate::planfile::restore_prior(&saved.plan.prior, &current);
            (saved.plan, prior)
        }
        None => {
            let Some(plan) = build_plan(&opts, providers, ui, &session, &state, destroy) else {
                return EXIT_ERROR;
            };
            show_plan(&opts, ui, &plan);
            if plan.has_changes() && !opts.auto_approve {
                if !ui.is_terminal() {
                    return error(
                        ui,
                        "No terminal to confirm on",
                        format!(
                            "{} needs confirmation, but there is no terminal to ask on. Review the plan above and run again with -auto-approve.",
                            if destroy { "Destroy" } else { "Apply" }
                        ),
                    );
                }
                let question = if destroy {
                    "\nDo you really want to destroy all resources?\n  ycprov will destroy all your managed infrastructure, as shown above.\n  There is no undo. Only 'yes' will be accepted to confirm.\n\n  Enter a value: "
                } else {
                    "\nDo you want to perform these actions?\n  ycprov will perform the actions described above.\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: "
                };
                match ui.confirm(question) {
                    Ok(true) => ui.out("\n"),
                    Ok(false) => {
                        return error(
                            ui,
                            if destroy {
                                "Destroy cancelled"
                            } else {
                                "Apply cancelled"
                            },
                            "Only 'yes' is accepted to approve.",
                        );
                    }
                    Err(e) => return error(ui, "Cannot read the confirmation", format!("{e:#}")),
                }
            }
            let prior = plan.prior.clone();
            (plan, prior)
        }
    };
    let plan_time = OffsetDateTime::parse(&plan.plan_time, &Rfc3339).unwrap_or_else(|_| opts.now());
    let req = ApplyRequest {
        config: &session.config,
        schema: &session.schema,
        variables: &session.variables,
        providers,
        plan: &plan,
        prior,
        on_disk: state,
        parallelism: opts.parallelism.max(1),
        now: opts.now(),
        plan_time,
        progress_interval: opts.progress_interval,
        interrupted: opts.interrupted.clone(),
    };
    let json = opts.json;
    let outcome = apply_plan(&req, file, &mut |event: ApplyEvent| {
        if json {
            ui.out(&format!("{}\n", render::apply_event_json(&event)));
        } else {
            ui.out(&format!("{}\n", render::apply_event_line(&event)));
        }
    });
    print_diags(ui, &outcome.diagnostics);
    let failed = outcome.diagnostics.has_errors();
    if json {
        let summary = serde_json::json!({
            "type": "change_summary",
            "operation": if plan.destroy { "destroy" } else { "apply" },
            "changes": {"add": outcome.added, "change": outcome.changed, "remove": outcome.destroyed},
            "errored": failed,
            "outputs": render::outputs_json(&outcome.state.outputs, false),
        });
        ui.out(&format!("{summary}\n"));
    } else if !failed {
        ui.out(&format!(
            "\n{}\n",
            render::apply_summary(
                plan.destroy,
                outcome.added,
                outcome.changed,
                outcome.destroyed
            )
        ));
        if !outcome.state.outputs.is_empty() && !plan.destroy {
            ui.out(&format!(
                "\nOutputs:\n\n{}",
                render::outputs_text(&outcome.state.outputs)
            ));
        }
    }
    let on_disk = req.on_disk;
    drop_in_background((outcome, plan, on_disk, session));
    if failed { EXIT_ERROR } else { EXIT_OK }
}

fn value_as_flag(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `refresh`: read every object and save what was found.
pub fn refresh(opts: &Options, providers: &Providers, ui: &mut dyn Ui) -> i32 {
    refresh_only(opts, providers, ui, RefreshOnly::Apply { confirm: false })
}

/// What a refresh-only run does with the state it read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshOnly {
    /// `plan -refresh-only`: show what changed outside ycprov; save nothing.
    Plan,
    /// `apply -refresh-only` (and `refresh`): record it in the state, after a "yes" when
    /// `confirm` is set.
    Apply {
        /// Ask before saving (unless `-auto-approve`).
        confirm: bool,
    },
}

/// `plan -refresh-only`, `apply -refresh-only` and `refresh`: read every object, show what
/// changed outside ycprov, and (when applying) record it in the state. Nothing in the cloud
/// is changed.
pub fn refresh_only(
    opts: &Options,
    providers: &Providers,
    ui: &mut dyn Ui,
    mode: RefreshOnly,
) -> i32 {
    let Some(session) = prepare(opts, providers, ui, false, true) else {
        return EXIT_ERROR;
    };
    let Some(targets) = parse_targets(opts, ui) else {
        return EXIT_ERROR;
    };
    let _lock = match take_lock(opts, ui, "refresh") {
        Ok(l) => l,
        Err(code) => return code,
    };
    let (mut file, state) = match load_state(opts, ui) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let Some(state) = state else {
        ui.err("\nWarning: Empty or non-existent state\n\nThere are currently no objects being tracked in the state, so there is nothing to refresh.\n");
        return EXIT_OK;
    };
    let graph = resource_graph(&session.config, &state);
    let selection = Selection::new(&targets, &graph, false);
    let (mut refreshed, drift, diags) = refresh_state(
        providers,
        &session.config,
        &session.schema,
        &state,
        &selection,
        opts.parallelism.max(1),
    );
    print_diags(ui, &diags);
    if diags.has_errors() {
        return EXIT_ERROR;
    }
    for r in &refreshed.resources {
        let id = r.id().map(|i| format!(" [id={i}]")).unwrap_or_default();
        ui.out(&format!("{}: Refreshing state...{id}\n", r.address));
    }
    let confirm = match mode {
        RefreshOnly::Plan => {
            ui.out(&render::refresh_only_text(&drift));
            return if opts.detailed_exitcode && !drift.is_empty() {
                EXIT_CHANGES
            } else {
                EXIT_OK
            };
        }
        RefreshOnly::Apply { confirm } => confirm && !opts.auto_approve,
    };
    if confirm && !drift.is_empty() {
        ui.out(&render::refresh_only_text(&drift));
        if !ui.is_terminal() {
            return error(
                ui,
                "No terminal to confirm on",
                "apply -refresh-only needs confirmation, but there is no terminal to ask on. Review the changes above and run again with -auto-approve.",
            );
        }
        match ui.confirm("\nWould you like to update the state to reflect these detected changes?\n  Only 'yes' will be accepted to confirm.\n\n  Enter a value: ") {
            Ok(true) => {}
            Ok(false) => return error(ui, "Apply cancelled", "Only 'yes' is accepted to approve."),
            Err(e) => return error(ui, "Cannot read the confirmation", format!("{e:#}")),
        }
    }
    if (!drift.is_empty() || refreshed != state)
        && let Err(e) = file.write(&mut refreshed)
    {
        return error(ui, "Failed to save state", format!("{e:#}"));
    }
    EXIT_OK
}

/// `import ADDR ID`: adopt an existing object into the state. The resource block
/// must exist in the configuration.
pub fn import(
    opts: &Options,
    providers: &Providers,
    ui: &mut dyn Ui,
    address: &str,
    id: &str,
) -> i32 {
    let Some(session) = prepare(opts, providers, ui, false, true) else {
        return EXIT_ERROR;
    };
    let addr = match parse_target(address) {
        Ok(Target::Instance(i)) => i,
        Ok(Target::Resource(r)) => r.instance(InstanceKey::None),
        Ok(Target::Module(m)) => {
            return error(
                ui,
                "Invalid address",
                format!("{m} is a module; name a resource instance in it"),
            );
        }
        Err(e) => return error(ui, "Invalid address", e),
    };
    if addr.resource.is_data() {
        return error(
            ui,
            "Invalid import address",
            format!(
                "{addr} is a data source: it only reads, so there is nothing to import. Import a resource address instead."
            ),
        );
    }
    let Some(block) = session.config.resource(&addr.resource) else {
        return error(
            ui,
            "Configuration for import target does not exist",
            format!(
                "The configuration does not contain a resource block for {}. Add it first, e.g.\n\nresource \"{}\" \"{}\" {{\n  # (resource arguments)\n}}",
                addr.resource, addr.resource.type_name, addr.resource.name
            ),
        );
    };
    let provider_addr = session.config.provider_for(block);
    let provider = match providers.require(&provider_addr) {
        Ok(provider) => provider,
        Err(e) => return error(ui, "No provider for the import target", format!("{e:#}")),
    };
    let key_ok = matches!(
        (&addr.key, block.count.is_some(), block.for_each.is_some()),
        (InstanceKey::None, false, false)
            | (InstanceKey::Int(_), true, _)
            | (InstanceKey::Str(_), _, true)
    );
    if !key_ok {
        return error(
            ui,
            "Invalid instance key for import",
            format!(
                "{addr} does not match the resource's count/for_each setting; use an index such as [0] with count or [\"key\"] with for_each."
            ),
        );
    }
    let _lock = match take_lock(opts, ui, "import") {
        Ok(l) => l,
        Err(code) => return code,
    };
    let (mut file, state) = match load_state(opts, ui) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut state = state.unwrap_or_default();
    if let Some(existing) = state.instance(&addr) {
        return error(
            ui,
            "Resource already managed by ycprov",
            format!(
                "{addr} is already in the state (id {}). To import it again, remove it from the configuration and state first.",
                existing.id().unwrap_or("?")
            ),
        );
    }
    ui.out(&format!("{addr}: Importing from ID \"{id}\"...\n"));
    let type_name = &addr.resource.type_name;
    let imported = match provider.import(type_name, id) {
        Ok(i) => i,
        Err(e) => return error(ui, "The provider failed while importing", format!("{e:#}")),
    };
    let diags = Diagnostics(
        imported
            .diagnostics
            .iter()
            .map(|d| Diag::from_provider(d, &addr.to_string(), None))
            .collect(),
    );
    print_diags(ui, &diags);
    if diags.has_errors() {
        return EXIT_ERROR;
    }
    let Some(found) = imported.state else {
        return error(
            ui,
            "Cannot import non-existent remote object",
            format!("No {type_name} with id \"{id}\" exists, or the credentials cannot see it."),
        );
    };
    ui.out(&format!(
        "{addr}: Import prepared!\n{addr}: Refreshing state... [id={id}]\n"
    ));
    let read = match provider.read(type_name, &found) {
        Ok(r) => r,
        Err(e) => {
            return error(
                ui,
                "The provider failed while reading the imported object",
                format!("{e:#}"),
            );
        }
    };
    let diags = Diagnostics(
        read.diagnostics
            .iter()
            .map(|d| Diag::from_provider(d, &addr.to_string(), None))
            .collect(),
    );
    print_diags(ui, &diags);
    if diags.has_errors() {
        return EXIT_ERROR;
    }
    let Some(current) = read.state else {
        return error(
            ui,
            "Cannot import non-existent remote object",
            format!("The {type_name} with id \"{id}\" disappeared while importing."),
        );
    };
    let rs = session.schema.resources.get(type_name);
    let deps = crate::plan::dependency_strings(&session.config)
        .remove(&addr.resource)
        .unwrap_or_default();
    let mut record = InstanceState::new(
        &addr,
        rs.map(|s| s.version).unwrap_or(0),
        current,
        rs.map(|s| s.sensitive_attributes()).unwrap_or_default(),
        deps,
    );
    record.provider = provider_addr.state_string();
    state.upsert(record);
    if let Err(e) = file.write(&mut state) {
        return error(ui, "Failed to save state", format!("{e:#}"));
    }
    ui.out("\nImport successful!\n\nThe resources that were imported are shown above. These resources are now in\nyour ycprov state and will henceforth be managed by ycprov.\n");
    EXIT_OK
}

/// `output [NAME]`: show outputs from the state.
pub fn output(opts: &Options, ui: &mut dyn Ui, name: Option<&str>) -> i32 {
    let (_, state) = match load_state(opts, ui) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let outputs = state.map(|s| s.outputs).unwrap_or_default();
    let Some(name) = name else {
        if outputs.is_empty() {
            ui.err("\nWarning: No outputs found\n\nThe state file either has no outputs defined, or all the defined outputs are empty.\n");
            return EXIT_OK;
        }
        if opts.json {
            ui.out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&render::outputs_json(&outputs, opts.show_sensitive))
                    .unwrap_or_default()
            ));
        } else {
            ui.out(&render::outputs_text(&outputs));
        }
        return EXIT_OK;
    };
    let Some(o) = outputs.get(name) else {
        return error(
            ui,
            format!("Output \"{name}\" not found").as_str(),
            "The output variable requested could not be found in the state file. Apply the configuration that defines it first.",
        );
    };
    if opts.raw {
        return match &o.value {
            Value::String(s) => {
                ui.out(s);
                EXIT_OK
            }
            Value::Number(_) | Value::Bool(_) => {
                ui.out(&o.value.to_string());
                EXIT_OK
            }
            _ => error(
                ui,
                "Unsupported value for raw output",
                format!(
                    "The -raw option only supports strings, numbers and bools; output \"{name}\" is a {}. Use -json instead.",
                    crate::value::kind_name(&o.value)
                ),
            ),
        };
    }
    if opts.json {
        ui.out(&format!("{}\n", o.value));
    } else if o.sensitive && !opts.show_sensitive {
        ui.out(&format!("{}\n", render::SENSITIVE));
    } else {
        ui.out(&format!("{}\n", render::inline(&o.value)));
    }
    EXIT_OK
}

/// `state list [ADDR...]`: the addresses in the state (optionally filtered). Deposed
/// objects and pending creates (an interrupted create not yet resolved) are marked.
pub fn state_list(opts: &Options, ui: &mut dyn Ui, filters: &[String]) -> i32 {
    let (_, state) = match load_state(opts, ui) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let mut targets = Vec::new();
    for f in filters {
        match parse_target(f) {
            Ok(t) => targets.push(t),
            Err(e) => return error(ui, "Invalid address", e),
        }
    }
    for r in state.map(|s| s.resources).unwrap_or_default() {
        let addr = r.instance_addr();
        if targets.is_empty() || targets.iter().any(|t| t.matches(&addr)) {
            let note = match (&r.deposed, &r.pending_create) {
                (Some(k), _) => format!(" (deposed object {k})"),
                (None, Some(_)) => " (pending create)".to_string(),
                (None, None) => String::new(),
            };
            ui.out(&format!("{}{note}\n", r.address));
        }
    }
    EXIT_OK
}

/// `state show ADDR`: one object's attributes (sensitive hidden unless `show_sensitive`).
pub fn state_show(opts: &Options, ui: &mut dyn Ui, address: &str) -> i32 {
    let (_, state) = match load_state(opts, ui) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let addr = match parse_target(address) {
        Ok(Target::Instance(i)) => i,
        Ok(Target::Resource(r)) => r.instance(InstanceKey::None),
        Ok(Target::Module(m)) => {
            return error(
                ui,
                "Invalid address",
                format!("{m} is a module; name a resource instance in it"),
            );
        }
        Err(e) => return error(ui, "Invalid address", e),
    };
    match state.as_ref().and_then(|s| s.instance(&addr)) {
        Some(r) => {
            ui.out(&render::state_show_text(r, opts.show_sensitive));
            EXIT_OK
        }
        None => error(
            ui,
            "No instance found for the given address",
            format!(
                "{address} is not in the state. Use `ycprov state list` to see the managed objects."
            ),
        ),
    }
}

/// `state pull`: the current state as JSON on standard output (secrets included, as
/// Terraform prints them).
pub fn state_pull(opts: &Options, ui: &mut dyn Ui) -> i32 {
    let (_, state) = match load_state(opts, ui) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Some(state) = state {
        match serde_json::to_string_pretty(&state) {
            Ok(text) => ui.out(&format!("{text}\n")),
            Err(e) => return error(ui, "Cannot serialise the state", e),
        }
    }
    EXIT_OK
}

/// `state push FILE`: replaces the state with the one in `path`, under the lock. A state
/// of another lineage, or an older serial than the stored one, is refused unless `force`.
pub fn state_push(opts: &Options, ui: &mut dyn Ui, path: &Path, force: bool) -> i32 {
    let pushed = match StateFile::new(path).load() {
        Ok(Some(state)) => state,
        Ok(None) => {
            return error(
                ui,
                "Nothing to push",
                format!("{} holds no state.", path.display()),
            );
        }
        Err(e) => return error(ui, "Cannot read the state to push", format!("{e:#}")),
    };
    let _lock = match take_lock(opts, ui, "state push") {
        Ok(l) => l,
        Err(code) => return code,
    };
    let (mut file, current) = match load_state(opts, ui) {
        Ok(s) => s,
        Err(code) => return code,
    };
    if let Err(why) = replaceable(current.as_ref(), &pushed)
        && !force
    {
        return error(
            ui,
            "Refusing to replace the state",
            format!("{why}. Use -force to replace it anyway."),
        );
    }
    match file.write_unchanged(&pushed) {
        Ok(()) => EXIT_OK,
        Err(e) => error(ui, "Failed to save state", format!("{e:#}")),
    }
}

/// Copies the state of `from` to `to` (lineage and serial kept) for `init
/// -migrate-state`; a different state already at `to` is refused unless `force`.
/// Returns what was done.
pub fn migrate_state(from: &StateFile, to: &mut StateFile, force: bool) -> anyhow::Result<String> {
    let Some(state) = from.load()? else {
        return Ok(format!(
            "{} holds no state; nothing to copy.",
            from.location()
        ));
    };
    let existing = to.load()?;
    if existing.as_ref() == Some(&state) {
        return Ok(format!("{} already holds this state.", to.location()));
    }
    if let Err(why) = replaceable(existing.as_ref(), &state)
        && !force
    {
        anyhow::bail!(
            "{} already holds a state: {why}. Use -force-copy to replace it",
            to.location()
        );
    }
    to.write_unchanged(&state)?;
    Ok(format!(
        "Copied the state (lineage {}, serial {}, {} objects) from {} to {}.",
        state.lineage,
        state.serial,
        state.resources.len(),
        from.location(),
        to.location()
    ))
}

/// Why `incoming` may not replace `current` without force: another lineage, or an
/// older serial.
fn replaceable(current: Option<&State>, incoming: &State) -> Result<(), String> {
    let Some(current) = current else {
        return Ok(());
    };
    if current.lineage != incoming.lineage {
        return Err(format!(
            "the stored state has lineage {}, the new one {}",
            current.lineage, incoming.lineage
        ));
    }
    if current.serial > incoming.serial {
        return Err(format!(
            "the stored state has serial {}, newer than the new one's {}",
            current.serial, incoming.serial
        ));
    }
    Ok(())
}

/// `force-unlock ID`: removes a stale lock when `id` matches it.
pub fn force_unlock(opts: &Options, ui: &mut dyn Ui, id: &str) -> i32 {
    let unlocked = match &opts.remote {
        Some(remote) => crate::lock::force_unlock_remote(remote.as_ref(), id),
        None => crate::lock::force_unlock(&opts.state_path(), id),
    };
    match unlocked {
        Ok(()) => {
            ui.out("ycprov state has been successfully unlocked!\n\nThe state has been unlocked, and ycprov commands should now be able to\nobtain a new lock on the remote state.\n");
            EXIT_OK
        }
        Err(e) => error(ui, "Failed to unlock state", format!("{e:#}")),
    }
}
