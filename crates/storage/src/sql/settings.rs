//! Settings: small named values.

use async_trait::async_trait;
use lantern_core::{StoreError, StoreResult};
use sqlx::Row as _;

use super::This;
use crate::common::{self, map_err};

#[async_trait]
impl lantern_core::store::SettingsStore for This {
    #[tracing::instrument(skip_all)]
    async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        row.map(|r| r.try_get("value")).transpose().map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn setting_or_insert(&self, key: &str, value: &str) -> StoreResult<String> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(value)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        self.setting(key).await?.ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(skip_all)]
    async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()> {
        sqlx::query(common::UPSERT_SETTING)
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
