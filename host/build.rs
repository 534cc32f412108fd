//! Builds the provider component and hands it to the host crate.
//!
//! The provider crate is compiled for `wasm32-unknown-unknown` with the `wasm`
//! profile by a nested cargo (in its own target directory, so the outer build's
//! lock is not contended) and turned into a component with `wit-component`.
//! The result lands in `$OUT_DIR/provider.wasm` and is embedded in `ycprov`, as is the
//! `hashicorp/time` provider (`crates/provider-time`, `$OUT_DIR/time.wasm`).
//! `YCPROV_PROVIDER_COMPONENT=FILE` embeds a prebuilt component instead. The hostile
//! test fixture (`tests/fixtures/hostile`) is built alongside for the sandbox tests.
//! The WASI build (`$OUT_DIR/provider-wasi.wasm`) is the Yandex provider composed with the
//! WASI adapter (`crates/wasi-adapter`, with the Yandex API origins as its defaults) by
//! `wac-graph`; it imports only `wasi:*`.
//! The two embedded providers are also precompiled with wasmtime for the runner's engine
//! configuration (`crates/runtime/src/engine_config.rs`) on this machine's CPU
//! (`$OUT_DIR/provider.cwasm`, `$OUT_DIR/time.cwasm`), so that `ycprov` starts without
//! compiling them; a binary run on another CPU compiles them instead.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

use anyhow::{Context, Result, bail};

#[allow(
    dead_code,
    reason = "the build uses only the configuration without the instance pool"
)]
#[path = "../crates/runtime/src/engine_config.rs"]
mod engine_config;
#[path = "build/wasi_build.rs"]
mod wasi_build;
#[path = "src/yandex/origins.rs"]
mod yandex_origins;

const PROVIDER_PACKAGE: &str = "ycprov-provider";
const PROVIDER_ARTIFACT: &str = "ycprov_provider.wasm";
/// The second embedded provider, `hashicorp/time`.
const TIME_PACKAGE: &str = "ycprov-provider-time";
const TIME_ARTIFACT: &str = "ycprov_provider_time.wasm";
/// The adapter that implements the neutral imports on WASI 0.2 (the WASI build).
const ADAPTER_PACKAGE: &str = "ycprov-wasi-adapter";
const ADAPTER_ARTIFACT: &str = "ycprov_wasi_adapter.wasm";
/// The deliberately hostile component the sandbox tests load with `--provider`.
const HOSTILE_PACKAGE: &str = "ycprov-hostile-fixture";
const HOSTILE_ARTIFACT: &str = "ycprov_hostile_fixture.wasm";
const WASM_TARGET: &str = "wasm32-unknown-unknown";

