//! The map (`/map`): a choropleth of any indicator at any area level, drawn on the server as
//! SVG from the imported boundaries, so it works without JavaScript and without a tile server.
//! Every area is a link to its profile, reached with Tab, and names its value and interval on
//! hover and focus. The figures are `GET /api/v1/map`'s (the same cache), and the table under
//! the map holds every number the map shows.

use std::fmt::Write as _;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use lantern_core::area::AreaLevel;
use lantern_core::indicators::hotspots::{HotSpot, HotSpotClass};
use serde_json::Value;

use super::{Layout, Opt, encode, render};
use crate::AppState;
use crate::access::{Origin, Viewer};
use crate::api::map::{MapParams, download, figures, figures_table, hot_spot_layer};
use crate::error::HtmlError;
use crate::geometry::Shape;
use crate::svg::{Projection, bounds, escape};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/map", get(show_map))
        .route("/map.svg", get(map_svg))
}

/// How areas are coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Classes {
    /// Five classes of equal numbers of areas.
    Quantiles,
    /// Better, similar, worse (or higher, lower) than the comparator.
    Comparison,
}

/// One class in the legend.
struct Key {
    class: String,
    label: String,
}

/// One area in the table.
struct Row {
    code: String,
    name: String,
    count: String,
    value: String,
    interval: String,
    comparison: String,
    /// Its Gi* class, when the hot-spot layer is on.
    hot_spot: String,
}

#[derive(Template)]
#[template(path = "map.html")]
struct MapPage {
    layout: Layout,
    dataset_options: Vec<Opt>,
    level_options: Vec<Opt>,
    measure_options: Vec<Opt>,
    period_options: Vec<Opt>,
    audience_options: Vec<Opt>,
    classes_options: Vec<Opt>,
    /// Layers: `(value, label, checked)`; points only for analysts.
    layer_options: Vec<(&'static str, &'static str, bool)>,
    /// The base map's credit, when there is one.
    base_map_credit: Option<String>,
    /// The hot-spot layer is on: how it was found, or why there is none.
    hot_spots: Option<String>,
    area: String,
    svg: Option<String>,
    keys: Vec<Key>,
    rows: Vec<Row>,
    title: String,
    statistic: String,
    disclosure: String,
    definition: String,
    comparator: String,
    withheld: bool,
    partial: bool,
    downloads: String,
}

/// What the figures show, in a line.
fn title_of(body: &Value) -> String {
    let dataset = match body["dataset"].as_str() {
        Some("self-harm") => "Self-harm presentations",
        _ => "Suspected suicides",
    };
    let level = body["level"]
        .as_str()
        .and_then(|l| AreaLevel::parse(l).ok())
        .map_or("area", AreaLevel::label);
    format!(
        "{dataset} by {}, {}{}",
        level.to_lowercase(),
        body["period"].as_str().unwrap_or_default(),
        if body["partial"] == true {
            " (part period)"
        } else {
            ""
        }
    )
}

/// A number for a person to read: one decimal for rates, none for counts.
fn figure(v: &Value) -> String {
    match v.as_f64() {
        Some(n) if n.fract() == 0.0 && v.is_u64() => format!("{n:.0}"),
        Some(n) => format!("{n:.1}"),
        None => String::new(),
    }
}

