//! Loading a component: the artifact its host's build precompiled, else the on-disk cache
//! of compiled components, else compiling it.
//!
//! Compiling the provider with Cranelift takes hundreds of milliseconds; loading a
//! precompiled artifact takes a fraction of one. An artifact embedded at build time is
//! used when wasmtime accepts it for the running engine (same wasmtime, configuration and
//! CPU features); otherwise the component is compiled and cached. The artifact is keyed by the
//! SHA-256 of the component bytes, the wasmtime version and the engine's
//! compatibility hash (target, CPU features, configuration), so a different
//! component, wasmtime or CPU never loads a stale artifact.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where compiled components are kept: `YCPROV_CACHE_DIR`, else `$XDG_CACHE_HOME/ycprov`,
/// else `~/.cache/ycprov`; `YCPROV_CACHE_DIR=off` disables the cache.
pub fn cache_dir() -> Option<PathBuf> {
    match std::env::var_os("YCPROV_CACHE_DIR") {
        Some(dir) if dir == "off" => None,
        Some(dir) => Some(PathBuf::from(dir)),
        None => std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
            .map(|base| base.join("ycprov")),
    }
}

/// The cache key of `wasm` for `engine`.
pub fn cache_key(engine: &Engine, wasm: &[u8]) -> String {
    let mut compat = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut compat);
    let mut digest = Sha256::new();
    digest.update(wasm);
    digest.update(b"\0wasmtime-");
    digest.update(wasmtime_version().as_bytes());
    digest.update(compat.finish().to_le_bytes());
    digest.update(std::env::consts::ARCH.as_bytes());
    digest
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn wasmtime_version() -> &'static str {
    env!("YCPROV_WASMTIME_VERSION")
}

/// Loads `wasm` for `engine`: from `precompiled` (the same component compiled ahead of
/// time) when it matches the engine, else from the cache ([`cache_dir`]), else by compiling
/// it and storing the result in the cache.
pub fn load(
    engine: &Engine,
    wasm: &[u8],
    precompiled: Option<&[u8]>,
    what: &str,
) -> Result<Component> {
    load_with_cache(engine, wasm, precompiled, what, cache_dir())
}

fn load_with_cache(
    engine: &Engine,
    wasm: &[u8],
    precompiled: Option<&[u8]>,
    what: &str,
    cache: Option<PathBuf>,
) -> Result<Component> {
    let started = Instant::now();
    if let Some(artifact) = precompiled {
        // SAFETY: the artifact is part of this program: its build compiled `wasm` with
        // wasmtime for `engine_config`. wasmtime checks the version, configuration and CPU
        // features it was made for before using it, and refuses a mismatch.
        match unsafe { Component::deserialize(engine, artifact) } {
            Ok(component) => {
                tracing::debug!(target: "ycprov::cache", micros = started.elapsed().as_micros() as u64, "{what}: loaded as the build precompiled it");
                return Ok(component);
            }
            Err(e) => {
                tracing::debug!(target: "ycprov::cache", "{what}: the artifact the build precompiled does not fit this engine ({e:#}); compiling the component instead");
            }
        }
    }
    let Some(dir) = cache else {
        return compile(engine, wasm, what);
    };
    let path = dir.join(format!("{}.cwasm", cache_key(engine, wasm)));
    if path.exists() {
        // SAFETY: the artifact was written by this program into the user's private cache
        // directory under a key that covers the component, wasmtime and the engine settings.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(component) => {
                tracing::debug!(target: "ycprov::cache", file = %path.display(), micros = started.elapsed().as_micros() as u64, "compiled component loaded from cache");
                return Ok(component);
            }
            Err(e) => {
                tracing::warn!(target: "ycprov::cache", file = %path.display(), "ignoring an unusable cached component: {e:#}");
            }
        }
    }
    let compiled = engine
        .precompile_component(wasm)
        .map_err(|e| anyhow!("compiling {what}: {e:#}"))?;
    if let Err(e) = store(&dir, &path, &compiled) {
        tracing::warn!(target: "ycprov::cache", "could not cache the compiled component: {e:#}");
    }
    // SAFETY: `compiled` was produced by `precompile_component` of this very engine just now.
    let component = unsafe { Component::deserialize(engine, &compiled) }
        .map_err(|e| anyhow!("loading the compiled {what}: {e:#}"))?;
    tracing::debug!(target: "ycprov::cache", millis = started.elapsed().as_millis() as u64, "component compiled and cached");
    Ok(component)
}

fn compile(engine: &Engine, wasm: &[u8], what: &str) -> Result<Component> {
    Component::new(engine, wasm).map_err(|e| anyhow!("compiling {what}: {e:#}"))
}

fn store(dir: &Path, path: &Path, compiled: &[u8]) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let temp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&temp, compiled).with_context(|| format!("writing {}", temp.display()))?;
    std::fs::rename(&temp, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest valid component: the header of an empty one.
    const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\x00\x01\x00";

    fn cached_files(dir: &Path) -> usize {
        std::fs::read_dir(dir).map_or(0, |entries| entries.count())
    }

    #[test]
    fn a_precompiled_artifact_is_used_only_when_it_fits_the_engine() {
        let engine = Engine::new(&crate::engine_config()).unwrap();
        let fitting = engine.precompile_component(EMPTY_COMPONENT).unwrap();
        let other_engine = Engine::new(&wasmtime::Config::new()).unwrap();
        let other_configuration = other_engine.precompile_component(EMPTY_COMPONENT).unwrap();
        let cases: [(&str, Option<&[u8]>, usize); 4] = [
            ("fits the engine: nothing is compiled", Some(&fitting), 0),
            (
                "made for another configuration: compiled and cached",
                Some(&other_configuration),
                1,
            ),
            (
                "not an artifact: compiled and cached",
                Some(b"not an artifact"),
                1,
            ),
            ("none: compiled and cached", None, 1),
        ];
        for (name, precompiled, compiled) in cases {
            let cache = tempfile::tempdir().unwrap();
            let component = load_with_cache(
                &engine,
                EMPTY_COMPONENT,
                precompiled,
                "the test component",
                Some(cache.path().to_path_buf()),
            );
            assert!(component.is_ok(), "{name}: {:?}", component.err());
            assert_eq!(cached_files(cache.path()), compiled, "{name}");
        }
    }

    #[test]
    fn the_key_changes_with_the_component_and_the_engine_settings() {
        let engine = Engine::default();
        let a = cache_key(&engine, b"component a");
        assert_eq!(a, cache_key(&engine, b"component a"));
        assert_ne!(a, cache_key(&engine, b"component b"));
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        let other = Engine::new(&config).unwrap();
        assert_ne!(a, cache_key(&other, b"component a"));
    }
}
