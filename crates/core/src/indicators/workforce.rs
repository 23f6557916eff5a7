//! Training and coverage figures (`dataset=training`, `dataset=coverage`): what the
//! partnership's organisations and their people have done, as indicators that plan measures,
//! dashboards, maps and reports use like any other.
//!
//! - **Training** counts delegates (or, with `measure=sessions`, sessions) by period, area,
//!   sector, type of organisation, course and competence framework (a course that builds two
//!   frameworks counts in each), with the mean evaluation scores of each row, weighted by the
//!   evaluations returned.
//! - **Coverage** is the share of organisations that hold a role
//!   (`measure=role:senior_mental_health_lead`), or have anyone trained in a course
//!   (`measure=course:orange_button`, or `course:any`) or towards a framework
//!   (`measure=framework:children_young_people`), at the end of each period. The organisations
//!   counted are those of the row's breakdown (type, sector, area), and a row's `denominator`
//!   says how many; `value` is the percentage with a 95% Wilson interval. A period that ends
//!   after the latest day the data knows of (a role taken up or ended, a session) is assessed
//!   on that day and marked `partial`. Without a period, the figures are for that day.
//!
//! - **Media** (`dataset=media`) is the share of media reports of suspected suicides that follow
//!   the Samaritans media guidelines (`measure=compliant`, the default), or that break one item
//!   (`measure=breach:method_detail`, ..., `breach:helpline` for no helpline information), by
//!   period, area and outlet, with the reports as the `denominator`.
//!
//! None counts anyone who died or harmed themselves, and no person is named: training and
//! coverage are published exactly to every audience, with no small-number rule. Media reports
//! are public already, but each is about a death: the public get them by year and outlet only,
//! never by area or month, so that a count of reports cannot date or place a death; partners
//! and the statutory core get every breakdown.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::{
    Audience, Context, Dimension, IndicatorError, IndicatorQuery, IndicatorRow, IndicatorTable,
    MAX_DIMENSIONS, MAX_ROWS, Measure, RateChoice, combinations, period_end,
};
use crate::Store;
use crate::workforce::{
    COURSES, FRAMEWORKS, NOT_RECORDED, Organisation, ROLES, Training, frameworks_of,
};

/// The training dataset's name.
pub const TRAINING: &str = "training";
/// The coverage dataset's name.
pub const COVERAGE: &str = "coverage";
/// The media monitoring dataset's name.
pub const MEDIA: &str = "media";

/// What a media figure counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaMeasure {
    /// Reports following every item of the guidelines.
    Compliant,
    /// Reports breaking one item (a column of [`crate::media::CHECKLIST`]; `helpline`: none
    /// given).
    Breach(&'static str),
}

impl MediaMeasure {
    /// Read `compliant` or `breach:ITEM`.
    ///
    /// # Errors
    /// A message naming the choices.
    pub fn parse(s: &str) -> Result<Self, String> {
        let items = crate::media::CHECKLIST.map(|c| c.0);
        match s.trim().split_once(':') {
            None if s.trim() == "compliant" => Ok(Self::Compliant),
            Some(("breach", item)) => items
                .iter()
                .find(|i| **i == item.trim())
                .map(|i| Self::Breach(i))
                .ok_or_else(|| {
                    format!(
                        "'{}' is not one of {}",
                        crate::text::printable(item, 40),
                        items.join("|")
                    )
                }),
            _ => Err(format!(
                "measure '{}' is not compliant or breach:{}",
                crate::text::printable(s, 40),
                items.join("|breach:")
            )),
        }
    }

    /// `compliant` or `breach:ITEM`.
    pub fn name(self) -> String {
        match self {
            Self::Compliant => "compliant".to_owned(),
            Self::Breach(item) => format!("breach:{item}"),
        }
    }

    /// Words for it.
    pub fn label(self) -> String {
        match self {
            Self::Compliant => {
                "that follow every item of the Samaritans media guidelines".to_owned()
            }
            Self::Breach("helpline") => "that give no information on where to get help".to_owned(),
            Self::Breach(item) => format!(
                "where this was so: {}",
                crate::media::CHECKLIST
                    .iter()
                    .find(|c| c.0 == item)
                    .map_or(item, |c| c.1)
                    .to_lowercase()
            ),
        }
    }
}

