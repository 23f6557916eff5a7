//! A crash in the middle of a large import loses nothing and half-writes nothing: the process is
//! killed with SIGKILL while rows are being written, and the database is exactly as before.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::Connection as _;

use crate::helpers::TestDb;

const HEADER: &str = "source,source_ref,presented_at,setting,person_key,age,sex,residence_area,presentation_type,intent,methods\n";

fn rows(prefix: &str, n: usize) -> String {
    let mut s = String::from(HEADER);
    for i in 0..n {
        let key = format!("{:064x}", i % 50_000);
        s.push_str(&format!("ed,{prefix}{i},2024-{:02}-{:02},ed,{key},{},female,E01000001,self_poisoning,self_harm,drug_overdose\n", 1 + i % 12, 1 + i % 28, 12 + i % 70));
    }
    s
}

fn count(db: &TestDb) -> usize {
    let out = db.run(&["export", "self-harm", "--format", "csv"]);
    out.ok().stdout.lines().count() - 1
}

/// Start the big import, wait until `writing` says rows are going in, and SIGKILL it.
async fn kill_mid_import(db: &TestDb, big: &str, writing: impl AsyncFn() -> bool) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lantern"))
        .args(["import", "self-harm", big, "--database-url", &db.url])
        .env("LANTERN_LOG", "error")
        .env("LANTERN_PSEUDONYM_KEY_FILE", db.path("pseudonym.key"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import finished before it could be killed; use more rows"
        );
        if writing().await {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the import never started writing"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
}

fn prepare(db: &TestDb) -> (String, String) {
    db.run(&[
        "import",
        "areas",
        &db.write("a.csv", "code,name,level\nE01000001,A,lsoa\n"),
    ])
    .ok();
    let small = db.write("small.csv", &rows("S", 3));
    db.run(&["import", "self-harm", &small]).ok();
    (small, db.write("big.csv", &rows("B", 1_000_000)))
}

fn still_whole(db: &TestDb, small: &str) {
    assert_eq!(count(db), 3, "the killed import left rows behind");
    let again = db.run(&["import", "self-harm", small, "--json"]);
    assert_eq!(
        again.summary(),
        (0, 0, 3),
        "the database still works and still holds what it held"
    );
}

#[tokio::test]
async fn a_sigkilled_import_leaves_sqlite_as_it_was() {
    let db = TestDb::sqlite();
    let (small, big) = prepare(&db);
    let wal = db.path("lantern.db-wal");
    // Rows are going in once the write-ahead log grows well past its size at rest.
    kill_mid_import(&db, &big, async || {
        std::fs::metadata(&wal).is_ok_and(|m| m.len() > 8 << 20)
    })
    .await;
    let mut conn = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    drop(conn);
    still_whole(&db, &small);
}

#[tokio::test]
async fn a_sigkilled_import_leaves_postgres_as_it_was() {
    let Some(db) = TestDb::postgres() else {
        eprintln!("skipped PostgreSQL: TEST_POSTGRES_URL is not set");
        return;
    };
    let (small, big) = prepare(&db);
    let name = db.url.rsplit('/').next().unwrap().to_owned();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&db.url)
        .await
        .unwrap();
    kill_mid_import(&db, &big, async || {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND query LIKE 'INSERT INTO self_harm_presentations%'",
        )
        .bind(&name)
        .fetch_one(&pool)
        .await
        .unwrap();
        n > 0
    })
    .await;
    pool.close().await;
    still_whole(&db, &small);
}
