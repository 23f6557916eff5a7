//! `lantern stats scan`: Kulldorff's scan statistics on files in SaTScan's formats, with no
//! database. Every problem in the input is reported as `FILE:LINE: COLUMN: message` and nothing
//! is computed until the files are clean.
//!
//! - Cases: `location count [date] [covariate ...]`.
//! - Coordinates: `location latitude longitude` (`lat_long`), or Cartesian `location x y`.
//! - Population (Poisson): `location year-or-date population [covariate ...]`.
//!
//! Cells are separated by white space or commas. Dates are `YYYY/MM/DD`, `YYYY-MM-DD`,
//! `YYYY/MM` or `YYYY`; a population year may have two digits (`73` is 1973), as in SaTScan's
//! sample files.
//!
//! For the Poisson models the expected count of a cell is its population-time, standardised
//! indirectly over the covariate groups when there are covariates: within each group, the
//! group's cases are shared out in proportion to population-time. Population between census
//! dates is interpolated linearly, and held level before the first and after the last; a census
//! given as a year counts as that year's 1 July. Periods are aligned so that the last one ends on
//! the study's end date.

use std::collections::HashMap;
use std::path::Path;

use chrono::{Datelike, NaiveDate};
use lantern_stats::{ScanData, ScanModel, ScanSettings};
use serde::Serialize;

use crate::import::{ImportError, Problems, display_name};

/// Which scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanKind {
    /// Purely spatial, discrete Poisson (population needed).
    Poisson,
    /// Space-time, discrete Poisson (population needed).
    SpaceTimePoisson,
    /// Space-time permutation (cases only).
    SpaceTimePermutation,
}

impl ScanKind {
    /// The name used on the command line and in the output.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Poisson => "poisson",
            Self::SpaceTimePoisson => "space-time-poisson",
            Self::SpaceTimePermutation => "space-time-permutation",
        }
    }

    fn temporal(self) -> bool {
        self != Self::Poisson
    }
}

/// The unit periods are counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// Days.
    Day,
    /// Calendar months.
    Month,
    /// Calendar years.
    Year,
}

/// The longest cluster in time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MaxTemporal {
    /// At most this many days.
    Days(u32),
    /// At most this share of the study period, in percent.
    Percent(f64),
}

/// How `lantern stats scan` reads and scans.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanOptions {
    /// The model.
    pub kind: ScanKind,
    /// Coordinates are latitude and longitude (otherwise Cartesian x y).
    pub lat_long: bool,
    /// The study period's first day (default: the earliest case's).
    pub start: Option<NaiveDate>,
    /// The study period's last day (default: the latest case's).
    pub end: Option<NaiveDate>,
    /// Prospective: only clusters that are still going on at the end date.
    pub prospective: bool,
    /// The largest window, in percent of the population (of the cases, for the permutation
    /// model).
    pub max_spatial_percent: f64,
    /// The largest radius, in km (latitude/longitude) or coordinate units (Cartesian).
    pub max_radius: Option<f64>,
    /// The longest cluster in time.
    pub max_temporal: MaxTemporal,
    /// The unit of the periods.
    pub unit: TimeUnit,
    /// How many units make a period.
    pub length: u32,
    /// Monte Carlo replications.
    pub replications: usize,
    /// The random seed.
    pub seed: u64,
    /// The fewest cases in a cluster.
    pub min_cases: u32,
    /// The most clusters reported.
    pub max_clusters: usize,
    /// Space-time Poisson: every period expects the same number of cases, spread over the
    /// locations by that period's population (as scanstatistics does), instead of expecting
    /// cases in proportion to population-time (as SaTScan does).
    pub equal_periods: bool,
}

impl Default for ScanOptions {
    /// SaTScan's defaults.
    fn default() -> Self {
        Self {
            kind: ScanKind::Poisson,
            lat_long: true,
            start: None,
            end: None,
            prospective: false,
            max_spatial_percent: 50.0,
            max_radius: None,
            max_temporal: MaxTemporal::Percent(50.0),
            unit: TimeUnit::Day,
            length: 1,
            replications: 999,
            seed: 12_345_678,
            min_cases: 2,
            max_clusters: 10,
            equal_periods: false,
        }
    }
}

