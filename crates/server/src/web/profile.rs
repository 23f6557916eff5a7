//! The area profile (`/areas/{code}`), for every area at every level: a spine chart of the
//! indicators against their comparator, each marked better / similar / worse (or higher /
//! lower) on its 95% interval; a trend per indicator with its intervals and comparator; and the
//! areas one level down. Figures come from the same functions as `GET /api/v1/map` and
//! `GET /api/v1/indicators`, with the viewer's audience and its disclosure rule.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use lantern_core::area::AreaLevel;
use lantern_core::indicators::areas::{AreaQuery, lantern_period};
use lantern_core::indicators::{Audience, Dimension, IndicatorQuery, IndicatorRow, Measure};
use lantern_core::register::{SELF_HARM, SUICIDES};
use serde_json::Value;

use super::{Downloads, Layout, Opt, PageTable, render, table_download};
use crate::AppState;
use crate::access::{Origin, Viewer, audit};
use crate::api::indicators::{audience_of, table};
use crate::api::map::{MapParams, figures_audited};
use crate::error::{AppError, HtmlError};
use crate::svg::{FunnelPoint, TrendPoint, funnel_chart, spine, trend_chart};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/areas/{code}", get(show_profile))
}

/// One indicator of the profile.
struct Indicator {
    name: &'static str,
    dataset: &'static str,
    measure: &'static str,
    cadence: Dimension,
}

const INDICATORS: [Indicator; 3] = [
    Indicator {
        name: "Suicide rate (directly standardised, ages 10+, three years pooled)",
        dataset: "suicides",
        measure: "presentations",
        cadence: Dimension::Rolling3Year,
    },
    Indicator {
        name: "Self-harm presentations (crude rate, a year)",
        dataset: "self-harm",
        measure: "presentations",
        cadence: Dimension::Year,
    },
    Indicator {
        name: "People presenting with self-harm (crude rate, a year)",
        dataset: "self-harm",
        measure: "persons",
        cadence: Dimension::Year,
    },
];

/// A row of the spine chart.
struct SpineRow {
    name: &'static str,
    period: String,
    count: String,
    value: String,
    interval: String,
    comparator: String,
    comparison: String,
    chart: String,
    note: String,
}

/// One breakdown of an indicator for the area: its rows, or why there are none.
struct Breakdown {
    title: String,
    note: String,
    /// `(value, count, rate, interval)`.
    rows: Vec<(String, String, String, String)>,
}

/// The breakdowns on a profile: by what, for which dataset, and who may see them.
const BREAKDOWNS: [(Dimension, &str, &str); 7] = [
    (Dimension::Sex, "suicides", "Suspected suicides by sex"),
    (
        Dimension::AgeGroup,
        "suicides",
        "Suspected suicides by age group (10-24: children and young people)",
    ),
    (
        Dimension::MethodGroup,
        "suicides",
        "Suspected suicides by method (statutory only)",
    ),
    (
        Dimension::LocationType,
        "suicides",
        "Suspected suicides by place of death",
    ),
    (
        Dimension::PriorityGroup,
        "suicides",
        "Suspected suicides by priority group",
    ),
    (
        Dimension::Setting,
        "self-harm",
        "Self-harm presentations by setting",
    ),
    (
        Dimension::AgeGroup,
        "self-harm",
        "Self-harm presentations by age group (10-24: children and young people)",
    ),
];

