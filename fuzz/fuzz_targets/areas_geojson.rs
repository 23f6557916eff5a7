//! Any text as ONS boundary GeoJSON: never a panic.
#![no_main]

use lantern_core::import::parse_geojson;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_geojson("fuzz.geojson", text, None);
    }
});
