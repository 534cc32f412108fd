//! The printed report: one section per scenario, then the targets with PASS/FAIL.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::PathBuf;
use std::time::Duration;

use crate::cloud::Latency;
use crate::scenarios::{ApplyRun, ManualRun, PARALLELISM, PlanRun, Startup};
use crate::table::Table;

/// The N at which the manual ÷ ycprov target is judged.
pub const SPEEDUP_AT: usize = 100;
/// Manual ÷ ycprov apply at [`SPEEDUP_AT`] must be at least this.
pub const SPEEDUP_TARGET: f64 = 10.0;
/// A cold start (empty component cache) must take at most this long.
pub const COLD_START_TARGET: Duration = Duration::from_millis(50);
/// Cold ÷ warm start must be at most this.
pub const COLD_WARM_TARGET: f64 = 5.0;
/// Apply wall ÷ its lower bound L at the largest N (median of the runs) must be at most this.
pub const APPLY_BOUND_TARGET: f64 = 1.15;
/// No-change plan wall ÷ its lower bound at the largest N must be at most this.
pub const PLAN_BOUND_TARGET: f64 = 1.2;
/// A no-change plan of N accounts makes at most N + this many calls.
pub const PLAN_EXTRA_CALLS: u64 = 5;
/// Peak RSS of the largest apply must be at most this many bytes.
pub const RSS_TARGET_BYTES: u64 = 200_000_000;
/// Deltas per `updateAccessBindings` call and bindings per list page (the API's limits).
const BINDINGS_PER_CALL: u64 = 1000;

/// Everything one benchmark run measured.
pub struct Results {
    /// The measured binary.
    pub binary: PathBuf,
    /// CPUs of this machine.
    pub cpus: usize,
    /// Applies from scratch, by N.
    pub applies: Vec<ApplyRun>,
    /// No-change plans after each apply, by N.
    pub plans: Vec<PlanRun>,
    /// Manual baselines, by N.
    pub manuals: Vec<ManualRun>,
    /// Manual sizes not run, and why.
    pub manual_skipped: Vec<(usize, String)>,
    /// Applies and plans per size whose median is shown.
    pub runs: usize,
    /// The same scenarios at [`Latency::REALISTIC`], by N.
    pub realistic: Vec<Realistic>,
    /// Start-up medians and the N of the configuration validated.
    pub startup: Option<(usize, Startup)>,
    /// What one state save costs, by N (or why it was not measured).
    pub saves: crate::saves::Saves,
    /// The benchmark's own wall time.
    pub total: Duration,
}

/// Apply, plan and the manual way for one N at [`Latency::REALISTIC`].
pub struct Realistic {
    /// The median apply.
    pub apply: ApplyRun,
    /// The median no-change plan.
    pub plan: PlanRun,
    /// The manual baseline.
    pub manual: ManualRun,
}

/// One target: what is required, what was measured, whether it holds (`None`: not measured).
struct Target {
    name: String,
    goal: String,
    measured: String,
    pass: Option<bool>,
}

/// The binary as shown in the report: from its `target` directory on, so no machine path is printed.
fn shown_binary(binary: &std::path::Path) -> String {
    let text = binary.display().to_string();
    match text.rfind("/target/") {
        Some(i) => text[i + 1..].to_string(),
        None => text,
    }
}

/// The whole report.
pub fn render(results: &Results) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "ycprov benchmark — \"Resilience and speed\" (all numbers from this one run)"
    );
    let _ = writeln!(
        out,
        "  emulator in-process, {} latency per request, quotas raised; ycprov -parallelism {PARALLELISM}; {} CPUs",
        Latency::FAST.describe(),
        results.cpus
    );
    let _ = writeln!(
        out,
        "  apply and plan: the median of {} runs (by wall) per N, each against a fresh cloud",
        results.runs
    );
    let _ = writeln!(out, "  binary: {}", shown_binary(&results.binary));
    out.push('\n');
    render_applies(&mut out, results);
    render_manuals(&mut out, results);
    render_plans(&mut out, results);
    render_startup(&mut out, results);
    crate::saves::render(&mut out, &results.saves);
    render_realistic(&mut out, results);
    render_targets(&mut out, &targets(results));
    let _ = writeln!(
        out,
        "\nbenchmark wall time: {:.1} s",
        results.total.as_secs_f64()
    );
    out
}

