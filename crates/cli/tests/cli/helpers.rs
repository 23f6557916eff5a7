//! Running the `lantern` binary against a fresh database, and finding the shared reference data.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) use crate::refdata::refdata;

pub(crate) fn geography(rel: &str) -> PathBuf {
    refdata().join("geography").join(rel)
}

/// A fresh database for one test: a temp SQLite file, or a new PostgreSQL database.
pub(crate) struct TestDb {
    pub(crate) url: String,
    pub(crate) dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub(crate) fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/lantern.db", dir.path().display());
        Self { url, dir, pg: None }
    }

    /// A PostgreSQL database when `TEST_POSTGRES_URL` is set.
    pub(crate) fn postgres() -> Option<Self> {
        let base = std::env::var("TEST_POSTGRES_URL").ok()?;
        let name = format!("lantern_cli_{}_{}", std::process::id(), unique());
        psql(&base, &format!("CREATE DATABASE {name}"));
        let (prefix, _) = base.rsplit_once('/').unwrap();
        Some(Self {
            url: format!("{prefix}/{name}"),
            dir: tempfile::tempdir().unwrap(),
            pg: Some((base, name)),
        })
    }

    /// Run `lantern ARGS` against this database.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        self.run_with_input(args, "")
    }

    /// Run with `input` on standard input.
    pub(crate) fn run_with_input(&self, args: &[&str], input: &str) -> Run {
        use std::io::Write as _;
        let mut child = Command::new(env!("CARGO_BIN_EXE_lantern"))
            .args(args)
            .arg("--database-url")
            .arg(&self.url)
            .env_remove("LANTERN_DATABASE_URL")
            .env_remove("LANTERN_PSEUDONYM_KEY")
            .env(
                "LANTERN_PSEUDONYM_KEY_FILE",
                self.dir.path().join("pseudonym.key"),
            )
            .env("LANTERN_LOG", "error")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
        drop(stdin);
        Run::from(child.wait_with_output().unwrap())
    }

    /// The audit log as `lantern audit export --format csv` writes it.
    pub(crate) fn audit_csv(&self) -> String {
        let out = self.path("audit.csv");
        self.run(&[
            "audit",
            "export",
            "--format",
            "csv",
            "--output",
            out.to_str().unwrap(),
        ])
        .ok();
        std::fs::read_to_string(&out).unwrap()
    }

    /// A path inside this test's temp folder.
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn write(&self, name: &str, text: &str) -> String {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, name)) = &self.pg {
            psql(
                base,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}

fn unique() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn psql(url: &str, sql: &str) {
    let status = Command::new("psql")
        .args([url, "-q", "-c", sql])
        .status()
        .unwrap();
    assert!(status.success(), "psql failed: {sql}");
}

/// What a run printed and how it ended.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Self {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Assert success and return the `--json` summary.
    pub(crate) fn summary(&self) -> (u64, u64, u64) {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        let v: serde_json::Value = serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("{e}: {}", self.stdout));
        (
            v["inserted"].as_u64().unwrap(),
            v["updated"].as_u64().unwrap(),
            v["unchanged"].as_u64().unwrap(),
        )
    }

    pub(crate) fn ok(&self) -> &Self {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        self
    }
}

/// Every `.json` file in a folder, sorted.
pub(crate) fn json_files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| p.display().to_string())
        .collect();
    v.sort();
    v
}