/// The funnel plot of the areas one level down, with its table.
struct Funnel {
    title: String,
    chart: String,
    /// Why there is no chart, when there is none.
    note: String,
    benchmark: String,
    rows: Vec<(String, String, String, String, &'static str)>,
}

/// A trend with its table.
struct Trend {
    name: &'static str,
    chart: String,
    comparator: String,
    rows: Vec<(String, String, String, String, String)>,
    downloads: Downloads,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    layout: Layout,
    code: String,
    name: String,
    level: &'static str,
    parent: Option<(String, String)>,
    children: Vec<(String, String)>,
    audience: String,
    audience_options: Vec<Opt>,
    spine: Vec<SpineRow>,
    trends: Vec<Trend>,
    funnel: Option<Funnel>,
    breakdowns: Vec<Breakdown>,
    definition: String,
    /// The spine chart as one image (a `data:` link).
    spine_svg: String,
    /// The funnel plot as an image (a `data:` link).
    funnel_svg: String,
}

/// The spine chart's rows as one SVG, each indicator named beside its bar, for a download.
fn spine_figure(rows: &[SpineRow], title: &str) -> String {
    let height = 34 + 30 * rows.len();
    let mut svg = format!(
        "<svg viewBox=\"0 0 760 {height}\" class=\"trend\" role=\"img\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\"><text x=\"0\" y=\"16\" class=\"tick\">{}</text>",
        crate::svg::escape(title),
        crate::svg::escape(title)
    );
    for (i, r) in rows.iter().enumerate() {
        let y = 30 + 30 * i;
        let _ = std::fmt::Write::write_fmt(
            &mut svg,
            format_args!(
                "<text x=\"0\" y=\"{}\" class=\"tick\">{}: {} ({})</text>{}",
                y + 15,
                crate::svg::escape(r.name),
                crate::svg::escape(&r.value),
                crate::svg::escape(&r.comparison),
                r.chart
                    .replacen("<svg ", &format!("<svg x=\"510\" y=\"{y}\" "), 1)
            ),
        );
    }
    svg.push_str("</svg>");
    svg
}

fn one_decimal(v: &Value) -> String {
    v.as_f64().map(|n| format!("{n:.1}")).unwrap_or_default()
}

async fn show_profile(
    State(state): State<AppState>,
    viewer: Viewer,
    Origin(origin): Origin,
    Path(code): Path<String>,
    Query(raw): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, HtmlError> {
    // One register version for the whole page (see `crate::cache::with_version`).
    crate::cache::with_version(&state, profile(&state, viewer, origin, code, raw)).await?
}

async fn profile(
    state: &AppState,
    viewer: Viewer,
    origin: String,
    code: String,
    raw: std::collections::HashMap<String, String>,
) -> Result<Response, HtmlError> {
    let state = state.clone();
    // The area list is cached by the store until areas change: one lookup for the area, its
    // parent and the areas inside it.
    let all = state.store.areas(None).await?;
    let area = all
        .iter()
        .find(|a| a.code == code)
        .cloned()
        .ok_or(AppError::NotFound)?;
    let layout = Layout::new(&state, area.name.clone(), "areas");
    // Analysts get the exact figures by default when the area is theirs; everyone else the
    // partner or public rule.
    let scoped = match viewer.0.as_ref().and_then(|u| u.area.as_deref()) {
        Some(scope) => state.area_contains(scope, &code).await?,
        None => true,
    };
    let default = if layout.analyst() && scoped {
        "statutory"
    } else if layout.user.is_some() {
        "partner"
    } else {
        "public"
    };
    let asked = raw
        .get("audience")
        .filter(|a| !a.is_empty())
        .map_or(default, String::as_str);
    let audience = audience_of(Some(asked), &viewer)?;
    let parent = area.parent_code.as_ref().and_then(|p| {
        all.iter()
            .find(|a| a.code == *p)
            .map(|a| (a.code.clone(), a.name.clone(), a.level))
    });
    // Exact figures stay inside the viewer's area: the area itself must be in it, and the
    // areas it is compared among are its parent's only when the parent is in it too.
    let scope = viewer.0.as_ref().and_then(|u| u.area.clone());
    let mut peers_within = parent.as_ref().map(|p| p.0.clone());
    if !audience.is_protected()
        && let Some(scope) = &scope
    {
        if !state.area_contains(scope, &code).await? {
            return Err(AppError::Forbidden(format!(
                "{code} is outside your area ({scope}): exact figures are for your area; partner figures cover everywhere"
            ))
            .into());
        }
        if let Some(p) = &parent
            && !state.area_contains(scope, &p.0).await?
        {
            peers_within = Some(code.clone());
        }
    }
    let inside: Vec<lantern_core::area::Area> = all
        .into_iter()
        .filter(|a| a.parent_code.as_deref() == Some(code.as_str()))
        .collect();
    let child_level = inside.first().map(|a| a.level);
    let children: Vec<(String, String)> = inside.into_iter().map(|a| (a.code, a.name)).collect();
    if !audience.is_protected()
        && let Some(user) = &viewer.0
    {
        audit(
            &state,
            &user.username,
            &origin,
            "profile",
            None,
            None,
            format!("statutory: area={code}"),
        )
        .await?;
    }
    let mut rows = Vec::new();
    let mut trends = Vec::new();
    let mut definition = String::new();
    let mut own_rate: Option<(f64, String)> = None;
    for ind in &INDICATORS {
        let p = MapParams {
            dataset: Some(ind.dataset.to_owned()),
            level: Some(area.level.as_str().to_owned()),
            area: peers_within.clone(),
            measure: Some(ind.measure.to_owned()),
            period: None,
            audience: Some(audience.disclosure().to_owned()),
            format: None,
            hotspots: None,
        };
        let body = figures_with_cadence(&state, &viewer, &origin, &p, ind.cadence).await;
        match body {
            Ok(body) => {
                // The area's own self-harm rate, the funnel plot's centre line.
                if ind.dataset == "self-harm" && ind.measure == "presentations" {
                    own_rate = body["figures"]
                        .as_array()
                        .and_then(|fs| fs.iter().find(|f| f["code"] == code.as_str()))
                        .and_then(|f| f["value"].as_f64())
                        .zip(body["period"].as_str().map(str::to_owned));
                }
                rows.push(spine_row(ind, &body, &code, &mut definition));
            }
            Err(e) => {
                let note = shown(e)?;
                rows.push(SpineRow {
                    name: ind.name,
                    period: String::new(),
                    count: String::new(),
                    value: String::new(),
                    interval: String::new(),
                    comparator: String::new(),
                    comparison: String::new(),
                    chart: String::new(),
                    note,
                });
            }
        }
        match trend(
            &state,
            (&code, area.level),
            parent.as_ref().map(|p| (p.0.as_str(), p.2)),
            ind,
            audience,
        )
        .await
        {
            Ok(t) => trends.push(t),
            Err(e) => trends.push(Trend {
                name: ind.name,
                chart: String::new(),
                comparator: shown(e)?,
                rows: Vec::new(),
                downloads: Downloads::default(),
            }),
        }
    }
    let funnel = match child_level {
        Some(level) => {
            let place = Place {
                code: &code,
                peers_within: peers_within.as_deref(),
                children: &children,
                own_rate: own_rate.as_ref(),
            };
            funnel(&state, &viewer, &origin, &place, level, audience).await?
        }
        None => None,
    };
    let mut breakdowns = Vec::new();
    for (by, dataset, title) in BREAKDOWNS {
        breakdowns
            .push(breakdown(&state, (&code, area.level), by, dataset, title, audience).await?);
    }
    let disclosure = audience.disclosure();
    let mut tables = vec![PageTable::new(
        "spine",
        &format!("{}: indicators against their comparator", area.name),
        &[
            "indicator",
            "period",
            "count",
            "value",
            "interval 95%",
            "comparator",
            "against it",
            "note",
        ],
        rows.iter()
            .map(|r| {
                vec![
                    r.name.to_owned(),
                    r.period.clone(),
                    r.count.clone(),
                    r.value.clone(),
                    r.interval.clone(),
                    r.comparator.clone(),
                    r.comparison.clone(),
                    r.note.clone(),
                ]
            })
            .collect(),
    )];
    for (i, t) in trends.iter().enumerate() {
        tables.push(PageTable::new(
            &format!("trend-{i}"),
            &format!("{}, {}", t.name, area.name),
            &["period", "count", "value", "interval 95%", &t.comparator],
            t.rows
                .iter()
                .map(|r| {
                    vec![
                        r.0.clone(),
                        r.1.clone(),
                        r.2.clone(),
                        r.3.clone(),
                        r.4.clone(),
                    ]
                })
                .collect(),
        ));
    }
    for (i, b) in breakdowns.iter().enumerate() {
        tables.push(PageTable::new(
            &format!("breakdown-{i}"),
            &format!("{}, {}", b.title, area.name),
            &["group", "count", "rate", "interval 95%"],
            b.rows
                .iter()
                .map(|r| vec![r.0.clone(), r.1.clone(), r.2.clone(), r.3.clone()])
                .collect(),
        ));
    }
    if let Some(f) = &funnel {
        tables.push(PageTable::new(
            "funnel",
            &f.title,
            &[
                "area",
                "count",
                "population",
                "rate",
                &format!("against {}", area.name),
            ],
            f.rows
                .iter()
                .map(|r| {
                    vec![
                        r.0.clone(),
                        r.1.clone(),
                        r.2.clone(),
                        r.3.clone(),
                        r.4.to_owned(),
                    ]
                })
                .collect(),
        ));
    }
    if let Some(file) = table_download(
        &raw,
        tables,
        &[
            ("disclosure", disclosure),
            ("area", &format!("{} ({code})", area.name)),
            ("definition", &definition),
        ],
        &format!("profile-{code}"),
    ) {
        return Ok(file?);
    }
    let spine_title = format!("{}: indicators against their comparator", area.name);
    let spine_svg = Downloads::image(&spine_figure(&rows, &spine_title));
    let funnel_svg = funnel
        .as_ref()
        .filter(|f| !f.chart.is_empty())
        .map(|f| Downloads::image(&f.chart))
        .unwrap_or_default();
    let page = ProfilePage {
        spine_svg,
        funnel_svg,
        breakdowns,
        funnel,
        code: area.code.clone(),
        name: area.name.clone(),
        level: area.level.label(),
        parent: parent.map(|p| (p.0, p.1)),
        children,
        audience: audience.disclosure().to_owned(),
        audience_options: if layout.analyst() {
            vec!["statutory", "partner", "public"]
        } else if layout.user.is_some() {
            vec!["partner", "public"]
        } else {
            vec!["public"]
        }
        .into_iter()
        .map(|a| Opt::new(a, a, audience.disclosure()))
        .collect(),
        spine: rows,
        trends,
        definition,
        layout,
    };
    Ok(render(&page))
}

/// A refusal's message, shown in place of the figures it refuses; other errors go on.
fn shown(e: AppError) -> Result<String, AppError> {
    match e {
        AppError::BadRequest(m) | AppError::Invalid(m) | AppError::Forbidden(m) => Ok(m),
        other => Err(other),
    }
}

/// The map figures of one indicator at one cadence.
async fn figures_with_cadence(
    state: &AppState,
    viewer: &Viewer,
    origin: &str,
    p: &MapParams,
    cadence: Dimension,
) -> Result<Value, AppError> {
    let mut p = p.clone();
    // The latest whole period of the indicator's cadence: the map picks it when none is named.
    if cadence == Dimension::Year {
        let q = AreaQuery::from_params(
            p.dataset.as_deref(),
            p.level.as_deref(),
            p.area.as_deref(),
            None,
            p.audience.as_deref(),
            p.measure.as_deref(),
        )
        .map_err(AppError::Invalid)?;
        let year = latest_whole(state, &q, cadence).await?;
        p.period = year;
    }
    // The page writes one audit entry for the whole view.
    let (_, body) = figures_audited(state, viewer, origin, &p, false).await?;
    Ok(body.as_ref().clone())
}

/// The latest period of a cadence that ends on or before the last record.
async fn latest_whole(
    state: &AppState,
    q: &AreaQuery,
    cadence: Dimension,
) -> Result<Option<String>, AppError> {
    let iq = IndicatorQuery {
        rate: lantern_core::indicators::RateChoice::Published,
        by: vec![cadence],
        area: None,
        ..q.indicator_query()
    };
    let t = table(state, &iq).await?;
    Ok(t.latest_whole_period())
}

/// An indicator's trend for the area, with the comparator's figures beside it.
async fn trend(
    state: &AppState,
    area: (&str, AreaLevel),
    parent: Option<(&str, AreaLevel)>,
    ind: &Indicator,
    audience: Audience,
) -> Result<Trend, AppError> {
    let code = area.0;
    let dataset = if ind.dataset == "suicides" {
        &SUICIDES
    } else {
        &SELF_HARM
    };
    let measure = if ind.measure == "persons" {
        Measure::Persons
    } else {
        Measure::Presentations
    };
    // Every area of the level in one table, shared by all their profiles: its row for this
    // area is the row a query for this area alone gives (the same cell, the same decision).
    let q = IndicatorQuery {
        rate: lantern_core::indicators::RateChoice::Published,
        dataset,
        by: vec![ind.cadence, Dimension::Area(area.1)],
        area: None,
        audience,
        measure,
    };
    let t = table(state, &q).await?;
    let mine: Vec<&IndicatorRow> = t.published().filter(|r| r.dims[1].1 == code).collect();
    // The comparator: England's imported figures for the suicide rate, otherwise the area
    // this one lies in.
    let (comparator_name, comparator): (String, Vec<(String, f64)>) =
        if dataset.is_suicides() && ind.cadence == Dimension::Rolling3Year {
            let published = state
                .benchmarks
                .get(state, "41001".to_owned(), || async {
                    Ok(state
                        .store
                        .benchmarks(Some(
                            lantern_core::indicators::areas::SUICIDE_RATE_INDICATOR,
                        ))
                        .await?)
                })
                .await?;
            let england: Vec<(String, f64)> = published
                .iter()
                .filter(|b| {
                    b.area_code == lantern_core::benchmarks::ENGLAND
                        && b.sex.eq_ignore_ascii_case("persons")
                })
                .filter_map(|b| Some((lantern_period(&b.period)?, b.value?)))
                .collect();
            ("England (imported benchmark)".to_owned(), england)
        } else if let Some((p, level)) = parent {
            let pq = IndicatorQuery {
                rate: lantern_core::indicators::RateChoice::Published,
                by: vec![ind.cadence, Dimension::Area(level)],
                ..q.clone()
            };
            let pt = table(state, &pq).await?;
            let name = pt.names.get(p).cloned().unwrap_or_else(|| p.to_owned());
            (
                name,
                pt.published()
                    .filter(|r| r.dims[1].1 == p)
                    .filter_map(|r| Some((r.dims[0].1.clone(), r.value?)))
                    .collect(),
            )
        } else {
            (String::new(), Vec::new())
        };
    let points: Vec<TrendPoint> = mine
        .iter()
        .map(|r| TrendPoint {
            period: r.dims[0].1.clone(),
            value: r.value,
            lower: r.lower,
            upper: r.upper,
            comparator: comparator
                .iter()
                .find(|(p, _)| *p == r.dims[0].1)
                .map(|c| c.1),
        })
        .collect();
    let f = |v: Option<f64>| v.map(|n| format!("{n:.1}")).unwrap_or_default();
    let rows: Vec<(String, String, String, String, String)> = mine
        .iter()
        .zip(&points)
        .map(|(r, p)| {
            (
                format!("{}{}", p.period, if r.partial { " (part)" } else { "" }),
                r.count
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "withheld".to_owned()),
                f(p.value),
                match (p.lower, p.upper) {
                    (Some(a), Some(b)) => format!("{a:.1} to {b:.1}"),
                    _ => String::new(),
                },
                f(p.comparator),
            )
        })
        .collect();
    let chart = trend_chart(&points, &format!("Trend: {}", ind.name), &comparator_name);
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|r: &(String, String, String, String, String)| {
            vec![
                r.0.clone(),
                r.1.clone(),
                r.2.clone(),
                r.3.clone(),
                r.4.clone(),
            ]
        })
        .collect();
    Ok(Trend {
        downloads: Downloads::of(
            &chart,
            &format!("{}, {code}", ind.name),
            audience.disclosure(),
            &["period", "count", "value", "interval 95%", &comparator_name],
            &table,
        ),
        name: ind.name,
        chart,
        comparator: comparator_name,
        rows,
    })
}

