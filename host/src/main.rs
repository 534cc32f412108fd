//! The `ycprov` binary.

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    std::thread::Builder::new()
        .name("ycprov".into())
        .stack_size(ycprov_engine::limits::STACK_BYTES)
        .spawn(move || ycprov::main_with_args(args))
        .expect("starting the command thread")
        .join()
        .unwrap_or(std::process::ExitCode::FAILURE)
}
