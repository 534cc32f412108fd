//! The configuration's `backend`: where the state is kept.
//!
//! * `backend "local" { path = "…" }` (or none) keeps it in a local file; `-state` wins
//!   over `path`.
//! * `backend "s3" { … }` keeps it in a bucket (`s3.rs`), with Terraform's argument names
//!   as Yandex Object Storage documents them. Credentials come from `access_key` /
//!   `secret_key`, else `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`, else the shared
//!   credentials file (`shared_credentials_files`, `AWS_SHARED_CREDENTIALS_FILE`,
//!   `~/.aws/credentials`) with `profile` (`AWS_PROFILE`, `default`).

pub mod init;
pub mod s3;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use rusty_s3::Credentials;
use serde_json::{Map, Value};
use ycprov_engine::commands::Options;
use ycprov_engine::config::BackendBlock;

use s3::S3State;

/// The default state file name (the `-state` flag's default).
pub const DEFAULT_STATE: &str = "terraform.tfstate";

/// Points `opts` at the state of the configuration's backend: the bucket of an `s3`
/// backend, or the `path` of a `local` one unless `-state` named another file.
/// A configuration that does not load is left to the command to report.
pub fn apply_backend(opts: &mut Options, state_flag: &Path) -> Result<()> {
    let Ok(config) = ycprov_engine::commands::load_config(&opts.config_dir) else {
        return Ok(());
    };
    let Some(backend) = &config.backend else {
        return Ok(());
    };
    match backend.kind.as_str() {
        "s3" => {
            let remote = s3_state(&backend.settings)?;
            opts.remote = Some(Arc::new(remote));
        }
        _ => {
            if let Some(path) = backend.settings.get("path").and_then(Value::as_str)
                && state_flag == Path::new(DEFAULT_STATE)
            {
                opts.state_path = Some(opts.config_dir.join(path));
            }
        }
    }
    Ok(())
}

/// The backend block of the configuration in `dir`, if it has one.
pub fn backend_of(dir: &Path) -> Option<BackendBlock> {
    ycprov_engine::commands::load_config(dir).ok()?.backend
}

fn text<'a>(settings: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>> {
    match settings.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.as_str())),
        Some(other) => bail!("the s3 backend argument {name} must be a string, got {other}"),
    }
}

fn flag(settings: &Map<String, Value>, name: &str) -> Result<bool> {
    match settings.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(set)) => Ok(*set),
        Some(other) => bail!("the s3 backend argument {name} must be true or false, got {other}"),
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The bucket state an `s3` backend block names.
pub fn s3_state(settings: &Map<String, Value>) -> Result<S3State> {
    let bucket = text(settings, "bucket")?.context("the s3 backend needs bucket")?;
    let key =
        text(settings, "key")?.context("the s3 backend needs key (the state object's name)")?;
    if key.is_empty() || key.starts_with('/') || key.ends_with('/') {
        bail!(
            "the s3 backend key {key:?} must be an object name such as \"ycprov/terraform.tfstate\""
        );
    }
    let region = match text(settings, "region")? {
        Some(region) => region.to_string(),
        None => env("AWS_REGION")
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .context("the s3 backend needs region (Yandex Object Storage: \"ru-central1\")")?,
    };
    let endpoint = match settings.get("endpoints") {
        Some(Value::Object(endpoints)) => endpoints.get("s3").and_then(Value::as_str).map(str::to_string),
        None | Some(Value::Null) => None,
        Some(other) => bail!("the s3 backend argument endpoints must be an object such as {{ s3 = \"https://storage.yandexcloud.net\" }}, got {other}"),
    }
    .or(text(settings, "endpoint")?.map(str::to_string))
    .or_else(|| env("AWS_ENDPOINT_URL_S3"))
    .unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
    let path_style = flag(settings, "use_path_style")? || flag(settings, "force_path_style")?;
    for accepted in [
        "skip_region_validation",
        "skip_credentials_validation",
        "skip_requesting_account_id",
        "skip_metadata_api_check",
        "skip_s3_checksum",
        "use_lockfile",
    ] {
        flag(settings, accepted)?;
    }
    if !flag(settings, "use_lockfile")? {
        eprintln!(
            "\nWarning: the s3 backend has no use_lockfile = true\n\nycprov locks the state with a lock object anyway (s3://{bucket}/{key}.tflock), as Terraform does with use_lockfile; set it to say so.\n"
        );
    }
    let credentials = credentials(settings)?;
    S3State::new(
        &endpoint,
        path_style,
        bucket,
        &region,
        key,
        credentials,
        Duration::from_secs(60),
    )
}

