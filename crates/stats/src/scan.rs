//! Kulldorff's scan statistics: is there a circle (and, over time, a cylinder) in which cases
//! are more common than expected?
//!
//! - **Poisson** (Kulldorff 1997; space-time: Kulldorff, Athas, Feuer, Miller and Key 1998): each
//!   cell (location and period) has an expected count under the null, proportional to its
//!   population-time (adjusted for covariates by the caller), summing to the total `C`. For a
//!   window with `c` cases and `μ` expected, the log likelihood ratio for high rates is
//!   `c ln(c/μ) + (C - c) ln((C - c)/(C - μ))` when `c > μ`, otherwise 0. Monte Carlo
//!   replications spread the `C` cases over the cells in proportion to their expected counts.
//! - **Space-time permutation** (Kulldorff, Heffernan, Hartman, Assunção and Mostashari 2005):
//!   cases only. A cell's expected count is `C_location × C_period / C`; the statistic is the same
//!   Poisson ratio; replications permute the periods among the cases, keeping both margins.
//!
//! Windows are circles centred on each location, holding its nearest locations (locations at
//! the same distance enter together) up to a maximum share of the population (of the cases for
//! the permutation model), and optionally a maximum radius or number of locations. Cylinders add
//! every run of consecutive periods up to a maximum duration; a prospective analysis keeps only
//! those that end in the last period (Kulldorff 2001). The p-value of a cluster is its rank among
//! the replications' largest ratios, `(1 + #{simulated ≥ observed}) / (R + 1)`. Secondary
//! clusters are each centre's best window, in decreasing order (the smaller window first at
//! equal ratios), skipping any that share a location with one already reported.
//!
//! Replications run on rayon's threads; each has its own random stream from the seed and its
//! index, so the result does not depend on the number of threads.
//!
//! Implemented from the papers; nothing is ported from SaTScan, smerc or scanstatistics. Tests
//! compare the results with those tools' recorded output in `../shared/refdata/stats/`.

use rayon::prelude::*;

use crate::hotspot::haversine_metres;
use crate::rng::SplitMix;

/// Which probability model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanModel {
    /// Discrete Poisson with a population-based expected count per cell.
    Poisson,
    /// Space-time permutation: expected counts from the cases' own margins.
    Permutation,
}

/// The data for a scan: locations, periods and counts.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanData {
    /// Each location's position: `(x, y)`, or `(longitude, latitude)` in degrees with
    /// `lat_long`.
    pub coordinates: Vec<(f64, f64)>,
    /// Coordinates are degrees on the sphere (distances in km along great circles); otherwise
    /// Cartesian (distances in the coordinates' units).
    pub lat_long: bool,
    /// Number of periods (1 for a purely spatial scan).
    pub periods: usize,
    /// Cases by location and period, location-major: `cases[location * periods + period]`.
    pub cases: Vec<u32>,
    /// Poisson: the expected count of each cell under the null, in the same layout (any
    /// positive scale: it is rescaled to sum to the number of cases). Not used by the
    /// permutation model.
    pub baseline: Vec<f64>,
    /// Poisson: each location's population, for the maximum window size (its share of the
    /// baseline when empty). Not used by the permutation model.
    pub population: Vec<f64>,
}

/// How to scan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScanSettings {
    /// The largest share of the population (of the cases, for the permutation model) a window
    /// may hold, in (0, 1].
    pub max_share: f64,
    /// The largest radius, in the distance unit (km with `lat_long`).
    pub max_radius: Option<f64>,
    /// The most locations a window may hold.
    pub max_locations: Option<usize>,
    /// The longest cylinder, in periods.
    pub max_duration: usize,
    /// Only cylinders that end in the last period (Kulldorff 2001).
    pub prospective: bool,
    /// Monte Carlo replications (0 for none: no p-values).
    pub replications: usize,
    /// The random seed.
    pub seed: u64,
    /// The most clusters reported (the first is the most likely).
    pub max_clusters: usize,
    /// The fewest cases a cluster may hold (SaTScan's default is 2, so that one case in a
    /// sparsely populated place is never a cluster).
    pub min_cases: u32,
}

impl Default for ScanSettings {
    /// SaTScan's defaults: 50% of the population, no radius limit, every duration up to the whole
    /// study, retrospective, 999 replications, at least 2 cases.
    fn default() -> Self {
        Self {
            max_share: 0.5,
            max_radius: None,
            max_locations: None,
            max_duration: usize::MAX,
            prospective: false,
            replications: 999,
            seed: 12_345_678,
            max_clusters: 10,
            min_cases: 2,
        }
    }
}

/// One cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanCluster {
    /// The centre location (0-based).
    pub centre: usize,
    /// The locations in the window, nearest first (0-based).
    pub locations: Vec<usize>,
    /// The distance from the centre to the farthest location in it.
    pub radius: f64,
    /// The first period of the cylinder (0-based).
    pub start: usize,
    /// The last period (inclusive).
    pub end: usize,
    /// Cases in the window.
    pub observed: u64,
    /// Expected cases under the null.
    pub expected: f64,
    /// `(observed / expected) / ((C - observed) / (C - expected))`; infinite when every case
    /// is in the window.
    pub relative_risk: f64,
    /// The log likelihood ratio (SaTScan's "test statistic" for the permutation model).
    pub llr: f64,
    /// The Monte Carlo p-value, when there were replications.
    pub p_value: Option<f64>,
    /// Prospective analyses: how often, in periods, a cluster this unusual would arise by chance
    /// when the analysis is repeated every period (`1 / p`).
    pub recurrence_periods: Option<f64>,
}

/// The result of a scan.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanResult {
    /// The most likely cluster first, then secondary clusters with no location in common.
    pub clusters: Vec<ScanCluster>,
    /// Each replication's largest ratio, in replication order.
    pub simulated: Vec<f64>,
}

/// What is wrong with a scan's inputs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// The data's parts do not fit together, or there are no cases.
    #[error("{0}")]
    BadData(String),
    /// A setting is out of its range.
    #[error("{0}")]
    BadSetting(String),
}

/// The windows around each centre: neighbours nearest first, and the ends of the groups of
/// equally distant neighbours that fit within the limits.
struct Windows {
    /// For each centre, its neighbours in order.
    order: Vec<Vec<u32>>,
    /// For each centre, the number of neighbours in each admissible window, increasing.
    ends: Vec<Vec<u32>>,
    /// For each centre, the radius at each admissible window.
    radii: Vec<Vec<f64>>,
}

fn distance(data: &ScanData, a: usize, b: usize) -> f64 {
    let (p, q) = (data.coordinates[a], data.coordinates[b]);
    if data.lat_long {
        haversine_metres(p, q) / 1000.0
    } else {
        (p.0 - q.0).hypot(p.1 - q.1)
    }
}

/// A number that orders locations as their distance does, cheaper to compute: the squared
/// Cartesian distance, or the great-circle distance.
fn distance_key(data: &ScanData, a: usize, b: usize) -> f64 {
    if data.lat_long {
        distance(data, a, b)
    } else {
        let (p, q) = (data.coordinates[a], data.coordinates[b]);
        (p.0 - q.0).powi(2) + (p.1 - q.1).powi(2)
    }
}

