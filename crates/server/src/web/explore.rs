//! The explorer (`/explore`): pick a dataset, a measure (count, rate, or share of the period's
//! total), up to three dimensions, an area and an audience; get a table and a chart of the same
//! numbers `GET /api/v1/indicators` gives for the same question (the same function and cache),
//! with the audience's disclosure rule, and downloads of the table.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use lantern_core::export::{Cell, FiguresTable};
use serde_json::Value;

use super::{Layout, Opt, encode, render};
use crate::AppState;
use crate::access::{Origin, Viewer};
use crate::api::indicators::{Params, indicator_body};
use crate::api::map::{cell, download};
use crate::error::HtmlError;
use crate::svg::{Bar, bar_chart};

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/explore", get(show_explorer))
}

/// The most rows drawn as bars; the table holds them all.
const MAX_BARS: usize = 60;

const PERIODS: &[(&str, &str)] = &[
    ("", "No period (all years)"),
    ("year", "Year"),
    ("rolling_3_year", "Three years pooled"),
    ("quarter", "Quarter (statutory)"),
    ("month", "Month (statutory)"),
    ("financial_year", "Financial year (statutory)"),
    ("financial_quarter", "Financial quarter (statutory)"),
];

const BREAKDOWNS: &[(&str, &str)] = &[
    ("", "Nothing"),
    ("lad", "District (LAD)"),
    ("county", "County"),
    ("msoa", "Neighbourhood (MSOA, statutory)"),
    ("lsoa", "Small area (LSOA, statutory)"),
    ("sex", "Sex"),
    ("age_group", "Age group"),
    ("age_band", "Five-year age band (statutory)"),
    ("method_group", "Method"),
    ("location_type", "Location type"),
    ("setting", "Setting (self-harm)"),
    ("priority_group", "Priority group"),
    ("circumstance", "Circumstance (suicides, not public)"),
    (
        "service_contact",
        "Contact with services (suicides, not public)",
    ),
    (
        "support_offered",
        "Bereavement support offered (suicides, not public)",
    ),
    (
        "support_consent",
        "Consent to a support referral (suicides, not public)",
    ),
    (
        "postvention_stage",
        "Step of bereavement support reached (suicides, not public)",
    ),
    (
        "psychosocial_assessment",
        "Psychosocial assessment (self-harm, not public)",
    ),
    ("sector", "Sector (training, coverage)"),
    (
        "organisation_type",
        "Type of organisation (training, coverage)",
    ),
    ("course", "Course (training)"),
    ("framework", "Competence framework (training)"),
];

/// What is counted: the register's, then training's, then coverage's (each coverage choice is
/// the API's `measure`).
const COUNTING: &[(&str, &str)] = &[
    ("presentations", "Presentations (deaths)"),
    ("persons", "People (self-harm)"),
    ("delegates", "Delegates (training)"),
    ("sessions", "Sessions (training)"),
    (
        "role:senior_mental_health_lead",
        "With a senior mental health lead (coverage)",
    ),
    (
        "role:suicide_prevention_lead",
        "With a suicide prevention lead (coverage)",
    ),
    ("course:any", "With someone trained (coverage)"),
    (
        "course:orange_button",
        "With someone trained in Orange Button (coverage)",
    ),
];

/// What the chosen dataset counts when the choice is another dataset's: the dataset's own
/// first choice.
fn counting_for(dataset: &str, counting: &str) -> String {
    let fits = match dataset {
        "training" => ["delegates", "sessions"].contains(&counting),
        "coverage" => counting.contains(':'),
        _ => ["presentations", "persons"].contains(&counting),
    };
    if fits {
        counting.to_owned()
    } else {
        match dataset {
            "training" => "delegates",
            "coverage" => "role:senior_mental_health_lead",
            _ => "presentations",
        }
        .to_owned()
    }
}