/// What an organisation must have to count in a coverage figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Holding {
    /// It holds the role (a code of the role list) on the day.
    Role(&'static str),
    /// Someone from it was trained in the course by the day.
    Course(&'static str),
    /// Someone from it was trained by the day in a course that builds the framework.
    Framework(&'static str),
    /// Someone from it was trained by the day in any course (`course:any`).
    AnyCourse,
}

impl Holding {
    /// Read `role:CODE`, `course:CODE` or `framework:CODE` (a code, label or other word of its
    /// list).
    ///
    /// # Errors
    /// A message naming the choices.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (kind, word) = s.split_once(':').ok_or_else(|| {
            format!(
                "coverage needs measure=role:CODE, course:CODE or framework:CODE, not '{}'",
                crate::text::printable(s, 60)
            )
        })?;
        let find = |list: &str| {
            let l = crate::codes::list(list);
            crate::import::columns::code_or_word(l, word).ok_or_else(|| {
                format!(
                    "'{}' is not one of {}",
                    crate::text::printable(word, 60),
                    l.choices()
                )
            })
        };
        match kind.trim() {
            "role" => find(ROLES).map(Self::Role),
            "course" if word.trim().eq_ignore_ascii_case("any") => Ok(Self::AnyCourse),
            "course" => find(COURSES).map(Self::Course),
            "framework" => find(FRAMEWORKS).map(Self::Framework),
            other => Err(format!(
                "'{}' is not one of role|course|framework",
                crate::text::printable(other, 30)
            )),
        }
    }

    /// `role:CODE`, `course:CODE` or `framework:CODE`.
    pub fn name(self) -> String {
        match self {
            Self::Role(c) => format!("role:{c}"),
            Self::Course(c) => format!("course:{c}"),
            Self::Framework(c) => format!("framework:{c}"),
            Self::AnyCourse => "course:any".to_owned(),
        }
    }

    /// Words for it ("holding the role Senior mental health lead").
    pub fn label(self) -> String {
        match self {
            Self::Role(c) => format!("holding the role {}", crate::codes::list(ROLES).label(c)),
            Self::Course(c) => format!(
                "with someone trained in {}",
                crate::codes::list(COURSES).label(c)
            ),
            Self::Framework(c) => format!(
                "with someone trained towards the framework {}",
                crate::codes::list(FRAMEWORKS).label(c)
            ),
            Self::AnyCourse => "with someone trained in any course".to_owned(),
        }
    }
}

/// The figures a training or coverage row adds to an indicator row.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct WorkforceFigures {
    /// Coverage: the organisations of the row's breakdown (the share's denominator).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denominator: Option<u64>,
    /// Training: the evaluations returned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluations: Option<u64>,
    /// Training: the mean confidence before, 0 to 10.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence_before: Option<f64>,
    /// Training: the mean confidence after, 0 to 10.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence_after: Option<f64>,
    /// Training: the mean satisfaction, 1 to 5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub satisfaction: Option<f64>,
}

