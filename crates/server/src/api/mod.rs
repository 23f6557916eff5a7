//! The JSON API under `/api/v1`, one file per resource.

mod areas;
pub(crate) mod indicators;
pub(crate) mod map;
mod openapi;
mod plans;
mod register;
mod session;

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .merge(register::routes())
        .merge(areas::routes())
        .merge(indicators::routes())
        .merge(map::routes())
        .merge(openapi::routes())
        .merge(session::routes())
        .merge(plans::routes())
        .route("/healthz", get(healthz))
}

/// `200 {"status": "ok"}` while the database answers; `503 {"status": "unavailable"}` with the
/// reason while it does not (and `ok` again once it is back: the pool reconnects by itself).
async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> (axum::http::StatusCode, axum::Json<serde_json::Value>) {
    use axum::http::StatusCode;
    let backend = state.store.backend();
    let probe = tokio::time::timeout(
        std::time::Duration::from_secs(3),
        state.store.setting("schema_probe"),
    )
    .await;
    match probe {
        Ok(Ok(_)) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({"status": "ok", "database": backend})),
        ),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(
                    serde_json::json!({"status": "unavailable", "database": backend,
                    "message": "the database is not answering; Lantern will recover when it is back"}),
                ),
            )
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(
                serde_json::json!({"status": "unavailable", "database": backend,
                "message": "the database did not answer within 3 seconds"}),
            ),
        ),
    }
}
