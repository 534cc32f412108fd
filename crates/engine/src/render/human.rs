//! Human-readable plans, apply progress, outputs and `state show`, in Terraform's style.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;

use super::{SENSITIVE, inline};
use crate::apply::{ApplyEvent, OpKind};
use crate::plan::{Action, Drift, OutputChange, Plan, ReplaceCause, ResourceChange};
use crate::pool::{cpus, map_in_runs};
use crate::state::{InstanceState, OutputState};
use crate::value::{contains_unknown, is_unknown};

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Create,
    Delete,
    Update,
}

/// The most resource changes one thread renders at a time: a plan of thousands is
/// rendered on every CPU.
const CHANGES_PER_RUN: usize = 256;

struct AttrLine {
    sign: char,
    name: String,
    before: Value,
    after: Value,
    sensitive: bool,
    forces: bool,
}

fn sign_prefix(sign: char) -> String {
    if sign == ' ' {
        "  ".to_string()
    } else {
        format!("{sign} ")
    }
}

fn scalar(v: &Value, sensitive: bool) -> String {
    if sensitive {
        SENSITIVE.to_string()
    } else {
        inline(v)
    }
}

fn is_collection(v: &Value) -> bool {
    match v {
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty() && !is_unknown(v),
        _ => false,
    }
}

fn sorted_keys(m: &serde_json::Map<String, Value>) -> Vec<&String> {
    let mut keys: Vec<&String> = m.keys().collect();
    keys.sort();
    keys
}

/// Lines of a collection value's items (after the opening bracket), at `base` indentation.
fn collection_lines(out: &mut String, base: usize, before: &Value, after: &Value, mode: Mode) {
    let item_pad = " ".repeat(base + 4);
    let close_pad = " ".repeat(base + 2);
    let value = if mode == Mode::Delete { before } else { after };
    match value {
        Value::Array(items) => {
            let old: Vec<&Value> = before
                .as_array()
                .map(|a| a.iter().collect())
                .unwrap_or_default();
            match mode {
                Mode::Create => items
                    .iter()
                    .for_each(|i| _ = writeln!(out, "{item_pad}+ {},", inline(i))),
                Mode::Delete => items
                    .iter()
                    .for_each(|i| _ = writeln!(out, "{item_pad}- {},", inline(i))),
                Mode::Update => {
                    for o in &old {
                        if !items.contains(o) {
                            let _ = writeln!(out, "{item_pad}- {},", inline(o));
                        }
                    }
                    for i in items {
                        let sign = if old.contains(&i) { ' ' } else { '+' };
                        let _ = writeln!(out, "{item_pad}{}{},", sign_prefix(sign), inline(i));
                    }
                }
            }
            let _ = writeln!(out, "{close_pad}]");
        }
        Value::Object(m) => {
            let old = before.as_object();
            let mut keys: BTreeSet<&String> = m.keys().collect();
            if mode == Mode::Update
                && let Some(o) = old
            {
                keys.extend(o.keys());
            }
            let width = keys
                .iter()
                .map(|k| Value::String((*k).clone()).to_string().len())
                .max()
                .unwrap_or(0);
            for k in keys {
                let key = Value::String(k.clone()).to_string();
                let a = m.get(k);
                let b = old.and_then(|o| o.get(k));
                let line = match (mode, b, a) {
                    (Mode::Create, _, Some(a)) => format!("+ {key:<width$} = {}", inline(a)),
                    (Mode::Delete, _, Some(a)) => {
                        format!("- {key:<width$} = {} -> null", inline(a))
                    }
                    (Mode::Update, Some(b), Some(a)) if a == b => {
                        format!("  {key:<width$} = {}", inline(a))
                    }
                    (Mode::Update, Some(b), Some(a)) => {
                        format!("~ {key:<width$} = {} -> {}", inline(b), inline(a))
                    }
                    (Mode::Update, None, Some(a)) => format!("+ {key:<width$} = {}", inline(a)),
                    (Mode::Update, Some(b), None) => {
                        format!("- {key:<width$} = {} -> null", inline(b))
                    }
                    _ => continue,
                };
                let _ = writeln!(out, "{item_pad}{line}");
            }
            let _ = writeln!(out, "{close_pad}}}");
        }
        _ => {}
    }
}