/// One centre's window: the neighbours in order, the ends of the admissible windows and their
/// radii. Sorts only as many neighbours as the limits can admit, doubling until the limit is
/// met, so that a 10% window over 7,000 locations does not sort all 7,000 for each centre.
fn centre_window(
    data: &ScanData,
    size: &[f64],
    limit: f64,
    s: &ScanSettings,
    c: usize,
) -> (Vec<u32>, Vec<u32>, Vec<f64>) {
    let n = data.coordinates.len();
    let mut d: Vec<(f64, u32)> = (0..n)
        .map(|j| {
            (
                distance_key(data, c, j),
                u32::try_from(j).unwrap_or(u32::MAX),
            )
        })
        .collect();
    // By distance; at equal distance the centre first, then by index.
    let key = |x: &(f64, u32)| (x.0, x.1 as usize != c, x.1);
    let cmp = |a: &(f64, u32), b: &(f64, u32)| {
        key(a)
            .partial_cmp(&key(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    };
    let mut k = n.min(64);
    loop {
        if k < n {
            d.select_nth_unstable_by(k - 1, cmp);
        }
        d[..k].sort_unstable_by(cmp);
        let mut order = Vec::new();
        let mut ends = Vec::new();
        let mut radii = Vec::new();
        let mut held = 0.0;
        let mut i = 0;
        let mut complete = false;
        while i < k {
            // The group of neighbours at this distance.
            let r = d[i].0;
            let mut j = i + 1;
            while j < k && d[j].0 == r {
                j += 1;
            }
            if j == k && k < n {
                // The group may go on past the sorted part.
                break;
            }
            let group: f64 = d[i..j].iter().map(|x| size[x.1 as usize]).sum();
            if held + group > limit
                || s.max_radius
                    .is_some_and(|m| distance(data, c, d[i].1 as usize) > m * (1.0 + 1e-12))
                || s.max_locations.is_some_and(|m| j > m)
            {
                complete = true;
                break;
            }
            held += group;
            order.extend(d[i..j].iter().map(|x| x.1));
            ends.push(u32::try_from(j).unwrap_or(u32::MAX));
            radii.push(distance(data, c, d[i].1 as usize));
            i = j;
        }
        if complete || k == n {
            return (order, ends, radii);
        }
        k = (k * 2).min(n);
    }
}

fn windows(data: &ScanData, size: &[f64], s: &ScanSettings) -> Windows {
    let n = data.coordinates.len();
    let total: f64 = size.iter().sum();
    let limit = s.max_share * total * (1.0 + 1e-12);
    let per_centre: Vec<(Vec<u32>, Vec<u32>, Vec<f64>)> = (0..n)
        .into_par_iter()
        .map(|c| centre_window(data, size, limit, s, c))
        .collect();
    let mut w = Windows {
        order: Vec::with_capacity(n),
        ends: Vec::with_capacity(n),
        radii: Vec::with_capacity(n),
    };
    for (o, e, r) in per_centre {
        w.order.push(o);
        w.ends.push(e);
        w.radii.push(r);
    }
    w
}

/// The Poisson log likelihood ratio for high rates (the search uses `Plan::ratio`, the same
/// figure from tabulated logarithms).
#[cfg(test)]
fn llr(c: f64, mu: f64, total: f64) -> f64 {
    if c <= mu || mu <= 0.0 {
        return 0.0;
    }
    let rest = total - c;
    let out = if rest > 0.0 {
        rest * (rest / (total - mu)).ln()
    } else {
        0.0
    };
    c * (c / mu).ln() + out
}

/// Counts over the scanned span, stored sparsely: for each location, its nonzero
/// `(period, count)` cells. Most cells of a daily space-time scan are empty.
struct Sparse {
    offsets: Vec<usize>,
    cells: Vec<(u32, u32)>,
    /// Each location's total over the span (what a purely spatial scan reads).
    totals: Vec<u32>,
    /// Whether each location has any case in the span, as bits: small enough to stay in the
    /// fastest cache while the windows are walked.
    any: Vec<u64>,
}

impl Sparse {
    /// From dense location-major counts over `span` periods.
    fn from_dense(dense: &[u32], n: usize, span: usize) -> Self {
        let mut offsets = Vec::with_capacity(n + 1);
        let mut cells = Vec::new();
        let mut totals = Vec::with_capacity(n);
        offsets.push(0);
        for loc in 0..n {
            let mut total = 0u32;
            for (t, &x) in dense[loc * span..(loc + 1) * span].iter().enumerate() {
                if x > 0 {
                    cells.push((u32::try_from(t).unwrap_or(u32::MAX), x));
                    total = total.saturating_add(x);
                }
            }
            offsets.push(cells.len());
            totals.push(total);
        }
        let mut any = vec![0u64; n.div_ceil(64)];
        for (loc, &t) in totals.iter().enumerate() {
            if t > 0 {
                any[loc / 64] |= 1 << (loc % 64);
            }
        }
        Self {
            offsets,
            cells,
            totals,
            any,
        }
    }

    fn has(&self, loc: usize) -> bool {
        self.any[loc / 64] & (1 << (loc % 64)) != 0
    }

    fn row(&self, loc: usize) -> &[(u32, u32)] {
        &self.cells[self.offsets[loc]..self.offsets[loc + 1]]
    }
}

/// The best window for one centre: `(llr, window index, first period, last period)`.
type Best = (f64, usize, usize, usize);

/// A search starts from `(floor, usize::MAX, ..)`; when no window beat the floor, the centre
/// has none: a ratio of 0.
fn settled(best: Best) -> Best {
    if best.1 == usize::MAX {
        (0.0, 0, 0, 0)
    } else {
        best
    }
}

/// Per-thread working space for one pass over the centres.
struct Scratch {
    cum_c: Vec<f64>,
    cum_mu: Vec<f64>,
    pre_c: Vec<f64>,
    pre_mu: Vec<f64>,
}

/// What stays fixed across replications: the windows, the periods scanned, and the expected
/// counts.
struct Plan {
    model: ScanModel,
    windows: Windows,
    /// The first period any cylinder can start in.
    lo: usize,
    /// Periods scanned, `lo..periods`.
    span: usize,
    /// The longest cylinder, at most `span`.
    duration: usize,
    prospective: bool,
    total: f64,
    min_cases: f64,
    /// Poisson: expected counts per cell over the span, rescaled to sum to the total.
    expected: Vec<f64>,
    /// Permutation: each location's total cases, and each scanned period's.
    location_totals: Vec<f64>,
    period_totals: Vec<f64>,
}

/// A centre's locations nearest first, `(μ, μ(C - μ)/C)` in single precision where a window
/// ends (`(+∞, +∞)` elsewhere), and the window that ends at each.
type Walk = (Vec<u32>, Vec<(f32, f32)>, Vec<u32>);

/// Purely spatial Poisson replications searched together: each centre's walk is read once for
/// all of them, and the quick test runs on every lane at once (the compiler vectorises it).
/// Fixed, so that the result does not depend on the number of threads.
const LANES: usize = 8;

/// Logarithms that stay fixed across replications, so that the search computes at most one
/// logarithm for most windows and none for most purely spatial ones. The ratio is rewritten as
/// `T(c) + T(C - c) - c ln μ - (C - c) ln(C - μ)` with `T(x) = x ln x` tabulated over the whole
/// counts, and `c ln(c/μ)` (the ratio without its second, never positive, term) is an upper
/// bound that rules most windows out before `ln(C - μ)` is needed.
struct Logs {
    /// `T(x) = x ln x` for `x` in `0..=C`.
    x_ln_x: Vec<f64>,
    /// Purely spatial Poisson: each centre's windows' `(μ, ln μ)`.
    spatial: Vec<Vec<(f64, f64)>>,
    /// Purely spatial Poisson: each centre's walk over its locations, nearest first, with
    /// `μ` and `g = μ(C - μ)/C` (single precision, for a quick upper bound) where a window ends
    /// and +∞ elsewhere: the replications' inner loop reads only these.
    walks: Vec<Walk>,
    /// Permutation: `ln` of each run of scanned periods' total, at `[last * duration + length - 1]`.
    period_runs: Vec<f64>,
    /// Permutation: the total of each scanned period and those after it.
    suffix: Vec<f64>,
    /// Permutation: each centre's windows' total cases over the whole study.
    window_sums: Vec<Vec<f64>>,
    /// Permutation: for each location, the `(centre, window)` pairs where it joins a window.
    reach: Vec<Vec<(u32, u32)>>,
    /// Permutation: `ln` of the smallest scanned period's total (`-inf` when one is empty).
    ln_min_period: f64,
    ln_total: f64,
}

impl Plan {
    fn scratch(&self) -> Scratch {
        Scratch {
            cum_c: vec![0.0; self.span],
            cum_mu: vec![0.0; self.span],
            pre_c: vec![0.0; self.span + 1],
            pre_mu: vec![0.0; self.span + 1],
        }
    }

    /// For each centre, `value` summed over each of its windows' locations (a value per
    /// location: for the spatial scan, its expected count).
    fn per_window(&self, value: &[f64]) -> Vec<Vec<f64>> {
        self.windows
            .order
            .iter()
            .zip(&self.windows.ends)
            .map(|(order, ends)| {
                let mut sum = 0.0;
                let mut from = 0;
                ends.iter()
                    .map(|&end| {
                        sum += order[from..end as usize]
                            .iter()
                            .map(|&loc| value[loc as usize])
                            .sum::<f64>();
                        from = end as usize;
                        sum
                    })
                    .collect()
            })
            .collect()
    }

    fn logs(&self) -> Logs {
        let whole = self.total.round() as usize;
        let x_ln_x = (0..=whole)
            .map(|x| {
                if x == 0 {
                    0.0
                } else {
                    x as f64 * (x as f64).ln()
                }
            })
            .collect();
        let spatial: Vec<Vec<(f64, f64)>> = if self.model == ScanModel::Poisson && self.span == 1 {
            self.per_window(&self.expected)
                .into_iter()
                .map(|w| w.into_iter().map(|mu| (mu, mu.ln())).collect())
                .collect()
        } else {
            Vec::new()
        };
        let walks = spatial
            .iter()
            .zip(self.windows.order.iter().zip(&self.windows.ends))
            .map(|(mus, (order, ends))| {
                let mut bounds = vec![(f32::INFINITY, f32::INFINITY); order.len()];
                let mut window = vec![0u32; order.len()];
                for (w, (&end, &(mu, _))) in ends.iter().zip(mus).enumerate() {
                    let b = (mu as f32, (mu * (self.total - mu) / self.total) as f32);
                    bounds[end as usize - 1] = b;
                    window[end as usize - 1] = u32::try_from(w).unwrap_or(u32::MAX);
                }
                (order.clone(), bounds, window)
            })
            .collect();
        let d = self.duration;
        let mut period_runs = Vec::new();
        if self.model == ScanModel::Permutation {
            period_runs = vec![f64::NEG_INFINITY; self.span * d];
            for last in 0..self.span {
                let mut sum = 0.0;
                for length in 1..=d.min(last + 1) {
                    sum += self.period_totals[last + 1 - length];
                    period_runs[last * d + length - 1] = sum.ln();
                }
            }
        }
        let window_sums = if self.model == ScanModel::Permutation {
            self.per_window(&self.location_totals)
        } else {
            Vec::new()
        };
        let mut reach: Vec<Vec<(u32, u32)>> = Vec::new();
        if self.model == ScanModel::Permutation {
            reach = vec![Vec::new(); self.windows.order.len()];
            for (c, (order, ends)) in self
                .windows
                .order
                .iter()
                .zip(&self.windows.ends)
                .enumerate()
            {
                let mut from = 0;
                for (w, &end) in ends.iter().enumerate() {
                    for &loc in &order[from..end as usize] {
                        reach[loc as usize].push((
                            u32::try_from(c).unwrap_or(u32::MAX),
                            u32::try_from(w).unwrap_or(u32::MAX),
                        ));
                    }
                    from = end as usize;
                }
            }
        }
        let mut suffix = vec![0.0; self.span + 1];
        for t in (0..self.span).rev() {
            suffix[t] = suffix[t + 1] + self.period_totals[t];
        }
        Logs {
            x_ln_x,
            spatial,
            walks,
            period_runs,
            suffix,
            window_sums,
            reach,
            ln_min_period: self
                .period_totals
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min)
                .ln(),
            ln_total: self.total.ln(),
        }
    }

    /// Every centre's best window for these counts.
    fn best_per_centre(&self, counts: &Sparse, logs: &Logs) -> Vec<Best> {
        let mut scratch = self.scratch();
        if self.model == ScanModel::Permutation {
            let mut out = vec![(0.0, 0, 0, 0); self.windows.order.len()];
            self.permutation_pass(counts, logs, &mut scratch, false, |c, b| out[c] = b);
            return out;
        }
        if !logs.spatial.is_empty() {
            let totals = one_lane(counts);
            return (0..self.windows.order.len())
                .map(|c| {
                    let mut best = [(0.0, usize::MAX, 0, 0)];
                    self.walk_spatial(c, &totals, logs, &mut best);
                    settled(best[0])
                })
                .collect();
        }
        (0..self.windows.order.len())
            .map(|c| self.best_for(c, counts, logs, &mut scratch, 0.0))
            .collect()
    }

    /// The largest ratio over all windows for these counts. Each centre only has to beat the
    /// largest found so far. (Purely spatial Poisson replications go to `max_llr_spatial`,
    /// several at a time.)
    fn max_llr(&self, counts: &Sparse, logs: &Logs) -> f64 {
        let mut scratch = self.scratch();
        let mut best = 0.0;
        if self.model == ScanModel::Permutation {
            self.permutation_pass(counts, logs, &mut scratch, true, |_, b| {
                best = b.0.max(best);
            });
            return best;
        }
        for c in 0..self.windows.order.len() {
            best = self
                .best_for(c, counts, logs, &mut scratch, best)
                .0
                .max(best);
        }
        best
    }

    /// The permutation model keeps each location's total in every replication, so a window's
    /// expectation only changes where its cases do: each centre visits only the windows that
    /// gain a location with cases in the span, found from those locations' `reach`. Calls
    /// `each(centre, best)` for every centre that has any. With `global`, each centre only has
    /// to beat the best so far.
    fn permutation_pass(
        &self,
        counts: &Sparse,
        logs: &Logs,
        s: &mut Scratch,
        global: bool,
        mut each: impl FnMut(usize, Best),
    ) {
        let n = self.windows.order.len();
        let with_cases: Vec<usize> = (0..n).filter(|&l| counts.has(l)).collect();
        let mut start = vec![0usize; n + 1];
        for &l in &with_cases {
            for &(c, _) in &logs.reach[l] {
                start[c as usize + 1] += 1;
            }
        }
        for c in 0..n {
            start[c + 1] += start[c];
        }
        let mut next = start.clone();
        let mut events = vec![(0u32, 0u32); start[n]];
        for &l in &with_cases {
            for &(c, w) in &logs.reach[l] {
                let c = c as usize;
                events[next[c]] = (w, u32::try_from(l).unwrap_or(u32::MAX));
                next[c] += 1;
            }
        }
        let mut floor = 0.0;
        for c in 0..n {
            let ev = &mut events[start[c]..start[c + 1]];
            if ev.is_empty() {
                continue;
            }
            ev.sort_unstable();
            let b =
                self.permutation_centre(c, ev, counts, logs, s, if global { floor } else { 0.0 });
            floor = b.0.max(floor);
            each(c, b);
        }
    }

    /// One centre's best window from the windows (`events`: window index and location, in
    /// order) that gain cases.
    fn permutation_centre(
        &self,
        centre: usize,
        events: &[(u32, u32)],
        counts: &Sparse,
        logs: &Logs,
        s: &mut Scratch,
        floor: f64,
    ) -> Best {
        s.cum_c.fill(0.0);
        let mut window_cases = 0.0;
        let mut days = 0u64;
        let mut best: Best = (floor, usize::MAX, 0, 0);
        let mut i = 0;
        while i < events.len() {
            let w = events[i].0;
            while i < events.len() && events[i].0 == w {
                for &(t, x) in counts.row(events[i].1 as usize) {
                    s.cum_c[t as usize] += f64::from(x);
                    window_cases += f64::from(x);
                    days |= 1u64.checked_shl(t).unwrap_or(0);
                }
                i += 1;
            }
            let w = w as usize;
            let location_sum = logs.window_sums[centre][w];
            let ln_sum = location_sum.ln();
            // No cylinder of this window can beat the bound `c ln(c / μ)` with all its cases
            // and the smallest expectation of any one period.
            if logs.ln_min_period.is_finite() {
                let cw = window_cases as usize;
                let ln_mu_min = ln_sum + logs.ln_min_period - logs.ln_total;
                if window_cases < self.min_cases
                    || logs.x_ln_x[cw] - window_cases * ln_mu_min <= best.0
                {
                    continue;
                }
            }
            if self.prospective && self.span <= 64 {
                self.prospective_permutation(
                    s,
                    logs,
                    (location_sum, ln_sum),
                    (window_cases, days),
                    &mut best,
                    w,
                );
            } else {
                self.cylinders(s, logs, location_sum, best.0, |r, a, b| {
                    if r > best.0 {
                        best = (r, w, a, b);
                    }
                });
            }
        }
        settled(best)
    }

    /// The ratio of a window with `c` cases, `μ` expected and `ln μ`, when it holds enough
    /// cases, is a high rate, and can beat `floor`.
    #[inline]
    fn ratio(&self, logs: &Logs, c: f64, mu: f64, ln_mu: f64, floor: f64) -> Option<f64> {
        if c < self.min_cases || c <= mu {
            return None;
        }
        let ci = c as usize;
        let upper = logs.x_ln_x[ci] - c * ln_mu;
        // As ln(1 - x) ≤ -x, the second term is at most -(C - c)(c - μ)/(C - μ).
        if upper - (self.total - c) * (c - mu) / (self.total - mu) <= floor {
            return None;
        }
        let rest = self.total - c;
        let r = if rest > 0.0 {
            let ri = rest.round() as usize;
            upper + logs.x_ln_x[ri] - rest * (self.total - mu).ln()
        } else {
            upper
        };
        (r > floor).then_some(r)
    }

    /// The centre's best window, if its ratio beats `floor`; otherwise a ratio of 0.
    fn best_for(
        &self,
        centre: usize,
        counts: &Sparse,
        logs: &Logs,
        s: &mut Scratch,
        floor: f64,
    ) -> Best {
        s.cum_c.fill(0.0);
        s.cum_mu.fill(0.0);
        let mut best: Best = (floor, usize::MAX, 0, 0);
        let order = &self.windows.order[centre];
        let mut from = 0usize;
        let mut changed = false;
        for (w, &end) in self.windows.ends[centre].iter().enumerate() {
            for &loc in &order[from..end as usize] {
                let loc = loc as usize;
                if counts.has(loc) {
                    for &(t, x) in counts.row(loc) {
                        s.cum_c[t as usize] += f64::from(x);
                    }
                    changed = true;
                }
                let e = &self.expected[loc * self.span..(loc + 1) * self.span];
                for (m, e) in s.cum_mu.iter_mut().zip(e) {
                    *m += e;
                }
            }
            from = end as usize;
            // With no new case, every cylinder's expectation grew and its count did not, so no
            // ratio can beat the best so far.
            if !changed {
                continue;
            }
            changed = false;
            self.cylinders(s, logs, 0.0, best.0, |r, a, b| {
                if r > best.0 {
                    best = (r, w, a, b);
                }
            });
        }
        settled(best)
    }

    /// A prospective permutation window's cylinders, starting only in the periods with cases
    /// (`days`, as bits): a cylinder that starts in a period with none has the cases of a
    /// shorter one and a larger expectation.
    fn prospective_permutation(
        &self,
        s: &Scratch,
        logs: &Logs,
        (location_sum, ln_sum): (f64, f64),
        (window_cases, days): (f64, u64),
        best: &mut Best,
        w: usize,
    ) {
        let last = self.span - 1;
        let first = self.span - self.duration;
        let ln_location = ln_sum - logs.ln_total;
        // A cylinder with at most `window_cases` cases beats the best so far only if its
        // expectation is below `window_cases · exp(-best / window_cases)` (as `c ln(c/μ)`
        // bounds the ratio and `c exp(-F/c)` grows with `c`); expectations only grow as the
        // cylinder lengthens.
        let limit = window_cases * (-best.0 / window_cases).exp();
        let mut c = 0.0;
        let mut bits = days;
        while bits != 0 {
            let a = 63 - bits.leading_zeros() as usize;
            bits &= !(1u64 << a);
            if a < first {
                break;
            }
            let mu = location_sum * logs.suffix[a] / self.total;
            if mu >= limit {
                break;
            }
            c += s.cum_c[a];
            let ln_mu = ln_location + logs.period_runs[last * self.duration + last - a];
            if let Some(r) = self.ratio(logs, c, mu, ln_mu, best.0) {
                *best = (r, w, a, last);
            }
        }
    }

    /// Purely spatial Poisson: the largest ratio over all windows for `L` sets of counts at
    /// once (each location's count in each lane).
    fn max_llr_spatial<const L: usize>(&self, totals: &[[i32; L]], logs: &Logs) -> [f64; L] {
        let mut best = [(0.0, usize::MAX, 0, 0); L];
        for centre in 0..logs.walks.len() {
            self.walk_spatial(centre, totals, logs, &mut best);
        }
        best.map(|b| b.0)
    }

    /// Purely spatial Poisson: walk one centre's windows for `L` sets of counts, raising each
    /// lane's best where a window beats it. The windows' expectations and logarithms are fixed,
    /// so a window costs an addition per lane and a quick test: as `ln x ≤ x - 1` and
    /// `ln(1 - x) ≤ -x`, the ratio is at most `(c - μ)² C / (μ (C - μ))`, so a window can beat
    /// `F` only if `(c - μ)² ≥ F g` with `g = μ(C - μ)/C`. The test is in single precision with
    /// a margin; a window that passes it is checked exactly.
    fn walk_spatial<const L: usize>(
        &self,
        centre: usize,
        totals: &[[i32; L]],
        logs: &Logs,
        best: &mut [Best; L],
    ) {
        let (locs, bounds, window) = &logs.walks[centre];
        let mut floor = best.map(|b| b.0 as f32);
        let mut c = [0i32; L];
        for (i, (&loc, &(mu, g))) in locs.iter().zip(bounds).enumerate() {
            let t = &totals[loc as usize];
            let mut pass = [false; L];
            let mut any = false;
            for r in 0..L {
                c[r] += t[r];
                let d = c[r] as f32 - mu;
                pass[r] = (d > 0.0) & (d * d * 1.001 + 1e-3 >= floor[r] * g);
                any |= pass[r];
            }
            if !any {
                continue;
            }
            let w = window[i] as usize;
            let (mu, ln_mu) = logs.spatial[centre][w];
            for r in 0..L {
                if !pass[r] {
                    continue;
                }
                if let Some(v) = self.ratio(logs, f64::from(c[r]), mu, ln_mu, best[r].0) {
                    best[r] = (v, w, 0, 0);
                    let v32 = v as f32;
                    floor[r] = v32;
                }
            }
        }
    }

    /// Calls `found(llr, first, last)` for each cylinder of the current window whose ratio
    /// beats `floor` and that holds at least the minimum number of cases.
    fn cylinders(
        &self,
        s: &mut Scratch,
        logs: &Logs,
        location_sum: f64,
        mut floor: f64,
        mut found: impl FnMut(f64, usize, usize),
    ) {
        let span = self.span;
        let d = self.duration;
        let permutation = self.model == ScanModel::Permutation;
        let ln_location = if permutation {
            location_sum.ln() - logs.ln_total
        } else {
            0.0
        };
        // μ and ln μ of the cylinder `a..=b` whose period sum (Poisson: expectation) is `m`.
        let mu_of = |m: f64, a: usize, b: usize| -> (f64, f64) {
            if permutation {
                let ln = ln_location + logs.period_runs[b * d + b - a];
                (location_sum * m / self.total, ln)
            } else {
                (m, m.ln())
            }
        };
        let period_mu = |s: &Scratch, t: usize| {
            if permutation {
                self.period_totals[t]
            } else {
                s.cum_mu[t]
            }
        };
        let mut consider = |c: f64, m: f64, a: usize, b: usize| {
            if c >= self.min_cases {
                let (mu, ln_mu) = mu_of(m, a, b);
                if let Some(r) = self.ratio(logs, c, mu, ln_mu, floor) {
                    floor = r;
                    found(r, a, b);
                }
            }
        };
        // A cylinder that starts (or ends) in a period with no case in the window has the
        // cases of a shorter one and a larger expectation, so only periods with cases can
        // bound the best one.
        if self.prospective {
            let (mut c, mut m) = (0.0, 0.0);
            for a in (span - d..span).rev() {
                c += s.cum_c[a];
                m += period_mu(s, a);
                if s.cum_c[a] > 0.0 || a + 1 == span {
                    consider(c, m, a, span - 1);
                }
            }
            return;
        }
        for t in 0..span {
            s.pre_c[t + 1] = s.pre_c[t] + s.cum_c[t];
            s.pre_mu[t + 1] = s.pre_mu[t] + period_mu(s, t);
        }
        for b in (0..span).filter(|&b| s.cum_c[b] > 0.0) {
            for a in (b + 1 - d.min(b + 1)..=b).rev() {
                if s.cum_c[a] > 0.0 {
                    let c = s.pre_c[b + 1] - s.pre_c[a];
                    consider(c, s.pre_mu[b + 1] - s.pre_mu[a], a, b);
                }
            }
        }
    }

    /// The window's observed and expected counts, summed directly.
    fn counts_of(
        &self,
        centre: usize,
        w: usize,
        a: usize,
        b: usize,
        counts: &Sparse,
    ) -> (f64, f64) {
        let span = self.span;
        let locs = &self.windows.order[centre][..self.windows.ends[centre][w] as usize];
        let mut c = 0.0;
        let mut mu = 0.0;
        let mut location_sum = 0.0;
        for &loc in locs {
            let loc = loc as usize;
            c += counts
                .row(loc)
                .iter()
                .filter(|(t, _)| (a..=b).contains(&(*t as usize)))
                .map(|&(_, x)| f64::from(x))
                .sum::<f64>();
            match self.model {
                ScanModel::Poisson => {
                    mu += self.expected[loc * span + a..=loc * span + b]
                        .iter()
                        .sum::<f64>();
                }
                ScanModel::Permutation => location_sum += self.location_totals[loc],
            }
        }
        if self.model == ScanModel::Permutation {
            mu = location_sum * self.period_totals[a..=b].iter().sum::<f64>() / self.total;
        }
        (c, mu)
    }
}

/// Each location's count over the span, as one lane.
fn one_lane(counts: &Sparse) -> Vec<[i32; 1]> {
    counts
        .totals
        .iter()
        .map(|&t| [i32::try_from(t).unwrap_or(i32::MAX)])
        .collect()
}

fn check(data: &ScanData, settings: &ScanSettings) -> Result<f64, ScanError> {
    let n = data.coordinates.len();
    let periods = data.periods;
    let bad = |m: String| Err(ScanError::BadData(m));
    if n == 0 || periods == 0 {
        return bad("there are no locations or no periods".to_owned());
    }
    if data.cases.len() != n * periods {
        return bad(format!(
            "there are {} case cells for {n} locations × {periods} periods",
            data.cases.len()
        ));
    }
    if data
        .coordinates
        .iter()
        .any(|(x, y)| !(x.is_finite() && y.is_finite()))
    {
        return bad("a coordinate is not a number".to_owned());
    }
    let total: f64 = data.cases.iter().map(|&c| f64::from(c)).sum();
    if total <= 0.0 {
        return bad("there are no cases".to_owned());
    }
    if !(settings.max_share > 0.0 && settings.max_share <= 1.0) {
        return Err(ScanError::BadSetting(
            "the maximum window share must be above 0 and at most 1 (100%)".to_owned(),
        ));
    }
    if settings.max_radius.is_some_and(|r| r.is_nan() || r < 0.0) {
        return Err(ScanError::BadSetting(
            "the maximum radius must be 0 or more".to_owned(),
        ));
    }
    if settings.max_duration == 0 {
        return Err(ScanError::BadSetting(
            "the maximum duration must be at least one period".to_owned(),
        ));
    }
    Ok(total)
}

/// Poisson: the expected counts (rescaled to the number of cases) and each location's size.
fn poisson_expected(
    data: &ScanData,
    total: f64,
    location_totals: &[f64],
) -> Result<(Vec<f64>, Vec<f64>), ScanError> {
    let (n, periods) = (data.coordinates.len(), data.periods);
    let bad = |m: String| Err(ScanError::BadData(m));
    if data.baseline.len() != n * periods {
        return bad(format!(
            "there are {} baseline cells for {n} locations × {periods} periods",
            data.baseline.len()
        ));
    }
    if data.baseline.iter().any(|b| !(b.is_finite() && *b >= 0.0)) {
        return bad("a population or baseline is negative or not a number".to_owned());
    }
    let base_total: f64 = data.baseline.iter().sum();
    if base_total <= 0.0 {
        return bad("the population is zero".to_owned());
    }
    if let Some(i) = (0..n).find(|&i| {
        location_totals[i] > 0.0
            && data.baseline[i * periods..(i + 1) * periods]
                .iter()
                .sum::<f64>()
                <= 0.0
    }) {
        return bad(format!("location {} has cases but no population", i + 1));
    }
    let expected: Vec<f64> = data
        .baseline
        .iter()
        .map(|b| b * total / base_total)
        .collect();
    let size = if data.population.len() == n {
        data.population.clone()
    } else {
        (0..n)
            .map(|i| expected[i * periods..(i + 1) * periods].iter().sum())
            .collect()
    };
    Ok((expected, size))
}

/// Spread the expected cases so that every period expects the same number, each period's share
/// going to its locations by their baseline (population) in that period. This is the baseline
/// of scanstatistics' population-based Poisson scan (Allévius 2018, `estimate_baselines`):
/// growth or decline in the population then raises no expected cases, where Kulldorff's
/// (person-time, the default) lets a growing population expect more cases in later periods.
///
/// `baseline` is location-major, `baseline[location * periods + period]`, as in [`ScanData`].
/// A period whose baseline sums to zero expects nothing.
///
/// # Examples
/// ```
/// // Two places over two periods; the second period's population is twice the first's.
/// let even = lantern_stats::equal_period_baseline(&[100.0, 200.0, 300.0, 600.0], 2);
/// // Each period now holds the same total, split 1:3 between the places.
/// assert_eq!(even, vec![0.25, 0.25, 0.75, 0.75]);
/// ```
#[must_use]
pub fn equal_period_baseline(baseline: &[f64], periods: usize) -> Vec<f64> {
    if periods == 0 {
        return baseline.to_vec();
    }
    let mut totals = vec![0.0; periods];
    for (i, b) in baseline.iter().enumerate() {
        totals[i % periods] += b;
    }
    baseline
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let t = totals[i % periods];
            if t > 0.0 { b / t } else { 0.0 }
        })
        .collect()
}

