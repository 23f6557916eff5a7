//! Register imports through the binary: all or nothing, idempotent, round-trips through export,
//! pseudonymisation at the source, and the demo.

use crate::helpers::TestDb;

const AREAS: &str = "code,name,level,parent_code\n\
    E07000117,Burnley,lad,\n\
    E01000001,Burnley 001A,lsoa,E07000117\n\
    E01000002,Burnley 001B,lsoa,E07000117\n";

const SUICIDES: &str = "source,source_ref,date_of_death,age,sex,residence_area,status,method_group,location_type,priority_groups,living_alone,location_lat\n\
    police,R1,2024-01-05,34,male,E01000001,suspected,hanging,home,veteran;gambling,yes,53.7\n\
    police,R2,2024-02-11,51,female,E01000002,awaiting_inquest,poisoning,home,,no,\n\
    coroner,C7,2023-12-30,19,male,E01000001,concluded_suicide,jump,public_height,student,,\n";

fn setup() -> TestDb {
    let db = TestDb::sqlite();
    let areas = db.write("areas.csv", AREAS);
    db.run(&["import", "areas", &areas]).ok();
    db
}

#[test]
fn a_file_with_good_and_bad_rows_writes_nothing_and_reports_every_bad_row() {
    let db = setup();
    let file = db.write(
        "mixed.csv",
        &format!(
            "{SUICIDES}police,R3,2024-02-30,34,male,E01000001,suspected,hanging,home,,,\n\
             police,R4,2024-03-01,134,male,E09999999,committed,hanging,home,,maybe,\n\
             police,R5,2024-03-02,40,female,E01000002,suspected,strangling,garden,pilots,,\n"
        ),
    );
    let run = db.run(&["import", "suicides", &file]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let expect = [
        ":5: date_of_death: '2024-02-30' is not a date that exists",
        ":6: age: 134 is outside 0-120",
        ":6: residence_area: 'E09999999' is not a known area code",
        ":6: status: 'committed' is not one of suspected|",
        ":6: living_alone: 'maybe' is not yes, no or unknown",
        ":7: method_group: 'strangling' is not one of poisoning|",
        ":7: location_type: 'garden' is not one of home|",
        ":7: priority_groups: 'pilots' is not one of student|",
    ];
    for e in expect {
        assert!(
            run.stderr.contains(&format!("{file}{e}")),
            "missing {e} in\n{}",
            run.stderr
        );
    }
    assert!(
        run.stderr.contains("8 problem(s); nothing was written"),
        "{}",
        run.stderr
    );
    // Nothing was written: the good rows are not there either.
    let export = db.run(&["export", "suicides", "--format", "json"]);
    assert_eq!(export.ok().stdout.trim(), "[]");
}

#[test]
fn reimports_are_unchanged_changes_are_updates_and_dry_runs_write_nothing() {
    let db = setup();
    let file = db.write("s.csv", SUICIDES);
    assert_eq!(
        db.run(&["import", "suicides", &file, "--json", "--dry-run"])
            .summary(),
        (3, 0, 0)
    );
    assert_eq!(
        db.run(&["import", "suicides", &file, "--json"]).summary(),
        (3, 0, 0)
    );
    assert_eq!(
        db.run(&["import", "suicides", &file, "--json"]).summary(),
        (0, 0, 3)
    );
    let changed = db.write(
        "s2.csv",
        &SUICIDES.replace("R2,2024-02-11,51", "R2,2024-02-11,52"),
    );
    assert_eq!(
        db.run(&["import", "suicides", &changed, "--json", "--dry-run"])
            .summary(),
        (0, 1, 2)
    );
    assert_eq!(
        db.run(&["import", "suicides", &changed, "--json"])
            .summary(),
        (0, 1, 2)
    );
    assert_eq!(
        db.run(&["import", "suicides", &changed, "--json"])
            .summary(),
        (0, 0, 3)
    );
}

#[test]
fn exports_in_csv_and_xlsx_reimport_as_unchanged() {
    let db = setup();
    let file = db.write("s.csv", SUICIDES);
    db.run(&["import", "suicides", &file]).ok();
    for format in ["csv", "xlsx"] {
        let out = db.path(&format!("export.{format}"));
        db.run(&[
            "export",
            "suicides",
            "--format",
            format,
            "--output",
            out.to_str().unwrap(),
        ])
        .ok();
        assert_eq!(
            db.run(&["import", "suicides", out.to_str().unwrap(), "--json"])
                .summary(),
            (0, 0, 3),
            "{format}"
        );
    }
    let json = db.run(&["export", "suicides", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.ok().stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(
        v[0]["priority_groups"],
        serde_json::json!(["veteran", "gambling"])
    );
}

#[test]
fn the_templates_import_cleanly() {
    // The templates use the demo's fictional areas.
    let db = TestDb::sqlite();
    db.run(&["demo", "--no-serve"]).ok();
    let templates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/templates");
    let areas = templates.join("areas.csv");
    assert_eq!(
        db.run(&["import", "areas", areas.to_str().unwrap(), "--json"])
            .summary(),
        (0, 0, 2)
    );
    let lookup = templates.join("area-lookup.csv");
    assert_eq!(
        db.run(&["import", "area-lookup", lookup.to_str().unwrap(), "--json"])
            .summary(),
        (0, 0, 2)
    );
    for (dataset, file) in [
        ("suicides", "suicides.csv"),
        ("self-harm", "self-harm.csv"),
        ("suicides", "suicides.xlsx"),
        ("self-harm", "self-harm.xlsx"),
    ] {
        let f = templates.join(file);
        let run = db.run(&[
            "import",
            dataset,
            f.to_str().unwrap(),
            "--json",
            "--dry-run",
        ]);
        assert_eq!(run.summary().0, 2, "{file}");
    }
    let pops = templates.join("populations.csv");
    assert_eq!(
        db.run(&[
            "import",
            "populations",
            pops.to_str().unwrap(),
            "--json",
            "--dry-run"
        ])
        .summary(),
        (2, 0, 0)
    );
}

const SELF_HARM_NHS: &str = "source,source_ref,presented_at,setting,nhs_number,age,sex,residence_area,presentation_type,intent,methods\n\
    ed,1,2024-01-01T22:15:00Z,ed,943 476 5919,17,female,E01000001,self_poisoning,self_harm,drug_overdose\n\
    ed,2,2024-05-01,ed,9434765919,17,female,E01000001,self_injury,attempted_suicide,cutting;other\n";

#[test]
fn nhs_numbers_become_person_keys_at_the_source_and_on_import_alike() {
    let db = setup();
    let raw = db.write("raw.csv", SELF_HARM_NHS);
    let key_file = db.write("key.hex", &"5a".repeat(32));
    let out = db.path("pseudonymised.csv");
    db.run(&[
        "pseudonymise",
        &raw,
        "--output",
        out.to_str().unwrap(),
        "--key-file",
        &key_file,
    ])
    .ok();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        !text.contains("9434765919") && !text.contains("943 476 5919"),
        "{text}"
    );
    assert!(
        text.starts_with("source,source_ref,presented_at,setting,person_key,"),
        "{text}"
    );
    assert_eq!(
        db.run(&["import", "self-harm", out.to_str().unwrap(), "--json"])
            .summary(),
        (2, 0, 0)
    );
    // Both presentations are one person, so the first repeats within 12 months.
    let json = db.run(&["export", "self-harm", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.ok().stdout).unwrap();
    assert_eq!(v[0]["person_key"], v[1]["person_key"]);

    // A bad NHS number is reported by line, without the number itself.
    let bad = db.write(
        "bad.csv",
        &SELF_HARM_NHS.replace("9434765919,17", "9434765918,17"),
    );
    let run = db.run(&[
        "pseudonymise",
        &bad,
        "--output",
        db.path("x.csv").to_str().unwrap(),
        "--key-file",
        &key_file,
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains(":3: nhs_number: fails the NHS number check digit"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("9434765918"));
    assert!(
        !db.path("x.csv").exists(),
        "nothing is written when a row is bad"
    );
}

#[test]
fn the_demo_fills_an_empty_database_once_and_refuses_one_with_data() {
    let db = TestDb::sqlite();
    let run = db.run(&["demo", "--no-serve", "--seed", "7", "--end", "2025-06-30"]);
    // The county, five districts, about 60 neighbourhoods (groups of four small areas, a few
    // of five) and 240 small areas; the unit tests of the geography check its shapes.
    let loaded: usize = run
        .ok()
        .stderr
        .split("Loaded ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!((1 + 5 + 55 + 240..=306).contains(&loaded), "{}", run.stderr);
    // One user per role, each with a fresh password printed once; there is no default password.
    let printed: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("  ")).collect();
    assert_eq!(printed.len(), 6, "{}", run.stdout);
    for role in ["admin", "analyst", "recorder", "lead", "partner"] {
        assert!(
            printed.iter().any(|l| l.contains(&format!("{role}:"))),
            "{role}"
        );
    }
    let list = db.run(&["user", "list"]);
    assert_eq!(list.ok().stdout.lines().count(), 7);
    // Synthetic England figures to compare with: five three-year periods by sex.
    let benchmarks = db.run(&["export", "benchmarks", "--format", "json"]);
    let figures: serde_json::Value = serde_json::from_str(&benchmarks.ok().stdout).unwrap();
    assert_eq!(figures.as_array().map(Vec::len), Some(15), "{figures}");
    let again = db.run(&["demo", "--no-serve"]);
    assert!(
        !again.stdout.contains("Demo users"),
        "passwords are printed once only"
    );
    assert!(
        again.ok().stderr.contains("already holds the demo"),
        "{}",
        again.stderr
    );
    let other = setup();
    let refused = other.run(&["demo", "--no-serve"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("only fills an empty one"),
        "{}",
        refused.stderr
    );
}

#[test]
fn the_database_url_is_a_global_flag() {
    let db = TestDb::sqlite();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_lantern"))
        .args(["--database-url", &db.url, "migrate"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("sqlite database is up to date"));
}

#[test]
fn the_pseudonymisation_key_lives_outside_the_database_and_a_wrong_one_is_refused() {
    let db = setup();
    let raw = db.write("raw.csv", SELF_HARM_NHS);
    // The first use creates the key file (owner-only) and ties the database to it.
    db.run(&["import", "self-harm", &raw]).ok();
    let key = std::fs::read_to_string(db.path("pseudonym.key")).unwrap();
    assert_eq!(key.trim().len(), 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(db.path("pseudonym.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let url_path = db
        .url
        .trim_start_matches("sqlite://")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    for file in [url_path.clone(), format!("{url_path}-wal")] {
        let bytes = std::fs::read(&file).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(key.trim()), "the key is not in {file}");
    }
    // Another key is refused before anything is written.
    std::fs::write(db.path("pseudonym.key"), "7b".repeat(32)).unwrap();
    let run = db.run(&["import", "self-harm", &raw]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("made with another pseudonymisation key"),
        "{}",
        run.stderr
    );
}

#[test]
fn rotating_the_key_rekeys_every_person_key_and_keeps_repeats_linked() {
    let db = setup();
    let raw = db.write("raw.csv", SELF_HARM_NHS);
    db.run(&["import", "self-harm", &raw]).ok();
    let export = |db: &TestDb| -> Vec<String> {
        let json = db.run(&["export", "self-harm", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&json.ok().stdout).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| r["person_key"].as_str().unwrap().to_owned())
            .collect()
    };
    let before = export(&db);
    let run = db.run(&["rotate-key"]);
    assert!(
        run.ok().stderr.contains("Re-keyed 2 person keys"),
        "{}",
        run.stderr
    );
    let after = export(&db);
    assert_ne!(before, after);
    assert_eq!(after[0], after[1], "the same person is still one person");
    // The new chain makes the same keys from the NHS numbers, so new data links to old.
    let chain = db.path("pseudonym.key");
    assert_eq!(std::fs::read_to_string(&chain).unwrap().lines().count(), 2);
    let out = db.path("p.csv");
    db.run(&[
        "pseudonymise",
        &raw,
        "--output",
        out.to_str().unwrap(),
        "--key-file",
        chain.to_str().unwrap(),
    ])
    .ok();
    assert!(std::fs::read_to_string(&out).unwrap().contains(&after[0]));
    assert_eq!(
        db.run(&["import", "self-harm", &raw, "--json"]).summary(),
        (0, 0, 2)
    );
    // The old key alone no longer fits the database.
    let first_line = std::fs::read_to_string(&chain)
        .unwrap()
        .lines()
        .next()
        .unwrap()
        .to_owned();
    std::fs::write(&chain, first_line).unwrap();
    assert_eq!(db.run(&["import", "self-harm", &raw]).code, 1);
}

#[test]
fn retention_deletes_only_records_past_their_period_and_a_dry_run_deletes_nothing() {
    let db = setup();
    // Two deaths in 2023-24 and one ten years before today; self-harm dated 2024.
    let old = SUICIDES.replace("coroner,C7,2023-12-30", "coroner,C7,2014-01-15");
    db.run(&["import", "suicides", &db.write("s.csv", &old)])
        .ok();
    db.run(&["import", "self-harm", &db.write("sh.csv", SELF_HARM_NHS)])
        .ok();
    let apply = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["retention", "apply", "--json"];
        all.extend_from_slice(args);
        serde_json::from_str(db.run(&all).ok().stdout.trim()).unwrap()
    };
    // No period: nothing happens.
    assert_eq!(apply(&[])[0]["deleted"], 0);
    db.run(&["retention", "set", "suicides", "5"]).ok();
    assert!(
        db.run(&["retention", "show"])
            .ok()
            .stdout
            .contains("suicides   5 years")
    );
    let dry = apply(&["--dry-run"]);
    assert_eq!(dry[0]["deleted"], 1);
    assert_eq!(
        dry[1]["years"],
        serde_json::Value::Null,
        "self-harm has no period"
    );
    let count = |db: &TestDb| -> usize {
        let out = db.run(&["export", "suicides", "--format", "json"]);
        serde_json::from_str::<serde_json::Value>(&out.ok().stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(count(&db), 3, "a dry run deletes nothing");
    assert_eq!(apply(&[])[0]["deleted"], 1);
    assert_eq!(count(&db), 2);
    assert_eq!(
        apply(&[])[0]["deleted"],
        0,
        "applying again finds nothing more"
    );
    let log = db.path("audit.csv");
    db.run(&["audit", "export", "--output", log.to_str().unwrap()])
        .ok();
    let log = std::fs::read_to_string(log).unwrap();
    assert!(
        log.contains(",retention_set,")
            && log.contains(",retention_dry_run,")
            && log.contains(",retention_apply,")
    );
    assert!(log.contains("would delete 1 records"));
    db.run(&["audit", "verify"]).ok();
}
