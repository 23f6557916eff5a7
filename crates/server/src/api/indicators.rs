//! `GET /api/v1/indicators?dataset=suicides|self-harm|postvention|training|coverage|media&by=year,sex,...&area=CODE&audience=statutory|partner|public`
//! (and `measure=presentations|persons` for self-harm). Without `audience`, the signed-in get
//! `partner` and everyone else `public`. Partner and public requests are checked against their
//! catalogue and refused with 400 when too fine; withheld rows are left out, not labelled.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use std::sync::Arc;

use lantern_core::indicators::{
    Audience, IndicatorError, IndicatorQuery, IndicatorTable, Measure, indicators,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::access::{Origin, Rule, Viewer, audit};
use crate::error::{AppError, Result};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/indicators", get(show_indicators))
}

#[derive(Debug, Default, Clone, Deserialize)]
pub(crate) struct Params {
    pub(crate) dataset: Option<String>,
    pub(crate) by: Option<String>,
    pub(crate) area: Option<String>,
    pub(crate) audience: Option<String>,
    pub(crate) measure: Option<String>,
    /// `published` (the default), `crude` or `standardised`.
    pub(crate) rate: Option<String>,
}

pub(crate) fn parse(p: &Params) -> Result<IndicatorQuery, String> {
    IndicatorQuery::from_params(
        p.dataset.as_deref(),
        p.by.as_deref(),
        p.area.as_deref(),
        p.audience.as_deref(),
        p.measure.as_deref(),
    )?
    .with_rate(p.rate.as_deref())
}

/// The audience a request gets: what it asks for, or by default `partner` for the signed-in
/// and `public` for everyone else. Statutory figures need an analyst; partner figures need a
/// session.
pub(crate) fn audience_of(asked: Option<&str>, viewer: &Viewer) -> Result<Audience> {
    let default = if viewer.0.is_some() {
        "partner"
    } else {
        "public"
    };
    let audience = Audience::parse(asked.unwrap_or(default)).map_err(AppError::Invalid)?;
    match audience {
        Audience::Statutory => viewer.require(Rule::Analysts).map(|_| ())?,
        Audience::Partner => viewer.require(Rule::SignedIn).map(|_| ())?,
        Audience::Public => {}
    }
    Ok(audience)
}

async fn show_indicators(
    State(state): State<AppState>,
    viewer: Viewer,
    Origin(origin): Origin,
    Query(p): Query<Params>,
) -> Result<Json<Value>> {
    let (_, body) = indicator_body(&state, &viewer, &origin, p).await?;
    Ok(Json(body.as_ref().clone()))
}

/// The API's answer to a request: checked against the viewer's audience and scope, audited
/// when exact, and cached. The explorer page shows the same body.
pub(crate) async fn indicator_body(
    state: &AppState,
    viewer: &Viewer,
    origin: &str,
    mut p: Params,
) -> Result<(IndicatorQuery, Arc<Value>)> {
    let audience = audience_of(p.audience.as_deref(), viewer)?;
    p.audience = Some(audience.disclosure().to_owned());
    p.area = scoped_area(state, viewer, audience, p.area.take()).await?;
    let query = parse(&p).map_err(AppError::Invalid)?;
    // Unsuppressed figures are audited, like the records behind them.
    // Training and coverage count organisations, not people: nothing to audit.
    if let (Some(user), false) = (
        &viewer.0,
        query.audience.is_protected() || query.measure.is_workforce(),
    ) {
        audit(
            state,
            &user.username,
            origin,
            "indicators",
            Some(query.dataset),
            None,
            format!(
                "statutory: by={} area={} measure={}",
                query
                    .by
                    .iter()
                    .map(|d| d.name())
                    .collect::<Vec<_>>()
                    .join(","),
                query.area.as_deref().unwrap_or("all"),
                p.measure.as_deref().unwrap_or("presentations")
            ),
        )
        .await?;
    }
    let key = format!(
        "indicators|{}|{:?}|{:?}|{}|{:?}|{:?}",
        query.dataset_name(),
        query.by.iter().map(|d| d.name()).collect::<Vec<_>>(),
        query.area,
        query.audience.disclosure(),
        p.measure,
        query.rate
    );
    let body = cached(state, key, || async {
        let table = indicators(state.store.as_ref(), &query)
            .await
            .map_err(indicator_error)?;
        Ok(body_of(&query, &table))
    })
    .await?;
    Ok((query, body))
}