/// The query of `dataset=training` or `dataset=coverage`; `None` for other datasets.
pub(super) fn query(
    name: &str,
    by: Option<&str>,
    area: Option<&str>,
    audience: Option<&str>,
    measure: Option<&str>,
) -> Option<Result<IndicatorQuery, String>> {
    if ![TRAINING, COVERAGE, MEDIA].contains(&name) {
        return None;
    }
    Some((|| {
        let measure = match (name, measure.filter(|m| !m.is_empty())) {
            (TRAINING, None | Some("delegates")) => Measure::Delegates,
            (TRAINING, Some("sessions")) => Measure::Sessions,
            (TRAINING, Some(other)) => {
                return Err(format!(
                    "measure '{}' is not one of delegates|sessions",
                    crate::text::printable(other, 40)
                ));
            }
            (MEDIA, m) => Measure::Media(MediaMeasure::parse(m.unwrap_or("compliant"))?),
            (_, None) => {
                return Err(
                    "coverage needs measure=role:CODE, course:CODE or framework:CODE (for example role:senior_mental_health_lead)"
                        .to_owned(),
                );
            }
            (_, Some(m)) => Measure::Holding(Holding::parse(m)?),
        };
        let by = by
            .unwrap_or("year")
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(Dimension::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(d) = by.iter().find(|d| !applies(**d, name)) {
            return Err(format!(
                "{name} cannot be broken down by {}: it takes a period (month, quarter, year, financial_year, financial_quarter), an area level{}",
                d.name(),
                match name {
                    TRAINING => ", sector, organisation_type, course and framework",
                    COVERAGE => ", sector and organisation_type",
                    _ => " and outlet",
                }
            ));
        }
        let audience = Audience::parse(audience.unwrap_or("partner"))?;
        if name == MEDIA && audience.is_protected() {
            if let Some(d) = by.iter().find(|d| {
                matches!(d, Dimension::Area(_)) || (d.is_period() && **d != Dimension::Year)
            }) {
                return Err(format!(
                    "the {} audience gets media figures by year and outlet, not by {}: each report is about a death, and a count by place or month could date or place it beside the register's protected figures",
                    audience.disclosure(),
                    d.name()
                ));
            }
            if area.is_some_and(|a| !a.is_empty()) {
                return Err(format!(
                    "the {} audience gets media figures for the whole partnership, not one area",
                    audience.disclosure()
                ));
            }
        }
        Ok(IndicatorQuery {
            // Not read: the measure says what is counted (see `IndicatorQuery::dataset_name`).
            dataset: &crate::register::SUICIDES,
            by,
            area: area.filter(|a| !a.is_empty()).map(str::to_owned),
            audience,
            measure,
            rate: RateChoice::Published,
        })
    })())
}

fn applies(d: Dimension, dataset: &str) -> bool {
    match d {
        Dimension::Month
        | Dimension::Quarter
        | Dimension::Year
        | Dimension::FinancialYear
        | Dimension::FinancialQuarter
        | Dimension::Area(_) => true,
        Dimension::Sector | Dimension::OrgType => dataset != MEDIA,
        Dimension::Course | Dimension::Framework => dataset == TRAINING,
        Dimension::Outlet => dataset == MEDIA,
        _ => false,
    }
}

/// The dataset a measure belongs to, when it is a workforce one.
pub(super) fn dataset_name(m: Measure) -> Option<&'static str> {
    match m {
        Measure::Delegates | Measure::Sessions => Some(TRAINING),
        Measure::Holding(_) => Some(COVERAGE),
        Measure::Media(_) => Some(MEDIA),
        _ => None,
    }
}

/// What a training or coverage query counts, in words.
pub(super) fn definition(q: &IndicatorQuery) -> Option<String> {
    Some(match q.measure {
        Measure::Delegates | Measure::Sessions => format!(
            "{} of self-harm and suicide prevention training by the day of the session (e-learning: \
             completions), by the delegates' organisation's sector and type and the session's area; \
             by framework, a course counts once in each national competence framework it builds. \
             Evaluation scores are means over the evaluations returned. Counts of training describe \
             no one who died or harmed themselves and are published exactly.",
            if q.measure == Measure::Sessions {
                "Sessions"
            } else {
                "Delegates"
            }
        ),
        Measure::Holding(h) => format!(
            "The percentage of organisations (of each row's type, sector and area) {} at the end of \
             each period, with a 95% Wilson interval; a period ending after the latest day the data \
             knows of is assessed on that day (partial). Counts of organisations describe no one \
             who died or harmed themselves and are published exactly.",
            h.label()
        ),
        Measure::Media(m) => format!(
            "The percentage of media reports of suspected suicides {}, by the day each was \
             published, with a 95% Wilson interval; the denominator is the reports of the row. \
             For partners and the public, by year and outlet only.",
            m.label()
        ),
        _ => return None,
    })
}

