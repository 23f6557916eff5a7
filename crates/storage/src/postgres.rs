//! The PostgreSQL store, for multi-user and regional deployments.

use sqlx::postgres::PgPoolOptions;

use crate::DatabaseUrl;
use crate::common::map_err;

/// A store in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: sqlx::PgPool,
    caches: std::sync::Arc<crate::common::Caches>,
}

impl PostgresStore {
    /// Connect and migrate.
    ///
    /// # Errors
    /// An unreachable server or a failed migration.
    pub async fn open(url: &DatabaseUrl) -> lantern_core::StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect(url.expose())
            .await
            .map_err(map_err)?;
        crate::migrations::POSTGRES
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
type This = PostgresStore;
type Db = sqlx::Postgres;
type Conn = sqlx::PgConnection;
type Row = sqlx::postgres::PgRow;
const DIALECT: crate::common::Dialect = crate::common::Dialect {
    name: "postgres",
    lock_audit: "LOCK TABLE audit_log IN SHARE ROW EXCLUSIVE MODE",
    secondary_indexes: "SELECT indexname AS name, indexdef AS sql FROM pg_indexes WHERE tablename = $1 \
         AND indexdef NOT LIKE 'CREATE UNIQUE%'",
    plus_year: |d| format!("to_char(CAST({d} AS DATE) + INTERVAL '12 months', 'YYYY-MM-DD')"),
    scope_term: (" AND (residence_area || '') = ANY(ARRAY(", "))"),
    month_of_date: |c| format!("to_char({c}, 'YYYY-MM')"),
    chr: "chr",
    packed: |table, record| {
        format!(
            "SELECT COUNT(*) AS n, string_agg(x, chr(30)) AS packed FROM \
             (SELECT id >> 12 AS g, {record} AS x FROM {table}) s GROUP BY g ORDER BY g"
        )
    },
};

#[allow(
    clippy::duplicate_mod,
    reason = "sql/ is compiled once per backend on purpose: see sql/mod.rs"
)]
#[path = "sql/mod.rs"]
mod sql;
