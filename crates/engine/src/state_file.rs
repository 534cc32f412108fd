//! The state file: loading it (with its journal replayed and its objects checked),
//! writing it atomically with a backup, and encoding it incrementally.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};

use crate::address::InstanceKey;
use crate::files::{beside, directory_of, write_atomic};
use crate::journal::replay;
use crate::remote::RemoteState;
use crate::state::{InstanceState, STATE_VERSION, State};

/// Where the state lives and how it is written: a local file (with its journal and
/// backup), or a remote store.
pub struct StateFile {
    path: PathBuf,
    backed_up: bool,
    remote: Option<Arc<dyn RemoteState>>,
}

impl std::fmt::Debug for StateFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateFile")
            .field("location", &self.location())
            .finish()
    }
}

impl StateFile {
    /// The state file at `path`.
    /// A state path that is a symbolic link means the file it points to: saves write
    /// through the link (beside its target), never replacing the link itself.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: through_links(path.into()),
            backed_up: false,
            remote: None,
        }
    }

    /// The state in a remote store.
    pub fn remote(remote: Arc<dyn RemoteState>) -> Self {
        Self {
            path: PathBuf::from(remote.location()),
            backed_up: true,
            remote: Some(remote),
        }
    }

    /// Whether the state is a local file (with a journal); else it is remote.
    pub fn is_local(&self) -> bool {
        self.remote.is_none()
    }

    /// Where the state is, for messages: the file's path or the remote location.
    pub fn location(&self) -> String {
        match &self.remote {
            Some(remote) => remote.location(),
            None => self.path.display().to_string(),
        }
    }

    /// The path of the state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of the backup file.
    pub fn backup_path(&self) -> PathBuf {
        beside(&self.path, ".backup")
    }

    /// The path of the journal that continues the state file between full writes.
    pub fn journal_path(&self) -> PathBuf {
        beside(&self.path, ".journal")
    }

    /// True when a journal file lies beside the state file (live or stale).
    pub fn has_journal(&self) -> bool {
        self.is_local() && self.journal_path().exists()
    }

    /// Reads the state (the file with its journal replayed); `None` when there is no
    /// state file yet.
    pub fn load(&self) -> anyhow::Result<Option<State>> {
        if let Some(remote) = &self.remote {
            let Some(bytes) = remote.read()? else {
                return Ok(None);
            };
            let location = remote.location();
            let text = String::from_utf8(bytes)
                .with_context(|| format!("the state {location} is not UTF-8 text"))?;
            if text.trim().is_empty() {
                return Ok(None);
            }
            let state = parse_state(&text, &location)?;
            check_objects(&state).with_context(|| format!("the state {location} is damaged"))?;
            return Ok(Some(state));
        }
        let text = match fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("cannot read the state file {}", self.path.display())
                });
            }
        };
        if text.trim().is_empty() {
            if self.has_journal() {
                bail!(
                    "the state file {} is empty, but its journal {} holds changes to it; restore the state file or move the journal away (it may hold API key secrets)",
                    self.path.display(),
                    self.journal_path().display()
                );
            }
            return Ok(None);
        }
        let mut state = parse_state(&text, &format!("file {}", self.path.display()))?;
        replay(&self.journal_path(), &mut state)?;
        check_objects(&state)
            .with_context(|| format!("the state file {} is damaged", self.path.display()))?;
        Ok(Some(state))
    }

    /// Reads the state, or a new empty one.
    pub fn load_or_new(&self) -> anyhow::Result<State> {
        Ok(self.load()?.unwrap_or_default())
    }

    /// Bumps `state.serial` and writes it atomically (temp file, fsync, rename,
    /// fsync of the directory), mode 0600. The first write through this handle
    /// copies the previous file (the state before this run) to the `.backup` file.
    pub fn write(&mut self, state: &mut State) -> anyhow::Result<()> {
        let bytes = Self::encode(state)?;
        self.write_encoded(&bytes)
    }

    /// Bumps `state.serial` and returns the state as the bytes [`StateFile::write_encoded`]
    /// writes (so the state can be serialised under a lock and written outside it).
    pub fn encode(state: &mut State) -> anyhow::Result<Vec<u8>> {
        state.serial += 1;
        state.ycprov_version = env!("CARGO_PKG_VERSION").to_string();
        let mut text = serde_json::to_string_pretty(state).context("cannot serialise the state")?;
        text.push('\n');
        Ok(text.into_bytes())
    }

    /// Writes `state` as it is, its serial and lineage kept (moving a state between
    /// backends, `state push`).
    pub fn write_unchanged(&mut self, state: &State) -> anyhow::Result<()> {
        let mut text = serde_json::to_string_pretty(state).context("cannot serialise the state")?;
        text.push('\n');
        self.write_encoded(text.as_bytes())
    }

    /// Writes state bytes from [`StateFile::encode`] atomically, as [`StateFile::write`] does
    /// (including the one-time backup of the previous file).
    pub fn write_encoded(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        if let Some(remote) = &self.remote {
            return remote
                .write(bytes)
                .with_context(|| format!("cannot write the state {}", remote.location()));
        }
        let dir = directory_of(&self.path);
        if !self.backed_up {
            if let Some(previous) = self.previous_state()? {
                write_atomic(&dir, &self.backup_path(), &previous)
                    .context("cannot write the state backup")?;
            }
            self.backed_up = true;
        }
        write_atomic(&dir, &self.path, bytes)
            .with_context(|| format!("cannot write the state file {}", self.path.display()))?;
        let _ = fs::remove_file(self.journal_path());
        Ok(())
    }

    /// The bytes of the state as it was before this run's first write: the file, or
    /// with a journal beside it, the file with the journal replayed.
    fn previous_state(&self) -> anyhow::Result<Option<Vec<u8>>> {
        if !self.has_journal() {
            return Ok(fs::read(&self.path).ok());
        }
        let Some(state) = self.load()? else {
            return Ok(None);
        };
        let mut text =
            serde_json::to_string_pretty(&state).context("cannot serialise the state backup")?;
        text.push('\n');
        Ok(Some(text.into_bytes()))
    }
}

