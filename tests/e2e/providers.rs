//! Many providers in one configuration: the embedded `hashicorp/time` alone, time and
//! Yandex together with aliases, key rotation end to end under a test clock, the runner's
//! per-component linking, and sources ycprov cannot resolve.

use std::path::Path;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::support::{Cloud, Run, base_command, spawn_piped};

/// A configuration directory with its own state.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new(tf: &str) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.tf"), tf).unwrap();
        Workspace { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `ycprov ARGS` with the test clock at `now`, against `cloud` when given (else with
    /// no cloud settings at all).
    fn run_at(&self, cloud: Option<&Cloud>, now: &str, args: &[&str]) -> Run {
        let mut command = self.command(cloud, now);
        Run::of(command.args(args))
    }

    fn command(&self, cloud: Option<&Cloud>, now: &str) -> std::process::Command {
        let mut command = base_command(Some(self.path()));
        command.env("YCPROV_TEST_NOW", now);
        if let Some(cloud) = cloud {
            command
                .env("YC_ENDPOINT", cloud.emulator.base_url())
                .env("YC_IAM_TOKEN", &cloud.emulator.seed().admin_token)
                .env("YC_FOLDER_ID", cloud.folder());
        }
        command
    }

    fn state(&self) -> Value {
        let text = std::fs::read_to_string(self.path().join("terraform.tfstate")).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn record(&self, address: &str) -> Value {
        find(&self.state(), address)
            .unwrap_or_else(|| panic!("{address} is not in the state"))
            .clone()
    }
}

fn find<'a>(state: &'a Value, address: &str) -> Option<&'a Value> {
    state["resources"]
        .as_array()?
        .iter()
        .find(|r| r["address"] == address && r.get("deposed").is_none())
}

/// RFC3339 of now plus `days`.
fn days_from_now(days: i64) -> String {
    (OffsetDateTime::now_utc() + time::Duration::days(days))
        .replace_nanosecond(0)
        .unwrap()
        .format(&Rfc3339)
        .unwrap()
}

const TIME_ONLY: &str = r#"
resource "time_static" "created" {}

resource "time_offset" "review" {
  base_rfc3339 = time_static.created.rfc3339
  offset_days  = 90
}

resource "time_rotating" "monthly" {
  rotation_months = 1
}

output "review_at" {
  value = time_offset.review.rfc3339
}
"#;

#[test]
fn the_time_provider_runs_alone_with_no_cloud_settings() {
    let ws = Workspace::new(TIME_ONLY);
    let start = "2031-01-31T10:00:00Z";
    ws.run_at(None, start, &["apply", "-auto-approve"]).ok();
    let created = ws.record("time_static.created");
    assert_eq!(created["attributes"]["rfc3339"], "2031-01-31T10:00:00Z");
    assert_eq!(
        created["provider"],
        "provider[\"registry.terraform.io/hashicorp/time\"]"
    );
    assert_eq!(
        ws.record("time_offset.review")["attributes"]["rfc3339"],
        "2031-05-01T10:00:00Z"
    );
    assert_eq!(
        ws.record("time_rotating.monthly")["attributes"]["rotation_rfc3339"],
        "2031-03-03T10:00:00Z",
        "Jan 31 + 1 month carries into March, as Go's AddDate does"
    );

    let quiet = ws.run_at(
        None,
        "2031-03-01T00:00:00Z",
        &["plan", "-detailed-exitcode"],
    );
    assert_eq!(quiet.code, 0, "{}{}", quiet.stdout, quiet.stderr);

    let later = ws.run_at(
        None,
        "2031-03-04T00:00:00Z",
        &["plan", "-detailed-exitcode"],
    );
    assert_eq!(later.code, 2, "{}{}", later.stdout, later.stderr);
    assert!(
        later
            .stdout
            .contains("time_rotating.monthly must be replaced"),
        "{}",
        later.stdout
    );
    assert!(
        later
            .stdout
            .contains("Plan: 1 to add, 0 to change, 1 to destroy."),
        "{}",
        later.stdout
    );

    let import_dir =
        Workspace::new("resource \"time_offset\" \"imported\" {\n  offset_days = 7\n}\n");
    import_dir
        .run_at(
            None,
            start,
            &[
                "import",
                "time_offset.imported",
                "2030-01-01T00:00:00Z,,,7,,,",
            ],
        )
        .ok();
    assert_eq!(
        import_dir.record("time_offset.imported")["attributes"]["rfc3339"],
        "2030-01-08T00:00:00Z"
    );
}

