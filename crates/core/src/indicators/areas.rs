//! One figure per area of a level, for one period: what a map, an area profile's funnel plot
//! and a league table show. Built on [`indicators`](super::indicators), so every figure is the
//! one `GET /api/v1/indicators` gives for the same question, with the same disclosure rule.
//!
//! Each figure is compared with a comparator on its interval, as Fingertips does: the imported
//! England figure for the same indicator and period where there is one (`lantern import
//! benchmarks`), otherwise the whole area the map is of (the county, or everywhere).

use std::collections::BTreeSet;

use lantern_stats::{Comparison, Interval, Method, Polarity, compare_with_benchmark};
use serde::Serialize;

use super::{Audience, Dimension, IndicatorError, IndicatorQuery, IndicatorTable, Measure};
use crate::Store;
use crate::area::AreaLevel;
use crate::benchmarks::ENGLAND;
use crate::register::Dataset;

/// Fingertips' indicator the suicide rate by rolling three years matches.
pub const SUICIDE_RATE_INDICATOR: &str = "41001";

/// A request for one figure per area.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaQuery {
    /// `suicides` or `self-harm`.
    pub dataset: &'static Dataset,
    /// The areas' level.
    pub level: AreaLevel,
    /// Only the areas inside this one (and it is the comparator when no benchmark applies).
    pub within: Option<String>,
    /// The period's label (`2022-2024`, `2024`, `2024-Q3`, `2024-07`); the latest whole period
    /// when `None`.
    pub period: Option<String>,
    /// Who will see it.
    pub audience: Audience,
    /// Presentations or persons.
    pub measure: Measure,
    /// The kind of period when `period` is `None` (by default rolling three years for
    /// suicides, years for self-harm).
    pub cadence: Option<Dimension>,
}

impl AreaQuery {
    /// A query from the parameters of `GET /api/v1/map`: `dataset` (default `suicides`),
    /// `level` (default `lad`), `area`, `period`, `audience` (default `partner`), `measure`
    /// (`rate`, `count`, `presentations` or `persons`; the first three count presentations).
    ///
    /// # Errors
    /// A message naming the parameter that is wrong and its choices.
    pub fn from_params(
        dataset: Option<&str>,
        level: Option<&str>,
        area: Option<&str>,
        period: Option<&str>,
        audience: Option<&str>,
        measure: Option<&str>,
    ) -> Result<Self, String> {
        let counting = match measure.filter(|m| !m.is_empty()) {
            None | Some("rate" | "count" | "presentations" | "deaths") => None,
            Some("persons") => Some("persons"),
            Some(other) => {
                return Err(format!(
                    "measure '{other}' is not one of rate|count|presentations|persons"
                ));
            }
        };
        let base = IndicatorQuery::from_params(dataset, None, area, audience, counting)?;
        let level = match level.filter(|l| !l.trim().is_empty()) {
            Some(l) => AreaLevel::parse(l)?,
            None => AreaLevel::Lad,
        };
        let period = period.map(str::trim).filter(|p| !p.is_empty());
        if let Some(p) = period {
            period_dimension(p)?;
        }
        Ok(Self {
            dataset: base.dataset,
            level,
            within: base.area,
            period: period.map(str::to_owned),
            audience: base.audience,
            measure: base.measure,
            cadence: None,
        })
    }

    /// The period dimension: the asked period's, or by default rolling three years for suicides
    /// and years for self-harm.
    pub fn period_dimension(&self) -> Dimension {
        match &self.period {
            Some(p) => period_dimension(p).unwrap_or(Dimension::Year),
            None if let Some(c) = self.cadence => c,
            None if self.dataset.is_suicides() => Dimension::Rolling3Year,
            None => Dimension::Year,
        }
    }

    /// The indicator query behind the figures: by period and area level.
    pub fn indicator_query(&self) -> IndicatorQuery {
        IndicatorQuery {
            rate: super::RateChoice::Published,
            dataset: self.dataset,
            by: vec![self.period_dimension(), Dimension::Area(self.level)],
            area: self.within.clone(),
            audience: self.audience,
            measure: self.measure,
        }
    }
}