fn render_lines(out: &mut String, lines: &[AttrLine], mode: Mode, hidden: usize) {
    let width = lines.iter().map(|l| l.name.len()).max().unwrap_or(0);
    for l in lines {
        let prefix = format!("      {}{:<width$} = ", sign_prefix(l.sign), l.name);
        let forces = if l.forces {
            " # forces replacement"
        } else {
            ""
        };
        if l.sensitive {
            let _ = writeln!(out, "{prefix}{SENSITIVE}{forces}");
            continue;
        }
        match (l.sign, mode) {
            ('+', _) if is_collection(&l.after) && !contains_unknown(&l.after) => {
                let _ = writeln!(
                    out,
                    "{prefix}{}{forces}",
                    if l.after.is_array() { "[" } else { "{" }
                );
                collection_lines(out, 6, &Value::Null, &l.after, Mode::Create);
            }
            ('+', _) => {
                let _ = writeln!(out, "{prefix}{}{forces}", inline(&l.after));
            }
            ('-', _) if is_collection(&l.before) => {
                let _ = writeln!(
                    out,
                    "{prefix}{}{forces}",
                    if l.before.is_array() { "[" } else { "{" }
                );
                let mut inner = String::new();
                collection_lines(&mut inner, 6, &l.before, &l.before, Mode::Delete);
                let _ = writeln!(out, "{} -> null", inner.trim_end_matches('\n'));
            }
            ('-', _) => {
                let _ = writeln!(out, "{prefix}{} -> null{forces}", inline(&l.before));
            }
            ('~', _)
                if l.before.is_array() == l.after.is_array()
                    && (is_collection(&l.before) || is_collection(&l.after))
                    && !contains_unknown(&l.after)
                    && (l.before.is_array() || l.before.is_object()) =>
            {
                let _ = writeln!(
                    out,
                    "{prefix}{}{forces}",
                    if l.after.is_array() { "[" } else { "{" }
                );
                collection_lines(out, 6, &l.before, &l.after, Mode::Update);
            }
            ('~', _) => {
                let _ = writeln!(
                    out,
                    "{prefix}{} -> {}{forces}",
                    inline(&l.before),
                    inline(&l.after)
                );
            }
            _ => {
                let _ = writeln!(out, "{prefix}{}", inline(&l.after));
            }
        }
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "        # ({hidden} unchanged attribute{} hidden)",
            if hidden == 1 { "" } else { "s" }
        );
    }
}

/// The attribute lines of one object change.
fn object_body(
    out: &mut String,
    mode: Mode,
    before: &Value,
    after: &Value,
    sensitive: &[String],
    forces: &[String],
) {
    let mut names: BTreeSet<&String> = BTreeSet::new();
    for v in [before, after] {
        if let Some(m) = v.as_object() {
            names.extend(m.keys());
        }
    }
    let mut lines = Vec::new();
    let mut hidden = 0;
    for name in names {
        let b = before.get(name.as_str()).cloned().unwrap_or(Value::Null);
        let a = after.get(name.as_str()).cloned().unwrap_or(Value::Null);
        let sens = sensitive.contains(name);
        let force = forces.iter().any(|f| {
            f == name || f.starts_with(&format!("{name}.")) || f.starts_with(&format!("{name}["))
        });
        let sign = match mode {
            Mode::Create if a.is_null() => continue,
            Mode::Create => '+',
            Mode::Delete if b.is_null() => continue,
            Mode::Delete => '-',
            Mode::Update if a == b && !is_unknown(&a) => {
                if (name == "id" || name == "name") && !a.is_null() {
                    ' '
                } else {
                    hidden += 1;
                    continue;
                }
            }
            Mode::Update if b.is_null() => '+',
            Mode::Update if a.is_null() => '-',
            Mode::Update => '~',
        };
        lines.push(AttrLine {
            sign,
            name: name.clone(),
            before: b,
            after: a,
            sensitive: sens && !(sign == '+' && is_unknown(&after[name.as_str()])),
            forces: force,
        });
    }
    render_lines(out, &lines, mode, hidden);
}

