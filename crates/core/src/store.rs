//! The storage contract, one trait per capability ([`AreaStore`], [`RegisterStore`],
//! [`AuditStore`], [`SettingsStore`], [`UserStore`], [`PlanStore`], [`SignalStore`],
//! [`BenchmarkStore`], [`ServiceStore`], [`WorkforceStore`], [`MediaStore`], [`ReportStore`]) and
//! [`Store`], which is all of them. Code that needs one capability takes that trait; a
//! `&dyn Store` coerces to any of them. `lantern-storage` implements them for SQLite and
//! PostgreSQL, and the contract test suite runs the same story on both.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::area::{Area, AreaLevel, AreaSummary, PopulationRow};
use crate::auth::{NewUser, Session, User, UserChange};
use crate::plans::{NewUpdate, Plan, PlanSummary, StoredPlan, Update};
use crate::register::{Dataset, HistoryEntry, Record, StatusChange, StoredRecord};

/// Makes an import's audit entry from what the import did, inside its transaction.
pub type ImportAudit<'a> = &'a (
        dyn Fn(&ImportSummary, &crate::register::FieldChanges) -> crate::audit::NewAuditEntry
            + Send
            + Sync
    );

/// Makes an import's audit entry from its summary, inside its transaction.
pub type SummaryAudit<'a> =
    &'a (dyn Fn(&ImportSummary) -> crate::audit::NewAuditEntry + Send + Sync);

/// Makes a plan import's audit entry from the new plan's id, inside its transaction.
pub type PlanAudit<'a> = &'a (dyn Fn(i64) -> crate::audit::NewAuditEntry + Send + Sync);

/// Errors from a store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No such record or area.
    #[error("not found")]
    NotFound,
    /// A write would break a rule of the data (duplicate key, unknown parent, ...).
    #[error("{0}")]
    Conflict(String),
    /// The database cannot be reached (down, restarting, or out of connections).
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// The database failed.
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// A store shared between request handlers.
pub type SharedStore = Arc<dyn Store>;

/// What an import or upsert did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// New rows.
    pub inserted: u64,
    /// Existing rows that changed.
    pub updated: u64,
    /// Existing rows that were the same.
    pub unchanged: u64,
}

impl std::ops::AddAssign for ImportSummary {
    fn add_assign(&mut self, o: Self) {
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
    }
}

/// Filters, sorting and paging for a register list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordQuery {
    /// First date of the period (inclusive).
    pub from: Option<NaiveDate>,
    /// Last date of the period (inclusive).
    pub to: Option<NaiveDate>,
    /// Area of residence: this area and every area inside it.
    pub area: Option<String>,
    /// Status (suicides).
    pub status: Option<String>,
    /// Source agency.
    pub source: Option<String>,
    /// Setting (self-harm).
    pub setting: Option<String>,
    /// Sort field (a field name or `id`); the dataset's date field when absent.
    pub sort: Option<String>,
    /// Sort descending.
    pub desc: bool,
    /// 1-based page.
    pub page: u32,
    /// Rows a page (1-500).
    pub per_page: u32,
    /// Access scope, set by the server's access layer from the user, never from the request:
    /// only records of residents of this area (and the areas inside it); when it is the
    /// partnership's one top area, records of no fixed abode or outside the areas too.
    pub scope_area: Option<String>,
    /// Access scope: only records from this source (a recorder's organisation).
    pub scope_source: Option<String>,
    /// Only suspected suicides with no bereavement support offer recorded (`support_offered`
    /// blank) and not found to be something else (`indicators::NOT_SUICIDE_STATUSES`): the
    /// postvention worklist.
    pub awaiting_support: bool,
}

impl Default for RecordQuery {
    fn default() -> Self {
        Self {
            from: None,
            to: None,
            area: None,
            status: None,
            source: None,
            setting: None,
            sort: None,
            desc: true,
            page: 1,
            per_page: 50,
            scope_area: None,
            scope_source: None,
            awaiting_support: false,
        }
    }
}