/// The spine chart's row of an indicator, from its map figures.
fn spine_row(ind: &Indicator, body: &Value, code: &str, definition: &mut String) -> SpineRow {
    if definition.is_empty() {
        *definition = body["definition"].as_str().unwrap_or_default().to_owned();
    }
    let figs = body["figures"].as_array().cloned().unwrap_or_default();
    let this = figs.iter().find(|f| f["code"] == code);
    let peers: Vec<f64> = figs.iter().filter_map(|f| f["value"].as_f64()).collect();
    let comparator = body["comparator"]["value"].as_f64();
    let comparison = this
        .and_then(|f| f["comparison"].as_str())
        .unwrap_or("not compared")
        .to_owned();
    let value = this.and_then(|f| f["value"].as_f64());
    SpineRow {
        name: ind.name,
        period: format!(
            "{}{}",
            body["period"].as_str().unwrap_or_default(),
            if body["partial"] == true {
                " (part)"
            } else {
                ""
            }
        ),
        count: match this {
            Some(f) if f["suppressed"] == true => "withheld".to_owned(),
            Some(f) => f["count"].to_string(),
            None => String::new(),
        },
        value: this.map(|f| one_decimal(&f["value"])).unwrap_or_default(),
        interval: this
            .filter(|f| f["lower"].is_number())
            .map(|f| {
                format!(
                    "{} to {}",
                    one_decimal(&f["lower"]),
                    one_decimal(&f["upper"])
                )
            })
            .unwrap_or_default(),
        comparator: match body["comparator"].as_object() {
            Some(c) => format!(
                "{} {}",
                c.get("name").and_then(Value::as_str).unwrap_or_default(),
                one_decimal(c.get("value").unwrap_or(&Value::Null))
            ),
            None => "none".to_owned(),
        },
        chart: spine(
            &peers,
            value,
            comparator,
            &format!("cmp-{}", comparison.replace(' ', "-")),
        ),
        comparison,
        note: format!("{} areas compared", peers.len()),
    }
}

