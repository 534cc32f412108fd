//! End-to-end tests: the real `ycprov` binary with its real provider component
//! against the emulator on an ephemeral loopback port.

mod batching;
mod concurrency;
mod contract;
mod crash;
mod credentials;
mod declarative;
mod faults;
mod imperative;
mod sandbox;
mod secrets;
mod support;
