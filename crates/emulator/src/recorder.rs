//! The record file: one JSON line per HTTP exchange, for contract checks.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use anyhow::Context;
use serde_json::{Value, json};

/// Appends exchanges to a JSONL file.
pub struct Recorder {
    file: Mutex<File>,
}

/// One HTTP exchange.
pub struct Exchange<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Request path.
    pub path: &'a str,
    /// Raw query string (without `?`), empty if none.
    pub query: &'a str,
    /// The parsed request body, `null` when there was none.
    pub request_body: &'a Value,
    /// HTTP status.
    pub status: u16,
    /// The response body.
    pub response_body: &'a Value,
}

impl Recorder {
    /// Opens (creates or appends to) the record file.
    pub fn open(path: &Path) -> anyhow::Result<Recorder> {
        let mut options = OpenOptions::new();
        options.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options
            .open(path)
            .with_context(|| format!("opening record file {}", path.display()))?;
        Ok(Recorder {
            file: Mutex::new(file),
        })
    }

    /// Appends one exchange as a JSON line with a single write, so that several emulators can
    /// append to one file. Write errors are reported on stderr and otherwise ignored: recording
    /// must not change the API's behaviour.
    pub fn record(&self, exchange: &Exchange<'_>) {
        let line = json!({
            "method": exchange.method,
            "path": exchange.path,
            "query": exchange.query,
            "request_body": exchange.request_body,
            "status": exchange.status,
            "response_body": exchange.response_body,
        });
        let mut bytes = line.to_string().into_bytes();
        bytes.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        let result = file.write_all(&bytes);
        if let Err(err) = result {
            eprintln!("yc-emulator: cannot write record file: {err}");
        }
    }
}
