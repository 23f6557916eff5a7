//! `lantern import organisations` and `lantern import training`: files in Lantern's columns and
//! in another tool's (other names and order, Windows-1252 with CRLF, UK dates, labels and
//! everyday words), one row per organisation or one per role; again unchanged; bad files refused
//! by line and column with nothing written; a session re-imported with an organisation dropped;
//! the exports import back unchanged. On SQLite and PostgreSQL.

use crate::helpers::TestDb;

const AREAS: &str = "code,name,level,parent_code\n\
    E10000001,Shire,county,\n\
    E07000001,North District,lad,E10000001\n\
    E07000002,South District,lad,E10000001\n";

/// One row per role: the school's reference repeated, its other cells blank the second time.
const ORGS: &str = "reference,name,sector,type,area,size,role,role_from,role_to\n\
    S1,North Academy,education,school,E07000001,900,senior_mental_health_lead,2023-09-01,2024-07-31\n\
    S1,,,,,,senior_mental_health_lead,2024-09-01,\n\
    V1,Forces Hub,vcfse,veterans_organisation,E07000002,25,,,\n";

/// Another tool's list: its own names and order, Windows-1252 (the café's é), CRLF, UK dates,
/// labels and everyday words.
fn theirs() -> Vec<u8> {
    let text = "Org ID,Organisation name,Organisation type,Sector,Local authority,Role held,Since\r\n\
        R1,Caf\u{e9} Refuge,Women's refuge,Voluntary,E07000002,SP lead,01/04/2025\r\n\
        G1,Hill Surgery,GP,NHS,E07000001,,\r\n";
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect()
}

const TRAINING: &str = "reference,date,course,provider,area,organisation,sector,delegates,evaluations,confidence_before,confidence_after,satisfaction\n\
    T1,2025-03-10,orange_button,Mind,,V1,,4,4,4.5,8,4.6\n\
    T1,2025-03-10,orange_button,Mind,,S1,,2,,,,\n\
    T1,2025-03-10,orange_button,Mind,E07000002,,vcfse,3,,,,\n\
    E1,2025-04-30,Zero Suicide Alliance e-learning,,,,,25,,,,\n";

