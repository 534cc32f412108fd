//! The runner against components made here from WIT (wit-component's dummy modules: they
//! instantiate, and every export traps): what it links, what it refuses, and that a trap
//! stays inside its instance.

use std::path::Path;
use std::sync::Arc;

use ycprov_runtime::{Capabilities, ComponentSpec, NoCredentials, Policy, Runtime};

/// The neutral package's WIT, as the repository holds it.
fn neutral_wit() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../wit/provider/since_v0.2.0")
}

/// A component of `world`, declared in `extra` (a package of its own) over the neutral
/// package, or in the neutral package itself when `extra` is `None`.
fn component(extra: Option<&str>, world: &str) -> Vec<u8> {
    let mut resolve = wit_parser::Resolve::default();
    let (neutral, _) = resolve.push_dir(neutral_wit()).unwrap();
    let package = match extra {
        Some(text) => resolve.push_str("extra.wit", text).unwrap(),
        None => neutral,
    };
    let world = resolve.select_world(&[package], Some(world)).unwrap();
    let mut module = wit_component::dummy_module(
        &resolve,
        world,
        wit_parser::ManglingAndAbi::Legacy(wit_parser::LiftLowerAbi::Sync),
    );
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
        false,
    )
    .unwrap();
    wit_component::ComponentEncoder::default()
        .module(&module)
        .unwrap()
        .encode()
        .unwrap()
}

fn caps() -> Capabilities {
    Capabilities::new(Policy::new(&[], None).unwrap(), Arc::new(NoCredentials))
}

fn load(wasm: &[u8]) -> anyhow::Result<Runtime> {
    Runtime::new(
        ComponentSpec {
            wasm,
            precompiled: None,
            what: "the test component",
            packages: &[],
            retired: &["acme:retired"],
        },
        caps(),
    )
}

#[test]
fn each_component_gets_exactly_the_capabilities_it_imports() {
    let cases = [
        (None, "provider", vec!["http", "identity", "clock", "log"]),
        (None, "clock-provider", vec!["clock", "log"]),
        (
            Some(
                "package acme:quiet;\nworld quiet {\n  export ycprov:provider/lifecycle@0.2.0;\n}\n",
            ),
            "quiet",
            vec![],
        ),
    ];
    for (extra, world, linked) in cases {
        let runtime = load(&component(extra, world)).unwrap_or_else(|e| panic!("{world}: {e:#}"));
        assert_eq!(runtime.linked(), linked, "{world}");
        let network = runtime.imports().iter().any(|i| i.contains("/http@"));
        assert_eq!(network, linked.contains(&"http"), "{world}");
    }
}

#[test]
fn components_of_other_versions_or_without_lifecycle_are_refused() {
    let cases = [
        (
            "package ycprov:provider@0.9.0;\ninterface log { log: func(message: string); }\ninterface lifecycle { schema: func() -> string; }\nworld w { import log; export lifecycle; }\n",
            "was built for ycprov:provider@0.9.0",
        ),
        (
            "package acme:retired@1.0.0;\ninterface lifecycle { schema: func() -> string; }\nworld w { export lifecycle; }\n",
            "was built for acme:retired@1.0.0",
        ),
        (
            "package acme:other;\ninterface tools { run: func() -> string; }\nworld w { import ycprov:provider/clock@0.2.0; export tools; }\n",
            "does not export the ycprov:provider@0.2.0 lifecycle interface",
        ),
    ];
    for (wit, expected) in cases {
        let error = match load(&component(Some(wit), "w")) {
            Ok(_) => panic!("{wit}: loaded"),
            Err(error) => format!("{error:#}"),
        };
        assert!(error.contains(expected), "{wit}: {error}");
        if expected.contains("built for") {
            assert!(error.contains("supports ycprov:provider@0.2.0"), "{error}");
        }
    }
}

#[test]
fn a_trap_kills_only_its_instance() {
    let runtime = load(&component(None, "clock-provider")).unwrap();
    for call in 0..3 {
        let error = runtime
            .call_lifecycle("schema", |store, lifecycle| lifecycle.call_schema(store))
            .unwrap_err();
        let text = format!("{error:#}");
        assert!(
            text.contains("the provider component failed during schema"),
            "call {call}: {text}"
        );
    }
}