/// Scan for the most likely cluster and secondary clusters.
///
/// # Errors
/// Data whose parts do not fit together or that has no cases, or settings out of range.
///
/// # Examples
/// ```
/// use lantern_stats::{ScanData, ScanModel, ScanSettings, scan};
/// // Ten places along a road, farther apart further out, each with 1,000 people; places 4 and
/// // 5 have many more cases.
/// let data = ScanData {
///     coordinates: (0..10).map(|i| (f64::from(i).powf(1.5), 0.0)).collect(),
///     lat_long: false,
///     periods: 1,
///     cases: vec![2, 1, 2, 1, 9, 8, 2, 1, 2, 1],
///     baseline: vec![1000.0; 10],
///     population: Vec::new(),
/// };
/// let settings = ScanSettings { max_share: 0.2, replications: 99, seed: 1, ..Default::default() };
/// let result = scan(&data, ScanModel::Poisson, &settings).unwrap();
/// let mut found = result.clusters[0].locations.clone();
/// found.sort();
/// assert_eq!(found, vec![4, 5]);
/// assert_eq!(result.clusters[0].observed, 17);
/// ```
pub fn scan(
    data: &ScanData,
    model: ScanModel,
    settings: &ScanSettings,
) -> Result<ScanResult, ScanError> {
    let total = check(data, settings)?;
    let n = data.coordinates.len();
    let periods = data.periods;
    let location_totals: Vec<f64> = (0..n)
        .map(|i| {
            data.cases[i * periods..(i + 1) * periods]
                .iter()
                .map(|&c| f64::from(c))
                .sum()
        })
        .collect();
    let (expected_full, size) = match model {
        ScanModel::Poisson => poisson_expected(data, total, &location_totals)?,
        ScanModel::Permutation => (Vec::new(), location_totals.clone()),
    };
    let duration = settings.max_duration.min(periods);
    let lo = if settings.prospective {
        periods - duration
    } else {
        0
    };
    let span = periods - lo;
    let counts = Sparse::from_dense(&scanned(&data.cases, n, periods, lo), n, span);
    let expected = scanned(&expected_full, n, periods, lo);
    let all_period_totals: Vec<f64> = (0..periods)
        .map(|t| (0..n).map(|i| f64::from(data.cases[i * periods + t])).sum())
        .collect();
    let plan = Plan {
        model,
        windows: windows(data, &size, settings),
        lo,
        span,
        duration,
        prospective: settings.prospective,
        total,
        min_cases: f64::from(settings.min_cases),
        expected,
        location_totals,
        period_totals: all_period_totals[lo..].to_vec(),
    };
    let logs = plan.logs();
    let best = plan.best_per_centre(&counts, &logs);
    let cumulative = Cumulative::new(&expected_full);
    let located: Vec<(usize, u32)> = data
        .cases
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(i, &c)| (i / periods, c))
        .collect();
    let simulated: Vec<f64> = if !logs.spatial.is_empty() {
        // Purely spatial Poisson: LANES replications at a time, each from its own stream.
        (0..settings.replications.div_ceil(LANES))
            .into_par_iter()
            .flat_map_iter(|batch| {
                let first = batch * LANES;
                let lanes = LANES.min(settings.replications - first);
                let mut totals = vec![[0i32; LANES]; n];
                for lane in 0..lanes {
                    let mut rng = SplitMix::stream(settings.seed, (first + lane) as u64);
                    let sim = poisson_null(&cumulative, total, periods, lo, n, &mut rng);
                    for (t, x) in totals.iter_mut().zip(sim) {
                        t[lane] = i32::try_from(x).unwrap_or(i32::MAX);
                    }
                }
                let best = plan.max_llr_spatial(&totals, &logs);
                best.into_iter().take(lanes)
            })
            .collect()
    } else {
        (0..settings.replications)
            .into_par_iter()
            .map(|r| {
                let mut rng = SplitMix::stream(settings.seed, r as u64);
                let sim = match model {
                    ScanModel::Poisson => {
                        poisson_null(&cumulative, total, periods, lo, n, &mut rng)
                    }
                    ScanModel::Permutation => {
                        permutation_null(n, &located, &all_period_totals, lo, &mut rng)
                    }
                };
                plan.max_llr(&Sparse::from_dense(&sim, n, span), &logs)
            })
            .collect()
    };
    Ok(ScanResult {
        clusters: report(&plan, best, &counts, &simulated, settings),
        simulated,
    })
}

