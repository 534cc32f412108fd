//! Which instances of other resources an instance reads: its configuration is
//! evaluated against only those, and during apply it waits only for them when a
//! reference names one instance (`sa[each.key]`, `sa[count.index]`, `sa["alice"]`).

use std::collections::{BTreeMap, BTreeSet};

use crate::address::{InstanceKey, ResourceAddr};
use serde_json::Value;

use crate::config::{
    Config, Expr, ReferenceKind, ResourceBlock, ResourceValues, StaticIndex, references_of,
};
use crate::instances::InstanceValues;

/// The instances of one resource that the instances of another resource read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Needed {
    /// Every instance: an unindexed or computed index, a splat, or a local in between.
    All,
    /// Only the instances these indexes select.
    Only(Vec<StaticIndex>),
}

impl Needed {
    fn add(&mut self, index: Option<StaticIndex>) {
        match (self, index) {
            (Needed::All, _) => {}
            (needed, None) => *needed = Needed::All,
            (Needed::Only(indexes), Some(index)) => {
                if !indexes.contains(&index) {
                    indexes.push(index);
                }
            }
        }
    }

    /// The keys of `target`'s instances that the instance with key `own` reads, or
    /// `None` when it reads them all (also when an index does not fit `target`).
    pub fn keys(&self, own: &InstanceKey, target: &ResourceBlock) -> Option<Vec<InstanceKey>> {
        let Needed::Only(indexes) = self else {
            return None;
        };
        indexes
            .iter()
            .map(|index| {
                let key = match (index, own) {
                    (StaticIndex::EachKey, InstanceKey::Str(s)) => InstanceKey::Str(s.clone()),
                    (StaticIndex::CountIndex, InstanceKey::Int(i)) => InstanceKey::Int(*i),
                    (StaticIndex::Literal(key), _) => key.clone(),
                    _ => return None,
                };
                fit_key(key, target)
            })
            .collect()
    }
}

/// `key` as an instance key of `target` (a number indexes a `for_each` map by its text).
fn fit_key(key: InstanceKey, target: &ResourceBlock) -> Option<InstanceKey> {
    match key {
        InstanceKey::Str(s) if target.for_each.is_some() => Some(InstanceKey::Str(s)),
        InstanceKey::Int(i) if target.for_each.is_some() => Some(InstanceKey::Str(i.to_string())),
        InstanceKey::Int(i) if target.count.is_some() => Some(InstanceKey::Int(i)),
        _ => None,
    }
}

/// Resource values as one instance's configuration sees them: a resource it reads only
/// through static indexes holds only the instances they select (so evaluating it does
/// not copy every instance); other resources are whole.
pub struct InstanceView<'a> {
    /// All the values.
    pub values: &'a InstanceValues<'a>,
    /// The config the instance belongs to.
    pub config: &'a Config,
    /// What the instance's resource reads (from [`value_needs`]).
    pub needs: Option<&'a BTreeMap<ResourceAddr, Needed>>,
    /// The instance's own key.
    pub key: &'a InstanceKey,
}

impl ResourceValues for InstanceView<'_> {
    fn marked(&self, addr: &ResourceAddr, attribute: Option<&str>) -> bool {
        self.values.marked(addr, attribute)
    }

    fn value(&self, addr: &ResourceAddr) -> Option<Value> {
        let keys = self
            .needs
            .and_then(|needs| needs.get(addr))
            .zip(self.config.resource(addr))
            .and_then(|(needed, block)| needed.keys(self.key, block));
        match keys {
            Some(keys) => self.values.value_of_instances(addr, &keys),
            None => self.values.value(addr),
        }
    }
}

/// For each resource block: the resources whose values its expressions (attributes,
/// `count`, `for_each`) read, directly or through locals, and which of their instances.
/// Resources named only in `depends_on` are not listed.
pub fn value_needs(config: &Config) -> BTreeMap<ResourceAddr, BTreeMap<ResourceAddr, Needed>> {
    let mut out = BTreeMap::new();
    for block in &config.resources {
        let mut needs: BTreeMap<ResourceAddr, Needed> = BTreeMap::new();
        let mut locals = Vec::new();
        let exprs = block
            .attributes
            .values()
            .chain(block.count.iter())
            .chain(block.for_each.iter());
        for expr in exprs {
            for reference in references_of(expr) {
                match reference.kind {
                    ReferenceKind::Resource { addr, index, .. } => needs
                        .entry(addr)
                        .or_insert_with(|| Needed::Only(Vec::new()))
                        .add(index),
                    ReferenceKind::Local(name) => locals.push(name),
                    _ => {}
                }
            }
        }
        for addr in resources_through_locals(config, locals) {
            needs.insert(addr, Needed::All);
        }
        out.insert(block.addr.clone(), needs);
    }
    out
}

/// The resources the named locals read, following locals that read other locals.
fn resources_through_locals(config: &Config, mut pending: Vec<String>) -> BTreeSet<ResourceAddr> {
    let mut seen = BTreeSet::new();
    let mut found = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(local) = config.locals.get(&name) else {
            continue;
        };
        for reference in references_of(&local.expr as &Expr) {
            match reference.kind {
                ReferenceKind::Resource { addr, .. } => {
                    found.insert(addr);
                }
                ReferenceKind::Local(next) => pending.push(next),
                _ => {}
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
variable "names" { type = set(string) }
locals { first = t.a["x"].id }
resource "t" "a" { for_each = var.names }
resource "t" "c" { count = 2 }
resource "t" "by_key" {
  for_each = var.names
  a        = t.a[each.key].id
  b        = "${t.a[each.key].name}-${t.c[1].id}"
}
resource "t" "by_value" {
  for_each = var.names
  a        = t.a[each.value].id
}
resource "t" "through_local" {
  for_each = var.names
  a        = t.a[each.key].id
  b        = local.first
}
resource "t" "whole" {
  count = 2
  a     = length(t.a)
  c     = t.c[count.index].id
}
"#;

    #[test]
    fn lists_the_instances_each_resource_reads() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), CONFIG).unwrap();
        let config = crate::config::load(dir.path()).unwrap();
        let needs = value_needs(&config);
        let a = ResourceAddr::new("t", "a");
        let c = ResourceAddr::new("t", "c");
        let block_a = config.resource(&a).unwrap();
        let block_c = config.resource(&c).unwrap();
        let key = InstanceKey::Str("k".into());
        let cases = [
            ("by_key", &a, block_a, &key, Some(vec![key.clone()])),
            ("by_key", &c, block_c, &key, Some(vec![InstanceKey::Int(1)])),
            ("by_value", &a, block_a, &key, None),
            ("through_local", &a, block_a, &key, None),
            ("whole", &a, block_a, &InstanceKey::Int(0), None),
            (
                "whole",
                &c,
                block_c,
                &InstanceKey::Int(1),
                Some(vec![InstanceKey::Int(1)]),
            ),
        ];
        for (name, target, block, own, want) in cases {
            let needed = &needs[&ResourceAddr::new("t", name)][target];
            assert_eq!(needed.keys(own, block), want, "{name} -> {target}");
        }
        assert!(needs[&a].is_empty());
    }
}
