//! Lantern's domain: code lists, the register's datasets and their validation, areas and
//! populations, pseudonymisation, the storage traits ([`Store`] and one per capability), and the use cases written against it
//! (import, export, demo data). Nothing here knows about SQL or HTTP.

pub mod area;
pub mod audit;
pub mod auth;
pub mod benchmarks;
pub mod codes;
pub mod demo;
pub mod export;
pub mod grid;
pub mod import;
pub mod indicators;
pub mod media;
pub mod plans;
pub mod pseudonym;
pub mod quality;
pub mod register;
pub mod reports;
pub mod retention;
pub mod scan_files;
pub mod signals;
pub mod stats_files;
pub mod store;
pub mod support;
pub mod text;
pub mod workforce;

pub use store::{
    AreaStore, AuditStore, BenchmarkStore, ImportSummary, MediaStore, PlanStore, RegisterStore,
    ReportStore, ServiceStore, SettingsStore, SharedStore, SignalStore, Store, StoreError,
    StoreResult, UserStore, WorkforceStore,
};

/// Lowercase hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Bytes from lowercase or uppercase hexadecimal, if it is hexadecimal of even length.
pub fn unhex(text: &str) -> Option<Vec<u8>> {
    let t = text.trim();
    if !t.len().is_multiple_of(2) {
        return None;
    }
    (0..t.len())
        .step_by(2)
        .map(|i| t.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}
