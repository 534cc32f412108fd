//! End-to-end tests: the real `ycprov` binary with its real provider component
//! against the emulator on an ephemeral loopback port.

mod adversarial;
mod ai_studio;
mod authorized_keys;
mod batching;
mod concurrency;
mod contract;
mod crash;
mod credentials;
mod data_sources;
mod declarative;
mod faults;
mod hostile_api;
mod iam_members;
mod imperative;
mod lockbox;
mod modules;
mod pgp_keys;
mod providers;
mod s3_backend;
mod sandbox;
mod secrets;
mod static_keys;
mod stock_hosts;
mod support;
mod terraform_blocks;
