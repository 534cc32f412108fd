//! The in-memory IAM token cache: one token, refreshed shortly before it expires.
//!
//! The cache lock is held while a token is fetched, so concurrent callers wait for one
//! refresh instead of each starting their own.

use std::sync::{Arc, Mutex, MutexGuard};

use secrecy::{ExposeSecret, SecretString};
use time::{Duration, OffsetDateTime};

use super::CredentialError;

/// Where the cache reads the time: the system clock, or a fake one in tests.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// An IAM token and when it expires.
#[derive(Clone)]
pub struct IssuedToken {
    /// The token; never printed.
    pub token: SecretString,
    /// Its expiry.
    pub expires_at: OffsetDateTime,
}

/// A token is refreshed once less than this much of its life remains…
const MIN_MARGIN: Duration = Duration::minutes(5);
/// …or less than this fraction of its lifetime (whichever is more), but never earlier than
/// half-way through its life.
const MARGIN_FRACTION: f64 = 0.1;

struct Cached {
    issued: IssuedToken,
    refresh_at: OffsetDateTime,
}

#[derive(Default)]
struct State {
    current: Option<Cached>,
    failure: Option<CredentialError>,
}

/// One cached token per credential.
pub struct TokenCache {
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

impl TokenCache {
    /// An empty cache reading the time from `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> TokenCache {
        TokenCache {
            clock,
            state: Mutex::new(State::default()),
        }
    }

    /// The time according to the cache's clock.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// The cached token, or a new one from `fetch` when there is none or it is due for
    /// refresh. A failed refresh keeps using a token that has not expired yet; a permanent
    /// failure (a rejected credential) is returned again without calling `fetch`.
    pub fn token(
        &self,
        fetch: impl FnOnce(OffsetDateTime) -> Result<IssuedToken, CredentialError>,
    ) -> Result<SecretString, CredentialError> {
        let mut state = self.lock();
        let now = self.clock.now();
        if let Some(cached) = &state.current
            && now < cached.refresh_at
        {
            return Ok(cached.issued.token.clone());
        }
        if let Some(failure) = &state.failure
            && failure.is_permanent()
        {
            return Err(failure.clone());
        }
        match fetch(now) {
            Ok(issued) => {
                crate::redact::register(issued.token.expose_secret());
                let token = issued.token.clone();
                state.current = Some(Cached {
                    refresh_at: refresh_time(now, issued.expires_at),
                    issued,
                });
                state.failure = None;
                Ok(token)
            }
            Err(error) => match &state.current {
                Some(cached) if now < cached.issued.expires_at => {
                    tracing::warn!(target: "ycprov::credentials", "refreshing the IAM token failed, using the current one until it expires: {error}");
                    Ok(cached.issued.token.clone())
                }
                _ => {
                    state.current = None;
                    state.failure = Some(error.clone());
                    Err(error)
                }
            },
        }
    }

