//! End-to-end tests of the `lantern` command line: imports of the real ONS files, all-or-nothing
//! validation, idempotent re-imports, export round trips, pseudonymisation and the demo.
#![allow(
    clippy::unwrap_used,
    reason = "a test should stop at the first unexpected error"
)]

#[path = "../../../../testsupport/refdata.rs"]
mod refdata;

mod audit;
mod backup;
mod benchmarks;
mod geography;
mod hardening;
mod helpers;
mod imports;
mod plans;
mod register;
mod reliability;
mod reports;
mod services;
mod signals;
mod stats;
mod users;
mod workforce;
