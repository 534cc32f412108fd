//! The wasmtime configuration of every engine the runner creates.
//!
//! The host's build script includes this file to precompile the embedded components, so
//! an artifact made at build time matches an engine made at run time on the same CPU.

use wasmtime::{Config, Enabled, InstanceAllocationStrategy, PoolingAllocationConfig};

/// The most instances of one component alive at once: the size of the instance pool.
/// A call beyond it waits for a free slot.
pub const MAX_LIVE_INSTANCES: u32 = 256;

/// Core instances, memories and tables one provider instance may hold (a component made
/// by `wit-component` holds its module and a few adapter shims).
const PER_INSTANCE: u32 = 4;

/// The bytes at the start of a freed slot's linear memory and table that are reset in
/// place rather than handed back to the kernel: the initial memory of the embedded
/// components (their stack, data and the heap of a typical call), so that resetting the
/// pages a call touched (found with the kernel's `PAGEMAP_SCAN` where there is one) is all
/// there is to it, without the page-table work (and cross-CPU flushes) of `madvise`.
const KEEP_RESIDENT: usize = 4 << 20;

/// The configuration provider components are compiled and run with: epoch interruption
/// (the call deadlines) and a pool of [`MAX_LIVE_INSTANCES`] instance slots, so that the
/// fresh instance of every call reuses a slot instead of mapping and unmapping its memory.
/// Everything else is as wasmtime sets it by default.
pub fn engine_config() -> Config {
    let mut config = on_demand_engine_config();
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(MAX_LIVE_INSTANCES)
        .total_core_instances(MAX_LIVE_INSTANCES * PER_INSTANCE)
        .total_memories(MAX_LIVE_INSTANCES * PER_INSTANCE)
        .total_tables(MAX_LIVE_INSTANCES * PER_INSTANCE)
        .max_core_instances_per_component(PER_INSTANCE)
        .max_memories_per_component(PER_INSTANCE)
        .max_tables_per_component(PER_INSTANCE)
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(KEEP_RESIDENT)
        .pagemap_scan(Enabled::Auto);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    config
}

/// [`engine_config`] without the instance pool, for a system that refuses the pool's
/// address-space reservation (a `ulimit -v`, for instance). Compiled code is the same.
pub fn on_demand_engine_config() -> Config {
    let mut config = Config::new();
    config.epoch_interruption(true);
    config
}