impl RecordQuery {
    /// The sort field to use for `dataset`: the requested one when it is a field or `id`,
    /// otherwise the date field.
    pub fn sort_field(&self, dataset: &Dataset) -> &'static str {
        match self.sort.as_deref() {
            Some("id") => "id",
            Some(name) => dataset.field(name).map_or(dataset.date_field, |f| f.name),
            None => dataset.date_field,
        }
    }

    /// The filters that are set, as `name=value` pairs, for the audit log.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let dates = [("from", self.from), ("to", self.to)];
        parts.extend(
            dates
                .iter()
                .filter_map(|(k, v)| v.map(|d| format!("{k}={d}"))),
        );
        let texts = [
            ("area", &self.area),
            ("status", &self.status),
            ("source", &self.source),
            ("setting", &self.setting),
            ("sort", &self.sort),
        ];
        parts.extend(
            texts
                .iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}"))),
        );
        if self.awaiting_support {
            parts.push("awaiting_support".to_owned());
        }
        parts.push(format!("page={}", self.page.max(1)));
        parts.join(" ")
    }

    /// Rows to skip.
    pub fn offset(&self) -> u64 {
        u64::from(self.page.max(1) - 1) * u64::from(self.limit())
    }

    /// Rows to return.
    pub fn limit(&self) -> u32 {
        self.per_page.clamp(1, 500)
    }
}

/// Filters, sorting and paging as they arrive in a query string, from the register pages or the
/// API. Blank values mean "any", so a filter form submitted with empty boxes works.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ListParams {
    /// `from` as given.
    pub from: Option<String>,
    /// `to` as given.
    pub to: Option<String>,
    /// `area` as given.
    pub area: Option<String>,
    /// `status` as given.
    pub status: Option<String>,
    /// `source` as given.
    pub source: Option<String>,
    /// `setting` as given.
    pub setting: Option<String>,
    /// `sort` as given.
    pub sort: Option<String>,
    /// `order` as given.
    pub order: Option<String>,
    /// `page` as given.
    pub page: Option<String>,
    /// `per_page` as given.
    pub per_page: Option<String>,
}

/// A query parameter's value, trimmed, unless it is missing or blank.
pub fn non_blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ListParams {
    /// The store query these parameters ask for.
    ///
    /// # Errors
    /// A message naming the parameter that is wrong.
    pub fn to_query(&self) -> Result<RecordQuery, String> {
        let date = |name: &str, v: &Option<String>| -> Result<Option<NaiveDate>, String> {
            non_blank(v)
                .map(|s| {
                    NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .map_err(|_| format!("{name}: '{s}' is not a date (YYYY-MM-DD)"))
                })
                .transpose()
        };
        let number = |name: &str, v: &Option<String>, default: u32| -> Result<u32, String> {
            non_blank(v).map_or(Ok(default), |s| {
                s.parse::<u32>()
                    .map_err(|_| format!("{name}: '{s}' is not a whole number"))
            })
        };
        let order = non_blank(&self.order);
        if !matches!(order, None | Some("asc" | "desc")) {
            return Err("order: use asc or desc".to_owned());
        }
        Ok(RecordQuery {
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
            area: non_blank(&self.area).map(str::to_owned),
            status: non_blank(&self.status).map(str::to_owned),
            source: non_blank(&self.source).map(str::to_owned),
            setting: non_blank(&self.setting).map(str::to_owned),
            sort: non_blank(&self.sort).map(str::to_owned),
            desc: order != Some("asc"),
            page: number("page", &self.page, 1)?.max(1),
            per_page: number("per_page", &self.per_page, 50)?.clamp(1, 500),
            // The scope is the access layer's to set, never the request's.
            scope_area: None,
            scope_source: None,
            awaiting_support: false,
        })
    }

    /// The parameters given (not blank), in a fixed order, for a link to the same list.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        [
            ("from", &self.from),
            ("to", &self.to),
            ("area", &self.area),
            ("status", &self.status),
            ("source", &self.source),
            ("setting", &self.setting),
            ("sort", &self.sort),
            ("order", &self.order),
            ("page", &self.page),
            ("per_page", &self.per_page),
        ]
        .into_iter()
        .filter_map(|(k, v)| non_blank(v).map(|v| (k, v.to_owned())))
        .collect()
    }
}

