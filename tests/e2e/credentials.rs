//! The credential chain of the `ycprov` binary: every source against the emulator, their
//! precedence, failures, the metadata service, yc profiles and `auth status`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::support::{Cloud, Run, base_command};

/// The emulator, an empty home directory and a service account with an authorized key.
struct Fixture {
    cloud: Cloud,
    home: TempDir,
    /// The service account (role `editor` on the seeded folder).
    account_id: String,
    /// Its authorized key as `yc iam key create` writes it (private key with the preamble line).
    key_json: String,
    /// The key file in the home directory.
    key_file: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let cloud = Cloud::start();
        let home = tempfile::tempdir().unwrap();
        let account_id = create_account(&cloud, "robot", "editor");
        let key_json = create_key_file_json(&cloud, &account_id);
        let key_file = home.path().join("key.json");
        std::fs::write(&key_file, &key_json).unwrap();
        Fixture {
            cloud,
            home,
            account_id,
            key_json,
            key_file,
        }
    }

    /// Runs `ycprov ARGS` with the endpoint, HOME and `env`; nothing else is inherited.
    fn run(&self, env: &[(&str, &str)], args: &[&str]) -> Run {
        let mut command = base_command(None);
        command
            .env("YC_ENDPOINT", self.cloud.emulator.base_url())
            .env("HOME", self.home.path());
        for (name, value) in env {
            command.env(name, value);
        }
        Run::of(command.args(args))
    }

    /// `ycprov auth status --format json`, parsed, whatever the exit code.
    fn status(&self, env: &[(&str, &str)], args: &[&str]) -> (i32, Value) {
        let mut all = args.to_vec();
        all.extend(["auth", "status", "--format", "json"]);
        let run = self.run(env, &all);
        let status = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", run.stdout, run.stderr));
        (run.code, status)
    }

    fn write_profiles(&self, yaml: &str) {
        let dir = self.home.path().join(".config/yandex-cloud");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.yaml"), yaml).unwrap();
    }

    fn seed(&self) -> &yc_emulator::Seed {
        self.cloud.emulator.seed()
    }

    /// Every secret that must never be printed: issued tokens, the OAuth token, the key.
    fn secrets(&self) -> Vec<String> {
        let key: Value = serde_json::from_str(&self.key_json).unwrap();
        let private_key = key["private_key"].as_str().unwrap();
        let mut secrets = self.cloud.emulator.issued_secrets();
        secrets.extend(
            private_key
                .lines()
                .filter(|line| !line.starts_with("-----") && !line.starts_with("PLEASE"))
                .map(str::to_string),
        );
        secrets
    }

    #[track_caller]
    fn assert_no_secret(&self, run: &Run, context: &str) {
        for secret in self.secrets() {
            assert!(
                !run.stdout.contains(&secret) && !run.stderr.contains(&secret),
                "{context}: a secret was printed:\n{}\n{}",
                run.stdout,
                run.stderr
            );
        }
    }
}

/// A REST call to the emulator as the seeded admin.
fn admin_post(cloud: &Cloud, path: &str, body: Value) -> Value {
    let url = format!("{}{path}", cloud.emulator.base_url());
    let mut response = ureq::post(&url)
        .header(
            "authorization",
            format!("Bearer {}", cloud.emulator.seed().admin_token),
        )
        .header("content-type", "application/json")
        .send(body.to_string())
        .unwrap_or_else(|e| panic!("POST {path}: {e}"));
    serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap()
}

/// Creates a service account with `role` on the seeded folder; returns its id.
fn create_account(cloud: &Cloud, name: &str, role: &str) -> String {
    let folder = cloud.folder();
    let operation = admin_post(
        cloud,
        "/iam/v1/serviceAccounts",
        json!({"folderId": folder, "name": name}),
    );
    assert_eq!(operation["done"], true, "{operation}");
    let id = operation["response"]["id"].as_str().unwrap().to_string();
    admin_post(
        cloud,
        &format!("/resource-manager/v1/folders/{folder}:updateAccessBindings"),
        json!({"accessBindingDeltas": [{
            "action": "ADD",
            "accessBinding": {"roleId": role, "subject": {"id": id, "type": "serviceAccount"}},
        }]}),
    );
    id
}

