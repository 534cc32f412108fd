//! The state journal: between two full writes of the state file, an apply appends each
//! saved change to `<state>.journal` (one JSON line per save, `fdatasync`ed) instead of
//! rewriting the whole state. Appending a change costs in proportion to the change, not
//! to the state, so saving after every change stays cheap for large states.
//!
//! The journal begins with a header naming the state it continues (lineage and serial);
//! each record carries the next serial and the objects now held by the addresses it
//! changed. Loading the state replays the journal onto the state file; a full write of
//! the state folds it in (a higher serial) and removes it. A journal is stale, and
//! ignored, when the state file's serial is past its base (the write that folded it in
//! finished, the removal did not). A torn last line (a write cut short) is ignored; any
//! other damage is an error that names the line, so that no recorded change is dropped
//! silently.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

use crate::address::InstanceAddr;
use crate::files::directory_of;
use crate::state::{InstanceState, State};

/// The journal format version this engine writes and reads.
const JOURNAL_VERSION: u64 = 1;

/// The first line of a journal: the state it continues.
#[derive(Debug, Serialize, Deserialize)]
struct Header {
    ycprov_journal: u64,
    lineage: String,
    base_serial: u64,
}

/// One save: the new serial and, for every address it changed, the objects (current
/// and deposed) the address now holds; an empty list means the address holds nothing.
#[derive(Serialize, Deserialize)]
struct Record {
    serial: u64,
    changed: Vec<AddressObjects>,
}

#[derive(Serialize, Deserialize)]
struct AddressObjects {
    address: String,
    objects: Vec<InstanceState>,
}

/// A [`Record`] as it is written, borrowing the objects it saves.
#[derive(Serialize)]
struct RecordOut<'a> {
    serial: u64,
    changed: Vec<AddressObjectsOut<'a>>,
}

/// An [`AddressObjects`] as it is written.
#[derive(Serialize)]
struct AddressObjectsOut<'a> {
    address: &'a str,
    objects: &'a [InstanceState],
}

/// What loading found in the journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replayed {
    /// There is no journal (or it holds no complete header).
    Nothing,
    /// The journal was already folded into the state file.
    Stale,
    /// This many saves were replayed onto the state.
    Records(usize),
}

/// Replays the journal at `path` (if any) onto `state`, the state file's content.
pub fn replay(path: &Path, state: &mut State) -> anyhow::Result<Replayed> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Replayed::Nothing),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("cannot read the state journal {}", path.display()));
        }
    };
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => return Ok(Replayed::Nothing),
    };
    let mut lines = complete.split('\n').enumerate();
    let Some((_, first)) = lines.next() else {
        return Ok(Replayed::Nothing);
    };
    let at = |line: usize| format!("the state journal {}, line {}", path.display(), line + 1);
    let header: Header = serde_json::from_str(first)
        .with_context(|| format!("{} is not a journal header", at(0)))?;
    if header.ycprov_journal != JOURNAL_VERSION {
        bail!(
            "{} has journal format {}; this ycprov reads format {JOURNAL_VERSION}",
            at(0),
            header.ycprov_journal
        );
    }
    if header.lineage != state.lineage {
        bail!(
            "{} continues the state with lineage {}, but the state file has lineage {}. Move the journal away if the state file was replaced on purpose (it may hold API key secrets).",
            at(0),
            header.lineage,
            state.lineage
        );
    }
    if header.base_serial < state.serial {
        return Ok(Replayed::Stale);
    }
    if header.base_serial > state.serial {
        bail!(
            "{} continues state serial {}, but the state file is at serial {}: the state file is older than its journal (was it restored from a copy?). Move the journal away to use the file as it is (it may hold API key secrets).",
            at(0),
            header.base_serial,
            state.serial
        );
    }
    let mut replayed = 0;
    for (line, text) in lines {
        let record: Record =
            serde_json::from_str(text).with_context(|| format!("{} is damaged", at(line)))?;
        if record.serial != state.serial + 1 {
            bail!(
                "{} has serial {}, expected {}",
                at(line),
                record.serial,
                state.serial + 1
            );
        }
        for change in record.changed {
            if let Some(other) = change.objects.iter().find(|o| o.address != change.address) {
                bail!(
                    "{} lists an object of {} under {}",
                    at(line),
                    other.address,
                    change.address
                );
            }
            state.replace_objects(&change.address, change.objects);
        }
        state.serial = record.serial;
        replayed += 1;
    }
    Ok(Replayed::Records(replayed))
}