/// One page of records.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The records on the page.
    pub items: Vec<StoredRecord>,
    /// How many records match the filters in all.
    pub total: u64,
}

/// How many records of one source in one month have each field filled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompletenessRow {
    /// Source agency.
    pub source: String,
    /// `YYYY-MM` of the dataset's date field.
    pub month: String,
    /// Records.
    pub total: i64,
    /// Filled count per field, in schema order.
    pub filled: Vec<i64>,
}

/// Areas (the geography and its boundaries) and their populations.
#[async_trait]
pub trait AreaStore: Send + Sync {
    /// Insert or update areas by code (name, level and boundary; a given parent is kept). With
    /// `dry_run` the work is rolled back and only the summary returned.
    async fn upsert_areas(&self, areas: &[Area], dry_run: bool) -> StoreResult<ImportSummary>;
    /// Set parents of areas. Both codes must exist. `dry_run` as for [`Self::upsert_areas`].
    async fn set_area_parents(
        &self,
        links: &[(String, String)],
        dry_run: bool,
    ) -> StoreResult<ImportSummary>;
    /// Areas, optionally of one level, without boundaries, ordered by level then code.
    async fn areas(&self, level: Option<AreaLevel>) -> StoreResult<Vec<Area>>;
    /// Areas of one level with boundaries.
    async fn area_boundaries(&self, level: AreaLevel) -> StoreResult<Vec<Area>>;
    /// One area with its boundary.
    async fn area(&self, code: &str) -> StoreResult<Area>;
    /// All area codes, for validating imports.
    async fn area_codes(&self) -> StoreResult<HashSet<String>>;
    /// Insert or update postcodes (each to its small area and centroid). `dry_run` as for
    /// [`Self::upsert_areas`].
    async fn upsert_postcodes(
        &self,
        postcodes: &[crate::import::Postcode],
        dry_run: bool,
    ) -> StoreResult<ImportSummary>;
    /// Every postcode held, by its key ([`crate::import::postcode_key`]).
    async fn postcodes(
        &self,
    ) -> StoreResult<std::collections::HashMap<String, crate::import::Postcode>>;
    /// Areas with their latest persons population and number of children.
    async fn area_summaries(&self, level: Option<AreaLevel>) -> StoreResult<Vec<AreaSummary>>;
    /// Whether `code` is `ancestor` or inside it. A residence that is no area (no fixed abode,
    /// outside the partnership's areas) lies only in the partnership's one top area, when the
    /// areas have exactly one.
    async fn area_contains(&self, ancestor: &str, code: &str) -> StoreResult<bool>;
    /// Insert or update populations keyed by area, year, sex and age band. `dry_run` as for
    /// [`Self::upsert_areas`].
    async fn upsert_populations(
        &self,
        rows: &[PopulationRow],
        dry_run: bool,
    ) -> StoreResult<ImportSummary>;
    /// Every population row (the denominators of the indicators).
    async fn all_populations(&self) -> StoreResult<Vec<PopulationRow>>;
    /// Populations of one area and year.
    async fn populations(&self, area_code: &str, year: i32) -> StoreResult<Vec<PopulationRow>>;
}

