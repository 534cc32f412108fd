//! A native [`Platform`] that sends to a local emulator the way the ycprov host would:
//! real Yandex hosts rewritten to the emulator's address, a Bearer token attached.

use std::cell::{Cell, RefCell};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use yc_emulator::{Config, Emulator};
use ycprov_provider::platform::{
    Identity, Level, Method, Platform, Request, Response, TransportError,
};

const REAL_HOSTS: [&str; 5] = [
    "https://iam.api.cloud.yandex.net",
    "https://resource-manager.api.cloud.yandex.net",
    "https://operation.api.cloud.yandex.net",
    "https://lockbox.api.cloud.yandex.net",
    "https://payload.lockbox.api.cloud.yandex.net",
];

/// An emulator and a platform talking to it.
pub struct EmulatorPlatform {
    pub emulator: Emulator,
    agent: ureq::Agent,
    token: String,
    random_state: Cell<u64>,
    logs: RefCell<Vec<(Level, String)>>,
    /// Every request sent, as `METHOD path`.
    pub sent: RefCell<Vec<String>>,
    /// The folder the host reports as its default.
    pub host_folder: Option<String>,
}

impl EmulatorPlatform {
    /// Starts an emulator with `config` and authenticates as its admin user.
    pub fn start(config: Config) -> Self {
        let emulator = Emulator::start(config).expect("emulator starts");
        let token = emulator.seed().admin_token.clone();
        let agent = ureq::Agent::new_with_config(
            ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(30)))
                .build(),
        );
        let host_folder = Some(emulator.seed().folder_id.clone());
        EmulatorPlatform {
            emulator,
            agent,
            token,
            random_state: Cell::new(0x2545_f491_4f6c_dd1d),
            logs: RefCell::default(),
            sent: RefCell::default(),
            host_folder,
        }
    }

    /// The main folder of the emulated cloud.
    pub fn folder_id(&self) -> String {
        self.emulator.seed().folder_id.clone()
    }

    /// Every log message so far.
    pub fn logs(&self) -> Vec<(Level, String)> {
        self.logs.borrow().clone()
    }

    fn rewrite(&self, url: &str) -> String {
        REAL_HOSTS
            .iter()
            .find_map(|host| url.strip_prefix(host))
            .map(|path| format!("{}{path}", self.emulator.base_url()))
            .unwrap_or_else(|| panic!("request to an unexpected host: {url}"))
    }
}

impl Platform for EmulatorPlatform {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        let url = self.rewrite(&request.url);
        self.sent.borrow_mut().push(format!(
            "{} {}",
            request.method.as_str(),
            ycprov_provider::url::path_of(&request.url)
        ));
        let mut builder = ureq::http::Request::builder()
            .method(request.method.as_str())
            .uri(&url)
            .header("authorization", format!("Bearer {}", self.token));
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let body = request.body.clone().unwrap_or_default();
        let http_request = builder.body(body).expect("a valid request");
        let result = match request.method {
            Method::Get | Method::Delete | Method::Post | Method::Patch => {
                self.agent.run(http_request)
            }
        };
        let mut response = result.map_err(|error| match error {
            ureq::Error::Timeout(_) => TransportError::Timeout,
            other => TransportError::Unreachable(other.to_string()),
        })?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_lowercase(),
                    value.to_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let body = response
            .body_mut()
            .read_to_vec()
            .map_err(|error| TransportError::Unreachable(error.to_string()))?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    fn now_millis(&self) -> i64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970");
        i64::try_from(now.as_millis()).expect("fits")
    }

    fn sleep(&self, millis: u32) {
        std::thread::sleep(Duration::from_millis(u64::from(millis)));
    }

    fn random(&self) -> u64 {
        let mut state = self.random_state.get();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        self.random_state.set(state);
        state
    }

    fn log(&self, level: Level, message: &str) {
        self.logs.borrow_mut().push((level, message.to_owned()));
    }

    fn identity(&self) -> Result<Identity, String> {
        Ok(Identity {
            source: "iam-token".to_owned(),
            subject_id: Some(self.emulator.seed().admin_user_id.clone()),
            cloud_id: Some(self.emulator.seed().cloud_id.clone()),
            folder_id: self.host_folder.clone(),
        })
    }
}

/// Asserts that no secret the emulator issued appears in the platform's logs.
pub fn assert_no_secret_logged(platform: &EmulatorPlatform) {
    let secrets = platform.emulator.issued_secrets();
    for (_, message) in platform.logs() {
        for secret in &secrets {
            assert!(
                !message.contains(secret.as_str()),
                "a secret leaked into the log: {message}"
            );
        }
    }
}
