//! Pure statistics for Lantern: no I/O, no async, no logging.
//!
//! This crate is filled in by later issues (rates, standardisation, disclosure control, aberration
//! detection, scan statistics). It exists now so that the dependency direction
//! `core -> stats` is fixed from the start.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
