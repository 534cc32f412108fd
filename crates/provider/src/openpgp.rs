//! `pgp_key`: a key's secret encrypted to an OpenPGP public key instead of kept in the
//! state, as terraform-provider-yandex does.
//!
//! The public key is given base64-encoded (binary, `gpg --export <id> | base64 -w0`, the
//! provider's form) or ASCII-armored. The secret becomes a binary OpenPGP message (SEIPD
//! v1, AES-256) encoded in base64, which `base64 -d | gpg --decrypt` opens, and the
//! fingerprint is the primary key's, in lowercase hex. `keybase:` names are refused: a
//! provider component has no network access beyond the cloud's APIs.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use pgp::composed::{Deserializable, MessageBuilder, SignedPublicKey, SignedPublicSubKey};
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::{KeyFlags, Signature, SignatureType};
use pgp::types::KeyDetails;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::SeedableRng;

use crate::platform::Platform;

/// The longest `pgp_key` accepted, in bytes.
pub const MAX_KEY_LEN: usize = 256 * 1024;

const ARMOR_HEADER: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";

/// A public key that secrets are encrypted to.
pub struct Recipient {
    key: SignedPublicKey,
}

/// The key packet a message is encrypted to.
enum EncryptionKey<'a> {
    Subkey(&'a SignedPublicSubKey),
    Primary,
}

impl Recipient {
    /// Reads a `pgp_key` value and checks that it has a key that can encrypt now
    /// (`now_secs`, seconds since the Unix epoch); the error says what is wrong with it.
    pub fn parse(text: &str, now_secs: u32) -> Result<Self, String> {
        let text = text.trim();
        if let Some(user) = text.strip_prefix("keybase:") {
            return Err(format!(
                "keybase lookups need the network, which ycprov's provider does not reach; give the key of {user:?} itself, base64-encoded (`gpg --export <key id> | base64 -w0`)"
            ));
        }
        if text.len() > MAX_KEY_LEN {
            return Err(format!(
                "is {} bytes long; at most {MAX_KEY_LEN} are accepted",
                text.len()
            ));
        }
        let key = if text.starts_with(ARMOR_HEADER) {
            SignedPublicKey::from_string(text)
                .map(|(key, _)| key)
                .map_err(|error| format!("is not an armored OpenPGP public key: {error}"))?
        } else {
            let compact: String = text.split_whitespace().collect();
            let bytes = STANDARD.decode(compact.as_bytes()).map_err(|error| {
                format!("is neither base64 (the provider's form, `gpg --export <key id> | base64 -w0`) nor an armored key: {error}")
            })?;
            SignedPublicKey::from_bytes(bytes.as_slice())
                .map_err(|error| format!("is not an OpenPGP public key: {error}"))?
        };
        if !key.details.revocation_signatures.is_empty() {
            return Err(format!(
                "key {:x} is revoked",
                key.primary_key.fingerprint()
            ));
        }
        let recipient = Recipient { key };
        recipient.encryption_key(now_secs)?;
        recipient.seal(&mut ChaCha20Rng::seed_from_u64(0), b"probe", now_secs)?;
        Ok(recipient)
    }

    /// The primary key's fingerprint in lowercase hex, e.g. `4b1f…c02e`.
    pub fn fingerprint(&self) -> String {
        format!("{:x}", self.key.primary_key.fingerprint())
    }

    /// `secret` encrypted to this key: a binary OpenPGP message in base64. The session key
    /// comes from a generator seeded with 256 bits of the host's randomness.
    pub fn encrypt(&self, platform: &dyn Platform, secret: &str) -> Result<String, String> {
        let mut seed = [0u8; 32];
        for chunk in seed.chunks_mut(8) {
            chunk.copy_from_slice(&platform.random().to_le_bytes());
        }
        let now_secs = u32::try_from(platform.now_millis() / 1000).unwrap_or(u32::MAX);
        let message = self.seal(
            &mut ChaCha20Rng::from_seed(seed),
            secret.as_bytes(),
            now_secs,
        )?;
        Ok(STANDARD.encode(message))
    }

