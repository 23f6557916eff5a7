//! The postvention worklist: suspected suicides with no offer of bereavement support recorded
//! some days after the death, oldest first, within the user's scope (a recorder sees their own
//! source's). Each links to the record, where the offer is recorded. Audited as a list.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use chrono::NaiveDate;
use lantern_core::register::SUICIDES;
use lantern_core::store::RecordQuery;
use serde::Deserialize;

use super::register::{display, names_of};
use super::{Layout, Opt, render};
use crate::AppState;
use crate::access::Guard;
use crate::error::{AppError, HtmlError};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/postvention", get(worklist))
}

/// The waits a person can choose, in days after the death; the first is the default.
const WAITS: [u32; 4] = [7, 3, 14, 28];

/// Deaths listed on one page.
const PER_PAGE: u32 = 200;

#[derive(Debug, Deserialize)]
struct WorklistParams {
    days: Option<String>,
}

struct WorklistRow {
    link: String,
    id: i64,
    date: String,
    days: i64,
    area: String,
    status: String,
    source: String,
}

#[derive(Template)]
#[template(path = "postvention.html")]
struct WorklistPage {
    layout: Layout,
    days: u32,
    day_options: Vec<Opt>,
    rows: Vec<WorklistRow>,
    total: u64,
    shown: usize,
}

/// The wait asked for: one of [`WAITS`].
fn wait_of(p: &WorklistParams) -> Result<u32, AppError> {
    match p.days.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(WAITS[0]),
        Some(s) => s
            .parse::<u32>()
            .ok()
            .filter(|d| WAITS.contains(d))
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "days: '{}' is not one of {}",
                    lantern_core::text::printable(s, 20),
                    WAITS.map(|d| d.to_string()).join(", ")
                ))
            }),
    }
}

async fn worklist(
    State(state): State<AppState>,
    guard: Guard,
    Query(params): Query<WorklistParams>,
) -> Result<Response, HtmlError> {
    let days = wait_of(&params)?;
    let today = state
        .config
        .today
        .unwrap_or_else(|| chrono::Utc::now().date_naive());
    let query = RecordQuery {
        to: today.checked_sub_days(chrono::Days::new(u64::from(days))),
        awaiting_support: true,
        sort: Some("date_of_death".to_owned()),
        desc: false,
        per_page: PER_PAGE,
        ..RecordQuery::default()
    };
    let (page, _) = guard.list(&SUICIDES, query, "web: postvention").await?;
    let areas = names_of(&state.store.areas(None).await?);
    let rows: Vec<WorklistRow> = page
        .items
        .iter()
        .map(|r| {
            let died = match r.record.get("date_of_death") {
                Some(lantern_core::register::Value::Date(d)) => Some(*d),
                _ => None,
            };
            WorklistRow {
                link: format!("/register/suicides/{}", r.id),
                id: r.id,
                date: display(&SUICIDES, "date_of_death", &r.record, &areas),
                days: died.map_or(0, |d: NaiveDate| (today - d).num_days()),
                area: display(&SUICIDES, "residence_area", &r.record, &areas),
                status: display(&SUICIDES, "status", &r.record, &areas),
                source: display(&SUICIDES, "source", &r.record, &areas),
            }
        })
        .collect();
    let view = WorklistPage {
        layout: Layout::new(&state, "Bereavement support not yet offered", "postvention"),
        days,
        day_options: WAITS
            .iter()
            .map(|d| Opt::new(&d.to_string(), &format!("{d} days"), &days.to_string()))
            .collect(),
        shown: rows.len(),
        rows,
        total: page.total,
    };
    Ok(render(&view))
}
