//! Any bytes as a support directory file: never a panic; every problem has a line; every entry
//! read has a reference, a need from the code list and an area, ages in order, and writes out
//! as a file that reads back the same; a postcode district's normal form is its own.
#![no_main]

use chrono::NaiveDate;
use lantern_core::import::postcodes::normalise_district;
use lantern_core::import::{ImportError, Table};
use lantern_core::support::{parse_services, write_csv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(table) = Table::from_csv_bytes("services.csv", data, None) else {
        return;
    };
    let today = NaiveDate::from_ymd_opt(2026, 12, 5).expect("a date");
    let known = |c: &str| c.starts_with('E');
    for (_, row) in &table.rows {
        if let Some(d) = row.get(0).and_then(normalise_district) {
            assert_eq!(normalise_district(&d).as_deref(), Some(d.as_str()));
        }
    }
    match parse_services(&table, &known, today) {
        Ok(services) => {
            let needs = lantern_core::codes::list(lantern_core::support::NEEDS);
            for s in &services {
                assert!(!s.reference.is_empty());
                assert!(s.needs.iter().all(|n| needs.contains(n)));
                assert!(!s.areas.is_empty());
                assert!(s.last_verified <= today);
                if let (Some(a), Some(b)) = (s.age_min, s.age_max) {
                    assert!(a <= b);
                }
            }
            let mut bytes = Vec::new();
            write_csv(&services, &mut bytes).expect("written");
            let again = Table::from_csv("again.csv", &bytes).expect("a table");
            let read = parse_services(&again, &known, today).expect("reads back");
            assert_eq!(read, services);
        }
        Err(ImportError::Invalid(problems)) => assert!(problems.iter().all(|p| p.line >= 1)),
        Err(_) => {}
    }
});
