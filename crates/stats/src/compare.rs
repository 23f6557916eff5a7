//! Indirect standardisation, comparison with a benchmark, and funnel-plot control limits.

use crate::normal::normal_quantile;
use crate::rates::{Interval, Method, RateError, byars_limits, exact_poisson_limits};

/// One age band for indirect standardisation: the local count and population, and the reference
/// (for example England's) count and population in the same band.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IsrBand {
    /// Local events.
    pub count: f64,
    /// Local population.
    pub population: f64,
    /// Reference events.
    pub reference_count: f64,
    /// Reference population.
    pub reference_population: f64,
}

/// An indirectly standardised ratio.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Isr {
    /// Observed events.
    pub observed: f64,
    /// Events expected at the reference rates.
    pub expected: f64,
    /// The reference population's crude rate (per 1).
    pub reference_rate: f64,
    /// Observed / expected with limits (exact Poisson below 10 events, Byar's from 10).
    pub ratio: Interval,
}

impl Isr {
    /// The indirectly standardised rate: the ratio times the reference rate, per `multiplier`.
    ///
    /// # References
    /// Fingertips technical guidance, "Indirectly standardised rates" (PHE, 2018).
    ///
    /// ```
    /// use lantern_stats::{isr, IsrBand};
    /// let b = [IsrBand { count: 12.0, population: 100.0, reference_count: 1.0, reference_population: 10.0 }];
    /// let r = isr(&b, 0.95).unwrap().unwrap();
    /// assert!((r.rate(1.0).value - 0.12).abs() < 1e-12); // ratio 1.2 x reference rate 0.1
    /// ```
    pub fn rate(&self, multiplier: f64) -> Interval {
        let k = self.reference_rate * multiplier;
        Interval {
            value: self.ratio.value * k,
            lower: self.ratio.lower * k,
            upper: self.ratio.upper * k,
            ..self.ratio
        }
    }
}

/// Indirect standardisation: expected events `sum n_i * R_i / N_i`, ratio `O / E`, limits from
/// the Poisson limits of `O` divided by `E`. `None` when nothing is expected.
///
/// # Errors
/// Negative inputs, a reference count over a reference population of 0, or a confidence outside
/// (0, 1).
///
/// # References
/// Breslow and Day (1987), *Statistical Methods in Cancer Research, Vol. II*, ch. 2; Fingertips
/// technical guidance, "Indirectly standardised ratios" (PHE, 2018).
///
/// ```
/// use lantern_stats::{isr, IsrBand};
/// let bands = [IsrBand { count: 30.0, population: 1000.0, reference_count: 250.0, reference_population: 10_000.0 }];
/// let r = isr(&bands, 0.95).unwrap().unwrap();
/// assert!((r.expected - 25.0).abs() < 1e-12);
/// assert!((r.ratio.value - 1.2).abs() < 1e-12);
/// assert!((r.rate(100_000.0).value - 3000.0).abs() < 1e-9);
/// ```
pub fn isr(bands: &[IsrBand], confidence: f64) -> Result<Option<Isr>, RateError> {
    let (mut observed, mut expected, mut ref_count, mut ref_pop) = (0.0, 0.0, 0.0, 0.0);
    for b in bands {
        for x in [b.count, b.reference_count] {
            if !(x.is_finite() && x >= 0.0) {
                return Err(RateError::BadCount);
            }
        }
        for n in [b.population, b.reference_population] {
            if !(n.is_finite() && n >= 0.0) {
                return Err(RateError::BadPopulation);
            }
        }
        if b.reference_population == 0.0 {
            if b.reference_count > 0.0 {
                return Err(RateError::CountWithoutPopulation);
            }
        } else {
            expected += b.population * b.reference_count / b.reference_population;
        }
        observed += b.count;
        ref_count += b.reference_count;
        ref_pop += b.reference_population;
    }
    let (method, (lo, hi)) = if observed < 10.0 {
        (Method::Exact, exact_poisson_limits(observed, confidence)?)
    } else {
        (Method::Byar, byars_limits(observed, confidence)?)
    };
    if expected == 0.0 || ref_pop == 0.0 {
        return Ok(None);
    }
    Ok(Some(Isr {
        observed,
        expected,
        reference_rate: ref_count / ref_pop,
        ratio: Interval {
            value: observed / expected,
            lower: lo / expected,
            upper: hi / expected,
            method,
        },
    }))
}

