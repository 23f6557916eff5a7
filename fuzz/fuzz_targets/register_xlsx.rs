//! Any bytes as an XLSX register workbook: never a panic; a workbook that opens parses into
//! records or line-numbered problems.
#![no_main]

use lantern_core::import::{ImportError, Table, parse_register};
use lantern_core::register::{SELF_HARM, SUICIDES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(table) = Table::from_xlsx_bytes("fuzz.xlsx", data.to_vec()) else { return };
    for dataset in [&SUICIDES, &SELF_HARM] {
        if let Err(ImportError::Invalid(problems)) =
            parse_register(dataset, &table, &|c| c.starts_with('E'), None)
        {
            assert!(problems.iter().all(|p| p.line >= 1));
        }
    }
});
