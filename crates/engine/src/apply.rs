//! Applying a plan: a worker pool walks the changes in dependency order, re-plans
//! each with the now-known configuration, calls the provider and saves the state
//! after every change.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use time::OffsetDateTime;

use crate::address::{InstanceAddr, InstanceKey, ResourceAddr, Target, parse_target};
use crate::config::{Config, EvalContext, InstanceVars, Phase, Variables};
use crate::diagnostics::{Diag, Diagnostics};
use crate::group_commit::{StateStore, save_failure};
use crate::instance_needs::{Needed, value_needs};
use crate::instances::{ByInstance, InstanceValues, eval_instance, expand};
use crate::plan::{Action, Plan, ResourceChange, changed_known_values};
use crate::pool::{Permits, cpus, in_runs, lock, run_parallel};
use crate::provider::{
    Applied, CALLS_PER_INSTANCE, Change, MAX_BATCH, PlannedChange, Provider, Schema, has_errors,
};
use crate::providers::{ProviderConfigAddr, Providers};
use crate::state::{InstanceState, OutputState, PendingCreate, State, new_deposed_key};
use crate::state_file::StateFile;
use crate::value::{contains_unknown, unknowns_to_null};
use crate::walker::{DependencyGraph, Walker};

/// The kind of one step of applying a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// Create an object (also the create half of a replacement).
    Create,
    /// Update an object in place.
    Update,
    /// Destroy an object (also the destroy half of a replacement).
    Destroy,
    /// Read a data source whose read was deferred to apply.
    Read,
}

impl OpKind {
    /// "Creating", "Modifying", "Destroying".
    pub fn progressive(&self) -> &'static str {
        match self {
            OpKind::Create => "Creating",
            OpKind::Update => "Modifying",
            OpKind::Destroy => "Destroying",
            OpKind::Read => "Reading",
        }
    }

    /// "Creation", "Modifications", "Destruction".
    pub fn noun(&self) -> &'static str {
        match self {
            OpKind::Create => "Creation",
            OpKind::Update => "Modifications",
            OpKind::Destroy => "Destruction",
            OpKind::Read => "Read",
        }
    }

    /// "create", "update", "delete" (machine-readable).
    pub fn action_name(&self) -> &'static str {
        match self {
            OpKind::Create => "create",
            OpKind::Update => "update",
            OpKind::Destroy => "delete",
            OpKind::Read => "read",
        }
    }
}

/// Progress of an apply, reported as it happens.
#[derive(Debug, Clone)]
pub enum ApplyEvent {
    /// A step started.
    Started {
        /// The object's address.
        address: String,
        /// What is done.
        kind: OpKind,
        /// The id of the existing object (update, destroy), if any.
        id: Option<String>,
    },
    /// A step is still running.
    StillRunning {
        /// The object's address.
        address: String,
        /// What is done.
        kind: OpKind,
        /// Time since it started.
        elapsed: Duration,
    },
    /// A step finished successfully.
    Completed {
        /// The object's address.
        address: String,
        /// What was done.
        kind: OpKind,
        /// How long it took.
        elapsed: Duration,
        /// The object's id, if any.
        id: Option<String>,
    },
    /// A step failed (its diagnostics are in the outcome).
    Failed {
        /// The object's address.
        address: String,
        /// What was attempted.
        kind: OpKind,
        /// How long it took.
        elapsed: Duration,
    },
}

/// Everything applying needs.
pub struct ApplyRequest<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The provider schema.
    pub schema: &'a Schema,
    /// Resolved input variables.
    pub variables: &'a Variables,
    /// The provider.
    pub providers: &'a Providers<'a>,
    /// The plan to carry out.
    pub plan: &'a Plan,
    /// The state to start from: the plan's refreshed prior state with every value present.
    pub prior: State,
    /// The state as it is on disk (to know whether a final write is needed).
    pub on_disk: Option<State>,
    /// Maximum concurrent provider operations.
    pub parallelism: usize,
    /// The time `timestamp()` returns.
    pub now: OffsetDateTime,
    /// The time `plantimestamp()` returns.
    pub plan_time: OffsetDateTime,
    /// How often a "still running" event is reported.
    pub progress_interval: Duration,
    /// Set to stop gracefully: no new change starts; those under way finish and are saved.
    pub interrupted: Option<Arc<AtomicBool>>,
}

/// What an apply did.
#[derive(Debug)]
pub struct ApplyOutcome {
    /// The final state (as written).
    pub state: State,
    /// Errors and warnings.
    pub diagnostics: Diagnostics,
    /// Objects created.
    pub added: usize,
    /// Objects updated in place.
    pub changed: usize,
    /// Objects destroyed.
    pub destroyed: usize,
}

struct Op {
    change: usize,
    kind: OpKind,
}

struct Job<'a> {
    op: usize,
    kind: OpKind,
    change: &'a ResourceChange,
    addr: InstanceAddr,
    config: Option<Value>,
    sensitive: Vec<String>,
    deposed: Option<String>,
    depose_current: Option<String>,
    schema_version: u64,
}

/// The instances of each resource already expanded during an apply, with their
/// `count.index` / `each` values.
type Expansions = BTreeMap<ResourceAddr, BTreeMap<InstanceKey, InstanceVars>>;

/// How one job ended.
enum JobOutcome {
    /// The change happened (or there was nothing left to do); the object's id, if any.
    Applied {
        /// The id of the object created, updated or destroyed.
        id: Option<String>,
    },
    /// The change failed; what is known about the object is recorded in the state.
    Failed(Vec<Diag>),
}

/// What [`Walk::before_plan`] found: a plan to make again, or what the job is ready for
/// without one.
enum BeforePlan {
    /// Plan again with this prior object and configuration.
    Plan { prior: Option<Value>, config: Value },
    /// No plan needed.
    Ready(Prepared),
}

/// What a job is ready for once its plan is made again: a change to ask the provider
/// for, or the job's outcome already (nothing to destroy, a refused re-plan).
enum Prepared {
    /// Call the provider with this change.
    Call(Change),
    /// No provider call: the job is over.
    Finished(JobOutcome),
}

/// A job's outcome with the diagnostics it produced along the way.
struct Done {
    op: usize,
    outcome: JobOutcome,
    diagnostics: Vec<Diag>,
}

/// The apply order: the ops (the work items of `graph`, in the same order) and what each
/// waits for. A dependency on every instance of a resource is one edge to a barrier
/// instead of one edge per instance.
struct Order {
    ops: Vec<Op>,
    graph: DependencyGraph,
}

