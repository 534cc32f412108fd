//! The Terraform-style lifecycle against the emulator: create, refresh without drift,
//! re-plan without changes, update, import and destroy.

use serde_json::{Value, json};
use yc_emulator::Config;
use ycprov_provider::lifecycle::Provider;

use crate::emulator_platform::{EmulatorPlatform, assert_no_secret_logged};

const SA: &str = "yandex_iam_service_account";
const MEMBER: &str = "yandex_resourcemanager_folder_iam_member";
const KEY: &str = "yandex_iam_service_account_api_key";

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// Plans and applies `config` over `prior`, asserting no errors; returns the new state.
fn converge(
    provider: &Provider,
    platform: &EmulatorPlatform,
    type_name: &str,
    prior: Option<&Value>,
    config: Value,
) -> Value {
    let prior_text = prior.map(Value::to_string);
    let change = provider.plan(
        platform,
        type_name,
        prior_text.as_deref(),
        Some(&config.to_string()),
    );
    assert!(change.diagnostics.is_empty(), "{:?}", change.diagnostics);
    let planned = change.planned.expect("a plan");
    let applied = provider.apply(platform, type_name, prior_text.as_deref(), Some(&planned));
    assert!(applied.diagnostics.is_empty(), "{:?}", applied.diagnostics);
    let state = parse(&applied.state.expect("a state"));
    for (name, value) in parse(&planned).as_object().unwrap() {
        if value.get("$unknown").is_none() {
            assert_eq!(
                &state[name], value,
                "{type_name}.{name} came back as planned"
            );
        }
    }
    state
}

/// Asserts that a refresh shows no drift and a re-plan plans exactly the current state.
fn assert_stable(
    provider: &Provider,
    platform: &EmulatorPlatform,
    type_name: &str,
    state: &Value,
    config: &Value,
) {
    let read = provider.read(platform, type_name, &state.to_string());
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert_eq!(
        &parse(&read.state.expect("still exists")),
        state,
        "{type_name}: no drift"
    );
    let change = provider.plan(
        platform,
        type_name,
        Some(&state.to_string()),
        Some(&config.to_string()),
    );
    assert!(
        change.requires_replace.is_empty(),
        "{:?}",
        change.requires_replace
    );
    assert_eq!(
        &parse(&change.planned.unwrap()),
        state,
        "{type_name}: nothing to change"
    );
}

