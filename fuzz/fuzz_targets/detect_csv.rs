//! Any bytes as a `period,count` series for `lantern stats detect` (the method chosen by its
//! length): rows or problems, never a panic, and no alarm without a bound.
#![no_main]

use lantern_core::stats_files::detect;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("lantern-fuzz-detect-{}.csv", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Ok(rows) = detect(&path, None, 52, None, 0.0) {
        assert!(rows.iter().all(|r| !r.alarm || r.upper_bound.is_some()));
    }
});