/// The two registers: imports, edits, lists, exports, history and retention.
#[async_trait]
pub trait RegisterStore: Send + Sync {
    /// Import records all or nothing, keyed by `(source, source_ref)`: new keys are inserted,
    /// changed rows updated with their history kept, the same rows left alone. With `dry_run`
    /// the work is rolled back and only the summary returned.
    /// `progress` is told `(rows written, rows in all)` as the work goes on.
    async fn import_records(
        &self,
        records: &[Record],
        origin: &str,
        dry_run: bool,
        progress: crate::import::Progress<'_>,
    ) -> StoreResult<ImportSummary> {
        self.import_merged(
            records,
            &crate::register::ImportMerge::replace(),
            origin,
            dry_run,
            None,
            progress,
        )
        .await
        .map(|(summary, _)| summary)
    }
    /// [`Self::import_records`], each changed row laid over the stored record as `merge`
    /// says; also returns which fields changed, in how many records. With `audit`, the entry
    /// it makes from what the import did is appended in the import's own transaction, so the
    /// rows and their audit entry commit or roll back together.
    async fn import_merged(
        &self,
        records: &[Record],
        merge: &crate::register::ImportMerge,
        origin: &str,
        dry_run: bool,
        audit: Option<ImportAudit<'_>>,
        progress: crate::import::Progress<'_>,
    ) -> StoreResult<(ImportSummary, crate::register::FieldChanges)>;
    /// Create one record; a duplicate `(source, source_ref)` is a conflict.
    async fn create_record(&self, record: &Record, origin: &str) -> StoreResult<i64>;
    /// Replace a record's values, keeping what changed in its history (and its status
    /// lifecycle, for suicides). With `expected_version`, an edit begun from an older version is
    /// refused with [`StoreError::Conflict`] instead of overwriting the newer one.
    async fn update_record(
        &self,
        id: i64,
        record: &Record,
        origin: &str,
        expected_version: Option<i64>,
    ) -> StoreResult<()>;
    /// One record.
    async fn record(&self, dataset: &'static Dataset, id: i64) -> StoreResult<StoredRecord>;
    /// A record's history, oldest first.
    async fn history(&self, dataset: &'static Dataset, id: i64) -> StoreResult<Vec<HistoryEntry>>;
    /// A suspected suicide's status lifecycle, oldest first.
    async fn status_history(&self, id: i64) -> StoreResult<Vec<StatusChange>>;
    /// A filtered, sorted page of records.
    async fn list_records(
        &self,
        dataset: &'static Dataset,
        query: &RecordQuery,
    ) -> StoreResult<Page>;
    /// Every record of a dataset, ordered by id, for export.
    async fn export_records(&self, dataset: &'static Dataset) -> StoreResult<Vec<Record>>;
    /// The distinct sources of a dataset.
    async fn sources(&self, dataset: &'static Dataset) -> StoreResult<Vec<String>>;
    /// Field completeness by source and month.
    async fn completeness(&self, dataset: &'static Dataset) -> StoreResult<Vec<CompletenessRow>>;
    /// Records in a dataset.
    async fn count(&self, dataset: &'static Dataset) -> StoreResult<u64>;
    /// A token that changes whenever the register changes (in the same transaction), for
    /// caches of counts and indicators.
    async fn data_version(&self) -> StoreResult<String>;
    /// Every record of a dataset in the order they were made, with only `fields` read (the rest
    /// blank): what aggregates need, at a fraction of the cost of [`Self::export_records`].
    async fn export_fields(
        &self,
        dataset: &'static Dataset,
        fields: &[&str],
    ) -> StoreResult<Vec<Record>>;
    /// Rotate the pseudonymisation key: replace every stored person key (in records and field
    /// histories) by `rekey` of it, and record the new key's fingerprint, in one transaction.
    /// Returns how many presentations were re-keyed.
    async fn rekey_person_keys(
        &self,
        rekey: &(dyn for<'s> Fn(&'s str) -> String + Send + Sync),
        fingerprint: &str,
    ) -> StoreResult<u64>;
    /// Delete the records a query's filters match (paging ignored), with their histories, in one
    /// transaction; a dry run counts them and writes nothing. For retention.
    async fn delete_records(
        &self,
        dataset: &'static Dataset,
        q: &RecordQuery,
        dry_run: bool,
    ) -> StoreResult<u64>;
}

/// The append-only, hash-chained audit log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Append to the audit log, chaining the entry to the one before it.
    async fn append_audit(
        &self,
        entry: &crate::audit::NewAuditEntry,
    ) -> StoreResult<crate::audit::AuditEntry>;
    /// Append several entries in one transaction, chained in order (group commit: many
    /// requests' entries cost one lock and one commit).
    async fn append_audits(
        &self,
        entries: &[crate::audit::NewAuditEntry],
    ) -> StoreResult<Vec<crate::audit::AuditEntry>>;
    /// The whole audit log, oldest first, and its head (the newest hash recorded). For tests
    /// and small logs; pages and [`crate::audit::verify_store`] read a log of any size.
    async fn audit_log(&self) -> StoreResult<(Vec<crate::audit::AuditEntry>, Option<String>)>;
    /// One page of the audit log: entries with ids strictly between `after` and `before`,
    /// oldest or newest first, at most `limit`.
    async fn audit_page(
        &self,
        page: &crate::audit::AuditPage,
    ) -> StoreResult<Vec<crate::audit::AuditEntry>>;
    /// How many entries the audit log holds.
    async fn audit_count(&self) -> StoreResult<u64>;
}

/// Deployment settings: small named values.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// A deployment setting.
    async fn setting(&self, key: &str) -> StoreResult<Option<String>>;
    /// A deployment setting, first storing `value` when there is none.
    async fn setting_or_insert(&self, key: &str, value: &str) -> StoreResult<String>;
    /// Set a deployment setting.
    async fn set_setting(&self, key: &str, value: &str) -> StoreResult<()>;
}

/// A mapping profile saved under a name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SavedProfile {
    /// The name it is used by.
    pub name: String,
    /// The dataset it is for.
    pub dataset: String,
    /// The profile as written.
    pub toml: String,
    /// When it was saved.
    pub saved_at: DateTime<Utc>,
    /// Who saved it.
    pub saved_by: String,
}

/// Mapping profiles saved under a name.
#[async_trait]
pub trait ProfileStore: Send + Sync {
    /// Save a profile under its name, replacing one of that name; true when one was replaced.
    async fn save_profile(&self, profile: &SavedProfile) -> StoreResult<bool>;
    /// Every saved profile, by name.
    async fn profiles(&self) -> StoreResult<Vec<SavedProfile>>;
    /// One saved profile.
    async fn profile(&self, name: &str) -> StoreResult<Option<SavedProfile>>;
    /// Remove a saved profile; false when there was none of that name.
    async fn remove_profile(&self, name: &str) -> StoreResult<bool>;
    /// The listed sources, by name.
    async fn listed_sources(&self) -> StoreResult<Vec<Source>>;
    /// List a source; a name already listed is a conflict.
    async fn add_source(&self, source: &Source) -> StoreResult<()>;
    /// Rename a listed source, and the source of every record it sent, in one transaction.
    /// Returns how many records changed. The new name must be free, in the list and in the
    /// register.
    async fn rename_source(&self, old: &str, new: &str) -> StoreResult<u64>;
    /// Note a file uploaded in the browser and its outcome; returns its id.
    async fn add_upload(&self, upload: &Upload) -> StoreResult<i64>;
    /// The latest uploads, newest first; only `by`'s when given.
    async fn uploads(&self, by: Option<&str>, limit: i64) -> StoreResult<Vec<Upload>>;
}

/// A file uploaded in the browser, and what became of it (the file itself is never kept).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Upload {
    /// The store's id (0 before it is stored).
    pub id: i64,
    /// When.
    pub uploaded_at: DateTime<Utc>,
    /// Who.
    pub uploaded_by: String,
    /// Which register.
    pub dataset: String,
    /// The file's name as uploaded.
    pub file_name: String,
    /// The profile used, by name (`pasted` for one pasted into the page).
    pub profile: Option<String>,
    /// `checked`, `refused` or `imported`.
    pub outcome: String,
    /// New rows (would be new, when checked).
    pub inserted: i64,
    /// Changed rows.
    pub updated: i64,
    /// Rows the same as stored.
    pub unchanged: i64,
    /// Problems found.
    pub problems: i64,
}

/// Records from different sources that may be one death, and what an analyst decided.
#[derive(Debug, Clone, PartialEq)]
pub struct PossibleDuplicate {
    /// The pair's id.
    pub id: i64,
    /// The first record (kept and counted whatever is decided).
    pub first: StoredRecord,
    /// The second (not counted once the pair is confirmed as the same).
    pub second: StoredRecord,
    /// `open`, `same` or `distinct`.
    pub status: String,
    /// Who decided, when decided.
    pub decided_by: Option<String>,
}

/// How close two records must be to be queued as possible duplicates.
pub const DUPLICATE_DAYS: i64 = 1;
/// Ages may differ by this much (a birthday between the reports).
pub const DUPLICATE_YEARS: i64 = 1;

/// The review queue of possible duplicates (suspected suicides).
#[async_trait]
pub trait DuplicateStore: Send + Sync {
    /// Queue every pair of records from different sources that agree on sex and area of
    /// residence, with dates of death at most [`DUPLICATE_DAYS`] and ages at most
    /// [`DUPLICATE_YEARS`] apart, not queued before. Returns how many were queued.
    async fn find_duplicates(&self) -> StoreResult<u64>;
    /// The pairs, oldest first; only those of `status` when given.
    async fn duplicates(&self, status: Option<&str>) -> StoreResult<Vec<PossibleDuplicate>>;
    /// Decide a pair: `same`, `distinct`, or `open` again (undo). The indicators count a `same`
    /// pair once.
    async fn decide_duplicate(&self, id: i64, status: &str, by: &str) -> StoreResult<()>;
}

/// A source that sends records: a police force, a coroner's office, a hospital.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Source {
    /// The name records carry in their `source` column.
    pub name: String,
    /// What people call it.
    pub label: String,
    /// When it was listed.
    pub added_at: DateTime<Utc>,
    /// Who listed it.
    pub added_by: String,
}