/// The dimension a period label belongs to: `2024-07` a month, `2024-Q3` a quarter, `2024` a
/// year, `2022-2024` three pooled years.
///
/// # Errors
/// A label of none of those shapes.
pub fn period_dimension(label: &str) -> Result<Dimension, String> {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let b = label.as_bytes();
    // Every shape is ASCII, and slicing below needs character boundaries.
    let shape = match label.len() {
        _ if !label.is_ascii() => None,
        4 if digits(label, 4) => Some(Dimension::Year),
        7 if digits(&label[..4], 4)
            && b[4] == b'-'
            && b[5] == b'Q'
            && (b'1'..=b'4').contains(&b[6]) =>
        {
            Some(Dimension::Quarter)
        }
        7 if digits(&label[..4], 4)
            && b[4] == b'-'
            && digits(&label[5..], 2)
            && (1..=12).contains(&label[5..].parse::<u32>().unwrap_or(0)) =>
        {
            Some(Dimension::Month)
        }
        7 if digits(&label[..4], 4)
            && b[4] == b'/'
            && digits(&label[5..], 2)
            && label[..4]
                .parse::<i32>()
                .ok()
                .map(|y| (y + 1).rem_euclid(100))
                == label[5..].parse::<i32>().ok() =>
        {
            Some(Dimension::FinancialYear)
        }
        10 if period_dimension(&label[..7]) == Ok(Dimension::FinancialYear)
            && &label[7..9] == "-Q"
            && (b'1'..=b'4').contains(&b[9]) =>
        {
            Some(Dimension::FinancialQuarter)
        }
        9 if digits(&label[..4], 4)
            && b[4] == b'-'
            && digits(&label[5..], 4)
            && label[5..].parse::<i32>().ok() == label[..4].parse::<i32>().ok().map(|y| y + 2) =>
        {
            Some(Dimension::Rolling3Year)
        }
        _ => None,
    };
    shape.ok_or_else(|| {
        format!(
            "period '{label}' is not a year (2024), three years (2022-2024), a quarter (2024-Q3), a month (2024-07), a financial year (2024/25) or its quarter (2024/25-Q1)"
        )
    })
}

/// A published period (`2019 - 21`, `2019-21`, `2019 - 2021`, `2021`) as Lantern labels it
/// (`2019-2021`, `2021`); `None` for other shapes (financial years, part years).
pub fn lantern_period(published: &str) -> Option<String> {
    let s: String = published.chars().filter(|c| !c.is_whitespace()).collect();
    fn year(t: &str) -> Option<&str> {
        (t.len() == 4 && t.bytes().all(|b| b.is_ascii_digit())).then_some(t)
    }
    if let Some(y) = year(&s) {
        return Some(y.to_owned());
    }
    let (a, b) = s.split_once('-')?;
    let start: i32 = year(a)?.parse().ok()?;
    let end: i32 = match b.len() {
        2 if b.bytes().all(|c| c.is_ascii_digit()) => {
            let century = start - start.rem_euclid(100);
            let e = century + b.parse::<i32>().ok()?;
            if e < start { e + 100 } else { e }
        }
        4 => year(b)?.parse().ok()?,
        _ => return None,
    };
    (end > start).then(|| format!("{start}-{end}"))
}

/// What figures are compared with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparator {
    /// Its area code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its figure for the same period and statistic.
    pub value: f64,
    /// `benchmark` (an imported published figure) or `area` (computed here).
    pub source: &'static str,
}

/// One area's figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaFigure {
    /// GSS code.
    pub code: String,
    /// Name.
    pub name: String,
    /// The count, `None` when withheld.
    pub count: Option<u64>,
    /// The rate per 100,000, `None` when not computed or withheld.
    pub value: Option<f64>,
    /// Lower 95% limit.
    pub lower: Option<f64>,
    /// Upper 95% limit.
    pub upper: Option<f64>,
    /// The count was withheld.
    pub suppressed: bool,
    /// Against the comparator, on the 95% interval.
    pub comparison: &'static str,
}

/// A figure for every area of a level, for one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaFigures {
    /// The period shown.
    pub period: String,
    /// Every period there are figures for, oldest first.
    pub periods: Vec<String>,
    /// Whether the period ends after the last record.
    pub partial: bool,
    /// The statistic of the values.
    pub statistic: Option<&'static str>,
    /// `statutory` or the preset applied.
    pub disclosure: &'static str,
    /// What figures are compared with, if anything.
    pub comparator: Option<Comparator>,
    /// Which direction is good: `low is good` or `no judgement`.
    pub polarity: &'static str,
    /// One per area of the level (inside `within`), by code.
    pub figures: Vec<AreaFigure>,
    /// What the figures count, in words.
    pub definition: String,
}

