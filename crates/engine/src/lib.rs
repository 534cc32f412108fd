//! The ycprov engine: Terraform-style configuration, graph, plan, apply and state.
//!
//! The engine talks to a provider through the [`provider::Provider`] trait; the host
//! adapts the WebAssembly component to it. The host maps command-line flags onto
//! [`commands::Options`] and calls the functions of [`commands`].

// Diagnostics travel in `Err` on cold paths only; boxing them would buy nothing.
#![allow(clippy::result_large_err)]

pub mod address;
pub mod apply;
pub mod commands;
pub mod config;
pub mod diagnostics;
mod files;
pub mod graph;
mod group_commit;
mod id_index;
pub mod instance_needs;
pub mod instances;
pub mod journal;
pub mod limits;
pub mod lock;
pub mod modules;
pub mod plan;
mod plan_data;
pub mod planfile;
pub mod pool;
pub mod provider;
pub mod providers;
pub mod redact;
pub mod remote;
pub mod render;
pub mod state;
pub mod state_blocks;
pub mod state_file;
pub mod value;
pub mod walker;
