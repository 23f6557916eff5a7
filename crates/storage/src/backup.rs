//! Consistent online backups and verified restores.
//!
//! - SQLite: `VACUUM INTO` writes a compacted copy from one read transaction, so it is a
//!   consistent snapshot while the server keeps writing (WAL readers never block writers). It
//!   stands in for the C online-backup API, which sqlx does not expose and which would need
//!   `unsafe` here (the workspace forbids it).
//! - PostgreSQL: `pg_dump --format=custom`, which reads from one repeatable-read snapshot.
//!
//! Beside the backup goes `FILE.manifest.json` with the backend, time, size and SHA-256. A
//! restore refuses a file whose checksum does not match, refuses a database that already holds
//! Lantern tables, and after restoring checks that the schema migrates, the audit chain is
//! intact (a torn snapshot would break it) and, on SQLite, `PRAGMA integrity_check`.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::str::FromStr as _;

use lantern_core::register::{SELF_HARM, SUICIDES};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use sqlx::Connection as _;

use crate::DatabaseUrl;

/// What went wrong with a backup or restore, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// Anything, with its explanation.
    #[error("{0}")]
    Failed(String),
}

fn failed(what: impl std::fmt::Display) -> BackupError {
    BackupError::Failed(what.to_string())
}

/// The sidecar file written beside a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// `lantern-backup-1`.
    pub format: String,
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// When the backup finished (UTC, RFC 3339).
    pub created_at: String,
    /// Size of the backup file.
    pub bytes: u64,
    /// SHA-256 of the backup file, hex.
    pub sha256: String,
}

/// What a restored database holds, after its checks passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoreReport {
    /// Suspected suicides.
    pub suicides: u64,
    /// Self-harm presentations.
    pub self_harm: u64,
    /// Areas.
    pub areas: u64,
    /// Users.
    pub users: u64,
    /// Audit entries (the chain verified).
    pub audit_entries: u64,
}

/// The manifest's path for a backup file.
pub fn manifest_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".manifest.json");
    PathBuf::from(name)
}

fn sha256_file(path: &Path) -> Result<(u64, String), BackupError> {
    let mut f =
        std::fs::File::open(path).map_err(|e| failed(format!("{}: {e}", path.display())))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| failed(format!("{}: {e}", path.display())))?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((bytes, lantern_core::hex(&hasher.finalize())))
}

/// PostgreSQL tools take the password from `PGPASSWORD`, not the command line, where `ps`
/// would show it.
fn pg_command(tool: &str, url: &DatabaseUrl) -> (std::process::Command, String) {
    let mut cmd = std::process::Command::new(tool);
    let mut target = url.expose().to_owned();
    if let Some((scheme, rest)) = url.expose().split_once("://")
        && let Some((auth, host)) = rest.split_once('@')
        && let Some((user, password)) = auth.split_once(':')
    {
        cmd.env("PGPASSWORD", password);
        target = format!("{scheme}://{user}@{host}");
    }
    (cmd, target)
}