fn header_symbol(action: Action) -> &'static str {
    match action {
        Action::Create => "  +",
        Action::Update => "  ~",
        Action::DeleteThenCreate => "-/+",
        Action::CreateThenDelete => "+/-",
        Action::Delete => "  -",
        Action::NoOp => "   ",
        Action::Read => " <=",
        Action::Forget => "  .",
    }
}

fn index_reason(change: &ResourceChange) -> Option<String> {
    if change.action == Action::Read {
        return Some(
            if change
                .reason
                .as_deref()
                .is_some_and(|r| r.contains("depends on"))
            {
                "  # (depends on a resource or a module with changes pending)".into()
            } else {
                "  # (config refers to values not yet known)".into()
            },
        );
    }
    match &change.replace_cause {
        Some(ReplaceCause::Requested) => return Some("  # (because -replace names it)".into()),
        Some(ReplaceCause::Triggered(trigger)) => {
            return Some(format!(
                "  # (because {trigger} changes, and replace_triggered_by names it)"
            ));
        }
        None => {}
    }
    let reason = change.reason.as_deref()?;
    if change.deposed.is_some() {
        return None;
    }
    Some(if reason.contains("resource block") {
        format!("  # (because {} is not in configuration)", change.address)
    } else if change.index_key.is_number() {
        format!(
            "  # (because index [{}] is out of range for count)",
            change.index_key
        )
    } else if change.index_key.is_string() {
        format!(
            "  # (because key [{}] is not in for_each map)",
            change.index_key
        )
    } else {
        format!("  # (because {reason})")
    })
}

fn resource_change_text(out: &mut String, change: &ResourceChange) {
    let addr = change.display_address();
    let what = match change.action {
        Action::Create => "will be created",
        Action::Update => "will be updated in-place",
        Action::DeleteThenCreate | Action::CreateThenDelete => match change.replace_cause {
            Some(ReplaceCause::Triggered(_)) => {
                "will be replaced due to changes in replace_triggered_by"
            }
            Some(ReplaceCause::Requested) => "will be replaced, as requested",
            None => "must be replaced",
        },
        Action::Delete => "will be destroyed",
        Action::Read => "will be read during apply",
        Action::Forget => "will no longer be managed by ycprov",
        Action::NoOp if change.previous_address.is_some() || change.importing.is_some() => "",
        Action::NoOp => return,
    };
    if let Some(previous) = &change.previous_address {
        let _ = writeln!(out, "  # {previous} has moved to {addr}");
    }
    if change.action == Action::NoOp {
        if change.importing.is_some() {
            let _ = writeln!(out, "  # {addr} will be imported");
        }
        let _ = writeln!(
            out,
            "    resource \"{}\" \"{}\" {{\n        id = {}\n    }}\n",
            change.type_name,
            change.name,
            change
                .before
                .as_ref()
                .and_then(|b| b.get("id"))
                .map_or("null".to_string(), ToString::to_string)
        );
        return;
    }
    let _ = writeln!(out, "  # {addr} {what}");
    if let Some(id) = &change.importing {
        let _ = writeln!(out, "  # (imported from {})", Value::from(id.as_str()));
    }
    if change.action == Action::Forget {
        let _ = writeln!(
            out,
            "  # (because a removed block names it; the object stays in the cloud)\n  . resource \"{}\" \"{}\" {{\n        id = {}\n    }}\n",
            change.type_name,
            change.name,
            change
                .before
                .as_ref()
                .and_then(|b| b.get("id"))
                .map_or("null".to_string(), ToString::to_string)
        );
        return;
    }
    if let Some(r) = index_reason(change) {
        let _ = writeln!(out, "{r}");
    }
    let _ = writeln!(
        out,
        "{} {} \"{}\" \"{}\" {{",
        header_symbol(change.action),
        if change.mode == "data" {
            "data"
        } else {
            "resource"
        },
        change.type_name,
        change.name
    );
    let null = Value::Null;
    let before = change.before.as_ref().unwrap_or(&null);
    let after = change.after.as_ref().unwrap_or(&null);
    let mut sensitive: Vec<String> = change.before_sensitive.clone();
    sensitive.extend(change.after_sensitive.iter().cloned());
    let mode = match change.action {
        Action::Create => Mode::Create,
        Action::Delete => Mode::Delete,
        _ => Mode::Update,
    };
    object_body(out, mode, before, after, &sensitive, &change.replace_paths);
    let _ = writeln!(out, "    }}\n");
}

