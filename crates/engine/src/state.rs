//! The state file: what ycprov manages, written atomically (and continued by its
//! journal between full writes during an apply, see [`crate::journal`]).

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::address::{InstanceAddr, InstanceKey, ResourceAddr};
use crate::journal::replay;

/// The state format version written by this engine.
pub const STATE_VERSION: u64 = 4;

/// The key under which the provider's `read` gets the marker of a pending create.
pub const PENDING_CREATE_KEY: &str = "$pending_create";

/// The mark of an object whose create was started but whose result is not recorded:
/// a run saves it (with the planned attributes) before it asks the provider to create
/// the object, and replaces it with the object's state when the provider answers. A run
/// that dies in between leaves it, and the next refresh asks the provider what exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCreate {
    /// When the create was about to be sent (RFC 3339, this machine's clock).
    pub started_at: String,
}

impl PendingCreate {
    /// A mark with the current time.
    pub fn now() -> PendingCreate {
        let now = time::OffsetDateTime::now_utc();
        PendingCreate {
            started_at: now
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        }
    }
}

/// One resource instance (or a deposed object of one) in the state.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceState {
    /// The instance address, e.g. `yandex_iam_service_account.sa[0]`.
    pub address: String,
    /// Always `managed`.
    pub mode: String,
    /// The resource type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The resource block name.
    pub name: String,
    /// `null`, a `count` index or a `for_each` key.
    pub index_key: Value,
    /// Set for an old object kept during create-before-destroy replacement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposed: Option<String>,
    /// The schema version the attributes follow.
    pub schema_version: u64,
    /// The attributes as the provider returned them.
    pub attributes: Value,
    /// Names of attributes whose values are sensitive.
    #[serde(default)]
    pub sensitive_attributes: Vec<String>,
    /// Resource addresses this instance depends on.
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// Set while the object's create is under way or was interrupted: `attributes` are
    /// then the planned values, and the object may or may not exist.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_create: Option<PendingCreate>,
}

impl InstanceState {
    /// A record for `addr` with `attributes`.
    pub fn new(
        addr: &InstanceAddr,
        schema_version: u64,
        attributes: Value,
        sensitive: Vec<String>,
        dependencies: Vec<String>,
    ) -> Self {
        Self {
            address: addr.to_string(),
            mode: "managed".to_string(),
            type_name: addr.resource.type_name.clone(),
            name: addr.resource.name.clone(),
            index_key: addr.key.to_json(),
            deposed: None,
            schema_version,
            attributes,
            sensitive_attributes: sensitive,
            dependencies,
            pending_create: None,
        }
    }

    /// The instance address.
    pub fn instance_addr(&self) -> InstanceAddr {
        let key = InstanceKey::from_json(&self.index_key).unwrap_or(InstanceKey::None);
        ResourceAddr::new(&self.type_name, &self.name).instance(key)
    }

    /// The `id` attribute, if any.
    pub fn id(&self) -> Option<&str> {
        self.attributes.get("id").and_then(Value::as_str)
    }
}

/// One output value in the state.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputState {
    /// The value.
    pub value: Value,
    /// Whether it is hidden in listings.
    pub sensitive: bool,
}

impl std::fmt::Debug for InstanceState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceState")
            .field("address", &self.address)
            .field("deposed", &self.deposed)
            .field("schema_version", &self.schema_version)
            .field(
                "attributes",
                &crate::redact::for_display(&self.attributes, &self.sensitive_attributes),
            )
            .field("sensitive_attributes", &self.sensitive_attributes)
            .field("dependencies", &self.dependencies)
            .field("pending_create", &self.pending_create)
            .finish()
    }
}

impl std::fmt::Debug for OutputState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = if self.sensitive {
            Value::from(crate::render::SENSITIVE)
        } else {
            self.value.clone()
        };
        f.debug_struct("OutputState")
            .field("value", &value)
            .field("sensitive", &self.sensitive)
            .finish()
    }
}

/// The whole state document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The format version.
    pub version: u64,
    /// Bumped on every write.
    pub serial: u64,
    /// Random, set once when the state is created.
    pub lineage: String,
    /// The ycprov version that wrote it.
    pub ycprov_version: String,
    /// Managed instances.
    pub resources: Vec<InstanceState>,
    /// Output values.
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputState>,
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

