//! [`Emulator`]: a running emulator on its own tokio runtime and thread, usable from sync code.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::sync::oneshot;
use tower::ServiceExt;

use crate::app::{App, RequestHook};
use crate::cloud::Seed;
use crate::config::{Config, Faults};
use crate::http::{DropConnection, router};
use crate::model::Snapshot;
use crate::stats::Stats;

/// A running emulator. It serves until [`Emulator::shutdown`] or drop.
pub struct Emulator {
    app: Arc<App>,
    address: SocketAddr,
    seed: Seed,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
struct ConnectionDropped;

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped (injected fault)")
    }
}

impl std::error::Error for ConnectionDropped {}

async fn serve(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    mut shutdown: oneshot::Receiver<()>,
) {
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                let router = router.clone();
                async move {
                    let response = router
                        .oneshot(request.map(axum::body::Body::new))
                        .await
                        .unwrap_or_else(|never| match never {});
                    if response.extensions().get::<DropConnection>().is_some() {
                        Err(ConnectionDropped)
                    } else {
                        Ok(response)
                    }
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

impl Emulator {
    /// Starts an emulator on `127.0.0.1` with a free port.
    pub fn start(config: Config) -> anyhow::Result<Emulator> {
        Emulator::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// Starts an emulator listening on `addr` (port 0 picks a free port).
    pub fn start_on(config: Config, addr: SocketAddr) -> anyhow::Result<Emulator> {
        let listener = std::net::TcpListener::bind(addr)
            .with_context(|| format!("binding the emulator to {addr}"))?;
        listener
            .set_nonblocking(true)
            .context("making the emulator's listener non-blocking")?;
        let address = listener
            .local_addr()
            .context("reading the emulator's address")?;
        let app = Arc::new(App::new(&config, address.to_string())?);
        let seed = app.lock().seed.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("yc-emulator-worker")
            .build()
            .context("starting the emulator's tokio runtime")?;
        let (shutdown_sender, shutdown_receiver) = oneshot::channel();
        let router = router(app.clone());
        let thread = std::thread::Builder::new()
            .name("yc-emulator".into())
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => serve(listener, router, shutdown_receiver).await,
                        Err(err) => eprintln!("yc-emulator: cannot listen: {err}"),
                    }
                });
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .context("starting the emulator's thread")?;
        Ok(Emulator {
            app,
            address,
            seed,
            shutdown: Some(shutdown_sender),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`: the one address of every emulated service.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The bound socket address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The seeded identities (cloud, folders, tokens).
    pub fn seed(&self) -> &Seed {
        &self.seed
    }

    /// The current resources, without secrets.
    pub fn snapshot(&self) -> Snapshot {
        self.app.lock().snapshot()
    }

    /// Every API-key secret and token the emulator ever issued or was seeded with (to check
    /// that none of them leaks into logs or files).
    pub fn issued_secrets(&self) -> Vec<String> {
        self.app.lock().issued_secrets.clone()
    }

    /// The text entries of a Lockbox secret's version (key and text), as tests check what
    /// a provider wrote there; `None` when the secret or version does not exist.
    pub fn lockbox_payload(
        &self,
        secret_id: &str,
        version_id: &str,
    ) -> Option<Vec<(String, String)>> {
        let cloud = self.app.lock();
        let secret = cloud.lockbox_secrets.get(secret_id)?;
        let version = secret
            .versions
            .iter()
            .find(|v| v.version.id == version_id)?;
        Some(
            version
                .entries
                .iter()
                .map(|(key, value)| {
                    let text = value
                        .get("textValue")
                        .and_then(|t| t.as_str())
                        .unwrap_or_default();
                    (key.clone(), text.to_string())
                })
                .collect(),
        )
    }

    /// Request counters per endpoint.
    pub fn stats(&self) -> Stats {
        self.app.stats()
    }

    /// Replaces the injected faults; their seeded sequence starts over.
    pub fn set_faults(&self, faults: Faults) {
        self.app.set_faults(faults);
    }

    /// Sets (or with `None` removes) a hook called with the sequence number (from 1) of every
    /// successful non-GET API request, after the request took effect and before its response
    /// is sent. The hook runs on a server thread and may block: only that response waits.
    /// A test can use it to kill a client at an exact point, such as "the 7th create".
    pub fn set_request_hook(&self, hook: Option<RequestHook>) {
        self.app.set_request_hook(hook);
    }

    /// Stops serving and waits for the server thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(sender) = self.shutdown.take() {
            let _ = sender.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.stop();
    }
}
