//! Areas and populations: the geography, its boundaries and its denominators.

use std::collections::{BTreeSet, HashMap, HashSet};

use async_trait::async_trait;
use lantern_core::area::{Area, AreaLevel, AreaSummary, PopSex, PopulationRow, parse_age_band};
use lantern_core::import::Postcode;
use lantern_core::store::SettingsStore as _;
use lantern_core::{ImportSummary, StoreError, StoreResult};
use sqlx::{QueryBuilder, Row as _};

use super::{Db, Row, This, finish};
use crate::common::{self, map_err};

fn decode_postcode(row: &Row) -> Result<Postcode, sqlx::Error> {
    Ok(Postcode {
        key: row.try_get("postcode_key")?,
        area_code: row.try_get("area_code")?,
        lat: row.try_get("lat")?,
        lon: row.try_get("lon")?,
        terminated: row.try_get("terminated")?,
        district: row
            .try_get::<Option<String>, _>("district")?
            .unwrap_or_default(),
    })
}

pub(super) fn decode_area(row: &Row) -> Result<Area, sqlx::Error> {
    let level: String = row.try_get("level")?;
    Ok(Area {
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        level: AreaLevel::parse(&level).map_err(|e| sqlx::Error::Decode(e.into()))?,
        parent_code: row.try_get("parent_code")?,
        boundary: row.try_get("boundary")?,
    })
}

#[async_trait]
impl lantern_core::store::AreaStore for This {
    #[tracing::instrument(skip_all)]
    async fn upsert_areas(&self, areas: &[Area], dry_run: bool) -> StoreResult<ImportSummary> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query(common::BUMP_VERSION)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let rows = sqlx::query("SELECT code, name, level, parent_code, boundary FROM areas")
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?;
        let existing: HashMap<String, Area> = rows
            .iter()
            .map(decode_area)
            .map(|a| a.map(|a| (a.code.clone(), a)))
            .collect::<Result<_, _>>()
            .map_err(map_err)?;
        let mut summary = ImportSummary::default();
        for area in areas {
            let merged = match existing.get(&area.code) {
                Some(old) => Area {
                    parent_code: area.parent_code.clone().or_else(|| old.parent_code.clone()),
                    boundary: area.boundary.clone().or_else(|| old.boundary.clone()),
                    ..area.clone()
                },
                None => area.clone(),
            };
            match existing.get(&area.code) {
                Some(old) if *old == merged => {
                    summary.unchanged += 1;
                    continue;
                }
                Some(_) => summary.updated += 1,
                None => summary.inserted += 1,
            }
            sqlx::query(
                "INSERT INTO areas (code, name, level, parent_code, boundary) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, \
                 parent_code = excluded.parent_code, boundary = excluded.boundary",
            )
            .bind(&merged.code)
            .bind(&merged.name)
            .bind(merged.level.as_str())
            .bind(&merged.parent_code)
            .bind(&merged.boundary)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        finish(tx, dry_run).await?;
        Ok(summary)
    }