/// The most location × period cells a scan holds (about 400 MB of counts).
pub const MAX_CELLS: usize = 100_000_000;

/// One cluster as `lantern stats scan` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterReport {
    /// 1 for the most likely cluster.
    pub rank: usize,
    /// The centre location's id.
    pub centre: String,
    /// The locations in the cluster, nearest the centre first.
    pub locations: Vec<String>,
    /// From the centre to the farthest location (km for latitude/longitude).
    pub radius: f64,
    /// The cluster's first day (null for a purely spatial scan).
    pub start: Option<String>,
    /// The cluster's last day.
    pub end: Option<String>,
    /// Cases in the cluster.
    pub observed: u64,
    /// Cases expected there under the null.
    pub expected: f64,
    /// The relative risk (null when every case is in the cluster).
    pub relative_risk: Option<f64>,
    /// The log likelihood ratio (the test statistic).
    pub llr: f64,
    /// The Monte Carlo p-value (null with no replications).
    pub p_value: Option<f64>,
    /// Prospective analyses: how many days, on average, between clusters this unusual arising
    /// by chance if the analysis is repeated every period.
    pub recurrence_interval_days: Option<f64>,
}

/// The output of `lantern stats scan`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanReport {
    /// The model's name.
    pub model: &'static str,
    /// Monte Carlo replications.
    pub replications: usize,
    /// Locations read.
    pub locations: usize,
    /// Cases read.
    pub cases: u64,
    /// Periods in the study (1 for a purely spatial scan).
    pub periods: usize,
    /// The study's first day.
    pub study_start: Option<String>,
    /// The study's last day.
    pub study_end: Option<String>,
    /// The most likely cluster first.
    pub clusters: Vec<ClusterReport>,
}

/// One file's non-blank lines, split into cells: `(line number, cells)`.
/// A file's name and its non-blank lines as `(line number, cells)`.
type Cells = (String, Vec<(u64, Vec<String>)>);

fn read_cells(path: &Path) -> Result<Cells, ImportError> {
    let file = display_name(path);
    let bytes = crate::import::read_bounded(path, &file)?;
    let text = String::from_utf8_lossy(&bytes);
    // `\r\n`, `\n` and a lone `\r` each end a line, so line numbers match an editor's.
    let rows = crate::text::normalise_newlines(&text)
        .split('\n')
        .enumerate()
        .filter_map(|(i, line)| {
            let cells: Vec<String> = line
                .split(|c: char| c.is_whitespace() || c == ',')
                .filter(|c| !c.is_empty())
                .map(|c| c.trim_matches('"').to_owned())
                .collect();
            (!cells.is_empty()).then(|| (i as u64 + 1, cells))
        })
        .collect();
    Ok((file, rows))
}

/// A date in one of SaTScan's forms, as the first day of what it names and the precision:
/// `(date, unit)`. `two_digit_years` lets `73` mean 1973.
fn parse_date(text: &str, two_digit_years: bool) -> Option<(NaiveDate, TimeUnit)> {
    let parts: Vec<&str> = text.split(['/', '-']).collect();
    let year_text = parts.first()?;
    let mut year: i32 = year_text.parse().ok()?;
    if year_text.len() <= 2 {
        if !two_digit_years || parts.len() > 1 {
            return None;
        }
        year += if year < 50 { 2000 } else { 1900 };
    } else if year_text.len() != 4 {
        return None;
    }
    let number = |i: usize| parts.get(i).and_then(|p| p.parse::<u32>().ok());
    match parts.len() {
        1 => NaiveDate::from_ymd_opt(year, 1, 1).map(|d| (d, TimeUnit::Year)),
        2 => NaiveDate::from_ymd_opt(year, number(1)?, 1).map(|d| (d, TimeUnit::Month)),
        3 => NaiveDate::from_ymd_opt(year, number(1)?, number(2)?).map(|d| (d, TimeUnit::Day)),
        _ => None,
    }
}

