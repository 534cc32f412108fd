//! Many providers in one configuration: provider configuration addresses (a source
//! address plus an optional alias), Terraform's spelling of them in the state, and the
//! set of providers a run uses.
//!
//! A resource's provider is its `provider` meta-argument (`provider = yandex.b`) or else
//! the prefix of its type (`time_rotating` → `time`); the local name resolves to a source
//! through `required_providers`, else to the implied source (`yandex` →
//! `yandex-cloud/yandex`, any other `NAME` → `hashicorp/NAME`).

use std::collections::BTreeMap;
use std::fmt;

use anyhow::Context;

use crate::provider::{Provider, Schema};

/// The registry host of sources written without one.
pub const DEFAULT_REGISTRY: &str = "registry.terraform.io";

/// One provider configuration: which provider (its source and the local name it goes
/// by), and which of its `provider` blocks (the alias, or the default one).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProviderConfigAddr {
    /// The fully qualified source, e.g. `registry.terraform.io/hashicorp/time`.
    pub source: String,
    /// The local name in this configuration, e.g. `time`.
    pub local_name: String,
    /// The alias of a non-default configuration.
    pub alias: Option<String>,
}

impl ProviderConfigAddr {
    /// The default configuration of the provider with `source`, known as `local_name`.
    pub fn new(source: &str, local_name: &str) -> ProviderConfigAddr {
        ProviderConfigAddr {
            source: qualified_source(source),
            local_name: local_name.to_string(),
            alias: None,
        }
    }

    /// The same provider with an alias.
    pub fn with_alias(mut self, alias: Option<String>) -> ProviderConfigAddr {
        self.alias = alias;
        self
    }

    /// Terraform's spelling in a state file: `provider["registry.terraform.io/hashicorp/time"]`,
    /// with `.ALIAS` appended for an aliased configuration.
    pub fn state_string(&self) -> String {
        match &self.alias {
            Some(alias) => format!("provider[\"{}\"].{alias}", self.source),
            None => format!("provider[\"{}\"]", self.source),
        }
    }

    /// Reads the state spelling (the local name becomes the source's type part); `None`
    /// when `text` is not one.
    pub fn parse_state(text: &str) -> Option<ProviderConfigAddr> {
        let rest = text.strip_prefix("provider[\"")?;
        let (source, tail) = rest.split_once("\"]")?;
        let alias = match tail {
            "" => None,
            _ => Some(tail.strip_prefix('.')?.to_string()),
        };
        let local_name = source.rsplit('/').next()?.to_string();
        if source.is_empty() || local_name.is_empty() {
            return None;
        }
        Some(ProviderConfigAddr::new(source, &local_name).with_alias(alias))
    }

    /// The source without the default registry host, e.g. `hashicorp/time`.
    pub fn short_source(&self) -> &str {
        self.source
            .strip_prefix(DEFAULT_REGISTRY)
            .and_then(|s| s.strip_prefix('/'))
            .unwrap_or(&self.source)
    }
}

impl fmt::Display for ProviderConfigAddr {
    /// How messages name it: `provider "yandex"` or `provider "yandex" (alias "b")`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "provider \"{}\"", self.local_name)?;
        if let Some(alias) = &self.alias {
            write!(f, " (alias \"{alias}\")")?;
        }
        Ok(())
    }
}

/// `source` with the default registry host when it names none, in lower case.
pub fn qualified_source(source: &str) -> String {
    let source = source.trim().to_ascii_lowercase();
    match source.split('/').count() {
        2 => format!("{DEFAULT_REGISTRY}/{source}"),
        _ => source,
    }
}

/// The source a local name means when `required_providers` does not name it.
pub fn implied_source(local_name: &str) -> String {
    match local_name {
        "yandex" => qualified_source("yandex-cloud/yandex"),
        other => qualified_source(&format!("hashicorp/{other}")),
    }
}

/// The provider prefix of a resource type: `time_rotating` → `time`.
pub fn type_prefix(type_name: &str) -> &str {
    type_name.split('_').next().unwrap_or(type_name)
}

/// Whether `source` is a well-formed source address (`[HOST/]NAMESPACE/TYPE`).
pub fn is_valid_source(source: &str) -> bool {
    let parts: Vec<&str> = source.split('/').collect();
    (2..=3).contains(&parts.len())
        && parts.iter().all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        })
}

