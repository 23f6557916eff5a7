//! Action plans, their actions and progress updates.

use async_trait::async_trait;
use chrono::Utc;
use lantern_core::{StoreError, StoreResult};
use sqlx::Row as _;

use super::This;
use crate::common::map_err;

/// What an update holds beyond its words, status and RAG: the `detail` column's JSON.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct UpdateDetail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reading: Option<lantern_core::plans::Reading>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_change: Option<lantern_core::plans::DueChange>,
}

#[async_trait]
impl lantern_core::store::PlanStore for This {
    #[tracing::instrument(skip_all)]
    async fn import_plan(
        &self,
        plan: &lantern_core::plans::Plan,
        audit: Option<lantern_core::store::PlanAudit<'_>>,
    ) -> StoreResult<i64> {
        let mut outline = plan.clone();
        for sec in &mut outline.sections {
            sec.actions.clear();
        }
        let detail = serde_json::to_string(&outline).map_err(|e| StoreError::Backend(e.into()))?;
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO plans (title, detail, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(&plan.title)
        .bind(&detail)
        .bind(Utc::now())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(format!(
                "a plan called '{}' already exists; remove it first (lantern plans remove) or give another title (--title)",
                plan.title
            )),
            other => map_err(other),
        })?;
        for (position, (sec, action)) in plan.actions().enumerate() {
            let detail =
                serde_json::to_string(action).map_err(|e| StoreError::Backend(e.into()))?;
            sqlx::query(
                "INSERT INTO plan_actions (plan_id, position, section, number, detail, status, rag) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(position as i64)
            .bind(&sec.number)
            .bind(&action.number)
            .bind(&detail)
            .bind(&action.status)
            .bind(action.rag.map(|r| r.as_str()))
            .execute(&mut *tx)
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(db) if db.is_unique_violation() => {
                    StoreError::Conflict(format!("action {} appears twice", action.number))
                }
                other => map_err(other),
            })?;
        }
        if let Some(audit) = audit {
            This::append_audits_in(&mut tx, &[audit(id)]).await?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(id)
    }

    #[tracing::instrument(skip_all)]
    async fn plans(&self) -> StoreResult<Vec<lantern_core::plans::PlanSummary>> {
        let rows = sqlx::query(
            "SELECT p.id, p.title, p.detail, (SELECT COUNT(*) FROM plan_actions a WHERE a.plan_id = p.id) AS actions \
             FROM plans p ORDER BY p.title",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                let detail: String = r.try_get("detail")?;
                let plan: lantern_core::plans::Plan =
                    serde_json::from_str(&detail).map_err(|e| sqlx::Error::Decode(e.into()))?;
                Ok(lantern_core::plans::PlanSummary {
                    id: r.try_get("id")?,
                    title: r.try_get("title")?,
                    area: plan.area,
                    period: plan.period,
                    actions: r.try_get("actions")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn plan(&self, id: i64) -> StoreResult<lantern_core::plans::StoredPlan> {
        let row = sqlx::query("SELECT id, detail, created_at FROM plans WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound)?;
        let detail: String = row.try_get("detail").map_err(map_err)?;
        let mut plan: lantern_core::plans::Plan =
            serde_json::from_str(&detail).map_err(|e| StoreError::Backend(e.into()))?;
        let actions = sqlx::query(
            "SELECT id, section, number, detail, status, rag, due FROM plan_actions WHERE plan_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let mut action_ids = std::collections::BTreeMap::new();
        for r in &actions {
            let section: String = r.try_get("section").map_err(map_err)?;
            let detail: String = r.try_get("detail").map_err(map_err)?;
            let mut action: lantern_core::plans::Action =
                serde_json::from_str(&detail).map_err(|e| StoreError::Backend(e.into()))?;
            action.status = r.try_get("status").map_err(map_err)?;
            let rag: Option<String> = r.try_get("rag").map_err(map_err)?;
            action.rag = rag.as_deref().and_then(lantern_core::plans::Rag::parse);
            // A due date agreed in an update moves the imported one.
            let agreed: Option<chrono::NaiveDate> = r.try_get("due").map_err(map_err)?;
            if agreed.is_some() {
                action.due = agreed;
                action.agreed_due = agreed;
            }
            action_ids.insert(
                action.number.clone(),
                r.try_get::<i64, _>("id").map_err(map_err)?,
            );
            if let Some(sec) = plan.sections.iter_mut().find(|s| s.number == section) {
                sec.actions.push(action);
            }
        }
        Ok(lantern_core::plans::StoredPlan {
            id,
            created_at: row.try_get("created_at").map_err(map_err)?,
            plan,
            action_ids,
        })
    }

    #[tracing::instrument(skip_all)]
    async fn delete_plan(&self, id: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query("DELETE FROM action_updates WHERE action_id IN (SELECT id FROM plan_actions WHERE plan_id = $1)")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        sqlx::query("DELETE FROM plan_actions WHERE plan_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let done = sqlx::query("DELETE FROM plans WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await.map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn add_update(
        &self,
        action_id: i64,
        u: &lantern_core::plans::NewUpdate,
    ) -> StoreResult<i64> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let before: Option<String> = sqlx::query_scalar::<_, Option<String>>(
            "SELECT status FROM plan_actions WHERE id = $1",
        )
        .bind(action_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?
        .ok_or(StoreError::NotFound)?;
        let detail = UpdateDetail {
            reading: u.reading.clone(),
            due_change: u.due_change.clone(),
        };
        let detail = if detail.reading.is_none() && detail.due_change.is_none() {
            None
        } else {
            Some(serde_json::to_string(&detail).map_err(|e| StoreError::Backend(e.into()))?)
        };
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO action_updates (action_id, at, author, body, status_before, status, rag, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(action_id)
        .bind(u.at)
        .bind(&u.author)
        .bind(&u.text)
        .bind(&before)
        .bind(&u.status)
        .bind(u.rag.map(|r| r.as_str()))
        .bind(&detail)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        let agreed = u.due_change.as_ref().filter(|d| d.agreed).map(|d| d.due);
        sqlx::query(
            "UPDATE plan_actions SET status = COALESCE($1, status), rag = COALESCE($2, rag), \
             due = COALESCE($3, due) WHERE id = $4",
        )
        .bind(&u.status)
        .bind(u.rag.map(|r| r.as_str()))
        .bind(agreed)
        .bind(action_id)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(id)
    }

    #[tracing::instrument(skip_all)]
    async fn plan_updates(&self, plan_id: i64) -> StoreResult<Vec<lantern_core::plans::Update>> {
        let rows = sqlx::query(
            "SELECT u.id, u.action_id, u.at, u.author, u.body, u.status_before, u.status, u.rag, u.detail \
             FROM action_updates u JOIN plan_actions a ON a.id = u.action_id \
             WHERE a.plan_id = $1 ORDER BY u.at, u.id",
        )
        .bind(plan_id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                let rag: Option<String> = r.try_get("rag")?;
                let detail: Option<String> = r.try_get("detail")?;
                let detail: UpdateDetail = match detail {
                    Some(d) => {
                        serde_json::from_str(&d).map_err(|e| sqlx::Error::Decode(e.into()))?
                    }
                    None => UpdateDetail::default(),
                };
                Ok(lantern_core::plans::Update {
                    id: r.try_get("id")?,
                    action_id: r.try_get("action_id")?,
                    status_before: r.try_get("status_before")?,
                    update: lantern_core::plans::NewUpdate {
                        at: r.try_get("at")?,
                        author: r.try_get("author")?,
                        text: r.try_get("body")?,
                        status: r.try_get("status")?,
                        rag: rag.as_deref().and_then(lantern_core::plans::Rag::parse),
                        reading: detail.reading,
                        due_change: detail.due_change,
                    },
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(map_err)
    }
}