/// A fresh random lineage (UUID v4 text).
pub fn new_lineage() -> String {
    let b: [u8; 16] = rand::rng().random();
    let mut b = b;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A random 8-hex-digit key for a deposed object.
pub fn new_deposed_key() -> String {
    format!("{:08x}", rand::rng().random::<u32>())
}

impl State {
    /// An empty state with a new lineage and serial 0.
    pub fn new() -> Self {
        Self {
            version: STATE_VERSION,
            serial: 0,
            lineage: new_lineage(),
            ycprov_version: env!("CARGO_PKG_VERSION").to_string(),
            resources: Vec::new(),
            outputs: BTreeMap::new(),
        }
    }

    /// The current (not deposed) object of `addr`.
    pub fn instance(&self, addr: &InstanceAddr) -> Option<&InstanceState> {
        let text = addr.to_string();
        self.resources
            .iter()
            .find(|r| r.address == text && r.deposed.is_none())
    }

    /// The object of `addr` with `deposed` key (`None` = current).
    pub fn object(&self, addr: &InstanceAddr, deposed: Option<&str>) -> Option<&InstanceState> {
        let text = addr.to_string();
        self.resources
            .iter()
            .find(|r| r.address == text && r.deposed.as_deref() == deposed)
    }

    /// Inserts or replaces the object with the same address and deposed key, keeping
    /// the list sorted by address.
    pub fn upsert(&mut self, record: InstanceState) {
        self.remove(&record.instance_addr(), record.deposed.as_deref());
        let key = (record.instance_addr(), record.deposed.clone());
        let pos = self
            .resources
            .partition_point(|r| (r.instance_addr(), r.deposed.clone()) < key);
        self.resources.insert(pos, record);
    }

    /// What the provider's `read` gets for `record`: its attributes, plus for a pending
    /// create the marker `"$pending_create": {"started_at": RFC3339, "known_ids": [...]}`,
    /// where `known_ids` are the ids of the other objects of its type in this state (which
    /// the provider must neither adopt nor delete).
    pub fn read_input(&self, record: &InstanceState) -> Value {
        let Some(pending) = &record.pending_create else {
            return record.attributes.clone();
        };
        let known_ids: Vec<&str> = self
            .resources
            .iter()
            .filter(|other| {
                other.type_name == record.type_name
                    && (other.address != record.address || other.deposed != record.deposed)
            })
            .filter_map(InstanceState::id)
            .collect();
        let mut input = record.attributes.clone();
        if let Some(attributes) = input.as_object_mut() {
            attributes.insert(
                PENDING_CREATE_KEY.to_string(),
                serde_json::json!({"started_at": pending.started_at, "known_ids": known_ids}),
            );
        }
        input
    }

    /// Replaces every object (current and deposed) of the instance at `address` with
    /// `objects` (all of that address); an empty list removes the instance.
    pub fn replace_objects(&mut self, address: &str, objects: Vec<InstanceState>) {
        self.resources.retain(|r| r.address != address);
        for object in objects {
            self.upsert(object);
        }
    }

    /// Removes the object of `addr` with `deposed` key; returns it.
    pub fn remove(&mut self, addr: &InstanceAddr, deposed: Option<&str>) -> Option<InstanceState> {
        let text = addr.to_string();
        let pos = self
            .resources
            .iter()
            .position(|r| r.address == text && r.deposed.as_deref() == deposed)?;
        Some(self.resources.remove(pos))
    }
}

/// Where the state lives and how it is written.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    backed_up: bool,
}

impl StateFile {
    /// The state file at `path`.
    /// A state path that is a symbolic link means the file it points to: saves write
    /// through the link (beside its target), never replacing the link itself.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: through_links(path.into()),
            backed_up: false,
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
        self.journal_path().exists()
    }

    /// Reads the state (the file with its journal replayed); `None` when there is no
    /// state file yet.
    pub fn load(&self) -> anyhow::Result<Option<State>> {
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
        let mut state: State = serde_json::from_str(&text).with_context(|| {
            format!(
                "the state file {} is not valid JSON state",
                self.path.display()
            )
        })?;
        if state.version > STATE_VERSION {
            bail!(
                "the state file {} has format version {}, newer than this ycprov supports ({STATE_VERSION})",
                self.path.display(),
                state.version
            );
        }
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

    /// Writes state bytes from [`StateFile::encode`] atomically, as [`StateFile::write`] does
    /// (including the one-time backup of the previous file).
    pub fn write_encoded(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
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

    /// Forgets what was encoded for the objects of `addr` (current and deposed).
    pub fn changed(&mut self, addr: &InstanceAddr) {
        self.cache.remove(&addr.to_string());
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

fn write_atomic(dir: &Path, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{:08x}",
        std::process::id(),
        rand::rng().random::<u32>()
    ));
    let result = (|| -> anyhow::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
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

/// The file beside `path` whose name is `path`'s with `suffix` appended.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(suffix);
    path.with_file_name(name)
}

/// The directory `path` is in (`.` for a bare file name).
pub(crate) fn directory_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes `bytes` to `path` atomically with mode 0600 (used for saved plans too).
pub fn write_private_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = directory_of(path);
    write_atomic(&dir, path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
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
            encoder.changed(&addr(changed));
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
        journal
            .append(&mut state, &["t.a".to_string()].into())
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

    #[test]
    fn lineage_looks_like_uuid() {
        let l = new_lineage();
        assert_eq!(l.len(), 36);
        assert_ne!(l, new_lineage());
    }
}
