//! The two registers: imports, edits, lists, exports, history and retention.

use std::collections::{BTreeSet, HashMap};

use async_trait::async_trait;
use lantern_core::register::{
    self, Dataset, FieldChange, HistoryEntry, Record, StatusChange, StoredRecord,
};
use lantern_core::store::SettingsStore as _;
use lantern_core::store::{CompletenessRow, Page, RecordQuery};
use lantern_core::{ImportSummary, StoreError, StoreResult};
use sqlx::{QueryBuilder, Row as _};

use super::register_rows::{decode_columns, decode_record, decode_stored, push_filters};
use super::{DIALECT, Db, This, finish};
use crate::common::{self, map_err};

#[async_trait]
impl lantern_core::store::RegisterStore for This {
    #[tracing::instrument(skip_all, fields(records = records.len()))]
    async fn import_merged(
        &self,
        records: &[Record],
        merge: &register::ImportMerge,
        origin: &str,
        dry_run: bool,
        audit: Option<lantern_core::store::ImportAudit<'_>>,
        progress: lantern_core::import::Progress<'_>,
    ) -> StoreResult<(ImportSummary, register::FieldChanges)> {
        let mut fields = register::FieldChanges::new();
        let Some(first) = records.first() else {
            return Ok((ImportSummary::default(), fields));
        };
        let dataset = first.dataset;
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let sources: BTreeSet<String> = records.iter().map(|r| r.text("source")).collect();
        let mut existing: HashMap<(String, String), (i64, String)> = HashMap::new();
        for source in sources {
            let sql = format!(
                "SELECT id, source_ref, row_hash FROM {} WHERE source = $1",
                dataset.table
            );
            let rows = sqlx::query(&sql)
                .bind(&source)
                .fetch_all(&mut *tx)
                .await
                .map_err(map_err)?;
            for row in &rows {
                existing.insert(
                    (source.clone(), row.try_get("source_ref").map_err(map_err)?),
                    (
                        row.try_get("id").map_err(map_err)?,
                        row.try_get("row_hash").map_err(map_err)?,
                    ),
                );
            }
        }
        let started = std::time::Instant::now();
        tracing::info!(existing = existing.len(), "loaded existing keys");
        let mut summary = ImportSummary::default();
        let mut new = Vec::new();
        let mut changed = Vec::new();
        for (record, hash) in records.iter().zip(register::content_hashes(records)) {
            match existing.get(&record.key()) {
                None => new.push((record, hash)),
                Some((_, old)) if *old == hash => summary.unchanged += 1,
                Some((id, _)) => changed.push((*id, record)),
            }
        }
        tracing::info!(ms = started.elapsed().as_millis() as u64, "classified");
        let total = records.len() as u64;
        let mut done = summary.unchanged;
        progress(done, total);
        let table_rows: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {}", dataset.table))
            .fetch_one(&mut *tx)
            .await
            .and_then(|r| r.try_get("n"))
            .map_err(map_err)?;
        let rebuild: Vec<(String, String)> =
            if common::is_bulk(new.len(), usize::try_from(table_rows).unwrap_or(0)) {
                let rows = sqlx::query(DIALECT.secondary_indexes)
                    .bind(dataset.table)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(map_err)?;
                let indexes = rows
                    .iter()
                    .map(|r| Ok((r.try_get("name")?, r.try_get("sql")?)))
                    .collect::<Result<Vec<(String, String)>, sqlx::Error>>()
                    .map_err(map_err)?;
                for (name, _) in &indexes {
                    sqlx::query(&format!("DROP INDEX {name}"))
                        .execute(&mut *tx)
                        .await
                        .map_err(map_err)?;
                }
                indexes
            } else {
                Vec::new()
            };
        for chunk in new.chunks(10_000) {
            Self::insert_batch(&mut tx, chunk, origin).await?;
            done += chunk.len() as u64;
            progress(done, total);
        }
        tracing::info!(ms = started.elapsed().as_millis() as u64, "rows written");
        for (_, sql) in &rebuild {
            sqlx::query(sql).execute(&mut *tx).await.map_err(map_err)?;
        }
        // PostgreSQL plans from statistics, which a bulk load makes stale until autovacuum
        // comes round: without this the first hour after a large import ran lists at
        // seconds, not milliseconds. (SQLite's planner does not need them here.)
        if !rebuild.is_empty() && DIALECT.name == "postgres" {
            sqlx::query(&format!("ANALYZE {}", dataset.table))
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }

        summary.inserted = new.len() as u64;
        tracing::info!(ms = started.elapsed().as_millis() as u64, "inserted");
        for (id, record) in changed {
            let names = Self::update_in(&mut tx, id, record, Some(merge), origin, None).await?;
            if names.is_empty() {
                summary.unchanged += 1;
            } else {
                summary.updated += 1;
                for name in names {
                    *fields.entry(name).or_default() += 1;
                }
            }
            done += 1;
            if done % 1_000 == 0 {
                progress(done, total);
            }
        }
        progress(total, total);
        if let (Some(audit), false) = (audit, dry_run) {
            Self::append_audits_in(&mut tx, &[audit(&summary, &fields)]).await?;
        }
        finish(tx, dry_run).await?;
        tracing::info!(ms = started.elapsed().as_millis() as u64, "committed");
        Ok((summary, fields))
    }

