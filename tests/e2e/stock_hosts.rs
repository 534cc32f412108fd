//! The WASI build (`ycprov provider-wasm --wasi`) in a host we did not write: wasmtime with
//! nothing but its stock linkers (`wasmtime-wasi`, `wasmtime-wasi-http`). None of ycprov's
//! host code is involved; the configuration is the environment the adapter reads.

use std::path::Path;

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::hostile_api::{Answer, HostileApi, Request, Rewrite};
use crate::support::{Cloud, base_command};

wasmtime::component::bindgen!({
    world: "yandex-cloud:iam/yandex-provider@0.2.0",
    path: ["../wit/provider/since_v0.2.0", "../wit/yandex/since_v0.2.0"],
});

use exports::yandex_cloud::iam::iam::{AccountSpec, KeySpec, Subject};

/// The largest WASI build accepted: about 0.9 MB of provider and adapter, and 1.7 MB of
/// rPGP for `pgp_key` (OpenPGP parsing, binding-signature checks and encryption for
/// every RFC 9580 algorithm; it has no features to leave algorithms out).
const SIZE_BUDGET: usize = 3 << 20;

/// A store's state with what the stock linkers need, and nothing of ours.
struct StockState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
}

impl WasiView for StockState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for StockState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: Default::default(),
        }
    }
}

/// The WASI build, as `ycprov provider-wasm --wasi --out F` writes it.
fn wasi_build(dir: &Path) -> Vec<u8> {
    let out = dir.join("provider-wasi.wasm");
    let status = base_command(None)
        .args(["provider-wasm", "--wasi", "--out"])
        .arg(&out)
        .status()
        .expect("running ycprov provider-wasm --wasi");
    assert!(status.success(), "ycprov provider-wasm --wasi failed");
    std::fs::read(&out).expect("reading the WASI build")
}

/// A fresh emulator and the WASI build compiled on a stock engine.
struct Stock {
    cloud: Cloud,
    seed: yc_emulator::Seed,
    engine: Engine,
    component: Component,
}

impl Stock {
    fn start() -> Stock {
        let cloud = Cloud::start();
        let seed = cloud.emulator.seed().clone();
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::default();
        let component = Component::new(&engine, wasi_build(dir.path())).unwrap();
        Stock {
            cloud,
            seed,
            engine,
            component,
        }
    }
}

/// Instantiates the WASI build with the stock linkers and `env` as its environment.
fn instantiate(
    engine: &Engine,
    component: &Component,
    env: &[(&str, String)],
) -> (Store<StockState>, YandexProvider) {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("linking wasmtime-wasi");
    wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker)
        .expect("linking wasmtime-wasi-http");
    let mut wasi = WasiCtx::builder();
    wasi.inherit_stderr();
    for (name, value) in env {
        wasi.env(name, value);
    }
    let state = StockState {
        wasi: wasi.build(),
        http: WasiHttpCtx::new(),
        table: ResourceTable::new(),
    };
    let mut store = Store::new(engine, state);
    let provider = YandexProvider::instantiate(&mut store, component, &linker)
        .expect("instantiating the WASI build with the stock linkers");
    (store, provider)
}

#[test]
fn the_wasi_build_imports_only_wasi_and_fits_its_budget() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = wasi_build(dir.path());
    assert!(
        wasm.len() <= SIZE_BUDGET,
        "the WASI build is {} bytes, over its budget of {SIZE_BUDGET}",
        wasm.len()
    );
    let wit_component::DecodedWasm::Component(resolve, world) =
        wit_component::decode(&wasm).expect("decoding the WASI build")
    else {
        panic!("the WASI build is not a component");
    };
    let world = &resolve.worlds[world];
    let imports: Vec<String> = world
        .imports
        .keys()
        .map(|key| resolve.name_world_key(key))
        .collect();
    assert!(!imports.is_empty());
    for import in &imports {
        assert!(import.starts_with("wasi:"), "non-WASI import {import}");
        assert!(
            import.ends_with("@0.2.0"),
            "{import}: not the oldest 0.2 version"
        );
    }
    let exports: Vec<String> = world
        .exports
        .keys()
        .map(|key| resolve.name_world_key(key))
        .collect();
    assert_eq!(
        exports,
        [
            "yandex-cloud:iam/iam@0.2.0",
            "ycprov:provider/lifecycle@0.2.0"
        ]
    );
}

