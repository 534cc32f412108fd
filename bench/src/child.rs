//! Running the real `ycprov` binary: wall time, exit status, output and the child's own peak
//! memory (`wait4` reports the resource usage of exactly the process it reaps).

use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// The `ycprov` binary to measure: `$YCPROV_BIN`, else `ycprov` next to this program.
pub fn ycprov_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("YCPROV_BIN") {
        let path = PathBuf::from(path);
        return std::fs::canonicalize(&path)
            .with_context(|| format!("YCPROV_BIN: no binary at {}", path.display()));
    }
    let exe = std::env::current_exe().context("locating this program")?;
    let dir = exe.parent().context("this program has no directory")?;
    let candidate = dir.join("ycprov");
    if !candidate.is_file() {
        bail!(
            "no ycprov binary at {} (build it with the same profile, or set YCPROV_BIN)",
            candidate.display()
        );
    }
    Ok(candidate)
}

/// How one run of `ycprov` ended.
#[derive(Debug)]
pub struct Finished {
    /// The exit status.
    pub status: ExitStatus,
    /// From spawn to reaping.
    pub wall: Duration,
    /// The process's peak resident set size, in bytes.
    pub peak_rss_bytes: u64,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Finished {
    /// The exit code (-1 when killed by a signal).
    pub fn code(&self) -> i32 {
        self.status.code().unwrap_or(-1)
    }

    /// Fails with the tail of the output unless the exit code is one of `expected`.
    pub fn expect_code(&self, what: &str, expected: &[i32]) -> Result<&Finished> {
        if expected.contains(&self.code()) {
            return Ok(self);
        }
        bail!(
            "{what} exited with {} (expected {expected:?})\n--- stdout (tail) ---\n{}\n--- stderr (tail) ---\n{}",
            self.status,
            tail(&self.stdout, 40),
            tail(&self.stderr, 40)
        )
    }
}

/// A `ycprov` invocation in a configuration directory against an endpoint.
pub struct Invocation<'a> {
    /// The binary.
    pub binary: &'a Path,
    /// Working directory (the configuration).
    pub dir: &'a Path,
    /// Extra environment (credentials, endpoint, cache directory).
    pub env: Vec<(&'static str, String)>,
}

impl Invocation<'_> {
    /// Runs `ycprov ARGS` to completion and measures it.
    pub fn run(&self, args: &[&str]) -> Result<Finished> {
        let mut command = Command::new(self.binary);
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("YC_") || key.starts_with("TF_VAR_") || key == "RUST_LOG" {
                command.env_remove(key.as_ref());
            }
        }
        command
            .current_dir(self.dir)
            .args(args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let started = Instant::now();
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", self.binary.display()))?;
        let stdout = drain(child.stdout.take());
        let stderr = drain(child.stderr.take());
        let (status, peak_rss_bytes) = reap(&mut child)?;
        let wall = started.elapsed();
        Ok(Finished {
            status,
            wall,
            peak_rss_bytes,
            stdout: joined(stdout),
            stderr: joined(stderr),
        })
    }
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> Option<JoinHandle<String>> {
    pipe.map(|mut pipe| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    })
}

fn joined(handle: Option<JoinHandle<String>>) -> String {
    handle.and_then(|h| h.join().ok()).unwrap_or_default()
}

/// Waits for `child` with `wait4`, returning its status and peak RSS in bytes.
fn reap(child: &mut Child) -> Result<(ExitStatus, u64)> {
    let pid = libc::pid_t::try_from(child.id()).context("child pid out of range")?;
    let mut status: libc::c_int = 0;
    // SAFETY: `rusage` is plain old data; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid pointers to locals; `pid` is our own unreaped child.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error).context("waiting for ycprov");
        }
    }
    // Linux reports ru_maxrss in kibibytes.
    let peak = u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024;
    Ok((ExitStatus::from_raw(status), peak))
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(script: &str) -> Result<Finished> {
        Invocation {
            binary: Path::new("/bin/sh"),
            dir: Path::new("/"),
            env: vec![("BENCH_TEST_VALUE", "42".into())],
        }
        .run(&["-c", script])
    }

    #[test]
    fn a_run_reports_exit_output_and_time() {
        let done = shell("echo out $BENCH_TEST_VALUE; echo err >&2; sleep 0.05; exit 3").unwrap();
        assert_eq!(done.code(), 3);
        assert_eq!(done.stdout, "out 42\n");
        assert_eq!(done.stderr, "err\n");
        assert!(done.wall >= Duration::from_millis(50), "{:?}", done.wall);
        assert!(done.expect_code("sh", &[0]).is_err());
        assert!(done.expect_code("sh", &[3]).is_ok());
    }

    #[test]
    fn peak_rss_is_the_childs_own() {
        let small = shell("true").unwrap();
        let big = shell("x=$(head -c 40000000 /dev/zero | tr '\\0' a); echo ${#x}").unwrap();
        assert_eq!(big.stdout.trim(), "40000000");
        assert!(small.peak_rss_bytes > 0);
        assert!(
            big.peak_rss_bytes > small.peak_rss_bytes + 30_000_000,
            "{} vs {}",
            big.peak_rss_bytes,
            small.peak_rss_bytes
        );
    }
}
