//! The component glue: wit-bindgen bindings of the world `yandex-cloud:iam/yandex-provider`
//! (the cloud-neutral `ycprov:provider` world plus `iam`), the host imports as a
//! [`Platform`], and the `iam` and `lifecycle` exports delegating to the plain Rust modules.
//!
//! Natively the generated imports are unreachable and the exports are not emitted, so
//! nothing here runs in unit tests; it only converts types.

use std::sync::{Mutex, Once};

use crate::error as local_error;
use crate::iam::Iam;
use crate::lifecycle::{self, Provider};
use crate::model;
use crate::platform::{self, Identity, Level, Platform};
use ycprov_provider_sdk::PathStep;

wit_bindgen::generate!({
    world: "yandex-cloud:iam/yandex-provider@0.2.0",
    path: ["../../wit/provider/since_v0.2.0", "../../wit/yandex/since_v0.2.0"],
    generate_all,
});

use exports::yandex_cloud::iam::iam as wit_iam;
use exports::ycprov::provider::lifecycle as wit_provider;
use ycprov::provider::{clock, http, identity, log};

/// The host, reached through the component's imports.
pub struct Host;

impl Platform for Host {
    fn send(
        &self,
        request: &platform::Request,
    ) -> Result<platform::Response, platform::TransportError> {
        let request = http::Request {
            method: match request.method {
                platform::Method::Get => http::Method::Get,
                platform::Method::Post => http::Method::Post,
                platform::Method::Patch => http::Method::Patch,
                platform::Method::Delete => http::Method::Delete,
            },
            url: request.url.clone(),
            headers: request.headers.clone(),
            body: request.body.clone(),
        };
        http::send(&request)
            .map(|response| platform::Response {
                status: response.status,
                headers: response.headers,
                body: response.body,
            })
            .map_err(transport_from_wit)
    }

    fn now_millis(&self) -> i64 {
        let now = clock::now();
        now.seconds
            .saturating_mul(1000)
            .saturating_add(i64::from(now.nanoseconds / 1_000_000))
    }

    fn sleep(&self, millis: u32) {
        clock::sleep(millis);
    }

    fn random(&self) -> u64 {
        clock::random()
    }

    fn log(&self, level: Level, message: &str) {
        let level = match level {
            Level::Trace => log::Level::Trace,
            Level::Debug => log::Level::Debug,
            Level::Info => log::Level::Info,
            Level::Warn => log::Level::Warn,
            Level::Error => log::Level::Error,
        };
        log::log(level, message);
    }

    fn identity(&self) -> Result<Identity, String> {
        identity::current().map(|identity| {
            let attribute = |name: &str| {
                identity
                    .attributes
                    .iter()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value.clone())
            };
            Identity {
                cloud_id: attribute("cloud-id"),
                folder_id: attribute("folder-id"),
                source: identity.source,
                subject_id: identity.subject,
            }
        })
    }
}

fn transport_from_wit(error: http::TransportError) -> platform::TransportError {
    match error {
        http::TransportError::Denied(why) => platform::TransportError::Denied(why),
        http::TransportError::Timeout => platform::TransportError::Timeout,
        http::TransportError::Unreachable(why) => platform::TransportError::Unreachable(why),
        http::TransportError::TooLarge(cap) => platform::TransportError::TooLarge(cap),
        http::TransportError::Other(why) => platform::TransportError::Other(why),
    }
}

fn transport_to_wit(error: platform::TransportError) -> http::TransportError {
    match error {
        platform::TransportError::Denied(why) => http::TransportError::Denied(why),
        platform::TransportError::Timeout => http::TransportError::Timeout,
        platform::TransportError::Unreachable(why) => http::TransportError::Unreachable(why),
        platform::TransportError::TooLarge(cap) => http::TransportError::TooLarge(cap),
        platform::TransportError::Other(why) => http::TransportError::Other(why),
    }
}

/// Reports a panic through the log import before the instance traps, so the host can explain it.
fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let message = info
                .payload()
                .downcast_ref::<&str>()
                .map(|text| (*text).to_owned())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".to_owned());
            let message: String = message.chars().take(500).collect();
            let location = info
                .location()
                .map(|location| format!(" at {}:{}", location.file(), location.line()))
                .unwrap_or_default();
            log::log(
                log::Level::Error,
                &format!("provider panicked{location}: {message}"),
            );
        }));
    });
}

/// The provider configuration set by `configure`, for the calls that follow on this instance.
static PROVIDER: Mutex<Provider> = Mutex::new(Provider::new());

fn with_provider<T>(action: impl FnOnce(&mut Provider) -> T) -> T {
    install_panic_hook();
    let mut provider = PROVIDER
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    action(&mut provider)
}

