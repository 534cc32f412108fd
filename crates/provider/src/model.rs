//! The IAM domain types the client speaks (mirrors of the WIT `iam` records).

use std::fmt;

/// A service account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServiceAccount {
    /// The account id.
    pub id: String,
    /// The folder it lives in.
    pub folder_id: String,
    /// Its name, unique within the cloud.
    pub name: String,
    /// Its description (empty when none).
    pub description: String,
    /// Its labels, sorted by name.
    pub labels: Vec<(String, String)>,
    /// Creation time, RFC3339.
    pub created_at: String,
}

/// What to create with `POST /iam/v1/serviceAccounts`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountSpec {
    /// The folder to create the account in.
    pub folder_id: String,
    /// The name.
    pub name: String,
    /// An optional description.
    pub description: Option<String>,
    /// Labels.
    pub labels: Vec<(String, String)>,
}

/// A partial update of a service account; only the fields given change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountUpdate {
    /// A new name.
    pub name: Option<String>,
    /// A new description (`""` clears it).
    pub description: Option<String>,
    /// New labels, replacing all existing ones.
    pub labels: Option<Vec<(String, String)>>,
}

impl AccountUpdate {
    /// Whether the update changes nothing.
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.description.is_none() && self.labels.is_none()
    }
}

/// Who a role is granted to.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Subject {
    /// `serviceAccount`, `userAccount`, `federatedUser`, `group` or `system`.
    pub kind: String,
    /// The subject id.
    pub id: String,
}

/// One role granted to one subject.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccessBinding {
    /// The role id.
    pub role_id: String,
    /// The subject.
    pub subject: Subject,
}

/// Whether a delta adds or removes a binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindingAction {
    /// Grant.
    Add,
    /// Revoke.
    Remove,
}

/// One change of a folder's access bindings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindingDelta {
    /// Add or remove.
    pub action: BindingAction,
    /// The binding.
    pub binding: AccessBinding,
}

/// An API key; never carries the secret.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiKey {
    /// The key id.
    pub id: String,
    /// The owning service account.
    pub service_account_id: String,
    /// Its description (empty when none).
    pub description: String,
    /// Its scopes, in the order the API returned them.
    pub scopes: Vec<String>,
    /// Creation time, RFC3339.
    pub created_at: String,
    /// Expiry time, RFC3339, if the key expires.
    pub expires_at: Option<String>,
    /// The masked secret when the API returns it.
    pub masked_secret: Option<String>,
}

/// What to create with `POST /iam/v1/apiKeys`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeySpec {
    /// The owning service account.
    pub service_account_id: String,
    /// An optional description.
    pub description: Option<String>,
    /// Scopes; empty means the API's default scopes.
    pub scopes: Vec<String>,
    /// Optional expiry, RFC3339.
    pub expires_at: Option<String>,
    /// The deprecated single scope, sent as well when configured.
    pub scope: Option<String>,
}

/// A freshly created key and its secret.
#[derive(Clone, PartialEq, Eq)]
pub struct CreatedKey {
    /// The key.
    pub key: ApiKey,
    /// The secret, which exists only in the create response.
    pub secret: String,
}

/// Never prints the secret.
impl fmt::Debug for CreatedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedKey")
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A static access key for the S3-compatible APIs (`awscompatibility.AccessKey`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessKey {
    /// The resource id (`aje…`).
    pub id: String,
    /// The owning service account.
    pub service_account_id: String,
    /// Its description (empty when none).
    pub description: String,
    /// Creation time, RFC3339.
    pub created_at: String,
    /// The key id S3 clients send (`YCAJ…`), not secret.
    pub key_id: String,
}

/// A freshly created static access key and its secret.
#[derive(Clone, PartialEq, Eq)]
pub struct CreatedAccessKey {
    /// The key.
    pub key: AccessKey,
    /// The secret, which exists only in the create response.
    pub secret: String,
}

/// Never prints the secret.
impl fmt::Debug for CreatedAccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedAccessKey")
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// An authorized key of a service account (`yandex.cloud.iam.v1.Key`): an RSA key pair
/// whose private half signs JWTs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorizedKey {
    /// The key id (`aje…`), the `kid` of JWTs signed with it.
    pub id: String,
    /// The owning service account.
    pub service_account_id: String,
    /// Its description (empty when none).
    pub description: String,
    /// Creation time, RFC3339.
    pub created_at: String,
    /// `RSA_2048` or `RSA_4096`.
    pub key_algorithm: String,
    /// The public key, PEM.
    pub public_key: String,
}

/// A freshly created authorized key and its private key.
#[derive(Clone, PartialEq, Eq)]
pub struct CreatedAuthorizedKey {
    /// The key.
    pub key: AuthorizedKey,
    /// The private key, PEM, which exists only in the create response.
    pub private_key: String,
}

/// Never prints the private key.
impl fmt::Debug for CreatedAuthorizedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedAuthorizedKey")
            .field("key", &self.key)
            .field("private_key", &"<redacted>")
            .finish()
    }
}

/// A partial update of a key; only the fields given change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyUpdate {
    /// A new description (`""` clears it).
    pub description: Option<String>,
    /// New scopes (1-100).
    pub scopes: Option<Vec<String>>,
    /// A new expiry, RFC3339 (`""` removes the expiry).
    pub expires_at: Option<String>,
}

impl KeyUpdate {
    /// Whether the update changes nothing.
    pub fn is_empty(&self) -> bool {
        self.description.is_none() && self.scopes.is_none() && self.expires_at.is_none()
    }
}
