//! The JSON API under `/api/v1`, one file per resource.

mod areas;
mod indicators;
mod register;

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .merge(register::routes())
        .merge(areas::routes())
        .merge(indicators::routes())
        .route("/healthz", get(healthz))
}

async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({"status": "ok", "database": state.store.backend()}))
}
