//! The Reports page: choose a kind, period, area and audience; preview the report on the page;
//! download it as HTML, PDF, CSV or XLSX. A user gets reports for the audiences they may see
//! (a partner: partner or public), and statutory reports are audited like the figures in them.

use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::Redirect;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::Datelike as _;
use lantern_core::area::AreaLevel;
use lantern_core::reports::{self, Kind, ReportError, ReportPeriod, Request};
use serde::Deserialize;

use super::{Layout, Opt, encode, render};
use crate::AppState;
use crate::access::{Origin, Rule, Viewer, audit};
use crate::api::indicators::{audience_of, scoped_area};
use crate::error::{AppError, HtmlError};
use crate::reports::{HtmlSection, html_sections, report_html};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports", get(show_reports))
        .route("/reports/file", get(report_file))
        .route("/reports/schedules", post(add_schedule))
        .route("/reports/schedules/run", post(run_schedules))
        .route("/reports/schedules/{id}/delete", post(delete_schedule))
        .route("/reports/runs/{id}/{format}", get(run_file))
}

#[derive(Debug, Default, Deserialize)]
struct Params {
    kind: Option<String>,
    period: Option<String>,
    area: Option<String>,
    audience: Option<String>,
    ages: Option<String>,
    plan: Option<String>,
    /// `html|pdf|csv|xlsx` (the file route).
    format: Option<String>,
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The request the parameters describe, for this viewer: their audience checked, a statutory
/// request kept to their area.
async fn request(state: &AppState, viewer: &Viewer, p: &Params) -> Result<Request, AppError> {
    let kind = Kind::parse(blank(&p.kind).unwrap_or("audit")).map_err(AppError::Invalid)?;
    let period = match blank(&p.period) {
        Some(t) => ReportPeriod::parse(t).map_err(AppError::Invalid)?,
        None => default_period(kind)?,
    };
    let audience = audience_of(blank(&p.audience), viewer)?;
    let area = scoped_area(state, viewer, audience, blank(&p.area).map(str::to_owned)).await?;
    let ages = match blank(&p.ages) {
        Some(a) => reports::parse_ages(a).map_err(AppError::Invalid)?,
        None => reports::CYP_AGES,
    };
    let plan = match blank(&p.plan) {
        Some(id) => Some(
            id.parse::<i64>()
                .map_err(|_| AppError::Invalid(format!("plan '{id}' is not a plan number")))?,
        ),
        None => None,
    };
    Ok(Request {
        kind,
        period,
        area,
        audience,
        ages,
        plan,
    })
}

/// Last calendar year for the annual reports; last quarter for the quarterly one.
fn default_period(kind: Kind) -> Result<ReportPeriod, AppError> {
    let today = chrono::Utc::now().date_naive();
    let text = match (kind, (today.month() - 1) / 3) {
        (Kind::Quarterly, 0) => format!("{}Q4", today.year() - 1),
        (Kind::Quarterly, q) => format!("{}Q{q}", today.year()),
        _ => (today.year() - 1).to_string(),
    };
    ReportPeriod::parse(&text).map_err(AppError::Invalid)
}

async fn build(state: &AppState, req: &Request) -> Result<reports::Report, AppError> {
    reports::build(state.store.as_ref(), req)
        .await
        .map_err(|e| match e {
            ReportError::Invalid(m) => AppError::Invalid(m),
            ReportError::Store(s) => AppError::from(s),
        })
}

/// An audit entry for a statutory report (the exact figures are audited as records are).
async fn audited(
    state: &AppState,
    viewer: &Viewer,
    origin: &str,
    req: &Request,
    what: &str,
) -> Result<(), AppError> {
    audit_statutory(
        state,
        viewer,
        origin,
        req.audience,
        format!(
            "statutory {what}: kind={} period={} area={}",
            req.kind.as_str(),
            req.period.label(),
            req.area.as_deref().unwrap_or("all")
        ),
    )
    .await
}

/// Audit `detail` when the report is statutory and someone is signed in.
async fn audit_statutory(
    state: &AppState,
    viewer: &Viewer,
    origin: &str,
    audience: lantern_core::indicators::Audience,
    detail: String,
) -> Result<(), AppError> {
    if let (Some(user), false) = (&viewer.0, audience.is_protected()) {
        audit(state, &user.username, origin, "report", None, None, detail).await?;
    }
    Ok(())
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    layout: Layout,
    kinds: Vec<Opt>,
    period: String,
    areas: Vec<Opt>,
    audiences: Vec<Opt>,
    ages: String,
    plans: Vec<Opt>,
    preview: bool,
    title: String,
    cover: Vec<(&'static str, String)>,
    notes: Vec<String>,
    sections: Vec<HtmlSection>,
    /// `(format, label, link)` for each download.
    downloads: Vec<(&'static str, &'static str, String)>,
    /// The schedules this user may see, with their runs.
    schedules: Vec<ScheduleView>,
    /// The user may add, remove and run schedules (analysts).
    can_schedule: bool,
    cadences: Vec<Opt>,
    /// The day schedules run on.
    today: String,
}

struct RunView {
    period: String,
    ran_at: String,
    snapshot: String,
    /// `(format, link)`.
    files: Vec<(String, String)>,
}

struct ScheduleView {
    id: i64,
    text: String,
    next: String,
    runs: Vec<RunView>,
}

/// The schedules a viewer may see (those for an audience they may have), with their runs.
async fn schedule_views(state: &AppState, viewer: &Viewer) -> Result<Vec<ScheduleView>, AppError> {
    let runs = state.store.runs(None).await?;
    let day = state.today();
    let mut out = Vec::new();
    for s in state.store.schedules().await? {
        if audience_of(Some(&s.schedule.audience), viewer).is_err() {
            continue;
        }
        let next = match s.schedule.cadence.latest_due(day) {
            Some((p, _))
                if runs
                    .iter()
                    .any(|r| r.schedule_id == s.id && r.period == p.label()) =>
            {
                "the latest period has been made".to_owned()
            }
            Some((p, run)) => format!("{} is due (since {run})", p.label()),
            None => String::new(),
        };
        out.push(ScheduleView {
            id: s.id,
            text: s.schedule.describe(),
            next,
            runs: runs
                .iter()
                .filter(|r| r.schedule_id == s.id)
                .map(|r| RunView {
                    period: r.period.clone(),
                    ran_at: r.ran_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    snapshot: r.snapshot.chars().take(12).collect(),
                    files: r
                        .formats
                        .iter()
                        .map(|f| (f.clone(), format!("/reports/runs/{}/{f}", r.id)))
                        .collect(),
                })
                .collect(),
        });
    }
    Ok(out)
}

async fn show_reports(
    State(state): State<AppState>,
    viewer: Viewer,
    Origin(origin): Origin,
    Query(p): Query<Params>,
) -> Result<Response, HtmlError> {
    let layout = Layout::new(&state, "Reports", "reports");
    let req = request(&state, &viewer, &p).await?;
    let audiences: &[(&str, &str)] = if layout.analyst() {
        &[
            ("statutory", "Statutory: full detail"),
            ("partner", "Partner: small numbers protected"),
            ("public", "Public: partner rules and the media guidelines"),
        ]
    } else {
        &[
            ("partner", "Partner: small numbers protected"),
            ("public", "Public: partner rules and the media guidelines"),
        ]
    };
    let mut areas = vec![Opt::new("", "All areas", req.area.as_deref().unwrap_or(""))];
    for a in state.store.areas(None).await? {
        // Small areas are too many to list (a statutory report for one can still be asked
        // for by code); partners get nothing below a local authority.
        let listed = match a.level {
            AreaLevel::Lsoa => false,
            AreaLevel::Msoa => !req.audience.is_protected(),
            _ => true,
        };
        if listed {
            areas.push(Opt::new(
                &a.code,
                &format!("{} ({})", a.name, a.level.as_str()),
                req.area.as_deref().unwrap_or(""),
            ));
        }
    }
    let plan_value = req.plan.map(|p| p.to_string()).unwrap_or_default();
    let mut plans = vec![Opt::new("", "Every plan (quarterly)", &plan_value)];
    for p in state.store.plans().await? {
        plans.push(Opt::new(&p.id.to_string(), &p.title, &plan_value));
    }
    let query = format!(
        "kind={}&period={}&area={}&audience={}&ages={}-{}{}",
        req.kind.as_str(),
        encode(&req.period.label()),
        encode(req.area.as_deref().unwrap_or("")),
        req.audience.disclosure(),
        req.ages.0,
        req.ages.1,
        req.plan.map(|p| format!("&plan={p}")).unwrap_or_default()
    );
    let preview = blank(&p.kind).is_some();
    let (title, cover, notes, sections) = if preview {
        audited(&state, &viewer, &origin, &req, "preview").await?;
        let r = build(&state, &req).await?;
        (
            r.title.clone(),
            r.cover(),
            r.notes.clone(),
            html_sections(&r),
        )
    } else {
        (String::new(), Vec::new(), Vec::new(), Vec::new())
    };
    let page = ReportsPage {
        kinds: Kind::ALL
            .iter()
            .map(|k| Opt::new(k.as_str(), k.title(), req.kind.as_str()))
            .collect(),
        period: req.period.label(),
        areas,
        audiences: audiences
            .iter()
            .map(|(v, l)| Opt::new(v, l, req.audience.disclosure()))
            .collect(),
        ages: format!("{}-{}", req.ages.0, req.ages.1),
        plans,
        preview,
        title,
        cover,
        notes,
        sections,
        downloads: [
            ("html", "HTML (prints well)"),
            ("pdf", "PDF"),
            ("csv", "CSV (every table)"),
            ("xlsx", "XLSX (a sheet per table)"),
        ]
        .iter()
        .map(|(f, l)| (*f, *l, format!("/reports/file?{query}&format={f}")))
        .collect(),
        schedules: schedule_views(&state, &viewer).await?,
        can_schedule: layout.analyst(),
        cadences: [
            ("quarterly", "Each quarter (first Monday)"),
            ("monthly", "Each month (first Monday)"),
            ("yearly", "Each year (first Monday)"),
        ]
        .iter()
        .map(|(v, l)| Opt::new(v, l, "quarterly"))
        .collect(),
        today: state.today().to_string(),
        layout,
    };
    Ok(render(&page))
}

async fn report_file(
    State(state): State<AppState>,
    viewer: Viewer,
    Origin(origin): Origin,
    Query(p): Query<Params>,
) -> Result<Response, HtmlError> {
    let req = request(&state, &viewer, &p).await?;
    let format = blank(&p.format).unwrap_or("html");
    let r = build(&state, &req).await?;
    let (bytes, mime) = match format {
        "html" => (
            report_html(&r)
                .map_err(|e| AppError::Invalid(format!("cannot draw the report: {e}")))?
                .into_bytes(),
            "text/html; charset=utf-8",
        ),
        "pdf" => (
            crate::reports::report_pdf(&r).map_err(|e| AppError::Invalid(e.to_string()))?,
            "application/pdf",
        ),
        "csv" => (
            reports::csv_bytes(&r).map_err(|e| AppError::Invalid(e.to_string()))?,
            "text/csv; charset=utf-8",
        ),
        "xlsx" => (
            reports::xlsx_bytes(&r).map_err(|e| AppError::Invalid(e.to_string()))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        other => {
            return Err(AppError::Invalid(format!(
                "format '{other}' is not one of html|pdf|csv|xlsx"
            ))
            .into());
        }
    };
    audited(&state, &viewer, &origin, &req, &format!("{format} file")).await?;
    let name = format!(
        "lantern-{}-{}-{}{}.{format}",
        req.kind.as_str(),
        req.period.label().replace("..", "-to-"),
        req.audience.disclosure(),
        req.area
            .as_deref()
            .map(|a| format!("-{a}"))
            .unwrap_or_default()
    );
    let disposition = if format == "html" {
        format!("inline; filename=\"{name}\"")
    } else {
        format!("attachment; filename=\"{name}\"")
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Debug, Deserialize)]
struct ScheduleForm {
    kind: String,
    cadence: String,
    #[serde(default)]
    area: String,
    audience: String,
    #[serde(default)]
    ages: String,
    #[serde(default)]
    plan: String,
}

async fn add_schedule(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::Form(form): axum::Form<ScheduleForm>,
) -> Result<Response, HtmlError> {
    use lantern_core::reports::schedule::{Cadence, NewSchedule};
    let user = viewer.require(Rule::Analysts)?.clone();
    let cadence = Cadence::parse(&form.cadence).map_err(AppError::Invalid)?;
    // The same checks as a report asked for now: the audience is the user's to ask for, a
    // statutory report stays in their area, the kind, ages and plan read.
    let params = Params {
        kind: Some(form.kind.clone()),
        period: None,
        area: Some(form.area.clone()),
        audience: Some(form.audience.clone()),
        ages: Some(form.ages.clone()),
        plan: Some(form.plan.clone()),
        format: None,
    };
    let req = request(&state, &viewer, &params).await?;
    if let Some(code) = &req.area {
        let area = state
            .store
            .area(code)
            .await
            .map_err(|_| AppError::Invalid(format!("area {code} is not known")))?;
        if req.audience.is_protected() && matches!(area.level, AreaLevel::Lsoa | AreaLevel::Msoa) {
            return Err(AppError::Invalid(format!(
                "{code} is a small area: reports for the {} audience are for a local authority or larger",
                req.audience.disclosure()
            ))
            .into());
        }
    }
    if req.kind == Kind::Plan && req.plan.is_none() {
        return Err(AppError::Invalid("a plan report needs a plan".to_owned()).into());
    }
    let schedule = NewSchedule {
        kind: req.kind.as_str().to_owned(),
        cadence,
        area: req.area.clone(),
        audience: req.audience.disclosure().to_owned(),
        ages: (req.kind == Kind::CypAudit).then(|| format!("{}-{}", req.ages.0, req.ages.1)),
        plan: req.plan,
        created_by: user.username.clone(),
    };
    let id = state.store.create_schedule(&schedule).await?;
    audit(
        &state,
        &user.username,
        "web",
        "report_schedule_add",
        None,
        None,
        format!("schedule {id}: {}", schedule.describe()),
    )
    .await?;
    Ok(Redirect::to("/reports#schedules").into_response())
}

async fn delete_schedule(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<i64>,
) -> Result<Response, HtmlError> {
    let user = viewer.require(Rule::Analysts)?.clone();
    state.store.delete_schedule(id).await?;
    audit(
        &state,
        &user.username,
        "web",
        "report_schedule_delete",
        None,
        None,
        format!("schedule {id}"),
    )
    .await?;
    Ok(Redirect::to("/reports#schedules").into_response())
}

/// Make now what the job would make on its next check.
async fn run_schedules(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, HtmlError> {
    viewer.require(Rule::Analysts)?;
    crate::reports_job::run_due(&state.store, state.today())
        .await
        .map_err(|e| AppError::Invalid(format!("the schedules could not run: {e:#}")))?;
    Ok(Redirect::to("/reports#schedules").into_response())
}

/// A kept file of a run, for a viewer who may see its audience.
async fn run_file(
    State(state): State<AppState>,
    viewer: Viewer,
    Origin(origin): Origin,
    Path((id, format)): Path<(i64, String)>,
) -> Result<Response, HtmlError> {
    let run = state
        .store
        .runs(None)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or(AppError::NotFound)?;
    let schedule = state
        .store
        .schedules()
        .await?
        .into_iter()
        .find(|s| s.id == run.schedule_id)
        .ok_or(AppError::NotFound)?;
    let audience = audience_of(Some(&schedule.schedule.audience), &viewer)?;
    if !audience.is_protected() {
        scoped_area(&state, &viewer, audience, schedule.schedule.area.clone()).await?;
    }
    audit_statutory(
        &state,
        &viewer,
        &origin,
        audience,
        format!(
            "statutory run {id} ({format}): schedule {} for {}",
            schedule.id, run.period
        ),
    )
    .await?;
    let bytes = state.store.run_file(id, &format).await?;
    let mime = match format.as_str() {
        "html" => "text/html; charset=utf-8",
        "pdf" => "application/pdf",
        "csv" => "text/csv; charset=utf-8",
        _ => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    };
    let name = format!(
        "lantern-{}-{}-{}.{format}",
        schedule.schedule.kind,
        run.period.replace("..", "-to-"),
        schedule.schedule.audience
    );
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response())
}
