//! `log`: the provider's log records, forwarded to the host's `tracing` subscriber (a host
//! that may print secrets redacts there).

use super::HostState;
use crate::bindings::log::{Host, Level};

/// The longest message accepted from the guest; longer ones are cut.
const MAX_MESSAGE_CHARS: usize = 4096;

/// How many records one call into the component may write; the rest are dropped.
pub const MAX_RECORDS_PER_CALL: u32 = 1000;

impl Host for HostState {
    fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        self.log_records += 1;
        if self.log_records > MAX_RECORDS_PER_CALL {
            if self.log_records == MAX_RECORDS_PER_CALL + 1 {
                tracing::warn!(target: "provider", "the provider logged more than {MAX_RECORDS_PER_CALL} records in one call; dropping the rest");
            }
            return Ok(());
        }
        let mut message = message;
        if message.len() > MAX_MESSAGE_CHARS {
            let cut = message.floor_char_boundary(MAX_MESSAGE_CHARS);
            message.truncate(cut);
            message.push('…');
        }
        match level {
            Level::Trace => tracing::trace!(target: "provider", "{message}"),
            Level::Debug => tracing::debug!(target: "provider", "{message}"),
            Level::Info => tracing::info!(target: "provider", "{message}"),
            Level::Warn => tracing::warn!(target: "provider", "{message}"),
            Level::Error => tracing::error!(target: "provider", "{message}"),
        }
        Ok(())
    }
}
