//! Links the component with linear memory enough for a call's allocations (see the SDK's
//! `guest_memory`), so a fresh instance serves a typical call without growing its memory.

/// The initial linear memory: the 1 MiB stack, the data, and room for a call's heap.
const INITIAL_MEMORY: usize = 4 << 20;

fn main() {
    if std::env::var("CARGO_CFG_TARGET_FAMILY").as_deref() == Ok("wasm") {
        println!("cargo:rustc-link-arg=--initial-memory={INITIAL_MEMORY}");
    }
}
