//! The home page: what Lantern holds, and where to get help now.

use askama::Template;
use axum::Router;
use axum::extract::State;
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

async fn show_home(State(state): State<AppState>) -> Result<Response, HtmlError> {
    let page = HomePage {
        layout: Layout::new(&state, "Lantern", "home"),
        suicides: state.store.count(&SUICIDES).await?,
        self_harm: state.store.count(&SELF_HARM).await?,
        areas: state.store.area_codes().await?.len(),
    };
    Ok(render(&page))
}
