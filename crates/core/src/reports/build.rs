//! Building a report: read what it needs once, fingerprint it, then write each section from
//! the figures its audience may have.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use sha2::{Digest, Sha256};

use super::figures::{Dist, Figures, RatePoint, Window};
use super::narrative::{self, WITHHELD, change, count, percent};
use super::{Cell, Kind, Report, ReportError, Request, Section, Snapshot, Table};
use crate::Store;
use crate::indicators::Audience;
use crate::plans::{Rag, StoredPlan};
use crate::register::{Dataset, SELF_HARM, SUICIDES};
use crate::signals::Signal;
use crate::text::capitalise;

/// The most years a yearly table goes back.
const YEARS_SHOWN: i32 = 10;

/// Build a report.
///
/// # Errors
/// An unknown area or plan, a request the audience may not make (a small area, other ages),
/// or a store failure.
pub async fn build(store: &dyn Store, req: &Request) -> Result<Report, ReportError> {
    let started = std::time::Instant::now();
    let areas = store.areas(None).await?;
    let area_name = match &req.area {
        Some(code) => {
            let a = areas
                .iter()
                .find(|a| &a.code == code)
                .ok_or_else(|| ReportError::Invalid(format!("area {code} is not known")))?;
            if req.audience.is_protected()
                && matches!(
                    a.level,
                    crate::area::AreaLevel::Lsoa | crate::area::AreaLevel::Msoa
                )
            {
                return Err(ReportError::Invalid(format!(
                    "{code} is a small area ({}): reports for the {} audience are for a local authority or larger",
                    a.level.as_str(),
                    req.audience.disclosure()
                )));
            }
            a.name.clone()
        }
        None => "all areas".to_owned(),
    };
    if req.kind == Kind::Plan && req.plan.is_none() {
        return Err(ReportError::Invalid(
            "a plan report needs --plan ID (see `lantern plans list`)".to_owned(),
        ));
    }
    let parent: HashMap<&str, &str> = areas
        .iter()
        .filter_map(|a| Some((a.code.as_str(), a.parent_code.as_deref()?)))
        .collect();
    let within = |code: &str| -> bool {
        let Some(target) = req.area.as_deref() else {
            return true;
        };
        let mut c = code;
        for _ in 0..16 {
            if c == target {
                return true;
            }
            match parent.get(c) {
                Some(p) => c = p,
                None => return false,
            }
        }
        false
    };

    let mut hash = Sha256::new();
    hash.update(format!("lantern report v1\n{}\n", req.kind.as_str()));
    for a in &areas {
        hash.update(format!(
            "area,{},{},{},{}\n",
            a.code,
            a.name,
            a.level.as_str(),
            a.parent_code.as_deref().unwrap_or("")
        ));
    }
    let ages = (req.kind == Kind::CypAudit).then_some(req.ages);
    let mut figures = Figures::new(store, req.audience, req.area.clone(), ages)?;
    let mut last_record: Option<NaiveDate> = None;
    let datasets: &[&'static Dataset] = match req.kind {
        Kind::Audit | Kind::CypAudit => &[&SUICIDES],
        Kind::SelfHarm => &[&SELF_HARM],
        Kind::Quarterly => &[&SUICIDES, &SELF_HARM],
        Kind::Plan => &[],
    };
    let mut sources: Vec<(&'static str, String, NaiveDate)> = Vec::new();
    for ds in datasets {
        // One read of the fields the report needs; the hash covers exactly what was read.
        let fields = Figures::fields(ds);
        let records = store.export_fields(ds, &fields).await?;
        hash.update(format!("{} {}\n", ds.name, fields.join(",")));
        let at: Vec<Option<usize>> = fields.iter().map(|f| ds.index(f)).collect();
        let mut line: Vec<u8> = Vec::new();
        let mut by_source: BTreeMap<String, NaiveDate> = BTreeMap::new();
        for r in &records {
            line.clear();
            for i in &at {
                if let Some(v) = i.and_then(|i| r.values[i].as_ref()) {
                    value_bytes(v, &mut line);
                }
                line.push(0x1f);
            }
            line.push(b'\n');
            hash.update(&line);
            if let Some(d) = crate::indicators::date_of(r) {
                last_record = last_record.max(Some(d));
                let e = by_source.entry(r.text("source")).or_insert(d);
                *e = (*e).max(d);
            }
        }
        sources.extend(by_source.into_iter().map(|(s, d)| (ds.name, s, d)));
        figures.keep(ds, records, &within);
        tracing::info!(
            dataset = ds.name,
            ms = started.elapsed().as_millis() as u64,
            "report: records read"
        );
    }
    let populations = store.all_populations().await?;
    hash.update(format!("populations {}\n", populations.len()));
    for p in &populations {
        hash.update(format!("{p:?}\n"));
    }
    let benchmarks = store
        .benchmarks(Some(crate::indicators::areas::SUICIDE_RATE_INDICATOR))
        .await?;
    for b in &benchmarks {
        hash.update(format!("{b:?}\n"));
    }
    // The support directory, for the quarterly report's list of entries to check.
    let services = if req.kind == Kind::Quarterly {
        store.services().await?
    } else {
        Vec::new()
    };
    for s in &services {
        hash.update(format!("{s:?}\n"));
    }
    let mut plans: Vec<StoredPlan> = Vec::new();
    let mut updates = Vec::new();
    for p in store.plans().await? {
        if req.plan.is_some_and(|id| id != p.id) {
            continue;
        }
        let plan = store.plan(p.id).await?;
        hash.update(serde_json::to_vec(&plan.plan).unwrap_or_default());
        let u = store.plan_updates(p.id).await?;
        for x in &u {
            hash.update(format!("{x:?}\n"));
        }
        updates.push((p.id, u));
        plans.push(plan);
    }
    if let Some(id) = req.plan
        && plans.is_empty()
    {
        return Err(ReportError::Invalid(format!(
            "there is no plan {id} (see `lantern plans list`)"
        )));
    }
    let signals: Vec<Signal> = store
        .signals()
        .await?
        .into_iter()
        .filter(|s| {
            s.found
                .area_code
                .as_deref()
                .is_none_or(|c| req.area.is_none() || within(c))
        })
        .collect();
    for s in &signals {
        hash.update(format!(
            "signal,{},{},{}\n",
            s.found.key,
            s.status.as_str(),
            s.updated_at.to_rfc3339()
        ));
    }
    let snapshot = Snapshot {
        last_record,
        hash: format!("{:x}", hash.finalize()),
    };

    let mut b = Builder {
        req,
        last_record,
        figures,
        window: Window::of(&req.period, req.audience),
        notes: Vec::new(),
        sections: Vec::new(),
        first_year: None,
        benchmarks: benchmarks
            .iter()
            .filter(|b| b.area_code == crate::benchmarks::ENGLAND)
            .filter(|b| b.sex.eq_ignore_ascii_case("persons"))
            .filter_map(|b| {
                Some((
                    crate::indicators::areas::lantern_period(&b.period)?,
                    b.value?,
                ))
            })
            .collect(),
    };
    b.first_year = b
        .figures
        .first_year(datasets.first().copied().unwrap_or(&SUICIDES));
    if req.audience.is_protected() && b.window != Window::of(&req.period, Audience::Statutory) {
        b.notes.push(format!(
            "Figures for the {} audience are for whole calendar years ({}), the finest period the disclosure rule allows: a count for part of a year beside the year's count would let a withheld count be worked out.",
            req.audience.disclosure(),
            b.window.describe()
        ));
    }
    let today = req.period.end();
    match req.kind {
        Kind::Audit | Kind::CypAudit => b.audit().await?,
        Kind::SelfHarm => b.self_harm().await?,
        Kind::Quarterly => {
            b.quarterly(&plans, &updates, &signals, &sources, today)
                .await?;
            b.support_directory(&services, today);
        }
        Kind::Plan => b.plan_progress(&plans, &updates, today),
    }
    if matches!(req.kind, Kind::Audit | Kind::CypAudit) {
        b.signals_section(&signals, &SUICIDES);
        b.actions_section(&plans, &SUICIDES);
    }
    tracing::info!(ms = started.elapsed().as_millis() as u64, "report: built");
    let title = match req.kind {
        Kind::CypAudit => format!("{}, ages {}-{}", req.kind.title(), req.ages.0, req.ages.1),
        k => k.title().to_owned(),
    };
    Ok(Report {
        request: req.clone(),
        title,
        area_name,
        disclosure: disclosure_words(req.audience),
        snapshot,
        notes: b.notes,
        sections: b.sections,
    })
}

/// A value's bytes for the snapshot hash: a tag, then the value in a fixed binary form (no
/// text formatting: a million records are hashed in well under a second).
fn value_bytes(v: &crate::register::Value, out: &mut Vec<u8>) {
    use crate::register::Value;
    match v {
        Value::Text(s) | Value::Code(s) => {
            out.push(b't');
            out.extend(s.as_bytes());
        }
        Value::Int(n) => {
            out.push(b'i');
            out.extend(n.to_le_bytes());
        }
        Value::Float(x) => {
            out.push(b'f');
            out.extend(x.to_le_bytes());
        }
        Value::Date(d) => {
            out.push(b'd');
            out.extend(d.num_days_from_ce().to_le_bytes());
        }
        Value::DateTime(t) => {
            out.push(b'm');
            out.extend(t.timestamp_micros().to_le_bytes());
        }
        Value::Bool(b) => out.extend([b'b', u8::from(*b)]),
        Value::Codes(cs) => {
            out.push(b'c');
            for c in cs {
                out.extend(c.as_bytes());
                out.push(0x1e);
            }
        }
    }
}

/// The disclosure rule in words.
fn disclosure_words(a: Audience) -> String {
    match a {
        Audience::Statutory => "statutory: full detail, for the statutory core of the partnership only; not for onward sharing".to_owned(),
        Audience::Partner => format!(
            "{}: counts from 1 to 4 withheld, with secondary suppression across every table partners can see; whole calendar years; no area below a local authority; no method by small area",
            Audience::Partner.disclosure()
        ),
        Audience::Public => "public: the partner rule, and the Samaritans media guidelines (no method detail in the text, no places of death, no locations of concern, no clusters)".to_owned(),
    }
}

struct Builder<'a, 'b> {
    req: &'b Request,
    figures: Figures<'a>,
    window: Window,
    notes: Vec<String>,
    sections: Vec<Section>,
    first_year: Option<i32>,
    /// England's published three-year suicide rate by period (`2021-2023`).
    benchmarks: BTreeMap<String, f64>,
    /// The day of the latest record read: windows ending after it are part windows.
    last_record: Option<NaiveDate>,
}

impl Figures<'_> {
    /// The year of the earliest record kept.
    fn first_year(&self, dataset: &Dataset) -> Option<i32> {
        self.records_in(dataset, Window::Years(1900, 2999))
            .iter()
            .filter_map(|r| crate::indicators::date_of(r))
            .map(|d| d.year())
            .min()
    }
}

