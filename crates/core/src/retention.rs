//! Retention: each dataset may have a period after which its records are deleted (with their
//! histories). The periods are settings; `lantern retention apply` does the deleting, and a dry
//! run says what it would delete. The audit log keeps that it happened, not the records.

use chrono::{Datelike as _, NaiveDate};

use crate::register::Dataset;
use crate::store::RecordQuery;
use crate::{SettingsStore, Store, StoreResult};

/// The setting holding a dataset's period in whole years.
pub fn setting(dataset: &Dataset) -> String {
    format!("retention_years:{}", dataset.name)
}

/// A dataset's retention period in years, if one is set.
///
/// # Errors
/// A store failure.
pub async fn period(store: &dyn SettingsStore, dataset: &Dataset) -> StoreResult<Option<u32>> {
    Ok(store
        .setting(&setting(dataset))
        .await?
        .and_then(|v| v.parse().ok())
        .filter(|y| *y > 0))
}

/// The first day that is kept when `years` are kept up to `today`: records dated before it go.
pub fn cutoff(today: NaiveDate, years: u32) -> NaiveDate {
    let year = today.year() - i32::try_from(years).unwrap_or(i32::MAX / 2);
    NaiveDate::from_ymd_opt(year, today.month(), today.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, today.month(), 28))
        .unwrap_or(NaiveDate::MIN)
}

/// What applying retention to one dataset did (or would do).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RetentionResult {
    /// The dataset.
    pub dataset: &'static str,
    /// The period, if one is set.
    pub years: Option<u32>,
    /// Records dated before this are deleted.
    pub before: Option<NaiveDate>,
    /// How many records were (or would be) deleted.
    pub deleted: u64,
}

/// Apply the retention period of `dataset` as of `today`.
///
/// # Errors
/// A store failure.
pub async fn apply(
    store: &dyn Store,
    dataset: &'static Dataset,
    today: NaiveDate,
    dry_run: bool,
) -> StoreResult<RetentionResult> {
    let Some(years) = period(store, dataset).await? else {
        return Ok(RetentionResult {
            dataset: dataset.name,
            years: None,
            before: None,
            deleted: 0,
        });
    };
    let before = cutoff(today, years);
    let q = RecordQuery {
        to: before.pred_opt(),
        ..RecordQuery::default()
    };
    let deleted = store.delete_records(dataset, &q, dry_run).await?;
    Ok(RetentionResult {
        dataset: dataset.name,
        years: Some(years),
        before: Some(before),
        deleted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutoffs_count_whole_years_back_and_survive_leap_days() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
        assert_eq!(cutoff(d(2026, 11, 25), 5), d(2021, 11, 25));
        assert_eq!(cutoff(d(2024, 2, 29), 1), d(2023, 2, 28));
    }
}
