//! The state lock: a file next to the state, created exclusively, holding who
//! holds the lock and since when. The holder also keeps an OS lock (`flock`) on the
//! file while it runs; the OS drops that lock when the process ends, however it ends,
//! so a lock file whose OS lock is free and that names the holder's process id was
//! left by a run that crashed or was killed, and the next run takes it over.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use std::sync::Arc;

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
    /// The process id of a ycprov holder, which keeps the file's OS lock while it runs.
    /// A lock file without it (written by hand or by another tool) is never taken over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
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

/// A held lock; released (the file removed and the OS lock dropped, or the remote lock
/// object deleted) when dropped.
pub struct StateLock {
    path: PathBuf,
    info: LockInfo,
    held: Held,
    replaced: Option<LockInfo>,
}

/// A lock kept in a remote store as one object created only if absent (e.g. an S3
/// conditional write of `<key>.tflock`).
pub trait LockStore: Send + Sync {
    /// Where the locked state is, for messages, e.g. `s3://bucket/path/terraform.tfstate`.
    fn location(&self) -> String;

    /// Creates the lock object holding `info` unless one exists. Returns `None` when this
    /// run now holds the lock, or the holder's details when another run does.
    fn create_lock(&self, info: &LockInfo) -> anyhow::Result<Option<LockInfo>>;

    /// The lock object's details, if there is one.
    fn read_lock(&self) -> anyhow::Result<Option<LockInfo>>;

    /// Removes the lock object.
    fn delete_lock(&self) -> anyhow::Result<()>;
}

/// What keeps a lock held.
enum Held {
    /// The open lock file; its OS lock lasts as long as this process holds it open.
    Local(#[allow(dead_code)] File),
    /// The lock object of a remote state.
    Remote(Arc<dyn LockStore>),
}

impl std::fmt::Debug for StateLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateLock")
            .field("path", &self.path)
            .field("info", &self.info)
            .finish()
    }
}

impl StateLock {
    /// Takes the lock for `operation`, failing fast with [`LockedError`] when another run
    /// holds it. A lock left by a ycprov run that ended without releasing it (its OS lock
    /// is free) is taken over; [`StateLock::replaced`] then names it.
    pub fn acquire(state_path: &Path, operation: &str) -> anyhow::Result<StateLock> {
        let path = lock_path(state_path);
        let info = new_info(
            operation,
            &state_path.display().to_string(),
            Some(std::process::id()),
        );
        let cannot = |e: std::io::Error| {
            anyhow::Error::new(e).context(format!("cannot take the lock file {}", path.display()))
        };
        for _ in 0..10 {
            match OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(file) => {
                    file.lock().map_err(cannot)?;
                    write_info(&file, &info).map_err(cannot)?;
                    return Ok(StateLock {
                        path,
                        info,
                        held: Held::Local(file),
                        replaced: None,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(cannot(e)),
            }
            let file = match OpenOptions::new().read(true).write(true).open(&path) {
                Ok(file) => file,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(cannot(e)),
            };
            match file.try_lock() {
                Ok(()) => {}
                Err(TryLockError::WouldBlock) => {
                    let holder = read_info(&file).unwrap_or_else(|_| unreadable(&path));
                    return Err(LockedError { holder }.into());
                }
                Err(TryLockError::Error(e)) => return Err(cannot(e)),
            }
            let holder = match read_info(&file) {
                Ok(holder) if holder.pid.is_some() => holder,
                Ok(holder) => return Err(LockedError { holder }.into()),
                Err(_) => {
                    return Err(LockedError {
                        holder: unreadable(&path),
                    }
                    .into());
                }
            };
            if !is_at(&file, &path) {
                continue;
            }
            write_info(&file, &info).map_err(cannot)?;
            return Ok(StateLock {
                path,
                info,
                held: Held::Local(file),
                replaced: Some(holder),
            });
        }
        bail!(
            "cannot take the lock file {}: it keeps changing",
            path.display()
        )
    }

    /// The lock's details.
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// The lock this one replaced: left by a run that ended without releasing it.
    pub fn replaced(&self) -> Option<&LockInfo> {
        self.replaced.as_ref()
    }
}

/// The id `force-unlock` takes for a lock file whose contents cannot be read: derived
/// from the file's identity, so it names this file and no later one.
fn unreadable_id(path: &Path) -> String {
    let ino = fs::metadata(path).map(|m| m.ino()).unwrap_or(0);
    format!("unreadable-{ino}")
}

fn unreadable(path: &Path) -> LockInfo {
    LockInfo {
        id: unreadable_id(path),
        info: format!("the lock file {} cannot be read", path.display()),
        operation: String::new(),
        who: "(unknown: the lock file is unreadable)".into(),
        version: String::new(),
        created: String::new(),
        path: path.display().to_string(),
        pid: None,
    }
}

fn read_info(mut file: &File) -> anyhow::Result<LockInfo> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0))?;
    file.read_to_string(&mut text)?;
    Ok(serde_json::from_str(&text)?)
}

