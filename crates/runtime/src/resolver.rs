//! Name resolution for the guests' requests: what a name may resolve to under the sandbox
//! policy, and how long an answer is reused.
//!
//! ureq resolves the target of every request, pooled connection or not, and its default
//! resolver starts a thread for each lookup that has a timeout. An address literal needs
//! no lookup, and a name's answer is kept for [`ANSWER_TTL`], so a run of many requests to
//! one API does not start a thread per request.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

use crate::policy::is_prohibited_address;

/// How long a name's resolved addresses are reused.
pub const ANSWER_TTL: Duration = Duration::from_secs(30);

/// The most names whose answers are kept; a full cache starts over.
const MAX_NAMES: usize = 256;

/// The marker text of a refused resolution, recognised when mapping errors.
pub const PROHIBITED_ADDRESS: &str = "resolves only to internal addresses";

/// The resolver that refuses internal addresses unless the policy allows them, and reuses
/// answers (see the module docs).
#[derive(Debug)]
pub struct GuardedResolver {
    allow_private: bool,
    answers: Mutex<HashMap<String, (Instant, ResolvedSocketAddrs)>>,
}

impl GuardedResolver {
    /// A resolver that keeps only public addresses unless `allow_private`.
    pub fn new(allow_private: bool) -> GuardedResolver {
        GuardedResolver {
            allow_private,
            answers: Mutex::new(HashMap::new()),
        }
    }

    /// Every address `uri`'s authority stands for: the literal itself, a fresh enough
    /// earlier answer, or a new lookup (which is then kept).
    fn lookup(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let target = uri
            .scheme()
            .zip(uri.authority())
            .and_then(|(scheme, authority)| DefaultResolver::host_and_port(scheme, authority));
        let Some(target) = target else {
            return DefaultResolver::default().resolve(uri, config, timeout);
        };
        if let Ok(literal) = target.parse::<SocketAddr>() {
            let mut addrs = self.empty();
            for addr in config.ip_family().keep_wanted(std::iter::once(literal)) {
                addrs.push(addr);
            }
            return if addrs.is_empty() {
                Err(ureq::Error::HostNotFound)
            } else {
                Ok(addrs)
            };
        }
        let now = Instant::now();
        if let Some((at, addrs)) = self.answers().get(&target)
            && now.duration_since(*at) < ANSWER_TTL
        {
            return Ok(addrs.clone());
        }
        let addrs = DefaultResolver::default().resolve(uri, config, timeout)?;
        let mut answers = self.answers();
        if answers.len() >= MAX_NAMES {
            answers.clear();
        }
        answers.insert(target, (now, addrs.clone()));
        Ok(addrs)
    }

    fn answers(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, ResolvedSocketAddrs)>> {
        self.answers.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Resolver for GuardedResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let resolved = self.lookup(uri, config, timeout)?;
        if self.allow_private {
            return Ok(resolved);
        }
        let mut kept = self.empty();
        for addr in resolved.iter().filter(|a| !is_prohibited_address(a.ip())) {
            kept.push(*addr);
        }
        if kept.is_empty() {
            return Err(ureq::Error::Io(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!(
                    "{} {PROHIBITED_ADDRESS} (loopback, link-local, private); the policy does not allow them",
                    uri.host().unwrap_or_default()
                ),
            )));
        }
        Ok(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::unversioned::transport::time::Duration as UreqDuration;

    fn resolve(resolver: &GuardedResolver, url: &str) -> Result<Vec<SocketAddr>, String> {
        let uri: Uri = url.parse().expect("a valid URI");
        let config = ureq::Agent::config_builder().build();
        let timeout = NextTimeout {
            after: UreqDuration::from(Duration::from_secs(5)),
            reason: ureq::Timeout::Resolve,
            per_read: None,
            per_write: None,
        };
        resolver
            .resolve(&uri, &config, timeout)
            .map(|addrs| addrs.iter().copied().collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn literals_resolve_to_themselves_and_internal_ones_need_the_policy() {
        // URL, private addresses allowed, the addresses or a part of the error.
        let cases: &[(&str, bool, Result<&str, &str>)] = &[
            ("http://127.0.0.1:8080/x", true, Ok("127.0.0.1:8080")),
            ("http://[::1]:9/x", true, Ok("[::1]:9")),
            ("https://8.8.8.8/x", false, Ok("8.8.8.8:443")),
            ("http://8.8.8.8/x", false, Ok("8.8.8.8:80")),
            ("http://127.0.0.1:8080/x", false, Err(PROHIBITED_ADDRESS)),
            ("http://10.1.2.3/x", false, Err(PROHIBITED_ADDRESS)),
            (
                "http://[::ffff:169.254.169.254]/x",
                false,
                Err(PROHIBITED_ADDRESS),
            ),
        ];
        for &(url, allow_private, expected) in cases {
            let got = resolve(&GuardedResolver::new(allow_private), url);
            match expected {
                Ok(addr) => assert_eq!(
                    got,
                    Ok(vec![addr.parse().expect("a socket address")]),
                    "{url}"
                ),
                Err(part) => assert!(
                    got.as_ref().is_err_and(|e| e.contains(part)),
                    "{url}: {got:?}"
                ),
            }
        }
    }

    #[test]
    fn a_name_is_looked_up_once_within_the_ttl() {
        let resolver = GuardedResolver::new(true);
        let first = resolve(&resolver, "http://localhost:7/x").expect("localhost resolves");
        assert!(!first.is_empty());
        assert!(resolver.answers().contains_key("localhost:7"));
        let stale = Instant::now() - ANSWER_TTL - Duration::from_secs(1);
        let fake: SocketAddr = "192.0.2.1:7".parse().expect("a socket address");
        let mut kept = resolver.empty();
        kept.push(fake);
        resolver
            .answers()
            .insert("localhost:7".into(), (Instant::now(), kept.clone()));
        assert_eq!(resolve(&resolver, "http://localhost:7/y"), Ok(vec![fake]));
        resolver
            .answers()
            .insert("localhost:7".into(), (stale, kept));
        assert_eq!(resolve(&resolver, "http://localhost:7/z"), Ok(first));
    }
}
