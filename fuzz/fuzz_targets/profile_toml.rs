//! Any text as a mapping profile: never a panic; every problem has a line; a profile that
//! parses prints back as TOML that parses to the same profile, and reads a small police-shaped
//! file without a panic.
#![no_main]

use lantern_core::import::{ImportError, Profile, RegisterContext, Table, parse_register_with};
use libfuzzer_sys::fuzz_target;

const FILE: &[u8] =
    b"Force Ref,Date of Death,Gender,Age,Home Postcode,Status,Method,Place,Forename\r\n\
    A1,03/02/2021,M,40,AV1 1AA,Suspected,OD,Home,Ann\r\n\
    A2,3/2/21,F,,,suspected,Hanging/Strangulation,HOME,Bob\r\n";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Profile::parse("fuzz.toml", text) {
        Ok(profile) => {
            let again = Profile::parse("again.toml", &profile.to_toml());
            assert_eq!(again.ok().as_ref(), Some(&profile));
            let Ok(table) = Table::from_csv("police.csv", FILE) else {
                return;
            };
            let known = |c: &str| c.starts_with('E');
            let context = RegisterContext {
                profile: Some(&profile),
                ..RegisterContext::new(&known)
            };
            if let Err(ImportError::Invalid(problems)) =
                parse_register_with(profile.dataset, &table, &context)
            {
                assert!(problems.iter().all(|p| p.line >= 1));
            }
        }
        Err(ImportError::Invalid(problems)) => assert!(problems.iter().all(|p| p.line >= 1)),
        Err(_) => {}
    }
});
