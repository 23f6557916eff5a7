//! `lantern stats`: the rate methods on plain CSV files, with no database. Input rows are checked
//! like any import (every problem as `FILE:LINE: COLUMN: message`), then each group's statistic
//! is computed by `lantern-stats`.

use std::collections::HashMap;
use std::path::Path;

use lantern_stats::{
    AgeBand, ESP2013, ESP2013_BANDS, Interval, RateError, crude_rate, dsr, esp2013_band,
    wilson_proportion,
};
use serde::Serialize;

pub use lantern_stats::{Cusum, Ears, Farrington, FarringtonKind, PowerTrans, ThresholdMethod};

use crate::import::{ImportError, Problems, Table, read_table};

/// One group's result, as `lantern stats` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatRow {
    /// The group's label from the input.
    pub group: String,
    /// Events (summed over the group's rows).
    pub count: serde_json::Number,
    /// Population or denominator (summed).
    pub population: serde_json::Number,
    /// The statistic per multiplier; `null` when not computed.
    pub value: Option<f64>,
    /// Lower confidence limit.
    pub lower: Option<f64>,
    /// Upper confidence limit.
    pub upper: Option<f64>,
    /// The confidence level.
    pub confidence: f64,
    /// `exact`, `byar`, `wilson` or `dobson`.
    pub method: &'static str,
    /// Whether the value was withheld.
    pub suppressed: bool,
    /// Why, when it was.
    pub note: Option<String>,
}

/// Whole numbers print as integers, the rest as decimals.
fn number(x: f64) -> serde_json::Number {
    if x.fract() == 0.0 && x.abs() < 9e15 {
        serde_json::Number::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).unwrap_or_else(|| serde_json::Number::from(0))
    }
}

fn row(
    group: &str,
    count: f64,
    population: f64,
    confidence: f64,
    method: &'static str,
    estimate: Option<Interval>,
    note: Option<String>,
) -> StatRow {
    StatRow {
        group: group.to_owned(),
        count: number(count),
        population: number(population),
        value: estimate.map(|e| e.value),
        lower: estimate.map(|e| e.lower),
        upper: estimate.map(|e| e.upper),
        confidence,
        method: estimate.map_or(method, |e| e.method.as_str()),
        suppressed: estimate.is_none(),
        note,
    }
}

/// The columns a file must have, by index, or problems on line 1.
fn columns(table: &Table, names: &[&str], problems: &mut Problems) -> Option<Vec<usize>> {
    let found: Vec<Option<usize>> = names.iter().map(|n| table.column(n)).collect();
    for (n, c) in names.iter().zip(&found) {
        if c.is_none() {
            problems.add(1, n, format!("the required column {n} is missing"));
        }
    }
    found.into_iter().collect()
}

fn number_at(
    cells: &csv::StringRecord,
    col: usize,
    name: &str,
    line: u64,
    problems: &mut Problems,
) -> Option<f64> {
    let text = cells[col].trim();
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Some(x),
        Ok(_) => {
            problems.add(
                line,
                name,
                format!("{text} is negative; it must be 0 or more"),
            );
            None
        }
        Err(_) if text.is_empty() => {
            problems.add(line, name, "is required");
            None
        }
        Err(_) => {
            problems.add(line, name, format!("'{text}' is not a number"));
            None
        }
    }
}

/// Groups in first-seen order: `(group, numerator, denominator, first line)`, summed over rows.
fn totals(
    table: &Table,
    names: [&str; 3],
    problems: &mut Problems,
) -> Vec<(String, f64, f64, u64)> {
    let Some(cols) = columns(table, &names, problems) else {
        return Vec::new();
    };
    let mut order: Vec<(String, f64, f64, u64)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (line, cells) in &table.rows {
        let group = cells[cols[0]].trim().to_owned();
        let count = number_at(cells, cols[1], names[1], *line, problems);
        let denominator = number_at(cells, cols[2], names[2], *line, problems);
        if let (Some(c), Some(d)) = (count, denominator) {
            if c > 0.0 && d == 0.0 {
                problems.add(*line, names[2], format!("is 0 but {} is {c}", names[1]));
                continue;
            }
            let i = *index.entry(group.clone()).or_insert_with(|| {
                order.push((group, 0.0, 0.0, *line));
                order.len() - 1
            });
            order[i].1 += c;
            order[i].2 += d;
        }
    }
    order
}

