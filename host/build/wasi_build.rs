//! The WASI build: a provider composed with the WASI adapter by `wac-graph`, so that the
//! result imports nothing but `wasi:*` and runs in stock WASI 0.2 hosts.

use anyhow::{Context, Result, bail};
use wac_graph::types::Package;
use wac_graph::{CompositionGraph, EncodeOptions};

/// Plugs the adapter's exports into the provider's imports of the same names and exports
/// everything the provider exports. Fails when the result imports anything but `wasi:*`.
pub fn compose(provider: &[u8], adapter: &[u8]) -> Result<Vec<u8>> {
    let mut graph = CompositionGraph::new();
    let provider = Package::from_bytes("ycprov:provider-core", None, provider, graph.types_mut())
        .context("reading the provider component")?;
    let adapter = Package::from_bytes("ycprov:wasi-adapter", None, adapter, graph.types_mut())
        .context("reading the WASI adapter component")?;
    let provider = graph.register_package(provider)?;
    let adapter = graph.register_package(adapter)?;

    let names =
        |graph: &CompositionGraph, package: wac_graph::PackageId, imports: bool| -> Vec<String> {
            let world = &graph.types()[graph[package].ty()];
            let items = if imports {
                &world.imports
            } else {
                &world.exports
            };
            items.keys().cloned().collect()
        };
    let provider_imports = names(&graph, provider, true);
    let provider_exports = names(&graph, provider, false);
    let adapter_exports = names(&graph, adapter, false);

    let adapter_instance = graph.instantiate(adapter);
    let provider_instance = graph.instantiate(provider);
    for name in provider_imports
        .iter()
        .filter(|n| adapter_exports.contains(n))
    {
        let export = graph
            .alias_instance_export(adapter_instance, name)
            .with_context(|| format!("the adapter's export `{name}`"))?;
        graph
            .set_instantiation_argument(provider_instance, name, export)
            .with_context(|| format!("plugging `{name}` into the provider"))?;
    }
    for name in &provider_exports {
        let export = graph
            .alias_instance_export(provider_instance, name)
            .with_context(|| format!("the provider's export `{name}`"))?;
        graph
            .export(export, name)
            .with_context(|| format!("exporting `{name}`"))?;
    }
    let composed = graph
        .encode(EncodeOptions::default())
        .context("encoding the composed component")?;

    let (resolve, world) = match wit_component::decode(&composed)
        .context("decoding the composed component")?
    {
        wit_component::DecodedWasm::Component(resolve, world) => (resolve, world),
        wit_component::DecodedWasm::WitPackage(..) => bail!("the composition is not a component"),
    };
    let foreign: Vec<String> = resolve.worlds[world]
        .imports
        .keys()
        .map(|key| resolve.name_world_key(key))
        .filter(|name| !name.starts_with("wasi:"))
        .collect();
    if !foreign.is_empty() {
        bail!(
            "the WASI build still imports {}: the adapter does not provide them",
            foreign.join(", ")
        );
    }
    Ok(composed)
}
