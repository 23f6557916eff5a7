//! Hot spots on a map: Getis-Ord Gi\* (Ord and Getis 1995) over the figures an audience may see,
//! so that a run of neighbouring areas with high (or low) rates stands out even where no single
//! area does.
//!
//! - **Weights.** Each area with its `k` nearest neighbours by centre (binary weights, `k = 8`
//!   by default, fewer when there are fewer areas). Nearest neighbours rather than a distance band
//!   because small areas are small in towns and large in the country: a band wide enough to give
//!   a rural area a neighbour would give a town area hundreds.
//! - **Disclosure.** Only published figures take part: a withheld area, or one with no rate, is
//!   left out of the values and of everyone's neighbours, so the statistic is a function of what
//!   the reader can already see and cannot give a withheld figure away.
//! - **Significance.** `z` against the normal distribution, two-sided, at 90%, 95% and 99% as
//!   ArcGIS's Hot Spot Analysis reports it. With many areas some will pass by chance (about one
//!   in ten at 90%); the classes are a pointer to look closer, which the page says.

use lantern_stats::{HotSpotError, local_g};
use serde::Serialize;

/// Neighbours per area unless asked otherwise.
pub const DEFAULT_NEIGHBOURS: usize = 8;

/// Areas with a published figure needed before hot spots mean anything.
pub const MIN_AREAS: usize = 10;

/// How confident a hot (or cold) spot is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HotSpotClass {
    /// `z` at or above 2.576.
    Hot99,
    /// `z` at or above 1.960.
    Hot95,
    /// `z` at or above 1.645.
    Hot90,
    /// Neither.
    NotSignificant,
    /// `z` at or below -1.645.
    Cold90,
    /// `z` at or below -1.960.
    Cold95,
    /// `z` at or below -2.576.
    Cold99,
}

impl HotSpotClass {
    /// The class of a z-score.
    #[must_use]
    pub fn of(z: f64) -> Self {
        match z {
            z if z >= 2.576 => Self::Hot99,
            z if z >= 1.960 => Self::Hot95,
            z if z >= 1.645 => Self::Hot90,
            z if z <= -2.576 => Self::Cold99,
            z if z <= -1.960 => Self::Cold95,
            z if z <= -1.645 => Self::Cold90,
            _ => Self::NotSignificant,
        }
    }

    /// The class's name in files and CSS (`hot-99`, `not-significant`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hot99 => "hot-99",
            Self::Hot95 => "hot-95",
            Self::Hot90 => "hot-90",
            Self::NotSignificant => "not-significant",
            Self::Cold90 => "cold-90",
            Self::Cold95 => "cold-95",
            Self::Cold99 => "cold-99",
        }
    }

    /// The class in words, for a legend.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Hot99 => "Hot spot, 99% confidence",
            Self::Hot95 => "Hot spot, 95% confidence",
            Self::Hot90 => "Hot spot, 90% confidence",
            Self::NotSignificant => "Not a hot or cold spot",
            Self::Cold90 => "Cold spot, 90% confidence",
            Self::Cold95 => "Cold spot, 95% confidence",
            Self::Cold99 => "Cold spot, 99% confidence",
        }
    }
}

impl Serialize for HotSpotClass {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One area's result.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HotSpot {
    /// Gi\*'s z-score.
    pub z: f64,
    /// Its class.
    pub class: HotSpotClass,
}

