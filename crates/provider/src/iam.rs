//! The imperative IAM client behind the WIT `iam` export: service accounts,
//! folder access bindings and API keys over the real Yandex Cloud REST paths.
//!
//! Each function validates its input, sends one logical call (see [`crate::client`])
//! and waits for the Operation it starts (see [`crate::operation`]). A mutation whose
//! Operation ends with a retryable failure (INTERNAL, UNAVAILABLE, ABORTED, throttling)
//! changed nothing, so it is sent again as a new request with a new `Idempotency-Key`,
//! under the same backoff and deadline as request retries.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Map, Value, json};

use crate::client::{Client, RetryPolicy};
use crate::error::{Code, Error};
use crate::model::{
    AccessBinding, AccessKey, AccountSpec, AccountUpdate, ApiKey, AuthorizedKey, BindingAction,
    BindingDelta, CreatedAccessKey, CreatedAuthorizedKey, CreatedKey, KeySpec, KeyUpdate,
    ServiceAccount, Subject,
};
use crate::mutation::Mutations;
use crate::operation::{self, PollPolicy};
use crate::platform::{Level, Method, Platform};
use crate::url::{self, IAM_HOST, RESOURCE_MANAGER_HOST};
use crate::validation::{self, Check};
use crate::wire::{self, Operation};

pub use crate::client::PAGE_SIZE;

/// A resource whose access bindings are managed: a folder, a cloud or a service account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindingTarget {
    /// A folder (`/resource-manager/v1/folders/{id}`).
    Folder,
    /// A cloud (`/resource-manager/v1/clouds/{id}`).
    Cloud,
    /// A service account, as a resource others get roles on (`/iam/v1/serviceAccounts/{id}`).
    ServiceAccount,
}

impl BindingTarget {
    /// `folder`, `cloud` or `service account`, for messages.
    pub fn noun(self) -> &'static str {
        match self {
            BindingTarget::Folder => "folder",
            BindingTarget::Cloud => "cloud",
            BindingTarget::ServiceAccount => "service account",
        }
    }

    /// The name of its id in requests and configurations.
    pub fn id_name(self) -> &'static str {
        match self {
            BindingTarget::Folder => "folder_id",
            BindingTarget::Cloud => "cloud_id",
            BindingTarget::ServiceAccount => "service_account_id",
        }
    }

    /// The URL of `method` (`listAccessBindings`, `updateAccessBindings`) on `id`.
    fn url(self, id: &str, method: &str) -> String {
        let id = url::segment(id);
        match self {
            BindingTarget::Folder => {
                format!("{RESOURCE_MANAGER_HOST}/resource-manager/v1/folders/{id}:{method}")
            }
            BindingTarget::Cloud => {
                format!("{RESOURCE_MANAGER_HOST}/resource-manager/v1/clouds/{id}:{method}")
            }
            BindingTarget::ServiceAccount => {
                format!("{IAM_HOST}/iam/v1/serviceAccounts/{id}:{method}")
            }
        }
    }
}

/// The most deltas one `updateAccessBindings` request may carry.
pub const MAX_DELTAS_PER_REQUEST: usize = 1000;

/// A failed account create, with the id of an account that may exist nevertheless
/// (the Operation was started but its outcome is unknown).
#[derive(Debug)]
pub struct CreateAccountError {
    /// Why the create failed.
    pub error: Error,
    /// The new account's id when the account may exist.
    pub account_id: Option<String>,
}

/// The IAM client.
pub struct Iam<'a, P: Platform + ?Sized> {
    api: Mutations<'a, P>,
}

impl<'a, P: Platform + ?Sized> Iam<'a, P> {
    /// A client with the default retry and poll policies.
    pub fn new(platform: &'a P) -> Self {
        Self::with_policies(platform, RetryPolicy::default(), PollPolicy::default())
    }

    /// A client with given policies.
    pub fn with_policies(platform: &'a P, retry: RetryPolicy, poll: PollPolicy) -> Self {
        Iam {
            api: Mutations::new(Client::with_policy(platform, retry), poll),
        }
    }

    fn log(&self, level: Level, message: &str) {
        self.api.client().platform().log(level, message);
    }

