//! Interrupts (Ctrl-C, SIGTERM): the first one asks the running command to stop
//! gracefully — an apply starts no new change, lets the changes under way finish and be
//! saved, releases the state lock and exits 1 — and a second one exits at once (130),
//! as Terraform does.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// A plain static the signal handler may touch (no allocation, no lock).
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_signal: libc::c_int) {
    if INTERRUPTED.swap(true, Ordering::SeqCst) {
        // SAFETY: _exit is async-signal-safe.
        unsafe { libc::_exit(130) };
    }
    const MESSAGE: &[u8] = b"\nInterrupt received. Finishing the changes under way and releasing the state lock; interrupt again to exit at once.\n";
    // SAFETY: write(2) is async-signal-safe; the buffer is static.
    unsafe { libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len()) };
}

/// The flag commands watch, set by the first interrupt; the first call installs the
/// handler for SIGINT and SIGTERM.
pub fn flag() -> Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(install).clone()
}

fn install() -> Arc<AtomicBool> {
    let handler: extern "C" fn(libc::c_int) = on_signal;
    // SAFETY: the handler only touches an atomic and async-signal-safe calls.
    unsafe {
        libc::signal(libc::SIGINT, handler as libc::sighandler_t);
        libc::signal(libc::SIGTERM, handler as libc::sighandler_t);
    }
    let flag = Arc::new(AtomicBool::new(false));
    std::thread::Builder::new()
        .name("ycprov-interrupt".into())
        .spawn({
            let flag = flag.clone();
            move || {
                while !INTERRUPTED.load(Ordering::SeqCst) {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                flag.store(true, Ordering::SeqCst);
            }
        })
        .ok();
    flag
}