fn iam() -> Iam<'static, Host> {
    install_panic_hook();
    Iam::new(&Host)
}

/// The component.
pub struct Component;

// Export symbols carry `:` and `@` in their names, which native linkers reject in a
// cdylib's version script; natively the impls below are only type-checked.
#[cfg(target_arch = "wasm32")]
export!(Component);

#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: ycprov_provider_sdk::guest_memory::Allocator =
    ycprov_provider_sdk::guest_memory::allocator();

type IamResult<T> = Result<T, wit_iam::Error>;

impl wit_iam::Guest for Component {
    fn create_account(spec: wit_iam::AccountSpec) -> IamResult<wit_iam::ServiceAccount> {
        iam()
            .create_account(&spec.into())
            .map(Into::into)
            .map_err(Into::into)
    }

    fn get_account(id: String) -> IamResult<wit_iam::ServiceAccount> {
        iam().get_account(&id).map(Into::into).map_err(Into::into)
    }

    fn find_account_by_name(
        folder_id: String,
        name: String,
    ) -> IamResult<Option<wit_iam::ServiceAccount>> {
        iam()
            .find_account_by_name(&folder_id, &name)
            .map(|found| found.map(Into::into))
            .map_err(Into::into)
    }

    fn list_accounts(folder_id: String) -> IamResult<Vec<wit_iam::ServiceAccount>> {
        iam()
            .list_accounts(&folder_id)
            .map(|accounts| accounts.into_iter().map(Into::into).collect())
            .map_err(Into::into)
    }

    fn update_account(
        id: String,
        update: wit_iam::AccountUpdate,
    ) -> IamResult<wit_iam::ServiceAccount> {
        let update = model::AccountUpdate {
            name: update.name,
            description: update.description,
            labels: update.labels,
        };
        iam()
            .update_account(&id, &update)
            .map(Into::into)
            .map_err(Into::into)
    }

    fn delete_account(id: String) -> IamResult<()> {
        iam().delete_account(&id).map_err(Into::into)
    }

    fn bind_role(folder_id: String, role_id: String, subject: wit_iam::Subject) -> IamResult<()> {
        iam()
            .bind_role(&folder_id, &role_id, &subject.into())
            .map_err(Into::into)
    }

    fn unbind_role(folder_id: String, role_id: String, subject: wit_iam::Subject) -> IamResult<()> {
        iam()
            .unbind_role(&folder_id, &role_id, &subject.into())
            .map_err(Into::into)
    }

    fn update_folder_bindings(
        folder_id: String,
        deltas: Vec<wit_iam::BindingDelta>,
    ) -> IamResult<Vec<wit_iam::BindingDelta>> {
        let deltas: Vec<model::BindingDelta> = deltas.into_iter().map(Into::into).collect();
        iam()
            .update_folder_bindings(&folder_id, &deltas)
            .map(|effective| effective.into_iter().map(Into::into).collect())
            .map_err(Into::into)
    }

    fn list_folder_bindings(folder_id: String) -> IamResult<Vec<wit_iam::AccessBinding>> {
        iam()
            .list_folder_bindings(&folder_id)
            .map(|bindings| bindings.into_iter().map(Into::into).collect())
            .map_err(Into::into)
    }

    fn create_key(spec: wit_iam::KeySpec) -> IamResult<wit_iam::CreatedKey> {
        let spec = model::KeySpec {
            service_account_id: spec.service_account_id,
            description: spec.description,
            scopes: spec.scopes,
            expires_at: spec.expires_at,
            scope: None,
        };
        iam()
            .create_key(&spec)
            .map(|created| wit_iam::CreatedKey {
                key: created.key.into(),
                secret: created.secret,
            })
            .map_err(Into::into)
    }

    fn get_key(id: String) -> IamResult<wit_iam::ApiKey> {
        iam().get_key(&id).map(Into::into).map_err(Into::into)
    }

    fn list_keys(service_account_id: String) -> IamResult<Vec<wit_iam::ApiKey>> {
        iam()
            .list_keys(&service_account_id)
            .map(|keys| keys.into_iter().map(Into::into).collect())
            .map_err(Into::into)
    }

    fn update_key(id: String, update: wit_iam::KeyUpdate) -> IamResult<wit_iam::ApiKey> {
        let update = model::KeyUpdate {
            description: update.description,
            scopes: update.scopes,
            expires_at: update.expires_at,
        };
        iam()
            .update_key(&id, &update)
            .map(Into::into)
            .map_err(Into::into)
    }

