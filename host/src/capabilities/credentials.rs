//! `credentials`: who the provider acts as — never the secret itself.

use super::HostState;
use crate::bindings::credentials::{Host, Identity};

impl Host for HostState {
    fn current(&mut self) -> wasmtime::Result<Result<Identity, String>> {
        let caps = &self.caps;
        if let Some(failure) = caps.credential.failure() {
            return Ok(Err(format!("credentials: {failure}")));
        }
        Ok(Ok(Identity {
            source: caps.credential.source_name().to_string(),
            subject_id: caps.credential.subject_id(),
            cloud_id: caps.cloud_id.clone(),
            folder_id: caps.folder_id.clone(),
        }))
    }
}
