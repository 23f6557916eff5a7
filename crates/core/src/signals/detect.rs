//! Running the detectors over the register: [`load`] reads what they need (no person
//! identifiers: dates, areas, age, sex, method group, recorded positions), [`compute`] runs them
//! (CPU only, for a blocking thread), and [`detect`] does both.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{Datelike, Duration, NaiveDate};
use lantern_stats::{
    Incident, ScanData, ScanModel, ScanSettings, haversine_metres, point_clusters,
};
use serde_json::json;

use super::{Found, LocationOfConcern, Place, SignalKind, duration_words};
use crate::area::{Area, AreaLevel};
use crate::indicators::{counted, date_of};
use crate::register::{Dataset, Record, SELF_HARM, SUICIDES};
use crate::stats_files::DetectMethod;
use crate::store::{Store, StoreError};

/// How the detectors run. The defaults are those a surveillance group would start from; a
/// partnership keeps its own with [`super::save_options`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct DetectOptions {
    /// Monte Carlo replications for the scans.
    pub replications: usize,
    /// The scans' seed (the same seed, the same p-values).
    pub seed: u64,
    /// Retrospective scans report clusters with a p-value at most this.
    pub scan_alpha: f64,
    /// Prospective scans report clusters that would arise by chance at most once in this
    /// many days.
    pub recurrence_days: f64,
    /// The Farrington methods' significance.
    pub temporal_alpha: f64,
    /// A week alarms only with at least this many events.
    pub min_count: f64,
    /// Temporal alarms are reported over this many recent weeks.
    pub lookback_weeks: usize,
    /// Rule: this many suspected suicides ...
    pub near_count: usize,
    /// ... each within this many metres ...
    pub near_metres: f64,
    /// ... and this many days of another.
    pub near_days: i64,
    /// Rule: an incident this close to a location of concern is at it.
    pub concern_metres: f64,
}

impl DetectOptions {
    /// Every setting in its range, or what is wrong, in words.
    ///
    /// # Errors
    /// The first setting out of its range.
    pub fn check(&self) -> Result<(), String> {
        let unit = |x: f64| x > 0.0 && x < 1.0;
        if self.replications > 99_999 {
            return Err("replications must be at most 99999".to_owned());
        }
        if !unit(self.scan_alpha) {
            return Err(format!(
                "scan alpha {} must be between 0 and 1",
                self.scan_alpha
            ));
        }
        if !unit(self.temporal_alpha) {
            return Err(format!(
                "temporal alpha {} must be between 0 and 1",
                self.temporal_alpha
            ));
        }
        if !(self.recurrence_days.is_finite() && self.recurrence_days >= 1.0) {
            return Err("the recurrence interval must be at least 1 day".to_owned());
        }
        if !(self.min_count.is_finite() && self.min_count >= 0.0) {
            return Err("the minimum count must be 0 or more".to_owned());
        }
        if !(1..=520).contains(&self.lookback_weeks) {
            return Err("the look-back must be between 1 and 520 weeks".to_owned());
        }
        if self.near_count < 2 {
            return Err("the closeness rule needs at least 2 deaths".to_owned());
        }
        for (what, m) in [
            ("closeness distance", self.near_metres),
            ("location-of-concern distance", self.concern_metres),
        ] {
            if !(m.is_finite() && m > 0.0 && m <= 100_000.0) {
                return Err(format!("the {what} must be between 0 and 100000 m"));
            }
        }
        if !(1..=3650).contains(&self.near_days) {
            return Err("the closeness rule's days must be between 1 and 3650".to_owned());
        }
        Ok(())
    }
}

impl Default for DetectOptions {
    fn default() -> Self {
        Self {
            replications: 999,
            seed: 20_250_101,
            scan_alpha: 0.05,
            recurrence_days: 365.0,
            temporal_alpha: 0.001,
            min_count: 5.0,
            lookback_weeks: 52,
            near_count: 3,
            near_metres: 1_000.0,
            near_days: 90,
            concern_metres: 250.0,
        }
    }
}

/// One event as the detectors see it.
#[derive(Debug, Clone)]
struct Event {
    date: NaiveDate,
    /// Index into the small areas.
    area: Option<usize>,
    age: Option<i64>,
    sex: String,
    /// Method group (suspected suicides).
    method: String,
    /// Recorded position `(longitude, latitude)`.
    position: Option<(f64, f64)>,
    concern: String,
}

/// Which events a series or scan counts.
type Filter<'a> = Box<dyn Fn(&Event) -> bool + 'a>;

/// A small area with its centre and district.
#[derive(Debug, Clone)]
struct SmallArea {
    code: String,
    name: String,
    /// `(longitude, latitude)`.
    centre: (f64, f64),
    district: Option<usize>,
}

