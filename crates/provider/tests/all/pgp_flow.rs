//! `pgp_key` on the three key types against the emulator: the secret is encrypted to the
//! given OpenPGP key (decrypted here with the matching secret key), never stored plain,
//! kept by refreshes; bad keys are refused before any key is made.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use pgp::composed::{Deserializable, Message, SignedSecretKey};
use pgp::types::Password;
use serde_json::{Value, json};
use yc_emulator::Config;
use ycprov_provider::lifecycle::Provider;

use crate::emulator_platform::{EmulatorPlatform, assert_no_secret_logged};

const RSA_PUB: &[u8] = include_bytes!("../../../../tests/fixtures/pgp/rsa.pub");
const RSA_SEC: &[u8] = include_bytes!("../../../../tests/fixtures/pgp/rsa.sec");
const RSA_FINGERPRINT: &str = "52f39a98ec838275bc3ebaad5f52c61775429af2";
const ECC_PUB: &[u8] = include_bytes!("../../../../tests/fixtures/pgp/ecc.pub");
const ECC_SEC: &[u8] = include_bytes!("../../../../tests/fixtures/pgp/ecc.sec");
const ECC_FINGERPRINT: &str = "d037765f444d8dd0fb0a3989ce2066c6c6079f88";
const SIGN_ONLY_PUB: &[u8] = include_bytes!("../../../../tests/fixtures/pgp/sign-only.pub");
const EXPIRED_PUB: &[u8] = include_bytes!("../../../../tests/fixtures/pgp/expired.pub");

/// One key type: its name, the plain secret attribute and its encrypted form.
struct KeyType {
    name: &'static str,
    plain: &'static str,
    encrypted: &'static str,
}

const KEY_TYPES: [KeyType; 3] = [
    KeyType {
        name: "yandex_iam_service_account_api_key",
        plain: "secret_key",
        encrypted: "encrypted_secret_key",
    },
    KeyType {
        name: "yandex_iam_service_account_static_access_key",
        plain: "secret_key",
        encrypted: "encrypted_secret_key",
    },
    KeyType {
        name: "yandex_iam_service_account_key",
        plain: "private_key",
        encrypted: "encrypted_private_key",
    },
];

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn armored(public: &[u8]) -> String {
    let key = pgp::composed::SignedPublicKey::from_bytes(public).unwrap();
    key.to_armored_string(Default::default()).unwrap()
}

fn decrypt(encrypted: &str, secret_key: &[u8]) -> String {
    let key = SignedSecretKey::from_bytes(secret_key).unwrap();
    let bytes = STANDARD.decode(encrypted).expect("base64");
    let mut message = Message::from_bytes(bytes.as_slice())
        .unwrap()
        .decrypt(&Password::empty(), &key)
        .expect("decrypts with the matching secret key");
    if message.is_compressed() {
        message = message.decompress().unwrap();
    }
    String::from_utf8(message.as_data_vec().unwrap()).unwrap()
}

fn started() -> (EmulatorPlatform, Provider, String) {
    let platform = EmulatorPlatform::start(Config::default());
    let mut provider = Provider::new();
    let folder = platform.folder_id();
    assert!(
        provider
            .configure(&json!({"folder_id": folder}).to_string())
            .is_empty()
    );
    let sa = "yandex_iam_service_account";
    let change = provider.plan(
        &platform,
        sa,
        None,
        Some(&json!({"name": "pgp"}).to_string()),
    );
    let account = provider.apply(&platform, sa, None, Some(&change.planned.expect("a plan")));
    let account_id = parse(&account.state.expect("an account"))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (platform, provider, account_id)
}