#[test]
fn the_three_steps_run_on_wasmtime_stock_linkers() {
    let Stock {
        cloud,
        seed,
        engine,
        component,
    } = Stock::start();
    let env = [
        ("YCPROV_ENDPOINT", cloud.emulator.base_url()),
        ("YCPROV_TOKEN", seed.admin_token.clone()),
        ("YCPROV_ATTRIBUTE_FOLDER_ID", seed.folder_id.clone()),
    ];
    let (mut store, provider) = instantiate(&engine, &component, &env);
    let iam = provider.yandex_cloud_iam_iam();

    let account = iam
        .call_create_account(
            &mut store,
            &AccountSpec {
                folder_id: seed.folder_id.clone(),
                name: "stock-host".into(),
                description: Some("made by wasmtime's stock linkers".into()),
                labels: Vec::new(),
            },
        )
        .unwrap()
        .expect("create-account");
    iam.call_bind_role(
        &mut store,
        &seed.folder_id,
        "ai.languageModels.user",
        &Subject {
            kind: "serviceAccount".into(),
            id: account.id.clone(),
        },
    )
    .unwrap()
    .expect("bind-role");
    let created = iam
        .call_create_key(
            &mut store,
            &KeySpec {
                service_account_id: account.id.clone(),
                description: Some("stock host".into()),
                scopes: vec!["yc.ai.languageModels.execute".into()],
                expires_at: None,
            },
        )
        .unwrap()
        .expect("create-key");

    let snapshot = cloud.emulator.snapshot();
    let stored = snapshot
        .service_accounts
        .iter()
        .find(|a| a.id == account.id)
        .expect("the account exists in the emulator");
    assert_eq!(stored.name, "stock-host");
    assert!(
        snapshot.folder_bindings[&seed.folder_id]
            .iter()
            .any(|b| b.role_id == "ai.languageModels.user" && b.subject_id == account.id),
        "the role is bound"
    );
    let key = snapshot
        .api_keys
        .iter()
        .find(|k| k.id == created.key.id)
        .expect("the key exists in the emulator");
    assert_eq!(key.service_account_id, account.id);
    assert_eq!(key.scopes, ["yc.ai.languageModels.execute"]);
    assert!(cloud.emulator.issued_secrets().contains(&created.secret));
}

#[test]
fn the_adapter_enforces_its_configuration() {
    let Stock {
        cloud,
        seed,
        engine,
        component,
    } = Stock::start();
    let endpoint = cloud.emulator.base_url();
    type Case<'a> = (&'a str, Vec<(&'a str, String)>, &'a str);
    let cases: [Case; 4] = [
        (
            "an origin outside the allow-list",
            vec![
                ("YCPROV_TOKEN", seed.admin_token.clone()),
                ("YCPROV_ALLOWED_ORIGINS", "https://elsewhere.example".into()),
            ],
            "is not an allowed endpoint (allowed: https://elsewhere.example:443)",
        ),
        (
            "a malformed variable",
            vec![
                ("YCPROV_ENDPOINT", endpoint.clone()),
                ("YCPROV_LOG", "loud".into()),
            ],
            "YCPROV_LOG: `loud` is not one of",
        ),
        (
            "no token",
            vec![("YCPROV_ENDPOINT", endpoint.clone())],
            "Unauthenticated",
        ),
        (
            "a token with a header injection",
            vec![
                ("YCPROV_ENDPOINT", endpoint.clone()),
                ("YCPROV_TOKEN", "t\r\nx-evil: 1".into()),
            ],
            "YCPROV_TOKEN: the token has spaces or control characters",
        ),
    ];
    for (what, env, expected) in cases {
        let before = cloud.emulator.stats();
        let (mut store, provider) = instantiate(&engine, &component, &env);
        let error = provider
            .yandex_cloud_iam_iam()
            .call_get_account(&mut store, "ajeaaaaaaaaaaaaaaaaa")
            .unwrap()
            .expect_err(what);
        let text = format!("{error:?}");
        assert!(text.contains(expected), "{what}: {text}");
        assert!(!text.contains("x-evil"), "{what}: {text}");
        if expected != "Unauthenticated" {
            assert_eq!(
                cloud.emulator.stats().total_requests,
                before.total_requests,
                "{what}: the request reached the emulator"
            );
        }
    }
}

#[test]
fn the_adapter_follows_no_redirect_and_caps_responses() {
    let Stock {
        cloud,
        seed,
        engine,
        component,
    } = Stock::start();

    let followed = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&followed);
    let target = HostileApi::start(
        cloud.emulator.base_url(),
        Arc::new(move |_: &Request, answer: Answer| {
            count.fetch_add(1, Ordering::SeqCst);
            answer
        }),
    );
    let location = format!("{}/iam/v1/serviceAccounts/ajeaaaaaaaaaaaaaaaaa", target.url);
    let redirect: Rewrite = Arc::new(move |_: &Request, _: Answer| Answer {
        status: 302,
        body: String::new(),
        location: Some(location.clone()),
    });
    let redirecting = HostileApi::start(cloud.emulator.base_url(), redirect);
    let env = [
        ("YCPROV_ENDPOINT", redirecting.url.clone()),
        ("YCPROV_TOKEN", seed.admin_token.clone()),
    ];
    let (mut store, provider) = instantiate(&engine, &component, &env);
    let error = provider
        .yandex_cloud_iam_iam()
        .call_get_account(&mut store, "ajeaaaaaaaaaaaaaaaaa")
        .unwrap()
        .expect_err("a redirect is not a success");
    assert!(format!("{error:?}").contains("302"), "{error:?}");
    assert_eq!(
        followed.load(Ordering::SeqCst),
        0,
        "the redirect was followed"
    );

    let env = [
        ("YCPROV_ENDPOINT", cloud.emulator.base_url()),
        ("YCPROV_TOKEN", seed.admin_token.clone()),
        ("YCPROV_MAX_RESPONSE_BYTES", "64".to_string()),
    ];
    let (mut store, provider) = instantiate(&engine, &component, &env);
    let error = provider
        .yandex_cloud_iam_iam()
        .call_list_scopes(&mut store)
        .unwrap()
        .expect_err("the scope list is larger than 64 bytes");
    assert!(format!("{error:?}").contains("TooLarge(64)"), "{error:?}");
}