/// The providers of a run, by configuration address.
#[derive(Clone, Default)]
pub struct Providers<'a> {
    entries: BTreeMap<ProviderConfigAddr, &'a dyn Provider>,
}

impl<'a> Providers<'a> {
    /// No providers.
    pub fn new() -> Providers<'a> {
        Providers::default()
    }

    /// One provider as the default configuration of the Yandex provider (what a
    /// configuration without `required_providers` uses for `yandex_*` types).
    pub fn single(provider: &'a dyn Provider) -> Providers<'a> {
        let mut providers = Providers::new();
        providers.insert(
            ProviderConfigAddr::new(&implied_source("yandex"), "yandex"),
            provider,
        );
        providers
    }

    /// Adds (or replaces) the provider of `addr`.
    pub fn insert(&mut self, addr: ProviderConfigAddr, provider: &'a dyn Provider) {
        self.entries.insert(addr, provider);
    }

    /// The provider of `addr`, matched by source and alias (local names may differ
    /// between the configuration and the state).
    pub fn get(&self, addr: &ProviderConfigAddr) -> Option<&'a dyn Provider> {
        self.entries
            .iter()
            .find(|(a, _)| a.source == addr.source && a.alias == addr.alias)
            .map(|(_, p)| *p)
    }

    /// The provider of `addr`, or an error naming it and the configured ones.
    pub fn require(&self, addr: &ProviderConfigAddr) -> anyhow::Result<&'a dyn Provider> {
        self.get(addr).ok_or_else(|| {
            let known: Vec<String> = self.entries.keys().map(|a| a.to_string()).collect();
            anyhow::anyhow!(
                "{addr} ({}) is not available in this run (available: {})",
                addr.short_source(),
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )
        })
    }

    /// Every provider with its address, in address order.
    pub fn iter(&self) -> impl Iterator<Item = (&ProviderConfigAddr, &'a dyn Provider)> {
        self.entries.iter().map(|(a, p)| (a, *p))
    }

    /// Asks every provider for its schema (once per source) and merges them; two
    /// providers offering one resource type is an error.
    pub fn schema(&self) -> anyhow::Result<Schema> {
        let mut merged = Schema::default();
        for (addr, provider) in self.iter() {
            if merged.providers.contains_key(&addr.source) {
                continue;
            }
            let doc = provider
                .schema()
                .with_context(|| format!("{addr} failed to return its schema"))?;
            let schema = Schema::from_json(&addr.source, &doc)
                .with_context(|| format!("in the schema of {addr}"))?;
            merged.merge(schema)?;
        }
        Ok(merged)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_spellings_round_trip() {
        let cases = [
            (
                ProviderConfigAddr::new("hashicorp/time", "time"),
                "provider[\"registry.terraform.io/hashicorp/time\"]",
            ),
            (
                ProviderConfigAddr::new("yandex-cloud/yandex", "yandex")
                    .with_alias(Some("b".into())),
                "provider[\"registry.terraform.io/yandex-cloud/yandex\"].b",
            ),
            (
                ProviderConfigAddr::new("example.com/acme/widgets", "widgets"),
                "provider[\"example.com/acme/widgets\"]",
            ),
        ];
        for (addr, text) in cases {
            assert_eq!(addr.state_string(), text);
            assert_eq!(ProviderConfigAddr::parse_state(text), Some(addr));
        }
        for bad in ["provider.yandex", "provider[\"\"]", "provider[\"a/b\"]x"] {
            assert_eq!(ProviderConfigAddr::parse_state(bad), None, "{bad}");
        }
    }

    #[test]
    fn local_names_imply_sources() {
        assert_eq!(
            implied_source("yandex"),
            "registry.terraform.io/yandex-cloud/yandex"
        );
        assert_eq!(
            implied_source("time"),
            "registry.terraform.io/hashicorp/time"
        );
        assert_eq!(type_prefix("time_rotating"), "time");
        assert!(is_valid_source("hashicorp/time"));
        assert!(is_valid_source("example.com/acme/widgets"));
        assert!(!is_valid_source("time"));
        assert!(!is_valid_source("a//b"));
    }
}
