//! The manual baseline: the documented procedure, one request at a time — create the account
//! (waiting for its Operation), grant the role, create the key — driven in-process through the
//! same provider component with its `iam` export, as `ycprov demo` does.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use ycprov::bindings::iam::{AccountSpec, KeySpec, Subject};
use ycprov::imperative::call_iam;
use ycprov::runner::{Policy, Runtime};
use ycprov::yandex::credentials::Credential;

use crate::cloud::Cloud;
use crate::workload::{self, ROLE, SCOPE};

/// Loads the embedded provider component with the emulator as its endpoint and the seeded
/// admin as its credential.
pub fn runtime_for(cloud: &Cloud) -> Result<Runtime> {
    let policy = Policy::new(&ycprov::yandex::ORIGINS, Some(&cloud.emulator.base_url()))?;
    let credential =
        Credential::from_sources(Some(cloud.emulator.seed().admin_token.clone()), None);
    let caps = ycprov::yandex::capabilities_for(policy, credential, None, None);
    ycprov::yandex::runtime(None, caps).context("loading the component")
}

/// Sets up `n` accounts sequentially and returns the time the requests took (the component
/// is loaded before the clock starts).
pub fn provision_sequentially(runtime: &Runtime, folder_id: &str, n: usize) -> Result<Duration> {
    let started = Instant::now();
    for i in 0..n {
        provision_one(runtime, folder_id, &workload::account_name(i))?;
    }
    Ok(started.elapsed())
}

fn provision_one(runtime: &Runtime, folder_id: &str, name: &str) -> Result<()> {
    let spec = AccountSpec {
        folder_id: folder_id.to_string(),
        name: name.to_string(),
        description: Some("ycprov-bench account".into()),
        labels: Vec::new(),
    };
    let account = call_iam(runtime, "creating the service account", |s, iam| {
        iam.call_create_account(s, &spec)
    })?;
    let subject = Subject {
        kind: "serviceAccount".into(),
        id: account.id.clone(),
    };
    call_iam(runtime, "binding the role", |s, iam| {
        iam.call_bind_role(s, folder_id, ROLE, &subject)
    })?;
    let spec = KeySpec {
        service_account_id: account.id,
        description: Some("ycprov-bench key".into()),
        scopes: vec![SCOPE.to_string()],
        expires_at: None,
    };
    call_iam(runtime, "creating the API key", |s, iam| {
        iam.call_create_key(s, &spec)
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequential_setup_creates_every_account_role_and_key() {
        let cloud = Cloud::start().unwrap();
        let runtime = runtime_for(&cloud).unwrap();
        let mark = cloud.mark().unwrap();
        let elapsed = provision_sequentially(&runtime, cloud.folder_id(), 3).unwrap();
        let snapshot = cloud.emulator.snapshot();
        assert_eq!(snapshot.service_accounts.len(), 3);
        assert_eq!(snapshot.api_keys.len(), 3);
        let granted = snapshot.folder_bindings[cloud.folder_id()]
            .iter()
            .filter(|b| b.role_id == ROLE)
            .count();
        assert_eq!(granted, 3);
        let calls = cloud.calls_since(&mark);
        assert!(calls.total() >= 9, "{calls:?}");
        let floor = Duration::from_millis(crate::cloud::Latency::FAST.fixed_ms * calls.total());
        assert!(elapsed >= floor, "{elapsed:?} < {floor:?}");
    }
}