/// Creates an authorized key through `POST /iam/v1/keys` and returns the key file JSON `yc`
/// writes (snake case, the private key after its `PLEASE DO NOT REMOVE THIS LINE!` line).
fn create_key_file_json(cloud: &Cloud, account_id: &str) -> String {
    let created = admin_post(
        cloud,
        "/iam/v1/keys",
        json!({"serviceAccountId": account_id}),
    );
    let key = &created["key"];
    let private_key = created["privateKey"].as_str().unwrap();
    assert!(
        private_key.starts_with("PLEASE DO NOT REMOVE THIS LINE!"),
        "{private_key:.60}"
    );
    json!({
        "id": key["id"],
        "service_account_id": key["serviceAccountId"],
        "created_at": key["createdAt"],
        "key_algorithm": key["keyAlgorithm"],
        "public_key": key["publicKey"],
        "private_key": private_key,
    })
    .to_string()
}

/// A fake VM metadata service on loopback: answers the token path (only with
/// `Metadata-Flavor: Google`) with `token`, counting the requests.
fn fake_metadata_service(token: &str, expires_in: u64) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    let body = json!({"access_token": token, "expires_in": expires_in, "token_type": "Bearer"})
        .to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut flavored = false;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line.trim().is_empty() {
                    break;
                }
                flavored |= line.to_ascii_lowercase().trim() == "metadata-flavor: google";
            }
            let ok = flavored
                && request_line.starts_with(
                    "GET /computeMetadata/v1/instance/service-accounts/default/token ",
                );
            let (status, body) = if ok {
                ("200 OK", body.as_str())
            } else {
                ("404 Not Found", "{}")
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (addr, requests)
}

fn profiles_yaml(oauth_token: &str, key_json: &str) -> String {
    let key: Value = serde_json::from_str(key_json).unwrap();
    let indent = |text: &str| {
        text.lines()
            .map(|line| format!("        {line}\n"))
            .collect::<String>()
    };
    format!(
        "current: user\nprofiles:\n  user:\n    token: {oauth_token}\n    folder-id: b1gprofilefolder\n  robot:\n    service-account-key:\n      id: {}\n      service_account_id: {}\n      key_algorithm: RSA_2048\n      private_key: |\n{}",
        key["id"].as_str().unwrap(),
        key["service_account_id"].as_str().unwrap(),
        indent(key["private_key"].as_str().unwrap()),
    )
}

#[test]
fn every_source_authenticates_against_the_emulator() {
    let fx = Fixture::new();
    let seed = fx.seed().clone();
    let folder = fx.cloud.folder();
    let key_path = fx.key_file.to_str().unwrap().to_string();
    fx.write_profiles(&profiles_yaml(&seed.oauth_token, &fx.key_json));
    struct Case<'a> {
        name: &'a str,
        env: Vec<(&'a str, &'a str)>,
        args: Vec<&'a str>,
        source: &'a str,
        origin: &'a str,
        subject: Option<&'a str>,
    }
    let cases = [
        Case {
            name: "--token",
            env: vec![],
            args: vec!["--token", &seed.admin_token],
            source: "iam-token",
            origin: "--token",
            subject: None,
        },
        Case {
            name: "YC_IAM_TOKEN",
            env: vec![("YC_IAM_TOKEN", &seed.admin_token)],
            args: vec![],
            source: "iam-token",
            origin: "YC_IAM_TOKEN",
            subject: None,
        },
        Case {
            name: "YC_TOKEN with an OAuth token",
            env: vec![("YC_TOKEN", &seed.oauth_token)],
            args: vec![],
            source: "oauth-token",
            origin: "YC_TOKEN",
            subject: None,
        },
        Case {
            name: "YC_TOKEN with an IAM token",
            env: vec![("YC_TOKEN", &seed.admin_token)],
            args: vec![],
            source: "iam-token",
            origin: "YC_TOKEN",
            subject: None,
        },
        Case {
            name: "YC_SERVICE_ACCOUNT_KEY_FILE",
            env: vec![("YC_SERVICE_ACCOUNT_KEY_FILE", &key_path)],
            args: vec![],
            source: "service-account-key",
            origin: "YC_SERVICE_ACCOUNT_KEY_FILE",
            subject: Some(&fx.account_id),
        },
        Case {
            name: "--service-account-key-file",
            env: vec![],
            args: vec!["--service-account-key-file", &key_path],
            source: "service-account-key",
            origin: "--service-account-key-file",
            subject: Some(&fx.account_id),
        },
        Case {
            name: "YC_SERVICE_ACCOUNT_KEY",
            env: vec![("YC_SERVICE_ACCOUNT_KEY", &fx.key_json)],
            args: vec![],
            source: "service-account-key",
            origin: "YC_SERVICE_ACCOUNT_KEY",
            subject: Some(&fx.account_id),
        },
        Case {
            name: "the current yc profile (OAuth token)",
            env: vec![],
            args: vec![],
            source: "oauth-token",
            origin: "the yc profile `user`",
            subject: None,
        },
        Case {
            name: "YC_PROFILE (service account key)",
            env: vec![("YC_PROFILE", "robot")],
            args: vec![],
            source: "service-account-key",
            origin: "the yc profile `robot`",
            subject: Some(&fx.account_id),
        },
        Case {
            name: "--profile (service account key)",
            env: vec![],
            args: vec!["--profile", "robot"],
            source: "service-account-key",
            origin: "the yc profile `robot`",
            subject: Some(&fx.account_id),
        },
    ];
    for case in &cases {
        let mut list = case.args.clone();
        list.extend([
            "account",
            "list",
            "--folder-id",
            &folder,
            "--format",
            "json",
        ]);
        let run = fx.run(&case.env, &list);
        let accounts = run.json();
        assert!(
            accounts
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a["id"] == fx.account_id.as_str()),
            "{}: {accounts}",
            case.name
        );
        fx.assert_no_secret(&run, case.name);

        let (code, status) = fx.status(&case.env, &case.args);
        assert_eq!(code, 0, "{}: {status}", case.name);
        assert_eq!(status["source"], case.source, "{}: {status}", case.name);
        let origin = status["origin"].as_str().unwrap();
        assert!(origin.starts_with(case.origin), "{}: {origin}", case.name);
        assert_eq!(
            status["subject_id"].as_str(),
            case.subject,
            "{}: {status}",
            case.name
        );
        assert_eq!(
            status["expires_at"].is_string(),
            case.source != "iam-token",
            "{}: a fetched token has an expiry: {status}",
            case.name
        );

        let mut text_args = case.args.clone();
        text_args.extend(["auth", "status"]);
        let text = fx.run(&case.env, &text_args);
        assert!(text.ok().contains("credential:"), "{}", text.stdout);
        fx.assert_no_secret(&text, case.name);
    }
}

