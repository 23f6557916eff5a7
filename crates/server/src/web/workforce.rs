//! `/workforce`: the partnership's organisations and training at a glance for anyone signed in
//! (coverage of each type of organisation on the latest day the data knows of, and delegates by
//! year and sector), from the same indicator tables as `GET /api/v1/indicators`; and, for
//! analysts, the browser upload of an organisations or training file: checked only (nothing
//! written) or imported all or nothing, every problem shown by line and column, audited.

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, State};
use axum::response::Response;
use axum::routing::{get, post};
use lantern_core::import::{ImportError, Table};
use lantern_core::indicators::{IndicatorQuery, IndicatorTable};
use lantern_core::workforce::{Kind, ROLES, SECTORS, TYPES};

use super::{Layout, render};
use crate::AppState;
use crate::access::{Origin, Rule, Viewer};
use crate::error::{AppError, HtmlError};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/workforce", get(show))
        .route("/workforce/upload", post(upload))
}

/// One type of organisation's coverage: its name, how many, and each column's figure.
struct CoverageRow {
    label: String,
    count: u64,
    cells: Vec<String>,
}

/// One year's delegates by sector.
struct TrainingRow {
    year: String,
    cells: Vec<String>,
    total: u64,
}

/// What an upload did.
struct Outcome {
    kind: &'static str,
    file: String,
    checked_only: bool,
    counts: Option<(u64, u64, u64)>,
    problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "workforce.html")]
struct WorkforcePage {
    layout: Layout,
    as_of: String,
    columns: Vec<String>,
    coverage: Vec<CoverageRow>,
    sectors: Vec<String>,
    training: Vec<TrainingRow>,
    links: Vec<(String, String)>,
    outcome: Option<Outcome>,
}

/// The coverage columns: each lead role, then anyone trained.
const MEASURES: [(&str, &str); 3] = [
    (
        "role:senior_mental_health_lead",
        "senior_mental_health_lead",
    ),
    ("role:suicide_prevention_lead", "suicide_prevention_lead"),
    ("course:any", ""),
];

async fn table(state: &AppState, query: &str) -> Result<std::sync::Arc<IndicatorTable>, AppError> {
    let q = IndicatorQuery::from_query_string(query).map_err(AppError::Invalid)?;
    crate::api::indicators::table(state, &q).await
}

fn dim<'a>(r: &'a lantern_core::indicators::IndicatorRow, name: &str) -> &'a str {
    r.dims
        .iter()
        .find(|d| d.0 == name)
        .map_or("", |d| d.1.as_str())
}

async fn page(state: &AppState, outcome: Option<Outcome>) -> Result<WorkforcePage, AppError> {
    let types = lantern_core::codes::list(TYPES);
    let roles = lantern_core::codes::list(ROLES);
    let sectors = lantern_core::codes::list(SECTORS);
    let mut coverage: Vec<CoverageRow> = Vec::new();
    let mut as_of = String::new();
    for (i, (measure, _)) in MEASURES.iter().enumerate() {
        let t = table(
            state,
            &format!("dataset=coverage&by=organisation_type&measure={measure}&audience=public"),
        )
        .await?;
        if let Some(d) = t.last_record {
            as_of = d.format("%-d %B %Y").to_string();
        }
        for r in t.published() {
            let code = dim(r, "organisation_type");
            let n = r
                .workforce
                .as_ref()
                .and_then(|w| w.denominator)
                .unwrap_or(0);
            if n == 0 {
                continue;
            }
            if i == 0 {
                coverage.push(CoverageRow {
                    label: types.label(code).to_owned(),
                    count: n,
                    cells: Vec::new(),
                });
            }
            if let Some(row) = coverage.iter_mut().find(|c| c.label == types.label(code)) {
                row.cells.push(format!(
                    "{} ({:.0}%)",
                    r.count.unwrap_or(0),
                    r.value.unwrap_or(0.0)
                ));
            }
        }
    }
    let columns = MEASURES
        .iter()
        .map(|(_, role)| {
            if role.is_empty() {
                "With someone trained (any course)".to_owned()
            } else {
                format!("With a {}", roles.label(role).to_lowercase())
            }
        })
        .collect();
    let by_sector = table(state, "dataset=training&by=year,sector&audience=public").await?;
    let seen: Vec<String> = sectors
        .codes
        .iter()
        .map(|c| c.code.clone())
        .chain(std::iter::once(
            lantern_core::workforce::NOT_RECORDED.to_owned(),
        ))
        .filter(|c| {
            by_sector
                .published()
                .any(|r| dim(r, "sector") == c && r.count.unwrap_or(0) > 0)
        })
        .collect();
    let mut training: Vec<TrainingRow> = Vec::new();
    for r in by_sector.published() {
        let year = dim(r, "year");
        if !training.iter().any(|t| t.year == year) {
            training.push(TrainingRow {
                year: year.to_owned(),
                cells: vec!["0".to_owned(); seen.len()],
                total: 0,
            });
        }
        if let (Some(row), Some(i)) = (
            training.iter_mut().find(|t| t.year == year),
            seen.iter().position(|s| s == dim(r, "sector")),
        ) {
            row.cells[i] = r.count.unwrap_or(0).to_string();
            row.total += r.count.unwrap_or(0);
        }
    }
    training.reverse();
    let sector_names = seen
        .iter()
        .map(|c| {
            if c == lantern_core::workforce::NOT_RECORDED {
                "Not recorded (the public, e-learning)".to_owned()
            } else {
                sectors.label(c).to_owned()
            }
        })
        .collect();
    let links = [
        (
            "Schools with a senior mental health lead, by year",
            "dataset=coverage&by=year,organisation_type&measure=role:senior_mental_health_lead",
        ),
        (
            "Veterans' organisations with Orange Button, by district",
            "dataset=coverage&by=lad,organisation_type&measure=course:orange_button",
        ),
        (
            "Delegates by year and competence framework",
            "dataset=training&by=year,framework",
        ),
        (
            "Sessions by year and course",
            "dataset=training&by=year,course&measure=sessions",
        ),
    ]
    .iter()
    .map(|(l, q)| ((*l).to_owned(), format!("/api/v1/indicators?{q}")))
    .collect();
    Ok(WorkforcePage {
        layout: Layout::new(state, "Organisations and training", "workforce"),
        as_of,
        columns,
        coverage,
        sectors: sector_names,
        training,
        links,
        outcome,
    })
}

