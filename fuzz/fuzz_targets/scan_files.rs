//! Any bytes as SaTScan case, coordinates and population files (split at NUL bytes), under each
//! model: a report or problems, never a panic; a report's clusters hold cases that exist.
#![no_main]

use lantern_core::scan_files::{MaxTemporal, ScanKind, ScanOptions, scan};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let mut parts = rest.splitn(3, |&b| b == 0);
    let (cases, coords, pop) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let dir = std::env::temp_dir().join(format!("lantern-fuzz-scan-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.join(name);
        std::fs::write(&p, bytes).map(|()| p)
    };
    let (Ok(c), Ok(g), Ok(p)) = (write("f.cas", cases), write("f.geo", coords), write("f.pop", pop)) else {
        return;
    };
    let kind = match first % 3 {
        0 => ScanKind::Poisson,
        1 => ScanKind::SpaceTimePoisson,
        _ => ScanKind::SpaceTimePermutation,
    };
    let options = ScanOptions {
        kind,
        lat_long: first & 4 == 0,
        prospective: first & 8 != 0,
        max_temporal: MaxTemporal::Days(u32::from(first >> 4) + 1),
        replications: 0,
        max_clusters: 3,
        ..ScanOptions::default()
    };
    if let Ok(report) = scan(&c, &g, Some(&p), &options) {
        for cl in &report.clusters {
            assert!(cl.observed <= report.cases);
            assert!(!cl.locations.is_empty());
            assert!(cl.llr.is_finite() && cl.llr > 0.0);
        }
    }
});
