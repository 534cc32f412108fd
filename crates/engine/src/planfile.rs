//! Saved plans (`plan -out FILE`, `apply FILE`): the plan, the state lineage and
//! serial it was made from, and non-sensitive variable values. Sensitive values are
//! replaced by a marker and restored from the state at apply.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::Variables;
use crate::files::write_private_file;
use crate::plan::Plan;
use crate::redact::{redact_attributes, redacted, restore_attributes};
use crate::state::State;

/// The `format` field of a saved plan.
pub const FORMAT: &str = "ycprov-plan";
/// The format version written.
pub const VERSION: u32 = 1;

/// A plan as saved to a file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    /// Always [`FORMAT`].
    pub format: String,
    /// The file format version.
    pub version: u32,
    /// The lineage of the state the plan was made from.
    pub lineage: String,
    /// The serial of the state the plan was made from.
    pub serial: u64,
    /// Non-sensitive input variable values used.
    pub variables: BTreeMap<String, Value>,
    /// The plan with sensitive values replaced by markers.
    pub plan: Plan,
}

/// `plan` with every sensitive value replaced by the redaction marker.
pub fn redact_plan(plan: &Plan) -> Plan {
    let marker = redacted();
    let mut p = plan.clone();
    for c in &mut p.changes {
        c.before = c
            .before
            .as_ref()
            .map(|v| redact_attributes(v, &c.before_sensitive, &marker));
        c.after = c
            .after
            .as_ref()
            .map(|v| redact_attributes(v, &c.after_sensitive, &marker));
    }
    for d in &mut p.drift {
        d.before = redact_attributes(&d.before, &d.sensitive, &marker);
        d.after = d
            .after
            .as_ref()
            .map(|v| redact_attributes(v, &d.sensitive, &marker));
    }
    for o in &mut p.outputs {
        if o.sensitive {
            o.before = o.before.as_ref().map(|_| marker.clone());
            o.after = o.after.as_ref().map(|_| marker.clone());
        }
    }
    for r in p.prior.resources.iter_mut().chain(p.data_reads.iter_mut()) {
        r.attributes = redact_attributes(&r.attributes, &r.sensitive_attributes, &marker);
    }
    for o in p.prior.outputs.values_mut() {
        if o.sensitive {
            o.value = marker.clone();
        }
    }
    p
}

/// Writes `plan` to `path` (mode 0600), redacted.
pub fn save(path: &Path, plan: &Plan, variables: &Variables) -> anyhow::Result<()> {
    let saved = SavedPlan {
        format: FORMAT.to_string(),
        version: VERSION,
        lineage: plan.prior.lineage.clone(),
        serial: plan.prior.serial,
        variables: variables
            .values
            .iter()
            .filter(|(k, _)| !variables.sensitive.contains(*k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        plan: redact_plan(plan),
    };
    let text = serde_json::to_string_pretty(&saved)?;
    write_private_file(path, text.as_bytes())
}

/// Reads a saved plan.
pub fn load(path: &Path) -> anyhow::Result<SavedPlan> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the plan file {}", path.display()))?;
    let saved: SavedPlan = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a ycprov plan file", path.display()))?;
    if saved.format != FORMAT || saved.version > VERSION {
        bail!(
            "{} is not a ycprov plan file this version can apply (format {:?} version {})",
            path.display(),
            saved.format,
            saved.version
        );
    }
    Ok(saved)
}

/// The saved plan's prior state with sensitive values restored from `current`
/// (the state file, which must be the one the plan was made from).
pub fn restore_prior(saved: &State, current: &State) -> State {
    let mut prior = saved.clone();
    for r in &mut prior.resources {
        let source = current
            .object(&r.instance_addr(), r.deposed.as_deref())
            .map(|s| &s.attributes);
        r.attributes = restore_attributes(&r.attributes, source);
    }
    for (name, o) in prior.outputs.iter_mut() {
        if crate::redact::is_redacted(&o.value) {
            o.value = current
                .outputs
                .get(name)
                .map(|c| c.value.clone())
                .unwrap_or(Value::Null);
        }
    }
    prior
}
