//! Rows of the registers: decoding, list filters, and the inserts and updates that keep each
//! record's history.

use chrono::{NaiveDate, Utc};
use lantern_core::register::{self, Dataset, FieldChange, Record, StoredRecord};
use lantern_core::store::RecordQuery;
use lantern_core::{StoreError, StoreResult};
use sqlx::{QueryBuilder, Row as _};

use super::{Conn, DIALECT, Db, Row, This, push_cell};
use crate::common::{self, Column, map_err};

pub(super) fn decode_record(dataset: &'static Dataset, row: &Row) -> Result<Record, sqlx::Error> {
    decode_fields(dataset, row, |_| true)
}

/// The fields `wanted` says a row holds; the others stay blank.
pub(super) fn decode_fields(
    dataset: &'static Dataset,
    row: &Row,
    wanted: impl Fn(&str) -> bool,
) -> Result<Record, sqlx::Error> {
    let mut record = Record::empty(dataset);
    for (i, f) in dataset
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| wanted(f.name))
    {
        record.values[i] = decode_value(f.kind, row, f.name)?;
    }
    Ok(record)
}

/// A row whose columns are the dataset's fields `at` (by their index in the dataset), in that
/// order: read by position, which spares a lookup of each column's name in every row.
pub(super) fn decode_columns(
    dataset: &'static Dataset,
    row: &Row,
    at: &[usize],
) -> Result<Record, sqlx::Error> {
    let mut record = Record::empty(dataset);
    for (column, &i) in at.iter().enumerate() {
        record.values[i] = decode_value(dataset.fields[i].kind, row, column)?;
    }
    Ok(record)
}

fn decode_value<I: sqlx::ColumnIndex<Row>>(
    kind: register::FieldKind,
    row: &Row,
    index: I,
) -> Result<Option<register::Value>, sqlx::Error> {
    Ok(match common::column(kind) {
        Column::Int => row
            .try_get::<Option<i64>, _>(index)?
            .map(register::Value::Int),
        Column::Float => row
            .try_get::<Option<f64>, _>(index)?
            .map(register::Value::Float),
        Column::Date => row
            .try_get::<Option<NaiveDate>, _>(index)?
            .map(register::Value::Date),
        Column::Bool => row
            .try_get::<Option<bool>, _>(index)?
            .map(register::Value::Bool),
        Column::Text => common::value_from_text(kind, row.try_get::<Option<String>, _>(index)?),
    })
}