#[test]
fn the_metadata_service_is_asked_lazily_and_only_when_nothing_else_is_configured() {
    let fx = Fixture::new();
    let folder = fx.cloud.folder();
    let (addr, requests) = fake_metadata_service(&fx.seed().admin_token, 3600);
    let env = [("YC_METADATA_ADDR", addr.as_str())];

    let out = fx.home.path().join("provider.wasm");
    fx.run(&env, &["provider-wasm", "--out", out.to_str().unwrap()])
        .ok();
    assert_eq!(
        requests.load(Ordering::SeqCst),
        0,
        "no API call, no metadata request"
    );

    let run = fx.run(&env, &["account", "list", "--folder-id", &folder]);
    assert!(run.ok().contains(&fx.account_id));
    assert_eq!(requests.load(Ordering::SeqCst), 1);
    fx.assert_no_secret(&run, "metadata");

    let (code, status) = fx.status(&env, &[]);
    assert_eq!(code, 0, "{status}");
    assert_eq!(status["source"], "metadata");
    assert!(status["expires_at"].is_string(), "{status}");

    let run = fx.run(
        &[("YC_METADATA_ADDR", addr.as_str()), ("YC_TOKEN", "y0_x")],
        &["auth", "status", "--format", "json"],
    );
    let status: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(status["origin"], "YC_TOKEN");
    assert_eq!(
        status["not_used"][0],
        format!("YC_METADATA_ADDR ({addr})"),
        "{status}"
    );
    assert_eq!(
        requests.load(Ordering::SeqCst),
        2,
        "only `auth status` asked"
    );
}