/// The class of each figure: its quintile, or its comparison.
fn classify(figures: &[Value], classes: Classes) -> (Vec<String>, Vec<Key>) {
    let base = |f: &Value| -> Option<&'static str> {
        if f["suppressed"] == true {
            Some("withheld")
        } else if f["value"].is_null() {
            Some("none")
        } else {
            None
        }
    };
    let mut keys = Vec::new();
    let class_of: Vec<String> = match classes {
        Classes::Comparison => {
            for (class, label) in [
                ("better", "Better than the comparator"),
                ("similar", "Similar to the comparator"),
                ("worse", "Worse than the comparator"),
                ("lower", "Lower than the comparator"),
                ("higher", "Higher than the comparator"),
                ("not-compared", "Not compared"),
            ] {
                let present = figures.iter().any(|f| {
                    base(f).is_none()
                        && f["comparison"]
                            .as_str()
                            .map(|c| c.replace(' ', "-"))
                            .as_deref()
                            == Some(class)
                });
                if present {
                    keys.push(Key {
                        class: format!("cmp-{class}"),
                        label: label.to_owned(),
                    });
                }
            }
            figures
                .iter()
                .map(|f| match base(f) {
                    Some(b) => b.to_owned(),
                    None => format!(
                        "cmp-{}",
                        f["comparison"]
                            .as_str()
                            .unwrap_or("not compared")
                            .replace(' ', "-")
                    ),
                })
                .collect()
        }
        Classes::Quantiles => {
            let mut values: Vec<f64> = figures
                .iter()
                .filter(|f| base(f).is_none())
                .filter_map(|f| f["value"].as_f64())
                .collect();
            values.sort_by(f64::total_cmp);
            // Upper bounds of five classes of (about) equal numbers of areas; classes that would
            // repeat a bound are merged.
            let mut cuts: Vec<f64> = (1..=5)
                .filter_map(|k| {
                    values
                        .get((values.len() * k).div_ceil(5).saturating_sub(1))
                        .copied()
                })
                .collect();
            cuts.dedup();
            let mut low = values.first().copied().unwrap_or(0.0);
            for (i, high) in cuts.iter().enumerate() {
                keys.push(Key {
                    class: format!("q{i}"),
                    label: format!("{low:.1} to {high:.1}"),
                });
                low = *high;
            }
            figures
                .iter()
                .map(|f| match (base(f), f["value"].as_f64()) {
                    (None, Some(v)) => {
                        format!("q{}", cuts.iter().position(|c| v <= *c).unwrap_or(0))
                    }
                    (b, _) => b.unwrap_or("none").to_owned(),
                })
                .collect()
        }
    };
    if class_of.iter().any(|c| c == "withheld") {
        keys.push(Key {
            class: "withheld".to_owned(),
            label: "Withheld (small numbers)".to_owned(),
        });
    }
    if class_of.iter().any(|c| c == "none") {
        keys.push(Key {
            class: "none".to_owned(),
            label: "No rate (too few events, or no population)".to_owned(),
        });
    }
    (class_of, keys)
}

/// The choropleth: a link per area to its profile, with its figure as the link's name.
/// A point drawn over the areas: a signal's place or a location of concern (analysts only).
pub(crate) struct Mark {
    lon: f64,
    lat: f64,
    /// The circle's radius in km (a scan's window), or none for a dot.
    radius_km: Option<f64>,
    class: &'static str,
    label: String,
    href: String,
}

