//! Action plans as JSON: `GET /api/v1/plans`, `GET /api/v1/plans/{id}` (every action with its
//! `id`), `GET /api/v1/plans/{id}/summary?since=YYYY-MM-DD`, `GET
//! /api/v1/plans/{id}/actions/{action}` (the action, its updates and its live measures), and
//! `POST /api/v1/plans/{id}/actions/{action}/updates` with `{"text", "status", "rag"}`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::Utc;
use lantern_core::plans;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::access::{Rule, Viewer};
use crate::error::{AppError, Result};
use crate::plans::{can_update, measure_views, since_of};
use lantern_core::plans::updates::UpdateFields;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/plans", get(list))
        .route("/api/v1/plans/{id}", get(one))
        .route("/api/v1/plans/{id}/summary", get(summary))
        .route("/api/v1/plans/{id}/actions/{action}", get(action))
        .route(
            "/api/v1/plans/{id}/actions/{action}/updates",
            post(add_update),
        )
}

async fn list(State(state): State<AppState>) -> Result<Json<Value>> {
    Ok(Json(json!(state.store.plans().await?)))
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| AppError::Unexpected(e.into()))
}

async fn one(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Json<Value>> {
    let plan = state.store.plan(id).await?;
    let mut body = to_json(&plan.plan)?;
    if let Some(sections) = body.get_mut("sections").and_then(Value::as_array_mut) {
        for s in sections {
            for a in s
                .get_mut("actions")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                let number = a.get("number").and_then(Value::as_str).unwrap_or_default();
                let aid = plan.action_id(number);
                if let Some(o) = a.as_object_mut() {
                    o.insert("id".to_owned(), json!(aid));
                }
            }
        }
    }
    if let Some(o) = body.as_object_mut() {
        o.insert("id".to_owned(), json!(id));
        o.insert("created_at".to_owned(), json!(plan.created_at));
    }
    Ok(Json(body))
}

#[derive(Debug, Deserialize)]
struct SummaryParams {
    since: Option<String>,
}

async fn summary(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(p): Query<SummaryParams>,
) -> Result<Json<Value>> {
    let plan = state.store.plan(id).await?;
    let updates = state.store.plan_updates(id).await?;
    let since = since_of(p.since.as_deref())?;
    let from = since.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let sections: Vec<Value> = plans::progress(&plan, &updates, from, Utc::now().date_naive())
        .iter()
        .map(|s| {
            json!({
                "number": s.number,
                "title": s.title,
                "actions": s.actions,
                "by_status": s.by_status.iter().map(|(k, v)| json!({"status": k, "actions": v})).collect::<Vec<_>>(),
                "by_rag": {"red": s.by_rag[0], "amber": s.by_rag[1], "green": s.by_rag[2], "unrated": s.by_rag[3]},
                "overdue": s.overdue,
                "updates": s.updates,
                "changes": s.changes.iter().map(|(n, from, to)| json!({"action": n, "from": from, "to": to})).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(
        json!({"id": id, "title": plan.plan.title, "since": since, "sections": sections}),
    ))
}

async fn action(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action_id)): Path<(i64, i64)>,
) -> Result<Json<Value>> {
    let user = viewer.require(Rule::SignedIn)?.clone();
    let plan = state.store.plan(id).await?;
    let (_, a) = plan.action_by_id(action_id).ok_or(AppError::NotFound)?;
    let all = state.store.plan_updates(id).await?;
    let mine: Vec<&lantern_core::plans::Update> =
        all.iter().filter(|u| u.action_id == action_id).collect();
    let updates: Vec<Value> = mine.iter().map(|u| to_json(*u)).collect::<Result<_>>()?;
    let statutory = Rule::Analysts.allows(user.role);
    let live: Vec<Value> = measure_views(&state, a, &mine, statutory)
        .await
        .into_iter()
        .map(|m| {
            json!({
                "text": m.text,
                "indicator": (!m.binding.is_empty()).then_some(m.binding),
                "points": m.points,
                "latest": m.points.last(),
                "disclosure": (!m.disclosure.is_empty()).then_some(m.disclosure),
                "problem": (!m.problem.is_empty()).then_some(m.problem),
                "reported": (!m.reported.is_empty()).then_some(m.reported),
            })
        })
        .collect();
    let mut body = to_json(a)?;
    if let Some(o) = body.as_object_mut() {
        o.insert("id".to_owned(), json!(action_id));
        o.insert("plan_id".to_owned(), json!(id));
        o.insert("updates".to_owned(), json!(updates));
        o.insert("live_measures".to_owned(), json!(live));
        o.insert("can_update".to_owned(), json!(can_update(&user, a)));
    }
    Ok(Json(body))
}

#[derive(Debug, Deserialize)]
struct UpdateBody {
    #[serde(default)]
    text: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    rag: Option<String>,
    /// Which measure (1 for the first) a value is for.
    #[serde(default)]
    measure: Option<Value>,
    /// `22 of 31`, `71%`, `140`, or a number.
    #[serde(default)]
    value: Option<Value>,
    /// The date the value describes (`YYYY-MM-DD`); the update's day when absent.
    #[serde(default)]
    value_on: Option<String>,
    /// A new due date (`YYYY-MM-DD`): proposed by a lead, agreed by an analyst.
    #[serde(default)]
    due: Option<String>,
    /// Why the due date moves.
    #[serde(default)]
    due_reason: Option<String>,
}

/// A JSON number or string as the text a form would post.
fn as_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) if !other.is_null() => other.to_string(),
        _ => String::new(),
    }
}

async fn add_update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, action_id)): Path<(i64, i64)>,
    Json(body): Json<UpdateBody>,
) -> Result<(StatusCode, Json<Value>)> {
    let user = viewer.require(Rule::SignedIn)?.clone();
    let measure = as_text(body.measure.as_ref());
    let value = as_text(body.value.as_ref());
    let fields = UpdateFields {
        text: &body.text,
        status: body.status.as_deref().unwrap_or(""),
        rag: body.rag.as_deref().unwrap_or(""),
        measure: &measure,
        value: &value,
        value_on: body.value_on.as_deref().unwrap_or(""),
        due: body.due.as_deref().unwrap_or(""),
        due_reason: body.due_reason.as_deref().unwrap_or(""),
    };
    let uid = crate::plans::add_update(&state, &user, "api", id, action_id, &fields)
        .await?
        .map_err(AppError::Invalid)?;
    Ok((StatusCode::CREATED, Json(json!({"id": uid}))))
}
