//! The audit log from the command line: imports and exports are recorded, `lantern audit verify`
//! passes on an intact log and fails once anything is altered or cut off, and `lantern audit
//! export` writes every entry.

use sqlx::Connection as _;

use crate::helpers::TestDb;

const AREAS: &str = "code,name,level\nE01000001,A,lsoa\n";
const SUICIDES: &str = "source,source_ref,date_of_death,age,sex,residence_area,status,method_group,location_type\n\
    police,R1,2024-01-05,34,male,E01000001,suspected,hanging,home\n";

async fn sql(db: &TestDb, statements: &[&str]) {
    let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
    for s in statements {
        sqlx::query(s).execute(&mut conn).await.unwrap();
    }
}

#[tokio::test]
async fn imports_and_exports_are_audited_and_tampering_is_caught() {
    let db = TestDb::sqlite();
    db.run(&["import", "areas", &db.write("a.csv", AREAS)]).ok();
    let file = db.write("s.csv", SUICIDES);
    db.run(&["import", "suicides", &file, "--dry-run"]).ok();
    db.run(&["import", "suicides", &file]).ok();
    db.run(&["export", "suicides", "--format", "json"]).ok();
    let verify = db.run(&["audit", "verify"]);
    assert!(
        verify.ok().stdout.contains("intact: 2 entries"),
        "{}",
        verify.stdout
    );

    let text = db.audit_csv();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "id,at,actor,action,dataset,record_id,detail,origin,prev_hash,hash"
    );
    assert_eq!(lines.len(), 3, "a dry run is not audited: {text}");
    assert!(
        lines[1].contains(",import,suicides,") && lines[1].contains("inserted=1"),
        "{text}"
    );
    assert!(
        lines[2].contains(",export,suicides,") && lines[2].contains("format=json"),
        "{text}"
    );
    assert!(lines[1].contains("cli:"));
    let json_out = db.path("audit.json");
    db.run(&[
        "audit",
        "export",
        "--format",
        "json",
        "--output",
        json_out.to_str().unwrap(),
    ])
    .ok();
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_out).unwrap()).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 2);

    // Someone with database access removes the guard and edits an entry.
    sql(
        &db,
        &[
            "DROP TRIGGER audit_log_no_update",
            "UPDATE audit_log SET detail = 'nothing happened' WHERE id = 1",
        ],
    )
    .await;
    let broken = db.run(&["audit", "verify"]);
    assert_eq!(broken.code, 1);
    assert!(
        broken
            .stderr
            .contains("audit entry 1: its contents were altered"),
        "{}",
        broken.stderr
    );
}

#[tokio::test]
async fn cutting_off_the_newest_entries_is_caught() {
    let db = TestDb::sqlite();
    db.run(&["import", "areas", &db.write("a.csv", AREAS)]).ok();
    db.run(&["import", "suicides", &db.write("s.csv", SUICIDES)])
        .ok();
    db.run(&["export", "suicides", "--format", "csv"]).ok();
    db.run(&["audit", "verify"]).ok();
    sql(
        &db,
        &[
            "DROP TRIGGER audit_log_no_delete",
            "DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)",
        ],
    )
    .await;
    let broken = db.run(&["audit", "verify"]);
    assert_eq!(broken.code, 1);
    assert!(
        broken.stderr.contains("the newest entries are missing"),
        "{}",
        broken.stderr
    );
}

/// Run statements on a test database, SQLite or PostgreSQL, and read one number back.
async fn exec(db: &TestDb, statements: &[&str], count: &str) -> i64 {
    if db.url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
        for s in statements {
            sqlx::query(s).execute(&mut conn).await.unwrap();
        }
        sqlx::query_scalar(count)
            .fetch_one(&mut conn)
            .await
            .unwrap()
    } else {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        for s in statements {
            sqlx::query(s).execute(&mut conn).await.unwrap();
        }
        sqlx::query_scalar(count)
            .fetch_one(&mut conn)
            .await
            .unwrap()
    }
}

/// An import and its audit entry commit together, for register files and plans alike: when the
/// audit entry cannot be written the rows are not either, and once it can, both land.
#[tokio::test]
async fn an_import_and_its_audit_entry_commit_or_roll_back_together() {
    for db in std::iter::once(TestDb::sqlite()).chain(TestDb::postgres()) {
        let sqlite = db.url.starts_with("sqlite:");
        db.run(&["import", "areas", &db.write("a.csv", AREAS)]).ok();
        let refuse: &[&str] = if sqlite {
            &["CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
               BEGIN SELECT RAISE(ABORT, 'the audit log refuses'); END"]
        } else {
            &[
                "CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'the audit log refuses'; END $$",
                "CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log \
                 FOR EACH ROW EXECUTE FUNCTION refuse_audit()",
            ]
        };
        let rows = "SELECT COUNT(*) FROM suspected_suicides";
        let imports = "SELECT COUNT(*) FROM audit_log WHERE action = 'import'";
        assert_eq!(exec(&db, refuse, rows).await, 0);

        let file = db.write("s.csv", SUICIDES);
        let plan = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../docs/templates/plan.csv")
            .display()
            .to_string();
        let plans = "SELECT COUNT(*) FROM plans";
        let failed = db.run(&["import", "plans", &plan]);
        assert_ne!(
            failed.code, 0,
            "{}: the plan import reported success",
            db.url
        );
        assert_eq!(
            exec(&db, &[], plans).await,
            0,
            "{}: a plan landed unaudited",
            db.url
        );
        let failed = db.run(&["import", "suicides", &file]);
        assert_ne!(failed.code, 0, "{}: the import reported success", db.url);
        assert!(
            failed.stderr.contains("the audit log refuses"),
            "{}",
            failed.stderr
        );
        assert_eq!(
            exec(&db, &[], rows).await,
            0,
            "{}: rows landed unaudited",
            db.url
        );

        let drop: &[&str] = if sqlite {
            &["DROP TRIGGER refuse_audit"]
        } else {
            &["DROP TRIGGER refuse_audit ON audit_log"]
        };
        assert_eq!(exec(&db, drop, imports).await, 0);
        db.run(&["import", "suicides", &file]).ok();
        assert_eq!(exec(&db, &[], rows).await, 1);
        assert_eq!(exec(&db, &[], imports).await, 1);
        db.run(&["import", "plans", &plan]).ok();
        assert_eq!(exec(&db, &[], plans).await, 1);
        let plan_imports = "SELECT COUNT(*) FROM audit_log WHERE action = 'plan_import'";
        assert_eq!(exec(&db, &[], plan_imports).await, 1);
        db.run(&["audit", "verify"]).ok();
    }
}
