//! The process's log: `tracing` records (and `log` records of dependencies) written to
//! stderr, filtered by `--log`/`RUST_LOG`, and made safe to paste into a bug report.
//!
//! Safe at every level: the HTTP library's wire dump (`ureq_proto` at trace, a hex and
//! text copy of every byte sent and received, headers and bodies included) is dropped
//! whatever the filter says, other dependencies are held to `debug`, and every line
//! passes through [`crate::redact::scrub`] before it is written.

use std::io::{self, Write};

use tracing::Level;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::{FilterExt, filter_fn};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Targets whose records may carry request or response bytes: never written.
const WIRE_TARGETS: [&str; 2] = ["ureq_proto", "ureq::unversioned::transport"];

/// Targets written at every level the filter allows (ycprov's own and the provider's).
const OWN_TARGETS: [&str; 4] = ["ycprov", "provider", "yc_emulator", "ycprov_engine"];

/// Installs the log for the process: `filter` (else `RUST_LOG`, else `warn`).
pub fn init(filter: Option<&str>) {
    let filter = filter
        .map(str::to_string)
        .or_else(|| std::env::var("RUST_LOG").ok())
        .unwrap_or_else(|| "warn".to_string());
    let user = EnvFilter::try_new(&filter).unwrap_or_else(|e| {
        eprintln!("warning: ignoring the log filter {filter:?}: {e}");
        EnvFilter::new("warn")
    });
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(RedactingStderr)
        .with_target(true)
        .with_ansi(false)
        .with_filter(user.and(filter_fn(|meta| allowed(meta.target(), *meta.level()))));
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

/// Whether a record of `target` at `level` may be written at all.
pub fn allowed(target: &str, level: Level) -> bool {
    let root = target.split("::").next().unwrap_or(target);
    if WIRE_TARGETS
        .iter()
        .any(|wire| target == *wire || target.starts_with(&format!("{wire}::")) || root == *wire)
    {
        return false;
    }
    OWN_TARGETS.contains(&root) || LevelFilter::DEBUG >= level
}

/// Writes each log line to stderr after [`crate::redact::scrub`].
struct RedactingStderr;

/// One record, collected whole so it is scrubbed as one text.
struct RedactingLine(Vec<u8>);

impl<'a> MakeWriter<'a> for RedactingStderr {
    type Writer = RedactingLine;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingLine(Vec::with_capacity(256))
    }
}

impl Write for RedactingLine {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for RedactingLine {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.0);
        let _ = io::stderr()
            .lock()
            .write_all(crate::redact::scrub(&text).as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_dumps_are_dropped_and_dependencies_held_to_debug() {
        let cases = [
            ("ureq_proto::util", Level::TRACE, false),
            ("ureq_proto", Level::ERROR, false),
            ("ureq::unversioned::transport::tcp", Level::DEBUG, false),
            ("ureq::pool", Level::DEBUG, true),
            ("ureq::pool", Level::TRACE, false),
            ("cranelift_codegen", Level::TRACE, false),
            ("ycprov::http", Level::TRACE, true),
            ("provider", Level::TRACE, true),
            ("ycprov_engine::apply", Level::TRACE, true),
        ];
        for (target, level, want) in cases {
            assert_eq!(allowed(target, level), want, "{target} at {level}");
        }
    }
}