fn render_applies(out: &mut String, results: &Results) {
    let _ = writeln!(
        out,
        "1. apply -auto-approve from scratch (N accounts = 3N resources)"
    );
    let mut table = Table::new(&[
        "N",
        "wall",
        "API calls",
        "crit. path RT",
        "lower bound L",
        "wall ÷ L",
        "peak RSS",
    ]);
    for apply in &results.applies {
        table.row(vec![
            apply.n.to_string(),
            secs(apply.run.wall),
            apply.calls.total().to_string(),
            apply.critical_path.to_string(),
            secs(apply.lower_bound()),
            ratio2(apply.over_bound()),
            megabytes(apply.run.peak_rss_bytes),
        ]);
    }
    out.push_str(&table.render(3));
    let _ = writeln!(
        out,
        "   L = (critical-path round trips + API calls ÷ {PARALLELISM}) × {}. Critical path = the longest\n   account chain observed in the emulator's record: SA create + its operation polls → role\n   update (updateAccessBindings) + its polls → key create; retries count.",
        Latency::FAST.describe()
    );
    out.push('\n');
    let calls: Vec<_> = results.applies.iter().map(|a| (a.n, &a.calls)).collect();
    out.push_str(&by_endpoint("   API calls by endpoint (apply)", &calls));
    out.push('\n');
}

fn render_manuals(out: &mut String, results: &Results) {
    let _ = writeln!(
        out,
        "2. the manual way: one request at a time through the component's iam export\n   (create-account, waiting for its operation → bind-role → create-key, per account)"
    );
    let mut table = Table::new(&["N", "wall", "API calls", "ycprov apply", "manual ÷ ycprov"]);
    for manual in &results.manuals {
        let apply = results.applies.iter().find(|a| a.n == manual.n);
        table.row(vec![
            manual.n.to_string(),
            secs(manual.wall),
            manual.calls.total().to_string(),
            apply.map(|a| secs(a.run.wall)).unwrap_or_default(),
            apply
                .map(|a| ratio(manual.wall.as_secs_f64() / a.run.wall.as_secs_f64()))
                .unwrap_or_else(|| "-".into()),
        ]);
    }
    for (n, why) in &results.manual_skipped {
        table.row(vec![n.to_string(), format!("skipped: {why}")]);
    }
    out.push_str(&table.render(3));
    let _ = writeln!(
        out,
        "   (manual wall = the requests only; loading the component is not counted. ycprov apply\n   wall = the whole process: start-up, plan, apply, state writes.)"
    );
    out.push('\n');
    let calls: Vec<_> = results.manuals.iter().map(|m| (m.n, &m.calls)).collect();
    out.push_str(&by_endpoint("   API calls by endpoint (manual)", &calls));
    out.push('\n');
}

fn render_plans(out: &mut String, results: &Results) {
    let _ = writeln!(
        out,
        "3. plan -detailed-exitcode right after the apply (no changes; exit code 0)"
    );
    let mut table = Table::new(&[
        "N",
        "wall",
        "API calls",
        "calls ÷ resource",
        "crit. path RT",
        "lower bound",
        "wall ÷ bound",
        "folder bindings",
        "peak RSS",
    ]);
    for plan in &results.plans {
        table.row(vec![
            plan.n.to_string(),
            secs(plan.run.wall),
            plan.calls.total().to_string(),
            format!(
                "{:.2}",
                plan.calls.total() as f64 / (3 * plan.n).max(1) as f64
            ),
            plan.critical_path.to_string(),
            secs(plan.lower_bound()),
            ratio2(plan.over_bound()),
            plan.folder_bindings.to_string(),
            megabytes(plan.run.peak_rss_bytes),
        ]);
    }
    out.push_str(&table.render(3));
    let _ = writeln!(
        out,
        "   lower bound = (critical path + API calls ÷ {PARALLELISM}) × {}. Critical path = the pages of the\n   longest list, which follow one another (1 when nothing is paged).",
        Latency::FAST.describe()
    );
    out.push('\n');
    let calls: Vec<_> = results.plans.iter().map(|p| (p.n, &p.calls)).collect();
    out.push_str(&by_endpoint("   API calls by endpoint (plan)", &calls));
    out.push('\n');
}

fn render_startup(out: &mut String, results: &Results) {
    let Some((n, startup)) = &results.startup else {
        return;
    };
    let _ = writeln!(
        out,
        "4. start-up: `ycprov validate` of the N={n} configuration, median of {} runs each",
        startup.runs
    );
    let mut table = Table::new(&["", "median wall"]);
    table.row(vec![
        "cold (empty YCPROV_CACHE_DIR: the component precompiled at build time)".into(),
        millis(startup.cold),
    ]);
    table.row(vec![
        "warm (the same, cache directory filled)".into(),
        millis(startup.warm),
    ]);
    table.row(vec![
        "cold ÷ warm".into(),
        ratio2(startup.cold.as_secs_f64() / startup.warm.as_secs_f64()),
    ]);
    out.push_str(&table.render(3));
    out.push('\n');
}

