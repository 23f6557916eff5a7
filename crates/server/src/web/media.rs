//! `/media`: media reports of suspected suicides checked against the Samaritans media
//! guidelines. Anyone signed in sees the compliance by year (from `dataset=media` of the
//! indicators API, as partners get it). The statutory core also sees the reports themselves,
//! with their checklist, follow-up and the register record each concerns (a dated list of
//! reports about deaths would count deaths by month, which partners do not get), and adds a
//! report from the form, which is checked by the import's own rules (a one-row file) and
//! audited.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use lantern_core::indicators::IndicatorQuery;
use lantern_core::media::{CHECKLIST, MediaReport, csv_columns};

use super::{Layout, render};
use crate::AppState;
use crate::access::{Origin, Rule, Viewer};
use crate::error::{AppError, HtmlError};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/media", get(show).post(add))
}

/// The most reports listed.
const LISTED: usize = 200;

struct YearRow {
    year: String,
    reports: u64,
    cells: Vec<String>,
}

struct ReportRow {
    date: String,
    outlet: String,
    headline: String,
    link: Option<String>,
    marks: Vec<(bool, &'static str)>,
    compliant: bool,
    follow_up: String,
    record: Option<i64>,
}

#[derive(Template)]
#[template(path = "media.html")]
struct MediaPage {
    layout: Layout,
    columns: Vec<String>,
    years: Vec<YearRow>,
    reports: Vec<ReportRow>,
    total: usize,
    items: Vec<(&'static str, &'static str)>,
    problems: Vec<String>,
    form: HashMap<String, String>,
    added: Option<String>,
}

impl MediaPage {
    fn value(&self, name: &str) -> &str {
        self.form.get(name).map_or("", String::as_str)
    }
}

async fn page(
    state: &AppState,
    people: bool,
    form: HashMap<String, String>,
    problems: Vec<String>,
    added: Option<String>,
) -> Result<MediaPage, AppError> {
    let measures: Vec<String> = std::iter::once("compliant".to_owned())
        .chain(CHECKLIST.iter().map(|c| format!("breach:{}", c.0)))
        .collect();
    let mut years: Vec<YearRow> = Vec::new();
    for (i, m) in measures.iter().enumerate() {
        let q = IndicatorQuery::from_query_string(&format!(
            "dataset=media&by=year&measure={m}&audience=partner"
        ))
        .map_err(AppError::Invalid)?;
        let t = crate::api::indicators::table(state, &q).await?;
        for r in t.published() {
            let year = r.dims.first().map(|d| d.1.clone()).unwrap_or_default();
            let n = r
                .workforce
                .as_ref()
                .and_then(|w| w.denominator)
                .unwrap_or(0);
            if i == 0 {
                years.push(YearRow {
                    year: year.clone(),
                    reports: n,
                    cells: Vec::new(),
                });
            }
            if let Some(y) = years.iter_mut().find(|y| y.year == year) {
                y.cells.push(match r.value {
                    Some(v) => format!("{} ({v:.0}%)", r.count.unwrap_or(0)),
                    None => "–".to_owned(),
                });
            }
        }
    }
    years.reverse();
    let all = if people {
        state.store.media_reports().await?
    } else {
        Vec::new()
    };
    let reports = all
        .iter()
        .take(LISTED)
        .map(|r: &MediaReport| ReportRow {
            date: r.published.format("%-d %b %Y").to_string(),
            outlet: r.outlet.clone(),
            headline: r
                .headline
                .clone()
                .unwrap_or_else(|| "(no headline)".to_owned()),
            link: r.link.clone(),
            marks: CHECKLIST
                .iter()
                .map(|(item, words, breach_if_yes)| (r.answer(item) != *breach_if_yes, *words))
                .collect(),
            compliant: r.compliant(),
            follow_up: r.follow_up.clone().unwrap_or_default(),
            record: r.record_id,
        })
        .collect();
    let mut columns = vec!["Following the guidelines".to_owned()];
    columns.extend(CHECKLIST.iter().map(|(item, words, _)| {
        if *item == "helpline" {
            "Gave no help information".to_owned()
        } else {
            (*words).to_owned()
        }
    }));
    Ok(MediaPage {
        layout: Layout::new(state, "Media reports", "media"),
        columns,
        years,
        reports,
        total: all.len(),
        items: CHECKLIST.iter().map(|(i, w, _)| (*i, *w)).collect(),
        problems,
        form,
        added,
    })
}

async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Result<Response, HtmlError> {
    let user = viewer.require(Rule::SignedIn)?;
    let people = Rule::People.allows(user.role);
    let added = q.get("added").cloned();
    let view = page(&state, people, HashMap::new(), Vec::new(), added).await?;
    Ok(render(&view))
}

/// Add a report from the form: the form becomes a one-row file in Lantern's columns, checked by
/// the import's rules, with a reference made from the day and the reports already held.
async fn add(
    State(state): State<AppState>,
    viewer: Viewer,
    Origin(origin): Origin,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, HtmlError> {
    let user = viewer.require(Rule::People)?.clone();
    let held = state.store.media_reports().await?.len();
    let reference = format!("MR-WEB-{}", held + 1);
    let cells: Vec<String> = csv_columns()
        .iter()
        .map(|c| match *c {
            "reference" => reference.clone(),
            c => form.get(c).map(|v| v.trim().to_owned()).unwrap_or_default(),
        })
        .collect();
    let table = super::form_table(&csv_columns(), cells)?;
    let by = lantern_core::import::AuditBy {
        actor: &user.username,
        origin: &origin,
    };
    match lantern_core::media::import_reports_table(
        state.store.as_ref(),
        &table,
        std::path::Path::new("form"),
        false,
        state.today(),
        Some(by),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/media?added={reference}")).into_response()),
        Err(lantern_core::import::ImportError::Invalid(list)) => {
            // Each problem as "column: message": the line is the form's one row.
            let problems = list
                .iter()
                .map(|p| format!("{}: {}", p.column, p.message))
                .collect();
            let mut response = render(&page(&state, true, form, problems, None).await?);
            *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok(response)
        }
        Err(e) => Err(AppError::Invalid(e.to_string()).into()),
    }
}
