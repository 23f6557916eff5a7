//! Any bytes as an ONS postcode lookup (in whatever encoding they turn out to be): never a
//! panic; every problem has a line; every postcode kept has a key of 32 hex digits; the
//! normal form of a postcode is its own normal form.
#![no_main]

use lantern_core::import::{ImportError, Table, normalise_postcode, parse_postcodes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(table) = Table::from_csv_bytes("nspl.csv", data, None) else {
        return;
    };
    for (_, row) in &table.rows {
        if let Some(cell) = row.get(0)
            && let Some(n) = normalise_postcode(cell)
        {
            assert_eq!(normalise_postcode(&n).as_deref(), Some(n.as_str()));
        }
    }
    match parse_postcodes(&table, &|c| c.starts_with('E')) {
        Ok(found) => {
            for p in &found.postcodes {
                assert_eq!(p.key.len(), 32);
                assert!(p.key.bytes().all(|b| b.is_ascii_hexdigit()));
                assert!(p.area_code.starts_with('E'));
            }
        }
        Err(ImportError::Invalid(problems)) => assert!(problems.iter().all(|p| p.line >= 1)),
        Err(_) => {}
    }
});
