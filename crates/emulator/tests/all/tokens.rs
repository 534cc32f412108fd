//! IAM tokens: OAuth exchange, authorized keys and PS256 JWT exchange.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs8::DecodePrivateKey;
use rsa::sha2::Sha256;
use serde_json::{Value, json};
use yc_emulator::JWT_AUDIENCE;

use crate::common::{Client, assert_error, start};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The PEM private key without the service's banner line.
fn private_key(pem_with_banner: &str) -> rsa::PrivateKey {
    let pem: String = pem_with_banner
        .lines()
        .filter(|line| !line.starts_with("PLEASE DO NOT REMOVE THIS LINE!"))
        .map(|line| format!("{line}\n"))
        .collect();
    rsa::PrivateKey::from_pkcs8_pem(&pem).expect("valid PKCS#8 PEM")
}

fn sign(key: &rsa::PrivateKey, header: &Value, payload: &Value) -> String {
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let signature = key.pss_sign::<Sha256>(signing_input.as_bytes()).unwrap();
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// The same JWT with one character of its signature changed.
fn tamper_signature(jwt: &str) -> String {
    let split = jwt.rfind('.').unwrap() + 10;
    let original = jwt.as_bytes()[split];
    let replacement = if original == b'A' { 'B' } else { 'A' };
    format!("{}{replacement}{}", &jwt[..split], &jwt[split + 1..])
}

#[test]
fn oauth_tokens_are_exchanged() {
    let emulator = start();
    let anonymous = Client::admin(&emulator).with_token(None);
    let seed = emulator.seed().clone();
    let reply = anonymous
        .post(
            "/iam/v1/tokens",
            json!({"yandexPassportOauthToken": seed.oauth_token}),
        )
        .ok();
    let token = reply["iamToken"].as_str().unwrap();
    assert!(token.starts_with("t1."));
    assert!(reply["expiresAt"].as_str().unwrap().ends_with('Z'));
    assert!(emulator.issued_secrets().contains(&token.to_string()));
    let client = anonymous.with_token(Some(token));
    let operation = client
        .post(
            "/iam/v1/serviceAccounts",
            json!({"folderId": seed.folder_id, "name": "robot"}),
        )
        .ok();
    assert_eq!(
        operation["createdBy"],
        seed.admin_user_id.as_str(),
        "acts as the admin user"
    );

    let cases = [
        (
            json!({}),
            400,
            3,
            "Exactly one of 'yandexPassportOauthToken' and 'jwt' should be specified.",
        ),
        (
            json!({"yandexPassportOauthToken": "y0_x", "jwt": "a.b.c"}),
            400,
            3,
            "Exactly one of",
        ),
        (
            json!({"yandexPassportOauthToken": "y0_unknown"}),
            401,
            16,
            "The OAuth token is invalid",
        ),
        (
            json!({"yandexPassportOauthToken": "y".repeat(4001)}),
            400,
            3,
            "yandexPassportOauthToken: length must be at most 4000",
        ),
        (
            json!({"jwt": "j".repeat(8001)}),
            400,
            3,
            "jwt: length must be at most 8000",
        ),
        (json!({"jwt": "not-a-jwt"}), 401, 16, "Invalid JWT"),
    ];
    for (body, status, code, message) in cases {
        assert_error(
            &anonymous.post("/iam/v1/tokens", body),
            status,
            code,
            message,
        );
    }
}

#[test]
fn authorized_keys_sign_jwts_that_authenticate_as_the_account() {
    let emulator = start();
    let admin = Client::admin(&emulator);
    let seed = emulator.seed().clone();
    let account = admin.create_account(&seed.folder_id, "robot");
    let created = admin
        .post(
            "/iam/v1/keys",
            json!({"serviceAccountId": account, "description": "ci"}),
        )
        .ok();
    let key = &created["key"];
    let key_id = key["id"].as_str().unwrap().to_string();
    assert_eq!(key["serviceAccountId"], account.as_str());
    assert_eq!(key["keyAlgorithm"], "RSA_2048");
    assert!(
        key["publicKey"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );
    let private_pem = created["privateKey"].as_str().unwrap();
    assert!(private_pem.starts_with(&format!(
        "PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <{key_id}>\n-----BEGIN PRIVATE KEY-----"
    )));
    assert_eq!(&admin.get(&format!("/iam/v1/keys/{key_id}")).ok(), key);
    assert_eq!(
        admin
            .get(&format!("/iam/v1/keys?serviceAccountId={account}"))
            .ok()["keys"],
        json!([key])
    );

    let private = private_key(private_pem);
    let header = json!({"typ": "JWT", "alg": "PS256", "kid": key_id});
    let payload = json!({"iss": account, "aud": JWT_AUDIENCE, "iat": now(), "exp": now() + 3600});
    let anonymous = admin.with_token(None);
    let reply = anonymous
        .post(
            "/iam/v1/tokens",
            json!({"jwt": sign(&private, &header, &payload)}),
        )
        .ok();
    let robot = anonymous.with_token(reply["iamToken"].as_str());

    // No role yet: the account cannot list its folder.
    let list = format!("/iam/v1/serviceAccounts?folderId={}", seed.folder_id);
    assert_error(&robot.get(&list), 403, 7, "iam.serviceAccounts.list");
    // It may manage its own API keys.
    let own_key = robot.post("/iam/v1/apiKeys", json!({})).ok();
    assert_eq!(own_key["apiKey"]["serviceAccountId"], account.as_str());
    admin.bind(&seed.folder_id, "ADD", "editor", "serviceAccount", &account);
    robot.get(&list).ok();
    let operation = robot
        .post(
            "/iam/v1/serviceAccounts",
            json!({"folderId": seed.folder_id, "name": "made-by-robot"}),
        )
        .ok();
    assert_eq!(operation["createdBy"], account.as_str());

    // Deleting the account revokes its tokens.
    admin.wait(
        admin
            .delete(&format!("/iam/v1/serviceAccounts/{account}"))
            .ok(),
    );
    assert_error(&robot.get(&list), 401, 16, "invalid or has expired");
}

#[test]
fn invalid_jwts_are_rejected() {
    let emulator = start();
    let admin = Client::admin(&emulator);
    let seed = emulator.seed().clone();
    let account = admin.create_account(&seed.folder_id, "robot");
    let other = admin.create_account(&seed.folder_id, "other");
    let created = admin
        .post("/iam/v1/keys", json!({"serviceAccountId": account}))
        .ok();
    let key_id = created["key"]["id"].as_str().unwrap().to_string();
    let private = private_key(created["privateKey"].as_str().unwrap());
    let foreign = admin
        .post("/iam/v1/keys", json!({"serviceAccountId": other}))
        .ok();
    let foreign_private = private_key(foreign["privateKey"].as_str().unwrap());

    let header = json!({"typ": "JWT", "alg": "PS256", "kid": key_id});
    let payload = json!({"iss": account, "aud": JWT_AUDIENCE, "iat": now(), "exp": now() + 600});
    let with = |mut value: Value, field: &str, new: Value| {
        value[field] = new;
        value
    };
    let cases: Vec<(String, &str)> = vec![
        (
            sign(
                &private,
                &with(header.clone(), "alg", json!("RS256")),
                &payload,
            ),
            "alg) must be PS256",
        ),
        (
            sign(
                &private,
                &with(header.clone(), "kid", json!("ajenope")),
                &payload,
            ),
            "kid) is unknown",
        ),
        (
            sign(
                &private,
                &header,
                &with(payload.clone(), "iss", json!(other)),
            ),
            "issuer (iss)",
        ),
        (
            sign(
                &private,
                &header,
                &with(payload.clone(), "aud", json!("https://example.com")),
            ),
            "audience (aud)",
        ),
        (
            sign(
                &private,
                &header,
                &with(payload.clone(), "exp", json!(now() + 3601)),
            ),
            "exp - iat",
        ),
        (
            sign(
                &private,
                &header,
                &json!({"iss": account, "aud": JWT_AUDIENCE, "iat": now() - 7200, "exp": now() - 3600}),
            ),
            "expired",
        ),
        (
            sign(&foreign_private, &header, &payload),
            "signature is invalid",
        ),
        (
            tamper_signature(&sign(&private, &header, &payload)),
            "signature is invalid",
        ),
    ];
    let anonymous = admin.with_token(None);
    for (jwt, message) in cases {
        let reply = anonymous.post("/iam/v1/tokens", json!({ "jwt": jwt }));
        assert_error(&reply, 401, 16, message);
    }
    // The unmodified token works, and the deleted key stops working.
    let good = sign(&private, &header, &payload);
    anonymous
        .post("/iam/v1/tokens", json!({ "jwt": good }))
        .ok();
    let operation = admin.delete(&format!("/iam/v1/keys/{key_id}")).ok();
    assert_eq!(
        operation["metadata"],
        json!({"@type": "type.googleapis.com/yandex.cloud.iam.v1.DeleteKeyMetadata", "keyId": key_id})
    );
    let reply = anonymous.post("/iam/v1/tokens", json!({ "jwt": good }));
    assert_error(&reply, 401, 16, "kid) is unknown");
}