fn write_info(mut file: &File, info: &LockInfo) -> std::io::Result<()> {
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(serde_json::to_string(info)?.as_bytes())?;
    file.sync_all()
}

/// Whether `path` still names the open `file` (it may have been removed and made anew).
fn is_at(file: &File, path: &Path) -> bool {
    match (file.metadata(), fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

impl Drop for StateLock {
    fn drop(&mut self) {
        match &self.held {
            Held::Local(_) => {
                if read_lock(&self.path).is_ok_and(|i| i.id == self.info.id) {
                    let _ = fs::remove_file(&self.path);
                }
            }
            Held::Remote(remote) => {
                if remote
                    .read_lock()
                    .is_ok_and(|held| held.is_some_and(|i| i.id == self.info.id))
                    && let Err(e) = remote.delete_lock()
                {
                    eprintln!(
                        "\nWarning: cannot release the state lock of {}: {e:#}\nRemove it with `ycprov force-unlock {}`.",
                        remote.location(),
                        self.info.id
                    );
                }
            }
        }
    }
}

impl StateLock {
    /// Takes the lock of a remote state for `operation` with a conditional create of its
    /// lock object, failing fast with [`LockedError`] when another run holds it. A lock
    /// left by a killed run stays until `force-unlock` removes it (a remote store cannot
    /// tell a live holder from a dead one).
    pub fn acquire_remote(
        remote: Arc<dyn LockStore>,
        operation: &str,
    ) -> anyhow::Result<StateLock> {
        let info = new_info(operation, &remote.location(), None);
        if let Some(holder) = remote.create_lock(&info)? {
            return Err(LockedError { holder }.into());
        }
        Ok(StateLock {
            path: PathBuf::from(remote.location()),
            info,
            held: Held::Remote(remote),
            replaced: None,
        })
    }
}

/// The details of a new lock for `operation` on the state at `path`.
fn new_info(operation: &str, path: &str, pid: Option<u32>) -> LockInfo {
    LockInfo {
        id: crate::state::new_lineage(),
        operation: operation.to_string(),
        info: String::new(),
        who: who(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        created: OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default(),
        path: path.to_string(),
        pid,
    }
}

/// Removes the lock of a remote state when its id is `id`.
pub fn force_unlock_remote(remote: &dyn LockStore, id: &str) -> anyhow::Result<()> {
    match remote.read_lock()? {
        None => bail!("the state {} is not locked", remote.location()),
        Some(info) if info.id == id => remote.delete_lock(),
        Some(info) => bail!(
            "the lock of {} has id {}, not {id}; nothing was removed",
            remote.location(),
            info.id
        ),
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
        Err(_) if id == unreadable_id(&path) => {
            return fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()));
        }
        Err(e) => {
            return Err(e).with_context(|| {
                format!(
                    "cannot read the lock file {}; to remove it, run `ycprov force-unlock {}`",
                    path.display(),
                    unreadable_id(&path)
                )
            });
        }
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

    #[test]
    fn a_lock_whose_holder_ended_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("terraform.tfstate");
        let left = r#"{"ID":"dead-run","Operation":"apply","Who":"ci@runner","Version":"0.1.0","Created":"2026-11-23T10:00:00Z","Path":"terraform.tfstate","Pid":4000000}"#;
        fs::write(lock_path(&state), left).unwrap();
        let lock = StateLock::acquire(&state, "apply").unwrap();
        let replaced = lock.replaced().expect("the stale lock is named");
        assert_eq!(
            (replaced.id.as_str(), replaced.pid),
            ("dead-run", Some(4_000_000))
        );
        assert_eq!(
            read_lock(&lock_path(&state)).unwrap().id,
            lock.info().id,
            "the file now names the new holder"
        );
        let err = StateLock::acquire(&state, "plan").unwrap_err();
        assert!(
            err.downcast_ref::<LockedError>().is_some(),
            "the new holder's OS lock is respected"
        );
        drop(lock);
        assert!(!lock_path(&state).exists());
    }

    #[test]
    fn a_lock_file_without_a_process_id_is_never_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("terraform.tfstate");
        let cases = [
            r#"{"ID":"by-hand","Operation":"apply","Who":"ci@runner","Version":"0.1.0","Created":"2026-11-23T10:00:00Z","Path":"terraform.tfstate"}"#,
            "",
            "not json",
        ];
        for text in cases {
            fs::write(lock_path(&state), text).unwrap();
            let err = StateLock::acquire(&state, "apply").unwrap_err();
            assert!(
                err.downcast_ref::<LockedError>().is_some(),
                "{text:?}: {err:#}"
            );
            assert_eq!(fs::read_to_string(lock_path(&state)).unwrap(), text);
        }
    }
}