/// The most likely cluster and the secondary clusters: each centre's best window, in
/// decreasing order of ratio, skipping any that shares a location with one already reported,
/// up to `max_clusters`.
fn report(
    plan: &Plan,
    best: Vec<Best>,
    counts: &Sparse,
    simulated: &[f64],
    settings: &ScanSettings,
) -> Vec<ScanCluster> {
    let p_value = |llr: f64| -> Option<f64> {
        (settings.replications > 0).then(|| {
            // Ratios equal to the observed one up to rounding count as at least as large.
            let above = simulated
                .iter()
                .filter(|&&s| s >= llr * (1.0 - 1e-12))
                .count();
            (above + 1) as f64 / (settings.replications + 1) as f64
        })
    };
    // By ratio; at equal ratios the smaller window (as SaTScan), then the first centre.
    let size = |centre: usize, w: usize| plan.windows.ends[centre][w];
    let mut ranked: Vec<(usize, Best)> = best
        .into_iter()
        .enumerate()
        .filter(|(_, b)| b.0 > 0.0)
        .collect();
    ranked.sort_by(|x, y| {
        y.1.0
            .partial_cmp(&x.1.0)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(size(x.0, x.1.1).cmp(&size(y.0, y.1.1)))
            .then(x.0.cmp(&y.0))
    });
    let mut taken = vec![false; plan.windows.order.len()];
    let mut clusters = Vec::new();
    for (centre, (ratio, w, a, b)) in ranked {
        if clusters.len() >= settings.max_clusters {
            break;
        }
        let k = plan.windows.ends[centre][w] as usize;
        let locations: Vec<usize> = plan.windows.order[centre][..k]
            .iter()
            .map(|&l| l as usize)
            .collect();
        if locations.iter().any(|&l| taken[l]) {
            continue;
        }
        let p = p_value(ratio);
        for &l in &locations {
            taken[l] = true;
        }
        let (c, mu) = plan.counts_of(centre, w, a, b, counts);
        let rest = plan.total - c;
        let relative_risk = if rest > 0.0 {
            (c / mu) / (rest / (plan.total - mu))
        } else {
            f64::INFINITY
        };
        let observed = c.round() as u64;
        clusters.push(ScanCluster {
            centre,
            locations,
            radius: plan.windows.radii[centre][w],
            start: a + plan.lo,
            end: b + plan.lo,
            observed,
            expected: mu,
            relative_risk,
            llr: ratio,
            p_value: p,
            recurrence_periods: p.filter(|_| settings.prospective).map(|p| 1.0 / p),
        });
    }
    clusters
}

