//! Files as partners really send them, through the binary: a police force's own columns and
//! values in Windows-1252 with Windows line ends and UK dates, read through a mapping profile;
//! postcodes and grid references; identifiers that must never be stored.

use crate::helpers::TestDb;

const AREAS: &str = "code,name,level,parent_code\n\
    E07000117,Ashvale,lad,\n\
    E01000001,Ashvale 001A,lsoa,E07000117\n\
    E01000002,Ashvale 001B,lsoa,E07000117\n";

/// An NSPL-shaped lookup of fictional postcodes: two live, one terminated, one elsewhere.
const NSPL: &str = "pcd,pcd2,pcds,dointr,doterm,usertype,oseast1m,osnrth1m,oa21,lsoa21,msoa21,lat,long\r\n\
    AV1 1AA,AV1  1AA,AV1 1AA,198001,,0,351000,421000,E00000001,E01000001,E02000001,53.6700,-2.7400\r\n\
    AV2 3BD,AV2  3BD,AV2 3BD,198001,,0,352000,422000,E00000002,E01000002,E02000001,53.6800,-2.7300\r\n\
    AV9 9ZZ,AV9  9ZZ,AV9 9ZZ,198001,201012,0,352000,422000,E00000002,E01000002,E02000001,53.6800,-2.7300\r\n\
    ZZ1 1ZZ,ZZ1  1ZZ,ZZ1 1ZZ,198001,,0,452000,322000,E00009999,E01009999,E02009999,52.6800,-1.7300\r\n";

const PROFILE: &str = r#"# Ashvale Police's RTS spreadsheet
dataset = "suicides"
source = "ashvale-police"
date_order = "dmy"

[columns]
"Force Ref" = "source_ref"
"Forename" = "ignore"
"Surname" = "ignore"
"Date of Death" = "date_of_death"
"Date of Birth" = "date_of_birth"
"Gender" = "sex"
"Home Postcode" = "residence_postcode"
"Classification" = "status"
"Method" = "method_group"
"Place" = "location_type"
"Easting" = "easting"
"Northing" = "northing"
"Date Reported" = "notified_at"
"Officer Notes" = "ignore"

[values.sex]
"M" = "male"
"F" = "female"

[values.method_group]
"Hanging/Strangulation" = "hanging"
"OD" = "poisoning"
"#;

const HEADER: &str = "Force Ref,Forename,Surname,Date of Death,Date of Birth,Gender,Home Postcode,Classification,Method,Place,Easting,Northing,Date Reported,Officer Notes";

/// The police file's rows: labels and capitals, UK dates of every common shape, names with
/// accents, a quoted note over two lines (Windows line ends inside it too).
fn police_rows() -> Vec<String> {
    vec![
        "AP/21/0001,Zoë,Hartley,03/02/2021,14/03/1983,M,av1 1aa,Suspected,Hanging/Strangulation,HOME,530624.974,178388.464,05/02/2021,\"seen by PC 1234\r\nfamily informed\"".to_owned(),
        "AP/21/0002,José,Brennan,3/7/21,01-Jan-1960,F,AV2 3BD,Awaiting inquest,OD,home,,,04-Jul-2021,".to_owned(),
        "AP/21/0003,Siân,Okafor,2021-11-20,20/11/2001,m,AV23BD,suspected,\"Hanging, strangulation and suffocation\",Other private address,,,21/11/2021,".to_owned(),
    ]
}

/// The file as Excel saves "CSV (Comma delimited)": Windows-1252 and CRLF.
fn windows_file(db: &TestDb, name: &str, rows: &[String]) -> String {
    let text = std::iter::once(HEADER.to_owned())
        .chain(rows.iter().cloned())
        .collect::<Vec<_>>()
        .join("\r\n")
        + "\r\n";
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "the file is not UTF-8"
    );
    let path = db.path(name);
    std::fs::write(&path, &bytes).unwrap();
    path.display().to_string()
}

fn setup() -> (TestDb, String) {
    let db = TestDb::sqlite();
    let areas = db.write("areas.csv", AREAS);
    db.run(&["import", "areas", &areas]).ok();
    let nspl = db.write("NSPL_2024.csv", NSPL);
    let run = db.run(&["import", "postcodes", &nspl, "--json"]);
    assert_eq!(run.summary(), (3, 0, 0), "two live and one terminated kept");
    assert!(
        run.stderr.contains("left out 1 in other areas"),
        "{}",
        run.stderr
    );
    let profile = db.write("ashvale-police.toml", PROFILE);
    (db, profile)
}