#[derive(Template)]
#[template(path = "explore.html")]
struct ExplorePage {
    layout: Layout,
    dataset_options: Vec<Opt>,
    measure_options: Vec<Opt>,
    counting_options: Vec<Opt>,
    period_options: Vec<Opt>,
    first_options: Vec<Opt>,
    second_options: Vec<Opt>,
    audience_options: Vec<Opt>,
    area: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    chart: String,
    chart_svg: String,
    chart_note: String,
    disclosure: String,
    definition: String,
    withheld: bool,
    downloads: String,
    api: String,
    measure_label: &'static str,
    /// Training and coverage: no small-number rule applies.
    exact: bool,
}

/// The explorer's choices, as the form sends them.
struct Choice {
    dataset: String,
    measure: String,
    counting: String,
    by: Vec<String>,
    area: String,
    audience: Option<String>,
}

fn choice(raw: &std::collections::HashMap<String, String>, analyst: bool) -> Choice {
    let get = |k: &str| raw.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let mut by: Vec<String> = ["period", "first", "second"]
        .iter()
        .map(|k| get(k))
        .filter(|v| !v.is_empty())
        .collect();
    if raw.is_empty() {
        by = vec!["year".to_owned(), "lad".to_owned()];
    }
    let dataset = Some(get("dataset"))
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| "suicides".to_owned());
    let counting = counting_for(&dataset, &get("counting"));
    Choice {
        dataset,
        measure: Some(get("measure"))
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "count".to_owned()),
        counting,
        by,
        area: get("area"),
        audience: Some(get("audience"))
            .filter(|a| !a.is_empty())
            .or_else(|| analyst.then(|| "statutory".to_owned())),
    }
}

/// Each row's share of its period's total (or of the whole), from the table with the period
/// alone: both published, so a share never rests on a withheld count.
fn shares(rows: &[Value], totals: &[Value], period: Option<&str>) -> Vec<Option<f64>> {
    rows.iter()
        .map(|r| {
            let total = match period {
                Some(p) => totals.iter().find(|t| t[p] == r[p])?,
                None => totals.first()?,
            };
            let (n, d) = (r["count"].as_f64()?, total["count"].as_f64()?);
            (d > 0.0).then(|| 100.0 * n / d)
        })
        .collect()
}

