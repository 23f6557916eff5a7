//! Indicators over the register: counts and rates by any combination of period, area level,
//! sex, age band, method group, location type, setting and priority group, with the partner
//! disclosure preset for audiences outside the statutory core.
//!
//! Aggregation happens here, over the records the store returns, so both backends give the same
//! numbers by construction. Suicide rates by rolling three-year period follow Fingertips
//! indicator 41001 (ages 10+, three years pooled, directly standardised to ESP2013, per 100,000);
//! other rates are crude, per 100,000, where a population denominator exists.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use lantern_stats::{
    AgeBand, CountTable, ESP2013, Preset, RateKind, RateRule, crude_rate, dsr, protect_table,
    rate_rule,
};
use serde::Serialize;

pub mod areas;
pub mod hotspots;
mod linked;
mod postvention;
mod workforce;

pub use workforce::{COVERAGE, Holding, MEDIA, MediaMeasure, TRAINING, WorkforceFigures};

use crate::area::{AGE_BANDS, AreaLevel, PopSex, age_band};
use crate::register::{Dataset, Record, Value};

use crate::{Store, StoreError};

/// A way to break the counts down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// `YYYY-MM`.
    Month,
    /// `YYYY-Qn`.
    Quarter,
    /// `YYYY`.
    Year,
    /// Three calendar years pooled, labelled `YYYY-YYYY`.
    Rolling3Year,
    /// A financial year, April to March, labelled `2024/25` (statutory only: beside calendar
    /// years, financial years would let a partner difference out a quarter).
    FinancialYear,
    /// A quarter of a financial year, labelled `2024/25-Q1` (April to June; statutory only).
    FinancialQuarter,
    /// The area of residence at a level (its ancestor at that level).
    Area(AreaLevel),
    /// Sex.
    Sex,
    /// Five-year age band.
    AgeBand,
    /// Broad age group: 0-9, 10-24, 25-44, 45-64, 65+ (the partner and public breakdown by
    /// age; see [`AGE_GROUPS`]).
    AgeGroup,
    /// Method group (suicides) or methods (self-harm; a presentation counts once per method).
    MethodGroup,
    /// Location type.
    LocationType,
    /// Setting (self-harm).
    Setting,
    /// Priority group (a record counts once in each of its groups).
    PriorityGroup,
    /// Circumstance (suicides; a death counts once in each recorded; statutory and partner).
    Circumstance,
    /// Contact with services before death (suicides; once in each recorded; statutory and
    /// partner).
    ServiceContact,
    /// Whether bereavement support was offered (suicides: yes, no, not recorded; statutory and
    /// partner).
    SupportOffered,
    /// Whether those bereaved consented to a referral (suicides; statutory and partner).
    SupportConsent,
    /// Whether a psychosocial assessment was done (self-harm, NICE QS34; statutory and
    /// partner).
    Assessment,
    /// The step of bereavement support a death's record has reached (suicides; one of
    /// [`crate::register::postvention::STAGES`]; statutory and partner). `dataset=postvention`
    /// is the suicides dataset broken down by it.
    PostventionStage,
    /// An organisation's sector (training and coverage).
    Sector,
    /// An organisation's type (training and coverage).
    OrgType,
    /// The course (training).
    Course,
    /// The competence framework a course builds (training; a session counts once in each of
    /// its course's frameworks).
    Framework,
    /// The media outlet (media monitoring).
    Outlet,
}

impl Dimension {
    /// Parse a `by` item: `month`, `quarter`, `year`, `rolling_3_year`, an area level (`lad`,
    /// `msoa`, ...), `sex`, `age_band`, `method_group`, `location_type`, `setting`,
    /// `priority_group`, `circumstance`, `service_contact`, `support_offered`, `support_consent`,
    /// `psychosocial_assessment`, `postvention_stage`.
    ///
    /// # Errors
    /// A message listing the choices.
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s.trim() {
            "month" => Self::Month,
            "quarter" => Self::Quarter,
            "year" => Self::Year,
            "rolling_3_year" => Self::Rolling3Year,
            "financial_year" => Self::FinancialYear,
            "financial_quarter" => Self::FinancialQuarter,
            "sex" => Self::Sex,
            "age_band" => Self::AgeBand,
            "age_group" => Self::AgeGroup,
            "method_group" => Self::MethodGroup,
            "location_type" => Self::LocationType,
            "setting" => Self::Setting,
            "priority_group" => Self::PriorityGroup,
            "circumstance" => Self::Circumstance,
            "service_contact" => Self::ServiceContact,
            "support_offered" => Self::SupportOffered,
            "support_consent" => Self::SupportConsent,
            "psychosocial_assessment" => Self::Assessment,
            "postvention_stage" => Self::PostventionStage,
            "sector" => Self::Sector,
            "organisation_type" | "org_type" | "type" => Self::OrgType,
            "course" => Self::Course,
            "framework" => Self::Framework,
            "outlet" => Self::Outlet,
            other => Self::Area(AreaLevel::parse(other).map_err(|_| {
                format!(
                    "'{other}' is not one of month|quarter|year|rolling_3_year|financial_year|financial_quarter|lsoa|msoa|lad|county|icb|region|country|sex|age_band|age_group|method_group|location_type|setting|priority_group|circumstance|service_contact|support_offered|support_consent|psychosocial_assessment|postvention_stage|sector|organisation_type|course|framework|outlet"
                )
            })?),
        })
    }

    /// The key used in output rows.
    pub fn name(self) -> &'static str {
        match self {
            Self::Month => "month",
            Self::Quarter => "quarter",
            Self::Year => "year",
            Self::Rolling3Year => "rolling_3_year",
            Self::FinancialYear => "financial_year",
            Self::FinancialQuarter => "financial_quarter",
            Self::Area(l) => l.as_str(),
            Self::Sex => "sex",
            Self::AgeBand => "age_band",
            Self::AgeGroup => "age_group",
            Self::MethodGroup => "method_group",
            Self::LocationType => "location_type",
            Self::Setting => "setting",
            Self::PriorityGroup => "priority_group",
            Self::Circumstance => "circumstance",
            Self::ServiceContact => "service_contact",
            Self::SupportOffered => "support_offered",
            Self::SupportConsent => "support_consent",
            Self::Assessment => "psychosocial_assessment",
            Self::PostventionStage => "postvention_stage",
            Self::Sector => "sector",
            Self::OrgType => "organisation_type",
            Self::Course => "course",
            Self::Framework => "framework",
            Self::Outlet => "outlet",
        }
    }

    /// The register field a breakdown reads in `dataset`; `None` for periods, areas and ages,
    /// and for a breakdown that does not apply to the dataset.
    pub fn field(self, dataset: &Dataset) -> Option<&'static str> {
        if self.is_workforce() {
            return None;
        }
        let name = match self {
            Self::Sex => "sex",
            Self::MethodGroup if dataset.is_self_harm() => "methods",
            Self::MethodGroup => "method_group",
            Self::LocationType => "location_type",
            Self::Setting => "setting",
            Self::PriorityGroup => "priority_groups",
            Self::Circumstance => "circumstances",
            Self::ServiceContact => "service_contact",
            Self::SupportOffered => "support_offered",
            Self::SupportConsent => "support_consent",
            Self::Assessment => "psychosocial_assessment",
            _ => return None,
        };
        dataset.field(name).map(|f| f.name)
    }

    /// Whether the breakdown applies to `dataset` (periods, areas and ages apply to both).
    fn applies_to(self, dataset: &Dataset) -> bool {
        self.is_period()
            || matches!(self, Self::Area(_) | Self::AgeBand | Self::AgeGroup)
            || (self == Self::PostventionStage && dataset.is_suicides())
            || self.field(dataset).is_some()
    }

    /// Breakdowns of people's circumstances and care, for the statutory and partner audiences
    /// only: public figures do not describe the lives of those who died.
    fn is_partner_only(self) -> bool {
        matches!(
            self,
            Self::Circumstance
                | Self::ServiceContact
                | Self::SupportOffered
                | Self::SupportConsent
                | Self::Assessment
                | Self::PostventionStage
        )
    }

    /// A breakdown of organisations and training, not of the register.
    fn is_workforce(self) -> bool {
        matches!(
            self,
            Self::Sector | Self::OrgType | Self::Course | Self::Framework | Self::Outlet
        )
    }

    fn is_period(self) -> bool {
        matches!(
            self,
            Self::Month
                | Self::Quarter
                | Self::Year
                | Self::Rolling3Year
                | Self::FinancialYear
                | Self::FinancialQuarter
        )
    }
}

/// Who will see the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The statutory core: unsuppressed, behind roles and audit.
    Statutory,
    /// Signed-in partners: the partner preset over the partner catalogue.
    Partner,
    /// Anyone, signed in or not: the partner preset over the public catalogue, which also
    /// follows the Samaritans media guidelines (no place of death).
    Public,
}

