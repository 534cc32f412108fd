//! Secret hygiene: with trace logging on (`RUST_LOG=trace` or `--log trace`, every
//! target), no token and no API key secret the emulator issued appears in any output,
//! in clear, in pieces (a wire dump's text column), as hex (a wire dump's bytes) or as
//! base64, except where the user asked for it (`key create` prints its new secret,
//! `output -raw` the one requested).

use crate::support::{Cloud, Run, base_command};

#[test]
fn trace_logs_and_outputs_never_contain_a_secret() {
    let cloud = Cloud::start();
    let folder = cloud.folder();
    let token = cloud.emulator.seed().admin_token.clone();
    // Compile (and cache) the component once without tracing: Cranelift's own trace output is huge.
    cloud
        .ycprov(&["account", "list", "--folder-id", &folder])
        .ok();
    let mut checked = Vec::new();
    let mut trace = |args: &[&str], dir: Option<&std::path::Path>, prints_secret: bool| -> Run {
        let mut command = base_command(dir);
        if checked.len() % 2 == 0 {
            command.env("RUST_LOG", "trace");
        } else {
            command.args(["--log", "trace"]);
        }
        let run = Run::of(
            command
                .env("YC_ENDPOINT", cloud.emulator.base_url())
                .env("YC_IAM_TOKEN", &token)
                .env("YC_FOLDER_ID", &folder)
                .args(args),
        );
        let stdout = if prints_secret {
            String::new()
        } else {
            run.stdout.clone()
        };
        checked.push((args.join(" "), run.stderr.clone(), stdout));
        run
    };

    let account = trace(
        &[
            "account",
            "create",
            "--folder-id",
            &folder,
            "--name",
            "sa-hygiene",
            "--format",
            "json",
        ],
        None,
        false,
    )
    .json();
    let id = account["id"].as_str().unwrap().to_string();
    trace(
        &[
            "role",
            "bind",
            "--folder-id",
            &folder,
            "--role",
            "ai.languageModels.user",
            "--service-account-id",
            &id,
        ],
        None,
        false,
    )
    .ok();
    let created = trace(
        &[
            "key",
            "create",
            "--service-account-id",
            &id,
            "--format",
            "json",
        ],
        None,
        true,
    );
    let printed_secret = created.json()["secret"].as_str().unwrap().to_string();
    trace(&["key", "list", "--service-account-id", &id], None, false).ok();

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"
resource "yandex_iam_service_account" "sa" { name = "sa-hygiene-tf" }
resource "yandex_iam_service_account_api_key" "k" {
  service_account_id = yandex_iam_service_account.sa.id
  scopes             = ["yc.ai.languageModels.execute"]
}
output "secret" {
  value     = yandex_iam_service_account_api_key.k.secret_key
  sensitive = true
}
"#,
    )
    .unwrap();
    trace(&["apply", "-auto-approve"], Some(dir.path()), false).ok();
    trace(&["plan", "-json"], Some(dir.path()), false).ok();
    trace(&["refresh"], Some(dir.path()), false).ok();
    trace(
        &["state", "show", "yandex_iam_service_account_api_key.k"],
        Some(dir.path()),
        false,
    )
    .ok();
    trace(&["output"], Some(dir.path()), false).ok();
    trace(&["output", "-raw", "secret"], Some(dir.path()), true).ok();
    trace(&["validate"], Some(dir.path()), false).ok();
    trace(&["state", "list"], Some(dir.path()), false).ok();
    trace(&["auth", "status"], None, false);
    trace(
        &["import", "yandex_iam_service_account.sa", &id],
        Some(dir.path()),
        false,
    );
    trace(&["destroy", "-auto-approve"], Some(dir.path()), false).ok();

    let secrets = cloud.emulator.issued_secrets();
    assert!(
        secrets.contains(&printed_secret),
        "the emulator reports the secrets it issued"
    );
    assert!(secrets.contains(&token));
    let mut hits = Vec::new();
    for (command, stderr, stdout) in &checked {
        for secret in &secrets {
            if let Some(how) = leaks(stderr, secret) {
                hits.push(format!("stderr of `{command}` ({how})"));
            }
            if let Some(how) = leaks(stdout, secret) {
                hits.push(format!("stdout of `{command}` ({how})"));
            }
        }
    }
    let runs = checked.len();
    let traced = checked
        .iter()
        .filter(|(_, stderr, _)| stderr.contains("TRACE"))
        .count();
    assert!(traced >= 8, "only {traced} runs wrote trace logs");
    assert!(hits.is_empty(), "secrets leaked into: {hits:?}");
    assert!(runs >= 15, "{runs} runs checked");
}

/// How `text` shows `secret`, if it does: whole, as a 12-character piece (a wire dump
/// prints 16 bytes a row), as hex of any 8 bytes of it (white space ignored), or as
/// base64 (standard or URL-safe).
fn leaks(text: &str, secret: &str) -> Option<&'static str> {
    use base64::Engine;
    if text.contains(secret) {
        return Some("clear");
    }
    let bytes = secret.as_bytes();
    if bytes.len() >= 24
        && bytes
            .windows(12)
            .any(|w| text.contains(std::str::from_utf8(w).unwrap_or("\0")))
    {
        return Some("a piece in clear");
    }
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    let hex = |w: &[u8]| w.iter().map(|b| format!("{b:02x}")).collect::<String>();
    if bytes.len() >= 24 && bytes.windows(8).any(|w| compact.contains(&hex(w))) {
        return Some("hex");
    }
    let engines = [
        base64::engine::general_purpose::STANDARD.encode(bytes),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
    ];
    if engines.iter().any(|b| {
        text.contains(
            b.trim_end_matches('=')
                .get(..b.len().saturating_sub(4))
                .unwrap_or(b),
        )
    }) {
        return Some("base64");
    }
    None
}

#[test]
fn the_leak_check_finds_every_encoding() {
    use base64::Engine;
    let secret = "t1.9euelZqKmZ0abcdefghijklmnop";
    let dump: String = secret
        .as_bytes()
        .chunks(16)
        .map(|row| {
            let hex: Vec<String> = row
                .chunks(2)
                .map(|p| p.iter().map(|b| format!("{b:02x}")).collect())
                .collect();
            format!(
                "TRACE ureq_proto: {} {}\n",
                hex.join(" "),
                String::from_utf8_lossy(row)
            )
        })
        .collect();
    let cases = [
        (format!("x {secret} y"), Some("clear")),
        (dump, Some("a piece in clear")),
        (
            format!(
                "bytes {}",
                secret
                    .bytes()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>()
            ),
            Some("hex"),
        ),
        (
            format!(
                "b64 {}",
                base64::engine::general_purpose::STANDARD.encode(secret)
            ),
            Some("base64"),
        ),
        ("nothing here".to_string(), None),
    ];
    for (text, want) in cases {
        assert_eq!(leaks(&text, secret), want, "{text}");
    }
}