fn render_realistic(out: &mut String, results: &Results) {
    if results.realistic.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n6. at a realistic latency: {} per request (uniform), the same scenarios",
        Latency::REALISTIC.describe()
    );
    let mut table = Table::new(&[
        "N",
        "apply",
        "L",
        "apply ÷ L",
        "plan",
        "plan bound",
        "plan ÷ bound",
        "manual",
        "manual ÷ ycprov",
    ]);
    for row in &results.realistic {
        table.row(vec![
            row.apply.n.to_string(),
            secs(row.apply.run.wall),
            secs(row.apply.lower_bound()),
            ratio2(row.apply.over_bound()),
            secs(row.plan.run.wall),
            secs(row.plan.lower_bound()),
            ratio2(row.plan.over_bound()),
            secs(row.manual.wall),
            ratio(row.manual.wall.as_secs_f64() / row.apply.run.wall.as_secs_f64()),
        ]);
    }
    out.push_str(&table.render(3));
    let _ = writeln!(
        out,
        "   Bounds as above, with the mean latency ({} ms).",
        Latency::REALISTIC.mean_ms()
    );
}

fn render_targets(out: &mut String, targets: &[Target]) {
    let _ = writeln!(out, "\n7. targets");
    let mut table = Table::new(&["target", "goal", "measured", "result"]);
    for target in targets {
        table.row(vec![
            target.name.clone(),
            target.goal.clone(),
            target.measured.clone(),
            match target.pass {
                Some(true) => "PASS".into(),
                Some(false) => "FAIL".into(),
                None => "not measured".into(),
            },
        ]);
    }
    out.push_str(&table.render(3));
}

/// The target: a no-change plan lists a folder's bindings in at most this many calls.
const PLAN_LIST_TARGET: u64 = 5;

fn targets(results: &Results) -> Vec<Target> {
    let mut targets = Vec::new();
    let apply_at = results.applies.iter().find(|a| a.n == SPEEDUP_AT);
    let manual_at = results.manuals.iter().find(|m| m.n == SPEEDUP_AT);
    let speedup = apply_at
        .zip(manual_at)
        .map(|(a, m)| m.wall.as_secs_f64() / a.run.wall.as_secs_f64());
    targets.push(Target {
        name: format!("manual ÷ ycprov apply, N={SPEEDUP_AT}"),
        goal: format!("≥ {SPEEDUP_TARGET}×"),
        measured: speedup.map(ratio).unwrap_or_else(|| "-".into()),
        pass: speedup.map(|s| s >= SPEEDUP_TARGET),
    });

    let startup = results.startup.as_ref().map(|(_, s)| s);
    targets.push(Target {
        name: "cold start (ycprov validate, empty component cache)".into(),
        goal: format!("≤ {}", millis(COLD_START_TARGET)),
        measured: startup
            .map(|s| millis(s.cold))
            .unwrap_or_else(|| "-".into()),
        pass: startup.map(|s| s.cold <= COLD_START_TARGET),
    });
    let cold_warm = startup.map(|s| s.cold.as_secs_f64() / s.warm.as_secs_f64());
    targets.push(Target {
        name: "cold ÷ warm start (ycprov validate)".into(),
        goal: format!("≤ {COLD_WARM_TARGET}×"),
        measured: cold_warm.map(ratio).unwrap_or_else(|| "-".into()),
        pass: cold_warm.map(|r| r <= COLD_WARM_TARGET),
    });

    let largest = results.applies.iter().max_by_key(|a| a.n);
    if let Some(apply) = largest {
        targets.push(Target {
            name: format!(
                "apply wall ÷ lower bound L, N={} (median of {})",
                apply.n, results.runs
            ),
            goal: format!("≤ {APPLY_BOUND_TARGET:.2}×"),
            measured: ratio2(apply.over_bound()),
            pass: Some(apply.over_bound() <= APPLY_BOUND_TARGET),
        });
    }
    if let Some(plan) = results.plans.iter().max_by_key(|p| p.n) {
        targets.push(Target {
            name: format!("no-change plan wall ÷ its lower bound, N={}", plan.n),
            goal: format!("≤ {PLAN_BOUND_TARGET:.2}"),
            measured: format!("{:.2}", plan.over_bound()),
            pass: Some(plan.over_bound() <= PLAN_BOUND_TARGET),
        });
        let most = plan.n as u64 + PLAN_EXTRA_CALLS;
        targets.push(Target {
            name: format!("no-change plan API calls, N={}", plan.n),
            goal: format!("≤ N + {PLAN_EXTRA_CALLS} = {most}"),
            measured: plan.calls.total().to_string(),
            pass: Some(plan.calls.total() <= most),
        });
    }
    for row in &results.realistic {
        let at = format!("N={}, {}", row.apply.n, Latency::REALISTIC.describe());
        targets.push(Target {
            name: format!("apply wall ÷ L, {at}"),
            goal: format!("≤ {APPLY_BOUND_TARGET:.2}×"),
            measured: ratio2(row.apply.over_bound()),
            pass: Some(row.apply.over_bound() <= APPLY_BOUND_TARGET),
        });
        targets.push(Target {
            name: format!("plan wall ÷ its lower bound, {at}"),
            goal: format!("≤ {PLAN_BOUND_TARGET:.2}"),
            measured: format!("{:.2}", row.plan.over_bound()),
            pass: Some(row.plan.over_bound() <= PLAN_BOUND_TARGET),
        });
        let speedup = row.manual.wall.as_secs_f64() / row.apply.run.wall.as_secs_f64();
        targets.push(Target {
            name: format!("manual ÷ ycprov apply, {at}"),
            goal: format!("≥ {SPEEDUP_TARGET}×"),
            measured: ratio(speedup),
            pass: Some(speedup >= SPEEDUP_TARGET),
        });
    }
    targets.push(Target {
        name: format!(
            "peak RSS of ycprov, apply N={}",
            largest.map(|a| a.n).unwrap_or(0)
        ),
        goal: format!("≤ {}", megabytes(RSS_TARGET_BYTES)),
        measured: largest
            .map(|a| megabytes(a.run.peak_rss_bytes))
            .unwrap_or_else(|| "-".into()),
        pass: largest.map(|a| a.run.peak_rss_bytes <= RSS_TARGET_BYTES),
    });

    if let Some(apply) = largest {
        let updates = apply.calls.matching(":updateAccessBindings");
        let most = (apply.n as u64).div_ceil(BINDINGS_PER_CALL);
        targets.push(Target {
            name: format!(
                "design: apply batches role deltas (≤1000 per call), N={}",
                apply.n
            ),
            goal: format!("≤ {most} updateAccessBindings"),
            measured: updates.to_string(),
            pass: Some(updates <= most),
        });
    }
    if let Some(plan) = results.plans.iter().max_by_key(|p| p.n) {
        let lists = plan.calls.matching(":listAccessBindings");
        let pages = (plan.folder_bindings as u64)
            .div_ceil(BINDINGS_PER_CALL)
            .max(1);
        targets.push(Target {
            name: format!(
                "design: plan lists folder bindings once (paged), N={}",
                plan.n
            ),
            goal: format!("≤ {} listAccessBindings", pages.max(PLAN_LIST_TARGET)),
            measured: lists.to_string(),
            pass: Some(lists <= pages.max(PLAN_LIST_TARGET)),
        });
    }
    targets
}

