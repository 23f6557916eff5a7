//! Where a report's numbers come from, for its audience: counted from the records over the
//! exact period for the statutory core; taken from the indicator engine's catalogue (whole
//! calendar years, one breakdown) for partners and the public, so that their suppression is
//! the engine's, made over every table they can see.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate};

use super::{ReportError, ReportPeriod};
use crate::Store;
use crate::codes;
use crate::indicators::{
    self, Audience, Dimension, IndicatorQuery, IndicatorTable, Measure, RateChoice,
};
use crate::register::{Dataset, FieldKind, Record, Value};

/// The time a set of figures covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Window {
    /// Whole months from the first day of one to the last day of another (statutory).
    Months(NaiveDate, NaiveDate),
    /// Whole calendar years, both included (the catalogue's time unit).
    Years(i32, i32),
}

impl Window {
    /// The window of a report's period for its audience: the period itself for the statutory
    /// core; for the others the calendar years it covers when it is whole years, otherwise the
    /// calendar year it ends in.
    pub(crate) fn of(period: &ReportPeriod, audience: Audience) -> Self {
        let (start, end) = (period.start(), period.end());
        if !audience.is_protected() {
            Self::Months(start, end)
        } else if start.month() == 1 && period.months().is_multiple_of(12) {
            Self::Years(start.year(), end.year())
        } else {
            Self::Years(end.year(), end.year())
        }
    }

    /// The same window `years` years earlier.
    pub(crate) fn back(self, years: i32) -> Option<Self> {
        match self {
            Self::Months(a, b) => {
                let shift = |d: NaiveDate| d.with_year(d.year() - years);
                // The last day of a February in a leap year has no twin: take the month's end.
                let b2 = shift(b).or_else(|| NaiveDate::from_ymd_opt(b.year() - years, 2, 28));
                Some(Self::Months(shift(a)?, b2?))
            }
            Self::Years(a, b) => Some(Self::Years(a - years, b - years)),
        }
    }

    /// Whether a day falls in the window.
    pub(crate) fn holds(self, d: NaiveDate) -> bool {
        match self {
            Self::Months(a, b) => a <= d && d <= b,
            Self::Years(a, b) => (a..=b).contains(&d.year()),
        }
    }

    /// Whether an indicator row's year label (`2024`) falls in the window.
    fn holds_year(self, label: &str) -> bool {
        match (self, label.parse::<i32>()) {
            (Self::Years(a, b), Ok(y)) => (a..=b).contains(&y),
            _ => false,
        }
    }

    /// The window in words: "2024", "2022 to 2024", "July to September 2024".
    pub(crate) fn describe(self) -> String {
        match self {
            Self::Years(a, b) if a == b => a.to_string(),
            Self::Years(a, b) => format!("{a} to {b}"),
            Self::Months(a, b) if a.month() == 1 && b.month() == 12 && a.year() == b.year() => {
                a.year().to_string()
            }
            Self::Months(a, b) if a.year() == b.year() && a.month() == b.month() => {
                a.format("%B %Y").to_string()
            }
            Self::Months(a, b) if a.year() == b.year() => {
                format!("{} to {}", a.format("%B"), b.format("%B %Y"))
            }
            Self::Months(a, b) => format!("{} to {}", a.format("%B %Y"), b.format("%B %Y")),
        }
    }
}

/// Counts by the values of one field.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Dist {
    /// `(code, label, count)`, `None` when withheld; in code-list order, then "not recorded".
    pub(crate) rows: Vec<(String, String, Option<u64>)>,
    /// The number of records (not the sum of the rows when a record may hold several values).
    pub(crate) total: Option<u64>,
    /// Some values were withheld and are not listed (their labels describe people).
    pub(crate) withheld: bool,
}

impl Dist {
    /// The count of one value (0 when listed as none; `None` when withheld or unlisted).
    pub(crate) fn count(&self, code: &str) -> Option<u64> {
        self.rows.iter().find(|r| r.0 == code).and_then(|r| r.2)
    }

    /// The published row with the largest count, ignoring "not recorded" and "unknown".
    pub(crate) fn largest(&self) -> Option<(&str, u64)> {
        self.rows
            .iter()
            .filter(|r| !matches!(r.0.as_str(), "not recorded" | "unknown" | "not_known"))
            .filter_map(|r| Some((r.1.as_str(), r.2?)))
            .filter(|r| r.1 > 0)
            .fold(None, |best: Option<(&str, u64)>, r| match best {
                Some(b) if b.1 >= r.1 => Some(b),
                _ => Some(r),
            })
    }
}