/// A count cell, or words when withheld.
fn count_cell(n: Option<u64>) -> Cell {
    n.map_or_else(|| Cell::Text("withheld".to_owned()), Cell::Count)
}

fn decimal(x: Option<f64>) -> Cell {
    x.map_or(Cell::Empty, Cell::Decimal)
}

/// A rate table's row: the period (marked when it is part of one), the count, the rate and
/// its interval.
fn rate_row(p: &RatePoint) -> Vec<Cell> {
    vec![
        Cell::Text(format!(
            "{}{}",
            p.period,
            if p.partial { " (part)" } else { "" }
        )),
        count_cell(p.count),
        decimal(p.value),
        decimal(p.lower),
        decimal(p.upper),
    ]
}

impl Builder<'_, '_> {
    fn statutory(&self) -> bool {
        !self.req.audience.is_protected()
    }

    /// " (part: records to July 2026)" for a window that ends after the last record.
    fn part(&self, w: Window) -> String {
        let end = match w {
            Window::Months(_, b) => Some(b),
            Window::Years(_, b) => NaiveDate::from_ymd_opt(b, 12, 31),
        };
        match (end, self.last_record) {
            (Some(e), Some(l)) if e > l => format!(" (part: records to {})", l.format("%B %Y")),
            _ => String::new(),
        }
    }

    fn public(&self) -> bool {
        self.req.audience == Audience::Public
    }

    fn push(&mut self, id: &str, title: &str, paragraphs: Vec<String>, tables: Vec<Table>) {
        tracing::info!(section = id, "report: section written");
        self.sections.push(Section {
            id: id.to_owned(),
            title: title.to_owned(),
            paragraphs,
            tables,
        });
    }

