//! Benchmarks: published figures to compare with, keyed by indicator, area, sex, age and period.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::Utc;
use lantern_core::benchmarks::Benchmark;
use lantern_core::store::SummaryAudit;
use lantern_core::{ImportSummary, StoreResult};
use sqlx::{QueryBuilder, Row as _};

use super::{Db, Row, This};
use crate::common::{self, map_err};

/// The columns [`decode`] reads, in table order.
const COLUMNS: &str = "indicator, indicator_name, area_code, area_name, area_type, sex, age, period, \
     value, lower95, upper95, lower998, upper998, count, denominator";

fn decode(row: &Row) -> Result<Benchmark, sqlx::Error> {
    Ok(Benchmark {
        indicator: row.try_get("indicator")?,
        indicator_name: row.try_get("indicator_name")?,
        area_code: row.try_get("area_code")?,
        area_name: row.try_get("area_name")?,
        area_type: row.try_get("area_type")?,
        sex: row.try_get("sex")?,
        age: row.try_get("age")?,
        period: row.try_get("period")?,
        value: row.try_get("value")?,
        lower95: row.try_get("lower95")?,
        upper95: row.try_get("upper95")?,
        lower998: row.try_get("lower998")?,
        upper998: row.try_get("upper998")?,
        count: row.try_get("count")?,
        denominator: row.try_get("denominator")?,
    })
}

type Key = (String, String, String, String, String);

fn key_of(b: &Benchmark) -> Key {
    let (i, a, s, g, p) = b.key();
    (
        i.to_owned(),
        a.to_owned(),
        s.to_owned(),
        g.to_owned(),
        p.to_owned(),
    )
}

#[async_trait]
impl lantern_core::store::BenchmarkStore for This {
    #[tracing::instrument(skip_all, fields(rows = rows.len()))]
    async fn upsert_benchmarks(
        &self,
        rows: &[Benchmark],
        source: &str,
        dry_run: bool,
        audit: Option<SummaryAudit<'_>>,
    ) -> StoreResult<ImportSummary> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let mut existing: HashMap<Key, Benchmark> = HashMap::new();
        let mut indicators: Vec<&str> = rows.iter().map(|r| r.indicator.as_str()).collect();
        indicators.sort_unstable();
        indicators.dedup();
        // The stored figures of the file's indicators, a few hundred indicators a query.
        for chunk in indicators.chunks(500) {
            let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(format!(
                "SELECT {COLUMNS} FROM benchmarks WHERE indicator IN ("
            ));
            let mut list = qb.separated(", ");
            for indicator in chunk {
                list.push_bind(*indicator);
            }
            qb.push(")");
            let stored = qb.build().fetch_all(&mut *tx).await.map_err(map_err)?;
            for row in &stored {
                let b = decode(row).map_err(map_err)?;
                existing.insert(key_of(&b), b);
            }
        }
        let (summary, changed) = common::changes(rows, &existing, key_of);
        let now = Utc::now();
        // 17 parameters a row, well under both databases' limits at 1,000 rows.
        for chunk in changed.chunks(1_000) {
            let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(format!(
                "INSERT INTO benchmarks ({COLUMNS}, source, imported_at) "
            ));
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(&r.indicator)
                    .push_bind(&r.indicator_name)
                    .push_bind(&r.area_code)
                    .push_bind(&r.area_name)
                    .push_bind(&r.area_type)
                    .push_bind(&r.sex)
                    .push_bind(&r.age)
                    .push_bind(&r.period)
                    .push_bind(r.value)
                    .push_bind(r.lower95)
                    .push_bind(r.upper95)
                    .push_bind(r.lower998)
                    .push_bind(r.upper998)
                    .push_bind(r.count)
                    .push_bind(r.denominator)
                    .push_bind(source)
                    .push_bind(now);
            });
            qb.push(
                " ON CONFLICT (indicator, area_code, sex, age, period) DO UPDATE SET \
                 indicator_name = excluded.indicator_name, area_name = excluded.area_name, \
                 area_type = excluded.area_type, value = excluded.value, \
                 lower95 = excluded.lower95, upper95 = excluded.upper95, \
                 lower998 = excluded.lower998, upper998 = excluded.upper998, \
                 count = excluded.count, denominator = excluded.denominator, \
                 source = excluded.source, imported_at = excluded.imported_at",
            );
            qb.build().execute(&mut *tx).await.map_err(map_err)?;
        }
        // Caches of what rests on these rows (comparisons, the public directory) go stale.
        super::finish_upsert(tx, !changed.is_empty(), summary, audit, dry_run).await
    }

    #[tracing::instrument(skip_all)]
    async fn benchmarks(&self, indicator: Option<&str>) -> StoreResult<Vec<Benchmark>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM benchmarks WHERE ($1 IS NULL OR indicator = $1) \
             ORDER BY indicator, area_code, sex, age, period"
        ))
        .bind(indicator)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(decode)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }
}
