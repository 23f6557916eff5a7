//! The register pages: the list with filters, paging and sorting; a record with its history;
//! create and edit forms with messages beside the fields; and the status change of a suspected
//! suicide.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use lantern_core::area::AreaLevel;
use lantern_core::codes;
use lantern_core::register::{self, Dataset, FieldKind, Record, SUICIDES, Value};
use lantern_core::store::{ListParams, RecordQuery, non_blank};
use serde::Deserialize;

use super::register_forms::{create_record, edit_record, new_record, update_record};
use super::{Layout, Opt, encode, render};
use crate::AppState;
use crate::access::Guard;
use crate::error::{AppError, HtmlError};
use lantern_core::text::capitalise;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/register/{dataset}", get(list_records).post(create_record))
        .route("/register/{dataset}/new", get(new_record))
        .route(
            "/register/{dataset}/{id}",
            get(show_record).post(update_record),
        )
        .route("/register/{dataset}/{id}/edit", get(edit_record))
        .route("/register/suicides/{id}/status", post(change_status))
        .route("/register/{dataset}/{id}/break-glass", post(break_glass))
}

pub(super) fn dataset(name: &str) -> Result<&'static Dataset, HtmlError> {
    register::dataset(name).ok_or(HtmlError(AppError::NotFound))
}

/// This list page's query string with some parameters replaced.
fn list_link(params: &ListParams, base: &str, changes: &[(&str, String)]) -> String {
    let mut pairs = params.pairs();
    for (k, v) in changes {
        pairs.retain(|(key, _)| key != k);
        if !v.is_empty() {
            pairs.push((k, v.clone()));
        }
    }
    let qs: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if qs.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", qs.join("&"))
    }
}

struct ColumnHead {
    label: String,
    link: String,
    /// `ascending`, `descending` or `none`, for `aria-sort`.
    sorted: &'static str,
}

struct ListRow {
    link: String,
    id: i64,
    cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    layout: Layout,
    dataset: &'static str,
    noun: &'static str,
    columns: Vec<ColumnHead>,
    rows: Vec<ListRow>,
    total: u64,
    page: u32,
    pages: u64,
    prev_link: Option<String>,
    next_link: Option<String>,
    from: String,
    to: String,
    area_options: Vec<Opt>,
    status_options: Vec<Opt>,
    source_options: Vec<Opt>,
    setting_options: Vec<Opt>,
    error: Option<String>,
    json_link: String,
}

fn list_columns(dataset: &Dataset) -> &'static [&'static str] {
    if dataset.is_suicides() {
        &[
            "date_of_death",
            "age",
            "sex",
            "residence_area",
            "status",
            "method_group",
            "location_type",
            "source",
        ]
    } else {
        &[
            "presented_at",
            "age",
            "sex",
            "residence_area",
            "setting",
            "presentation_type",
            "intent",
            "source",
        ]
    }
}

/// A value for people: code labels instead of codes, area names beside codes.
pub(super) fn display(
    dataset: &Dataset,
    name: &str,
    record: &Record,
    areas: &HashMap<String, String>,
) -> String {
    let Some(field) = dataset.field(name) else {
        return String::new();
    };
    let Some(value) = record.get(name) else {
        return String::new();
    };
    match (field.kind, value) {
        (FieldKind::Code(list), Value::Code(c)) => codes::list(list).label(c).to_owned(),
        (FieldKind::Codes(list), Value::Codes(cs)) => {
            let l = codes::list(list);
            cs.iter().map(|c| l.label(c)).collect::<Vec<_>>().join("; ")
        }
        (FieldKind::Area, Value::Text(code)) => match areas.get(code) {
            Some(n) => format!("{n} ({code})"),
            None => lantern_core::area::residence_other(code)
                .map_or_else(|| code.clone(), |c| c.label.clone()),
        },
        (FieldKind::DateOrTime, Value::DateTime(t)) => t.format("%Y-%m-%d %H:%M").to_string(),
        _ => value.to_text(),
    }
}

/// Area names by code.
pub(super) fn names_of(areas: &[lantern_core::area::Area]) -> HashMap<String, String> {
    areas
        .iter()
        .map(|a| (a.code.clone(), a.name.clone()))
        .collect()
}

async fn area_names(state: &AppState) -> Result<HashMap<String, String>, HtmlError> {
    Ok(names_of(&state.store.areas(None).await?))
}

fn code_options(list: &str, current: &str) -> Vec<Opt> {
    let mut opts = vec![Opt::new("", "Any", current)];
    opts.extend(
        codes::list(list)
            .codes
            .iter()
            .map(|c| Opt::new(&c.code, &c.label, current)),
    );
    opts
}

