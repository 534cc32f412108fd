//! `pgp_key` through the real binary and provider component against the emulator: the
//! three key types encrypt their secrets to the key, the state and output hold only the
//! encrypted form (which the matching secret key opens), a no-op plan stays a no-op, and a
//! new `pgp_key` replaces the keys.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use pgp::composed::{Deserializable, Message, SignedSecretKey};
use pgp::types::Password;

use crate::support::{Cloud, Workspace};

const RSA_PUB: &[u8] = include_bytes!("../fixtures/pgp/rsa.pub");
const RSA_SEC: &[u8] = include_bytes!("../fixtures/pgp/rsa.sec");
const ECC_PUB: &[u8] = include_bytes!("../fixtures/pgp/ecc.pub");

const CONFIG: &str = r#"
variable "pgp_key" {
  type = string
}

resource "yandex_iam_service_account" "robot" {
  name = "pgp-robot"
}

resource "yandex_iam_service_account_api_key" "api" {
  service_account_id = yandex_iam_service_account.robot.id
  pgp_key            = var.pgp_key
}

resource "yandex_iam_service_account_static_access_key" "s3" {
  service_account_id = yandex_iam_service_account.robot.id
  pgp_key            = var.pgp_key
}

resource "yandex_iam_service_account_key" "jwt" {
  service_account_id = yandex_iam_service_account.robot.id
  pgp_key            = var.pgp_key
}

output "encrypted_api_secret" {
  value = yandex_iam_service_account_api_key.api.encrypted_secret_key
}

output "fingerprint" {
  value = yandex_iam_service_account_api_key.api.key_fingerprint
}
"#;

/// The three keys' state attributes: plain secret, encrypted form.
const KEYS: [(&str, &str, &str); 3] = [
    (
        "yandex_iam_service_account_api_key.api",
        "secret_key",
        "encrypted_secret_key",
    ),
    (
        "yandex_iam_service_account_static_access_key.s3",
        "secret_key",
        "encrypted_secret_key",
    ),
    (
        "yandex_iam_service_account_key.jwt",
        "private_key",
        "encrypted_private_key",
    ),
];

fn decrypt(encrypted: &str) -> String {
    let key = SignedSecretKey::from_bytes(RSA_SEC).unwrap();
    let bytes = STANDARD.decode(encrypted).expect("base64");
    let mut message = Message::from_bytes(bytes.as_slice())
        .unwrap()
        .decrypt(&Password::empty(), &key)
        .expect("the matching secret key opens it");
    if message.is_compressed() {
        message = message.decompress().unwrap();
    }
    String::from_utf8(message.as_data_vec().unwrap()).unwrap()
}

#[test]
fn key_secrets_are_encrypted_to_the_pgp_key() {
    let cloud = Cloud::start();
    let ws = Workspace::new(CONFIG);
    let rsa = format!("pgp_key={}", STANDARD.encode(RSA_PUB));
    let apply = ws.run(
        &cloud,
        &["apply", "-auto-approve", "-no-color", "-var", &rsa],
    );
    apply.ok();

    let state_text = ws.state().to_string();
    let issued = cloud.emulator.issued_secrets();
    for (address, plain, encrypted) in KEYS {
        assert!(
            ws.attribute(address, plain).is_null(),
            "{address}: no plain secret"
        );
        assert_eq!(
            ws.attribute(address, "key_fingerprint"),
            "52f39a98ec838275bc3ebaad5f52c61775429af2",
            "{address}"
        );
        let secret = decrypt(ws.attribute(address, encrypted).as_str().unwrap());
        assert!(
            issued.contains(&secret) || secret.contains("-----BEGIN PRIVATE KEY-----"),
            "{address}: the encrypted value is the key's secret"
        );
        for text in [&state_text, &apply.stdout, &apply.stderr] {
            assert!(
                !text.contains(&secret),
                "{address}: the secret is not written plain"
            );
        }
    }
    let outputs = ws.run(&cloud, &["output", "-json"]).json();
    assert_eq!(outputs["encrypted_api_secret"]["sensitive"], false);
    assert_eq!(
        outputs["encrypted_api_secret"]["value"],
        ws.attribute(KEYS[0].0, KEYS[0].2)
    );

    let again = ws.run(&cloud, &["plan", "-detailed-exitcode", "-var", &rsa]);
    assert_eq!(again.code, 0, "{}{}", again.stdout, again.stderr);

    let ecc = format!("pgp_key={}", STANDARD.encode(ECC_PUB));
    let replace = ws.run(
        &cloud,
        &["apply", "-auto-approve", "-no-color", "-var", &ecc],
    );
    assert!(
        replace.ok().contains("3 added, 0 changed, 3 destroyed"),
        "{}",
        replace.stdout
    );
    assert_eq!(
        ws.attribute(KEYS[1].0, "key_fingerprint"),
        "d037765f444d8dd0fb0a3989ce2066c6c6079f88"
    );
    let snapshot = cloud.emulator.snapshot();
    assert_eq!(
        (
            snapshot.api_keys.len(),
            snapshot.access_keys.len(),
            snapshot.authorized_keys.len()
        ),
        (1, 1, 1),
        "the old keys were revoked"
    );

    ws.run(&cloud, &["destroy", "-auto-approve", "-var", &ecc])
        .ok();
    assert!(cloud.emulator.snapshot().api_keys.is_empty());
}
