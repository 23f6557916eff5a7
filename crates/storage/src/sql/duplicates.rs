//! The review queue of possible duplicates: one death reported by several sources.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::NaiveDate;
use lantern_core::register::SUICIDES;
use lantern_core::store::{DUPLICATE_DAYS, DUPLICATE_YEARS, PossibleDuplicate, RegisterStore as _};
use lantern_core::{StoreError, StoreResult};
use sqlx::Row as _;

use super::This;
use crate::common::{self, map_err};

/// Records of the second of a pair confirmed the same, which the indicators do not count.
pub(super) fn not_duplicates(table: &str) -> String {
    format!(
        "{table} WHERE id NOT IN (SELECT second_id FROM possible_duplicates \
         WHERE dataset = '{table}' AND status = 'same')"
    )
}

#[async_trait]
impl lantern_core::store::DuplicateStore for This {
    #[tracing::instrument(skip_all)]
    async fn find_duplicates(&self) -> StoreResult<u64> {
        let table = SUICIDES.table;
        let rows = sqlx::query(&format!(
            "SELECT id, source, CAST(date_of_death AS TEXT) AS d, age, sex, residence_area FROM {table}"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        // Grouped by sex and area, then compared within a group by date.
        let mut groups: HashMap<(String, String), Vec<(NaiveDate, i64, i64, String)>> =
            HashMap::new();
        for r in &rows {
            let d: String = r.try_get("d").map_err(map_err)?;
            let Ok(date) = NaiveDate::parse_from_str(d.get(..10).unwrap_or(""), "%Y-%m-%d") else {
                continue;
            };
            let age: i64 = r.try_get("age").map_err(map_err)?;
            groups
                .entry((
                    r.try_get("sex").map_err(map_err)?,
                    r.try_get("residence_area").map_err(map_err)?,
                ))
                .or_default()
                .push((
                    date,
                    age,
                    r.try_get("id").map_err(map_err)?,
                    r.try_get("source").map_err(map_err)?,
                ));
        }
        let mut pairs = Vec::new();
        for list in groups.values_mut() {
            list.sort();
            for (i, a) in list.iter().enumerate() {
                for b in &list[i + 1..] {
                    if (b.0 - a.0).num_days() > DUPLICATE_DAYS {
                        break;
                    }
                    if a.3 != b.3 && (a.1 - b.1).abs() <= DUPLICATE_YEARS {
                        pairs.push((a.2.min(b.2), a.2.max(b.2)));
                    }
                }
            }
        }
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let mut queued = 0;
        let now = chrono::Utc::now();
        for (first, second) in pairs {
            queued += sqlx::query(
                "INSERT INTO possible_duplicates (dataset, first_id, second_id, found_at, status) \
                 VALUES ($1, $2, $3, $4, 'open') ON CONFLICT (dataset, first_id, second_id) DO NOTHING",
            )
            .bind(table)
            .bind(first)
            .bind(second)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?
            .rows_affected();
        }
        tx.commit().await.map_err(map_err)?;
        Ok(queued)
    }

    #[tracing::instrument(skip_all)]
    async fn duplicates(&self, status: Option<&str>) -> StoreResult<Vec<PossibleDuplicate>> {
        let rows = sqlx::query(
            "SELECT id, first_id, second_id, status, decided_by FROM possible_duplicates \
             WHERE dataset = $1 AND (CAST($2 AS TEXT) IS NULL OR status = $2) ORDER BY id",
        )
        .bind(SUICIDES.table)
        .bind(status)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let first: i64 = r.try_get("first_id").map_err(map_err)?;
            let second: i64 = r.try_get("second_id").map_err(map_err)?;
            // A record deleted since (retention) takes its pair with it from the list.
            let (Ok(first), Ok(second)) = (
                self.record(&SUICIDES, first).await,
                self.record(&SUICIDES, second).await,
            ) else {
                continue;
            };
            out.push(PossibleDuplicate {
                id: r.try_get("id").map_err(map_err)?,
                first,
                second,
                status: r.try_get("status").map_err(map_err)?,
                decided_by: r.try_get("decided_by").map_err(map_err)?,
            });
        }
        Ok(out)
    }

    #[tracing::instrument(skip_all)]
    async fn decide_duplicate(&self, id: i64, status: &str, by: &str) -> StoreResult<()> {
        if !matches!(status, "open" | "same" | "distinct") {
            return Err(StoreError::Conflict(format!(
                "'{status}' is not a decision: same, distinct or open"
            )));
        }
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let (decided_by, decided_at) = if status == "open" {
            (None, None)
        } else {
            (Some(by), Some(chrono::Utc::now()))
        };
        let done = sqlx::query(
            "UPDATE possible_duplicates SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4",
        )
        .bind(status)
        .bind(decided_by)
        .bind(decided_at)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        // What the indicators count has changed.
        sqlx::query(common::BUMP_VERSION)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }
}
