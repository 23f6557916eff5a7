//! `GET /api/v1/map?dataset=…&level=…&area=…&measure=…&period=…&audience=…`: a GeoJSON
//! FeatureCollection, one Feature per area of the level with properties `code, name, count,
//! value, lower, upper, suppressed, comparison`, and the period, comparator, disclosure rule and
//! definition as members of the collection. The figures are `GET /api/v1/indicators`' for
//! `by=PERIOD,LEVEL`, with the same audience, scope, refusals and audit.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use lantern_core::indicators::areas::{AreaQuery, area_figures};
use lantern_core::indicators::hotspots::{DEFAULT_NEIGHBOURS, HotSpot, MIN_AREAS, hot_spots};
use serde::Deserialize;
use serde_json::{Value, json};

use super::indicators::{audience_of, cached, indicator_error, scoped_area};
use crate::AppState;
use crate::access::{Origin, Viewer, audit};
use crate::error::{AppError, Result};
use lantern_core::export::{Cell, FiguresTable};

/// Each Feature's properties, and the columns of the figures as a file.
const PROPERTIES: [&str; 8] = [
    "code",
    "name",
    "count",
    "value",
    "lower",
    "upper",
    "suppressed",
    "comparison",
];

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/map", get(show_map))
}

/// The map's parameters, as the API and the map page take them.
#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct MapParams {
    pub(crate) dataset: Option<String>,
    pub(crate) level: Option<String>,
    pub(crate) area: Option<String>,
    pub(crate) measure: Option<String>,
    pub(crate) period: Option<String>,
    pub(crate) audience: Option<String>,
    /// `csv` or `xlsx` for the figures as a file (the API answers GeoJSON by default).
    pub(crate) format: Option<String>,
    /// `true`: each Feature also carries `hot_spot` (Getis-Ord Gi\* over the published figures)
    /// and the collection `hot_spots`, how they were found.
    pub(crate) hotspots: Option<String>,
}

/// Gi\* hot spots over the figures the audience sees: one entry per figure (in order), and the
/// method in words (or why there are none) for the collection's `hot_spots` member.
pub(crate) fn hot_spot_layer(
    shapes: &[crate::geometry::Shape],
    figures: &[Value],
) -> (Vec<Option<HotSpot>>, Value) {
    let by_code: std::collections::HashMap<&str, &crate::geometry::Shape> =
        shapes.iter().map(|s| (s.code.as_str(), s)).collect();
    let centres: Vec<(f64, f64)> = figures
        .iter()
        .map(|f| {
            by_code
                .get(f["code"].as_str().unwrap_or_default())
                .and_then(|s| s.centre())
                .unwrap_or((f64::NAN, f64::NAN))
        })
        .collect();
    // Published figures only, and only areas that are on the map.
    let values: Vec<Option<f64>> = figures
        .iter()
        .zip(&centres)
        .map(|(f, c)| {
            (f["suppressed"] != true && c.0.is_finite())
                .then(|| f["value"].as_f64())
                .flatten()
        })
        .collect();
    let about = json!({
        "method": "Getis-Ord Gi*: each area with its 8 nearest neighbours by centre (binary weights), over the published figures only; z against the normal distribution, two-sided",
        "neighbours": DEFAULT_NEIGHBOURS,
        "areas": values.iter().flatten().count(),
    });
    match hot_spots(&centres, &values, DEFAULT_NEIGHBOURS) {
        Ok(found) => (found, about),
        Err(e) => (
            vec![None; figures.len()],
            json!({ "error": format!("no hot spots: {e} with a published figure; Gi* needs at least {MIN_AREAS}") }),
        ),
    }
}

/// The figures of a map request, checked, scoped, audited and cached as the indicators are: a
/// JSON object with the collection's members and `figures`, one per area. `value` is the count
/// when `measure=count`.
pub(crate) async fn figures(
    state: &AppState,
    viewer: &Viewer,
    origin: &str,
    p: &MapParams,
) -> Result<(AreaQuery, Arc<Value>)> {
    figures_audited(state, viewer, origin, p, true).await
}

/// [`figures`], with the audit entry left to the caller when `audited` is false (a page that
/// reads several and writes one entry for the view).
pub(crate) async fn figures_audited(
    state: &AppState,
    viewer: &Viewer,
    origin: &str,
    p: &MapParams,
    audited: bool,
) -> Result<(AreaQuery, Arc<Value>)> {
    let audience = audience_of(p.audience.as_deref(), viewer)?;
    let area = scoped_area(state, viewer, audience, p.area.clone()).await?;
    let q = AreaQuery::from_params(
        p.dataset.as_deref(),
        p.level.as_deref(),
        area.as_deref(),
        p.period.as_deref(),
        Some(audience.disclosure()),
        p.measure.as_deref(),
    )
    .map_err(AppError::Invalid)?;
    let counts = p.measure.as_deref() == Some("count");
    if let (Some(user), false, true) = (&viewer.0, audience.is_protected(), audited) {
        audit(
            state,
            &user.username,
            origin,
            "map",
            Some(q.dataset),
            None,
            format!(
                "statutory: level={} area={} period={} measure={}",
                q.level.as_str(),
                q.within.as_deref().unwrap_or("all"),
                q.period.as_deref().unwrap_or("latest"),
                p.measure.as_deref().unwrap_or("rate")
            ),
        )
        .await?;
    }
    let key = format!(
        "map|{}|{}|{:?}|{:?}|{}|{:?}|{counts}",
        q.dataset.name,
        q.level.as_str(),
        q.within,
        q.period,
        audience.disclosure(),
        q.measure
    );
    let body = cached(state, key, || async {
        let f = area_figures(state.store.as_ref(), &q)
            .await
            .map_err(indicator_error)?;
        let mut v = serde_json::to_value(&f).map_err(anyhow::Error::from)?;
        v["dataset"] = json!(q.dataset.name);
        v["level"] = json!(q.level.as_str());
        v["measure"] = json!(if counts { "count" } else { "rate" });
        v["withheld"] = json!(f.figures.iter().any(|x| x.suppressed));
        if counts {
            v["statistic"] = json!("count");
            if let Some(rows) = v["figures"].as_array_mut() {
                for r in rows {
                    r["value"] = r["count"].clone();
                    r["lower"] = Value::Null;
                    r["upper"] = Value::Null;
                    r["comparison"] = json!("not compared");
                }
            }
        }
        Ok(v)
    })
    .await?;
    Ok((q, body))
}

