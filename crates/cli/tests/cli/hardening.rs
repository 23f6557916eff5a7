//! Inputs that hurt, through the binary: Windows and old Mac line ends keep every problem on its
//! own line in every importer; text that a spreadsheet would run as a formula leaves Lantern
//! neutralised (and comes back unchanged); control characters in free text are refused.

use crate::helpers::TestDb;

const AREAS: &str = "code,name,level,parent_code\n\
    E07000117,Burnley,lad,\n\
    E01000001,Burnley 001A,lsoa,E07000117\n\
    E01000002,Burnley 001B,lsoa,E07000117\n";

/// A register file with a quoted note over three lines (line 3 to 5), then bad rows on lines 6
/// and 7.
const MIXED: &str = "source,source_ref,date_of_death,age,sex,residence_area,status,method_group,location_type,notes\n\
    police,R1,2024-01-05,34,male,E01000001,suspected,hanging,home,\n\
    police,R2,2024-02-11,51,female,E01000002,suspected,poisoning,home,\"found by a neighbour\n\
    who called the police\n\
    at 7am\"\n\
    police,R3,2024-02-30,34,male,E01000001,suspected,hanging,home,\n\
    police,R4,2024-03-01,134,male,E01000001,suspected,hanging,garden,\n";

fn setup() -> TestDb {
    let db = TestDb::sqlite();
    let areas = db.write("areas.csv", AREAS);
    db.run(&["import", "areas", &areas]).ok();
    db
}

fn with_line_ends(text: &str, eol: &str) -> String {
    text.replace('\n', eol)
}

#[test]
fn problems_keep_their_lines_with_windows_and_mac_line_ends() {
    let db = setup();
    for (name, eol) in [("unix", "\n"), ("windows", "\r\n"), ("mac", "\r")] {
        let file = db.write(&format!("{name}.csv"), &with_line_ends(MIXED, eol));
        let run = db.run(&["import", "suicides", &file]);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        for e in [
            ":6: date_of_death: '2024-02-30' is not a date",
            ":7: age: 134 is outside 0-120",
            ":7: location_type: 'garden' is not one of",
        ] {
            assert!(
                run.stderr.contains(&format!("{file}{e}")),
                "{name}: missing {e} in\n{}",
                run.stderr
            );
        }
    }
    // The areas and populations importers read the same way.
    let bad_areas = "code,name,level,parent_code\n\
        E07000118,Chorley,lad,\n\
        E01000003,Chorley 001A,lsoa,E07000999\n";
    for (name, eol) in [("windows", "\r\n"), ("mac", "\r")] {
        let file = db.write(
            &format!("areas-{name}.csv"),
            &with_line_ends(bad_areas, eol),
        );
        let run = db.run(&["import", "areas", &file]);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("{file}:3: ")),
            "{name}: {}",
            run.stderr
        );
    }
    // A plan document saved on Windows or an old Mac: the same lines as on Unix.
    let plan =
        "Plan with problems\n1. One\nNo.\tAction\tStatus\n1.1\tDo it\tMaybe\n1.2\tAnd this\tIdea\n";
    for (name, eol) in [("unix", "\n"), ("windows", "\r\n"), ("mac", "\r")] {
        let file = db.write(&format!("plan-{name}.txt"), &with_line_ends(plan, eol));
        let run = db.run(&["import", "plans", &file]);
        assert_eq!(run.code, 1, "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains(&format!("{file}:4: Status: 'Maybe'")),
            "{name}: {}",
            run.stderr
        );
    }
}

/// Cells as a spreadsheet would see them: the CSV's cells, parsed.
fn csv_cells(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

const FORMULAS: [&str; 6] = [
    "=HYPERLINK(\"http://evil.example\",\"help\")",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1)",
    "'=already quoted",
    "\t=tabbed",
];

