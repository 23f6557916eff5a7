//! The dashboard (`/` for a signed-in user): figures for the user's areas that every role can
//! use. Analysts get the exact figures of their area: suspected suicides in the last twelve
//! months against the same months of the three years before, by district; a quarterly trend (or
//! monthly, with a caution); self-harm presentations by setting; open signals; overdue actions;
//! and when each source last sent a record. Everyone else gets the partner figures: whole years
//! by district against the three before, a yearly trend, self-harm by setting, and overdue
//! actions. Every figure comes from the indicators, with the audience's disclosure rule.

use std::collections::BTreeMap;

use askama::Template;
use chrono::{Datelike, NaiveDate};
use lantern_core::indicators::{Audience, Dimension, IndicatorQuery, IndicatorTable, Measure};
use lantern_core::register::{Dataset, SELF_HARM, SUICIDES};

use super::{Layout, render};
use crate::AppState;
use crate::api::indicators::table;
use crate::error::{AppError, HtmlError};
use crate::plans::today;
use crate::svg::{TrendPoint, trend_chart};
use axum::response::Response;

/// A district's count now and in the same period of the three years before.
pub(crate) struct DistrictRow {
    pub(crate) code: String,
    pub(crate) name: String,
    /// This period, then one, two and three years before; `None` when withheld.
    pub(crate) counts: [Option<u64>; 4],
    pub(crate) average: String,
}

/// When a source last sent a record.
pub(crate) struct Freshness {
    pub(crate) dataset: &'static str,
    pub(crate) source: String,
    pub(crate) last: NaiveDate,
    pub(crate) late: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    layout: Layout,
    scope: String,
    audience: &'static str,
    /// What the district table compares, e.g. "the 12 months to June 2025".
    period: String,
    columns: [String; 4],
    districts: Vec<DistrictRow>,
    trend: String,
    trend_name: String,
    /// The trend table's columns and rows.
    trend_columns: Vec<&'static str>,
    trend_rows: Vec<Vec<String>>,
    trend_downloads: super::Downloads,
    monthly: bool,
    /// `cadence=month&` on the download links of the monthly view.
    cadence_query: &'static str,
    settings: Vec<(String, String)>,
    settings_period: String,
    signals: Vec<(i64, String, String)>,
    open_signals: usize,
    overdue: Vec<(i64, String, usize)>,
    /// Support directory entries this user keeps, not checked for six months: reference,
    /// name, last checked.
    unchecked: Vec<(String, String, String)>,
    freshness: Vec<Freshness>,
    definition: String,
}

fn query(
    dataset: &'static Dataset,
    by: Vec<Dimension>,
    area: Option<&str>,
    audience: Audience,
) -> IndicatorQuery {
    IndicatorQuery {
        rate: lantern_core::indicators::RateChoice::Published,
        dataset,
        by,
        area: area.map(str::to_owned),
        audience,
        measure: Measure::Presentations,
    }
}

/// The last whole month of the register: the last record's month when the record is on its
/// last day, otherwise the month before.
fn last_whole_month(last: NaiveDate) -> NaiveDate {
    let first = last.with_day(1).unwrap_or(last);
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    if next.pred_opt() == Some(last) {
        first
    } else {
        first
            .checked_sub_months(chrono::Months::new(1))
            .unwrap_or(first)
    }
}

/// Districts' counts in the 12 months to `end` (a month's first day) and the same months of
/// the three years before, from a table by month and district.
pub(crate) fn twelve_months(t: &IndicatorTable, end: NaiveDate) -> Vec<DistrictRow> {
    let mut by: BTreeMap<String, [u64; 4]> = BTreeMap::new();
    for r in &t.rows {
        let (Some(month), Some(lad)) = (r.dims.first(), r.dims.get(1)) else {
            continue;
        };
        let Ok(m) = NaiveDate::parse_from_str(&format!("{}-01", month.1), "%Y-%m-%d") else {
            continue;
        };
        let months_back = (end.year() - m.year()) * 12 + end.month() as i32 - m.month() as i32;
        if !(0..48).contains(&months_back) {
            continue;
        }
        let slot = (months_back / 12) as usize;
        by.entry(lad.1.clone()).or_default()[slot] += r.count.unwrap_or(0);
    }
    by.into_iter()
        .map(|(code, c)| DistrictRow {
            name: t.names.get(&code).cloned().unwrap_or_else(|| code.clone()),
            code,
            counts: c.map(Some),
            average: format!("{:.1}", (c[1] + c[2] + c[3]) as f64 / 3.0),
        })
        .collect()
}