/// A study period's first (or, with `end`, last) day from `YYYY-MM-DD`, `YYYY/MM/DD`,
/// `YYYY/MM` or `YYYY`: `1991` ends on 31 December 1991.
#[must_use]
pub fn study_date(text: &str, end: bool) -> Option<NaiveDate> {
    parse_date(text.trim(), false).map(|(d, unit)| if end { last_day(d, unit) } else { d })
}

/// The last day of what a date of this precision names.
fn last_day(date: NaiveDate, unit: TimeUnit) -> NaiveDate {
    let next = match unit {
        TimeUnit::Day => return date,
        TimeUnit::Month => {
            let (y, m) = if date.month() == 12 {
                (date.year() + 1, 1)
            } else {
                (date.year(), date.month() + 1)
            };
            NaiveDate::from_ymd_opt(y, m, 1)
        }
        TimeUnit::Year => NaiveDate::from_ymd_opt(date.year() + 1, 1, 1),
    };
    next.and_then(|d| d.pred_opt()).unwrap_or(date)
}

/// The study's periods: each one's first and last day, oldest first, the last ending on the
/// study's end date.
fn periods(
    start: NaiveDate,
    end: NaiveDate,
    unit: TimeUnit,
    length: u32,
) -> Vec<(NaiveDate, NaiveDate)> {
    let length = i64::from(length.max(1));
    let mut out = Vec::new();
    let mut last = end;
    loop {
        let first = match unit {
            TimeUnit::Day => last - chrono::Duration::days(length - 1),
            TimeUnit::Month | TimeUnit::Year => {
                let months = if unit == TimeUnit::Year { 12 } else { 1 } * length;
                let index = i64::from(last.year()) * 12 + i64::from(last.month0()) - months + 1;
                let (y, m) = (index.div_euclid(12), index.rem_euclid(12));
                i32::try_from(y)
                    .ok()
                    .and_then(|y| NaiveDate::from_ymd_opt(y, u32::try_from(m + 1).unwrap_or(1), 1))
                    .unwrap_or(start)
            }
        };
        let first = first.max(start);
        out.push((first, last));
        match first.pred_opt() {
            Some(p) if p >= start => last = p,
            _ => break,
        }
    }
    out.reverse();
    out
}

/// The period holding a day, by binary search.
fn period_of(periods: &[(NaiveDate, NaiveDate)], day: NaiveDate) -> Option<usize> {
    let i = periods.partition_point(|p| p.1 < day);
    (i < periods.len() && periods[i].0 <= day).then_some(i)
}

/// A whole count of 0 or more.
fn count_cell(text: &str) -> Result<u32, String> {
    match text.parse::<f64>() {
        Ok(x) if x < 0.0 => Err(format!("{text} is negative; a count must be 0 or more")),
        Ok(x) if x.fract() != 0.0 || !x.is_finite() => {
            Err(format!("{text} is not a whole number of cases"))
        }
        Ok(x) if x <= f64::from(u32::MAX) => Ok(x as u32),
        Ok(_) => Err(format!("{text} is too large")),
        Err(_) => Err(format!("'{text}' is not a number")),
    }
}

struct CaseRow {
    line: u64,
    location: usize,
    count: u32,
    date: Option<(NaiveDate, TimeUnit)>,
    stratum: String,
}

struct PopRow {
    location: usize,
    date: NaiveDate,
    population: f64,
    stratum: String,
}