fn drift_text(out: &mut String, d: &Drift) {
    let addr = match &d.deposed {
        Some(k) => format!("{} (deposed object {k})", d.address),
        None => d.address.clone(),
    };
    match &d.after {
        Some(after) => {
            let _ = writeln!(out, "  # {addr} has changed");
            let _ = writeln!(out, "  ~ resource \"{}\" \"{}\" {{", d.type_name, d.name);
            object_body(out, Mode::Update, &d.before, after, &d.sensitive, &[]);
        }
        None => {
            let _ = writeln!(out, "  # {addr} has been deleted");
            let _ = writeln!(out, "  - resource \"{}\" \"{}\" {{", d.type_name, d.name);
            object_body(
                out,
                Mode::Delete,
                &d.before,
                &Value::Null,
                &d.sensitive,
                &[],
            );
        }
    }
    let _ = writeln!(out, "    }}\n");
}

fn output_changes_text(out: &mut String, changes: &[OutputChange]) {
    let shown: Vec<&OutputChange> = changes
        .iter()
        .filter(|o| o.action != Action::NoOp)
        .collect();
    if shown.is_empty() {
        return;
    }
    let _ = writeln!(out, "\nChanges to Outputs:");
    let width = shown.iter().map(|o| o.name.len()).max().unwrap_or(0);
    for o in shown {
        let name = format!("{:<width$}", o.name);
        let after = o.after.clone().unwrap_or(Value::Null);
        let before = o.before.clone().unwrap_or(Value::Null);
        let line = match o.action {
            Action::Create => format!("  + {name} = {}", scalar(&after, o.sensitive)),
            Action::Delete => format!("  - {name} = {} -> null", scalar(&before, o.sensitive)),
            _ if o.sensitive => format!("  ~ {name} = {SENSITIVE}"),
            _ => format!("  ~ {name} = {} -> {}", inline(&before), inline(&after)),
        };
        let _ = writeln!(out, "{line}");
    }
}

/// The human refresh-only plan: the changes made outside ycprov, which applying it records.
pub fn refresh_only_text(drift: &[Drift]) -> String {
    let mut out = String::new();
    if drift.is_empty() {
        let _ = writeln!(
            out,
            "\nNo changes. Your infrastructure still matches the configuration.\n"
        );
        return out;
    }
    let _ = writeln!(out, "\nNote: Objects have changed outside of ycprov\n");
    for d in drift {
        drift_text(&mut out, d);
    }
    let _ = writeln!(
        out,
        "This is a refresh-only plan, so ycprov will not take any actions to undo these. If you were expecting these changes, apply it (apply -refresh-only) to record the updated values in the state without changing any remote objects."
    );
    out
}