impl Audience {
    /// Parse `statutory|partner|public`.
    ///
    /// # Errors
    /// A message listing the choices.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "statutory" => Ok(Self::Statutory),
            "partner" => Ok(Self::Partner),
            "public" => Ok(Self::Public),
            other => Err(format!(
                "audience '{other}' is not one of statutory|partner|public"
            )),
        }
    }

    /// The disclosure rule applied, as outputs name it.
    pub fn disclosure(self) -> &'static str {
        match self {
            Self::Statutory => "statutory",
            Self::Partner => Preset::Partner.as_str(),
            Self::Public => "public",
        }
    }

    /// Whether counts are protected (withheld, secondary suppression, the catalogue).
    pub fn is_protected(self) -> bool {
        self != Self::Statutory
    }
}

/// The most dimensions a request may name, for any audience.
pub const MAX_DIMENSIONS: usize = 5;

/// The most breakdowns (dimensions other than a period and an area level) a partner or public
/// request may combine: one, so that the catalogue's tables meet only in their period × area
/// totals and suppression can run over all of them together (see `linked.rs`).
pub const MAX_PROTECTED_BREAKDOWNS: usize = 1;

/// The most cell updates one request may cost (records times the cells each one counts in).
/// Past it the request is refused as too fine, so that one request cannot hold the server.
pub const WORK_BUDGET: u64 = 20_000_000;

/// The most rows a table may have.
pub const MAX_ROWS: usize = 250_000;

/// What a self-harm row counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// Presentations (deaths, for suicides).
    Presentations,
    /// Distinct people (by person key).
    Persons,
    /// Training: delegates trained (`dataset=training`, the default).
    Delegates,
    /// Training: sessions run (`dataset=training&measure=sessions`).
    Sessions,
    /// Coverage: organisations holding a role or with someone trained
    /// (`dataset=coverage&measure=role:CODE|course:CODE|framework:CODE`).
    Holding(Holding),
    /// Media reports following the guidelines, or breaking one item (`dataset=media`).
    Media(MediaMeasure),
}

impl Measure {
    /// Whether this counts organisations or training rather than the register.
    pub fn is_workforce(self) -> bool {
        matches!(
            self,
            Self::Delegates | Self::Sessions | Self::Holding(_) | Self::Media(_)
        )
    }
}

/// An indicator request.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorQuery {
    /// `suicides` or `self-harm`.
    pub dataset: &'static Dataset,
    /// The breakdown, in order.
    pub by: Vec<Dimension>,
    /// Only residents of this area (and the areas inside it).
    pub area: Option<String>,
    /// Who will see it.
    pub audience: Audience,
    /// Presentations or persons (self-harm).
    pub measure: Measure,
    /// Which rate: as published (age-standardised for the three-year suicide rate, crude
    /// otherwise), or crude or age-standardised by choice.
    pub rate: RateChoice,
}

/// The rate a query asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RateChoice {
    /// Age-standardised for the suicide rate by three years (as Fingertips 41001), crude
    /// otherwise.
    #[default]
    Published,
    /// Crude, per 100,000 residents of the same ages, sex and area.
    Crude,
    /// Directly standardised to the 2013 European Standard Population, ages 10+.
    Standardised,
}

impl IndicatorQuery {
    /// Ask for a rate by name (`published`, `crude`, `standardised` or `dsr`). Age-standardised
    /// rates beyond the published three-year suicide rate are for the statutory core only:
    /// beside the crude rates and the age breakdowns a partner has, more weighted sums of the
    /// same age-band counts would give the disclosure adversary more equations.
    ///
    /// # Errors
    /// An unknown name, or a standardised rate a protected audience may not have.
    pub fn with_rate(mut self, name: Option<&str>) -> Result<Self, String> {
        self.rate = match name.filter(|n| !n.is_empty()) {
            None | Some("published") => RateChoice::Published,
            Some("crude") => RateChoice::Crude,
            Some("standardised" | "standardized" | "dsr") => RateChoice::Standardised,
            Some(other) => {
                return Err(format!(
                    "rate '{other}' is not one of published|crude|standardised"
                ));
            }
        };
        if self.rate == RateChoice::Standardised
            && self.audience != Audience::Statutory
            && !self.published_standardised()
        {
            return Err(
                "age-standardised rates other than the three-year suicide rate are for the statutory audience only"
                    .to_owned(),
            );
        }
        Ok(self)
    }

    /// Whether the published rule standardises this query's rates.
    fn published_standardised(&self) -> bool {
        self.dataset.is_suicides()
            && self.by.contains(&Dimension::Rolling3Year)
            && self.measure == Measure::Presentations
    }

    /// Whether the rates are age-standardised (never within an age breakdown).
    #[must_use]
    pub fn standardised(&self) -> bool {
        let by_age =
            self.by.contains(&Dimension::AgeBand) || self.by.contains(&Dimension::AgeGroup);
        !by_age
            && match self.rate {
                RateChoice::Published => self.published_standardised(),
                RateChoice::Crude => false,
                RateChoice::Standardised => true,
            }
    }
    /// A query from the parameters of `GET /api/v1/indicators`: `dataset` (default `suicides`),
    /// `by` (comma-separated, default `year`), `area`, `audience` (default `partner`) and
    /// `measure` (`presentations` or, for self-harm, `persons`).
    ///
    /// # Errors
    /// A message naming the parameter that is wrong and its choices.
    pub fn from_params(
        dataset: Option<&str>,
        by: Option<&str>,
        area: Option<&str>,
        audience: Option<&str>,
        measure: Option<&str>,
    ) -> Result<Self, String> {
        let name = dataset.unwrap_or("suicides");
        if let Some(w) = workforce::query(name, by, area, audience, measure) {
            return w;
        }
        let postvention = name == POSTVENTION;
        let dataset = if postvention {
            &crate::register::SUICIDES
        } else {
            crate::register::dataset(name).ok_or_else(|| {
                format!(
                    "dataset '{name}' is not one of suicides|self-harm|{POSTVENTION}|{}|{}|{}",
                    workforce::TRAINING,
                    workforce::COVERAGE,
                    workforce::MEDIA
                )
            })?
        };
        let mut by = by
            .unwrap_or("year")
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(Dimension::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if postvention && !by.contains(&Dimension::PostventionStage) {
            by.push(Dimension::PostventionStage);
        }
        let audience = Audience::parse(audience.unwrap_or("partner"))?;
        let measure = match measure.unwrap_or("presentations") {
            "presentations" | "deaths" => Measure::Presentations,
            "persons" if dataset.is_self_harm() => Measure::Persons,
            other => {
                return Err(format!(
                    "measure '{other}' is not one of presentations|persons (persons: self-harm only)"
                ));
            }
        };
        Ok(Self {
            dataset,
            by,
            area: area.filter(|a| !a.is_empty()).map(str::to_owned),
            audience,
            measure,
            rate: RateChoice::Published,
        })
    }

    /// A query from a query string as the API takes it: `dataset=suicides&by=year,sex`.
    ///
    /// # Errors
    /// An unknown parameter, or a wrong value.
    pub fn from_query_string(s: &str) -> Result<Self, String> {
        let mut p: [Option<&str>; 5] = [None; 5];
        for pair in s
            .trim()
            .trim_start_matches('?')
            .split('&')
            .filter(|x| !x.is_empty())
        {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let i = ["dataset", "by", "area", "audience", "measure"]
                .iter()
                .position(|n| *n == k.trim())
                .ok_or_else(|| format!("'{k}' is not one of dataset|by|area|audience|measure"))?;
            p[i] = Some(v.trim());
        }
        Self::from_params(p[0], p[1], p[2], p[3], p[4])
    }

    /// Why the request is refused before any work: a dimension named twice, too many
    /// dimensions, or (for partner and public audiences) a combination outside the catalogue
    /// those audiences may ask for. `area_level` is the level of the `area` filter, if any.
    ///
    /// The catalogue (see `lantern_stats::disclosure` for the reasoning): no area level below
    /// the local authority, as a breakdown or as a filter; no method or place by small area
    /// (which follows); periods of a year or a rolling three years; at most
    /// [`MAX_PROTECTED_BREAKDOWNS`] breakdown besides a period and an area level; and for the
    /// public, no place of death (the Samaritans media guidelines).
    pub fn refusal(&self, area_level: Option<AreaLevel>) -> Option<String> {
        if let Some(d) = self
            .by
            .iter()
            .enumerate()
            .find_map(|(i, d)| self.by[..i].contains(d).then_some(d))
        {
            return Some(format!("by names {} more than once", d.name()));
        }
        if self.by.len() > MAX_DIMENSIONS {
            return Some(format!(
                "by names {} dimensions; at most {MAX_DIMENSIONS} may be combined",
                self.by.len()
            ));
        }
        if !self.audience.is_protected() {
            return None;
        }
        let who = self.audience.disclosure();
        let small = |l: AreaLevel| matches!(l, AreaLevel::Lsoa | AreaLevel::Msoa);
        if let Some(l) = self.by.iter().find_map(|d| match d {
            Dimension::Area(l) if small(*l) => Some(*l),
            _ => None,
        }) {
            return Some(format!(
                "the {who} audience cannot break counts down by {} (small areas): the finest level is lad; sign in as an analyst for the statutory figures",
                l.as_str()
            ));
        }
        if let Some(l) = area_level.filter(|l| small(*l)) {
            return Some(format!(
                "the {who} audience cannot ask for one {} (a small area): the finest area is a local authority (lad)",
                l.as_str()
            ));
        }
        let breakdowns: Vec<&str> = self
            .by
            .iter()
            .filter(|d| !d.is_period() && !matches!(d, Dimension::Area(_)))
            .map(|d| d.name())
            .collect();
        if breakdowns.len() > MAX_PROTECTED_BREAKDOWNS {
            return Some(format!(
                "the {who} audience may combine at most {MAX_PROTECTED_BREAKDOWNS} breakdowns besides a period and an area level; this asks for {}",
                breakdowns.join(", ")
            ));
        }
        if self.by.contains(&Dimension::AgeBand) {
            return Some(format!(
                "the {who} audience gets ages in broad groups (age_group: 0-9, 10-24, 25-44, 45-64, 65+), not five-year bands: with five-year counts a directly standardised rate would give a withheld band away"
            ));
        }
        if let Some(p) = self.by.iter().find(|d| {
            matches!(
                d,
                Dimension::Month
                    | Dimension::Quarter
                    | Dimension::FinancialYear
                    | Dimension::FinancialQuarter
            )
        }) {
            return Some(format!(
                "the {who} audience gets figures by year or rolling three years, not by {}: monthly, quarterly and financial-year counts are for the statutory core (financial years beside calendar years would give a quarter away)",
                p.name()
            ));
        }
        if self.audience == Audience::Public && self.by.contains(&Dimension::LocationType) {
            return Some(
                "the public audience cannot break counts down by location_type: public figures never describe where a death happened (Samaritans media guidelines)"
                    .to_owned(),
            );
        }
        if self.audience == Audience::Public
            && let Some(d) = self.by.iter().find(|d| d.is_partner_only())
        {
            return Some(format!(
                "the public audience cannot break counts down by {}: circumstances, contact with services and support after a death are for partners planning prevention",
                d.name()
            ));
        }
        None
    }

    /// The dataset's name as asked for: `postvention` for the suicides by postvention stage.
    pub fn dataset_name(&self) -> &'static str {
        if let Some(name) = workforce::dataset_name(self.measure) {
            name
        } else if self.by.contains(&Dimension::PostventionStage) {
            POSTVENTION
        } else {
            self.dataset.name
        }
    }

