//! `ycprov-bench`: the "Resilience and speed" benchmark.
//!
//! Runs the real `ycprov` binary against an in-process emulator with a set latency — apply
//! from scratch and a no-change plan for N accounts (the median of several runs), again at a
//! realistic latency with jitter, the start-up with a cold and a warm component cache — and
//! the manual procedure through the component for comparison, then prints every result as a
//! ratio measured in this one run, with the targets.
//!
//! ```text
//! ycprov-bench [--sizes 10,100,1000] [--manual-sizes 10,100,1000] [--runs 3]
//!              [--realistic-sizes 100] [--startup-runs 7]
//! ```

mod chains;
mod child;
mod cloud;
mod manual;
mod report;
mod saves;
mod scenarios;
mod table;
mod workload;

use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::cloud::{Cloud, Latency};
use crate::report::{Realistic, Results};
use crate::scenarios::{ApplyRun, Harness, PlanRun, Workspace, median_run};

/// The command line.
#[derive(Debug, PartialEq)]
struct Settings {
    sizes: Vec<usize>,
    manual_sizes: Vec<usize>,
    runs: usize,
    realistic_sizes: Vec<usize>,
    startup_runs: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            sizes: vec![10, 100, 1000],
            manual_sizes: vec![10, 100, 1000],
            runs: 3,
            realistic_sizes: vec![100],
            startup_runs: 7,
        }
    }
}

const USAGE: &str =
    "usage: ycprov-bench [--sizes 10,100,1000] [--manual-sizes 10,100,1000] [--runs 3]
                    [--realistic-sizes 100] [--startup-runs 7]
  --runs: applies (each followed by a plan) per size; the report shows the median.
  The ycprov binary is $YCPROV_BIN, else the `ycprov` next to this program.";

impl Settings {
    fn parse(args: impl IntoIterator<Item = String>) -> Result<Settings> {
        let mut settings = Settings::default();
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let mut value = || {
                args.next()
                    .with_context(|| format!("{flag} needs a value\n{USAGE}"))
            };
            match flag.as_str() {
                "--sizes" => settings.sizes = sizes(&value()?)?,
                "--manual-sizes" => settings.manual_sizes = sizes(&value()?)?,
                "--realistic-sizes" => settings.realistic_sizes = sizes(&value()?)?,
                "--runs" => {
                    settings.runs = value()?.parse().context("--runs needs a number")?;
                }
                "--startup-runs" => {
                    settings.startup_runs =
                        value()?.parse().context("--startup-runs needs a number")?;
                }
                other => bail!("unknown argument `{other}`\n{USAGE}"),
            }
        }
        if settings.startup_runs == 0 || settings.runs == 0 {
            bail!("--startup-runs and --runs must be at least 1");
        }
        Ok(settings)
    }
}

fn sizes(list: &str) -> Result<Vec<usize>> {
    if list.trim().is_empty() {
        return Ok(Vec::new());
    }
    list.split(',')
        .map(|n| {
            n.trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .with_context(|| format!("`{n}` is not a positive number of accounts"))
        })
        .collect()
}

