//! One redaction for every text the host prints: log lines (its own and its
//! dependencies'), error messages, and the declarative commands' output.
//!
//! Two layers: the exact values of every secret the process has learned (tokens from
//! any credential source, registered with [`register`]), and the shapes of Yandex Cloud
//! secrets and of the places secrets travel in (an `Authorization` header, a JSON field
//! named like a secret, a PEM private key), for secrets the host never saw whole.

use std::borrow::Cow;
use std::sync::{LazyLock, RwLock};

use regex_lite::Regex;

/// What stands in for a removed secret.
pub const REDACTED: &str = "[REDACTED]";

/// The shortest value [`register`] takes (shorter ones would match ordinary text).
const MIN_SECRET_CHARS: usize = 8;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Secret shapes; the first capture group, when present, is kept.
static SHAPES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"(?i)(\b(?:bearer|api-key)\s+)[A-Za-z0-9._~+/=-]{8,}",
        r#"(?i)("(?:secret|secret_key|secretKey|iamToken|iam_token|accessToken|access_token|privateKey|private_key|token|password|refresh_token)"\s*:\s*)"(?:[^"\\]|\\.)*""#,
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
        r"\bt1\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]{8,})*",
        r"\by[0-3]_[A-Za-z0-9_-]{20,}",
        r"\bAQVN[A-Za-z0-9_-]{16,}",
        r"\bYC[A-Za-z0-9_-]{30,}",
    ]
    .iter()
    .map(|shape| Regex::new(shape).expect("redaction shapes are valid"))
    .collect()
});

/// Adds a secret the process holds (a token, a key secret) to those removed from
/// every text; short or empty values are ignored.
pub fn register(secret: &str) {
    let secret = secret.trim();
    if secret.chars().count() < MIN_SECRET_CHARS {
        return;
    }
    let mut secrets = SECRETS.write().unwrap_or_else(|p| p.into_inner());
    if !secrets.iter().any(|s| s == secret) {
        secrets.push(secret.to_string());
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

/// `text` with every registered secret and every secret-shaped value replaced by
/// [`REDACTED`].
pub fn scrub(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    {
        let secrets = SECRETS.read().unwrap_or_else(|p| p.into_inner());
        for secret in secrets.iter() {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), REDACTED));
            }
        }
    }
    for shape in SHAPES.iter() {
        if shape.is_match(&out) {
            let replaced = shape
                .replace_all(&out, |caps: &regex_lite::Captures<'_>| {
                    format!(
                        "{}{REDACTED}",
                        caps.get(1).map_or("", |prefix| prefix.as_str())
                    )
                })
                .into_owned();
            out = Cow::Owned(replaced);
        }
    }
    out
}

/// Replaces every occurrence of each of `secrets` (and every registered or
/// secret-shaped value) with [`REDACTED`].
pub fn redact(text: &str, secrets: &[String]) -> String {
    for secret in secrets {
        register(secret);
    }
    scrub(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_registered_secrets_and_secret_shapes() {
        register("registered-secret-value");
        let cases = [
            ("a registered-secret-value b", "a [REDACTED] b"),
            ("short", "short"),
            (
                "Authorization: Bearer t1.abcdefgh.ijklmnop",
                "Authorization: Bearer [REDACTED]",
            ),
            (
                "authorization: api-key AQVN0123456789abcdefghij",
                "authorization: api-key [REDACTED]",
            ),
            (
                r#"{"secret":"AQVN0123456789abcdefghij","id":"x"}"#,
                r#"{"secret":[REDACTED],"id":"x"}"#,
            ),
            (
                r#"{"iamToken": "opaque value"}"#,
                r#"{"iamToken": [REDACTED]}"#,
            ),
            ("token t1.9euelZqKmZ0abcdefgh end", "token [REDACTED] end"),
            ("oauth y0_AgAAAAAAbcdefghijklmnopqrstu", "oauth [REDACTED]"),
            (
                "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\nafter",
                "[REDACTED]\nafter",
            ),
            ("id aje0123456789 stays", "id aje0123456789 stays"),
        ];
        for (input, want) in cases {
            assert_eq!(scrub(input), want, "{input}");
        }
        assert_eq!(
            redact("x 12345678 y", &["12345678".into()]),
            "x [REDACTED] y"
        );
    }
}
