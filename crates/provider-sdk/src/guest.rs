//! The component glue: wit-bindgen bindings of the world `ycprov:provider/provider@0.2.0`,
//! the host's imports as [`GuestHost`], and [`export_provider!`], which implements the
//! `lifecycle` export over a [`ProviderDefinition`].
//!
//! A component imports only the interfaces its code calls: a provider that never sends a
//! request has no `http` import, and its host links no network for it.

use crate::diagnostics::{Diagnostic, PathStep, Severity};
use crate::provider::{PlannedChange, StateResult};
use crate::timestamp::Timestamp;

/// The generated bindings (private to the SDK's users in spirit: use the items below).
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        world: "ycprov:provider/provider@0.2.0",
        path: "../../wit/provider/since_v0.2.0",
        pub_export_macro: true,
        export_macro_name: "export_lifecycle",
        default_bindings_module: "ycprov_provider_sdk::guest::bindings",
        generate_all,
    });
}

use bindings::exports::ycprov::provider::lifecycle as wit;
use bindings::ycprov::provider::{clock, log};

/// Severity of a log record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Very detailed.
    Trace,
    /// For debugging.
    Debug,
    /// Normal progress.
    Info,
    /// Something unexpected, but handled.
    Warn,
    /// A failure.
    Error,
}