#[test]
fn precedence_follows_flags_then_environment_then_profile() {
    let fx = Fixture::new();
    let seed = fx.seed().clone();
    fx.write_profiles(&profiles_yaml(&seed.oauth_token, &fx.key_json));
    let key_path = fx.key_file.to_str().unwrap().to_string();
    let token_flag = ["--token", seed.admin_token.as_str()];
    let key_flag = ["--service-account-key-file", key_path.as_str()];
    struct Case<'a> {
        name: &'a str,
        env: Vec<(&'a str, &'a str)>,
        args: Vec<&'a str>,
        origin: &'a str,
        not_used: usize,
    }
    let table = [
        Case {
            name: "--token over everything",
            env: vec![
                ("YC_TOKEN", &seed.oauth_token),
                ("YC_SERVICE_ACCOUNT_KEY_FILE", &key_path),
            ],
            args: [token_flag, key_flag].concat(),
            origin: "--token",
            not_used: 4,
        },
        Case {
            name: "the key file flag over the environment",
            env: vec![
                ("YC_TOKEN", &seed.oauth_token),
                ("YC_SERVICE_ACCOUNT_KEY", &fx.key_json),
            ],
            args: key_flag.to_vec(),
            origin: "--service-account-key-file",
            not_used: 3,
        },
        Case {
            name: "YC_IAM_TOKEN over YC_TOKEN",
            env: vec![
                ("YC_IAM_TOKEN", &seed.admin_token),
                ("YC_TOKEN", &seed.oauth_token),
            ],
            args: vec![],
            origin: "YC_IAM_TOKEN",
            not_used: 2,
        },
        Case {
            name: "key file over key JSON",
            env: vec![
                ("YC_SERVICE_ACCOUNT_KEY", &fx.key_json),
                ("YC_SERVICE_ACCOUNT_KEY_FILE", &key_path),
            ],
            args: vec![],
            origin: "YC_SERVICE_ACCOUNT_KEY_FILE",
            not_used: 2,
        },
        Case {
            name: "key JSON over YC_TOKEN",
            env: vec![
                ("YC_TOKEN", &seed.oauth_token),
                ("YC_SERVICE_ACCOUNT_KEY", &fx.key_json),
            ],
            args: vec![],
            origin: "YC_SERVICE_ACCOUNT_KEY",
            not_used: 2,
        },
        Case {
            name: "YC_TOKEN over the profile",
            env: vec![("YC_TOKEN", &seed.oauth_token)],
            args: vec![],
            origin: "YC_TOKEN",
            not_used: 1,
        },
        Case {
            name: "the profile last",
            env: vec![],
            args: vec![],
            origin: "the yc profile `user`",
            not_used: 0,
        },
    ];
    for Case {
        name,
        env,
        args,
        origin,
        not_used,
    } in table
    {
        let (code, status) = fx.status(&env, &args);
        assert_eq!(code, 0, "{name}: {status}");
        assert!(
            status["origin"].as_str().unwrap().starts_with(origin),
            "{name}: {status}"
        );
        assert_eq!(
            status["not_used"].as_array().unwrap().len(),
            not_used,
            "{name}: {status}"
        );
    }
    let (_, status) = fx.status(&[], &[]);
    assert_eq!(
        status["folder_id"], "b1gprofilefolder",
        "the profile's folder is the default"
    );
}

#[test]
fn rejected_and_broken_credentials_fail_clearly_with_exit_6() {
    let fx = Fixture::new();
    let folder = fx.cloud.folder();
    let bogus_oauth = "y0_AgAAAAAbogusbogusbogusbogusbogusbogusbogus";
    let missing = fx.home.path().join("missing.json");
    let missing = missing.to_str().unwrap();
    let unknown_key = fx.key_json.replace(
        serde_json::from_str::<Value>(&fx.key_json).unwrap()["id"]
            .as_str()
            .unwrap(),
        "ajeunknownkey0000000",
    );
    let table: [(&str, (&str, &str), &[&str]); 4] = [
        (
            "a rejected OAuth token",
            ("YC_TOKEN", bogus_oauth),
            &[
                "the OAuth token from YC_TOKEN was rejected",
                "UNAUTHENTICATED",
                "/iam/v1/tokens",
            ],
        ),
        (
            "a missing key file",
            ("YC_SERVICE_ACCOUNT_KEY_FILE", missing),
            &[
                "service account key from YC_SERVICE_ACCOUNT_KEY_FILE",
                "cannot read",
                "missing.json",
            ],
        ),
        (
            "an unknown key",
            ("YC_SERVICE_ACCOUNT_KEY", &unknown_key),
            &["was rejected", "UNAUTHENTICATED", "Invalid JWT"],
        ),
        (
            "not a key",
            ("YC_SERVICE_ACCOUNT_KEY", "{\"id\": 1}"),
            &["not an authorized key JSON"],
        ),
    ];
    for (name, env, says) in table {
        let run = fx.run(&[env], &["account", "list", "--folder-id", &folder]);
        assert_eq!(run.code, 6, "{name}: {}", run.stderr);
        assert!(
            run.stderr.starts_with("error: cannot authenticate: "),
            "{name}: {}",
            run.stderr
        );
        for phrase in says {
            assert!(
                run.stderr.contains(phrase),
                "{name}: lacks `{phrase}`: {}",
                run.stderr
            );
        }
        assert!(!run.stderr.contains(bogus_oauth), "{name}: token leaked");
        fx.assert_no_secret(&run, name);

        let (code, status) = fx.status(&[env], &[]);
        assert_eq!(code, 6, "{name}: {status}");
        assert!(
            status["error"].as_str().unwrap().contains(says[0]),
            "{name}: {status}"
        );
    }

    let run = fx.run(&[], &["--profile", "nope", "auth", "status"]);
    assert_eq!(run.code, 6, "{}", run.stdout);
    assert!(run.stdout.contains("does not exist"), "{}", run.stdout);

    let run = fx.run(&[], &["auth", "status"]);
    assert_eq!(run.code, 6);
    assert!(run.stdout.contains("credential:  none"), "{}", run.stdout);
}