    fn delete_key(id: String) -> IamResult<()> {
        iam().delete_key(&id).map_err(Into::into)
    }

    fn list_scopes() -> IamResult<Vec<String>> {
        iam().list_scopes().map_err(Into::into)
    }

    fn check_scopes(scopes: Vec<String>) -> IamResult<Vec<wit_iam::UnknownScope>> {
        let found = crate::scopes::check(&iam(), &scopes);
        if let Some(why) = &found.unavailable {
            Host.log(
                Level::Warn,
                &format!("the cloud's scope list could not be read ({why}); undocumented scopes are not checked"),
            );
        }
        Ok(found
            .unknown
            .into_iter()
            .map(|(scope, closest)| wit_iam::UnknownScope { scope, closest })
            .collect())
    }
}

impl wit_provider::Guest for Component {
    fn schema() -> String {
        with_provider(|provider| provider.schema())
    }

    fn configure(config: String) -> Vec<wit_provider::Diagnostic> {
        with_provider(|provider| diagnostics_to_wit(provider.configure(&config)))
    }

    fn validate(type_name: String, config: String) -> Vec<wit_provider::Diagnostic> {
        with_provider(|provider| diagnostics_to_wit(provider.validate(&Host, &type_name, &config)))
    }

    fn plan(
        type_name: String,
        prior: Option<String>,
        config: Option<String>,
    ) -> wit_provider::PlannedChange {
        let change = with_provider(|provider| {
            provider.plan(&Host, &type_name, prior.as_deref(), config.as_deref())
        });
        wit_provider::PlannedChange {
            planned: change.planned,
            requires_replace: change.requires_replace,
            diagnostics: diagnostics_to_wit(change.diagnostics),
        }
    }

    fn apply(
        type_name: String,
        prior: Option<String>,
        planned: Option<String>,
    ) -> wit_provider::Applied {
        let result = with_provider(|provider| {
            provider.apply(&Host, &type_name, prior.as_deref(), planned.as_deref())
        });
        wit_provider::Applied {
            new_state: result.state,
            diagnostics: diagnostics_to_wit(result.diagnostics),
        }
    }

    fn read(type_name: String, state: String) -> wit_provider::ReadResult {
        let result = with_provider(|provider| provider.read(&Host, &type_name, &state));
        wit_provider::ReadResult {
            state: result.state,
            diagnostics: diagnostics_to_wit(result.diagnostics),
        }
    }

    fn read_many(type_name: String, states: Vec<String>) -> Vec<wit_provider::ReadResult> {
        let states: Vec<&str> = states.iter().map(String::as_str).collect();
        let results = with_provider(|provider| provider.read_many(&Host, &type_name, &states));
        results
            .into_iter()
            .map(|result| wit_provider::ReadResult {
                state: result.state,
                diagnostics: diagnostics_to_wit(result.diagnostics),
            })
            .collect()
    }

    fn apply_many(
        type_name: String,
        changes: Vec<wit_provider::Change>,
    ) -> Vec<wit_provider::Applied> {
        let changes: Vec<(Option<&str>, Option<&str>)> = changes
            .iter()
            .map(|change| (change.prior.as_deref(), change.planned.as_deref()))
            .collect();
        let results = with_provider(|provider| provider.apply_many(&Host, &type_name, &changes));
        results
            .into_iter()
            .map(|result| wit_provider::Applied {
                new_state: result.state,
                diagnostics: diagnostics_to_wit(result.diagnostics),
            })
            .collect()
    }

    fn read_data_source(type_name: String, config: String) -> wit_provider::ReadResult {
        let result =
            with_provider(|provider| provider.read_data_source(&Host, &type_name, &config));
        wit_provider::ReadResult {
            state: result.state,
            diagnostics: diagnostics_to_wit(result.diagnostics),
        }
    }

    fn import_resource(type_name: String, id: String) -> wit_provider::Imported {
        let result = with_provider(|provider| provider.import_resource(&Host, &type_name, &id));
        wit_provider::Imported {
            state: result.state,
            diagnostics: diagnostics_to_wit(result.diagnostics),
        }
    }
}

fn diagnostics_to_wit(diagnostics: Vec<lifecycle::Diagnostic>) -> Vec<wit_provider::Diagnostic> {
    diagnostics
        .into_iter()
        .map(|diagnostic| wit_provider::Diagnostic {
            severity: match diagnostic.severity {
                lifecycle::Severity::Error => wit_provider::Severity::Error,
                lifecycle::Severity::Warning => wit_provider::Severity::Warning,
            },
            summary: diagnostic.summary,
            detail: diagnostic.detail,
            attribute: diagnostic.attribute.map(|path| {
                path.0
                    .into_iter()
                    .map(|step| match step {
                        PathStep::Attribute(name) => wit_provider::PathStep::Attribute(name),
                        PathStep::Index(index) => wit_provider::PathStep::Index(index),
                        PathStep::Key(key) => wit_provider::PathStep::Key(key),
                    })
                    .collect()
            }),
        })
        .collect()
}

