//! `GET /api/v1/areas`: areas with their level, parent and latest population.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use lantern_core::area::AreaLevel;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::error::{AppError, Result};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/areas", get(list_areas))
}

#[derive(Debug, Deserialize)]
struct AreaParams {
    level: Option<String>,
}

async fn list_areas(
    State(state): State<AppState>,
    Query(params): Query<AreaParams>,
) -> Result<Json<Value>> {
    let level = match params.level.as_deref().filter(|l| !l.is_empty()) {
        Some(l) => Some(AreaLevel::parse(l).map_err(AppError::Invalid)?),
        None => None,
    };
    let areas = state.store.area_summaries(level).await?;
    let items: Vec<Value> = areas
        .iter()
        .map(|a| {
            json!({
                "code": a.area.code,
                "name": a.area.name,
                "level": a.area.level,
                "parent_code": a.area.parent_code,
                "population": a.population,
                "population_year": a.population_year,
                "children": a.children,
            })
        })
        .collect();
    Ok(Json(json!({"items": items, "total": items.len()})))
}