#[test]
fn csv_exports_neutralise_formulas_and_keep_numbers() {
    let db = setup();
    let mut file =
        "source,source_ref,date_of_death,age,sex,residence_area,status,method_group,location_type,notes,location_lat,location_lon\n"
            .to_owned();
    for (i, f) in FORMULAS.iter().enumerate() {
        let quoted = format!("\"{}\"", f.replace('"', "\"\""));
        file.push_str(&format!(
            "police,F{i},2024-01-05,34,male,E01000001,suspected,hanging,home,{quoted},53.7,-2.25\n"
        ));
    }
    let path = db.write("formulas.csv", &file);
    db.run(&["import", "suicides", &path]).ok();
    let out = db.path("export.csv");
    let out_s = out.to_str().unwrap();
    db.run(&["export", "suicides", "--format", "csv", "--output", out_s])
        .ok();
    let cells = csv_cells(&std::fs::read_to_string(&out).unwrap());
    let header = &cells[0];
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for row in &cells[1..] {
        let notes = &row[col("notes")];
        assert!(notes.starts_with('\''), "not neutralised: {notes:?}");
        // Numbers stay numbers, signs and all.
        assert_eq!(row[col("location_lon")], "-2.25");
        assert_eq!(row[col("age")], "34");
    }
    // The export re-imports as unchanged: the importer takes the quote off again.
    let back = db.run(&["import", "suicides", out_s, "--json"]);
    assert_eq!(back.summary(), (0, 0, FORMULAS.len() as u64));
    let json = db.run(&["export", "suicides", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.ok().stdout).unwrap();
    let mut notes: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["notes"].as_str().unwrap().to_owned())
        .collect();
    // As in a spreadsheet, a leading apostrophe before a formula start marks text: the
    // importer takes it off ("'=already quoted" is stored as "=already quoted").
    let mut expected: Vec<String> = FORMULAS
        .iter()
        .map(|f| f.trim().trim_start_matches('\'').to_owned())
        .collect();
    notes.sort();
    expected.sort();
    assert_eq!(notes, expected, "the stored text is as typed");

    // Plans: an action titled as a formula is exported neutralised.
    let plan = db.write(
        "plan.csv",
        "plan,section,section_title,number,action,leads,status\n\
         Formula plan,1,First,1.1,\"=1+1\",@lead,idea\n",
    );
    db.run(&["import", "plans", &plan]).ok();
    let exported = db
        .run(&["export", "plans", "--format", "csv"])
        .ok()
        .stdout
        .clone();
    let cells = csv_cells(&exported);
    let flat: Vec<&String> = cells.iter().flatten().collect();
    assert!(flat.iter().any(|c| *c == "'=1+1"), "{exported}");
    assert!(flat.iter().any(|c| *c == "'@lead"), "{exported}");
    assert!(
        !flat.iter().any(|c| c.starts_with(['=', '+', '@'])),
        "{exported}"
    );

    // The audit log's CSV: every text cell, e.g. a detail typed by someone, is safe.
    let audit = db.path("audit.csv");
    db.run(&[
        "audit",
        "export",
        "--format",
        "csv",
        "--output",
        audit.to_str().unwrap(),
    ])
    .ok();
    let cells = csv_cells(&std::fs::read_to_string(&audit).unwrap());
    assert!(cells.len() > 1);
    assert!(
        cells
            .iter()
            .flatten()
            .all(|c| !c.starts_with(['=', '+', '@', '\t', '\r'])
                && (!c.starts_with('-') || c.parse::<f64>().is_ok()))
    );
}

#[test]
fn control_characters_in_free_text_are_refused_with_their_line() {
    let db = setup();
    let file = db.write(
        "controls.csv",
        "source,source_ref,date_of_death,age,sex,residence_area,status,method_group,location_type,notes,occupation\n\
         police,C1,2024-01-05,34,male,E01000001,suspected,hanging,home,\"tab\tand\nnewline are fine\",\n\
         police,C2,2024-01-06,34,male,E01000001,suspected,hanging,home,\"red \u{1b}[31malert\",\n\
         police,C3,2024-01-07,34,male,E01000001,suspected,hanging,home,,nul\u{0}byte\n",
    );
    let run = db.run(&["import", "suicides", &file]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "{file}:4: notes: contains the control character U+001B"
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&format!(
            "{file}:5: occupation: contains the control character U+0000"
        )),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains('\u{1b}') && !run.stderr.contains('\u{0}'),
        "control characters are never echoed"
    );
    // Area names too.
    let areas = db.write(
        "areas-esc.csv",
        "code,name,level,parent_code\nE07000118,Chor\u{1b}]0;pwned\u{7}ley,lad,\n",
    );
    let run = db.run(&["import", "areas", &areas]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(&format!(
            "{areas}:2: name: contains the control character U+001B"
        )),
        "{}",
        run.stderr
    );
    // A user's organisation too.
    let run = db.run_with_input(
        &[
            "user",
            "add",
            "pc.probe",
            "--role",
            "recorder",
            "--organisation",
            "police\u{1b}[2J",
        ],
        "harbour kettle violet 42\n",
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("control character U+001B"),
        "{}",
        run.stderr
    );
    // Plans refuse them too, with the line.
    let plan = db.write(
        "plan.txt",
        "A plan\n1. One\nNo.\tAction\tStatus\n1.1\tDo \u{7}it\tidea\n",
    );
    let run = db.run(&["import", "plans", &plan]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(&format!(
            "{plan}:4: -: contains the control character U+0007"
        )),
        "{}",
        run.stderr
    );
}