/// The coordinates file: ids in order, their index, and positions as `(x, y)` (longitude,
/// latitude for `lat_long`).
#[allow(
    clippy::type_complexity,
    reason = "the three parts are named in the doc comment and taken apart at the one call"
)]
fn read_coordinates(
    path: &Path,
    lat_long: bool,
    problems: &mut Vec<Problems>,
) -> Result<(Vec<String>, HashMap<String, usize>, Vec<(f64, f64)>), ImportError> {
    let (file, rows) = read_cells(path)?;
    let mut p = Problems::new(&file);
    let (first, second) = if lat_long {
        ("latitude", "longitude")
    } else {
        ("x", "y")
    };
    let mut ids = Vec::new();
    let mut index = HashMap::new();
    let mut coordinates = Vec::new();
    for (line, cells) in rows {
        if cells.len() < 3 {
            p.add(
                line,
                if cells.len() < 2 { first } else { second },
                format!("is missing: each line is location {first} {second}"),
            );
            continue;
        }
        let mut value = |i: usize, name: &str| match cells[i].parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                p.add(line, name, format!("'{}' is not a number", cells[i]));
                None
            }
        };
        let (Some(a), Some(b)) = (value(1, first), value(2, second)) else {
            continue;
        };
        if lat_long && !((-90.0..=90.0).contains(&a) && (-180.0..=180.0).contains(&b)) {
            p.add(
                line,
                first,
                format!("{a} {b} is not a latitude and longitude (use --coordinates-type cartesian for x y)"),
            );
            continue;
        }
        if index.contains_key(&cells[0]) {
            p.add(line, "location", format!("{} is listed twice", cells[0]));
            continue;
        }
        index.insert(cells[0].clone(), ids.len());
        ids.push(cells[0].clone());
        coordinates.push(if lat_long { (b, a) } else { (a, b) });
    }
    if ids.is_empty() && p.is_empty() {
        p.add(1, "location", "the file has no locations");
    }
    problems.push(p);
    Ok((ids, index, coordinates))
}

fn unknown(p: &mut Problems, line: u64, id: &str, coordinates: &Path) {
    p.add(
        line,
        "location",
        format!(
            "unknown location '{id}': not in the coordinates file {}",
            display_name(coordinates)
        ),
    );
}

/// Each non-blank line of a file whose first cell is a location: `row` reads the rest (the
/// location is `None` when the coordinates file lacks it, already reported) and returns a row
/// when the line is good. A file with no good row and no problem gets `empty` as
/// `(column, message)` on line 1.
fn read_located<T>(
    path: &Path,
    coordinates: &Path,
    index: &HashMap<String, usize>,
    problems: &mut Vec<Problems>,
    empty: (&str, &str),
    mut row: impl FnMut(u64, Option<usize>, &[String], &mut Problems) -> Option<T>,
) -> Result<Vec<T>, ImportError> {
    let (file, rows) = read_cells(path)?;
    let mut p = Problems::new(&file);
    let mut out = Vec::new();
    for (line, cells) in rows {
        let location = index.get(&cells[0]).copied();
        if location.is_none() {
            unknown(&mut p, line, &cells[0], coordinates);
        }
        out.extend(row(line, location, &cells, &mut p));
    }
    if out.is_empty() && p.is_empty() {
        p.add(1, empty.0, empty.1);
    }
    problems.push(p);
    Ok(out)
}

fn read_cases(
    path: &Path,
    coordinates: &Path,
    index: &HashMap<String, usize>,
    problems: &mut Vec<Problems>,
) -> Result<Vec<CaseRow>, ImportError> {
    let empty = ("count", "the file has no cases");
    read_located(
        path,
        coordinates,
        index,
        problems,
        empty,
        |line, location, cells, p| {
            let Some(text) = cells.get(1) else {
                p.add(
                    line,
                    "count",
                    "is missing: each line is location count [date]",
                );
                return None;
            };
            let count = count_cell(text).map_err(|m| p.add(line, "count", m)).ok();
            let date = cells.get(2).and_then(|d| parse_date(d, false));
            if let (Some(d), None) = (cells.get(2), date)
                && d.contains(['/', '-'])
            {
                p.add(
                    line,
                    "date",
                    format!("'{d}' is not a date (YYYY/MM/DD, YYYY/MM or YYYY)"),
                );
                return None;
            }
            let skip = if date.is_some() { 3 } else { 2 };
            Some(CaseRow {
                line,
                location: location?,
                count: count?,
                date,
                stratum: cells[skip.min(cells.len())..].join(" "),
            })
        },
    )
}