/// The human plan: drift, actions, the summary line and output changes.
pub fn plan_text(plan: &Plan) -> String {
    let mut out = String::new();
    if !plan.drift.is_empty() {
        let _ = writeln!(out, "\nNote: Objects have changed outside of ycprov\n");
        let _ = writeln!(
            out,
            "ycprov detected the following changes made outside of ycprov since the last \"ycprov apply\" which may have affected this plan:\n"
        );
        for d in &plan.drift {
            drift_text(&mut out, d);
        }
        let _ = writeln!(
            out,
            "Unless you have made equivalent changes to your configuration, or ignored the relevant attributes using ignore_changes, the following plan may include actions to undo or respond to these changes.\n"
        );
        let _ = writeln!(out, "{}", "─".repeat(77));
    }
    if !plan.has_changes() {
        if plan.destroy {
            let _ = writeln!(out, "\nNo changes. No objects need to be destroyed.\n");
            let _ = writeln!(
                out,
                "Either you have not created any objects yet or the existing objects were already deleted outside of ycprov."
            );
        } else {
            let _ = writeln!(
                out,
                "\nNo changes. Your infrastructure matches the configuration.\n"
            );
            let _ = writeln!(
                out,
                "ycprov has compared your real infrastructure against your configuration and found no differences, so no changes are needed."
            );
        }
        return out;
    }
    if plan.has_resource_changes() {
        let used: BTreeSet<&str> = plan
            .changes
            .iter()
            .filter(|c| c.action != Action::NoOp)
            .map(|c| header_symbol(c.action))
            .collect();
        if !used.is_empty() {
            let _ = writeln!(
                out,
                "\nycprov used the selected providers to generate the following execution plan. Resource actions are indicated with the following symbols:"
            );
        }
        for (symbol, text) in [
            ("  +", "create"),
            ("  ~", "update in-place"),
            ("  -", "destroy"),
            ("-/+", "destroy and then create replacement"),
            ("+/-", "create replacement and then destroy"),
            (" <=", "read (data resources)"),
            ("  .", "forget (removed from the state, left in the cloud)"),
        ] {
            if used.contains(symbol) {
                let _ = writeln!(out, "{} {text}", symbol.trim_start().pad_left(3));
            }
        }
        let _ = writeln!(out, "\nycprov will perform the following actions:\n");
        let texts = map_in_runs(cpus(), &plan.changes, CHANGES_PER_RUN, |c| {
            let mut text = String::new();
            resource_change_text(&mut text, c);
            text
        });
        for text in texts {
            out.push_str(&text);
        }
    } else {
        let _ = writeln!(out, "\nChanges to Outputs only; no resource changes.");
    }
    let (add, change, destroy) = plan.counts();
    let imports = match plan.imports() {
        0 => String::new(),
        n => format!("{n} to import, "),
    };
    let forgets = match plan.forgets() {
        0 => String::new(),
        n => format!(" {n} to forget."),
    };
    let _ = writeln!(
        out,
        "Plan: {imports}{add} to add, {change} to change, {destroy} to destroy.{forgets}"
    );
    output_changes_text(&mut out, &plan.outputs);
    out
}

trait PadLeft {
    fn pad_left(&self, width: usize) -> String;
}

impl PadLeft for str {
    fn pad_left(&self, width: usize) -> String {
        format!("{self:>width$}")
    }
}

/// Formats a duration as Terraform does, with tenths below ten seconds: `0.4s`, `12s`, `1m5s`.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 10.0 {
        format!("{:.1}s", secs)
    } else if secs < 60.0 {
        format!("{}s", secs as u64)
    } else {
        format!("{}m{}s", secs as u64 / 60, secs as u64 % 60)
    }
}

