//! An in-memory provider with the three resource types, failure injection and
//! concurrency accounting.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Map, Value, json};
use ycprov_engine::provider::{
    Applied, Change, Diagnostic, Imported, PlannedChange, Provider, ReadResult,
};
use ycprov_engine::value::{is_unknown, unknown};

pub const SA: &str = "yandex_iam_service_account";
pub const MEMBER: &str = "yandex_resourcemanager_folder_iam_member";
pub const KEY: &str = "yandex_iam_service_account_api_key";

/// How an injected failure behaves.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// The API call fails; nothing is created.
    Clean,
    /// The object is created but the provider reports an error afterwards
    /// (it returns the partial state).
    Partial,
    /// The provider traps (returns `Err`).
    Trap,
}

#[derive(Default)]
struct Cloud {
    objects: BTreeMap<(String, String), Value>,
    next_id: u64,
    configured: Option<Value>,
    calls: Vec<String>,
    failures: Vec<(String, String, Failure)>,
    plan_override: Option<(String, String, Value)>,
    reuse_ids: bool,
}

/// The fake provider.
#[derive(Default)]
pub struct FakeProvider {
    cloud: Mutex<Cloud>,
    active: AtomicUsize,
    max_active: AtomicUsize,
    /// How long each apply takes.
    pub delay: Mutex<Duration>,
}

fn schema() -> Value {
    json!({
        "provider": {"attributes": {
            "cloud_id": {"type": "string", "optional": true},
            "folder_id": {"type": "string", "optional": true},
            "endpoint": {"type": "string", "optional": true},
            "token": {"type": "string", "optional": true, "sensitive": true}
        }},
        "resources": {
            SA: {"version": 1, "description": "A service account", "attributes": {
                "name": {"type": "string", "required": true},
                "description": {"type": "string", "optional": true, "computed": true},
                "folder_id": {"type": "string", "optional": true, "computed": true, "force_new": true},
                "labels": {"type": "map(string)", "optional": true},
                "id": {"type": "string", "computed": true},
                "created_at": {"type": "string", "computed": true}
            }},
            MEMBER: {"version": 0, "batch": true, "attributes": {
                "folder_id": {"type": "string", "required": true, "force_new": true},
                "role": {"type": "string", "required": true, "force_new": true},
                "member": {"type": "string", "required": true, "force_new": true},
                "id": {"type": "string", "computed": true}
            }},
            KEY: {"version": 0, "attributes": {
                "service_account_id": {"type": "string", "required": true, "force_new": true},
                "description": {"type": "string", "optional": true},
                "scopes": {"type": "list(string)", "optional": true, "computed": true},
                "expires_at": {"type": "string", "optional": true},
                "id": {"type": "string", "computed": true},
                "created_at": {"type": "string", "computed": true},
                "secret_key": {"type": "string", "computed": true, "sensitive": true}
            }}
        }
    })
}

fn attr_names(type_name: &str) -> Vec<String> {
    schema()["resources"][type_name]["attributes"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect()
}

fn force_new(type_name: &str) -> Vec<String> {
    let s = schema();
    s["resources"][type_name]["attributes"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, a)| a.get("force_new") == Some(&Value::Bool(true)))
        .map(|(n, _)| n.clone())
        .collect()
}

fn computed_only(type_name: &str) -> Vec<&'static str> {
    match type_name {
        SA => vec!["id", "created_at"],
        MEMBER => vec!["id"],
        _ => vec!["id", "created_at", "secret_key"],
    }
}

impl FakeProvider {
    pub fn new() -> Self {
        Self::default()
    }