pub(super) fn decode_stored(
    dataset: &'static Dataset,
    row: &Row,
) -> Result<StoredRecord, sqlx::Error> {
    let repeat = if dataset.is_self_harm() {
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

pub(super) fn push_filters(
    qb: &mut QueryBuilder<'_, Db>,
    dataset: &'static Dataset,
    q: &RecordQuery,
) {
    let date = dataset.date_field;
    let is_date = matches!(
        dataset.field(date).map(|f| f.kind),
        Some(register::FieldKind::Date)
    );
    if let Some(from) = q.from {
        qb.push(format!(" AND {date} >= "));
        if is_date {
            qb.push_bind(from);
        } else {
            qb.push_bind(from.to_string());
        }
    }
    if let Some(to) = q.to {
        if is_date {
            qb.push(format!(" AND {date} <= ")).push_bind(to);
        } else {
            let next = to.succ_opt().unwrap_or(to);
            qb.push(format!(" AND {date} < "))
                .push_bind(next.to_string());
        }
    }
    for ((open, close), area, scope) in [
        ((" AND residence_area IN (", ")"), &q.area, false),
        (DIALECT.scope_term, &q.scope_area, true),
    ] {
        let Some(area) = area else { continue };
        qb.push(format!(
            "{open}WITH RECURSIVE d(code) AS (SELECT CAST(",
        ))
        .push_bind(area.clone())
        .push(" AS TEXT) UNION SELECT a.code FROM areas a JOIN d ON a.parent_code = d.code) SELECT code FROM d");
        // A scope that is the whole partnership (its one top area) also holds the residences
        // that are no area: no fixed abode, outside the partnership's areas.
        if scope {
            for other in &lantern_core::codes::list(lantern_core::area::RESIDENCE_LIST).codes {
                qb.push(" UNION ALL SELECT CAST(")
                    .push_bind(other.code.clone())
                    .push(" AS TEXT) WHERE EXISTS (SELECT 1 FROM areas WHERE parent_code IS NULL AND code = ")
                    .push_bind(area.clone())
                    .push(") AND NOT EXISTS (SELECT 1 FROM areas WHERE parent_code IS NULL AND code <> ")
                    .push_bind(area.clone())
                    .push(")");
            }
        }
        qb.push(close);
    }
    let filters = [
        ("status", &q.status),
        ("source", &q.source),
        ("setting", &q.setting),
        ("source", &q.scope_source),
    ];
    for (name, value) in filters {
        if let (Some(v), Some(_)) = (value, dataset.field(name)) {
            qb.push(format!(" AND {name} = ")).push_bind(v.clone());
        }
    }
    // The postvention worklist: no offer of support recorded, and not found to be something
    // other than a suicide (as the indicators count).
    if q.awaiting_support && dataset.field("support_offered").is_some() {
        qb.push(" AND support_offered IS NULL");
        for status in lantern_core::indicators::NOT_SUICIDE_STATUSES {
            qb.push(" AND status <> ").push_bind(status);
        }
    }
}

impl This {
    pub(super) async fn fetch_record(
        conn: &mut Conn,
        dataset: &'static Dataset,
        id: i64,
    ) -> StoreResult<Record> {
        let sql = format!(
            "SELECT {} FROM {} WHERE id = $1",
            common::select_columns(dataset),
            dataset.table
        );
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_one(&mut *conn)
            .await
            .map_err(map_err)?;
        decode_record(dataset, &row).map_err(map_err)
    }

    pub(super) async fn insert_batch(
        conn: &mut Conn,
        records: &[(&Record, String)],
        origin: &str,
    ) -> StoreResult<()> {
        let Some((first, _)) = records.first() else {
            return Ok(());
        };
        let dataset = first.dataset;
        sqlx::query(common::BUMP_VERSION)
            .execute(&mut *conn)
            .await
            .map_err(map_err)?;
        let per_row = dataset.fields.len() + common::BOOKKEEPING.len();
        let now = Utc::now();
        for chunk in records.chunks((common::MAX_PARAMS / per_row).max(1)) {
            let mut qb = QueryBuilder::<Db>::new(format!(
                "INSERT INTO {} ({}) ",
                dataset.table,
                common::insert_columns(dataset)
            ));
            qb.push_values(chunk, |mut b, (record, hash)| {
                for (f, v) in dataset.fields.iter().zip(&record.values) {
                    push_cell(&mut b, common::cell(f, v.as_ref()), true);
                }
                b.push_bind(hash.as_str())
                    .push_bind(now)
                    .push_bind(now)
                    .push_bind(origin);
            });
            qb.build().execute(&mut *conn).await.map_err(map_err)?;
        }
        if dataset.is_suicides() {
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

    pub(super) async fn insert_history(
        conn: &mut Conn,
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
    pub(super) async fn update_in(
        conn: &mut Conn,
        id: i64,
        new: &Record,
        merge: Option<&register::ImportMerge>,
        origin: &str,
        expected_version: Option<i64>,
    ) -> StoreResult<Vec<String>> {
        let dataset = new.dataset;
        // Write first: it takes SQLite's write lock and PostgreSQL's row lock, so two
        // edits of one record queue, and the second sees the first's version.
        let touched = sqlx::query(&format!(
            "UPDATE {} SET version = version WHERE id = $1",
            dataset.table
        ))
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(map_err)?;
        if touched.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let current: i64 = sqlx::query_scalar(&format!(
            "SELECT version FROM {} WHERE id = $1",
            dataset.table
        ))
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
        sqlx::query(common::BUMP_VERSION)
            .execute(&mut *conn)
            .await
            .map_err(map_err)?;
        let mut qb = QueryBuilder::<Db>::new(format!("UPDATE {} SET ", dataset.table));
        {
            let mut set = qb.separated(", ");
            for (f, v) in dataset.fields.iter().zip(&new.values) {
                set.push(format!("{} = ", f.name));
                push_cell(&mut set, common::cell(f, v.as_ref()), false);
            }
            set.push("row_hash = ")
                .push_bind_unseparated(new.content_hash());
            set.push("updated_at = ").push_bind_unseparated(Utc::now());
            set.push("version = version + 1");
        }
        qb.push(" WHERE id = ").push_bind(id);
        qb.build().execute(&mut *conn).await.map_err(map_err)?;
        Self::insert_history(conn, dataset, id, "updated", &changes, origin).await?;
        if dataset.is_suicides() && old.text("status") != new.text("status") {
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