    // ---- service accounts -------------------------------------------------------------

    /// Creates a service account and waits for its Operation.
    pub fn create_account(&self, spec: &AccountSpec) -> Result<ServiceAccount, Error> {
        self.create_account_tracked(spec)
            .map_err(|failure| failure.error)
    }

    /// Like [`Iam::create_account`], but a failure says whether the account may exist.
    ///
    /// A create whose Operation fails for a passing reason is sent again as a new
    /// request. An ALREADY_EXISTS answer to a *retried* create (a request sent again,
    /// or a new attempt after a failed Operation) means an earlier attempt won: the
    /// account of that name in the folder is adopted.
    pub fn create_account_tracked(
        &self,
        spec: &AccountSpec,
    ) -> Result<ServiceAccount, CreateAccountError> {
        let definite = |error: Error| CreateAccountError {
            error,
            account_id: None,
        };
        validate_account_spec(spec).map_err(|invalid| definite(invalid.into()))?;
        let mut body = Map::new();
        body.insert("folderId".into(), json!(spec.folder_id));
        body.insert("name".into(), json!(spec.name));
        if let Some(description) = spec.description.as_deref().filter(|d| !d.is_empty()) {
            body.insert("description".into(), json!(description));
        }
        if !spec.labels.is_empty() {
            body.insert("labels".into(), labels_json(&spec.labels));
        }
        let body = Value::Object(body);
        self.api.retry_failed_operations(
            "create service account",
            |failure: &CreateAccountError| &failure.error,
            |attempt| self.create_account_attempt(spec, &body, attempt > 1),
        )
    }

    /// One attempt of a create. `after_failed_attempts`: an earlier attempt's Operation
    /// failed, so an ALREADY_EXISTS now may mean that attempt took effect after all.
    fn create_account_attempt(
        &self,
        spec: &AccountSpec,
        body: &Value,
        after_failed_attempts: bool,
    ) -> Result<ServiceAccount, CreateAccountError> {
        let definite = |error: Error| CreateAccountError {
            error,
            account_id: None,
        };
        let url = format!("{IAM_HOST}/iam/v1/serviceAccounts");
        let (reply, retried) = match self.api.client().call(Method::Post, &url, Some(body)) {
            Ok(reply) => {
                let retried = reply.attempts > 1 || after_failed_attempts;
                (reply, retried)
            }
            Err(failure)
                if (failure.retried || after_failed_attempts)
                    && failure.error.is(Code::AlreadyExists) =>
            {
                return self.adopt_account(spec, failure.error).map_err(definite);
            }
            Err(failure) => return Err(definite(failure.error)),
        };
        let started: Operation = reply
            .json("create service account operation")
            .map_err(definite)?;
        let account_id = started.metadata_field("serviceAccountId");
        self.log(
            Level::Info,
            &format!(
                "creating service account {} ({}) in folder {}",
                spec.name,
                account_id.as_deref().unwrap_or("id pending"),
                spec.folder_id
            ),
        );
        let done = match self.api.finish(started, &reply) {
            Ok(done) => done,
            Err(error) if retried && error.is(Code::AlreadyExists) => {
                return self.adopt_account(spec, error).map_err(definite);
            }
            Err(error) => {
                let outcome_known = matches!(&error, Error::Api(api) if api.operation_id.is_some());
                return Err(CreateAccountError {
                    error,
                    account_id: if outcome_known { None } else { account_id },
                });
            }
        };
        let exists = |error: Error| CreateAccountError {
            error,
            account_id: account_id.clone(),
        };
        match operation::response_of(&done) {
            Some(response) => {
                let mut account: ServiceAccount = wire::decode_value::<wire::WireServiceAccount>(
                    "service account",
                    response.clone(),
                )
                .map_err(exists)?
                .into();
                if account.id.is_empty() {
                    account.id = account_id.clone().unwrap_or_default();
                }
                if account.id.is_empty() {
                    return Err(exists(Error::BadResponse(
                        "the created service account has no id".to_owned(),
                    )));
                }
                Ok(account)
            }
            None => {
                let id = account_id.clone().ok_or_else(|| {
                    definite(Error::BadResponse(
                        "the create operation names no service account id".to_owned(),
                    ))
                })?;
                self.get_account(&id).map_err(exists)
            }
        }
    }

