//! The `yc` CLI configuration (`~/.config/yandex-cloud/config.yaml`): its profiles' credentials
//! and default cloud, folder and endpoint.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

use super::service_account_key::KeyFields;

/// The configuration file under the home directory.
pub const CONFIG_FILE: &str = ".config/yandex-cloud/config.yaml";

/// The file: the current profile's name and every profile.
#[derive(Deserialize)]
struct ConfigFile {
    current: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// One profile (the keys ycprov uses; others are ignored).
#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub struct Profile {
    /// An OAuth token (or an IAM token, `t1.…`).
    #[serde(default, deserialize_with = "optional_secret")]
    pub token: Option<SecretString>,
    /// An authorized key, inline.
    pub service_account_key: Option<KeyFields>,
    /// Use the VM's service account through the metadata service.
    #[serde(default)]
    pub instance_service_account: bool,
    /// A federation id (federated accounts need a browser login, which ycprov cannot do).
    pub federation_id: Option<String>,
    /// The default cloud.
    pub cloud_id: Option<String>,
    /// The default folder.
    pub folder_id: Option<String>,
    /// The API endpoint.
    pub endpoint: Option<String>,
}

fn optional_secret<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<SecretString>, D::Error> {
    Ok(Option::<String>::deserialize(d)?
        .filter(|s| !s.is_empty())
        .map(SecretString::from))
}

/// A profile taken from the file, with where it came from.
pub struct LoadedProfile {
    /// The profile's name.
    pub name: String,
    /// The configuration file.
    pub file: PathBuf,
    /// Its settings.
    pub profile: Profile,
}

impl LoadedProfile {
    /// "the yc profile `NAME` (FILE)".
    pub fn describe(&self) -> String {
        format!("the yc profile `{}` ({})", self.name, self.file.display())
    }
}

/// Loads profile `wanted` (or the file's `current:` one) from `file`. `Ok(None)` when the
/// file does not exist and no profile was asked for by name.
pub fn load(file: &Path, wanted: Option<&str>) -> Result<Option<LoadedProfile>, String> {
    let text = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return match wanted {
                Some(name) => Err(format!(
                    "the yc profile `{name}` was asked for, but {} does not exist",
                    file.display()
                )),
                None => Ok(None),
            };
        }
        Err(e) => return Err(format!("cannot read {}: {e}", file.display())),
    };
    let mut config: ConfigFile = serde_norway::from_str(&text).map_err(|e| {
        let place = e
            .location()
            .map(|l| format!(" at line {} column {}", l.line(), l.column()))
            .unwrap_or_default();
        format!("{} is not a valid yc configuration{place}", file.display())
    })?;
    let name = match wanted.map(str::to_string).or(config.current.take()) {
        Some(name) => name,
        None if config.profiles.is_empty() => return Ok(None),
        None => {
            return Err(format!(
                "{} names no current profile; pass --profile or set YC_PROFILE",
                file.display()
            ));
        }
    };
    let profile = config.profiles.remove(&name).ok_or_else(|| {
        format!(
            "{} has no profile `{name}` (it has: {})",
            file.display(),
            config
                .profiles
                .keys()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    Ok(Some(LoadedProfile {
        name,
        file: file.to_path_buf(),
        profile,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    const CONFIG: &str = r#"
current: user
profiles:
  user:
    token: y0_user-oauth-token
    cloud-id: b1gcloud
    folder-id: b1gfolder
    compute-default-zone: ru-central1-a
  robot:
    service-account-key:
      id: ajekey
      service_account_id: ajesa
      created_at: "2026-01-01T00:00:00Z"
      key_algorithm: RSA_2048
      public_key: |
        -----BEGIN PUBLIC KEY-----
        -----END PUBLIC KEY-----
      private_key: |
        PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <ajekey>
        -----BEGIN PRIVATE KEY-----
        -----END PRIVATE KEY-----
    endpoint: http://127.0.0.1:1
  vm:
    instance-service-account: true
  federated:
    federation-id: bpf123
"#;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.yaml");
        std::fs::write(&file, text).unwrap();
        (dir, file)
    }

    #[test]
    fn reads_the_current_or_the_named_profile() {
        let (_dir, file) = write(CONFIG);
        let current = load(&file, None).unwrap().unwrap();
        assert_eq!(current.name, "user");
        let user = &current.profile;
        assert_eq!(
            user.token.as_ref().unwrap().expose_secret(),
            "y0_user-oauth-token"
        );
        assert_eq!(user.cloud_id.as_deref(), Some("b1gcloud"));
        assert_eq!(user.folder_id.as_deref(), Some("b1gfolder"));

        let robot = load(&file, Some("robot")).unwrap().unwrap();
        let key = robot.profile.service_account_key.as_ref().unwrap();
        assert_eq!(key.service_account_id, "ajesa");
        assert!(
            key.private_key
                .expose_secret()
                .starts_with("PLEASE DO NOT REMOVE")
        );
        assert_eq!(
            robot.profile.endpoint.as_deref(),
            Some("http://127.0.0.1:1")
        );
        assert!(
            load(&file, Some("vm"))
                .unwrap()
                .unwrap()
                .profile
                .instance_service_account
        );
        assert!(robot.describe().contains("`robot`"));
    }

    #[test]
    fn problems_are_explained() {
        let (_dir, file) = write(CONFIG);
        let missing = load(&file, Some("nope")).err().unwrap();
        assert!(missing.contains("no profile `nope`"), "{missing}");
        assert!(missing.contains("robot"), "{missing}");

        let (_dir2, bad) = write("profiles: [\n  token: y0_secret-value");
        let error = load(&bad, None).err().unwrap();
        assert!(error.contains("not a valid yc configuration"), "{error}");
        assert!(!error.contains("y0_secret-value"), "{error}");

        let (_dir3, no_current) = write("profiles:\n  a:\n    token: y0_x\n");
        assert!(load(&no_current, None).err().unwrap().contains("--profile"));

        let absent = Path::new("/nonexistent/ycprov/config.yaml");
        assert!(load(absent, None).unwrap().is_none());
        assert!(
            load(absent, Some("p"))
                .err()
                .unwrap()
                .contains("does not exist")
        );
    }
}
