//! Any bytes as a plan (document text, CSV or XLSX, by the same detection the command line
//! uses): never a panic; a plan read has actions, unique numbers, and due dates only where its
//! timescales name one; what it writes out as CSV reads back.
#![no_main]

use std::collections::HashSet;

use lantern_core::plans::{PlanFormat, PlanOptions, parse_plan_bytes, write};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let opts = PlanOptions::default();
    for format in [None, Some(PlanFormat::Document), Some(PlanFormat::Csv)] {
        let Ok(parsed) = parse_plan_bytes("fuzz.txt", data, format, &opts) else {
            continue;
        };
        let plan = parsed.plan;
        assert!(plan.action_count() > 0);
        let mut seen = HashSet::new();
        for (_, a) in plan.actions() {
            assert!(seen.insert(a.number.clone()), "duplicate {}", a.number);
            assert!(a.due.is_none() || a.timescale.is_some());
        }
        let mut csv = Vec::new();
        write::write_csv(std::slice::from_ref(&plan), &mut csv).expect("csv writes");
        let again = parse_plan_bytes("again.csv", &csv, Some(PlanFormat::Csv), &opts);
        assert!(again.is_ok(), "an exported plan reads back: {again:?}");
    }
});
