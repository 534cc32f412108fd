//! The measured scenarios: apply from scratch, a no-change plan, the manual baseline and the
//! start-up of the binary.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::chains::{Chains, longest_paged_read};
use crate::child::{Finished, Invocation};
use crate::cloud::{Calls, Cloud, Latency};
use crate::manual;
use crate::workload::{self, ROLE};

/// `-parallelism` of every apply and plan.
pub const PARALLELISM: u64 = 10;

/// A configuration directory for `n` accounts, used against one cloud.
pub struct Workspace {
    /// Number of accounts.
    pub n: usize,
    dir: tempfile::TempDir,
}

impl Workspace {
    /// Writes the configuration for `n` accounts into a fresh directory.
    pub fn new(n: usize) -> Result<Workspace> {
        let dir = tempfile::tempdir().context("creating a configuration directory")?;
        workload::write_config(dir.path(), n)?;
        Ok(Workspace { n, dir })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// What every `ycprov` run of the benchmark shares.
pub struct Harness {
    /// The `ycprov` binary.
    pub binary: PathBuf,
    /// The compiled-component cache of the apply and plan runs (warmed before measuring).
    pub cache_dir: PathBuf,
}

impl Harness {
    fn invocation<'a>(&'a self, ws: &'a Workspace, cloud: &Cloud, cache: &Path) -> Invocation<'a> {
        Invocation {
            binary: &self.binary,
            dir: ws.path(),
            env: vec![
                ("YC_ENDPOINT", cloud.emulator.base_url()),
                ("YC_IAM_TOKEN", cloud.emulator.seed().admin_token.clone()),
                ("YC_FOLDER_ID", cloud.folder_id().to_string()),
                ("YCPROV_CACHE_DIR", cache.display().to_string()),
            ],
        }
    }

    /// Runs `ycprov validate` once so that the measured runs load the compiled component.
    pub fn warm_cache(&self, cloud: &Cloud, ws: &Workspace) -> Result<()> {
        self.invocation(ws, cloud, &self.cache_dir)
            .run(&["validate"])?
            .expect_code("ycprov validate (warming the cache)", &[0])?;
        Ok(())
    }

    /// `ycprov apply -auto-approve -parallelism 10` of `ws` against a fresh `cloud`.
    pub fn apply(&self, cloud: &Cloud, ws: &Workspace) -> Result<ApplyRun> {
        let mark = cloud.mark()?;
        let parallelism = PARALLELISM.to_string();
        let run = self.invocation(ws, cloud, &self.cache_dir).run(&[
            "apply",
            "-auto-approve",
            "-parallelism",
            &parallelism,
        ])?;
        run.expect_code(&format!("ycprov apply (N={})", ws.n), &[0])?;
        let calls = cloud.calls_since(&mark);
        let chains = Chains::from_exchanges(&cloud.exchanges_since(&mark)?)?;
        check_provisioned(cloud, ws.n)?;
        if chains.len() != ws.n {
            bail!(
                "the record shows {} account chains for N={}",
                chains.len(),
                ws.n
            );
        }
        Ok(ApplyRun {
            n: ws.n,
            run,
            calls,
            critical_path: chains.critical_path(),
            latency: cloud.latency,
        })
    }

    /// `ycprov plan -detailed-exitcode -parallelism 10` of an applied `ws`: must show no change.
    pub fn plan(&self, cloud: &Cloud, ws: &Workspace) -> Result<PlanRun> {
        let mark = cloud.mark()?;
        let parallelism = PARALLELISM.to_string();
        let run = self.invocation(ws, cloud, &self.cache_dir).run(&[
            "plan",
            "-detailed-exitcode",
            "-parallelism",
            &parallelism,
        ])?;
        run.expect_code(
            &format!("ycprov plan after apply (N={}; 2 = changes found)", ws.n),
            &[0],
        )?;
        let folder_bindings = cloud
            .emulator
            .snapshot()
            .folder_bindings
            .get(cloud.folder_id())
            .map_or(0, Vec::len);
        Ok(PlanRun {
            n: ws.n,
            run,
            calls: cloud.calls_since(&mark),
            critical_path: longest_paged_read(&cloud.exchanges_since(&mark)?)?,
            folder_bindings,
            latency: cloud.latency,
        })
    }

    /// `ycprov validate` of `ws`, `runs` times with an empty cache each and `runs` times with a
    /// warm one; the medians.
    pub fn startup(&self, cloud: &Cloud, ws: &Workspace, runs: usize) -> Result<Startup> {
        let mut cold = Vec::new();
        for _ in 0..runs {
            let empty = tempfile::tempdir().context("creating an empty cache directory")?;
            let run = self
                .invocation(ws, cloud, empty.path())
                .run(&["validate"])?;
            run.expect_code("ycprov validate (cold)", &[0])?;
            cold.push(run.wall);
        }
        let cache = tempfile::tempdir().context("creating a cache directory")?;
        self.invocation(ws, cloud, cache.path())
            .run(&["validate"])?
            .expect_code("ycprov validate (warming the cache)", &[0])?;
        let mut warm = Vec::new();
        for _ in 0..runs {
            let run = self
                .invocation(ws, cloud, cache.path())
                .run(&["validate"])?;
            run.expect_code("ycprov validate (warm)", &[0])?;
            warm.push(run.wall);
        }
        Ok(Startup {
            runs,
            cold: median(cold),
            warm: median(warm),
        })
    }
}

/// The manual baseline for `n` accounts against a fresh cloud with `latency`.
pub fn manual(n: usize, latency: Latency) -> Result<ManualRun> {
    let cloud = Cloud::start_with(latency)?;
    let runtime = manual::runtime_for(&cloud)?;
    let mark = cloud.mark()?;
    let wall = manual::provision_sequentially(&runtime, cloud.folder_id(), n)
        .with_context(|| format!("the manual procedure for N={n}"))?;
    check_provisioned(&cloud, n)?;
    Ok(ManualRun {
        n,
        wall,
        calls: cloud.calls_since(&mark),
    })
}

/// The cloud holds exactly `n` accounts, `n` keys and `n` grants of the role.
fn check_provisioned(cloud: &Cloud, n: usize) -> Result<()> {
    let snapshot = cloud.emulator.snapshot();
    let granted = snapshot
        .folder_bindings
        .get(cloud.folder_id())
        .map(|bindings| bindings.iter().filter(|b| b.role_id == ROLE).count())
        .unwrap_or(0);
    let found = (
        snapshot.service_accounts.len(),
        granted,
        snapshot.api_keys.len(),
    );
    if found != (n, n, n) {
        bail!(
            "expected {n} accounts, grants and keys; the cloud holds {} accounts, {} grants, {} keys",
            found.0,
            found.1,
            found.2
        );
    }
    Ok(())
}

/// The run of `runs` whose `wall` is the median (the upper one of an even count).
pub fn median_run<T>(mut runs: Vec<T>, wall: impl Fn(&T) -> Duration) -> Option<T> {
    runs.sort_by_key(|run| wall(run));
    let middle = runs.len() / 2;
    runs.into_iter().nth(middle)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// One measured apply.
pub struct ApplyRun {
    /// Accounts.
    pub n: usize,
    /// The process run.
    pub run: Finished,
    /// Requests by endpoint.
    pub calls: Calls,
    /// Round trips of the longest account chain.
    pub critical_path: u64,
    /// The emulator's latency.
    pub latency: Latency,
}

impl ApplyRun {
    /// L = (critical-path round trips + calls ÷ parallelism) × mean latency.
    pub fn lower_bound(&self) -> Duration {
        lower_bound(self.critical_path, &self.calls, self.latency)
    }

    /// Wall ÷ L.
    pub fn over_bound(&self) -> f64 {
        self.run.wall.as_secs_f64() / self.lower_bound().as_secs_f64()
    }
}

/// (critical-path round trips + calls ÷ parallelism) × mean latency: the time no client
/// with [`PARALLELISM`] requests in flight can beat.
fn lower_bound(critical_path: u64, calls: &Calls, latency: Latency) -> Duration {
    let round_trips = critical_path as f64 + calls.total() as f64 / PARALLELISM as f64;
    Duration::from_secs_f64(round_trips * latency.mean_ms() / 1000.0)
}

/// One measured no-change plan.
pub struct PlanRun {
    /// Accounts.
    pub n: usize,
    /// The process run.
    pub run: Finished,
    /// Requests by endpoint.
    pub calls: Calls,
    /// Requests that had to follow one another: the pages of the longest list.
    pub critical_path: u64,
    /// Bindings on the folder (all roles) while planning.
    pub folder_bindings: usize,
    /// The emulator's latency.
    pub latency: Latency,
}

impl PlanRun {
    /// (critical path + calls ÷ parallelism) × mean latency.
    pub fn lower_bound(&self) -> Duration {
        lower_bound(self.critical_path, &self.calls, self.latency)
    }

    /// Wall ÷ its lower bound.
    pub fn over_bound(&self) -> f64 {
        self.run.wall.as_secs_f64() / self.lower_bound().as_secs_f64()
    }
}

/// One measured manual setup.
pub struct ManualRun {
    /// Accounts.
    pub n: usize,
    /// Time of the requests.
    pub wall: Duration,
    /// Requests by endpoint.
    pub calls: Calls,
}

/// Start-up medians.
pub struct Startup {
    /// Runs of each kind.
    pub runs: usize,
    /// Median with an empty cache (the component is compiled).
    pub cold: Duration,
    /// Median with the cache warm.
    pub warm: Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_takes_the_middle_value() {
        let ms = Duration::from_millis;
        assert_eq!(median(vec![ms(5), ms(1), ms(3)]), ms(3));
        assert_eq!(median(vec![ms(4), ms(1)]), ms(4));
        assert_eq!(median(Vec::new()), Duration::ZERO);
    }

    #[test]
    fn the_median_run_is_the_middle_one_by_wall() {
        let ms = Duration::from_millis;
        let runs = vec![("b", ms(5)), ("a", ms(1)), ("c", ms(9))];
        assert_eq!(median_run(runs, |r| r.1), Some(("b", ms(5))));
        assert_eq!(median_run(Vec::<Duration>::new(), |r| *r), None);
    }

    #[test]
    fn the_bound_counts_the_critical_path_and_the_calls_in_flight() {
        let calls = Calls {
            by_endpoint: [("GET /a".to_string(), 100)].into(),
        };
        let bound = lower_bound(2, &calls, Latency::FAST);
        assert_eq!(bound, Duration::from_millis((2 + 100 / PARALLELISM) * 20));
        let realistic = lower_bound(2, &calls, Latency::REALISTIC);
        assert_eq!(
            realistic,
            Duration::from_millis((2 + 100 / PARALLELISM) * 80)
        );
    }

    #[test]
    fn a_fresh_cloud_is_not_provisioned() {
        let cloud = Cloud::start().unwrap();
        assert!(check_provisioned(&cloud, 0).is_ok());
        let error = check_provisioned(&cloud, 2).unwrap_err().to_string();
        assert!(error.contains("0 accounts"), "{error}");
    }
}
