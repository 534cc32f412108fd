//! The sandbox holds against a hostile component (tests/fixtures/hostile): each
//! misbehaviour is refused or stopped within the policy's limits with a clear
//! error, and the host survives to run the next one.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ycprov::bindings::http::TransportError;
use ycprov::bindings::iam::{AccountSpec, Error as IamError, GuestIndices};
use ycprov::runner::Policy;
use ycprov::yandex::credentials::Credential;

use crate::support::Cloud;

/// The hostile component built by the host's build script.
const HOSTILE: &str = env!("YCPROV_HOSTILE_COMPONENT");

fn write_policy(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("policy.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Runs `ycprov --provider hostile.wasm account create --name SCENARIO`.
fn hostile_run(
    cloud: &Cloud,
    scenario: &str,
    description: Option<&str>,
    policy: Option<&Path>,
) -> crate::support::Run {
    let folder = cloud.folder();
    let mut args = vec![
        "--provider",
        HOSTILE,
        "account",
        "create",
        "--folder-id",
        &folder,
        "--name",
        scenario,
    ];
    if let Some(d) = description {
        args.extend(["--description", d]);
    }
    let policy_text;
    if let Some(p) = policy {
        policy_text = p.display().to_string();
        args.extend(["--policy", &policy_text]);
    }
    cloud.ycprov(&args)
}

#[test]
fn hostile_scenarios_fail_clearly_through_the_cli() {
    let cloud = Cloud::start();
    let dir = tempfile::tempdir().unwrap();
    let short = write_policy(
        dir.path(),
        "call_deadline_seconds = 1\nmax_memory_mib = 32\n",
    );
    let iam_url = format!("{}/iam/v1/serviceAccounts", cloud.emulator.base_url());
    struct Case<'a> {
        scenario: &'a str,
        description: Option<&'a str>,
        exit: i32,
        says: &'a [&'a str],
        within: Duration,
    }
    let cases = [
        Case {
            scenario: "call-evil-host",
            description: None,
            exit: 7,
            says: &[
                "refused by the sandbox policy",
                "evil.example",
                "not an allowed endpoint",
            ],
            within: Duration::from_secs(10),
        },
        Case {
            scenario: "call-metadata",
            description: None,
            exit: 7,
            says: &["refused by the sandbox policy", "169.254.169.254"],
            within: Duration::from_secs(10),
        },
        Case {
            scenario: "set-auth-header",
            description: Some(&iam_url),
            exit: 7,
            says: &[
                "refused by the sandbox policy",
                "Authorization",
                "set by the host",
            ],
            within: Duration::from_secs(10),
        },
        Case {
            scenario: "loop-forever",
            description: None,
            exit: 1,
            says: &["ran past its deadline"],
            within: Duration::from_secs(5),
        },
        Case {
            scenario: "grow-memory",
            description: None,
            exit: 1,
            says: &["provider component failed"],
            within: Duration::from_secs(10),
        },
        Case {
            scenario: "panic",
            description: None,
            exit: 1,
            says: &["provider component failed", "aborted"],
            within: Duration::from_secs(10),
        },
        Case {
            scenario: "huge-string",
            description: None,
            exit: 1,
            says: &["provider component failed"],
            within: Duration::from_secs(10),
        },
        Case {
            scenario: "log-flood",
            description: None,
            exit: 3,
            says: &["flooded"],
            within: Duration::from_secs(30),
        },
    ];
    for case in &cases {
        let started = Instant::now();
        let run = hostile_run(&cloud, case.scenario, case.description, Some(&short));
        let took = started.elapsed();
        assert_eq!(
            run.code, case.exit,
            "{}: stderr: {}",
            case.scenario, run.stderr
        );
        for phrase in case.says {
            assert!(
                run.stderr.contains(phrase),
                "{}: stderr lacks `{phrase}`: {}",
                case.scenario,
                run.stderr
            );
        }
        assert!(
            !run.stderr.contains("panicked at"),
            "{}: the host panicked: {}",
            case.scenario,
            run.stderr
        );
        assert!(took < case.within, "{}: took {took:?}", case.scenario);
    }
    assert!(cloud.emulator.snapshot().service_accounts.is_empty());
}

#[test]
fn an_allowed_name_resolving_to_loopback_is_refused_unless_the_policy_allows_it() {
    let cloud = Cloud::start();
    let dir = tempfile::tempdir().unwrap();
    let port = cloud.emulator.address().port();
    let target = format!("http://localhost:{port}/iam/v1/serviceAccounts");
    let strict = write_policy(
        dir.path(),
        &format!("allowed_endpoints = [\"http://localhost:{port}\"]\n"),
    );
    let run = crate::support::Run::of(
        crate::support::base_command(None)
            .env("YC_IAM_TOKEN", "t1.x")
            .args([
                "--provider",
                HOSTILE,
                "--policy",
                strict.to_str().unwrap(),
                "account",
                "create",
                "--folder-id",
                "b1gfolder",
                "--name",
                "call-evil-host",
                "--description",
                &target,
            ]),
    );
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert!(run.stderr.contains("internal addresses"), "{}", run.stderr);

    let lenient = dir.path().join("lenient.toml");
    std::fs::write(
        &lenient,
        format!(
            "allowed_endpoints = [\"http://localhost:{port}\"]\nallow_private_addresses = true\n"
        ),
    )
    .unwrap();
    let run = crate::support::Run::of(
        crate::support::base_command(None)
            .env("YC_IAM_TOKEN", "t1.x")
            .args([
                "--provider",
                HOSTILE,
                "--policy",
                lenient.to_str().unwrap(),
                "account",
                "create",
                "--folder-id",
                "b1gfolder",
                "--name",
                "call-evil-host",
                "--description",
                &target,
            ]),
    );
    assert!(
        run.stderr.contains("reached localhost"),
        "the request went through: {}",
        run.stderr
    );
}

