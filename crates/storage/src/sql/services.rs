//! The support directory: services by reference.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{NaiveDate, Utc};
use lantern_core::audit::NewAuditEntry;
use lantern_core::store::SummaryAudit;
use lantern_core::support::{Access, Service};
use lantern_core::{ImportSummary, StoreResult};
use sqlx::{QueryBuilder, Row as _};

use super::{Db, Row, This};
use crate::common::{self, map_err};

/// The columns [`decode`] reads, in table order.
const COLUMNS: &str = "reference, name, organisation, needs, areas, age_min, age_max, access, \
     how_to_access, phone, email, website, hours, description, last_verified";

fn list(s: &str) -> Vec<String> {
    s.split(';')
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

fn age(v: Option<i32>) -> Option<u32> {
    v.and_then(|a| u32::try_from(a).ok())
}

fn decode(row: &Row) -> Result<Service, sqlx::Error> {
    let access: String = row.try_get("access")?;
    Ok(Service {
        reference: row.try_get("reference")?,
        name: row.try_get("name")?,
        organisation: row.try_get("organisation")?,
        needs: list(&row.try_get::<String, _>("needs")?),
        areas: list(&row.try_get::<String, _>("areas")?),
        age_min: age(row.try_get("age_min")?),
        age_max: age(row.try_get("age_max")?),
        access: Access::parse(&access).map_err(|e| sqlx::Error::Decode(e.into()))?,
        how_to_access: row.try_get("how_to_access")?,
        phone: row.try_get("phone")?,
        email: row.try_get("email")?,
        website: row.try_get("website")?,
        hours: row.try_get("hours")?,
        description: row.try_get("description")?,
        last_verified: row.try_get("last_verified")?,
    })
}

fn int(v: Option<u32>) -> Option<i32> {
    v.and_then(|a| i32::try_from(a).ok())
}

#[async_trait]
impl lantern_core::store::ServiceStore for This {
    #[tracing::instrument(skip_all, fields(rows = rows.len()))]
    async fn upsert_services(
        &self,
        rows: &[Service],
        source: &str,
        dry_run: bool,
        audit: Option<SummaryAudit<'_>>,
    ) -> StoreResult<ImportSummary> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let existing: HashMap<String, Service> =
            super::decoded(&mut *tx, &format!("SELECT {COLUMNS} FROM services"), decode)
                .await?
                .into_iter()
                .map(|s| (s.reference.clone(), s))
                .collect();
        let (summary, changed) = common::changes(rows, &existing, |s| s.reference.clone());
        let now = Utc::now();
        // 17 parameters a row, well under both databases' limits at 500 rows.
        for chunk in changed.chunks(500) {
            let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(format!(
                "INSERT INTO services ({COLUMNS}, source, imported_at) "
            ));
            qb.push_values(chunk, |mut b, s| {
                b.push_bind(&s.reference)
                    .push_bind(&s.name)
                    .push_bind(&s.organisation)
                    .push_bind(s.needs.join(";"))
                    .push_bind(s.areas.join(";"))
                    .push_bind(int(s.age_min))
                    .push_bind(int(s.age_max))
                    .push_bind(s.access.as_str())
                    .push_bind(&s.how_to_access)
                    .push_bind(&s.phone)
                    .push_bind(&s.email)
                    .push_bind(&s.website)
                    .push_bind(&s.hours)
                    .push_bind(&s.description)
                    .push_bind(s.last_verified)
                    .push_bind(source)
                    .push_bind(now);
            });
            qb.push(
                " ON CONFLICT (reference) DO UPDATE SET name = excluded.name, \
                 organisation = excluded.organisation, needs = excluded.needs, \
                 areas = excluded.areas, age_min = excluded.age_min, age_max = excluded.age_max, \
                 access = excluded.access, how_to_access = excluded.how_to_access, \
                 phone = excluded.phone, email = excluded.email, website = excluded.website, \
                 hours = excluded.hours, description = excluded.description, \
                 last_verified = excluded.last_verified, source = excluded.source, \
                 imported_at = excluded.imported_at",
            );
            qb.build().execute(&mut *tx).await.map_err(map_err)?;
        }
        // Caches of what rests on these rows (comparisons, the public directory) go stale.
        super::finish_upsert(tx, !changed.is_empty(), summary, audit, dry_run).await
    }

    #[tracing::instrument(skip_all)]
    async fn services(&self) -> StoreResult<Vec<Service>> {
        super::decoded(
            &self.pool,
            &format!("SELECT {COLUMNS} FROM services ORDER BY lower(name), reference"),
            decode,
        )
        .await
    }

    #[tracing::instrument(skip_all)]
    async fn verify_service(
        &self,
        reference: &str,
        day: NaiveDate,
        audit: NewAuditEntry,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let done = sqlx::query("UPDATE services SET last_verified = $1 WHERE reference = $2")
            .bind(day)
            .bind(reference)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?
            .rows_affected()
            > 0;
        if done {
            sqlx::query(common::BUMP_VERSION)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            This::append_audits_in(&mut tx, &[audit]).await?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(done)
    }
}