fn check_confidence(file: &str, confidence: f64) -> Result<(), ImportError> {
    if confidence > 0.0 && confidence < 1.0 {
        Ok(())
    } else {
        let mut p = Problems::new(file);
        p.add(
            0,
            "--confidence",
            format!("{confidence} is not above 0 and below 1"),
        );
        p.into_result(())
    }
}

/// One statistic per group of a `group,count,DENOMINATOR` file.
fn per_group(
    path: &Path,
    confidence: f64,
    denominator: &str,
    method: &'static str,
    compute: impl Fn(f64, f64) -> Result<Option<Interval>, RateError>,
) -> Result<Vec<StatRow>, ImportError> {
    let table = read_table(path)?;
    check_confidence(&table.file, confidence)?;
    let mut problems = Problems::new(&table.file);
    let groups = totals(&table, ["group", "count", denominator], &mut problems);
    let mut out = Vec::new();
    for (group, count, denom, line) in groups {
        match compute(count, denom) {
            Ok(estimate) => {
                let note = estimate.is_none().then(|| format!("{denominator} is 0"));
                out.push(row(
                    &group, count, denom, confidence, method, estimate, note,
                ));
            }
            Err(RateError::NotWholeNumber) => problems.add(
                line,
                "count",
                format!(
                    "group {group}: a count below 10 must be a whole number (exact Poisson limits)"
                ),
            ),
            Err(e) => problems.add(line, "count", format!("group {group}: {e}")),
        }
    }
    problems.into_result(out)
}

/// Crude rates per group: input `group,count,population`.
///
/// # Errors
/// Every problem in the file, with its line and column.
pub fn crude_rates(
    path: &Path,
    multiplier: f64,
    confidence: f64,
) -> Result<Vec<StatRow>, ImportError> {
    per_group(path, confidence, "population", "exact", |c, n| {
        crude_rate(c, n, multiplier, confidence)
    })
}

/// Proportions per group with Wilson limits: input `group,count,denominator`.
///
/// # Errors
/// Every problem in the file, with its line and column.
pub fn proportions(
    path: &Path,
    multiplier: f64,
    confidence: f64,
) -> Result<Vec<StatRow>, ImportError> {
    per_group(path, confidence, "denominator", "wilson", |c, n| {
        wilson_proportion(c, n, multiplier, confidence)
    })
}

/// A standard population: labels and weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Standard {
    /// Band labels, in order.
    pub bands: Vec<String>,
    /// Weights, by band.
    pub weights: Vec<f64>,
}

impl Standard {
    /// The European Standard Population 2013, 19 bands.
    pub fn esp2013() -> Self {
        Self {
            bands: ESP2013_BANDS.iter().map(|b| (*b).to_owned()).collect(),
            weights: ESP2013.to_vec(),
        }
    }

    /// A standard from a CSV with `age_band,weight` (or `age_band,population`).
    ///
    /// # Errors
    /// Every problem in the file.
    pub fn from_file(path: &Path) -> Result<Self, ImportError> {
        let table = read_table(path)?;
        let mut problems = Problems::new(&table.file);
        let weight_col = if table.column("weight").is_some() {
            "weight"
        } else {
            "population"
        };
        let Some(cols) = columns(&table, &["age_band", weight_col], &mut problems) else {
            return problems.into_result(Self {
                bands: Vec::new(),
                weights: Vec::new(),
            });
        };
        let mut standard = Self {
            bands: Vec::new(),
            weights: Vec::new(),
        };
        for (line, cells) in &table.rows {
            if let Some(w) = number_at(cells, cols[1], weight_col, *line, &mut problems) {
                if w == 0.0 {
                    problems.add(*line, weight_col, "a standard weight must be above 0");
                }
                standard.bands.push(cells[cols[0]].trim().to_owned());
                standard.weights.push(w);
            }
        }
        problems.into_result(standard)
    }