    fn cloud(&self) -> std::sync::MutexGuard<'_, Cloud> {
        self.cloud.lock().unwrap()
    }

    /// Makes applies of `type_name` whose planned JSON contains `needle` fail.
    pub fn fail_when(&self, type_name: &str, needle: &str, how: Failure) {
        self.cloud()
            .failures
            .push((type_name.into(), needle.into(), how));
    }

    /// Makes every later create answer with the id the previous create got (a broken API).
    pub fn reuse_ids(&self) {
        self.cloud().reuse_ids = true;
    }

    /// Removes every injected failure.
    pub fn clear_failures(&self) {
        self.cloud().failures.clear();
    }

    /// Makes the next plans of `type_name` set `attr` to `value` (to break consistency).
    pub fn override_plan(&self, type_name: &str, attr: &str, value: Value) {
        self.cloud().plan_override = Some((type_name.into(), attr.into(), value));
    }

    /// The provider calls made so far, e.g. `apply yandex_iam_service_account` or
    /// `apply_many yandex_resourcemanager_folder_iam_member 50`.
    pub fn calls(&self) -> Vec<String> {
        self.cloud().calls.clone()
    }

    pub fn clear_calls(&self) {
        self.cloud().calls.clear();
    }

    /// The highest number of applies that ran at the same time.
    pub fn max_concurrency(&self) -> usize {
        self.max_active.load(Ordering::SeqCst)
    }

    /// The objects in the cloud of one type.
    pub fn objects(&self, type_name: &str) -> Vec<Value> {
        self.cloud()
            .objects
            .iter()
            .filter(|((t, _), _)| t == type_name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Changes an attribute outside ycprov.
    pub fn set_outside(&self, type_name: &str, id: &str, attr: &str, value: Value) {
        let mut c = self.cloud();
        let obj = c
            .objects
            .get_mut(&(type_name.to_string(), id.to_string()))
            .expect("object exists");
        obj[attr] = value;
    }

    /// Deletes an object outside ycprov.
    pub fn delete_outside(&self, type_name: &str, id: &str) {
        self.cloud()
            .objects
            .remove(&(type_name.to_string(), id.to_string()));
    }

    /// Creates an object outside ycprov (for import); returns its id.
    pub fn create_outside(&self, type_name: &str, attrs: Value) -> String {
        let mut c = self.cloud();
        c.next_id += 1;
        let id = format!("aje{:04}", c.next_id);
        let mut obj = attrs;
        obj["id"] = json!(id);
        obj["created_at"] = json!("2026-01-01T00:00:00Z");
        c.objects.insert((type_name.into(), id.clone()), obj);
        id
    }

    pub fn configured(&self) -> Option<Value> {
        self.cloud().configured.clone()
    }

    fn default_folder(&self) -> String {
        self.cloud()
            .configured
            .as_ref()
            .and_then(|c| c.get("folder_id"))
            .and_then(Value::as_str)
            .unwrap_or("b1gdefault")
            .to_string()
    }
}

impl Provider for FakeProvider {
    fn schema(&self) -> anyhow::Result<Value> {
        Ok(schema())
    }

    fn configure(&self, config: &Value) -> anyhow::Result<Vec<Diagnostic>> {
        let mut c = self.cloud();
        c.calls.push("configure".into());
        c.configured = Some(config.clone());
        Ok(Vec::new())
    }

    fn validate(&self, type_name: &str, config: &Value) -> anyhow::Result<Vec<Diagnostic>> {
        let mut diags = Vec::new();
        if type_name == SA
            && let Some(name) = config.get("name").and_then(Value::as_str)
        {
            let ok = name.len() <= 63
                && name.starts_with(|c: char| c.is_ascii_lowercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !name.ends_with('-');
            if !ok {
                diags.push(
                    Diagnostic::error(
                        "invalid service account name",
                        format!("{name:?} must match ^[a-z]([-a-z0-9]{{0,61}}[a-z0-9])?$"),
                    )
                    .at("name"),
                );
            }
        }
        Ok(diags)
    }

    fn plan(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        config: Option<&Value>,
    ) -> anyhow::Result<PlannedChange> {
        self.cloud().calls.push(format!("plan {type_name}"));
        let Some(config) = config else {
            return Ok(PlannedChange::default());
        };
        let mut planned = Map::new();
        for name in attr_names(type_name) {
            let c = config.get(&name).cloned().unwrap_or(Value::Null);
            let p = prior.and_then(|p| p.get(&name)).cloned();
            let computed = computed_only(type_name).contains(&name.as_str());
            let v = if computed {
                p.unwrap_or_else(unknown)
            } else if c.is_null() {
                match (type_name, name.as_str()) {
                    (SA, "description") => p.unwrap_or_else(|| json!("")),
                    (SA, "folder_id") => p.unwrap_or_else(|| json!(self.default_folder())),
                    (KEY, "scopes") => {
                        p.unwrap_or_else(|| json!(["yc.ai.foundationModels.execute"]))
                    }
                    _ => Value::Null,
                }
            } else {
                c
            };
            planned.insert(name, v);
        }
        if let Some((t, attr, v)) = self.cloud().plan_override.clone()
            && t == type_name
        {
            planned.insert(attr, v);
        }
        Ok(PlannedChange {
            planned: Some(Value::Object(planned)),
            requires_replace: force_new(type_name),
            diagnostics: Vec::new(),
        })
    }

    fn apply(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> anyhow::Result<Applied> {
        self.cloud().calls.push(format!("apply {type_name}"));
        self.busy(|| self.apply_inner(type_name, prior, planned))
    }

    fn apply_many(&self, type_name: &str, changes: &[Change]) -> anyhow::Result<Vec<Applied>> {
        self.cloud()
            .calls
            .push(format!("apply_many {type_name} {}", changes.len()));
        self.busy(|| {
            changes
                .iter()
                .map(|change| {
                    self.apply_inner(type_name, change.prior.as_ref(), change.planned.as_ref())
                })
                .collect()
        })
    }

    fn read(&self, type_name: &str, state: &Value) -> anyhow::Result<ReadResult> {
        self.cloud().calls.push(format!("read {type_name}"));
        Ok(self.read_inner(type_name, state))
    }

    fn read_many(&self, type_name: &str, states: &[Value]) -> anyhow::Result<Vec<ReadResult>> {
        self.cloud()
            .calls
            .push(format!("read_many {type_name} {}", states.len()));
        Ok(states
            .iter()
            .map(|state| self.read_inner(type_name, state))
            .collect())
    }

    fn import(&self, type_name: &str, id: &str) -> anyhow::Result<Imported> {
        let mut c = self.cloud();
        c.calls.push(format!("import {type_name}"));
        let found = c
            .objects
            .get(&(type_name.to_string(), id.to_string()))
            .cloned();
        Ok(Imported {
            state: found,
            diagnostics: Vec::new(),
        })
    }
}

impl FakeProvider {
    /// Runs one provider call that takes `delay` and counts towards the concurrency.
    fn busy<R>(&self, call: impl FnOnce() -> R) -> R {
        let now = self.active.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_active.fetch_max(now, Ordering::SeqCst);
        let delay = *self.delay.lock().unwrap();
        std::thread::sleep(delay);
        let result = call();
        self.active.fetch_sub(1, Ordering::SeqCst);
        result
    }

    fn read_inner(&self, type_name: &str, state: &Value) -> ReadResult {
        let id = state
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let found = self
            .cloud()
            .objects
            .get(&(type_name.to_string(), id))
            .cloned();
        ReadResult {
            state: found,
            diagnostics: Vec::new(),
        }
    }

    fn apply_inner(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> anyhow::Result<Applied> {
        let mut c = self.cloud();
        let text = planned.or(prior).map(|v| v.to_string()).unwrap_or_default();
        let failure = c
            .failures
            .iter()
            .find(|(t, needle, _)| t == type_name && text.contains(needle.as_str()))
            .map(|(_, _, f)| f.clone());
        if failure == Some(Failure::Trap) {
            anyhow::bail!("wasm trap: unreachable executed");
        }
        if failure == Some(Failure::Clean) {
            return Ok(Applied {
                new_state: prior.cloned(),
                diagnostics: vec![Diagnostic::error(
                    "API error",
                    "PERMISSION_DENIED: injected failure",
                )],
            });
        }
        let Some(planned) = planned else {
            let id = prior
                .and_then(|p| p.get("id"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            c.objects.remove(&(type_name.to_string(), id));
            return Ok(Applied::default());
        };
        let mut obj = planned.clone();
        let id = match prior.and_then(|p| p.get("id")).and_then(Value::as_str) {
            Some(id) => id.to_string(),
            None if type_name == MEMBER => format!(
                "{}/{}/{}",
                obj["folder_id"].as_str().unwrap_or(""),
                obj["role"].as_str().unwrap_or(""),
                obj["member"].as_str().unwrap_or("")
            ),
            None => {
                if !c.reuse_ids || c.next_id == 0 {
                    c.next_id += 1;
                }
                format!("aje{:04}", c.next_id)
            }
        };
        for (k, v) in obj.as_object_mut().unwrap().iter_mut() {
            if is_unknown(v) {
                *v = match k.as_str() {
                    "id" => json!(id),
                    "created_at" => json!("2026-01-01T00:00:00Z"),
                    "secret_key" => json!(format!("AQVN-secret-{id}")),
                    _ => Value::Null,
                };
            }
        }
        c.objects.insert((type_name.to_string(), id), obj.clone());
        let diagnostics = if failure == Some(Failure::Partial) {
            vec![Diagnostic::error(
                "operation failed after create",
                "DEADLINE_EXCEEDED: injected partial failure",
            )]
        } else {
            Vec::new()
        };
        Ok(Applied {
            new_state: Some(obj),
            diagnostics,
        })
    }
}