async fn show_map(
    State(state): State<AppState>,
    viewer: Viewer,
    Origin(origin): Origin,
    Query(p): Query<MapParams>,
) -> Result<Response> {
    let (q, body) = figures(&state, &viewer, &origin, &p).await?;
    if let Some(format) = p.format.as_deref().filter(|f| *f != "geojson") {
        let name = format!(
            "{}-{}-{}",
            q.dataset.name,
            q.level.as_str(),
            body["period"].as_str().unwrap_or_default()
        );
        return download(&figures_table(&body), format, &name);
    }
    let shapes = crate::geometry::shapes(&state, q.level).await?;
    let figs = body["figures"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let hot =
        matches!(p.hotspots.as_deref(), Some("true" | "1")).then(|| hot_spot_layer(&shapes, figs));
    let features: Vec<Value> = figs
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let code = f["code"].as_str().unwrap_or_default();
            let geometry = shapes
                .iter()
                .find(|s| s.code == code)
                .map_or(Value::Null, crate::geometry::Shape::geojson);
            let mut props = serde_json::Map::new();
            for k in PROPERTIES {
                props.insert(k.to_owned(), f[k].clone());
            }
            if let Some((found, _)) = &hot {
                props.insert(
                    "hot_spot".to_owned(),
                    json!(found.get(i).copied().flatten()),
                );
            }
            json!({ "type": "Feature", "id": code, "geometry": geometry, "properties": props })
        })
        .collect();
    let mut out = serde_json::Map::new();
    out.insert("type".to_owned(), json!("FeatureCollection"));
    out.insert("features".to_owned(), Value::Array(features));
    if let Some((_, about)) = hot {
        out.insert("hot_spots".to_owned(), about);
    }
    if let Some(o) = body.as_object() {
        for (k, v) in o.iter().filter(|(k, _)| *k != "figures") {
            out.insert(k.clone(), v.clone());
        }
    }
    Ok((
        [(header::CONTENT_TYPE, "application/geo+json")],
        Json(Value::Object(out)),
    )
        .into_response())
}

/// The figures as a table to download, naming its disclosure rule, definition and period.
pub(crate) fn figures_table(body: &Value) -> FiguresTable {
    let text = |k: &str| body[k].as_str().unwrap_or_default().to_owned();
    let cols = PROPERTIES;
    let comparator = match body["comparator"].as_object() {
        Some(c) => format!(
            "{} ({}): {}",
            c.get("name").and_then(Value::as_str).unwrap_or_default(),
            c.get("source").and_then(Value::as_str).unwrap_or_default(),
            c.get("value").map(Value::to_string).unwrap_or_default()
        ),
        None => "none".to_owned(),
    };
    FiguresTable {
        title: format!(
            "{} by {}, {}{}",
            text("dataset"),
            text("level"),
            text("period"),
            if body["partial"] == true {
                " (part period)"
            } else {
                ""
            }
        ),
        notes: vec![
            ("disclosure".to_owned(), text("disclosure")),
            ("statistic".to_owned(), text("statistic")),
            ("comparator".to_owned(), comparator),
            ("definition".to_owned(), text("definition")),
        ],
        columns: cols.iter().map(|c| (*c).to_owned()).collect(),
        rows: body["figures"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|f| cols.iter().map(|c| cell(&f[*c])).collect())
            .collect(),
    }
}

/// A JSON value as a table cell.
pub(crate) fn cell(v: &Value) -> Cell {
    match v {
        Value::Null => Cell::Empty,
        Value::Number(n) => n.as_f64().map_or(Cell::Empty, Cell::Number),
        Value::String(s) => Cell::Text(s.clone()),
        other => Cell::Text(other.to_string()),
    }
}

/// A table as a file to download: `csv` or `xlsx`.
pub(crate) fn download(table: &FiguresTable, format: &str, name: &str) -> Result<Response> {
    let (bytes, kind) = match format {
        "csv" => (
            table.csv().map_err(anyhow::Error::from)?,
            "text/csv; charset=utf-8",
        ),
        "xlsx" => (
            table.xlsx().map_err(anyhow::Error::from)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        other => {
            return Err(AppError::Invalid(format!(
                "format '{other}' is not one of geojson|csv|xlsx"
            )));
        }
    };
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, kind.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"lantern-{safe}.{format}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
