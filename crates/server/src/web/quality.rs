//! The data-quality page: how complete each field is, by source and by month.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use lantern_core::quality::{self, Completeness};
use lantern_core::register::{self, SUICIDES};
use serde::Deserialize;

use super::{Layout, Opt, render};
use crate::AppState;
use crate::error::{AppError, HtmlError};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/quality", get(show_quality))
}

#[derive(Debug, Deserialize)]
struct QualityParams {
    dataset: Option<String>,
}

struct QualityRow {
    group: String,
    total: i64,
    /// One per field.
    cells: Vec<QualityCell>,
}

/// How complete one field is: the percentage and its class (`good`, `fair`, `poor`, `none`).
struct QualityCell {
    text: String,
    class: &'static str,
}

#[derive(Template)]
#[template(path = "quality.html")]
struct QualityPage {
    layout: Layout,
    dataset_options: Vec<Opt>,
    fields: Vec<&'static str>,
    by_source: Vec<QualityRow>,
    by_month: Vec<QualityRow>,
}

/// Rows of the table, with a cell for each optional field (`shown` are their indices): required
/// fields are complete by construction, so they would only add width.
fn rows(groups: &[Completeness], shown: &[usize]) -> Vec<QualityRow> {
    groups
        .iter()
        .map(|g| QualityRow {
            group: g.group.clone(),
            total: g.total,
            cells: shown
                .iter()
                .map(|&i| match g.percent[i] {
                    Some(p) => {
                        let class = if p >= 95.0 {
                            "good"
                        } else if p >= 70.0 {
                            "fair"
                        } else {
                            "poor"
                        };
                        QualityCell {
                            text: format!("{p:.0}%"),
                            class,
                        }
                    }
                    None => QualityCell {
                        text: String::new(),
                        class: "none",
                    },
                })
                .collect(),
        })
        .collect()
}

async fn show_quality(
    State(state): State<AppState>,
    Query(params): Query<QualityParams>,
) -> Result<Response, HtmlError> {
    let name = params
        .dataset
        .as_deref()
        .filter(|d| !d.is_empty())
        .unwrap_or(SUICIDES.name);
    let dataset = register::dataset(name)
        .ok_or_else(|| AppError::Invalid(format!("no dataset called {name}")))?;
    let report = quality::report(dataset, &state.store.completeness(dataset).await?);
    let shown: Vec<usize> = (0..dataset.fields.len())
        .filter(|&i| !dataset.fields[i].required)
        .collect();
    let page = QualityPage {
        layout: Layout::new(&state, "Data quality", "quality"),
        dataset_options: [
            ("suicides", "Suspected suicides"),
            ("self-harm", "Self-harm presentations"),
        ]
        .iter()
        .map(|(v, l)| Opt::new(v, l, dataset.name))
        .collect(),
        fields: shown.iter().map(|&i| dataset.fields[i].label).collect(),
        by_source: rows(&report.by_source, &shown),
        by_month: rows(&report.by_month, &shown),
    };
    Ok(render(&page))
}
