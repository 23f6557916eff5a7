//! The background job that runs report schedules: on each check, every schedule whose latest
//! period has come due (see [`Cadence::latest_due`]) and has no run yet gets one: the report is
//! made in every format and kept, and the run is audited. The date it runs on is the server's
//! clock, or a date fixed with `lantern serve --today` (for tests and rehearsals).
//!
//! [`Cadence::latest_due`]: lantern_core::reports::schedule::Cadence::latest_due

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use lantern_core::audit::NewAuditEntry;
use lantern_core::reports::schedule::{RUN_FORMATS, Schedule};
use lantern_core::reports::{self, Report};
use lantern_core::{SharedStore, StoreError};

/// Check every `every`.
pub fn spawn_reports_job(
    store: SharedStore,
    every: Duration,
    today: Option<NaiveDate>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let day = today.unwrap_or_else(|| Utc::now().date_naive());
            match run_due(&store, day).await {
                Ok(done) if !done.is_empty() => {
                    tracing::info!(runs = done.len(), "scheduled reports made");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!("scheduled reports not made: {e:#}"),
            }
            tokio::time::sleep(every).await;
        }
    })
}

/// Every file of a report, in [`RUN_FORMATS`] order.
///
/// # Errors
/// A format that cannot be written.
pub(crate) fn report_files(report: &Report) -> anyhow::Result<Vec<(&'static str, Vec<u8>)>> {
    RUN_FORMATS
        .iter()
        .map(|f| {
            Ok((
                *f,
                match *f {
                    "html" => crate::reports::report_html(report)?.into_bytes(),
                    "pdf" => crate::reports::report_pdf(report)?,
                    "csv" => reports::csv_bytes(report)?,
                    _ => reports::xlsx_bytes(report)?,
                },
            ))
        })
        .collect()
}

/// Make every run that is due on `today` and not made yet: `(schedule, period)` of each.
///
/// # Errors
/// The store failed. A schedule whose report cannot be made (its area or plan is gone) is
/// logged and skipped, so it does not hold the others back.
pub async fn run_due(store: &SharedStore, today: NaiveDate) -> anyhow::Result<Vec<(i64, String)>> {
    let mut done = Vec::new();
    let runs = store.runs(None).await?;
    for Schedule { id, schedule, .. } in store.schedules().await? {
        let Some((period, _)) = schedule.cadence.latest_due(today) else {
            continue;
        };
        let label = period.label();
        if runs
            .iter()
            .any(|r| r.schedule_id == id && r.period == label)
        {
            continue;
        }
        let made = async {
            let request = schedule.request(period).map_err(anyhow::Error::msg)?;
            let report = reports::build(store.as_ref(), &request).await?;
            let files = report_files(&report)?;
            anyhow::Ok((report, files))
        }
        .await;
        let (report, files) = match made {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(schedule = id, "a scheduled report could not be made: {e:#}");
                continue;
            }
        };
        match store
            .save_run(
                id,
                &label,
                Utc::now(),
                &report.title,
                &report.snapshot.hash,
                &files,
            )
            .await
        {
            Ok(run) => {
                store
                    .append_audit(&NewAuditEntry {
                        actor: "lantern".to_owned(),
                        action: "report_run".to_owned(),
                        dataset: None,
                        record_id: None,
                        detail: format!(
                            "schedule {id} run {run}: {} for {label} ({} audience), snapshot {}",
                            schedule.kind, schedule.audience, report.snapshot.hash
                        ),
                        origin: "job".to_owned(),
                    })
                    .await?;
                done.push((id, label));
            }
            // Another check made it first.
            Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(done)
}
