//! The state file: what ycprov manages, written atomically (and continued by its
//! journal between full writes during an apply, see [`crate::journal`]).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::address::{InstanceAddr, InstanceKey, ResourceAddr};

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
    /// The module instance it is in (`module.a["x"]`); empty for the root module.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub module: String,
    /// `managed`, or `data` for the last read of a data source.
    pub mode: String,
    /// The resource type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The resource block name.
    pub name: String,
    /// The provider configuration that manages it, in Terraform's spelling
    /// (`provider["registry.terraform.io/hashicorp/time"]`); empty in states written
    /// before ycprov ran many providers (the type's prefix decides then).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub provider: String,
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
            module: addr.resource.module.clone(),
            mode: addr.resource.mode.as_str().to_string(),
            type_name: addr.resource.type_name.clone(),
            name: addr.resource.name.clone(),
            provider: String::new(),
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
        ResourceAddr {
            module: self.module.clone(),
            mode: crate::address::Mode::from_state(&self.mode),
            ..ResourceAddr::new(&self.type_name, &self.name)
        }
        .instance(key)
    }

    /// How this object's instance address ([`InstanceState::instance_addr`]) orders against
    /// `addr`, found without building the address.
    pub fn cmp_instance(&self, addr: &InstanceAddr) -> Ordering {
        let resource = &addr.resource;
        self.module
            .as_str()
            .cmp(resource.module.as_str())
            .then_with(|| crate::address::Mode::from_state(&self.mode).cmp(&resource.mode))
            .then_with(|| self.type_name.as_str().cmp(resource.type_name.as_str()))
            .then_with(|| self.name.as_str().cmp(resource.name.as_str()))
            .then_with(|| cmp_key(&self.index_key, &addr.key))
    }

    /// Whether this object belongs to the resource block at `resource`.
    pub fn is_of(&self, resource: &ResourceAddr) -> bool {
        self.type_name == resource.type_name
            && self.name == resource.name
            && self.module == resource.module
            && crate::address::Mode::from_state(&self.mode) == resource.mode
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
    /// Managed instances, sorted by instance address and then deposed key (current object
    /// first). Loading sorts them; [`State::upsert`] keeps them so; lookups rely on it.
    #[serde(deserialize_with = "sorted_resources")]
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
        self.object(addr, None)
    }

    /// The object of `addr` with `deposed` key (`None` = current).
    pub fn object(&self, addr: &InstanceAddr, deposed: Option<&str>) -> Option<&InstanceState> {
        self.objects_of(addr)
            .iter()
            .find(|r| r.deposed.as_deref() == deposed)
    }

    /// Every object (current and deposed) of the instance at `addr`, found by binary search.
    pub fn objects_of(&self, addr: &InstanceAddr) -> &[InstanceState] {
        &self.resources[self.range_of(addr)]
    }

    /// Where the objects of the instance at `addr` are in [`State::resources`].
    fn range_of(&self, addr: &InstanceAddr) -> std::ops::Range<usize> {
        let start = self
            .resources
            .partition_point(|r| r.cmp_instance(addr) == Ordering::Less);
        let len = self.resources[start..]
            .iter()
            .take_while(|r| r.cmp_instance(addr) == Ordering::Equal)
            .count();
        start..start + len
    }

    /// Inserts or replaces the object with the same address and deposed key, keeping
    /// the list sorted by address; one binary search finds its place, so refreshing or
    /// re-saving every object of a large state costs no scans.
    pub fn upsert(&mut self, record: InstanceState) {
        let addr = record.instance_addr();
        let found = self.resources.binary_search_by(|r| {
            r.cmp_instance(&addr)
                .then_with(|| r.deposed.cmp(&record.deposed))
        });
        match found {
            Ok(pos) => self.resources[pos] = record,
            Err(pos) => self.resources.insert(pos, record),
        }
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
        let range = self.range_of(addr);
        let offset = self.resources[range.clone()]
            .iter()
            .position(|r| r.deposed.as_deref() == deposed)?;
        Some(self.resources.remove(range.start + offset))
    }
}

/// How an `index_key` as the state stores it orders against `key`, as
/// [`InstanceKey::from_json`] of it would (a key it cannot read counts as none).
fn cmp_key(stored: &Value, key: &InstanceKey) -> Ordering {
    let rank = |k: &InstanceKey| match k {
        InstanceKey::None => 0,
        InstanceKey::Int(_) => 1,
        InstanceKey::Str(_) => 2,
    };
    match (stored, stored.as_i64(), key) {
        (Value::Number(_), Some(n), InstanceKey::Int(i)) => n.cmp(i),
        (Value::Number(_), Some(_), other) => 1.cmp(&rank(other)),
        (Value::String(s), _, InstanceKey::Str(k)) => s.as_str().cmp(k.as_str()),
        (Value::String(_), _, other) => 2.cmp(&rank(other)),
        (_, _, other) => 0.cmp(&rank(other)),
    }
}

/// Deserializes the instances of a state and sorts them as [`State::resources`] requires
/// (a state written by another tool, or edited by hand, need not be sorted).
fn sorted_resources<'de, D>(deserializer: D) -> Result<Vec<InstanceState>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let mut resources = Vec::<InstanceState>::deserialize(deserializer)?;
    resources.sort_by_cached_key(|r| (r.instance_addr(), r.deposed.clone()));
    Ok(resources)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn comparing_in_place_agrees_with_the_built_address() {
        let keys = [
            json!(null),
            json!(0),
            json!(7),
            json!(-3),
            json!(1.5),
            json!(u64::MAX),
            json!("a"),
            json!("b"),
            json!(true),
        ];
        let addrs: Vec<InstanceAddr> = ["a", "b"]
            .iter()
            .flat_map(|name| {
                [
                    InstanceKey::None,
                    InstanceKey::Int(0),
                    InstanceKey::Int(7),
                    InstanceKey::Str("a".into()),
                    InstanceKey::Str("b".into()),
                ]
                .map(|key| ResourceAddr::new("t", *name).instance(key))
            })
            .collect();
        for name in ["a", "b"] {
            for key in &keys {
                let mut record = InstanceState::new(
                    &ResourceAddr::new("t", name).instance(InstanceKey::None),
                    0,
                    json!({}),
                    Vec::new(),
                    Vec::new(),
                );
                record.index_key = key.clone();
                for addr in &addrs {
                    assert_eq!(
                        record.cmp_instance(addr),
                        record.instance_addr().cmp(addr),
                        "{name}{key} against {addr}"
                    );
                }
            }
        }
    }

    #[test]
    fn lineage_looks_like_uuid() {
        let l = new_lineage();
        assert_eq!(l.len(), 36);
        assert_ne!(l, new_lineage());
    }
}