    /// The period dimension, if the query has one.
    pub fn period(&self) -> Option<Dimension> {
        self.by.iter().copied().find(|d| d.is_period())
    }
}

/// One row of an indicator table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorRow {
    /// The row's value of each dimension, in the query's order.
    pub dims: Vec<(&'static str, String)>,
    /// The count, or `None` when withheld.
    pub count: Option<u64>,
    /// The rate (per 100,000), or `None` when not computed or withheld.
    pub value: Option<f64>,
    /// Lower 95% limit.
    pub lower: Option<f64>,
    /// Upper 95% limit.
    pub upper: Option<f64>,
    /// The count was withheld.
    pub suppressed: bool,
    /// `crude rate per 100,000`, `dsr per 100,000 (ages 10+)`, or `None`.
    pub statistic: Option<&'static str>,
    /// The row's period ends after the register's last record: the count is of part of it,
    /// while its rate's denominator is the whole period's population.
    pub partial: bool,
    /// By postvention stage, for the `contacted` rows: the median days from the death to the
    /// bereaved's first contact with support (for a partner, only over 10 or more contacts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_days: Option<f64>,
    /// Training and coverage: the denominator and evaluation means.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub workforce: Option<WorkforceFigures>,
}

/// An indicator table and the disclosure rule it carries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorTable {
    /// Rows in order of their dimension values.
    pub rows: Vec<IndicatorRow>,
    /// `statutory` or the preset applied.
    pub disclosure: &'static str,
    /// Whether rows with no records are present (every period from the first record to the
    /// last, every area of a level, every value seen of the other dimensions). They are left out
    /// only when the whole grid would be more than [`MAX_ROWS`] rows.
    pub zero_rows: bool,
    /// The name of every area code in the rows.
    pub names: BTreeMap<String, String>,
    /// The day of the register's last counted record: periods ending after it are part periods.
    pub last_record: Option<NaiveDate>,
}

impl IndicatorTable {
    /// The rows that may leave the server. A withheld row's labels describe the people it
    /// counts (in a fine table, one death's month, sex, age and method), so for protected
    /// audiences withheld rows are not published at all, not even as a labelled gap;
    /// [`Self::some_withheld`] says that the table is incomplete.
    pub fn published(&self) -> impl Iterator<Item = &IndicatorRow> {
        let statutory = self.disclosure == Audience::Statutory.disclosure();
        self.rows.iter().filter(move |r| statutory || !r.suppressed)
    }

    /// The latest period that ends by the last record (not a part period), for a table whose
    /// first dimension is a period; labels of one kind sort in time order.
    pub fn latest_whole_period(&self) -> Option<String> {
        self.rows
            .iter()
            .filter(|r| !r.partial)
            .filter_map(|r| r.dims.first().map(|d| d.1.clone()))
            .max()
    }

    /// Whether any row was withheld.
    pub fn some_withheld(&self) -> bool {
        self.rows.iter().any(|r| r.suppressed)
    }
}

