//! A hostile API in front of the emulator: a loopback proxy that forwards every
//! request to the emulator and lets a test rewrite the answer (echo the token in an
//! error, drop a key's secret, answer 502 after the change was made). The emulator
//! behind it is the real thing; only the answer is bent.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

/// One request as the proxy received it.
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path and query.
    pub path: String,
    /// The headers, lower-case names.
    pub headers: Vec<(String, String)>,
}

/// One answer, before the proxy sends it.
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body (JSON text from the emulator).
    pub body: String,
    /// A `Location` header to send (for redirects).
    pub location: Option<String>,
}

/// How a test bends an answer.
pub type Rewrite = Arc<dyn Fn(&Request, Answer) -> Answer + Send + Sync>;

/// The proxy; its port stays open for the test's lifetime.
pub struct HostileApi {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl HostileApi {
    /// Starts a proxy to `upstream` that answers through `rewrite`.
    pub fn start(upstream: String, rewrite: Rewrite) -> HostileApi {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let upstream = upstream.clone();
                let rewrite = Arc::clone(&rewrite);
                std::thread::spawn(move || serve(stream, &upstream, &*rewrite));
            }
        });
        HostileApi { url }
    }
}

fn serve(stream: TcpStream, upstream: &str, rewrite: &dyn Fn(&Request, Answer) -> Answer) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("GET").to_string();
    let path = parts.next().unwrap_or("/").to_string();
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let request = Request {
        method,
        path,
        headers,
    };
    let answer = forward(upstream, &request, body);
    let answer = rewrite(&request, answer);
    let mut stream = stream;
    let location = answer
        .location
        .map(|url| format!("location: {url}\r\n"))
        .unwrap_or_default();
    let _ = write!(
        stream,
        "HTTP/1.1 {} X\r\ncontent-type: application/json\r\n{location}content-length: {}\r\nconnection: close\r\n\r\n{}",
        answer.status,
        answer.body.len(),
        answer.body
    );
    let _ = stream.flush();
}

fn forward(upstream: &str, request: &Request, body: Vec<u8>) -> Answer {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let url = format!("{upstream}{}", request.path);
    let mut builder = ureq::http::Request::builder()
        .method(request.method.as_str())
        .uri(&url);
    for (name, value) in &request.headers {
        if !matches!(name.as_str(), "host" | "content-length" | "connection") {
            builder = builder.header(name, value);
        }
    }
    let response = agent
        .run(builder.body(body).unwrap())
        .expect("the emulator answers");
    let status = response.status().as_u16();
    let body = response.into_body().read_to_string().unwrap_or_default();
    Answer {
        status,
        body,
        location: None,
    }
}
