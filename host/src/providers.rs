//! Which component runs each provider of a configuration, and with which host profile.
//!
//! * `yandex-cloud/yandex` is embedded (or `--provider FILE`) and runs with the Yandex
//!   profile (`crate::yandex`): its origins, credentials and `--local` emulator.
//! * `hashicorp/time` is embedded and runs with no network and no credentials: it
//!   imports only `clock` and `log`.
//! * Any other source resolves to a component file: `SOURCE.wasm` under the providers
//!   directories, `<config dir>/.ycprov/providers/` and then `$YCPROV_PROVIDERS_DIR`, where
//!   SOURCE is the full source address (`registry.terraform.io/acme/widgets.wasm`). Such a
//!   provider gets no credentials, and network only to the `allowed_endpoints` of
//!   `--policy`. An unknown source is an error naming where ycprov looked.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Result, bail};
use ycprov_engine::providers::{ProviderConfigAddr, qualified_source};
use ycprov_runtime::{Capabilities, ComponentSpec, NoCredentials, Policy, Runtime};

use crate::cli::GlobalArgs;

/// The `hashicorp/time` provider component built with this host.
pub const TIME_COMPONENT: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/time.wasm"));

/// [`TIME_COMPONENT`] compiled by the build for [`ycprov_runtime::engine_config`] on the
/// build machine's CPU.
pub const TIME_PRECOMPILED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/time.cwasm"));

/// The environment variable naming a further providers directory.
pub const PROVIDERS_DIR_VAR: &str = "YCPROV_PROVIDERS_DIR";

/// The providers directory inside a configuration directory.
pub const CONFIG_PROVIDERS_DIR: &str = ".ycprov/providers";

/// The source of the embedded Yandex provider.
pub fn yandex_source() -> String {
    qualified_source("yandex-cloud/yandex")
}

/// The source of the embedded time provider.
pub fn time_source() -> String {
    qualified_source("hashicorp/time")
}

/// The sources ycprov embeds.
pub fn embedded_sources() -> [String; 2] {
    [yandex_source(), time_source()]
}

/// The sandbox policy of a provider whose API is at `api_origins` (requests to them sent
/// to `endpoint` when given), with the `--policy` file applied.
pub fn policy(global: &GlobalArgs, api_origins: &[&str], endpoint: Option<&str>) -> Result<Policy> {
    let policy = Policy::new(api_origins, endpoint)?;
    match &global.policy {
        Some(file) => policy.with_file(file),
        None => Ok(policy),
    }
}

/// The capabilities of a provider without a host profile: no credentials, network only
/// to the `--policy` file's `allowed_endpoints`, the host clock.
pub fn plain_capabilities(global: &GlobalArgs) -> Result<Capabilities> {
    let policy = policy(global, &[], None)?;
    Ok(Capabilities::new(policy, Arc::new(NoCredentials)).with_clock(crate::clock::host_clock()))
}

/// Loads the embedded time provider.
pub fn time_runtime(global: &GlobalArgs) -> Result<Runtime> {
    Runtime::new(
        ComponentSpec {
            wasm: TIME_COMPONENT,
            precompiled: Some(TIME_PRECOMPILED),
            what: "the embedded hashicorp/time provider component",
            packages: &[],
            retired: &[],
        },
        plain_capabilities(global)?,
    )
}

/// Where a component of `source` may be, in search order.
pub fn candidate_files(config_dir: &Path, source: &str) -> Vec<PathBuf> {
    let file = format!("{source}.wasm");
    let config_dir = std::path::absolute(config_dir).unwrap_or_else(|_| config_dir.to_path_buf());
    let mut dirs = vec![config_dir.join(CONFIG_PROVIDERS_DIR)];
    if let Some(dir) = std::env::var_os(PROVIDERS_DIR_VAR) {
        dirs.push(PathBuf::from(dir));
    }
    dirs.into_iter().map(|dir| dir.join(&file)).collect()
}

/// Loads a provider that ycprov does not embed from the providers directories.
pub fn file_runtime(
    global: &GlobalArgs,
    config_dir: &Path,
    addr: &ProviderConfigAddr,
) -> Result<Runtime> {
    let candidates = candidate_files(config_dir, &addr.source);
    let Some(found) = candidates.iter().find(|path| path.is_file()) else {
        let looked: Vec<String> = candidates
            .iter()
            .map(|p| format!("  {}", p.display()))
            .collect();
        bail!(
            "{addr} has source {}, which ycprov does not embed (it embeds {}), and no component was found for it. ycprov looked in:\n{}\nPut the provider's component there, or set {PROVIDERS_DIR_VAR} to a directory that holds {}.wasm.",
            addr.short_source(),
            embedded_sources()
                .iter()
                .map(|s| s.trim_start_matches("registry.terraform.io/"))
                .collect::<Vec<_>>()
                .join(" and "),
            looked.join("\n"),
            addr.source
        );
    };
    Runtime::from_file(found, &[], &[], plain_capabilities(global)?)
}
