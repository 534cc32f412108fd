//! The wasmtime embedding: compile a provider component once, pre-link it against the
//! capabilities it imports, and run every call in a fresh, limited `Store`.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use wasmtime::component::{Component, HasSelf, Instance, InstancePre, Linker};
use wasmtime::{Engine, Store, StoreLimitsBuilder};

use crate::bindings::NEUTRAL_PACKAGE;
use crate::bindings::lifecycle::{Guest as Lifecycle, GuestIndices as LifecycleIndices};
use crate::capabilities::{Capabilities, HostState};
use crate::component_cache;
use crate::engine_config::{MAX_LIVE_INSTANCES, engine_config, on_demand_engine_config};

/// A component to load and the WIT packages its host serves beyond the neutral one.
pub struct ComponentSpec<'a> {
    /// The component's bytes.
    pub wasm: &'a [u8],
    /// The component compiled ahead of time for [`engine_config`](crate::engine_config) (by
    /// the host's build), if any. It is used when it matches the running engine; otherwise
    /// (another CPU, another wasmtime) the component is compiled and cached as usual.
    pub precompiled: Option<&'a [u8]>,
    /// How messages name it, e.g. `the component ./provider.wasm`.
    pub what: &'a str,
    /// Other packages the host implements, as `<package>@<version>` (e.g. a cloud
    /// package whose exports the host calls).
    pub packages: &'a [&'a str],
    /// Package names whose every version is retired: a component using one is refused.
    pub retired: &'a [&'a str],
}

/// How often the epoch ticker advances; the granularity of call deadlines.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// A loaded provider component, ready to instantiate.
pub struct Runtime {
    engine: Engine,
    pre: InstancePre<HostState>,
    lifecycle: LifecycleIndices,
    caps: Arc<Capabilities>,
    imports: Vec<String>,
    linked: Vec<&'static str>,
    ticker_stop: Arc<AtomicBool>,
    slots: Slots,
}

impl Runtime {
    /// Loads the component (precompiled, from the cache, or compiling it) and links it against the
    /// capabilities it imports; refuses one built for WIT versions this runner and its
    /// host do not serve, or one that does not export `lifecycle`.
    pub fn new(spec: ComponentSpec<'_>, caps: Capabilities) -> Result<Runtime> {
        let engine = new_engine()?;
        let component = component_cache::load(&engine, spec.wasm, spec.precompiled, spec.what)?;
        let (imports, exports) = names(&engine, &component);
        check_versions(imports.iter().chain(&exports), &spec)?;
        let (linker, linked) = linker_for(&engine, &imports)?;
        let pre = linker
            .instantiate_pre(&component)
            .map_err(|e| anyhow!("{} does not fit this host's capabilities: {e:#}", spec.what))?;
        let lifecycle = LifecycleIndices::new(&pre).map_err(|e| {
            anyhow!(
                "{} does not export the {NEUTRAL_PACKAGE} lifecycle interface: {e:#}",
                spec.what
            )
        })?;
        let ticker_stop = Arc::new(AtomicBool::new(false));
        spawn_epoch_ticker(engine.clone(), ticker_stop.clone());
        Ok(Runtime {
            engine,
            pre,
            lifecycle,
            caps: Arc::new(caps),
            imports,
            linked,
            ticker_stop,
            slots: Slots::new(MAX_LIVE_INSTANCES),
        })
    }

    /// Reads a component file and loads it as [`Runtime::new`] does.
    pub fn from_file(
        path: &Path,
        packages: &[&str],
        retired: &[&str],
        caps: Capabilities,
    ) -> Result<Runtime> {
        let wasm = std::fs::read(path)
            .with_context(|| format!("reading the provider component {}", path.display()))?;
        let what = format!("the component {}", path.display());
        Runtime::new(
            ComponentSpec {
                wasm: &wasm,
                precompiled: None,
                what: &what,
                packages,
                retired,
            },
            caps,
        )
    }

    /// The interfaces the component imports, as named in it.
    pub fn imports(&self) -> &[String] {
        &self.imports
    }

    /// The capabilities linked for it: the WIT interfaces (without package and version)
    /// of its imports that this runner serves.
    pub fn linked(&self) -> &[&'static str] {
        &self.linked
    }

    /// The pre-linked component, for hosts that load exports of their own package.
    pub fn instance_pre(&self) -> &InstancePre<HostState> {
        &self.pre
    }

    /// The capabilities granted to the component.
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// Runs `f` against the `lifecycle` export of a fresh instance.
    pub fn call_lifecycle<R>(
        &self,
        what: &str,
        f: impl FnOnce(&mut Store<HostState>, &Lifecycle) -> wasmtime::Result<R>,
    ) -> Result<R> {
        self.call(what, |store, instance| {
            let lifecycle = self.lifecycle.load(&mut *store, instance)?;
            f(store, &lifecycle)
        })
    }