/// Appends saves to a journal; created by the first append after a full write.
#[derive(Debug)]
pub struct JournalWriter {
    path: PathBuf,
    file: Option<File>,
    lineage: String,
    base_serial: u64,
    bytes: u64,
}

impl JournalWriter {
    /// A writer of the journal at `path` that continues the state file written with
    /// `lineage` and `base_serial`. Nothing is written until the first append.
    pub fn new(path: PathBuf, lineage: &str, base_serial: u64) -> Self {
        Self {
            path,
            file: None,
            lineage: lineage.to_string(),
            base_serial,
            bytes: 0,
        }
    }

    /// The journal's size so far, in bytes.
    pub fn len(&self) -> u64 {
        self.bytes
    }

    /// True before the first append.
    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }

    /// Bumps `state.serial` and appends, for each changed address (keyed by its text), every
    /// object it holds now in `state` (none when it was removed); returns once the record
    /// is on disk.
    pub fn append_objects(
        &mut self,
        state: &mut State,
        changed: &BTreeMap<String, InstanceAddr>,
    ) -> anyhow::Result<()> {
        self.append_objects_unsynced(state, changed)?;
        self.sync()
    }

    /// [`JournalWriter::append_objects`] without waiting for the disk: the record is
    /// written (a crash of the process loses nothing), and the next [`JournalWriter::sync`]
    /// or synced append makes it durable.
    pub fn append_objects_unsynced(
        &mut self,
        state: &mut State,
        changed: &BTreeMap<String, InstanceAddr>,
    ) -> anyhow::Result<()> {
        state.serial += 1;
        let state = &*state;
        let groups = changed
            .iter()
            .map(|(address, addr)| AddressObjectsOut {
                address,
                objects: state.objects_of(addr),
            })
            .collect();
        self.append_record(state.serial, groups)
    }

    /// Writes one record (after the header, for the first), without waiting for the disk.
    fn append_record(
        &mut self,
        serial: u64,
        changed: Vec<AddressObjectsOut>,
    ) -> anyhow::Result<()> {
        let record = RecordOut { serial, changed };
        let mut line = String::new();
        if self.file.is_none() {
            line.push_str(&serde_json::to_string(&Header {
                ycprov_journal: JOURNAL_VERSION,
                lineage: self.lineage.clone(),
                base_serial: self.base_serial,
            })?);
            line.push('\n');
        }
        line.push_str(&serde_json::to_string(&record).context("cannot serialise the state")?);
        line.push('\n');
        self.write(line.as_bytes())
            .with_context(|| format!("cannot write the state journal {}", self.path.display()))
    }

    fn write(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        if self.file.is_none() {
            self.file = Some(create(&self.path)?);
        }
        let file = self.file.as_mut().context("the journal is not open")?;
        file.write_all(bytes)?;
        self.bytes += bytes.len() as u64;
        Ok(())
    }

    /// Waits until everything appended so far is on disk.
    pub fn sync(&mut self) -> anyhow::Result<()> {
        if let Some(file) = &self.file {
            file.sync_data().with_context(|| {
                format!("cannot write the state journal {}", self.path.display())
            })?;
        }
        Ok(())
    }
}