/// Why an indicator cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum IndicatorError {
    /// The request is wrong.
    #[error("{0}")]
    Invalid(String),
    /// The request is well formed but refused: a dimension repeated, too many, a combination
    /// too fine for its audience, or more work than one request may cost.
    #[error("{0}")]
    Refused(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a query's figures count, in words a reader can check: the records and statuses counted,
/// the ages, the rate and its interval, and the part-period rule.
pub fn definition(q: &IndicatorQuery) -> String {
    if let Some(text) = workforce::definition(q) {
        return text;
    }
    let what = if q.dataset.is_suicides() {
        "Suspected and confirmed suicides by date of death, all ages, by area of residence; deaths \
         concluded not to be suicide (status not_suicide or concluded_accident) are not counted"
    } else if q.measure == Measure::Persons {
        "Distinct people presenting with self-harm by date of presentation, all ages, by area of \
         residence (a person counts once in a cell however often they presented)"
    } else {
        "Self-harm presentations by date of presentation, all ages, by area of residence"
    };
    let rate = if q.standardised() && q.rate == RateChoice::Published {
        "Rates per 100,000 are directly standardised to the 2013 European Standard Population, \
         ages 10+, three years pooled (as Fingertips indicator 41001), with 95% intervals \
         (Dobson); by age they are crude"
    } else if q.standardised() {
        "Rates per 100,000 are directly standardised to the 2013 European Standard Population, \
         ages 10+ (events under 10 are not in the rate), with 95% intervals (Dobson)"
    } else {
        "Rates are crude, per 100,000 residents of the same ages, sex and area, with 95% \
         intervals (exact Poisson below 10 events, Byar above)"
    };
    if q.by.contains(&Dimension::PostventionStage) {
        return format!(
            "{what}, by the furthest step of bereavement support recorded: not_recorded (no offer \
             recorded), not_offered, offered (no decision yet), declined, accepted (no referral \
             yet), referred (no contact yet), contacted. The value is the stage's percentage of the \
             deaths in the same period and area, with 95% Wilson intervals; median_days is the \
             median days from the death to the first contact with support. For partners and the \
             public a percentage needs 10 or more deaths and a median 10 or more contacts."
        );
    }
    format!(
        "{what}. {rate}. A period that ends after the last record is a part period (partial): \
         its count covers part of it while its rate's denominator is the whole period's population."
    )
}

/// The dataset of postvention figures: the suspected suicides broken down by
/// [`Dimension::PostventionStage`], with each stage's share of the deaths and the days to first
/// contact.
pub const POSTVENTION: &str = "postvention";

/// The statuses of a death found not to be a suicide: not counted by the indicators, and not
/// on the postvention worklist.
pub const NOT_SUICIDE_STATUSES: [&str; 2] = ["not_suicide", "concluded_accident"];

/// A record that counts as a death or presentation (not one concluded to be something else).
pub(crate) fn counted(r: &Record) -> bool {
    !r.dataset.is_suicides() || !NOT_SUICIDE_STATUSES.contains(&r.text("status").as_str())
}

/// The day of a record's event (its dataset's date field).
pub(crate) fn date_of(r: &Record) -> Option<NaiveDate> {
    match r.get(r.dataset.date_field)? {
        Value::Date(d) => Some(*d),
        Value::DateTime(t) => Some(t.date_naive()),
        _ => None,
    }
}

pub(crate) fn codes(r: &Record, field: &str) -> Vec<String> {
    match r.get(field) {
        Some(Value::Codes(v)) => v.clone(),
        Some(v) => vec![v.to_text()],
        None => vec!["not recorded".to_owned()],
    }
}

struct Context {
    parent: HashMap<String, (String, AreaLevel)>,
    level_of: HashMap<String, AreaLevel>,
    years: (i32, i32),
    /// For a partner or the public: whether support was offered and whether the family
    /// consented are read from the record's postvention stage (the same answers wherever the
    /// record's steps are in order), so that their tables are sums of the stage table's rows and
    /// meet it only there (see [`Linked::decide`]).
    protected: bool,
}

impl Context {
    fn new(areas: &[crate::area::Area], years: (i32, i32), protected: bool) -> Self {
        Self {
            parent: areas
                .iter()
                .filter_map(|a| {
                    a.parent_code
                        .clone()
                        .map(|p| (a.code.clone(), (p, a.level)))
                })
                .collect(),
            level_of: areas.iter().map(|a| (a.code.clone(), a.level)).collect(),
            years,
            protected,
        }
    }

    fn ancestor(&self, code: &str, level: AreaLevel) -> Option<String> {
        let mut c = code.to_owned();
        for _ in 0..16 {
            if self.level_of.get(&c) == Some(&level) {
                return Some(c);
            }
            c = self.parent.get(&c)?.0.clone();
        }
        None
    }

    /// The row a residence counts in at `level`: the area it lies in; no fixed abode and
    /// outside the partnership's areas each apart; otherwise (blank, or an area with no parent
    /// at that level) "unknown".
    fn area_value(&self, home: &str, level: AreaLevel) -> String {
        self.ancestor(home, level).unwrap_or_else(|| {
            crate::area::residence_other(home)
                .map_or_else(|| "unknown".to_owned(), |c| c.code.clone())
        })
    }

    fn within(&self, code: &str, area: &str) -> bool {
        let mut c = code.to_owned();
        for _ in 0..16 {
            if c == area {
                return true;
            }
            match self.parent.get(&c) {
                Some((p, _)) => c = p.clone(),
                None => return false,
            }
        }
        false
    }

    /// The labels of a period dimension a day falls in.
    fn values_on(&self, d: Dimension, date: NaiveDate) -> Vec<String> {
        match d {
            Dimension::Month => vec![date.format("%Y-%m").to_string()],
            Dimension::Quarter => vec![format!("{}-Q{}", date.year(), (date.month() - 1) / 3 + 1)],
            Dimension::Year => vec![date.year().to_string()],
            Dimension::FinancialYear => vec![financial_year(date).0],
            Dimension::FinancialQuarter => {
                let (fy, q) = financial_year(date);
                vec![format!("{fy}-Q{q}")]
            }
            Dimension::Rolling3Year => {
                let y = date.year();
                (y..=y + 2)
                    .filter(|end| *end - 2 >= self.years.0 && *end <= self.years.1)
                    .map(|end| format!("{}-{end}", end - 2))
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    /// The values a record takes for a dimension (several for multi-valued fields and pooled
    /// periods).
    fn values(&self, r: &Record, d: Dimension) -> Vec<String> {
        let date = date_of(r);
        match d {
            Dimension::Month
            | Dimension::Quarter
            | Dimension::Year
            | Dimension::Rolling3Year
            | Dimension::FinancialYear
            | Dimension::FinancialQuarter => {
                date.map(|day| self.values_on(d, day)).unwrap_or_default()
            }
            Dimension::Area(l) => vec![self.area_value(&r.text("residence_area"), l)],
            Dimension::Sex => vec![r.text("sex")],
            Dimension::AgeGroup => match r.get("age") {
                Some(Value::Int(a)) => {
                    let band = (u32::try_from(*a).unwrap_or(0) / 5).min(18) as usize;
                    vec![age_group_of_band(band).to_owned()]
                }
                _ => vec!["unknown".to_owned()],
            },
            Dimension::AgeBand => match r.get("age") {
                Some(Value::Int(a)) => vec![age_band(u32::try_from(*a).unwrap_or(0)).to_owned()],
                _ => vec!["unknown".to_owned()],
            },
            Dimension::PostventionStage => {
                vec![crate::register::postvention::stage(r).to_owned()]
            }
            Dimension::SupportOffered | Dimension::SupportConsent if self.protected => {
                let Some(field) = d.field(r.dataset) else {
                    return Vec::new();
                };
                let stage = crate::register::postvention::stage(r);
                ["yes", "no", "not recorded"]
                    .into_iter()
                    .find(|a| {
                        crate::register::postvention::stages_answering(field, a).contains(&stage)
                    })
                    .map(|a| vec![a.to_owned()])
                    .unwrap_or_default()
            }
            Dimension::MethodGroup
            | Dimension::LocationType
            | Dimension::Setting
            | Dimension::PriorityGroup
            | Dimension::Circumstance
            | Dimension::ServiceContact
            | Dimension::SupportOffered
            | Dimension::SupportConsent
            | Dimension::Assessment => match d.field(r.dataset) {
                Some(field) => codes(r, field),
                None => Vec::new(),
            },
            // Breakdowns of organisations and training: refused for the register by `check_in`.
            Dimension::Sector
            | Dimension::OrgType
            | Dimension::Course
            | Dimension::Framework
            | Dimension::Outlet => Vec::new(),
        }
    }
}

/// Every combination of the per-dimension values.
fn combinations(values: &[Vec<String>]) -> Vec<Vec<String>> {
    values.iter().fold(vec![Vec::new()], |acc, vs| {
        acc.iter()
            .flat_map(|prefix| {
                vs.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push(v.clone());
                    p
                })
            })
            .collect()
    })
}

#[derive(Default)]
struct Cell<'a> {
    count: u64,
    /// Person keys, borrowed from the records.
    persons: HashSet<&'a str>,
    /// Events by ESP2013 band index (for the DSR).
    by_band: [u64; 19],
    /// Days from death to first contact with support, by postvention stage.
    days: Vec<i64>,
}

/// Make an indicator table, within [`WORK_BUDGET`].
///
/// # Errors
/// A dimension that does not apply to the dataset, an unknown area, a request refused (see
/// [`IndicatorQuery::refusal`] and the work budget), or a store failure.
pub async fn indicators(
    store: &dyn Store,
    q: &IndicatorQuery,
) -> Result<IndicatorTable, IndicatorError> {
    indicators_within(store, q, WORK_BUDGET).await
}

/// Make an indicator table, refusing it once it has cost more than `budget` cell updates (a
/// record counted in one cell costs 1; in a priority group by method breakdown, one for each
/// of its groups times each of its methods).
///
/// # Errors
/// As [`indicators`].
pub async fn indicators_within(
    store: &dyn Store,
    q: &IndicatorQuery,
    budget: u64,
) -> Result<IndicatorTable, IndicatorError> {
    if q.measure.is_workforce() {
        return workforce::table(store, q).await;
    }
    check(store, q).await?;
    let records = store
        .export_fields(q.dataset, &fields_for(q.dataset))
        .await?;
    indicators_over(store, q, &Records::new(records), budget).await
}

/// Every record of a dataset, read once for many tables, with the fingerprint the engine's
/// cache of suppression decisions knows them by: made once here rather than for each table.
/// The areas and populations the tables need are read with the first table and kept with the
/// records, so every table made from them shares one reading of those too.
#[derive(Debug)]
pub struct Records {
    all: Vec<Record>,
    fingerprint: u64,
    reference: std::sync::OnceLock<std::sync::Arc<Reference>>,
}

/// The areas, and the populations by (area, year, sex, band index).
#[derive(Debug)]
struct Reference {
    areas: Vec<crate::area::Area>,
    populations: HashMap<(String, i32, PopSex, usize), i64>,
}

impl Records {
    /// The records (with at least the fields [`fields_for`] names) and their fingerprint.
    pub fn new(all: Vec<Record>) -> Self {
        use std::hash::Hasher as _;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let mut text = String::new();
        for r in &all {
            for v in &r.values {
                text.clear();
                match v {
                    Some(v) => {
                        v.write_text(&mut text);
                        h.write_u8(1);
                    }
                    None => h.write_u8(0),
                }
                h.write(text.as_bytes());
                h.write_u8(0xff);
            }
        }
        Self {
            all,
            fingerprint: h.finish(),
            reference: std::sync::OnceLock::new(),
        }
    }

    /// The areas and populations, read from `store` the first time.
    async fn reference(&self, store: &dyn Store) -> Result<std::sync::Arc<Reference>, StoreError> {
        if let Some(r) = self.reference.get() {
            return Ok(std::sync::Arc::clone(r));
        }
        let areas = store.areas(None).await?;
        let mut populations = HashMap::new();
        for p in store.all_populations().await? {
            let band = AGE_BANDS.iter().position(|b| *b == p.age_band).unwrap_or(0);
            populations.insert((p.area_code, p.year, p.sex, band), p.population);
        }
        let r = std::sync::Arc::new(Reference { areas, populations });
        Ok(std::sync::Arc::clone(self.reference.get_or_init(|| r)))
    }

    /// The records.
    pub fn all(&self) -> &[Record] {
        &self.all
    }
}

/// The fields [`indicators_over`] reads: a dimension's, the filter's and the count's.
pub const INDICATOR_FIELDS: [&str; 18] = [
    "", // the dataset's date field, filled in by `fields_for`
    "status",
    "residence_area",
    "sex",
    "age",
    "person_key",
    "methods",
    "method_group",
    "location_type",
    "setting",
    "priority_groups",
    "circumstances",
    "service_contact",
    "support_offered",
    "support_consent",
    "psychosocial_assessment",
    "referral_date",
    "first_contact_date",
];

/// [`INDICATOR_FIELDS`] for a dataset (its date field first).
pub fn fields_for(dataset: &Dataset) -> Vec<&'static str> {
    let mut f = INDICATOR_FIELDS.to_vec();
    f[0] = dataset.date_field;
    f
}

