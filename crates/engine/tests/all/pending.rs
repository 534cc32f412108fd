//! Pending creates: the engine records a create before it asks the provider, and a run
//! that lost the result (the process died, the provider trapped) is resolved by the
//! next run through the provider's `read` with the `$pending_create` marker.

use std::path::PathBuf;
use std::sync::Mutex;

use serde_json::{Value, json};
use ycprov_engine::commands::{self, Options};
use ycprov_engine::provider::{Applied, Diagnostic, Imported, PlannedChange, Provider, ReadResult};

use super::*;

/// The fake cloud behind a provider that can lose create results (the object is made,
/// then the call fails as if the process had died) and that resolves pending creates
/// the way the real provider does: accounts by name, keys revoked, members read.
struct Interrupting<'a> {
    cloud: &'a FakeProvider,
    state_path: PathBuf,
    /// Creates whose planned JSON contains one of these lose their result (each once).
    lose: Mutex<Vec<String>>,
    /// Creates that found their pending record on disk before they ran.
    recorded_first: Mutex<usize>,
    /// Creates in all.
    creates: Mutex<usize>,
    /// The markers `read` received.
    markers: Mutex<Vec<Value>>,
}

impl<'a> Interrupting<'a> {
    fn new(ws: &'a Workspace, lose: &[&str]) -> Self {
        Interrupting {
            cloud: &ws.provider,
            state_path: ws.path("terraform.tfstate"),
            lose: Mutex::new(lose.iter().map(|s| s.to_string()).collect()),
            recorded_first: Mutex::new(0),
            creates: Mutex::new(0),
            markers: Mutex::new(Vec::new()),
        }
    }