    fn adopt_account(&self, spec: &AccountSpec, original: Error) -> Result<ServiceAccount, Error> {
        match self.find_account_by_name(&spec.folder_id, &spec.name) {
            Ok(Some(account))
                if account.folder_id == spec.folder_id || account.folder_id.is_empty() =>
            {
                self.log(
                    Level::Warn,
                    &format!(
                        "service account {} already existed after a retried create; adopting {}",
                        spec.name, account.id
                    ),
                );
                Ok(ServiceAccount {
                    folder_id: spec.folder_id.clone(),
                    ..account
                })
            }
            _ => Err(original),
        }
    }

    /// Reads a service account by id.
    pub fn get_account(&self, id: &str) -> Result<ServiceAccount, Error> {
        validation::resource_id("id", id)?;
        let url = format!("{IAM_HOST}/iam/v1/serviceAccounts/{}", url::segment(id));
        let account: wire::WireServiceAccount =
            self.api.client().get(&url)?.json("service account")?;
        Ok(account.into())
    }

    /// Finds a service account of a folder by exact name.
    pub fn find_account_by_name(
        &self,
        folder_id: &str,
        name: &str,
    ) -> Result<Option<ServiceAccount>, Error> {
        validation::resource_id("folder_id", folder_id)?;
        validation::name("name", name)?;
        let filter = format!("name=\"{name}\"");
        let accounts = self.list_service_accounts(folder_id, &filter)?;
        Ok(accounts.into_iter().find(|account| account.name == name))
    }

    /// Lists all service accounts of a folder.
    pub fn list_accounts(&self, folder_id: &str) -> Result<Vec<ServiceAccount>, Error> {
        validation::resource_id("folder_id", folder_id)?;
        self.list_service_accounts(folder_id, "")
    }

    fn list_service_accounts(
        &self,
        folder_id: &str,
        filter: &str,
    ) -> Result<Vec<ServiceAccount>, Error> {
        let base = format!("{IAM_HOST}/iam/v1/serviceAccounts");
        self.api.client().list_pages(
            "service account list",
            &base,
            &[("folderId", folder_id), ("filter", filter)],
            |page: wire::ServiceAccountPage| {
                let accounts = page.service_accounts.into_iter().map(Into::into).collect();
                (accounts, page.next_page_token)
            },
        )
    }

    /// Updates a service account and waits for its Operation.
    ///
    /// The API requires the name in every update, so it is read first when not given.
    pub fn update_account(
        &self,
        id: &str,
        update: &AccountUpdate,
    ) -> Result<ServiceAccount, Error> {
        validation::resource_id("id", id)?;
        validate_account_update(update)?;
        if update.is_empty() {
            return self.get_account(id);
        }
        let name = match &update.name {
            Some(name) => name.clone(),
            None => self.get_account(id)?.name,
        };
        self.patch_account(id, &name, update)
    }

    /// Updates a service account whose current name the caller knows (the API requires
    /// the name in every update; it changes only when `update.name` is given).
    pub fn patch_account(
        &self,
        id: &str,
        current_name: &str,
        update: &AccountUpdate,
    ) -> Result<ServiceAccount, Error> {
        validation::resource_id("id", id)?;
        validate_account_update(update)?;
        if update.is_empty() {
            return self.get_account(id);
        }
        let name = update.name.as_deref().unwrap_or(current_name);
        let mut mask = Vec::new();
        let mut body = Map::new();
        body.insert("name".into(), json!(name));
        if update.name.is_some() {
            mask.push("name");
        }
        if let Some(description) = &update.description {
            mask.push("description");
            body.insert("description".into(), json!(description));
        }
        if let Some(labels) = &update.labels {
            mask.push("labels");
            body.insert("labels".into(), labels_json(labels));
        }
        body.insert("updateMask".into(), json!(mask.join(",")));
        let url = format!("{IAM_HOST}/iam/v1/serviceAccounts/{}", url::segment(id));
        let done = self.api.mutate(
            Method::Patch,
            &url,
            Some(Value::Object(body)),
            "update service account",
        )?;
        match operation::response_of(&done) {
            Some(response) => Ok(wire::decode_value::<wire::WireServiceAccount>(
                "service account",
                response.clone(),
            )?
            .into()),
            None => self.get_account(id),
        }
    }

