//! Any bytes as an organisations file, a training file and a media monitoring log: never a panic; every problem has
//! a line; every organisation read has codes from its lists and roles that end after they
//! start, and never two of one role at once; every training row has a course of the catalogue
//! and evaluations no more than its delegates; a media report is compliant exactly when it breaks
//! nothing; each writes out as a file that reads back the same.
#![no_main]

use chrono::NaiveDate;
use lantern_core::import::{ImportError, Table};
use lantern_core::workforce::{
    COURSES, ROLES, SECTORS, TYPES, parse_organisations, parse_training, write_organisations,
    write_training,
};
use libfuzzer_sys::fuzz_target;

fn lines_ok<T>(r: &Result<T, ImportError>) {
    if let Err(ImportError::Invalid(problems)) = r {
        assert!(problems.iter().all(|p| p.line >= 1));
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(table) = Table::from_csv_bytes("fuzz.csv", data, None) else {
        return;
    };
    let today = NaiveDate::from_ymd_opt(2026, 12, 5).expect("a date");
    let known = |c: &str| c.starts_with('E');
    let list = lantern_core::codes::list;
    let orgs = parse_organisations(&table, &known, today);
    lines_ok(&orgs);
    let orgs = orgs.unwrap_or_default();
    for o in &orgs {
        assert!(list(SECTORS).contains(&o.sector) && list(TYPES).contains(&o.org_type));
        for (i, r) in o.roles.iter().enumerate() {
            assert!(list(ROLES).contains(&r.role));
            assert!(r.from <= today && r.to.is_none_or(|t| r.from <= t));
            for s in &o.roles[..i] {
                let overlap = s.role == r.role
                    && s.from <= r.to.unwrap_or(NaiveDate::MAX)
                    && r.from <= s.to.unwrap_or(NaiveDate::MAX);
                assert!(!overlap);
            }
        }
    }
    if !orgs.is_empty() {
        let mut bytes = Vec::new();
        write_organisations(&orgs, &mut bytes).expect("written");
        let again = Table::from_csv("again.csv", &bytes).expect("a table");
        assert_eq!(
            parse_organisations(&again, &known, today).expect("reads back"),
            orgs
        );
    }
    let media = lantern_core::media::parse_reports(&table, &known, &|id| id % 2 == 0, today);
    lines_ok(&media);
    if let Ok(reports) = media {
        for r in &reports {
            assert_eq!(r.compliant(), r.breaches().is_empty());
            assert!(r.published <= today && r.record_id.is_none_or(|id| id % 2 == 0));
        }
        let mut bytes = Vec::new();
        lantern_core::media::write_csv(&reports, &mut bytes).expect("written");
        let again = Table::from_csv("again.csv", &bytes).expect("a table");
        let read = lantern_core::media::parse_reports(&again, &known, &|id| id % 2 == 0, today);
        assert_eq!(read.expect("reads back"), reports);
    }
    let training = parse_training(&table, &orgs, &known, today);
    lines_ok(&training);
    if let Ok(rows) = training {
        for t in &rows {
            assert!(list(COURSES).contains(&t.course) && t.date <= today);
            assert!(t.evaluations.is_none_or(|e| e <= t.delegates));
        }
        let mut bytes = Vec::new();
        write_training(&rows, &mut bytes).expect("written");
        let again = Table::from_csv("again.csv", &bytes).expect("a table");
        assert_eq!(
            parse_training(&again, &orgs, &known, today).expect("reads back"),
            rows
        );
    }
});