/// The refusals that need no records: a dimension that does not apply, two periods, an
/// unknown area, a request outside the audience's catalogue.
async fn check(store: &dyn Store, q: &IndicatorQuery) -> Result<(), IndicatorError> {
    check_in(&store.areas(None).await?, q)
}

/// [`check`] against areas already read.
fn check_in(areas: &[crate::area::Area], q: &IndicatorQuery) -> Result<(), IndicatorError> {
    if let Some(d) = q.by.iter().find(|d| !d.applies_to(q.dataset)) {
        let other = if matches!(d, Dimension::Sector | Dimension::OrgType) {
            "the training and coverage datasets"
        } else if matches!(d, Dimension::Course | Dimension::Framework) {
            "the training dataset"
        } else if *d == Dimension::Outlet {
            "the media dataset"
        } else if q.dataset.is_suicides() {
            "self-harm, not suicides"
        } else {
            "suicides, not self-harm"
        };
        return Err(IndicatorError::Invalid(format!(
            "{} applies to {other}",
            d.name()
        )));
    }
    if q.by.iter().filter(|d| d.is_period()).count() > 1 {
        return Err(IndicatorError::Invalid(
            "give at most one period (month, quarter, year or rolling_3_year)".to_owned(),
        ));
    }
    let filter_level = match &q.area {
        Some(a) => match areas.iter().find(|x| &x.code == a) {
            Some(x) => Some(x.level),
            None => return Err(IndicatorError::Invalid(format!("area {a} is not known"))),
        },
        None => None,
    };
    if let Some(why) = q.refusal(filter_level) {
        return Err(IndicatorError::Refused(why));
    }
    Ok(())
}

/// Make an indicator table from records already read (every record of the dataset, with at
/// least the fields [`fields_for`] names), within `budget`: for callers that make many tables
/// from one read, such as the reports.
///
/// # Errors
/// As [`indicators`].
pub async fn indicators_over(
    store: &dyn Store,
    q: &IndicatorQuery,
    all: &Records,
    budget: u64,
) -> Result<IndicatorTable, IndicatorError> {
    let reference = all.reference(store).await?;
    let areas = &reference.areas;
    check_in(areas, q)?;
    let records: Vec<&Record> = all.all.iter().filter(|r| counted(r)).collect();
    let dates = (
        records.iter().filter_map(|r| date_of(r)).min(),
        records.iter().filter_map(|r| date_of(r)).max(),
    );
    let years: Vec<i32> = [dates.0, dates.1]
        .into_iter()
        .flatten()
        .map(|d| d.year())
        .collect();
    let ctx = Context::new(
        areas,
        (
            years.iter().copied().min().unwrap_or(0),
            years.iter().copied().max().unwrap_or(0),
        ),
        q.audience.is_protected(),
    );
    let mut cells: BTreeMap<Vec<String>, Cell<'_>> = BTreeMap::new();
    let mut work = 0_u64;
    let too_fine = || {
        IndicatorError::Refused(format!(
            "this breakdown is too fine to compute in one request (more than {budget} cell updates or {MAX_ROWS} rows): name fewer dimensions or one area"
        ))
    };
    let by_stage = q.by.contains(&Dimension::PostventionStage);
    for r in &records {
        if let Some(area) = &q.area
            && !ctx.within(&r.text("residence_area"), area)
        {
            continue;
        }
        let values: Vec<Vec<String>> = q.by.iter().map(|d| ctx.values(r, *d)).collect();
        let band = match r.get("age") {
            Some(Value::Int(a)) => Some((u32::try_from(*a).unwrap_or(0) / 5).min(18) as usize),
            _ => None,
        };
        let days = by_stage
            .then(|| crate::register::postvention::days_to_contact(r))
            .flatten();
        work += values.iter().map(|v| v.len() as u64).product::<u64>();
        if work > budget {
            return Err(too_fine());
        }
        for key in combinations(&values) {
            let cell = cells.entry(key).or_default();
            cell.count += 1;
            if q.measure == Measure::Persons {
                cell.persons.insert(match r.get("person_key") {
                    Some(Value::Text(k)) => k.as_str(),
                    _ => "",
                });
            }
            if let Some(b) = band {
                cell.by_band[b] += 1;
            }
            if let Some(d) = days {
                cell.days.push(d);
            }
        }
        if cells.len() > MAX_ROWS {
            return Err(too_fine());
        }
    }
    let populations = Denominators::new(&reference, q.area.as_deref());
    let mut rows: Vec<IndicatorRow> = cells
        .iter()
        .map(|(key, cell)| {
            let count = if q.measure == Measure::Persons {
                cell.persons.len() as u64
            } else {
                cell.count
            };
            let (statistic, estimate) = rate(q, key, cell, count, &populations, &ctx);
            IndicatorRow {
                dims: q
                    .by
                    .iter()
                    .map(|d| d.name())
                    .zip(key.iter().cloned())
                    .collect(),
                count: Some(count),
                value: estimate.map(|e| e.0),
                lower: estimate.map(|e| e.1),
                upper: estimate.map(|e| e.2),
                suppressed: false,
                statistic,
                partial: false,
                median_days: postvention::median_days(&cell.days, q.audience),
                workforce: None,
            }
        })
        .collect();
    let zero_rows = match zero_keys(q, &ctx, areas, dates, &cells) {
        Some(keys) => {
            for key in keys {
                let (statistic, estimate) = rate(q, &key, &Cell::default(), 0, &populations, &ctx);
                rows.push(IndicatorRow {
                    dims: q.by.iter().map(|d| d.name()).zip(key).collect(),
                    count: Some(0),
                    value: estimate.map(|e| e.0),
                    lower: estimate.map(|e| e.1),
                    upper: estimate.map(|e| e.2),
                    suppressed: false,
                    statistic,
                    partial: false,
                    median_days: None,
                    workforce: None,
                });
            }
            rows.sort_by(|a, b| a.dims.cmp(&b.dims));
            true
        }
        None => false,
    };
    if let (Some(period), Some(last)) = (q.period(), dates.1) {
        let at = q.by.iter().position(|d| *d == period).unwrap_or(0);
        for r in &mut rows {
            r.partial = r.dims.get(at).and_then(|(_, v)| period_end(period, v)) > Some(last);
        }
    }
    let totals = by_stage.then(|| postvention::totals(q, &rows));
    if q.audience.is_protected() {
        if q.measure == Measure::Presentations {
            let decision = Linked::cached(&records, all.fingerprint, &ctx, areas, q.dataset);
            // A row of no records is known to everybody (the attacker is given every zero
            // cell): it stays published, with its rate withheld under the rate rule.
            let (mut counted_rows, zero): (Vec<IndicatorRow>, Vec<IndicatorRow>) =
                std::mem::take(&mut rows)
                    .into_iter()
                    .partition(|r| r.count != Some(0));
            decision.apply(q, &ctx, &mut counted_rows);
            rows = counted_rows;
            rows.extend(zero.into_iter().map(|mut r| {
                (r.value, r.lower, r.upper) = (None, None, None);
                r
            }));
            rows.sort_by(|a, b| a.dims.cmp(&b.dims));
            if let Some(totals) = &totals {
                postvention::shares(q, &mut rows, totals, |row| {
                    decision.base_published(q, &ctx, row)
                });
            }
        } else {
            // Distinct people do not add up across tables, so there is no linear route from one
            // table to another: each table is protected on its own.
            apply_partner(&mut rows);
        }
    } else if let Some(totals) = &totals {
        postvention::shares(q, &mut rows, totals, |_| true);
    }
    let names = areas
        .iter()
        .filter(|a| {
            rows.iter().any(|r| {
                r.dims
                    .iter()
                    .any(|(k, v)| *k == a.level.as_str() && *v == a.code)
            }) || q.area.as_deref() == Some(a.code.as_str())
        })
        .map(|a| (a.code.clone(), a.name.clone()))
        .chain(
            crate::codes::list(crate::area::RESIDENCE_LIST)
                .codes
                .iter()
                .filter(|c| {
                    rows.iter().any(|r| {
                        r.dims
                            .iter()
                            .any(|(k, v)| AreaLevel::parse(k).is_ok() && *v == c.code)
                    })
                })
                .map(|c| (c.code.clone(), c.label.clone())),
        )
        .collect();
    Ok(IndicatorTable {
        rows,
        disclosure: q.audience.disclosure(),
        zero_rows,
        names,
        last_record: dates.1,
    })
}