async fn list_records(
    State(state): State<AppState>,
    guard: Guard,
    Path(name): Path<String>,
    Query(params): Query<ListParams>,
) -> Result<Response, HtmlError> {
    let dataset = dataset(&name)?;
    let base = format!("/register/{}", dataset.name);
    let (query, error) = match params.to_query() {
        Ok(q) => (q, None),
        Err(e) => (RecordQuery::default(), Some(e)),
    };
    let (page, query) = guard.list(dataset, query, "web").await?;
    let mut area_list = state.store.areas(None).await?;
    let areas = names_of(&area_list);
    let sort = query.sort_field(dataset);
    let mut columns: Vec<ColumnHead> = list_columns(dataset)
        .iter()
        .map(|&c| {
            let label = dataset.field(c).map_or(c, |f| f.label).to_owned();
            let (sorted, next) = match (c == sort, query.desc) {
                (true, true) => ("descending", "asc"),
                (true, false) => ("ascending", "desc"),
                (false, _) => ("none", "asc"),
            };
            let link = list_link(
                &params,
                &base,
                &[
                    ("sort", c.to_owned()),
                    ("order", next.to_owned()),
                    ("page", String::new()),
                ],
            );
            ColumnHead {
                label,
                link,
                sorted,
            }
        })
        .collect();
    let is_self_harm = dataset.is_self_harm();
    if is_self_harm {
        columns.push(ColumnHead {
            label: "Repeat within 12 months".to_owned(),
            link: String::new(),
            sorted: "none",
        });
    }
    let rows = page
        .items
        .iter()
        .map(|r| {
            let mut cells: Vec<String> = list_columns(dataset)
                .iter()
                .map(|c| display(dataset, c, &r.record, &areas))
                .collect();
            if is_self_harm {
                cells.push(
                    match r.repeat_within_12m {
                        Some(true) => "Yes",
                        Some(false) => "No",
                        None => "",
                    }
                    .to_owned(),
                );
            }
            ListRow {
                link: format!("{base}/{}", r.id),
                id: r.id,
                cells,
            }
        })
        .collect();
    let pages = page.total.div_ceil(u64::from(query.limit())).max(1);
    let current = query.page.max(1);
    let page_link = |p: u32| list_link(&params, &base, &[("page", p.to_string())]);
    area_list.retain(|a| a.level != AreaLevel::Lsoa);
    let area_now = non_blank(&params.area).unwrap_or("");
    let mut area_options = vec![Opt::new("", "All areas", area_now)];
    area_options.extend(area_list.iter().map(|a| {
        Opt::new(
            &a.code,
            &format!("{} ({})", a.name, a.level.label()),
            area_now,
        )
    }));
    area_options.extend(
        codes::list(lantern_core::area::RESIDENCE_LIST)
            .codes
            .iter()
            .map(|c| Opt::new(&c.code, &c.label, area_now)),
    );
    let source_now = non_blank(&params.source).unwrap_or("");
    let mut source_options = vec![Opt::new("", "Any", source_now)];
    source_options.extend(
        state
            .store
            .sources(dataset)
            .await?
            .iter()
            .map(|s| Opt::new(s, s, source_now)),
    );
    let view = ListPage {
        layout: Layout::new(
            &state,
            if is_self_harm {
                "Self-harm presentations"
            } else {
                "Suspected suicides"
            },
            dataset.name,
        ),
        dataset: dataset.name,
        noun: dataset.noun,
        columns,
        rows,
        total: page.total,
        page: current,
        pages,
        prev_link: (current > 1).then(|| page_link(current - 1)),
        next_link: (u64::from(current) < pages).then(|| page_link(current + 1)),
        from: non_blank(&params.from).unwrap_or("").to_owned(),
        to: non_blank(&params.to).unwrap_or("").to_owned(),
        area_options,
        status_options: if is_self_harm {
            Vec::new()
        } else {
            code_options("suicide_status", non_blank(&params.status).unwrap_or(""))
        },
        source_options,
        setting_options: if is_self_harm {
            code_options("setting", non_blank(&params.setting).unwrap_or(""))
        } else {
            Vec::new()
        },
        error,
        json_link: list_link(&params, &format!("/api/v1/{}", dataset.name), &[]),
    };
    let mut response = render(&view);
    if view.error.is_some() {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

struct Shown {
    label: &'static str,
    value: String,
    restricted: bool,
}

struct HistoryRow {
    when: String,
    kind: String,
    origin: String,
    changes: Vec<String>,
}

/// A suspected suicide's status change, as the record page lists it.
struct StatusRow {
    status: String,
    effective: String,
    recorded: String,
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage {
    layout: Layout,
    dataset: &'static str,
    id: i64,
    fields: Vec<Shown>,
    repeat: Option<bool>,
    is_suicide: bool,
    statuses: Vec<StatusRow>,
    history: Vec<HistoryRow>,
    status_options: Vec<Opt>,
    /// The postvention panel (suspected suicides).
    postvention: Vec<super::postvention::PanelField>,
    saved: bool,
    created: String,
    updated: String,
    version: i64,
}

#[derive(Debug, Deserialize)]
struct ShowParams {
    saved: Option<String>,
}

async fn show_record(
    State(state): State<AppState>,
    guard: Guard,
    Path((name, id)): Path<(String, i64)>,
    Query(params): Query<ShowParams>,
) -> Result<Response, HtmlError> {
    let dataset = dataset(&name)?;
    let stored = guard.open(dataset, id, "web").await?;
    let areas = area_names(&state).await?;
    let fields = dataset
        .fields
        .iter()
        .map(|f| Shown {
            label: f.label,
            value: display(dataset, f.name, &stored.record, &areas),
            restricted: f.restricted,
        })
        .collect();
    let is_suicide = dataset.is_suicides();
    let statuses = if is_suicide {
        let list = codes::list("suicide_status");
        state
            .store
            .status_history(id)
            .await?
            .into_iter()
            .map(|s| StatusRow {
                status: list.label(&s.status).to_owned(),
                effective: s.effective_on.to_string(),
                recorded: s.recorded_at.format("%Y-%m-%d %H:%M").to_string(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let history = guard
        .history(dataset, id)
        .await?
        .into_iter()
        .map(|h| HistoryRow {
            when: h.changed_at.format("%Y-%m-%d %H:%M").to_string(),
            kind: h.kind,
            origin: h.origin,
            changes: h
                .changes
                .iter()
                .map(|c| {
                    let label = dataset
                        .field(&c.field)
                        .map_or(c.field.as_str(), |f| f.label);
                    let blank = |s: &str| {
                        if s.is_empty() {
                            "(blank)".to_owned()
                        } else {
                            s.to_owned()
                        }
                    };
                    format!("{label}: {} → {}", blank(&c.old), blank(&c.new))
                })
                .collect(),
        })
        .collect();
    let current_status = stored.record.text("status");
    let view = RecordPage {
        layout: Layout::new(
            &state,
            format!("{} {id}", capitalise(dataset.noun)),
            dataset.name,
        ),
        dataset: dataset.name,
        id,
        fields,
        repeat: stored.repeat_within_12m,
        is_suicide,
        statuses,
        history,
        status_options: codes::list("suicide_status")
            .codes
            .iter()
            .map(|c| Opt::new(&c.code, &c.label, &current_status))
            .collect(),
        postvention: if is_suicide {
            super::postvention::panel(&stored.record)
        } else {
            Vec::new()
        },
        saved: params.saved.is_some(),
        created: stored.created_at.format("%Y-%m-%d %H:%M").to_string(),
        updated: stored.updated_at.format("%Y-%m-%d %H:%M").to_string(),
        version: stored.version,
    };
    Ok(render(&view))
}

#[derive(Debug, Deserialize)]
struct StatusForm {
    status: String,
    effective_on: String,
    version: Option<i64>,
}

async fn change_status(
    guard: Guard,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Result<Response, HtmlError> {
    let mut record = guard.for_update(&SUICIDES, id).await?.record;
    let status = SUICIDES
        .field("status")
        .and_then(|f| f.parse(&form.status, &|_| true).ok().flatten());
    let date = SUICIDES
        .field("status_date")
        .and_then(|f| f.parse(&form.effective_on, &|_| true).ok().flatten());
    let (Some(status), Some(date)) = (status, date) else {
        return Err(HtmlError(AppError::Invalid(
            "choose a status and give the date it took effect (YYYY-MM-DD)".to_owned(),
        )));
    };
    record.set("status", Some(status));
    record.set("status_date", Some(date));
    let detail = format!("web: to {} on {}", form.status, form.effective_on);
    guard
        .update(id, record, form.version, "status", detail)
        .await?;
    Ok(Redirect::to(&format!("/register/suicides/{id}?saved=1")).into_response())
}

#[derive(Debug, Deserialize)]
struct BreakGlassForm {
    reason: String,
}

async fn break_glass(
    guard: Guard,
    Path((name, id)): Path<(String, i64)>,
    Form(form): Form<BreakGlassForm>,
) -> Result<Response, HtmlError> {
    let dataset = dataset(&name)?;
    guard.break_glass(dataset, id, &form.reason).await?;
    Ok(Redirect::to(&format!("/register/{}/{id}", dataset.name)).into_response())
}