/// Users and their sessions.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Add a user; a taken user name is a conflict.
    async fn create_user(&self, user: &NewUser) -> StoreResult<i64>;
    /// One user by name.
    async fn user(&self, username: &str) -> StoreResult<Option<User>>;
    /// Every user, by name.
    async fn users(&self) -> StoreResult<Vec<User>>;
    /// Change a user. Any change ends the user's sessions, so a new role or password, or a
    /// disabled account, takes effect at once.
    async fn update_user(&self, username: &str, change: &UserChange) -> StoreResult<()>;
    /// Start a session.
    async fn create_session(&self, session: &Session) -> StoreResult<()>;
    /// A session by its token's hash, with its user.
    async fn session(&self, token_hash: &str) -> StoreResult<Option<(Session, User)>>;
    /// Note a request in a session (the idle timeout runs from the last one).
    async fn touch_session(&self, token_hash: &str, at: DateTime<Utc>) -> StoreResult<()>;
    /// End a session.
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
}

/// Action plans, their actions and progress updates.
#[async_trait]
pub trait PlanStore: Send + Sync {
    /// Keep a plan and its actions; a title already taken is a conflict.
    async fn create_plan(&self, plan: &Plan) -> StoreResult<i64> {
        self.import_plan(plan, None).await
    }
    /// [`Self::create_plan`], and with `audit` the entry it makes from the new plan's id is
    /// appended in the same transaction: the plan and its audit entry land together or not at
    /// all.
    async fn import_plan(&self, plan: &Plan, audit: Option<PlanAudit<'_>>) -> StoreResult<i64>;
    /// Every plan, by title.
    async fn plans(&self) -> StoreResult<Vec<PlanSummary>>;
    /// One plan with its actions as they stand now.
    async fn plan(&self, id: i64) -> StoreResult<StoredPlan>;
    /// Remove a plan with its actions and their updates.
    async fn delete_plan(&self, id: i64) -> StoreResult<()>;
    /// Add a progress update to an action, changing its status and RAG when the update gives
    /// them, in one transaction.
    async fn add_update(&self, action_id: i64, update: &NewUpdate) -> StoreResult<i64>;
    /// Every update of a plan's actions, oldest first.
    async fn plan_updates(&self, plan_id: i64) -> StoreResult<Vec<Update>>;
}

/// Signals found by detection, their reviews, and locations of concern.
#[async_trait]
pub trait SignalStore: Send + Sync {
    /// Keep what the detectors found, in one transaction: a new key becomes a new signal, a
    /// known one has its findings replaced and its review kept, and a signal nobody has
    /// reviewed that is no longer found is removed. Returns how many were new.
    async fn save_signals(
        &self,
        found: &[crate::signals::Found],
        at: DateTime<Utc>,
    ) -> StoreResult<usize>;
    /// Every signal, the latest events first.
    async fn signals(&self) -> StoreResult<Vec<crate::signals::Signal>>;
    /// One signal with its review history, oldest first.
    async fn signal(
        &self,
        id: i64,
    ) -> StoreResult<(crate::signals::Signal, Vec<crate::signals::SignalEvent>)>;
    /// Change a signal's review; a stale `version` is a conflict.
    async fn review_signal(
        &self,
        id: i64,
        review: &crate::signals::SignalReview,
    ) -> StoreResult<()>;
    /// The register of locations of concern, by name.
    async fn locations_of_concern(&self) -> StoreResult<Vec<crate::signals::LocationOfConcern>>;
    /// Add a location of concern; a name already taken is a conflict.
    async fn add_location_of_concern(
        &self,
        location: &crate::signals::LocationOfConcern,
    ) -> StoreResult<i64>;
}

/// The support directory.
#[async_trait]
pub trait ServiceStore: Send + Sync {
    /// Insert or update entries by reference, all or none; `source` names the file. With
    /// `dry_run` the work is rolled back and only the summary returned; with `audit`, its entry
    /// is appended in the same transaction.
    async fn upsert_services(
        &self,
        rows: &[crate::support::Service],
        source: &str,
        dry_run: bool,
        audit: Option<SummaryAudit<'_>>,
    ) -> StoreResult<ImportSummary>;
    /// Every entry, by name.
    async fn services(&self) -> StoreResult<Vec<crate::support::Service>>;
    /// Record that an entry was checked on `day`, with the audit entry in the same
    /// transaction; `false` when there is no entry of that reference.
    async fn verify_service(
        &self,
        reference: &str,
        day: NaiveDate,
        audit: crate::audit::NewAuditEntry,
    ) -> StoreResult<bool>;
}

/// The partnership's organisations, the roles they hold and the training their people take.
#[async_trait]
pub trait WorkforceStore: Send + Sync {
    /// Insert or update organisations by reference, each with its roles replaced, all or none;
    /// `source` names the file. With `dry_run` the work is rolled back and only the summary
    /// returned; with `audit`, its entry is appended in the same transaction.
    async fn upsert_organisations(
        &self,
        rows: &[crate::workforce::Organisation],
        source: &str,
        dry_run: bool,
        audit: Option<SummaryAudit<'_>>,
    ) -> StoreResult<ImportSummary>;
    /// Every organisation, by name.
    async fn organisations(&self) -> StoreResult<Vec<crate::workforce::Organisation>>;
    /// Insert or update training rows by session and organisation, all or none; a session's
    /// rows held but not in `rows` are removed (counted as updated). As
    /// [`Self::upsert_organisations`] otherwise.
    async fn upsert_training(
        &self,
        rows: &[crate::workforce::Training],
        source: &str,
        dry_run: bool,
        audit: Option<SummaryAudit<'_>>,
    ) -> StoreResult<ImportSummary>;
    /// Every training row, by day and session.
    async fn training(&self) -> StoreResult<Vec<crate::workforce::Training>>;
}

/// Media reports of suspected suicides, checked against the guidelines.
#[async_trait]
pub trait MediaStore: Send + Sync {
    /// Insert or update reports by reference, all or none; `source` names the file. With
    /// `dry_run` the work is rolled back and only the summary returned; with `audit`, its entry
    /// is appended in the same transaction.
    async fn upsert_media_reports(
        &self,
        rows: &[crate::media::MediaReport],
        source: &str,
        dry_run: bool,
        audit: Option<SummaryAudit<'_>>,
    ) -> StoreResult<ImportSummary>;
    /// Every report, newest first.
    async fn media_reports(&self) -> StoreResult<Vec<crate::media::MediaReport>>;
}

/// Published figures to compare with (Fingertips' England and regional values, …).
#[async_trait]
pub trait BenchmarkStore: Send + Sync {
    /// Insert or update figures by indicator, area, sex, age and period, all or none; `source`
    /// names the file. With `dry_run` the work is rolled back and only the summary returned;
    /// with `audit`, its entry is appended in the same transaction.
    async fn upsert_benchmarks(
        &self,
        rows: &[crate::benchmarks::Benchmark],
        source: &str,
        dry_run: bool,
        audit: Option<SummaryAudit<'_>>,
    ) -> StoreResult<ImportSummary>;
    /// Every figure, or one indicator's, ordered by indicator, area, sex, age and period.
    async fn benchmarks(
        &self,
        indicator: Option<&str>,
    ) -> StoreResult<Vec<crate::benchmarks::Benchmark>>;
}

/// Report schedules and the files their runs made.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Keep a schedule; its id.
    async fn create_schedule(
        &self,
        schedule: &crate::reports::schedule::NewSchedule,
    ) -> StoreResult<i64>;
    /// Every schedule, oldest first.
    async fn schedules(&self) -> StoreResult<Vec<crate::reports::schedule::Schedule>>;
    /// Remove a schedule and its runs. `NotFound` when there is none.
    async fn delete_schedule(&self, id: i64) -> StoreResult<()>;
    /// Keep a run and its files `(format, bytes)`, all or nothing; `Conflict` when the
    /// schedule already has a run for the period (a second server, or a second click, lost the
    /// race). Its id.
    #[allow(clippy::too_many_arguments)]
    async fn save_run(
        &self,
        schedule_id: i64,
        period: &str,
        ran_at: DateTime<Utc>,
        title: &str,
        snapshot: &str,
        files: &[(&str, Vec<u8>)],
    ) -> StoreResult<i64>;
    /// Runs, newest first: every schedule's, or one's.
    async fn runs(
        &self,
        schedule_id: Option<i64>,
    ) -> StoreResult<Vec<crate::reports::schedule::ReportRun>>;
    /// One file of a run; `NotFound` when there is none.
    async fn run_file(&self, run_id: i64, format: &str) -> StoreResult<Vec<u8>>;
}

/// Where the register lives: every capability's storage. Code that needs only one takes that
/// trait (`&dyn AreaStore`, ...); a `&dyn Store` coerces to any of them.
pub trait Store:
    AreaStore
    + ProfileStore
    + DuplicateStore
    + RegisterStore
    + AuditStore
    + SettingsStore
    + UserStore
    + PlanStore
    + SignalStore
    + BenchmarkStore
    + ServiceStore
    + WorkforceStore
    + MediaStore
    + ReportStore
    + 'static
{
    /// Which backend this is (`sqlite` or `postgres`), for logs and `/healthz`.
    fn backend(&self) -> &'static str;
}
