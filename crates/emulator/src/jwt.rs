//! Verification of the PS256 JWTs that service accounts exchange for IAM tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs8::DecodePublicKey;
use rsa::pss::{Signature, VerifyingKey};
use rsa::sha2::Sha256;
use rsa::signature::Verifier;
use serde_json::Value;

use crate::error::{ApiError, ApiResult};
use crate::model::AuthorizedKey;

/// The only accepted audience.
pub const AUDIENCE: &str = "https://iam.api.cloud.yandex.net/iam/v1/tokens";
/// The longest accepted `exp - iat`.
pub const MAX_LIFETIME_SECONDS: i64 = 3600;
/// Tolerated clock skew for `iat` in the future.
const CLOCK_SKEW_SECONDS: i64 = 300;

fn rejected(reason: &str) -> ApiError {
    ApiError::unauthenticated(format!("Invalid JWT: {reason}"))
}

fn decode_part(part: &str) -> ApiResult<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| rejected("malformed base64url encoding"))
}

fn decode_json(part: &str) -> ApiResult<Value> {
    serde_json::from_slice(&decode_part(part)?).map_err(|_| rejected("malformed JSON"))
}

fn audience_matches(aud: Option<&Value>) -> bool {
    match aud {
        Some(Value::String(aud)) => aud == AUDIENCE,
        Some(Value::Array(items)) => items.iter().any(|a| a.as_str() == Some(AUDIENCE)),
        _ => false,
    }
}

/// Verifies a JWT signed with a service account's authorized key: alg PS256, `kid` a known key,
/// `iss` the key's service account, `aud` the token endpoint, `exp - iat` at most an hour, not
/// expired, valid signature. Returns the key that signed it.
pub fn verify<'a>(
    jwt: &str,
    now: i64,
    find_key: impl Fn(&str) -> Option<&'a AuthorizedKey>,
) -> ApiResult<&'a AuthorizedKey> {
    let parts: Vec<&str> = jwt.trim().split('.').collect();
    let [header_part, payload_part, signature_part] = parts.as_slice() else {
        return Err(rejected("expected three dot-separated parts"));
    };
    let header = decode_json(header_part)?;
    let payload = decode_json(payload_part)?;
    if header.get("alg").and_then(Value::as_str) != Some("PS256") {
        return Err(rejected("the algorithm (alg) must be PS256"));
    }
    let kid = header
        .get("kid")
        .and_then(Value::as_str)
        .ok_or_else(|| rejected("the key id (kid) is missing"))?;
    let key = find_key(kid).ok_or_else(|| rejected("the key id (kid) is unknown"))?;
    if payload.get("iss").and_then(Value::as_str) != Some(key.service_account_id.as_str()) {
        return Err(rejected(
            "the issuer (iss) must be the service account that owns the key",
        ));
    }
    if !audience_matches(payload.get("aud")) {
        return Err(rejected(&format!("the audience (aud) must be {AUDIENCE}")));
    }
    let (Some(iat), Some(exp)) = (
        payload.get("iat").and_then(Value::as_i64),
        payload.get("exp").and_then(Value::as_i64),
    ) else {
        return Err(rejected("iat and exp must be numeric timestamps"));
    };
    if exp <= iat || exp - iat > MAX_LIFETIME_SECONDS {
        return Err(rejected("exp - iat must be between 1 and 3600 seconds"));
    }
    if exp <= now {
        return Err(rejected("the token has expired"));
    }
    if iat > now + CLOCK_SKEW_SECONDS {
        return Err(rejected("the token is issued in the future (iat)"));
    }
    let public_key = rsa::PublicKey::from_public_key_pem(&key.public_key)
        .map_err(|_| rejected("the key cannot be used"))?;
    let signature = Signature::try_from(decode_part(signature_part)?.as_slice())
        .map_err(|_| rejected("malformed signature"))?;
    let signed = format!("{header_part}.{payload_part}");
    VerifyingKey::<Sha256>::new_with_auto_salt_len(public_key)
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| rejected("the signature is invalid"))?;
    Ok(key)
}
