//! The resource type contract: what one resource type implements, and what its
//! operations return.

use crate::diagnostics::Diagnostic;
use crate::pending::PendingCreate;
use crate::provider::{Context, ProviderDefinition};
use crate::schema::ResourceSchema;
use crate::value::Attrs;

/// What a resource operation produced: the state of what exists, and diagnostics.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The state of what exists after the operation, or none when nothing does.
    pub state: Option<Attrs>,
    /// Problems and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

impl Outcome {
    /// The state of an object that exists.
    pub fn state(state: Attrs) -> Self {
        Outcome {
            state: Some(state),
            diagnostics: Vec::new(),
        }
    }

    /// No object exists.
    pub fn gone() -> Self {
        Outcome::default()
    }

    /// The operation failed; `state` is what exists now.
    pub fn failed(state: Option<Attrs>, diagnostic: Diagnostic) -> Self {
        Outcome {
            state,
            diagnostics: vec![diagnostic],
        }
    }

    /// The outcome with one more diagnostic.
    pub fn with(mut self, diagnostic: Diagnostic) -> Self {
        self.diagnostics.push(diagnostic);
        self
    }
}

/// One change of an instance that passed the generic checks, ready for the API calls.
#[derive(Debug)]
pub enum Change {
    /// Create the object of a fully known plan.
    Create(Attrs),
    /// Update the object in place.
    Update {
        /// The current state.
        prior: Attrs,
        /// The planned state.
        planned: Attrs,
    },
    /// Delete the object.
    Delete(Attrs),
}

/// One resource type: its schema, value checks and API calls.
pub trait Resource<P: ProviderDefinition>: Sync {
    /// The schema.
    fn schema(&self) -> &'static ResourceSchema;
    /// Whether instances are cheaper to read and apply together (the schema's `batch` flag).
    fn batches(&self) -> bool {
        false
    }
    /// Whether instances are cheaper to read together, though applied one by one (the
    /// schema's `read_batch` flag).
    fn reads_together(&self) -> bool {
        self.batches()
    }
    /// Checks of known configured values beyond their types.
    fn check(&self, config: &Attrs) -> Vec<Diagnostic>;
    /// Fills values a create plan knows although they are not configured.
    fn plan_defaults(
        &self,
        _ctx: &Context<'_, P>,
        _config: &Attrs,
        _planned: &mut Attrs,
        _diagnostics: &mut Vec<Diagnostic>,
    ) {
    }
    /// Adjusts the plan of an in-place update after the generic rules (e.g. a value
    /// computed from configured ones); `planned` holds the prior values of computed
    /// attributes that are not configured.
    fn plan_update_values(
        &self,
        _ctx: &Context<'_, P>,
        _prior: &Attrs,
        _config: &Attrs,
        _planned: &mut Attrs,
        _diagnostics: &mut Vec<Diagnostic>,
    ) {
    }
    /// A reason to replace the object although no force-new value changed (e.g. a
    /// rotation time that has passed): the attribute to report as forcing it.
    fn replace_reason(
        &self,
        _ctx: &Context<'_, P>,
        _prior: &Attrs,
        _config: &Attrs,
    ) -> Option<&'static str> {
        None
    }
    /// Checks of configured values against the clock or the cloud, made at plan time
    /// before anything is created (`prior` is the current state of an update).
    fn check_with_cloud(
        &self,
        _ctx: &Context<'_, P>,
        _prior: Option<&Attrs>,
        _config: &Attrs,
    ) -> Vec<Diagnostic> {
        Vec::new()
    }
    /// The checks of [`Resource::check_with_cloud`] that `validate` also makes: those that
    /// hold whatever the prior state (the clock-dependent ones may not).
    fn validate_with_cloud(&self, _ctx: &Context<'_, P>, _config: &Attrs) -> Vec<Diagnostic> {
        Vec::new()
    }
    /// Creates the object of a fully known plan.
    fn create(&self, ctx: &Context<'_, P>, planned: &Attrs) -> Outcome;
    /// Updates the object in place.
    fn update(&self, ctx: &Context<'_, P>, prior: &Attrs, planned: &Attrs) -> Outcome;
    /// Deletes the object.
    fn delete(&self, ctx: &Context<'_, P>, prior: &Attrs) -> Outcome;
    /// Reads the object's current attributes (before normalisation against the prior state).
    fn read(&self, ctx: &Context<'_, P>, state: &Attrs) -> Outcome;
    /// Finds an existing object by its import id.
    fn import(&self, ctx: &Context<'_, P>, id: &str) -> Outcome;
    /// Finds out what an interrupted create of `planned` left behind (see [`crate::pending`]):
    /// the state of an object it made, or gone. The default reads `planned` as a state.
    fn resolve_pending(
        &self,
        ctx: &Context<'_, P>,
        planned: &Attrs,
        _pending: &PendingCreate,
    ) -> Outcome {
        self.read(ctx, planned)
    }
    /// Reads many objects; one outcome per state, in order. The default reads one by one.
    fn read_many(&self, ctx: &Context<'_, P>, states: &[Attrs]) -> Vec<Outcome> {
        states.iter().map(|state| self.read(ctx, state)).collect()
    }
    /// Carries out many changes; one outcome per change, in order. The default applies
    /// them one by one.
    fn apply_many(&self, ctx: &Context<'_, P>, changes: &[Change]) -> Vec<Outcome> {
        changes
            .iter()
            .map(|change| match change {
                Change::Create(planned) => self.create(ctx, planned),
                Change::Update { prior, planned } => self.update(ctx, prior, planned),
                Change::Delete(prior) => self.delete(ctx, prior),
            })
            .collect()
    }
}