    /// Deletes a service account and waits for its Operation.
    pub fn delete_account(&self, id: &str) -> Result<(), Error> {
        validation::resource_id("id", id)?;
        let url = format!("{IAM_HOST}/iam/v1/serviceAccounts/{}", url::segment(id));
        self.api
            .mutate(Method::Delete, &url, None, "delete service account")?;
        Ok(())
    }

    // ---- folder access bindings ------------------------------------------------------

    /// Grants a role on a folder to a subject (one ADD delta).
    pub fn bind_role(
        &self,
        folder_id: &str,
        role_id: &str,
        subject: &Subject,
    ) -> Result<(), Error> {
        self.change_one_binding(folder_id, role_id, subject, BindingAction::Add)
    }

    /// Revokes a role on a folder from a subject (one REMOVE delta).
    pub fn unbind_role(
        &self,
        folder_id: &str,
        role_id: &str,
        subject: &Subject,
    ) -> Result<(), Error> {
        self.change_one_binding(folder_id, role_id, subject, BindingAction::Remove)
    }

    fn change_one_binding(
        &self,
        folder_id: &str,
        role_id: &str,
        subject: &Subject,
        action: BindingAction,
    ) -> Result<(), Error> {
        validation::resource_id("folder_id", folder_id)?;
        let binding = AccessBinding {
            role_id: role_id.to_owned(),
            subject: subject.clone(),
        };
        validate_binding("", &binding)?;
        self.send_deltas(
            BindingTarget::Folder,
            folder_id,
            &[BindingDelta { action, binding }],
        )?;
        Ok(())
    }

    /// Applies deltas to a folder in requests of at most 1000 and returns the effective ones.
    ///
    /// When the server reports no result (`google.protobuf.Empty`, as before 2023),
    /// the deltas it was sent are returned as effective.
    pub fn update_folder_bindings(
        &self,
        folder_id: &str,
        deltas: &[BindingDelta],
    ) -> Result<Vec<BindingDelta>, Error> {
        self.update_bindings(BindingTarget::Folder, folder_id, deltas)
    }

    /// Applies deltas to the bindings of `target` `id` in requests of at most 1000 and
    /// returns the effective ones (those sent, when the server reports none).
    pub fn update_bindings(
        &self,
        target: BindingTarget,
        id: &str,
        deltas: &[BindingDelta],
    ) -> Result<Vec<BindingDelta>, Error> {
        validation::resource_id(target.id_name(), id)?;
        for (index, delta) in deltas.iter().enumerate() {
            validate_binding(&format!("deltas[{index}]."), &delta.binding)?;
        }
        self.send_deltas(target, id, deltas)
    }

    fn send_deltas(
        &self,
        target: BindingTarget,
        id: &str,
        deltas: &[BindingDelta],
    ) -> Result<Vec<BindingDelta>, Error> {
        let url = target.url(id, "updateAccessBindings");
        let what = format!("update {} access bindings", target.noun());
        let mut effective = Vec::new();
        for chunk in deltas.chunks(MAX_DELTAS_PER_REQUEST) {
            let body =
                json!({ "accessBindingDeltas": chunk.iter().map(delta_json).collect::<Vec<_>>() });
            let done = self.api.mutate(Method::Post, &url, Some(body), &what)?;
            match operation::response_of(&done) {
                None => effective.extend_from_slice(chunk),
                Some(response) => {
                    let result: wire::AccessBindingsResult =
                        wire::decode_value("access bindings result", response.clone())?;
                    for delta in result.effective_deltas {
                        effective.push(delta.into_delta()?);
                    }
                }
            }
        }
        Ok(effective)
    }

