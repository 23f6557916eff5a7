//! `GET /api/v1/suicides`, `/api/v1/self-harm` and one record by id.

use axum::extract::{Path, Query};
use axum::routing::get;
use axum::{Json, Router};
use lantern_core::register::{self, Dataset};
use serde_json::{Value, json};

use crate::AppState;
use crate::access::Guard;
use crate::error::{AppError, Result};
use lantern_core::store::ListParams;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/suicides", get(list_suicides))
        .route("/api/v1/self-harm", get(list_self_harm))
        .route("/api/v1/suicides/{id}", get(show_suicide))
        .route("/api/v1/self-harm/{id}", get(show_self_harm))
}

async fn list(
    guard: &Guard,
    dataset: &'static Dataset,
    params: &ListParams,
) -> Result<Json<Value>> {
    let query = params.to_query().map_err(AppError::Invalid)?;
    let (page, query) = guard.list(dataset, query, "api").await?;
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

async fn list_suicides(guard: Guard, Query(params): Query<ListParams>) -> Result<Json<Value>> {
    list(&guard, &register::SUICIDES, &params).await
}

async fn list_self_harm(guard: Guard, Query(params): Query<ListParams>) -> Result<Json<Value>> {
    list(&guard, &register::SELF_HARM, &params).await
}

async fn show_suicide(guard: Guard, Path(id): Path<i64>) -> Result<Json<Value>> {
    Ok(Json(
        guard.open(&register::SUICIDES, id, "api").await?.to_json(),
    ))
}

async fn show_self_harm(guard: Guard, Path(id): Path<i64>) -> Result<Json<Value>> {
    Ok(Json(
        guard.open(&register::SELF_HARM, id, "api").await?.to_json(),
    ))
}