fn main() {
    if let Err(error) = build() {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

fn build() -> Result<()> {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?);
    let workspace = manifest_dir
        .parent()
        .context("host crate has no parent directory")?
        .to_path_buf();
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);

    for watched in [
        "crates/provider/src",
        "crates/provider/data",
        "crates/provider/Cargo.toml",
        "crates/provider-sdk/src",
        "crates/provider-sdk/Cargo.toml",
        "crates/provider-time/src",
        "crates/provider-time/Cargo.toml",
        "crates/wasi-adapter/src",
        "crates/wasi-adapter/wit",
        "crates/wasi-adapter/Cargo.toml",
        "crates/runtime/src/engine_config.rs",
        "host/build",
        "host/src/yandex/origins.rs",
        "tests/fixtures/hostile/src",
        "wit",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    println!("cargo:rerun-if-env-changed=YCPROV_PROVIDER_TARGET_DIR");
    println!("cargo:rerun-if-env-changed=YCPROV_PROVIDER_COMPONENT");

    let target_dir = env::var_os("YCPROV_PROVIDER_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| outer_target_dir(&out_dir).join("provider-wasm"));
    ensure_wasm_target()?;
    build_modules(&workspace, &target_dir)?;
    let modules = target_dir.join(WASM_TARGET).join("wasm");
    let hostile = out_dir.join("hostile.wasm");
    write_component(&modules.join(HOSTILE_ARTIFACT), &hostile)?;
    let time = out_dir.join("time.wasm");
    write_component(&modules.join(TIME_ARTIFACT), &time)?;
    println!(
        "cargo:rustc-env=YCPROV_HOSTILE_COMPONENT={}",
        hostile.display()
    );

    let provider = out_dir.join("provider.wasm");
    match env::var_os("YCPROV_PROVIDER_COMPONENT") {
        Some(prebuilt) => {
            let prebuilt = PathBuf::from(prebuilt);
            println!("cargo:rerun-if-changed={}", prebuilt.display());
            fs::copy(&prebuilt, &provider).with_context(|| {
                format!("copying the prebuilt component {}", prebuilt.display())
            })?;
        }
        None => write_component(&modules.join(PROVIDER_ARTIFACT), &provider)?,
    }

    // Compiled code does not depend on how instances are allocated: no instance pool (and no
    // address-space reservation for one) is needed here.
    let engine = wasmtime::Engine::new(&engine_config::on_demand_engine_config())
        .map_err(|e| anyhow::anyhow!("creating the wasmtime engine: {e:#}"))?;
    precompile(&engine, &provider, &out_dir.join("provider.cwasm"))?;
    precompile(&engine, &time, &out_dir.join("time.cwasm"))?;

    let adapter = component_of(&modules.join(ADAPTER_ARTIFACT))?;
    let composed =
        wasi_build::compose(&fs::read(&provider)?, &adapter).context("composing the WASI build")?;
    fs::write(out_dir.join("provider-wasi.wasm"), composed).context("writing the WASI build")?;
    Ok(())
}

/// Compiles the component at `component_path` for `engine` and writes the artifact.
fn precompile(
    engine: &wasmtime::Engine,
    component_path: &Path,
    artifact_path: &Path,
) -> Result<()> {
    let component = fs::read(component_path)
        .with_context(|| format!("reading {}", component_path.display()))?;
    let artifact = engine
        .precompile_component(&component)
        .map_err(|e| anyhow::anyhow!("precompiling {}: {e:#}", component_path.display()))?;
    fs::write(artifact_path, artifact)
        .with_context(|| format!("writing {}", artifact_path.display()))
}

/// Wraps a core module carrying wit-bindgen's type section into a component and writes it.
fn write_component(module_path: &Path, component_path: &Path) -> Result<()> {
    fs::write(component_path, component_of(module_path)?)
        .with_context(|| format!("writing {}", component_path.display()))
}

/// Wraps a core module carrying wit-bindgen's type section into a component.
fn component_of(module_path: &Path) -> Result<Vec<u8>> {
    let module = fs::read(module_path)
        .with_context(|| format!("reading the module {}", module_path.display()))?;
    wit_component::ComponentEncoder::default()
        .module(&module)
        .with_context(|| {
            format!(
                "{} carries no component type information",
                module_path.display()
            )
        })?
        .validate(true)
        .encode()
        .with_context(|| format!("encoding {} as a component", module_path.display()))
}

/// The target directory of the outer build: `OUT_DIR` is `<target>/<profile>/build/<pkg>/out`.
fn outer_target_dir(out_dir: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .nth(4)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out_dir.join("target"))
}

/// Installs the wasm target into the toolchain building us when it lacks it: rustup
/// adds the targets of `rust-toolchain.toml` only when it installs the toolchain itself.
fn ensure_wasm_target() -> Result<()> {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .context("running rustc --print sysroot")?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
    if sysroot
        .join("lib/rustlib")
        .join(WASM_TARGET)
        .join("lib")
        .is_dir()
    {
        return Ok(());
    }
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", WASM_TARGET]);
    if let Some(toolchain) = env::var_os("RUSTUP_TOOLCHAIN") {
        rustup.arg("--toolchain").arg(toolchain);
    }
    match rustup.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => bail!(
            "`rustup target add {WASM_TARGET}` failed ({status}); run it by hand and build again"
        ),
        Err(_) => bail!(
            "the Rust target {WASM_TARGET} is missing and rustup is not installed: install the \
             target for this toolchain (e.g. your distribution's rust-std package for {WASM_TARGET}), \
             or install Rust with rustup"
        ),
    }
}

fn build_modules(workspace: &Path, target_dir: &Path) -> Result<()> {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace)
        .args([
            "build",
            "--locked",
            "-p",
            PROVIDER_PACKAGE,
            "-p",
            HOSTILE_PACKAGE,
            "-p",
            TIME_PACKAGE,
            "-p",
            ADAPTER_PACKAGE,
        ])
        .args(["--target", WASM_TARGET])
        .args(["--profile", "wasm", "--target-dir"])
        .arg(target_dir)
        .env(
            "YCPROV_ADAPTER_API_ORIGINS",
            yandex_origins::ORIGINS.join(","),
        );
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
        bail!("building the provider for {WASM_TARGET} failed ({status}); its errors are above");
    }
    Ok(())
}
