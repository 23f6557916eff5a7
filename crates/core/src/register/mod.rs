//! The register's two datasets, suspected suicides and self-harm presentations, described once as
//! a schema of fields. Import validation, storage columns, export columns, forms and the
//! data-quality report are all driven by these tables, so a field is added in one place.
//!
//! Values are parsed into [`Value`]s at the boundary; past it no raw strings remain.

pub mod postvention;
mod schema;
mod value;

pub use schema::{Dataset, DatasetKind, Field, FieldKind, SELF_HARM, SUICIDES, dataset};
pub use value::{FieldError, Record, Value};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// A record as stored: its id, its values and the bookkeeping the store adds.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRecord {
    /// The store's id of the record.
    pub id: i64,
    /// The values.
    pub record: Record,
    /// When the record was first written.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Self-harm only: whether the same person presented again within 12 months after this
    /// presentation. `None` when it does not apply or there is no person key.
    pub repeat_within_12m: Option<bool>,
    /// Bumped by every change; an edit must name the version it started from.
    pub version: i64,
}

impl StoredRecord {
    /// The record as JSON, with `id` and derived fields.
    pub fn to_json(&self) -> serde_json::Value {
        let mut map = self.record.to_json_map();
        map.insert("id".to_owned(), self.id.into());
        map.insert("created_at".to_owned(), self.created_at.to_rfc3339().into());
        map.insert("updated_at".to_owned(), self.updated_at.to_rfc3339().into());
        map.insert("version".to_owned(), self.version.into());
        if self.record.dataset.name == SELF_HARM.name {
            map.insert(
                "repeat_within_12m".to_owned(),
                self.repeat_within_12m.into(),
            );
        }
        serde_json::Value::Object(map)
    }
}

/// One change kept in a record's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    /// When the change was made.
    pub changed_at: DateTime<Utc>,
    /// `created`, `updated` or `status`.
    pub kind: String,
    /// What changed and how, as `{field, old, new}` items (strings in export form).
    pub changes: Vec<FieldChange>,
    /// Who or what made the change (`import:FILE`, `web`, `demo`).
    pub origin: String,
}

/// One field's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FieldChange {
    /// The field's name.
    pub field: String,
    /// The value before, in export form (empty when blank).
    pub old: String,
    /// The value after, in export form.
    pub new: String,
}

/// A status of a suspected suicide and the date it took effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusChange {
    /// The status code.
    pub status: String,
    /// The date the status took effect.
    pub effective_on: NaiveDate,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// [`Record::content_hash`] of every record, computed on every core for large batches.
pub fn content_hashes(records: &[Record]) -> Vec<String> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = records.len().div_ceil(threads).max(20_000);
    std::thread::scope(|scope| {
        let parts: Vec<_> = records
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(Record::content_hash).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// How an imported row is laid over the record already stored under its key. A file need not
/// carry every column: a column it lacks leaves that field as it is, and an empty cell leaves
/// it too unless `blank_clears` is set (`lantern import --blank-clears`), so a partner's file
/// with fewer columns never wipes what another source recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportMerge {
    /// Per field of the dataset (in schema order), whether the file has its column; `None`: all.
    pub present: Option<Vec<bool>>,
    /// An empty cell clears the stored value.
    pub blank_clears: bool,
}

impl ImportMerge {
    /// Every field is given and blanks clear: the record replaces the stored one (forms, the
    /// API, the demo).
    pub fn replace() -> Self {
        Self {
            present: None,
            blank_clears: true,
        }
    }

    /// For a file with these column names.
    pub fn for_columns<'a>(
        dataset: &Dataset,
        columns: impl IntoIterator<Item = &'a str>,
        blank_clears: bool,
    ) -> Self {
        let columns: Vec<&str> = columns.into_iter().collect();
        Self {
            present: Some(
                dataset
                    .fields
                    .iter()
                    .map(|f| columns.contains(&f.name))
                    .collect(),
            ),
            blank_clears,
        }
    }

    /// `new` laid over `old`.
    pub fn apply(&self, old: &Record, new: &Record) -> Record {
        let mut out = new.clone();
        for (i, value) in out.values.iter_mut().enumerate() {
            let given = self
                .present
                .as_ref()
                .is_none_or(|p| p.get(i).copied().unwrap_or(false));
            if !given || (value.is_none() && !self.blank_clears) {
                value.clone_from(&old.values[i]);
            }
        }
        out
    }
}

/// Names of the fields an import changed, with how many records each changed in.
pub type FieldChanges = std::collections::BTreeMap<String, u64>;

/// The field-by-field differences between two records of the same dataset.
pub fn diff(old: &Record, new: &Record) -> Vec<FieldChange> {
    old.dataset
        .fields
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let (a, b) = (old.text_at(i), new.text_at(i));
            (a != b).then(|| FieldChange {
                field: f.name.to_owned(),
                old: a,
                new: b,
            })
        })
        .collect()
}
