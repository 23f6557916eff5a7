//! The audit log: appends chained by hash under a lock, and reads page by page.

use async_trait::async_trait;
use lantern_core::store::SettingsStore as _;
use lantern_core::{StoreError, StoreResult};
use sqlx::Row as _;

use super::{Conn, DIALECT, Row, This};
use crate::common::{self, map_err};

/// Audit rows as entries.
pub(super) fn audit_entries_of(rows: &[Row]) -> StoreResult<Vec<lantern_core::audit::AuditEntry>> {
    rows.iter()
        .map(|r| {
            Ok(lantern_core::audit::AuditEntry {
                id: r.try_get("id")?,
                at: r.try_get("at")?,
                entry: lantern_core::audit::NewAuditEntry {
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    dataset: r.try_get("dataset")?,
                    record_id: r.try_get("record_id")?,
                    detail: r.try_get("detail")?,
                    origin: r.try_get("origin")?,
                },
                prev_hash: r.try_get("prev_hash")?,
                hash: r.try_get("hash")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
        .map_err(map_err)
}

impl This {
    /// Append audit entries inside `conn`'s transaction, chained after the last.
    pub(super) async fn append_audits_in(
        conn: &mut Conn,
        batch: &[lantern_core::audit::NewAuditEntry],
    ) -> StoreResult<Vec<lantern_core::audit::AuditEntry>> {
        use lantern_core::audit;
        sqlx::query(DIALECT.lock_audit)
            .execute(&mut *conn)
            .await
            .map_err(map_err)?;
        let prev: Option<String> =
            sqlx::query_scalar("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
                .fetch_optional(&mut *conn)
                .await
                .map_err(map_err)?;
        let mut prev = prev.unwrap_or_else(|| audit::GENESIS.to_owned());
        let mut written = Vec::with_capacity(batch.len());
        for e in batch {
            let at = audit::now();
            let hash = audit::entry_hash(&prev, at, e);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO audit_log (at, actor, action, dataset, record_id, detail, origin, prev_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(at)
            .bind(&e.actor)
            .bind(&e.action)
            .bind(&e.dataset)
            .bind(e.record_id)
            .bind(&e.detail)
            .bind(&e.origin)
            .bind(&prev)
            .bind(&hash)
            .fetch_one(&mut *conn)
            .await
            .map_err(map_err)?;
            written.push(audit::AuditEntry {
                id,
                at,
                entry: e.clone(),
                prev_hash: std::mem::replace(&mut prev, hash.clone()),
                hash,
            });
        }
        sqlx::query(common::UPSERT_SETTING)
            .bind(audit::HEAD_SETTING)
            .bind(&prev)
            .execute(&mut *conn)
            .await
            .map_err(map_err)?;
        Ok(written)
    }
}

#[async_trait]
impl lantern_core::store::AuditStore for This {
    #[tracing::instrument(skip_all)]
    async fn append_audit(
        &self,
        e: &lantern_core::audit::NewAuditEntry,
    ) -> StoreResult<lantern_core::audit::AuditEntry> {
        self.append_audits(std::slice::from_ref(e))
            .await?
            .pop()
            .ok_or_else(|| StoreError::Conflict("no audit entry was written".to_owned()))
    }

    #[tracing::instrument(skip_all)]
    async fn append_audits(
        &self,
        batch: &[lantern_core::audit::NewAuditEntry],
    ) -> StoreResult<Vec<lantern_core::audit::AuditEntry>> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let written = Self::append_audits_in(&mut tx, batch).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(written)
    }

    #[tracing::instrument(skip_all)]
    async fn audit_log(
        &self,
    ) -> StoreResult<(Vec<lantern_core::audit::AuditEntry>, Option<String>)> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM audit_log ORDER BY id",
            common::AUDIT_COLUMNS
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let entries = audit_entries_of(&rows)?;
        Ok((
            entries,
            self.setting(lantern_core::audit::HEAD_SETTING).await?,
        ))
    }

    #[tracing::instrument(skip_all)]
    async fn audit_page(
        &self,
        page: &lantern_core::audit::AuditPage,
    ) -> StoreResult<Vec<lantern_core::audit::AuditEntry>> {
        let order = if page.newest_first { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT {} FROM audit_log WHERE id > $1 AND id < $2 ORDER BY id {order} LIMIT $3",
            common::AUDIT_COLUMNS
        );
        let rows = sqlx::query(&sql)
            .bind(page.after.unwrap_or(i64::MIN))
            .bind(page.before.unwrap_or(i64::MAX))
            .bind(i64::from(page.limit))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        audit_entries_of(&rows)
    }

    #[tracing::instrument(skip_all)]
    async fn audit_count(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