#[test]
fn the_provider_block_token_and_key_are_used_by_the_declarative_commands() {
    let fx = Fixture::new();
    let seed = fx.seed().clone();
    let folder = fx.cloud.folder();
    let dir = tempfile::tempdir().unwrap();
    let config = |credential: &str, name: &str| {
        format!(
            "provider \"yandex\" {{\n  {credential}\n  folder_id = \"{folder}\"\n}}\n\nresource \"yandex_iam_service_account\" \"sa\" {{\n  name = \"{name}\"\n}}\n"
        )
    };
    let apply = |dir: &Path| {
        let mut command = base_command(Some(dir));
        command
            .env("YC_ENDPOINT", fx.cloud.emulator.base_url())
            .env("HOME", fx.home.path());
        Run::of(command.args(["apply", "-auto-approve"]))
    };

    std::fs::write(
        dir.path().join("main.tf"),
        config(&format!("token = \"{}\"", seed.oauth_token), "from-oauth"),
    )
    .unwrap();
    let run = apply(dir.path());
    run.ok();
    fx.assert_no_secret(&run, "provider token");

    let key_dir = tempfile::tempdir().unwrap();
    std::fs::copy(&fx.key_file, key_dir.path().join("key.json")).unwrap();
    std::fs::write(
        key_dir.path().join("main.tf"),
        config("service_account_key_file = \"key.json\"", "from-key"),
    )
    .unwrap();
    let run = apply(key_dir.path());
    run.ok();
    fx.assert_no_secret(&run, "provider key file");

    let names: Vec<String> = fx
        .cloud
        .emulator
        .snapshot()
        .service_accounts
        .iter()
        .map(|a| a.name.clone())
        .collect();
    assert!(names.contains(&"from-oauth".to_string()), "{names:?}");
    assert!(names.contains(&"from-key".to_string()), "{names:?}");

    let bad_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        bad_dir.path().join("main.tf"),
        config("token = \"y0_rejected-provider-token\"", "never"),
    )
    .unwrap();
    let run = apply(bad_dir.path());
    assert_ne!(run.code, 0);
    let output = format!("{}{}", run.stdout, run.stderr);
    assert!(
        output.contains("the OAuth token from the provider block's `token` was rejected"),
        "{output}"
    );
    assert!(!output.contains("y0_rejected-provider-token"), "{output}");
}

/// A clock the test moves by hand.
struct ManualClock(std::sync::Mutex<time::OffsetDateTime>);

impl ycprov::yandex::credentials::cache::Clock for ManualClock {
    fn now(&self) -> time::OffsetDateTime {
        *self.0.lock().unwrap()
    }
}

#[test]
fn an_exchanged_token_is_cached_shared_and_refreshed_before_it_expires() {
    use secrecy::ExposeSecret;
    use ycprov::yandex::credentials::{Credential, CredentialConfig};

    let cloud = Cloud::start();
    let clock = Arc::new(ManualClock(std::sync::Mutex::new(
        time::OffsetDateTime::now_utc(),
    )));
    let config = CredentialConfig {
        env_token: Some(cloud.emulator.seed().oauth_token.clone().into()),
        endpoint: Some(cloud.emulator.base_url()),
        ..CredentialConfig::default()
    };
    let credential = Credential::resolve_with_clock(&config, clock.clone());
    let exchanges = || cloud.emulator.stats().count("POST /iam/v1/tokens");

    let tokens: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| credential.token().unwrap().unwrap()))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap().expose_secret().to_string())
            .collect()
    });
    assert!(tokens.iter().all(|t| t == &tokens[0]), "one token for all");
    assert_eq!(exchanges(), 1, "concurrent callers share one exchange");
    assert!(credential.expires_at().is_some());

    let steps = [(10 * 60, 1, false), (60, 2, true), (30, 2, false)];
    let mut current = tokens[0].clone();
    for (advance_minutes, expected_exchanges, renewed) in steps {
        *clock.0.lock().unwrap() += time::Duration::minutes(advance_minutes);
        let token = credential.token().unwrap().unwrap();
        assert_eq!(
            exchanges(),
            expected_exchanges,
            "after +{advance_minutes} min"
        );
        assert_eq!(
            token.expose_secret() != current,
            renewed,
            "after +{advance_minutes} min"
        );
        current = token.expose_secret().to_string();
    }
    assert!(!format!("{credential:?}").contains(&current));
}