fn choropleth(
    shapes: &[Shape],
    figures: &[Value],
    class_of: &[String],
    title: &str,
    marks: &[Mark],
    hot: &[Option<HotSpot>],
    base: Option<&crate::BaseMap>,
) -> Option<String> {
    let drawn: Vec<(&Shape, usize)> = figures
        .iter()
        .enumerate()
        .filter_map(|(i, f)| {
            let code = f["code"].as_str()?;
            shapes.iter().find(|s| s.code == code).map(|s| (s, i))
        })
        .collect();
    let frame = bounds(drawn.iter().flat_map(|(s, _)| s.rings()))?;
    let (projection, height) = Projection::fit(frame, 900.0)?;
    let mut svg = format!(
        "<svg viewBox=\"0 0 900 {height}\" class=\"choropleth{}\" role=\"group\" aria-label=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">\
         <defs><pattern id=\"hatch\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">\
         <rect width=\"6\" height=\"6\" class=\"hatch-ground\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" class=\"hatch-line\"/></pattern></defs>",
        if base.is_some() { " with-base" } else { "" },
        escape(&format!("Map: {title}"))
    );
    if let Some(b) = base {
        // The projection is linear in longitude and latitude, so the image for the frame's box,
        // stretched to the frame, lies exactly under the areas.
        let _ = write!(
            svg,
            "<image class=\"base-map\" href=\"{}\" x=\"0\" y=\"0\" width=\"900\" height=\"{height:.1}\" preserveAspectRatio=\"none\" aria-hidden=\"true\"/>",
            escape(&b.url(frame, 1800, (height * 2.0).round() as u32))
        );
    }
    for (shape, i) in &drawn {
        let f = &figures[*i];
        let rings_now: Vec<crate::svg::Ring> = shape.rings().cloned().collect();
        let mut label = describe(f);
        if let Some(h) = hot.get(*i).copied().flatten()
            && h.class != HotSpotClass::NotSignificant
        {
            let _ = write!(label, "; {} (Gi* z = {:.2})", h.class.label(), h.z);
        }
        let _ = write!(
            svg,
            "<a href=\"/areas/{}\" aria-label=\"{}\"><path class=\"{}\" d=\"{}\"><title>{}</title></path></a>",
            encode(&shape.code),
            escape(&label),
            escape(&class_of[*i]),
            projection.path(&rings_now, Some(0.4)),
            escape(&label)
        );
    }
    // Hot and cold spots as outlines over the areas; the links beneath keep the pointer.
    for (shape, i) in &drawn {
        if let Some(h) = hot.get(*i).copied().flatten()
            && h.class != HotSpotClass::NotSignificant
        {
            let rings_now: Vec<crate::svg::Ring> = shape.rings().cloned().collect();
            let _ = write!(
                svg,
                "<path class=\"hs hs-{}\" aria-hidden=\"true\" d=\"{}\"/>",
                h.class.as_str(),
                projection.path(&rings_now, Some(0.4))
            );
        }
    }
    for m in marks {
        let (x, y) = projection.px(m.lon, m.lat);
        // A kilometre north, in pixels: 1 / 110.57 of a degree of latitude.
        let per_km = (projection.px(m.lon, m.lat + 1.0 / 110.57).1 - y).abs();
        let r = m.radius_km.map_or(5.0, |k| (k * per_km).max(5.0));
        let _ = write!(
            svg,
            "<a href=\"{}\" aria-label=\"{}\"><circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\" class=\"{}\"><title>{}</title></circle></a>",
            escape(&m.href),
            escape(&m.label),
            m.class,
            escape(&m.label)
        );
    }
    svg.push_str("</svg>");
    Some(svg)
}

/// The layers an analyst asked for (`layers=signals,locations`); nobody else gets a point.
async fn marks(
    state: &AppState,
    viewer: &Viewer,
    layers: &str,
) -> Result<Vec<Mark>, crate::error::AppError> {
    let Some(user) = viewer
        .0
        .as_ref()
        .filter(|u| crate::access::Rule::Analysts.allows(u.role))
    else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    if layers.split(',').any(|l| l.trim() == "signals") {
        for s in super::signals::visible_signals(state, user).await? {
            if s.status == lantern_core::signals::ReviewStatus::Closed {
                continue;
            }
            let f = &s.found;
            let scan = f
                .radius_km
                .filter(|_| f.kind == lantern_core::signals::SignalKind::Scan);
            for (i, p) in f.places.iter().enumerate() {
                out.push(Mark {
                    lon: p.lon,
                    lat: p.lat,
                    radius_km: if i == 0 { scan } else { None },
                    class: if i == 0 && scan.is_some() {
                        "mark-window"
                    } else {
                        "mark-signal"
                    },
                    label: format!(
                        "Signal: {} ({}, {} to {})",
                        f.title, p.label, f.start, f.end
                    ),
                    href: format!("/signals/{}", s.id),
                });
            }
        }
    }
    if layers.split(',').any(|l| l.trim() == "locations") {
        for l in state.store.locations_of_concern().await? {
            out.push(Mark {
                lon: l.lon,
                lat: l.lat,
                radius_km: None,
                class: "mark-location",
                label: format!("Location of concern: {}", l.name),
                href: "/signals/locations".to_owned(),
            });
        }
    }
    Ok(out)
}

