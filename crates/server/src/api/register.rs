//! `GET /api/v1/suicides`, `/api/v1/self-harm` and one record by id.

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use lantern_core::register::{self, Dataset};
use serde_json::{Value, json};

use crate::AppState;
use crate::audit::{self, Origin};
use crate::error::{AppError, Result};
use crate::web::register::ListParams;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/suicides", get(list_suicides))
        .route("/api/v1/self-harm", get(list_self_harm))
        .route("/api/v1/suicides/{id}", get(show_suicide))
        .route("/api/v1/self-harm/{id}", get(show_self_harm))
}

async fn list(
    state: &AppState,
    dataset: &'static Dataset,
    params: &ListParams,
    origin: &Origin,
) -> Result<Json<Value>> {
    let query = params.to_query().map_err(AppError::Invalid)?;
    let page = state.store.list_records(dataset, &query).await?;
    let detail = format!(
        "api: {} of {} rows; {}",
        page.items.len(),
        page.total,
        query.describe()
    );
    audit::record(state, origin, "list", dataset, None, detail).await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(register::StoredRecord::to_json)
        .collect();
    Ok(Json(json!({
        "items": items,
        "total": page.total,
        "page": query.page.max(1),
        "per_page": query.limit(),
    })))
}

async fn list_suicides(
    State(state): State<AppState>,
    origin: Origin,
    Query(params): Query<ListParams>,
) -> Result<Json<Value>> {
    list(&state, &register::SUICIDES, &params, &origin).await
}

async fn list_self_harm(
    State(state): State<AppState>,
    origin: Origin,
    Query(params): Query<ListParams>,
) -> Result<Json<Value>> {
    list(&state, &register::SELF_HARM, &params, &origin).await
}

async fn show(
    state: &AppState,
    origin: &Origin,
    dataset: &'static Dataset,
    id: i64,
) -> Result<Json<Value>> {
    let record = state.store.record(dataset, id).await?;
    audit::record(state, origin, "view", dataset, Some(id), "api".to_owned()).await?;
    Ok(Json(record.to_json()))
}

async fn show_suicide(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
) -> Result<Json<Value>> {
    show(&state, &origin, &register::SUICIDES, id).await
}

async fn show_self_harm(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
) -> Result<Json<Value>> {
    show(&state, &origin, &register::SELF_HARM, id).await
}
