//! The Reports page: choose a kind, period, area and audience; preview the report on the page;
//! download it as HTML, PDF, CSV or XLSX. A user gets reports for the audiences they may see
//! (a partner: partner or public), and statutory reports are audited like the figures in them.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Datelike as _;
use lantern_core::area::AreaLevel;
use lantern_core::reports::{self, Kind, ReportError, ReportPeriod, Request};
use serde::Deserialize;

use super::{Layout, Opt, encode, render};
use crate::AppState;
use crate::access::{Origin, Viewer, audit};
use crate::api::indicators::{audience_of, scoped_area};
use crate::error::{AppError, HtmlError};
use crate::reports::{HtmlSection, html_sections, report_html};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports", get(show_reports))
        .route("/reports/file", get(report_file))
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
    if let (Some(user), false) = (&viewer.0, req.audience.is_protected()) {
        audit(
            state,
            &user.username,
            origin,
            "report",
            None,
            None,
            format!(
                "statutory {what}: kind={} period={} area={}",
                req.kind.as_str(),
                req.period.label(),
                req.area.as_deref().unwrap_or("all")
            ),
        )
        .await?;
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
            reports::pdf_bytes(&r).map_err(|e| AppError::Invalid(e.to_string()))?,
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
