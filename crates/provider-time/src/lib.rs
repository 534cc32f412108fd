//! The `hashicorp/time` provider for ycprov: `time_static`, `time_offset` and
//! `time_rotating`, with the attributes, import ids and behaviour of
//! terraform-provider-time. It acts only through the host's `clock` (and `log`), so a
//! host links no network for it.
//!
//! One difference from terraform-provider-time: a `time_rotating` whose rotation time
//! has passed is planned for replacement (as upstream's `rotation_rfc3339` plan modifier
//! does) instead of vanishing from the state on refresh, so `replace_triggered_by =
//! [time_rotating.x]` fires on rotation.

mod offset;
mod rotating;
mod static_time;
mod timestamps;

use ycprov_provider_sdk::guest::Clock;
use ycprov_provider_sdk::{Attrs, Diagnostic, ProviderDefinition, Resource, ResourceSchema};

/// The provider's definition for the SDK.
pub struct Time;

/// The lifecycle entry points of the time provider.
pub type Provider = ycprov_provider_sdk::Provider<Time>;

static RESOURCES: [&dyn Resource<Time>; 3] = [
    &static_time::StaticTime,
    &offset::Offset,
    &rotating::Rotating,
];

static PROVIDER_SCHEMA: ResourceSchema = ResourceSchema {
    type_name: "provider \"time\"",
    version: 0,
    description: "Time-based resources: fixed timestamps, offsets and rotation schedules, kept in the state.",
    attributes: &[],
};

impl ProviderDefinition for Time {
    type Host = dyn Clock;
    type Config = ();
    const UNCONFIGURED: () = ();

    fn schema() -> &'static ResourceSchema {
        &PROVIDER_SCHEMA
    }

    fn resources() -> &'static [&'static dyn Resource<Time>] {
        &RESOURCES
    }

    fn configure(_config: &Attrs) -> Result<(), Vec<Diagnostic>> {
        Ok(())
    }
}

ycprov_provider_sdk::export_provider!(Time, host: &ycprov_provider_sdk::guest::GuestHost);

#[cfg(test)]
mod tests;
