//! The users page for admins: every account with its role, scope and state, and the
//! break-the-glass report (every time an analyst opened a record outside their area, and why).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use super::{Layout, render};
use crate::AppState;
use crate::error::HtmlError;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/admin/users", get(show_users))
}

struct UserRow {
    username: String,
    role: String,
    area: String,
    organisation: String,
    disabled: bool,
    created: String,
}

struct GlassRow {
    at: String,
    actor: String,
    what: String,
    reason: String,
    origin: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserRow>,
    glass: Vec<GlassRow>,
}

async fn show_users(State(state): State<AppState>) -> Result<Response, HtmlError> {
    let users = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|u| UserRow {
            username: u.username,
            role: u.role.to_string(),
            area: u.area.unwrap_or_else(|| "all areas".to_owned()),
            organisation: u.organisation.unwrap_or_default(),
            disabled: u.disabled,
            created: u.created_at.format("%Y-%m-%d").to_string(),
        })
        .collect();
    let (entries, _) = state.store.audit_log().await?;
    let glass = entries
        .iter()
        .rev()
        .filter(|e| e.entry.action == "break_glass")
        .take(500)
        .map(|e| GlassRow {
            at: e.at.format("%Y-%m-%d %H:%M").to_string(),
            actor: e.entry.actor.clone(),
            what: format!(
                "{} {}",
                e.entry.dataset.as_deref().unwrap_or(""),
                e.entry.record_id.map(|i| i.to_string()).unwrap_or_default()
            ),
            reason: e.entry.detail.trim_start_matches("reason: ").to_owned(),
            origin: e.entry.origin.clone(),
        })
        .collect();
    Ok(render(&UsersPage {
        layout: Layout::new(&state, "Users", "users"),
        users,
        glass,
    }))
}
