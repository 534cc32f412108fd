//! Service-account authorized keys and the PS256 JWTs they sign for the IAM token exchange.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::pss::SigningKey;
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

/// The `aud` of every JWT: the IAM token endpoint of the public cloud.
pub const AUDIENCE: &str = "https://iam.api.cloud.yandex.net/iam/v1/tokens";

/// The lifetime of a signed JWT (the API accepts at most an hour).
const JWT_LIFETIME_SECONDS: i64 = 3600;

/// The fields of an authorized key, as `yc iam key create` writes them to a file (snake
/// case) or the API returns them (camel case). Other fields are ignored.
#[derive(Deserialize, Clone)]
pub struct KeyFields {
    /// The key id: the JWT's `kid`.
    pub id: String,
    /// The owning service account: the JWT's `iss`.
    #[serde(alias = "serviceAccountId")]
    pub service_account_id: String,
    /// The private key PEM, possibly after a `PLEASE DO NOT REMOVE THIS LINE!` line.
    #[serde(alias = "privateKey", deserialize_with = "secret_string")]
    pub private_key: SecretString,
}

fn secret_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    String::deserialize(d).map(SecretString::from)
}

/// A usable authorized key: its ids and the RSA key that signs JWTs.
pub struct ServiceAccountKey {
    /// The key id.
    pub key_id: String,
    /// The service account the key belongs to.
    pub service_account_id: String,
    signing_key: SigningKey<Sha256>,
}

impl ServiceAccountKey {
    /// Parses the JSON of an authorized key. Errors never quote the input.
    pub fn from_json(json: &str) -> Result<ServiceAccountKey, String> {
        let fields: KeyFields = serde_json::from_str(json).map_err(|e| {
            format!(
                "it is not an authorized key JSON (fields id, service_account_id, private_key): {}",
                describe_serde_error(&e)
            )
        })?;
        ServiceAccountKey::from_fields(fields)
    }

    /// Builds the key from its parsed fields.
    pub fn from_fields(fields: KeyFields) -> Result<ServiceAccountKey, String> {
        if fields.id.trim().is_empty() || fields.service_account_id.trim().is_empty() {
            return Err("the key id or the service account id is empty".to_string());
        }
        let pem = strip_preamble(fields.private_key.expose_secret());
        let private_key = rsa::PrivateKey::from_pkcs8_pem(pem)
            .or_else(|_| rsa::PrivateKey::from_pkcs1_pem(pem))
            .map_err(|_| {
                "its private_key is not an RSA private key in PEM (PKCS#8 or PKCS#1) form"
                    .to_string()
            })?;
        Ok(ServiceAccountKey {
            key_id: fields.id.trim().to_string(),
            service_account_id: fields.service_account_id.trim().to_string(),
            signing_key: SigningKey::new(private_key),
        })
    }

    /// A JWT for `POST /iam/v1/tokens`: PS256, `kid` the key id, `iss` the service account,
    /// `aud` the token endpoint, issued `now` and valid for an hour.
    pub fn jwt(&self, now: OffsetDateTime) -> Result<SecretString, String> {
        let header = json!({"typ": "JWT", "alg": "PS256", "kid": self.key_id});
        let iat = now.unix_timestamp();
        let payload = json!({
            "iss": self.service_account_id,
            "aud": AUDIENCE,
            "iat": iat,
            "exp": iat + JWT_LIFETIME_SECONDS,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        );
        let signature = self
            .signing_key
            .try_sign(signing_input.as_bytes())
            .map_err(|_| "signing the JWT failed".to_string())?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        )
        .into())
    }
}

/// The PEM block of a private key, without the `PLEASE DO NOT REMOVE THIS LINE! …` line (or
/// anything else) before `-----BEGIN`.
fn strip_preamble(text: &str) -> &str {
    match text.find("-----BEGIN") {
        Some(start) => text[start..].trim(),
        None => text.trim(),
    }
}