fn read_population(
    path: &Path,
    coordinates: &Path,
    index: &HashMap<String, usize>,
    problems: &mut Vec<Problems>,
) -> Result<Vec<PopRow>, ImportError> {
    let empty = ("population", "the file has no population");
    read_located(
        path,
        coordinates,
        index,
        problems,
        empty,
        |line, location, cells, p| {
            if cells.len() < 3 {
                let column = if cells.len() < 2 {
                    "year"
                } else {
                    "population"
                };
                p.add(
                    line,
                    column,
                    "is missing: each line is location year population",
                );
                return None;
            }
            let date = parse_date(&cells[1], true);
            if date.is_none() {
                p.add(
                    line,
                    "year",
                    format!("'{}' is not a year or date", cells[1]),
                );
            }
            let population = match cells[2].parse::<f64>() {
                Ok(x) if x.is_finite() && x >= 0.0 => Some(x),
                Ok(_) => {
                    let message = format!("{} is negative; it must be 0 or more", cells[2]);
                    p.add(line, "population", message);
                    None
                }
                Err(_) => {
                    p.add(
                        line,
                        "population",
                        format!("'{}' is not a number", cells[2]),
                    );
                    None
                }
            };
            let (date, unit) = date?;
            // A census given as a year or month counts at its middle.
            let date = match unit {
                TimeUnit::Year => NaiveDate::from_ymd_opt(date.year(), 7, 1).unwrap_or(date),
                TimeUnit::Month => date + chrono::Duration::days(14),
                TimeUnit::Day => date,
            };
            Some(PopRow {
                location: location?,
                date,
                population: population?,
                stratum: cells[3..].join(" "),
            })
        },
    )
}

fn into_result<T>(problems: Vec<Problems>, value: T) -> Result<T, ImportError> {
    let mut all: Option<Problems> = None;
    for mut p in problems {
        p.sort();
        match &mut all {
            Some(a) => a.extend(p),
            None => all = Some(p),
        }
    }
    match all {
        Some(a) => a.into_result(value),
        None => Ok(value),
    }
}

/// Population-time of one location and group over each period: the integral, in person-days,
/// of the population interpolated linearly between census dates (level outside them), from the
/// start of the period's first day to the end of its last.
fn population_time(
    census: &mut [(NaiveDate, f64)],
    periods: &[(NaiveDate, NaiveDate)],
) -> Vec<f64> {
    census.sort_by_key(|c| c.0);
    let at = |day: NaiveDate| -> f64 {
        let i = census.partition_point(|c| c.0 <= day);
        if i == 0 {
            return census[0].1;
        }
        if i == census.len() {
            return census[i - 1].1;
        }
        let (a, b) = (census[i - 1], census[i]);
        let f = (day - a.0).num_days() as f64 / (b.0 - a.0).num_days() as f64;
        a.1 + f * (b.1 - a.1)
    };
    periods
        .iter()
        .map(|&(first, last)| {
            let end = last.succ_opt().unwrap_or(last);
            // The function is linear between these points, so the trapezium rule is exact.
            let mut points = vec![first];
            points.extend(
                census
                    .iter()
                    .map(|c| c.0)
                    .filter(|d| *d > first && *d < end),
            );
            points.push(end);
            points
                .windows(2)
                .map(|w| {
                    let days = (w[1] - w[0]).num_days() as f64;
                    (at(w[0]) + at(w[1])) / 2.0 * days
                })
                .sum()
        })
        .collect()
}