/// Which direction is good for an indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polarity {
    /// Lower is better (suicide rates).
    LowIsGood,
    /// Higher is better (uptake of support).
    HighIsGood,
    /// Neither: say only higher or lower.
    NoJudgement,
}

/// An area's value against a benchmark, as Fingertips shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Comparison {
    /// Significantly better.
    Better,
    /// Not significantly different.
    Similar,
    /// Significantly worse.
    Worse,
    /// Significantly higher (no judgement).
    Higher,
    /// Significantly lower (no judgement).
    Lower,
    /// No interval to compare (the value was withheld or undefined).
    NotCompared,
}

impl Comparison {
    /// The name in outputs.
    ///
    /// ```
    /// assert_eq!(lantern_stats::Comparison::NotCompared.as_str(), "not compared");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Better => "better",
            Self::Similar => "similar",
            Self::Worse => "worse",
            Self::Higher => "higher",
            Self::Lower => "lower",
            Self::NotCompared => "not compared",
        }
    }
}

/// Compare an estimate with a benchmark value: significantly different when the benchmark lies
/// outside the estimate's confidence interval (compute the interval at 95% or 99.8% for the two
/// levels Fingertips uses).
///
/// # References
/// Fingertips technical guidance, "Comparing indicator values with a benchmark" (PHE, 2018).
///
/// ```
/// use lantern_stats::{compare_with_benchmark, Comparison, Interval, Method, Polarity};
/// let area = Interval { value: 14.0, lower: 11.5, upper: 16.9, method: Method::Dobson };
/// assert_eq!(compare_with_benchmark(Some(&area), 10.5, Polarity::LowIsGood), Comparison::Worse);
/// assert_eq!(compare_with_benchmark(Some(&area), 12.0, Polarity::LowIsGood), Comparison::Similar);
/// assert_eq!(compare_with_benchmark(None, 12.0, Polarity::LowIsGood), Comparison::NotCompared);
/// ```
pub fn compare_with_benchmark(
    estimate: Option<&Interval>,
    benchmark: f64,
    polarity: Polarity,
) -> Comparison {
    let Some(e) = estimate else {
        return Comparison::NotCompared;
    };
    if !benchmark.is_finite() {
        return Comparison::NotCompared;
    }
    let higher = e.lower > benchmark;
    let lower = e.upper < benchmark;
    match (higher, lower, polarity) {
        (true, _, Polarity::LowIsGood) | (_, true, Polarity::HighIsGood) => Comparison::Worse,
        (true, _, Polarity::HighIsGood) | (_, true, Polarity::LowIsGood) => Comparison::Better,
        (true, _, Polarity::NoJudgement) => Comparison::Higher,
        (_, true, Polarity::NoJudgement) => Comparison::Lower,
        _ => Comparison::Similar,
    }
}

/// Funnel-plot control limits at one denominator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FunnelLimits {
    /// Lower limit (same units as the benchmark).
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
}

