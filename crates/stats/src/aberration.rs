//! Aberration detection on a count series: did this period's count rise above what the recent
//! past leads one to expect?
//!
//! - **EARS C1 and C2** (Hutwagner et al. 2003; Fricker, Hegler and Dunfee 2008): the expected
//!   count is the mean of a sliding baseline of `baseline` periods (C1: the periods just before;
//!   C2: the same, two periods earlier), and the upper bound is that mean plus the standard
//!   normal `1 - alpha` quantile times the baseline's sample standard deviation (at least
//!   `min_sigma`). An alarm is a count above the bound.
//! - **EARS C3** sums the excesses `max(0, C2 - 1)` of the period and the two before it. Its bound
//!   follows R `surveillance` 1.20.3 exactly (see [`ears`]), so that the alarms match that
//!   package's; the discrepancy from the paper's definition is noted there.
//! - **CUSUM** (Page 1954) of counts standardised by a reference mean `m` (Rossi, Lampugnani and
//!   Marchi 1999's "standard" transform, `(x - m) / sqrt(m)`): `S_t = max(0, S_{t-1} + z_t - k)`
//!   and an alarm when `S_t > h`. `m` defaults to the mean of the periods before those monitored.
//!   The upper bound is the smallest whole count that would raise the alarm, `ceil(m + sqrt(m) (h
//!   + k - S_{t-1}))`, and never below 0. By default the sum is not reset after an alarm, as in
//!   R `surveillance`'s `cusum`; `reset` starts it again from 0.
//!
//! Defaults are those of R `surveillance` (baseline 7, alpha 0.001; no default k and h). The
//! implementations follow the papers; none is ported from `surveillance` (GPL-2). Tests compare
//! them with its output, recorded in `../shared/refdata/stats/surveillance/`.

use std::ops::RangeInclusive;

use crate::normal_quantile;

/// The result for one monitored period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// The count above which the period alarms, when defined.
    pub upper_bound: Option<f64>,
    /// The count was above the bound.
    pub alarm: bool,
}

/// What is wrong with a detection's inputs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DetectError {
    /// The series is empty.
    #[error("the series is empty")]
    Empty,
    /// A count is negative or not finite.
    #[error("count {index} is negative or not a number")]
    BadCount {
        /// The 1-based position of the count.
        index: usize,
    },
    /// The range is outside the series, or starts too early for the method's baseline.
    #[error("{0}")]
    BadRange(String),
    /// A parameter is out of its range.
    #[error("{0}")]
    BadParameter(String),
}

/// EARS C1, C2 or C3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ears {
    /// Baseline just before the period.
    C1,
    /// Baseline ending two periods before.
    C2,
    /// The C2 statistics of the period and the two before it, summed.
    C3,
}

impl Ears {
    /// Periods between the baseline and the period assessed.
    fn lag(self) -> usize {
        match self {
            Self::C1 => 0,
            Self::C2 | Self::C3 => 2,
        }
    }

    /// The earliest 1-based period the method can assess with a baseline of this length.
    pub fn first_period(self, baseline: usize) -> usize {
        let earlier = if self == Self::C3 { 2 } else { 0 };
        baseline + self.lag() + earlier + 1
    }
}

/// Check the counts and a 1-based inclusive `range`; `first` is the earliest 1-based period the
/// method can assess.
pub(crate) fn check(
    counts: &[f64],
    range: &RangeInclusive<usize>,
    first: usize,
) -> Result<(), DetectError> {
    if counts.is_empty() {
        return Err(DetectError::Empty);
    }
    if let Some(i) = counts.iter().position(|c| !c.is_finite() || *c < 0.0) {
        return Err(DetectError::BadCount { index: i + 1 });
    }
    let (start, end) = (*range.start(), *range.end());
    if start < 1 || end > counts.len() || start > end {
        return Err(DetectError::BadRange(format!(
            "the range {start}:{end} is not within the series' periods 1:{}",
            counts.len()
        )));
    }
    if start < first {
        return Err(DetectError::BadRange(format!(
            "the range starts at period {start}, but the method needs the periods before it: start at {first} or later"
        )));
    }
    Ok(())
}

fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    let mean = xs.iter().sum::<f64>() / n;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// EARS C1, C2 or C3 over the 1-based inclusive `range` of `counts`.
///
/// C3's bound is R `surveillance` 1.20.3's: the period's own count plus the C2 standard deviation
/// times `z` less the two previous periods' excesses `max(0, C2 - 1)`, floored at 0. It alarms when
/// the two previous excesses exceed `z`, and so, unlike Hutwagner et al.'s C3, not in the first
/// period of a rise; where a baseline's standard deviation is 0 it follows R's IEEE arithmetic.
///
/// # Errors
/// An empty series, a negative count, a range outside the series or too early for the baseline,
/// a baseline under 2, or `alpha` outside (0, 1).
///
/// ```
/// use lantern_stats::{Ears, ears};
/// let counts = [1.0, 2.0, 1.0, 3.0, 2.0, 1.0, 2.0, 9.0];
/// let d = ears(&counts, 8..=8, Ears::C1, 7, 0.001, 0.0).unwrap();
/// assert!(d[0].alarm);
/// ```
pub fn ears(
    counts: &[f64],
    range: RangeInclusive<usize>,
    method: Ears,
    baseline: usize,
    alpha: f64,
    min_sigma: f64,
) -> Result<Vec<Detection>, DetectError> {
    if baseline < 2 {
        return Err(DetectError::BadParameter(
            "the baseline needs at least 2 periods".to_owned(),
        ));
    }
    if !(min_sigma >= 0.0 && min_sigma.is_finite()) {
        return Err(DetectError::BadParameter(
            "min-sigma must be 0 or more".to_owned(),
        ));
    }
    let z = normal_quantile(1.0 - alpha)
        .ok_or_else(|| DetectError::BadParameter("alpha must be above 0 and below 1".to_owned()))?;
    let lag = method.lag();
    check(counts, &range, method.first_period(baseline))?;
    // Period t (1-based) is counts[t - 1]; its baseline ends `lag` periods before it.
    let baseline_of = |t: usize| {
        let end = t - 1 - lag;
        let (mean, sd) = mean_sd(&counts[end - baseline..end]);
        (mean, sd.max(min_sigma))
    };
    Ok(range
        .map(|t| {
            let (mean, sd) = baseline_of(t);
            let bound = if method == Ears::C3 {
                c3_bound(counts, t, z, baseline_of)
            } else {
                Some(mean + z * sd)
            };
            Detection {
                upper_bound: bound,
                alarm: bound.is_some_and(|b| counts[t - 1] > b),
            }
        })
        .collect())
}

/// EARS C3's bound for 1-based period `t`, as R `surveillance` 1.20.3 computes it: the count
/// plus the C2 standard deviation times `z` less the two previous periods' excesses
/// `max(0, C2 - 1)`, and never below 0. So it alarms when those two excesses alone exceed `z`
/// (not when the three-period sum `C3` does, as Hutwagner et al. define it).
///
/// A baseline whose standard deviation is 0 is taken as R takes it, in IEEE arithmetic (checked
/// side by side on all-zero and nearly-all-zero baselines): a count above its mean is an
/// infinite excess, a count equal to it an undefined one (0/0), and an undefined bound is
/// `None`, with no alarm.
fn c3_bound(
    counts: &[f64],
    t: usize,
    z: f64,
    baseline_of: impl Fn(usize) -> (f64, f64),
) -> Option<f64> {
    // R's `pmax(0, x)`: NaN stays NaN.
    let floor0 = |x: f64| if x.is_nan() { x } else { x.max(0.0) };
    let (_, sd) = baseline_of(t);
    let excess: f64 = [t - 2, t - 1]
        .into_iter()
        .map(|i| {
            let (mean, sd) = baseline_of(i);
            floor0((counts[i - 1] - mean) / sd - 1.0)
        })
        .sum();
    let bound = floor0(counts[t - 1] + sd * (z - excess));
    (!bound.is_nan()).then_some(bound)
}

/// The CUSUM's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cusum {
    /// The reference value subtracted from each standardised count.
    pub k: f64,
    /// The decision interval: an alarm when the sum is above it.
    pub h: f64,
    /// The in-control mean; `None` for the mean of the periods before the range.
    pub m: Option<f64>,
    /// Start the sum again from 0 after an alarm.
    pub reset: bool,
}

impl Cusum {
    /// The earliest 1-based period the CUSUM can assess: the second, when the mean is taken
    /// from the periods before.
    pub fn first_period(&self) -> usize {
        if self.m.is_some() { 1 } else { 2 }
    }
}