#[test]
fn secrets_are_encrypted_to_the_pgp_key_and_never_stored_plain() {
    let (platform, provider, account) = started();
    let keys = [
        (STANDARD.encode(RSA_PUB), RSA_SEC, RSA_FINGERPRINT),
        (armored(ECC_PUB), ECC_SEC, ECC_FINGERPRINT),
    ];
    for key_type in &KEY_TYPES {
        for (pgp_key, secret_key, fingerprint) in &keys {
            let config = json!({"service_account_id": account, "pgp_key": pgp_key});
            let change = provider.plan(&platform, key_type.name, None, Some(&config.to_string()));
            assert!(change.diagnostics.is_empty(), "{:?}", change.diagnostics);
            let applied = provider.apply(
                &platform,
                key_type.name,
                None,
                Some(&change.planned.unwrap()),
            );
            assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
            let state = parse(&applied.state.unwrap());
            let name = key_type.name;
            assert_eq!(
                state[key_type.plain],
                Value::Null,
                "{name}: no plain secret"
            );
            assert_eq!(state["key_fingerprint"], *fingerprint, "{name}");
            assert_eq!(state["pgp_key"], pgp_key.as_str(), "{name}");
            let secret = decrypt(state[key_type.encrypted].as_str().unwrap(), secret_key);
            assert!(
                platform.emulator.issued_secrets().contains(&secret)
                    || secret.contains("-----BEGIN PRIVATE KEY-----"),
                "{name}: the decrypted secret is the issued one"
            );
            assert!(
                !state.to_string().contains(&secret),
                "{name}: the state holds no plain secret"
            );

            let read = provider.read(&platform, key_type.name, &state.to_string());
            assert_eq!(
                parse(&read.state.unwrap()),
                state,
                "{name}: refresh keeps it"
            );
            let again = provider.plan(
                &platform,
                key_type.name,
                Some(&state.to_string()),
                Some(&config.to_string()),
            );
            assert!(again.requires_replace.is_empty(), "{name}");
            assert_eq!(parse(&again.planned.unwrap()), state, "{name}: no change");

            let destroyed =
                provider.apply(&platform, key_type.name, Some(&state.to_string()), None);
            assert_eq!(destroyed.state, None, "{name}: {:?}", destroyed.diagnostics);
        }
    }
    assert_no_secret_logged(&platform);
}

#[test]
fn bad_pgp_keys_are_refused_before_any_key_is_made() {
    let (platform, provider, account) = started();
    let cases: [(&str, String, &str); 6] = [
        (
            "keybase",
            "keybase:someone".into(),
            "keybase lookups need the network",
        ),
        (
            "not base64",
            "%%% not a key %%%".into(),
            "is neither base64",
        ),
        (
            "not a key",
            STANDARD.encode(b"hello"),
            "is not an OpenPGP public key",
        ),
        (
            "sign only",
            STANDARD.encode(SIGN_ONLY_PUB),
            "no valid, unexpired subkey for encryption",
        ),
        (
            "too long",
            "A".repeat(300 * 1024),
            "at most 262144 are accepted",
        ),
        (
            "with lockbox",
            STANDARD.encode(RSA_PUB),
            "cannot both be set",
        ),
    ];
    for key_type in &KEY_TYPES {
        for (case, pgp_key, expected) in &cases {
            let mut config = json!({"service_account_id": account, "pgp_key": pgp_key});
            if *case == "with lockbox" {
                let entry = if key_type.plain == "private_key" {
                    json!({"secret_id": "e6q0000000000000000a", "entry_for_private_key": "k"})
                } else if key_type.name.contains("static") {
                    json!({"secret_id": "e6q0000000000000000a", "entry_for_access_key": "a", "entry_for_secret_key": "s"})
                } else {
                    json!({"secret_id": "e6q0000000000000000a", "entry_for_secret_key": "s"})
                };
                config["output_to_lockbox"] = json!([entry]);
            }
            let diagnostics = provider.validate(&platform, key_type.name, &config.to_string());
            let text = format!("{diagnostics:?}");
            assert!(
                text.contains(expected) && text.contains("pgp_key"),
                "{} {case}: {text}",
                key_type.name
            );
        }
    }

    // An expired encryption subkey passes validation (expiry depends on the time of the
    // create) and is refused by the apply before the key is made.
    for key_type in &KEY_TYPES {
        let config =
            json!({"service_account_id": account, "pgp_key": STANDARD.encode(EXPIRED_PUB)});
        let change = provider.plan(&platform, key_type.name, None, Some(&config.to_string()));
        let applied = provider.apply(
            &platform,
            key_type.name,
            None,
            Some(&change.planned.unwrap()),
        );
        assert_eq!(applied.state, None);
        let text = format!("{:?}", applied.diagnostics);
        assert!(text.contains("no valid, unexpired subkey"), "{text}");
    }
    let snapshot = platform.emulator.snapshot();
    assert!(
        snapshot.api_keys.is_empty()
            && snapshot.access_keys.is_empty()
            && snapshot.authorized_keys.is_empty(),
        "no key was made"
    );
}
