//! What the two backends share: column lists, SQL fragments, value conversion, error mapping,
//! and (in [`impl_store!`]) the body of the `Store` implementation. The dialects differ only in
//! the fragments of [`Dialect`], so the queries are written once and each backend file
//! instantiates the macro with its own database type.

use chrono::NaiveDate;
use lantern_core::StoreError;
use lantern_core::register::{Dataset, Field, FieldKind, Record, Value};

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
    /// The function that makes a character from its code: `char` or `chr`.
    pub(crate) chr: &'static str,
    /// A query giving a table's rows packed into text, a row per 4,096 ids: `n` the records in
    /// it and `packed` their `record` expressions (`x`) joined by character 30, in any order.
    pub(crate) packed: fn(table: &str, record: &str) -> String,
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

    /// The expression that packs a row's `id` and `columns` into one text: joined by character
    /// 31, each value `=` and its text, a blank for NULL (see [`unpack`]).
    pub(crate) fn pack(&self, columns: &[&str]) -> String {
        let unit = format!(" || {}(31) || ", self.chr);
        let mut parts = vec!["CAST(id AS TEXT)".to_owned()];
        parts.extend(
            columns
                .iter()
                .map(|c| format!("COALESCE('=' || CAST({c} AS TEXT), '')")),
        );
        parts.join(&unit)
    }

    /// `YYYY-MM` of the dataset's date field.
    pub(crate) fn month_of(&self, dataset: &Dataset) -> String {
        match dataset.field(dataset.date_field).map(|f| f.kind) {
            Some(FieldKind::Date) => (self.month_of_date)(dataset.date_field),
            _ => format!("substr({}, 1, 7)", dataset.date_field),
        }
    }
}

/// Records from the text [`Dialect::pack`] made, `n` of them, with their ids; each value of the
/// dataset's fields `at`. `None` when the text does not split into exactly that (a value holding
/// character 30 or 31, or one that does not read as its field's type): the caller then reads
/// row by row.
pub(crate) fn unpack(
    dataset: &'static Dataset,
    at: &[usize],
    packed: &str,
    n: usize,
    out: &mut Vec<(i64, Record)>,
) -> Option<()> {
    let start = out.len();
    for line in packed.split('\u{1e}') {
        let mut units = line.split('\u{1f}');
        let id: i64 = units.next()?.parse().ok()?;
        let mut record = Record::empty(dataset);
        for &i in at {
            let unit = units.next()?;
            if unit.is_empty() {
                continue;
            }
            let text = unit.strip_prefix('=')?;
            let kind = dataset.fields.get(i)?.kind;
            record.values[i] = Some(match column(kind) {
                Column::Int => Value::Int(text.parse().ok()?),
                Column::Float => Value::Float(text.parse().ok()?),
                Column::Date => Value::Date(NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?),
                Column::Bool => Value::Bool(match text {
                    "1" | "true" | "t" => true,
                    "0" | "false" | "f" => false,
                    _ => return None,
                }),
                Column::Text => value_from_text(kind, Some(text.to_owned()))?,
            });
        }
        if units.next().is_some() {
            return None;
        }
        out.push((id, record));
    }
    (out.len() - start == n).then_some(())
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

/// What an upsert of `rows` changes against the stored rows (by `key`): the summary, and the
/// rows to write (new or different), in file order.
pub(crate) fn changes<'a, T: PartialEq, K: std::hash::Hash + Eq>(
    rows: &'a [T],
    existing: &std::collections::HashMap<K, T>,
    key: impl Fn(&T) -> K,
) -> (lantern_core::ImportSummary, Vec<&'a T>) {
    let mut summary = lantern_core::ImportSummary::default();
    let mut write = Vec::new();
    for row in rows {
        match existing.get(&key(row)) {
            Some(old) if old == row => summary.unchanged += 1,
            Some(_) => {
                summary.updated += 1;
                write.push(row);
            }
            None => {
                summary.inserted += 1;
                write.push(row);
            }
        }
    }
    (summary, write)
}
