//! The objects of a state by resource type and `id`, so that an apply can ask in constant
//! time whether an id the API returned is already held by another object.

use std::collections::{BTreeSet, HashMap};

use crate::state::{InstanceState, State};

/// One object: its address and deposed key (`None` for the current object).
pub(crate) type Holder = (String, Option<String>);

/// The objects of a state that have an `id`, pending creates excluded, by type and id.
#[derive(Debug, Default)]
pub(crate) struct IdIndex {
    by_id: HashMap<(String, String), BTreeSet<Holder>>,
    by_address: HashMap<String, Vec<(String, String, Option<String>)>>,
}

impl IdIndex {
    /// The index of every object in `state`.
    pub(crate) fn of(state: &State) -> IdIndex {
        let mut index = IdIndex::default();
        for record in &state.resources {
            index.add(record);
        }
        index
    }

    /// Replaces what the index knows of `address` with `objects`, all the objects there now.
    pub(crate) fn refresh(&mut self, address: &str, objects: &[InstanceState]) {
        if let Some(entries) = self.by_address.remove(address) {
            for (type_name, id, deposed) in entries {
                let key = (type_name, id);
                if let Some(holders) = self.by_id.get_mut(&key) {
                    holders.remove(&(address.to_string(), deposed));
                    if holders.is_empty() {
                        self.by_id.remove(&key);
                    }
                }
            }
        }
        for record in objects {
            self.add(record);
        }
    }

    /// The objects of `type_name` holding `id`.
    pub(crate) fn holders(&self, type_name: &str, id: &str) -> impl Iterator<Item = &Holder> {
        self.by_id
            .get(&(type_name.to_string(), id.to_string()))
            .into_iter()
            .flatten()
    }

    /// Indexes a managed object; a data source only reads what another object may hold.
    fn add(&mut self, record: &InstanceState) {
        if record.mode == "data" {
            return;
        }
        let Some(id) = record.id().filter(|_| record.pending_create.is_none()) else {
            return;
        };
        self.by_id
            .entry((record.type_name.clone(), id.to_string()))
            .or_default()
            .insert((record.address.clone(), record.deposed.clone()));
        self.by_address
            .entry(record.address.clone())
            .or_default()
            .push((
                record.type_name.clone(),
                id.to_string(),
                record.deposed.clone(),
            ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::{InstanceKey, ResourceAddr};
    use crate::state::PendingCreate;
    use serde_json::json;

    fn record(name: &str, id: &str, deposed: Option<&str>) -> InstanceState {
        let addr = ResourceAddr::new("t", name).instance(InstanceKey::None);
        let mut record = InstanceState::new(&addr, 0, json!({ "id": id }), Vec::new(), Vec::new());
        record.deposed = deposed.map(str::to_string);
        record
    }

    fn objects_at(state: &State, name: &str) -> Vec<InstanceState> {
        state
            .objects_of(&ResourceAddr::new("t", name).instance(InstanceKey::None))
            .to_vec()
    }

    fn holders(index: &IdIndex, id: &str) -> Vec<Holder> {
        index.holders("t", id).cloned().collect()
    }

    #[test]
    fn the_index_follows_the_state() {
        let mut state = State::new();
        state.upsert(record("a", "1", None));
        state.upsert(record("b", "2", None));
        let mut pending = record("c", "3", None);
        pending.pending_create = Some(PendingCreate::now());
        state.upsert(pending);
        let mut index = IdIndex::of(&state);
        assert_eq!(holders(&index, "1"), vec![("t.a".to_string(), None)]);
        assert!(
            holders(&index, "3").is_empty(),
            "pending creates are not holders"
        );
        assert!(index.holders("other", "1").next().is_none());

        let mut current = state
            .remove(
                &ResourceAddr::new("t", "a").instance(InstanceKey::None),
                None,
            )
            .unwrap();
        current.deposed = Some("d1".into());
        state.upsert(current);
        state.upsert(record("a", "4", None));
        index.refresh("t.a", &objects_at(&state, "a"));
        assert_eq!(
            holders(&index, "1"),
            vec![("t.a".to_string(), Some("d1".to_string()))]
        );
        assert_eq!(holders(&index, "4"), vec![("t.a".to_string(), None)]);

        state.replace_objects("t.b", Vec::new());
        index.refresh("t.b", &objects_at(&state, "b"));
        assert!(holders(&index, "2").is_empty());
    }
}
