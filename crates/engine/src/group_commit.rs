//! Group commit of the state during an apply: workers change the state in memory, each
//! change gets a generation number, and a worker waits until the file holds its
//! generation. One write covers every change made before it, so workers that finish
//! together share one write instead of queueing for one each.
//!
//! The first write of a run writes the whole state file; later ones append the changed
//! objects to the state's journal (see [`crate::journal`]), until the journal outgrows
//! the state file and the next write is a whole one again.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::address::InstanceAddr;
use crate::diagnostics::Diag;
use crate::id_index::{Holder, IdIndex};
use crate::journal::JournalWriter;
use crate::pool::lock;
use crate::state::State;
use crate::state_file::{StateEncoder, StateFile};

/// The journal size that never by itself calls for a whole write of the state. A whole
/// write holds back every save for as long as it encodes and syncs the state (tens of
/// milliseconds for thousands of objects), while only a run that dies before its final
/// whole write ever reads a journal back; so a run of a few thousand changes appends to
/// one journal throughout.
const MIN_JOURNAL_BYTES: u64 = 16 << 20;

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
    /// The objects of `state` by type and id.
    ids: IdIndex,
    generation: Generation,
    encoder: StateEncoder,
    /// Every address changed since the last write (its text, for the journal).
    changed: BTreeMap<String, InstanceAddr>,
}

struct Disk {
    file: StateFile,
    /// The latest generation on disk.
    durable: Generation,
    /// The latest generation written, durable or not.
    written: Generation,
    /// When the oldest write not yet durable was made.
    unsynced_since: Option<Instant>,
    failure: Option<Diag>,
    /// The journal continuing the last whole write, if this run made one.
    journal: Option<JournalWriter>,
    /// The size of the last whole write.
    whole_bytes: u64,
    /// The journal size below which a journal as large as the state is still appended to
    /// ([`MIN_JOURNAL_BYTES`]).
    min_journal_bytes: u64,
}

/// What a write puts on disk.
enum Write {
    /// The whole state, and the journal that continues it.
    Whole(Vec<u8>, JournalWriter),
    /// A record appended to the journal.
    Journal,
}