fn main() -> Result<()> {
    if std::env::args().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return Ok(());
    }
    let settings = Settings::parse(std::env::args().skip(1))?;
    let started = Instant::now();
    let binary = child::ycprov_binary()?;
    let cache = tempfile::tempdir().context("creating the component cache directory")?;
    let harness = Harness {
        binary: binary.clone(),
        cache_dir: cache.path().to_path_buf(),
    };

    let small = Workspace::new(10)?;
    {
        let cloud = Cloud::start()?;
        progress("warming the component cache (ycprov validate)");
        harness.warm_cache(&cloud, &small)?;
    }

    let mut applies = Vec::new();
    let mut plans = Vec::new();
    for &n in &settings.sizes {
        let (apply, plan) = median_of_runs(&harness, n, settings.runs, Latency::FAST)?;
        applies.push(apply);
        plans.push(plan);
    }

    let mut manuals = Vec::new();
    for &n in &settings.manual_sizes {
        progress(&format!("N={n}: the manual procedure"));
        let manual = scenarios::manual(n, Latency::FAST)?;
        progress(&format!(
            "N={n}: manual took {:.2} s",
            manual.wall.as_secs_f64()
        ));
        manuals.push(manual);
    }

    let mut realistic = Vec::new();
    for &n in &settings.realistic_sizes {
        let latency = Latency::REALISTIC;
        let (apply, plan) = median_of_runs(&harness, n, settings.runs, latency)?;
        progress(&format!(
            "N={n}, {}: the manual procedure",
            latency.describe()
        ));
        let manual = scenarios::manual(n, latency)?;
        realistic.push(Realistic {
            apply,
            plan,
            manual,
        });
    }
    let manual_skipped = settings
        .sizes
        .iter()
        .filter(|n| !settings.manual_sizes.contains(n))
        .map(|n| (*n, "not requested (--manual-sizes)".to_string()))
        .collect();

    progress("start-up: cold and warm ycprov validate");
    let startup = {
        let cloud = Cloud::start()?;
        harness.startup(&cloud, &small, settings.startup_runs)?
    };

    progress("state saves: S3 bucket and local file");
    let saves = saves::measure(&[100, 1000]);

    let results = Results {
        binary,
        cpus: std::thread::available_parallelism().map_or(1, usize::from),
        applies,
        plans,
        manuals,
        manual_skipped,
        runs: settings.runs,
        realistic,
        startup: Some((small.n, startup)),
        saves,
        total: started.elapsed(),
    };
    print!("{}", report::render(&results));
    Ok(())
}

/// `runs` times against a fresh cloud with `latency`: apply `n` accounts from scratch, then
/// plan with no change; the median apply and the median plan.
fn median_of_runs(
    harness: &Harness,
    n: usize,
    runs: usize,
    latency: Latency,
) -> Result<(ApplyRun, PlanRun)> {
    let mut applies = Vec::new();
    let mut plans = Vec::new();
    for run in 1..=runs {
        let cloud = Cloud::start_with(latency)?;
        let ws = Workspace::new(n)?;
        let label = format!("N={n}, {}, run {run}/{runs}", latency.describe());
        progress(&format!("{label}: ycprov apply"));
        let apply = harness.apply(&cloud, &ws)?;
        progress(&format!(
            "{label}: apply took {:.2} s; ycprov plan",
            apply.run.wall.as_secs_f64()
        ));
        let plan = harness.plan(&cloud, &ws)?;
        progress(&format!(
            "{label}: plan took {:.2} s",
            plan.run.wall.as_secs_f64()
        ));
        applies.push(apply);
        plans.push(plan);
    }
    let apply = median_run(applies, |a| a.run.wall).context("no apply ran")?;
    let plan = median_run(plans, |p| p.run.wall).context("no plan ran")?;
    Ok((apply, plan))
}

fn progress(message: &str) {
    eprintln!("[ycprov-bench] {message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Settings> {
        Settings::parse(args.iter().map(|a| a.to_string()))
    }

    #[test]
    fn command_line() {
        assert_eq!(parse(&[]).unwrap(), Settings::default());
        let settings = parse(&[
            "--sizes",
            "10, 20",
            "--manual-sizes",
            "",
            "--startup-runs",
            "3",
            "--runs",
            "1",
            "--realistic-sizes",
            "",
        ])
        .unwrap();
        assert_eq!(
            settings,
            Settings {
                sizes: vec![10, 20],
                manual_sizes: vec![],
                runs: 1,
                realistic_sizes: vec![],
                startup_runs: 3
            }
        );
        for bad in [
            &["--sizes"][..],
            &["--sizes", "0"],
            &["--sizes", "x"],
            &["--startup-runs", "0"],
            &["--runs", "0"],
            &["--what"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