/// The self-harm presentation rates of the areas one level down, in a funnel plot around this
/// area's own rate (Spiegelhalter 2005; limits from `lantern_stats::funnel_limits_rate`). An
/// area's population is its count over its rate; areas with no presentations have no point.
/// Where a funnel plot is drawn: the area, where its peers were read from, the areas inside it,
/// and its own rate and period from the spine chart.
struct Place<'a> {
    code: &'a str,
    peers_within: Option<&'a str>,
    children: &'a [(String, String)],
    own_rate: Option<&'a (f64, String)>,
}

/// The funnel plot of the areas inside `place`. The figures are read for the level inside the
/// area the spine chart's peers came from (the parent), so every profile at a level shares one
/// computation, and the areas inside this one are kept; the centre line is this area's own
/// rate from the spine chart when it is for the same period, else the comparator of a
/// computation of this area alone.
async fn funnel(
    state: &AppState,
    viewer: &Viewer,
    origin: &str,
    place: &Place<'_>,
    level: lantern_core::area::AreaLevel,
    audience: Audience,
) -> Result<Option<Funnel>, AppError> {
    let code = place.code;
    let shared = place.own_rate.is_some() && place.peers_within != Some(code);
    let p = MapParams {
        dataset: Some("self-harm".to_owned()),
        level: Some(level.as_str().to_owned()),
        area: if shared {
            place.peers_within.map(str::to_owned)
        } else {
            Some(code.to_owned())
        },
        measure: Some("presentations".to_owned()),
        period: None,
        audience: Some(audience.disclosure().to_owned()),
        format: None,
        hotspots: None,
    };
    let title = format!(
        "Self-harm presentations per 100,000 by {}",
        level.label().to_lowercase()
    );
    let body = match figures_with_cadence(state, viewer, origin, &p, Dimension::Year).await {
        Ok(b) => b,
        Err(e) => {
            return Ok(Some(Funnel {
                title,
                chart: String::new(),
                note: shown(e)?,
                benchmark: String::new(),
                rows: Vec::new(),
            }));
        }
    };
    let period = body["period"].as_str().unwrap_or_default();
    let centre = match place.own_rate {
        Some((rate, p)) if shared && p == period => Some(*rate),
        _ if shared => None,
        _ => body["comparator"]["value"].as_f64(),
    };
    let Some(benchmark) = centre else {
        return Ok(None);
    };
    let mut points = Vec::new();
    let mut rows = Vec::new();
    for f in body["figures"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|f| {
            let c = f["code"].as_str().unwrap_or_default();
            place.children.iter().any(|(k, _)| k == c)
        })
    {
        let name = f["name"].as_str().unwrap_or_default().to_owned();
        let (count, rate) = (f["count"].as_f64(), f["value"].as_f64());
        let population = match (count, rate) {
            (Some(c), Some(r)) if c > 0.0 && r > 0.0 => Some(c / r * 100_000.0),
            _ => None,
        };
        let class = match population {
            Some(n) => {
                let r = rate.unwrap_or_default();
                let outside = |confidence| {
                    lantern_stats::funnel_limits_rate(benchmark, 100_000.0, n, confidence)
                        .is_ok_and(|l| r < l.lower || r > l.upper)
                };
                let class = if outside(0.998) {
                    "outside-998"
                } else if outside(0.95) {
                    "outside-95"
                } else {
                    "inside"
                };
                points.push(FunnelPoint {
                    label: format!("{name}: {r:.1} per 100,000"),
                    population: n,
                    rate: r,
                    class,
                });
                class
            }
            None => "",
        };
        rows.push((
            name,
            if f["suppressed"] == true {
                "withheld".to_owned()
            } else {
                f["count"].to_string()
            },
            population.map(|n| format!("{n:.0}")).unwrap_or_default(),
            rate.map(|r| format!("{r:.1}")).unwrap_or_default(),
            match class {
                "outside-998" => "outside the 99.8% limits",
                "outside-95" => "outside the 95% limits",
                "inside" => "inside the limits",
                _ => "no rate",
            },
        ));
    }
    let right = points.iter().map(|p| p.population).fold(0.0, f64::max) * 1.1;
    let limits: Vec<(f64, f64, f64, f64, f64)> = (1..=60)
        .filter_map(|i| {
            let n = right * f64::from(i) / 60.0;
            let a = lantern_stats::funnel_limits_rate(benchmark, 100_000.0, n, 0.95).ok()?;
            let b = lantern_stats::funnel_limits_rate(benchmark, 100_000.0, n, 0.998).ok()?;
            Some((n, a.lower, a.upper, b.lower, b.upper))
        })
        .collect();
    Ok(Some(Funnel {
        chart: funnel_chart(
            &points,
            benchmark,
            &limits,
            &format!(
                "Funnel plot: {title}, {}",
                body["period"].as_str().unwrap_or_default()
            ),
        ),
        title: format!("{title}, {}", body["period"].as_str().unwrap_or_default()),
        note: String::new(),
        benchmark: format!("{benchmark:.1}"),
        rows,
    }))
}