    /// The index of `label`: the same text, or the same ESP2013 band written another way
    /// (`10 to 14`, `10-14`).
    fn find(&self, label: &str) -> Option<usize> {
        let label = label.trim();
        self.bands.iter().position(|b| b == label).or_else(|| {
            let want = esp2013_band(label)?;
            self.bands
                .iter()
                .position(|b| esp2013_band(b) == Some(want))
        })
    }
}

/// Directly standardised rates per group: input `group,age_band,count,population`.
///
/// # Errors
/// Every problem in the file, with its line and column.
pub fn dsrs(
    path: &Path,
    standard: &Standard,
    multiplier: f64,
    confidence: f64,
) -> Result<Vec<StatRow>, ImportError> {
    let table = read_table(path)?;
    check_confidence(&table.file, confidence)?;
    let mut problems = Problems::new(&table.file);
    let Some(cols) = columns(
        &table,
        &["group", "age_band", "count", "population"],
        &mut problems,
    ) else {
        return problems.into_result(Vec::new());
    };
    // (group, bands, band -> line it came from)
    let mut order: Vec<(String, Vec<AgeBand>, HashMap<usize, u64>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (line, cells) in &table.rows {
        let group = cells[cols[0]].trim().to_owned();
        let band = standard.find(&cells[cols[1]]);
        if band.is_none() {
            problems.add(
                *line,
                "age_band",
                format!(
                    "'{}' is not a band of the standard population",
                    cells[cols[1]].trim()
                ),
            );
        }
        let count = number_at(cells, cols[2], "count", *line, &mut problems);
        let population = number_at(cells, cols[3], "population", *line, &mut problems);
        let (Some(band), Some(count), Some(population)) = (band, count, population) else {
            continue;
        };
        if count > 0.0 && population == 0.0 {
            problems.add(*line, "population", format!("is 0 but count is {count}"));
            continue;
        }
        let i = *index.entry(group.clone()).or_insert_with(|| {
            order.push((group.clone(), Vec::new(), HashMap::new()));
            order.len() - 1
        });
        if let Some(first) = order[i].2.insert(band, *line) {
            problems.add(
                *line,
                "age_band",
                format!("repeats the band of line {first} for group {group}"),
            );
            continue;
        }
        order[i].1.push(AgeBand {
            count,
            population,
            weight: standard.weights[band],
            event_variance: None,
        });
    }
    let mut out = Vec::new();
    for (group, bands, lines) in order {
        let line = lines.values().copied().min().unwrap_or(1);
        match dsr(&bands, multiplier, confidence) {
            Ok(d) => {
                let note = d.estimate.is_none().then(|| {
                    format!(
                        "not computed: the total count ({}) is below {}",
                        d.total_count,
                        lantern_stats::DSR_MIN_COUNT
                    )
                });
                out.push(row(
                    &group,
                    d.total_count,
                    d.total_population,
                    confidence,
                    "dobson",
                    d.estimate,
                    note,
                ));
            }
            Err(e) => problems.add(line, "count", format!("group {group}: {e}")),
        }
    }
    problems.into_result(out)
}

/// A detection method `lantern stats detect` runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DetectMethod {
    /// EARS C1, C2 or C3 with its baseline length, alpha and floor on the standard deviation.
    Ears {
        /// C1, C2 or C3.
        method: lantern_stats::Ears,
        /// Periods in the sliding baseline.
        baseline: usize,
        /// One minus the quantile of the bound.
        alpha: f64,
        /// The smallest standard deviation used.
        min_sigma: f64,
    },
    /// The CUSUM.
    Cusum(lantern_stats::Cusum),
    /// Farrington, classic or flexible.
    Farrington(lantern_stats::Farrington),
}