impl StateStore {
    /// A store starting from `state`, which is written to `file`.
    pub(crate) fn new(state: State, file: StateFile) -> Self {
        Self {
            memory: Mutex::new(Memory {
                ids: IdIndex::of(&state),
                state,
                generation: 0,
                encoder: StateEncoder::new(),
                changed: BTreeMap::new(),
            }),
            disk: Mutex::new(Disk {
                file,
                durable: 0,
                written: 0,
                unsynced_since: None,
                failure: None,
                journal: None,
                whole_bytes: 0,
                min_journal_bytes: MIN_JOURNAL_BYTES,
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
        let Memory {
            state,
            ids,
            encoder,
            changed,
            ..
        } = &mut *memory;
        for addr in touched {
            let address = addr.to_string();
            ids.refresh(&address, state.objects_of(addr));
            encoder.changed(&address);
            changed.insert(address, (*addr).clone());
        }
        memory.generation += 1;
        (result, memory.generation)
    }

    /// The objects (address, deposed key) of `type_name` whose `id` is `id`, pending
    /// creates excluded.
    pub(crate) fn holders_of(&self, type_name: &str, id: &str) -> Vec<Holder> {
        lock(&self.memory)
            .ids
            .holders(type_name, id)
            .cloned()
            .collect()
    }

    /// The generation of the latest change.
    pub(crate) fn generation(&self) -> Generation {
        lock(&self.memory).generation
    }

    /// Returns once the state file (with its journal) holds `generation` (or a later
    /// one) on disk: saves every change made so far unless another write already covered
    /// it. Once a write fails every later call fails too: the run must stop.
    pub(crate) fn make_durable(&self, generation: Generation) -> Result<(), Diag> {
        self.save(generation, true)
    }

    /// Writes every change made so far up to `generation` without waiting for the disk
    /// where the state has a local journal: a crash of the process loses nothing, and the
    /// next [`StateStore::make_durable`] (or [`StateStore::sync_if_older_than`], or the
    /// whole write that ends the run) makes it durable. Elsewhere the same as
    /// `make_durable`.
    pub(crate) fn write(&self, generation: Generation) -> Result<(), Diag> {
        self.save(generation, false)
    }

    /// Makes what [`StateStore::write`] left unsynced durable once the oldest of it is
    /// `age` old. While another thread is saving this waits for nothing: it is called
    /// again (from the walk's loop) until it finds the disk free.
    pub(crate) fn sync_if_older_than(&self, age: Duration) -> Result<(), Diag> {
        let written = {
            let Ok(disk) = self.disk.try_lock() else {
                return Ok(());
            };
            match disk.unsynced_since {
                Some(since) if since.elapsed() >= age => disk.written,
                _ => return Ok(()),
            }
        };
        self.make_durable(written)
    }

    fn save(&self, generation: Generation, durable: bool) -> Result<(), Diag> {
        let mut disk = lock(&self.disk);
        if let Some(failure) = &disk.failure {
            return Err(failure.clone());
        }
        if disk.durable >= generation || (!durable && disk.written >= generation) {
            return Ok(());
        }
        let Disk {
            file,
            journal,
            whole_bytes,
            min_journal_bytes,
            written,
            ..
        } = &mut *disk;
        let journal_has_room = file.is_local()
            && journal
                .as_ref()
                .is_some_and(|j| j.len() < (*min_journal_bytes).max(*whole_bytes));
        let saved = if *written >= generation {
            match journal {
                Some(journal) => journal.sync().map(|()| (*written, true)),
                None => Ok((*written, true)),
            }
        } else {
            let mut memory = lock(&self.memory);
            let Memory {
                state,
                generation,
                encoder,
                changed,
                ..
            } = &mut *memory;
            let changed = std::mem::take(changed);
            let write = match journal {
                Some(journal) if journal_has_room && durable => journal
                    .append_objects(state, &changed)
                    .map(|()| Write::Journal),
                Some(journal) if journal_has_room => journal
                    .append_objects_unsynced(state, &changed)
                    .map(|()| Write::Journal),
                _ => encoder.encode(state).map(|bytes| {
                    let next =
                        JournalWriter::new(file.journal_path(), &state.lineage, state.serial);
                    Write::Whole(bytes, next)
                }),
            };
            write
                .map(|write| (write, *generation))
                .and_then(|(write, covered)| match write {
                    Write::Whole(bytes, next) => {
                        file.write_encoded(&bytes)?;
                        *whole_bytes = bytes.len() as u64;
                        *journal = Some(next);
                        Ok((covered, true))
                    }
                    Write::Journal => Ok((covered, durable)),
                })
        };
        match saved {
            Ok((covered, synced)) => {
                disk.written = covered;
                if synced {
                    disk.durable = covered;
                    disk.unsynced_since = None;
                } else if disk.unsynced_since.is_none() {
                    disk.unsynced_since = Some(Instant::now());
                }
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

    /// A store of an empty state written to `s.json` in `dir`; the paths of the state
    /// file and its journal.
    fn empty_store(dir: &std::path::Path) -> (StateStore, std::path::PathBuf, std::path::PathBuf) {
        let path = dir.join("s.json");
        let file = StateFile::new(&path);
        let journal = file.journal_path();
        (StateStore::new(State::default(), file), path, journal)
    }

    /// The serial of the state file alone (no journal replayed).
    fn file_serial(path: &std::path::Path) -> u64 {
        let text = std::fs::read_to_string(path).unwrap();
        serde_json::from_str::<State>(&text).unwrap().serial
    }

    #[test]
    fn later_writes_append_to_the_journal_until_a_whole_write_folds_it_in() {
        let dir = tempfile::tempdir().unwrap();
        let (store, path, journal) = empty_store(dir.path());
        let raw_serial = || file_serial(&path);
        let ((), generation) = store.update(&[&addr("a")], |s| s.upsert(record("a")));
        store.make_durable(generation).unwrap();
        assert!(!journal.exists(), "the first write is a whole one");
        let ((), generation) = store.update(&[&addr("b")], |s| s.upsert(record("b")));
        store.make_durable(generation).unwrap();
        let ((), generation) = store.update(&[&addr("a")], |s| {
            s.remove(&addr("a"), None);
        });
        store.make_durable(generation).unwrap();
        assert!(journal.exists());
        assert_eq!(raw_serial(), 1, "the state file is not rewritten");
        let loaded = StateFile::new(&path).load().unwrap().unwrap();
        let addresses: Vec<&str> = loaded
            .resources
            .iter()
            .map(|r| r.address.as_str())
            .collect();
        assert_eq!((addresses, loaded.serial), (vec!["t.b"], 3));

        let (mut state, mut file, failed) = store.into_parts();
        assert!(!failed);
        assert_eq!(state, loaded);
        file.write(&mut state).unwrap();
        assert!(!journal.exists(), "a whole write folds the journal in");
        assert_eq!(raw_serial(), 4);
        assert_eq!(StateFile::new(&path).load().unwrap().unwrap(), state);
    }

    #[test]
    fn a_journal_larger_than_the_state_is_folded_into_a_whole_write() {
        let dir = tempfile::tempdir().unwrap();
        let (store, path, journal) = empty_store(dir.path());
        const FLOOR: u64 = 1 << 20;
        lock(&store.disk).min_journal_bytes = FLOOR;
        let mut whole_writes = 0;
        let mut last_serial = 0;
        for i in 0..2000 {
            let name = format!("r{}", i % 10);
            let ((), generation) = store.update(&[&addr(&name)], |s| {
                let mut r = record(&name);
                r.attributes["payload"] = serde_json::json!("x".repeat(500 + i));
                s.upsert(r)
            });
            store.make_durable(generation).unwrap();
            let serial = file_serial(&path);
            if serial != last_serial {
                whole_writes += 1;
                last_serial = serial;
            }
            assert!(
                std::fs::metadata(&journal).map_or(0, |m| m.len()) <= FLOOR + 4096,
                "write {i}: the journal outgrew its limit"
            );
        }
        assert!(
            (2..20).contains(&whole_writes),
            "{whole_writes} whole writes for 2000 changes"
        );
        let (state, _, _) = store.into_parts();
        assert_eq!(StateFile::new(&path).load().unwrap().unwrap(), state);
    }

    #[test]
    fn a_write_is_in_the_file_at_once_and_durable_with_the_next_sync() {
        let dir = tempfile::tempdir().unwrap();
        let (store, path, journal) = empty_store(dir.path());
        let ((), first) = store.update(&[&addr("a")], |s| s.upsert(record("a")));
        store.write(first).unwrap();
        assert_eq!(
            lock(&store.disk).durable,
            first,
            "the first write is a whole one"
        );
        let ((), second) = store.update(&[&addr("b")], |s| s.upsert(record("b")));
        store.write(second).unwrap();
        let loaded = StateFile::new(&path).load().unwrap().unwrap();
        assert_eq!(
            loaded.resources.len(),
            2,
            "a process that dies now loses nothing"
        );
        assert!(journal.exists());
        assert_eq!(lock(&store.disk).durable, first, "not synced yet");
        store
            .sync_if_older_than(std::time::Duration::from_secs(3600))
            .unwrap();
        assert_eq!(lock(&store.disk).durable, first, "not old enough to sync");
        store.sync_if_older_than(std::time::Duration::ZERO).unwrap();
        assert_eq!(lock(&store.disk).durable, second);
        let ((), third) = store.update(&[&addr("c")], |s| s.upsert(record("c")));
        store.write(third).unwrap();
        store.make_durable(third).unwrap();
        assert_eq!(lock(&store.disk).durable, third);
        assert!(lock(&store.disk).unsynced_since.is_none());
        let loaded = StateFile::new(&path).load().unwrap().unwrap();
        assert_eq!(loaded.resources.len(), 3);
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