    /// " (residents of the area)" when the report is for one area.
    fn living_in(&self) -> &'static str {
        if self.req.area.is_some() {
            " (residents of the area)"
        } else {
            ""
        }
    }

    /// The count in the window and the three windows a year apart before it.
    async fn counts(
        &mut self,
        dataset: &'static Dataset,
        persons: bool,
    ) -> Result<(Option<u64>, Vec<Option<u64>>), ReportError> {
        let now = self.figures.total(dataset, self.window, persons).await?;
        let mut earlier = Vec::new();
        for k in 1..=3 {
            let Some(w) = self.window.back(k) else {
                continue;
            };
            // Years before the register's first record are not zeros but unknowns.
            let before_register = match w {
                Window::Years(a, _) => self.first_year.is_none_or(|f| a < f),
                Window::Months(a, _) => self.first_year.is_none_or(|f| a.year() < f),
            };
            earlier.push(if before_register {
                None
            } else {
                self.figures.total(dataset, w, persons).await?
            });
        }
        Ok((now, earlier))
    }

    /// The yearly counts table, from the register's first year (at most ten back) to the
    /// report's.
    async fn yearly(
        &mut self,
        dataset: &'static Dataset,
        noun: &str,
    ) -> Result<Table, ReportError> {
        let last = self.req.period.end().year();
        let first = self
            .first_year
            .unwrap_or(last)
            .max(last - YEARS_SHOWN + 1)
            .min(last);
        let mut rows = Vec::new();
        for y in first..=last {
            let n = self
                .figures
                .total(dataset, Window::Years(y, y), false)
                .await?;
            rows.push(vec![
                Cell::Text(format!("{y}{}", self.part(Window::Years(y, y)))),
                count_cell(n),
            ]);
        }
        Ok(Table {
            id: format!("{}-by-year", dataset.name),
            title: format!("{} by calendar year", capitalise(noun)),
            columns: vec!["year".to_owned(), noun.to_owned()],
            rows,
            note: None,
        })
    }

    /// A table of counts by the values of a field, with each value's share of the total.
    fn dist_table(&self, id: &str, title: &str, what: &str, noun: &str, d: &Dist) -> Table {
        let rows = d
            .rows
            .iter()
            .map(|(_, label, n)| {
                let share = match (n, d.total) {
                    (Some(n), Some(t)) if t > 0 => Cell::Percent(*n as f64 / t as f64),
                    _ => Cell::Empty,
                };
                vec![Cell::Text(label.clone()), count_cell(*n), share]
            })
            .collect();
        Table {
            id: id.to_owned(),
            title: format!("{title}, {}", self.window.describe()),
            columns: vec![what.to_owned(), noun.to_owned(), format!("% of {noun}")],
            rows,
            note: d.withheld.then(|| WITHHELD.to_owned()),
        }
    }

    /// Counts by a field as a section's table and a sentence naming the largest group, when
    /// the audience may have the breakdown.
    async fn breakdown(
        &mut self,
        dataset: &'static Dataset,
        field: &str,
        title: &str,
        what: &str,
        noun: &str,
    ) -> Result<Option<(Table, Dist)>, ReportError> {
        if !self.figures.may_break_down(dataset, field) {
            return Ok(None);
        }
        let d = self.figures.dist(dataset, field, self.window).await?;
        let id = format!("{}-{}", dataset.name, field.replace('_', "-"));
        Ok(Some((self.dist_table(&id, title, what, noun, &d), d)))
    }

    /// The rate trend and a sentence comparing the latest whole period with England.
    async fn rate_section(
        &mut self,
        dataset: &'static Dataset,
    ) -> Result<(Vec<String>, Vec<Table>), ReportError> {
        let mut paragraphs = Vec::new();
        let mut tables = Vec::new();
        let last = self.req.period.end().year();
        if dataset.is_suicides() {
            let points: Vec<RatePoint> = self
                .figures
                .rates(dataset, false)
                .await?
                .into_iter()
                .filter(|p| first_year_of(&p.period).is_some_and(|y| y + 2 <= last))
                .collect();
            if let Some(p) = points
                .iter()
                .rev()
                .find(|p| !p.partial && p.value.is_some())
            {
                let england = self.benchmarks.get(&p.period).copied();
                let (v, lo, hi) = (
                    p.value.unwrap_or_default(),
                    p.lower.unwrap_or_default(),
                    p.upper.unwrap_or_default(),
                );
                let mut s = format!(
                    "The age-standardised suicide rate for {} (three years pooled, ages 10 and over) was {v:.1} per 100,000 (95% confidence interval {lo:.1} to {hi:.1})",
                    p.period.replace('-', " to ")
                );
                match england {
                    Some(e) if (lo..=hi).contains(&e) => s.push_str(&format!(
                        ", similar to England's {e:.1}: the interval includes it."
                    )),
                    Some(e) if lo > e => s.push_str(&format!(
                        ", higher than England's {e:.1}: the interval lies above it."
                    )),
                    Some(e) => s.push_str(&format!(
                        ", lower than England's {e:.1}: the interval lies below it."
                    )),
                    None => s.push_str(". No England figure for that period is imported."),
                }
                paragraphs.push(s);
            }
            tables.push(Table {
                id: "suicide-rate".to_owned(),
                title: "Age-standardised suicide rate per 100,000, three years pooled (ages 10+, ESP2013), against England".to_owned(),
                columns: ["period", "deaths", "rate", "lower 95%", "upper 95%", "England"]
                    .map(str::to_owned)
                    .to_vec(),
                rows: points
                    .iter()
                    .map(|p| {
                        let mut row = rate_row(p);
                        row.push(decimal(self.benchmarks.get(&p.period).copied()));
                        row
                    })
                    .collect(),
                note: Some("A rate is not given where the count is under 10 (too few for a stable rate) or withheld.".to_owned()),
            });
        } else {
            for persons in [false, true] {
                let points: Vec<RatePoint> = self
                    .figures
                    .rates(dataset, persons)
                    .await?
                    .into_iter()
                    .filter(|p| first_year_of(&p.period).is_some_and(|y| y <= last))
                    .collect();
                let noun = if persons { "people" } else { "presentations" };
                tables.push(Table {
                    id: format!("self-harm-rate-{noun}"),
                    title: if persons {
                        "Crude rate of people presenting with self-harm per 100,000 residents, by year".to_owned()
                    } else {
                        "Crude rate of self-harm presentations per 100,000 residents, by year".to_owned()
                    },
                    columns: ["year", noun, "rate", "lower 95%", "upper 95%"]
                        .map(str::to_owned)
                        .to_vec(),
                    rows: points
                        .iter()
                        .map(rate_row)
                        .collect(),
                    note: None,
                });
                if let Some(p) = points
                    .iter()
                    .rev()
                    .find(|p| !p.partial && p.value.is_some())
                {
                    paragraphs.push(format!(
                        "In {}, the rate of self-harm {noun} was {:.1} per 100,000 residents (95% confidence interval {:.1} to {:.1}).",
                        p.period,
                        p.value.unwrap_or_default(),
                        p.lower.unwrap_or_default(),
                        p.upper.unwrap_or_default()
                    ));
                }
            }
        }
        Ok((paragraphs, tables))
    }

    // ------------------------------------------------------------------ the audits

    async fn audit(&mut self) -> Result<(), ReportError> {
        let cyp = self.req.kind == Kind::CypAudit;
        let ds = &SUICIDES;
        // Counts and rates.
        let (now, earlier) = self.counts(ds, false).await?;
        let mut paragraphs = vec![match now {
            Some(n) => {
                let (one, many) = if cyp {
                    let ages = format!("aged {} to {}", self.req.ages.0, self.req.ages.1);
                    (
                        format!("young person {ages}"),
                        format!("young people {ages}"),
                    )
                } else {
                    ("person".to_owned(), "people".to_owned())
                };
                let s = format!(
                    "In {}{}, {} by suspected or confirmed suicide{}",
                    self.window.describe(),
                    self.part(self.window),
                    count(n, &format!("{one} died"), &format!("{many} died")),
                    self.living_in()
                );
                match change(n, &earlier, "the three years before") {
                    Some(c) => format!("{s}: {c}."),
                    None => format!("{s}."),
                }
            }
            None => format!(
                "The count for {} is withheld under the disclosure rule.",
                self.window.describe()
            ),
        }];
        let mut tables = vec![self.yearly(ds, "deaths").await?];
        if cyp {
            paragraphs.push("Rates for an age range are not given here: the published rate is for all ages 10 and over, in the all-age audit.".to_owned());
        } else {
            let (p, t) = self.rate_section(ds).await?;
            paragraphs.extend(p);
            tables.extend(t);
        }
        self.push("counts", "Deaths and rates", paragraphs, tables);
        if self.figures.audience.is_protected() && cyp {
            self.notes.push(format!(
                "The {} audience gets children and young people as one published group: breakdowns within it would need two breakdowns at once, which the disclosure rule does not publish. The statutory report has the detail.",
                self.req.audience.disclosure()
            ));
            return Ok(());
        }
        // Who.
        let mut paragraphs = Vec::new();
        let mut tables = Vec::new();
        for (field, title, what) in [
            ("sex", "Deaths by sex", "sex"),
            ("age_group", "Deaths by age group", "age group"),
        ] {
            if let Some((t, d)) = self.breakdown(ds, field, title, what, "deaths").await? {
                if let (Some((label, n)), Some(total)) = (d.largest(), d.total)
                    && let Some(p) = percent(n, total)
                {
                    paragraphs.push(match field {
                        "sex" => format!(
                            "{} accounted for {p} of deaths ({n} of {total}).",
                            plural_sex(label)
                        ),
                        _ => format!("People aged {label} accounted for {p} ({n} of {total})."),
                    });
                }
                tables.push(t);
            }
        }
        if self.statutory()
            && let Some((label, n, total)) = self.largest_sex_age(ds)
            && let Some(p) = percent(n, total)
        {
            paragraphs.push(format!(
                "The largest group by sex and age was {label}: {p} of deaths ({n} of {total})."
            ));
        }
        for (field, title, what) in [
            ("ethnicity", "Deaths by ethnic group", "ethnic group"),
            ("employment", "Deaths by employment", "employment"),
            (
                "relationship_status",
                "Deaths by relationship status",
                "relationship status",
            ),
            (
                "living_alone",
                "Deaths of people living alone",
                "living alone",
            ),
        ] {
            if let Some((t, _)) = self.breakdown(ds, field, title, what, "deaths").await? {
                tables.push(t);
            }
        }
        self.push("people", "Who died", paragraphs, tables);
        // Methods.
        if let Some((t, d)) = self
            .breakdown(
                ds,
                "method_group",
                "Deaths by method group",
                "method group",
                "deaths",
            )
            .await?
        {
            let mut paragraphs = Vec::new();
            if self.public() {
                paragraphs.push("Methods are shown only in the national groups, and are not described, following the Samaritans media guidelines.".to_owned());
            } else if let (Some((label, n)), Some(total)) = (d.largest(), d.total)
                && let Some(p) = percent(n, total)
            {
                paragraphs.push(format!(
                    "The most common method group was {}: {p} of deaths ({n} of {total}). Method detail is for those planning prevention; it is not for publication (Samaritans media guidelines).",
                    label.to_lowercase()
                ));
            }
            self.push("methods", "Method groups", paragraphs, vec![t]);
        }
        // Places.
        if let Some((t, _)) = self
            .breakdown(
                ds,
                "location_type",
                "Deaths by type of location",
                "location type",
                "deaths",
            )
            .await?
        {
            self.push(
                "locations",
                "Where deaths happened",
                vec!["Locations of concern and individual places are not shown in any report; they are reviewed by the statutory group.".to_owned()],
                vec![t],
            );
        } else {
            self.notes.push("Places of death are not described for this audience (Samaritans media guidelines).".to_owned());
        }
        // Priority groups and circumstances.
        let mut paragraphs = Vec::new();
        let mut tables = Vec::new();
        if let Some((t, d)) = self
            .breakdown(
                ds,
                "priority_groups",
                "Deaths by priority group",
                "priority group",
                "deaths",
            )
            .await?
        {
            paragraphs.push("A death counts once in each priority group recorded for the person, so the groups add up to more than the total.".to_owned());
            if let (Some(n), Some(total)) = (d.count("previous_self_harm"), d.total)
                && let Some(p) = percent(n, total)
            {
                paragraphs.push(format!(
                    "{p} of those who died ({n} of {total}) had self-harmed or attempted suicide before, as the register records it."
                ));
            }
            tables.push(t);
        }
        if cyp {
            for (field, title, what) in [
                (
                    "service_contact",
                    "Contact with services, including children's services and school",
                    "service",
                ),
                (
                    "circumstances",
                    "Circumstances, including school or university problems",
                    "circumstance",
                ),
            ] {
                if let Some((t, _)) = self.breakdown(ds, field, title, what, "deaths").await? {
                    tables.push(t);
                }
            }
            paragraphs.push("Bullying and online harms are not fields of the register's minimum data set; where they are known they are recorded as circumstances (other).".to_owned());
        } else if let Some((t, _)) = self
            .breakdown(
                ds,
                "circumstances",
                "Deaths by circumstance",
                "circumstance",
                "deaths",
            )
            .await?
        {
            tables.push(t);
        }
        self.push(
            "groups",
            "Priority groups and circumstances",
            paragraphs,
            tables,
        );
        if self.public() {
            self.notes.push("Circumstances, contact with services and support after a death are in the partner and statutory reports: public figures do not describe the lives of those who died.".to_owned());
            return Ok(());
        }
        // Service contact.
        if !cyp
            && let Some((t, d)) = self
                .breakdown(
                    ds,
                    "service_contact",
                    "Contact with services before death",
                    "service",
                    "deaths",
                )
                .await?
        {
            let mut paragraphs = Vec::new();
            if let Some(total) = d.total {
                for (code, words) in [
                    (
                        "mental_health_services",
                        "were known to mental health services",
                    ),
                    ("gp_last_4_weeks", "had seen a GP in the last 4 weeks"),
                ] {
                    if let Some(n) = d.count(code)
                        && let Some(p) = percent(n, total)
                    {
                        paragraphs.push(format!("{p} ({n} of {total}) {words}."));
                    }
                }
            }
            self.push("services", "Contact with services", paragraphs, vec![t]);
        }
        // Postvention.
        let mut paragraphs = Vec::new();
        let mut tables = Vec::new();
        for (field, title) in [
            (
                "support_offered",
                "Bereavement support offered to those left behind",
            ),
            (
                "support_consent",
                "Consent to a referral for bereavement support",
            ),
        ] {
            if let Some((t, d)) = self.breakdown(ds, field, title, "answer", "deaths").await? {
                if field == "support_offered"
                    && let (Some(y), Some(total)) = (d.count("yes"), d.total)
                    && let Some(p) = percent(y, total)
                {
                    paragraphs.push(format!(
                        "Bereavement support was recorded as offered after {p} of deaths ({y} of {total}); where it is not recorded it may still have been offered."
                    ));
                }
                tables.push(t);
            }
        }
        self.push(
            "postvention",
            "Postvention: support after a death",
            paragraphs,
            tables,
        );
        if self.statutory() {
            self.quality(ds);
        }
        Ok(())
    }

    /// The largest group by sex and broad age (statutory): "men aged 45-64".
    fn largest_sex_age(&self, ds: &Dataset) -> Option<(String, u64, u64)> {
        let rs = self.figures.records_in(ds, self.window);
        let mut counts: BTreeMap<(String, String), u64> = BTreeMap::new();
        for r in &rs {
            let sex = r.text("sex");
            let Some(crate::register::Value::Int(a)) = r.get("age") else {
                continue;
            };
            let band = (u32::try_from(*a).unwrap_or(0) / 5).min(18) as usize;
            let group = crate::indicators::age_group_of_band(band).to_owned();
            if matches!(sex.as_str(), "male" | "female") {
                *counts.entry((sex, group)).or_default() += 1;
            }
        }
        let ((sex, group), n) = counts.into_iter().fold(
            None,
            |best: Option<((String, String), u64)>, x| match best {
                Some(b) if b.1 >= x.1 => Some(b),
                _ => Some(x),
            },
        )?;
        let who = if sex == "male" { "men" } else { "women" };
        Some((format!("{who} aged {group}"), n, rs.len() as u64))
    }

    /// Completeness of the fields the audit reads (statutory).
    fn quality(&mut self, ds: &Dataset) {
        let rs = self.figures.records_in(ds, self.window);
        let total = rs.len() as u64;
        let fields = [
            "method_group",
            "location_type",
            "ethnicity",
            "employment",
            "priority_groups",
            "circumstances",
            "service_contact",
            "support_offered",
        ];
        let rows: Vec<Vec<Cell>> = fields
            .iter()
            .filter_map(|f| ds.field(f))
            .map(|f| {
                let n = rs
                    .iter()
                    .filter(|r| {
                        r.get(f.name).is_some_and(
                            |v| !matches!(v, crate::register::Value::Code(c) if c == "unknown"),
                        )
                    })
                    .count() as u64;
                vec![
                    Cell::Text(f.label.to_owned()),
                    Cell::Count(n),
                    if total > 0 {
                        Cell::Percent(n as f64 / total as f64)
                    } else {
                        Cell::Empty
                    },
                ]
            })
            .collect();
        let weakest = rows
            .iter()
            .zip(fields)
            .filter_map(|(r, f)| match &r[1] {
                Cell::Count(n) => Some((*n, f)),
                _ => None,
            })
            .min();
        let mut paragraphs = vec![format!(
            "Completeness is the share of the {} records in {} with the field recorded (not blank, not \"not known\").",
            narrative::thousands(total),
            self.window.describe()
        )];
        if let Some((n, f)) = weakest
            && let (Some(p), Some(field)) = (percent(n, total), ds.field(f))
        {
            paragraphs.push(format!(
                "The least complete field was {}: {p}.",
                field.label.to_lowercase()
            ));
        }
        self.push(
            "quality",
            "Data quality and completeness",
            paragraphs,
            vec![Table {
                id: "completeness".to_owned(),
                title: format!("Fields recorded, {}", self.window.describe()),
                columns: ["field", "records with it", "% of records"]
                    .map(str::to_owned)
                    .to_vec(),
                rows,
                note: None,
            }],
        );
    }

    // ------------------------------------------------------------------ self-harm

    async fn self_harm(&mut self) -> Result<(), ReportError> {
        let ds = &SELF_HARM;
        let (now, earlier) = self.counts(ds, false).await?;
        let people = self.figures.total(ds, self.window, true).await?;
        let mut paragraphs = Vec::new();
        match now {
            Some(n) => {
                let s = format!(
                    "In {}{}, {} of self-harm{} were recorded",
                    self.window.describe(),
                    self.part(self.window),
                    count(n, "presentation", "presentations"),
                    self.living_in()
                );
                paragraphs.push(match change(n, &earlier, "the three years before") {
                    Some(c) => format!("{s}: {c}."),
                    None => format!("{s}."),
                });
            }
            None => paragraphs.push(format!(
                "The count for {} is withheld under the disclosure rule.",
                self.window.describe()
            )),
        }
        if let (Some(n), Some(p)) = (now, people)
            && p > 0
        {
            paragraphs.push(format!(
                "They were made by {}, {:.2} presentations per person.",
                count(p, "person", "different people"),
                n as f64 / p as f64
            ));
        }
        let mut tables = vec![self.yearly(ds, "presentations").await?];
        let (p, t) = self.rate_section(ds).await?;
        paragraphs.extend(p);
        tables.extend(t);
        self.push("counts", "Presentations and rates", paragraphs, tables);

        let mut paragraphs = Vec::new();
        let mut tables = Vec::new();
        if let Some((t, d)) = self
            .breakdown(
                ds,
                "setting",
                "Presentations by setting",
                "setting",
                "presentations",
            )
            .await?
        {
            if let (Some((label, n)), Some(total)) = (d.largest(), d.total)
                && let Some(p) = percent(n, total)
            {
                paragraphs.push(format!(
                    "Most presentations were to {}: {p} ({n} of {total}).",
                    label.to_lowercase()
                ));
            }
            tables.push(t);
        }
        self.push("settings", "Where people presented", paragraphs, tables);

        let mut paragraphs = Vec::new();
        let mut tables = Vec::new();
        for (field, title, what) in [
            ("sex", "Presentations by sex", "sex"),
            ("age_group", "Presentations by age group", "age group"),
        ] {
            if let Some((t, d)) = self
                .breakdown(ds, field, title, what, "presentations")
                .await?
            {
                if let (Some((label, n)), Some(total)) = (d.largest(), d.total)
                    && let Some(p) = percent(n, total)
                {
                    paragraphs.push(match field {
                        "sex" => format!("{} made {p} of presentations.", plural_sex(label)),
                        _ => format!("People aged {label} made {p} of presentations."),
                    });
                }
                tables.push(t);
            }
        }
        if let Some((t, _)) = self
            .breakdown(
                ds,
                "priority_groups",
                "Presentations by priority group",
                "priority group",
                "presentations",
            )
            .await?
        {
            tables.push(t);
        }
        self.push("people", "Who presented", paragraphs, tables);

        if let Some((t, _)) = self
            .breakdown(
                ds,
                "methods",
                "Presentations by method",
                "method",
                "presentations",
            )
            .await?
        {
            let paragraphs = vec![if self.public() {
                "Methods are shown in the national groups only and are not described, following the Samaritans media guidelines.".to_owned()
            } else {
                "A presentation counts once for each method recorded, so the methods add up to more than the total.".to_owned()
            }];
            self.push("methods", "Methods of self-harm", paragraphs, vec![t]);
        }
        if self.statutory() {
            self.repeats(ds);
        } else {
            self.notes.push("Repeat presentations within 12 months are in the statutory report only: they follow people across presentations and years, which the published catalogue does not.".to_owned());
        }
        if let Some((t, d)) = self
            .breakdown(
                ds,
                "psychosocial_assessment",
                "Psychosocial assessment",
                "assessment done",
                "presentations",
            )
            .await?
        {
            let mut paragraphs = Vec::new();
            if let (Some(y), Some(n)) = (d.count("yes"), d.count("no"))
                && let Some(p) = percent(y, y + n)
            {
                paragraphs.push(format!(
                    "Where it was recorded, {p} of presentations ({y} of {}) had a psychosocial assessment (NICE quality standard QS34, statement 2: everyone who has self-harmed should have one).",
                    y + n
                ));
            }
            self.push("assessment", "Psychosocial assessment", paragraphs, vec![t]);
        }
        Ok(())
    }

    /// People who presented in the window and again within 12 months of a presentation in it
    /// (statutory; the later presentation may fall after the window, up to the snapshot).
    fn repeats(&mut self, ds: &Dataset) {
        let all = self.figures.records_in(ds, Window::Years(1900, 2999));
        let mut by_person: HashMap<&str, Vec<NaiveDate>> = HashMap::new();
        for r in &all {
            if let (Some(crate::register::Value::Text(key)), Some(d)) =
                (r.get("person_key"), crate::indicators::date_of(r))
                && !key.is_empty()
            {
                by_person.entry(key.as_str()).or_default().push(d);
            }
        }
        let (mut people, mut repeat) = (0_u64, 0_u64);
        for dates in by_person.values_mut() {
            dates.sort();
            if !dates.iter().any(|d| self.window.holds(*d)) {
                continue;
            }
            people += 1;
            let again = dates
                .windows(2)
                .any(|w| self.window.holds(w[0]) && (w[1] - w[0]).num_days() <= 365);
            repeat += u64::from(again);
        }
        let mut paragraphs = vec![format!(
            "Of the {} who presented in {}, {} presented again within 12 months of a presentation in that time.",
            count(people, "person", "people"),
            self.window.describe(),
            narrative::thousands(repeat)
        )];
        if let Some(p) = percent(repeat, people) {
            paragraphs.push(format!("The repeat rate was {p}. People are told apart by their pseudonymised person key; presentations without one are not counted here."));
        }
        self.push(
            "repeats",
            "Repeat presentations within 12 months",
            paragraphs,
            vec![Table {
                id: "repeats".to_owned(),
                title: format!(
                    "People presenting in {} and again within 12 months",
                    self.window.describe()
                ),
                columns: ["measure", "people", "% of people"]
                    .map(str::to_owned)
                    .to_vec(),
                rows: vec![
                    vec![
                        Cell::Text("Presented in the period".to_owned()),
                        Cell::Count(people),
                        Cell::Empty,
                    ],
                    vec![
                        Cell::Text("Presented again within 12 months".to_owned()),
                        Cell::Count(repeat),
                        if people > 0 {
                            Cell::Percent(repeat as f64 / people as f64)
                        } else {
                            Cell::Empty
                        },
                    ],
                ],
                note: None,
            }],
        );
    }

    // ------------------------------------------------------------------ the quarterly report

    async fn quarterly(
        &mut self,
        plans: &[StoredPlan],
        updates: &[(i64, Vec<crate::plans::Update>)],
        signals: &[Signal],
        sources: &[(&'static str, String, NaiveDate)],
        today: NaiveDate,
    ) -> Result<(), ReportError> {
        let previous = if self.statutory() {
            self.req
                .period
                .previous()
                .map(|p| Window::of(&p, Audience::Statutory))
        } else {
            self.window.back(1)
        };
        let mut paragraphs = Vec::new();
        // The periods compared: this one, the one before, and the same one a year before
        // (for partners the one before is the year before).
        let mut windows: Vec<(&str, Window)> = vec![("this period", self.window)];
        if let Some(w) = previous {
            windows.push(("the period before", w));
        }
        if let Some(w) = self.window.back(1)
            && previous != Some(w)
        {
            windows.push(("a year before", w));
        }
        let mut counts: Vec<[Option<u64>; 2]> = vec![[None; 2]; windows.len()];
        for (k, (ds, what)) in [
            (&SUICIDES, "suspected or confirmed suicides"),
            (&SELF_HARM, "self-harm presentations"),
        ]
        .into_iter()
        .enumerate()
        {
            for (i, (_, w)) in windows.iter().enumerate() {
                counts[i][k] = self.figures.total(ds, *w, false).await?;
            }
            let Some(n) = counts[0][k] else {
                continue;
            };
            let mut s = format!(
                "In {}, {} were recorded",
                self.window.describe(),
                count(n, &what[..what.len() - 1], what)
            );
            let earlier: Vec<String> = windows
                .iter()
                .zip(&counts)
                .skip(1)
                .filter_map(|((_, w), c)| {
                    Some(format!(
                        "{} in {}",
                        narrative::thousands(c[k]?),
                        w.describe()
                    ))
                })
                .collect();
            if !earlier.is_empty() {
                s.push_str(&format!(", against {}", earlier.join(" and ")));
            }
            s.push('.');
            let year_ago = self.window.back(1).and_then(|w| {
                windows
                    .iter()
                    .position(|(_, x)| *x == w)
                    .and_then(|i| counts[i][k])
            });
            if let Some(c) = change(n, &[year_ago], "the same period a year before") {
                s.push_str(&format!(" That is {c}."));
            }
            paragraphs.push(s);
        }
        let rows = windows
            .iter()
            .zip(&counts)
            .map(|((label, w), c)| {
                vec![
                    Cell::Text(format!("{} ({label}){}", w.describe(), self.part(*w))),
                    count_cell(c[0]),
                    count_cell(c[1]),
                ]
            })
            .collect();
        self.push(
            "changes",
            "What changed",
            paragraphs,
            vec![Table {
                id: "changes".to_owned(),
                title: "Suspected suicides and self-harm presentations: this period, the period before and a year before".to_owned(),
                columns: ["period", "deaths", "presentations"].map(str::to_owned).to_vec(),
                rows,
                note: None,
            }],
        );
        self.signals_section(signals, &SUICIDES);
        self.plan_progress(plans, updates, today);
        // Data freshness.
        let newest: BTreeMap<&str, NaiveDate> =
            sources.iter().fold(BTreeMap::new(), |mut m, (d, _, date)| {
                let e = m.entry(*d).or_insert(*date);
                *e = (*e).max(*date);
                m
            });
        let statutory = self.statutory();
        let rows: Vec<Vec<Cell>> = sources
            .iter()
            .map(|(d, s, date)| {
                let late = newest.get(d).is_some_and(|n| (*n - *date).num_days() > 30);
                vec![
                    Cell::Text(
                        if *d == SUICIDES.name {
                            "Suspected suicides"
                        } else {
                            "Self-harm"
                        }
                        .to_owned(),
                    ),
                    Cell::Text(s.clone()),
                    Cell::Text(if statutory {
                        date.to_string()
                    } else {
                        date.format("%Y-%m").to_string()
                    }),
                    Cell::Text(
                        if late {
                            "late: over 30 days behind the newest"
                        } else {
                            "up to date"
                        }
                        .to_owned(),
                    ),
                ]
            })
            .collect();
        let late = rows
            .iter()
            .filter(|r| matches!(&r[3], Cell::Text(t) if t.starts_with("late")))
            .count();
        self.push(
            "freshness",
            "Data freshness",
            vec![if late == 0 {
                "Every source has sent records within 30 days of the newest.".to_owned()
            } else {
                format!(
                    "{} more than 30 days behind the newest record.",
                    count(late as u64, "source is", "sources are")
                )
            }],
            vec![Table {
                id: "freshness".to_owned(),
                title: "The last record from each source".to_owned(),
                columns: ["data", "source", "last record", "status"]
                    .map(str::to_owned)
                    .to_vec(),
                rows,
                note: (!statutory)
                    .then(|| "Dates are given to the month for this audience.".to_owned()),
            }],
        );
        Ok(())
    }

    /// The support directory's entries not checked with their service for six months by the
    /// report's last day: the oversight group sees what the public are told may be out of date.
    fn support_directory(&mut self, services: &[crate::support::Service], today: NaiveDate) {
        let mut due: Vec<&crate::support::Service> =
            services.iter().filter(|s| s.overdue(today)).collect();
        due.sort_by_key(|s| (s.last_verified, s.name.to_lowercase()));
        let paragraph = if services.is_empty() {
            "The support directory is empty (lantern import services fills it).".to_owned()
        } else if due.is_empty() {
            format!(
                "All {} in the support directory had been checked with their service within six months.",
                count(services.len() as u64, "entry", "entries")
            )
        } else {
            format!(
                "Of {} in the support directory, {} not been checked with their service for six months by {}: the public page says their details may have changed, and their organisations are reminded on their home page.",
                count(services.len() as u64, "entry", "entries"),
                count(due.len() as u64, "has", "have"),
                today.format("%-d %B %Y")
            )
        };
        let rows = due
            .iter()
            .map(|s| {
                vec![
                    Cell::Text(s.name.clone()),
                    Cell::Text(s.organisation.clone()),
                    Cell::Text(s.last_verified.to_string()),
                ]
            })
            .collect::<Vec<_>>();
        let tables = if rows.is_empty() {
            Vec::new()
        } else {
            vec![Table {
                id: "support_unchecked".to_owned(),
                title: "Support directory entries not checked for six months".to_owned(),
                columns: ["service", "organisation", "last checked"]
                    .map(str::to_owned)
                    .to_vec(),
                rows,
                note: None,
            }]
        };
        self.push("support", "Support directory", vec![paragraph], tables);
    }

    /// Signals that overlap the report's time, by review status; the statutory list names
    /// each. The public get none (clusters are not publicised: Samaritans media guidelines).
    fn signals_section(&mut self, signals: &[Signal], ds: &Dataset) {
        if self.public() {
            return;
        }
        let (start, end) = (self.req.period.start(), self.req.period.end());
        let mine: Vec<&Signal> = signals
            .iter()
            .filter(|s| s.found.start <= end && s.found.end >= start)
            .filter(|s| self.req.kind == Kind::Quarterly || s.found.dataset == ds.name)
            .collect();
        let mut by_status: BTreeMap<(usize, &str), u64> = BTreeMap::new();
        for s in &mine {
            *by_status
                .entry((s.status as usize, s.status.label()))
                .or_default() += 1;
        }
        let mut tables = vec![Table {
            id: "signals-by-status".to_owned(),
            title: "Signals found in the period, by review status".to_owned(),
            columns: ["review status", "signals"].map(str::to_owned).to_vec(),
            rows: by_status
                .iter()
                .map(|((_, l), n)| vec![Cell::Text((*l).to_owned()), Cell::Count(*n)])
                .collect(),
            note: None,
        }];
        if self.statutory() {
            let mut list = mine.clone();
            list.sort_by(|a, b| (a.found.start, &a.found.key).cmp(&(b.found.start, &b.found.key)));
            tables.push(Table {
                id: "signals".to_owned(),
                title: "Each signal".to_owned(),
                columns: [
                    "signal",
                    "data",
                    "from",
                    "to",
                    "events",
                    "expected",
                    "review status",
                ]
                .map(str::to_owned)
                .to_vec(),
                rows: list
                    .iter()
                    .map(|s| {
                        vec![
                            Cell::Text(s.found.title.clone()),
                            Cell::Text(s.found.dataset.clone()),
                            Cell::Text(s.found.start.to_string()),
                            Cell::Text(s.found.end.to_string()),
                            Cell::Count(s.found.observed),
                            decimal(s.found.expected),
                            Cell::Text(s.status.label().to_owned()),
                        ]
                    })
                    .collect(),
                note: None,
            });
        }
        let open = mine
            .iter()
            .filter(|s| s.status.as_str() != "closed")
            .count();
        let paragraphs = vec![if mine.is_empty() {
            "No signal (an unusual rise or cluster found by the detectors) overlapped the period."
                .to_owned()
        } else {
            format!(
                "{} overlapped the period; {} still open for review.",
                count(
                    mine.len() as u64,
                    "signal (an unusual rise or cluster found by the detectors)",
                    "signals (unusual rises or clusters found by the detectors)"
                ),
                count(open as u64, "is", "are")
            )
        }];
        self.push(
            "signals",
            "Signals and clusters reviewed",
            paragraphs,
            tables,
        );
    }

    /// Plan actions whose measures are bound to this dataset's figures.
    fn actions_section(&mut self, plans: &[StoredPlan], ds: &Dataset) {
        let mut rows = Vec::new();
        for p in plans {
            for (_, a) in p.plan.actions() {
                let bound = a.measures.iter().any(|m| {
                    m.indicator.as_ref().is_some_and(|b| {
                        b.query.contains(&format!("dataset={}", ds.name))
                            || (ds.is_suicides() && !b.query.contains("dataset="))
                    })
                });
                if bound {
                    rows.push(vec![
                        Cell::Text(p.plan.title.clone()),
                        Cell::Text(a.number.clone()),
                        Cell::Text(crate::plans::clip(&a.text, 160)),
                        Cell::Text(a.status.clone().unwrap_or_default()),
                        Cell::Text(a.rag.map(Rag::as_str).unwrap_or_default().to_owned()),
                    ]);
                }
            }
        }
        let paragraphs = vec![if rows.is_empty() {
            "No plan action has a measure bound to these figures; bind one on the plan's page so that the next audit reports on it.".to_owned()
        } else {
            format!(
                "{} measured by these figures, so the findings above bear on them.",
                count(rows.len() as u64, "plan action is", "plan actions are")
            )
        }];
        self.push(
            "actions",
            "Plan actions these findings bear on",
            paragraphs,
            vec![Table {
                id: "actions".to_owned(),
                title: "Actions with a measure bound to these figures".to_owned(),
                columns: ["plan", "action", "what", "status", "RAG"]
                    .map(str::to_owned)
                    .to_vec(),
                rows,
                note: None,
            }],
        );
    }

    // ------------------------------------------------------------------ plan progress

    fn plan_progress(
        &mut self,
        plans: &[StoredPlan],
        updates: &[(i64, Vec<crate::plans::Update>)],
        today: NaiveDate,
    ) {
        let since = self
            .req
            .period
            .start()
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
            .unwrap_or_default();
        let until = today
            .succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc());
        let month_only = !self.statutory();
        for p in plans {
            let ups: Vec<crate::plans::Update> = updates
                .iter()
                .find(|(id, _)| *id == p.id)
                .map(|(_, u)| {
                    u.iter()
                        .filter(|x| until.is_none_or(|t| x.update.at < t))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            let progress = crate::plans::progress(p, &ups, since, today);
            let total: usize = progress.iter().map(|s| s.actions).sum();
            let rag: [usize; 4] = progress.iter().fold([0; 4], |mut a, s| {
                for (x, y) in a.iter_mut().zip(s.by_rag) {
                    *x += y;
                }
                a
            });
            let overdue: usize = progress.iter().map(|s| s.overdue).sum();
            let changes: usize = progress.iter().map(|s| s.changes.len()).sum();
            let mut paragraphs = vec![format!(
                "\"{}\" has {}: {} red, {} amber, {} green and {} not rated. {} overdue on {}. {} changed status during the period.",
                p.plan.title,
                count(total as u64, "action", "actions"),
                rag[0],
                rag[1],
                rag[2],
                rag[3],
                count(overdue as u64, "action was", "actions were"),
                today.format("%-d %B %Y"),
                count(changes as u64, "action", "actions"),
            )];
            if rag[0] > 0 {
                paragraphs.push("Red actions are off track: the group may wish to ask their leads what would help.".to_owned());
            }
            let mut tables = vec![Table {
                id: format!("plan-{}-sections", p.id),
                title: "Progress by section".to_owned(),
                columns: [
                    "section",
                    "actions",
                    "red",
                    "amber",
                    "green",
                    "not rated",
                    "overdue",
                    "status changes",
                ]
                .map(str::to_owned)
                .to_vec(),
                rows: progress
                    .iter()
                    .map(|s| {
                        vec![
                            Cell::Text(format!("{} {}", s.number, s.title)),
                            Cell::Count(s.actions as u64),
                            Cell::Count(s.by_rag[0] as u64),
                            Cell::Count(s.by_rag[1] as u64),
                            Cell::Count(s.by_rag[2] as u64),
                            Cell::Count(s.by_rag[3] as u64),
                            Cell::Count(s.overdue as u64),
                            Cell::Count(s.changes.len() as u64),
                        ]
                    })
                    .collect(),
                note: None,
            }];
            let due = |d: NaiveDate| {
                if month_only {
                    d.format("%Y-%m").to_string()
                } else {
                    d.to_string()
                }
            };
            let overdue_rows: Vec<Vec<Cell>> = p
                .plan
                .actions()
                .filter(|(_, a)| a.overdue(today))
                .map(|(_, a)| {
                    vec![
                        Cell::Text(a.number.clone()),
                        Cell::Text(crate::plans::clip(&a.text, 160)),
                        Cell::Text(a.leads.join("; ")),
                        Cell::Text(a.due.map(due).unwrap_or_default()),
                        Cell::Text(a.status.clone().unwrap_or_default()),
                    ]
                })
                .collect();
            tables.push(Table {
                id: format!("plan-{}-overdue", p.id),
                title: "Overdue actions".to_owned(),
                columns: ["action", "what", "leads", "due", "status"]
                    .map(str::to_owned)
                    .to_vec(),
                rows: overdue_rows,
                note: None,
            });
            if self.req.kind == Kind::Plan {
                tables.push(Table {
                    id: format!("plan-{}-actions", p.id),
                    title: "Every action".to_owned(),
                    columns: ["action", "section", "what", "leads", "due", "status", "RAG"]
                        .map(str::to_owned)
                        .to_vec(),
                    rows: p
                        .plan
                        .actions()
                        .map(|(s, a)| {
                            vec![
                                Cell::Text(a.number.clone()),
                                Cell::Text(s.title.clone()),
                                Cell::Text(crate::plans::clip(&a.text, 200)),
                                Cell::Text(a.leads.join("; ")),
                                Cell::Text(
                                    a.due
                                        .map(due)
                                        .or_else(|| a.timescale.clone())
                                        .unwrap_or_default(),
                                ),
                                Cell::Text(a.status.clone().unwrap_or_default()),
                                Cell::Text(a.rag.map(Rag::as_str).unwrap_or_default().to_owned()),
                            ]
                        })
                        .collect(),
                    note: None,
                });
            }
            self.push(
                &format!("plan-{}", p.id),
                &format!("Plan progress: {}", p.plan.title),
                paragraphs,
                tables,
            );
        }
        if plans.is_empty() {
            self.push(
                "plans",
                "Plan progress",
                vec![
                    "No action plan is held yet: import one with `lantern import plans`."
                        .to_owned(),
                ],
                Vec::new(),
            );
        }
    }
}

/// "Men", "Women", or the label as it is.
fn plural_sex(label: &str) -> String {
    match label.to_lowercase().as_str() {
        "male" => "Men".to_owned(),
        "female" => "Women".to_owned(),
        _ => format!("People recorded as {}", label.to_lowercase()),
    }
}

/// The first year of a period label (`2021-2023`, `2024`).
fn first_year_of(label: &str) -> Option<i32> {
    label.get(..4)?.parse().ok()
}