/// Orders the changes of `plan`. A create or update waits for the creates and updates of
/// the resources it depends on: only of the instances it reads when `needs` says its
/// references select them statically, else of every instance. A batch type always waits
/// for every instance, so that its changes become ready together and go in one call.
/// Destroys run in the reverse order, for every instance.
fn build_ops(
    plan: &Plan,
    schema: &Schema,
    needs: &BTreeMap<ResourceAddr, BTreeMap<ResourceAddr, Needed>>,
    config: &Config,
) -> Order {
    let mut ops = Vec::new();
    let mut cu: Vec<Option<usize>> = vec![None; plan.changes.len()];
    let mut destroy: Vec<Option<usize>> = vec![None; plan.changes.len()];
    for (i, c) in plan.changes.iter().enumerate() {
        match c.action {
            Action::NoOp | Action::Forget => {}
            Action::Create | Action::Update | Action::Read => {
                cu[i] = Some(ops.len());
                ops.push(Op {
                    change: i,
                    kind: match c.action {
                        Action::Create => OpKind::Create,
                        Action::Read => OpKind::Read,
                        _ => OpKind::Update,
                    },
                });
            }
            Action::Delete => {
                destroy[i] = Some(ops.len());
                ops.push(Op {
                    change: i,
                    kind: OpKind::Destroy,
                });
            }
            Action::DeleteThenCreate | Action::CreateThenDelete => {
                destroy[i] = Some(ops.len());
                ops.push(Op {
                    change: i,
                    kind: OpKind::Destroy,
                });
                cu[i] = Some(ops.len());
                ops.push(Op {
                    change: i,
                    kind: OpKind::Create,
                });
            }
        }
    }
    let addrs: Vec<InstanceAddr> = plan
        .changes
        .iter()
        .map(ResourceChange::instance_addr)
        .collect();
    let mut by_resource: HashMap<&ResourceAddr, Vec<usize>> = HashMap::new();
    let mut by_instance: HashMap<&InstanceAddr, Vec<usize>> = HashMap::new();
    for (i, addr) in addrs.iter().enumerate() {
        by_resource.entry(&addr.resource).or_default().push(i);
        by_instance.entry(addr).or_default().push(i);
    }
    let mut order = Order {
        graph: DependencyGraph::new(ops.len()),
        ops,
    };
    let mut all_updates_of: HashMap<&ResourceAddr, Option<usize>> = HashMap::new();
    let mut destroys_wanting: BTreeMap<(&ResourceAddr, ResourceAddr), Vec<usize>> = BTreeMap::new();
    let mut updates_wanting: BTreeMap<(&ResourceAddr, ResourceAddr), Vec<usize>> = BTreeMap::new();
    let mut wanted_by: HashMap<(&ResourceAddr, &[String]), BTreeSet<ResourceAddr>> = HashMap::new();
    for (i, c) in plan.changes.iter().enumerate() {
        match (c.action, cu[i], destroy[i]) {
            (Action::DeleteThenCreate, Some(create), Some(delete)) => {
                order.graph.wait(create, delete);
            }
            (Action::CreateThenDelete, Some(create), Some(delete)) => {
                order.graph.wait(delete, create);
            }
            _ => {}
        }
        let my_res = &addrs[i].resource;
        let batches = schema
            .resources
            .get(&c.type_name)
            .is_some_and(|rs| rs.batch);
        let wanted = wanted_by
            .entry((my_res, &c.dependencies))
            .or_insert_with(|| {
                c.dependencies
                    .iter()
                    .filter_map(|d| match parse_target(d) {
                        Ok(Target::Resource(r)) if &r != my_res && by_resource.contains_key(&r) => {
                            Some(r)
                        }
                        _ => None,
                    })
                    .collect()
            })
            .clone();
        for dep_res in wanted {
            if let Some(a) = cu[i] {
                let keys = needs
                    .get(my_res)
                    .filter(|_| !batches)
                    .and_then(|n| n.get(&dep_res))
                    .zip(config.resource(&dep_res))
                    .and_then(|(needed, block)| needed.keys(&addrs[i].key, block));
                match keys {
                    Some(keys) => {
                        for key in keys {
                            let instance = dep_res.instance(key);
                            let changes = by_instance.get(&instance).into_iter().flatten();
                            order.graph.wait_all(a, changes.filter_map(|&j| cu[j]));
                        }
                    }
                    None => {
                        let Some((&res, members)) = by_resource.get_key_value(&dep_res) else {
                            continue;
                        };
                        let barrier = *all_updates_of.entry(res).or_insert_with(|| {
                            order
                                .graph
                                .barrier(members.iter().filter_map(|&j| cu[j]).collect())
                        });
                        order.graph.wait_all(a, barrier);
                    }
                }
            }
            if let Some(b) = destroy[i] {
                destroys_wanting
                    .entry((my_res, dep_res.clone()))
                    .or_default()
                    .push(b);
            }
            if let Some(b) = cu[i] {
                updates_wanting
                    .entry((my_res, dep_res))
                    .or_default()
                    .push(b);
            }
        }
    }
    for ((_, dep_res), dependents) in destroys_wanting {
        let Some(barrier) = order.graph.barrier(dependents) else {
            continue;
        };
        for &j in &by_resource[&dep_res] {
            if let Some(a) = destroy[j] {
                order.graph.wait(a, barrier);
            }
        }
    }
    for ((_, dep_res), dependents) in updates_wanting {
        let replaced_first: Vec<usize> = by_resource[&dep_res]
            .iter()
            .filter(|&&j| plan.changes[j].action == Action::CreateThenDelete)
            .filter_map(|&j| destroy[j])
            .collect();
        if replaced_first.is_empty() {
            continue;
        }
        let Some(barrier) = order.graph.barrier(dependents) else {
            continue;
        };
        for a in replaced_first {
            order.graph.wait(a, barrier);
        }
    }
    order.graph.normalize();
    order
}

/// Jobs under way at once for each `-parallelism` permit: while `parallelism` jobs are
/// in the provider's apply (holding a permit each), as many more are re-planned and
/// saved as pending creates, or have their results saved, so the API work never waits
/// for the engine's own.
const JOBS_PER_PERMIT: usize = 2;

/// The longest the results of finished changes stay written but not yet synced to disk
/// during a run (see [`StateStore::write`]; pending creates are always synced before
/// their request).
const MAX_UNSYNCED: Duration = Duration::from_millis(500);

