//! The ycprov engine: Terraform-style configuration, graph, plan, apply and state.
//!
//! The engine talks to a provider through the [`provider::Provider`] trait; the host
//! adapts the WebAssembly component to it. The host maps command-line flags onto
//! [`commands::Options`] and calls the functions of [`commands`].

pub mod address;
pub mod config;
pub mod diagnostics;
pub mod graph;
pub mod provider;
pub mod value;
pub mod instances;
pub mod lock;
pub mod plan;
pub mod pool;
pub mod redact;
pub mod state;
pub mod apply;
pub mod render;
pub mod commands;
pub mod planfile;
