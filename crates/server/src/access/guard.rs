//! [`Guard`]: the only way to person-level records, scoped, redacted and audited.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use lantern_core::auth::Role;
use lantern_core::register::{Dataset, HistoryEntry, Record, StoredRecord};
use lantern_core::store::{Page, RecordQuery};

use crate::AppState;
use crate::error::AppError;

use super::{Principal, Rule, Viewer, audit, origin_of};

/// Break-the-glass grants: (session, dataset, record id), for the rest of the session.
pub(crate) type Grants = Arc<Mutex<HashSet<(String, &'static str, i64)>>>;

/// The only way to person-level records: scoped, redacted and audited.
pub(crate) struct Guard {
    state: AppState,
    pub(crate) principal: Principal,
    pub(crate) origin: String,
}

impl FromRequestParts<AppState> for Guard {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let viewer = parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .unwrap_or(Viewer(None));
        let principal = viewer.require(Rule::People)?.clone();
        Ok(Self {
            state: state.clone(),
            principal,
            origin: origin_of(&parts.extensions),
        })
    }
}

impl Guard {
    /// Append an audit entry as this user.
    pub(crate) async fn audit(
        &self,
        action: &str,
        dataset: Option<&Dataset>,
        record_id: Option<i64>,
        detail: String,
    ) -> Result<(), AppError> {
        audit(
            &self.state,
            &self.principal.username,
            &self.origin,
            action,
            dataset,
            record_id,
            detail,
        )
        .await
    }

    /// Narrow a query to what this user may see; a request's own filters only narrow further.
    fn scoped(&self, mut q: RecordQuery) -> RecordQuery {
        q.scope_area.clone_from(&self.principal.area);
        q.scope_source = match self.principal.role {
            Role::Recorder => Some(self.principal.organisation.clone().unwrap_or_default()),
            _ => None,
        };
        q
    }

    /// Derived fields are computed across the whole register: `repeat_within_12m` says whether
    /// the same person presented again anywhere, which for a user who sees only their own
    /// organisation's or area's records would reveal presentations they may not see. It is
    /// shown only to users whose scope is the whole register.
    fn redact_derived(&self, r: &mut StoredRecord) {
        if self.principal.role == Role::Recorder || self.principal.area.is_some() {
            r.repeat_within_12m = None;
        }
    }

    fn redact(&self, r: &mut Record) {
        if self.principal.role.sees_restricted() {
            return;
        }
        for f in r.dataset.fields.iter().filter(|f| f.restricted) {
            r.set(f.name, None);
        }
    }

    /// A page of records in scope, audited as `list`. Sorting on a field is allowed only to
    /// those who may read it: the order of records would otherwise give its values away.
    pub(crate) async fn list(
        &self,
        dataset: &'static Dataset,
        query: RecordQuery,
        channel: &str,
    ) -> Result<(Page, RecordQuery), AppError> {
        if !self.principal.role.sees_restricted()
            && let Some(f) = dataset.field(query.sort_field(dataset))
            && f.restricted
        {
            return Err(AppError::Forbidden(format!(
                "your role ({}) cannot sort by {}, a restricted field",
                self.principal.role, f.name
            )));
        }
        let query = self.scoped(query);
        let mut page = self.state.store.list_records(dataset, &query).await?;
        for r in &mut page.items {
            self.redact(&mut r.record);
            self.redact_derived(r);
        }
        let detail = format!(
            "{channel}: {} of {} rows; {}",
            page.items.len(),
            page.total,
            query.describe()
        );
        self.audit("list", Some(dataset), None, detail).await?;
        Ok((page, query))
    }

    /// Whether this user may open a stored record: `Forbidden` outside a recorder's
    /// organisation; `BreakGlass` for an analyst outside their area who has not given a reason.
    async fn check(&self, dataset: &'static Dataset, r: &StoredRecord) -> Result<(), AppError> {
        let p = &self.principal;
        if p.role == Role::Recorder
            && p.organisation.as_deref() != Some(r.record.text("source").as_str())
        {
            return Err(AppError::Forbidden(
                "this record belongs to another organisation".to_owned(),
            ));
        }
        if let Some(area) = &p.area {
            let home = r.record.text("residence_area");
            if !self.state.area_contains(area, &home).await? {
                let granted = self
                    .state
                    .grants
                    .lock()
                    .map_err(|_| AppError::Unexpected(anyhow::anyhow!("grants lock poisoned")))?
                    .contains(&(p.session.clone(), dataset.name, r.id));
                if granted {
                    return Ok(());
                }
                return Err(if p.role == Role::Analyst {
                    AppError::BreakGlass {
                        dataset: dataset.name,
                        id: r.id,
                    }
                } else {
                    AppError::Forbidden("this record is outside your area".to_owned())
                });
            }
        }
        Ok(())
    }