    /// Lists all access bindings of a folder.
    pub fn list_folder_bindings(&self, folder_id: &str) -> Result<Vec<AccessBinding>, Error> {
        self.list_bindings(BindingTarget::Folder, folder_id)
    }

    /// Lists all access bindings of `target` `id`.
    pub fn list_bindings(
        &self,
        target: BindingTarget,
        id: &str,
    ) -> Result<Vec<AccessBinding>, Error> {
        validation::resource_id(target.id_name(), id)?;
        self.api.client().list_pages(
            "access binding list",
            &target.url(id, "listAccessBindings"),
            &[],
            |page: wire::AccessBindingPage| {
                let bindings = page.access_bindings.into_iter().map(Into::into).collect();
                (bindings, page.next_page_token)
            },
        )
    }

    // ---- API keys ----------------------------------------------------------------------

    /// The scopes the cloud offers API keys: `GET /iam/v1/apiKeyScopes`, or the older
    /// `GET /iam/v1/apiKeys/scopes` where the newer path is not served (404 or
    /// UNIMPLEMENTED).
    pub fn list_scopes(&self) -> Result<Vec<String>, Error> {
        let split = |page: wire::ScopePage| (page.scopes, page.next_page_token);
        let newer = format!("{IAM_HOST}/iam/v1/apiKeyScopes");
        match self
            .api
            .client()
            .list_pages("API key scope list", &newer, &[], split)
        {
            Err(Error::Api(api)) if matches!(api.code, Code::NotFound | Code::Unimplemented) => {
                let older = format!("{IAM_HOST}/iam/v1/apiKeys/scopes");
                self.api
                    .client()
                    .list_pages("API key scope list", &older, &[], split)
            }
            other => other,
        }
    }

    /// Creates an API key; the secret comes back once, in the result, and is never logged.
    pub fn create_key(&self, spec: &KeySpec) -> Result<CreatedKey, Error> {
        validation::resource_id("service_account_id", &spec.service_account_id)?;
        if let Some(description) = &spec.description {
            validation::description("description", description)?;
        }
        validation::scopes("scopes", spec.scopes.iter().map(String::as_str), true)?;
        if let Some(expires_at) = &spec.expires_at {
            let now = self.api.client().platform().now_millis();
            validation::future_expiry("expires_at", expires_at, now)?;
        }
        let mut body = Map::new();
        body.insert("serviceAccountId".into(), json!(spec.service_account_id));
        if let Some(description) = spec.description.as_deref().filter(|d| !d.is_empty()) {
            body.insert("description".into(), json!(description));
        }
        if !spec.scopes.is_empty() {
            body.insert("scopes".into(), json!(spec.scopes));
        }
        if let Some(expires_at) = &spec.expires_at {
            body.insert("expiresAt".into(), json!(expires_at));
        }
        if let Some(scope) = spec.scope.as_deref().filter(|s| !s.is_empty()) {
            body.insert("scope".into(), json!(scope));
        }
        let body = Value::Object(body);
        self.api.retry_failed_operations(
            "create API key",
            |error| error,
            |_| self.create_key_attempt(&body),
        )
    }

    fn create_key_attempt(&self, body: &Value) -> Result<CreatedKey, Error> {
        let url = format!("{IAM_HOST}/iam/v1/apiKeys");
        let created: wire::CreatedApiKey = self.create_with_secret(&url, body, "create API key")?;
        if created.api_key.id.is_empty() {
            return Err(Error::BadResponse(
                "the created API key has no id".to_owned(),
            ));
        }
        if created.secret.is_empty() {
            return Err(Error::BadResponse(format!(
                "the API key {} was created without a secret in the response",
                created.api_key.id
            )));
        }
        let key: ApiKey = created.api_key.into();
        self.log(
            Level::Info,
            &format!(
                "created API key {} for service account {}",
                key.id, key.service_account_id
            ),
        );
        Ok(CreatedKey {
            key,
            secret: created.secret,
        })
    }

    /// Reads an API key by id.
    pub fn get_key(&self, id: &str) -> Result<ApiKey, Error> {
        validation::resource_id("id", id)?;
        let url = format!("{IAM_HOST}/iam/v1/apiKeys/{}", url::segment(id));
        let key: wire::WireApiKey = self.api.client().get(&url)?.json("API key")?;
        Ok(key.into())
    }