impl DetectMethod {
    /// The name `lantern stats detect --method` takes.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Ears { method, .. } => match method {
                Ears::C1 => "ears-c1",
                Ears::C2 => "ears-c2",
                Ears::C3 => "ears-c3",
            },
            Self::Cusum(_) => "cusum",
            Self::Farrington(p) => match p.kind {
                FarringtonKind::Classic => "farrington",
                FarringtonKind::Flexible => "farrington-flexible",
            },
        }
    }

    /// The method to use when none is named, by the length of the history: Farrington flexible
    /// (R's defaults, with `b` cut to the years there are) from 4 years and `w` periods; EARS C1
    /// from 26 weeks (half a year at other frequencies); otherwise the CUSUM with R's `k` 1.04 and
    /// `h` 2.26.
    pub fn for_history(periods: usize, frequency: usize) -> Self {
        let flexible = Farrington {
            frequency,
            ..Farrington::flexible()
        };
        let years = periods.saturating_sub(flexible.w + 1) / frequency.max(1);
        if years >= 4 {
            Self::Farrington(Farrington {
                b: years.min(flexible.b),
                ..flexible
            })
        } else if periods
            >= frequency
                .div_ceil(2)
                .max(lantern_stats::Ears::C1.first_period(7))
        {
            Self::Ears {
                method: Ears::C1,
                baseline: 7,
                alpha: 0.001,
                min_sigma: 0.0,
            }
        } else {
            Self::Cusum(Cusum {
                k: 1.04,
                h: 2.26,
                m: None,
                reset: false,
            })
        }
    }

    /// Assess the 1-based inclusive `range` of `counts`; `dates` (days since 1970-01-01 of each
    /// period) let the Farrington methods find past years' periods by date.
    ///
    /// # Errors
    /// A range or parameter the method cannot take.
    pub fn run(
        &self,
        counts: &[f64],
        dates: Option<&[i64]>,
        range: std::ops::RangeInclusive<usize>,
    ) -> Result<Vec<lantern_stats::Detection>, lantern_stats::DetectError> {
        match *self {
            Self::Ears {
                method,
                baseline,
                alpha,
                min_sigma,
            } => lantern_stats::ears(counts, range, method, baseline, alpha, min_sigma),
            Self::Cusum(p) => lantern_stats::cusum(counts, range, p),
            Self::Farrington(p) => lantern_stats::farrington(counts, dates, range, &p),
        }
    }

    /// The earliest 1-based period the method can assess.
    pub fn first_period(&self) -> usize {
        match self {
            Self::Ears {
                method, baseline, ..
            } => method.first_period(*baseline),
            Self::Cusum(p) => p.first_period(),
            Self::Farrington(p) => p.first_period(),
        }
    }
}

/// One monitored period, as `lantern stats detect` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetectRow {
    /// The period's label from the input.
    pub period: String,
    /// Its count.
    pub count: serde_json::Number,
    /// The count above which it alarms; `null` where undefined.
    pub upper_bound: Option<f64>,
    /// The count was above the bound (and at least the minimum count).
    pub alarm: bool,
    /// The method that assessed it.
    pub method: &'static str,
}

/// Days since 1970-01-01 of every period when all are ISO dates (`YYYY-MM-DD`).
fn period_dates(periods: &[String]) -> Option<Vec<i64>> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?;
    periods
        .iter()
        .map(|p| {
            chrono::NaiveDate::parse_from_str(p, "%Y-%m-%d")
                .ok()
                .map(|d| (d - epoch).num_days())
        })
        .collect()
}