#[test]
fn yandex_and_time_share_a_configuration_with_aliases() {
    let cloud = Cloud::start();
    let tf = format!(
        r#"
terraform {{
  required_providers {{
    yandex = {{
      source = "yandex-cloud/yandex"
    }}
    time = {{
      source = "hashicorp/time"
    }}
  }}
}}

provider "yandex" {{}}

provider "yandex" {{
  alias     = "second"
  folder_id = "{folder}"
}}

resource "time_static" "made" {{}}

resource "yandex_iam_service_account" "main" {{
  name        = "sa-main"
  description = "made at ${{time_static.made.rfc3339}}"
}}

resource "yandex_iam_service_account" "other" {{
  provider = yandex.second
  name     = "sa-other"
}}
"#,
        folder = cloud.folder()
    );
    let ws = Workspace::new(&tf);
    let now = days_from_now(0);
    ws.run_at(Some(&cloud), &now, &["apply", "-auto-approve"])
        .ok();
    let main = ws.record("yandex_iam_service_account.main");
    assert_eq!(
        main["provider"],
        "provider[\"registry.terraform.io/yandex-cloud/yandex\"]"
    );
    assert!(
        main["attributes"]["description"]
            .as_str()
            .unwrap()
            .contains(&now),
        "{main}"
    );
    assert_eq!(
        ws.record("yandex_iam_service_account.other")["provider"],
        "provider[\"registry.terraform.io/yandex-cloud/yandex\"].second"
    );
    let quiet = ws.run_at(Some(&cloud), &now, &["plan", "-detailed-exitcode"]);
    assert_eq!(quiet.code, 0, "{}{}", quiet.stdout, quiet.stderr);

    let missing_alias = Workspace::new(
        "resource \"yandex_iam_service_account\" \"x\" {\n  provider = yandex.nowhere\n  name     = \"sa-x\"\n}\n",
    );
    let refused = missing_alias.run_at(Some(&cloud), &now, &["validate"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains("Provider configuration not present")
            && refused.stderr.contains("main.tf:2"),
        "{}",
        refused.stderr
    );
}

#[test]
fn an_unknown_source_names_where_ycprov_looked() {
    let ws = Workspace::new(
        "terraform {\n  required_providers {\n    widgets = {\n      source = \"acme/widgets\"\n    }\n  }\n}\n\nresource \"widgets_thing\" \"a\" {}\n",
    );
    let failed = ws.run_at(None, "2031-01-01T00:00:00Z", &["plan"]);
    assert_ne!(failed.code, 0);
    let expected = ws
        .path()
        .join(".ycprov/providers/registry.terraform.io/acme/widgets.wasm");
    assert!(
        failed.stderr.contains("acme/widgets")
            && failed.stderr.contains(&expected.display().to_string()),
        "{}",
        failed.stderr
    );

    let dir = tempfile::tempdir().unwrap();
    let component = dir.path().join("registry.terraform.io/acme/widgets.wasm");
    std::fs::create_dir_all(component.parent().unwrap()).unwrap();
    std::fs::write(&component, ycprov::providers::TIME_COMPONENT).unwrap();
    let mut command = ws.command(None, "2031-01-01T00:00:00Z");
    let found = Run::of(
        command
            .env("YCPROV_PROVIDERS_DIR", dir.path())
            .args(["validate"]),
    );
    assert!(
        found
            .stderr
            .contains("Invalid resource type \"widgets_thing\""),
        "the component was found and asked for its schema: {}",
        found.stderr
    );
}

#[test]
fn the_runner_links_only_what_each_component_imports() {
    use clap::Parser;
    let global = ycprov::cli::Cli::parse_from(["ycprov", "validate"]).global;
    let time = ycprov::providers::time_runtime(&global).unwrap();
    let mut imports = time.imports().to_vec();
    imports.sort();
    assert_eq!(
        imports,
        ["ycprov:provider/clock@0.2.0"],
        "the time provider reads the clock and never logs"
    );
    assert_eq!(time.linked(), ["clock"], "no http, so no network");

    let caps = ycprov::providers::plain_capabilities(&global).unwrap();
    let yandex = ycprov::yandex::runtime(None, caps).unwrap();
    assert_eq!(yandex.linked(), ["http", "identity", "clock", "log"]);
}

/// The hook that hands every applied mutating request to the test and waits until the
/// test has looked at the cloud and the state.
fn pause_each_request(cloud: &Cloud) -> Receiver<SyncSender<()>> {
    let (tx, rx) = mpsc::channel::<SyncSender<()>>();
    let tx = Mutex::new(tx);
    cloud
        .emulator
        .set_request_hook(Some(Arc::new(move |_number| {
            let (ack_tx, ack_rx) = mpsc::sync_channel(1);
            if tx.lock().unwrap().send(ack_tx).is_ok() {
                let _ = ack_rx.recv_timeout(Duration::from_secs(30));
            }
        })));
    rx
}

/// The keys of the state (with its journal replayed, as every command reads it) that
/// exist in the cloud with the secret the state holds.
fn usable_keys(cloud: &Cloud, dir: &Path) -> Vec<String> {
    let state = ycprov_engine::state_file::StateFile::new(dir.join("terraform.tfstate"))
        .load()
        .expect("the state is readable at every moment")
        .unwrap_or_default();
    let cloud_keys = cloud.emulator.snapshot().api_keys;
    state
        .resources
        .iter()
        .filter(|r| r.type_name == "yandex_iam_service_account_api_key")
        .filter_map(|r| {
            let id = r.attributes["id"].as_str()?;
            let secret = r.attributes["secret_key"].as_str()?;
            let tail = &secret[secret.len().saturating_sub(6)..];
            cloud_keys
                .iter()
                .any(|k| k.id == id && k.masked_secret.ends_with(tail))
                .then(|| id.to_string())
        })
        .collect()
}

#[test]
fn a_key_rotates_with_time_rotating_and_is_never_missing() {
    let cloud = Cloud::start();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/key-rotation/main.tf");
    let ws = Workspace::new(&std::fs::read_to_string(example).unwrap());
    let start = days_from_now(0);
    ws.run_at(Some(&cloud), &start, &["apply", "-auto-approve"])
        .ok();
    let first = ws.record("yandex_iam_service_account_api_key.app");
    let first_id = first["attributes"]["id"].as_str().unwrap().to_string();
    assert!(first["attributes"]["secret_key"].is_string());
    let rotation = ws.record("time_rotating.key")["attributes"]["rotation_rfc3339"].clone();
    assert_eq!(
        first["attributes"]["expires_at"]
            .as_str()
            .map(|e| e > rotation.as_str().unwrap()),
        Some(true),
        "the key outlives its rotation: {first}"
    );

    let same = ws.run_at(
        Some(&cloud),
        &days_from_now(29),
        &["plan", "-detailed-exitcode"],
    );
    assert_eq!(same.code, 0, "{}{}", same.stdout, same.stderr);

    let later = days_from_now(31);
    let plan = ws.run_at(Some(&cloud), &later, &["plan", "-detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}{}", plan.stdout, plan.stderr);
    for expected in [
        "time_rotating.key must be replaced",
        "yandex_iam_service_account_api_key.app will be replaced due to changes in replace_triggered_by",
        "+/- create replacement and then destroy",
    ] {
        assert!(
            plan.stdout.contains(expected),
            "{expected}:\n{}",
            plan.stdout
        );
    }

    let requests = pause_each_request(&cloud);
    let mut child = spawn_piped(
        ws.command(Some(&cloud), &later)
            .args(["apply", "-auto-approve"]),
    );
    let mut checked = 0;
    loop {
        match requests.recv_timeout(Duration::from_millis(200)) {
            Ok(ack) => {
                let usable = usable_keys(&cloud, ws.path());
                assert!(
                    !usable.is_empty(),
                    "after mutating request {checked} the state held no secret of an existing key"
                );
                checked += 1;
                let _ = ack.send(());
            }
            Err(_) => {
                if child.try_wait().unwrap().is_some() {
                    break;
                }
            }
        }
    }
    cloud.emulator.set_request_hook(None);
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        checked >= 2,
        "the apply created and deleted keys ({checked} requests)"
    );

    let second = ws.record("yandex_iam_service_account_api_key.app");
    let second_id = second["attributes"]["id"].as_str().unwrap();
    assert_ne!(second_id, first_id);
    assert_eq!(usable_keys(&cloud, ws.path()), [second_id.to_string()]);
    assert!(
        cloud
            .emulator
            .snapshot()
            .api_keys
            .iter()
            .all(|k| k.id != first_id),
        "the old key was deleted"
    );
}

/// The WIT world a component declares, as `wasm-tools component wit` prints it.
fn component_world(wasm: &[u8]) -> String {
    let wit_component::DecodedWasm::Component(resolve, world) =
        wit_component::decode(wasm).unwrap()
    else {
        panic!("not a component");
    };
    let package = resolve.worlds[world].package.unwrap();
    let mut printer = wit_component::WitPrinter::default();
    printer.print(&resolve, package, &[]).unwrap();
    printer.output.to_string()
}

#[test]
fn the_embedded_components_declare_only_what_they_use() {
    let time = component_world(ycprov::providers::TIME_COMPONENT);
    let yandex = component_world(ycprov::yandex::EMBEDDED_COMPONENT);
    println!("hashicorp/time:\n{time}\nyandex-cloud/yandex:\n{yandex}");
    let lines = |wit: &str, prefix: &str| -> Vec<String> {
        let mut found: Vec<String> = wit
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with(prefix))
            .map(str::to_string)
            .collect();
        found.sort();
        found
    };
    assert_eq!(
        lines(&time, "import "),
        ["import ycprov:provider/clock@0.2.0;"]
    );
    assert_eq!(
        lines(&time, "export "),
        ["export ycprov:provider/lifecycle@0.2.0;"]
    );
    assert_eq!(
        lines(&yandex, "import "),
        [
            "import ycprov:provider/clock@0.2.0;",
            "import ycprov:provider/http@0.2.0;",
            "import ycprov:provider/identity@0.2.0;",
            "import ycprov:provider/log@0.2.0;"
        ]
    );
    assert_eq!(
        lines(&yandex, "export "),
        [
            "export yandex-cloud:iam/iam@0.2.0;",
            "export ycprov:provider/lifecycle@0.2.0;"
        ]
    );
}

/// Both embedded providers start from the artifacts the build precompiled: with an empty
/// cache directory nothing is compiled and nothing is cached.
#[test]
fn embedded_providers_start_precompiled_without_compiling() {
    let dir = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "resource \"yandex_iam_service_account\" \"a\" {\n  name      = \"precompiled\"\n  folder_id = \"b1gfolder\"\n}\n\nresource \"time_static\" \"t\" {}\n",
    )
    .unwrap();
    let run = Run::of(
        base_command(Some(dir.path()))
            .env("YCPROV_CACHE_DIR", cache.path())
            .env("RUST_LOG", "ycprov::cache=debug")
            .arg("validate"),
    );
    run.ok();
    for what in [
        "the embedded Yandex provider component: loaded as the build precompiled it",
        "the embedded hashicorp/time provider component: loaded as the build precompiled it",
    ] {
        assert!(run.stderr.contains(what), "{what}\n{}", run.stderr);
    }
    assert!(
        !run.stderr.contains("compiling the component"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_dir(cache.path()).unwrap().count(),
        0,
        "nothing was compiled into the cache"
    );
}