/// An area's figure in words, for its link and tooltip.
fn describe(f: &Value) -> String {
    let name = f["name"].as_str().unwrap_or_default();
    if f["suppressed"] == true {
        return format!("{name}: withheld (small numbers)");
    }
    let count = figure(&f["count"]);
    match (
        f["value"].as_f64(),
        f["lower"].as_f64(),
        f["upper"].as_f64(),
    ) {
        (Some(_), Some(_), Some(_)) => format!(
            "{name}: {} ({} to {}), {count} counted, {}",
            figure(&f["value"]),
            figure(&f["lower"]),
            figure(&f["upper"]),
            f["comparison"].as_str().unwrap_or_default()
        ),
        (Some(_), _, _) => format!("{name}: {}", figure(&f["value"])),
        _ => format!("{name}: {count} counted, no rate"),
    }
}

/// What the page and the SVG download draw.
struct Parts {
    body: Value,
    svg: Option<String>,
    keys: Vec<Key>,
    title: String,
    /// Each figure's hot spot, and the layer's description, when the layer is on.
    hot: Option<(Vec<Option<HotSpot>>, Value)>,
}

async fn page_parts(
    state: &AppState,
    viewer: &Viewer,
    origin: &str,
    p: &MapParams,
    classes: Classes,
    layers: &str,
) -> Result<Parts, HtmlError> {
    let (q, body) = figures(state, viewer, origin, p).await?;
    let marks = marks(state, viewer, layers).await?;
    let shapes = crate::geometry::shapes(state, q.level).await?;
    let figs: Vec<Value> = body["figures"].as_array().cloned().unwrap_or_default();
    let (class_of, mut keys) = classify(&figs, classes);
    let hot = layers
        .split(',')
        .any(|l| l == "hotspots")
        .then(|| hot_spot_layer(&shapes, &figs));
    let found: &[Option<HotSpot>] = hot.as_ref().map_or(&[], |h| h.0.as_slice());
    for class in [
        HotSpotClass::Hot99,
        HotSpotClass::Hot95,
        HotSpotClass::Hot90,
        HotSpotClass::Cold90,
        HotSpotClass::Cold95,
        HotSpotClass::Cold99,
    ] {
        if found.iter().flatten().any(|h| h.class == class) {
            keys.push(Key {
                class: format!("hs hs-{}", class.as_str()),
                label: format!("{} (Gi*)", class.label()),
            });
        }
    }
    let title = title_of(&body);
    let svg = choropleth(
        &shapes,
        &figs,
        &class_of,
        &title,
        &marks,
        found,
        state.config.base_map.as_ref(),
    );
    Ok(Parts {
        body: body.as_ref().clone(),
        svg,
        keys,
        title,
        hot,
    })
}

/// The layers asked for: `layers=signals,locations`, or the form's `layer_signals=1` boxes.
fn layers_of(raw: &std::collections::HashMap<String, String>) -> String {
    let mut out: Vec<&str> = raw
        .get("layers")
        .map(|l| l.split(',').collect())
        .unwrap_or_default();
    for l in ["signals", "locations", "hotspots"] {
        if raw.contains_key(&format!("layer_{l}")) && !out.contains(&l) {
            out.push(l);
        }
    }
    out.retain(|l| matches!(*l, "signals" | "locations" | "hotspots"));
    out.join(",")
}

fn classes_of(p: &std::collections::HashMap<String, String>) -> Classes {
    if p.get("classes").map(String::as_str) == Some("comparison") {
        Classes::Comparison
    } else {
        Classes::Quantiles
    }
}

