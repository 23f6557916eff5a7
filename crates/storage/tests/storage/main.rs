//! The storage contract, run on SQLite and PostgreSQL.
#![allow(
    clippy::unwrap_used,
    reason = "a test should stop at the first unexpected error"
)]

mod store_contract;