/// A breakdown of the area's figures over the latest whole period: three years pooled for
/// suicides, a year for self-harm. Read from the table of every area at the level, as the
/// trends are; a breakdown the audience may not have says why instead.
async fn breakdown(
    state: &AppState,
    area: (&str, lantern_core::area::AreaLevel),
    by: Dimension,
    dataset: &'static str,
    title: &'static str,
    audience: Audience,
) -> Result<Breakdown, AppError> {
    let (ds, cadence) = if dataset == "suicides" {
        (&SUICIDES, Dimension::Rolling3Year)
    } else {
        (&SELF_HARM, Dimension::Year)
    };
    if by == Dimension::MethodGroup && audience.is_protected() {
        return Ok(Breakdown {
            title: title.to_owned(),
            note: "Methods are shown to the statutory core only: a page for partners and the public does not describe how people died (Samaritans media guidelines).".to_owned(),
            rows: Vec::new(),
        });
    }
    let q = IndicatorQuery {
        rate: lantern_core::indicators::RateChoice::Published,
        dataset: ds,
        by: vec![cadence, Dimension::Area(area.1), by],
        area: None,
        audience,
        measure: Measure::Presentations,
    };
    let t = match table(state, &q).await {
        Ok(t) => t,
        Err(e) => {
            return Ok(Breakdown {
                title: title.to_owned(),
                note: shown(e)?,
                rows: Vec::new(),
            });
        }
    };
    let period = t.latest_whole_period().unwrap_or_default();
    let rows = t
        .published()
        .filter(|r| r.dims[0].1 == period && r.dims[1].1 == area.0)
        .map(|r| {
            (
                r.dims[2].1.replace('_', " "),
                r.count.map(|c| c.to_string()).unwrap_or_default(),
                r.value.map(|v| format!("{v:.1}")).unwrap_or_default(),
                match (r.lower, r.upper) {
                    (Some(a), Some(b)) => format!("{a:.1} to {b:.1}"),
                    _ => String::new(),
                },
            )
        })
        .collect();
    Ok(Breakdown {
        title: format!("{title}, {period}"),
        note: if t.some_withheld() {
            "Some values with small counts, here or in other areas, are withheld; this area's are left out.".to_owned()
        } else {
            String::new()
        },
        rows,
    })
}