/// The cells of the scanned periods `lo..periods` of location-major `cells` (empty stays
/// empty).
fn scanned<T: Copy>(cells: &[T], n: usize, periods: usize, lo: usize) -> Vec<T> {
    if cells.is_empty() {
        return Vec::new();
    }
    (0..n)
        .flat_map(|i| cells[i * periods + lo..(i + 1) * periods].iter().copied())
        .collect()
}

/// The cumulative expected counts, with a guide table for the inverse CDF (Chen and Asau 1974):
/// for each of `guide.len()` equal slices of `[0, total)`, the first cell whose cumulative count
/// passes the slice's start, so that a draw needs a step or two instead of a binary search.
struct Cumulative {
    sums: Vec<f64>,
    guide: Vec<u32>,
    /// Slices per unit of the cumulative count.
    scale: f64,
}

impl Cumulative {
    fn new(expected: &[f64]) -> Self {
        let sums: Vec<f64> = expected
            .iter()
            .scan(0.0, |acc, e| {
                *acc += e;
                Some(*acc)
            })
            .collect();
        let acc = sums.last().copied().unwrap_or(0.0);
        let slices = sums.len().clamp(1, 1 << 22);
        let guide = (0..slices)
            .map(|k| {
                let start = acc * k as f64 / slices as f64;
                u32::try_from(sums.partition_point(|&c| c <= start)).unwrap_or(u32::MAX)
            })
            .collect();
        let scale = if acc > 0.0 { slices as f64 / acc } else { 0.0 };
        Self { sums, guide, scale }
    }