    fn seal(&self, rng: &mut ChaCha20Rng, secret: &[u8], now_secs: u32) -> Result<Vec<u8>, String> {
        let failed = |error: pgp::errors::Error| format!("cannot encrypt to this key: {error}");
        let mut builder = MessageBuilder::from_bytes("", secret.to_vec())
            .seipd_v1(&mut *rng, SymmetricKeyAlgorithm::AES256);
        match self.encryption_key(now_secs)? {
            EncryptionKey::Subkey(subkey) => builder.encrypt_to_key(&mut *rng, subkey),
            EncryptionKey::Primary => builder.encrypt_to_key(&mut *rng, &self.key.primary_key),
        }
        .map_err(failed)?;
        builder.to_vec(&mut *rng).map_err(failed)
    }

    /// The newest valid subkey flagged for encryption, else the primary key when its
    /// algorithm can encrypt (keys without flags, as older tools made them).
    fn encryption_key(&self, now_secs: u32) -> Result<EncryptionKey<'_>, String> {
        let newest = self
            .key
            .public_subkeys
            .iter()
            .filter(|subkey| self.encrypts_now(subkey, now_secs))
            .max_by_key(|subkey| subkey.key.created_at().as_secs());
        if let Some(subkey) = newest {
            return Ok(EncryptionKey::Subkey(subkey));
        }
        if self.primary_encrypts() {
            return Ok(EncryptionKey::Primary);
        }
        Err(format!(
            "key {} has no valid, unexpired subkey for encryption",
            self.fingerprint()
        ))
    }

    /// Whether the primary key may encrypt: its algorithm can, and its self-signatures
    /// either carry no key flags or flag it for encryption.
    fn primary_encrypts(&self) -> bool {
        let details = &self.key.details;
        let flags: Vec<KeyFlags> = details
            .users
            .iter()
            .flat_map(|user| &user.signatures)
            .chain(&details.direct_signatures)
            .map(Signature::key_flags)
            .filter(|flags| *flags != KeyFlags::default())
            .collect();
        self.key.primary_key.algorithm().can_encrypt()
            && (flags.is_empty()
                || flags
                    .iter()
                    .any(|flags| flags.encrypt_comms() || flags.encrypt_storage()))
    }

    fn encrypts_now(&self, subkey: &SignedPublicSubKey, now_secs: u32) -> bool {
        let is = |signature: &Signature, wanted: SignatureType| signature.typ() == Some(wanted);
        if !subkey.key.algorithm().can_encrypt()
            || subkey
                .signatures
                .iter()
                .any(|signature| is(signature, SignatureType::SubkeyRevocation))
        {
            return false;
        }
        let binding = subkey
            .signatures
            .iter()
            .filter(|signature| is(signature, SignatureType::SubkeyBinding))
            .max_by_key(|signature| signature.created().map(|at| at.as_secs()));
        let Some(binding) = binding else {
            return false;
        };
        let flags = binding.key_flags();
        let expired = binding.key_expiration_time().is_some_and(|lifetime| {
            let lifetime = std::time::Duration::from(lifetime).as_secs();
            lifetime > 0
                && u64::from(subkey.key.created_at().as_secs()) + lifetime <= u64::from(now_secs)
        });
        (flags.encrypt_comms() || flags.encrypt_storage())
            && !expired
            && binding
                .verify_subkey_binding(&self.key.primary_key, &subkey.key)
                .is_ok()
    }
}

/// Without an operating system to ask, `getrandom` (which the OpenPGP crate's
/// dependencies link) fails: every generator here is seeded from the host instead.
#[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
mod no_os_randomness {
    fn unavailable(_: &mut [u8]) -> Result<(), getrandom::Error> {
        Err(getrandom::Error::UNSUPPORTED)
    }
    getrandom::register_custom_getrandom!(unavailable);
}