fn imports_and_refuses(db: &TestDb) {
    db.run(&["import", "areas", &db.write("areas.csv", AREAS)])
        .ok();
    let orgs = db.write("orgs.csv", ORGS);
    assert_eq!(
        db.run(&["import", "organisations", &orgs, "--json"])
            .summary(),
        (2, 0, 0)
    );
    assert_eq!(
        db.run(&["import", "organisations", &orgs, "--json"])
            .summary(),
        (0, 0, 2),
        "again: unchanged"
    );
    let theirs_path = db.path("theirs.csv");
    std::fs::write(&theirs_path, theirs()).unwrap();
    let run = db.run(&[
        "import",
        "organisations",
        theirs_path.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(run.summary(), (2, 0, 0), "{}", run.stderr);

    // A bad organisations file: every problem by line and column, and nothing written.
    let bad = db.write(
        "bad-orgs.csv",
        "reference,name,sector,type,area,role,role_from,role_to\r\n\
         N1,New School,education,school,E07000001,,,\r\n\
         N2,,church-ish,spaceship,E09999999,smhl,2099-01-01,\r\n\
         N3,Third,police,police_force,,captain,01/01/2024,31/12/2023\r\n\
         N1,Renamed School,,,,senior_mental_health_lead,,\r\n",
    );
    let run = db.run(&["import", "organisations", &bad]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for line in [
        "bad-orgs.csv:3: name: the organisation's name is empty",
        "bad-orgs.csv:3: sector: 'church-ish' is not one of nhs|local_authority",
        "bad-orgs.csv:3: type: 'spaceship' is not one of school|",
        "bad-orgs.csv:3: area: 'E09999999' is not a known area code",
        "bad-orgs.csv:3: role_from: 2099-01-01 is in the future",
        "bad-orgs.csv:4: role: 'captain' is not one of senior_mental_health_lead|",
        "bad-orgs.csv:4: role_to: 2023-12-31 is before the role was taken up (2024-01-01)",
        "bad-orgs.csv:5: name: differs from line 2 of the same organisation",
        "bad-orgs.csv:5: role_from: the day the role was taken up is empty",
    ] {
        assert!(run.stderr.contains(line), "{line} in {}", run.stderr);
    }
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);

    // Training: the session's three rows and a month's e-learning.
    let training = db.write("training.csv", TRAINING);
    let run = db.run(&["import", "training", &training, "--json"]);
    assert_eq!(run.summary(), (4, 0, 0), "{}", run.stderr);
    assert_eq!(
        db.run(&["import", "training", &training, "--json"])
            .summary(),
        (0, 0, 4)
    );
    // The session again without the school's row: the session changes, the row goes.
    let fewer = db.write(
        "fewer.csv",
        &TRAINING
            .lines()
            .filter(|l| !l.contains(",S1,"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    assert_eq!(
        db.run(&["import", "training", &fewer, "--json"]).summary(),
        (0, 1, 3)
    );
    let bad = db.write(
        "bad-training.csv",
        "Session,Course date,Training,Org,Attendees,Evaluations returned,Rating,Delegate sector\r\n\
         B1,12/05/2025,ASIST,Hill Surgery,6,,,\r\n\
         B2,2099-01-01,juggling,Nowhere Ltd,-3,,,\r\n\
         B3,01/02/2025,asist,V1,5,7,4.5,nhs\r\n\
         B4,01/02/2025,safeTALK,V1,5,,9,\r\n\
         B1,13/05/2025,ASIST,Forces Hub,2,,,\r\n",
    );
    let run = db.run(&["import", "training", &bad]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for line in [
        "bad-training.csv:3: Course date: 2099-01-01 is in the future",
        "bad-training.csv:3: Training: 'juggling' is not one of orange_button|",
        "bad-training.csv:3: Org: 'Nowhere Ltd' is not a known organisation",
        "bad-training.csv:3: Attendees: '-3' is not a whole number from 0 to 100000",
        "bad-training.csv:4: Delegate sector: nhs is not the sector of V1 (vcfse)",
        "bad-training.csv:4: Evaluations returned: 7 evaluations is more than the 5 delegates",
        "bad-training.csv:5: Rating: '9' is not a score from 1 to 5",
        "bad-training.csv:6: Session: the session of line 2 has another day or course",
    ] {
        assert!(run.stderr.contains(line), "{line} in {}", run.stderr);
    }

    // The exports hold what was imported, and import again unchanged.
    for (what, rows) in [("organisations", 4), ("training", 3)] {
        let path = db.path(&format!("{what}-export.csv"));
        db.run(&["export", what, "--output", path.to_str().unwrap()])
            .ok();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("N1,") && !text.contains("B1,"), "{text}");
        let run = db.run(&["import", what, path.to_str().unwrap(), "--json"]);
        assert_eq!(run.summary(), (0, 0, rows), "{what}: {}", run.stderr);
    }
    let json = db.run(&["export", "organisations", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let school = v
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["reference"] == "S1")
        .unwrap();
    assert_eq!(school["roles"].as_array().unwrap().len(), 2, "{school}");
    assert_eq!(school["roles"][0]["to"], "2024-07-31");
    let refuge = v
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["reference"] == "R1")
        .unwrap();
    assert_eq!(refuge["name"], "Café Refuge");
    assert_eq!(refuge["type"], "refuge");
    assert_eq!(refuge["roles"][0]["role"], "suicide_prevention_lead");
    assert_eq!(refuge["roles"][0]["from"], "2025-04-01");

    let audit = db.audit_csv();
    assert_eq!(
        audit.matches(",organisations_import,").count(),
        4,
        "{audit}"
    );
    assert_eq!(audit.matches(",training_import,").count(), 4, "{audit}");
}

/// A media log in another tool's words imports; a bad one is refused by line and column; the
/// export imports back unchanged.
fn media(db: &TestDb) {
    let log = db.write(
        "media.csv",
        "ID,Publication,Date published,URL,Method,Location,Sensational,Image,Signposting,Action taken\r\n\
         M1,Gazette,03/02/2025,https://g.example/1,N,no,No,no,Yes,\r\n\
         M2,Echo,2025-02-04,,yes,no,no,no,no,Wrote to the editor\r\n",
    );
    assert_eq!(
        db.run(&["import", "media", &log, "--json"]).summary(),
        (2, 0, 0)
    );
    let bad = db.write(
        "bad-media.csv",
        "reference,outlet,published,record_id,method_detail,location_detail,sensational_language,photo,helpline\n\
         M3,Radio,2025-01-01,12345,no,no,no,no,yes\n\
         M4,,someday,,no,no,no,no,perhaps\n",
    );
    let run = db.run(&["import", "media", &bad]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for line in [
        "bad-media.csv:2: record_id: '12345' is not the id of a suspected suicide in the register",
        "bad-media.csv:3: outlet: the outlet is empty",
        "bad-media.csv:3: published: ",
        "bad-media.csv:3: helpline: 'perhaps' is not yes or no",
    ] {
        assert!(run.stderr.contains(line), "{line} in {}", run.stderr);
    }
    let path = db.path("media-export.csv");
    db.run(&["export", "media", "--output", path.to_str().unwrap()])
        .ok();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("M3,"), "{text}");
    assert_eq!(
        db.run(&["import", "media", path.to_str().unwrap(), "--json"])
            .summary(),
        (0, 0, 2)
    );
}

#[test]
fn workforce_import_on_sqlite() {
    let db = TestDb::sqlite();
    imports_and_refuses(&db);
    media(&db);
}

#[test]
fn workforce_import_on_postgres() {
    let Some(db) = TestDb::postgres() else {
        eprintln!("skipped PostgreSQL: TEST_POSTGRES_URL is not set");
        return;
    };
    imports_and_refuses(&db);
    media(&db);
}