#[test]
fn the_component_sees_who_it_acts_as_but_never_the_token() {
    let cloud = Cloud::start();
    let run = hostile_run(&cloud, "echo-identity", None, None);
    let out = run.ok();
    assert!(out.contains("iam-token"), "{out}");
    assert!(
        !out.contains(&cloud.emulator.seed().admin_token),
        "the token reached the component"
    );
}

/// One runtime, every hostile scenario in a row, then a normal call: the host survives.
#[test]
fn one_runtime_survives_every_scenario_and_stops_a_loop_quickly() {
    let mut policy = Policy::new(&ycprov::yandex::ORIGINS, Some("http://127.0.0.1:9")).unwrap();
    policy.call_deadline = Duration::from_millis(500);
    policy.max_memory_bytes = 32 << 20;
    let caps = ycprov::yandex::capabilities_for(
        policy,
        Credential::from_sources(Some("t1.secret-token-value".into()), None),
        None,
        None,
    );
    let runtime = ycprov::yandex::runtime(Some(Path::new(HOSTILE)), caps)
        .expect("loading the hostile component");
    let iam = GuestIndices::new(runtime.instance_pre()).unwrap();
    let create = |name: &str| {
        let spec = AccountSpec {
            folder_id: "b1gfolder".into(),
            name: name.into(),
            description: None,
            labels: vec![],
        };
        runtime.call("create-account", |store, instance| {
            iam.load(&mut *store, instance)?
                .call_create_account(store, &spec)
        })
    };
    let mut loop_stopped_after = Duration::ZERO;
    for scenario in [
        "call-evil-host",
        "set-auth-header",
        "loop-forever",
        "grow-memory",
        "panic",
        "huge-string",
        "log-flood",
    ] {
        let started = Instant::now();
        let outcome = create(scenario);
        if scenario == "loop-forever" {
            loop_stopped_after = started.elapsed();
        }
        match (scenario, outcome) {
            ("call-evil-host", Ok(Err(IamError::Transport(TransportError::Denied(_))))) => {}
            ("set-auth-header", Ok(Err(IamError::Transport(TransportError::Denied(why))))) => {
                assert!(why.contains("Authorization"), "{why}");
            }
            ("loop-forever", Err(e)) => assert!(format!("{e:#}").contains("deadline"), "{e:#}"),
            ("grow-memory" | "panic" | "huge-string", Err(_)) => {}
            ("log-flood", Ok(Err(IamError::InvalidInput(_)))) => {}
            (scenario, other) => panic!("{scenario}: unexpected outcome {other:?}"),
        }
    }
    let account = create("benign")
        .expect("the host still works")
        .expect("benign call succeeds");
    assert_eq!(account.id, "hostile");
    for call in 0..4 {
        let marks = create("leave-marks")
            .expect("the host still works")
            .expect("leave-marks succeeds");
        assert_eq!(
            marks.description, "found 0 marks before, 17 after",
            "call {call} saw memory an earlier call wrote"
        );
    }
    eprintln!("a looping component was stopped after {loop_stopped_after:?} (deadline 500 ms)");
    assert!(
        loop_stopped_after < Duration::from_millis(1500),
        "{loop_stopped_after:?}"
    );
}

/// The provider imports only the neutral package's interfaces: no WASI for other hosts to
/// stub; it exports the neutral lifecycle and the Yandex `iam`.
#[test]
fn the_provider_imports_only_the_project_interfaces() {
    let (imports, exports) =
        ycprov::runner::interfaces(ycprov::yandex::EMBEDDED_COMPONENT).unwrap();
    let mut sorted = imports.clone();
    sorted.sort();
    let expected: Vec<String> = ["clock", "http", "identity", "log"]
        .iter()
        .map(|i| format!("ycprov:provider/{i}@0.2.0"))
        .collect();
    assert_eq!(sorted, expected, "imports: {imports:?}");
    let mut exports = exports.clone();
    exports.sort();
    assert_eq!(
        exports,
        [
            "yandex-cloud:iam/iam@0.2.0",
            "ycprov:provider/lifecycle@0.2.0"
        ],
    );
}