fn export_rows(db: &TestDb) -> Vec<serde_json::Value> {
    let out = db.run(&["export", "suicides", "--format", "json"]);
    serde_json::from_str(out.ok().stdout.trim()).unwrap()
}

#[test]
fn a_police_file_imports_through_a_profile_reimports_unchanged_and_exports_in_lanterns_columns() {
    let (db, profile) = setup();
    let file = windows_file(&db, "police.csv", &police_rows());
    let run = db.run(&["import", "suicides", &file, "--profile", &profile, "--json"]);
    assert_eq!(run.summary(), (3, 0, 0));
    assert!(
        run.stderr
            .contains("is not UTF-8; it was read as Windows-1252"),
        "{}",
        run.stderr
    );
    let again = db.run(&["import", "suicides", &file, "--profile", &profile, "--json"]);
    assert_eq!(again.summary(), (0, 0, 3), "a re-import changes nothing");

    let rows = export_rows(&db);
    let by_ref = |r: &str| {
        rows.iter()
            .find(|x| x["source_ref"] == r)
            .unwrap_or_else(|| panic!("{r} in {rows:?}"))
            .clone()
    };
    let first = by_ref("AP/21/0001");
    assert_eq!(first["source"], "ashvale-police");
    assert_eq!(first["date_of_death"], "2021-02-03");
    assert_eq!(first["age"], 37, "14/03/1983 to 03/02/2021");
    assert_eq!(first["sex"], "male");
    assert_eq!(first["residence_area"], "E01000001");
    assert_eq!(first["status"], "suspected");
    assert_eq!(first["method_group"], "hanging");
    assert_eq!(first["location_type"], "home");
    assert_eq!(first["notified_at"], "2021-02-05");
    // OS test point TP09 (Lambeth): 51.48936564950, -0.11992557180 in ETRS89.
    let lat = first["location_lat"].as_f64().unwrap();
    let lon = first["location_lon"].as_f64().unwrap();
    assert!((lat - 51.489_366).abs() < 0.000_05, "{lat}");
    assert!((lon - -0.119_926).abs() < 0.000_08, "{lon}");
    let second = by_ref("AP/21/0002");
    assert_eq!(second["date_of_death"], "2021-07-03");
    assert_eq!(second["age"], 61);
    assert_eq!(second["method_group"], "poisoning");
    assert_eq!(second["status"], "awaiting_inquest");
    let third = by_ref("AP/21/0003");
    assert_eq!(third["method_group"], "hanging", "found by its label");
    assert_eq!(third["location_type"], "other_private");
    assert_eq!(third["residence_area"], "E01000002");
    assert_eq!(third["age"], 20, "on the 20th birthday");

    // The export is in Lantern's columns, and re-imports as unchanged with no profile.
    let csv = db.run(&["export", "suicides", "--format", "csv"]);
    let text = csv.ok().stdout.clone();
    assert!(
        text.starts_with("source,source_ref,date_of_death,age,sex,residence_area,status"),
        "{}",
        &text[..text.len().min(200)]
    );
    let exported = db.write("export.csv", &text);
    assert_eq!(
        db.run(&["import", "suicides", &exported, "--json"])
            .summary(),
        (0, 0, 3)
    );
}

