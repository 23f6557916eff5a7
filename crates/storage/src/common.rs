//! What the two backends share: column lists, SQL fragments, value conversion, error mapping,
//! and (in [`impl_store!`]) the body of the `Store` implementation. The dialects differ only in
//! the fragments of [`Dialect`], so the queries are written once and each backend file
//! instantiates the macro with its own database type.

use chrono::NaiveDate;
use lantern_core::StoreError;
use lantern_core::register::{Dataset, Field, FieldKind, Value};

/// The setting bumped in the same transaction as every change to the register, so caches of
/// counts and indicators know when they are stale.
pub(crate) const BUMP_VERSION: &str = "INSERT INTO settings (key, value) VALUES ('register_version', '1') \
     ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(settings.value AS BIGINT) + 1 AS TEXT)";

/// Set a setting, `$1` the key and `$2` the value.
pub(crate) const UPSERT_SETTING: &str = "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";

/// The audit log's columns, in the order `audit_entries_of` reads them.
pub(crate) const AUDIT_COLUMNS: &str =
    "id, at, actor, action, dataset, record_id, detail, origin, prev_hash, hash";

/// The register's version: see [`BUMP_VERSION`].
pub(crate) const VERSION_SETTING: &str = "register_version";

/// Values computed from the register, kept until its version changes: the counts of list
/// filters, source lists and area lists. A value is only ever served at the version it was read
/// at, so a cache is never stale.
pub(crate) struct VersionCache<T>(std::sync::Mutex<std::collections::HashMap<String, (String, T)>>);

impl<T> Default for VersionCache<T> {
    fn default() -> Self {
        Self(std::sync::Mutex::default())
    }
}

impl<T: Clone> VersionCache<T> {
    /// The value for `key` if it was stored at `version`.
    pub(crate) fn get(&self, key: &str, version: &str) -> Option<T> {
        let map = self.0.lock().ok()?;
        map.get(key)
            .filter(|(v, _)| v == version)
            .map(|(_, t)| t.clone())
    }

    /// Keep `value` for `key` at `version` (forgetting everything past 10,000 keys).
    pub(crate) fn put(&self, key: String, version: String, value: T) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() > 10_000 {
                map.clear();
            }
            map.insert(key, (version, value));
        }
    }
}

/// The caches a store keeps.
#[derive(Default)]
pub(crate) struct Caches {
    pub(crate) counts: VersionCache<i64>,
    pub(crate) sources: VersionCache<Vec<String>>,
    pub(crate) areas: VersionCache<Vec<lantern_core::area::Area>>,
}

impl std::fmt::Debug for Caches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Caches")
    }
}

/// The `users` columns (table alias `u`) that `decode_user` reads.
pub(crate) const USER_COLUMNS: &str = "u.id, u.username, u.role, u.area_code, u.organisation, u.password_hash, u.disabled, u.created_at, u.totp_secret";

/// Bind parameters in one statement, under SQLite's 32,766 and PostgreSQL's 65,535.
pub(crate) const MAX_PARAMS: usize = 30_000;

/// A stored review status.
pub(crate) fn decode_status(s: &str) -> Result<lantern_core::signals::ReviewStatus, sqlx::Error> {
    lantern_core::signals::ReviewStatus::parse(s)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown review status {s}").into()))
}

/// A `signals` row (`id, detail, found_at, updated_at, status, owner, version`) as a signal.
pub(crate) fn decode_signal<R>(r: &R) -> Result<lantern_core::signals::Signal, sqlx::Error>
where
    R: sqlx::Row,
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'d> String: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
    for<'d> Option<String>: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
    for<'d> i64: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
    for<'d> chrono::DateTime<chrono::Utc>: sqlx::Decode<'d, R::Database> + sqlx::Type<R::Database>,
{
    let detail: String = r.try_get("detail")?;
    let status: String = r.try_get("status")?;
    Ok(lantern_core::signals::Signal {
        id: r.try_get("id")?,
        found: serde_json::from_str(&detail).map_err(|e| sqlx::Error::Decode(e.into()))?,
        found_at: r.try_get("found_at")?,
        updated_at: r.try_get("updated_at")?,
        status: decode_status(&status)?,
        owner: r.try_get("owner")?,
        version: r.try_get("version")?,
    })
}

/// The SQL that differs between SQLite and PostgreSQL.
pub(crate) struct Dialect {
    /// `sqlite` or `postgres`.
    pub(crate) name: &'static str,
    /// `YYYY-MM-DD` text of a `YYYY-MM-DD` text expression plus twelve months.
    pub(crate) plus_year: fn(&str) -> String,
    /// `YYYY-MM` of a DATE column.
    pub(crate) month_of_date: fn(&str) -> String,
    /// `(name, sql)` of a table's non-unique indexes, `$1` the table: dropped before a bulk load
    /// and replayed after it, because building an index from sorted data is several times faster
    /// than growing it row by row.
    pub(crate) secondary_indexes: &'static str,
    /// Run first in an audit append's transaction, so appends queue instead of forking the chain.
    pub(crate) lock_audit: &'static str,
    /// How the access scope's area filter opens and closes around its list of area codes. It
    /// keeps the planner from choosing the area index for a scope that covers most rows (a
    /// county), so a page is read in date order and stops after 50 rows instead of sorting
    /// every match: SQLite's `+column IN (...)` (1.1 s to 2 ms on 1,000,000 rows), PostgreSQL's
    /// `column || '' = ANY(ARRAY(...))` (880 ms to 3 ms).
    pub(crate) scope_term: (&'static str, &'static str),
}

/// A load this large, relative to the rows already there, rebuilds the secondary indexes.
pub(crate) fn is_bulk(new_rows: usize, existing_rows: usize) -> bool {
    new_rows >= 50_000 && new_rows > existing_rows
}