/// Parses state text, refusing a format newer than this ycprov's; `what` names it.
fn parse_state(text: &str, what: &str) -> anyhow::Result<State> {
    let state: State = serde_json::from_str(text)
        .with_context(|| format!("the state {what} is not valid JSON state"))?;
    if state.version > STATE_VERSION {
        bail!(
            "the state {what} has format version {}, newer than this ycprov supports ({STATE_VERSION})",
            state.version
        );
    }
    Ok(state)
}

/// Encodes a state again and again as [`StateFile::encode`] does (the same bytes),
/// serialising again only the objects reported changed since they were last encoded
/// (a state written after every change would otherwise cost time in proportion to its
/// whole size at every write). Every change to an object between two calls must be
/// reported with [`StateEncoder::changed`].
#[derive(Default)]
pub struct StateEncoder {
    cache: BTreeMap<String, Vec<EncodedInstance>>,
}

struct EncodedInstance {
    deposed: Option<String>,
    text: String,
}

impl StateEncoder {
    /// A new encoder with nothing cached.
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets what was encoded for the objects at `address` (current and deposed).
    pub fn changed(&mut self, address: &str) {
        self.cache.remove(address);
    }

    /// Bumps `state.serial` and returns the bytes [`StateFile::write_encoded`] writes.
    pub fn encode(&mut self, state: &mut State) -> anyhow::Result<Vec<u8>> {
        state.serial += 1;
        state.ycprov_version = env!("CARGO_PKG_VERSION").to_string();
        let mut resources = String::from("[");
        for (i, instance) in state.resources.iter().enumerate() {
            resources.push_str(if i == 0 { "\n" } else { ",\n" });
            resources.push_str(self.encoded(instance)?);
        }
        if !state.resources.is_empty() {
            resources.push_str("\n  ");
        }
        resources.push(']');
        let rest = State {
            version: state.version,
            serial: state.serial,
            lineage: state.lineage.clone(),
            ycprov_version: state.ycprov_version.clone(),
            resources: Vec::new(),
            outputs: std::mem::take(&mut state.outputs),
        };
        let text = serde_json::to_string_pretty(&rest);
        state.outputs = rest.outputs;
        let text = text.context("cannot serialise the state")?;
        let marker = "\n  \"resources\": []";
        let at = text
            .find(marker)
            .context("cannot serialise the state: no resources field")?;
        let mut out = String::with_capacity(text.len() + resources.len() + 1);
        out.push_str(&text[..at]);
        out.push_str("\n  \"resources\": ");
        out.push_str(&resources);
        out.push_str(&text[at + marker.len()..]);
        out.push('\n');
        Ok(out.into_bytes())
    }

