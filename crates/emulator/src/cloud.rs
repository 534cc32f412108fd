//! The whole emulated cloud: resources, credentials, operations and idempotency records, and
//! its persistence in a state file.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::{self, Principal};
use crate::clock;
use crate::error::{ApiError, ApiResult};
use crate::ids::{FOLDER_PREFIX, IAM_PREFIX, IdGen};
use crate::model::{
    AccessBinding, AccessKey, ApiKey, AuthorizedKey, Folder, LockboxSecret, LockboxSecretSnapshot,
    LockboxVersion, ServiceAccount, Snapshot,
};
use crate::operation::OperationRecord;

/// Version of the state file format.
const FORMAT_VERSION: u32 = 1;

/// An issued IAM token.
#[derive(Clone, Serialize, Deserialize)]
pub struct TokenGrant {
    /// Who the token authenticates.
    pub principal: Principal,
    /// Unix expiry; `None` for the seeded tokens, which never expire.
    pub expires_at: Option<i64>,
}

/// A static access key and its secret, which only the create response carries.
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredAccessKey {
    /// The key as clients see it.
    pub key: AccessKey,
    /// The secret.
    pub secret: String,
}

/// A Lockbox secret with its versions and their payloads.
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredSecret {
    /// The secret as clients see it.
    pub secret: LockboxSecret,
    /// Its versions, oldest first.
    pub versions: Vec<StoredVersion>,
}

/// A version of a Lockbox secret and its payload.
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredVersion {
    /// The version as clients see it.
    pub version: LockboxVersion,
    /// Its entries: key and value (`{"textValue": …}` or `{"binaryValue": …}`).
    pub entries: Vec<(String, Value)>,
}

/// An API key with its secret (kept for Idempotency-Key replays of the create call).
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredApiKey {
    /// The key as clients see it.
    pub key: ApiKey,
    /// The secret.
    pub secret: String,
}

/// What a repeated `Idempotency-Key` returns.
#[derive(Clone, Serialize, Deserialize)]
pub enum Replay {
    /// The Operation the first request started (returned with its current status).
    Operation(String),
    /// The first response of a method that does not return an Operation.
    Response(Value),
}

/// The identities a fresh cloud is seeded with.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seed {
    /// The cloud's id.
    pub cloud_id: String,
    /// The main folder's id.
    pub folder_id: String,
    /// A second folder's id.
    pub other_folder_id: String,
    /// IAM token of a user with role `admin` on both folders.
    pub admin_token: String,
    /// IAM token of a user with role `viewer` on both folders.
    pub viewer_token: String,
    /// OAuth token (`y0_…`) of the admin user, exchangeable at `POST /iam/v1/tokens`.
    pub oauth_token: String,
    /// The admin user's id.
    pub admin_user_id: String,
    /// The viewer user's id.
    pub viewer_user_id: String,
}

impl std::fmt::Debug for Seed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seed")
            .field("cloud_id", &self.cloud_id)
            .field("folder_id", &self.folder_id)
            .field("other_folder_id", &self.other_folder_id)
            .field("admin_token", &"<redacted>")
            .field("viewer_token", &"<redacted>")
            .field("oauth_token", &"<redacted>")
            .field("admin_user_id", &self.admin_user_id)
            .field("viewer_user_id", &self.viewer_user_id)
            .finish()
    }
}

/// The complete state of the emulated cloud.
#[derive(Clone, Serialize, Deserialize)]
pub struct CloudState {
    /// State file format version.
    pub format_version: u32,
    /// The id and token generator.
    pub ids: IdGen,
    /// Seeded identities.
    pub seed: Seed,
    /// Folders by id.
    pub folders: BTreeMap<String, Folder>,
    /// Service accounts by id.
    pub service_accounts: BTreeMap<String, ServiceAccount>,
    /// Access bindings of folders, by folder id.
    pub folder_bindings: BTreeMap<String, Vec<AccessBinding>>,
    /// Access bindings on service accounts (who may act on them), by service-account id.
    pub service_account_bindings: BTreeMap<String, Vec<AccessBinding>>,
    /// Access bindings of the cloud (state files written before they existed have none).
    #[serde(default)]
    pub cloud_bindings: Vec<AccessBinding>,
    /// API keys by id.
    pub api_keys: BTreeMap<String, StoredApiKey>,
    /// Static access keys by id (state files written before they existed have none).
    #[serde(default)]
    pub access_keys: BTreeMap<String, StoredAccessKey>,
    /// Authorized keys by id.
    pub keys: BTreeMap<String, AuthorizedKey>,
    /// Lockbox secrets by id (state files written before they existed have none).
    #[serde(default)]
    pub lockbox_secrets: BTreeMap<String, StoredSecret>,
    /// IAM tokens.
    pub tokens: BTreeMap<String, TokenGrant>,
    /// OAuth tokens and the user each belongs to.
    pub oauth_tokens: BTreeMap<String, String>,
    /// Operations by id.
    pub operations: BTreeMap<String, OperationRecord>,
    /// Idempotency keys and what they replay.
    pub idempotency: BTreeMap<String, Replay>,
    /// Every secret ever issued (tokens and API-key secrets).
    pub issued_secrets: Vec<String>,
}