/// Wall-clock time as the host supplies it; implemented by [`GuestHost`] and by test fakes.
pub trait Clock {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The host, reached through the component's imports. Each method links the import it
/// calls; unused ones never become imports of the component.
pub struct GuestHost;

impl GuestHost {
    /// Writes a record to the host's log.
    pub fn log(&self, level: Level, message: &str) {
        let level = match level {
            Level::Trace => log::Level::Trace,
            Level::Debug => log::Level::Debug,
            Level::Info => log::Level::Info,
            Level::Warn => log::Level::Warn,
            Level::Error => log::Level::Error,
        };
        log::log(level, message);
    }
}

impl Clock for GuestHost {
    fn now(&self) -> Timestamp {
        let now = clock::now();
        Timestamp {
            seconds: now.seconds,
            nanos: now.nanoseconds,
        }
    }
}

/// Converts SDK diagnostics to the WIT record.
#[doc(hidden)]
pub fn diagnostics_to_wit(diagnostics: Vec<Diagnostic>) -> Vec<wit::Diagnostic> {
    diagnostics
        .into_iter()
        .map(|diagnostic| wit::Diagnostic {
            severity: match diagnostic.severity {
                Severity::Error => wit::Severity::Error,
                Severity::Warning => wit::Severity::Warning,
            },
            summary: diagnostic.summary,
            detail: diagnostic.detail,
            attribute: diagnostic.attribute.map(|path| {
                path.0
                    .into_iter()
                    .map(|step| match step {
                        PathStep::Attribute(name) => wit::PathStep::Attribute(name),
                        PathStep::Index(index) => wit::PathStep::Index(index),
                        PathStep::Key(key) => wit::PathStep::Key(key),
                    })
                    .collect()
            }),
        })
        .collect()
}

/// Converts a plan result to the WIT record.
#[doc(hidden)]
pub fn planned_to_wit(change: PlannedChange) -> wit::PlannedChange {
    wit::PlannedChange {
        planned: change.planned,
        requires_replace: change.requires_replace,
        diagnostics: diagnostics_to_wit(change.diagnostics),
    }
}

/// Converts a state result to the WIT `applied` record.
#[doc(hidden)]
pub fn applied_to_wit(result: StateResult) -> wit::Applied {
    wit::Applied {
        new_state: result.state,
        diagnostics: diagnostics_to_wit(result.diagnostics),
    }
}

/// Converts a state result to the WIT `read-result` record.
#[doc(hidden)]
pub fn read_to_wit(result: StateResult) -> wit::ReadResult {
    wit::ReadResult {
        state: result.state,
        diagnostics: diagnostics_to_wit(result.diagnostics),
    }
}

/// Converts a state result to the WIT `imported` record.
#[doc(hidden)]
pub fn imported_to_wit(result: StateResult) -> wit::Imported {
    wit::Imported {
        state: result.state,
        diagnostics: diagnostics_to_wit(result.diagnostics),
    }
}

/// Exports the `ycprov:provider/lifecycle` interface of a [`ProviderDefinition`].
///
/// `host` is an expression of type `&'static <Definition as ProviderDefinition>::Host`,
/// usually `&ycprov_provider_sdk::guest::GuestHost` coerced to the trait object the
/// provider's resources use:
///
/// ```ignore
/// ycprov_provider_sdk::export_provider!(TimeProvider, host: &ycprov_provider_sdk::guest::GuestHost);
/// ```
///
/// [`ProviderDefinition`]: crate::ProviderDefinition
#[macro_export]
macro_rules! export_provider {
    ($definition:ty, host: $host:expr) => {
        mod __ycprov_export {
            use super::*;
            use $crate::guest::bindings::exports::ycprov::provider::lifecycle as wit;
            use $crate::provider::ProviderDefinition as _;

            static PROVIDER: ::std::sync::Mutex<$crate::Provider<$definition>> =
                ::std::sync::Mutex::new($crate::Provider::new());

            fn with_provider<T>(
                action: impl FnOnce(
                    &mut $crate::Provider<$definition>,
                    &<$definition as $crate::ProviderDefinition>::Host,
                ) -> T,
            ) -> T {
                let host: &<$definition as $crate::ProviderDefinition>::Host = $host;
                let mut provider = PROVIDER.lock().unwrap_or_else(|p| p.into_inner());
                action(&mut provider, host)
            }

            /// The exported component.
            pub struct Export;

            impl wit::Guest for Export {
                fn schema() -> String {
                    with_provider(|p, _| p.schema())
                }
                fn configure(config: String) -> Vec<wit::Diagnostic> {
                    with_provider(|p, _| $crate::guest::diagnostics_to_wit(p.configure(&config)))
                }
                fn validate(type_name: String, config: String) -> Vec<wit::Diagnostic> {
                    with_provider(|p, h| {
                        $crate::guest::diagnostics_to_wit(p.validate(h, &type_name, &config))
                    })
                }
                fn plan(
                    type_name: String,
                    prior: Option<String>,
                    config: Option<String>,
                ) -> wit::PlannedChange {
                    with_provider(|p, h| {
                        $crate::guest::planned_to_wit(p.plan(
                            h,
                            &type_name,
                            prior.as_deref(),
                            config.as_deref(),
                        ))
                    })
                }
                fn apply(
                    type_name: String,
                    prior: Option<String>,
                    planned: Option<String>,
                ) -> wit::Applied {
                    with_provider(|p, h| {
                        $crate::guest::applied_to_wit(p.apply(
                            h,
                            &type_name,
                            prior.as_deref(),
                            planned.as_deref(),
                        ))
                    })
                }
                fn read(type_name: String, state: String) -> wit::ReadResult {
                    with_provider(|p, h| $crate::guest::read_to_wit(p.read(h, &type_name, &state)))
                }
                fn read_many(type_name: String, states: Vec<String>) -> Vec<wit::ReadResult> {
                    let states: Vec<&str> = states.iter().map(String::as_str).collect();
                    with_provider(|p, h| {
                        p.read_many(h, &type_name, &states)
                            .into_iter()
                            .map($crate::guest::read_to_wit)
                            .collect()
                    })
                }
                fn apply_many(type_name: String, changes: Vec<wit::Change>) -> Vec<wit::Applied> {
                    let changes: Vec<(Option<&str>, Option<&str>)> = changes
                        .iter()
                        .map(|c| (c.prior.as_deref(), c.planned.as_deref()))
                        .collect();
                    with_provider(|p, h| {
                        p.apply_many(h, &type_name, &changes)
                            .into_iter()
                            .map($crate::guest::applied_to_wit)
                            .collect()
                    })
                }
                fn read_data_source(type_name: String, config: String) -> wit::ReadResult {
                    with_provider(|p, h| {
                        $crate::guest::read_to_wit(p.read_data_source(h, &type_name, &config))
                    })
                }
                fn import_resource(type_name: String, id: String) -> wit::Imported {
                    with_provider(|p, h| {
                        $crate::guest::imported_to_wit(p.import_resource(h, &type_name, &id))
                    })
                }
            }

            #[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
            #[global_allocator]
            static ALLOCATOR: $crate::guest_memory::Allocator = $crate::guest_memory::allocator();

            #[cfg(target_arch = "wasm32")]
            $crate::guest::bindings::export_lifecycle!(Export with_types_in $crate::guest::bindings);
        }
    };
}
