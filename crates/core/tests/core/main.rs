//! Integration tests of the domain: the demo against ONS rates, the plan importer on real plans,
//! the scan files against SaTScan, and inputs fuzzing once found.
#![allow(
    clippy::unwrap_used,
    reason = "a test should stop at the first unexpected error"
)]

#[path = "../../../../testsupport/refdata.rs"]
mod refdata;

mod demo_matches_ons;
mod fuzz_regressions;
mod plans_import;
mod scan_reference;
