//! Any bytes as a population file (long or TS009 wide): never a panic, no negative counts.
#![no_main]

use lantern_core::import::{Table, parse_populations};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(table) = Table::from_csv("fuzz.csv", data) else { return };
    if let Ok(parsed) = parse_populations(&table, &|_| true) {
        assert!(parsed.rows.iter().all(|r| r.population >= 0));
    }
});
