//! The audit log page: whether the chain is intact, and the newest entries. (It is for admins;
//! until sign-in arrives, the whole server is local-only.)

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use super::{Layout, render};
use crate::AppState;
use crate::error::HtmlError;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/admin/audit", get(show_audit))
}

struct Row {
    id: i64,
    at: String,
    actor: String,
    action: String,
    what: String,
    detail: String,
    origin: String,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    total: u64,
    intact: bool,
    problem: String,
    rows: Vec<Row>,
    /// The id to read older entries before, when there are any.
    older: Option<i64>,
    /// This is not the newest page.
    paged: bool,
}

/// Entries on one page.
const PER_PAGE: u32 = 200;

#[derive(Debug, serde::Deserialize)]
struct Params {
    before: Option<i64>,
}

async fn show_audit(
    State(state): State<AppState>,
    axum::extract::Query(params): axum::extract::Query<Params>,
) -> Result<Response, HtmlError> {
    // The chain is checked a page at a time and the page read on its own: neither holds the
    // whole log in memory.
    let check = lantern_core::audit::verify_store(state.store.as_ref(), &|_| {}).await;
    let (intact, problem) = match check {
        Ok(_) => (true, String::new()),
        Err(lantern_core::audit::VerifyError::Broken(e)) => (false, e.to_string()),
        Err(lantern_core::audit::VerifyError::Store(e)) => return Err(e.into()),
    };
    let entries = state
        .store
        .audit_page(&lantern_core::audit::AuditPage {
            after: None,
            before: params.before,
            newest_first: true,
            limit: PER_PAGE + 1,
        })
        .await?;
    let more = entries.len() > PER_PAGE as usize;
    let rows: Vec<Row> = entries
        .iter()
        .take(PER_PAGE as usize)
        .map(|stored| (stored, &stored.entry))
        .map(|(stored, e)| Row {
            id: stored.id,
            at: stored.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            actor: e.actor.clone(),
            action: e.action.clone(),
            what: match (&e.dataset, e.record_id) {
                (Some(d), Some(id)) => format!("{d} {id}"),
                (Some(d), None) => d.clone(),
                (None, Some(id)) if e.action.starts_with("signal") => format!("signal {id}"),
                _ => String::new(),
            },
            detail: e.detail.clone(),
            origin: e.origin.clone(),
        })
        .collect();
    let page = AuditPage {
        layout: Layout::new(&state, "Audit log", "audit"),
        total: state.store.audit_count().await?,
        intact,
        problem,
        older: if more {
            rows.last().map(|r| r.id)
        } else {
            None
        },
        paged: params.before.is_some(),
        rows,
    };
    Ok(render(&page))
}