fn binding(role: &str, subject_type: &str, subject_id: &str) -> AccessBinding {
    AccessBinding {
        role_id: role.to_string(),
        subject_type: subject_type.to_string(),
        subject_id: subject_id.to_string(),
    }
}

impl CloudState {
    /// A fresh cloud: one cloud, two folders, an admin and a viewer user, their tokens.
    pub fn fresh(seed: u64) -> CloudState {
        let mut ids = IdGen::new(seed);
        let created_at = clock::now_rfc3339();
        let cloud_id = ids.resource_id(FOLDER_PREFIX);
        let folder_id = ids.resource_id(FOLDER_PREFIX);
        let other_folder_id = ids.resource_id(FOLDER_PREFIX);
        let admin_user_id = ids.resource_id(IAM_PREFIX);
        let viewer_user_id = ids.resource_id(IAM_PREFIX);
        let admin_token = ids.iam_token();
        let viewer_token = ids.iam_token();
        let oauth_token = ids.oauth_token();

        let mut folders = BTreeMap::new();
        let mut folder_bindings = BTreeMap::new();
        for (id, name) in [(&folder_id, "default"), (&other_folder_id, "second")] {
            folders.insert(
                id.clone(),
                Folder {
                    id: id.clone(),
                    cloud_id: cloud_id.clone(),
                    created_at: created_at.clone(),
                    name: name.to_string(),
                    description: String::new(),
                },
            );
            folder_bindings.insert(
                id.clone(),
                vec![
                    binding("admin", "userAccount", &admin_user_id),
                    binding("viewer", "userAccount", &viewer_user_id),
                ],
            );
        }
        let user = |id: &str| Principal {
            subject_type: "userAccount".into(),
            subject_id: id.to_string(),
        };
        let mut tokens = BTreeMap::new();
        for (token, user_id) in [
            (&admin_token, &admin_user_id),
            (&viewer_token, &viewer_user_id),
        ] {
            tokens.insert(
                token.clone(),
                TokenGrant {
                    principal: user(user_id),
                    expires_at: None,
                },
            );
        }
        let oauth_tokens = BTreeMap::from([(oauth_token.clone(), admin_user_id.clone())]);
        let cloud_bindings = vec![
            binding("admin", "userAccount", &admin_user_id),
            binding("viewer", "userAccount", &viewer_user_id),
        ];
        let issued_secrets = vec![
            admin_token.clone(),
            viewer_token.clone(),
            oauth_token.clone(),
        ];
        CloudState {
            format_version: FORMAT_VERSION,
            ids,
            seed: Seed {
                cloud_id,
                folder_id,
                other_folder_id,
                admin_token,
                viewer_token,
                oauth_token,
                admin_user_id,
                viewer_user_id,
            },
            folders,
            service_accounts: BTreeMap::new(),
            folder_bindings,
            service_account_bindings: BTreeMap::new(),
            cloud_bindings,
            api_keys: BTreeMap::new(),
            access_keys: BTreeMap::new(),
            keys: BTreeMap::new(),
            lockbox_secrets: BTreeMap::new(),
            tokens,
            oauth_tokens,
            operations: BTreeMap::new(),
            idempotency: BTreeMap::new(),
            issued_secrets,
        }
    }

    /// Loads a state file.
    pub fn load(path: &Path) -> anyhow::Result<CloudState> {
        let text = fs::read(path)
            .with_context(|| format!("reading emulator state file {}", path.display()))?;
        let state: CloudState = serde_json::from_slice(&text)
            .with_context(|| format!("parsing emulator state file {}", path.display()))?;
        if state.format_version != FORMAT_VERSION {
            bail!(
                "emulator state file {} has format version {}, expected {FORMAT_VERSION}",
                path.display(),
                state.format_version
            );
        }
        Ok(state)
    }