    /// The text of `instance` as an element of the pretty-printed resources array.
    fn encoded(&mut self, instance: &InstanceState) -> anyhow::Result<&str> {
        if !self.cache.contains_key(&instance.address) {
            self.cache.insert(instance.address.clone(), Vec::new());
        }
        let entries = self
            .cache
            .get_mut(&instance.address)
            .context("cannot serialise the state")?;
        let index = match entries.iter().position(|e| e.deposed == instance.deposed) {
            Some(i) => i,
            None => {
                let text = serde_json::to_string_pretty(instance)
                    .context("cannot serialise the state")?
                    .lines()
                    .map(|line| format!("    {line}"))
                    .collect::<Vec<_>>()
                    .join("\n");
                entries.push(EncodedInstance {
                    deposed: instance.deposed.clone(),
                    text,
                });
                entries.len() - 1
            }
        };
        Ok(&entries[index].text)
    }
}

/// Refuses a state in which two objects have one address (a plan from it would act
/// on one of them as if the other did not exist) or an instance key is malformed.
fn check_objects(state: &State) -> anyhow::Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    for record in &state.resources {
        let key = InstanceKey::from_json(&record.index_key)
            .with_context(|| format!("{}: bad index_key {}", record.address, record.index_key))?;
        if let InstanceKey::Int(i) = key
            && !(0..crate::limits::MAX_INSTANCES_PER_RESOURCE as i64).contains(&i)
        {
            bail!(
                "{}: index_key {i} is outside 0..{}",
                record.address,
                crate::limits::MAX_INSTANCES_PER_RESOURCE
            );
        }
        let addr = record.instance_addr();
        if addr.to_string() != record.address {
            bail!(
                "the object recorded as {} has type, name and index_key of {addr}",
                record.address
            );
        }
        if !seen.insert((addr, record.deposed.clone())) {
            let what = match &record.deposed {
                Some(d) => format!("deposed object {d} of {}", record.address),
                None => record.address.clone(),
            };
            bail!(
                "{what} appears twice; remove the stale copy (ycprov state list shows the addresses) or restore the .backup file"
            );
        }
    }
    Ok(())
}