/// Organisations and training read for one table.
struct Data {
    orgs: Vec<Organisation>,
    training: Vec<Training>,
    media: Vec<crate::media::MediaReport>,
}

impl Data {
    /// The first and last days the data knows of: roles taken up and ended (not after the
    /// latest other day) and sessions.
    fn days(&self) -> Option<(NaiveDate, NaiveDate)> {
        if !self.media.is_empty() {
            let days = self.media.iter().map(|r| r.published);
            return Some((days.clone().min()?, days.max()?));
        }
        let mut known: Vec<NaiveDate> = self.training.iter().map(|t| t.date).collect();
        known.extend(
            self.orgs
                .iter()
                .flat_map(|o| o.roles.iter().map(|r| r.from)),
        );
        let last = known.iter().copied().max()?;
        known.extend(
            self.orgs
                .iter()
                .flat_map(|o| o.roles.iter().filter_map(|r| r.to))
                .filter(|t| *t <= last),
        );
        Some((known.iter().copied().min()?, known.iter().copied().max()?))
    }
}

/// Each period label of `d` from `first` to `last`.
fn periods(ctx: &Context, d: Dimension, first: NaiveDate, last: NaiveDate) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut m = first.with_day(1).unwrap_or(first);
    while m <= last {
        out.extend(ctx.values_on(d, m));
        match m.checked_add_months(chrono::Months::new(1)) {
            Some(next) => m = next,
            None => break,
        }
    }
    out
}

/// One cell of a table being counted.
#[derive(Default)]
struct Acc {
    count: u64,
    denominator: u64,
    sessions: HashSet<String>,
    evaluations: u64,
    /// Sums of each mean times its evaluations, and the evaluations behind each.
    sums: [(f64, u64); 3],
}

