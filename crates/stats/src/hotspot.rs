//! Hot spots: where are values, or incidents, unusually concentrated?
//!
//! - **Getis-Ord Gi and Gi\*** (Getis and Ord 1992; Ord and Getis 1995): for each area, the
//!   weighted sum of its neighbours' values (Gi\* includes the area itself) as a z-score against
//!   its expectation when the values are spread at random. With `x̄` and `s²` the mean and
//!   (population) variance of the values (for Gi, of the values other than the area's own), `Wᵢ`
//!   the sum and `S₁ᵢ` the sum of squares of the area's weights, and `n` the number of areas (for
//!   Gi, `n - 1`): `z = (Σⱼ wᵢⱼ xⱼ - Wᵢ x̄) / (s √((n S₁ᵢ - Wᵢ²) / (n - 1)))`. The p-value is
//!   one-sided on `|z|`, as PySAL's `esda` reports it, and optionally by conditional permutation.
//! - **Point clusters**: groups of at least `min_count` incidents each within `radius` metres and
//!   `days` days of another in the group (single linkage), so that a run of incidents at one
//!   bridge, or three at one school over a few weeks, is found wherever it happens.

use crate::rng::SplitMix;
use crate::special::normal_cdf;

/// One area's statistic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalG {
    /// The z-score; `None` when the values do not vary or the area has no neighbours.
    pub z: Option<f64>,
    /// One-sided p-value of `|z|` under the normal approximation.
    pub p: Option<f64>,
    /// The permutation p-value (folded, as esda's `p_sim`), when permutations were asked for.
    pub p_sim: Option<f64>,
}

/// What is wrong with a hot-spot input.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum HotSpotError {
    /// Fewer than three areas.
    #[error("there are {0} areas; Gi needs at least 3")]
    TooFew(usize),
    /// A value is not a finite number.
    #[error("value {index} is not a number")]
    BadValue {
        /// The 0-based position of the value.
        index: usize,
    },
    /// A weight refers to an area outside the list, or is negative.
    #[error("{0}")]
    BadWeight(String),
}

/// Spatial weights as a list of neighbours and weights for each area (0-based).
pub type Weights = Vec<Vec<(usize, f64)>>;

/// Getis-Ord Gi\* (`star`) or Gi for each area. `weights[i]` lists area `i`'s neighbours; for
/// Gi\* the area itself is added with weight 1 unless listed. `permutations` > 0 adds a
/// conditional permutation p-value from a generator seeded with `seed`.
///
/// # Errors
/// Fewer than 3 areas, a value that is not a number, or a weight to an unknown area or below 0.
///
/// ```
/// use lantern_stats::local_g;
/// // Six points; neighbours within 15 units (esda's test).
/// let y = [2.0, 3.0, 3.2, 5.0, 8.0, 7.0];
/// let w = vec![
///     vec![(1, 1.0), (3, 1.0)],
///     vec![(0, 1.0), (3, 1.0)],
///     vec![(4, 1.0)],
///     vec![(0, 1.0), (1, 1.0), (4, 1.0)],
///     vec![(2, 1.0), (3, 1.0), (5, 1.0)],
///     vec![(4, 1.0)],
/// ];
/// let g = local_g(&y, &w, true, 0, 0).unwrap();
/// assert!((g[0].z.unwrap() + 1.397_276_26).abs() < 1e-8);
/// ```
pub fn local_g(
    values: &[f64],
    weights: &[Vec<(usize, f64)>],
    star: bool,
    permutations: usize,
    seed: u64,
) -> Result<Vec<LocalG>, HotSpotError> {
    let n = values.len();
    if n < 3 {
        return Err(HotSpotError::TooFew(n));
    }
    if let Some(index) = values.iter().position(|v| !v.is_finite()) {
        return Err(HotSpotError::BadValue { index });
    }
    if weights.len() != n {
        return Err(HotSpotError::BadWeight(format!(
            "there are weights for {} areas and values for {n}",
            weights.len()
        )));
    }
    for (i, row) in weights.iter().enumerate() {
        if let Some(&(j, w)) = row
            .iter()
            .find(|(j, w)| *j >= n || !(w.is_finite() && *w >= 0.0))
        {
            return Err(HotSpotError::BadWeight(format!(
                "area {i}'s weight to {j} ({w}) is not a weight between two of the {n} areas"
            )));
        }
    }
    let rows: Vec<Vec<(usize, f64)>> = weights
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut r: Vec<(usize, f64)> = row
                .iter()
                .copied()
                .filter(|&(j, _)| star || j != i)
                .collect();
            if star && !r.iter().any(|&(j, _)| j == i) {
                r.push((i, 1.0));
            }
            r
        })
        .collect();
    let total: f64 = values.iter().sum();
    let total_sq: f64 = values.iter().map(|v| v * v).sum();
    let mut rng = SplitMix(seed);
    Ok(rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            // The values the statistic ranges over: all of them for Gi*, the others for Gi.
            let (m, sum, sum_sq) = if star {
                (n, total, total_sq)
            } else {
                (n - 1, total - values[i], total_sq - values[i] * values[i])
            };
            let mf = m as f64;
            let mean = sum / mf;
            let var = sum_sq / mf - mean * mean;
            let w: f64 = row.iter().map(|r| r.1).sum();
            let s1: f64 = row.iter().map(|r| r.1 * r.1).sum();
            let g: f64 = row.iter().map(|&(j, wij)| wij * values[j]).sum();
            let spread = (mf * s1 - w * w) / (mf - 1.0);
            let z = (var > 1e-12 * mean.abs().max(1.0) && spread > 0.0)
                .then(|| (g - w * mean) / (var * spread).sqrt());
            let p_sim = (permutations > 0 && z.is_some())
                .then(|| permuted_p(values, i, row, star, g, permutations, &mut rng));
            LocalG {
                z,
                p: z.map(|z| 1.0 - normal_cdf(z.abs())),
                p_sim,
            }
        })
        .collect())
}

