//! Postvention: the worklist of suspected suicides with no offer of bereavement support recorded
//! some days after the death, oldest first, within the user's scope (a recorder sees their own
//! source's), audited as a list; and the panel on a death's record where the offer, consent,
//! referral, first contact and outcome are recorded, checked in order and audited.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use lantern_core::register::{SUICIDES, postvention};
use lantern_core::store::RecordQuery;
use serde::Deserialize;

use super::register::{display, names_of};
use super::{Layout, Opt, render};
use crate::AppState;
use crate::access::Guard;
use crate::error::{AppError, HtmlError};
use lantern_core::text::capitalise;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/postvention", get(worklist)).route(
        "/register/suicides/{id}/postvention",
        post(record_postvention),
    )
}

/// The waits a person can choose, in days after the death, with their words; the first is the
/// default.
const WAITS: [(&str, u32, &str); 4] = [
    ("7", 7, "7 days"),
    ("3", 3, "3 days"),
    ("14", 14, "14 days"),
    ("28", 28, "28 days"),
];

/// How far back deaths are listed, in months (`None`: any time); the first is the default, so
/// that years of imported deaths with the field blank do not bury this week's.
const WITHIN: [(&str, Option<u32>, &str); 4] = [
    ("12", Some(12), "the last 12 months"),
    ("3", Some(3), "the last 3 months"),
    ("36", Some(36), "the last 3 years"),
    ("all", None, "any time"),
];

/// Deaths listed on one page.
const PER_PAGE: u32 = 200;

#[derive(Debug, Deserialize)]
struct WorklistParams {
    days: Option<String>,
    within: Option<String>,
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
    within_options: Vec<Opt>,
    /// How far back, in words ("the last 12 months").
    within: &'static str,
    rows: Vec<WorklistRow>,
    total: u64,
    shown: usize,
}

/// The choice a parameter names among `choices` (the first when it is blank), or a refusal
/// naming them.
fn chosen<T: Copy>(
    name: &str,
    given: Option<&str>,
    choices: &[(&'static str, T, &'static str)],
) -> Result<(&'static str, T, &'static str), AppError> {
    match given.map(str::trim).filter(|s| !s.is_empty()) {
        None => choices
            .first()
            .copied()
            .ok_or_else(|| AppError::Invalid(format!("{name}: there is nothing to choose"))),
        Some(s) => choices.iter().find(|c| c.0 == s).copied().ok_or_else(|| {
            AppError::Invalid(format!(
                "{name}: '{}' is not one of {}",
                lantern_core::text::printable(s, 20),
                choices.iter().map(|c| c.0).collect::<Vec<_>>().join(", ")
            ))
        }),
    }
}

/// The options of a choice for a select, `current` selected.
fn options<T>(choices: &[(&'static str, T, &'static str)], current: &str) -> Vec<Opt> {
    choices
        .iter()
        .map(|c| Opt::new(c.0, &capitalise(c.2), current))
        .collect()
}

async fn worklist(
    State(state): State<AppState>,
    guard: Guard,
    Query(params): Query<WorklistParams>,
) -> Result<Response, HtmlError> {
    let wait = chosen("days", params.days.as_deref(), &WAITS)?;
    let days = wait.1;
    let within = chosen("within", params.within.as_deref(), &WITHIN)?;
    let today = state.today();
    let query = RecordQuery {
        from: within
            .1
            .and_then(|m| today.checked_sub_months(chrono::Months::new(m))),
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
        day_options: options(&WAITS, wait.0),
        within_options: options(&WITHIN, within.0),
        within: within.2,
        shown: rows.len(),
        rows,
        total: page.total,
    };
    Ok(render(&view))
}

/// The postvention panel's form: every field is sent, so a blank is a choice to clear it.
#[derive(Debug, Deserialize)]
struct PostventionForm {
    support_offered: String,
    support_consent: String,
    referral_date: String,
    referral_service: String,
    first_contact_date: String,
    postvention_outcome: String,
    version: Option<i64>,
}

/// A postvention field on the record page: its input and current value.
pub(crate) struct PanelField {
    pub(crate) name: &'static str,
    pub(crate) label: &'static str,
    /// `select`, `date` or `text`.
    pub(crate) input: &'static str,
    pub(crate) value: String,
    pub(crate) options: Vec<Opt>,
}

/// The panel's fields for a death's record, filled with its values.
pub(crate) fn panel(record: &lantern_core::register::Record) -> Vec<PanelField> {
    use lantern_core::register::FieldKind;
    postvention::FIELDS
        .iter()
        .filter_map(|name| SUICIDES.field(name))
        .map(|f| {
            let value = record.text(f.name);
            let (input, options) = match f.kind {
                FieldKind::Bool => (
                    "select",
                    [("", "Not recorded"), ("yes", "Yes"), ("no", "No")]
                        .iter()
                        .map(|(v, l)| Opt::new(v, l, &value))
                        .collect(),
                ),
                FieldKind::Date => ("date", Vec::new()),
                _ => ("text", Vec::new()),
            };
            PanelField {
                name: f.name,
                label: f.label,
                input,
                value,
                options,
            }
        })
        .collect()
}

async fn record_postvention(
    State(state): State<AppState>,
    guard: Guard,
    Path(id): Path<i64>,
    Form(form): Form<PostventionForm>,
) -> Result<Response, HtmlError> {
    let mut record = guard.for_update(&SUICIDES, id).await?.record;
    let given = [
        ("support_offered", &form.support_offered),
        ("support_consent", &form.support_consent),
        ("referral_date", &form.referral_date),
        ("referral_service", &form.referral_service),
        ("first_contact_date", &form.first_contact_date),
        ("postvention_outcome", &form.postvention_outcome),
    ];
    let label = |name: &'static str| SUICIDES.field(name).map_or(name, |f| f.label);
    let mut problems = Vec::new();
    for (name, text) in given {
        let Some(field) = SUICIDES.field(name) else {
            continue;
        };
        match field.parse(text, &|_| true) {
            Ok(v) => record.set(name, v),
            Err(e) => problems.push(format!("{}: {e}", field.label)),
        }
    }
    if problems.is_empty() {
        let today = state.today();
        problems.extend(
            postvention::check(&record, today)
                .into_iter()
                .map(|(f, m)| format!("{}: {m}", label(f))),
        );
    }
    if !problems.is_empty() {
        return Err(HtmlError(AppError::Invalid(problems.join("; "))));
    }
    // The audit says which steps are recorded, not the free text.
    let detail = format!(
        "web: offered={} consent={} referral={} first_contact={} outcome={}",
        record.text("support_offered"),
        record.text("support_consent"),
        record.text("referral_date"),
        record.text("first_contact_date"),
        if record.text("postvention_outcome").is_empty() {
            "no"
        } else {
            "yes"
        }
    );
    guard
        .update(id, record, form.version, "postvention", detail)
        .await?;
    Ok(Redirect::to(&format!("/register/suicides/{id}?saved=1#postvention")).into_response())
}