impl Dialect {
    /// Whether the same person presented again within 12 months after `p`'s presentation.
    ///
    /// The two bare range terms on `o.presented_at` repeat what the others say, in a form the
    /// `(person_key, presented_at)` index can seek on, so a frequent presenter's other
    /// presentations are not all read: `< day || '~'` holds exactly when the first ten
    /// characters are at most `day`, since `'~'` sorts after `'T'` and every digit.
    pub(crate) fn repeat_within_12m(&self) -> String {
        let limit = (self.plus_year)("substr(p.presented_at, 1, 10)");
        format!(
            "EXISTS (SELECT 1 FROM self_harm_presentations o WHERE o.person_key = p.person_key \
             AND o.presented_at >= p.presented_at AND o.presented_at < ({limit} || '~') \
             AND o.id <> p.id AND (o.presented_at > p.presented_at OR (o.presented_at = p.presented_at AND o.id > p.id)) \
             AND substr(o.presented_at, 1, 10) <= {limit})"
        )
    }

    /// `YYYY-MM` of the dataset's date field.
    pub(crate) fn month_of(&self, dataset: &Dataset) -> String {
        match dataset.field(dataset.date_field).map(|f| f.kind) {
            Some(FieldKind::Date) => (self.month_of_date)(dataset.date_field),
            _ => format!("substr({}, 1, 7)", dataset.date_field),
        }
    }
}

/// A value ready to bind, typed by its field even when blank. (Text is owned: binding borrowed
/// `Cow`s was measured slower, since sqlx copies arguments for its SQLite worker thread anyway.)
pub(crate) enum Cell {
    Text(Option<String>),
    Int(Option<i64>),
    Float(Option<f64>),
    Date(Option<NaiveDate>),
    Bool(Option<bool>),
}

/// How a field is stored.
pub(crate) enum Column {
    Text,
    Int,
    Float,
    Date,
    Bool,
}

pub(crate) fn column(kind: FieldKind) -> Column {
    match kind {
        FieldKind::Int { .. } => Column::Int,
        FieldKind::Float { .. } => Column::Float,
        FieldKind::Date => Column::Date,
        FieldKind::Bool => Column::Bool,
        FieldKind::Text { .. }
        | FieldKind::DateOrTime
        | FieldKind::Code(_)
        | FieldKind::Codes(_)
        | FieldKind::Area
        | FieldKind::PersonKey => Column::Text,
    }
}

pub(crate) fn cell(field: &Field, value: Option<&Value>) -> Cell {
    match column(field.kind) {
        Column::Int => Cell::Int(match value {
            Some(Value::Int(n)) => Some(*n),
            _ => None,
        }),
        Column::Float => Cell::Float(match value {
            Some(Value::Float(x)) => Some(*x),
            _ => None,
        }),
        Column::Date => Cell::Date(match value {
            Some(Value::Date(d)) => Some(*d),
            _ => None,
        }),
        Column::Bool => Cell::Bool(match value {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        }),
        Column::Text => Cell::Text(value.map(Value::to_text)),
    }
}

/// Rebuild a value from its stored text.
pub(crate) fn value_from_text(kind: FieldKind, text: Option<String>) -> Option<Value> {
    let text = text?;
    Some(match kind {
        FieldKind::Code(_) => Value::Code(text),
        FieldKind::Codes(_) => Value::Codes(text.split(';').map(str::to_owned).collect()),
        FieldKind::DateOrTime => {
            if text.len() == 10 {
                Value::Date(NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok()?)
            } else {
                Value::DateTime(chrono::DateTime::parse_from_rfc3339(&text).ok()?.to_utc())
            }
        }
        _ => Value::Text(text),
    })
}

/// The columns written for a record, after its fields.
pub(crate) const BOOKKEEPING: [&str; 4] =
    ["row_hash", "created_at", "updated_at", "created_origin"];

/// `id, field1, field2, ..., created_at, updated_at`.
pub(crate) fn select_columns(dataset: &Dataset) -> String {
    let mut cols = vec!["id"];
    cols.extend(dataset.fields.iter().map(|f| f.name));
    cols.extend(["created_at", "updated_at", "version"]);
    cols.join(", ")
}

pub(crate) fn insert_columns(dataset: &Dataset) -> String {
    dataset
        .fields
        .iter()
        .map(|f| f.name)
        .chain(BOOKKEEPING)
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn map_err(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_) => StoreError::Unavailable(e.to_string()),
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(
            "a record with this source and source reference already exists".to_owned(),
        ),
        other => StoreError::Backend(Box::new(other)),
    }
}

