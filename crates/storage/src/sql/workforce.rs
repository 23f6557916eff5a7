//! Organisations with their roles, and training by session and organisation.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use lantern_core::store::SummaryAudit;
use lantern_core::workforce::{Organisation, Role, Training};
use lantern_core::{ImportSummary, StoreResult};
use sqlx::{QueryBuilder, Row as _};

use super::{Db, Row, This};
use crate::common::{self, map_err};

const ORG_COLUMNS: &str = "reference, name, sector, org_type, area, size, roles";

const TRAINING_COLUMNS: &str = "reference, organisation, day, course, provider, area, sector, \
     delegates, evaluations, confidence_before, confidence_after, satisfaction";

/// Roles as stored: `role|from|to` items separated by `;` (`to` empty while held).
fn encode_roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| {
            format!(
                "{}|{}|{}",
                r.role,
                r.from,
                r.to.map(|t| t.to_string()).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(";")
}

fn decode_roles(s: &str) -> Result<Vec<Role>, sqlx::Error> {
    let bad = || sqlx::Error::Decode(format!("a stored role '{s}' is not role|from|to").into());
    let day = |t: &str| t.parse::<NaiveDate>().map_err(|_| bad());
    s.split(';')
        .filter(|x| !x.is_empty())
        .map(|item| {
            let mut parts = item.split('|');
            let (Some(role), Some(from), Some(to)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(bad());
            };
            Ok(Role {
                role: role.to_owned(),
                from: day(from)?,
                to: if to.is_empty() { None } else { Some(day(to)?) },
            })
        })
        .collect()
}

fn unsigned(v: Option<i32>) -> Option<u32> {
    v.and_then(|a| u32::try_from(a).ok())
}

fn signed(v: Option<u32>) -> Option<i32> {
    v.and_then(|a| i32::try_from(a).ok())
}

fn decode_org(row: &Row) -> Result<Organisation, sqlx::Error> {
    Ok(Organisation {
        reference: row.try_get("reference")?,
        name: row.try_get("name")?,
        sector: row.try_get("sector")?,
        org_type: row.try_get("org_type")?,
        area: row.try_get("area")?,
        size: unsigned(row.try_get("size")?),
        roles: decode_roles(&row.try_get::<String, _>("roles")?)?,
    })
}

fn decode_training(row: &Row) -> Result<Training, sqlx::Error> {
    let organisation: String = row.try_get("organisation")?;
    Ok(Training {
        reference: row.try_get("reference")?,
        date: row.try_get("day")?,
        course: row.try_get("course")?,
        provider: row.try_get("provider")?,
        area: row.try_get("area")?,
        organisation: (!organisation.is_empty()).then_some(organisation),
        sector: row.try_get("sector")?,
        delegates: unsigned(row.try_get("delegates")?).unwrap_or(0),
        evaluations: unsigned(row.try_get("evaluations")?),
        confidence_before: row.try_get("confidence_before")?,
        confidence_after: row.try_get("confidence_after")?,
        satisfaction: row.try_get("satisfaction")?,
    })
}

#[async_trait]
impl lantern_core::store::WorkforceStore for This {
    #[tracing::instrument(skip_all, fields(rows = rows.len()))]
    async fn upsert_organisations(
        &self,
        rows: &[Organisation],
        source: &str,
        dry_run: bool,
        audit: Option<SummaryAudit<'_>>,
    ) -> StoreResult<ImportSummary> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let existing: HashMap<String, Organisation> = super::decoded(
            &mut *tx,
            &format!("SELECT {ORG_COLUMNS} FROM organisations"),
            decode_org,
        )
        .await?
        .into_iter()
        .map(|o| (o.reference.clone(), o))
        .collect();
        let (summary, changed) = common::changes(rows, &existing, |o| o.reference.clone());
        let now = Utc::now();
        for chunk in changed.chunks(500) {
            let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(format!(
                "INSERT INTO organisations ({ORG_COLUMNS}, source, imported_at) "
            ));
            qb.push_values(chunk, |mut b, o| {
                b.push_bind(&o.reference)
                    .push_bind(&o.name)
                    .push_bind(&o.sector)
                    .push_bind(&o.org_type)
                    .push_bind(&o.area)
                    .push_bind(signed(o.size))
                    .push_bind(encode_roles(&o.roles))
                    .push_bind(source)
                    .push_bind(now);
            });
            qb.push(
                " ON CONFLICT (reference) DO UPDATE SET name = excluded.name, \
                 sector = excluded.sector, org_type = excluded.org_type, area = excluded.area, \
                 size = excluded.size, roles = excluded.roles, source = excluded.source, \
                 imported_at = excluded.imported_at",
            );
            qb.build().execute(&mut *tx).await.map_err(map_err)?;
        }
        super::finish_upsert(tx, !changed.is_empty(), summary, audit, dry_run).await
    }

    #[tracing::instrument(skip_all)]
    async fn organisations(&self) -> StoreResult<Vec<Organisation>> {
        super::decoded(
            &self.pool,
            &format!("SELECT {ORG_COLUMNS} FROM organisations ORDER BY lower(name), reference"),
            decode_org,
        )
        .await
    }

    #[tracing::instrument(skip_all, fields(rows = rows.len()))]
    async fn upsert_training(
        &self,
        rows: &[Training],
        source: &str,
        dry_run: bool,
        audit: Option<SummaryAudit<'_>>,
    ) -> StoreResult<ImportSummary> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let existing: HashMap<(String, String), Training> = super::decoded(
            &mut *tx,
            &format!("SELECT {TRAINING_COLUMNS} FROM training"),
            decode_training,
        )
        .await?
        .into_iter()
        .map(|t| (t.key(), t))
        .collect();
        // The rows held for the file's sessions that the file no longer has.
        let sessions: HashSet<&str> = rows.iter().map(|t| t.reference.as_str()).collect();
        let keys: HashSet<(String, String)> = rows.iter().map(Training::key).collect();
        let gone: Vec<&(String, String)> = existing
            .keys()
            .filter(|k| sessions.contains(k.0.as_str()) && !keys.contains(*k))
            .collect();
        let (mut summary, changed) = common::changes(rows, &existing, Training::key);
        // An organisation's row dropped from a session: the session changed.
        summary.updated += gone.len() as u64;
        for (reference, organisation) in &gone {
            sqlx::query("DELETE FROM training WHERE reference = $1 AND organisation = $2")
                .bind(reference)
                .bind(organisation)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        let now = Utc::now();
        // 14 parameters a row, well under both databases' limits at 500 rows.
        for chunk in changed.chunks(500) {
            let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(format!(
                "INSERT INTO training ({TRAINING_COLUMNS}, source, imported_at) "
            ));
            qb.push_values(chunk, |mut b, t| {
                b.push_bind(&t.reference)
                    .push_bind(t.organisation.clone().unwrap_or_default())
                    .push_bind(t.date)
                    .push_bind(&t.course)
                    .push_bind(&t.provider)
                    .push_bind(&t.area)
                    .push_bind(&t.sector)
                    .push_bind(signed(Some(t.delegates)))
                    .push_bind(signed(t.evaluations))
                    .push_bind(t.confidence_before)
                    .push_bind(t.confidence_after)
                    .push_bind(t.satisfaction)
                    .push_bind(source)
                    .push_bind(now);
            });
            qb.push(
                " ON CONFLICT (reference, organisation) DO UPDATE SET day = excluded.day, \
                 course = excluded.course, provider = excluded.provider, area = excluded.area, \
                 sector = excluded.sector, delegates = excluded.delegates, \
                 evaluations = excluded.evaluations, \
                 confidence_before = excluded.confidence_before, \
                 confidence_after = excluded.confidence_after, \
                 satisfaction = excluded.satisfaction, source = excluded.source, \
                 imported_at = excluded.imported_at",
            );
            qb.build().execute(&mut *tx).await.map_err(map_err)?;
        }
        let any = !changed.is_empty() || !gone.is_empty();
        super::finish_upsert(tx, any, summary, audit, dry_run).await
    }

    #[tracing::instrument(skip_all)]
    async fn training(&self) -> StoreResult<Vec<Training>> {
        super::decoded(
            &self.pool,
            &format!(
                "SELECT {TRAINING_COLUMNS} FROM training ORDER BY day, reference, organisation"
            ),
            decode_training,
        )
        .await
    }
}
