//! `lantern import services`: a directory in Lantern's columns, one in another directory's
//! (other names and order, Windows-1252 with CRLF line ends, labels and common words for needs
//! and referral) import; again unchanged; a bad file is refused by line and
//! column with nothing written; the export imports back unchanged. On SQLite and PostgreSQL.

use crate::helpers::TestDb;

const AREAS: &str = "code,name,level,parent_code\n\
    E10000001,Shire,county,\n\
    E07000001,North District,lad,E10000001\n\
    E07000002,South District,lad,E10000001\n";

const OURS: &str = "reference,name,organisation,needs,areas,age_min,age_max,access,how_to_access,phone,email,website,hours,description,last_verified\n\
    S1,Harbour Bereavement,Harbour Trust,bereavement_by_suicide;crisis,E07000001,18,,self_referral,Call us,0300 123 4567,help@harbour.example,https://harbour.example,Mon-Fri,\"Peer support, weekly\",2026-10-01\n\
    S2,Young Minds Drop-in,Youth Org,children_young_people,all,11,25,both,,,,https://youth.example,,,2026-11-15\n";

/// Another directory's export: its own column names and order, Windows-1252 (the café's é),
/// CRLF, UK dates, labels and everyday words.
fn theirs() -> Vec<u8> {
    let text = "Last checked,Service name,Provider,Support for,Areas served,Referral type,Telephone,Website,About,Ref\r\n\
        05/11/2026,Gamble Free,GF Trust,Problem gambling | Money advice,E07000002,Self-referral or professional,0808 157 0000,,Caf\u{e9} drop-in,G1\r\n\
        1 Oct 2026,Veterans Together,Forces Aid,ex-forces; Loneliness and isolation,E10000001,Professional referral,,https://forces.example,,V1\r\n";
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect()
}

fn imports_and_refuses(db: &TestDb) {
    db.run(&["import", "areas", &db.write("areas.csv", AREAS)])
        .ok();
    let ours = db.write("ours.csv", OURS);
    assert_eq!(
        db.run(&["import", "services", &ours, "--json"]).summary(),
        (2, 0, 0)
    );
    assert_eq!(
        db.run(&["import", "services", &ours, "--json"]).summary(),
        (0, 0, 2),
        "again: unchanged"
    );
    let theirs_path = db.path("theirs.csv");
    std::fs::write(&theirs_path, theirs()).unwrap();
    let run = db.run(&[
        "import",
        "services",
        theirs_path.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(run.summary(), (2, 0, 0), "{}", run.stderr);

    // A bad file: every problem by line and column, and nothing written.
    let bad = db.write(
        "bad.csv",
        "reference,name,organisation,needs,areas,access,phone,last_verified\r\n\
         N1,New Service,Org,crisis,E07000001,self,0300 000 0000,2026-01-01\r\n\
         N2,,Org,astrology,E09999999,sometimes,call us,2099-01-01\r\n\
         S1,Renamed,Harbour Trust,crisis,E07000001,self,,01/01/2026\r\n",
    );
    let run = db.run(&["import", "services", &bad]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for line in [
        "bad.csv:3: name: the service's name is empty",
        "bad.csv:3: needs: 'astrology' is not one of",
        "bad.csv:3: areas: 'E09999999' is not a known area code",
        "bad.csv:3: access: 'sometimes' is not one of self_referral|referral|both",
        "bad.csv:3: phone: 'call us' is not a telephone number",
        "bad.csv:3: last_verified: 2099-01-01 is in the future",
        "bad.csv:4: phone: give at least one way to get in touch",
    ] {
        assert!(run.stderr.contains(line), "{line} in {}", run.stderr);
    }
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);

    // The export holds the four entries whole, and imports again unchanged.
    let exported = db.path("services.csv");
    db.run(&["export", "services", "--output", exported.to_str().unwrap()])
        .ok();
    let text = std::fs::read_to_string(&exported).unwrap();
    assert!(
        text.starts_with("reference,name,organisation,needs,areas,"),
        "{text}"
    );
    assert!(text.contains("Café drop-in"), "{text}");
    assert!(text.contains("gambling;debt"), "{text}");
    assert!(!text.contains("N1,"), "the bad file wrote nothing: {text}");
    assert_eq!(
        db.run(&["import", "services", exported.to_str().unwrap(), "--json"])
            .summary(),
        (0, 0, 4)
    );
    // JSON export for other tools.
    let json = db.run(&["export", "services", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 4);
    assert_eq!(v[0]["access"], "both", "{v}");

    let audit = db.audit_csv();
    assert_eq!(audit.matches(",services_import,").count(), 4, "{audit}");
}

#[test]
fn services_import_on_sqlite() {
    imports_and_refuses(&TestDb::sqlite());
}

#[test]
fn services_import_on_postgres() {
    let Some(db) = TestDb::postgres() else {
        eprintln!("skipped PostgreSQL: TEST_POSTGRES_URL is not set");
        return;
    };
    imports_and_refuses(&db);
}
