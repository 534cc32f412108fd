//! Resource and instance addresses: `type.name`, `type.name[0]`, `type.name["key"]`, and
//! the same under `data.` for data sources.

use std::fmt;

use anyhow::{anyhow, bail};
use serde_json::Value;

/// Whether a block manages objects (`resource`) or only reads them (`data`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Mode {
    /// A `resource` block.
    #[default]
    Managed,
    /// A `data` block.
    Data,
}

impl Mode {
    /// The state's spelling: `managed` or `data`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Managed => "managed",
            Mode::Data => "data",
        }
    }

    /// The mode a state record names (`managed` when absent or unknown).
    pub fn from_state(text: &str) -> Mode {
        if text == "data" {
            Mode::Data
        } else {
            Mode::Managed
        }
    }
}

/// A resource block address: `yandex_iam_service_account.sa`, or
/// `data.yandex_resourcemanager_folder.f` for a data source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceAddr {
    /// Managed resource or data source.
    pub mode: Mode,
    /// The resource type.
    pub type_name: String,
    /// The block's name.
    pub name: String,
}

impl ResourceAddr {
    /// The address of a managed resource.
    pub fn new(type_name: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            mode: Mode::Managed,
            type_name: type_name.into(),
            name: name.into(),
        }
    }

    /// The address of a data source.
    pub fn data(type_name: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            mode: Mode::Data,
            ..Self::new(type_name, name)
        }
    }

    /// Whether this is a data source.
    pub fn is_data(&self) -> bool {
        self.mode == Mode::Data
    }

    /// The instance of this resource with `key`.
    pub fn instance(&self, key: InstanceKey) -> InstanceAddr {
        InstanceAddr {
            resource: self.clone(),
            key,
        }
    }
}

impl fmt::Display for ResourceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_data() {
            f.write_str("data.")?;
        }
        write!(f, "{}.{}", self.type_name, self.name)
    }
}

/// The key of one instance of a resource: none, a `count` index or a `for_each` key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InstanceKey {
    /// The single instance of a resource without `count` or `for_each`.
    None,
    /// An instance of a resource with `count`.
    Int(i64),
    /// An instance of a resource with `for_each`.
    Str(String),
}

impl InstanceKey {
    /// The key as stored in state (`index_key`).
    pub fn to_json(&self) -> Value {
        match self {
            InstanceKey::None => Value::Null,
            InstanceKey::Int(i) => Value::from(*i),
            InstanceKey::Str(s) => Value::from(s.clone()),
        }
    }

    /// The key from its state form.
    pub fn from_json(v: &Value) -> anyhow::Result<InstanceKey> {
        match v {
            Value::Null => Ok(InstanceKey::None),
            Value::Number(n) => n
                .as_i64()
                .map(InstanceKey::Int)
                .ok_or_else(|| anyhow!("bad index key {n}")),
            Value::String(s) => Ok(InstanceKey::Str(s.clone())),
            other => bail!("bad index key {other}"),
        }
    }
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::None => Ok(()),
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => write!(f, "[{}]", Value::from(s.clone())),
        }
    }
}

/// The address of one resource instance.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InstanceAddr {
    /// The resource it belongs to.
    pub resource: ResourceAddr,
    /// Its key.
    pub key: InstanceKey,
}

impl fmt::Display for InstanceAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.resource, self.key)
    }
}

/// A `-target` or command-line address: a whole resource or one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Every instance of a resource.
    Resource(ResourceAddr),
    /// One instance.
    Instance(InstanceAddr),
}

impl Target {
    /// True when `addr` is selected by this target.
    pub fn matches(&self, addr: &InstanceAddr) -> bool {
        match self {
            Target::Resource(r) => &addr.resource == r,
            Target::Instance(i) => i == addr,
        }
    }

    /// The resource this target names.
    pub fn resource(&self) -> &ResourceAddr {
        match self {
            Target::Resource(r) => r,
            Target::Instance(i) => &i.resource,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Resource(r) => r.fmt(f),
            Target::Instance(i) => i.fmt(f),
        }
    }
}

/// Parses `type.name`, `type.name[0]` or `type.name["key"]`, each optionally under `data.`.
pub fn parse_target(text: &str) -> anyhow::Result<Target> {
    let text = text.trim();
    let hint = || {
        anyhow!(
            "invalid address {text:?}: expected TYPE.NAME, TYPE.NAME[0] or TYPE.NAME[\"key\"] (data sources: data.TYPE.NAME)"
        )
    };
    let (mode, text) = match text.strip_prefix("data.") {
        Some(rest) => (Mode::Data, rest),
        None => (Mode::Managed, text),
    };
    let (head, key) = match text.find('[') {
        Some(i) => {
            let rest = &text[i..];
            if !rest.ends_with(']') {
                return Err(hint());
            }
            (&text[..i], Some(&rest[1..rest.len() - 1]))
        }
        None => (text, None),
    };
    let (type_name, name) = head.split_once('.').ok_or_else(hint)?;
    let ident_ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            && !s.starts_with(|c: char| c.is_ascii_digit())
    };
    if !ident_ok(type_name) || !ident_ok(name) {
        return Err(hint());
    }
    let resource = ResourceAddr {
        mode,
        ..ResourceAddr::new(type_name, name)
    };
    let Some(key) = key else {
        return Ok(Target::Resource(resource));
    };
    let key = if let Ok(i) = key.parse::<i64>() {
        InstanceKey::Int(i)
    } else if let Ok(Value::String(s)) = serde_json::from_str::<Value>(key) {
        InstanceKey::Str(s)
    } else {
        return Err(hint());
    };
    Ok(Target::Instance(resource.instance(key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_addresses() {
        for text in [
            "a_b.c",
            "a_b.c[0]",
            "a_b.c[\"team-a\"]",
            "data.a_b.c",
            "data.a_b.c[1]",
        ] {
            assert_eq!(parse_target(text).unwrap().to_string(), text);
        }
        for bad in ["abc", "a.b[", "a.b[x]", ".b", "a.", "data.a", "data."] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
    }
}