/// Scan the cases in `cases` at the locations in `coordinates`, with `population` for the
/// Poisson models.
///
/// # Errors
/// Every problem in the files: unknown locations, dates outside the study period, counts that
/// are negative or not whole, an empty file, a missing population file for a Poisson model, or
/// settings out of range.
pub fn scan(
    cases: &Path,
    coordinates: &Path,
    population: Option<&Path>,
    options: &ScanOptions,
) -> Result<ScanReport, ImportError> {
    let mut problems = Vec::new();
    let (ids, index, coords) = read_coordinates(coordinates, options.lat_long, &mut problems)?;
    let case_rows = read_cases(cases, coordinates, &index, &mut problems)?;
    let case_file = display_name(cases);
    let poisson = options.kind != ScanKind::SpaceTimePermutation;
    let pop_rows = match (poisson, population) {
        (true, Some(path)) => read_population(path, coordinates, &index, &mut problems)?,
        (true, None) => {
            let mut p = Problems::new(&case_file);
            p.add(
                0,
                "--population",
                format!("the {} model needs a population file", options.kind.name()),
            );
            problems.push(p);
            Vec::new()
        }
        (false, _) => Vec::new(),
    };
    let mut p = Problems::new(&case_file);
    if options.kind.temporal() {
        for row in &case_rows {
            if row.date.is_none() {
                p.add(row.line, "date", "is required for a space-time scan");
            }
        }
    }
    let first = case_rows.iter().filter_map(|r| r.date).min_by_key(|d| d.0);
    let last = case_rows
        .iter()
        .filter_map(|r| r.date.map(|(d, u)| last_day(d, u)))
        .max();
    let start = options.start.or(first.map(|d| d.0));
    let end = options.end.or(last);
    if let (Some(s), Some(e)) = (start, end) {
        if e < s {
            p.add(0, "--end", format!("the end {e} is before the start {s}"));
        }
        for row in &case_rows {
            if let Some((d, u)) = row.date
                && (d < s || last_day(d, u) > e)
            {
                p.add(
                    row.line,
                    "date",
                    format!("{d} is outside the study period {s} to {e}"),
                );
            }
        }
    }
    if !(options.max_spatial_percent > 0.0 && options.max_spatial_percent <= 100.0) {
        p.add(
            0,
            "--max-spatial-percent",
            "must be above 0 and at most 100",
        );
    }
    problems.push(p);
    let study: Vec<(NaiveDate, NaiveDate)> = match (start, end) {
        (Some(s), Some(e)) if e >= s => {
            if options.kind.temporal() {
                periods(s, e, options.unit, options.length)
            } else {
                vec![(s, e)]
            }
        }
        _ => Vec::new(),
    };
    let n = ids.len();
    let t = study.len().max(1);
    // Counts are held for every location and period: refuse a grid that would not fit.
    if n.saturating_mul(t) > MAX_CELLS {
        let mut p = Problems::new(&case_file);
        p.add(
            0,
            "--time-aggregation-days",
            format!(
                "{n} locations × {t} periods is more than {MAX_CELLS} cells: shorten the study period (--start, --end) or aggregate time (--time-aggregation-days 7, --time-aggregation-unit month)"
            ),
        );
        problems.push(p);
        return into_result(
            problems,
            ScanReport {
                model: options.kind.name(),
                replications: 0,
                locations: n,
                cases: 0,
                periods: t,
                study_start: None,
                study_end: None,
                clusters: Vec::new(),
            },
        );
    }
    let mut cells = vec![0u32; n * t];
    let mut stratum_cases: HashMap<&str, f64> = HashMap::new();
    for row in &case_rows {
        let period = match (options.kind.temporal(), row.date) {
            (true, Some((d, _))) => period_of(&study, d).unwrap_or(0),
            _ => 0,
        };
        let cell = &mut cells[row.location * t + period];
        *cell = cell.saturating_add(row.count);
        *stratum_cases.entry(row.stratum.as_str()).or_default() += f64::from(row.count);
    }
    // Poisson: expected counts by indirect standardisation over the covariate groups.
    let mut baseline = Vec::new();
    let mut sizes = Vec::new();
    if poisson && !pop_rows.is_empty() {
        let mut p = Problems::new(&case_file);
        let mut census: HashMap<(usize, &str), Vec<(NaiveDate, f64)>> = HashMap::new();
        for r in &pop_rows {
            census
                .entry((r.location, r.stratum.as_str()))
                .or_default()
                .push((r.date, r.population));
        }
        for row in &case_rows {
            if !census.contains_key(&(row.location, row.stratum.as_str())) {
                let group = if row.stratum.is_empty() {
                    String::new()
                } else {
                    format!(" in covariate group '{}'", row.stratum)
                };
                p.add(
                    row.line,
                    "location",
                    format!(
                        "location {} has cases but no population{group}",
                        ids[row.location]
                    ),
                );
            }
        }
        let windows = &study;
        let mut group_time: HashMap<&str, f64> = HashMap::new();
        let mut times: Vec<((usize, &str), Vec<f64>)> = Vec::new();
        for (key, mut c) in census {
            let pt = if windows.is_empty() {
                let mean = c.iter().map(|x| x.1).sum::<f64>() / c.len() as f64;
                vec![mean]
            } else {
                population_time(&mut c, windows)
            };
            *group_time.entry(key.1).or_default() += pt.iter().sum::<f64>();
            times.push((key, pt));
        }
        baseline = vec![0.0; n * t];
        sizes = vec![0.0; n];
        let total_cases: f64 = stratum_cases.values().sum();
        for ((loc, group), pt) in &times {
            let cases_in = stratum_cases.get(group).copied().unwrap_or(0.0);
            let rate = match group_time.get(group) {
                Some(&g) if g > 0.0 => cases_in / g,
                _ => 0.0,
            };
            for (i, x) in pt.iter().enumerate() {
                let expected = x * if stratum_cases.len() > 1 { rate } else { 1.0 };
                baseline[loc * t + i] += expected;
                // The window limit is a share of the population at risk, adjusted for the
                // covariates: of the expected cases.
                sizes[*loc] += expected;
            }
        }
        if total_cases > 0.0 && baseline.iter().sum::<f64>() <= 0.0 {
            p.add(0, "population", "the population is zero");
        }
        if options.equal_periods && options.kind.temporal() {
            for (period, window) in study.iter().enumerate() {
                if (0..n).map(|i| baseline[i * t + period]).sum::<f64>() > 0.0 {
                    continue;
                }
                // Nobody lived there then: point at the period's first case, if it has one.
                let first = case_rows.iter().find(|r| {
                    r.count > 0 && r.date.and_then(|(d, _)| period_of(&study, d)) == Some(period)
                });
                if let Some(row) = first {
                    p.add(
                        row.line,
                        "date",
                        format!(
                            "the period from {} has cases but no population, so it cannot expect an equal share",
                            window.0
                        ),
                    );
                }
            }
            baseline = lantern_stats::equal_period_baseline(&baseline, t);
        }
        problems.push(p);
    }
    let total =
        into_result(problems, ()).map(|()| cells.iter().map(|&c| u64::from(c)).sum::<u64>())?;
    let duration = match (options.max_temporal, options.unit) {
        (MaxTemporal::Percent(pct), _) => (t as f64 * pct / 100.0 + 1e-9).floor() as usize,
        (MaxTemporal::Days(days), unit) => {
            let per = f64::from(options.length.max(1))
                * match unit {
                    TimeUnit::Day => 1.0,
                    TimeUnit::Month => 30.436_875,
                    TimeUnit::Year => 365.2425,
                };
            (f64::from(days) / per + 1e-9).floor() as usize
        }
    }
    .max(1);
    let data = ScanData {
        coordinates: coords,
        lat_long: options.lat_long,
        periods: t,
        cases: cells,
        baseline,
        population: sizes,
    };
    let settings = ScanSettings {
        max_share: options.max_spatial_percent / 100.0,
        max_radius: options.max_radius,
        max_locations: None,
        max_duration: if options.kind.temporal() { duration } else { 1 },
        prospective: options.prospective && options.kind.temporal(),
        replications: options.replications,
        seed: options.seed,
        max_clusters: options.max_clusters,
        min_cases: options.min_cases,
    };
    let model = if poisson {
        ScanModel::Poisson
    } else {
        ScanModel::Permutation
    };
    let result = lantern_stats::scan(&data, model, &settings).map_err(|e| {
        let mut p = Problems::new(&case_file);
        p.add(0, "-", e.to_string());
        p.into_result(())
            .err()
            .unwrap_or(ImportError::Invalid(Vec::new()))
    })?;
    let day = |i: usize, last: bool| {
        (options.kind.temporal() && !study.is_empty())
            .then(|| if last { study[i].1 } else { study[i].0 }.to_string())
    };
    let period_days = study
        .last()
        .map_or(1.0, |(a, b)| ((*b - *a).num_days() + 1) as f64);
    let clusters = result
        .clusters
        .into_iter()
        .enumerate()
        .map(|(i, c)| ClusterReport {
            rank: i + 1,
            centre: ids[c.centre].clone(),
            locations: c.locations.iter().map(|&l| ids[l].clone()).collect(),
            radius: c.radius,
            start: day(c.start, false),
            end: day(c.end, true),
            observed: c.observed,
            expected: c.expected,
            relative_risk: c.relative_risk.is_finite().then_some(c.relative_risk),
            llr: c.llr,
            p_value: c.p_value,
            recurrence_interval_days: c.recurrence_periods.map(|r| r * period_days),
        })
        .collect();
    Ok(ScanReport {
        model: options.kind.name(),
        replications: options.replications,
        locations: n,
        cases: total,
        periods: t,
        study_start: start.map(|d| d.to_string()),
        study_end: end.map(|d| d.to_string()),
        clusters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn dates_in_satscan_forms() {
        assert_eq!(
            parse_date("2001/11/22", false),
            Some((d(2001, 11, 22), TimeUnit::Day))
        );
        assert_eq!(
            parse_date("2001-1-2", false),
            Some((d(2001, 1, 2), TimeUnit::Day))
        );
        assert_eq!(
            parse_date("1977", false),
            Some((d(1977, 1, 1), TimeUnit::Year))
        );
        assert_eq!(
            parse_date("73", true),
            Some((d(1973, 1, 1), TimeUnit::Year))
        );
        assert_eq!(parse_date("73", false), None);
        assert_eq!(parse_date("2001/13/01", false), None);
        assert_eq!(parse_date("1", false), None);
    }

    #[test]
    fn periods_end_on_the_end_date() {
        let p = periods(d(2001, 11, 1), d(2001, 11, 24), TimeUnit::Day, 7);
        assert_eq!(p.len(), 4);
        assert_eq!(p[3], (d(2001, 11, 18), d(2001, 11, 24)));
        assert_eq!(p[0], (d(2001, 11, 1), d(2001, 11, 3)));
        let y = periods(d(1973, 1, 1), d(1991, 12, 31), TimeUnit::Year, 1);
        assert_eq!(y.len(), 19);
        assert_eq!(y[12], (d(1985, 1, 1), d(1985, 12, 31)));
        assert_eq!(period_of(&y, d(1985, 6, 1)), Some(12));
        assert_eq!(period_of(&y, d(1992, 1, 1)), None);
    }

    #[test]
    fn population_is_interpolated_between_censuses() {
        let mut census = vec![(d(2001, 1, 1), 100.0), (d(2001, 1, 11), 200.0)];
        let pt = population_time(
            &mut census,
            &[
                (d(2000, 12, 30), d(2000, 12, 31)),
                (d(2001, 1, 6), d(2001, 1, 6)),
                (d(2001, 2, 1), d(2001, 2, 2)),
            ],
        );
        // Level before the first census; 150 to 160 over 6 January; level after the last.
        assert_eq!(pt, vec![200.0, 155.0, 400.0]);
        let whole = population_time(&mut census, &[(d(2001, 1, 1), d(2001, 1, 10))]);
        assert_eq!(whole, vec![1500.0]);
    }
}
