//! Records the wasmtime version of Cargo.lock, part of the compiled-component cache key.

use std::path::Path;

fn main() {
    let lock_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock_path.display());
    let lock = std::fs::read_to_string(&lock_path).unwrap_or_default();
    let mut lines = lock.lines();
    let mut version = "unknown".to_string();
    while let Some(line) = lines.next() {
        if line == "name = \"wasmtime\""
            && let Some(found) = lines.next().and_then(|l| l.strip_prefix("version = "))
        {
            version = found.trim_matches('"').to_string();
            break;
        }
    }
    println!("cargo:rustc-env=YCPROV_WASMTIME_VERSION={version}");
}