    /// The cell whose slice of the cumulative counts holds `u`, as `partition_point(c <= u)`.
    fn cell(&self, u: f64) -> usize {
        let k = ((u * self.scale) as usize).min(self.guide.len() - 1);
        let mut i = self.guide[k] as usize;
        // The guide is a starting point; rounding may leave it a cell either side.
        while i > 0 && self.sums[i - 1] > u {
            i -= 1;
        }
        while i < self.sums.len() && self.sums[i] <= u {
            i += 1;
        }
        i.min(self.sums.len() - 1)
    }
}

/// A Poisson null replication: the cases spread over the cells in proportion to their
/// expected counts (a multinomial draw, by inverse CDF on the cumulative expected counts),
/// returned over the scanned span.
fn poisson_null(
    cumulative: &Cumulative,
    total: f64,
    periods: usize,
    lo: usize,
    n: usize,
    rng: &mut SplitMix,
) -> Vec<u32> {
    let acc = cumulative.sums.last().copied().unwrap_or(0.0);
    let span = periods - lo;
    let mut out = vec![0u32; n * span];
    let cases = total.round() as u64;
    for _ in 0..cases {
        let cell = cumulative.cell(rng.unit() * acc);
        let (loc, t) = if periods == 1 {
            (cell, 0)
        } else {
            (cell / periods, cell % periods)
        };
        if t >= lo {
            out[loc * span + t - lo] += 1;
        }
    }
    out
}