/// Carries out `req.plan`. Independent work runs in parallel, at most `parallelism`
/// provider apply calls at once; a failure stops only the work that depends on it. The
/// state is saved after every change.
pub fn apply_plan(
    req: &ApplyRequest,
    state_file: StateFile,
    on_event: &mut dyn FnMut(ApplyEvent),
) -> ApplyOutcome {
    let plan = req.plan;
    let needs = value_needs(req.config);
    let Order { ops, graph } = build_ops(plan, req.schema, &needs, req.config);
    let mut diags = Diagnostics::new();
    let store = StateStore::new(with_data_reads(req, &mut diags), state_file);
    let (mut added, mut changed, mut destroyed) = (0, 0, 0);
    if let Some(cycle) = graph.cycle() {
        let names: Vec<String> = cycle
            .iter()
            .filter_map(|&i| ops.get(i))
            .map(|op| plan.changes[op.change].display_address())
            .collect();
        diags.push(Diag::error(
            "Cycle in the apply order",
            format!(
                "The planned changes depend on each other in a loop: {}.",
                names.join(" -> ")
            ),
        ));
    } else {
        let deleting: BTreeSet<InstanceAddr> = plan
            .changes
            .iter()
            .filter(|c| c.action == Action::Delete && c.deposed.is_none())
            .map(ResourceChange::instance_addr)
            .collect();
        let ctx = Walk {
            req,
            plan,
            ops: &ops,
            graph: &graph,
            needs: &needs,
            store: &store,
            deleting,
            permits: Permits::new(req.parallelism),
        };
        let counts = ctx.run(&mut diags, on_event);
        (added, changed, destroyed) = counts;
    }

    let (mut state, mut file, write_failed) = store.into_parts();
    if !write_failed {
        update_outputs(req, &mut state, &mut diags);
        let mut unchanged = req.on_disk.clone().unwrap_or_default();
        unchanged.serial = state.serial;
        unchanged.ycprov_version = state.ycprov_version.clone();
        let needs_write = req.on_disk.is_none() && !state.resources.is_empty()
            || req
                .on_disk
                .as_ref()
                .is_some_and(|d| d.lineage != state.lineage)
            || (unchanged.resources != state.resources || unchanged.outputs != state.outputs)
            || file.has_journal();
        if needs_write && let Err(e) = file.write(&mut state) {
            diags.push(save_failure(&e));
        }
    }
    ApplyOutcome {
        state,
        diagnostics: diags,
        added,
        changed,
        destroyed,
    }
}

/// The prior state with the data sources the plan read (their records replace the old
/// ones) and without those it forgets. A saved plan keeps no sensitive value: a record
/// whose sensitive values were redacted is read again with its non-sensitive arguments.
fn with_data_reads(req: &ApplyRequest, diags: &mut Diagnostics) -> State {
    let mut state = req.prior.clone();
    for address in &req.plan.forgotten {
        state.replace_objects(address, Vec::new());
    }
    for record in &req.plan.data_reads {
        let redacted = record
            .attributes
            .as_object()
            .is_some_and(|attrs| attrs.values().any(crate::redact::is_redacted));
        let record = if redacted {
            match read_again(req, record) {
                Ok(record) => record,
                Err(d) => {
                    diags.push(d);
                    continue;
                }
            }
        } else {
            record.clone()
        };
        state.replace_objects(&record.address.clone(), vec![record]);
    }
    state
}

/// `record` read again with the arguments it records (those of a saved plan's data read
/// whose sensitive values were not saved).
fn read_again(req: &ApplyRequest, record: &InstanceState) -> Result<InstanceState, Diag> {
    let addr = record.instance_addr();
    let failed = |why: String| {
        Diag::error(format!("{addr}: cannot read the data source again"), format!("{why} The saved plan does not hold its sensitive values; run apply without a saved plan."))
            .for_address(addr.to_string())
    };
    let rs = req
        .schema
        .of(&addr.resource)
        .ok_or_else(|| failed("Its type is unknown.".to_string()))?;
    let arguments: serde_json::Map<String, Value> = rs
        .attributes
        .iter()
        .map(|(name, attribute)| {
            let value = record.attributes.get(name).cloned().unwrap_or(Value::Null);
            let keep = attribute.configurable() && !crate::redact::is_redacted(&value);
            (name.clone(), if keep { value } else { Value::Null })
        })
        .collect();
    let provider_addr = req.config.provider_of_record(record);
    let provider = req
        .providers
        .require(&provider_addr)
        .map_err(|e| failed(format!("{e:#}.")))?;
    let (state, _) = crate::plan_data::read_now(provider, &addr, rs, &Value::Object(arguments))
        .map_err(|ds| {
            failed(
                ds.iter()
                    .map(|d| d.detail.clone())
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        })?;
    Ok(InstanceState {
        attributes: state,
        ..record.clone()
    })
}

fn update_outputs(req: &ApplyRequest, state: &mut State, diags: &mut Diagnostics) {
    if req.plan.destroy {
        if req.plan.targets.is_empty() {
            state.outputs.clear();
        }
        return;
    }
    if req.config.outputs.is_empty() {
        if req.plan.targets.is_empty() {
            state.outputs.clear();
        }
        return;
    }
    let objects = state
        .resources
        .iter()
        .filter(|r| r.deposed.is_none())
        .map(|r| (r.instance_addr(), r.attributes.clone()))
        .collect();
    let values =
        InstanceValues::new(req.config, req.schema, objects).with_state_marks(&state.resources);
    let ctx = EvalContext::new(
        req.config,
        Some(req.schema),
        req.variables,
        &values,
        Phase::Apply,
    )
    .with_times(req.now, req.plan_time);
    let failed = diags.has_errors();
    for (name, out) in &req.config.outputs {
        match ctx.eval(&out.value, &Default::default()) {
            Ok(ev) if !contains_unknown(&ev.value) => {
                state.outputs.insert(
                    name.clone(),
                    OutputState {
                        value: ev.value,
                        sensitive: out.sensitive,
                    },
                );
            }
            Ok(_) => {}
            Err(d) if !failed => diags.push(d),
            Err(_) => {}
        }
    }
    if req.plan.targets.is_empty() {
        state
            .outputs
            .retain(|name, _| req.config.outputs.contains_key(name));
    }
}

struct Walk<'a> {
    req: &'a ApplyRequest<'a>,
    plan: &'a Plan,
    ops: &'a [Op],
    graph: &'a DependencyGraph,
    needs: &'a BTreeMap<ResourceAddr, BTreeMap<ResourceAddr, Needed>>,
    store: &'a StateStore,
    deleting: BTreeSet<InstanceAddr>,
    /// `-parallelism` permits: one is held for each provider apply call (the API work; see
    /// [`Provider::apply_holding`]).
    permits: Permits,
}

/// What the walk's dispatching thread keeps about the jobs under way and done.
struct Progress {
    walker: Walker,
    in_flight: BTreeMap<usize, InFlight>,
    counts: (usize, usize, usize),
    cbd_keys: Mutex<BTreeMap<usize, String>>,
    expansions: Mutex<Expansions>,
    /// Job batches sent to the workers and not yet answered.
    running: usize,
}

/// A started op: when it started, how many progress reports it had, its address.
struct InFlight {
    started: Instant,
    reported: u64,
    address: String,
}

