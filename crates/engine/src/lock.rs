//! The state lock: a file next to the state, created exclusively, holding who
//! holds the lock and since when.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// What the lock file records (Terraform's `LockInfo` fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LockInfo {
    /// The lock's random id (needed for `force-unlock`).
    #[serde(rename = "ID")]
    pub id: String,
    /// The operation that took it (`plan`, `apply`, ...).
    pub operation: String,
    /// Free-form information.
    #[serde(default)]
    pub info: String,
    /// `user@host` of the holder.
    pub who: String,
    /// The ycprov version of the holder.
    pub version: String,
    /// When it was taken (RFC 3339).
    pub created: String,
    /// The state file it protects.
    pub path: String,
}

/// The error when the state is already locked.
#[derive(Debug, Clone, PartialEq)]
pub struct LockedError {
    /// Who holds it.
    pub holder: LockInfo,
}

impl std::fmt::Display for LockedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let h = &self.holder;
        write!(
            f,
            "Error acquiring the state lock\n\nThe state is locked by another ycprov run.\nLock Info:\n  ID:        {}\n  Path:      {}\n  Operation: {}\n  Who:       {}\n  Version:   {}\n  Created:   {}\n\nycprov locks the state so that two runs never write it at the same time. Wait for the\nother run to finish. If you are sure no run is active (e.g. it crashed), remove the lock with:\n  ycprov force-unlock {}",
            h.id, h.path, h.operation, h.who, h.version, h.created, h.id
        )
    }
}

impl std::error::Error for LockedError {}

/// The lock file path for `state_path`: `.NAME.lock.info` in the same directory.
pub fn lock_path(state_path: &Path) -> PathBuf {
    let name = state_path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "terraform.tfstate".into());
    state_path.with_file_name(format!(".{name}.lock.info"))
}

/// A held lock; released (the file removed) when dropped.
#[derive(Debug)]
pub struct StateLock {
    path: PathBuf,
    info: LockInfo,
}

impl StateLock {
    /// Takes the lock for `operation`, failing fast with [`LockedError`] when held.
    pub fn acquire(state_path: &Path, operation: &str) -> anyhow::Result<StateLock> {
        let path = lock_path(state_path);
        let info = LockInfo {
            id: crate::state::new_lineage(),
            operation: operation.to_string(),
            info: String::new(),
            who: who(),
            version: env!("CARGO_PKG_VERSION").to_string(),
            created: OffsetDateTime::now_utc()
                .format(&Rfc3339)
                .unwrap_or_default(),
            path: state_path.display().to_string(),
        };
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(mut f) => {
                f.write_all(serde_json::to_string(&info)?.as_bytes())?;
                f.sync_all()?;
                Ok(StateLock { path, info })
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let holder = read_lock(&path).unwrap_or_else(|_| LockInfo {
                    id: "(unreadable lock file)".into(),
                    operation: String::new(),
                    info: String::new(),
                    who: String::new(),
                    version: String::new(),
                    created: String::new(),
                    path: path.display().to_string(),
                });
                Err(LockedError { holder }.into())
            }
            Err(e) => {
                Err(e).with_context(|| format!("cannot create the lock file {}", path.display()))
            }
        }
    }

    /// The lock's details.
    pub fn info(&self) -> &LockInfo {
        &self.info
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        if read_lock(&self.path).is_ok_and(|i| i.id == self.info.id) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

fn read_lock(path: &Path) -> anyhow::Result<LockInfo> {
    let text = fs::read_to_string(path)?;
    Ok(serde_json::from_str(&text)?)
}

/// Who runs this process, as `user@host`.
pub fn who() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    let host = fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{user}@{host}")
}

/// Removes the lock of `state_path` when its id is `id`.
pub fn force_unlock(state_path: &Path, id: &str) -> anyhow::Result<()> {
    let path = lock_path(state_path);
    let info = match read_lock(&path) {
        Ok(i) => i,
        Err(_) if !path.exists() => bail!("the state {} is not locked", state_path.display()),
        Err(e) => return Err(e).context("cannot read the lock file"),
    };
    if info.id != id {
        bail!(
            "the lock id {id:?} does not match the lock held by {} since {} (ID {})",
            info.who,
            info.created,
            info.id
        );
    }
    fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_fails_and_force_unlock_needs_the_id() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("terraform.tfstate");
        let first = StateLock::acquire(&state, "apply").unwrap();
        let err = StateLock::acquire(&state, "plan").unwrap_err();
        let locked = err.downcast_ref::<LockedError>().unwrap();
        assert_eq!(locked.holder.operation, "apply");
        assert!(
            err.to_string()
                .contains(&format!("force-unlock {}", first.info().id))
        );
        assert!(force_unlock(&state, "wrong").is_err());
        let id = first.info().id.clone();
        std::mem::forget(first);
        force_unlock(&state, &id).unwrap();
        assert!(!lock_path(&state).exists());
        drop(StateLock::acquire(&state, "plan").unwrap());
        assert!(!lock_path(&state).exists());
    }
}