pub(crate) async fn show_dashboard(
    state: &AppState,
    layout: Layout,
    monthly: bool,
    raw: &std::collections::HashMap<String, String>,
) -> Result<Response, HtmlError> {
    let user = layout.user.clone().ok_or(AppError::Unauthenticated)?;
    let analyst = layout.analyst();
    let scope = user.area.clone();
    let scope_name = match &scope {
        Some(a) => state
            .store
            .area(a)
            .await
            .map(|a| a.name)
            .unwrap_or_else(|_| a.clone()),
        None => "all areas".to_owned(),
    };
    let audience = if analyst {
        Audience::Statutory
    } else {
        Audience::Partner
    };
    let area = if analyst { scope.as_deref() } else { None };
    let monthly = monthly && analyst;
    // Suspected suicides by district.
    let (period, columns, districts) = if analyst {
        let t = table(
            state,
            &query(
                &SUICIDES,
                vec![
                    Dimension::Month,
                    Dimension::Area(lantern_core::area::AreaLevel::Lad),
                ],
                area,
                audience,
            ),
        )
        .await?;
        match t.last_record {
            Some(last) => {
                let end = last_whole_month(last);
                let to = |years: i32| {
                    end.checked_sub_months(chrono::Months::new(12 * years as u32))
                        .map_or_else(String::new, |d| d.format("%b %Y").to_string())
                };
                (
                    format!(
                        "the 12 months to {}, against the same months of the three years before",
                        to(0)
                    ),
                    [0, 1, 2, 3].map(|y| format!("12 months to {}", to(y))),
                    twelve_months(&t, end),
                )
            }
            None => (String::new(), Default::default(), Vec::new()),
        }
    } else {
        let t = table(
            state,
            &query(
                &SUICIDES,
                vec![
                    Dimension::Year,
                    Dimension::Area(lantern_core::area::AreaLevel::Lad),
                ],
                None,
                audience,
            ),
        )
        .await?;
        let latest = t.latest_whole_period().and_then(|y| y.parse::<i32>().ok());
        match latest {
            Some(y) => {
                let names: BTreeMap<String, String> = state
                    .store
                    .areas(Some(lantern_core::area::AreaLevel::Lad))
                    .await?
                    .into_iter()
                    .map(|a| (a.code, a.name))
                    .collect();
                // Every district is listed; a withheld count is not published, so its cell
                // stays empty and is shown as withheld.
                let mut by: BTreeMap<String, [Option<u64>; 4]> = state
                    .store
                    .areas(Some(lantern_core::area::AreaLevel::Lad))
                    .await?
                    .into_iter()
                    .map(|a| (a.code, [None; 4]))
                    .collect();
                for r in t.published() {
                    let Ok(year) = r.dims[0].1.parse::<i32>() else {
                        continue;
                    };
                    if (y - 3..=y).contains(&year) {
                        by.entry(r.dims[1].1.clone()).or_default()[(y - year) as usize] = r.count;
                    }
                }
                let rows = by
                    .into_iter()
                    .map(|(code, counts)| {
                        let known: Vec<u64> = counts[1..].iter().flatten().copied().collect();
                        DistrictRow {
                            name: names.get(&code).cloned().unwrap_or_else(|| code.clone()),
                            code,
                            counts,
                            average: if known.len() == 3 {
                                format!("{:.1}", known.iter().sum::<u64>() as f64 / 3.0)
                            } else {
                                String::new()
                            },
                        }
                    })
                    .collect();
                (
                    format!("{y}, against the three years before"),
                    [0, 1, 2, 3].map(|k| format!("{}", y - k)),
                    rows,
                )
            }
            None => (String::new(), Default::default(), Vec::new()),
        }
    };
    // The trend: for analysts the 12 months to each quarter's end (a rolling year, stepped by
    // quarter, so one quarter's chance ups and downs do not swamp it), or months; for everyone
    // else three-year rates, which are rolling already. Rolling sums are statutory only: beside
    // each other they give away the difference of two quarters a year apart.
    let rolling = analyst && !monthly;
    let (trend_name, cadence) = if monthly {
        ("Suspected suicides by month", Dimension::Month)
    } else if analyst {
        (
            "Suspected suicides in the 12 months to each quarter",
            Dimension::Quarter,
        )
    } else {
        (
            "Suicide rate by three years (directly standardised, ages 10+)",
            Dimension::Rolling3Year,
        )
    };
    let t = table(state, &query(&SUICIDES, vec![cadence], area, audience)).await?;
    let points: Vec<TrendPoint> = t
        .published()
        .map(|r| TrendPoint {
            period: format!("{}{}", r.dims[0].1, if r.partial { "*" } else { "" }),
            value: if analyst {
                r.count.map(|c| c as f64)
            } else {
                r.value
            },
            lower: if analyst { None } else { r.lower },
            upper: if analyst { None } else { r.upper },
            comparator: None,
        })
        .collect();
    let drawn: Vec<TrendPoint> = if rolling {
        points
            .windows(4)
            .map(|w| TrendPoint {
                period: w[3].period.clone(),
                value: w.iter().map(|p| p.value).sum::<Option<f64>>(),
                lower: None,
                upper: None,
                comparator: None,
            })
            .collect()
    } else {
        points.clone()
    };
    let recent = &drawn[drawn.len().saturating_sub(12)..];
    let trend = trend_chart(recent, trend_name, "");
    let shown = |v: Option<f64>| {
        v.map(|v| {
            if analyst {
                format!("{v:.0}")
            } else {
                format!("{v:.1}")
            }
        })
        .unwrap_or_else(|| "withheld".to_owned())
    };
    let trend_columns: Vec<&'static str> = if rolling {
        vec!["Quarter", "In the quarter", "In the 12 months to its end"]
    } else {
        vec!["Period", "Figure"]
    };
    let trend_rows: Vec<Vec<String>> = recent
        .iter()
        .map(|p| {
            let mut row = vec![p.period.clone()];
            if rolling {
                let quarter = points.iter().find(|q| q.period == p.period);
                row.push(shown(quarter.and_then(|q| q.value)));
            }
            row.push(shown(p.value));
            row
        })
        .collect();
    let definition =
        lantern_core::indicators::definition(&query(&SUICIDES, vec![cadence], area, audience));
    // Self-harm by setting, the latest whole year.
    let t = table(
        state,
        &query(
            &SELF_HARM,
            vec![Dimension::Year, Dimension::Setting],
            area,
            audience,
        ),
    )
    .await?;
    let year = t.latest_whole_period().unwrap_or_default();
    let settings: Vec<(String, String)> = t
        .published()
        .filter(|r| r.dims[0].1 == year)
        .map(|r| {
            (
                r.dims[1].1.replace('_', " "),
                r.count
                    .map_or_else(|| "withheld".to_owned(), |c| c.to_string()),
            )
        })
        .collect();
    // Open signals, for analysts.
    let (signals, open_signals) = if analyst {
        let all = state.store.signals().await?;
        let open: Vec<_> = all
            .iter()
            .filter(|s| s.status != lantern_core::signals::ReviewStatus::Closed)
            .collect();
        (
            open.iter()
                .take(5)
                .map(|s| {
                    (
                        s.id,
                        s.found.title.clone(),
                        s.status.as_str().replace('_', " "),
                    )
                })
                .collect(),
            open.len(),
        )
    } else {
        (Vec::new(), 0)
    };
    // Overdue actions in every plan.
    let mut overdue = Vec::new();
    for p in state.store.plans().await? {
        let plan = state.store.plan(p.id).await?;
        let n = plan
            .plan
            .sections
            .iter()
            .flat_map(|s| &s.actions)
            .filter(|a| a.overdue(today()))
            .count();
        overdue.push((p.id, p.title, n));
    }
    // When each source last sent a record, for analysts: late when more than 30 days behind the
    // dataset's newest record.
    let mut freshness = Vec::new();
    if analyst {
        for ds in [&SUICIDES, &SELF_HARM] {
            let last = state
                .freshness
                .get(state, ds.name.to_owned(), || async {
                    let mut last: BTreeMap<String, NaiveDate> = BTreeMap::new();
                    for r in state
                        .store
                        .export_fields(ds, &[ds.date_field, "source"])
                        .await?
                    {
                        let date = match r.get(ds.date_field) {
                            Some(lantern_core::register::Value::Date(d)) => *d,
                            Some(lantern_core::register::Value::DateTime(t)) => t.date_naive(),
                            _ => continue,
                        };
                        let e = last.entry(r.text("source")).or_insert(date);
                        *e = (*e).max(date);
                    }
                    Ok(last.into_iter().collect())
                })
                .await?;
            let newest = last.iter().map(|(_, d)| *d).max();
            for (source, date) in last.iter().cloned() {
                freshness.push(Freshness {
                    dataset: if ds.is_suicides() {
                        "Suspected suicides"
                    } else {
                        "Self-harm"
                    },
                    late: newest.is_some_and(|n| (n - date).num_days() > 30),
                    source,
                    last: date,
                });
            }
        }
    }
    let trend_downloads = super::Downloads::of(
        &trend,
        &format!("{trend_name}, {scope_name}"),
        audience.disclosure(),
        &trend_columns,
        &trend_rows,
    );
    let cadence = if monthly { "month" } else { "quarter" };
    let tables = vec![
        super::PageTable::new(
            "districts",
            &format!("Suspected suicides by district: {period}"),
            &[
                "district",
                "code",
                &columns[0],
                &columns[1],
                &columns[2],
                &columns[3],
                "average of the three years before",
            ],
            districts
                .iter()
                .map(|d| {
                    let mut r = vec![d.name.clone(), d.code.clone()];
                    r.extend(
                        d.counts
                            .iter()
                            .map(|c| c.map_or("withheld".to_owned(), |n| n.to_string())),
                    );
                    r.push(d.average.clone());
                    r
                })
                .collect(),
        ),
        super::PageTable::new(
            "trend",
            &format!("{trend_name}, {scope_name}"),
            &trend_columns,
            trend_rows.clone(),
        ),
        super::PageTable::new(
            "settings",
            &format!("Self-harm presentations by setting, {year}"),
            &["setting", "presentations"],
            settings
                .iter()
                .map(|(a, b)| vec![a.clone(), b.clone()])
                .collect(),
        ),
        super::PageTable::new(
            "freshness",
            "The last record from each source",
            &["data", "source", "last record", "status"],
            freshness
                .iter()
                .map(|f| {
                    vec![
                        f.dataset.to_owned(),
                        f.source.clone(),
                        f.last.to_string(),
                        if f.late {
                            "Late: over 30 days behind the newest record"
                        } else {
                            "Up to date"
                        }
                        .to_owned(),
                    ]
                })
                .collect(),
        ),
    ];
    if let Some(file) = super::table_download(
        raw,
        tables,
        &[
            ("disclosure", audience.disclosure()),
            ("area", &scope_name),
            ("cadence", cadence),
            ("definition", &definition),
        ],
        "dashboard",
    ) {
        return Ok(file?);
    }
    let unchecked = super::support::due_for_checking(state, &layout).await?;
    let page = Dashboard {
        trend_downloads,
        layout,
        scope: scope_name,
        audience: audience.disclosure(),
        period,
        columns,
        districts,
        trend,
        trend_name: trend_name.to_owned(),
        trend_rows,
        trend_columns,
        monthly,
        cadence_query: if monthly { "cadence=month&" } else { "" },
        settings,
        settings_period: year,
        signals,
        open_signals,
        overdue,
        unchecked,
        freshness,
        definition,
    };
    Ok(render(&page))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_whole_month_ends_on_or_before_the_last_record() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(last_whole_month(d(2025, 6, 30)), d(2025, 6, 1));
        assert_eq!(last_whole_month(d(2025, 6, 29)), d(2025, 5, 1));
        assert_eq!(last_whole_month(d(2025, 1, 3)), d(2024, 12, 1));
        assert_eq!(last_whole_month(d(2024, 2, 29)), d(2024, 2, 1));
    }
}