#[test]
fn detectors_on_an_all_zero_baseline_answer_as_r_does() {
    let db = TestDb::sqlite();
    let mut series = "period,count\n".to_owned();
    for week in 1..=312 {
        series.push_str(&format!("{week},{}\n", u8::from(week == 312)));
    }
    let file = db.write("zeros.csv", &series);
    let detect = |method: &str| {
        let run = db.run(&[
            "stats", "detect", "--method", method, "--input", &file, "--range", "309:312", "--b",
            "4", "--w", "3",
        ]);
        assert_eq!(run.code, 0, "{method}: {}", run.stderr);
        serde_json::from_str::<serde_json::Value>(&run.stdout).unwrap()
    };
    // The classic method: a bound of 0 and no alarm (too few recent cases), as R's farrington.
    for row in detect("farrington").as_array().unwrap() {
        assert_eq!(row["upper_bound"], 0.0, "{row}");
        assert_eq!(row["alarm"], false);
    }
    // The flexible method: no bound, no alarm, as R's farringtonFlexible.
    for row in detect("farrington-flexible").as_array().unwrap() {
        assert!(row["upper_bound"].is_null(), "{row}");
    }
    // The CUSUM no longer refuses a mean of 0: an undefined sum never alarms, as in R.
    let cusum = detect("cusum");
    assert!(
        cusum
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["upper_bound"] == 0.0 && r["alarm"] == false)
    );
}

