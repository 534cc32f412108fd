//! End-to-end tests: the real `ycprov` binary with its real provider component
//! against the emulator on an ephemeral loopback port.

mod contract;
mod credentials;
mod declarative;
mod faults;
mod imperative;
mod sandbox;
mod secrets;
mod support;
