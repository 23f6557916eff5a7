//! `GET /api/v1/indicators?dataset=suicides|self-harm&by=year,sex,...&area=CODE&audience=statutory|partner`
//! (and `measure=presentations|persons` for self-harm). Without `audience` the safer `partner`
//! preset applies.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use lantern_core::indicators::{Audience, IndicatorError, IndicatorQuery, indicators};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::access::{Rule, Viewer};
use crate::error::{AppError, Result};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/indicators", get(show_indicators))
}

#[derive(Debug, Deserialize)]
pub(crate) struct Params {
    dataset: Option<String>,
    by: Option<String>,
    area: Option<String>,
    audience: Option<String>,
    measure: Option<String>,
}

pub(crate) fn parse(p: &Params) -> Result<IndicatorQuery, String> {
    IndicatorQuery::from_params(
        p.dataset.as_deref(),
        p.by.as_deref(),
        p.area.as_deref(),
        p.audience.as_deref(),
        p.measure.as_deref(),
    )
}

async fn show_indicators(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<Params>,
) -> Result<Json<Value>> {
    let query = parse(&p).map_err(AppError::Invalid)?;
    // Unsuppressed figures are for the statutory core only.
    if query.audience == Audience::Statutory {
        viewer.require(Rule::Analysts)?;
    }
    // Tables are cached until the register, areas or populations change: the same question
    // asked by fifty users costs one computation. One computation at a time, so a burst of
    // identical misses waits for the first instead of repeating it.
    let key = format!(
        "{}|{:?}|{:?}|{}|{:?}",
        query.dataset.name,
        query.by.iter().map(|d| d.name()).collect::<Vec<_>>(),
        query.area,
        matches!(query.audience, Audience::Statutory),
        p.measure
    );
    let version = state.store.data_version().await?;
    let mut cache = state.indicators.lock().await;
    if let Some((v, body)) = cache.get(&key)
        && *v == version
    {
        return Ok(Json(body.as_ref().clone()));
    }
    let table = indicators(state.store.as_ref(), &query)
        .await
        .map_err(|e| match e {
            IndicatorError::Invalid(m) => AppError::Invalid(m),
            IndicatorError::Store(s) => s.into(),
        })?;
    let rows: Vec<Value> = table
        .rows
        .iter()
        .map(|r| {
            let mut o = Map::new();
            for (k, v) in &r.dims {
                o.insert((*k).to_owned(), Value::String(v.clone()));
            }
            o.insert("count".to_owned(), json!(r.count));
            o.insert("value".to_owned(), json!(r.value));
            o.insert("lower".to_owned(), json!(r.lower));
            o.insert("upper".to_owned(), json!(r.upper));
            o.insert("suppressed".to_owned(), json!(r.suppressed));
            o.insert("statistic".to_owned(), json!(r.statistic));
            Value::Object(o)
        })
        .collect();
    let body = json!({
        "dataset": query.dataset.name,
        "by": query.by.iter().map(|d| d.name()).collect::<Vec<_>>(),
        "rows": rows,
        "disclosure": table.disclosure,
    });
    if cache.len() > 1_000 {
        cache.clear();
    }
    cache.insert(key, (version, std::sync::Arc::new(body.clone())));
    Ok(Json(body))
}
