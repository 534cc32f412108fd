//! Group commit of the state during an apply: workers change the state in memory, each
//! change gets a generation number, and a worker waits until the file holds its
//! generation. One write covers every change made before it, so workers that finish
//! together share one write instead of queueing for one each.

use std::sync::{Mutex, MutexGuard};

use crate::address::InstanceAddr;
use crate::diagnostics::Diag;
use crate::state::{State, StateEncoder, StateFile};

/// A number that grows with every change to the in-memory state. A change is durable
/// once the state file holds its generation or a later one.
pub(crate) type Generation = u64;

/// The state of a running apply: in memory (shared by the workers) and on disk.
pub(crate) struct StateStore {
    memory: Mutex<Memory>,
    disk: Mutex<Disk>,
}

struct Memory {
    state: State,
    generation: Generation,
    encoder: StateEncoder,
}

struct Disk {
    file: StateFile,
    durable: Generation,
    failure: Option<Diag>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl StateStore {
    /// A store starting from `state`, which is written to `file`.
    pub(crate) fn new(state: State, file: StateFile) -> Self {
        Self {
            memory: Mutex::new(Memory {
                state,
                generation: 0,
                encoder: StateEncoder::new(),
            }),
            disk: Mutex::new(Disk {
                file,
                durable: 0,
                failure: None,
            }),
        }
    }

    /// Reads the in-memory state.
    pub(crate) fn read<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&lock(&self.memory).state)
    }

    /// Changes the objects of the instances `touched` (and nothing else) in the
    /// in-memory state; returns `f`'s result and the change's generation (pass it to
    /// [`StateStore::make_durable`]).
    pub(crate) fn update<R>(
        &self,
        touched: &[&InstanceAddr],
        f: impl FnOnce(&mut State) -> R,
    ) -> (R, Generation) {
        let mut memory = lock(&self.memory);
        let result = f(&mut memory.state);
        for addr in touched {
            memory.encoder.changed(addr);
        }
        memory.generation += 1;
        (result, memory.generation)
    }

    /// The generation of the latest change.
    pub(crate) fn generation(&self) -> Generation {
        lock(&self.memory).generation
    }

    /// Returns once the state file holds `generation` (or a later one): writes the whole
    /// current state unless another write already covered it. Once a write fails every
    /// later call fails too: the run must stop.
    pub(crate) fn make_durable(&self, generation: Generation) -> Result<(), Diag> {
        let mut disk = lock(&self.disk);
        if let Some(failure) = &disk.failure {
            return Err(failure.clone());
        }
        if disk.durable >= generation {
            return Ok(());
        }
        let encoded = {
            let mut memory = lock(&self.memory);
            let Memory {
                state,
                generation,
                encoder,
            } = &mut *memory;
            encoder.encode(state).map(|bytes| (bytes, *generation))
        };
        let written = encoded.and_then(|(bytes, covered)| {
            disk.file.write_encoded(&bytes)?;
            Ok(covered)
        });
        match written {
            Ok(covered) => {
                disk.durable = covered;
                Ok(())
            }
            Err(e) => {
                let failure = save_failure(&e);
                disk.failure = Some(failure.clone());
                Err(failure)
            }
        }
    }

    /// True once a write has failed.
    pub(crate) fn failed(&self) -> bool {
        lock(&self.disk).failure.is_some()
    }

    /// The in-memory state, the file and whether a write failed.
    pub(crate) fn into_parts(self) -> (State, StateFile, bool) {
        let memory = self.memory.into_inner().unwrap_or_else(|e| e.into_inner());
        let disk = self.disk.into_inner().unwrap_or_else(|e| e.into_inner());
        (memory.state, disk.file, disk.failure.is_some())
    }
}

/// The error of a failed state write.
pub(crate) fn save_failure(e: &anyhow::Error) -> Diag {
    Diag::error(
        "Failed to save state",
        format!(
            "{e:#}\n\nThe state could not be written; stop and check the disk before running ycprov again."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::{InstanceKey, ResourceAddr};
    use crate::state::InstanceState;

    fn addr(name: &str) -> InstanceAddr {
        InstanceAddr {
            resource: ResourceAddr::new("t", name),
            key: InstanceKey::None,
        }
    }

    fn record(name: &str) -> InstanceState {
        InstanceState::new(
            &addr(name),
            0,
            serde_json::json!({"id": name}),
            vec![],
            vec![],
        )
    }

    #[test]
    fn one_write_covers_every_change_made_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let store = StateStore::new(State::default(), StateFile::new(&path));
        let ((), first) = store.update(&[&addr("a")], |s| s.upsert(record("a")));
        let ((), second) = store.update(&[&addr("b")], |s| s.upsert(record("b")));
        store.make_durable(first).unwrap();
        let on_disk = StateFile::new(&path).load().unwrap().unwrap();
        assert_eq!(on_disk.resources.len(), 2);
        assert_eq!(on_disk.serial, 1);
        store.make_durable(second).unwrap();
        let on_disk = StateFile::new(&path).load().unwrap().unwrap();
        assert_eq!(on_disk.serial, 1, "the second change was already durable");
    }

    #[test]
    fn a_failed_write_fails_every_later_call() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("s.json");
        let store = StateStore::new(State::default(), StateFile::new(&path));
        let ((), generation) = store.update(&[&addr("a")], |s| s.upsert(record("a")));
        assert!(store.make_durable(generation).is_err());
        assert!(store.failed());
        assert!(store.make_durable(0).is_err());
    }
}