fn run(mut cmd: std::process::Command, tool: &str) -> Result<(), BackupError> {
    let out = cmd.output().map_err(|e| {
        failed(format!(
            "cannot run {tool} ({e}); install the PostgreSQL client tools of the server's version"
        ))
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(failed(format!(
            "{tool} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}

fn sqlite_path(url: &DatabaseUrl) -> Result<PathBuf, BackupError> {
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url.expose()).map_err(failed)?;
    Ok(options.get_filename().to_path_buf())
}

/// Take a consistent backup of the database at `url` into `file` (which must not exist), with
/// its manifest beside it.
///
/// # Errors
/// An existing file, an unreachable database, or a failed dump.
pub async fn backup(url: &DatabaseUrl, file: &Path) -> Result<Manifest, BackupError> {
    if file.exists() {
        return Err(failed(format!(
            "{} already exists; choose a new file name (backups are never overwritten)",
            file.display()
        )));
    }
    let partial = file.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let backend = match url.scheme() {
        "sqlite" => {
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(url.expose())
                .map_err(failed)?
                .create_if_missing(false)
                .busy_timeout(std::time::Duration::from_secs(30));
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .map_err(|e| failed(format!("cannot open the database {url}: {e}")))?;
            sqlx::query("VACUUM INTO $1")
                .bind(partial.to_string_lossy().into_owned())
                .execute(&mut conn)
                .await
                .map_err(|e| failed(format!("the backup failed: {e}")))?;
            conn.close().await.map_err(failed)?;
            "sqlite"
        }
        "postgres" | "postgresql" => {
            let (mut cmd, target) = pg_command("pg_dump", url);
            cmd.args(["--format=custom", "--no-owner", "--no-privileges", "--file"])
                .arg(&partial)
                .arg(target);
            let p = partial.clone();
            tokio::task::spawn_blocking(move || run(cmd, "pg_dump"))
                .await
                .map_err(failed)?
                .inspect_err(|_| {
                    let _ = std::fs::remove_file(&p);
                })?;
            "postgres"
        }
        other => return Err(failed(format!("cannot back up a '{other}:' database"))),
    };
    std::fs::rename(&partial, file).map_err(failed)?;
    let (bytes, sha256) = sha256_file(file)?;
    let manifest = Manifest {
        format: "lantern-backup-1".to_owned(),
        backend: backend.to_owned(),
        created_at: chrono::Utc::now().to_rfc3339(),
        bytes,
        sha256,
    };
    let text = serde_json::to_string_pretty(&manifest).map_err(failed)?;
    std::fs::write(manifest_path(file), text).map_err(failed)?;
    Ok(manifest)
}

/// Restore `file` into the empty database at `url`, then verify it.
///
/// # Errors
/// A missing or mismatched manifest, a database that is not empty, a failed restore, or a
/// restored database that fails its checks.
pub async fn restore(url: &DatabaseUrl, file: &Path) -> Result<RestoreReport, BackupError> {
    let mpath = manifest_path(file);
    let text = std::fs::read_to_string(&mpath).map_err(|e| {
        failed(format!(
            "{}: {e} (a backup is restored with the manifest written beside it)",
            mpath.display()
        ))
    })?;
    let manifest: Manifest =
        serde_json::from_str(&text).map_err(|e| failed(format!("{}: {e}", mpath.display())))?;
    let (bytes, sha256) = sha256_file(file)?;
    if bytes != manifest.bytes || sha256 != manifest.sha256 {
        return Err(failed(format!(
            "{} does not match its manifest (damaged or truncated: {bytes} bytes, expected {})",
            file.display(),
            manifest.bytes
        )));
    }
    let wanted = match url.scheme() {
        "postgresql" => "postgres",
        s => s,
    };
    if manifest.backend != wanted {
        return Err(failed(format!(
            "this is a {} backup and the target is {wanted}: restore into the same kind of database, then move data with export and import",
            manifest.backend
        )));
    }
    match wanted {
        "sqlite" => {
            let target = sqlite_path(url)?;
            if std::fs::metadata(&target).is_ok_and(|m| m.len() > 0) {
                return Err(failed(format!(
                    "{} already exists; restore into a new, empty database",
                    target.display()
                )));
            }
            if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(failed)?;
            }
            let tmp = target.with_extension("restoring");
            std::fs::copy(file, &tmp).map_err(failed)?;
            std::fs::rename(&tmp, &target).map_err(failed)?;
            let options =
                sqlx::sqlite::SqliteConnectOptions::from_str(url.expose()).map_err(failed)?;
            let mut conn = sqlx::SqliteConnection::connect_with(&options)
                .await
                .map_err(failed)?;
            let check: String = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(&mut conn)
                .await
                .map_err(failed)?;
            conn.close().await.map_err(failed)?;
            if check != "ok" {
                return Err(failed(format!("the restored database is damaged: {check}")));
            }
        }
        _ => {
            let mut conn = sqlx::PgConnection::connect(url.expose())
                .await
                .map_err(|e| failed(format!("cannot open the database {url}: {e}")))?;
            let tables: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'",
            )
            .fetch_one(&mut conn)
            .await
            .map_err(failed)?;
            conn.close().await.map_err(failed)?;
            if tables > 0 {
                return Err(failed(
                    "the target database already has tables; restore into a new, empty database (createdb NAME)",
                ));
            }
            let (mut cmd, target) = pg_command("pg_restore", url);
            cmd.args([
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
            ])
            .arg(target)
            .arg(file);
            tokio::task::spawn_blocking(move || run(cmd, "pg_restore"))
                .await
                .map_err(failed)??;
        }
    }
    verify(url).await
}

/// Open a database (migrating it to this version) and check its audit chain.
///
/// # Errors
/// A database that cannot be opened, or a broken audit chain.
pub async fn verify(url: &DatabaseUrl) -> Result<RestoreReport, BackupError> {
    let store = crate::open(url)
        .await
        .map_err(|e| failed(format!("the restored database does not open: {e}")))?;
    let (entries, head) = store.audit_log().await.map_err(failed)?;
    lantern_core::audit::verify(&entries, head.as_deref())
        .map_err(|e| failed(format!("the restored audit log does not verify: {e}")))?;
    Ok(RestoreReport {
        suicides: store.count(&SUICIDES).await.map_err(failed)?,
        self_harm: store.count(&SELF_HARM).await.map_err(failed)?,
        areas: store.area_codes().await.map_err(failed)?.len() as u64,
        users: store.users().await.map_err(failed)?.len() as u64,
        audit_entries: entries.len() as u64,
    })
}