/// A table of calls by endpoint, one column per N.
fn by_endpoint(title: &str, columns: &[(usize, &crate::cloud::Calls)]) -> String {
    if columns.is_empty() {
        return String::new();
    }
    let endpoints: BTreeSet<&String> = columns
        .iter()
        .flat_map(|(_, calls)| calls.by_endpoint.keys())
        .collect();
    let headers: Vec<String> = std::iter::once(title.trim().to_string())
        .chain(columns.iter().map(|(n, _)| format!("N={n}")))
        .collect();
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut table = Table::new(&header_refs);
    for endpoint in endpoints {
        let mut row = vec![endpoint.clone()];
        row.extend(
            columns
                .iter()
                .map(|(_, calls)| calls.count(endpoint).to_string()),
        );
        table.row(row);
    }
    let mut total = vec!["total".to_string()];
    total.extend(columns.iter().map(|(_, calls)| calls.total().to_string()));
    table.row(total);
    let indent = title.len() - title.trim_start().len();
    table.render(indent)
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn millis(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// A ratio with two decimals, for targets close to 1.
fn ratio2(r: f64) -> String {
    if r.is_finite() {
        format!("{r:.2}×")
    } else {
        "-".into()
    }
}

fn ratio(r: f64) -> String {
    if r.is_finite() {
        format!("{r:.1}×")
    } else {
        "-".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_format_plainly() {
        assert_eq!(secs(Duration::from_millis(1234)), "1.23 s");
        assert_eq!(millis(Duration::from_micros(12_345)), "12.3 ms");
        assert_eq!(megabytes(85_200_000), "85.2 MB");
        assert_eq!(ratio(12.34), "12.3×");
        assert_eq!(ratio(f64::INFINITY), "-");
        assert_eq!(ratio2(1.149), "1.15×");
    }

    #[test]
    fn targets_without_measurements_are_not_judged() {
        let results = Results {
            binary: PathBuf::from("ycprov"),
            cpus: 2,
            applies: Vec::new(),
            plans: Vec::new(),
            manuals: Vec::new(),
            manual_skipped: Vec::new(),
            runs: 3,
            realistic: Vec::new(),
            startup: None,
            saves: Err("not measured".into()),
            total: Duration::ZERO,
        };
        let targets = targets(&results);
        assert_eq!(targets.len(), 4);
        assert!(targets.iter().all(|t| t.pass.is_none()));
        let text = render(&results);
        assert!(text.contains("not measured"), "{text}");
    }
}