    /// Lists the API keys of a service account.
    pub fn list_keys(&self, service_account_id: &str) -> Result<Vec<ApiKey>, Error> {
        validation::resource_id("service_account_id", service_account_id)?;
        let base = format!("{IAM_HOST}/iam/v1/apiKeys");
        self.api.client().list_pages(
            "API key list",
            &base,
            &[("serviceAccountId", service_account_id)],
            |page: wire::ApiKeyPage| {
                let keys = page.api_keys.into_iter().map(Into::into).collect();
                (keys, page.next_page_token)
            },
        )
    }

    /// Updates an API key and waits for its Operation. `expires_at: Some("")` removes the expiry.
    pub fn update_key(&self, id: &str, update: &KeyUpdate) -> Result<ApiKey, Error> {
        validation::resource_id("id", id)?;
        if let Some(description) = &update.description {
            validation::description("description", description)?;
        }
        if let Some(scopes) = &update.scopes {
            validation::scopes("scopes", scopes.iter().map(String::as_str), false)?;
        }
        if let Some(expires_at) = update.expires_at.as_deref().filter(|e| !e.is_empty()) {
            let now = self.api.client().platform().now_millis();
            validation::future_expiry("expires_at", expires_at, now)?;
        }
        if update.is_empty() {
            return self.get_key(id);
        }
        let mut mask = Vec::new();
        let mut body = Map::new();
        if let Some(description) = &update.description {
            mask.push("description");
            body.insert("description".into(), json!(description));
        }
        if let Some(scopes) = &update.scopes {
            mask.push("scopes");
            body.insert("scopes".into(), json!(scopes));
        }
        if let Some(expires_at) = &update.expires_at {
            mask.push("expiresAt");
            if !expires_at.is_empty() {
                body.insert("expiresAt".into(), json!(expires_at));
            }
        }
        body.insert("updateMask".into(), json!(mask.join(",")));
        let url = format!("{IAM_HOST}/iam/v1/apiKeys/{}", url::segment(id));
        let done = self.api.mutate(
            Method::Patch,
            &url,
            Some(Value::Object(body)),
            "update API key",
        )?;
        match operation::response_of(&done) {
            Some(response) => {
                Ok(wire::decode_value::<wire::WireApiKey>("API key", response.clone())?.into())
            }
            None => self.get_key(id),
        }
    }

    /// Deletes (revokes) an API key and waits for its Operation.
    pub fn delete_key(&self, id: &str) -> Result<(), Error> {
        validation::resource_id("id", id)?;
        let url = format!("{IAM_HOST}/iam/v1/apiKeys/{}", url::segment(id));
        self.api
            .mutate(Method::Delete, &url, None, "delete API key")?;
        Ok(())
    }

    // ---- static access keys ---------------------------------------------------------------

    /// Creates a static access key; the secret comes back once, in the result, and is
    /// never logged.
    pub fn create_access_key(
        &self,
        service_account_id: &str,
        description: Option<&str>,
    ) -> Result<CreatedAccessKey, Error> {
        validation::resource_id("service_account_id", service_account_id)?;
        let mut body = Map::new();
        body.insert("serviceAccountId".into(), json!(service_account_id));
        if let Some(description) = description.filter(|d| !d.is_empty()) {
            validation::description("description", description)?;
            body.insert("description".into(), json!(description));
        }
        let body = Value::Object(body);
        self.api.retry_failed_operations(
            "create static access key",
            |error| error,
            |_| self.create_access_key_attempt(&body),
        )
    }