    fn pending_on_disk(&self, planned: &Value) -> bool {
        let loaded = ycprov_engine::state_file::StateFile::new(&self.state_path)
            .load()
            .expect("the state (file and journal) loads");
        let Some(state) = loaded else {
            return false;
        };
        let state = serde_json::to_value(state).unwrap();
        let planned = ycprov_engine::value::unknowns_to_null(planned);
        state["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r["pending_create"]["started_at"].is_string() && r["attributes"] == planned)
    }

    fn resolve(&self, type_name: &str, state: &Value, marker: &Value) -> ReadResult {
        let known: Vec<&str> = marker["known_ids"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let unknown_to_state = |object: &&Value| !known.contains(&object["id"].as_str().unwrap());
        match type_name {
            SA => {
                let found = self
                    .cloud
                    .objects(SA)
                    .into_iter()
                    .filter(|o| o["name"] == state["name"])
                    .find(|o| unknown_to_state(&o));
                let diagnostics = found
                    .iter()
                    .map(|_| Diagnostic::warning("Service account adopted", ""))
                    .collect();
                ReadResult {
                    state: found,
                    diagnostics,
                }
            }
            KEY => {
                let orphans: Vec<Value> = self
                    .cloud
                    .objects(KEY)
                    .into_iter()
                    .filter(|o| {
                        o["service_account_id"] == state["service_account_id"]
                            && o["description"] == state["description"]
                    })
                    .filter(|o| unknown_to_state(&o))
                    .collect();
                for orphan in &orphans {
                    self.cloud
                        .delete_outside(KEY, orphan["id"].as_str().unwrap());
                }
                ReadResult {
                    state: None,
                    diagnostics: orphans
                        .iter()
                        .map(|_| Diagnostic::warning("API key with a lost secret revoked", ""))
                        .collect(),
                }
            }
            _ => self.cloud.read(type_name, state).unwrap(),
        }
    }
}

impl Provider for Interrupting<'_> {
    fn schema(&self) -> anyhow::Result<Value> {
        self.cloud.schema()
    }

    fn configure(&self, config: &Value) -> anyhow::Result<Vec<Diagnostic>> {
        self.cloud.configure(config)
    }

    fn validate(&self, type_name: &str, config: &Value) -> anyhow::Result<Vec<Diagnostic>> {
        self.cloud.validate(type_name, config)
    }

    fn plan(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        config: Option<&Value>,
    ) -> anyhow::Result<PlannedChange> {
        self.cloud.plan(type_name, prior, config)
    }

    fn apply(
        &self,
        type_name: &str,
        prior: Option<&Value>,
        planned: Option<&Value>,
    ) -> anyhow::Result<Applied> {
        let creating = prior.is_none() && planned.is_some();
        if let (true, Some(planned)) = (creating, planned) {
            *self.creates.lock().unwrap() += 1;
            if self.pending_on_disk(planned) {
                *self.recorded_first.lock().unwrap() += 1;
            }
        }
        let applied = self.cloud.apply(type_name, prior, planned)?;
        let text = planned.map(Value::to_string).unwrap_or_default();
        let mut lose = self.lose.lock().unwrap();
        if let Some(index) = lose
            .iter()
            .position(|needle| creating && text.contains(needle))
        {
            lose.remove(index);
            anyhow::bail!("the host died before the result was recorded");
        }
        Ok(applied)
    }

    fn read(&self, type_name: &str, state: &Value) -> anyhow::Result<ReadResult> {
        let Some(marker) = state.get("$pending_create") else {
            return self.cloud.read(type_name, state);
        };
        self.markers.lock().unwrap().push(marker.clone());
        let mut planned = state.clone();
        planned.as_object_mut().unwrap().remove("$pending_create");
        Ok(self.resolve(type_name, &planned, marker))
    }

    fn import(&self, type_name: &str, id: &str) -> anyhow::Result<Imported> {
        self.cloud.import(type_name, id)
    }
}

fn apply(provider: &Interrupting<'_>, opts: &Options) -> Run {
    let mut ui = TestUi::default();
    let code = commands::apply(
        opts,
        &ycprov_engine::providers::Providers::single(provider),
        &mut ui,
    );
    Run {
        code,
        out: ui.out,
        err: ui.err,
    }
}

fn serial(ws: &Workspace) -> u64 {
    ws.state()["serial"].as_u64().unwrap()
}

fn pending_addresses(ws: &Workspace) -> Vec<String> {
    ws.state()["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("pending_create").is_some())
        .map(|r| r["address"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_create_is_recorded_before_the_provider_is_asked() {
    let ws = Workspace::new(AI_STUDIO);
    let provider = Interrupting::new(&ws, &[]);
    let r = apply(&provider, &ws.opts());
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(*provider.creates.lock().unwrap(), 3);
    assert_eq!(*provider.recorded_first.lock().unwrap(), 3);
    assert!(pending_addresses(&ws).is_empty());
    assert!(
        !std::fs::read_to_string(ws.path("terraform.tfstate"))
            .unwrap()
            .contains("pending_create"),
        "a finished apply leaves no marks"
    );
    assert!(provider.markers.lock().unwrap().is_empty());
}

#[test]
fn a_lost_account_create_is_adopted_by_the_next_run() {
    for refresh in [true, false] {
        let ws = Workspace::new(AI_STUDIO);
        let provider = Interrupting::new(&ws, &["sa-api"]);
        let first = apply(&provider, &ws.opts());
        assert_eq!(first.code, 1);
        assert!(first.err.contains("pending create"), "{}", first.err);
        assert_eq!(
            pending_addresses(&ws),
            vec!["yandex_iam_service_account.sa"]
        );
        assert_eq!(ws.provider.objects(SA).len(), 1);
        let serial_after_crash = serial(&ws);

        let mut ui = TestUi::default();
        commands::state_list(&ws.opts(), &mut ui, &[]);
        assert!(
            ui.out
                .contains("yandex_iam_service_account.sa (pending create)"),
            "{}",
            ui.out
        );
        let mut ui = TestUi::default();
        commands::state_show(&ws.opts(), &mut ui, "yandex_iam_service_account.sa");
        assert!(
            ui.out.contains("# (pending create started at"),
            "{}",
            ui.out
        );

        let opts = Options {
            refresh,
            ..ws.opts()
        };
        let second = apply(&provider, &opts);
        assert_eq!(second.code, 0, "refresh={refresh}: {}", second.err);
        assert!(
            second.err.contains("Service account adopted"),
            "{}",
            second.err
        );
        assert!(second.out.contains("2 added"), "{}", second.out);
        assert_eq!(ws.provider.objects(SA).len(), 1, "no duplicate account");
        assert_eq!(ws.provider.objects(KEY).len(), 1);
        assert!(pending_addresses(&ws).is_empty());
        assert!(serial(&ws) > serial_after_crash);
        let markers = provider.markers.lock().unwrap().clone();
        assert!(!markers.is_empty());
        assert_eq!(markers.last().unwrap()["known_ids"], json!([]));
    }
}

#[test]
fn a_lost_key_is_revoked_and_created_again_sparing_recorded_siblings() {
    let tf = AI_STUDIO
        .replace(
            "resource \"yandex_iam_service_account_api_key\" \"key\" {",
            "resource \"yandex_iam_service_account_api_key\" \"key\" {\n  count = 2",
        )
        .replace(
            "yandex_iam_service_account_api_key.key.secret_key",
            "yandex_iam_service_account_api_key.key[0].secret_key",
        );
    let ws = Workspace::new(&tf);
    let provider = Interrupting::new(&ws, &["key for AI Studio"]);
    let first = apply(
        &provider,
        &Options {
            parallelism: 1,
            ..ws.opts()
        },
    );
    assert_eq!(first.code, 1, "{}", first.err);
    let lost = pending_addresses(&ws);
    assert_eq!(lost.len(), 1, "{lost:?}");
    assert_eq!(ws.provider.objects(KEY).len(), 2, "the lost key exists");
    let kept = [
        "yandex_iam_service_account_api_key.key[0]",
        "yandex_iam_service_account_api_key.key[1]",
    ]
    .into_iter()
    .find(|address| *address != lost[0])
    .unwrap();
    let kept_id = ws.attr(kept, "id");
    let kept_secret = ws.attr(kept, "secret_key");

    let second = apply(&provider, &ws.opts());
    assert_eq!(second.code, 0, "{}", second.err);
    assert!(
        second.err.contains("API key with a lost secret revoked"),
        "{}",
        second.err
    );
    assert_eq!(
        provider.markers.lock().unwrap()[0]["known_ids"],
        json!([kept_id]),
        "the recorded sibling is named so it is spared"
    );
    let keys = ws.provider.objects(KEY);
    assert_eq!(keys.len(), 2, "the orphan was revoked, a new key made");
    assert!(keys.iter().any(|k| k["id"] == kept_id));
    assert_eq!(ws.attr(kept, "secret_key"), kept_secret);
    let replaced = ws.attr(&lost[0], "id");
    assert!(keys.iter().any(|k| k["id"] == replaced));
    assert!(
        ws.attr(&lost[0], "secret_key")
            .as_str()
            .unwrap()
            .starts_with("AQVN")
    );
    assert!(pending_addresses(&ws).is_empty());
}

#[test]
fn plain_states_carry_no_marker_to_the_provider() {
    let ws = Workspace::new(AI_STUDIO);
    ws.apply_ok();
    let text = std::fs::read_to_string(ws.path("terraform.tfstate")).unwrap();
    assert!(!text.contains("pending"), "{text}");
    let provider = Interrupting::new(&ws, &[]);
    let r = apply(&provider, &ws.opts());
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("No changes."), "{}", r.out);
    assert!(provider.markers.lock().unwrap().is_empty());
}