#[test]
fn ai_studio_access_setup_converges() {
    let platform = EmulatorPlatform::start(Config {
        pending_polls: 1,
        ..Config::default()
    });
    let folder = platform.folder_id();
    let mut provider = Provider::new();
    assert!(
        provider
            .configure(&json!({"folder_id": folder}).to_string())
            .is_empty()
    );

    let sa_config =
        json!({"name": "ai-studio", "description": "AI Studio access", "labels": {"team": "ml"}});
    let sa = converge(&provider, &platform, SA, None, sa_config.clone());
    assert_eq!(sa["folder_id"], folder.as_str());
    assert_stable(&provider, &platform, SA, &sa, &sa_config);

    let member_config = json!({"folder_id": folder, "role": "ai.languageModels.user",
        "member": format!("serviceAccount:{}", sa["id"].as_str().unwrap()), "sleep_after": 0});
    let member = converge(&provider, &platform, MEMBER, None, member_config.clone());
    assert_stable(&provider, &platform, MEMBER, &member, &member_config);

    let key_config = json!({"service_account_id": sa["id"], "description": "for the bot",
        "scopes": ["yc.ai.languageModels.execute", "yc.ai.foundationModels.execute"], "expires_at": "2031-01-01T00:00:00Z"});
    let key = converge(&provider, &platform, KEY, None, key_config.clone());
    let secret = key["secret_key"].as_str().unwrap().to_owned();
    assert!(platform.emulator.issued_secrets().contains(&secret));
    assert_stable(&provider, &platform, KEY, &key, &key_config);

    let reordered = json!({"service_account_id": sa["id"], "description": "for the bot",
        "scopes": ["yc.ai.foundationModels.execute", "yc.ai.languageModels.execute"], "expires_at": "2031-01-01T03:00:00+03:00"});
    assert_stable(&provider, &platform, KEY, &key, &reordered);

    let renamed_config = json!({"name": "ai-studio-2", "labels": {"team": "ml"}});
    let renamed = converge(&provider, &platform, SA, Some(&sa), renamed_config.clone());
    assert_eq!(renamed["id"], sa["id"]);
    assert_eq!(renamed["description"], Value::Null);
    assert_stable(&provider, &platform, SA, &renamed, &renamed_config);

    let key_update =
        json!({"service_account_id": sa["id"], "scopes": ["yc.ai.languageModels.execute"]});
    let updated_key = converge(&provider, &platform, KEY, Some(&key), key_update.clone());
    assert_eq!(updated_key["secret_key"], secret.as_str());
    assert_eq!(updated_key["expires_at"], Value::Null);
    assert_stable(&provider, &platform, KEY, &updated_key, &key_update);

    let imported_sa = provider.import_resource(&platform, SA, sa["id"].as_str().unwrap());
    assert_eq!(parse(&imported_sa.state.unwrap()), renamed);
    let member_id = format!(
        "{folder},ai.languageModels.user,serviceAccount:{}",
        sa["id"].as_str().unwrap()
    );
    let imported_member = provider.import_resource(&platform, MEMBER, &member_id);
    assert_eq!(parse(&imported_member.state.unwrap())["id"], member["id"]);
    let imported_key =
        provider.import_resource(&platform, KEY, updated_key["id"].as_str().unwrap());
    assert_eq!(
        parse(&imported_key.state.unwrap())["secret_key"],
        Value::Null
    );
    assert_eq!(imported_key.diagnostics.len(), 1);

    for (type_name, state) in [(KEY, &updated_key), (MEMBER, &member), (SA, &renamed)] {
        let destroyed = provider.apply(&platform, type_name, Some(&state.to_string()), None);
        assert_eq!(
            destroyed.state, None,
            "{type_name}: {:?}",
            destroyed.diagnostics
        );
        assert!(destroyed.diagnostics.is_empty());
        let read = provider.read(&platform, type_name, &state.to_string());
        assert_eq!(read.state, None, "{type_name} is gone");
    }
    let snapshot = platform.emulator.snapshot();
    assert!(snapshot.service_accounts.is_empty() && snapshot.api_keys.is_empty());
    assert_no_secret_logged(&platform);
}

#[test]
fn create_conflicts_surface_the_api_error() {
    let platform = EmulatorPlatform::start(Config::default());
    let provider = Provider::new();
    let config = json!({"name": "taken"});
    converge(&provider, &platform, SA, None, config.clone());
    let change = provider.plan(&platform, SA, None, Some(&config.to_string()));
    let applied = provider.apply(&platform, SA, None, change.planned.as_deref());
    assert_eq!(applied.state, None);
    let summary = &applied.diagnostics[0].summary;
    assert!(
        summary.contains("ALREADY_EXISTS") && summary.contains("request id"),
        "{summary}"
    );
}

#[test]
fn deleted_outside_means_gone_on_refresh() {
    let platform = EmulatorPlatform::start(Config::default());
    let provider = Provider::new();
    let sa = converge(&provider, &platform, SA, None, json!({"name": "ephemeral"}));
    let destroyed = provider.apply(&platform, SA, Some(&sa.to_string()), None);
    assert!(destroyed.diagnostics.is_empty());
    let again = provider.apply(&platform, SA, Some(&sa.to_string()), None);
    assert_eq!(
        (again.state, again.diagnostics.len()),
        (None, 0),
        "deleting twice is fine"
    );
    assert_eq!(provider.read(&platform, SA, &sa.to_string()).state, None);
}