    fn create_access_key_attempt(&self, body: &Value) -> Result<CreatedAccessKey, Error> {
        let url = format!("{IAM_HOST}/iam/aws-compatibility/v1/accessKeys");
        let created: wire::CreatedAccessKey =
            self.create_with_secret(&url, body, "create access key")?;
        if created.access_key.id.is_empty() || created.access_key.key_id.is_empty() {
            return Err(Error::BadResponse(
                "the created access key has no id or key id".to_owned(),
            ));
        }
        if created.secret.is_empty() {
            return Err(Error::BadResponse(format!(
                "the access key {} was created without a secret in the response",
                created.access_key.id
            )));
        }
        let key: AccessKey = created.access_key.into();
        self.log(
            Level::Info,
            &format!(
                "created static access key {} for service account {}",
                key.id, key.service_account_id
            ),
        );
        Ok(CreatedAccessKey {
            key,
            secret: created.secret,
        })
    }

    /// Reads a static access key by id.
    pub fn get_access_key(&self, id: &str) -> Result<AccessKey, Error> {
        validation::resource_id("id", id)?;
        let url = format!(
            "{IAM_HOST}/iam/aws-compatibility/v1/accessKeys/{}",
            url::segment(id)
        );
        let key: wire::WireAccessKey = self.api.client().get(&url)?.json("access key")?;
        Ok(key.into())
    }

    /// Lists the static access keys of a service account.
    pub fn list_access_keys(&self, service_account_id: &str) -> Result<Vec<AccessKey>, Error> {
        validation::resource_id("service_account_id", service_account_id)?;
        let base = format!("{IAM_HOST}/iam/aws-compatibility/v1/accessKeys");
        self.api.client().list_pages(
            "access key list",
            &base,
            &[("serviceAccountId", service_account_id)],
            |page: wire::AccessKeyPage| {
                let keys = page.access_keys.into_iter().map(Into::into).collect();
                (keys, page.next_page_token)
            },
        )
    }

    /// Deletes a static access key and waits for its Operation.
    pub fn delete_access_key(&self, id: &str) -> Result<(), Error> {
        validation::resource_id("id", id)?;
        let url = format!(
            "{IAM_HOST}/iam/aws-compatibility/v1/accessKeys/{}",
            url::segment(id)
        );
        self.api
            .mutate(Method::Delete, &url, None, "delete access key")?;
        Ok(())
    }

    // ---- authorized keys ----------------------------------------------------------------

    /// Creates an authorized key (`RSA_2048` or `RSA_4096`); the private key comes back
    /// once, in the result, and is never logged.
    pub fn create_authorized_key(
        &self,
        service_account_id: &str,
        description: Option<&str>,
        key_algorithm: &str,
    ) -> Result<CreatedAuthorizedKey, Error> {
        validation::resource_id("service_account_id", service_account_id)?;
        let mut body = Map::new();
        body.insert("serviceAccountId".into(), json!(service_account_id));
        if let Some(description) = description.filter(|d| !d.is_empty()) {
            validation::description("description", description)?;
            body.insert("description".into(), json!(description));
        }
        body.insert("format".into(), json!("PEM_FILE"));
        body.insert("keyAlgorithm".into(), json!(key_algorithm));
        let body = Value::Object(body);
        self.api.retry_failed_operations(
            "create authorized key",
            |error| error,
            |_| self.create_authorized_key_attempt(&body),
        )
    }

    fn create_authorized_key_attempt(&self, body: &Value) -> Result<CreatedAuthorizedKey, Error> {
        let url = format!("{IAM_HOST}/iam/v1/keys");
        let created: wire::CreatedAuthorizedKey =
            self.create_with_secret(&url, body, "create key")?;
        if created.key.id.is_empty() {
            return Err(Error::BadResponse("the created key has no id".to_owned()));
        }
        if created.private_key.is_empty() {
            return Err(Error::BadResponse(format!(
                "the authorized key {} was created without its private key in the response",
                created.key.id
            )));
        }
        let key: AuthorizedKey = created.key.into();
        self.log(
            Level::Info,
            &format!(
                "created authorized key {} for service account {}",
                key.id, key.service_account_id
            ),
        );
        Ok(CreatedAuthorizedKey {
            key,
            private_key: created.private_key,
        })
    }

    /// Reads an authorized key by id.
    pub fn get_authorized_key(&self, id: &str) -> Result<AuthorizedKey, Error> {
        validation::resource_id("id", id)?;
        let url = format!("{IAM_HOST}/iam/v1/keys/{}", url::segment(id));
        let key: wire::WireAuthorizedKey = self.api.client().get(&url)?.json("authorized key")?;
        Ok(key.into())
    }

