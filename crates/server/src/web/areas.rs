//! The areas page: the geography Lantern knows, by level, with populations, and a map of the
//! districts drawn as SVG from their boundaries.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use lantern_core::area::AreaLevel;
use serde::Deserialize;

use super::{Layout, Opt, render};
use crate::AppState;
use crate::error::{AppError, HtmlError};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/areas", get(list_areas))
}

#[derive(Debug, Deserialize)]
struct AreaParams {
    level: Option<String>,
}

struct AreaRow {
    code: String,
    name: String,
    level: &'static str,
    parent: String,
    population: String,
    children: i64,
}

#[derive(Template)]
#[template(path = "areas.html")]
struct AreasPage {
    layout: Layout,
    level_options: Vec<Opt>,
    rows: Vec<AreaRow>,
    counts: Vec<(&'static str, usize)>,
    map: Option<String>,
}

async fn list_areas(
    State(state): State<AppState>,
    Query(params): Query<AreaParams>,
) -> Result<Response, HtmlError> {
    let level = match params.level.as_deref().filter(|l| !l.is_empty()) {
        Some(l) => Some(AreaLevel::parse(l).map_err(AppError::Invalid)?),
        None => None,
    };
    let all = state.store.area_summaries(None).await?;
    let counts = AreaLevel::ALL
        .iter()
        .rev()
        .map(|l| (l.label(), all.iter().filter(|a| a.area.level == *l).count()))
        .filter(|(_, n)| *n > 0)
        .collect();
    let names: std::collections::HashMap<&str, &str> = all
        .iter()
        .map(|a| (a.area.code.as_str(), a.area.name.as_str()))
        .collect();
    let shown = level.unwrap_or_else(|| {
        // Default to the largest level with more than one area, or the smallest there is.
        AreaLevel::ALL
            .iter()
            .rev()
            .copied()
            .find(|l| all.iter().filter(|a| a.area.level == *l).count() > 1)
            .unwrap_or(AreaLevel::Lsoa)
    });
    let rows = all
        .iter()
        .filter(|a| a.area.level == shown)
        .map(|a| AreaRow {
            code: a.area.code.clone(),
            name: a.area.name.clone(),
            level: a.area.level.label(),
            parent: a
                .area
                .parent_code
                .as_deref()
                .map(|p| format!("{} ({p})", names.get(p).unwrap_or(&"")))
                .unwrap_or_default(),
            population: match (a.population, a.population_year) {
                (Some(p), Some(y)) => format!("{} ({y})", lantern_core::text::thousands(p)),
                _ => String::new(),
            },
            children: a.children,
        })
        .collect();
    let boundaries = state.store.area_boundaries(shown).await?;
    let shapes: Vec<(String, String)> = boundaries
        .into_iter()
        .filter_map(|a| a.boundary.map(|b| (format!("{} ({})", a.name, a.code), b)))
        .collect();
    let current = shown.as_str();
    let page = AreasPage {
        layout: Layout::new(&state, "Areas", "areas"),
        level_options: AreaLevel::ALL
            .iter()
            .map(|l| Opt::new(l.as_str(), l.label(), current))
            .collect(),
        rows,
        counts,
        map: if shapes.is_empty() {
            None
        } else {
            crate::svg::area_map(&shapes)
        },
    };
    Ok(render(&page))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_map_has_one_path_per_area() {
        let sq =
            "{\"type\":\"Polygon\",\"coordinates\":[[[0,50],[1,50],[1,51],[0,50]]]}".to_owned();
        let svg = crate::svg::area_map(&[("A".into(), sq.clone()), ("B".into(), sq)]).unwrap();
        assert_eq!(svg.matches("<path").count(), 2);
    }
}
