//! Integration tests: the provider logic, run natively, against the local emulator over HTTP.

mod batch_flow;
mod emulator_platform;
mod iam_flow;
mod lifecycle_flow;
mod pgp_flow;