/// The folded conditional permutation p-value: the other values are shuffled among the area's
/// neighbours (its own value stays, for Gi\*), `permutations` times.
fn permuted_p(
    values: &[f64],
    i: usize,
    row: &[(usize, f64)],
    star: bool,
    observed: f64,
    permutations: usize,
    rng: &mut SplitMix,
) -> f64 {
    let others: Vec<f64> = values
        .iter()
        .enumerate()
        .filter(|&(j, _)| j != i)
        .map(|(_, v)| *v)
        .collect();
    let neighbours: Vec<f64> = row.iter().filter(|&&(j, _)| j != i).map(|r| r.1).collect();
    let own = if star {
        row.iter()
            .find(|&&(j, _)| j == i)
            .map_or(0.0, |r| r.1 * values[i])
    } else {
        0.0
    };
    let k = neighbours.len();
    let mut pool = others;
    let mut larger = 0usize;
    for _ in 0..permutations {
        // A partial Fisher-Yates shuffle draws k of the others without replacement.
        for a in 0..k {
            let b = a + rng.below(pool.len() - a);
            pool.swap(a, b);
        }
        let g: f64 = own
            + neighbours
                .iter()
                .zip(&pool)
                .map(|(w, v)| w * v)
                .sum::<f64>();
        if g >= observed {
            larger += 1;
        }
    }
    let folded = larger.min(permutations - larger);
    (folded + 1) as f64 / (permutations + 1) as f64
}

/// One incident for point clustering: position (metres east and north, or degrees with
/// `lat_long`) and day number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Incident {
    /// Easting in metres, or longitude in degrees.
    pub x: f64,
    /// Northing in metres, or latitude in degrees.
    pub y: f64,
    /// The day (any consistent day number).
    pub day: i64,
}

/// The great-circle distance in metres between two (longitude, latitude) points in degrees, on
/// a sphere of the Earth's mean radius (6 371 008.8 m).
pub fn haversine_metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    const R: f64 = 6_371_008.8;
    let (la1, la2) = (a.1.to_radians(), b.1.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.0 - a.0).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().min(1.0).asin()
}