impl<'a> Walk<'a> {
    /// Runs every op once what it waits for is done, on worker threads; returns the
    /// numbers of objects added, changed and destroyed.
    fn run(
        &self,
        diags: &mut Diagnostics,
        on_event: &mut dyn FnMut(ApplyEvent),
    ) -> (usize, usize, usize) {
        let n = self.ops.len();
        let mut progress = Progress {
            walker: Walker::new(self.graph),
            in_flight: BTreeMap::new(),
            counts: (0, 0, 0),
            cbd_keys: Mutex::new(BTreeMap::new()),
            expansions: Mutex::new(Expansions::new()),
            running: 0,
        };
        let in_flight_jobs = self.req.parallelism.max(1) * JOBS_PER_PERMIT;
        let (job_tx, job_rx) = mpsc::channel::<Vec<Job<'a>>>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let (done_tx, done_rx) = mpsc::channel::<Vec<Done>>();

        std::thread::scope(|scope| {
            for _ in 0..in_flight_jobs.min(n) {
                let job_rx = Arc::clone(&job_rx);
                let done_tx = done_tx.clone();
                scope.spawn(move || {
                    loop {
                        let jobs = {
                            let rx = lock(&job_rx);
                            rx.recv()
                        };
                        let Ok(jobs) = jobs else { break };
                        if done_tx.send(self.execute(jobs)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(done_tx);
            let mut stop = false;
            loop {
                stop |= self.interrupted();
                if !stop {
                    stop = !self.dispatch(&mut progress, in_flight_jobs, &job_tx, diags, on_event);
                }
                if progress.in_flight.is_empty() {
                    break;
                }
                match done_rx.recv_timeout(Duration::from_millis(200)) {
                    Ok(finished) => {
                        progress.running -= 1;
                        for done in finished {
                            self.record_done(&mut progress, done, diags, on_event);
                        }
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        self.report_still_running(&mut progress, on_event);
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
                let _ = self.store.sync_if_older_than(MAX_UNSYNCED);
                stop |= self.store.failed();
            }
            drop(job_tx);
        });
        if self.interrupted() {
            let not_started = progress.walker.ready().count();
            diags.push(Diag::error(
                "Apply interrupted",
                format!("The run was interrupted: the changes under way finished and were saved, and {not_started} more that were ready did not start (nor anything that waits for them). Run apply again to finish."),
            ));
        }
        progress.counts
    }

    /// Whether the run was asked to stop.
    fn interrupted(&self) -> bool {
        self.req
            .interrupted
            .as_ref()
            .is_some_and(|flag| flag.load(std::sync::atomic::Ordering::SeqCst))
    }

    /// Sends the ready ops to the workers, batched where their type batches, up to
    /// `limit` batches under way. Returns false when the workers are gone.
    fn dispatch(
        &self,
        progress: &mut Progress,
        limit: usize,
        job_tx: &mpsc::Sender<Vec<Job<'a>>>,
        diags: &mut Diagnostics,
        on_event: &mut dyn FnMut(ApplyEvent),
    ) -> bool {
        for i in 0..self.ops.len() {
            if progress.running >= limit {
                break;
            }
            if !progress.walker.is_ready(i) {
                continue;
            }
            let batch = self.batch_of(i, |j| progress.walker.is_ready(j));
            for &i in &batch {
                progress.walker.start(i);
            }
            let prepared = run_parallel(cpus(), &batch, |&i| {
                self.prepare(i, &progress.cbd_keys, &progress.expansions)
            });
            let mut jobs = Vec::new();
            for (i, prepared) in batch.into_iter().zip(prepared) {
                match prepared {
                    Ok(job) => {
                        let address = self.announce(i, &job, on_event);
                        progress.in_flight.insert(
                            i,
                            InFlight {
                                started: Instant::now(),
                                reported: 0,
                                address,
                            },
                        );
                        jobs.push(job);
                    }
                    Err(ds) => {
                        diags.extend(Diagnostics(ds));
                        progress.walker.failed(i);
                    }
                }
            }
            if jobs.is_empty() {
                continue;
            }
            progress.running += 1;
            if job_tx.send(jobs).is_err() {
                return false;
            }
        }
        true
    }

    /// Reports that op `i` starts; returns the address its events carry.
    fn announce(&self, i: usize, job: &Job, on_event: &mut dyn FnMut(ApplyEvent)) -> String {
        let change = &self.plan.changes[self.ops[i].change];
        let kind = self.ops[i].kind;
        let address = match (&job.deposed, &job.change.deposed) {
            (Some(key), None) => format!("{} (deposed object {key})", job.change.address),
            _ => change.display_address(),
        };
        let id = match kind {
            OpKind::Create => None,
            _ => change
                .before
                .as_ref()
                .and_then(|b| b.get("id"))
                .and_then(Value::as_str)
                .map(str::to_string),
        };
        on_event(ApplyEvent::Started {
            address: address.clone(),
            kind,
            id,
        });
        address
    }

    /// Records the outcome of one op: counts and releases what waits for it, or blocks it.
    fn record_done(
        &self,
        progress: &mut Progress,
        done: Done,
        diags: &mut Diagnostics,
        on_event: &mut dyn FnMut(ApplyEvent),
    ) {
        let flight = progress.in_flight.remove(&done.op);
        let (elapsed, address) = flight
            .map(|f| (f.started.elapsed(), f.address))
            .unwrap_or_default();
        let kind = self.ops[done.op].kind;
        diags.extend(Diagnostics(done.diagnostics));
        match done.outcome {
            JobOutcome::Applied { id } => {
                on_event(ApplyEvent::Completed {
                    address,
                    kind,
                    elapsed,
                    id,
                });
                match kind {
                    OpKind::Create => progress.counts.0 += 1,
                    OpKind::Update => progress.counts.1 += 1,
                    OpKind::Destroy => progress.counts.2 += 1,
                    OpKind::Read => {}
                }
                progress.walker.succeeded(done.op);
            }
            JobOutcome::Failed(ds) => {
                on_event(ApplyEvent::Failed {
                    address,
                    kind,
                    elapsed,
                });
                diags.extend(Diagnostics(ds));
                progress.walker.failed(done.op);
            }
        }
    }

    /// Reports the ops that have been running for another progress interval.
    fn report_still_running(&self, progress: &mut Progress, on_event: &mut dyn FnMut(ApplyEvent)) {
        let interval = self.req.progress_interval.as_secs_f64().max(0.001);
        for (&i, flight) in progress.in_flight.iter_mut() {
            let ticks = (flight.started.elapsed().as_secs_f64() / interval) as u64;
            if ticks > flight.reported {
                flight.reported = ticks;
                on_event(ApplyEvent::StillRunning {
                    address: flight.address.clone(),
                    kind: self.ops[i].kind,
                    elapsed: flight.started.elapsed(),
                });
            }
        }
    }

    /// Builds the job of op `i`: evaluates the configuration with the values known now.
    /// The jobs of a batch are built on the CPUs in parallel: a create-before-destroy
    /// replacement's create and destroy, which share a deposed key in `cbd_keys`, are
    /// never in one batch (a batch holds one kind of op).
    fn prepare(
        &self,
        i: usize,
        cbd_keys: &Mutex<BTreeMap<usize, String>>,
        expansions: &Mutex<Expansions>,
    ) -> Result<Job<'a>, Vec<Diag>> {
        let op = &self.ops[i];
        let change = &self.plan.changes[op.change];
        let addr = change.instance_addr();
        let schema_version = self
            .req
            .schema
            .of(&addr.resource)
            .map(|s| s.version)
            .unwrap_or(0);
        let mut job = Job {
            op: i,
            kind: op.kind,
            addr: addr.clone(),
            config: None,
            sensitive: change.after_sensitive.clone(),
            deposed: change.deposed.clone(),
            depose_current: None,
            schema_version,
            change,
        };
        match op.kind {
            OpKind::Destroy => {
                if job.change.action == Action::CreateThenDelete {
                    job.deposed = lock(cbd_keys).get(&op.change).cloned();
                }
            }
            OpKind::Read => job.config = Some(self.evaluate_config(&addr, expansions)?),
            OpKind::Create | OpKind::Update => {
                if job.change.action == Action::CreateThenDelete {
                    let key = new_deposed_key();
                    lock(cbd_keys).insert(op.change, key.clone());
                    job.depose_current = Some(key);
                }
                job.config = Some(self.evaluate_config(&addr, expansions)?);
            }
        }
        Ok(job)
    }

    /// Evaluates the configuration of `addr` with the values known now. The `count` or
    /// `for_each` of a resource is evaluated once, when its first instance is prepared,
    /// and kept in `expansions`.
    fn evaluate_config(
        &self,
        addr: &InstanceAddr,
        expansions: &Mutex<Expansions>,
    ) -> Result<Value, Vec<Diag>> {
        let req = self.req;
        let config = req.config;
        let block = config.resource(&addr.resource).ok_or_else(|| {
            vec![Diag::error(
                format!("{addr}: the resource block is gone"),
                "The configuration changed since the plan was made.",
            )]
        })?;
        let rs = req
            .schema
            .of(&addr.resource)
            .ok_or_else(|| vec![Diag::error(format!("{addr}: unknown resource type"), "")])?;
        let needs = self.needs.get(&addr.resource).into_iter().flatten();
        let (objects, prior) = self.store.read(|state| {
            let mut objects = ByInstance::default();
            for (target, needed) in needs {
                let keys = config
                    .resource(target)
                    .and_then(|b| needed.keys(&addr.key, b));
                match keys {
                    Some(keys) => {
                        for key in keys {
                            let instance = target.instance(key);
                            if let Some(r) = state.instance(&instance)
                                && !self.deleting.contains(&instance)
                            {
                                objects.insert(instance, r.attributes.clone());
                            }
                        }
                    }
                    None => objects.extend(
                        state
                            .resources
                            .iter()
                            .filter(|r| r.deposed.is_none())
                            .map(|r| (r.instance_addr(), r))
                            .filter(|(a, _)| &a.resource == target && !self.deleting.contains(a))
                            .map(|(a, r)| (a, r.attributes.clone())),
                    ),
                }
            }
            (objects, state.instance(addr).map(|r| r.attributes.clone()))
        });
        let values = InstanceValues::new(config, req.schema, objects);
        let ctx = EvalContext::new(
            config,
            Some(req.schema),
            req.variables,
            &values,
            Phase::Apply,
        )
        .with_times(req.now, req.plan_time);
        let vars = {
            let mut expansions = lock(expansions);
            if !expansions.contains_key(&addr.resource) {
                let expansion = expand(&ctx, config, block, false).map_err(|d| vec![d])?;
                let instances = expansion.instances().into_iter().collect();
                expansions.insert(addr.resource.clone(), instances);
            }
            expansions
                .get(&addr.resource)
                .and_then(|instances| instances.get(&addr.key))
                .cloned()
        };
        let vars = vars.ok_or_else(|| {
            vec![Diag::error(
                format!("{addr}: the instance is no longer in the configuration"),
                "The count or for_each value changed since the plan was made.",
            )]
        })?;
        let mut value = eval_instance(&ctx, config, block, rs, &vars, addr)
            .map_err(|d| d.0)?
            .value;
        if let (Some(prior), Some(cfg)) = (prior, value.as_object_mut()) {
            for (name, v) in cfg.iter_mut() {
                if block.lifecycle.ignore_all_changes
                    || block.lifecycle.ignore_changes.contains(name)
                {
                    *v = prior.get(name).cloned().unwrap_or(Value::Null);
                }
            }
        }
        Ok(value)
    }

    /// The address of another object of the job's type that the state records with `id`.
    fn other_holder_of(&self, job: &Job, id: &str) -> Option<String> {
        let own = job.addr.to_string();
        self.store
            .holders_of(&job.addr.resource.type_name, id)
            .into_iter()
            .find(|(address, deposed)| *address != own || deposed.is_some())
            .map(|(address, deposed)| match deposed {
                Some(key) => format!("{address} (deposed object {key})"),
                None => address,
            })
    }

    /// Records a job's object in the in-memory state (the caller makes it durable).
    fn record_object(&self, job: &Job, deposed: Option<&str>, new_state: Option<Value>) {
        self.store.update(&[&job.addr], |state| match new_state {
            Some(attrs) => {
                let mut record = InstanceState::new(
                    &job.addr,
                    job.schema_version,
                    attrs,
                    job.sensitive.clone(),
                    job.change.dependencies.clone(),
                );
                record.provider = job.change.provider.clone();
                if job.kind == OpKind::Destroy
                    && let Some(existing) = state.object(&job.addr, deposed)
                {
                    record.sensitive_attributes = existing.sensitive_attributes.clone();
                    record.dependencies = existing.dependencies.clone();
                }
                record.deposed = deposed.map(str::to_string);
                state.upsert(record);
            }
            None => {
                state.remove(&job.addr, deposed);
            }
        });
    }

    /// The ops to run with op `i` in one job: the ready ops of the same kind and type,
    /// up to [`MAX_BATCH`], when the type is a batch type; else only op `i`.
    fn batch_of(&self, i: usize, ready: impl Fn(usize) -> bool) -> Vec<usize> {
        let change_of = |op: usize| &self.plan.changes[self.ops[op].change];
        let type_of = |op: usize| (&change_of(op).type_name, &change_of(op).provider);
        let batches = change_of(i).mode != "data"
            && self
                .req
                .schema
                .resources
                .get(type_of(i).0)
                .is_some_and(|rs| rs.batch);
        if !batches {
            return vec![i];
        }
        let kind = self.ops[i].kind;
        std::iter::once(i)
            .chain(
                (i + 1..self.ops.len())
                    .filter(|&j| self.ops[j].kind == kind && type_of(j) == type_of(i) && ready(j)),
            )
            .take(MAX_BATCH)
            .collect()
    }

    /// Runs jobs on a worker thread: one alone with `apply`, several (of one batch type)
    /// with one `apply_many`. Each result is checked and recorded on its own; the state
    /// file is written once the results of the provider call are recorded (they all
    /// arrive together, so saving each of them would protect nothing more) and synced
    /// with the next save that must be durable (a pending create's), within
    /// [`MAX_UNSYNCED`], or by the whole write that ends the run: a lost result leaves its
    /// pending create, which the next run resolves.
    fn execute(&self, jobs: Vec<Job<'a>>) -> Vec<Done> {
        let mut finished = Vec::new();
        let mut ready = Vec::new();
        let (reads, jobs): (Vec<Job<'a>>, Vec<Job<'a>>) =
            jobs.into_iter().partition(|job| job.kind == OpKind::Read);
        finished.extend(reads.into_iter().map(|job| self.read_data_source(job)));
        let provider = match jobs.first().map(|job| self.provider_of(job.change)) {
            None => return finished,
            Some(Ok(provider)) => provider,
            Some(Err(e)) => {
                finished.extend(jobs.into_iter().map(|job| {
                    let display = job.change.display_address();
                    Done {
                        op: job.op,
                        outcome: JobOutcome::Failed(vec![
                            Diag::error(format!("{display}: no provider"), format!("{e:#}"))
                                .for_address(display),
                        ]),
                        diagnostics: Vec::new(),
                    }
                }));
                return finished;
            }
        };
        for (job, prepared) in self.plan_again(provider, jobs) {
            match prepared {
                (Prepared::Call(change), warnings) => ready.push((job, change, warnings)),
                (Prepared::Finished(outcome), warnings) => finished.push(Done {
                    op: job.op,
                    outcome,
                    diagnostics: warnings,
                }),
            }
        }
        if let Err(d) = self.record_pending_creates(&ready) {
            finished.extend(ready.into_iter().map(|(job, _, diagnostics)| Done {
                op: job.op,
                outcome: JobOutcome::Failed(vec![d.clone()]),
                diagnostics,
            }));
            return finished;
        }
        let applied: Vec<anyhow::Result<Applied>> = match &ready[..] {
            [] => Vec::new(),
            [(job, change, _)] => vec![provider.apply_holding(
                &self.permits,
                &job.change.type_name,
                change.prior.as_ref(),
                change.planned.as_ref(),
            )],
            [(first, ..), ..] => {
                let changes: Vec<Change> =
                    ready.iter().map(|(_, change, _)| change.clone()).collect();
                match provider.apply_many_holding(&self.permits, &first.change.type_name, &changes)
                {
                    Ok(results) if results.len() == changes.len() => {
                        results.into_iter().map(Ok).collect()
                    }
                    Ok(results) => {
                        let count = results.len();
                        changes
                            .iter()
                            .map(|_| {
                                Err(anyhow::anyhow!(
                                    "it returned {count} results for {} changes",
                                    changes.len()
                                ))
                            })
                            .collect()
                    }
                    Err(e) => changes
                        .iter()
                        .map(|_| Err(anyhow::anyhow!("{e:#}")))
                        .collect(),
                }
            }
        };
        let mut recorded: Vec<Done> = ready
            .into_iter()
            .zip(applied)
            .map(|((job, change, warnings), applied)| {
                let (outcome, diagnostics) = self.after_apply(&job, change, applied, warnings);
                Done {
                    op: job.op,
                    outcome,
                    diagnostics,
                }
            })
            .collect();
        if !recorded.is_empty() {
            let saved = self.store.write(self.store.generation());
            if let Err(d) = saved {
                for done in &mut recorded {
                    match &mut done.outcome {
                        JobOutcome::Applied { .. } => {
                            done.outcome = JobOutcome::Failed(vec![d.clone()]);
                        }
                        JobOutcome::Failed(errors) => errors.push(d.clone()),
                    }
                }
            }
        }
        finished.extend(recorded);
        finished
    }

    /// Makes the plans of `jobs` (one type, of `provider`) again with the values known now;
    /// a batch's plans go to the provider together, in runs of [`CALLS_PER_INSTANCE`] made
    /// on the CPUs in parallel.
    /// Returns each job with what it is ready for and the warnings so far.
    fn plan_again(
        &self,
        provider: &dyn Provider,
        jobs: Vec<Job<'a>>,
    ) -> Vec<(Job<'a>, (Prepared, Vec<Diag>))> {
        let befores: Vec<BeforePlan> = jobs.iter().map(|job| self.before_plan(job)).collect();
        let to_plan: Vec<(Option<&Value>, Option<&Value>)> = befores
            .iter()
            .filter_map(|before| match before {
                BeforePlan::Plan { prior, config } => Some((prior.as_ref(), Some(config))),
                BeforePlan::Ready(_) => None,
            })
            .collect();
        let type_name = &jobs[0].change.type_name;
        let mut answers = in_runs(cpus(), &to_plan, CALLS_PER_INSTANCE, |run| {
            provider.plan_many(type_name, run)
        })
        .into_iter();
        jobs.into_iter()
            .zip(befores)
            .map(|(job, before)| {
                let mut warnings = Vec::new();
                let prepared = match before {
                    BeforePlan::Ready(prepared) => prepared,
                    BeforePlan::Plan { prior, .. } => {
                        let answer = answers
                            .next()
                            .unwrap_or_else(|| Err(anyhow::anyhow!("no plan came back")));
                        self.after_plan(&job, prior, answer, &mut warnings)
                    }
                };
                (job, (prepared, warnings))
            })
            .collect()
    }

    /// Reads a data source whose read was deferred to apply and records its state.
    fn read_data_source(&self, job: Job<'a>) -> Done {
        let display = job.change.display_address();
        let outcome = (|| {
            let provider = self.provider_of(job.change).map_err(|e| {
                vec![Diag::error(
                    format!("{display}: no provider"),
                    format!("{e:#}"),
                )]
            })?;
            let rs =
                self.req.schema.of(&job.addr.resource).ok_or_else(|| {
                    vec![Diag::error(format!("{display}: unknown data source"), "")]
                })?;
            let config = job.config.clone().unwrap_or(Value::Null);
            let _permit = self.permits.acquire();
            crate::plan_data::read_now(provider, &job.addr, rs, &config)
        })();
        match outcome {
            Ok((state, diagnostics)) => {
                self.record_object(&job, None, Some(state));
                let outcome = match self.store.make_durable(self.store.generation()) {
                    Ok(()) => JobOutcome::Applied { id: None },
                    Err(d) => JobOutcome::Failed(vec![d]),
                };
                Done {
                    op: job.op,
                    outcome,
                    diagnostics,
                }
            }
            Err(errors) => Done {
                op: job.op,
                outcome: JobOutcome::Failed(errors),
                diagnostics: Vec::new(),
            },
        }
    }

    /// Records every create among `ready` as a pending create (its planned attributes and
    /// the time) and saves the state, before the provider is asked to create anything. A
    /// run that dies before the result is saved so leaves a mark the next refresh resolves
    /// with the provider: the object is adopted or found missing, never duplicated, and an
    /// API key whose secret was never stored is revoked and created again.
    fn record_pending_creates(&self, ready: &[(Job<'a>, Change, Vec<Diag>)]) -> Result<(), Diag> {
        let mut creates = ready
            .iter()
            .filter(|(job, change, _)| job.kind == OpKind::Create && change.prior.is_none())
            .filter_map(|(job, change, _)| change.planned.as_ref().map(|planned| (job, planned)))
            .peekable();
        if creates.peek().is_none() {
            return Ok(());
        }
        let creates: Vec<(&Job, &Value)> = creates.collect();
        let touched: Vec<&InstanceAddr> = creates.iter().map(|(job, _)| &job.addr).collect();
        let ((), generation) = self.store.update(&touched, |state| {
            for (job, planned) in creates {
                let mut record = InstanceState::new(
                    &job.addr,
                    job.schema_version,
                    unknowns_to_null(planned),
                    job.sensitive.clone(),
                    job.change.dependencies.clone(),
                );
                record.provider = job.change.provider.clone();
                record.pending_create = Some(PendingCreate::now());
                state.upsert(record);
            }
        });
        self.store.make_durable(generation)
    }

    /// The provider that carries out `change`: the one the plan names, else (plans made
    /// before many providers) the default of its type's prefix.
    fn provider_of(&self, change: &ResourceChange) -> anyhow::Result<&dyn Provider> {
        let addr = ProviderConfigAddr::parse_state(&change.provider).unwrap_or_else(|| {
            self.req
                .config
                .provider_addr(crate::providers::type_prefix(&change.type_name), None)
        });
        self.req.providers.require(&addr)
    }

    /// Gets a job ready for the provider's plan: the prior object, and for creates and
    /// updates the configuration to plan again with (see [`Walk::after_plan`]). A job
    /// that needs no plan (a destroy) is ready for the provider as it is; `Finished` is
    /// the job's final result (e.g. nothing left to destroy).
    fn before_plan(&self, job: &Job) -> BeforePlan {
        if job.kind == OpKind::Destroy {
            let prior = self.store.read(|state| {
                state
                    .object(&job.addr, job.deposed.as_deref())
                    .map(|r| r.attributes.clone())
            });
            return BeforePlan::Ready(match prior {
                Some(prior) => Prepared::Call(Change {
                    prior: Some(prior),
                    planned: None,
                }),
                None => Prepared::Finished(JobOutcome::Applied { id: None }),
            });
        }
        if let Some(key) = &job.depose_current {
            let (deposed, generation) = self.store.update(&[&job.addr], |state| {
                let Some(mut current) = state.remove(&job.addr, None) else {
                    return false;
                };
                current.deposed = Some(key.clone());
                state.upsert(current);
                true
            });
            if deposed && let Err(d) = self.store.make_durable(generation) {
                return BeforePlan::Ready(Prepared::Finished(JobOutcome::Failed(vec![d])));
            }
        }
        let prior = if job.kind == OpKind::Update {
            self.store
                .read(|state| state.instance(&job.addr).map(|r| r.attributes.clone()))
        } else {
            None
        };
        BeforePlan::Plan {
            prior,
            config: job.config.clone().unwrap_or(Value::Null),
        }
    }

    /// Checks the plan made again with the values known now against the saved plan; the
    /// change for the provider, or the job's final result.
    fn after_plan(
        &self,
        job: &Job,
        prior: Option<Value>,
        replanned: anyhow::Result<PlannedChange>,
        warnings: &mut Vec<Diag>,
    ) -> Prepared {
        let display = job.change.display_address();
        let failed = |summary: String, detail: String| {
            Prepared::Finished(JobOutcome::Failed(vec![
                Diag::error(summary, detail).for_address(display.clone()),
            ]))
        };
        let convert = |ds: &[crate::provider::Diagnostic]| -> Vec<Diag> {
            ds.iter()
                .map(|d| Diag::from_provider(d, &display, None))
                .collect()
        };
        let replanned = match replanned {
            Ok(p) => p,
            Err(e) => {
                return failed(
                    format!("{display}: the provider failed while planning"),
                    format!("{e:#}"),
                );
            }
        };
        if has_errors(&replanned.diagnostics) {
            return Prepared::Finished(JobOutcome::Failed(convert(&replanned.diagnostics)));
        }
        warnings.extend(convert(&replanned.diagnostics));
        let Some(planned) = replanned.planned else {
            return failed(format!("{display}: provider produced invalid plan"), "The provider returned no planned object during apply. This is a bug in the provider.".into());
        };
        if let Some(saved) = &job.change.after {
            let moved = changed_known_values(saved, &planned);
            if !moved.is_empty() {
                let detail = moved
                    .iter()
                    .map(|a| {
                        if job.sensitive.contains(a) {
                            format!("  .{a}: (sensitive value changed)")
                        } else {
                            format!(
                                "  .{a}: planned {}, now {}",
                                show(saved.get(a)),
                                show(planned.get(a))
                            )
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                return failed(
                    format!("{display}: provider produced inconsistent final plan"),
                    format!(
                        "When expanding the plan to include values learned during apply, values that were known at plan time changed:\n{detail}\n\nNothing was changed for this object. Run plan again; if this repeats, it is a bug in the provider."
                    ),
                );
            }
        }
        Prepared::Call(Change {
            prior,
            planned: Some(planned),
        })
    }

    /// Checks what the provider returned for a job and records it in the state; returns
    /// the job's result (the object id on success) and its warnings.
    fn after_apply(
        &self,
        job: &Job,
        change: Change,
        applied: anyhow::Result<Applied>,
        mut warnings: Vec<Diag>,
    ) -> (JobOutcome, Vec<Diag>) {
        let display = job.change.display_address();
        let failed = |summary: String, detail: String| {
            JobOutcome::Failed(vec![
                Diag::error(summary, detail).for_address(display.clone()),
            ])
        };
        let convert = |ds: &[crate::provider::Diagnostic]| -> Vec<Diag> {
            ds.iter()
                .map(|d| Diag::from_provider(d, &display, None))
                .collect()
        };

        let Some(planned) = change.planned else {
            let prior = change.prior.unwrap_or(Value::Null);
            let applied = match applied {
                Ok(a) => a,
                Err(e) => {
                    return (
                        failed(
                            format!("{display}: the provider failed while destroying"),
                            format!("{e:#}"),
                        ),
                        warnings,
                    );
                }
            };
            let id = prior.get("id").and_then(Value::as_str).map(str::to_string);
            let errors = has_errors(&applied.diagnostics);
            let all = convert(&applied.diagnostics);
            let new_state = if errors {
                applied.new_state.or(Some(prior))
            } else {
                applied.new_state
            };
            self.record_object(
                job,
                job.deposed.as_deref(),
                new_state.map(|s| unknowns_to_null(&s)),
            );
            return if errors || all.iter().any(Diag::is_error) {
                (JobOutcome::Failed(all), warnings)
            } else {
                (JobOutcome::Applied { id }, all)
            };
        };

        let applied = match applied {
            Ok(a) => a,
            Err(e) => {
                return (
                    failed(
                        format!("{display}: the provider failed while applying"),
                        if job.kind == OpKind::Create {
                            format!(
                                "{e:#}\n\nThe object may exist. It is recorded as a pending create, which the next plan, apply or refresh resolves: an object the create made is adopted (an API key whose secret was lost is revoked and created again)."
                            )
                        } else {
                            format!(
                                "{e:#}\n\nThe object may have changed; run `ycprov refresh` to read it back."
                            )
                        },
                    ),
                    warnings,
                );
            }
        };
        let mut errors = convert(&applied.diagnostics);
        let mut new_state = applied.new_state.clone();
        if let Some(state) = new_state.clone() {
            if contains_unknown(&state) {
                errors.push(Diag::error(format!("{display}: provider returned invalid result object after apply"), "Some attributes are still unknown after apply; they were stored as null. This is a bug in the provider.").for_address(display.clone()));
                new_state = Some(unknowns_to_null(&state));
            }
            if !has_errors(&applied.diagnostics) {
                let moved = changed_known_values(&planned, &state);
                if !moved.is_empty() {
                    errors.push(Diag::error(format!("{display}: provider produced inconsistent result after apply"), format!("The provider changed values that were known in the plan: {}. The object was saved as the provider returned it. This is a bug in the provider.", moved.join(", "))).for_address(display.clone()));
                }
            }
        } else if job.kind == OpKind::Update && !has_errors(&applied.diagnostics) {
            errors.push(
                Diag::error(
                    format!("{display}: provider returned no object after update"),
                    "The object was removed from the state.",
                )
                .for_address(display.clone()),
            );
        }
        let id = new_state
            .as_ref()
            .and_then(|s| s.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let holder = id.as_deref().and_then(|id| self.other_holder_of(job, id));
        let create = job.kind == OpKind::Create && change.prior.is_none();
        if let (Some(holder), Some(id)) = (&holder, &id) {
            errors.push(
                Diag::error(
                    format!("{display}: the API returned an id another object already holds"),
                    format!("The create returned id {id}, which the state records for {holder}. The result was not saved: the create stays pending, and the next plan, apply or refresh resolves it with the provider. Check the API endpoint (a proxy or cache answering with a stale response?)."),
                )
                .for_address(display.clone()),
            );
        } else if create && new_state.is_none() && errors.iter().any(Diag::is_error) {
            errors.push(
                Diag::warning(
                    format!("{display}: the create is recorded as pending"),
                    "The API may have made the object before it answered with an error (a gateway error after the change, for example). The next plan, apply or refresh resolves the pending create: an object the create made is adopted, and an API key whose secret was lost is revoked and created again.",
                )
                .for_address(display.clone()),
            );
        } else {
            self.record_object(job, None, new_state);
        }
        if errors.iter().any(Diag::is_error) {
            errors.extend(warnings);
            (JobOutcome::Failed(errors), Vec::new())
        } else {
            warnings.extend(errors);
            (JobOutcome::Applied { id }, warnings)
        }
    }
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "null".into(),
        Some(v) if crate::value::is_unknown(v) => "(known after apply)".into(),
        Some(v) => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::ResourceSchema;

    const CONFIG: &str = r#"
variable "names" { type = set(string) }
resource "t" "sa" { for_each = var.names }
resource "b" "member" {
  for_each = var.names
  x        = t.sa[each.key].id
}
resource "t" "key" {
  for_each   = var.names
  x          = t.sa[each.key].id
  depends_on = [b.member]
}
"#;

    fn change(resource: &str, key: &str, action: Action, dependencies: &[&str]) -> ResourceChange {
        let (type_name, name) = resource.split_once('.').unwrap();
        ResourceChange {
            address: format!("{resource}[\"{key}\"]"),
            mode: "managed".into(),
            module: String::new(),
            previous_address: None,
            importing: None,
            type_name: type_name.into(),
            name: name.into(),
            provider: String::new(),
            index_key: Value::from(key),
            deposed: None,
            action,
            before: None,
            after: None,
            replace_paths: Vec::new(),
            before_sensitive: Vec::new(),
            after_sensitive: Vec::new(),
            dependencies: dependencies.iter().map(|d| d.to_string()).collect(),
            reason: None,
            replace_cause: None,
        }
    }

    fn plan(action: Action) -> Plan {
        let mut changes = Vec::new();
        for (resource, dependencies) in [
            ("t.sa", &[][..]),
            ("b.member", &["t.sa"][..]),
            ("t.key", &["b.member", "t.sa"][..]),
        ] {
            for key in ["a", "b"] {
                changes.push(change(resource, key, action, dependencies));
            }
        }
        Plan {
            destroy: action == Action::Delete,
            changes,
            drift: Vec::new(),
            outputs: Vec::new(),
            prior: State::default(),
            state_existed: false,
            targets: Vec::new(),
            plan_time: String::new(),
            data_reads: Vec::new(),
            forgotten: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The addresses of the ops that op `i` waits for, directly or through barriers.
    fn waits_for(plan: &Plan, order: &Order, i: usize) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut stack = order.graph.waits_for(i).to_vec();
        while let Some(node) = stack.pop() {
            match order.ops.get(node) {
                Some(op) => {
                    out.insert(plan.changes[op.change].address.clone());
                }
                None => stack.extend(order.graph.waits_for(node)),
            }
        }
        out
    }

    #[test]
    fn instances_wait_only_for_what_they_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), CONFIG).unwrap();
        let config = crate::config::load(dir.path()).unwrap();
        let mut schema = Schema::default();
        for (type_name, batch) in [("t", false), ("b", true)] {
            schema.resources.insert(
                type_name.into(),
                ResourceSchema {
                    version: 0,
                    description: String::new(),
                    attributes: BTreeMap::new(),
                    batch,
                    read_batch: batch,
                    host_values: BTreeMap::new(),
                },
            );
        }
        let needs = value_needs(&config);
        let cases: [(Action, &str, &[&str]); 6] = [
            (Action::Create, "t.sa[\"a\"]", &[]),
            (
                Action::Create,
                "b.member[\"a\"]",
                &["t.sa[\"a\"]", "t.sa[\"b\"]"],
            ),
            (
                Action::Create,
                "t.key[\"a\"]",
                &["b.member[\"a\"]", "b.member[\"b\"]", "t.sa[\"a\"]"],
            ),
            (
                Action::Delete,
                "t.sa[\"a\"]",
                &[
                    "b.member[\"a\"]",
                    "b.member[\"b\"]",
                    "t.key[\"a\"]",
                    "t.key[\"b\"]",
                ],
            ),
            (
                Action::Delete,
                "b.member[\"b\"]",
                &["t.key[\"a\"]", "t.key[\"b\"]"],
            ),
            (Action::Delete, "t.key[\"a\"]", &[]),
        ];
        for (action, address, want) in cases {
            let plan = plan(action);
            let order = build_ops(&plan, &schema, &needs, &config);
            let i = order
                .ops
                .iter()
                .position(|op| plan.changes[op.change].address == address)
                .unwrap();
            let want: BTreeSet<String> = want.iter().map(|s| s.to_string()).collect();
            assert_eq!(waits_for(&plan, &order, i), want, "{action:?} {address}");
        }
    }
}
