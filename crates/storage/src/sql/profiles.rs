//! Mapping profiles saved under a name, and the list of sources.

use async_trait::async_trait;
use lantern_core::store::{SavedProfile, Source, Upload};
use lantern_core::{StoreError, StoreResult};
use sqlx::Row as _;

use super::{Row, This};
use crate::common::{self, map_err};

fn decode(r: &Row) -> Result<SavedProfile, sqlx::Error> {
    Ok(SavedProfile {
        name: r.try_get("name")?,
        dataset: r.try_get("dataset")?,
        toml: r.try_get("toml")?,
        saved_at: r.try_get("saved_at")?,
        saved_by: r.try_get("saved_by")?,
    })
}

const COLUMNS: &str = "SELECT name, dataset, toml, saved_at, saved_by FROM import_profiles";

#[async_trait]
impl lantern_core::store::ProfileStore for This {
    #[tracing::instrument(skip_all)]
    async fn save_profile(&self, p: &SavedProfile) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let existed = sqlx::query("SELECT 1 FROM import_profiles WHERE name = $1")
            .bind(&p.name)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .is_some();
        sqlx::query(
            "INSERT INTO import_profiles (name, dataset, toml, saved_at, saved_by) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (name) DO UPDATE SET dataset = excluded.dataset, toml = excluded.toml, \
             saved_at = excluded.saved_at, saved_by = excluded.saved_by",
        )
        .bind(&p.name)
        .bind(&p.dataset)
        .bind(&p.toml)
        .bind(p.saved_at)
        .bind(&p.saved_by)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(existed)
    }

    #[tracing::instrument(skip_all)]
    async fn profiles(&self) -> StoreResult<Vec<SavedProfile>> {
        let rows = sqlx::query(&format!("{COLUMNS} ORDER BY name"))
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(decode)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn profile(&self, name: &str) -> StoreResult<Option<SavedProfile>> {
        let row = sqlx::query(&format!("{COLUMNS} WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.as_ref().map(decode).transpose().map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn remove_profile(&self, name: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM import_profiles WHERE name = $1")
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() > 0)
    }

    #[tracing::instrument(skip_all)]
    async fn listed_sources(&self) -> StoreResult<Vec<Source>> {
        let rows = sqlx::query("SELECT name, label, added_at, added_by FROM sources ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(Source {
                    name: r.try_get("name")?,
                    label: r.try_get("label")?,
                    added_at: r.try_get("added_at")?,
                    added_by: r.try_get("added_by")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn add_source(&self, s: &Source) -> StoreResult<()> {
        let done = sqlx::query(
            "INSERT INTO sources (name, label, added_at, added_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(&s.name)
        .bind(&s.label)
        .bind(s.added_at)
        .bind(&s.added_by)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Conflict(format!(
                "the source {} is listed already",
                s.name
            )));
        }
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn rename_source(&self, old: &str, new: &str) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let taken = sqlx::query(
            "SELECT 1 FROM sources WHERE name = $1 \
             UNION ALL SELECT 1 FROM suspected_suicides WHERE source = $1 \
             UNION ALL SELECT 1 FROM self_harm_presentations WHERE source = $1 LIMIT 1",
        )
        .bind(new)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!(
                "{new} is a source already: records of two sources are not merged by a rename"
            )));
        }
        let listed = sqlx::query("UPDATE sources SET name = $1 WHERE name = $2")
            .bind(new)
            .bind(old)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        if listed.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let mut changed = 0;
        for table in ["suspected_suicides", "self_harm_presentations"] {
            changed += sqlx::query(&format!("UPDATE {table} SET source = $1 WHERE source = $2"))
                .bind(new)
                .bind(old)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?
                .rows_affected();
        }
        sqlx::query(common::BUMP_VERSION)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(changed)
    }

    #[tracing::instrument(skip_all)]
    async fn add_upload(&self, u: &Upload) -> StoreResult<i64> {
        let row = sqlx::query(
            "INSERT INTO import_uploads (uploaded_at, uploaded_by, dataset, file_name, profile, outcome, \
             inserted, updated, unchanged, problems) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(u.uploaded_at)
        .bind(&u.uploaded_by)
        .bind(&u.dataset)
        .bind(&u.file_name)
        .bind(&u.profile)
        .bind(&u.outcome)
        .bind(u.inserted)
        .bind(u.updated)
        .bind(u.unchanged)
        .bind(u.problems)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        row.try_get("id").map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn uploads(&self, by: Option<&str>, limit: i64) -> StoreResult<Vec<Upload>> {
        let rows = sqlx::query(
            "SELECT id, uploaded_at, uploaded_by, dataset, file_name, profile, outcome, inserted, \
             updated, unchanged, problems FROM import_uploads \
             WHERE (CAST($1 AS TEXT) IS NULL OR uploaded_by = $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(by)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(Upload {
                    id: r.try_get("id")?,
                    uploaded_at: r.try_get("uploaded_at")?,
                    uploaded_by: r.try_get("uploaded_by")?,
                    dataset: r.try_get("dataset")?,
                    file_name: r.try_get("file_name")?,
                    profile: r.try_get("profile")?,
                    outcome: r.try_get("outcome")?,
                    inserted: r.try_get("inserted")?,
                    updated: r.try_get("updated")?,
                    unchanged: r.try_get("unchanged")?,
                    problems: r.try_get("problems")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(map_err)
    }
}
