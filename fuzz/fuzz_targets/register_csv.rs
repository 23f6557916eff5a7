//! Any bytes as a register CSV, for both datasets: never a panic, and every problem has a line.
#![no_main]

use lantern_core::import::{ImportError, Table, parse_register};
use lantern_core::pseudonym::PseudonymKey;
use lantern_core::register::{SELF_HARM, SUICIDES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(table) = Table::from_csv("fuzz.csv", data) else { return };
    let key = PseudonymKey::from_hex(&"ab".repeat(32)).ok();
    for dataset in [&SUICIDES, &SELF_HARM] {
        match parse_register(dataset, &table, &|c| c.starts_with('E'), key.as_ref()) {
            Ok(records) => {
                // Every accepted record reparses from its own export row.
                for r in records {
                    let row = r.to_row();
                    let again = lantern_core::register::Record::parse(
                        dataset,
                        |n| dataset.index(n).map(|i| row[i].as_str()),
                        &|_| true,
                    );
                    assert_eq!(again.ok().as_ref(), Some(&r));
                }
            }
            Err(ImportError::Invalid(problems)) => assert!(problems.iter().all(|p| p.line >= 1)),
            Err(_) => {}
        }
    }
});