async fn show_explorer(
    State(state): State<AppState>,
    viewer: Viewer,
    Origin(origin): Origin,
    Query(raw): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, HtmlError> {
    let layout = Layout::new(&state, "Explore the figures", "explore");
    let c = choice(&raw, layout.analyst());
    let params = Params {
        dataset: Some(c.dataset.clone()),
        by: Some(c.by.join(",")),
        area: Some(c.area.clone()).filter(|a| !a.is_empty()),
        audience: c.audience.clone(),
        measure: Some(c.counting.clone()),
        rate: match c.measure.as_str() {
            "crude" => Some("crude".to_owned()),
            "standardised" => Some("standardised".to_owned()),
            _ => None,
        },
    };
    let (query, body) = indicator_body(&state, &viewer, &origin, params.clone()).await?;
    let period = query.period().map(|d| d.name());
    let rows: Vec<Value> = body["rows"].as_array().cloned().unwrap_or_default();
    let share = if c.measure == "share" {
        let totals = Params {
            by: Some(period.unwrap_or_default().to_owned()),
            ..params.clone()
        };
        let (_, t) = indicator_body(&state, &viewer, &origin, totals).await?;
        shares(
            &rows,
            t["rows"].as_array().map(Vec::as_slice).unwrap_or_default(),
            period,
        )
    } else {
        vec![None; rows.len()]
    };
    let dims: Vec<String> = body["by"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|d| d.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let label_of = |r: &Value| -> String {
        dims.iter()
            .map(|d| {
                r[format!("{d}_name")]
                    .as_str()
                    .or_else(|| r[d.as_str()].as_str())
                    .unwrap_or_default()
                    .replace('_', " ")
            })
            .collect::<Vec<_>>()
            .join(" · ")
    };
    let postvention = body["dataset"] == lantern_core::indicators::POSTVENTION;
    let mut columns: Vec<String> = dims.clone();
    columns.extend(["count", "value", "lower", "upper", "share %", "partial"].map(str::to_owned));
    if postvention {
        columns.push("median days to first contact".to_owned());
    }
    let mut table_rows = Vec::new();
    let mut file_rows = Vec::new();
    let mut bars = Vec::new();
    for (r, s) in rows.iter().zip(&share) {
        let mut cells: Vec<Cell> = dims
            .iter()
            .map(|d| match r[format!("{d}_name")].as_str() {
                Some(name) => Cell::Text(format!(
                    "{} ({name})",
                    r[d.as_str()].as_str().unwrap_or_default()
                )),
                None => cell(&r[d.as_str()]),
            })
            .collect();
        for k in ["count", "value", "lower", "upper"] {
            cells.push(cell(&r[k]));
        }
        cells.push(s.map_or(Cell::Empty, |v| Cell::Number((v * 10.0).round() / 10.0)));
        cells.push(if r["partial"] == true {
            Cell::Text("yes".to_owned())
        } else {
            Cell::Empty
        });
        if postvention {
            cells.push(cell(&r["median_days"]));
        }
        // Counts whole; rates and shares to one decimal.
        let count_at = dims.len();
        table_rows.push(
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| match c {
                    Cell::Text(t) => t.clone(),
                    Cell::Number(n) if i == count_at => format!("{n:.0}"),
                    Cell::Number(n) => format!("{n:.1}"),
                    Cell::Empty => String::new(),
                })
                .collect(),
        );
        file_rows.push(cells);
        let (value, lower, upper) = match c.measure.as_str() {
            "rate" | "crude" | "standardised" => (
                r["value"].as_f64(),
                r["lower"].as_f64(),
                r["upper"].as_f64(),
            ),
            "share" => (*s, None, None),
            _ => (r["count"].as_f64(), None, None),
        };
        bars.push(Bar {
            label: label_of(r),
            value,
            lower,
            upper,
        });
    }
    let disclosure = body["disclosure"].as_str().unwrap_or_default().to_owned();
    let definition = body["definition"].as_str().unwrap_or_default().to_owned();
    let coverage = body["dataset"] == lantern_core::indicators::COVERAGE;
    let measure_label = match c.measure.as_str() {
        "rate" | "crude" if coverage => "Percentage of the organisations, with its 95% interval",
        "rate" => "Rate per 100,000 as published, with its 95% interval",
        "crude" => "Crude rate per 100,000, with its 95% interval",
        "standardised" => {
            "Age-standardised rate per 100,000 (ESP2013, ages 10+), with its 95% interval"
        }
        "share" => "Share of the period's total (%)",
        _ => "Count",
    };
    if let Some(format) = raw.get("format").filter(|f| !f.is_empty()) {
        let table = FiguresTable {
            title: format!("{} by {}", c.dataset, dims.join(", ")),
            notes: vec![
                ("disclosure".to_owned(), disclosure),
                ("definition".to_owned(), definition),
                ("withheld".to_owned(), body["withheld"].to_string()),
            ],
            columns,
            rows: file_rows,
        };
        return Ok(download(&table, format, &format!("explore-{}", c.dataset))?);
    }
    let (chart, chart_note) = if bars.len() > MAX_BARS {
        (
            String::new(),
            format!(
                "{} rows are too many to chart: the table holds them all. Name fewer dimensions to see a chart.",
                bars.len()
            ),
        )
    } else {
        (
            bar_chart(
                &bars,
                &format!("{measure_label}: {} by {}", c.dataset, dims.join(", ")),
            ),
            String::new(),
        )
    };
    let query_string = |extra: &str| {
        let mut parts = vec![
            format!("dataset={}", encode(&c.dataset)),
            format!("measure={}", encode(&c.measure)),
            format!("counting={}", encode(&c.counting)),
        ];
        for (k, v) in ["period", "first", "second"].iter().zip(
            raw.get("period")
                .into_iter()
                .chain(raw.get("first"))
                .chain(raw.get("second")),
        ) {
            parts.push(format!("{k}={}", encode(v)));
        }
        if !c.area.is_empty() {
            parts.push(format!("area={}", encode(&c.area)));
        }
        parts.push(format!("audience={}", encode(&disclosure)));
        if !extra.is_empty() {
            parts.push(extra.to_owned());
        }
        parts.join("&")
    };
    let mut api = format!(
        "/api/v1/indicators?dataset={}&by={}&audience={}&measure={}",
        encode(&c.dataset),
        encode(&c.by.join(",")),
        encode(&disclosure),
        encode(&c.counting)
    );
    if !c.area.is_empty() {
        api.push_str(&format!("&area={}", encode(&c.area)));
    }
    if let Some(rate) = &params.rate {
        api.push_str(&format!("&rate={}", encode(rate)));
    }
    let (p0, rest): (String, Vec<String>) = {
        let p =
            c.by.iter()
                .find(|d| PERIODS.iter().any(|(v, _)| v == d && !v.is_empty()))
                .cloned()
                .unwrap_or_default();
        (
            p.clone(),
            c.by.iter().filter(|d| **d != p).cloned().collect(),
        )
    };
    let audiences: &[&str] = if layout.analyst() {
        &["statutory", "partner", "public"]
    } else if layout.user.is_some() {
        &["partner", "public"]
    } else {
        &["public"]
    };
    let page = ExplorePage {
        dataset_options: [
            ("suicides", "Suspected suicides"),
            ("self-harm", "Self-harm"),
            (
                lantern_core::indicators::POSTVENTION,
                "Bereavement support after a suicide (postvention)",
            ),
            (lantern_core::indicators::TRAINING, "Training"),
            (
                lantern_core::indicators::COVERAGE,
                "Organisations with a role or training (coverage)",
            ),
        ]
        .iter()
        .map(|(v, l)| Opt::new(v, l, &c.dataset))
        .collect(),
        measure_options: [
            ("count", "Count"),
            ("rate", "Rate per 100,000, as published"),
            ("crude", "Crude rate per 100,000"),
            ("standardised", "Age-standardised rate (statutory)"),
            ("share", "Share of the period (%)"),
        ]
        .iter()
        .map(|(v, l)| Opt::new(v, l, &c.measure))
        .collect(),
        counting_options: COUNTING
            .iter()
            .map(|(v, l)| Opt::new(v, l, &c.counting))
            .collect(),
        period_options: PERIODS.iter().map(|(v, l)| Opt::new(v, l, &p0)).collect(),
        first_options: BREAKDOWNS
            .iter()
            .map(|(v, l)| Opt::new(v, l, rest.first().map_or("", String::as_str)))
            .collect(),
        second_options: BREAKDOWNS
            .iter()
            .map(|(v, l)| Opt::new(v, l, rest.get(1).map_or("", String::as_str)))
            .collect(),
        audience_options: audiences
            .iter()
            .map(|a| Opt::new(a, a, &disclosure))
            .collect(),
        area: c.area.clone(),
        columns: {
            let mut cols: Vec<String> = dims.iter().map(|d| d.replace('_', " ")).collect();
            cols.extend(
                [
                    "Count",
                    "Value",
                    "Lower 95%",
                    "Upper 95%",
                    "Share %",
                    "Part period",
                ]
                .map(str::to_owned),
            );
            if postvention {
                cols.push("Median days to first contact".to_owned());
            }
            cols
        },
        rows: table_rows,
        chart_svg: super::Downloads::of(&chart, measure_label, &disclosure, &[], &[]).svg,
        chart,
        chart_note,
        withheld: body["withheld"] == true,
        downloads: query_string(""),
        api,
        disclosure,
        definition,
        measure_label,
        exact: query.measure.is_workforce(),
        layout,
    };
    Ok(render(&page))
}