    /// When the cached token expires, if one is cached.
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        self.lock().current.as_ref().map(|c| c.issued.expires_at)
    }

    /// The cached token, if any (for redacting messages).
    pub fn cached_token(&self) -> Option<SecretString> {
        self.lock().current.as_ref().map(|c| c.issued.token.clone())
    }

    /// Why the last fetch failed, when no usable token is cached.
    pub fn failure(&self) -> Option<CredentialError> {
        self.lock().failure.clone()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// When a token obtained at `obtained` and expiring at `expires` is refreshed.
fn refresh_time(obtained: OffsetDateTime, expires: OffsetDateTime) -> OffsetDateTime {
    let lifetime = (expires - obtained).max(Duration::ZERO);
    let margin = (lifetime * MARGIN_FRACTION)
        .max(MIN_MARGIN)
        .min(lifetime / 2);
    expires - margin
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration as StdDuration;

    /// A clock that only moves when told to.
    struct FakeClock(Mutex<OffsetDateTime>);

    impl FakeClock {
        fn advance(&self, by: Duration) {
            *self.0.lock().unwrap() += by;
        }
    }

    impl Clock for FakeClock {
        fn now(&self) -> OffsetDateTime {
            *self.0.lock().unwrap()
        }
    }

    fn fake_clock() -> Arc<FakeClock> {
        Arc::new(FakeClock(Mutex::new(
            OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap(),
        )))
    }

    /// A fetch that counts its calls and issues `t1.N` tokens living `lifetime`.
    fn issuer(
        calls: &AtomicUsize,
        lifetime: Duration,
    ) -> impl FnOnce(OffsetDateTime) -> Result<IssuedToken, CredentialError> + '_ {
        move |now| {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(IssuedToken {
                token: format!("t1.{n}").into(),
                expires_at: now + lifetime,
            })
        }
    }

    #[test]
    fn refresh_times_follow_the_lifetime() {
        let t0 = OffsetDateTime::from_unix_timestamp(0).unwrap();
        let table = [
            (Duration::hours(12), Duration::minutes(648)),
            (Duration::hours(1), Duration::minutes(54)),
            (Duration::minutes(4), Duration::minutes(2)),
            (Duration::seconds(10), Duration::seconds(5)),
            (Duration::ZERO, Duration::ZERO),
        ];
        for (lifetime, refresh_after) in table {
            assert_eq!(
                refresh_time(t0, t0 + lifetime) - t0,
                refresh_after,
                "{lifetime}"
            );
        }
    }

    #[test]
    fn a_short_lived_token_is_fetched_again_before_it_expires() {
        let clock = fake_clock();
        let cache = TokenCache::new(clock.clone());
        let calls = AtomicUsize::new(0);
        let lifetime = Duration::seconds(20);
        let steps = [
            (Duration::ZERO, "t1.1"),
            (Duration::seconds(5), "t1.1"),
            (Duration::seconds(5), "t1.2"),
            (Duration::seconds(9), "t1.2"),
            (Duration::seconds(1), "t1.3"),
        ];
        for (advance, expected) in steps {
            clock.advance(advance);
            let token = cache.token(issuer(&calls, lifetime)).unwrap();
            assert_eq!(token.expose_secret(), expected, "after {advance}");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(
            cache.expires_at(),
            Some(clock.now() + lifetime),
            "the expiry of the newest token"
        );
    }

    #[test]
    fn concurrent_callers_share_one_refresh() {
        let cache = TokenCache::new(Arc::new(SystemClock));
        let calls = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    let token = cache
                        .token(|now| {
                            std::thread::sleep(StdDuration::from_millis(50));
                            issuer(&calls, Duration::hours(1))(now)
                        })
                        .unwrap();
                    assert_eq!(token.expose_secret(), "t1.1");
                });
            }
        });
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn failures_keep_a_valid_token_and_permanent_ones_are_not_retried() {
        let clock = fake_clock();
        let cache = TokenCache::new(clock.clone());
        let calls = AtomicUsize::new(0);
        cache.token(issuer(&calls, Duration::hours(1))).unwrap();
        clock.advance(Duration::minutes(56));
        let kept = cache
            .token(|_| Err(CredentialError::transient("network down")))
            .unwrap();
        assert_eq!(kept.expose_secret(), "t1.1", "still valid for 4 minutes");
        assert!(cache.failure().is_none());

        clock.advance(Duration::minutes(5));
        let error = cache
            .token(|_| Err(CredentialError::rejected("rejected")))
            .unwrap_err();
        assert_eq!(error.to_string(), "rejected");
        assert!(cache.expires_at().is_none(), "the expired token is dropped");
        let again = cache
            .token(|_| panic!("a rejected credential is not retried"))
            .unwrap_err();
        assert_eq!(again.to_string(), "rejected");
        assert_eq!(cache.failure().unwrap().to_string(), "rejected");
    }

    #[test]
    fn transient_failures_are_retried() {
        let cache = TokenCache::new(fake_clock());
        let calls = AtomicUsize::new(0);
        assert!(
            cache
                .token(|_| Err(CredentialError::transient("timeout")))
                .is_err()
        );
        let token = cache.token(issuer(&calls, Duration::hours(1))).unwrap();
        assert_eq!(token.expose_secret(), "t1.1");
        assert!(cache.failure().is_none());
    }
}