/// Which direction is good: lower suicide rates; for self-harm presentations no judgement
/// (more presentations can mean better recording or better access as well as more harm).
pub fn polarity(dataset: &Dataset) -> Polarity {
    if dataset.is_suicides() {
        Polarity::LowIsGood
    } else {
        Polarity::NoJudgement
    }
}

/// One figure per area of the level, for the period asked or the latest whole one.
///
/// # Errors
/// As [`super::indicators`], and a period with no figures.
pub async fn area_figures(store: &dyn Store, q: &AreaQuery) -> Result<AreaFigures, IndicatorError> {
    let iq = q.indicator_query();
    let table = super::indicators(store, &iq).await?;
    let periods: Vec<String> = table
        .rows
        .iter()
        .map(|r| r.dims[0].1.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let period = match &q.period {
        Some(p) if periods.contains(p) => p.clone(),
        Some(p) => {
            return Err(IndicatorError::Invalid(format!(
                "there are no figures for period {p}; periods with figures: {}",
                periods.join(", ")
            )));
        }
        None => table
            .latest_whole_period()
            .or_else(|| periods.last().cloned())
            .unwrap_or_default(),
    };
    let comparator = comparator(store, q, &iq, &table, &period).await?;
    let pol = polarity(q.dataset);
    let areas = store.areas(Some(q.level)).await?;
    let mut figures = Vec::new();
    let mut statistic = None;
    let mut partial = false;
    for r in table.rows.iter().filter(|r| r.dims[0].1 == period) {
        statistic = statistic.or(r.statistic);
        partial |= r.partial;
        let code = r.dims[1].1.clone();
        // A withheld row's labels stay inside for protected audiences, except on a map of
        // areas: the areas are public and a zero is published, so "withheld" says only that
        // the count is not zero, which the published zeros say already.
        let estimate = match (r.value, r.lower, r.upper) {
            (Some(value), Some(lower), Some(upper)) => Some(Interval {
                value,
                lower,
                upper,
                method: Method::Byar,
            }),
            _ => None,
        };
        let comparison = match &comparator {
            Some(c) => compare_with_benchmark(estimate.as_ref(), c.value, pol),
            None => Comparison::NotCompared,
        };
        figures.push(AreaFigure {
            name: table
                .names
                .get(&code)
                .cloned()
                .or_else(|| {
                    areas
                        .iter()
                        .find(|a| a.code == code)
                        .map(|a| a.name.clone())
                })
                .unwrap_or_else(|| "area not known".to_owned()),
            code,
            count: r.count,
            value: r.value,
            lower: r.lower,
            upper: r.upper,
            suppressed: r.suppressed,
            comparison: comparison.as_str(),
        });
    }
    Ok(AreaFigures {
        period,
        periods,
        partial,
        statistic,
        disclosure: table.disclosure,
        comparator,
        polarity: match pol {
            Polarity::LowIsGood => "low is good",
            Polarity::HighIsGood => "high is good",
            Polarity::NoJudgement => "no judgement",
        },
        figures,
        definition: super::definition(&iq),
    })
}

/// The comparator for a period: the imported England figure for the suicide rate by three
/// years, or else the whole area's own figure (when it may be shown to the audience).
async fn comparator(
    store: &dyn Store,
    q: &AreaQuery,
    iq: &IndicatorQuery,
    table: &IndicatorTable,
    period: &str,
) -> Result<Option<Comparator>, IndicatorError> {
    let rate_by_3_years = q.dataset.is_suicides()
        && iq.by[0] == Dimension::Rolling3Year
        && q.measure == Measure::Presentations;
    if rate_by_3_years {
        let published = store
            .benchmarks(Some(SUICIDE_RATE_INDICATOR))
            .await?
            .into_iter()
            .find(|b| {
                b.area_code == ENGLAND
                    && b.sex.eq_ignore_ascii_case("persons")
                    && lantern_period(&b.period).as_deref() == Some(period)
            });
        if let Some(b) = published.and_then(|b| Some((b.value?, b))) {
            return Ok(Some(Comparator {
                code: b.1.area_code,
                name: b.1.area_name.unwrap_or_else(|| "England".to_owned()),
                value: b.0,
                source: "benchmark",
            }));
        }
    }
    let whole = IndicatorQuery {
        rate: super::RateChoice::Published,
        by: vec![iq.by[0]],
        ..iq.clone()
    };
    let totals = super::indicators(store, &whole).await?;
    let Some(value) = totals
        .rows
        .iter()
        .find(|r| r.dims[0].1 == period)
        .and_then(|r| r.value)
    else {
        return Ok(None);
    };
    let (code, name) = match &q.within {
        Some(code) => (
            code.clone(),
            totals
                .names
                .get(code)
                .or_else(|| table.names.get(code))
                .cloned()
                .unwrap_or_else(|| code.clone()),
        ),
        None => (String::new(), "all areas".to_owned()),
    };
    Ok(Some(Comparator {
        code,
        name,
        value,
        source: "area",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_labels_name_their_dimension() {
        assert_eq!(period_dimension("2024"), Ok(Dimension::Year));
        assert_eq!(period_dimension("2022-2024"), Ok(Dimension::Rolling3Year));
        assert_eq!(period_dimension("2024-Q3"), Ok(Dimension::Quarter));
        assert_eq!(period_dimension("2024-07"), Ok(Dimension::Month));
        assert_eq!(period_dimension("2024/25"), Ok(Dimension::FinancialYear));
        assert_eq!(period_dimension("1999/00"), Ok(Dimension::FinancialYear));
        assert_eq!(
            period_dimension("2024/25-Q4"),
            Ok(Dimension::FinancialQuarter)
        );
        assert!(period_dimension("2024/26").is_err());
        assert!(period_dimension("2024/25-Q5").is_err());
        for bad in [
            "",
            "24",
            "2024-13",
            "2024-Q5",
            "2022-2025",
            "2022-2023",
            "20x4",
            "2024-7",
        ] {
            assert!(period_dimension(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn published_periods_become_lantern_labels() {
        assert_eq!(lantern_period("2019 - 21").as_deref(), Some("2019-2021"));
        assert_eq!(lantern_period("2019-21").as_deref(), Some("2019-2021"));
        assert_eq!(lantern_period("1998 - 00").as_deref(), Some("1998-2000"));
        assert_eq!(lantern_period("2019 - 2021").as_deref(), Some("2019-2021"));
        assert_eq!(lantern_period(" 2021 ").as_deref(), Some("2021"));
        assert_eq!(lantern_period("2021/22"), None);
        assert_eq!(lantern_period("2021 Q1"), None);
    }

    #[test]
    fn map_parameters_are_checked_by_name() {
        let q = AreaQuery::from_params(None, None, None, None, None, None).unwrap();
        assert_eq!(q.level, AreaLevel::Lad);
        assert_eq!(q.period_dimension(), Dimension::Rolling3Year);
        let sh = AreaQuery::from_params(
            Some("self-harm"),
            Some("msoa"),
            None,
            Some("2024"),
            Some("statutory"),
            Some("persons"),
        )
        .unwrap();
        assert_eq!((sh.level, sh.measure), (AreaLevel::Msoa, Measure::Persons));
        assert!(
            AreaQuery::from_params(None, Some("street"), None, None, None, None)
                .unwrap_err()
                .contains("lsoa|msoa")
        );
        assert!(
            AreaQuery::from_params(None, None, None, Some("last year"), None, None)
                .unwrap_err()
                .contains("period")
        );
        assert!(
            AreaQuery::from_params(None, None, None, None, None, Some("share"))
                .unwrap_err()
                .contains("measure")
        );
    }

    proptest::proptest! {
        /// Any text is a period or a message, never a panic; a label the indicators make is
        /// always a period of its own dimension.
        #[test]
        fn any_text_is_a_period_or_a_message(s in "\\PC{0,12}", y in 1990..2100_i32, m in 1..=12_u32) {
            let _ = period_dimension(&s);
            proptest::prop_assert_eq!(period_dimension(&format!("{y}")), Ok(Dimension::Year));
            proptest::prop_assert_eq!(period_dimension(&format!("{y}-{m:02}")), Ok(Dimension::Month));
            proptest::prop_assert_eq!(period_dimension(&format!("{y}-{}", y + 2)), Ok(Dimension::Rolling3Year));
            let fy = format!("{y}/{:02}", (y + 1).rem_euclid(100));
            proptest::prop_assert_eq!(period_dimension(&fy), Ok(Dimension::FinancialYear));
            proptest::prop_assert_eq!(period_dimension(&format!("{fy}-Q{}", 1 + m % 4)), Ok(Dimension::FinancialQuarter));
        }
    }
}