/// What the detectors read from the register.
#[derive(Debug, Clone)]
pub struct Inputs {
    snapshot: String,
    small: Vec<SmallArea>,
    districts: Vec<(String, String)>,
    concerns: Vec<LocationOfConcern>,
    datasets: Vec<(&'static Dataset, Vec<Event>)>,
    /// Population by small area and year: `(everyone, aged 10-24)`.
    population: HashMap<(usize, i32), (f64, f64)>,
}

impl Inputs {
    /// The register version read.
    #[must_use]
    pub fn snapshot(&self) -> &str {
        &self.snapshot
    }
}

/// The mean of a GeoJSON geometry's first ring: close enough to a small area's centre.
fn centre_of(boundary: &str) -> Option<(f64, f64)> {
    let v: serde_json::Value = serde_json::from_str(boundary).ok()?;
    let mut ring = &v["coordinates"][0];
    if v["type"] == "MultiPolygon" {
        ring = &ring[0];
    }
    let points: Vec<(f64, f64)> = ring
        .as_array()?
        .iter()
        .filter_map(|p| Some((p[0].as_f64()?, p[1].as_f64()?)))
        .collect();
    if points.is_empty() {
        return None;
    }
    let n = points.len() as f64;
    Some((
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    ))
}

fn number(r: &Record, field: &str) -> Option<f64> {
    r.text(field).trim().parse().ok()
}

/// Read what the detectors need.
///
/// # Errors
/// The store failed.
pub async fn load(store: &dyn Store) -> Result<Inputs, StoreError> {
    let snapshot = store.data_version().await?;
    let all = store.areas(None).await?;
    let by_code: HashMap<&str, &Area> = all.iter().map(|a| (a.code.as_str(), a)).collect();
    let mut districts: Vec<(String, String)> = all
        .iter()
        .filter(|a| a.level == AreaLevel::Lad)
        .map(|a| (a.code.clone(), a.name.clone()))
        .collect();
    districts.sort();
    let district_of = |code: &str| -> Option<usize> {
        let mut at = by_code.get(code).copied();
        while let Some(a) = at {
            if a.level == AreaLevel::Lad {
                return districts.iter().position(|d| d.0 == a.code);
            }
            at = a
                .parent_code
                .as_deref()
                .and_then(|p| by_code.get(p).copied());
        }
        None
    };
    let small: Vec<SmallArea> = store
        .area_boundaries(AreaLevel::Lsoa)
        .await?
        .into_iter()
        .filter_map(|a| {
            let centre = centre_of(a.boundary.as_deref()?)?;
            Some(SmallArea {
                district: district_of(&a.code),
                code: a.code,
                name: a.name,
                centre,
            })
        })
        .collect();
    let index: HashMap<&str, usize> = small
        .iter()
        .enumerate()
        .map(|(i, a)| (a.code.as_str(), i))
        .collect();
    // Males and females where given, otherwise persons.
    let mut by_sex: HashMap<(usize, i32), (f64, f64)> = HashMap::new();
    let mut persons: HashMap<(usize, i32), (f64, f64)> = HashMap::new();
    for row in store.all_populations().await? {
        let Some(&a) = index.get(row.area_code.as_str()) else {
            continue;
        };
        let n = row.population as f64;
        let young = if ["10-14", "15-19", "20-24"].contains(&row.age_band) {
            n
        } else {
            0.0
        };
        let map = if row.sex == crate::area::PopSex::Persons {
            &mut persons
        } else {
            &mut by_sex
        };
        let e = map.entry((a, row.year)).or_default();
        e.0 += n;
        e.1 += young;
    }
    for (k, v) in persons {
        by_sex.entry(k).or_insert(v);
    }
    let mut datasets = Vec::new();
    for dataset in [&SUICIDES, &SELF_HARM] {
        let wanted = [
            dataset.date_field,
            "status",
            "residence_area",
            "age",
            "sex",
            "method_group",
            "location_lat",
            "location_lon",
            "location_of_concern",
        ];
        let fields: Vec<&str> = wanted
            .into_iter()
            .filter(|f| dataset.fields.iter().any(|x| x.name == *f))
            .collect();
        let events = store
            .export_fields(dataset, &fields)
            .await?
            .into_iter()
            .filter(counted)
            .filter_map(|r| {
                let position = match (number(&r, "location_lon"), number(&r, "location_lat")) {
                    (Some(lon), Some(lat)) => Some((lon, lat)),
                    _ => None,
                };
                Some(Event {
                    date: date_of(&r)?,
                    area: index.get(r.text("residence_area").as_str()).copied(),
                    age: number(&r, "age").map(|a| a as i64),
                    sex: r.text("sex"),
                    method: r.text("method_group"),
                    position,
                    concern: r.text("location_of_concern"),
                })
            })
            .collect();
        datasets.push((dataset, events));
    }
    Ok(Inputs {
        snapshot,
        small,
        districts,
        concerns: store.locations_of_concern().await?,
        datasets,
        population: by_sex,
    })
}

/// Read the register and run every detector.
///
/// # Errors
/// The store failed.
pub async fn detect(store: &dyn Store, options: &DetectOptions) -> Result<Vec<Found>, StoreError> {
    Ok(compute(&load(store).await?, options))
}

/// Run every detector over what [`load`] read.
#[must_use]
pub fn compute(inputs: &Inputs, options: &DetectOptions) -> Vec<Found> {
    let mut out = Vec::new();
    for (dataset, events) in &inputs.datasets {
        let Some(end) = events.iter().map(|e| e.date).max() else {
            continue;
        };
        let ctx = Context {
            inputs,
            dataset,
            events,
            end,
            options,
        };
        ctx.scans(&mut out);
        ctx.aberrations(&mut out);
        if dataset.is_suicides() {
            ctx.rules(&mut out);
        }
    }
    out
}

/// The nouns of a dataset's events.
fn nouns(dataset: &Dataset, n: u64) -> &'static str {
    match (dataset.is_suicides(), n == 1) {
        (true, true) => "suspected suicide",
        (true, false) => "suspected suicides",
        (false, true) => "self-harm presentation",
        (false, false) => "self-harm presentations",
    }
}