/// A component built against WIT of another version is refused before it runs, with a
/// message naming the versions this ycprov supports.
#[test]
fn a_component_of_an_unsupported_version_is_refused_clearly() {
    let cases = [
        (
            "package yandex-cloud:iam-provider@0.1.0;\ninterface clock { now: func() -> u64; }\ninterface provider { schema: func() -> string; }\nworld w { import clock; export provider; }\n",
            "yandex-cloud:iam-provider@0.1.0",
        ),
        (
            "package ycprov:provider@0.9.0;\ninterface log { log: func(message: string); }\ninterface lifecycle { schema: func() -> string; }\nworld w { import log; export lifecycle; }\n",
            "ycprov:provider@0.9.0",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (wit, version) in cases {
        let mut resolve = wit_parser::Resolve::default();
        let package = resolve.push_str("old.wit", wit).unwrap();
        let world = resolve.select_world(&[package], Some("w")).unwrap();
        let mut module = wit_component::dummy_module(
            &resolve,
            world,
            wit_parser::ManglingAndAbi::Legacy(wit_parser::LiftLowerAbi::Sync),
        );
        wit_component::embed_component_metadata(
            &mut module,
            &resolve,
            world,
            wit_component::StringEncoding::UTF8,
            false,
        )
        .unwrap();
        let component = wit_component::ComponentEncoder::default()
            .module(&module)
            .unwrap()
            .encode()
            .unwrap();
        let file = dir.path().join("old.wasm");
        std::fs::write(&file, component).unwrap();
        let run = crate::support::Run::of(crate::support::base_command(None).args([
            "--provider",
            file.to_str().unwrap(),
            "account",
            "list",
            "--folder-id",
            "b1gx",
        ]));
        assert_eq!(run.code, 1, "{version}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("was built for {version}")),
            "{version}: {}",
            run.stderr
        );
        assert!(
            run.stderr
                .contains("supports ycprov:provider@0.2.0 and yandex-cloud:iam@0.2.0"),
            "{version}: {}",
            run.stderr
        );
    }
}

/// `validate` and `plan` calls share an instance per run; a trap in one of them costs only
/// that call: the others of the run answer as they would alone.
#[test]
fn a_trap_in_a_run_of_validate_or_plan_calls_fails_only_that_call() {
    use ycprov::component_provider::ComponentProvider;
    use ycprov_engine::provider::Provider;

    let policy = Policy::new(&ycprov::yandex::ORIGINS, Some("http://127.0.0.1:9")).unwrap();
    let caps =
        ycprov::yandex::capabilities_for(policy, Credential::from_sources(None, None), None, None);
    let runtime = ycprov::yandex::runtime(Some(Path::new(HOSTILE)), caps)
        .expect("loading the hostile component");
    let provider = ComponentProvider::new(std::sync::Arc::new(runtime));
    let configs: Vec<serde_json::Value> = ["first", "panic", "third", "fourth"]
        .iter()
        .map(|name| serde_json::json!({ "name": name }))
        .collect();
    let refs: Vec<&serde_json::Value> = configs.iter().collect();
    let pairs: Vec<(Option<&serde_json::Value>, &serde_json::Value)> =
        configs.iter().map(|c| (None, c)).collect();
    let optional: Vec<(Option<&serde_json::Value>, Option<&serde_json::Value>)> =
        configs.iter().map(|c| (None, Some(c))).collect();
    /// Each answer as text: its debug form, or the error.
    fn texts<T: std::fmt::Debug>(
        answers: impl IntoIterator<Item = anyhow::Result<T>>,
    ) -> Vec<Result<String, String>> {
        answers
            .into_iter()
            .map(|a| a.map(|a| format!("{a:?}")).map_err(|e| format!("{e:#}")))
            .collect()
    }
    // Each call kind: what the run answered and what each call answers alone.
    let cases = [
        (
            "validate_many",
            texts(provider.validate_many("t", &refs)),
            texts(refs.iter().map(|c| provider.validate("t", c))),
        ),
        (
            "validate_and_plan_many",
            texts(provider.validate_and_plan_many("t", &pairs)),
            texts(
                pairs
                    .iter()
                    .map(|(p, c)| provider.validate_and_plan("t", *p, c)),
            ),
        ),
        (
            "plan_many",
            texts(provider.plan_many("t", &optional)),
            texts(optional.iter().map(|(p, c)| provider.plan("t", *p, *c))),
        ),
    ];
    for (kind, together, alone) in cases {
        assert_eq!(together.len(), configs.len(), "{kind}: one answer per call");
        for (i, (run, single)) in together.iter().zip(&alone).enumerate() {
            assert_eq!(run, single, "{kind}: call {i} answers as it would alone");
            let name = configs[i]["name"].as_str().unwrap();
            match (name, run) {
                ("panic", Err(e)) => assert!(
                    e.contains("trap") || e.contains("panic") || e.contains("unreachable"),
                    "{kind}: {e}"
                ),
                ("panic", Ok(answer)) => panic!("{kind}: the panicking call answered {answer}"),
                (_, Ok(answer)) => assert!(answer.contains(name), "{kind}: {answer} names {name}"),
                (_, Err(e)) => panic!("{kind}: {name} failed with the run: {e}"),
            }
        }
    }
}
