//! `--local`: a Yandex Cloud emulator started inside this process, its cloud
//! persisted under `.ycprov/` next to the state, so the declarative flow runs
//! with no cloud account.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use yc_emulator::{Config, Emulator};

/// The directory, next to the state file, that holds the local cloud.
pub const LOCAL_DIR: &str = ".ycprov";

/// A running local cloud.
pub struct LocalCloud {
    /// The emulator; stops when dropped.
    pub emulator: Emulator,
    /// Where its cloud is persisted.
    pub cloud_file: PathBuf,
}

impl LocalCloud {
    /// Starts the emulator on loopback with the cloud kept in `<state dir>/.ycprov/cloud.json`.
    pub fn start(state_path: &Path) -> Result<LocalCloud> {
        let dir = state_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join(LOCAL_DIR);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("creating the local cloud directory {}", dir.display()))?;
        restrict_permissions(&dir)?;
        let cloud_file = dir.join("cloud.json");
        let config = Config {
            state_file: Some(cloud_file.clone()),
            ..Config::default()
        };
        let emulator = Emulator::start(config)
            .with_context(|| format!("starting the local cloud from {}", cloud_file.display()))?;
        tracing::info!(endpoint = %emulator.base_url(), file = %cloud_file.display(), "local cloud started");
        Ok(LocalCloud {
            emulator,
            cloud_file,
        })
    }
}

#[cfg(unix)]
fn restrict_permissions(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .with_context(|| format!("restricting permissions of {}", dir.display()))
}

#[cfg(not(unix))]
fn restrict_permissions(_dir: &Path) -> Result<()> {
    Ok(())
}