#[test]
fn the_same_file_with_three_bad_rows_is_refused_naming_each_line_and_column() {
    let (db, profile) = setup();
    let mut rows = police_rows();
    // Line 6 (the note of line 2 spans two lines): a date that does not exist.
    rows.push(
        "AP/21/0004,Ann,Lee,31/02/2021,01/01/1970,F,AV1 1AA,Suspected,OD,Home,,,,".to_owned(),
    );
    // Line 7: a terminated postcode.
    rows.push(
        "AP/21/0005,Bob,Lee,01/03/2021,01/01/1970,M,AV9 9ZZ,Suspected,OD,Home,,,,".to_owned(),
    );
    // Line 8: a method the profile does not map, twice over (lines 8 and 9).
    rows.push(
        "AP/21/0006,Cy,Lee,02/03/2021,01/01/1970,M,AV1 1AA,Suspected,Jumped/Fell,Home,,,,"
            .to_owned(),
    );
    rows.push(
        "AP/21/0007,Di,Lee,03/03/2021,01/01/1970,F,AV1 1AA,Suspected,Jumped/Fell,Home,,,,"
            .to_owned(),
    );
    let file = windows_file(&db, "police-bad.csv", &rows);
    let run = db.run(&["import", "suicides", &file, "--profile", &profile]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for want in [
        ":6: Date of Death: '31/02/2021' is not a date that exists",
        ":7: Home Postcode: was terminated in 201012",
        ":8: Method: 1 value is not among the codes of method_group",
        "'Jumped/Fell' (2 rows, first on line 8)",
        "[values.method_group]",
        "\"Jumped/Fell\" = \"\"",
    ] {
        assert!(
            run.stderr.contains(want),
            "missing {want} in\n{}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("3 problem(s)"), "{}", run.stderr);
    // No identifier is echoed: not the postcode, not the date of birth.
    assert!(!run.stderr.contains("AV9 9ZZ") && !run.stderr.contains("01/01/1970"));
    assert!(export_rows(&db).is_empty(), "nothing was written");
}

#[test]
fn names_and_addresses_not_set_aside_are_refused_and_future_dates_too() {
    let (db, _) = setup();
    let file = db.write(
        "own.csv",
        "Force Ref,Deceased Name,Home Address,Date of Death,Age,Sex,Residence Postcode,Status,Method group (provisional),Location type,Source agency\n\
         R1,Ann Lee,\"1 Mill Lane, Ashvale\",03/02/2021,40,Female,AV1 1AA,Suspected suicide,Poisoning,Home,ashvale-police\n",
    );
    let run = db.run(&["import", "suicides", &file]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains(":1: Deceased Name: looks like a person's name, which Lantern never stores"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(":1: Home Address: looks like an address"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(":1: Force Ref: is not a column of suicides"),
        "{}",
        run.stderr
    );

    // Lantern's labels as headers and values need no profile. A date in the future is refused;
    // a notification before the death is a warning.
    let file = db.write(
        "labels.csv",
        "Source agency,Source reference,Date of death,Age,Sex,Residence Postcode,Status,Method group (provisional),Location type,Date notified\n\
         ashvale-police,R1,03/02/2021,40,Female,AV1 1AA,Suspected suicide,Poisoning,Home,01/02/2021\n\
         ashvale-police,R2,03/02/2099,40,Female,AV1 1AA,Suspected suicide,Poisoning,Home,\n",
    );
    let run = db.run(&["import", "suicides", &file]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains(":3: Date of death: 2099-02-03 is in the future"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("1 problem(s)"), "{}", run.stderr);
    let file = db.write(
        "labels-ok.csv",
        "Source agency,Source reference,Date of death,Age,Sex,Residence Postcode,Status,Method group (provisional),Location type,Date notified\n\
         ashvale-police,R1,03/02/2021,40,Female,AV1 1AA,Suspected suicide,Poisoning,Home,01/02/2021\n",
    );
    let run = db.run(&["import", "suicides", &file, "--json"]);
    assert_eq!(run.summary(), (1, 0, 0));
    assert!(
        run.stderr.contains("warning: ")
            && run
                .stderr
                .contains(":2: Date notified: 2021-02-01 is before the date of death (2021-02-03)"),
        "{}",
        run.stderr
    );
    // With --today the same date is refused: the check is against the day given.
    let run = db.run(&["import", "suicides", &file, "--today", "2021-02-02"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("is in the future (today is 2021-02-02)"),
        "{}",
        run.stderr
    );
}

#[test]
fn no_date_of_birth_postcode_name_or_nhs_number_reaches_the_database_its_wal_or_the_logs() {
    let (db, profile) = setup();
    let file = windows_file(&db, "police.csv", &police_rows());
    // A self-harm file from an emergency department, with NHS numbers.
    let ed_profile = db.write(
        "ed.toml",
        r#"dataset = "self-harm"
source = "ashvale-ed"
[columns]
"Attendance No" = "source_ref"
"Arrived" = "presented_at"
"Patient NHS No" = "nhs_number"
"Patient Name" = "ignore"
"DOB" = "date_of_birth"
"Postcode" = "residence_postcode"
"Gender" = "sex"
"Department" = "setting"
[values.sex]
"M" = "male"
"F" = "female"
[values.setting]
"ED" = "ed"
"#,
    );
    let ed = db.write(
        "ed.csv",
        "Attendance No,Arrived,Patient NHS No,Patient Name,DOB,Postcode,Gender,Department,presentation_type,intent,methods\n\
         A1,03/02/2021 23:10,943 476 5919,Zoë Hartley,14/03/1983,AV1 1AA,F,ED,self_injury,self_harm,cutting\n",
    );
    let key = db.path("pseudonym.key");
    let run_logged = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_lantern"))
            .args(args)
            .arg("--database-url")
            .arg(&db.url)
            .env_remove("LANTERN_DATABASE_URL")
            .env_remove("LANTERN_PSEUDONYM_KEY")
            .env("LANTERN_PSEUDONYM_KEY_FILE", &key)
            .env("LANTERN_LOG", "trace")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut logs = out.stdout;
        logs.extend(out.stderr);
        logs
    };
    let mut logs = run_logged(&["import", "suicides", &file, "--profile", &profile]);
    logs.extend(run_logged(&[
        "import",
        "self-harm",
        &ed,
        "--profile",
        &ed_profile,
    ]));
    let mut stored = Vec::new();
    for entry in std::fs::read_dir(db.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("lantern.db") {
            stored.extend(std::fs::read(&path).unwrap());
        }
    }
    assert!(stored.len() > 10_000, "the database and its WAL were read");
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    let (zoe_1252, _, _) = encoding_rs::WINDOWS_1252.encode("Zoë");
    let identifiers: Vec<Vec<u8>> = [
        "14/03/1983",
        "1983-03-14",
        "01-Jan-1960",
        "1960-01-01",
        "20/11/2001",
        "2001-11-20",
        "AV1 1AA",
        "AV11AA",
        "av1 1aa",
        "AV2 3BD",
        "AV23BD",
        "Hartley",
        "Brennan",
        "Okafor",
        "Zoë",
        "José",
        "9434765919",
        "943 476 5919",
        "PC 1234",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .chain(std::iter::once(zoe_1252.to_vec()))
    .collect();
    for id in &identifiers {
        let shown = String::from_utf8_lossy(id);
        assert!(!contains(&stored, id), "{shown} is in the database");
        assert!(!contains(&logs, id), "{shown} is in the logs");
    }
    // The records are there: the check would have found something.
    assert!(contains(&stored, b"AP/21/0001") && contains(&stored, b"ashvale-ed"));
    assert!(logs.len() > 1000, "trace logging was on");
}

#[test]
fn profiles_are_suggested_saved_used_by_name_listed_and_removed_with_each_change_audited() {
    let (db, profile) = setup();
    let file = windows_file(&db, "police.csv", &police_rows());
    // A suggestion from the file: it parses, maps what it can name, and asks about the rest.
    let suggested = db.path("suggested.toml");
    let run = db.run(&[
        "profiles",
        "suggest",
        &file,
        "--dataset",
        "suicides",
        "--source",
        "ashvale-police",
        "--output",
        suggested.to_str().unwrap(),
    ]);
    run.ok();
    let text = std::fs::read_to_string(&suggested).unwrap();
    for want in [
        "\"Force Ref\" = \"source_ref\"",
        "\"Date of Death\" = \"date_of_death\"",
        "\"Home Postcode\" = \"residence_postcode\"",
        "\"Forename\" = \"ignore\"  # looks like a person's name",
        "encoding = \"windows-1252\"",
        "\"Hanging/Strangulation\" = \"\"",
    ] {
        assert!(text.contains(want), "missing {want} in\n{text}");
    }
    // Saved under a name, used by it, listed, shown, removed.
    db.run(&["profiles", "save", "ashvale-police", &profile])
        .ok();
    let run = db.run(&[
        "import",
        "suicides",
        &file,
        "--profile",
        "ashvale-police",
        "--json",
    ]);
    assert_eq!(run.summary(), (3, 0, 0));
    let list = db.run(&["profiles", "list"]);
    assert!(
        list.ok().stdout.starts_with("ashvale-police\tsuicides\t"),
        "{}",
        list.stdout
    );
    let shown = db.run(&["profiles", "show", "ashvale-police"]);
    assert_eq!(shown.ok().stdout, PROFILE);
    // A bad profile is refused with its line and not saved.
    let bad = db.write(
        "bad.toml",
        "dataset = \"suicides\"\n[columns]\n\"X\" = \"nonsense\"\n",
    );
    let run = db.run(&["profiles", "save", "bad", &bad]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("bad.toml:3: X: maps to 'nonsense'"),
        "{}",
        run.stderr
    );
    db.run(&["profiles", "remove", "ashvale-police"]).ok();
    let run = db.run(&["import", "suicides", &file, "--profile", "ashvale-police"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("no saved profile of that name"),
        "{}",
        run.stderr
    );
    let audit = db.audit_csv();
    assert!(
        audit.contains("profile_save") && audit.contains("profile_remove"),
        "{audit}"
    );
}

#[test]
fn exports_with_labels_read_as_people_write_and_reimport_as_unchanged() {
    // The demo fills every field of both registers, with codes of every list.
    let db = TestDb::sqlite();
    db.run(&["demo", "--no-serve", "--end", "2025-06-30"]).ok();
    for (dataset, noun) in [("suicides", "Date of death"), ("self-harm", "Presented at")] {
        for format in ["csv", "xlsx"] {
            let out = db.path(&format!("{dataset}-labels.{format}"));
            let out_s = out.to_str().unwrap();
            db.run(&[
                "export", dataset, "--labels", "--format", format, "--output", out_s,
            ])
            .ok();
            if format == "csv" {
                let text = std::fs::read_to_string(&out).unwrap();
                let header = text.lines().next().unwrap();
                assert!(
                    header.starts_with("Source agency,") || header.starts_with("Source,"),
                    "{header}"
                );
                assert!(
                    header.contains(noun) && header.contains("Area of residence (name)"),
                    "{header}"
                );
                assert!(
                    text.contains(",Male,") || text.contains(",Female,"),
                    "sex as a label"
                );
                assert!(!text.contains(",male,"), "no codes for sex");
            }
            let run = db.run(&["import", dataset, out_s, "--json"]);
            let (inserted, updated, unchanged) = run.summary();
            assert_eq!(
                (inserted, updated),
                (0, 0),
                "{dataset} {format}: {}",
                run.stderr
            );
            assert!(unchanged > 100, "{dataset} {format}: {unchanged}");
        }
    }
    let run = db.run(&["export", "suicides", "--labels", "--format", "json"]);
    assert_eq!(run.code, 1);
    // The demo ships synthetic postcodes: AV1 0AA is in its first small area.
    let file = db.write(
        "postcoded.csv",
        "source,source_ref,date_of_death,age,sex,residence_postcode,status,method_group,location_type\n\
         ashvale_police,PC-1,2025-01-02,50,male,av1 0aa,suspected,poisoning,home\n",
    );
    assert_eq!(
        db.run(&["import", "suicides", &file, "--json"]).summary(),
        (1, 0, 0)
    );
    let rows = export_rows(&db);
    let row = rows.iter().find(|r| r["source_ref"] == "PC-1").unwrap();
    assert_eq!(row["residence_area"], "X01000001");
}

#[test]
fn sources_are_a_managed_list_and_a_source_written_another_way_is_refused() {
    let (db, profile) = setup();
    let file = windows_file(&db, "police.csv", &police_rows());
    db.run(&["import", "suicides", &file, "--profile", &profile])
        .ok();
    // No list yet: a new source that is an old one written another way is refused.
    let respelt = db.write(
        "respelt.csv",
        "source,source_ref,date_of_death,age,sex,residence_area,status,method_group,location_type\n\
         Ashvale Police,X1,2021-03-01,40,male,E01000001,suspected,hanging,home\n",
    );
    let run = db.run(&["import", "suicides", &respelt]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            ":2: source: 'Ashvale Police' (1 row) is the source ashvale-police written another way"
        ),
        "{}",
        run.stderr
    );
    // With a list, an unlisted source is refused with the close matches.
    db.run(&[
        "sources",
        "add",
        "ashvale-police",
        "--label",
        "Ashvale Police",
    ])
    .ok();
    db.run(&["sources", "add", "ashvale-coroner"]).ok();
    let run = db.run(&["import", "suicides", &respelt]);
    assert!(
        run.stderr.contains(
            "'Ashvale Police' is not a listed source (1 row): did you mean ashvale-police?"
        ),
        "{}",
        run.stderr
    );
    let list = db.run(&["sources", "list"]);
    assert!(
        list.ok()
            .stdout
            .starts_with("ashvale-coroner\tashvale-coroner\t"),
        "{}",
        list.stdout
    );
    // A rename carries the records with it.
    db.run(&[
        "sources",
        "rename",
        "ashvale-police",
        "ashvale-constabulary",
    ])
    .ok();
    let rows = export_rows(&db);
    assert!(
        rows.iter().all(|r| r["source"] == "ashvale-constabulary"),
        "{rows:?}"
    );
    let run = db.run(&[
        "sources",
        "rename",
        "ashvale-coroner",
        "ashvale-constabulary",
    ]);
    assert_eq!(run.code, 1, "two sources are not merged by a rename");
    let audit = db.audit_csv();
    assert!(
        audit.contains("source_add") && audit.contains("source_rename"),
        "{audit}"
    );
}

/// The audit report's count of deaths in `year` (its yearly table's `YEAR,N` line).
fn deaths_in(db: &TestDb, year: &str) -> u64 {
    let out = db.path("audit.csv");
    db.run(&[
        "report",
        "audit",
        "--period",
        year,
        "--audience",
        "statutory",
        "--format",
        "csv",
        "--output",
        out.to_str().unwrap(),
    ])
    .ok();
    let text = std::fs::read_to_string(&out).unwrap();
    let prefix = format!("{year},");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix).and_then(|n| n.parse().ok()))
        .unwrap_or_else(|| panic!("no {year} count in\n{text}"))
}

#[test]
fn one_death_from_the_police_and_the_coroner_is_queued_confirmed_counted_once_and_undone() {
    let db = TestDb::sqlite();
    db.run(&["demo", "--no-serve", "--end", "2025-06-30"]).ok();
    let before = deaths_in(&db, "2024");
    let header = "source,source_ref,date_of_death,age,sex,residence_area,status,method_group,location_type\n";
    let police = db.write(
        "police.csv",
        &format!("{header}ashvale_police,DUP-P1,2024-05-17,40,female,X01000003,suspected,poisoning,home\n"),
    );
    // The coroner's record of the same death: a day later by the coroner's reckoning, and a
    // birthday between.
    let coroner = db.write(
        "coroner.csv",
        &format!("{header}ashvale_coroner,DUP-C1,2024-05-18,41,female,X01000003,awaiting_inquest,poisoning,home\n"),
    );
    db.run(&["import", "suicides", &police]).ok();
    let run = db.run(&["import", "suicides", &coroner]);
    run.ok();
    assert!(run.stderr.contains("queued for review"), "{}", run.stderr);
    assert_eq!(
        deaths_in(&db, "2024"),
        before + 2,
        "counted twice while open"
    );

    let list = db.run(&["duplicates", "list", "--json"]);
    let pairs: Vec<serde_json::Value> = serde_json::from_str(list.ok().stdout.trim()).unwrap();
    let ours = pairs
        .iter()
        .find(|p| p["first"]["source_ref"] == "DUP-P1" && p["second"]["source_ref"] == "DUP-C1")
        .unwrap_or_else(|| panic!("the pair is queued: {pairs:?}"));
    let id = ours["id"].as_i64().unwrap().to_string();

    db.run(&["duplicates", "same", &id]).ok();
    assert_eq!(
        deaths_in(&db, "2024"),
        before + 1,
        "counted once when confirmed"
    );
    // Both records and their sources are kept.
    let rows = db.run(&["export", "suicides", "--format", "csv"]);
    assert!(rows.stdout.contains("DUP-P1") && rows.stdout.contains("DUP-C1"));
    let open = db.run(&["duplicates", "list", "--json"]);
    assert!(
        !open.ok().stdout.contains("DUP-C1"),
        "decided pairs leave the queue"
    );

    db.run(&["duplicates", "undo", &id]).ok();
    assert_eq!(
        deaths_in(&db, "2024"),
        before + 2,
        "undone: both counted again"
    );
    db.run(&["duplicates", "distinct", &id]).ok();
    assert_eq!(deaths_in(&db, "2024"), before + 2);
    // Finding again queues nothing new: a decided pair is not asked about twice.
    let again = db.run(&["duplicates", "find"]);
    assert!(again.ok().stderr.contains("Queued 0"), "{}", again.stderr);
    let audit = db.audit_csv();
    assert_eq!(audit.matches("duplicate_decision").count(), 3, "{audit}");
}
