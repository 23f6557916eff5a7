//! `lantern backup` and `lantern restore` from the command line (the consistency of a backup
//! taken during writes is tested in the storage contract).

use crate::helpers::TestDb;

#[test]
fn a_demo_database_backs_up_and_restores_verified() {
    let db = TestDb::sqlite();
    db.run(&["demo", "--no-serve", "--end", "2025-06-30"]).ok();
    let file = db.path("lantern.backup");
    let file = file.to_str().unwrap();
    let run = db.run(&["backup", file]);
    assert!(
        run.ok().stderr.contains("Backed up the sqlite database"),
        "{}",
        run.stderr
    );
    assert!(std::path::Path::new(&format!("{file}.manifest.json")).exists());
    let again = db.run(&["backup", file]);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("never overwritten"),
        "{}",
        again.stderr
    );

    let target = db.path("restored/lantern.db");
    let url = format!("sqlite://{}?mode=rwc", target.display());
    let restore = |url: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_lantern"))
            .args(["restore", file, "--database-url", url])
            .env("LANTERN_LOG", "error")
            .output()
            .unwrap()
    };
    let out = restore(&url);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("chain intact") && stderr.contains("6 users"),
        "{stderr}"
    );
    // Not into a database that holds data.
    let out = restore(&url);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("restore into a new, empty database"));
    // The backup is in the source's audit log.
    let export = db.path("audit.csv");
    db.run(&["audit", "export", "--output", export.to_str().unwrap()])
        .ok();
    assert!(
        std::fs::read_to_string(export)
            .unwrap()
            .contains(",backup,")
    );
}
