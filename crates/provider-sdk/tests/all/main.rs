//! The SDK's own tests, without a cloud: a provider of one in-memory resource type
//! exercises the generic rules, and the value types are checked directly.

mod notes;
mod paths_and_times;