/// Make a training or coverage table.
///
/// # Errors
/// A dimension named twice or too many, more than one period, an unknown area, a table of more
/// than [`MAX_ROWS`] rows, or a store failure.
pub(super) async fn table(
    store: &dyn Store,
    q: &IndicatorQuery,
) -> Result<IndicatorTable, IndicatorError> {
    let invalid = |m: String| Err(IndicatorError::Invalid(m));
    if let Some(d) =
        q.by.iter()
            .enumerate()
            .find_map(|(i, d)| q.by[..i].contains(d).then_some(d))
    {
        return invalid(format!("by names {} more than once", d.name()));
    }
    if q.by.len() > MAX_DIMENSIONS {
        return Err(IndicatorError::Refused(format!(
            "by names {} dimensions; at most {MAX_DIMENSIONS} may be combined",
            q.by.len()
        )));
    }
    if q.by.iter().filter(|d| d.is_period()).count() > 1 {
        return invalid("give at most one period".to_owned());
    }
    let areas = store.areas(None).await?;
    if let Some(a) = &q.area
        && !areas.iter().any(|x| &x.code == a)
    {
        return invalid(format!("area {a} is not known"));
    }
    let data = if let Measure::Media(_) = q.measure {
        Data {
            orgs: Vec::new(),
            training: Vec::new(),
            media: store.media_reports().await?,
        }
    } else {
        Data {
            orgs: store.organisations().await?,
            training: store.training().await?,
            media: Vec::new(),
        }
    };
    let days = data.days();
    let ctx = Context::new(
        &areas,
        days.map_or((0, 0), |(f, l)| (f.year(), l.year())),
        false,
    );
    let in_area = |code: Option<&str>| {
        q.area
            .as_deref()
            .is_none_or(|f| code.is_some_and(|c| ctx.within(c, f)))
    };
    let area_value = |code: Option<&str>, level| {
        code.and_then(|c| ctx.ancestor(c, level))
            .unwrap_or_else(|| "unknown".to_owned())
    };
    let by_ref: HashMap<&str, &Organisation> = data
        .orgs
        .iter()
        .map(|o| (o.reference.as_str(), o))
        .collect();
    let period = q.by.iter().copied().find(|d| d.is_period());
    let mut cells: BTreeMap<Vec<String>, Acc> = BTreeMap::new();
    match q.measure {
        Measure::Holding(holding) => {
            let assessed = assessed_on(&ctx, period, days);
            // Each organisation's own training, read once.
            let mut own: HashMap<&str, Vec<&Training>> = HashMap::new();
            for t in &data.training {
                if let Some(r) = t.organisation.as_deref() {
                    own.entry(r).or_default().push(t);
                }
            }
            for o in data.orgs.iter().filter(|o| in_area(o.area.as_deref())) {
                let trained = own.get(o.reference.as_str()).map_or(&[][..], Vec::as_slice);
                for (label, day) in &assessed {
                    let key: Vec<String> =
                        q.by.iter()
                            .map(|d| match d {
                                Dimension::Area(level) => area_value(o.area.as_deref(), *level),
                                Dimension::Sector => o.sector.clone(),
                                Dimension::OrgType => o.org_type.clone(),
                                _ => label.clone().unwrap_or_default(),
                            })
                            .collect();
                    let cell = cells.entry(key).or_default();
                    cell.denominator += 1;
                    if meets(o, holding, *day, trained) {
                        cell.count += 1;
                    }
                }
            }
        }
        Measure::Media(m) => {
            for r in data.media.iter().filter(|r| in_area(r.area.as_deref())) {
                let values: Vec<Vec<String>> =
                    q.by.iter()
                        .map(|d| match d {
                            Dimension::Area(level) => vec![area_value(r.area.as_deref(), *level)],
                            Dimension::Outlet => vec![r.outlet.clone()],
                            d => ctx.values_on(*d, r.published),
                        })
                        .collect();
                let meets = match m {
                    MediaMeasure::Compliant => r.compliant(),
                    MediaMeasure::Breach(item) => r.breaches().contains(&item),
                };
                for key in combinations(&values) {
                    let cell = cells.entry(key).or_default();
                    cell.denominator += 1;
                    cell.count += u64::from(meets);
                }
            }
        }
        _ => {
            for t in data.training.iter() {
                let org = t.organisation.as_deref().and_then(|r| by_ref.get(r));
                let area = t.area.as_deref().or(org.and_then(|o| o.area.as_deref()));
                if !in_area(area) {
                    continue;
                }
                let values: Vec<Vec<String>> = q
                    .by
                    .iter()
                    .map(|d| match d {
                        Dimension::Area(level) => vec![area_value(area, *level)],
                        Dimension::Sector => {
                            vec![t.sector.clone().unwrap_or_else(|| NOT_RECORDED.to_owned())]
                        }
                        Dimension::OrgType => vec![
                            org.map_or_else(|| NOT_RECORDED.to_owned(), |o| o.org_type.clone()),
                        ],
                        Dimension::Course => vec![t.course.clone()],
                        Dimension::Framework => frameworks_of(&t.course)
                            .into_iter()
                            .map(str::to_owned)
                            .collect(),
                        d => ctx.values_on(*d, t.date),
                    })
                    .collect();
                for key in combinations(&values) {
                    let cell = cells.entry(key).or_default();
                    cell.count += u64::from(t.delegates);
                    cell.sessions.insert(t.reference.clone());
                    let e = u64::from(t.evaluations.unwrap_or(0));
                    cell.evaluations += e;
                    for (i, mean) in [t.confidence_before, t.confidence_after, t.satisfaction]
                        .into_iter()
                        .enumerate()
                    {
                        if let Some(m) = mean {
                            cell.sums[i].0 += m * e as f64;
                            cell.sums[i].1 += e;
                        }
                    }
                }
            }
        }
    }
    // Rows with nothing in them: every period, every area of a level, every value seen.
    if let Some((first, last)) = days {
        let mut domains: Vec<Vec<String>> = Vec::with_capacity(q.by.len());
        for (i, d) in q.by.iter().enumerate() {
            let mut domain: BTreeSet<String> = cells.keys().map(|k| k[i].clone()).collect();
            match d {
                Dimension::Area(level) => domain.extend(
                    areas
                        .iter()
                        .filter(|a| a.level == *level)
                        .filter(|a| q.area.as_deref().is_none_or(|f| ctx.within(&a.code, f)))
                        .map(|a| a.code.clone()),
                ),
                d if d.is_period() => domain.extend(periods(&ctx, *d, first, last)),
                _ => {}
            }
            domains.push(domain.into_iter().collect());
        }
        let size = domains
            .iter()
            .try_fold(1_usize, |n, d| n.checked_mul(d.len()));
        if size.is_none_or(|n| n > MAX_ROWS) {
            return Err(IndicatorError::Refused(format!(
                "this breakdown is more than {MAX_ROWS} rows: name fewer dimensions or one area"
            )));
        }
        // Coverage needs each empty cell's denominator too: an empty period of a type with
        // organisations still has them (all are counted in every period), so only cells with no
        // organisation at all are added, as 0 of 0.
        for key in combinations(&domains) {
            cells.entry(key).or_default();
        }
    }
    let as_of = days.map(|d| d.1);
    let rows = cells
        .into_iter()
        .map(|(key, acc)| row(q, period, as_of, key, &acc))
        .collect();
    let mut table = empty(q, as_of);
    table.rows = rows;
    table.names = areas
        .iter()
        .filter(|a| {
            table
                .rows
                .iter()
                .any(|r| r.dims.iter().any(|d| d.1 == a.code))
        })
        .map(|a| (a.code.clone(), a.name.clone()))
        .collect();
    Ok(table)
}