/// Gi\* for each area: `centres` are lon/lat, `values` the published figures (`None` where
/// withheld or missing, and then the area gets `None` and is nobody's neighbour).
///
/// # Errors
/// Fewer than [`MIN_AREAS`] areas have a figure (`TooFew`), or a value is not a number.
pub fn hot_spots(
    centres: &[(f64, f64)],
    values: &[Option<f64>],
    neighbours: usize,
) -> Result<Vec<Option<HotSpot>>, HotSpotError> {
    let taking: Vec<usize> = (0..centres.len().min(values.len()))
        .filter(|&i| values[i].is_some())
        .collect();
    if taking.len() < MIN_AREAS {
        return Err(HotSpotError::TooFew(taking.len()));
    }
    // Kilometres on a plane through the areas' middle latitude.
    let lat0 = taking.iter().map(|&i| centres[i].1).sum::<f64>() / taking.len() as f64;
    let kx = 111.32 * lat0.to_radians().cos();
    let xy: Vec<(f64, f64)> = taking
        .iter()
        .map(|&i| (centres[i].0 * kx, centres[i].1 * 110.57))
        .collect();
    let k = neighbours.clamp(1, taking.len() - 1);
    let weights: Vec<Vec<(usize, f64)>> = (0..xy.len())
        .map(|a| {
            let mut others: Vec<(f64, usize)> = (0..xy.len())
                .filter(|&b| b != a)
                .map(|b| ((xy[a].0 - xy[b].0).powi(2) + (xy[a].1 - xy[b].1).powi(2), b))
                .collect();
            // The k nearest, ties to the lower index: a partial selection, then order.
            let by = |p: &(f64, usize), q: &(f64, usize)| p.0.total_cmp(&q.0).then(p.1.cmp(&q.1));
            if k < others.len() {
                others.select_nth_unstable_by(k - 1, by);
                others.truncate(k);
            }
            others.sort_by(by);
            others.iter().map(|&(_, b)| (b, 1.0)).collect()
        })
        .collect();
    let vals: Vec<f64> = taking.iter().filter_map(|&i| values[i]).collect();
    let g = local_g(&vals, &weights, true, 0, 0)?;
    let mut out = vec![None; centres.len()];
    for (at, &i) in taking.iter().enumerate() {
        out[i] = g[at].z.map(|z| HotSpot {
            z,
            class: HotSpotClass::of(z),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A 10 x 10 grid of areas a kilometre or so apart.
    fn grid() -> Vec<(f64, f64)> {
        (0..100)
            .map(|i| {
                (
                    -2.0 + f64::from(i % 10) * 0.015,
                    54.0 + f64::from(i / 10) * 0.009,
                )
            })
            .collect()
    }

    #[test]
    fn a_block_of_high_rates_is_a_hot_spot_and_the_rest_is_not() {
        let centres = grid();
        let values: Vec<Option<f64>> = (0..100)
            .map(|i| {
                let (x, y) = (i % 10, i / 10);
                Some(if x < 3 && y < 3 {
                    40.0
                } else {
                    10.0 + f64::from(i % 3)
                })
            })
            .collect();
        let spots = hot_spots(&centres, &values, DEFAULT_NEIGHBOURS).expect("enough areas");
        // The block's middle is hot at 99%; far corners are not hot.
        assert_eq!(spots[11].map(|s| s.class), Some(HotSpotClass::Hot99));
        assert!(spots[99].is_some_and(|s| s.z < 1.645));
        assert_eq!(HotSpotClass::of(-2.0), HotSpotClass::Cold95);
    }

    #[test]
    fn too_few_published_areas_is_an_error() {
        let centres = grid();
        let mut values = vec![None; 100];
        for v in values.iter_mut().take(MIN_AREAS - 1) {
            *v = Some(1.0);
        }
        assert!(matches!(
            hot_spots(&centres, &values, 8),
            Err(HotSpotError::TooFew(9))
        ));
    }

    proptest! {
        /// A withheld area takes no part: the published areas' results are those of a map
        /// without it (it is neither a value nor anyone's neighbour).
        #[test]
        fn withheld_areas_take_no_part(
            values in proptest::collection::vec(0.0f64..50.0, 100),
            withheld in proptest::collection::btree_set(0usize..100, 0..30),
        ) {
            let centres = grid();
            let shown: Vec<Option<f64>> = values
                .iter()
                .enumerate()
                .map(|(i, v)| (!withheld.contains(&i)).then_some(*v))
                .collect();
            let a = hot_spots(&centres, &shown, 8).expect("enough");
            let kept: Vec<usize> = (0..100).filter(|i| !withheld.contains(i)).collect();
            let alone = hot_spots(
                &kept.iter().map(|&i| centres[i]).collect::<Vec<_>>(),
                &kept.iter().map(|&i| shown[i]).collect::<Vec<_>>(),
                8,
            )
            .expect("enough");
            for (at, &i) in kept.iter().enumerate() {
                match (a[i], alone[at]) {
                    (Some(x), Some(y)) => prop_assert!((x.z - y.z).abs() < 1e-9),
                    (x, y) => prop_assert_eq!(x, y),
                }
            }
            for i in &withheld {
                prop_assert!(a[*i].is_none());
            }
        }
    }
}
