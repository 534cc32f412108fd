//! The wasmtime embedding: compile the provider component once, pre-link it,
//! and run every call in a fresh, limited `Store`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, Store, StoreLimitsBuilder};

use crate::bindings::{SUPPORTED_PACKAGES, YandexProvider, YandexProviderPre};
use crate::capabilities::{Capabilities, HostState};
use crate::component_cache;

/// The provider component built with this host.
pub const EMBEDDED_PROVIDER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/provider.wasm"));

/// How often the epoch ticker advances; the granularity of call deadlines.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// A loaded provider component, ready to instantiate.
pub struct Runtime {
    engine: Engine,
    pre: YandexProviderPre<HostState>,
    caps: Arc<Capabilities>,
    ticker_stop: Arc<AtomicBool>,
}

impl Runtime {
    /// Compiles `component` (the embedded one when `None`) and links it against the capabilities.
    pub fn new(component_file: Option<&Path>, caps: Capabilities) -> Result<Runtime> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        let engine = Engine::new(&config).map_err(|e| anyhow!("{e:?}"))?;
        let component = match component_file {
            Some(path) => {
                let bytes = std::fs::read(path).with_context(|| {
                    format!("reading the provider component {}", path.display())
                })?;
                component_cache::load(
                    &engine,
                    &bytes,
                    &format!("the component {}", path.display()),
                )?
            }
            None => component_cache::load(
                &engine,
                EMBEDDED_PROVIDER,
                "the embedded provider component",
            )?,
        };
        let (imports, exports) = names(&engine, &component);
        check_versions(imports.iter().chain(&exports))?;
        let linker = linker_for(&engine, &imports)?;
        let pre = linker.instantiate_pre(&component).map_err(|e| {
            anyhow!("the provider component does not fit this host's capabilities: {e:#}")
        })?;
        let pre = YandexProviderPre::new(pre).map_err(|e| {
            anyhow!("the provider component does not export the ycprov interfaces: {e:#}")
        })?;
        let ticker_stop = Arc::new(AtomicBool::new(false));
        spawn_epoch_ticker(engine.clone(), ticker_stop.clone());
        Ok(Runtime {
            engine,
            pre,
            caps: Arc::new(caps),
            ticker_stop,
        })
    }

    /// The capabilities granted to the component.
    pub fn capabilities(&self) -> &Capabilities {
        &self.caps
    }

    /// Runs `f` against a fresh instance in a fresh store; a trap cannot leak into later calls.
    pub fn call<R>(
        &self,
        what: &str,
        f: impl FnOnce(&mut Store<HostState>, &YandexProvider) -> wasmtime::Result<R>,
    ) -> Result<R> {
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
        let ticks = (policy.call_deadline.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        let instance = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| anyhow!("instantiating the provider component: {e:#}"))?;
        f(&mut store, &instance).map_err(|e| trap_error(what, e))
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

/// Refuses a component built against WIT packages of versions this host does not
/// implement, naming the versions it does.
fn check_versions<'a>(names: impl Iterator<Item = &'a String>) -> Result<()> {
    for name in names {
        let Some((interface, version)) = name.split_once('@') else {
            continue;
        };
        let package = interface.split('/').next().unwrap_or(interface);
        let versioned = format!("{package}@{version}");
        let known_package = SUPPORTED_PACKAGES
            .iter()
            .any(|p| p.split('@').next() == Some(package));
        let legacy = package == "yandex-cloud:iam-provider";
        if (known_package || legacy) && !SUPPORTED_PACKAGES.contains(&versioned.as_str()) {
            anyhow::bail!(
                "the provider component was built for {versioned} (it uses {name}); this ycprov supports {}. Rebuild the component against the WIT in wit/ of this version",
                SUPPORTED_PACKAGES.join(" and ")
            );
        }
    }
    Ok(())
}

/// A linker holding only the capabilities the component imports: one that does not
/// import `http` gets no network at all.
fn linker_for(engine: &Engine, imports: &[String]) -> Result<Linker<HostState>> {
    use crate::bindings::{clock, http, identity, log};
    let mut linker = Linker::<HostState>::new(engine);
    let imported = |interface: &str| imports.iter().any(|name| name.starts_with(interface));
    let link = |result: wasmtime::Result<()>| result.map_err(|e| anyhow!("{e:#}"));
    if imported("ycprov:provider/http@") {
        link(http::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s))?;
    }
    if imported("ycprov:provider/identity@") {
        link(identity::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s))?;
    }
    if imported("ycprov:provider/clock@") {
        link(clock::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s))?;
    }
    if imported("ycprov:provider/log@") {
        link(log::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s))?;
    }
    Ok(linker)
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