fn empty(q: &IndicatorQuery, as_of: Option<NaiveDate>) -> IndicatorTable {
    IndicatorTable {
        rows: Vec::new(),
        disclosure: q.audience.disclosure(),
        zero_rows: true,
        names: BTreeMap::new(),
        last_record: as_of,
    }
}

/// The periods of a coverage table and the day each is assessed on: its last day, or the latest
/// day the data knows of for a part period. With no day known at all (a list of organisations
/// with no roles and no training yet) there are no periods, and the figures without one are of
/// the list as it stands.
fn assessed_on(
    ctx: &Context,
    period: Option<Dimension>,
    days: Option<(NaiveDate, NaiveDate)>,
) -> Vec<(Option<String>, NaiveDate)> {
    match (period, days) {
        (Some(d), Some((first, as_of))) => periods(ctx, d, first, as_of)
            .into_iter()
            .map(|label| {
                let end = period_end(d, &label).unwrap_or(as_of).min(as_of);
                (Some(label), end)
            })
            .collect(),
        (Some(_), None) => Vec::new(),
        (None, _) => vec![(None, days.map_or(NaiveDate::MAX, |d| d.1))],
    }
}

/// Whether an organisation has what a coverage figure counts on `day`; `training` is its own.
fn meets(o: &Organisation, holding: Holding, day: NaiveDate, training: &[&Training]) -> bool {
    let trained = |course_fits: &dyn Fn(&str) -> bool| {
        training
            .iter()
            .any(|t| t.date <= day && t.delegates > 0 && course_fits(&t.course))
    };
    match holding {
        Holding::Role(r) => o.holds(r, day),
        Holding::Course(c) => trained(&|course| course == c),
        Holding::Framework(f) => trained(&|course| frameworks_of(course).contains(&f)),
        Holding::AnyCourse => trained(&|_| true),
    }
}