/// Creates (or empties a stale) journal at `path`, mode 0600, with its directory entry
/// on disk.
fn create(path: &Path) -> anyhow::Result<File> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    File::open(directory_of(path))?.sync_all()?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::{InstanceKey, ResourceAddr};

    fn record(name: &str, id: &str) -> InstanceState {
        InstanceState::new(
            &ResourceAddr::new("t", name).instance(InstanceKey::None),
            0,
            serde_json::json!({ "id": id }),
            vec![],
            vec![],
        )
    }

    /// The changed addresses `t.NAME` of `names`, as a save names them.
    fn changed(names: &[&str]) -> BTreeMap<String, InstanceAddr> {
        names
            .iter()
            .map(|name| {
                let addr = ResourceAddr::new("t", *name).instance(InstanceKey::None);
                (addr.to_string(), addr)
            })
            .collect()
    }

    /// A state at serial 7 with `t.a`, and a journal of three saves after it: `t.b`
    /// added, `t.a` changed and `t.b` given a deposed object, `t.a` removed.
    fn journal(dir: &Path) -> (State, Vec<State>, PathBuf) {
        let mut state = State::new();
        state.serial = 7;
        state.upsert(record("a", "1"));
        let base = state.clone();
        let path = dir.join("s.journal");
        let mut writer = JournalWriter::new(path.clone(), &state.lineage, state.serial);
        let mut after = Vec::new();
        state.upsert(record("b", "2"));
        writer.append_objects(&mut state, &changed(&["b"])).unwrap();
        after.push(state.clone());
        state.upsert(record("a", "3"));
        let mut deposed = record("b", "4");
        deposed.deposed = Some("00000001".into());
        state.upsert(deposed);
        writer
            .append_objects(&mut state, &changed(&["a", "b"]))
            .unwrap();
        after.push(state.clone());
        state.remove(
            &ResourceAddr::new("t", "a").instance(InstanceKey::None),
            None,
        );
        writer.append_objects(&mut state, &changed(&["a"])).unwrap();
        after.push(state.clone());
        (base, after, path)
    }

    #[test]
    fn replays_every_save_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let (base, after, path) = journal(dir.path());
        let mut loaded = base.clone();
        assert_eq!(replay(&path, &mut loaded).unwrap(), Replayed::Records(3));
        assert_eq!(loaded, after[2]);
        assert_eq!(loaded.serial, 10);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

    /// A journal cut at any byte (a write that never finished) loads as the state of
    /// the last save that was written whole: never an error, never a partial save.
    #[test]
    fn a_journal_cut_anywhere_loads_as_its_last_whole_save() {
        let dir = tempfile::tempdir().unwrap();
        let (base, after, path) = journal(dir.path());
        let bytes = fs::read(&path).unwrap();
        let line_ends: Vec<usize> = bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1)
            .collect();
        let cut_path = dir.path().join("cut.journal");
        for cut in 0..=bytes.len() {
            fs::write(&cut_path, &bytes[..cut]).unwrap();
            let whole_lines = line_ends.iter().filter(|&&end| end <= cut).count();
            let mut loaded = base.clone();
            let replayed =
                replay(&cut_path, &mut loaded).unwrap_or_else(|e| panic!("cut at {cut}: {e:#}"));
            let expected = match whole_lines {
                0 => (Replayed::Nothing, &base),
                1 => (Replayed::Records(0), &base),
                n => (Replayed::Records(n - 1), &after[n - 2]),
            };
            assert_eq!((replayed, &loaded), expected, "cut at {cut}");
        }
    }

    #[test]
    fn damaged_or_foreign_journals_are_errors_that_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let (base, _, path) = journal(dir.path());
        let text = fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let other_lineage = {
            let mut s = base.clone();
            s.lineage = "another".into();
            s
        };
        let older = {
            let mut s = base.clone();
            s.serial = 6;
            s
        };
        let cases: Vec<(&str, State, String, &str)> = vec![
            (
                "damaged record",
                base.clone(),
                format!("{}\n{{oops\n{}\n", lines[0], lines[2]),
                "line 2 is damaged",
            ),
            (
                "missing record",
                base.clone(),
                format!("{}\n{}\n", lines[0], lines[2]),
                "line 2 has serial 9, expected 8",
            ),
            (
                "another state's journal",
                other_lineage,
                text.clone(),
                "line 1 continues the state with lineage",
            ),
            (
                "state file older than the journal",
                older,
                text.clone(),
                "the state file is older than its journal",
            ),
            (
                "not a journal",
                base.clone(),
                "hello\n".to_string(),
                "line 1 is not a journal header",
            ),
        ];
        for (name, state, journal, expected) in cases {
            fs::write(&path, journal).unwrap();
            let mut loaded = state;
            let error = format!("{:#}", replay(&path, &mut loaded).unwrap_err());
            assert!(error.contains(expected), "{name}: {error}");
            assert!(error.contains("s.journal"), "{name}: {error}");
        }
    }

    #[test]
    fn a_journal_folded_into_a_newer_state_file_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        let (base, after, path) = journal(dir.path());
        let mut folded = after[2].clone();
        folded.serial = 11;
        let expected = folded.clone();
        assert_eq!(replay(&path, &mut folded).unwrap(), Replayed::Stale);
        assert_eq!(folded, expected);
        let mut missing = base;
        assert_eq!(
            replay(&dir.path().join("none.journal"), &mut missing).unwrap(),
            Replayed::Nothing
        );
    }
}
