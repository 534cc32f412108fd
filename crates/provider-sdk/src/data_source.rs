//! The data source contract: a type that only reads, at plan time (or at apply time when
//! its configuration is not yet known).

use crate::diagnostics::Diagnostic;
use crate::provider::{Context, ProviderDefinition};
use crate::resource::Outcome;
use crate::schema::ResourceSchema;
use crate::value::Attrs;

/// A value the host fills in a data source's state after the read, from what only the
/// host holds; the component never sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostValue {
    /// The access token of the identity the host authenticates the provider's requests as
    /// (the bearer token of its `Authorization` header). Declare the attribute sensitive.
    AccessToken,
}

impl HostValue {
    /// The name the schema JSON uses (`"host_values": {"<attribute>": "<name>"}`).
    pub fn name(self) -> &'static str {
        match self {
            HostValue::AccessToken => "access-token",
        }
    }
}

/// One data source type: its schema (arguments are the configurable attributes, the rest
/// computed), its checks and its read.
pub trait DataSource<P: ProviderDefinition>: Sync {
    /// The schema, shaped as a resource's.
    fn schema(&self) -> &'static ResourceSchema;
    /// Checks of known configured values beyond their types (e.g. "either `id` or `name`").
    fn check(&self, config: &Attrs) -> Vec<Diagnostic>;
    /// Reads what the configuration selects: the state, or a failure (a data source that
    /// finds nothing is an error, as in Terraform).
    fn read(&self, ctx: &Context<'_, P>, config: &Attrs) -> Outcome;
    /// Attributes the host fills after the read, and from what.
    fn host_values(&self) -> &'static [(&'static str, HostValue)] {
        &[]
    }
}
