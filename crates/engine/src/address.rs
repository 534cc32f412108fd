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
    /// The module instance it is in: empty for the root module, else e.g.
    /// `module.a["x"].module.b`.
    pub module: String,
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
            module: String::new(),
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

    /// The same resource in the module instance `module` (empty: the root module).
    pub fn in_module(mut self, module: &str) -> Self {
        self.module = module.to_string();
        self
    }

    /// Whether it is in the module `path` (e.g. `module.a`, matching every instance of
    /// it, or `module.a["x"]`) or one nested in it.
    pub fn is_within(&self, path: &str) -> bool {
        self.module == path
            || self.module.strip_prefix(path).is_some_and(|rest| {
                rest.starts_with(".module.") || (rest.starts_with('[') && !path.ends_with(']'))
            })
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
        if !self.module.is_empty() {
            write!(f, "{}.", self.module)?;
        }
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

/// The prefix of the variable names that stand for a module instance in expressions of
/// modules the engine flattened into one configuration (see `config::modules`).
const MODULE_ROOT_PREFIX: &str = "__ycprov_module_";

/// The variable name that stands for module instance `path` in a flattened expression:
/// `__ycprov_module_<path in hex>.TYPE.NAME` refers to `<path>.TYPE.NAME`.
pub fn module_root_name(path: &str) -> String {
    let hex: String = path.bytes().map(|b| format!("{b:02x}")).collect();
    format!("{MODULE_ROOT_PREFIX}{hex}")
}

/// The module instance path a [`module_root_name`] stands for.
pub fn decode_module_root(name: &str) -> Option<String> {
    let hex = name.strip_prefix(MODULE_ROOT_PREFIX)?;
    if hex.len() % 2 != 0 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

/// A `-target` or command-line address: a module, a whole resource or one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Every resource of a module (all its instances, or one) and of modules in it.
    Module(String),
    /// Every instance of a resource.
    Resource(ResourceAddr),
    /// One instance.
    Instance(InstanceAddr),
}

impl Target {
    /// True when `addr` is selected by this target.
    pub fn matches(&self, addr: &InstanceAddr) -> bool {
        match self {
            Target::Module(path) => addr.resource.is_within(path),
            Target::Resource(r) => &addr.resource == r,
            Target::Instance(i) => i == addr,
        }
    }

    /// The resource this target names (none for a module).
    pub fn resource(&self) -> Option<&ResourceAddr> {
        match self {
            Target::Module(_) => None,
            Target::Resource(r) => Some(r),
            Target::Instance(i) => Some(&i.resource),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Module(path) => f.write_str(path),
            Target::Resource(r) => r.fmt(f),
            Target::Instance(i) => i.fmt(f),
        }
    }
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !s.starts_with(|c: char| c.is_ascii_digit())
}

/// Splits `name[key]rest` or `name.rest` / `name`: the identifier, its key if any, and
/// what follows (without the leading dot).
fn split_segment(text: &str) -> Option<(&str, Option<InstanceKey>, &str)> {
    let end = text.find(['.', '[']).unwrap_or(text.len());
    let name = &text[..end];
    if !is_identifier(name) {
        return None;
    }
    let rest = &text[end..];
    let (key, rest) = match rest.strip_prefix('[') {
        Some(inner) => {
            let close = if inner.starts_with('"') {
                let mut escaped = false;
                let mut close = None;
                for (i, c) in inner.char_indices().skip(1) {
                    match c {
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => {
                            close = Some(i + 1);
                            break;
                        }
                        _ => escaped = false,
                    }
                }
                close?
            } else {
                inner.find(']')?
            };
            let raw = &inner[..close];
            let after = inner[close..].strip_prefix(']')?;
            let key = if let Ok(i) = raw.parse::<i64>() {
                InstanceKey::Int(i)
            } else if let Ok(Value::String(s)) = serde_json::from_str::<Value>(raw) {
                InstanceKey::Str(s)
            } else {
                return None;
            };
            (Some(key), after)
        }
        None => (None, rest),
    };
    let rest = match rest {
        "" => "",
        r => r.strip_prefix('.').filter(|after| !after.is_empty())?,
    };
    Some((name, key, rest))
}

/// Parses `type.name`, `type.name[0]` or `type.name["key"]`, each optionally under `data.`
/// and under module instances (`module.a["x"].type.name`), or a module (`module.a`).
pub fn parse_target(text: &str) -> anyhow::Result<Target> {
    let text = text.trim();
    let hint = || {
        anyhow!(
            "invalid address {text:?}: expected TYPE.NAME, TYPE.NAME[0] or TYPE.NAME[\"key\"], optionally under data. and module.NAME[KEY]. prefixes, or module.NAME"
        )
    };
    let mut module = String::new();
    let mut rest = text;
    while let Some(after) = rest.strip_prefix("module.") {
        let (name, key, next) = split_segment(after).ok_or_else(hint)?;
        if !module.is_empty() {
            module.push('.');
        }
        module.push_str(&format!(
            "module.{name}{}",
            key.unwrap_or(InstanceKey::None)
        ));
        rest = next;
        if rest.is_empty() {
            return Ok(Target::Module(module));
        }
    }
    let (mode, rest) = match rest.strip_prefix("data.") {
        Some(after) => (Mode::Data, after),
        None => (Mode::Managed, rest),
    };
    let (type_name, type_key, rest) = split_segment(rest).ok_or_else(hint)?;
    let (name, key, rest) = split_segment(rest).ok_or_else(hint)?;
    if type_key.is_some() || !rest.is_empty() {
        return Err(hint());
    }
    let resource = ResourceAddr {
        module,
        mode,
        ..ResourceAddr::new(type_name, name)
    };
    Ok(match key {
        None => Target::Resource(resource),
        Some(key) => Target::Instance(resource.instance(key)),
    })
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
            "module.m",
            "module.m[\"x\"]",
            "module.m[\"x\"].a_b.c",
            "module.a[0].module.b.data.a_b.c[1]",
        ] {
            assert_eq!(parse_target(text).unwrap().to_string(), text);
        }
        for bad in [
            "abc",
            "a.b[",
            "a.b[x]",
            ".b",
            "a.",
            "data.a",
            "data.",
            "module.",
            "module.m.",
            "a.b.c",
            "a[0].b",
        ] {
            assert!(parse_target(bad).is_err(), "{bad}");
        }
    }
}
