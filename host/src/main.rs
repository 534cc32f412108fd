//! The `ycprov` binary.

/// The stack of the thread that runs the command: configurations are evaluated
/// recursively, and the engine's depth limits (`ycprov_engine::limits`) are sized for it.
const STACK_BYTES: usize = 256 << 20;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    std::thread::Builder::new()
        .name("ycprov".into())
        .stack_size(STACK_BYTES)
        .spawn(move || ycprov::main_with_args(args))
        .expect("starting the command thread")
        .join()
        .unwrap_or(std::process::ExitCode::FAILURE)
}