    /// Gives the call in `store` its whole deadline again from now: for a host that waits
    /// (for a permit, say) between setting up an instance and calling into it.
    pub fn restart_deadline(&self, store: &mut Store<HostState>) {
        let deadline = self.caps.policy.call_deadline;
        let ticks = (deadline.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64;
        store.set_epoch_deadline(ticks);
    }

    /// Runs `f` against a fresh instance in a fresh store; a trap cannot leak into later calls.
    pub fn call<R>(
        &self,
        what: &str,
        f: impl FnOnce(&mut Store<HostState>, &Instance) -> wasmtime::Result<R>,
    ) -> Result<R> {
        let _slot = self.slots.take();
        let policy = &self.caps.policy;
        let limits = StoreLimitsBuilder::new()
            .memory_size(policy.max_memory_bytes)
            .instances(4)
            .build();
        let mut store = Store::new(
            &self.engine,
            HostState {
                caps: self.caps.clone(),
                limits,
                log_records: 0,
            },
        );
        store.limiter(|state| &mut state.limits);
        self.restart_deadline(&mut store);
        store.epoch_deadline_trap();
        let instance = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| anyhow!("instantiating the provider component: {e:#}"))?;
        f(&mut store, &instance).map_err(|e| trap_error(what, e))
    }
}

/// An engine with the instance pool of [`engine_config`], else (the system refused the
/// pool's address-space reservation) one that maps every instance's memory on demand.
fn new_engine() -> Result<Engine> {
    match Engine::new(&engine_config()) {
        Ok(engine) => Ok(engine),
        Err(pool_error) => {
            tracing::debug!(target: "ycprov::runtime", "no instance pool ({pool_error:#}); instances are allocated on demand");
            Engine::new(&on_demand_engine_config())
                .map_err(|e| anyhow!("creating the wasmtime engine: {e:#}"))
        }
    }
}

/// The free slots of the instance pool: a call takes one for its instance's lifetime and
/// waits while none is free.
struct Slots {
    free: Mutex<u32>,
    freed: Condvar,
}

/// A slot taken by a call; dropping it frees the slot.
struct Slot<'a>(&'a Slots);

impl Slots {
    fn new(count: u32) -> Slots {
        Slots {
            free: Mutex::new(count),
            freed: Condvar::new(),
        }
    }

    fn take(&self) -> Slot<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.freed.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        Slot(self)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.0.freed.notify_one();
    }
}

/// The names of the interfaces a component imports and exports.
pub fn interfaces(wasm: &[u8]) -> Result<(Vec<String>, Vec<String>)> {
    let engine = Engine::default();
    let component = wasmtime::component::Component::new(&engine, wasm)
        .map_err(|e| anyhow!("not a component: {e:#}"))?;
    Ok(names(&engine, &component))
}

fn names(engine: &Engine, component: &Component) -> (Vec<String>, Vec<String>) {
    let ty = component.component_type();
    let imports = ty
        .imports(engine)
        .map(|(name, _)| name.to_string())
        .collect();
    let exports = ty
        .exports(engine)
        .map(|(name, _)| name.to_string())
        .collect();
    (imports, exports)
}

/// Refuses a component built against WIT packages of versions this runner and its host
/// do not implement, naming the versions they do.
fn check_versions<'a>(
    names: impl Iterator<Item = &'a String>,
    spec: &ComponentSpec<'_>,
) -> Result<()> {
    let supported: Vec<&str> = std::iter::once(NEUTRAL_PACKAGE)
        .chain(spec.packages.iter().copied())
        .collect();
    for name in names {
        let Some((interface, version)) = name.split_once('@') else {
            continue;
        };
        let package = interface.split('/').next().unwrap_or(interface);
        let versioned = format!("{package}@{version}");
        let known_package = supported
            .iter()
            .any(|p| p.split('@').next() == Some(package));
        let retired = spec.retired.contains(&package);
        if (known_package || retired) && !supported.contains(&versioned.as_str()) {
            anyhow::bail!(
                "{} was built for {versioned} (it uses {name}); this ycprov supports {}. Rebuild the component against the WIT in wit/ of this version",
                spec.what,
                supported.join(" and ")
            );
        }
    }
    Ok(())
}

/// A linker holding only the capabilities the component imports (one that does not
/// import `http` gets no network at all), and the names of those linked.
fn linker_for(
    engine: &Engine,
    imports: &[String],
) -> Result<(Linker<HostState>, Vec<&'static str>)> {
    use crate::bindings::{clock, http, identity, log};
    let mut linker = Linker::<HostState>::new(engine);
    let mut linked = Vec::new();
    let package = NEUTRAL_PACKAGE.split('@').next().unwrap_or_default();
    let imported = |interface: &str| {
        imports
            .iter()
            .any(|name| name.starts_with(&format!("{package}/{interface}@")))
    };
    let link = |result: wasmtime::Result<()>| result.map_err(|e| anyhow!("{e:#}"));
    if imported("http") {
        link(http::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s))?;
        linked.push("http");
    }
    if imported("identity") {
        link(identity::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s))?;
        linked.push("identity");
    }
    if imported("clock") {
        link(clock::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s))?;
        linked.push("clock");
    }
    if imported("log") {
        link(log::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s))?;
        linked.push("log");
    }
    Ok((linker, linked))
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

fn spawn_epoch_ticker(engine: Engine, stop: Arc<AtomicBool>) {
    thread::Builder::new()
        .name("ycprov-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        })
        .expect("spawning the epoch ticker thread");
}

fn trap_error(what: &str, error: wasmtime::Error) -> anyhow::Error {
    let reason = match error.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::Interrupt) => "it ran past its deadline and was stopped".to_string(),
        Some(wasmtime::Trap::UnreachableCodeReached) => {
            "it aborted (a panic or an allocation failure; see the provider log)".to_string()
        }
        Some(trap) => format!("it trapped: {trap}"),
        None => format!("{error:#}"),
    };
    anyhow!("the provider component failed during {what}: {reason}")
}