    /// Lists the authorized keys of a service account.
    pub fn list_authorized_keys(
        &self,
        service_account_id: &str,
    ) -> Result<Vec<AuthorizedKey>, Error> {
        validation::resource_id("service_account_id", service_account_id)?;
        let base = format!("{IAM_HOST}/iam/v1/keys");
        self.api.client().list_pages(
            "authorized key list",
            &base,
            &[("serviceAccountId", service_account_id)],
            |page: wire::AuthorizedKeyPage| {
                let keys = page.keys.into_iter().map(Into::into).collect();
                (keys, page.next_page_token)
            },
        )
    }

    /// Deletes an authorized key and waits for its Operation.
    pub fn delete_authorized_key(&self, id: &str) -> Result<(), Error> {
        validation::resource_id("id", id)?;
        let url = format!("{IAM_HOST}/iam/v1/keys/{}", url::segment(id));
        self.api
            .mutate(Method::Delete, &url, None, "delete authorized key")?;
        Ok(())
    }

    // ---- shared plumbing ----------------------------------------------------------------

    /// Posts a create whose answer carries a secret, directly or as the response of an
    /// Operation it waits for, and decodes that answer.
    fn create_with_secret<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        body: &Value,
        what: &str,
    ) -> Result<T, Error> {
        let reply = self.api.client().call(Method::Post, url, Some(body))?;
        let mut payload: Value = reply.json(&format!("{what} response"))?;
        if looks_like_operation(&payload) {
            let started: Operation = wire::decode_value(&format!("{what} operation"), payload)?;
            let done = self.api.finish(started, &reply)?;
            payload = operation::response_of(&done).cloned().ok_or_else(|| {
                Error::BadResponse(format!("the {what} operation has no response"))
            })?;
        }
        wire::decode_value(&format!("{what} response"), payload)
    }
}

fn looks_like_operation(payload: &Value) -> bool {
    payload.get("apiKey").is_none()
        && (payload.get("done").is_some() || payload.get("metadata").is_some())
}

fn labels_json(labels: &[(String, String)]) -> Value {
    let map: BTreeMap<&str, &str> = labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    json!(map)
}

fn delta_json(delta: &BindingDelta) -> Value {
    let action = match delta.action {
        BindingAction::Add => "ADD",
        BindingAction::Remove => "REMOVE",
    };
    json!({
        "action": action,
        "accessBinding": {
            "roleId": delta.binding.role_id,
            "subject": {"id": delta.binding.subject.id, "type": delta.binding.subject.kind},
        },
    })
}

fn validate_account_spec(spec: &AccountSpec) -> Check {
    validation::resource_id("folder_id", &spec.folder_id)?;
    validation::name("name", &spec.name)?;
    if let Some(description) = &spec.description {
        validation::description("description", description)?;
    }
    validate_label_pairs(&spec.labels)
}

fn validate_account_update(update: &AccountUpdate) -> Check {
    if let Some(name) = &update.name {
        validation::name("name", name)?;
    }
    if let Some(description) = &update.description {
        validation::description("description", description)?;
    }
    match &update.labels {
        Some(labels) => validate_label_pairs(labels),
        None => Ok(()),
    }
}

fn validate_label_pairs(labels: &[(String, String)]) -> Check {
    let mut keys = HashSet::new();
    for (key, _) in labels {
        if !keys.insert(key.as_str()) {
            return Err(validation::Invalid {
                path: format!("labels.{key}"),
                reason: "duplicate label key".to_owned(),
            });
        }
    }
    validation::labels(
        "labels",
        labels.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    )
}

fn validate_binding(prefix: &str, binding: &AccessBinding) -> Check {
    validation::role_id(&format!("{prefix}role_id"), &binding.role_id)?;
    validation::subject_kind(&format!("{prefix}subject.kind"), &binding.subject.kind)?;
    validation::subject_id(&format!("{prefix}subject.id"), &binding.subject.id)
}

#[cfg(test)]
#[path = "iam_tests.rs"]
mod tests;
