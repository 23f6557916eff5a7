//! Report schedules, their runs and the runs' files.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lantern_core::reports::schedule::{NewSchedule, ReportRun, Schedule};
use lantern_core::{StoreError, StoreResult};
use sqlx::Row as _;

use super::This;
use crate::common::map_err;

fn decode_error(e: serde_json::Error) -> StoreError {
    map_err(sqlx::Error::Decode(e.into()))
}

#[async_trait]
impl lantern_core::store::ReportStore for This {
    #[tracing::instrument(skip_all)]
    async fn create_schedule(&self, schedule: &NewSchedule) -> StoreResult<i64> {
        let detail = serde_json::to_string(schedule).map_err(|e| StoreError::Backend(e.into()))?;
        sqlx::query_scalar(
            "INSERT INTO report_schedules (detail, created_at) VALUES ($1, $2) RETURNING id",
        )
        .bind(&detail)
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)
    }

    async fn schedules(&self) -> StoreResult<Vec<Schedule>> {
        let rows = sqlx::query("SELECT id, detail, created_at FROM report_schedules ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                let detail: String = r.try_get("detail").map_err(map_err)?;
                Ok(Schedule {
                    id: r.try_get("id").map_err(map_err)?,
                    schedule: serde_json::from_str(&detail).map_err(decode_error)?,
                    created_at: r.try_get("created_at").map_err(map_err)?,
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all)]
    async fn delete_schedule(&self, id: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query(
            "DELETE FROM report_files WHERE run_id IN (SELECT id FROM report_runs WHERE schedule_id = $1)",
        )
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        sqlx::query("DELETE FROM report_runs WHERE schedule_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let gone = sqlx::query("DELETE FROM report_schedules WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?
            .rows_affected();
        if gone == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await.map_err(map_err)
    }

    #[tracing::instrument(skip_all, fields(files = files.len()))]
    async fn save_run(
        &self,
        schedule_id: i64,
        period: &str,
        ran_at: DateTime<Utc>,
        title: &str,
        snapshot: &str,
        files: &[(&str, Vec<u8>)],
    ) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO report_runs (schedule_id, period, ran_at, title, snapshot) \
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(schedule_id)
        .bind(period)
        .bind(ran_at)
        .bind(title)
        .bind(snapshot)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(format!(
                "schedule {schedule_id} already has a run for {period}"
            )),
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::NotFound,
            other => map_err(other),
        })?;
        for (format, bytes) in files {
            sqlx::query("INSERT INTO report_files (run_id, format, bytes) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(*format)
                .bind(bytes.as_slice())
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(id)
    }

    async fn runs(&self, schedule_id: Option<i64>) -> StoreResult<Vec<ReportRun>> {
        let rows = sqlx::query(
            "SELECT r.id, r.schedule_id, r.period, r.ran_at, r.title, r.snapshot, f.format \
             FROM report_runs r LEFT JOIN report_files f ON f.run_id = r.id \
             WHERE CAST($1 AS BIGINT) IS NULL OR r.schedule_id = $1 \
             ORDER BY r.ran_at DESC, r.id DESC, f.format",
        )
        .bind(schedule_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let mut runs: Vec<ReportRun> = Vec::new();
        for r in &rows {
            let id: i64 = r.try_get("id").map_err(map_err)?;
            let format: Option<String> = r.try_get("format").map_err(map_err)?;
            if runs.last().is_none_or(|x| x.id != id) {
                runs.push(ReportRun {
                    id,
                    schedule_id: r.try_get("schedule_id").map_err(map_err)?,
                    period: r.try_get("period").map_err(map_err)?,
                    ran_at: r.try_get("ran_at").map_err(map_err)?,
                    title: r.try_get("title").map_err(map_err)?,
                    snapshot: r.try_get("snapshot").map_err(map_err)?,
                    formats: Vec::new(),
                });
            }
            if let (Some(run), Some(f)) = (runs.last_mut(), format) {
                run.formats.push(f);
            }
        }
        Ok(runs)
    }

    async fn run_file(&self, run_id: i64, format: &str) -> StoreResult<Vec<u8>> {
        sqlx::query_scalar("SELECT bytes FROM report_files WHERE run_id = $1 AND format = $2")
            .bind(run_id)
            .bind(format)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound)
    }
}