/// Aberration detection on a CSV `period,count` (rows in time order) over the 1-based inclusive
/// `range` of rows (every row the method can assess when `None`). With no method, one is chosen
/// by the length of the series ([`DetectMethod::for_history`]). When every period is an ISO
/// date, the Farrington methods find each past year's reference week by date, as R
/// `surveillance` does for a series with dates. A period alarms only when its count is at least
/// `min_count`.
///
/// # Errors
/// Every problem in the file with its line and column; a range or parameter the method cannot
/// take.
pub fn detect(
    path: &Path,
    method: Option<DetectMethod>,
    frequency: usize,
    range: Option<(usize, usize)>,
    min_count: f64,
) -> Result<Vec<DetectRow>, ImportError> {
    let table = read_table(path)?;
    let mut problems = Problems::new(&table.file);
    let Some(cols) = columns(&table, &["period", "count"], &mut problems) else {
        return problems.into_result(Vec::new());
    };
    let mut periods = Vec::new();
    let mut counts = Vec::new();
    for (line, cells) in &table.rows {
        let period = cells[cols[0]].trim().to_owned();
        if period.is_empty() {
            problems.add(*line, "period", "is required");
        }
        if let Some(c) = number_at(cells, cols[1], "count", *line, &mut problems) {
            if c.fract() != 0.0 {
                problems.add(*line, "count", format!("{c} is not a whole number"));
            }
            periods.push(period);
            counts.push(c);
        }
    }
    if table.rows.is_empty() {
        problems.add(
            1,
            "-",
            "the file has no rows: give one row per period, in time order",
        );
    }
    if !problems.is_empty() {
        return problems.into_result(Vec::new());
    }
    let method = method.unwrap_or_else(|| DetectMethod::for_history(counts.len(), frequency));
    let (start, end) = range.unwrap_or((method.first_period(), counts.len()));
    let dates = period_dates(&periods);
    let result = method.run(&counts, dates.as_deref(), start..=end);
    match result {
        Ok(found) => Ok(found
            .into_iter()
            .zip(start..=end)
            .map(|(d, t)| DetectRow {
                period: periods[t - 1].clone(),
                count: number(counts[t - 1]),
                upper_bound: d.upper_bound,
                alarm: d.alarm && counts[t - 1] >= min_count,
                method: method.name(),
            })
            .collect()),
        Err(e) => {
            let column = match e {
                lantern_stats::DetectError::BadRange(_) => "--range",
                _ => "-",
            };
            problems.add(0, column, e.to_string());
            problems.into_result(Vec::new())
        }
    }
}

/// One area's Getis-Ord statistic, as `lantern stats gistar` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GiRow {
    /// The area's id from the input.
    pub id: String,
    /// The z-score; `null` when the values do not vary or the area has no neighbours.
    pub z: Option<f64>,
    /// One-sided p-value of `|z|` (normal approximation, as esda's `p_norm`).
    pub p: Option<f64>,
    /// Folded conditional-permutation p-value, when `--permutations` is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_sim: Option<f64>,
}

/// How `lantern stats gistar` reads and computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GiOptions {
    /// Gi* (the area counts as its own neighbour) rather than Gi.
    pub star: bool,
    /// Each weights row is one direction only; otherwise a row links both ways.
    pub directed: bool,
    /// Conditional permutations for `p_sim` (0 for none).
    pub permutations: usize,
    /// The permutations' seed.
    pub seed: u64,
}

