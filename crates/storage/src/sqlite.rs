//! The embedded SQLite store: one file, WAL journal, created when missing.

use std::str::FromStr as _;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::DatabaseUrl;
use crate::common::map_err;

/// A store in an SQLite database file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: sqlx::SqlitePool,
    caches: std::sync::Arc<crate::common::Caches>,
}

impl SqliteStore {
    /// Open (creating the file and its folder when needed) and migrate.
    ///
    /// # Errors
    /// A file that cannot be created or a failed migration.
    pub async fn open(url: &DatabaseUrl) -> lantern_core::StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url.expose())
            .map_err(map_err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(std::time::Duration::from_secs(10))
            // A large page cache keeps big import transactions from spilling to the WAL early.
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory");
        let in_memory = url.expose().contains(":memory:") || url.expose().contains("mode=memory");
        if !in_memory
            && let Some(parent) = options.get_filename().parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent)
                .map_err(|e| lantern_core::StoreError::Backend(Box::new(e)))?;
        }
        // In-memory databases exist per connection, so they get exactly one. Otherwise four:
        // SQLite has one writer at a time, and each connection is a worker thread, so more only
        // add context switches on a small machine (8 to 4 took the load test from 795 to 857
        // requests a second on 2 cores).
        let pool = SqlitePoolOptions::new()
            .max_connections(if in_memory { 1 } else { 4 })
            .connect_with(options)
            .await
            .map_err(map_err)?;
        crate::migrations::SQLITE
            .migrator()
            .await
            .map_err(|e| lantern_core::StoreError::Backend(Box::new(e)))?
            .run(&pool)
            .await
            .map_err(|e| lantern_core::StoreError::Backend(Box::new(e)))?;
        Ok(Self {
            pool,
            caches: std::sync::Arc::default(),
        })
    }
}

// The types and SQL fragments the shared code in `sql/` is compiled against.
type This = SqliteStore;
type Db = sqlx::Sqlite;
type Conn = sqlx::SqliteConnection;
type Row = sqlx::sqlite::SqliteRow;
const DIALECT: crate::common::Dialect = crate::common::Dialect {
    name: "sqlite",
    plus_year: |d| format!("date({d}, '+12 months')"),
    // Indexes created by migrations (autoindexes for UNIQUE have no SQL and are kept).
    // A write first takes SQLite's write lock for the whole transaction.
    lock_audit: "UPDATE settings SET value = value WHERE key = 'audit_head'",
    secondary_indexes: "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND sql IS NOT NULL",
    scope_term: (" AND +residence_area IN (", ")"),
    month_of_date: |c| format!("substr({c}, 1, 7)"),
    chr: "char",
    packed: |table, record| {
        format!(
            "SELECT COUNT(*) AS n, group_concat(x, char(30)) AS packed FROM \
             (SELECT id >> 12 AS g, {record} AS x FROM {table}) GROUP BY g ORDER BY g"
        )
    },
};

#[allow(
    clippy::duplicate_mod,
    reason = "sql/ is compiled once per backend on purpose: see sql/mod.rs"
)]
#[path = "sql/mod.rs"]
mod sql;