#[test]
fn files_that_would_exhaust_memory_are_refused_with_a_message() {
    let db = setup();
    // A 2 GB sparse file: refused from its size, never allocated.
    let sparse = db.path("sparse.csv");
    std::fs::File::create(&sparse)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let run = db.run(&["import", "suicides", sparse.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("larger than 1024 MiB"),
        "{}",
        run.stderr
    );
    let run = db.run(&["import", "plans", sparse.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("larger than 1024 MiB"),
        "{}",
        run.stderr
    );

    // A line of 5 MB of NUL bytes as the header: refused on line 1, nothing echoed.
    let nul = db.path("nul.csv");
    std::fs::write(&nul, vec![0_u8; 5 << 20]).unwrap();
    let run = db.run(&["import", "suicides", nul.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains(":1: -: "), "{}", run.stderr);
    assert!(
        run.stderr.len() < 2_000,
        "{} bytes on stderr",
        run.stderr.len()
    );
    assert!(!run.stderr.contains('\u{0}'));

    // A workbook of a few hundred kilobytes whose sheet decompresses to 300 MB.
    let bomb = db.path("bomb.xlsx");
    {
        use std::io::Write as _;
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&bomb).unwrap());
        let deflate = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zip.start_file("[Content_Types].xml", deflate).unwrap();
        zip.write_all(b"<?xml version=\"1.0\"?><Types/>").unwrap();
        zip.start_file("xl/worksheets/sheet1.xml", deflate).unwrap();
        zip.write_all(b"<worksheet><sheetData><row><c t=\"inlineStr\"><is><t>")
            .unwrap();
        let block = vec![b'A'; 1 << 20];
        for _ in 0..300 {
            zip.write_all(&block).unwrap();
        }
        zip.write_all(b"</t></is></c></row></sheetData></worksheet>")
            .unwrap();
        zip.finish().unwrap();
    }
    assert!(std::fs::metadata(&bomb).unwrap().len() < 2 << 20);
    let run = db.run(&["import", "suicides", bomb.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("xl/worksheets/sheet1.xml holds more than 256 MiB"),
        "{}",
        run.stderr
    );
}

const FULL: &str = "source,source_ref,date_of_death,age,sex,residence_area,status,method_group,location_type,notified_at,reporter_role,date_found,relationship_status,living_alone,employment,nok_informed,support_offered,notes\n\
    police,P1,2024-01-05,34,male,E01000001,suspected,hanging,home,2024-01-06,police,2024-01-05,separated,yes,unemployed,yes,yes,first note\n\
    police,P2,2024-02-05,51,female,E01000002,suspected,poisoning,home,2024-02-06,police,,single,no,employed,no,no,\n";

/// A later file from another system: fewer columns, one age corrected, one status moved on.
const PARTIAL: &str = "source,source_ref,date_of_death,age,sex,residence_area,status,method_group,location_type\n\
    police,P1,2024-01-05,35,male,E01000001,awaiting_inquest,hanging,home\n\
    police,P2,2024-02-05,51,female,E01000002,suspected,poisoning,home\n";

fn exported(db: &TestDb) -> serde_json::Value {
    let json = db.run(&["export", "suicides", "--format", "json"]);
    let mut v: serde_json::Value = serde_json::from_str(&json.ok().stdout).unwrap();
    v.as_array_mut()
        .unwrap()
        .sort_by_key(|r| r["source_ref"].as_str().unwrap().to_owned());
    v
}

fn import_json(db: &TestDb, file: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["import", "suicides", file, "--json"];
    args.extend_from_slice(extra);
    let run = db.run(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(run.stdout.trim()).unwrap()
}

async fn partial_files_change_only_what_they_carry(db: &TestDb) {
    let areas = db.write("areas.csv", AREAS);
    db.run(&["import", "areas", &areas]).ok();
    let full = db.write("full.csv", FULL);
    db.run(&["import", "suicides", &full]).ok();
    let before = exported(db);
    let partial = db.write("partial.csv", PARTIAL);

    // The dry run names the fields that would change, and changes nothing.
    let dry = import_json(db, &partial, &["--dry-run"]);
    assert_eq!(dry["updated"], 1, "{dry}");
    assert_eq!(dry["unchanged"], 1);
    assert_eq!(
        dry["fields_changed"],
        serde_json::json!({"age": 1, "status": 1})
    );
    assert_eq!(exported(db), before);
    let human = db.run(&["import", "suicides", &partial, "--dry-run"]);
    assert!(
        human
            .stderr
            .contains("Fields that would change: age (1), status (1)."),
        "{}",
        human.stderr
    );

    let done = import_json(db, &partial, &[]);
    assert_eq!(
        done["fields_changed"],
        serde_json::json!({"age": 1, "status": 1})
    );
    let after = exported(db);
    for field in [
        "notified_at",
        "reporter_role",
        "date_found",
        "relationship_status",
        "living_alone",
        "employment",
        "nok_informed",
        "support_offered",
        "notes",
    ] {
        assert_eq!(after[0][field], before[0][field], "{field} kept");
        assert!(!after[0][field].is_null(), "{field} was filled");
    }
    assert_eq!(after[0]["age"], 35);
    assert_eq!(after[0]["status"], "awaiting_inquest");
    // The same partial file again: nothing changes.
    let again = import_json(db, &partial, &[]);
    assert_eq!(
        (again["updated"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(2))
    );

    // An empty cell leaves the field, unless --blank-clears says it clears it.
    let blank = db.write(
        "blank.csv",
        "source,source_ref,date_of_death,age,sex,residence_area,status,method_group,location_type,notes\n\
         police,P1,2024-01-05,35,male,E01000001,awaiting_inquest,hanging,home,\n",
    );
    let kept = import_json(db, &blank, &[]);
    assert_eq!(kept["updated"], 0, "{kept}");
    assert_eq!(exported(db)[0]["notes"], "first note");
    let cleared = import_json(db, &blank, &["--blank-clears"]);
    assert_eq!(cleared["fields_changed"], serde_json::json!({"notes": 1}));
    assert!(exported(db)[0]["notes"].is_null());

    // The history keeps every old value.
    let store = lantern_storage::open(&lantern_storage::DatabaseUrl::new(db.url.as_str()))
        .await
        .unwrap();
    let id = store
        .list_records(
            &lantern_core::register::SUICIDES,
            &lantern_core::store::RecordQuery {
                per_page: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .items
        .iter()
        .find(|r| r.record.text("source_ref") == "P1")
        .unwrap()
        .id;
    let history = store
        .history(&lantern_core::register::SUICIDES, id)
        .await
        .unwrap();
    let old: Vec<(String, String)> = history
        .iter()
        .flat_map(|h| h.changes.iter().map(|c| (c.field.clone(), c.old.clone())))
        .collect();
    for (field, value) in [
        ("age", "34"),
        ("status", "suspected"),
        ("notes", "first note"),
    ] {
        assert!(
            old.contains(&(field.to_owned(), value.to_owned())),
            "{field} {value} in {old:?}"
        );
    }
}

#[tokio::test]
async fn partial_files_change_only_what_they_carry_on_sqlite() {
    partial_files_change_only_what_they_carry(&TestDb::sqlite()).await;
}

#[tokio::test]
async fn partial_files_change_only_what_they_carry_on_postgres() {
    let Some(db) = TestDb::postgres() else {
        eprintln!("skipped PostgreSQL: TEST_POSTGRES_URL is not set");
        return;
    };
    partial_files_change_only_what_they_carry(&db).await;
}