/// The dimension of the indicator engine that breaks counts down by a field, if it has one.
fn dimension_of(field: &str) -> Option<Dimension> {
    Some(match field {
        "sex" => Dimension::Sex,
        "age_group" => Dimension::AgeGroup,
        "method_group" | "methods" => Dimension::MethodGroup,
        "location_type" => Dimension::LocationType,
        "setting" => Dimension::Setting,
        "priority_groups" => Dimension::PriorityGroup,
        "circumstances" => Dimension::Circumstance,
        "service_contact" => Dimension::ServiceContact,
        "support_offered" => Dimension::SupportOffered,
        "support_consent" => Dimension::SupportConsent,
        "psychosocial_assessment" => Dimension::Assessment,
        _ => return None,
    })
}

/// The values a record counts under for a field: codes as stored, yes/no for a flag, the
/// broad age group for `age_group`, "not recorded" when blank.
fn values_of(r: &Record, field: &str) -> Vec<String> {
    match (field, r.get(field)) {
        ("age_group", _) => match r.get("age") {
            Some(Value::Int(a)) => {
                let band = (u32::try_from(*a).unwrap_or(0) / 5).min(18) as usize;
                vec![indicators::age_group_of_band(band).to_owned()]
            }
            _ => vec!["unknown".to_owned()],
        },
        (_, Some(Value::Bool(b))) => vec![if *b { "yes" } else { "no" }.to_owned()],
        ("methods" | "method_group", _) if r.dataset.is_self_harm() => {
            indicators::codes(r, "methods")
        }
        _ => indicators::codes(r, field),
    }
}

/// The label of a field's value.
pub(crate) fn label_of(dataset: &Dataset, field: &str, code: &str) -> String {
    let list = match dataset.field(field).map(|f| f.kind) {
        Some(FieldKind::Code(l) | FieldKind::Codes(l)) => Some(l),
        _ if field == "methods" || (field == "method_group" && dataset.is_self_harm()) => {
            Some("self_harm_method")
        }
        _ => None,
    };
    match (list, code) {
        (_, "not recorded") => "Not recorded".to_owned(),
        (_, "unknown") => "Not known".to_owned(),
        (_, "yes") => "Yes".to_owned(),
        (_, "no") => "No".to_owned(),
        (Some(l), c) => codes::list(l).label(c).to_owned(),
        (None, c) => c.to_owned(),
    }
}

/// The order of a field's values: the code list's, then anything else in code order.
fn order_of(dataset: &Dataset, field: &str, code: &str) -> (usize, String) {
    let list = match dataset.field(field).map(|f| f.kind) {
        Some(FieldKind::Code(l) | FieldKind::Codes(l)) => Some(l),
        _ if field == "methods" || (field == "method_group" && dataset.is_self_harm()) => {
            Some("self_harm_method")
        }
        _ => None,
    };
    let at = list
        .and_then(|l| codes::list(l).codes.iter().position(|c| c.code == code))
        .or_else(|| {
            indicators::AGE_GROUPS
                .iter()
                .position(|(g, _)| *g == code)
                .filter(|_| field == "age_group")
        })
        .or_else(|| ["yes", "no"].iter().position(|v| *v == code))
        .unwrap_or(usize::MAX - 1);
    let last = matches!(code, "not recorded" | "unknown");
    (if last { usize::MAX } else { at }, code.to_owned())
}

/// The figures a report may use, for its audience and area.
pub(crate) struct Figures<'a> {
    store: &'a dyn Store,
    pub(crate) audience: Audience,
    pub(crate) area: Option<String>,
    /// The deep dive's ages.
    ages: Option<(u32, u32)>,
    /// Every record of each dataset, as read once (the indicator engine makes its tables
    /// from these too), and which of them the report counts: counted, residents of the area,
    /// of the ages.
    records: HashMap<&'static str, (indicators::Records, Vec<usize>)>,
    /// Indicator tables already made.
    tables: HashMap<(&'static str, Vec<Dimension>, bool), IndicatorTable>,
}

impl<'a> Figures<'a> {
    /// Figures for an audience, the residents of `area` and (the deep dive) `ages`.
    ///
    /// # Errors
    /// Ages other than 10-24 for a protected audience (the catalogue has that group only).
    pub(crate) fn new(
        store: &'a dyn Store,
        audience: Audience,
        area: Option<String>,
        ages: Option<(u32, u32)>,
    ) -> Result<Self, ReportError> {
        if audience.is_protected() && ages.is_some_and(|a| a != super::CYP_AGES) {
            return Err(ReportError::Invalid(format!(
                "the {} audience gets children and young people as the published group, ages 10-24; other age ranges are for the statutory audience",
                audience.disclosure()
            )));
        }
        Ok(Self {
            store,
            audience,
            area,
            ages,
            records: HashMap::new(),
            tables: HashMap::new(),
        })
    }