/// An indicator error as the API answers it: 422 for a wrong request, 400 for a refused one.
pub(crate) fn indicator_error(e: IndicatorError) -> AppError {
    match e {
        IndicatorError::Invalid(m) => AppError::Invalid(m),
        IndicatorError::Refused(m) => AppError::BadRequest(m),
        IndicatorError::Store(s) => s.into(),
    }
}

/// The area a request is for, within the viewer's scope: exact figures follow the same area
/// scope as records, so a district's analyst gets their district's by default and is refused
/// another's; partner and public figures cover everywhere.
pub(crate) async fn scoped_area(
    state: &AppState,
    viewer: &Viewer,
    audience: Audience,
    area: Option<String>,
) -> Result<Option<String>> {
    let area = area.filter(|a| !a.is_empty());
    if audience != Audience::Statutory {
        return Ok(area);
    }
    let Some(scope) = viewer.0.as_ref().and_then(|u| u.area.as_deref()) else {
        return Ok(area);
    };
    match area {
        // The partnership's one top area is the whole partnership, which holds the residents of
        // no fixed abode and of outside the areas too: the figures for no area are its own.
        None if state.is_whole_partnership(scope).await? => Ok(None),
        None => Ok(Some(scope.to_owned())),
        Some(a) if state.area_contains(scope, &a).await? => Ok(Some(a)),
        Some(a) => Err(AppError::Forbidden(format!(
            "{a} is outside your area ({scope}): exact figures are for your area; partner figures cover everywhere"
        ))),
    }
}

/// A response body, cached until the register, areas, populations or benchmarks change
/// (see [`crate::cache`]); each computation is bounded by the work budget.
pub(crate) async fn cached<F, Fut>(state: &AppState, key: String, make: F) -> Result<Arc<Value>>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Value>>,
{
    state.indicators.get(state, key, make).await
}

/// An indicator table, cached as the API's answers are: for pages that read several tables.
pub(crate) async fn table(state: &AppState, q: &IndicatorQuery) -> Result<Arc<IndicatorTable>> {
    let key = format!(
        "{}|{:?}|{:?}|{}|{:?}|{:?}",
        q.dataset_name(),
        q.by,
        q.area,
        q.audience.disclosure(),
        q.measure,
        q.rate
    );
    state
        .tables
        .get(state, key, || async {
            indicators(state.store.as_ref(), q)
                .await
                .map_err(indicator_error)
        })
        .await
}

/// The response: the rows that may be published, and the rule applied.
fn body_of(query: &IndicatorQuery, table: &IndicatorTable) -> Value {
    let rows: Vec<Value> = table
        .published()
        .map(|r| {
            let mut o = Map::new();
            for (k, v) in &r.dims {
                o.insert((*k).to_owned(), Value::String(v.clone()));
                if let Some(name) = table.names.get(v).filter(|_| is_area(k)) {
                    o.insert(format!("{k}_name"), Value::String(name.clone()));
                }
            }
            o.insert("count".to_owned(), json!(r.count));
            o.insert("value".to_owned(), json!(r.value));
            o.insert("lower".to_owned(), json!(r.lower));
            o.insert("upper".to_owned(), json!(r.upper));
            o.insert("suppressed".to_owned(), json!(r.suppressed));
            o.insert("statistic".to_owned(), json!(r.statistic));
            if query.period().is_some() {
                o.insert("partial".to_owned(), json!(r.partial));
            }
            if query.dataset_name() == lantern_core::indicators::POSTVENTION {
                o.insert("median_days".to_owned(), json!(r.median_days));
            }
            if let Some(Value::Object(figures)) = r.workforce.as_ref().map(|w| json!(w)) {
                o.extend(figures);
            }
            Value::Object(o)
        })
        .collect();
    let mut body = json!({
        "dataset": query.dataset_name(),
        "by": query.by.iter().map(|d| d.name()).collect::<Vec<_>>(),
        "rows": rows,
        "disclosure": table.disclosure,
        "withheld": table.some_withheld(),
        "zero_rows": table.zero_rows,
        "last_record": table.last_record.map(|d| d.to_string()),
        "definition": definition(query),
    });
    let measure = match query.measure {
        Measure::Holding(h) => Some(h.name()),
        Measure::Media(m) => Some(m.name()),
        _ => None,
    };
    if let (Some(m), Some(o)) = (measure, body.as_object_mut()) {
        o.insert("measure".to_owned(), json!(m));
    }
    body
}

/// Whether a dimension's name is an area level's.
fn is_area(name: &str) -> bool {
    lantern_core::area::AreaLevel::parse(name).is_ok()
}

/// What the figures count, in words: the statuses, the ages and the period rule.
pub(crate) fn definition(query: &IndicatorQuery) -> String {
    lantern_core::indicators::definition(query)
}
