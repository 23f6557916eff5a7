//! The plan pages for the oversight group: the progress summary since a date, the actions
//! overdue or gone quiet, and the plan's export.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Duration, Utc};
use lantern_core::plans::{self, write};
use serde::Deserialize;

use super::plans::{ActionRow, last_updates, row};
use super::{Layout, encode, render};
use crate::AppState;
use crate::access::{Rule, Viewer};
use crate::error::{AppError, HtmlError};
use crate::plans::{since_of, today};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/plans/{id}/summary", get(show_summary))
        .route("/plans/{id}/attention", get(show_attention))
        .route("/plans/{id}/export", get(export_plan))
}

// ---------------------------------------------------------------- the oversight summary

#[derive(Debug, Deserialize, Default)]
struct SummaryParams {
    since: Option<String>,
}

struct SummaryRow {
    number: String,
    title: String,
    actions: usize,
    by_status: Vec<usize>,
    by_rag: [usize; 4],
    overdue: usize,
    updates: usize,
    changes: Vec<String>,
}

#[derive(Template)]
#[template(path = "plan_summary.html")]
struct SummaryPage {
    layout: Layout,
    id: i64,
    title: String,
    since: String,
    statuses: Vec<String>,
    rows: Vec<SummaryRow>,
    totals: SummaryRow,
}

async fn show_summary(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(p): Query<SummaryParams>,
) -> Result<Response, HtmlError> {
    let plan = state.store.plan(id).await?;
    let updates = state.store.plan_updates(id).await?;
    let since = since_of(p.since.as_deref())?;
    let from = since.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let progress = plans::progress(&plan, &updates, from, today());
    let statuses: Vec<String> = progress
        .first()
        .map(|s| s.by_status.iter().map(|(k, _)| k.clone()).collect())
        .unwrap_or_default();
    let rows: Vec<SummaryRow> = progress
        .iter()
        .map(|s| SummaryRow {
            number: s.number.clone(),
            title: s.title.clone(),
            actions: s.actions,
            by_status: s.by_status.iter().map(|(_, n)| *n).collect(),
            by_rag: s.by_rag,
            overdue: s.overdue,
            updates: s.updates,
            changes: s
                .changes
                .iter()
                .map(|(n, from, to)| {
                    format!(
                        "{n}: {} → {}",
                        from.as_deref().unwrap_or("no status"),
                        to.as_deref().unwrap_or("no status")
                    )
                })
                .collect(),
        })
        .collect();
    let totals = SummaryRow {
        number: String::new(),
        title: "All sections".to_owned(),
        actions: rows.iter().map(|r| r.actions).sum(),
        by_status: (0..statuses.len())
            .map(|i| rows.iter().map(|r| r.by_status[i]).sum())
            .collect(),
        by_rag: [0, 1, 2, 3].map(|i| rows.iter().map(|r| r.by_rag[i]).sum()),
        overdue: rows.iter().map(|r| r.overdue).sum(),
        updates: rows.iter().map(|r| r.updates).sum(),
        changes: Vec::new(),
    };
    // Statuses no action has are left out, so the table fits a page.
    let keep: Vec<usize> = (0..statuses.len())
        .filter(|&i| totals.by_status[i] > 0)
        .collect();
    let pick = |v: &[usize]| keep.iter().map(|&i| v[i]).collect::<Vec<_>>();
    let statuses = keep.iter().map(|&i| statuses[i].clone()).collect();
    let rows = rows
        .into_iter()
        .map(|r| SummaryRow {
            by_status: pick(&r.by_status),
            ..r
        })
        .collect();
    let totals = SummaryRow {
        by_status: pick(&totals.by_status),
        ..totals
    };
    Ok(render(&SummaryPage {
        layout: Layout::new(&state, format!("Progress: {}", plan.plan.title), "plans"),
        id,
        title: plan.plan.title.clone(),
        since: since.to_string(),
        statuses,
        rows,
        totals,
    }))
}

// ---------------------------------------------------------------- overdue and stale

#[derive(Debug, Deserialize, Default)]
struct AttentionParams {
    weeks: Option<i64>,
}

#[derive(Template)]
#[template(path = "plan_attention.html")]
struct AttentionPage {
    layout: Layout,
    id: i64,
    title: String,
    weeks: i64,
    overdue: Vec<ActionRow>,
    stale: Vec<ActionRow>,
}

async fn show_attention(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(p): Query<AttentionParams>,
) -> Result<Response, HtmlError> {
    let weeks = p.weeks.unwrap_or(8);
    if !(1..=104).contains(&weeks) {
        return Err(AppError::Invalid("weeks must be between 1 and 104".to_owned()).into());
    }
    let plan = state.store.plan(id).await?;
    let last = last_updates(&state.store.plan_updates(id).await?);
    let cutoff = Utc::now() - Duration::weeks(weeks);
    let today = today();
    let mut overdue = Vec::new();
    let mut stale = Vec::new();
    for (_, a) in plan.plan.actions() {
        if a.overdue(today) {
            overdue.push(row(&plan, a, &last));
        }
        // Stale: open, and no update since the cutoff (an action never updated counts from
        // the plan's import).
        let aid = plan.action_id(&a.number).unwrap_or_default();
        if !a.closed() && *last.get(&aid).unwrap_or(&plan.created_at) < cutoff {
            stale.push(row(&plan, a, &last));
        }
    }
    Ok(render(&AttentionPage {
        layout: Layout::new(
            &state,
            format!("Needs attention: {}", plan.plan.title),
            "plans",
        ),
        id,
        title: plan.plan.title.clone(),
        weeks,
        overdue,
        stale,
    }))
}

// ---------------------------------------------------------------- export

#[derive(Debug, Deserialize, Default)]
struct ExportParams {
    format: Option<String>,
}

async fn export_plan(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
    Query(p): Query<ExportParams>,
) -> Result<Response, AppError> {
    let user = viewer.require(Rule::SignedIn)?.clone();
    let plan = state.store.plan(id).await?;
    let plans = [plan.plan];
    let slug: String = plans[0]
        .title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let format = p.format.as_deref().unwrap_or("csv");
    let (bytes, mime, ext) = match format {
        "json" => {
            let mut b = Vec::new();
            write::write_json(&plans, &mut b).map_err(|e| AppError::Unexpected(e.into()))?;
            (b, "application/json", "json")
        }
        "csv" => {
            let mut b = Vec::new();
            write::write_csv(&plans, &mut b).map_err(|e| AppError::Unexpected(e.into()))?;
            (b, "text/csv; charset=utf-8", "csv")
        }
        "xlsx" => (
            write::xlsx_bytes(&plans).map_err(|e| AppError::Unexpected(e.into()))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        other => {
            return Err(AppError::Invalid(format!(
                "format '{other}' is not one of json|csv|xlsx"
            )));
        }
    };
    crate::access::audit(
        &state,
        &user.username,
        "web",
        "plan_export",
        None,
        None,
        format!("plan={id} format={format}"),
    )
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.{ext}\"", encode(&slug)),
            ),
        ],
        bytes,
    )
        .into_response())
}
