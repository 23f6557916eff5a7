//! The register's create and edit forms: the fields a role may set, messages beside the fields,
//! and the save that keeps each change in the record's history.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lantern_core::area::AreaLevel;
use lantern_core::codes;
use lantern_core::register::{Dataset, FieldKind, Record};

use super::register::dataset;
use super::{Layout, Opt, render};
use crate::AppState;
use crate::access::Guard;
use crate::error::{AppError, HtmlError};

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
                    "the code of the small area (LSOA) of residence; no_fixed_abode, or outside_area for a home outside the partnership",
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
        .chain(
            codes::list(lantern_core::area::RESIDENCE_LIST)
                .codes
                .iter()
                .map(|c| Opt::new(&c.code, &c.label, "")),
        )
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
        nhs_number_field: dataset.is_self_harm(),
        nhs_error: errors.get("nhs_number").cloned(),
        version: values.get("version").cloned().unwrap_or_default(),
    })
}

pub(super) async fn new_record(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Response, HtmlError> {
    let dataset = dataset(&name)?;
    let mut values = HashMap::new();
    if dataset.is_suicides() {
        values.insert("status".to_owned(), "suspected".to_owned());
    }
    Ok(render(
        &form_page(&state, dataset, None, &values, &HashMap::new(), None).await?,
    ))
}

pub(super) async fn edit_record(
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
    if dataset.is_self_harm()
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

pub(super) async fn create_record(
    State(state): State<AppState>,
    guard: Guard,
    Path(name): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HtmlError> {
    save(state, guard, name, None, pairs).await
}

pub(super) async fn update_record(
    State(state): State<AppState>,
    guard: Guard,
    Path((name, id)): Path<(String, i64)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, HtmlError> {
    guard.for_update(dataset(&name)?, id).await?;
    save(state, guard, name, Some(id), pairs).await
}