/// The CUSUM of standardised counts over the 1-based inclusive `range`.
///
/// # Errors
/// An empty series, a negative count, a range outside the series, no period before the range
/// (when `m` is not given), a negative mean, or a negative `k` or `h`. A mean of 0 (an all-zero
/// baseline) is taken as R `surveillance` takes it: see the code.
///
/// ```
/// use lantern_stats::{Cusum, cusum};
/// let counts = [2.0, 3.0, 2.0, 3.0, 2.0, 9.0, 9.0];
/// let p = Cusum { k: 1.0, h: 2.0, m: None, reset: false };
/// let d = cusum(&counts, 6..=7, p).unwrap();
/// assert_eq!((d[0].alarm, d[1].alarm), (true, true));
/// ```
pub fn cusum(
    counts: &[f64],
    range: RangeInclusive<usize>,
    p: Cusum,
) -> Result<Vec<Detection>, DetectError> {
    if !(p.k >= 0.0 && p.k.is_finite() && p.h >= 0.0 && p.h.is_finite()) {
        return Err(DetectError::BadParameter(
            "k and h must be 0 or more".to_owned(),
        ));
    }
    check(counts, &range, p.first_period())?;
    let m = match p.m {
        Some(m) => m,
        None => mean_sd(&counts[..*range.start() - 1]).0,
    };
    if !(m >= 0.0 && m.is_finite()) {
        return Err(DetectError::BadParameter(format!(
            "the in-control mean must be 0 or more (it is {m})"
        )));
    }
    let root = m.sqrt();
    let mut sum = 0.0_f64;
    Ok(range
        .map(|t| {
            if m == 0.0 {
                // An all-zero baseline, as R `surveillance` 1.20.3 treats it (checked side by
                // side): a count above the mean of 0 standardises to +∞ and alarms; a count of 0
                // is 0/0, undefined, and leaves the sum undefined (no alarm) from then on. The
                // bound is 0.
                let z = if counts[t - 1] > 0.0 {
                    f64::INFINITY
                } else {
                    f64::NAN
                };
                sum = if sum.is_nan() || z.is_nan() {
                    f64::NAN
                } else {
                    sum + z - p.k
                };
                let alarm = sum > p.h;
                if alarm && p.reset {
                    sum = 0.0;
                }
                return Detection {
                    upper_bound: Some(0.0),
                    alarm,
                };
            }
            let bound = (m + root * (p.h + p.k - sum)).ceil().max(0.0);
            sum = (sum + (counts[t - 1] - m) / root - p.k).max(0.0);
            let alarm = sum > p.h;
            if alarm && p.reset {
                sum = 0.0;
            }
            Detection {
                upper_bound: Some(bound),
                alarm,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_counts_are_checked() {
        let c = [1.0; 10];
        assert_eq!(
            ears(&[], 1..=1, Ears::C1, 7, 0.001, 0.0),
            Err(DetectError::Empty)
        );
        assert_eq!(
            ears(&[1.0, -1.0], 1..=2, Ears::C1, 7, 0.001, 0.0),
            Err(DetectError::BadCount { index: 2 })
        );
        let err = ears(&c, 7..=10, Ears::C1, 7, 0.001, 0.0).unwrap_err();
        assert!(err.to_string().contains("start at 8 or later"), "{err}");
        let err = ears(&c, 9..=10, Ears::C2, 7, 0.001, 0.0).unwrap_err();
        assert!(err.to_string().contains("start at 10 or later"), "{err}");
        assert!(ears(&c, 8..=11, Ears::C1, 7, 0.001, 0.0).is_err());
        assert!(ears(&c, 8..=10, Ears::C1, 7, 1.0, 0.0).is_err());
        let p = Cusum {
            k: 1.0,
            h: 2.0,
            m: None,
            reset: false,
        };
        assert!(cusum(&c, 1..=3, p).is_err(), "no period before the range");
        // A mean of 0 is taken as R takes it: a count above it alarms, a 0 is undefined.
        let d = cusum(&[0.0, 0.0, 1.0, 0.0, 3.0], 3..=5, p).unwrap();
        assert_eq!(
            d.iter().map(|d| d.alarm).collect::<Vec<_>>(),
            [true, false, false]
        );
        assert!(d.iter().all(|d| d.upper_bound == Some(0.0)));
        let negative = Cusum { m: Some(-1.0), ..p };
        assert!(cusum(&c, 1..=3, negative).is_err(), "a negative mean");
    }

    #[test]
    fn a_flat_baseline_alarms_on_any_rise() {
        let c = [2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 3.0, 2.0];
        let d = ears(&c, 8..=9, Ears::C1, 7, 0.001, 0.0).unwrap();
        assert_eq!(d[0].upper_bound, Some(2.0));
        assert!(d[0].alarm);
        assert!(!d[1].alarm);
        // A floor on the standard deviation quietens it.
        let d = ears(&c, 8..=8, Ears::C1, 7, 0.001, 0.5).unwrap();
        assert!(!d[0].alarm);
    }

    #[test]
    fn reset_starts_the_sum_again() {
        let c = [2.0, 2.0, 2.0, 2.0, 9.0, 2.0];
        let p = Cusum {
            k: 0.5,
            h: 2.0,
            m: Some(2.0),
            reset: false,
        };
        let kept = cusum(&c, 5..=6, p).unwrap();
        let reset = cusum(&c, 5..=6, Cusum { reset: true, ..p }).unwrap();
        assert!(kept[0].alarm && reset[0].alarm);
        assert!(kept[1].alarm, "without reset the sum stays high");
        assert!(!reset[1].alarm);
        assert_eq!(
            reset[1].upper_bound,
            Some((2.0 + 2.0_f64.sqrt() * 2.5).ceil())
        );
    }
}