/// Getis-Ord Gi* (or Gi) for `id,value` areas with a `from,to[,weight]` weights list (weight 1
/// when absent). Values may be negative. Unless `directed`, a row links both ways, and the same
/// pair listed again in either order must carry the same weight.
///
/// # Errors
/// Every problem in either file with its line and column: a missing or repeated id, a value that
/// is not a number, a weight to an unknown area or below 0, a pair listed twice with different
/// weights; fewer than 3 areas.
pub fn gistar(input: &Path, weights: &Path, options: GiOptions) -> Result<Vec<GiRow>, ImportError> {
    let table = read_table(input)?;
    let mut problems = Problems::new(&table.file);
    let Some(cols) = columns(&table, &["id", "value"], &mut problems) else {
        return problems.into_result(Vec::new());
    };
    let mut ids = Vec::new();
    let mut values = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (line, cells) in &table.rows {
        let id = cells[cols[0]].trim().to_owned();
        let text = cells[cols[1]].trim();
        if id.is_empty() {
            problems.add(*line, "id", "is required");
            continue;
        }
        if index.contains_key(&id) {
            problems.add(*line, "id", format!("{id} is listed twice"));
        } else {
            index.insert(id.clone(), ids.len());
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => values.push(v),
            _ if text.is_empty() => {
                problems.add(*line, "value", "is required");
                values.push(0.0);
            }
            _ => {
                problems.add(*line, "value", format!("'{text}' is not a number"));
                values.push(0.0);
            }
        }
        ids.push(id);
    }
    if ids.len() < 3 && problems.is_empty() {
        problems.add(
            1,
            "-",
            format!("there are {} areas; Gi needs at least 3", ids.len()),
        );
    }
    let wtable = read_table(weights)?;
    let mut wproblems = Problems::new(&wtable.file);
    let mut links: Vec<Vec<(usize, f64)>> = vec![Vec::new(); ids.len()];
    let mut seen: HashMap<(usize, usize), (f64, u64)> = HashMap::new();
    if let Some(wc) = columns(&wtable, &["from", "to"], &mut wproblems) {
        let weight_col = wtable.column("weight");
        for (line, cells) in &wtable.rows {
            let mut end = |col: usize, name: &str| {
                let id = cells[col].trim();
                let found = index.get(id).copied();
                if found.is_none() {
                    wproblems.add(
                        *line,
                        name,
                        format!("unknown area '{id}': not in {}", table.file),
                    );
                }
                found
            };
            let (from, to) = (end(wc[0], "from"), end(wc[1], "to"));
            let weight = match weight_col {
                Some(c) => number_at(cells, c, "weight", *line, &mut wproblems),
                None => Some(1.0),
            };
            let (Some(i), Some(j), Some(w)) = (from, to, weight) else {
                continue;
            };
            if i == j {
                wproblems.add(
                    *line,
                    "to",
                    "an area cannot be its own neighbour (Gi* adds the area itself)",
                );
                continue;
            }
            let key = if options.directed {
                (i, j)
            } else {
                (i.min(j), i.max(j))
            };
            match seen.get(&key) {
                Some(&(before, _))
                    if (before - w).abs() <= f64::EPSILON * before.abs().max(1.0) =>
                {
                    continue;
                }
                Some(&(before, at)) => {
                    wproblems.add(
                        *line,
                        "weight",
                        format!(
                            "{}-{} is listed on line {at} with weight {before}; give each pair once, or use --directed",
                            ids[key.0], ids[key.1]
                        ),
                    );
                    continue;
                }
                None => {
                    seen.insert(key, (w, *line));
                }
            }
            links[i].push((j, w));
            if !options.directed {
                links[j].push((i, w));
            }
        }
    }
    problems.extend(wproblems);
    if !problems.is_empty() {
        return problems.into_result(Vec::new());
    }
    let found = lantern_stats::local_g(
        &values,
        &links,
        options.star,
        options.permutations,
        options.seed,
    );
    match found {
        Ok(g) => Ok(ids
            .into_iter()
            .zip(g)
            .map(|(id, g)| GiRow {
                id,
                z: g.z,
                p: g.p,
                p_sim: g.p_sim,
            })
            .collect()),
        Err(e) => {
            problems = Problems::new(&table.file);
            problems.add(0, "-", e.to_string());
            problems.into_result(Vec::new())
        }
    }
}
