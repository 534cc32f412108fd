//! `identity`: who the provider acts as, from the host profile's credentials; never the
//! secret itself.

use super::HostState;
use crate::bindings::identity::{Host, Identity};

impl Host for HostState {
    fn current(&mut self) -> wasmtime::Result<Result<Identity, String>> {
        Ok(self.caps.credentials.identity())
    }
}