    /// One record, checked and redacted, audited as `view` with `purpose`.
    pub(crate) async fn open(
        &self,
        dataset: &'static Dataset,
        id: i64,
        purpose: &str,
    ) -> Result<StoredRecord, AppError> {
        let mut r = self.state.store.record(dataset, id).await?;
        if let Err(refused) = self.check(dataset, &r).await {
            // A refused open is audited too: probing for records is worth seeing.
            let why = match &refused {
                AppError::BreakGlass { .. } => "outside the user's area; no reason given yet",
                AppError::Forbidden(m) => m.as_str(),
                _ => "refused",
            };
            self.audit(
                "view_refused",
                Some(dataset),
                Some(id),
                format!("{purpose}: {why}"),
            )
            .await?;
            return Err(refused);
        }
        self.audit("view", Some(dataset), Some(id), purpose.to_owned())
            .await?;
        self.redact(&mut r.record);
        self.redact_derived(&mut r);
        Ok(r)
    }

    /// A record's field history, without restricted fields for roles that may not see them.
    /// (Call after [`Guard::open`].)
    pub(crate) async fn history(
        &self,
        dataset: &'static Dataset,
        id: i64,
    ) -> Result<Vec<HistoryEntry>, AppError> {
        let mut history = self.state.store.history(dataset, id).await?;
        if !self.principal.role.sees_restricted() {
            for h in &mut history {
                h.changes
                    .retain(|c| dataset.field(&c.field).is_none_or(|f| !f.restricted));
            }
        }
        Ok(history)
    }

    /// Record a break-the-glass reason; the record can then be opened for the rest of the
    /// session. Audited as `break_glass`, which the admin pages report.
    pub(crate) async fn break_glass(
        &self,
        dataset: &'static Dataset,
        id: i64,
        reason: &str,
    ) -> Result<(), AppError> {
        let reason = reason.trim();
        if reason.chars().count() < 10 {
            return Err(AppError::Invalid(
                "give the reason you need this record (at least 10 characters)".to_owned(),
            ));
        }
        self.state.store.record(dataset, id).await?;
        self.audit(
            "break_glass",
            Some(dataset),
            Some(id),
            format!("reason: {reason}"),
        )
        .await?;
        self.state
            .grants
            .lock()
            .map_err(|_| AppError::Unexpected(anyhow::anyhow!("grants lock poisoned")))?
            .insert((self.principal.session.clone(), dataset.name, id));
        Ok(())
    }

    /// Fit a record being saved to this user: a recorder's records are their organisation's,
    /// and restricted fields they cannot see keep their stored values.
    fn fit(&self, record: &mut Record, before: Option<&Record>) {
        if self.principal.role == Role::Recorder {
            let org = self.principal.organisation.clone().unwrap_or_default();
            record.set("source", Some(lantern_core::register::Value::Text(org)));
        }
        if let Some(before) = before
            && !self.principal.role.sees_restricted()
        {
            for f in record.dataset.fields.iter().filter(|f| f.restricted) {
                record.set(f.name, before.get(f.name).cloned());
            }
        }
    }

    /// Create a record, audited as `create`. A role that may not read restricted fields may not
    /// set them either: a value written blind is a probe (sorted against others' values).
    pub(crate) async fn create(&self, mut record: Record, channel: &str) -> Result<i64, AppError> {
        if !self.principal.role.sees_restricted() {
            let set: Vec<&str> = record
                .dataset
                .fields
                .iter()
                .filter(|f| f.restricted && record.get(f.name).is_some())
                .map(|f| f.name)
                .collect();
            if !set.is_empty() {
                return Err(AppError::Forbidden(format!(
                    "your role ({}) cannot set restricted fields: {}",
                    self.principal.role,
                    set.join(", ")
                )));
            }
        }
        self.fit(&mut record, None);
        let id = self.state.store.create_record(&record, channel).await?;
        self.audit("create", Some(record.dataset), Some(id), channel.to_owned())
            .await?;
        Ok(id)
    }

    /// Update a record the user may open, from `version`; audited as `action`.
    pub(crate) async fn update(
        &self,
        id: i64,
        mut record: Record,
        version: Option<i64>,
        action: &str,
        detail: String,
    ) -> Result<(), AppError> {
        let dataset = record.dataset;
        let before = self.state.store.record(dataset, id).await?;
        self.check(dataset, &before).await?;
        self.fit(&mut record, Some(&before.record));
        self.state
            .store
            .update_record(id, &record, "web", version)
            .await?;
        self.audit(action, Some(dataset), Some(id), detail).await
    }

    /// The stored record, unredacted, for building an update (checked, not audited: the
    /// update that follows is).
    pub(crate) async fn for_update(
        &self,
        dataset: &'static Dataset,
        id: i64,
    ) -> Result<StoredRecord, AppError> {
        let r = self.state.store.record(dataset, id).await?;
        self.check(dataset, &r).await?;
        Ok(r)
    }
}
