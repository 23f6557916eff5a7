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
use chrono::NaiveDate;
use lantern_core::area::AreaLevel;
use lantern_core::codes;
use lantern_core::register::{self, Dataset, FieldKind, Record, SELF_HARM, SUICIDES, Value};
use lantern_core::store::RecordQuery;
use serde::Deserialize;

use super::{Layout, Opt, encode, render};
use crate::AppState;
use crate::access::Guard;
use crate::error::{AppError, HtmlError};

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

fn dataset(name: &str) -> Result<&'static Dataset, HtmlError> {
    register::dataset(name).ok_or(HtmlError(AppError::NotFound))
}

/// Filters, sorting and paging as they arrive in a query string. Blank values mean "any", so a
/// filter form submitted with empty boxes works.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ListParams {
    from: Option<String>,
    to: Option<String>,
    area: Option<String>,
    status: Option<String>,
    source: Option<String>,
    setting: Option<String>,
    sort: Option<String>,
    order: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl ListParams {
    /// The store query these parameters ask for.
    ///
    /// # Errors
    /// A message naming the parameter that is wrong.
    pub(crate) fn to_query(&self) -> Result<RecordQuery, String> {
        let date = |name: &str, v: &Option<String>| -> Result<Option<NaiveDate>, String> {
            given(v)
                .map(|s| {
                    NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .map_err(|_| format!("{name}: '{s}' is not a date (YYYY-MM-DD)"))
                })
                .transpose()
        };
        let number = |name: &str, v: &Option<String>, default: u32| -> Result<u32, String> {
            given(v).map_or(Ok(default), |s| {
                s.parse::<u32>()
                    .map_err(|_| format!("{name}: '{s}' is not a whole number"))
            })
        };
        let order = given(&self.order);
        if !matches!(order, None | Some("asc" | "desc")) {
            return Err("order: use asc or desc".to_owned());
        }
        Ok(RecordQuery {
            from: date("from", &self.from)?,
            to: date("to", &self.to)?,
            area: given(&self.area).map(str::to_owned),
            status: given(&self.status).map(str::to_owned),
            source: given(&self.source).map(str::to_owned),
            setting: given(&self.setting).map(str::to_owned),
            sort: given(&self.sort).map(str::to_owned),
            desc: order != Some("asc"),
            page: number("page", &self.page, 1)?.max(1),
            per_page: number("per_page", &self.per_page, 50)?.clamp(1, 500),
            // The scope is the access layer's to set, never the request's.
            scope_area: None,
            scope_source: None,
        })
    }

    /// This page's query string with some parameters replaced.
    fn link(&self, base: &str, changes: &[(&str, String)]) -> String {
        let mut pairs: Vec<(&str, String)> = [
            ("from", &self.from),
            ("to", &self.to),
            ("area", &self.area),
            ("status", &self.status),
            ("source", &self.source),
            ("setting", &self.setting),
            ("sort", &self.sort),
            ("order", &self.order),
            ("page", &self.page),
            ("per_page", &self.per_page),
        ]
        .into_iter()
        .filter_map(|(k, v)| given(v).map(|v| (k, v.to_owned())))
        .collect();
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
    if std::ptr::eq(dataset, &SUICIDES) {
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
fn display(
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
            None => code.clone(),
        },
        (FieldKind::DateOrTime, Value::DateTime(t)) => t.format("%Y-%m-%d %H:%M").to_string(),
        _ => value.to_text(),
    }
}

/// Area names by code.
fn names_of(areas: &[lantern_core::area::Area]) -> HashMap<String, String> {
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
            let link = params.link(
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
    let is_self_harm = std::ptr::eq(dataset, &SELF_HARM);
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
    let page_link = |p: u32| params.link(&base, &[("page", p.to_string())]);
    area_list.retain(|a| a.level != AreaLevel::Lsoa);
    let area_now = given(&params.area).unwrap_or("");
    let mut area_options = vec![Opt::new("", "All areas", area_now)];
    area_options.extend(area_list.iter().map(|a| {
        Opt::new(
            &a.code,
            &format!("{} ({})", a.name, a.level.label()),
            area_now,
        )
    }));
    let source_now = given(&params.source).unwrap_or("");
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
        from: given(&params.from).unwrap_or("").to_owned(),
        to: given(&params.to).unwrap_or("").to_owned(),
        area_options,
        status_options: if is_self_harm {
            Vec::new()
        } else {
            code_options("suicide_status", given(&params.status).unwrap_or(""))
        },
        source_options,
        setting_options: if is_self_harm {
            code_options("setting", given(&params.setting).unwrap_or(""))
        } else {
            Vec::new()
        },
        error,
        json_link: params.link(&format!("/api/v1/{}", dataset.name), &[]),
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

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage {
    layout: Layout,
    dataset: &'static str,
    id: i64,
    fields: Vec<Shown>,
    repeat: Option<bool>,
    is_suicide: bool,
    statuses: Vec<(String, String, String)>,
    history: Vec<HistoryRow>,
    status_options: Vec<Opt>,
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
    let is_suicide = std::ptr::eq(dataset, &SUICIDES);
    let statuses = if is_suicide {
        let list = codes::list("suicide_status");
        state
            .store
            .status_history(id)
            .await?
            .into_iter()
            .map(|s| {
                (
                    list.label(&s.status).to_owned(),
                    s.effective_on.to_string(),
                    s.recorded_at.format("%Y-%m-%d %H:%M").to_string(),
                )
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
        saved: params.saved.is_some(),
        created: stored.created_at.format("%Y-%m-%d %H:%M").to_string(),
        updated: stored.updated_at.format("%Y-%m-%d %H:%M").to_string(),
        version: stored.version,
    };
    Ok(render(&view))
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// One input of the record form.
struct FormField {
    name: &'static str,
    label: &'static str,
    required: bool,
    /// `text`, `number`, `date`, `datetime`, `select`, `multi`, `area`.
    input: &'static str,
    value: String,
    options: Vec<Opt>,
    error: Option<String>,
    hint: &'static str,
}

#[derive(Template)]
#[template(path = "form.html")]
struct FormPage {
    layout: Layout,
    heading: String,
    action: String,
    cancel: String,
    fields: Vec<FormField>,
    errors: usize,
    area_codes: Vec<Opt>,
    conflict: Option<String>,
    nhs_number_field: bool,
    nhs_error: Option<String>,
    /// The version an edit starts from (empty for a new record).
    version: String,
}

fn form_fields(
    dataset: &Dataset,
    values: &HashMap<String, String>,
    errors: &HashMap<&str, String>,
) -> Vec<FormField> {
    dataset
        .fields
        .iter()
        .map(|f| {
            let value = values.get(f.name).cloned().unwrap_or_default();
            let (input, options, hint) = match f.kind {
                FieldKind::Text { .. } => ("text", Vec::new(), ""),
                FieldKind::PersonKey => (
                    "text",
                    Vec::new(),
                    "64 hexadecimal characters; or give the NHS number below",
                ),
                FieldKind::Int { .. } => ("number", Vec::new(), ""),
                FieldKind::Float { .. } => ("text", Vec::new(), "decimal degrees"),
                FieldKind::Date => ("date", Vec::new(), ""),
                FieldKind::DateOrTime => (
                    "text",
                    Vec::new(),
                    "YYYY-MM-DD, or date and time such as 2024-03-01T14:30:00Z",
                ),
                FieldKind::Bool => {
                    let opts = [("", "Not known"), ("yes", "Yes"), ("no", "No")]
                        .iter()
                        .map(|(v, l)| Opt::new(v, l, &value))
                        .collect();
                    ("select", opts, "")
                }
                FieldKind::Code(list) => {
                    let mut opts = vec![Opt::new("", "Choose…", &value)];
                    opts.extend(
                        codes::list(list)
                            .codes
                            .iter()
                            .map(|c| Opt::new(&c.code, &c.label, &value)),
                    );
                    ("select", opts, "")
                }
                FieldKind::Codes(list) => {
                    let chosen: Vec<&str> = value.split(';').collect();
                    let opts = codes::list(list)
                        .codes
                        .iter()
                        .map(|c| Opt {
                            value: c.code.clone(),
                            label: c.label.clone(),
                            selected: chosen.contains(&c.code.as_str()),
                        })
                        .collect();
                    ("multi", opts, "")
                }
                FieldKind::Area => (
                    "area",
                    Vec::new(),
                    "the code of the small area (LSOA) of residence",
                ),
            };
            FormField {
                name: f.name,
                label: f.label,
                required: f.required,
                input,
                value,
                options,
                error: errors.get(f.name).cloned(),
                hint,
            }
        })
        .collect()
}

async fn form_page(
    state: &AppState,
    dataset: &'static Dataset,
    id: Option<i64>,
    values: &HashMap<String, String>,
    errors: &HashMap<&str, String>,
    conflict: Option<String>,
) -> Result<FormPage, HtmlError> {
    let mut areas = state.store.areas(Some(AreaLevel::Lsoa)).await?;
    areas.truncate(5000);
    let area_codes = areas
        .iter()
        .map(|a| Opt::new(&a.code, &a.name, ""))
        .collect();
    let (heading, action, cancel) = match id {
        Some(id) => (
            format!("Edit {} {id}", dataset.noun),
            format!("/register/{}/{id}", dataset.name),
            format!("/register/{}/{id}", dataset.name),
        ),
        None => (
            format!("New {}", dataset.noun),
            format!("/register/{}", dataset.name),
            format!("/register/{}", dataset.name),
        ),
    };
    Ok(FormPage {
        layout: Layout::new(state, heading.clone(), dataset.name),
        heading,
        action,
        cancel,
        // Fields the user may not read are not offered: they could neither check nor change them.
        fields: form_fields(dataset, values, errors)
            .into_iter()
            .filter(|f| {
                crate::access::current().is_none_or(|p| p.role.sees_restricted())
                    || dataset.field(f.name).is_none_or(|d| !d.restricted)
            })
            .collect(),
        errors: errors.len(),
        area_codes,
        conflict,
        nhs_number_field: std::ptr::eq(dataset, &SELF_HARM),
        nhs_error: errors.get("nhs_number").cloned(),
        version: values.get("version").cloned().unwrap_or_default(),
    })
}

async fn new_record(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, HtmlError> {
    let dataset = dataset(&name)?;
    let mut values = HashMap::new();
    if std::ptr::eq(dataset, &SUICIDES) {
        values.insert("status".to_owned(), "suspected".to_owned());
    }
    Ok(render(
        &form_page(&state, dataset, None, &values, &HashMap::new(), None).await?,
    ))
}

async fn edit_record(
    State(state): State<AppState>,
    guard: Guard,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Response, HtmlError> {
    let dataset = dataset(&name)?;
    let stored = guard.open(dataset, id, "web: edit form").await?;
    let values = dataset
        .fields
        .iter()
        .map(|f| (f.name.to_owned(), stored.record.text(f.name)))
        .chain(std::iter::once((
            "version".to_owned(),
            stored.version.to_string(),
        )))
        .collect();
    Ok(render(
        &form_page(&state, dataset, Some(id), &values, &HashMap::new(), None).await?,
    ))
}

/// Form pairs to one value per field; repeated keys (checkboxes) are joined with `;`.
fn collect_form(pairs: Vec<(String, String)>) -> HashMap<String, String> {
    let mut values: HashMap<String, String> = HashMap::new();
    for (k, v) in pairs {
        values
            .entry(k)
            .and_modify(|e| {
                e.push(';');
                e.push_str(&v);
            })
            .or_insert(v);
    }
    values
}

/// Parse the submitted form into a record, or the messages to show beside the fields.
async fn parse_form(
    state: &AppState,
    dataset: &'static Dataset,
    values: &mut HashMap<String, String>,
) -> Result<Result<Record, HashMap<&'static str, String>>, HtmlError> {
    let mut errors: HashMap<&'static str, String> = HashMap::new();
    if std::ptr::eq(dataset, &SELF_HARM)
        && let Some(nhs) = values.remove("nhs_number").filter(|n| !n.trim().is_empty())
    {
        let Some(key) = &state.config.pseudonym_key else {
            return Err(HtmlError(AppError::Invalid(
                "this server has no pseudonymisation key, so it cannot take NHS numbers; give the person key instead".to_owned(),
            )));
        };
        match key.person_key(&nhs) {
            Ok(k) => {
                values.insert("person_key".to_owned(), k);
            }
            Err(e) => {
                errors.insert("nhs_number", e.to_string());
            }
        }
    }
    let areas = state.store.area_codes().await?;
    match Record::parse(dataset, |n| values.get(n).map(String::as_str), &|c| {
        areas.contains(c)
    }) {
        Ok(r) if errors.is_empty() => Ok(Ok(r)),
        Ok(_) => Ok(Err(errors)),
        Err(list) => {
            for (field, e) in list {
                if field == "person_key" && errors.contains_key("nhs_number") {
                    continue;
                }
                errors.insert(field, e.0);
            }
            Ok(Err(errors))
        }
    }
}

async fn save(
    state: AppState,
    guard: Guard,
    name: String,
    id: Option<i64>,
    pairs: Vec<(String, String)>,
) -> Result<Response, HtmlError> {
    let dataset = dataset(&name)?;
    let mut values = collect_form(pairs);
    let record = match parse_form(&state, dataset, &mut values).await? {
        Ok(r) => r,
        Err(errors) => {
            let mut page = render(&form_page(&state, dataset, id, &values, &errors, None).await?);
            *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(page);
        }
    };
    let saved = match id {
        Some(id) => guard
            .update(
                id,
                record,
                values.get("version").and_then(|v| v.parse().ok()),
                "update",
                "web".to_owned(),
            )
            .await
            .map(|()| id),
        None => guard.create(record, "web").await,
    };
    match saved {
        Ok(saved_id) => Ok(
            Redirect::to(&format!("/register/{}/{saved_id}?saved=1", dataset.name)).into_response(),
        ),
        Err(AppError::Conflict(m)) => {
            let mut page =
                render(&form_page(&state, dataset, id, &values, &HashMap::new(), Some(m)).await?);
            *page.status_mut() = StatusCode::CONFLICT;
            Ok(page)
        }
        Err(e) => Err(e.into()),
    }
}

async fn create_record(
    State(state): State<AppState>,
    guard: Guard,
    Path(name): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HtmlError> {
    save(state, guard, name, None, pairs).await
}

async fn update_record(
    State(state): State<AppState>,
    guard: Guard,
    Path((name, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HtmlError> {
    guard.for_update(dataset(&name)?, id).await?;
    save(state, guard, name, Some(id), pairs).await
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