impl From<local_error::Error> for wit_iam::Error {
    fn from(error: local_error::Error) -> Self {
        match error {
            local_error::Error::Api(api) => wit_iam::Error::Api(wit_iam::ApiError {
                code: code_to_wit(api.code),
                message: api.message,
                request_id: api.request_id,
                http_status: api.http_status,
                operation_id: api.operation_id,
            }),
            local_error::Error::Transport(transport) => {
                wit_iam::Error::Transport(transport_to_wit(transport))
            }
            local_error::Error::InvalidInput(what) => wit_iam::Error::InvalidInput(what),
            local_error::Error::BadResponse(what) => wit_iam::Error::BadResponse(what),
            local_error::Error::OperationTimeout(id) => wit_iam::Error::OperationTimeout(id),
        }
    }
}

fn code_to_wit(code: local_error::Code) -> wit_iam::Code {
    use local_error::Code as C;
    use wit_iam::Code as W;
    match code {
        C::Ok => W::Ok,
        C::Cancelled => W::Cancelled,
        C::Unknown => W::Unknown,
        C::InvalidArgument => W::InvalidArgument,
        C::DeadlineExceeded => W::DeadlineExceeded,
        C::NotFound => W::NotFound,
        C::AlreadyExists => W::AlreadyExists,
        C::PermissionDenied => W::PermissionDenied,
        C::ResourceExhausted => W::ResourceExhausted,
        C::FailedPrecondition => W::FailedPrecondition,
        C::Aborted => W::Aborted,
        C::OutOfRange => W::OutOfRange,
        C::Unimplemented => W::Unimplemented,
        C::Internal => W::Internal,
        C::Unavailable => W::Unavailable,
        C::DataLoss => W::DataLoss,
        C::Unauthenticated => W::Unauthenticated,
    }
}

impl From<wit_iam::AccountSpec> for model::AccountSpec {
    fn from(spec: wit_iam::AccountSpec) -> Self {
        model::AccountSpec {
            folder_id: spec.folder_id,
            name: spec.name,
            description: spec.description,
            labels: spec.labels,
        }
    }
}

impl From<model::ServiceAccount> for wit_iam::ServiceAccount {
    fn from(account: model::ServiceAccount) -> Self {
        wit_iam::ServiceAccount {
            id: account.id,
            folder_id: account.folder_id,
            name: account.name,
            description: account.description,
            labels: account.labels,
            created_at: account.created_at,
        }
    }
}

impl From<wit_iam::Subject> for model::Subject {
    fn from(subject: wit_iam::Subject) -> Self {
        model::Subject {
            kind: subject.kind,
            id: subject.id,
        }
    }
}

impl From<model::AccessBinding> for wit_iam::AccessBinding {
    fn from(binding: model::AccessBinding) -> Self {
        wit_iam::AccessBinding {
            role_id: binding.role_id,
            subject: wit_iam::Subject {
                kind: binding.subject.kind,
                id: binding.subject.id,
            },
        }
    }
}

impl From<wit_iam::BindingDelta> for model::BindingDelta {
    fn from(delta: wit_iam::BindingDelta) -> Self {
        model::BindingDelta {
            action: match delta.action {
                wit_iam::BindingAction::Add => model::BindingAction::Add,
                wit_iam::BindingAction::Remove => model::BindingAction::Remove,
            },
            binding: model::AccessBinding {
                role_id: delta.binding.role_id,
                subject: delta.binding.subject.into(),
            },
        }
    }
}

impl From<model::BindingDelta> for wit_iam::BindingDelta {
    fn from(delta: model::BindingDelta) -> Self {
        wit_iam::BindingDelta {
            action: match delta.action {
                model::BindingAction::Add => wit_iam::BindingAction::Add,
                model::BindingAction::Remove => wit_iam::BindingAction::Remove,
            },
            binding: delta.binding.into(),
        }
    }
}

impl From<model::ApiKey> for wit_iam::ApiKey {
    fn from(key: model::ApiKey) -> Self {
        wit_iam::ApiKey {
            id: key.id,
            service_account_id: key.service_account_id,
            description: key.description,
            scopes: key.scopes,
            created_at: key.created_at,
            expires_at: key.expires_at,
            masked_secret: key.masked_secret,
        }
    }
}