/// Implements `lantern_core::Store` for `$store`, whose `pool` field is a `sqlx::Pool<$db>`.
macro_rules! impl_store {
    ($store:ident, $db:ty, $conn:ty, $row:ty, $dialect:expr) => {
        use std::collections::{BTreeSet, HashMap, HashSet};

        use async_trait::async_trait;
        use chrono::{NaiveDate, Utc};
        use lantern_core::area::{Area, AreaLevel, AreaSummary, PopSex, PopulationRow, parse_age_band};
        use lantern_core::register::{
            self, Dataset, FieldChange, HistoryEntry, Record, SELF_HARM, SUICIDES, StatusChange, StoredRecord,
        };
        use lantern_core::store::{CompletenessRow, Page, RecordQuery};
        use lantern_core::{ImportSummary, Store, StoreError, StoreResult};
        use sqlx::{QueryBuilder, Row as _};

        use crate::common::{self, Cell, Column};

        const DIALECT: common::Dialect = $dialect;

        /// Audit rows as entries.
        fn audit_entries_of(rows: &[$row]) -> StoreResult<Vec<lantern_core::audit::AuditEntry>> {
            rows.iter()
                .map(|r| {
                    Ok(lantern_core::audit::AuditEntry {
                        id: r.try_get("id")?,
                        at: r.try_get("at")?,
                        entry: lantern_core::audit::NewAuditEntry {
                            actor: r.try_get("actor")?,
                            action: r.try_get("action")?,
                            dataset: r.try_get("dataset")?,
                            record_id: r.try_get("record_id")?,
                            detail: r.try_get("detail")?,
                            origin: r.try_get("origin")?,
                        },
                        prev_hash: r.try_get("prev_hash")?,
                        hash: r.try_get("hash")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(map_err)
        }

        /// Bind a cell, after a separator (`separated`) or straight after the SQL before it.
        fn push_cell(b: &mut sqlx::query_builder::Separated<'_, '_, $db, &'static str>, cell: Cell, separated: bool) {
            macro_rules! bind {
                ($v:expr) => {
                    if separated {
                        b.push_bind($v);
                    } else {
                        b.push_bind_unseparated($v);
                    }
                };
            }
            match cell {
                Cell::Text(v) => bind!(v),
                Cell::Int(v) => bind!(v),
                Cell::Float(v) => bind!(v),
                Cell::Date(v) => bind!(v),
                Cell::Bool(v) => bind!(v),
            }
        }

        /// Commit, or roll back a dry run.
        async fn finish(tx: sqlx::Transaction<'_, $db>, dry_run: bool) -> StoreResult<()> {
            if dry_run { tx.rollback().await } else { tx.commit().await }.map_err(map_err)
        }

        fn decode_record(dataset: &'static Dataset, row: &$row) -> Result<Record, sqlx::Error> {
            decode_fields(dataset, row, |_| true)
        }

        /// The fields `wanted` says a row holds; the others stay blank.
        fn decode_fields(dataset: &'static Dataset, row: &$row, wanted: impl Fn(&str) -> bool) -> Result<Record, sqlx::Error> {
            let mut record = Record::empty(dataset);
            for (i, f) in dataset.fields.iter().enumerate().filter(|(_, f)| wanted(f.name)) {
                record.values[i] = match common::column(f.kind) {
                    Column::Int => row.try_get::<Option<i64>, _>(f.name)?.map(register::Value::Int),
                    Column::Float => row.try_get::<Option<f64>, _>(f.name)?.map(register::Value::Float),
                    Column::Date => row.try_get::<Option<NaiveDate>, _>(f.name)?.map(register::Value::Date),
                    Column::Bool => row.try_get::<Option<bool>, _>(f.name)?.map(register::Value::Bool),
                    Column::Text => common::value_from_text(f.kind, row.try_get::<Option<String>, _>(f.name)?),
                };
            }
            Ok(record)
        }

        fn decode_stored(dataset: &'static Dataset, row: &$row) -> Result<StoredRecord, sqlx::Error> {
            let repeat = if std::ptr::eq(dataset, &SELF_HARM) {
                row.try_get::<Option<bool>, _>("repeat_within_12m")?
            } else {
                None
            };
            Ok(StoredRecord {
                id: row.try_get("id")?,
                record: decode_record(dataset, row)?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
                repeat_within_12m: repeat,
                version: row.try_get("version")?,
            })
        }

        fn decode_user(row: &$row) -> Result<lantern_core::auth::User, sqlx::Error> {
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

        fn decode_area(row: &$row) -> Result<Area, sqlx::Error> {
            let level: String = row.try_get("level")?;
            Ok(Area {
                code: row.try_get("code")?,
                name: row.try_get("name")?,
                level: AreaLevel::parse(&level).map_err(|e| sqlx::Error::Decode(e.into()))?,
                parent_code: row.try_get("parent_code")?,
                boundary: row.try_get("boundary")?,
            })
        }

        fn push_filters(qb: &mut QueryBuilder<'_, $db>, dataset: &'static Dataset, q: &RecordQuery) {
            let date = dataset.date_field;
            let is_date = matches!(dataset.field(date).map(|f| f.kind), Some(register::FieldKind::Date));
            if let Some(from) = q.from {
                qb.push(format!(" AND {date} >= "));
                if is_date { qb.push_bind(from); } else { qb.push_bind(from.to_string()); }
            }
            if let Some(to) = q.to {
                if is_date {
                    qb.push(format!(" AND {date} <= ")).push_bind(to);
                } else {
                    let next = to.succ_opt().unwrap_or(to);
                    qb.push(format!(" AND {date} < ")).push_bind(next.to_string());
                }
            }
            for ((open, close), area) in [((" AND residence_area IN (", ")"), &q.area), (DIALECT.scope_term, &q.scope_area)] {
                let Some(area) = area else { continue };
                qb.push(format!(
                    "{open}WITH RECURSIVE d(code) AS (SELECT CAST(",
                ))
                .push_bind(area.clone())
                .push(" AS TEXT) UNION SELECT a.code FROM areas a JOIN d ON a.parent_code = d.code) SELECT code FROM d");
                qb.push(close);
            }
            let filters = [("status", &q.status), ("source", &q.source), ("setting", &q.setting), ("source", &q.scope_source)];
            for (name, value) in filters {
                if let (Some(v), Some(_)) = (value, dataset.field(name)) {
                    qb.push(format!(" AND {name} = ")).push_bind(v.clone());
                }
            }
        }

        impl $store {
            async fn fetch_record(
                conn: &mut $conn,
                dataset: &'static Dataset,
                id: i64,
            ) -> StoreResult<Record> {
                let sql = format!("SELECT {} FROM {} WHERE id = $1", common::select_columns(dataset), dataset.table);
                let row = sqlx::query(&sql).bind(id).fetch_one(&mut *conn).await.map_err(map_err)?;
                decode_record(dataset, &row).map_err(map_err)
            }

            async fn insert_batch(
                conn: &mut $conn,
                records: &[(&Record, String)],
                origin: &str,
            ) -> StoreResult<()> {
                let Some((first, _)) = records.first() else { return Ok(()) };
                let dataset = first.dataset;
                sqlx::query(common::BUMP_VERSION).execute(&mut *conn).await.map_err(map_err)?;
                let per_row = dataset.fields.len() + common::BOOKKEEPING.len();
                let now = Utc::now();
                for chunk in records.chunks((common::MAX_PARAMS / per_row).max(1)) {
                    let mut qb = QueryBuilder::<$db>::new(format!(
                        "INSERT INTO {} ({}) ",
                        dataset.table,
                        common::insert_columns(dataset)
                    ));
                    qb.push_values(chunk, |mut b, (record, hash)| {
                        for (f, v) in dataset.fields.iter().zip(&record.values) {
                            push_cell(&mut b, common::cell(f, v.as_ref()), true);
                        }
                        b.push_bind(hash.as_str()).push_bind(now).push_bind(now).push_bind(origin);
                    });
                    qb.build().execute(&mut *conn).await.map_err(map_err)?;
                }
                if std::ptr::eq(dataset, &SUICIDES) {
                    sqlx::query(
                        "INSERT INTO suicide_status_history (record_id, status, effective_on, recorded_at) \
                         SELECT id, status, COALESCE(status_date, date_of_death), $1 FROM suspected_suicides s \
                         WHERE NOT EXISTS (SELECT 1 FROM suicide_status_history h WHERE h.record_id = s.id)",
                    )
                    .bind(now)
                    .execute(&mut *conn)
                    .await
                    .map_err(map_err)?;
                }
                Ok(())
            }

            async fn insert_history(
                conn: &mut $conn,
                dataset: &'static Dataset,
                id: i64,
                kind: &str,
                changes: &[FieldChange],
                origin: &str,
            ) -> StoreResult<()> {
                let json = serde_json::to_string(changes).map_err(|e| StoreError::Backend(Box::new(e)))?;
                sqlx::query(
                    "INSERT INTO record_history (dataset, record_id, changed_at, kind, origin, changes) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(dataset.name)
                .bind(id)
                .bind(Utc::now())
                .bind(kind)
                .bind(origin)
                .bind(json)
                .execute(&mut *conn)
                .await
                .map_err(map_err)?;
                Ok(())
            }

            /// Replace a record's values; returns whether anything changed.
            /// Update a record, `new` laid over the stored one by `merge` when given; the names of
            /// the fields that changed (none: nothing was written).
            async fn update_in(
                conn: &mut $conn,
                id: i64,
                new: &Record,
                merge: Option<&register::ImportMerge>,
                origin: &str,
                expected_version: Option<i64>,
            ) -> StoreResult<Vec<String>> {
                let dataset = new.dataset;
                // Write first: it takes SQLite's write lock and PostgreSQL's row lock, so two
                // edits of one record queue, and the second sees the first's version.
                let touched = sqlx::query(&format!("UPDATE {} SET version = version WHERE id = $1", dataset.table))
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err(map_err)?;
                if touched.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                let current: i64 = sqlx::query_scalar(&format!("SELECT version FROM {} WHERE id = $1", dataset.table))
                    .bind(id)
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(map_err)?;
                if expected_version.is_some_and(|v| v != current) {
                    return Err(StoreError::Conflict(
                        "this record was changed by someone else after you opened it; reload it and make your change again".to_owned(),
                    ));
                }
                let old = Self::fetch_record(conn, dataset, id).await?;
                let merged;
                let new = match merge {
                    Some(m) => {
                        merged = m.apply(&old, new);
                        &merged
                    }
                    None => new,
                };
                let changes = register::diff(&old, new);
                if changes.is_empty() {
                    return Ok(Vec::new());
                }
                sqlx::query(common::BUMP_VERSION).execute(&mut *conn).await.map_err(map_err)?;
                let mut qb = QueryBuilder::<$db>::new(format!("UPDATE {} SET ", dataset.table));
                {
                    let mut set = qb.separated(", ");
                    for (f, v) in dataset.fields.iter().zip(&new.values) {
                        set.push(format!("{} = ", f.name));
                        push_cell(&mut set, common::cell(f, v.as_ref()), false);
                    }
                    set.push("row_hash = ").push_bind_unseparated(new.content_hash());
                    set.push("updated_at = ").push_bind_unseparated(Utc::now());
                    set.push("version = version + 1");
                }
                qb.push(" WHERE id = ").push_bind(id);
                qb.build().execute(&mut *conn).await.map_err(map_err)?;
                Self::insert_history(conn, dataset, id, "updated", &changes, origin).await?;
                if std::ptr::eq(dataset, &SUICIDES) && old.text("status") != new.text("status") {
                    let effective = match new.get("status_date") {
                        Some(register::Value::Date(d)) => *d,
                        _ => Utc::now().date_naive(),
                    };
                    sqlx::query(
                        "INSERT INTO suicide_status_history (record_id, status, effective_on, recorded_at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(id)
                    .bind(new.text("status"))
                    .bind(effective)
                    .bind(Utc::now())
                    .execute(&mut *conn)
                    .await
                    .map_err(map_err)?;
                }
                Ok(changes.into_iter().map(|c| c.field).collect())
            }
        }


        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                DIALECT.name
            }

            #[tracing::instrument(skip_all)]
            async fn upsert_areas(&self, areas: &[Area], dry_run: bool) -> StoreResult<ImportSummary> {
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                sqlx::query(common::BUMP_VERSION).execute(&mut *tx).await.map_err(map_err)?;
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
            async fn set_area_parents(&self, links: &[(String, String)], dry_run: bool) -> StoreResult<ImportSummary> {
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                sqlx::query(common::BUMP_VERSION).execute(&mut *tx).await.map_err(map_err)?;
                let rows = sqlx::query("SELECT code, parent_code FROM areas").fetch_all(&mut *tx).await.map_err(map_err)?;
                let mut current: HashMap<String, Option<String>> = HashMap::new();
                for row in &rows {
                    current.insert(row.try_get("code").map_err(map_err)?, row.try_get("parent_code").map_err(map_err)?);
                }
                let mut summary = ImportSummary::default();
                for (child, parent) in links {
                    match current.get(child) {
                        None => return Err(StoreError::Conflict(format!("{child} is not a known area"))),
                        Some(_) if !current.contains_key(parent) => {
                            return Err(StoreError::Conflict(format!("{parent} is not a known area")));
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
                let version = self.setting(common::VERSION_SETTING).await?.unwrap_or_default();
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
                let mut areas: Vec<Area> = rows.iter().map(decode_area).collect::<Result<_, _>>().map_err(map_err)?;
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
                rows.iter().map(decode_area).collect::<Result<_, _>>().map_err(map_err)
            }

            #[tracing::instrument(skip_all)]
            async fn area(&self, code: &str) -> StoreResult<Area> {
                let row = sqlx::query("SELECT code, name, level, parent_code, boundary FROM areas WHERE code = $1")
                    .bind(code)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(map_err)?;
                decode_area(&row).map_err(map_err)
            }

            #[tracing::instrument(skip_all)]
            async fn area_codes(&self) -> StoreResult<HashSet<String>> {
                let rows = sqlx::query("SELECT code FROM areas").fetch_all(&self.pool).await.map_err(map_err)?;
                rows.iter().map(|r| r.try_get::<String, _>("code")).collect::<Result<_, _>>().map_err(map_err)
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
            async fn upsert_populations(&self, rows: &[PopulationRow], dry_run: bool) -> StoreResult<ImportSummary> {
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                sqlx::query(common::BUMP_VERSION).execute(&mut *tx).await.map_err(map_err)?;
                let years: BTreeSet<i32> = rows.iter().map(|r| r.year).collect();
                let mut existing: HashMap<(String, i32, String, String), i64> = HashMap::new();
                for year in years {
                    let found = sqlx::query("SELECT area_code, sex, age_band, population FROM populations WHERE year = $1")
                        .bind(year)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(map_err)?;
                    for r in &found {
                        existing.insert(
                            (r.try_get("area_code").map_err(map_err)?, year, r.try_get("sex").map_err(map_err)?, r.try_get("age_band").map_err(map_err)?),
                            r.try_get("population").map_err(map_err)?,
                        );
                    }
                }
                let mut summary = ImportSummary::default();
                let mut write = Vec::new();
                for r in rows {
                    match existing.get(&(r.area_code.clone(), r.year, r.sex.as_str().to_owned(), r.age_band.to_owned())) {
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
                    let mut qb = QueryBuilder::<$db>::new("INSERT INTO populations (area_code, year, sex, age_band, population) ");
                    qb.push_values(chunk, |mut b, r| {
                        b.push_bind(r.area_code.clone()).push_bind(r.year).push_bind(r.sex.as_str()).push_bind(r.age_band).push_bind(r.population);
                    });
                    qb.push(" ON CONFLICT (area_code, year, sex, age_band) DO UPDATE SET population = excluded.population");
                    qb.build().execute(&mut *tx).await.map_err(map_err)?;
                }
                finish(tx, dry_run).await?;
                Ok(summary)
            }

            #[tracing::instrument(skip_all)]
            async fn all_populations(&self) -> StoreResult<Vec<PopulationRow>> {
                let rows = sqlx::query("SELECT area_code, year, sex, age_band, population FROM populations")
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
                let rows = sqlx::query("SELECT sex, age_band, population FROM populations WHERE area_code = $1 AND year = $2")
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
                out.sort_by(|a, b| (a.sex, lantern_core::area::AGE_BANDS.iter().position(|x| *x == a.age_band)).cmp(&(b.sex, lantern_core::area::AGE_BANDS.iter().position(|x| *x == b.age_band))));
                Ok(out)
            }

            #[tracing::instrument(skip_all, fields(records = records.len()))]
            async fn import_merged(
                &self,
                records: &[Record],
                merge: &register::ImportMerge,
                origin: &str,
                dry_run: bool,
                progress: lantern_core::import::Progress<'_>,
            ) -> StoreResult<(ImportSummary, register::FieldChanges)> {
                let mut fields = register::FieldChanges::new();
                let Some(first) = records.first() else { return Ok((ImportSummary::default(), fields)) };
                let dataset = first.dataset;
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                let sources: BTreeSet<String> = records.iter().map(|r| r.text("source")).collect();
                let mut existing: HashMap<(String, String), (i64, String)> = HashMap::new();
                for source in sources {
                    let sql = format!("SELECT id, source_ref, row_hash FROM {} WHERE source = $1", dataset.table);
                    let rows = sqlx::query(&sql).bind(&source).fetch_all(&mut *tx).await.map_err(map_err)?;
                    for row in &rows {
                        existing.insert(
                            (source.clone(), row.try_get("source_ref").map_err(map_err)?),
                            (row.try_get("id").map_err(map_err)?, row.try_get("row_hash").map_err(map_err)?),
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
                let rebuild: Vec<(String, String)> = if common::is_bulk(new.len(), usize::try_from(table_rows).unwrap_or(0)) {
                    let rows = sqlx::query(DIALECT.secondary_indexes).bind(dataset.table).fetch_all(&mut *tx).await.map_err(map_err)?;
                    let indexes = rows
                        .iter()
                        .map(|r| Ok((r.try_get("name")?, r.try_get("sql")?)))
                        .collect::<Result<Vec<(String, String)>, sqlx::Error>>()
                        .map_err(map_err)?;
                    for (name, _) in &indexes {
                        sqlx::query(&format!("DROP INDEX {name}")).execute(&mut *tx).await.map_err(map_err)?;
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
                    sqlx::query(&format!("ANALYZE {}", dataset.table)).execute(&mut *tx).await.map_err(map_err)?;
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
                finish(tx, dry_run).await?;
                tracing::info!(ms = started.elapsed().as_millis() as u64, "committed");
                Ok((summary, fields))
            }

            #[tracing::instrument(skip_all)]
            async fn create_record(&self, record: &Record, origin: &str) -> StoreResult<i64> {
                let dataset = record.dataset;
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                let (source, source_ref) = record.key();
                let sql = format!("SELECT id FROM {} WHERE source = $1 AND source_ref = $2", dataset.table);
                if sqlx::query(&sql).bind(&source).bind(&source_ref).fetch_optional(&mut *tx).await.map_err(map_err)?.is_some() {
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
                let repeat = if std::ptr::eq(dataset, &SELF_HARM) {
                    format!(", {} AS repeat_within_12m", DIALECT.repeat_within_12m())
                } else {
                    String::new()
                };
                let sql = format!("SELECT p.*{repeat} FROM {} p WHERE p.id = $1", dataset.table);
                let row = sqlx::query(&sql).bind(id).fetch_one(&self.pool).await.map_err(map_err)?;
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
                            changes: serde_json::from_str(&changes).map_err(|e| StoreError::Backend(Box::new(e)))?,
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
                let version = self.setting(common::VERSION_SETTING).await?.unwrap_or_default();
                let key = format!(
                    "{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
                    dataset.name, q.from, q.to, q.area, q.status, q.source, q.setting, q.scope_area, q.scope_source
                );
                let total = match self.caches.counts.get(&key, &version) {
                    Some(n) => n,
                    None => {
                        let mut count = QueryBuilder::<$db>::new(format!("SELECT COUNT(*) AS n FROM {} WHERE 1 = 1", dataset.table));
                        push_filters(&mut count, dataset, q);
                        let n: i64 = count.build().fetch_one(&self.pool).await.map_err(map_err)?.try_get("n").map_err(map_err)?;
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
                let repeat = if std::ptr::eq(dataset, &SELF_HARM) {
                    format!(", {} AS repeat_within_12m", DIALECT.repeat_within_12m())
                } else {
                    String::new()
                };
                let mut page = QueryBuilder::<$db>::new(format!(
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
                let items = rows.iter().map(|r| decode_stored(dataset, r)).collect::<Result<_, _>>().map_err(map_err)?;
                Ok(Page { items, total: u64::try_from(total).unwrap_or(0) })
            }

            #[tracing::instrument(skip_all)]
            async fn export_records(&self, dataset: &'static Dataset) -> StoreResult<Vec<Record>> {
                let sql = format!("SELECT {} FROM {} ORDER BY id", common::select_columns(dataset), dataset.table);
                let rows = sqlx::query(&sql).fetch_all(&self.pool).await.map_err(map_err)?;
                rows.iter().map(|r| decode_record(dataset, r)).collect::<Result<_, _>>().map_err(map_err)
            }

            #[tracing::instrument(skip_all)]
            async fn sources(&self, dataset: &'static Dataset) -> StoreResult<Vec<String>> {
                // Cached until the register changes, like counts: it reads every row's source.
                let version = self.setting(common::VERSION_SETTING).await?.unwrap_or_default();
                let key = format!("sources|{}", dataset.name);
                if let Some(list) = self.caches.sources.get(&key, &version) {
                    return Ok(list);
                }
                let sql = format!("SELECT DISTINCT source FROM {} ORDER BY source", dataset.table);
                let rows = sqlx::query(&sql).fetch_all(&self.pool).await.map_err(map_err)?;
                let list: Vec<String> = rows.iter().map(|r| r.try_get("source")).collect::<Result<_, _>>().map_err(map_err)?;
                self.caches.sources.put(key, version, list.clone());
                Ok(list)
            }

            #[tracing::instrument(skip_all)]
            async fn completeness(&self, dataset: &'static Dataset) -> StoreResult<Vec<CompletenessRow>> {
                let filled: Vec<String> = dataset
                    .fields
                    .iter()
                    .enumerate()
                    .map(|(i, f)| format!("SUM(CASE WHEN {} IS NOT NULL THEN 1 ELSE 0 END) AS f{i}", f.name))
                    .collect();
                let month = DIALECT.month_of(dataset);
                let sql = format!(
                    "SELECT source, {month} AS month, COUNT(*) AS total, {} FROM {} GROUP BY source, {month} ORDER BY source, month",
                    filled.join(", "),
                    dataset.table
                );
                let rows = sqlx::query(&sql).fetch_all(&self.pool).await.map_err(map_err)?;
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
                let n: i64 = sqlx::query(&sql).fetch_one(&self.pool).await.map_err(map_err)?.try_get("n").map_err(map_err)?;
                Ok(u64::try_from(n).unwrap_or(0))
            }

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
            async fn append_audit(&self, e: &lantern_core::audit::NewAuditEntry) -> StoreResult<lantern_core::audit::AuditEntry> {
                self.append_audits(std::slice::from_ref(e))
                    .await?
                    .pop()
                    .ok_or_else(|| StoreError::Conflict("no audit entry was written".to_owned()))
            }

            #[tracing::instrument(skip_all)]
            async fn append_audits(&self, batch: &[lantern_core::audit::NewAuditEntry]) -> StoreResult<Vec<lantern_core::audit::AuditEntry>> {
                use lantern_core::audit;
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                sqlx::query(DIALECT.lock_audit).execute(&mut *tx).await.map_err(map_err)?;
                let prev: Option<String> = sqlx::query_scalar("SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1")
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map_err)?;
                let mut prev = prev.unwrap_or_else(|| audit::GENESIS.to_owned());
                let mut written = Vec::with_capacity(batch.len());
                for e in batch {
                    let at = audit::now();
                    let hash = audit::entry_hash(&prev, at, e);
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO audit_log (at, actor, action, dataset, record_id, detail, origin, prev_hash, hash) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                    )
                    .bind(at)
                    .bind(&e.actor)
                    .bind(&e.action)
                    .bind(&e.dataset)
                    .bind(e.record_id)
                    .bind(&e.detail)
                    .bind(&e.origin)
                    .bind(&prev)
                    .bind(&hash)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(map_err)?;
                    written.push(audit::AuditEntry { id, at, entry: e.clone(), prev_hash: std::mem::replace(&mut prev, hash.clone()), hash });
                }
                sqlx::query(common::UPSERT_SETTING)
                    .bind(audit::HEAD_SETTING)
                    .bind(&prev)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                tx.commit().await.map_err(map_err)?;
                Ok(written)
            }

            #[tracing::instrument(skip_all)]
            async fn audit_log(&self) -> StoreResult<(Vec<lantern_core::audit::AuditEntry>, Option<String>)> {
                let rows = sqlx::query(&format!("SELECT {} FROM audit_log ORDER BY id", common::AUDIT_COLUMNS))
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                let entries = audit_entries_of(&rows)?;
                Ok((entries, self.setting(lantern_core::audit::HEAD_SETTING).await?))
            }

            #[tracing::instrument(skip_all)]
            async fn audit_page(
                &self,
                page: &lantern_core::audit::AuditPage,
            ) -> StoreResult<Vec<lantern_core::audit::AuditEntry>> {
                let order = if page.newest_first { "DESC" } else { "ASC" };
                let sql = format!(
                    "SELECT {} FROM audit_log WHERE id > $1 AND id < $2 ORDER BY id {order} LIMIT $3",
                    common::AUDIT_COLUMNS
                );
                let rows = sqlx::query(&sql)
                    .bind(page.after.unwrap_or(i64::MIN))
                    .bind(page.before.unwrap_or(i64::MAX))
                    .bind(i64::from(page.limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err)?;
                audit_entries_of(&rows)
            }

            #[tracing::instrument(skip_all)]
            async fn audit_count(&self) -> StoreResult<u64> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(map_err)?;
                Ok(u64::try_from(n).unwrap_or(0))
            }

            #[tracing::instrument(skip_all)]
            async fn setting_or_insert(&self, key: &str, value: &str) -> StoreResult<String> {
                sqlx::query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
                    .bind(key)
                    .bind(value)
                    .execute(&self.pool)
                    .await
                    .map_err(map_err)?;
                self.setting(key).await?.ok_or(StoreError::NotFound)
            }

            #[tracing::instrument(skip_all)]
            async fn data_version(&self) -> StoreResult<String> {
                Ok(self.setting(common::VERSION_SETTING).await?.unwrap_or_default())
            }

            #[tracing::instrument(skip_all)]
            async fn export_fields(&self, dataset: &'static Dataset, fields: &[&str]) -> StoreResult<Vec<Record>> {
                let wanted: Vec<&str> = dataset
                    .fields
                    .iter()
                    .map(|f| f.name)
                    .filter(|n| fields.contains(n))
                    .collect();
                if wanted.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!("SELECT {} FROM {} ORDER BY id", wanted.join(", "), dataset.table);
                let rows = sqlx::query(&sql).fetch_all(&self.pool).await.map_err(map_err)?;
                rows.iter()
                    .map(|row| decode_fields(dataset, row, |n| wanted.contains(&n)))
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
                sqlx::query(common::BUMP_VERSION).execute(&mut *tx).await.map_err(map_err)?;
                let rows: Vec<(i64, String)> = sqlx::query_as("SELECT id, person_key FROM self_harm_presentations")
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
                    let json = serde_json::to_string(&changes).map_err(|e| StoreError::Backend(Box::new(e)))?;
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
            async fn delete_records(&self, dataset: &'static Dataset, q: &RecordQuery, dry_run: bool) -> StoreResult<u64> {
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                let mut ids = QueryBuilder::<$db>::new(format!("SELECT id FROM {} WHERE 1 = 1", dataset.table));
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
                    sqlx::query(common::BUMP_VERSION).execute(&mut *tx).await.map_err(map_err)?;
                    for chunk in ids.chunks(5_000) {
                        let list = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
                        sqlx::query(&format!("DELETE FROM record_history WHERE dataset = $1 AND record_id IN ({list})"))
                            .bind(dataset.name)
                            .execute(&mut *tx)
                            .await
                            .map_err(map_err)?;
                        if std::ptr::eq(dataset, &SUICIDES) {
                            sqlx::query(&format!("DELETE FROM suicide_status_history WHERE record_id IN ({list})"))
                                .execute(&mut *tx)
                                .await
                                .map_err(map_err)?;
                        }
                        sqlx::query(&format!("DELETE FROM {} WHERE id IN ({list})", dataset.table))
                            .execute(&mut *tx)
                            .await
                            .map_err(map_err)?;
                    }
                }
                finish(tx, dry_run).await?;
                Ok(ids.len() as u64)
            }

            #[tracing::instrument(skip_all)]
            async fn area_contains(&self, ancestor: &str, code: &str) -> StoreResult<bool> {
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
                let row = sqlx::query(&format!("SELECT {} FROM users u WHERE username = $1", common::USER_COLUMNS))
                    .bind(username)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(map_err)?;
                row.as_ref().map(decode_user).transpose().map_err(map_err)
            }

            #[tracing::instrument(skip_all)]
            async fn users(&self) -> StoreResult<Vec<lantern_core::auth::User>> {
                let rows = sqlx::query(&format!("SELECT {} FROM users u ORDER BY username", common::USER_COLUMNS))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err)?;
                rows.iter().map(decode_user).collect::<Result<_, _>>().map_err(map_err)
            }

            #[tracing::instrument(skip_all)]
            async fn update_user(&self, username: &str, c: &lantern_core::auth::UserChange) -> StoreResult<()> {
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
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(&mut *tx).await.map_err(map_err)?;
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

            #[tracing::instrument(skip_all)]
            async fn create_plan(&self, plan: &lantern_core::plans::Plan) -> StoreResult<i64> {
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
                    let detail = serde_json::to_string(action).map_err(|e| StoreError::Backend(e.into()))?;
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
                        let plan: lantern_core::plans::Plan = serde_json::from_str(&detail)
                            .map_err(|e| sqlx::Error::Decode(e.into()))?;
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
                    "SELECT id, section, number, detail, status, rag FROM plan_actions WHERE plan_id = $1 ORDER BY position",
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
                    action_ids.insert(action.number.clone(), r.try_get::<i64, _>("id").map_err(map_err)?);
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
                sqlx::query("DELETE FROM plan_actions WHERE plan_id = $1").bind(id).execute(&mut *tx).await.map_err(map_err)?;
                let done = sqlx::query("DELETE FROM plans WHERE id = $1").bind(id).execute(&mut *tx).await.map_err(map_err)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                tx.commit().await.map_err(map_err)
            }

            #[tracing::instrument(skip_all)]
            async fn add_update(&self, action_id: i64, u: &lantern_core::plans::NewUpdate) -> StoreResult<i64> {
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                let before: Option<String> = sqlx::query_scalar::<_, Option<String>>("SELECT status FROM plan_actions WHERE id = $1")
                    .bind(action_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map_err)?
                    .ok_or(StoreError::NotFound)?;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO action_updates (action_id, at, author, body, status_before, status, rag) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(action_id)
                .bind(u.at)
                .bind(&u.author)
                .bind(&u.text)
                .bind(&before)
                .bind(&u.status)
                .bind(u.rag.map(|r| r.as_str()))
                .fetch_one(&mut *tx)
                .await
                .map_err(map_err)?;
                sqlx::query("UPDATE plan_actions SET status = COALESCE($1, status), rag = COALESCE($2, rag) WHERE id = $3")
                    .bind(&u.status)
                    .bind(u.rag.map(|r| r.as_str()))
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
                    "SELECT u.id, u.action_id, u.at, u.author, u.body, u.status_before, u.status, u.rag \
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
                            },
                        })
                    })
                    .collect::<Result<_, sqlx::Error>>()
                    .map_err(map_err)
            }

            #[tracing::instrument(skip_all)]
            async fn save_signals(
                &self,
                found: &[lantern_core::signals::Found],
                at: chrono::DateTime<Utc>,
            ) -> StoreResult<usize> {
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                let mut new = 0;
                for f in found {
                    let detail = serde_json::to_string(f).map_err(|e| StoreError::Backend(e.into()))?;
                    let done = sqlx::query(
                        "UPDATE signals SET kind = $1, dataset = $2, area_code = $3, detail = $4, last_day = $5, updated_at = $6 \
                         WHERE key = $7",
                    )
                    .bind(f.kind.as_str())
                    .bind(&f.dataset)
                    .bind(&f.area_code)
                    .bind(&detail)
                    .bind(f.end.to_string())
                    .bind(at)
                    .bind(&f.key)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
                    if done.rows_affected() == 0 {
                        sqlx::query(
                            "INSERT INTO signals (key, kind, dataset, area_code, detail, last_day, found_at, updated_at, status, owner, version) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 'new', NULL, 1)",
                        )
                        .bind(&f.key)
                        .bind(f.kind.as_str())
                        .bind(&f.dataset)
                        .bind(&f.area_code)
                        .bind(&detail)
                        .bind(f.end.to_string())
                        .bind(at)
                        .execute(&mut *tx)
                        .await
                        .map_err(map_err)?;
                        new += 1;
                    }
                }
                // Unreviewed signals the detectors no longer find (the data changed) go; any
                // signal with a review stays, with the findings it had.
                let keys: HashSet<&str> = found.iter().map(|f| f.key.as_str()).collect();
                let stale: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT s.id, s.key FROM signals s WHERE s.status = 'new'                      AND NOT EXISTS (SELECT 1 FROM signal_events e WHERE e.signal_id = s.id)",
                )
                .fetch_all(&mut *tx)
                .await
                .map_err(map_err)?;
                for (id, key) in stale {
                    if !keys.contains(key.as_str()) {
                        sqlx::query("DELETE FROM signals WHERE id = $1")
                            .bind(id)
                            .execute(&mut *tx)
                            .await
                            .map_err(map_err)?;
                    }
                }
                tx.commit().await.map_err(map_err)?;
                Ok(new)
            }

            #[tracing::instrument(skip_all)]
            async fn signals(&self) -> StoreResult<Vec<lantern_core::signals::Signal>> {
                let rows = sqlx::query(
                    "SELECT id, detail, found_at, updated_at, status, owner, version FROM signals \
                     ORDER BY last_day DESC, id DESC",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
                rows.iter().map(common::decode_signal).collect::<Result<_, sqlx::Error>>().map_err(map_err)
            }

            #[tracing::instrument(skip_all)]
            async fn signal(
                &self,
                id: i64,
            ) -> StoreResult<(lantern_core::signals::Signal, Vec<lantern_core::signals::SignalEvent>)> {
                let row = sqlx::query(
                    "SELECT id, detail, found_at, updated_at, status, owner, version FROM signals WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?
                .ok_or(StoreError::NotFound)?;
                let signal = common::decode_signal(&row).map_err(map_err)?;
                let events = sqlx::query(
                    "SELECT at, author, status_before, status, owner, note FROM signal_events \
                     WHERE signal_id = $1 ORDER BY at, id",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?
                .iter()
                .map(|r| {
                    let status = |c: &str| common::decode_status(&r.try_get::<String, _>(c)?);
                    Ok(lantern_core::signals::SignalEvent {
                        at: r.try_get("at")?,
                        author: r.try_get("author")?,
                        status_before: status("status_before")?,
                        status: status("status")?,
                        owner: r.try_get("owner")?,
                        note: r.try_get("note")?,
                    })
                })
                .collect::<Result<_, sqlx::Error>>()
                .map_err(map_err)?;
                Ok((signal, events))
            }

            #[tracing::instrument(skip_all)]
            async fn review_signal(
                &self,
                id: i64,
                review: &lantern_core::signals::SignalReview,
            ) -> StoreResult<()> {
                let mut tx = self.pool.begin().await.map_err(map_err)?;
                let before: String = sqlx::query_scalar("SELECT status FROM signals WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map_err)?
                    .ok_or(StoreError::NotFound)?;
                let done = sqlx::query(
                    "UPDATE signals SET status = $1, owner = $2, version = version + 1 WHERE id = $3 AND version = $4",
                )
                .bind(review.status.as_str())
                .bind(&review.owner)
                .bind(id)
                .bind(review.version)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Conflict(
                        "someone else changed this signal's review while you were editing it; reload it and try again".to_owned(),
                    ));
                }
                sqlx::query(
                    "INSERT INTO signal_events (signal_id, at, author, status_before, status, owner, note) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(id)
                .bind(review.at)
                .bind(&review.author)
                .bind(&before)
                .bind(review.status.as_str())
                .bind(&review.owner)
                .bind(&review.note)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
                tx.commit().await.map_err(map_err)
            }

            #[tracing::instrument(skip_all)]
            async fn locations_of_concern(&self) -> StoreResult<Vec<lantern_core::signals::LocationOfConcern>> {
                sqlx::query("SELECT id, detail FROM locations_of_concern ORDER BY name")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(map_err)?
                    .iter()
                    .map(|r| {
                        let detail: String = r.try_get("detail")?;
                        let mut l: lantern_core::signals::LocationOfConcern =
                            serde_json::from_str(&detail).map_err(|e| sqlx::Error::Decode(e.into()))?;
                        l.id = r.try_get("id")?;
                        Ok(l)
                    })
                    .collect::<Result<_, sqlx::Error>>()
                    .map_err(map_err)
            }

            #[tracing::instrument(skip_all)]
            async fn add_location_of_concern(
                &self,
                location: &lantern_core::signals::LocationOfConcern,
            ) -> StoreResult<i64> {
                let detail = serde_json::to_string(location).map_err(|e| StoreError::Backend(e.into()))?;
                sqlx::query_scalar(
                    "INSERT INTO locations_of_concern (name, detail, created_at) VALUES ($1, $2, $3) RETURNING id",
                )
                .bind(location.name.trim())
                .bind(&detail)
                .bind(Utc::now())
                .fetch_one(&self.pool)
                .await
                .map_err(|e| match e {
                    sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(format!(
                        "a location of concern called '{}' is already registered",
                        location.name
                    )),
                    other => map_err(other),
                })
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
    };
}

pub(crate) use impl_store;