    #[tracing::instrument(skip_all)]
    async fn set_area_parents(
        &self,
        links: &[(String, String)],
        dry_run: bool,
    ) -> StoreResult<ImportSummary> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query(common::BUMP_VERSION)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let rows = sqlx::query("SELECT code, parent_code FROM areas")
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?;
        let mut current: HashMap<String, Option<String>> = HashMap::new();
        for row in &rows {
            current.insert(
                row.try_get("code").map_err(map_err)?,
                row.try_get("parent_code").map_err(map_err)?,
            );
        }
        let mut summary = ImportSummary::default();
        for (child, parent) in links {
            match current.get(child) {
                None => return Err(StoreError::Conflict(format!("{child} is not a known area"))),
                Some(_) if !current.contains_key(parent) => {
                    return Err(StoreError::Conflict(format!(
                        "{parent} is not a known area"
                    )));
                }
                Some(Some(p)) if p == parent => summary.unchanged += 1,
                Some(_) => {
                    sqlx::query("UPDATE areas SET parent_code = $1 WHERE code = $2")
                        .bind(parent)
                        .bind(child)
                        .execute(&mut *tx)
                        .await
                        .map_err(map_err)?;
                    current.insert(child.clone(), Some(parent.clone()));
                    summary.updated += 1;
                }
            }
        }
        finish(tx, dry_run).await?;
        Ok(summary)
    }

    #[tracing::instrument(skip_all)]
    async fn areas(&self, level: Option<AreaLevel>) -> StoreResult<Vec<Area>> {
        // Every register page names areas: cached until areas (or anything) change.
        let version = self
            .setting(common::VERSION_SETTING)
            .await?
            .unwrap_or_default();
        let key = format!("{level:?}");
        if let Some(list) = self.caches.areas.get(&key, &version) {
            return Ok(list);
        }
        let rows = match level {
            Some(l) => sqlx::query("SELECT code, name, level, parent_code, CAST(NULL AS TEXT) AS boundary FROM areas WHERE level = $1 ORDER BY code")
                .bind(l.as_str())
                .fetch_all(&self.pool)
                .await,
            None => sqlx::query("SELECT code, name, level, parent_code, CAST(NULL AS TEXT) AS boundary FROM areas ORDER BY code")
                .fetch_all(&self.pool)
                .await,
        }
        .map_err(map_err)?;
        let mut areas: Vec<Area> = rows
            .iter()
            .map(decode_area)
            .collect::<Result<_, _>>()
            .map_err(map_err)?;
        areas.sort_by(|a, b| b.level.cmp(&a.level).then_with(|| a.code.cmp(&b.code)));
        self.caches.areas.put(key, version, areas.clone());
        Ok(areas)
    }

    #[tracing::instrument(skip_all)]
    async fn area_boundaries(&self, level: AreaLevel) -> StoreResult<Vec<Area>> {
        let rows = sqlx::query("SELECT code, name, level, parent_code, boundary FROM areas WHERE level = $1 ORDER BY code")
            .bind(level.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(decode_area)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn area(&self, code: &str) -> StoreResult<Area> {
        let row = sqlx::query(
            "SELECT code, name, level, parent_code, boundary FROM areas WHERE code = $1",
        )
        .bind(code)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        decode_area(&row).map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn area_codes(&self) -> StoreResult<HashSet<String>> {
        let rows = sqlx::query("SELECT code FROM areas")
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("code"))
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn area_summaries(&self, level: Option<AreaLevel>) -> StoreResult<Vec<AreaSummary>> {
        let all = self.areas(None).await?;
        let mut children: HashMap<&str, i64> = HashMap::new();
        for a in &all {
            if let Some(p) = &a.parent_code {
                *children.entry(p.as_str()).or_default() += 1;
            }
        }
        let rows = sqlx::query(
            "SELECT area_code, year, CAST(SUM(population) AS BIGINT) AS total FROM populations \
             WHERE sex = 'persons' GROUP BY area_code, year",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let mut latest: HashMap<String, (i32, i64)> = HashMap::new();
        for row in &rows {
            let code: String = row.try_get("area_code").map_err(map_err)?;
            let year: i32 = row.try_get("year").map_err(map_err)?;
            let total: i64 = row.try_get("total").map_err(map_err)?;
            let e = latest.entry(code).or_insert((year, total));
            if year > e.0 {
                *e = (year, total);
            }
        }
        Ok(all
            .iter()
            .filter(|a| level.is_none_or(|l| a.level == l))
            .map(|a| AreaSummary {
                area: a.clone(),
                population_year: latest.get(&a.code).map(|p| p.0),
                population: latest.get(&a.code).map(|p| p.1),
                children: children.get(a.code.as_str()).copied().unwrap_or(0),
            })
            .collect())
    }

    #[tracing::instrument(skip_all)]
    async fn area_contains(&self, ancestor: &str, code: &str) -> StoreResult<bool> {
        // No fixed abode and outside the partnership's areas lie in the whole partnership: its
        // one top area, when it has one.
        if lantern_core::area::residence_other(code).is_some() {
            let tops: Vec<String> =
                sqlx::query_scalar("SELECT code FROM areas WHERE parent_code IS NULL LIMIT 2")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err)?;
            return Ok(tops == [ancestor]);
        }
        let found: Option<i32> = sqlx::query_scalar(
            "WITH RECURSIVE u(code) AS (SELECT CAST($1 AS TEXT) UNION SELECT a.parent_code FROM areas a JOIN u ON a.code = u.code WHERE a.parent_code IS NOT NULL) \
             SELECT 1 FROM u WHERE code = $2",
        )
        .bind(code)
        .bind(ancestor)
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(found.is_some())
    }

    #[tracing::instrument(skip_all)]
    async fn upsert_populations(
        &self,
        rows: &[PopulationRow],
        dry_run: bool,
    ) -> StoreResult<ImportSummary> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query(common::BUMP_VERSION)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let years: BTreeSet<i32> = rows.iter().map(|r| r.year).collect();
        let mut existing: HashMap<(String, i32, String, String), i64> = HashMap::new();
        for year in years {
            let found = sqlx::query(
                "SELECT area_code, sex, age_band, population FROM populations WHERE year = $1",
            )
            .bind(year)
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?;
            for r in &found {
                existing.insert(
                    (
                        r.try_get("area_code").map_err(map_err)?,
                        year,
                        r.try_get("sex").map_err(map_err)?,
                        r.try_get("age_band").map_err(map_err)?,
                    ),
                    r.try_get("population").map_err(map_err)?,
                );
            }
        }
        let mut summary = ImportSummary::default();
        let mut write = Vec::new();
        for r in rows {
            match existing.get(&(
                r.area_code.clone(),
                r.year,
                r.sex.as_str().to_owned(),
                r.age_band.to_owned(),
            )) {
                Some(&n) if n == r.population => summary.unchanged += 1,
                Some(_) => {
                    summary.updated += 1;
                    write.push(r);
                }
                None => {
                    summary.inserted += 1;
                    write.push(r);
                }
            }
        }
        for chunk in write.chunks(common::MAX_PARAMS / 5) {
            let mut qb = QueryBuilder::<Db>::new(
                "INSERT INTO populations (area_code, year, sex, age_band, population) ",
            );
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.area_code.clone())
                    .push_bind(r.year)
                    .push_bind(r.sex.as_str())
                    .push_bind(r.age_band)
                    .push_bind(r.population);
            });
            qb.push(" ON CONFLICT (area_code, year, sex, age_band) DO UPDATE SET population = excluded.population");
            qb.build().execute(&mut *tx).await.map_err(map_err)?;
        }
        finish(tx, dry_run).await?;
        Ok(summary)
    }

    #[tracing::instrument(skip_all)]
    async fn upsert_postcodes(
        &self,
        postcodes: &[Postcode],
        dry_run: bool,
    ) -> StoreResult<ImportSummary> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let rows = sqlx::query(
            "SELECT postcode_key, area_code, lat, lon, terminated, district FROM postcodes",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?;
        let existing: HashMap<String, Postcode> = rows
            .iter()
            .map(decode_postcode)
            .map(|p| p.map(|p| (p.key.clone(), p)))
            .collect::<Result<_, _>>()
            .map_err(map_err)?;
        let (summary, write) = common::changes(postcodes, &existing, |p| p.key.clone());
        for chunk in write.chunks(common::MAX_PARAMS / 6) {
            let mut qb = QueryBuilder::<Db>::new(
                "INSERT INTO postcodes (postcode_key, area_code, lat, lon, terminated, district) ",
            );
            qb.push_values(chunk, |mut b, p| {
                b.push_bind(p.key.clone())
                    .push_bind(p.area_code.clone())
                    .push_bind(p.lat)
                    .push_bind(p.lon)
                    .push_bind(p.terminated.clone())
                    .push_bind(p.district.clone());
            });
            qb.push(
                " ON CONFLICT (postcode_key) DO UPDATE SET area_code = excluded.area_code, \
                 lat = excluded.lat, lon = excluded.lon, terminated = excluded.terminated, \
                 district = excluded.district",
            );
            qb.build().execute(&mut *tx).await.map_err(map_err)?;
        }
        finish(tx, dry_run).await?;
        Ok(summary)
    }

    #[tracing::instrument(skip_all)]
    async fn postcodes(&self) -> StoreResult<HashMap<String, Postcode>> {
        let rows = sqlx::query(
            "SELECT postcode_key, area_code, lat, lon, terminated, district FROM postcodes",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| decode_postcode(r).map(|p| (p.key.clone(), p)))
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn all_populations(&self) -> StoreResult<Vec<PopulationRow>> {
        let rows =
            sqlx::query("SELECT area_code, year, sex, age_band, population FROM populations")
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                let sex: String = r.try_get("sex").map_err(map_err)?;
                let band: String = r.try_get("age_band").map_err(map_err)?;
                Ok(PopulationRow {
                    area_code: r.try_get("area_code").map_err(map_err)?,
                    year: r.try_get("year").map_err(map_err)?,
                    sex: PopSex::parse(&sex).map_err(|e| StoreError::Backend(e.into()))?,
                    age_band: parse_age_band(&band).map_err(|e| StoreError::Backend(e.into()))?,
                    population: r.try_get("population").map_err(map_err)?,
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all)]
    async fn populations(&self, area_code: &str, year: i32) -> StoreResult<Vec<PopulationRow>> {
        let rows = sqlx::query(
            "SELECT sex, age_band, population FROM populations WHERE area_code = $1 AND year = $2",
        )
        .bind(area_code)
        .bind(year)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let sex: String = r.try_get("sex").map_err(map_err)?;
            let band: String = r.try_get("age_band").map_err(map_err)?;
            out.push(PopulationRow {
                area_code: area_code.to_owned(),
                year,
                sex: PopSex::parse(&sex).map_err(|e| StoreError::Backend(e.into()))?,
                age_band: parse_age_band(&band).map_err(|e| StoreError::Backend(e.into()))?,
                population: r.try_get("population").map_err(map_err)?,
            });
        }
        out.sort_by(|a, b| {
            (
                a.sex,
                lantern_core::area::AGE_BANDS
                    .iter()
                    .position(|x| *x == a.age_band),
            )
                .cmp(&(
                    b.sex,
                    lantern_core::area::AGE_BANDS
                        .iter()
                        .position(|x| *x == b.age_band),
                ))
        });
        Ok(out)
    }
}
