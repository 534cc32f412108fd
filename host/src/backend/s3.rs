//! The state in an S3 bucket (Yandex Object Storage or any S3-compatible store).
//!
//! Requests are signed with [`rusty_s3`] (a small sans-IO signer: SigV4 presigned URLs,
//! no HTTP stack or async runtime of its own) and sent with the `ureq` agent the host
//! already uses. The state is written whole, with `If-Match` on the ETag this run last
//! saw (or `If-None-Match: *` when there was none), so a foreign write is refused instead
//! of overwritten; the lock is `<key>.tflock`, created with `If-None-Match: *` as
//! Terraform's `use_lockfile` does. No URL (it carries the signature) and no body is ever
//! logged or put in an error.

use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};
use ycprov_engine::lock::{LockInfo, LockStore};
use ycprov_engine::remote::RemoteState;
use ycprov_runtime::Origin;

/// How long a signed request stays valid.
const SIGNATURE_LIFETIME: Duration = Duration::from_secs(300);

/// The largest state or lock object read.
const MAX_OBJECT_BYTES: u64 = 512 << 20;

/// One state object in a bucket, and its lock.
pub struct S3State {
    bucket: Bucket,
    credentials: Credentials,
    key: String,
    lock_key: String,
    agent: ureq::Agent,
    /// The version of the state this run last read or wrote.
    seen: Mutex<Seen>,
}

/// What this run last saw of the state object: what the next write must find there.
#[derive(Clone)]
enum Seen {
    /// Not read yet: a write is refused.
    Unread,
    /// There was no state object.
    Absent,
    /// The object with this ETag.
    Version(String),
}

/// What an S3 response said, without its URL.
struct Answer {
    status: u16,
    etag: Option<String>,
    body: Vec<u8>,
}

impl S3State {
    /// The state `key` in `bucket` at `endpoint`.
    pub fn new(
        endpoint: &str,
        path_style: bool,
        bucket: &str,
        region: &str,
        key: &str,
        credentials: Credentials,
        timeout: Duration,
    ) -> Result<S3State> {
        let url = endpoint
            .parse()
            .with_context(|| format!("the s3 backend endpoint {endpoint:?} is not a URL"))?;
        let style = if path_style {
            UrlStyle::Path
        } else {
            UrlStyle::VirtualHost
        };
        let bucket = Bucket::new(url, style, bucket.to_string(), region.to_string()).map_err(|e| {
            anyhow!(
                "the s3 backend cannot address bucket {bucket:?} at {endpoint}: {e} (an endpoint that is an IP address needs use_path_style = true)"
            )
        })?;
        let loopback = Origin::of_url(endpoint).is_ok_and(|origin| origin.is_loopback());
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(timeout))
            .user_agent(concat!("ycprov/", env!("CARGO_PKG_VERSION")));
        if loopback {
            config = config.proxy(None);
        }
        Ok(S3State {
            bucket,
            credentials,
            key: key.to_string(),
            lock_key: format!("{key}.tflock"),
            agent: config.build().into(),
            seen: Mutex::new(Seen::Unread),
        })
    }

    fn send(
        &self,
        what: &str,
        url: url::Url,
        method: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<Answer> {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(url.as_str());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(body.map(<[u8]>::to_vec).unwrap_or_default())
            .map_err(|e| anyhow!("{what}: cannot build the request: {e}"))?;
        let mut response = self.agent.run(request).map_err(|e| {
            anyhow!(
                "{what}: the request to {} failed: {}",
                self.bucket.base_url().host_str().unwrap_or("the endpoint"),
                transport_reason(&e)
            )
        })?;
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut body = Vec::new();
        response
            .body_mut()
            .as_reader()
            .take(MAX_OBJECT_BYTES + 1)
            .read_to_end(&mut body)
            .with_context(|| format!("{what}: reading the answer"))?;
        if body.len() as u64 > MAX_OBJECT_BYTES {
            bail!("{what}: the object is larger than {MAX_OBJECT_BYTES} bytes");
        }
        Ok(Answer {
            status: response.status().as_u16(),
            etag,
            body,
        })
    }

    fn get(&self, key: &str, what: &str) -> Result<Option<Answer>> {
        let url = self
            .bucket
            .get_object(Some(&self.credentials), key)
            .sign(SIGNATURE_LIFETIME);
        let answer = self.send(what, url, "GET", &[], None)?;
        match answer.status {
            200 => Ok(Some(answer)),
            404 => Ok(None),
            _ => Err(s3_error(what, &answer)),
        }
    }

    fn put(&self, key: &str, what: &str, condition: (&str, &str), body: &[u8]) -> Result<Answer> {
        let url = self
            .bucket
            .put_object(Some(&self.credentials), key)
            .sign(SIGNATURE_LIFETIME);
        self.send(
            what,
            url,
            "PUT",
            &[condition, ("content-type", "application/json")],
            Some(body),
        )
    }
}

