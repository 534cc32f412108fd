//! Machine-readable (`-json`) plans, apply events and outputs. Unlike Terraform,
//! sensitive values are never included: they are `null`, and the `*_sensitive`
//! masks say where a value was withheld.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::apply::{ApplyEvent, OpKind};
use crate::plan::Plan;
use crate::providers::{ProviderConfigAddr, implied_source, type_prefix};
use crate::redact::redact_attributes;
use crate::state::OutputState;
use crate::value::{is_unknown, unknowns_to_null};

/// The format version of the JSON plan (Terraform's layout).
pub const FORMAT_VERSION: &str = "1.2";

fn mask(names: &[String], value: Option<&Value>) -> Value {
    let mut m = Map::new();
    if let Some(obj) = value.and_then(Value::as_object) {
        for n in names {
            if obj.get(n).is_some_and(|v| !v.is_null()) {
                m.insert(n.clone(), Value::Bool(true));
            }
        }
    }
    Value::Object(m)
}

fn unknown_mask(value: Option<&Value>) -> Value {
    let mut m = Map::new();
    if let Some(obj) = value.and_then(Value::as_object) {
        for (k, v) in obj {
            if is_unknown(v) {
                m.insert(k.clone(), Value::Bool(true));
            }
        }
    }
    Value::Object(m)
}

fn redacted(value: Option<&Value>, sensitive: &[String]) -> Value {
    match value {
        None => Value::Null,
        Some(v) => unknowns_to_null(&redact_attributes(v, sensitive, &Value::Null)),
    }
}

fn index_of(key: &Value) -> Option<Value> {
    (!key.is_null()).then(|| key.clone())
}

/// The provider source Terraform's JSON names: the recorded provider's, else the one
/// the type's prefix implies.
fn provider_name(recorded: &str, type_name: &str) -> String {
    match ProviderConfigAddr::parse_state(recorded) {
        Some(addr) => addr.source,
        None => implied_source(type_prefix(type_name)),
    }
}

/// The JSON plan document.
pub fn plan_json(plan: &Plan) -> Value {
    let mut changes = Vec::new();
    for c in &plan.changes {
        let mut rc = json!({
            "address": c.address,
            "mode": c.mode,
            "type": c.type_name,
            "name": c.name,
            "provider_name": provider_name(&c.provider, &c.type_name),
            "change": {
                "actions": c.action.json_actions(),
                "before": redacted(c.before.as_ref(), &c.before_sensitive),
                "after": redacted(c.after.as_ref(), &c.after_sensitive),
                "after_unknown": unknown_mask(c.after.as_ref()),
                "before_sensitive": mask(&c.before_sensitive, c.before.as_ref()),
                "after_sensitive": mask(&c.after_sensitive, c.after.as_ref()),
                "replace_paths": c.replace_paths.iter().map(|p| json!([p])).collect::<Vec<_>>(),
            },
        });
        if let Some(i) = index_of(&c.index_key) {
            rc["index"] = i;
        }
        if let Some(d) = &c.deposed {
            rc["deposed"] = json!(d);
        }
        if let Some(r) = &c.reason {
            rc["action_reason"] = json!(r);
        }
        if !c.module.is_empty() {
            rc["module_address"] = json!(c.module);
        }
        if let Some(previous) = &c.previous_address {
            rc["previous_address"] = json!(previous);
        }
        if let Some(id) = &c.importing {
            rc["change"]["importing"] = json!({ "id": id });
        }
        changes.push(rc);
    }
    let mut drift = Vec::new();
    for d in &plan.drift {
        let mut rd = json!({
            "address": d.address,
            "mode": "managed",
            "type": d.type_name,
            "name": d.name,
            "provider_name": provider_name("", &d.type_name),
            "change": {
                "actions": if d.after.is_some() { vec!["update"] } else { vec!["delete"] },
                "before": redacted(Some(&d.before), &d.sensitive),
                "after": redacted(d.after.as_ref(), &d.sensitive),
                "before_sensitive": mask(&d.sensitive, Some(&d.before)),
                "after_sensitive": mask(&d.sensitive, d.after.as_ref()),
            },
        });
        if let Some(i) = index_of(&d.index_key) {
            rd["index"] = i;
        }
        drift.push(rd);
    }
    let mut outputs = Map::new();
    for o in &plan.outputs {
        let hide = |v: &Option<Value>| {
            if o.sensitive {
                Value::Null
            } else {
                v.as_ref().map(unknowns_to_null).unwrap_or(Value::Null)
            }
        };
        outputs.insert(
            o.name.clone(),
            json!({
                "actions": o.action.json_actions(),
                "before": hide(&o.before),
                "after": hide(&o.after),
                "after_unknown": o.after.as_ref().is_some_and(is_unknown),
                "before_sensitive": o.sensitive,
                "after_sensitive": o.sensitive,
            }),
        );
    }
    let (add, change, destroy) = plan.counts();
    json!({
        "format_version": FORMAT_VERSION,
        "ycprov_version": env!("CARGO_PKG_VERSION"),
        "timestamp": plan.plan_time,
        "applyable": plan.has_changes(),
        "complete": plan.targets.is_empty(),
        "errored": false,
        "destroy": plan.destroy,
        "resource_drift": drift,
        "resource_changes": changes,
        "output_changes": outputs,
        "summary": {"add": add, "change": change, "remove": destroy},
    })
}

fn seconds(d: &Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

fn action_of(kind: &OpKind) -> &'static str {
    kind.action_name()
}

/// One machine-readable apply event (a JSON line).
pub fn apply_event_json(event: &ApplyEvent) -> Value {
    match event {
        ApplyEvent::Started { address, kind, id } => {
            json!({"type": "apply_start", "resource": address, "action": action_of(kind), "id": id})
        }
        ApplyEvent::StillRunning {
            address,
            kind,
            elapsed,
        } => {
            json!({"type": "apply_progress", "resource": address, "action": action_of(kind), "elapsed_seconds": seconds(elapsed)})
        }
        ApplyEvent::Completed {
            address,
            kind,
            elapsed,
            id,
        } => {
            json!({"type": "apply_complete", "resource": address, "action": action_of(kind), "elapsed_seconds": seconds(elapsed), "id": id})
        }
        ApplyEvent::Failed {
            address,
            kind,
            elapsed,
        } => {
            json!({"type": "apply_errored", "resource": address, "action": action_of(kind), "elapsed_seconds": seconds(elapsed)})
        }
    }
}

/// Outputs as JSON `{name: {sensitive, value}}`; sensitive values are `null`
/// unless `reveal`.
pub fn outputs_json(outputs: &BTreeMap<String, OutputState>, reveal: bool) -> Value {
    let mut m = Map::new();
    for (name, o) in outputs {
        let value = if o.sensitive && !reveal {
            Value::Null
        } else {
            o.value.clone()
        };
        m.insert(
            name.clone(),
            json!({"sensitive": o.sensitive, "value": value}),
        );
    }
    Value::Object(m)
}
