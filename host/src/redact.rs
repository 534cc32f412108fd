//! Removes known secrets from text before it reaches a log or an error message.

/// Replaces every occurrence of each secret (of at least 8 characters) with `[REDACTED]`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut text = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        if text.contains(secret.as_str()) {
            text = text.replace(secret.as_str(), "[REDACTED]");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_long_secrets_only() {
        let secrets = vec!["t1.secret-token".to_string(), "short".to_string()];
        assert_eq!(
            super::redact("a t1.secret-token b short", &secrets),
            "a [REDACTED] b short"
        );
    }
}
