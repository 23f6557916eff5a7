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
    total: usize,
    intact: bool,
    problem: String,
    rows: Vec<Row>,
}

async fn show_audit(State(state): State<AppState>) -> Result<Response, HtmlError> {
    let (entries, head) = state.store.audit_log().await?;
    let check = lantern_core::audit::verify(&entries, head.as_deref());
    let rows = entries
        .iter()
        .rev()
        .take(200)
        .map(|stored| (stored, &stored.entry))
        .map(|(stored, e)| Row {
            id: stored.id,
            at: stored.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            actor: e.actor.clone(),
            action: e.action.clone(),
            what: match (&e.dataset, e.record_id) {
                (Some(d), Some(id)) => format!("{d} {id}"),
                (Some(d), None) => d.clone(),
                _ => String::new(),
            },
            detail: e.detail.clone(),
            origin: e.origin.clone(),
        })
        .collect();
    let page = AuditPage {
        layout: Layout::new(&state, "Audit log", "audit"),
        total: entries.len(),
        intact: check.is_ok(),
        problem: check.err().map(|e| e.to_string()).unwrap_or_default(),
        rows,
    };
    Ok(render(&page))
}
