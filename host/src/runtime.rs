//! The wasmtime embedding: compile the provider component once, pre-link it,
//! and run every call in a fresh, limited `Store`.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Engine, Store, StoreLimitsBuilder};

use crate::bindings::{ProviderComponent, ProviderComponentPre};
use crate::capabilities::{Capabilities, HostState};
use crate::component_cache;

/// The provider component built with this host.
pub const EMBEDDED_PROVIDER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/provider.wasm"));

/// How often the epoch ticker advances; the granularity of call deadlines.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// A loaded provider component, ready to instantiate.
pub struct Runtime {
    engine: Engine,
    pre: ProviderComponentPre<HostState>,
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
        let mut linker = Linker::<HostState>::new(&engine);
        ProviderComponent::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
            .map_err(|e| anyhow!("{e:#}"))?;
        let pre = linker.instantiate_pre(&component).map_err(|e| {
            anyhow!("the provider component does not fit this host's capabilities: {e:#}")
        })?;
        let pre = ProviderComponentPre::new(pre).map_err(|e| {
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
        f: impl FnOnce(&mut Store<HostState>, &ProviderComponent) -> wasmtime::Result<R>,
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
    let ty = component.component_type();
    let imports = ty
        .imports(&engine)
        .map(|(name, _)| name.to_string())
        .collect();
    let exports = ty
        .exports(&engine)
        .map(|(name, _)| name.to_string())
        .collect();
    Ok((imports, exports))
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