/// The access key: the block's, the environment's, or the shared credentials file's.
fn credentials(settings: &Map<String, Value>) -> Result<Credentials> {
    let register = |key: &str, secret: &str| {
        crate::redact::register(key);
        crate::redact::register(secret);
    };
    if let (Some(key), Some(secret)) =
        (text(settings, "access_key")?, text(settings, "secret_key")?)
    {
        register(key, secret);
        return Ok(Credentials::new(key, secret));
    }
    if let (Some(key), Some(secret)) = (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
        register(&key, &secret);
        return Ok(match env("AWS_SESSION_TOKEN") {
            Some(token) => {
                crate::redact::register(&token);
                Credentials::new_with_token(key, secret, token)
            }
            None => Credentials::new(key, secret),
        });
    }
    let profile = text(settings, "profile")?
        .map(str::to_string)
        .or_else(|| env("AWS_PROFILE"))
        .unwrap_or_else(|| "default".into());
    let files = credential_files(settings)?;
    for file in &files {
        let Ok(contents) = std::fs::read_to_string(file) else {
            continue;
        };
        if let Some((key, secret)) = profile_keys(&contents, &profile) {
            register(&key, &secret);
            return Ok(Credentials::new(key, secret));
        }
    }
    bail!(
        "the s3 backend has no access key: set access_key and secret_key in the backend block, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile [{profile}] in a shared credentials file (looked in: {})",
        files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn credential_files(settings: &Map<String, Value>) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    match settings.get("shared_credentials_files") {
        Some(Value::Array(items)) => {
            for item in items {
                let path = item
                    .as_str()
                    .context("shared_credentials_files must hold strings")?;
                files.push(expand_home(path));
            }
        }
        None | Some(Value::Null) => {}
        Some(_) => {
            bail!("the s3 backend argument shared_credentials_files must be a list of paths")
        }
    }
    if let Some(path) = text(settings, "shared_credentials_file")? {
        files.push(expand_home(path));
    }
    if files.is_empty() {
        match env("AWS_SHARED_CREDENTIALS_FILE") {
            Some(path) => files.push(expand_home(&path)),
            None => files.push(expand_home("~/.aws/credentials")),
        }
    }
    Ok(files)
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), env("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// `aws_access_key_id` and `aws_secret_access_key` of `[profile]` in an INI credentials file.
fn profile_keys(contents: &str, profile: &str) -> Option<(String, String)> {
    let mut in_profile = false;
    let (mut key, mut secret) = (None, None);
    for line in contents.lines().map(str::trim) {
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_profile = name.trim() == profile;
            continue;
        }
        if !in_profile {
            continue;
        }
        if let Some((name, value)) = line.split_once('=') {
            match name.trim() {
                "aws_access_key_id" => key = Some(value.trim().to_string()),
                "aws_secret_access_key" => secret = Some(value.trim().to_string()),
                _ => {}
            }
        }
    }
    key.zip(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_profile_of_a_shared_credentials_file() {
        let file = "[default]\naws_access_key_id = AKDEFAULT\naws_secret_access_key = s1\n\n# team\n[ci]\naws_access_key_id=AKCI\naws_secret_access_key=s2\n";
        let cases = [
            ("default", Some(("AKDEFAULT", "s1"))),
            ("ci", Some(("AKCI", "s2"))),
            ("other", None),
        ];
        for (profile, expected) in cases {
            assert_eq!(
                profile_keys(file, profile),
                expected.map(|(k, s)| (k.to_string(), s.to_string())),
                "{profile}"
            );
        }
    }
}