/// Where a JSON document went wrong, without quoting it.
pub fn describe_serde_error(error: &serde_json::Error) -> String {
    let what = match error.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => "malformed JSON",
        serde_json::error::Category::Data => "a field is missing or has the wrong type",
    };
    format!("{what} at line {} column {}", error.line(), error.column())
}

/// The key JSON held in a secret, parsed.
pub fn parse_secret_json(json: &SecretString) -> Result<ServiceAccountKey, String> {
    ServiceAccountKey::from_json(json.expose_secret())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rsa::pkcs8::{EncodePrivateKey, LineEnding};
    use rsa::pss::{Signature, VerifyingKey};
    use rsa::signature::Verifier;
    use serde_json::Value;
    use std::sync::OnceLock;

    /// One RSA key per test run (generating keys is slow in debug builds).
    pub(crate) fn test_private_key_pem() -> &'static str {
        static PEM: OnceLock<String> = OnceLock::new();
        PEM.get_or_init(|| {
            let key = <rsa::PrivateKey as rsa::Generate>::generate();
            key.to_pkcs8_pem(LineEnding::LF).unwrap().to_string()
        })
    }

    /// An authorized key JSON as `yc iam key create` writes it, preamble line included.
    pub(crate) fn test_key_json() -> String {
        json!({
            "id": "ajekey00000000000001",
            "service_account_id": "ajesa000000000000001",
            "created_at": "2026-01-01T00:00:00Z",
            "key_algorithm": "RSA_2048",
            "public_key": "-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----\n",
            "private_key": format!(
                "PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <ajekey00000000000001>\n{}",
                test_private_key_pem()
            ),
        })
        .to_string()
    }

    fn decode(part: &str) -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    }

    #[test]
    fn signs_a_ps256_jwt_the_token_endpoint_accepts() {
        let key = ServiceAccountKey::from_json(&test_key_json()).unwrap();
        assert_eq!(key.key_id, "ajekey00000000000001");
        assert_eq!(key.service_account_id, "ajesa000000000000001");
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let jwt = key.jwt(now).unwrap();
        let parts: Vec<&str> = jwt.expose_secret().split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(
            decode(parts[0]),
            json!({"typ": "JWT", "alg": "PS256", "kid": "ajekey00000000000001"})
        );
        assert_eq!(
            decode(parts[1]),
            json!({"iss": "ajesa000000000000001", "aud": AUDIENCE, "iat": 1_800_000_000, "exp": 1_800_003_600})
        );
        let private = rsa::PrivateKey::from_pkcs8_pem(test_private_key_pem()).unwrap();
        let verifying = VerifyingKey::<Sha256>::new(private.to_public_key());
        let signature =
            Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().as_slice()).unwrap();
        verifying
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .expect("a valid PS256 signature");
    }

    #[test]
    fn accepts_camel_case_fields_and_rejects_bad_keys_without_quoting_them() {
        let camel = json!({
            "id": "k1",
            "serviceAccountId": "sa1",
            "privateKey": test_private_key_pem(),
        })
        .to_string();
        assert_eq!(
            ServiceAccountKey::from_json(&camel)
                .unwrap()
                .service_account_id,
            "sa1"
        );
        let cases = [
            ("{not json", "malformed JSON"),
            (r#"{"id":"k","service_account_id":"s"}"#, "missing"),
            (
                r#"{"id":"k","service_account_id":"s","private_key":"SECRET-MATERIAL"}"#,
                "not an RSA private key",
            ),
            (
                r#"{"id":"","service_account_id":"s","private_key":"x"}"#,
                "empty",
            ),
        ];
        for (json, says) in cases {
            let error = ServiceAccountKey::from_json(json).err().unwrap();
            assert!(error.contains(says), "{json}: {error}");
            assert!(!error.contains("SECRET-MATERIAL"), "{error}");
        }
    }
}