/// The keys of the rows with no records: the grid of every period from the first record to the
/// last, every area of each area level (within the filter), and every value seen of the other
/// dimensions, less the keys that have records. `None` when the grid would be more than
/// [`MAX_ROWS`] rows.
fn zero_keys(
    q: &IndicatorQuery,
    ctx: &Context,
    areas: &[crate::area::Area],
    dates: (Option<NaiveDate>, Option<NaiveDate>),
    cells: &BTreeMap<Vec<String>, Cell<'_>>,
) -> Option<Vec<Vec<String>>> {
    let (Some(first), Some(last)) = dates else {
        return Some(Vec::new());
    };
    let mut domains: Vec<Vec<String>> = Vec::with_capacity(q.by.len());
    for (i, d) in q.by.iter().enumerate() {
        let seen = || -> BTreeSet<String> { cells.keys().map(|k| k[i].clone()).collect() };
        let domain: BTreeSet<String> = match d {
            Dimension::Month
            | Dimension::Quarter
            | Dimension::FinancialYear
            | Dimension::FinancialQuarter => {
                let mut out = BTreeSet::new();
                let mut m = first.with_day(1)?;
                while m <= last {
                    out.extend(ctx.values_on(*d, m));
                    m = m.checked_add_months(chrono::Months::new(1))?;
                }
                out
            }
            Dimension::Year => (ctx.years.0..=ctx.years.1).map(|y| y.to_string()).collect(),
            Dimension::Rolling3Year => (ctx.years.0 + 2..=ctx.years.1)
                .map(|end| format!("{}-{end}", end - 2))
                .collect(),
            Dimension::Area(level) => {
                let mut out: BTreeSet<String> = areas
                    .iter()
                    .filter(|a| a.level == *level)
                    .filter(|a| q.area.as_deref().is_none_or(|f| ctx.within(&a.code, f)))
                    .map(|a| a.code.clone())
                    .collect();
                out.extend(seen());
                out
            }
            _ => seen(),
        };
        domains.push(domain.into_iter().collect());
    }
    let size = domains
        .iter()
        .try_fold(1_usize, |n, d| n.checked_mul(d.len()))?;
    if size > MAX_ROWS {
        return None;
    }
    Some(
        combinations(&domains)
            .into_iter()
            .filter(|k| !cells.contains_key(k))
            .collect(),
    )
}

/// The financial year a day falls in (`2024/25` from April 2024 to March 2025) and its quarter
/// (1 for April to June).
fn financial_year(date: NaiveDate) -> (String, u32) {
    let start = if date.month() >= 4 {
        date.year()
    } else {
        date.year() - 1
    };
    let q = (date.month() + 8) % 12 / 3 + 1;
    (format!("{start}/{:02}", (start + 1).rem_euclid(100)), q)
}

/// The last day of a period label (`2024-03`, `2024-Q1`, `2024`, `2022-2024`).
fn period_end(d: Dimension, label: &str) -> Option<NaiveDate> {
    let year = |s: &str| s.parse::<i32>().ok();
    let (y, month) = match d {
        Dimension::Month => (year(label.get(..4)?)?, label.get(5..)?.parse::<u32>().ok()?),
        Dimension::Quarter => (
            year(label.get(..4)?)?,
            3 * label.get(6..)?.parse::<u32>().ok()?,
        ),
        Dimension::Year => (year(label)?, 12),
        Dimension::Rolling3Year => (year(label.get(5..)?)?, 12),
        // `2024/25` ends in March 2025; `2024/25-Q1` in June 2024.
        Dimension::FinancialYear => (year(label.get(..4)?)? + 1, 3),
        Dimension::FinancialQuarter => {
            let start = year(label.get(..4)?)?;
            match label.get(9..)?.parse::<u32>().ok()? {
                q @ 1..=3 => (start, 3 + 3 * q),
                4 => (start + 1, 3),
                _ => return None,
            }
        }
        _ => return None,
    };
    let next = if month == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, month + 1, 1)
    }?;
    next.pred_opt()
}

/// The breakdowns partners and the public may ask for, each a system of the catalogue. Whether
/// support was offered and whether the family consented are not systems of their own: for these
/// audiences each answer is a sum of postvention stages (see [`Context::protected`]), so their
/// rows are cells of the stage system's span, published only where every stage they add up is.
const PROTECTED_BREAKDOWNS: [Dimension; 10] = [
    Dimension::Sex,
    Dimension::AgeGroup,
    Dimension::MethodGroup,
    Dimension::LocationType,
    Dimension::Setting,
    Dimension::PriorityGroup,
    Dimension::Circumstance,
    Dimension::ServiceContact,
    Dimension::PostventionStage,
    Dimension::Assessment,
];

/// Which cells of the whole partner and public catalogue are published, decided for every table
/// at once (see `linked.rs`).
struct Linked {
    universe: linked::Universe,
    base: linked::System,
    /// One system per breakdown in [`PROTECTED_BREAKDOWNS`] that applies to the dataset.
    systems: Vec<(Dimension, linked::System)>,
    /// Each unit's code, for the groups of areas.
    unit_index: HashMap<String, usize>,
}

/// Decisions recently made, by dataset and a fingerprint of the records and areas they were
/// made from: the same register answers every partner request from one decision.
static DECISIONS: std::sync::Mutex<Vec<(DecisionKey, std::sync::Arc<Linked>)>> =
    std::sync::Mutex::new(Vec::new());