    #[tracing::instrument(skip_all)]
    async fn create_record(&self, record: &Record, origin: &str) -> StoreResult<i64> {
        let dataset = record.dataset;
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let (source, source_ref) = record.key();
        let sql = format!(
            "SELECT id FROM {} WHERE source = $1 AND source_ref = $2",
            dataset.table
        );
        if sqlx::query(&sql)
            .bind(&source)
            .bind(&source_ref)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_err)?
            .is_some()
        {
            return Err(StoreError::Conflict(format!(
                "{source} already has a record with reference {source_ref}"
            )));
        }
        Self::insert_batch(&mut tx, &[(record, record.content_hash())], origin).await?;
        let id: i64 = sqlx::query(&sql)
            .bind(&source)
            .bind(&source_ref)
            .fetch_one(&mut *tx)
            .await
            .map_err(map_err)?
            .try_get("id")
            .map_err(map_err)?;
        Self::insert_history(&mut tx, dataset, id, "created", &[], origin).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(id)
    }

    #[tracing::instrument(skip_all)]
    async fn update_record(
        &self,
        id: i64,
        record: &Record,
        origin: &str,
        expected_version: Option<i64>,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        Self::update_in(&mut tx, id, record, None, origin, expected_version).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn record(&self, dataset: &'static Dataset, id: i64) -> StoreResult<StoredRecord> {
        let repeat = if dataset.is_self_harm() {
            format!(", {} AS repeat_within_12m", DIALECT.repeat_within_12m())
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT p.*{repeat} FROM {} p WHERE p.id = $1",
            dataset.table
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?;
        decode_stored(dataset, &row).map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn history(&self, dataset: &'static Dataset, id: i64) -> StoreResult<Vec<HistoryEntry>> {
        let rows = sqlx::query(
            "SELECT changed_at, kind, origin, changes FROM record_history WHERE dataset = $1 AND record_id = $2 ORDER BY id",
        )
        .bind(dataset.name)
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                let changes: String = r.try_get("changes").map_err(map_err)?;
                Ok(HistoryEntry {
                    changed_at: r.try_get("changed_at").map_err(map_err)?,
                    kind: r.try_get("kind").map_err(map_err)?,
                    origin: r.try_get("origin").map_err(map_err)?,
                    changes: serde_json::from_str(&changes)
                        .map_err(|e| StoreError::Backend(Box::new(e)))?,
                })
            })
            .collect()
    }

    #[tracing::instrument(skip_all)]
    async fn status_history(&self, id: i64) -> StoreResult<Vec<StatusChange>> {
        let rows = sqlx::query(
            "SELECT status, effective_on, recorded_at FROM suicide_status_history WHERE record_id = $1 ORDER BY id",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(StatusChange {
                    status: r.try_get("status")?,
                    effective_on: r.try_get("effective_on")?,
                    recorded_at: r.try_get("recorded_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn list_records(&self, dataset: &'static Dataset, q: &RecordQuery) -> StoreResult<Page> {
        // The count of a filter is cached until the register changes: paging through a
        // large list then costs one indexed page read, not a count of every match.
        let version = self
            .setting(common::VERSION_SETTING)
            .await?
            .unwrap_or_default();
        let key = format!(
            "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{}",
            dataset.name,
            q.from,
            q.to,
            q.area,
            q.status,
            q.source,
            q.setting,
            q.scope_area,
            q.scope_source,
            q.awaiting_support
        );
        let total = match self.caches.counts.get(&key, &version) {
            Some(n) => n,
            None => {
                let mut count = QueryBuilder::<Db>::new(format!(
                    "SELECT COUNT(*) AS n FROM {} WHERE 1 = 1",
                    dataset.table
                ));
                push_filters(&mut count, dataset, q);
                let n: i64 = count
                    .build()
                    .fetch_one(&self.pool)
                    .await
                    .map_err(map_err)?
                    .try_get("n")
                    .map_err(map_err)?;
                self.caches.counts.put(key, version, n);
                n
            }
        };
        let sort = q.sort_field(dataset);
        // A required field has no blanks to place, and leaving out NULLS LAST lets
        // PostgreSQL read its index backwards instead of sorting every row.
        let required = sort == "id" || dataset.field(sort).is_some_and(|f| f.required);
        let nulls = if required { "" } else { " NULLS LAST" };
        let dir = if q.desc { "DESC" } else { "ASC" };
        let repeat = if dataset.is_self_harm() {
            format!(", {} AS repeat_within_12m", DIALECT.repeat_within_12m())
        } else {
            String::new()
        };
        let mut page = QueryBuilder::<Db>::new(format!(
            "SELECT p.*{repeat} FROM (SELECT {} FROM {} WHERE 1 = 1",
            common::select_columns(dataset),
            dataset.table
        ));
        push_filters(&mut page, dataset, q);
        page.push(format!(
            " ORDER BY {sort} {dir}{nulls}, id {dir} LIMIT {} OFFSET {}) p ORDER BY p.{sort} {dir}{nulls}, p.id {dir}",
            q.limit(),
            q.offset()
        ));
        let rows = page.build().fetch_all(&self.pool).await.map_err(map_err)?;
        let items = rows
            .iter()
            .map(|r| decode_stored(dataset, r))
            .collect::<Result<_, _>>()
            .map_err(map_err)?;
        Ok(Page {
            items,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    #[tracing::instrument(skip_all)]
    async fn export_records(&self, dataset: &'static Dataset) -> StoreResult<Vec<Record>> {
        let sql = format!(
            "SELECT {} FROM {} ORDER BY id",
            common::select_columns(dataset),
            dataset.table
        );
        let rows = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| decode_record(dataset, r))
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn sources(&self, dataset: &'static Dataset) -> StoreResult<Vec<String>> {
        // Cached until the register changes, like counts: it reads every row's source.
        let version = self
            .setting(common::VERSION_SETTING)
            .await?
            .unwrap_or_default();
        let key = format!("sources|{}", dataset.name);
        if let Some(list) = self.caches.sources.get(&key, &version) {
            return Ok(list);
        }
        let sql = format!(
            "SELECT DISTINCT source FROM {} ORDER BY source",
            dataset.table
        );
        let rows = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        let list: Vec<String> = rows
            .iter()
            .map(|r| r.try_get("source"))
            .collect::<Result<_, _>>()
            .map_err(map_err)?;
        self.caches.sources.put(key, version, list.clone());
        Ok(list)
    }

    #[tracing::instrument(skip_all)]
    async fn completeness(&self, dataset: &'static Dataset) -> StoreResult<Vec<CompletenessRow>> {
        let filled: Vec<String> = dataset
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                format!(
                    "SUM(CASE WHEN {} IS NOT NULL THEN 1 ELSE 0 END) AS f{i}",
                    f.name
                )
            })
            .collect();
        let month = DIALECT.month_of(dataset);
        let sql = format!(
            "SELECT source, {month} AS month, COUNT(*) AS total, {} FROM {} GROUP BY source, {month} ORDER BY source, month",
            filled.join(", "),
            dataset.table
        );
        let rows = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|r| {
                Ok(CompletenessRow {
                    source: r.try_get("source")?,
                    month: r.try_get("month")?,
                    total: r.try_get("total")?,
                    filled: (0..dataset.fields.len())
                        .map(|i| r.try_get::<i64, _>(format!("f{i}").as_str()))
                        .collect::<Result<_, _>>()?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn count(&self, dataset: &'static Dataset) -> StoreResult<u64> {
        let sql = format!("SELECT COUNT(*) AS n FROM {}", dataset.table);
        let n: i64 = sqlx::query(&sql)
            .fetch_one(&self.pool)
            .await
            .map_err(map_err)?
            .try_get("n")
            .map_err(map_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    #[tracing::instrument(skip_all)]
    async fn data_version(&self) -> StoreResult<String> {
        Ok(self
            .setting(common::VERSION_SETTING)
            .await?
            .unwrap_or_default())
    }

    #[tracing::instrument(skip_all)]
    async fn export_fields(
        &self,
        dataset: &'static Dataset,
        fields: &[&str],
    ) -> StoreResult<Vec<Record>> {
        let at: Vec<usize> = (0..dataset.fields.len())
            .filter(|&i| fields.contains(&dataset.fields[i].name))
            .collect();
        if at.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<&str> = at.iter().map(|&i| dataset.fields[i].name).collect();
        // Read packed, a text per 4,096 rows, and unpacked here: a row at a time, the driver's
        // hand-over of each row cost more than everything else in a large report. One
        // statement, so one snapshot.
        // The second of a pair confirmed as one death is not counted.
        let from = super::duplicates::not_duplicates(dataset.table);
        let sql = (DIALECT.packed)(&from, &DIALECT.pack(&names));
        let chunks = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        let mut out: Vec<(i64, Record)> = Vec::new();
        let mut clean = true;
        for c in &chunks {
            let n: i64 = c.try_get("n").map_err(map_err)?;
            let packed: Option<String> = c.try_get("packed").map_err(map_err)?;
            let n = usize::try_from(n).unwrap_or(0);
            if common::unpack(dataset, &at, packed.as_deref().unwrap_or(""), n, &mut out).is_none()
            {
                clean = false;
                break;
            }
        }
        if clean {
            out.sort_unstable_by_key(|(id, _)| *id);
            return Ok(out.into_iter().map(|(_, r)| r).collect());
        }
        // Some value would not unpack (it holds a separator): read row by row.
        tracing::info!(table = dataset.table, "export: read row by row");
        let sql = format!("SELECT {} FROM {from} ORDER BY id", names.join(", "));
        let rows = sqlx::query(&sql)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)?;
        rows.iter()
            .map(|row| decode_columns(dataset, row, &at))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn rekey_person_keys(
        &self,
        rekey: &(dyn for<'s> Fn(&'s str) -> String + Send + Sync),
        fingerprint: &str,
    ) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query(common::BUMP_VERSION)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, person_key FROM self_harm_presentations")
                .fetch_all(&mut *tx)
                .await
                .map_err(map_err)?;
        for (id, key) in &rows {
            sqlx::query("UPDATE self_harm_presentations SET person_key = $1 WHERE id = $2")
                .bind(rekey(key))
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        // Field histories keep earlier person keys too: re-key those as well.
        let history: Vec<(i64, String)> = sqlx::query_as(
            "SELECT id, changes FROM record_history WHERE dataset = 'self-harm' AND changes LIKE '%person_key%'",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?;
        for (id, text) in history {
            let mut changes: Vec<FieldChange> =
                serde_json::from_str(&text).map_err(|e| StoreError::Backend(Box::new(e)))?;
            for c in changes.iter_mut().filter(|c| c.field == "person_key") {
                for v in [&mut c.old, &mut c.new] {
                    if !v.is_empty() {
                        *v = rekey(v);
                    }
                }
            }
            let json =
                serde_json::to_string(&changes).map_err(|e| StoreError::Backend(Box::new(e)))?;
            sqlx::query("UPDATE record_history SET changes = $1 WHERE id = $2")
                .bind(json)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
        }
        sqlx::query(common::UPSERT_SETTING)
            .bind(lantern_core::pseudonym::FINGERPRINT_SETTING)
            .bind(fingerprint)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(rows.len() as u64)
    }

    #[tracing::instrument(skip_all)]
    async fn delete_records(
        &self,
        dataset: &'static Dataset,
        q: &RecordQuery,
        dry_run: bool,
    ) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let mut ids =
            QueryBuilder::<Db>::new(format!("SELECT id FROM {} WHERE 1 = 1", dataset.table));
        push_filters(&mut ids, dataset, q);
        let ids: Vec<i64> = ids
            .build()
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()
            .map_err(map_err)?;
        if !ids.is_empty() && !dry_run {
            sqlx::query(common::BUMP_VERSION)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            for chunk in ids.chunks(5_000) {
                let list = chunk
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(",");
                sqlx::query(&format!(
                    "DELETE FROM record_history WHERE dataset = $1 AND record_id IN ({list})"
                ))
                .bind(dataset.name)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
                if dataset.is_suicides() {
                    sqlx::query(&format!(
                        "DELETE FROM suicide_status_history WHERE record_id IN ({list})"
                    ))
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                }
                sqlx::query(&format!(
                    "DELETE FROM {} WHERE id IN ({list})",
                    dataset.table
                ))
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            }
        }
        finish(tx, dry_run).await?;
        Ok(ids.len() as u64)
    }
}
