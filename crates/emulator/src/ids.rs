//! Generated identifiers and credentials: resource ids, IAM tokens, OAuth tokens, API-key secrets.
//!
//! Every value comes from a generator seeded with the cloud's seed and a persisted counter, so a
//! cloud created from one seed always gets the same ids, and a reloaded cloud continues its sequence.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// Id prefix of clouds and folders.
pub const FOLDER_PREFIX: &str = "b1g";
/// Id prefix of IAM resources (service accounts, keys, users, IAM operations).
pub const IAM_PREFIX: &str = "aje";
/// Id prefix of Lockbox secrets and their versions.
pub const LOCKBOX_PREFIX: &str = "e6q";

/// A deterministic, persistable generator of ids and secrets.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdGen {
    seed: u64,
    counter: u64,
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn random_string(rng: &mut StdRng, alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

impl IdGen {
    /// A generator at the start of the sequence of `seed`.
    pub fn new(seed: u64) -> IdGen {
        IdGen { seed, counter: 0 }
    }

    fn next_rng(&mut self) -> StdRng {
        let rng = StdRng::seed_from_u64(splitmix64(self.seed ^ splitmix64(self.counter)));
        self.counter += 1;
        rng
    }

    /// A 20-character id of `[a-z0-9]` starting with `prefix` (for example `aje…`).
    pub fn resource_id(&mut self, prefix: &str) -> String {
        let mut rng = self.next_rng();
        format!(
            "{prefix}{}",
            random_string(&mut rng, LOWER_ALNUM, 20 - prefix.len())
        )
    }

    /// `len` characters drawn from `alphabet` (generated Lockbox passwords).
    pub fn password(&mut self, alphabet: &[u8], len: usize) -> String {
        let mut rng = self.next_rng();
        random_string(&mut rng, alphabet, len)
    }

    /// An IAM token shaped like a real one: `t1.<payload>.<86-character signature>`.
    pub fn iam_token(&mut self) -> String {
        let mut rng = self.next_rng();
        format!(
            "t1.{}.{}",
            random_string(&mut rng, URL_SAFE, 160),
            random_string(&mut rng, URL_SAFE, 86)
        )
    }

    /// A Yandex Passport OAuth token shaped like a real one: `y0_…`.
    pub fn oauth_token(&mut self) -> String {
        let mut rng = self.next_rng();
        format!("y0_{}", random_string(&mut rng, URL_SAFE, 55))
    }

    /// An API-key secret shaped like a real one: `AQVN` and 36 letters and digits.
    pub fn api_key_secret(&mut self) -> String {
        let mut rng = self.next_rng();
        format!("AQVN{}", random_string(&mut rng, ALNUM, 36))
    }

    /// A static access key id shaped like a real one: `YCAJ` and 21 letters and digits.
    pub fn access_key_id(&mut self) -> String {
        let mut rng = self.next_rng();
        format!("YCAJ{}", random_string(&mut rng, ALNUM, 21))
    }

    /// A static access key secret shaped like a real one: `YC` and 38 letters and digits.
    pub fn access_key_secret(&mut self) -> String {
        let mut rng = self.next_rng();
        format!("YC{}", random_string(&mut rng, ALNUM, 38))
    }
}

/// A random UUID v4 string for `x-request-id` (not part of the reproducible sequence).
pub fn request_id() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_look_like_yandex_ids_and_are_reproducible() {
        let mut a = IdGen::new(7);
        let mut b = IdGen::new(7);
        let id = a.resource_id(IAM_PREFIX);
        assert_eq!(id, b.resource_id(IAM_PREFIX));
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("aje"));
        assert!(
            id.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        assert_ne!(a.resource_id(IAM_PREFIX), id);
        assert_ne!(IdGen::new(8).resource_id(IAM_PREFIX), id);
    }

    #[test]
    fn credentials_have_the_documented_shapes() {
        let mut ids = IdGen::new(1);
        let token = ids.iam_token();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0], "t1");
        assert_eq!(parts[2].len(), 86);
        assert!(ids.oauth_token().starts_with("y0_"));
        let secret = ids.api_key_secret();
        assert_eq!(secret.len(), 40);
        assert!(secret.starts_with("AQVN"));
        assert!(secret.bytes().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn request_ids_are_uuid_v4() {
        let id = request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }
}