/// One progress line of an apply.
pub fn apply_event_line(event: &ApplyEvent) -> String {
    match event {
        ApplyEvent::Started { address, kind, id } => match (kind, id) {
            (OpKind::Create, _) | (_, None) => format!("{address}: {}...", kind.progressive()),
            (_, Some(id)) => format!("{address}: {}... [id={id}]", kind.progressive()),
        },
        ApplyEvent::StillRunning {
            address,
            kind,
            elapsed,
        } => {
            format!(
                "{address}: Still {}... [{} elapsed]",
                kind.progressive().to_lowercase(),
                format_duration(*elapsed)
            )
        }
        ApplyEvent::Completed {
            address,
            kind,
            elapsed,
            id,
        } => {
            let id = match (kind, id) {
                (OpKind::Destroy, _) | (_, None) => String::new(),
                (_, Some(id)) => format!(" [id={id}]"),
            };
            format!(
                "{address}: {} complete after {}{id}",
                kind.noun(),
                format_duration(*elapsed)
            )
        }
        ApplyEvent::Failed {
            address,
            kind,
            elapsed,
        } => {
            format!(
                "{address}: {} failed after {}",
                kind.noun(),
                format_duration(*elapsed)
            )
        }
    }
}

/// The closing line of an apply or destroy.
pub fn apply_summary(destroy: bool, added: usize, changed: usize, destroyed: usize) -> String {
    if destroy {
        format!("Destroy complete! Resources: {destroyed} destroyed.")
    } else {
        format!(
            "Apply complete! Resources: {added} added, {changed} changed, {destroyed} destroyed."
        )
    }
}

/// `name = value` lines of outputs; sensitive values hidden.
pub fn outputs_text(outputs: &std::collections::BTreeMap<String, OutputState>) -> String {
    let mut out = String::new();
    for (name, o) in outputs {
        let _ = writeln!(out, "{name} = {}", scalar(&o.value, o.sensitive));
    }
    out
}

/// `state show` of one object; sensitive values hidden unless `show_sensitive`.
pub fn state_show_text(record: &InstanceState, show_sensitive: bool) -> String {
    let mut out = String::new();
    let addr = match &record.deposed {
        Some(k) => format!("{} (deposed object {k})", record.address),
        None => record.address.clone(),
    };
    let _ = writeln!(out, "# {addr}:");
    if let Some(pending) = &record.pending_create {
        let _ = writeln!(
            out,
            "# (pending create started at {}: the apply that creates it did not record the result;\n#  the values are the planned ones, and the next plan, apply or refresh finds out what exists)",
            pending.started_at
        );
    }
    let _ = writeln!(
        out,
        "{} \"{}\" \"{}\" {{",
        if record.mode == "data" {
            "data"
        } else {
            "resource"
        },
        record.type_name,
        record.name
    );
    let Some(attrs) = record.attributes.as_object() else {
        let _ = writeln!(out, "}}");
        return out;
    };
    let mut names: Vec<&String> = attrs.keys().filter(|k| !attrs[*k].is_null()).collect();
    names.sort();
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
    for name in names {
        let v = &attrs[name];
        let hidden = record.sensitive_attributes.contains(name) && !show_sensitive;
        if hidden {
            let _ = writeln!(out, "    {name:<width$} = {SENSITIVE}");
        } else if is_collection(v) {
            let _ = writeln!(
                out,
                "    {name:<width$} = {}",
                if v.is_array() { "[" } else { "{" }
            );
            match v {
                Value::Array(items) => items
                    .iter()
                    .for_each(|i| _ = writeln!(out, "        {},", inline(i))),
                Value::Object(m) => {
                    let kw = m.keys().map(|k| k.len() + 2).max().unwrap_or(0);
                    for k in sorted_keys(m) {
                        let _ = writeln!(
                            out,
                            "        {:<kw$} = {}",
                            Value::String(k.clone()).to_string(),
                            inline(&m[k])
                        );
                    }
                }
                _ => {}
            }
            let _ = writeln!(out, "    {}", if v.is_array() { "]" } else { "}" });
        } else {
            let _ = writeln!(out, "    {name:<width$} = {}", inline(v));
        }
    }
    let _ = writeln!(out, "}}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(format_duration(Duration::from_millis(400)), "0.4s");
        assert_eq!(format_duration(Duration::from_secs(12)), "12s");
        assert_eq!(format_duration(Duration::from_secs(65)), "1m5s");
    }
}