/// Control limits for a rate with `population` people around a benchmark rate (per
/// `multiplier`): the limits of a Poisson count with the expected value, by Byar's approximation,
/// divided back into a rate. Use 0.95 and 0.998 for the two funnels.
///
/// # Errors
/// A population not above 0, a negative benchmark, or a confidence outside (0, 1).
///
/// # References
/// Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
/// *Statistics in Medicine* 24, 1185-1202.
///
/// ```
/// let near = lantern_stats::funnel_limits_rate(10.5, 100_000.0, 50_000.0, 0.95).unwrap();
/// let far = lantern_stats::funnel_limits_rate(10.5, 100_000.0, 5_000_000.0, 0.95).unwrap();
/// assert!(near.lower < far.lower && far.lower < 10.5 && 10.5 < far.upper && far.upper < near.upper);
/// ```
pub fn funnel_limits_rate(
    benchmark: f64,
    multiplier: f64,
    population: f64,
    confidence: f64,
) -> Result<FunnelLimits, RateError> {
    if !(population.is_finite() && population > 0.0) {
        return Err(RateError::BadPopulation);
    }
    if !(benchmark.is_finite() && benchmark >= 0.0) {
        return Err(RateError::BadCount);
    }
    let expected = benchmark / multiplier * population;
    let (lo, hi) = byars_limits(expected, confidence)?;
    Ok(FunnelLimits {
        lower: lo / population * multiplier,
        upper: hi / population * multiplier,
    })
}

/// Control limits for a proportion (as a fraction of 1) with `denominator` cases around a
/// benchmark proportion: the normal approximation to the binomial, clipped to 0..1.
///
/// # Errors
/// A denominator not above 0, a benchmark outside 0..1, or a confidence outside (0, 1).
///
/// # References
/// Spiegelhalter, D. J. (2005). *Statistics in Medicine* 24, 1185-1202, section 3.1.
///
/// ```
/// let l = lantern_stats::funnel_limits_proportion(0.5, 100.0, 0.95).unwrap();
/// assert!((l.upper - (0.5 + 1.959963984540054 * 0.05)).abs() < 1e-12);
/// ```
pub fn funnel_limits_proportion(
    benchmark: f64,
    denominator: f64,
    confidence: f64,
) -> Result<FunnelLimits, RateError> {
    if !(denominator.is_finite() && denominator > 0.0) {
        return Err(RateError::BadPopulation);
    }
    if !(0.0..=1.0).contains(&benchmark) {
        return Err(RateError::CountAboveDenominator);
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(RateError::ConfidenceOutOfRange);
    }
    let z =
        normal_quantile(1.0 - (1.0 - confidence) / 2.0).ok_or(RateError::ConfidenceOutOfRange)?;
    let half = z * (benchmark * (1.0 - benchmark) / denominator).sqrt();
    Ok(FunnelLimits {
        lower: (benchmark - half).max(0.0),
        upper: (benchmark + half).min(1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn funnels_narrow_as_the_denominator_grows_and_widen_with_confidence() {
        let mut last = f64::INFINITY;
        for n in [1_000.0, 10_000.0, 100_000.0, 1_000_000.0] {
            let l95 = funnel_limits_rate(10.0, 100_000.0, n, 0.95).unwrap();
            let l998 = funnel_limits_rate(10.0, 100_000.0, n, 0.998).unwrap();
            assert!(l998.lower <= l95.lower && l95.upper <= l998.upper);
            let width = l95.upper - l95.lower;
            assert!(width < last);
            last = width;
        }
    }

    #[test]
    fn comparisons_follow_polarity() {
        let e = Interval {
            value: 5.0,
            lower: 4.0,
            upper: 6.0,
            method: Method::Byar,
        };
        assert_eq!(
            compare_with_benchmark(Some(&e), 7.0, Polarity::LowIsGood),
            Comparison::Better
        );
        assert_eq!(
            compare_with_benchmark(Some(&e), 7.0, Polarity::HighIsGood),
            Comparison::Worse
        );
        assert_eq!(
            compare_with_benchmark(Some(&e), 3.0, Polarity::NoJudgement),
            Comparison::Higher
        );
        assert_eq!(
            compare_with_benchmark(Some(&e), 6.0, Polarity::LowIsGood),
            Comparison::Similar
        );
    }
}