/// Groups of at least `min_count` incidents in which each incident is within `radius` metres
/// and `days` days of another in the group. Each group is a sorted list of indices; groups come
/// out in order of their first incident.
pub fn point_clusters(
    incidents: &[Incident],
    radius: f64,
    days: i64,
    min_count: usize,
    lat_long: bool,
) -> Vec<Vec<usize>> {
    let n = incidents.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    // Sorting by day bounds the pairs compared to those within `days` of each other.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| incidents[i].day);
    for (a, &i) in order.iter().enumerate() {
        for &j in &order[a + 1..] {
            let (p, q) = (incidents[i], incidents[j]);
            if q.day - p.day > days {
                break;
            }
            let d = if lat_long {
                haversine_metres((p.x, p.y), (q.x, q.y))
            } else {
                (p.x - q.x).hypot(p.y - q.y)
            };
            if d <= radius {
                let (ri, rj) = (root(&mut parent, i), root(&mut parent, j));
                parent[ri.max(rj)] = ri.min(rj);
            }
        }
    }
    let mut groups: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for i in 0..n {
        let r = root(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let mut out: Vec<Vec<usize>> = groups
        .into_values()
        .filter(|g| g.len() >= min_count.max(1))
        .collect();
    out.sort_by_key(|g| g.iter().map(|&i| (incidents[i].day, i)).min());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn esda_points() -> (Vec<f64>, Weights) {
        // esda's test: points (10,10),(20,10),(40,10),(15,20),(30,20),(30,30); a distance band
        // of 15.
        let pts = [
            (10.0, 10.0),
            (20.0, 10.0),
            (40.0, 10.0),
            (15.0, 20.0),
            (30.0, 20.0),
            (30.0, 30.0),
        ];
        let w = (0..6)
            .map(|i| {
                (0..6)
                    .filter(|&j| {
                        let (a, b): ((f64, f64), (f64, f64)) = (pts[i], pts[j]);
                        j != i && (a.0 - b.0).hypot(a.1 - b.1) <= 15.0
                    })
                    .map(|j| (j, 1.0))
                    .collect()
            })
            .collect();
        (vec![2.0, 3.0, 3.2, 5.0, 8.0, 7.0], w)
    }

    #[test]
    fn esda_published_values_hold() {
        let (y, w) = esda_points();
        let star = local_g(&y, &w, true, 0, 0).unwrap();
        assert!((star[0].z.unwrap() + 1.397_276_26).abs() < 1e-8);
        let plain = local_g(&y, &w, false, 0, 0).unwrap();
        assert!((plain[0].z.unwrap() + 1.013_672_9).abs() < 1e-7);
        // p_sim 0.102 from 999 permutations in esda; ours is another random draw.
        let sim = local_g(&y, &w, true, 999, 7).unwrap();
        let p = sim[0].p_sim.unwrap();
        assert!((p - 0.102).abs() < 0.04, "{p}");
    }

    #[test]
    fn permutations_depend_only_on_the_seed() {
        let (y, w) = esda_points();
        let a = local_g(&y, &w, true, 199, 3).unwrap();
        let b = local_g(&y, &w, true, 199, 3).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn flat_values_have_no_z() {
        let w: Weights = vec![vec![(1, 1.0)], vec![(0, 1.0), (2, 1.0)], vec![(1, 1.0)]];
        let g = local_g(&[4.0, 4.0, 4.0], &w, true, 0, 0).unwrap();
        assert!(g.iter().all(|g| g.z.is_none() && g.p.is_none()));
        assert!(local_g(&[1.0, 2.0], &w[..2], true, 0, 0).is_err());
        let bad: Weights = vec![vec![(5, 1.0)], vec![], vec![]];
        assert!(local_g(&[1.0, 2.0, 3.0], &bad, true, 0, 0).is_err());
    }

    #[test]
    fn incidents_close_in_space_and_time_group() {
        let at = |x: f64, y: f64, day: i64| Incident { x, y, day };
        let inc = [
            at(0.0, 0.0, 0),
            at(500.0, 0.0, 10),
            at(900.0, 0.0, 25),
            at(5_000.0, 0.0, 12),
            at(0.0, 0.0, 200),
        ];
        // Chained within 1 km and 21 days: the first three.
        assert_eq!(
            point_clusters(&inc, 1_000.0, 21, 3, false),
            vec![vec![0, 1, 2]]
        );
        // Within 14 days only the first two link.
        assert!(point_clusters(&inc, 1_000.0, 14, 3, false).is_empty());
        assert_eq!(
            point_clusters(&inc, 1_000.0, 14, 2, false),
            vec![vec![0, 1]]
        );
    }

    #[test]
    fn haversine_matches_a_known_distance() {
        // One degree of latitude is about 111.2 km.
        let d = haversine_metres((-1.0, 51.0), (-1.0, 52.0));
        assert!((d - 111_195.0).abs() < 10.0, "{d}");
    }
}