    /// Whether this audience gets the statutory detail.
    pub(crate) fn statutory(&self) -> bool {
        !self.audience.is_protected()
    }

    /// Keep the records of a dataset that the report reads (every record, with the fields
    /// [`Self::fields`] names), and note which it counts: counted, residents of the area, of
    /// the ages. `within` says whether an area code lies in the report's area.
    pub(crate) fn keep(
        &mut self,
        dataset: &'static Dataset,
        all: Vec<Record>,
        within: &dyn Fn(&str) -> bool,
    ) {
        let ages = self.ages;
        let kept = all
            .iter()
            .enumerate()
            .filter(|(_, r)| indicators::counted(r))
            .filter(|(_, r)| self.area.is_none() || within(&r.text("residence_area")))
            .filter(|(_, r)| match (ages, r.get("age")) {
                (None, _) => true,
                (Some((a, b)), Some(Value::Int(x))) => (i64::from(a)..=i64::from(b)).contains(x),
                (Some(_), _) => false,
            })
            .map(|(i, _)| i)
            .collect();
        self.records
            .insert(dataset.name, (indicators::Records::new(all), kept));
    }

    /// The fields a report reads of a dataset: the indicator engine's, and the report's own.
    pub(crate) fn fields(dataset: &Dataset) -> Vec<&'static str> {
        let mut f = indicators::fields_for(dataset);
        let own: &[&'static str] = if dataset.is_suicides() {
            &[
                "source",
                "ethnicity",
                "employment",
                "relationship_status",
                "living_alone",
                "circumstances",
                "service_contact",
                "support_offered",
                "support_consent",
            ]
        } else {
            &["source", "psychosocial_assessment"]
        };
        for name in own {
            if !f.contains(name) {
                f.push(name);
            }
        }
        f
    }

    /// The records kept for a dataset in a window (statutory only).
    pub(crate) fn records_in(&self, dataset: &Dataset, w: Window) -> Vec<&Record> {
        self.records
            .get(dataset.name)
            .map(|(all, kept)| {
                kept.iter()
                    .map(|i| &all.all()[*i])
                    .filter(|r| indicators::date_of(r).is_some_and(|d| w.holds(d)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// An indicator table for the audience and area.
    async fn table(
        &mut self,
        dataset: &'static Dataset,
        by: Vec<Dimension>,
        persons: bool,
    ) -> Result<&IndicatorTable, ReportError> {
        let key = (dataset.name, by.clone(), persons);
        if !self.tables.contains_key(&key) {
            let q = IndicatorQuery {
                dataset,
                by,
                area: self.area.clone(),
                audience: self.audience,
                measure: if persons {
                    Measure::Persons
                } else {
                    Measure::Presentations
                },
                rate: RateChoice::Published,
            };
            let none = indicators::Records::new(Vec::new());
            let all = self.records.get(dataset.name).map_or(&none, |(all, _)| all);
            let t =
                indicators::indicators_over(self.store, &q, all, indicators::WORK_BUDGET).await?;
            self.tables.insert(key.clone(), t);
        }
        self.tables
            .get(&key)
            .ok_or_else(|| ReportError::Invalid("an indicator table went missing".to_owned()))
    }

    /// How many records (or distinct people) in a window: `None` when withheld.
    pub(crate) async fn total(
        &mut self,
        dataset: &'static Dataset,
        w: Window,
        persons: bool,
    ) -> Result<Option<u64>, ReportError> {
        if self.statutory() {
            let rs = self.records_in(dataset, w);
            return Ok(Some(if persons {
                rs.iter()
                    .map(|r| r.text("person_key"))
                    .collect::<HashSet<_>>()
                    .len() as u64
            } else {
                rs.len() as u64
            }));
        }
        if self.ages.is_some() {
            return Ok(self.dist(dataset, "age_group", w).await?.count("10-24"));
        }
        let t = self.table(dataset, vec![Dimension::Year], persons).await?;
        Ok(sum_years(t, w, |_| true))
    }

    /// Counts by a field in a window, or `None` when the audience may not have them (fields
    /// outside the catalogue, and any breakdown of the deep dive's group).
    pub(crate) async fn dist(
        &mut self,
        dataset: &'static Dataset,
        field: &str,
        w: Window,
    ) -> Result<Dist, ReportError> {
        if self.statutory() {
            let rs = self.records_in(dataset, w);
            let mut counts: BTreeMap<(usize, String), u64> = BTreeMap::new();
            for r in &rs {
                for v in values_of(r, field) {
                    *counts.entry(order_of(dataset, field, &v)).or_default() += 1;
                }
            }
            // Every value of a code list or flag is listed, with its zero.
            let list = match dataset.field(field).map(|f| f.kind) {
                Some(FieldKind::Code(l) | FieldKind::Codes(l)) => codes::list(l)
                    .codes
                    .iter()
                    .map(|c| c.code.clone())
                    .collect(),
                Some(FieldKind::Bool) => vec!["yes".to_owned(), "no".to_owned()],
                _ if field == "age_group" => indicators::AGE_GROUPS
                    .iter()
                    .map(|(g, _)| (*g).to_owned())
                    .collect(),
                _ => Vec::new(),
            };
            for code in list {
                counts.entry(order_of(dataset, field, &code)).or_default();
            }
            return Ok(Dist {
                rows: counts
                    .into_iter()
                    .map(|((_, code), n)| {
                        let label = label_of(dataset, field, &code);
                        (code, label, Some(n))
                    })
                    .collect(),
                total: Some(rs.len() as u64),
                withheld: false,
            });
        }
        let dim = dimension_of(field)
            .ok_or_else(|| ReportError::Invalid(format!("{field} is in statutory reports only")))?;
        let t = self
            .table(dataset, vec![Dimension::Year, dim], false)
            .await?;
        let mut values: Vec<(usize, String)> = t
            .published()
            .filter(|r| w.holds_year(&r.dims[0].1))
            .map(|r| order_of(dataset, field, &r.dims[1].1))
            .collect();
        values.sort();
        values.dedup();
        let withheld = t
            .rows
            .iter()
            .any(|r| r.suppressed && w.holds_year(&r.dims[0].1));
        let rows = values
            .into_iter()
            .map(|(_, code)| {
                let n = sum_years(t, w, |r| r.dims[1].1 == code);
                let label = label_of(dataset, field, &code);
                (code, label, n)
            })
            .collect();
        let total = if self.ages.is_some() {
            None
        } else {
            let t = self.table(dataset, vec![Dimension::Year], false).await?;
            sum_years(t, w, |_| true)
        };
        Ok(Dist {
            rows,
            total,
            withheld,
        })
    }

    /// Whether the audience may have a breakdown by this field.
    pub(crate) fn may_break_down(&self, dataset: &'static Dataset, field: &str) -> bool {
        if self.statutory() {
            return true;
        }
        let Some(d) = dimension_of(field) else {
            return false;
        };
        // The engine's own rule for a table by year and this breakdown.
        let q = IndicatorQuery {
            dataset,
            by: vec![Dimension::Year, d],
            area: None,
            audience: self.audience,
            measure: Measure::Presentations,
            rate: RateChoice::Published,
        };
        self.ages.is_none() && q.refusal(None).is_none()
    }

    /// The published rates by period: the three-year age-standardised suicide rate, or the
    /// crude yearly self-harm rate (of presentations, or of people). Not for the deep dive:
    /// the engine's rates are for all ages.
    pub(crate) async fn rates(
        &mut self,
        dataset: &'static Dataset,
        persons: bool,
    ) -> Result<Vec<RatePoint>, ReportError> {
        let by = if dataset.is_suicides() {
            Dimension::Rolling3Year
        } else {
            Dimension::Year
        };
        let t = self.table(dataset, vec![by], persons).await?;
        Ok(t.published()
            .map(|r| RatePoint {
                period: r.dims[0].1.clone(),
                count: r.count,
                value: r.value,
                lower: r.lower,
                upper: r.upper,
                partial: r.partial,
            })
            .collect())
    }
}

/// One period of a rate's trend.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RatePoint {
    pub(crate) period: String,
    pub(crate) count: Option<u64>,
    pub(crate) value: Option<f64>,
    pub(crate) lower: Option<f64>,
    pub(crate) upper: Option<f64>,
    pub(crate) partial: bool,
}

/// The sum of the counts of a table's rows (first dimension a year) in the window's years that
/// `keep` accepts: `None` when any of them is withheld or none is published.
fn sum_years(
    t: &IndicatorTable,
    w: Window,
    keep: impl Fn(&indicators::IndicatorRow) -> bool,
) -> Option<u64> {
    let Window::Years(a, b) = w else {
        return None;
    };
    let mut sum = 0;
    for y in a..=b {
        let label = y.to_string();
        let rows: Vec<_> = t
            .rows
            .iter()
            .filter(|r| r.dims[0].1 == label && keep(r))
            .collect();
        if rows.is_empty() {
            // No records that year, or a year outside the register: a zero the engine did
            // not list only when the register has no records of that year at all.
            continue;
        }
        for r in rows {
            if r.suppressed {
                return None;
            }
            sum += r.count?;
        }
    }
    Some(sum)
}
