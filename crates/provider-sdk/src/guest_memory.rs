//! The guest's memory allocator: talc over the free part of the linear memory the
//! component starts with, then over pages it grows.
//!
//! Rust's default allocator for `wasm32-unknown-unknown` grows the linear memory on its
//! first allocation, however much initial memory the module declares. A host that runs
//! every call in a fresh instance pays for each grow: wasmtime's pooling allocator changes
//! page protections when the memory grows and again when the slot is reused. A component
//! linked with a larger `--initial-memory` and this allocator serves a call that fits in
//! that memory without growing it; a larger call grows it as usual.
//!
//! Declare it in the provider crate (the export macro does this for providers it exports):
//!
//! ```ignore
//! #[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
//! #[global_allocator]
//! static ALLOCATOR: ycprov_provider_sdk::guest_memory::Allocator =
//!     ycprov_provider_sdk::guest_memory::allocator();
//! ```

use core::alloc::Layout;
use core::arch::wasm32::{memory_grow, memory_size};
use core::ptr::NonNull;

use talc::base::Talc;
use talc::base::binning::Binning;
use talc::cell::TalcSyncCell;
use talc::source::Source;
use talc::wasm::WasmBinning;

/// The size of a WebAssembly page.
const PAGE: usize = 64 * 1024;

/// Room for talc's bookkeeping around one allocation, beyond its size and alignment.
const OVERHEAD: usize = 256;

unsafe extern "C" {
    /// Set by the linker: the first byte after the data and the stack.
    static __heap_base: u8;
}

/// A global allocator for a single-threaded WebAssembly guest.
pub type Allocator = TalcSyncCell<InitialMemoryThenGrow, WasmBinning>;

/// An [`Allocator`] that has claimed nothing yet; it claims memory on first use.
pub const fn allocator() -> Allocator {
    TalcSyncCell::new_wasm(InitialMemoryThenGrow {
        heap_end: None,
        started: false,
    })
}

/// Where the allocator's memory comes from: first the initial linear memory above
/// `__heap_base`, then `memory.grow`, extending the heap while the pages are contiguous.
#[derive(Debug)]
pub struct InitialMemoryThenGrow {
    heap_end: Option<NonNull<u8>>,
    started: bool,
}

// SAFETY: `acquire` touches the allocator only through the `talc` it is given and never
// allocates; it claims memory no one else uses (above `__heap_base`, or freshly grown).
unsafe impl Source for InitialMemoryThenGrow {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        if !talc.source.started {
            talc.source.started = true;
            let base = &raw const __heap_base as usize;
            let end = memory_size::<0>() * PAGE;
            if end > base {
                // SAFETY: the bytes between `__heap_base` and the end of the initial memory
                // belong to no Rust object; this is the first claim.
                talc.source.heap_end = unsafe { talc.claim(base as *mut u8, end - base) };
                if talc.source.heap_end.is_some() {
                    return Ok(());
                }
            }
        }
        let pages = (layout.size() + layout.align() + OVERHEAD).div_ceil(PAGE);
        let previous = memory_grow::<0>(pages);
        if previous == usize::MAX {
            return Err(());
        }
        let grown = (previous * PAGE) as *mut u8;
        let grown_end = grown.wrapping_add(pages * PAGE);
        if let Some(end) = talc.source.heap_end.take()
            && end.as_ptr() == grown
        {
            // SAFETY: the grown pages follow the heap that ends at `end` and are unused.
            talc.source.heap_end = Some(unsafe { talc.extend(end, grown_end) });
            return Ok(());
        }
        // SAFETY: the grown pages are new and unused.
        talc.source.heap_end = unsafe { talc.claim(grown, pages * PAGE) };
        talc.source.heap_end.map(|_| ()).ok_or(())
    }
}