/// `path` with symbolic links followed (at most 40), so that writes go to the file a
/// link points to; a dangling link resolves to where its target would be.
fn through_links(mut path: PathBuf) -> PathBuf {
    for _ in 0..40 {
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => match fs::read_link(&path) {
                Ok(target) => path = directory_of(&path).join(target),
                Err(_) => break,
            },
            _ => break,
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::{InstanceAddr, ResourceAddr};
    use crate::state::{OutputState, PendingCreate};
    use serde_json::Value;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn writes_atomically_with_backup_and_serial() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("terraform.tfstate");
        let mut file = StateFile::new(&path);
        assert!(file.load().unwrap().is_none());
        let mut state = State::new();
        let addr = ResourceAddr::new("t", "b").instance(InstanceKey::None);
        state.upsert(InstanceState::new(
            &addr,
            0,
            serde_json::json!({"id": "1"}),
            vec![],
            vec![],
        ));
        state.upsert(InstanceState::new(
            &ResourceAddr::new("t", "a").instance(InstanceKey::Int(0)),
            0,
            serde_json::json!({}),
            vec![],
            vec![],
        ));
        file.write(&mut state).unwrap();
        assert!(
            !file.backup_path().exists(),
            "nothing to back up on the first write"
        );
        let mut file = StateFile::new(&path);
        file.write(&mut state).unwrap();
        file.write(&mut state).unwrap();
        let loaded = file.load().unwrap().unwrap();
        assert_eq!(loaded.serial, 3);
        assert_eq!(loaded.lineage, state.lineage);
        assert_eq!(loaded.resources[0].address, "t.a[0]");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let backup: State =
            serde_json::from_str(&fs::read_to_string(file.backup_path()).unwrap()).unwrap();
        assert_eq!(backup.serial, 1);
        assert_eq!(
            fs::metadata(file.backup_path())
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn pending_creates_carry_a_marker_to_the_provider() {
        let mut state = State::new();
        let key = |name: &str, id: Value| {
            InstanceState::new(
                &ResourceAddr::new("yandex_iam_service_account_api_key", name)
                    .instance(InstanceKey::None),
                0,
                serde_json::json!({"id": id, "description": "k"}),
                vec!["secret_key".into()],
                vec![],
            )
        };
        let mut pending = key("new", Value::Null);
        pending.pending_create = Some(PendingCreate {
            started_at: "2026-03-01T12:00:00Z".into(),
        });
        state.upsert(pending.clone());
        state.upsert(key("old", "aje1".into()));
        let mut deposed = key("new", "aje0".into());
        deposed.deposed = Some("00000001".into());
        state.upsert(deposed);
        let mut account = key("sa", "aje9".into());
        account.type_name = "yandex_iam_service_account".into();
        account.address = "yandex_iam_service_account.sa".into();
        state.upsert(account);

        let input = state.read_input(state.instance(&pending.instance_addr()).unwrap());
        assert_eq!(
            input,
            serde_json::json!({"id": null, "description": "k", "$pending_create":
                {"started_at": "2026-03-01T12:00:00Z", "known_ids": ["aje0", "aje1"]}})
        );
        let plain = state
            .instance(
                &ResourceAddr::new("yandex_iam_service_account_api_key", "old")
                    .instance(InstanceKey::None),
            )
            .unwrap();
        assert_eq!(state.read_input(plain), plain.attributes);

        let text = serde_json::to_string(&state).unwrap();
        assert_eq!(text.matches("pending_create").count(), 1, "{text}");
        let back: State = serde_json::from_str(&text).unwrap();
        assert_eq!(back, state);
        let old_format = r#"{"version":4,"serial":1,"lineage":"l","ycprov_version":"0.1.0","resources":[
            {"address":"t.a","mode":"managed","type":"t","name":"a","index_key":null,"schema_version":0,"attributes":{}}]}"#;
        let old: State = serde_json::from_str(old_format).unwrap();
        assert_eq!(old.resources[0].pending_create, None);
    }

    #[test]
    fn the_encoder_writes_what_a_full_serialisation_writes() {
        let addr = |name: &str| InstanceAddr {
            resource: ResourceAddr::new("t", name),
            key: InstanceKey::Str(format!("k \"{name}\"")),
        };
        let record = |name: &str, value: u64| {
            InstanceState::new(
                &addr(name),
                1,
                serde_json::json!({"id": name, "n": value, "nested": {"list": [1, {"x": "y"}]}}),
                vec!["n".into()],
                vec!["t.other".into()],
            )
        };
        let mut encoder = StateEncoder::new();
        let mut state = State::new();
        type Step<'a> = Box<dyn Fn(&mut State) + 'a>;
        let steps: Vec<(&str, Step)> = vec![
            ("a", Box::new(|_| {})),
            ("a", Box::new(|s| s.upsert(record("a", 1)))),
            ("b", Box::new(|s| s.upsert(record("b", 2)))),
            ("a", Box::new(|s| s.upsert(record("a", 3)))),
            (
                "b",
                Box::new(|s| {
                    let mut deposed = record("b", 4);
                    deposed.deposed = Some("00000001".into());
                    s.upsert(deposed);
                }),
            ),
            (
                "a",
                Box::new(|s| {
                    s.outputs.insert(
                        "o".into(),
                        OutputState {
                            value: Value::from("v"),
                            sensitive: false,
                        },
                    );
                }),
            ),
            (
                "a",
                Box::new(|s| {
                    s.remove(&addr("a"), None);
                }),
            ),
            (
                "b",
                Box::new(|s| {
                    s.remove(&addr("b"), None);
                    s.remove(&addr("b"), Some("00000001"));
                }),
            ),
        ];
        for (i, (changed, step)) in steps.into_iter().enumerate() {
            step(&mut state);
            encoder.changed(&addr(changed).to_string());
            let mut expected_state = state.clone();
            let expected = StateFile::encode(&mut expected_state).unwrap();
            let encoded = encoder.encode(&mut state).unwrap();
            assert_eq!(
                String::from_utf8(encoded).unwrap(),
                String::from_utf8(expected).unwrap(),
                "step {i}"
            );
            assert_eq!(state, expected_state, "step {i}");
        }
    }

    #[test]
    fn the_backup_of_a_journaled_state_holds_the_journal_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("terraform.tfstate");
        let mut state = State::new();
        StateFile::new(&path).write(&mut state).unwrap();
        let mut journal = crate::journal::JournalWriter::new(
            StateFile::new(&path).journal_path(),
            &state.lineage,
            state.serial,
        );
        state.upsert(InstanceState::new(
            &ResourceAddr::new("t", "a").instance(InstanceKey::None),
            0,
            serde_json::json!({"id": "1"}),
            vec![],
            vec![],
        ));
        let addr = ResourceAddr::new("t", "a").instance(InstanceKey::None);
        journal
            .append_objects(&mut state, &[(addr.to_string(), addr)].into())
            .unwrap();
        let loaded = StateFile::new(&path).load().unwrap().unwrap();
        assert_eq!(loaded, state);

        let mut next = loaded.clone();
        StateFile::new(&path).write(&mut next).unwrap();
        let backup: State =
            serde_json::from_str(&fs::read_to_string(StateFile::new(&path).backup_path()).unwrap())
                .unwrap();
        assert_eq!(backup, state);
        assert!(!StateFile::new(&path).journal_path().exists());
        assert_eq!(next.serial, state.serial + 1);
    }
}