async fn show(State(state): State<AppState>, viewer: Viewer) -> Result<Response, HtmlError> {
    viewer.require(Rule::SignedIn)?;
    Ok(render(&page(&state, None).await?))
}

async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    Origin(origin): Origin,
    mut form: Multipart,
) -> Result<Response, HtmlError> {
    let user = viewer.require(Rule::Analysts)?.clone();
    let bad = |e: axum::extract::multipart::MultipartError| AppError::Invalid(e.body_text());
    let (mut kind, mut file, mut bytes, mut checked_only) =
        (String::new(), String::new(), Vec::new(), false);
    while let Some(field) = form.next_field().await.map_err(bad)? {
        match field.name().unwrap_or("") {
            "kind" => kind = field.text().await.map_err(bad)?,
            "check_only" => checked_only = !field.text().await.map_err(bad)?.is_empty(),
            "file" => {
                file = field
                    .file_name()
                    .map(|n| lantern_core::text::printable(n, 120).into_owned())
                    .unwrap_or_default();
                bytes = field.bytes().await.map_err(bad)?.to_vec();
            }
            _ => {}
        }
    }
    let kind = match kind.as_str() {
        "organisations" => Kind::Organisations,
        "training" => Kind::Training,
        _ => {
            return Err(AppError::Invalid("choose organisations or training".to_owned()).into());
        }
    };
    let table = if bytes.is_empty() {
        Err(vec![
            "choose a file: none was sent, or it is empty".to_owned(),
        ])
    } else if file.to_ascii_lowercase().ends_with(".xlsx") {
        Table::from_xlsx_bytes(&file, bytes).map_err(shown)
    } else {
        Table::from_csv_bytes(&file, &bytes, None).map_err(shown)
    };
    let by = lantern_core::import::AuditBy {
        actor: &user.username,
        origin: &origin,
    };
    let result = match table {
        Ok(t) => lantern_core::workforce::import_table(
            state.store.as_ref(),
            kind,
            &t,
            std::path::Path::new(&file),
            checked_only,
            state.today(),
            Some(by),
        )
        .await
        .map_err(shown),
        Err(p) => Err(p),
    };
    let mut outcome = Outcome {
        kind: kind.as_str(),
        file,
        checked_only,
        counts: None,
        problems: Vec::new(),
    };
    let status = match result {
        Ok(s) => {
            outcome.counts = Some((s.inserted, s.updated, s.unchanged));
            axum::http::StatusCode::OK
        }
        Err(p) => {
            outcome.problems = p;
            axum::http::StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    let mut response = render(&page(&state, Some(outcome)).await?);
    *response.status_mut() = status;
    Ok(response)
}

/// Problems as the page lists them: each `FILE:LINE: COLUMN: message`.
fn shown(e: ImportError) -> Vec<String> {
    match e {
        ImportError::Invalid(list) => list.iter().map(ToString::to_string).collect(),
        other => vec![other.to_string()],
    }
}