fn row(
    q: &IndicatorQuery,
    period: Option<Dimension>,
    as_of: Option<NaiveDate>,
    key: Vec<String>,
    acc: &Acc,
) -> IndicatorRow {
    let partial = match (period, as_of) {
        (Some(d), Some(day)) => {
            q.by.iter()
                .position(|x| *x == d)
                .and_then(|i| period_end(d, &key[i]))
                .is_some_and(|end| end > day)
        }
        _ => false,
    };
    let dims = q.by.iter().map(|d| d.name()).zip(key).collect();
    let mut r = IndicatorRow {
        dims,
        count: Some(acc.count),
        value: None,
        lower: None,
        upper: None,
        suppressed: false,
        statistic: None,
        partial,
        median_days: None,
        workforce: None,
    };
    if let Measure::Holding(_) | Measure::Media(_) = q.measure {
        r.statistic = Some(if let Measure::Media(_) = q.measure {
            "percentage of the reports"
        } else {
            "percentage of organisations"
        });
        let n = acc.denominator;
        if n > 0 {
            r.value = Some(100.0 * acc.count as f64 / n as f64);
            if let Ok(Some(i)) =
                lantern_stats::wilson_proportion(acc.count as f64, n as f64, 100.0, 0.95)
            {
                (r.lower, r.upper) = (Some(i.lower), Some(i.upper));
            }
        }
        r.workforce = Some(WorkforceFigures {
            denominator: Some(n),
            ..WorkforceFigures::default()
        });
    } else {
        if q.measure == Measure::Sessions {
            r.count = Some(acc.sessions.len() as u64);
        }
        let mean = |(sum, n): (f64, u64)| (n > 0).then(|| sum / n as f64);
        r.workforce = Some(WorkforceFigures {
            denominator: None,
            evaluations: Some(acc.evaluations),
            confidence_before: mean(acc.sums[0]),
            confidence_after: mean(acc.sums[1]),
            satisfaction: mean(acc.sums[2]),
        });
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("a day")
    }

    #[test]
    fn each_period_is_assessed_on_its_last_day_or_the_latest_day_known() {
        let ctx = Context::new(&[], (2023, 2025), false);
        let got = assessed_on(
            &ctx,
            Some(Dimension::Year),
            Some((day(2023, 5, 1), day(2025, 6, 30))),
        );
        assert_eq!(
            got,
            [
                (Some("2023".to_owned()), day(2023, 12, 31)),
                (Some("2024".to_owned()), day(2024, 12, 31)),
                (Some("2025".to_owned()), day(2025, 6, 30)),
            ]
        );
        let quarters = assessed_on(
            &ctx,
            Some(Dimension::FinancialYear),
            Some((day(2024, 1, 10), day(2024, 4, 2))),
        );
        assert_eq!(
            quarters,
            [
                (Some("2023/24".to_owned()), day(2024, 3, 31)),
                (Some("2024/25".to_owned()), day(2024, 4, 2)),
            ]
        );
    }

    #[test]
    fn a_media_measure_echoes_a_word_it_cannot_read_printably() {
        let e = MediaMeasure::parse("breach:photo\u{0}\u{1b}[31m").expect_err("refused");
        assert!(!e.chars().any(char::is_control), "{e:?}");
        assert_eq!(
            MediaMeasure::parse("breach:photo"),
            Ok(MediaMeasure::Breach("photo"))
        );
    }

    #[test]
    fn a_list_with_no_days_has_no_periods_and_its_organisations_hold_nothing() {
        let ctx = Context::new(&[], (0, 0), false);
        assert!(assessed_on(&ctx, Some(Dimension::Year), None).is_empty());
        let now = assessed_on(&ctx, None, None);
        assert_eq!(now.len(), 1);
        let school = Organisation {
            reference: "S1".to_owned(),
            name: "School".to_owned(),
            sector: "education".to_owned(),
            org_type: "school".to_owned(),
            area: None,
            size: None,
            roles: Vec::new(),
        };
        for h in [
            Holding::Role("senior_mental_health_lead"),
            Holding::AnyCourse,
            Holding::Framework("public"),
        ] {
            assert!(!meets(&school, h, now[0].1, &[]), "{h:?}");
        }
        let row = row(
            &IndicatorQuery::from_params(
                Some(COVERAGE),
                Some("organisation_type"),
                None,
                None,
                Some("role:smhl"),
            )
            .expect("a query"),
            None,
            None,
            vec!["school".to_owned()],
            &Acc {
                denominator: 3,
                ..Acc::default()
            },
        );
        assert_eq!((row.count, row.value), (Some(0), Some(0.0)));
        assert_eq!(row.workforce.and_then(|w| w.denominator), Some(3));
    }
}
