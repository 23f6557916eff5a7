//! Users and their sessions.

use async_trait::async_trait;
use chrono::Utc;
use lantern_core::{StoreError, StoreResult};
use sqlx::Row as _;

use super::{Row, This};
use crate::common::{self, map_err};

pub(super) fn decode_user(row: &Row) -> Result<lantern_core::auth::User, sqlx::Error> {
    let role: String = row.try_get("role")?;
    Ok(lantern_core::auth::User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        role: lantern_core::auth::Role::parse(&role).map_err(|e| sqlx::Error::Decode(e.into()))?,
        area: row.try_get("area_code")?,
        organisation: row.try_get("organisation")?,
        password_hash: row.try_get("password_hash")?,
        disabled: row.try_get("disabled")?,
        created_at: row.try_get("created_at")?,
        totp_secret: row.try_get("totp_secret")?,
    })
}

#[async_trait]
impl lantern_core::store::UserStore for This {
    #[tracing::instrument(skip_all)]
    async fn create_user(&self, u: &lantern_core::auth::NewUser) -> StoreResult<i64> {
        sqlx::query_scalar(
            "INSERT INTO users (username, role, area_code, organisation, password_hash, disabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(&u.username)
        .bind(u.role.as_str())
        .bind(&u.area)
        .bind(&u.organisation)
        .bind(&u.password_hash)
        .bind(false)
        .bind(Utc::now())
        .fetch_one(&self.pool)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(format!("a user called '{}' already exists", u.username))
            }
            other => map_err(other),
        })
    }

    #[tracing::instrument(skip_all)]
    async fn user(&self, username: &str) -> StoreResult<Option<lantern_core::auth::User>> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM users u WHERE username = $1",
            common::USER_COLUMNS
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        row.as_ref().map(decode_user).transpose().map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn users(&self) -> StoreResult<Vec<lantern_core::auth::User>> {
        let rows = sqlx::query(&format!(
            "SELECT {} FROM users u ORDER BY username",
            common::USER_COLUMNS
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(decode_user)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn update_user(
        &self,
        username: &str,
        c: &lantern_core::auth::UserChange,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound)?;
        sqlx::query(
            "UPDATE users SET role = COALESCE($1, role), password_hash = COALESCE($2, password_hash), \
             disabled = COALESCE($3, disabled), totp_secret = CASE WHEN $4 THEN $5 ELSE totp_secret END WHERE id = $6",
        )
        .bind(c.role.map(|r| r.as_str()))
        .bind(&c.password_hash)
        .bind(c.disabled)
        .bind(c.totp_secret.is_some())
        .bind(c.totp_secret.clone().flatten())
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn create_session(&self, s: &lantern_core::auth::Session) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, origin) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&s.token_hash)
        .bind(s.user_id)
        .bind(&s.csrf_token)
        .bind(s.created_at)
        .bind(s.last_seen_at)
        .bind(&s.origin)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn session(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<(lantern_core::auth::Session, lantern_core::auth::User)>> {
        let row = sqlx::query(&format!(
            "SELECT s.token_hash, s.user_id, s.csrf_token, s.created_at AS s_created_at, s.last_seen_at, s.origin, {} \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1",
            common::USER_COLUMNS
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        let Some(r) = row else { return Ok(None) };
        let decode = || -> Result<_, sqlx::Error> {
            let session = lantern_core::auth::Session {
                token_hash: r.try_get("token_hash")?,
                user_id: r.try_get("user_id")?,
                csrf_token: r.try_get("csrf_token")?,
                created_at: r.try_get("s_created_at")?,
                last_seen_at: r.try_get("last_seen_at")?,
                origin: r.try_get("origin")?,
            };
            Ok((session, decode_user(&r)?))
        };
        decode().map(Some).map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn touch_session(&self, token_hash: &str, at: chrono::DateTime<Utc>) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(at)
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