impl LockStore for S3State {
    fn location(&self) -> String {
        format!("s3://{}/{}", self.bucket.name(), self.key)
    }

    fn create_lock(&self, info: &LockInfo) -> Result<Option<LockInfo>> {
        let what = format!("locking the state {}", self.location());
        let body = serde_json::to_vec(info)?;
        let answer = self.put(&self.lock_key, &what, ("if-none-match", "*"), &body)?;
        match answer.status {
            200 => Ok(None),
            412 | 409 => Ok(Some(self.read_lock()?.unwrap_or_else(|| LockInfo {
                id: String::new(),
                operation: String::new(),
                info: "the lock was released while it was read; run again".into(),
                who: String::new(),
                version: String::new(),
                created: String::new(),
                path: self.location(),
                pid: None,
            }))),
            _ => Err(s3_error(&what, &answer)),
        }
    }

    fn read_lock(&self) -> Result<Option<LockInfo>> {
        let what = format!("reading the lock of {}", self.location());
        let Some(answer) = self.get(&self.lock_key, &what)? else {
            return Ok(None);
        };
        Ok(Some(serde_json::from_slice(&answer.body).unwrap_or_else(
            |_| LockInfo {
                id: "unreadable".into(),
                operation: String::new(),
                info: format!(
                    "the lock object {} is not a ycprov or Terraform lock",
                    self.lock_key
                ),
                who: "(unknown)".into(),
                version: String::new(),
                created: String::new(),
                path: self.location(),
                pid: None,
            },
        )))
    }

    fn delete_lock(&self) -> Result<()> {
        let what = format!("releasing the lock of {}", self.location());
        let url = self
            .bucket
            .delete_object(Some(&self.credentials), &self.lock_key)
            .sign(SIGNATURE_LIFETIME);
        let answer = self.send(&what, url, "DELETE", &[], None)?;
        match answer.status {
            200 | 204 | 404 => Ok(()),
            _ => Err(s3_error(&what, &answer)),
        }
    }
}

impl RemoteState for S3State {
    fn read(&self) -> Result<Option<Vec<u8>>> {
        let what = format!("reading the state {}", self.location());
        let answer = self.get(&self.key, &what)?;
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        *seen = match &answer {
            Some(Answer {
                etag: Some(tag), ..
            }) => Seen::Version(tag.clone()),
            Some(_) => {
                bail!("{what}: the bucket sent no ETag, so foreign writes could not be detected")
            }
            None => Seen::Absent,
        };
        Ok(answer.map(|answer| answer.body))
    }

    fn write(&self, bytes: &[u8]) -> Result<()> {
        let what = format!("saving the state {}", self.location());
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let condition = match &*seen {
            Seen::Unread => bail!("{what}: the state was not read first"),
            Seen::Absent => ("if-none-match", "*"),
            Seen::Version(tag) => ("if-match", tag.as_str()),
        };
        let answer = self.put(&self.key, &what, condition, bytes)?;
        match (answer.status, answer.etag) {
            (200, Some(tag)) => {
                *seen = Seen::Version(tag);
                Ok(())
            }
            (200, None) => {
                bail!("{what}: the bucket sent no ETag, so foreign writes could not be detected")
            }
            (412 | 409, _) => bail!(
                "{what}: the state in the bucket changed since this run read it (another run or tool wrote it; is the lock in use by everyone?). Nothing was written by this save. Run `ycprov state pull` to see the stored state, then plan again"
            ),
            (status, etag) => Err(s3_error(
                &what,
                &Answer {
                    status,
                    etag,
                    body: answer.body,
                },
            )),
        }
    }
}

/// An S3 error answer as a message: the status and the error code and message of its XML
/// body (never the URL).
fn s3_error(what: &str, answer: &Answer) -> anyhow::Error {
    let text = String::from_utf8_lossy(&answer.body);
    let field = |name: &str| {
        let open = format!("<{name}>");
        let close = format!("</{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&close)? + start;
        Some(text[start..end].to_string())
    };
    let code = field("Code").unwrap_or_default();
    let message = field("Message").unwrap_or_default();
    let hint = match answer.status {
        403 => {
            " (check the backend's access key: it needs storage.editor on the bucket, or storage.uploader and storage.viewer)"
        }
        404 if code == "NoSuchBucket" => " (create the bucket first)",
        _ => "",
    };
    anyhow!(
        "{what}: the bucket answered {} {code} {message}{hint}",
        answer.status
    )
}

/// Why a request did not get an answer, without the URL.
fn transport_reason(error: &ureq::Error) -> String {
    match error {
        ureq::Error::Timeout(_) => "it timed out".into(),
        ureq::Error::HostNotFound => "the host was not found".into(),
        ureq::Error::ConnectionFailed => "the connection failed".into(),
        ureq::Error::Io(e) => format!("{}", e.kind()),
        _ => "a transport error".into(),
    }
}
