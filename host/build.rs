//! Builds the provider component and hands it to the host crate.
//!
//! The provider crate is compiled for `wasm32-unknown-unknown` with the `wasm`
//! profile by a nested cargo (in its own target directory, so the outer build's
//! lock is not contended) and turned into a component with `wit-component`.
//! The result lands in `$OUT_DIR/provider.wasm` and is embedded in `ycprov`.
//! `YCPROV_PROVIDER_COMPONENT=FILE` embeds a prebuilt component instead.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

use anyhow::{Context, Result, bail};

const PROVIDER_PACKAGE: &str = "ycprov-provider";
const PROVIDER_ARTIFACT: &str = "ycprov_provider.wasm";
const WASM_TARGET: &str = "wasm32-unknown-unknown";

fn main() -> Result<()> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let workspace = manifest_dir
        .parent()
        .context("host crate has no parent directory")?
        .to_path_buf();
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);

    for watched in ["crates/provider/src", "crates/provider/Cargo.toml", "wit", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", workspace.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=YCPROV_PROVIDER_TARGET_DIR");
    println!("cargo:rerun-if-env-changed=YCPROV_PROVIDER_COMPONENT");

    if let Some(prebuilt) = env::var_os("YCPROV_PROVIDER_COMPONENT") {
        let prebuilt = PathBuf::from(prebuilt);
        println!("cargo:rerun-if-changed={}", prebuilt.display());
        fs::copy(&prebuilt, out_dir.join("provider.wasm"))
            .with_context(|| format!("copying the prebuilt component {}", prebuilt.display()))?;
        return Ok(());
    }

    let target_dir = env::var_os("YCPROV_PROVIDER_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| outer_target_dir(&out_dir).join("provider-wasm"));
    let module_path = build_provider_module(&workspace, &target_dir)?;
    let module = fs::read(&module_path)
        .with_context(|| format!("reading the provider module {}", module_path.display()))?;
    let component = wit_component::ComponentEncoder::default()
        .module(&module)
        .context("the provider module carries no component type information")?
        .validate(true)
        .encode()
        .context("encoding the provider module as a component")?;
    fs::write(out_dir.join("provider.wasm"), &component).context("writing provider.wasm")?;
    Ok(())
}

/// The target directory of the outer build: `OUT_DIR` is `<target>/<profile>/build/<pkg>/out`.
fn outer_target_dir(out_dir: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .nth(4)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out_dir.join("target"))
}

fn build_provider_module(workspace: &Path, target_dir: &Path) -> Result<PathBuf> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace)
        .args(["build", "--locked", "-p", PROVIDER_PACKAGE, "--target", WASM_TARGET])
        .args(["--profile", "wasm", "--target-dir"])
        .arg(target_dir);
    for inherited in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_PRIMARY_PACKAGE",
    ] {
        command.env_remove(inherited);
    }
    let status = command
        .status()
        .context("running cargo to build the provider component")?;
    if !status.success() {
        bail!(
            "building the provider for {WASM_TARGET} failed ({status}); \
             is the target installed? `rustup target add {WASM_TARGET}`"
        );
    }
    Ok(target_dir.join(WASM_TARGET).join("wasm").join(PROVIDER_ARTIFACT))
}
