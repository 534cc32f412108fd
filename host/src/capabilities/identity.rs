//! `identity`: who the provider acts as — never the secret itself. The Yandex defaults
//! travel as the attributes `cloud-id` and `folder-id`.

use super::HostState;
use crate::bindings::identity::{Host, Identity};

impl Host for HostState {
    fn current(&mut self) -> wasmtime::Result<Result<Identity, String>> {
        let caps = &self.caps;
        if let Some(failure) = caps.credential.failure() {
            return Ok(Err(format!("credentials: {failure}")));
        }
        let attributes = [("cloud-id", &caps.cloud_id), ("folder-id", &caps.folder_id)]
            .into_iter()
            .filter_map(|(name, value)| value.clone().map(|v| (name.to_string(), v)))
            .collect();
        Ok(Ok(Identity {
            source: caps.credential.source_name().to_string(),
            subject: caps.credential.subject_id(),
            attributes,
        }))
    }
}
