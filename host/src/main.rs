//! The `ycprov` binary.

fn main() -> std::process::ExitCode {
    ycprov::main_with_args(std::env::args())
}