/// A decision's dataset and the fingerprint of its records and areas.
type DecisionKey = (&'static str, u64);

impl Linked {
    /// [`Linked::decide`], kept for the next request over the same records.
    fn cached(
        records: &[&Record],
        fingerprint: u64,
        ctx: &Context,
        areas: &[crate::area::Area],
        dataset: &'static Dataset,
    ) -> std::sync::Arc<Self> {
        use std::hash::{Hash as _, Hasher as _};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        fingerprint.hash(&mut h);
        for a in areas {
            (&a.code, &a.parent_code).hash(&mut h);
        }
        let key = (dataset.name, h.finish());
        if let Ok(cache) = DECISIONS.lock()
            && let Some((_, d)) = cache.iter().find(|(k, _)| *k == key)
        {
            return std::sync::Arc::clone(d);
        }
        let decision = std::sync::Arc::new(Self::decide(records, ctx, areas, dataset));
        if let Ok(mut cache) = DECISIONS.lock() {
            if cache.len() >= 8 {
                cache.remove(0);
            }
            cache.push((key, std::sync::Arc::clone(&decision)));
        }
        decision
    }

    /// Build every system from the records (all of them: the catalogue covers every filter) and
    /// run suppression over them together.
    fn decide(
        records: &[&Record],
        ctx: &Context,
        areas: &[crate::area::Area],
        dataset: &'static Dataset,
    ) -> Self {
        let small = |l: AreaLevel| matches!(l, AreaLevel::Lsoa | AreaLevel::Msoa);
        let unit_of = |r: &Record| {
            let home = r.text("residence_area");
            ctx.ancestor(&home, AreaLevel::Lad).unwrap_or(home)
        };
        let mut units: BTreeSet<String> = areas
            .iter()
            .filter(|a| a.level == AreaLevel::Lad)
            .map(|a| a.code.clone())
            .collect();
        units.extend(records.iter().map(|r| unit_of(r)));
        let units: Vec<String> = units.into_iter().collect();
        let unit_index: HashMap<String, usize> = units
            .iter()
            .enumerate()
            .map(|(i, u)| (u.clone(), i))
            .collect();
        let within = |a: &str| -> BTreeSet<usize> {
            units
                .iter()
                .enumerate()
                .filter(|(_, u)| ctx.within(u, a))
                .map(|(i, _)| i)
                .collect()
        };
        // The units an area row of a level names when it is not an area: "unknown", no fixed
        // abode or outside the partnership's areas (each of the last two is one unit).
        let apart_at = |l: AreaLevel| -> BTreeMap<String, BTreeSet<usize>> {
            let mut out: BTreeMap<String, BTreeSet<usize>> = BTreeMap::new();
            for (i, u) in units.iter().enumerate() {
                if ctx.ancestor(u, l).is_none() {
                    out.entry(ctx.area_value(u, l)).or_default().insert(i);
                }
            }
            out
        };
        let nameable: Vec<&crate::area::Area> = areas.iter().filter(|a| !small(a.level)).collect();
        let filters: Vec<BTreeSet<usize>> = nameable.iter().map(|a| within(&a.code)).collect();
        let mut groups: Vec<BTreeSet<usize>> = vec![(0..units.len()).collect()];
        groups.extend(filters.iter().cloned());
        for level in AreaLevel::ALL.into_iter().filter(|l| !small(*l)) {
            for apart in apart_at(level).into_values() {
                for f in &filters {
                    groups.push(f.intersection(&apart).copied().collect());
                }
                groups.push(apart);
            }
        }
        let undated = records.iter().any(|r| date_of(r).is_none());
        let universe = linked::Universe::new(ctx.years, undated, units, groups);
        let mut base = linked::System::new(&universe, Vec::new(), true);
        let dims: Vec<Dimension> = PROTECTED_BREAKDOWNS
            .into_iter()
            .filter(|d| d.applies_to(dataset))
            .collect();
        let value_lists: Vec<Vec<String>> = dims
            .iter()
            .map(|d| {
                records
                    .iter()
                    .flat_map(|r| ctx.values(r, *d))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect()
            })
            .collect();
        let mut systems: Vec<(Dimension, linked::System)> = dims
            .iter()
            .zip(value_lists)
            .map(|(d, values)| {
                let single = !multi_valued(dataset, *d);
                (*d, linked::System::new(&universe, values, single))
            })
            .collect();
        for r in records {
            let time = universe.time(date_of(r).map(|d| d.year()));
            let Some(&unit) = unit_index.get(&unit_of(r)) else {
                continue;
            };
            base.add(&universe, 0, time, unit);
            for (d, s) in &mut systems {
                for v in ctx.values(r, *d) {
                    if let Some(i) = s.values.iter().position(|x| *x == v) {
                        s.add(&universe, i, time, unit);
                    }
                }
            }
        }
        let mut plain: Vec<linked::System> = systems.iter().map(|(_, s)| s.clone()).collect();
        linked::protect(&universe, &mut base, &mut plain);
        for ((_, s), done) in systems.iter_mut().zip(plain) {
            *s = done;
        }
        Self {
            universe,
            base,
            systems,
            unit_index,
        }
    }

    /// The catalogue cells a row of `q` adds up, each with the system it belongs to (`None`:
    /// the base): one cell, or for whether support was offered or consented to, the cells of
    /// the stages that answer so (a stage no record reached is a zero, known to all, and left
    /// out).
    fn cell_of(
        &self,
        q: &IndicatorQuery,
        ctx: &Context,
        row: &IndicatorRow,
    ) -> Option<Vec<(Option<usize>, linked::Cell)>> {
        let mut window = linked::Window::All;
        let mut units: BTreeSet<usize> = match &q.area {
            Some(a) => self
                .unit_index
                .iter()
                .filter(|(u, _)| ctx.within(u, a))
                .map(|(_, i)| *i)
                .collect(),
            None => (0..self.universe.units.len()).collect(),
        };
        let mut system = None;
        let mut values = vec![0];
        for (d, (_, v)) in q.by.iter().zip(&row.dims) {
            match d {
                Dimension::Year => window = linked::Window::Year(v.parse().ok()?),
                Dimension::Rolling3Year => {
                    window = linked::Window::Rolling(v.get(..4)?.parse().ok()?);
                }
                Dimension::Area(level) => {
                    units.retain(|i| {
                        let u = &self.universe.units[*i];
                        ctx.area_value(u, *level) == *v
                    });
                }
                Dimension::SupportOffered | Dimension::SupportConsent => {
                    let field = d.field(q.dataset)?;
                    let stage = Dimension::PostventionStage;
                    let s = self.systems.iter().position(|(x, _)| *x == stage)?;
                    let seen = &self.systems[s].1.values;
                    values = crate::register::postvention::stages_answering(field, v)
                        .iter()
                        .filter_map(|st| seen.iter().position(|x| x == st))
                        .collect();
                    system = Some(s);
                }
                other => {
                    let s = self.systems.iter().position(|(x, _)| x == other)?;
                    values = vec![self.systems[s].1.values.iter().position(|x| x == v)?];
                    system = Some(s);
                }
            }
        }
        let group = self.universe.group(&units)?;
        Some(
            values
                .into_iter()
                .map(|value| (system, (window, group, value)))
                .collect(),
        )
    }

    /// Whether the row of the table without the postvention stage that a stage row belongs to
    /// (its period and area's deaths) is published: a stage's share of it would give it away.
    fn base_published(&self, q: &IndicatorQuery, ctx: &Context, row: &IndicatorRow) -> bool {
        let keep = |d: &Dimension| *d != Dimension::PostventionStage;
        let base = IndicatorQuery {
            by: q.by.iter().copied().filter(keep).collect(),
            ..q.clone()
        };
        let base_row = IndicatorRow {
            dims: q
                .by
                .iter()
                .zip(&row.dims)
                .filter(|(d, _)| keep(d))
                .map(|(_, v)| v.clone())
                .collect(),
            ..row.clone()
        };
        self.cell_of(&base, ctx, &base_row)
            .is_some_and(|cells| cells.iter().all(|(s, c)| !self.withheld(*s, *c)))
    }

    fn withheld(&self, system: Option<usize>, cell: linked::Cell) -> bool {
        match system {
            None => self.base.is_withheld(&self.universe, cell),
            Some(s) => self.systems[s].1.is_withheld(&self.universe, cell),
        }
    }

    /// Withhold the rows the decision withholds (and any row the catalogue cannot place), and
    /// their rates. A directly standardised rate is a weighted sum of five-year band counts;
    /// since the catalogue has only broad age groups, whose cells weight every band of a group
    /// alike while the rate weights them differently, no combination of it with published cells
    /// is a catalogue cell, and it is published by the rate rule alone.
    fn apply(&self, q: &IndicatorQuery, ctx: &Context, rows: &mut [IndicatorRow]) {
        for r in rows.iter_mut() {
            let cell = self.cell_of(q, ctx, r);
            let hidden = r.count.is_some_and(|n| (1..=4).contains(&n))
                || cell.is_none_or(|cells| cells.iter().any(|(s, c)| self.withheld(*s, *c)));
            if hidden {
                r.count = None;
                r.suppressed = true;
            }
            let kind = if r.statistic.is_some_and(|s| s.starts_with("dsr")) {
                RateKind::Standardised
            } else {
                RateKind::Crude
            };
            let events = r.count.unwrap_or(0);
            if hidden || rate_rule(Preset::Partner, events, kind) != RateRule::Show {
                (r.value, r.lower, r.upper) = (None, None, None);
            }
        }
    }
}

/// The broad age groups partners and the public get, as five-year band ranges.
pub const AGE_GROUPS: [(&str, std::ops::Range<usize>); 5] = [
    ("0-9", 0..2),
    ("10-24", 2..5),
    ("25-44", 5..9),
    ("45-64", 9..13),
    ("65+", 13..19),
];

/// The broad group of a five-year band (by index into `AGE_BANDS`).
pub(crate) fn age_group_of_band(band: usize) -> &'static str {
    AGE_GROUPS
        .iter()
        .find(|(_, r)| r.contains(&band))
        .map_or("unknown", |(g, _)| g)
}

/// Whether a record may take several values of a dimension (so its values do not add up to
/// the total).
fn multi_valued(dataset: &Dataset, d: Dimension) -> bool {
    d.field(dataset)
        .and_then(|f| dataset.field(f))
        .is_some_and(|f| matches!(f.kind, crate::register::FieldKind::Codes(_)))
}

/// Populations by (area, year, sex, band index).
struct Denominators<'r> {
    by: &'r HashMap<(String, i32, PopSex, usize), i64>,
    /// The area(s) a row without an area dimension refers to.
    whole: Vec<String>,
}

impl<'r> Denominators<'r> {
    fn new(reference: &'r Reference, filter: Option<&str>) -> Self {
        let whole = match filter {
            Some(a) => vec![a.to_owned()],
            None => reference
                .areas
                .iter()
                .filter(|a| a.parent_code.is_none())
                .map(|a| a.code.clone())
                .collect(),
        };
        Self {
            by: &reference.populations,
            whole,
        }
    }

    fn get(&self, areas: &[String], years: &[i32], sex: PopSex, bands: &[usize]) -> Option<f64> {
        let mut total = 0_i64;
        for a in areas {
            for y in years {
                for b in bands {
                    total += *self.by.get(&(a.clone(), *y, sex, *b))?;
                }
            }
        }
        (total > 0).then_some(total as f64)
    }
}