/// The map's parameters from the page's query; analysts see the exact figures by default
/// (within their area, if they have one), while the API's default stays partner.
fn map_params(state: &AppState, p: &std::collections::HashMap<String, String>) -> MapParams {
    let get = |k: &str| p.get(k).filter(|v| !v.is_empty()).cloned();
    let analyst = Layout::new(state, "", "").analyst();
    MapParams {
        dataset: get("dataset"),
        level: get("level"),
        area: get("area"),
        measure: get("measure"),
        period: get("period"),
        audience: get("audience").or_else(|| analyst.then(|| "statutory".to_owned())),
        format: None,
        hotspots: None,
    }
}

async fn show_map(
    State(state): State<AppState>,
    viewer: Viewer,
    Origin(origin): Origin,
    Query(raw): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, HtmlError> {
    let p = map_params(&state, &raw);
    if let Some(format) = raw.get("format").filter(|f| !f.is_empty()) {
        let (q, body) = figures(&state, &viewer, &origin, &p).await?;
        let name = format!(
            "map-{}-{}-{}",
            q.dataset.name,
            q.level.as_str(),
            body["period"].as_str().unwrap_or_default()
        );
        return Ok(download(&figures_table(&body), format, &name)?);
    }
    let classes = classes_of(&raw);
    let layers = layers_of(&raw);
    let Parts {
        body,
        svg,
        keys,
        title,
        hot,
    } = page_parts(&state, &viewer, &origin, &p, classes, &layers).await?;
    let layout = Layout::new(&state, "Map", "map");
    let analyst = layout.analyst();
    let current = |k: &str, d: &str| {
        raw.get(k)
            .filter(|v| !v.is_empty())
            .cloned()
            .unwrap_or_else(|| d.to_owned())
    };
    let audiences: &[&str] = if analyst {
        &["statutory", "partner", "public"]
    } else if layout.user.is_some() {
        &["partner", "public"]
    } else {
        &["public"]
    };
    let audience = body["disclosure"].as_str().unwrap_or("public").to_owned();
    let figs = body["figures"].as_array().cloned().unwrap_or_default();
    let rows = figs
        .iter()
        .enumerate()
        .map(|(i, f)| Row {
            code: f["code"].as_str().unwrap_or_default().to_owned(),
            name: f["name"].as_str().unwrap_or_default().to_owned(),
            count: if f["suppressed"] == true {
                "withheld".to_owned()
            } else {
                figure(&f["count"])
            },
            value: figure(&f["value"]),
            interval: match (f["lower"].as_f64(), f["upper"].as_f64()) {
                (Some(_), Some(_)) => format!("{} to {}", figure(&f["lower"]), figure(&f["upper"])),
                _ => String::new(),
            },
            comparison: f["comparison"].as_str().unwrap_or_default().to_owned(),
            hot_spot: hot
                .as_ref()
                .and_then(|h| h.0.get(i).copied().flatten())
                .map(|h| format!("{} (z = {:.2})", h.class.label(), h.z))
                .unwrap_or_default(),
        })
        .collect();
    let query: String = [
        (
            "dataset",
            body["dataset"].as_str().unwrap_or_default().to_owned(),
        ),
        (
            "level",
            body["level"].as_str().unwrap_or_default().to_owned(),
        ),
        ("area", p.area.clone().unwrap_or_default()),
        (
            "measure",
            body["measure"].as_str().unwrap_or_default().to_owned(),
        ),
        (
            "period",
            body["period"].as_str().unwrap_or_default().to_owned(),
        ),
        ("audience", audience.clone()),
    ]
    .iter()
    .filter(|(_, v)| !v.is_empty())
    .map(|(k, v)| format!("{k}={}", encode(v)))
    .collect::<Vec<_>>()
    .join("&");
    let comparator = match body["comparator"].as_object() {
        Some(c) => format!(
            "{} ({}, {})",
            c.get("name").and_then(Value::as_str).unwrap_or_default(),
            figure(c.get("value").unwrap_or(&Value::Null)),
            if c.get("source").and_then(Value::as_str) == Some("benchmark") {
                "imported benchmark"
            } else {
                "computed here from the same register"
            }
        ),
        None => "none".to_owned(),
    };
    let periods: Vec<String> = body["periods"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let period = body["period"].as_str().unwrap_or_default().to_owned();
    let page = MapPage {
        dataset_options: [
            ("suicides", "Suspected suicides"),
            ("self-harm", "Self-harm"),
        ]
        .iter()
        .map(|(v, l)| Opt::new(v, l, &current("dataset", "suicides")))
        .collect(),
        level_options: AreaLevel::ALL
            .iter()
            .map(|l| Opt::new(l.as_str(), l.label(), &current("level", "lad")))
            .collect(),
        measure_options: [("rate", "Rate per 100,000"), ("count", "Count")]
            .iter()
            .map(|(v, l)| Opt::new(v, l, &current("measure", "rate")))
            .collect(),
        period_options: periods
            .iter()
            .rev()
            .map(|v| Opt::new(v, v, &period))
            .collect(),
        audience_options: audiences
            .iter()
            .map(|a| Opt::new(a, a, &audience))
            .collect(),
        classes_options: [
            ("quantiles", "Fifths of the areas"),
            ("comparison", "Against the comparator"),
        ]
        .iter()
        .map(|(v, l)| Opt::new(v, l, &current("classes", "quantiles")))
        .collect(),
        layer_options: [
            ("hotspots", "Hot spots (Gi*)"),
            ("signals", "Open signals (analysts)"),
            ("locations", "Locations of concern (analysts)"),
        ]
        .into_iter()
        .filter(|(v, _)| analyst || *v == "hotspots")
        .map(|(v, l)| (v, l, layers.split(',').any(|x| x == v)))
        .collect(),
        base_map_credit: state
            .config
            .base_map
            .as_ref()
            .map(|b| b.attribution.clone())
            .filter(|a| !a.is_empty()),
        hot_spots: hot.as_ref().map(|(_, about)| {
            about["error"].as_str().map_or_else(
                || {
                    format!(
                        "Hot spots: {}, over {} areas. With many areas some pass by chance (about one in ten at 90%): a hot spot is a pointer to look closer, not a finding.",
                        about["method"].as_str().unwrap_or_default(),
                        about["areas"]
                    )
                },
                |e| format!("There are {e}."),
            )
        }),
        area: p.area.clone().unwrap_or_default(),
        svg,
        keys,
        rows,
        statistic: body["statistic"].as_str().unwrap_or_default().to_owned(),
        disclosure: audience,
        definition: body["definition"].as_str().unwrap_or_default().to_owned(),
        comparator,
        withheld: body["withheld"] == true,
        partial: body["partial"] == true,
        downloads: format!(
            "{query}&classes={}&layers={}",
            current("classes", "quantiles"),
            encode(&layers)
        ),
        title,
        layout,
    };
    Ok(render(&page))
}

/// The map alone, as an SVG file to download.
async fn map_svg(
    State(state): State<AppState>,
    viewer: Viewer,
    Origin(origin): Origin,
    Query(raw): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, HtmlError> {
    let p = map_params(&state, &raw);
    let Parts {
        svg, keys, title, ..
    } = page_parts(
        &state,
        &viewer,
        &origin,
        &p,
        classes_of(&raw),
        raw.get("layers").map_or("", String::as_str),
    )
    .await?;
    let Some(svg) = svg else {
        return Err(crate::error::AppError::NotFound.into());
    };
    // A file on its own carries its colours and its legend.
    let mut legend = String::new();
    for k in &keys {
        let _ = write!(legend, "{}: {}; ", k.class, k.label);
    }
    let styled = svg.replacen(
        "<defs>",
        &format!(
            "<title>{}</title><desc>{}</desc><style>{}</style><defs>",
            escape(&title),
            escape(&legend),
            include_str!("../../static/choropleth.css")
        ),
        1,
    );
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"lantern-map.svg\"".to_owned(),
            ),
        ],
        styled,
    )
        .into_response())
}
