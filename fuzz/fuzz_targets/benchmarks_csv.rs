//! Any bytes as a benchmark file (Fingertips, fingertipsR or the simple CSV): never a panic, and
//! every figure read has its key and ordered confidence limits.
#![no_main]

use lantern_core::benchmarks::parse_benchmarks;
use lantern_core::import::Table;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(table) = Table::from_csv("fuzz.csv", data) else {
        return;
    };
    if let Ok(parsed) = parse_benchmarks(&table) {
        for b in &parsed.rows {
            assert!(!b.indicator.is_empty() && !b.period.is_empty());
            assert_eq!(b.area_code.len(), 9);
            if let (Some(lo), Some(hi)) = (b.lower95, b.upper95) {
                assert!(lo <= hi);
            }
        }
    }
});