/// A permutation null replication: each case keeps its location and gets a period drawn
/// without replacement from all cases' periods, returned over the scanned span. `located`
/// lists the cells with cases as `(location, cases)`, in the data's order.
fn permutation_null(
    n: usize,
    located: &[(usize, u32)],
    period_totals: &[f64],
    lo: usize,
    rng: &mut SplitMix,
) -> Vec<u32> {
    let periods = period_totals.len();
    let span = periods - lo;
    // The pool of periods, one entry per case.
    let mut pool: Vec<u32> = Vec::new();
    for (t, &c) in period_totals.iter().enumerate() {
        pool.extend(std::iter::repeat_n(t as u32, c as usize));
    }
    let mut out = vec![0u32; n * span];
    let mut next = 0usize;
    for &(loc, cases) in located {
        for _ in 0..cases {
            // Draw one of the remaining periods.
            let k = next + rng.below(pool.len() - next);
            pool.swap(next, k);
            let drawn = pool[next] as usize;
            next += 1;
            if drawn >= lo {
                out[loc * span + drawn - lo] += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Places along a line with gaps that grow, so that no two are equally far from a third.
    fn line(cases: &[u32]) -> ScanData {
        ScanData {
            coordinates: (0..cases.len())
                .map(|i| ((i as f64).powf(1.5), 0.0))
                .collect(),
            lat_long: false,
            periods: 1,
            cases: cases.to_vec(),
            baseline: vec![100.0; cases.len()],
            population: Vec::new(),
        }
    }

    #[test]
    fn a_planted_cluster_is_found() {
        let mut cases = vec![2u32; 20];
        cases[7] = 9;
        cases[8] = 8;
        let s = ScanSettings {
            max_share: 0.2,
            replications: 99,
            seed: 1,
            ..ScanSettings::default()
        };
        let r = scan(&line(&cases), ScanModel::Poisson, &s).unwrap();
        let mlc = &r.clusters[0];
        let mut locs = mlc.locations.clone();
        locs.sort_unstable();
        assert_eq!(locs, vec![7, 8]);
        assert_eq!(mlc.observed, 17);
        let total = 18.0 * 2.0 + 17.0;
        assert!((mlc.expected - total * 2.0 / 20.0).abs() < 1e-9);
        assert!((mlc.llr - llr(17.0, total / 10.0, total)).abs() < 1e-12);
        assert!(mlc.p_value.unwrap() < 0.05);
        assert_eq!(r.simulated.len(), 99);
    }

    #[test]
    fn ties_in_distance_enter_together() {
        // Locations 1 and 3 are both 1 from location 2.
        let mut d = line(&[1, 5, 5, 5, 1]);
        d.coordinates = (0..5).map(|i| (f64::from(i), 0.0)).collect();
        let w = windows(
            &d,
            &[1.0; 5],
            &ScanSettings {
                max_share: 1.0,
                ..ScanSettings::default()
            },
        );
        assert_eq!(w.ends[2], vec![1, 3, 5]);
        assert_eq!(w.order[2][0], 2);
    }

    #[test]
    fn results_do_not_depend_on_threads() {
        let mut cases = vec![1u32; 30];
        cases[3] = 6;
        let s = ScanSettings {
            max_share: 0.3,
            replications: 50,
            seed: 9,
            ..ScanSettings::default()
        };
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let two = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let a = one.install(|| scan(&line(&cases), ScanModel::Poisson, &s).unwrap());
        let b = two.install(|| scan(&line(&cases), ScanModel::Poisson, &s).unwrap());
        assert_eq!(a, b);
    }

    /// The replications' search (eight at once, pruned by a quick single-precision bound) finds
    /// exactly the largest ratio that trying every window finds, lane by lane.
    #[test]
    fn the_batched_search_finds_every_lanes_largest_ratio() {
        let n = 60;
        let mut rng = SplitMix::stream(3, 0);
        let data = ScanData {
            coordinates: (0..n)
                .map(|_| (rng.unit() * 10.0, rng.unit() * 10.0))
                .collect(),
            lat_long: false,
            periods: 1,
            cases: (0..n).map(|i| u32::from(i % 7 == 0) * 3 + 1).collect(),
            baseline: (0..n).map(|_| 50.0 + rng.unit() * 500.0).collect(),
            population: Vec::new(),
        };
        let settings = ScanSettings {
            max_share: 0.3,
            ..ScanSettings::default()
        };
        let total = check(&data, &settings).unwrap();
        let location_totals: Vec<f64> = data.cases.iter().map(|&c| f64::from(c)).collect();
        let (expected, size) = poisson_expected(&data, total, &location_totals).unwrap();
        let plan = Plan {
            model: ScanModel::Poisson,
            windows: windows(&data, &size, &settings),
            lo: 0,
            span: 1,
            duration: 1,
            prospective: false,
            total,
            min_cases: 2.0,
            expected: expected.clone(),
            location_totals,
            period_totals: vec![total],
        };
        let logs = plan.logs();
        let cumulative = Cumulative::new(&expected);
        let mut totals = vec![[0i32; LANES]; n];
        let mut lanes = Vec::new();
        for lane in 0..LANES {
            let sim = poisson_null(&cumulative, total, 1, 0, n, &mut rng);
            for (t, &x) in totals.iter_mut().zip(&sim) {
                t[lane] = i32::try_from(x).unwrap();
            }
            lanes.push(sim);
        }
        let batched = plan.max_llr_spatial(&totals, &logs);
        for (lane, sim) in lanes.iter().enumerate() {
            let mut brute = 0.0_f64;
            for (order, ends) in plan.windows.order.iter().zip(&plan.windows.ends) {
                for &end in ends {
                    let inside = &order[..end as usize];
                    let c: f64 = inside.iter().map(|&l| f64::from(sim[l as usize])).sum();
                    let mu: f64 = inside.iter().map(|&l| expected[l as usize]).sum();
                    if c >= 2.0 {
                        brute = brute.max(llr(c, mu, total));
                    }
                }
            }
            assert!(brute > 0.0);
            assert!(
                (batched[lane] - brute).abs() < 1e-9,
                "lane {lane}: {} vs {brute}",
                batched[lane]
            );
        }
    }

    #[test]
    fn prospective_cylinders_end_last() {
        let d = ScanData {
            coordinates: vec![(0.0, 0.0), (1.0, 0.0), (5.0, 0.0)],
            lat_long: false,
            periods: 4,
            cases: vec![1, 1, 1, 1, 4, 0, 0, 0, 1, 1, 1, 3],
            baseline: Vec::new(),
            population: Vec::new(),
        };
        let s = ScanSettings {
            max_share: 0.5,
            max_duration: 2,
            replications: 0,
            ..ScanSettings::default()
        };
        let retro = scan(&d, ScanModel::Permutation, &s).unwrap();
        assert_eq!((retro.clusters[0].start, retro.clusters[0].end), (0, 0));
        let pro = scan(
            &d,
            ScanModel::Permutation,
            &ScanSettings {
                prospective: true,
                ..s
            },
        )
        .unwrap();
        assert!(pro.clusters.iter().all(|c| c.end == 3));
        assert!(pro.clusters[0].p_value.is_none());
    }

    #[test]
    fn bad_inputs_are_errors() {
        let mut d = line(&[0, 0, 0]);
        assert!(scan(&d, ScanModel::Poisson, &ScanSettings::default()).is_err());
        d.cases = vec![1, 0];
        assert!(scan(&d, ScanModel::Poisson, &ScanSettings::default()).is_err());
        let d = line(&[1, 2, 3]);
        let s = ScanSettings {
            max_share: 0.0,
            ..ScanSettings::default()
        };
        assert!(scan(&d, ScanModel::Poisson, &s).is_err());
    }
}