/// The rate for a row: DSR 10+ for suicides by rolling period (when age is not a dimension),
/// otherwise a crude rate, where every dimension has a denominator.
fn rate(
    q: &IndicatorQuery,
    key: &[String],
    cell: &Cell<'_>,
    count: u64,
    pops: &Denominators<'_>,
    ctx: &Context,
) -> (Option<&'static str>, Option<(f64, f64, f64)>) {
    let mut areas = pops.whole.clone();
    let mut years: Vec<i32> = (ctx.years.0..=ctx.years.1).collect();
    let mut sex = PopSex::Persons;
    let mut bands: Vec<usize> = (0..19).collect();
    for (d, v) in q.by.iter().zip(key) {
        match d {
            Dimension::Year => years = v.parse().ok().into_iter().collect(),
            // A financial year's population is the mid-year estimate of the year it starts in.
            Dimension::FinancialYear => {
                years = v
                    .get(..4)
                    .and_then(|y| y.parse().ok())
                    .into_iter()
                    .collect()
            }
            Dimension::Rolling3Year => {
                let Some(start) = v.get(..4).and_then(|s| s.parse::<i32>().ok()) else {
                    return (None, None);
                };
                years = (start..start + 3).collect();
            }
            Dimension::Area(_) => areas = vec![v.clone()],
            Dimension::Sex => match PopSex::parse(v) {
                Ok(s) => sex = s,
                Err(_) => return (None, None),
            },
            Dimension::AgeGroup => {
                bands = (0..19).filter(|b| age_group_of_band(*b) == v).collect();
                if bands.is_empty() {
                    return (None, None);
                }
            }
            Dimension::AgeBand => match AGE_BANDS.iter().position(|b| b == v) {
                Some(b) => bands = vec![b],
                None => return (None, None),
            },
            _ => return (None, None),
        }
    }
    if q.standardised() {
        let input: Option<Vec<AgeBand>> = (2..19)
            .map(|b| {
                pops.get(&areas, &years, sex, &[b]).map(|n| AgeBand {
                    count: cell.by_band[b] as f64,
                    population: n,
                    weight: ESP2013[b],
                    event_variance: None,
                })
            })
            .collect();
        let Some(input) = input else {
            return (Some("dsr per 100,000 (ages 10+)"), None);
        };
        let e = dsr(&input, 100_000.0, 0.95).ok().and_then(|d| d.estimate);
        return (
            Some("dsr per 100,000 (ages 10+)"),
            e.map(|e| (e.value, e.lower, e.upper)),
        );
    }
    let Some(population) = pops.get(&areas, &years, sex, &bands) else {
        return (Some("crude rate per 100,000"), None);
    };
    let e = crude_rate(count as f64, population, 100_000.0, 0.95)
        .ok()
        .flatten();
    (
        Some("crude rate per 100,000"),
        e.map(|e| (e.value, e.lower, e.upper)),
    )
}

/// The partner preset over the rows: the first dimension's values are table rows, the other
/// dimensions together are columns, so the totals a coarser request would publish are margins
/// here, and secondary suppression protects against them. Rates on fewer than 10 events are
/// withheld too.
fn apply_partner(rows: &mut [IndicatorRow]) {
    let row_key = |r: &IndicatorRow| r.dims.first().map(|d| d.1.clone()).unwrap_or_default();
    let col_key = |r: &IndicatorRow| {
        r.dims
            .iter()
            .skip(1)
            .map(|d| d.1.as_str())
            .collect::<Vec<_>>()
            .join("\u{1f}")
    };
    let row_keys: Vec<String> = rows
        .iter()
        .map(row_key)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let col_keys: Vec<String> = rows
        .iter()
        .map(col_key)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut grid = vec![vec![0_u64; col_keys.len()]; row_keys.len()];
    let mut place = Vec::with_capacity(rows.len());
    for r in rows.iter() {
        let i = row_keys.binary_search(&row_key(r)).unwrap_or(0);
        let j = col_keys.binary_search(&col_key(r)).unwrap_or(0);
        grid[i][j] = r.count.unwrap_or(0);
        place.push((i, j));
    }
    let published = protect_table(&CountTable::from_cells(&grid), Preset::Partner).ok();
    for (r, (i, j)) in rows.iter_mut().zip(place) {
        let hidden = published.as_ref().is_none_or(|p| p.cells[i][j].suppressed);
        if hidden {
            r.count = None;
            r.suppressed = true;
        }
        let events = r.count.unwrap_or(0);
        let kind = if r.statistic.is_some_and(|s| s.starts_with("dsr")) {
            RateKind::Standardised
        } else {
            RateKind::Crude
        };
        if hidden || rate_rule(Preset::Partner, events, kind) != RateRule::Show {
            (r.value, r.lower, r.upper) = (None, None, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_is_standardised_where_asked_and_allowed() {
        let q = |by: &str, audience: &str, rate: &str| {
            IndicatorQuery::from_params(Some("suicides"), Some(by), None, Some(audience), None)
                .and_then(|q| q.with_rate(Some(rate)))
        };
        let standardised =
            |by: &str, audience: &str, rate: &str| q(by, audience, rate).map(|q| q.standardised());
        assert_eq!(
            standardised("rolling_3_year", "partner", "published"),
            Ok(true)
        );
        assert_eq!(
            standardised("rolling_3_year", "partner", "standardised"),
            Ok(true)
        );
        assert_eq!(
            standardised("rolling_3_year", "statutory", "crude"),
            Ok(false)
        );
        assert_eq!(
            standardised("year,lad", "statutory", "standardised"),
            Ok(true)
        );
        assert_eq!(standardised("year", "statutory", "published"), Ok(false));
        // Never within an age breakdown: a rate by age is that age's own.
        assert_eq!(
            standardised("year,age_group", "statutory", "dsr"),
            Ok(false)
        );
        assert!(q("year", "partner", "standardised").is_err());
        assert!(q("year", "public", "dsr").is_err());
        assert!(q("year", "statutory", "weighted").is_err());
        let d = definition(&q("year", "statutory", "standardised").expect("allowed"));
        assert!(d.contains("European Standard Population"), "{d}");
    }

    #[test]
    fn financial_years_run_april_to_march() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(financial_year(d(2024, 4, 1)), ("2024/25".to_owned(), 1));
        assert_eq!(financial_year(d(2024, 6, 30)), ("2024/25".to_owned(), 1));
        assert_eq!(financial_year(d(2024, 7, 1)), ("2024/25".to_owned(), 2));
        assert_eq!(financial_year(d(2024, 12, 31)), ("2024/25".to_owned(), 3));
        assert_eq!(financial_year(d(2025, 3, 31)), ("2024/25".to_owned(), 4));
        assert_eq!(financial_year(d(2000, 1, 1)), ("1999/00".to_owned(), 4));
        assert_eq!(
            period_end(Dimension::FinancialYear, "2024/25"),
            Some(d(2025, 3, 31))
        );
        assert_eq!(
            period_end(Dimension::FinancialQuarter, "2024/25-Q1"),
            Some(d(2024, 6, 30))
        );
        assert_eq!(
            period_end(Dimension::FinancialQuarter, "2024/25-Q3"),
            Some(d(2024, 12, 31))
        );
        assert_eq!(
            period_end(Dimension::FinancialQuarter, "2024/25-Q4"),
            Some(d(2025, 3, 31))
        );
        assert_eq!(
            period_end(Dimension::Quarter, "2024-Q2"),
            Some(d(2024, 6, 30))
        );
        assert_eq!(
            period_end(Dimension::Month, "2024-02"),
            Some(d(2024, 2, 29))
        );
    }

    #[test]
    fn dimensions_parse_and_name_round_trip() {
        for s in [
            "month",
            "quarter",
            "year",
            "rolling_3_year",
            "financial_year",
            "financial_quarter",
            "lad",
            "lsoa",
            "sex",
            "age_band",
            "age_group",
            "method_group",
            "location_type",
            "setting",
            "priority_group",
        ] {
            assert_eq!(Dimension::parse(s).unwrap().name(), s);
        }
        assert!(Dimension::parse("planet").is_err());
    }

    #[test]
    fn combinations_are_the_cartesian_product() {
        let v = vec![vec!["a".to_owned(), "b".to_owned()], vec!["x".to_owned()]];
        assert_eq!(combinations(&v), [vec!["a", "x"], vec!["b", "x"]]);
    }

    #[test]
    fn partner_rows_never_show_1_to_4() {
        let row = |y: &str, s: &str, n: u64| IndicatorRow {
            dims: vec![("year", y.to_owned()), ("sex", s.to_owned())],
            count: Some(n),
            value: Some(1.0),
            lower: Some(0.5),
            upper: Some(2.0),
            suppressed: false,
            statistic: Some("crude rate per 100,000"),
            partial: false,
            median_days: None,
            workforce: None,
        };
        let mut rows = vec![
            row("2023", "male", 3),
            row("2023", "female", 12),
            row("2024", "male", 20),
            row("2024", "female", 30),
        ];
        apply_partner(&mut rows);
        assert!(rows.iter().all(|r| !matches!(r.count, Some(1..=4))));
        assert!(rows[0].suppressed && rows[0].value.is_none());
        assert!(
            rows.iter().filter(|r| r.suppressed).count() >= 2,
            "a lone suppressed cell would be recoverable"
        );
    }
}