    /// Saves the state atomically: a temporary file in the same directory, fsync, rename,
    /// fsync of the directory.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let bytes = serde_json::to_vec(self).context("serialising emulator state")?;
        let directory = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let file_name = path
            .file_name()
            .with_context(|| format!("state file path {} has no file name", path.display()))?;
        let temporary = directory.join(format!(
            ".{}.tmp-{}",
            file_name.to_string_lossy(),
            std::process::id()
        ));
        let write = || -> anyhow::Result<()> {
            let mut file = private_file(&temporary)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            fs::rename(&temporary, path)?;
            if let Ok(dir) = File::open(&directory) {
                let _ = dir.sync_all();
            }
            Ok(())
        };
        write().with_context(|| format!("saving emulator state to {}", path.display()))
    }

    /// The caller of a request, from its `Authorization` header.
    pub fn authenticate(&self, authorization: Option<&str>) -> ApiResult<Principal> {
        let token = auth::bearer_token(authorization)?;
        match self.tokens.get(token) {
            Some(grant) if grant.expires_at.is_none_or(|at| at > clock::unix_now()) => {
                Ok(grant.principal.clone())
            }
            _ => Err(ApiError::unauthenticated(
                "The token is invalid or has expired.",
            )),
        }
    }

    /// The bindings of a folder (empty for unknown folders).
    pub fn folder_bindings(&self, folder_id: &str) -> &[AccessBinding] {
        self.folder_bindings
            .get(folder_id)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// A folder, or NOT_FOUND.
    pub fn folder(&self, folder_id: &str) -> ApiResult<&Folder> {
        self.folders
            .get(folder_id)
            .ok_or_else(|| ApiError::not_found(format!("Folder {folder_id} not found")))
    }

    /// A service account, or NOT_FOUND.
    pub fn service_account(&self, id: &str) -> ApiResult<&ServiceAccount> {
        self.service_accounts
            .get(id)
            .ok_or_else(|| ApiError::not_found(format!("Service account {id} not found")))
    }

    /// What a repeated Idempotency-Key returns, if the key was seen before.
    pub fn replay(&self, idempotency_key: Option<&str>) -> Option<Value> {
        match self.idempotency.get(idempotency_key?)? {
            Replay::Operation(id) => self.operations.get(id).map(OperationRecord::to_json),
            Replay::Response(value) => Some(value.clone()),
        }
    }

    /// Remembers what an Idempotency-Key replays.
    pub fn remember(&mut self, idempotency_key: Option<&str>, replay: Replay) {
        if let Some(key) = idempotency_key {
            self.idempotency.insert(key.to_string(), replay);
        }
    }

    /// Deletes a service account and everything that belongs to it: its API keys, authorized
    /// keys, tokens and every access binding that names it or is set on it.
    pub fn delete_service_account(&mut self, id: &str) {
        self.service_accounts.remove(id);
        self.api_keys.retain(|_, k| k.key.service_account_id != id);
        self.access_keys
            .retain(|_, k| k.key.service_account_id != id);
        self.keys.retain(|_, k| k.service_account_id != id);
        self.tokens
            .retain(|_, grant| grant.principal.subject_id != id);
        self.service_account_bindings.remove(id);
        let names_it = |b: &AccessBinding| b.subject_type == "serviceAccount" && b.subject_id == id;
        for bindings in self
            .folder_bindings
            .values_mut()
            .chain(self.service_account_bindings.values_mut())
            .chain(std::iter::once(&mut self.cloud_bindings))
        {
            bindings.retain(|b| !names_it(b));
        }
    }

    /// Everything except secrets.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            service_accounts: self.service_accounts.values().cloned().collect(),
            folder_bindings: self.folder_bindings.clone(),
            cloud_bindings: self.cloud_bindings.clone(),
            service_account_bindings: self.service_account_bindings.clone(),
            api_keys: self.api_keys.values().map(|k| k.key.clone()).collect(),
            access_keys: self.access_keys.values().map(|k| k.key.clone()).collect(),
            authorized_keys: self.keys.values().cloned().collect(),
            lockbox_secrets: self
                .lockbox_secrets
                .values()
                .map(|stored| LockboxSecretSnapshot {
                    secret: stored.secret.clone(),
                    versions: stored.versions.iter().map(|v| v.version.clone()).collect(),
                })
                .collect(),
        }
    }
}

/// Creates (truncating) a file only its owner can read: the cloud holds tokens and key secrets.
fn private_file(path: &Path) -> std::io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_clouds_are_reproducible_per_seed() {
        let a = CloudState::fresh(3);
        let b = CloudState::fresh(3);
        assert!(a.seed == b.seed);
        assert!(CloudState::fresh(4).seed != a.seed);
        assert!(a.seed.folder_id.starts_with("b1g"));
        assert_ne!(a.seed.folder_id, a.seed.other_folder_id);
        assert!(a.seed.admin_token.starts_with("t1."));
        assert!(a.seed.oauth_token.starts_with("y0_"));
    }

    #[test]
    fn seeded_tokens_authenticate_their_users() {
        let cloud = CloudState::fresh(1);
        let admin = cloud
            .authenticate(Some(&format!("Bearer {}", cloud.seed.admin_token)))
            .unwrap();
        assert_eq!(admin.subject_id, cloud.seed.admin_user_id);
        assert!(cloud.authenticate(Some("Bearer t1.nope")).is_err());
        assert!(cloud.authenticate(None).is_err());
    }

    #[test]
    fn debug_output_hides_tokens() {
        let cloud = CloudState::fresh(1);
        let debug = format!("{:?}", cloud.seed);
        assert!(!debug.contains(&cloud.seed.admin_token));
        assert!(!debug.contains(&cloud.seed.oauth_token));
    }

    #[test]
    fn state_files_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cloud.json");
        let cloud = CloudState::fresh(9);
        cloud.save(&path).unwrap();
        let loaded = CloudState::load(&path).unwrap();
        assert!(loaded.seed == cloud.seed);
        assert_eq!(loaded.snapshot(), cloud.snapshot());
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file is left behind"
        );
    }
}
