//! The home page: what Lantern holds, and where to get help now.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use lantern_core::register::{SELF_HARM, SUICIDES};

use super::{Layout, render};
use crate::AppState;
use crate::error::HtmlError;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/", get(show_home))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    layout: Layout,
    suicides: u64,
    self_harm: u64,
    areas: usize,
}

async fn show_home(
    State(state): State<AppState>,
    Query(params): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, HtmlError> {
    let layout = Layout::new(&state, "Lantern", "home");
    // A signed-in user gets the dashboard; the public the public home.
    if layout.user.is_some() {
        let monthly = params.get("cadence").map(String::as_str) == Some("month");
        return crate::cache::with_version(
            &state,
            super::dashboard::show_dashboard(&state, layout, monthly, &params),
        )
        .await?;
    }
    // Totals are shown only to roles that see the register.
    let (suicides, self_harm) = if layout.people() {
        (
            state.store.count(&SUICIDES).await?,
            state.store.count(&SELF_HARM).await?,
        )
    } else {
        (0, 0)
    };
    let page = HomePage {
        layout,
        suicides,
        self_harm,
        areas: state.store.area_codes().await?.len(),
    };
    Ok(render(&page))
}
