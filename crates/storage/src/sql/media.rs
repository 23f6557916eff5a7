//! Media reports by reference.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::Utc;
use lantern_core::media::MediaReport;
use lantern_core::store::SummaryAudit;
use lantern_core::{ImportSummary, StoreResult};
use sqlx::{QueryBuilder, Row as _};

use super::{Db, Row, This};
use crate::common::{self, map_err};

const COLUMNS: &str = "reference, outlet, published, link, headline, area, record_id, \
     method_detail, location_detail, sensational_language, photo, helpline, follow_up";

fn decode(row: &Row) -> Result<MediaReport, sqlx::Error> {
    Ok(MediaReport {
        reference: row.try_get("reference")?,
        outlet: row.try_get("outlet")?,
        published: row.try_get("published")?,
        link: row.try_get("link")?,
        headline: row.try_get("headline")?,
        area: row.try_get("area")?,
        record_id: row.try_get("record_id")?,
        method_detail: row.try_get("method_detail")?,
        location_detail: row.try_get("location_detail")?,
        sensational_language: row.try_get("sensational_language")?,
        photo: row.try_get("photo")?,
        helpline: row.try_get("helpline")?,
        follow_up: row.try_get("follow_up")?,
    })
}

#[async_trait]
impl lantern_core::store::MediaStore for This {
    #[tracing::instrument(skip_all, fields(rows = rows.len()))]
    async fn upsert_media_reports(
        &self,
        rows: &[MediaReport],
        source: &str,
        dry_run: bool,
        audit: Option<SummaryAudit<'_>>,
    ) -> StoreResult<ImportSummary> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let existing: HashMap<String, MediaReport> = super::decoded(
            &mut *tx,
            &format!("SELECT {COLUMNS} FROM media_reports"),
            decode,
        )
        .await?
        .into_iter()
        .map(|r| (r.reference.clone(), r))
        .collect();
        let (summary, changed) = common::changes(rows, &existing, |r| r.reference.clone());
        let now = Utc::now();
        // 15 parameters a row, well under both databases' limits at 500 rows.
        for chunk in changed.chunks(500) {
            let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(format!(
                "INSERT INTO media_reports ({COLUMNS}, source, imported_at) "
            ));
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(&r.reference)
                    .push_bind(&r.outlet)
                    .push_bind(r.published)
                    .push_bind(&r.link)
                    .push_bind(&r.headline)
                    .push_bind(&r.area)
                    .push_bind(r.record_id)
                    .push_bind(r.method_detail)
                    .push_bind(r.location_detail)
                    .push_bind(r.sensational_language)
                    .push_bind(r.photo)
                    .push_bind(r.helpline)
                    .push_bind(&r.follow_up)
                    .push_bind(source)
                    .push_bind(now);
            });
            qb.push(
                " ON CONFLICT (reference) DO UPDATE SET outlet = excluded.outlet, \
                 published = excluded.published, link = excluded.link, \
                 headline = excluded.headline, area = excluded.area, \
                 record_id = excluded.record_id, method_detail = excluded.method_detail, \
                 location_detail = excluded.location_detail, \
                 sensational_language = excluded.sensational_language, photo = excluded.photo, \
                 helpline = excluded.helpline, follow_up = excluded.follow_up, \
                 source = excluded.source, imported_at = excluded.imported_at",
            );
            qb.build().execute(&mut *tx).await.map_err(map_err)?;
        }
        super::finish_upsert(tx, !changed.is_empty(), summary, audit, dry_run).await
    }

    #[tracing::instrument(skip_all)]
    async fn media_reports(&self) -> StoreResult<Vec<MediaReport>> {
        super::decoded(
            &self.pool,
            &format!("SELECT {COLUMNS} FROM media_reports ORDER BY published DESC, reference"),
            decode,
        )
        .await
    }
}
