//! Signals, their reviews, and locations of concern.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::Utc;
use lantern_core::{StoreError, StoreResult};
use sqlx::Row as _;

use super::This;
use crate::common::{self, map_err};

#[async_trait]
impl lantern_core::store::SignalStore for This {
    #[tracing::instrument(skip_all)]
    async fn save_signals(
        &self,
        found: &[lantern_core::signals::Found],
        at: chrono::DateTime<Utc>,
    ) -> StoreResult<usize> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let mut new = 0;
        for f in found {
            let detail = serde_json::to_string(f).map_err(|e| StoreError::Backend(e.into()))?;
            let done = sqlx::query(
                "UPDATE signals SET kind = $1, dataset = $2, area_code = $3, detail = $4, last_day = $5, updated_at = $6 \
                 WHERE key = $7",
            )
            .bind(f.kind.as_str())
            .bind(&f.dataset)
            .bind(&f.area_code)
            .bind(&detail)
            .bind(f.end.to_string())
            .bind(at)
            .bind(&f.key)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
            if done.rows_affected() == 0 {
                sqlx::query(
                    "INSERT INTO signals (key, kind, dataset, area_code, detail, last_day, found_at, updated_at, status, owner, version) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 'new', NULL, 1)",
                )
                .bind(&f.key)
                .bind(f.kind.as_str())
                .bind(&f.dataset)
                .bind(&f.area_code)
                .bind(&detail)
                .bind(f.end.to_string())
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
                new += 1;
            }
        }
        // Unreviewed signals the detectors no longer find (the data changed) go; any
        // signal with a review stays, with the findings it had.
        let keys: HashSet<&str> = found.iter().map(|f| f.key.as_str()).collect();
        let stale: Vec<(i64, String)> = sqlx::query_as(
            "SELECT s.id, s.key FROM signals s WHERE s.status = 'new'                      AND NOT EXISTS (SELECT 1 FROM signal_events e WHERE e.signal_id = s.id)",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?;
        for (id, key) in stale {
            if !keys.contains(key.as_str()) {
                sqlx::query("DELETE FROM signals WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
            }
        }
        tx.commit().await.map_err(map_err)?;
        Ok(new)
    }

    #[tracing::instrument(skip_all)]
    async fn signals(&self) -> StoreResult<Vec<lantern_core::signals::Signal>> {
        let rows = sqlx::query(
            "SELECT id, detail, found_at, updated_at, status, owner, version FROM signals \
             ORDER BY last_day DESC, id DESC",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(common::decode_signal)
            .collect::<Result<_, sqlx::Error>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn signal(
        &self,
        id: i64,
    ) -> StoreResult<(
        lantern_core::signals::Signal,
        Vec<lantern_core::signals::SignalEvent>,
    )> {
        let row = sqlx::query(
            "SELECT id, detail, found_at, updated_at, status, owner, version FROM signals WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?
        .ok_or(StoreError::NotFound)?;
        let signal = common::decode_signal(&row).map_err(map_err)?;
        let events = sqlx::query(
            "SELECT at, author, status_before, status, owner, note FROM signal_events \
             WHERE signal_id = $1 ORDER BY at, id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?
        .iter()
        .map(|r| {
            let status = |c: &str| common::decode_status(&r.try_get::<String, _>(c)?);
            Ok(lantern_core::signals::SignalEvent {
                at: r.try_get("at")?,
                author: r.try_get("author")?,
                status_before: status("status_before")?,
                status: status("status")?,
                owner: r.try_get("owner")?,
                note: r.try_get("note")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(map_err)?;
        Ok((signal, events))
    }

    #[tracing::instrument(skip_all)]
    async fn review_signal(
        &self,
        id: i64,
        review: &lantern_core::signals::SignalReview,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let before: String = sqlx::query_scalar("SELECT status FROM signals WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound)?;
        let done = sqlx::query(
            "UPDATE signals SET status = $1, owner = $2, version = version + 1 WHERE id = $3 AND version = $4",
        )
        .bind(review.status.as_str())
        .bind(&review.owner)
        .bind(id)
        .bind(review.version)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(
                "someone else changed this signal's review while you were editing it; reload it and try again".to_owned(),
            ));
        }
        sqlx::query(
            "INSERT INTO signal_events (signal_id, at, author, status_before, status, owner, note) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(review.at)
        .bind(&review.author)
        .bind(&before)
        .bind(review.status.as_str())
        .bind(&review.owner)
        .bind(&review.note)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn locations_of_concern(
        &self,
    ) -> StoreResult<Vec<lantern_core::signals::LocationOfConcern>> {
        sqlx::query("SELECT id, detail FROM locations_of_concern ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?
            .iter()
            .map(|r| {
                let detail: String = r.try_get("detail")?;
                let mut l: lantern_core::signals::LocationOfConcern =
                    serde_json::from_str(&detail).map_err(|e| sqlx::Error::Decode(e.into()))?;
                l.id = r.try_get("id")?;
                Ok(l)
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn add_location_of_concern(
        &self,
        location: &lantern_core::signals::LocationOfConcern,
    ) -> StoreResult<i64> {
        let detail = serde_json::to_string(location).map_err(|e| StoreError::Backend(e.into()))?;
        sqlx::query_scalar(
            "INSERT INTO locations_of_concern (name, detail, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(location.name.trim())
        .bind(&detail)
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(format!(
                "a location of concern called '{}' is already registered",
                location.name
            )),
            other => map_err(other),
        })
    }
}
