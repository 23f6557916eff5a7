//! The statistics against published reference values and R, and their properties on random
//! inputs.
#![allow(
    clippy::unwrap_used,
    reason = "a test should stop at the first unexpected error"
)]

#[path = "../../../../testsupport/refdata.rs"]
mod refdata;

mod aberration_reference;
mod disclosure_properties;
mod hotspot_reference;
mod reference_values;
mod scan_properties;
mod zero_baselines;