/// The age bands temporal detection watches.
const AGE_BANDS: [(&str, i64, i64); 5] = [
    ("aged 10-17", 10, 17),
    ("aged 18-24", 18, 24),
    ("aged 25-44", 25, 44),
    ("aged 45-64", 45, 64),
    ("aged 65 and over", 65, 200),
];

struct Context<'a> {
    inputs: &'a Inputs,
    dataset: &'a Dataset,
    events: &'a [Event],
    end: NaiveDate,
    options: &'a DetectOptions,
}

impl Context<'_> {
    fn name(&self) -> &'static str {
        self.dataset.name
    }

    /// Weeks ending on the data's last day: the index of the week holding `date` (0 the
    /// latest), and that week's last day.
    fn week_back(&self, date: NaiveDate) -> usize {
        usize::try_from((self.end - date).num_days().max(0) / 7).unwrap_or(0)
    }

    fn week_end(&self, back: usize) -> NaiveDate {
        self.end - Duration::days(7 * i64::try_from(back).unwrap_or(0))
    }

    /// Weekly counts of the events that `keep` keeps, from 26 weeks before `start` to 8
    /// after `end` (or the data's end).
    fn timeline(
        &self,
        start: NaiveDate,
        end: NaiveDate,
        keep: impl Fn(&Event) -> bool,
    ) -> Vec<(NaiveDate, u32)> {
        let first = self.week_back(start) + 26;
        let last = self.week_back(end).saturating_sub(8);
        let mut counts = vec![0u32; first + 1];
        for e in self.events.iter().filter(|e| keep(e)) {
            let b = self.week_back(e.date);
            if b <= first {
                counts[b] += 1;
            }
        }
        (last..=first)
            .rev()
            .map(|b| (self.week_end(b), counts[b]))
            .collect()
    }

    /// Each of `areas` with how many kept events are in it (one pass over the events).
    fn places(&self, areas: &[usize], keep: impl Fn(&Event) -> bool) -> Vec<Place> {
        let mut counts = vec![0u32; self.inputs.small.len()];
        for e in self.events.iter().filter(|e| keep(e)) {
            if let Some(a) = e.area {
                counts[a] = counts[a].saturating_add(1);
            }
        }
        areas
            .iter()
            .map(|&a| {
                let s = &self.inputs.small[a];
                Place {
                    label: s.name.clone(),
                    lat: s.centre.1,
                    lon: s.centre.0,
                    count: counts[a],
                }
            })
            .collect()
    }

    fn district_names(&self, areas: &[usize]) -> (Option<String>, String) {
        let mut ds: Vec<usize> = areas
            .iter()
            .filter_map(|&a| self.inputs.small[a].district)
            .collect();
        ds.sort_unstable();
        ds.dedup();
        let names: Vec<&str> = ds
            .iter()
            .map(|&d| self.inputs.districts[d].1.as_str())
            .collect();
        (
            ds.first().map(|&d| self.inputs.districts[d].0.clone()),
            names.join(" and "),
        )
    }

    /// The scans over small areas: retrospective space-time Poisson on population (space-time
    /// permutation when the register has none), and prospective space-time permutation.
    fn scans(&self, out: &mut Vec<Found>) {
        let n = self.inputs.small.len();
        if n == 0 {
            return;
        }
        let suicides = self.dataset.is_suicides();
        // Retrospective: weeks (4-week periods for self-harm, which is far more common), up to
        // about three months. Prospective: days, up to 30, ending on the data's last day.
        let retrospective = if suicides { (7, 13) } else { (28, 3) };
        // Clusters among young people are watched on their own (national guidance on clusters
        // singles them out); among everyone they would be lost in the larger numbers.
        let mut groups: Vec<(&str, Filter<'_>)> = vec![("", Box::new(|_: &Event| true))];
        if suicides {
            groups.push((
                "young people aged 10-24",
                Box::new(|e: &Event| e.age.is_some_and(|a| (10..=24).contains(&a))),
            ));
        }
        for ((days, duration, prospective), (group, keep)) in
            [(retrospective.0, retrospective.1, false), (1, 30, true)]
                .into_iter()
                .flat_map(|s| groups.iter().map(move |g| (s, g)))
        {
            let keep = |e: &Event| keep(e);
            let started = Instant::now();
            let first = self.events.iter().map(|e| e.date).min().unwrap_or(self.end);
            let periods = usize::try_from((self.end - first).num_days() / days + 1).unwrap_or(1);
            let mut cases = vec![0u32; n * periods];
            for e in self.events.iter().filter(|e| keep(e)) {
                if let Some(a) = e.area {
                    let back = usize::try_from((self.end - e.date).num_days() / days).unwrap_or(0);
                    cases[a * periods + periods - 1 - back.min(periods - 1)] += 1;
                }
            }
            // Retrospective scans compare with the population at risk (space-time Poisson)
            // where the register has populations: with rare events, the permutation model's
            // margins are made largely of the cluster itself. The prospective scan uses the
            // permutation model, which needs no population and adjusts for any trend.
            let baseline = if prospective {
                Vec::new()
            } else {
                self.baseline(periods, days, group.is_empty())
            };
            let model = if baseline.is_empty() {
                ScanModel::Permutation
            } else {
                ScanModel::Poisson
            };
            let data = ScanData {
                coordinates: self.inputs.small.iter().map(|s| s.centre).collect(),
                lat_long: true,
                periods,
                cases,
                baseline,
                population: Vec::new(),
            };
            // A window holds at most 10% of the cases, or half of a small group's (10% of a
            // few dozen would be too few for any cluster), and never more than 10 km across.
            let max_share = if group.is_empty() { 0.1 } else { 0.5 };
            let settings = ScanSettings {
                max_share,
                max_radius: Some(10.0),
                max_duration: duration,
                prospective,
                replications: self.options.replications,
                seed: self.options.seed,
                min_cases: 3,
                ..ScanSettings::default()
            };
            let result = match lantern_stats::scan(&data, model, &settings) {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(dataset = self.name(), group, "scan not run: {e}");
                    continue;
                }
            };
            let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            // A daily prospective analysis at p ≤ 0.05 would raise a false signal every 20 days;
            // it reports clusters that would arise by chance less than once a year instead.
            let reported = |c: &&lantern_stats::ScanCluster| match (prospective, c.p_value) {
                (true, Some(_)) => c
                    .recurrence_periods
                    .is_some_and(|r| r * days as f64 >= self.options.recurrence_days),
                (false, Some(p)) => p <= self.options.scan_alpha,
                (_, None) => false,
            };
            for c in result.clusters.iter().filter(reported) {
                let back_end = periods - 1 - c.end;
                let back_start = periods - 1 - c.start;
                let end = self.end - Duration::days(i64::try_from(back_end).unwrap_or(0) * days);
                let start = (self.end
                    - Duration::days(i64::try_from(back_start).unwrap_or(0) * days + days - 1))
                .max(first);
                let areas = &c.locations;
                let inside = |e: &Event| {
                    keep(e)
                        && e.area.is_some_and(|a| areas.contains(&a))
                        && e.date >= start
                        && e.date <= end
                };
                let among = if group.is_empty() {
                    String::new()
                } else {
                    format!(" among {group}")
                };
                let (district, where_) = self.district_names(areas);
                let span = (end - start).num_days() + 1;
                let ratio = c.observed as f64 / c.expected;
                let chance = match c.recurrence_periods {
                    Some(r) => format!(
                        "a cluster this unusual would arise by chance about once in {}",
                        duration_words(r * days as f64)
                    ),
                    None => format!(
                        "in {} repetitions with the same number of cases {}, a cluster this unusual arose {} (p = {:.3})",
                        self.options.replications,
                        if model == ScanModel::Poisson {
                            "spread by population"
                        } else {
                            "shuffled in time"
                        },
                        match c.p_value.map(
                            |p| (p * (self.options.replications + 1) as f64).round() as u64 - 1
                        ) {
                            Some(0) => "in none".to_owned(),
                            Some(1) => "once".to_owned(),
                            Some(k) => format!("{k} times"),
                            None => "an unknown number of times".to_owned(),
                        },
                        c.p_value.unwrap_or(1.0)
                    ),
                };
                let radius = if c.radius < 0.05 {
                    format!(
                        "in one neighbourhood ({})",
                        self.inputs.small[c.centre].name
                    )
                } else {
                    format!("within {:.1} km", c.radius)
                };
                let analysis = if prospective {
                    "prospective"
                } else {
                    "retrospective"
                };
                out.push(Found {
                    key: format!(
                        "scan:{}:{analysis}:{group}:{}:{}",
                        self.name(),
                        self.inputs.small[c.centre].code,
                        if prospective { end.format("%Y-%m").to_string() } else { start.to_string() }
                    ),
                    kind: SignalKind::Scan,
                    dataset: self.name().to_owned(),
                    area_code: district,
                    title: format!(
                        "{} {}{among} in {where_}, {} to {}",
                        c.observed,
                        nouns(self.dataset, c.observed),
                        start.format("%-d %b %Y"),
                        end.format("%-d %b %Y")
                    ),
                    explanation: format!(
                        "{} {}{among} {radius} and {}, about {ratio:.0} times the expected number ({}); {chance}.",
                        c.observed,
                        nouns(self.dataset, c.observed),
                        duration_words(span as f64),
                        if c.expected < 0.1 {
                            format!("{:.2}", c.expected)
                        } else {
                            format!("{:.1}", c.expected)
                        }
                    ),
                    method: if model == ScanModel::Poisson {
                        "space-time-poisson"
                    } else {
                        "space-time-permutation"
                    }
                    .to_owned(),
                    parameters: json!({
                        "analysis": analysis,
                        "group": if group.is_empty() { "everyone" } else { group },
                        "period_days": days,
                        "max_periods": duration,
                        "max_spatial_percent_of_cases": max_share * 100.0,
                        "max_radius_km": 10,
                        "min_cases": 3,
                        "replications": self.options.replications,
                        "seed": self.options.seed,
                        "llr": c.llr,
                    }),
                    observed: c.observed,
                    expected: Some(c.expected),
                    p_value: c.p_value,
                    recurrence_days: c.recurrence_periods.map(|r| r * days as f64),
                    start,
                    end,
                    places: self.places(areas, inside),
                    radius_km: Some(c.radius),
                    timeline: self.timeline(start, end, |e| {
                        keep(e) && e.area.is_some_and(|a| areas.contains(&a))
                    }),
                    snapshot: self.inputs.snapshot.clone(),
                    elapsed_ms,
                });
            }
        }
    }

    /// Each small area's population (everyone, or aged 10-24) in each period, from the year
    /// nearest the period's last day; empty when the register has no populations.
    fn baseline(&self, periods: usize, days: i64, everyone: bool) -> Vec<f64> {
        let pop = &self.inputs.population;
        if pop.is_empty() {
            return Vec::new();
        }
        let n = self.inputs.small.len();
        let mut years: Vec<i32> = pop.keys().map(|k| k.1).collect();
        years.sort_unstable();
        years.dedup();
        let mut out = vec![0.0; n * periods];
        for t in 0..periods {
            let back = i64::try_from(periods - 1 - t).unwrap_or(0);
            let year = (self.end - Duration::days(back * days)).year();
            let nearest = years
                .iter()
                .copied()
                .min_by_key(|y| (y - year).abs())
                .unwrap_or(year);
            for a in 0..n {
                if let Some(&(all, young)) = pop.get(&(a, nearest)) {
                    out[a * periods + t] = if everyone { all } else { young };
                }
            }
        }
        // A small area with cases must have people.
        let has_people = (0..n).all(|a| {
            out[a * periods..(a + 1) * periods].iter().sum::<f64>() > 0.0
                || !self.events.iter().any(|e| e.area == Some(a))
        });
        if has_people { out } else { Vec::new() }
    }

    /// Weekly series per district and group, assessed over the last weeks.
    fn aberrations(&self, out: &mut Vec<Found>) {
        let weeks =
            self.week_back(self.events.iter().map(|e| e.date).min().unwrap_or(self.end)) + 1;
        // Each group as the words that follow the noun (" among males", " by poisoning"; none
        // for everyone).
        let mut groups: Vec<(String, Filter<'_>)> = vec![
            (String::new(), Box::new(|_: &Event| true)),
            (
                " among males".to_owned(),
                Box::new(|e: &Event| e.sex == "male"),
            ),
            (
                " among females".to_owned(),
                Box::new(|e: &Event| e.sex == "female"),
            ),
        ];
        for (label, lo, hi) in AGE_BANDS {
            groups.push((
                format!(" among people {label}"),
                Box::new(move |e: &Event| e.age.is_some_and(|a| a >= lo && a <= hi)),
            ));
        }
        if self.dataset.is_suicides() {
            let methods = crate::codes::list("method_group");
            for c in methods.codes.iter().filter(|c| c.code != "unknown") {
                let code = c.code.as_str();
                groups.push((
                    format!(" by {}", c.label.to_lowercase()),
                    Box::new(move |e: &Event| e.method == code),
                ));
            }
        }
        for (d, (code, name)) in self.inputs.districts.iter().enumerate() {
            for (label, keep) in &groups {
                let started = Instant::now();
                let in_series = |e: &Event| {
                    e.area.and_then(|a| self.inputs.small[a].district) == Some(d) && keep(e)
                };
                let mut counts = vec![0.0; weeks];
                for e in self.events.iter().filter(|e| in_series(e)) {
                    counts[weeks - 1 - self.week_back(e.date)] += 1.0;
                }
                let mut method = DetectMethod::for_history(weeks, 52);
                if let DetectMethod::Farrington(f) = &mut method {
                    f.alpha = self.options.temporal_alpha;
                }
                let first = method
                    .first_period()
                    .max(weeks.saturating_sub(self.options.lookback_weeks) + 1);
                if first > weeks {
                    continue;
                }
                let Ok(found) = method.run(&counts, None, first..=weeks) else {
                    continue;
                };
                let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                // Runs of alarming weeks (a quiet week between two alarms joins them).
                let alarms: Vec<(usize, f64)> = found
                    .iter()
                    .zip(first..=weeks)
                    .filter(|(f, t)| f.alarm && counts[t - 1] >= self.options.min_count)
                    .map(|(f, t)| (t, f.upper_bound.unwrap_or(0.0)))
                    .collect();
                let mut runs: Vec<Vec<(usize, f64)>> = Vec::new();
                for a in alarms {
                    match runs.last_mut() {
                        Some(r) if r.last().is_some_and(|l| a.0 - l.0 <= 2) => r.push(a),
                        _ => runs.push(vec![a]),
                    }
                }
                for run in runs {
                    let (t0, t1) = (run[0].0, run[run.len() - 1].0);
                    let end = self.week_end(weeks - t1);
                    let start = self.week_end(weeks - t0) - Duration::days(6);
                    let observed: u64 = run.iter().map(|(t, _)| counts[t - 1] as u64).sum();
                    let bound: f64 = run.iter().map(|(_, b)| b).sum();
                    let weeks_word = if run.len() == 1 {
                        format!("week to {}", end.format("%-d %B %Y"))
                    } else {
                        format!("{} weeks to {}", run.len(), end.format("%-d %B %Y"))
                    };
                    let areas: Vec<usize> = (0..self.inputs.small.len())
                        .filter(|&a| self.inputs.small[a].district == Some(d))
                        .collect();
                    let inside = |e: &Event| in_series(e) && e.date >= start && e.date <= end;
                    out.push(Found {
                        key: format!("aberration:{}:{code}:{}:{start}", self.name(), label.trim()),
                        kind: SignalKind::Aberration,
                        dataset: self.name().to_owned(),
                        area_code: Some(code.clone()),
                        title: format!(
                            "More {}{label} in {name}",
                            nouns(self.dataset, 2)
                        ),
                        explanation: format!(
                            "{observed} {}{label} in {name} in the {weeks_word}, above the {} threshold of {bound:.1} for {} (expected from {}).",
                            nouns(self.dataset, observed),
                            method.name(),
                            if run.len() == 1 { "that week" } else { "those weeks" },
                            if matches!(method, DetectMethod::Farrington(_)) {
                                "the same weeks of past years"
                            } else {
                                "the weeks just before"
                            }
                        ),
                        method: method.name().to_owned(),
                        parameters: match method {
                            DetectMethod::Farrington(f) => json!({
                                "b": f.b, "w": f.w, "alpha": f.alpha,
                                "weights_threshold": f.weights_threshold,
                                "min_count": self.options.min_count,
                                "frequency": 52,
                            }),
                            DetectMethod::Ears { baseline, alpha, .. } => json!({
                                "baseline": baseline, "alpha": alpha,
                                "min_count": self.options.min_count,
                            }),
                            DetectMethod::Cusum(c) => json!({
                                "k": c.k, "h": c.h, "min_count": self.options.min_count,
                            }),
                        },
                        observed,
                        expected: Some(bound),
                        p_value: None,
                        recurrence_days: None,
                        start,
                        end,
                        places: self.places(&areas, inside).into_iter().filter(|p| p.count > 0).collect(),
                        radius_km: None,
                        timeline: self.timeline(start, end, in_series),
                        snapshot: self.inputs.snapshot.clone(),
                        elapsed_ms,
                    });
                }
            }
        }
    }

    /// Suspected suicides close together in place and time, and at locations of concern.
    fn rules(&self, out: &mut Vec<Found>) {
        let o = self.options;
        let started = Instant::now();
        let placed: Vec<&Event> = self
            .events
            .iter()
            .filter(|e| e.position.is_some())
            .collect();
        let incidents: Vec<Incident> = placed
            .iter()
            .map(|e| {
                let (x, y) = e.position.unwrap_or_default();
                Incident {
                    x,
                    y,
                    day: e.date.num_days_from_ce().into(),
                }
            })
            .collect();
        let place_of = |e: &Event, label: &str| {
            let (lon, lat) = e.position.unwrap_or_default();
            Place {
                label: label.to_owned(),
                lat: (lat * 1000.0).round() / 1000.0,
                lon: (lon * 1000.0).round() / 1000.0,
                count: 1,
            }
        };
        // Locations of concern first: closeness among the same deaths is said there, not twice.
        let mut at_concerns: Vec<(Vec<*const Event>, Found)> = Vec::new();
        for loc in &self.inputs.concerns {
            let at = |e: &Event| {
                e.concern.trim().eq_ignore_ascii_case(loc.name.trim())
                    || e.position.is_some_and(|p| {
                        haversine_metres(p, (loc.lon, loc.lat)) <= o.concern_metres
                    })
            };
            let mut here: Vec<&Event> = self.events.iter().filter(|e| at(e)).collect();
            here.sort_by_key(|e| e.date);
            // Incidents within a year of each other make one signal.
            let mut runs: Vec<Vec<&Event>> = Vec::new();
            for e in here {
                match runs.last_mut() {
                    Some(r)
                        if r.last()
                            .is_some_and(|l| (e.date - l.date).num_days() <= 365) =>
                    {
                        r.push(e)
                    }
                    _ => runs.push(vec![e]),
                }
            }
            for run in runs {
                let members: Vec<*const Event> =
                    run.iter().map(|e| std::ptr::from_ref(*e)).collect();
                let start = run[0].date;
                let end = run[run.len() - 1].date;
                let n = run.len() as u64;
                let measures = if loc.measures.is_empty() {
                    "no measures are recorded there".to_owned()
                } else {
                    format!("measures in place: {}", loc.measures.join(", "))
                };
                at_concerns.push((
                    members,
                    Found {
                        key: format!("rule:concern:{}:{}:{start}", self.name(), loc.name),
                        title: format!("{n} {} at {}", nouns(self.dataset, n), loc.name),
                        explanation: format!(
                            "{n} {} at {} ({}), a registered location of concern, {}; {measures}.",
                            nouns(self.dataset, n),
                            loc.name,
                            loc.kind,
                            if n == 1 {
                                format!("on {}", start.format("%-d %B %Y"))
                            } else {
                                format!(
                                    "between {} and {}",
                                    start.format("%-d %B %Y"),
                                    end.format("%-d %B %Y")
                                )
                            }
                        ),
                        parameters: json!({"location": loc.name, "metres": o.concern_metres}),
                        places: vec![Place {
                            label: loc.name.clone(),
                            lat: loc.lat,
                            lon: loc.lon,
                            count: u32::try_from(n).unwrap_or(u32::MAX),
                        }],
                        timeline: self.timeline(start, end, at),
                        ..self.rule_signal("rule-location-of-concern", n, (start, end), started)
                    },
                ));
            }
        }
        let close = format!(
            "each within {:.0} m and {} days of another",
            o.near_metres, o.near_days
        );
        let near = json!({"count": o.near_count, "metres": o.near_metres, "days": o.near_days});
        for group in point_clusters(&incidents, o.near_metres, o.near_days, o.near_count, true) {
            let members: Vec<&Event> = group.iter().map(|&i| placed[i]).collect();
            // Deaths that all belong to one location-of-concern signal are one signal.
            if let Some((run, found)) = at_concerns.iter_mut().find(|(run, _)| {
                members
                    .iter()
                    .all(|m| run.contains(&std::ptr::from_ref(*m)))
            }) {
                let who = if members.len() == run.len() {
                    "They were also".to_owned()
                } else {
                    format!("{} of them were", members.len())
                };
                found
                    .explanation
                    .push_str(&format!(" {who} close together, {close}."));
                if let Some(p) = found.parameters.as_object_mut() {
                    p.insert("near".to_owned(), near.clone());
                }
                continue;
            }
            let start = members.iter().map(|e| e.date).min().unwrap_or(self.end);
            let end = members.iter().map(|e| e.date).max().unwrap_or(self.end);
            let n = members.len() as u64;
            let areas: Vec<usize> = members.iter().filter_map(|e| e.area).collect();
            let (district, where_) = self.district_names(&areas);
            let first = members[0].position.unwrap_or_default();
            out.push(Found {
                key: format!(
                    "rule:near:{}:{start}:{:.3}:{:.3}",
                    self.name(),
                    first.0,
                    first.1
                ),
                area_code: district,
                title: format!("{n} suspected suicides close together in {where_}"),
                explanation: format!(
                    "{n} suspected suicides, {close}, between {} and {} ({}).",
                    start.format("%-d %B %Y"),
                    end.format("%-d %B %Y"),
                    duration_words(((end - start).num_days() + 1) as f64)
                ),
                parameters: near.clone(),
                places: members.iter().map(|e| place_of(e, "Incident")).collect(),
                timeline: self.timeline(start, end, |e| {
                    e.position.is_some_and(|p| {
                        members.iter().any(|m| {
                            m.position
                                .is_some_and(|q| haversine_metres(p, q) <= o.near_metres)
                        })
                    })
                }),
                ..self.rule_signal("rule-near", n, (start, end), started)
            });
        }
        out.extend(at_concerns.into_iter().map(|(_, found)| found));
    }

    /// What every rule signal shares: no expectation and no p-value.
    fn rule_signal(
        &self,
        method: &str,
        observed: u64,
        (start, end): (NaiveDate, NaiveDate),
        started: Instant,
    ) -> Found {
        Found {
            key: String::new(),
            kind: SignalKind::Rule,
            dataset: self.name().to_owned(),
            area_code: None,
            title: String::new(),
            explanation: String::new(),
            method: method.to_owned(),
            parameters: serde_json::Value::Null,
            observed,
            expected: None,
            p_value: None,
            recurrence_days: None,
            start,
            end,
            places: Vec::new(),
            radius_km: None,
            timeline: Vec::new(),
            snapshot: self.inputs.snapshot.clone(),
            elapsed_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centres_of_polygons_and_multipolygons() {
        let p = r#"{"type":"Polygon","coordinates":[[[0,0],[2,0],[2,2],[0,2]]]}"#;
        assert_eq!(centre_of(p), Some((1.0, 1.0)));
        let m = r#"{"type":"MultiPolygon","coordinates":[[[[0,0],[4,0],[4,4],[0,4]]]]}"#;
        assert_eq!(centre_of(m), Some((2.0, 2.0)));
        assert_eq!(centre_of("not json"), None);
    }

    /// Saved settings name only what was changed; the rest are the defaults. Settings out of
    /// range are refused.
    #[test]
    fn settings_fill_in_defaults_and_refuse_what_is_out_of_range() {
        let o: DetectOptions = serde_json::from_str(r#"{"near_count":4}"#).unwrap_or_default();
        assert_eq!(o.near_count, 4);
        assert_eq!(o.replications, DetectOptions::default().replications);
        assert_eq!(DetectOptions::default().check(), Ok(()));
        let bad = [
            DetectOptions {
                scan_alpha: 0.0,
                ..DetectOptions::default()
            },
            DetectOptions {
                temporal_alpha: 1.5,
                ..DetectOptions::default()
            },
            DetectOptions {
                near_count: 1,
                ..DetectOptions::default()
            },
            DetectOptions {
                near_metres: f64::NAN,
                ..DetectOptions::default()
            },
            DetectOptions {
                near_days: 0,
                ..DetectOptions::default()
            },
            DetectOptions {
                lookback_weeks: 0,
                ..DetectOptions::default()
            },
            DetectOptions {
                recurrence_days: 0.5,
                ..DetectOptions::default()
            },
            DetectOptions {
                min_count: -1.0,
                ..DetectOptions::default()
            },
            DetectOptions {
                replications: 1_000_000,
                ..DetectOptions::default()
            },
        ];
        for o in bad {
            assert!(o.check().is_err(), "{o:?}");
        }
    }

    fn death(day: u32, lon: f64, lat: f64) -> Event {
        Event {
            date: NaiveDate::from_ymd_opt(2026, 3, day).unwrap_or_default(),
            area: None,
            age: Some(30),
            sex: "male".to_owned(),
            method: String::new(),
            position: Some((lon, lat)),
            concern: String::new(),
        }
    }

    /// Deaths that are all at one location of concern make one signal, which also says they
    /// were close together; deaths close together elsewhere, or only partly at the location,
    /// keep the closeness signal of their own.
    #[test]
    fn closeness_at_a_location_of_concern_is_one_signal() {
        let bridge = LocationOfConcern {
            id: 1,
            name: "Kestrel Bridge".to_owned(),
            kind: "bridge".to_owned(),
            lat: 54.51,
            lon: -2.29,
            measures: vec!["barriers".to_owned()],
            review_date: None,
            notes: String::new(),
        };
        let rules = |events: Vec<Event>| {
            let inputs = Inputs {
                snapshot: "1".to_owned(),
                small: Vec::new(),
                districts: Vec::new(),
                concerns: vec![bridge.clone()],
                datasets: Vec::new(),
                population: HashMap::new(),
            };
            let options = DetectOptions::default();
            let ctx = Context {
                inputs: &inputs,
                dataset: &SUICIDES,
                events: &events,
                end: events.iter().map(|e| e.date).max().unwrap_or_default(),
                options: &options,
            };
            let mut out = Vec::new();
            ctx.rules(&mut out);
            out
        };
        // Four at the bridge, and three together 50 km away.
        let mut events: Vec<Event> = (1..=4).map(|d| death(d * 5, -2.29, 54.51)).collect();
        events.extend((1..=3).map(|d| death(d, -1.5, 54.6)));
        let out = rules(events);
        assert_eq!(out.len(), 2, "{out:#?}");
        let at = out.iter().find(|f| f.method == "rule-location-of-concern");
        let at = at.map(|f| (f.observed, f.explanation.clone(), f.parameters.clone()));
        let (observed, explanation, parameters) = at.unwrap_or_default();
        assert_eq!(observed, 4);
        assert!(
            explanation.ends_with(
                "They were also close together, each within 1000 m and 90 days of another."
            ),
            "{explanation}"
        );
        assert_eq!(parameters["near"]["count"], 3);
        let near: Vec<&Found> = out.iter().filter(|f| f.method == "rule-near").collect();
        assert_eq!(near.len(), 1);
        assert_eq!(near[0].observed, 3);

        // Four at the bridge, the last of them 200 days after the others: three were close.
        let mut events: Vec<Event> = (1..=3).map(|d| death(d * 5, -2.29, 54.51)).collect();
        let mut later = death(1, -2.29, 54.51);
        later.date = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap_or_default();
        events.push(later);
        let out = rules(events);
        assert_eq!(out.len(), 1, "{out:#?}");
        assert!(
            out[0]
                .explanation
                .contains(" 3 of them were close together,"),
            "{}",
            out[0].explanation
        );

        // Two at the bridge and one 500 m away: the closeness signal stays.
        let events = vec![
            death(1, -2.29, 54.51),
            death(2, -2.29, 54.51),
            death(3, -2.29, 54.5145),
        ];
        let out = rules(events);
        let methods: Vec<&str> = out.iter().map(|f| f.method.as_str()).collect();
        assert_eq!(methods, ["rule-near", "rule-location-of-concern"]);
        assert!(!out[1].explanation.contains("close together"));
    }
}
