//! Crude rates with exact Poisson or Byar's limits, and proportions with Wilson score limits,
//! following the methods of the Fingertips technical guidance (PHE/OHID).

use crate::normal::normal_quantile;

/// How an interval was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Method {
    /// Exact Poisson limits (counts below 10).
    Exact,
    /// Byar's approximation to the Poisson limits (counts of 10 or more).
    Byar,
    /// Wilson score interval for a proportion.
    Wilson,
    /// Dobson's method for a directly standardised rate.
    Dobson,
}

impl Method {
    /// The method's name in outputs: `exact`, `byar`, `wilson`, `dobson`.
    ///
    /// ```
    /// assert_eq!(lantern_stats::Method::Byar.as_str(), "byar");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Byar => "byar",
            Self::Wilson => "wilson",
            Self::Dobson => "dobson",
        }
    }
}

/// A value with its confidence limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// The estimate.
    pub value: f64,
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
    /// How the limits were computed.
    pub method: Method,
}

/// What is wrong with a rate's inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RateError {
    /// Confidence must be above 0 and below 1.
    #[error("confidence must be above 0 and below 1")]
    ConfidenceOutOfRange,
    /// A count is negative or not finite.
    #[error("a count must be a finite number, 0 or more")]
    BadCount,
    /// A population or denominator is negative or not finite.
    #[error("a population must be a finite number, 0 or more")]
    BadPopulation,
    /// A count above 0 over a population of 0.
    #[error("a count above 0 needs a population above 0")]
    CountWithoutPopulation,
    /// A proportion's count is above its denominator.
    #[error("the count is larger than the denominator")]
    CountAboveDenominator,
    /// Exact Poisson limits need a whole-number count.
    #[error("exact Poisson limits need a whole-number count")]
    NotWholeNumber,
}

fn z_for(confidence: f64) -> Result<f64, RateError> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(RateError::ConfidenceOutOfRange);
    }
    normal_quantile(1.0 - (1.0 - confidence) / 2.0).ok_or(RateError::ConfidenceOutOfRange)
}

fn check_count(x: f64) -> Result<(), RateError> {
    if x.is_finite() && x >= 0.0 {
        Ok(())
    } else {
        Err(RateError::BadCount)
    }
}

/// Byar's approximation to the Poisson confidence limits of a count.
///
/// # Errors
/// A negative count, or a confidence outside (0, 1).
///
/// # References
/// Breslow, N. E. and Day, N. E. (1987). *Statistical Methods in Cancer Research, Vol. II*. IARC,
/// p. 69; as used by the Fingertips technical guidance (PHE, 2018).
///
/// ```
/// let (lo, hi) = lantern_stats::byars_limits(65.0, 0.95).unwrap();
/// assert!((lo - 50.1631877104595).abs() < 1e-9);
/// assert!((hi - 82.8491385459398).abs() < 1e-9);
/// ```
pub fn byars_limits(count: f64, confidence: f64) -> Result<(f64, f64), RateError> {
    check_count(count)?;
    let z = z_for(confidence)?;
    let x = count;
    let lower = if x == 0.0 {
        0.0
    } else {
        x * (1.0 - 1.0 / (9.0 * x) - z / (3.0 * x.sqrt())).powi(3)
    };
    let x1 = x + 1.0;
    let upper = x1 * (1.0 - 1.0 / (9.0 * x1) + z / (3.0 * x1.sqrt())).powi(3);
    Ok((lower, upper))
}

/// P(X <= k) for X ~ Poisson(lambda).
fn poisson_cdf(k: u64, lambda: f64) -> f64 {
    // A sum of terms from e^-λ would underflow to nothing above λ = 745 and give every count
    // above that the same limits; the incomplete gamma function has no such floor.
    crate::special::gamma_q(k as f64 + 1.0, lambda)
}

/// The lambda at which `poisson_cdf(k, lambda) == target` (the CDF falls as lambda grows).
fn solve_lambda(k: u64, target: f64) -> f64 {
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    while poisson_cdf(k, hi) > target {
        hi *= 2.0;
    }
    // Bisection to the last bit: the CDF is monotone, so this cannot fail to converge.
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if poisson_cdf(k, mid) > target {
            lo = mid
        } else {
            hi = mid
        }
    }
    0.5 * (lo + hi)
}

/// Exact Poisson confidence limits of a whole-number count: the chi-squared quantiles
/// `qchisq(a/2, 2x)/2` and `qchisq(1-a/2, 2x+2)/2`, found from the Poisson-chi-squared identity
/// `P(chi2(2k) <= 2m) = P(Poisson(m) >= k)`.
///
/// # Errors
/// A negative or fractional count, or a confidence outside (0, 1).
///
/// # References
/// Garwood, F. (1936). Fiducial limits for the Poisson distribution. *Biometrika* 28, 437-442.
///
/// ```
/// let (lo, hi) = lantern_stats::exact_poisson_limits(1.0, 0.95).unwrap();
/// assert!((lo - 0.0253178079842899).abs() < 1e-12);
/// assert!((hi - 5.5716433909389).abs() < 1e-9);
/// ```
pub fn exact_poisson_limits(count: f64, confidence: f64) -> Result<(f64, f64), RateError> {
    check_count(count)?;
    z_for(confidence)?;
    if count.fract() != 0.0 {
        return Err(RateError::NotWholeNumber);
    }
    let alpha = 1.0 - confidence;
    let k = count as u64;
    let lower = if k == 0 {
        0.0
    } else {
        solve_lambda(k - 1, 1.0 - alpha / 2.0)
    };
    let upper = solve_lambda(k, alpha / 2.0);
    Ok((lower, upper))
}

/// A crude rate `count / population * multiplier` with exact Poisson limits when the count is
/// below 10 and Byar's from 10 up, the split the Fingertips tools use. `None` when both count and
/// population are 0 (the rate is undefined).
///
/// # Errors
/// Negative inputs, a count above 0 over no population, a fractional count below 10, or a
/// confidence outside (0, 1).
///
/// # References
/// Fingertips technical guidance, "Confidence intervals for crude rates" (PHE, 2018).
///
/// ```
/// use lantern_stats::{crude_rate, Method};
/// let r = crude_rate(1.0, 100.0, 100.0, 0.95).unwrap().unwrap();
/// assert_eq!(r.method, Method::Exact);
/// assert!((r.value - 1.0).abs() < 1e-12);
/// assert!((r.upper - 5.5716433909389).abs() < 1e-9);
/// ```
pub fn crude_rate(
    count: f64,
    population: f64,
    multiplier: f64,
    confidence: f64,
) -> Result<Option<Interval>, RateError> {
    check_count(count)?;
    if !(population.is_finite() && population >= 0.0) {
        return Err(RateError::BadPopulation);
    }
    z_for(confidence)?;
    if population == 0.0 {
        return if count > 0.0 {
            Err(RateError::CountWithoutPopulation)
        } else {
            Ok(None)
        };
    }
    let (method, (lo, hi)) = if count < 10.0 {
        (Method::Exact, exact_poisson_limits(count, confidence)?)
    } else {
        (Method::Byar, byars_limits(count, confidence)?)
    };
    let scale = multiplier / population;
    Ok(Some(Interval {
        value: count * scale,
        lower: lo * scale,
        upper: hi * scale,
        method,
    }))
}

/// A proportion `count / denominator * multiplier` with Wilson score limits. `None` when the
/// denominator is 0.
///
/// # Errors
/// Negative inputs, a count above the denominator, or a confidence outside (0, 1).
///
/// # References
/// Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
/// *JASA* 22, 209-212; Newcombe, R. G. (1998). *Statistics in Medicine* 17, 857-872.
///
/// ```
/// let p = lantern_stats::wilson_proportion(65.0, 100.0, 1.0, 0.95).unwrap().unwrap();
/// assert!((p.lower - 0.55254443296888).abs() < 1e-12);
/// assert!((p.upper - 0.736357517569025).abs() < 1e-12);
/// ```
pub fn wilson_proportion(
    count: f64,
    denominator: f64,
    multiplier: f64,
    confidence: f64,
) -> Result<Option<Interval>, RateError> {
    check_count(count)?;
    if !(denominator.is_finite() && denominator >= 0.0) {
        return Err(RateError::BadPopulation);
    }
    let z = z_for(confidence)?;
    if denominator == 0.0 {
        return if count > 0.0 {
            Err(RateError::CountWithoutPopulation)
        } else {
            Ok(None)
        };
    }
    if count > denominator {
        return Err(RateError::CountAboveDenominator);
    }
    let (x, n, z2) = (count, denominator, z * z);
    let spread = z * (z2 + 4.0 * x * (1.0 - x / n)).sqrt();
    let lower = (2.0 * x + z2 - spread) / (2.0 * (n + z2));
    let upper = (2.0 * x + z2 + spread) / (2.0 * (n + z2));
    Ok(Some(Interval {
        value: x / n * multiplier,
        lower: lower * multiplier,
        upper: upper * multiplier,
        method: Method::Wilson,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_count_has_a_zero_lower_limit_both_ways() {
        assert_eq!(exact_poisson_limits(0.0, 0.95).unwrap().0, 0.0);
        assert_eq!(byars_limits(0.0, 0.95).unwrap().0, 0.0);
        // Upper exact limit for 0 at 95% is -ln(0.025).
        let hi = exact_poisson_limits(0.0, 0.95).unwrap().1;
        assert!((hi - (-(0.025_f64).ln())).abs() < 1e-12);
    }

    #[test]
    fn exact_limits_hold_for_large_counts() {
        // A sum of terms from e^-λ stopped at λ = 745: every count above it got 745 to 745.
        // Byar's approximation is within a few parts in a million of the exact limits for large
        // counts (Breslow and Day 1987), and is computed quite differently.
        for k in [700.0, 746.0, 1_000.0, 9_999.0, 202_885.0, 1_000_000.0] {
            let (lo, hi) = exact_poisson_limits(k, 0.95).unwrap();
            let (blo, bhi) = byars_limits(k, 0.95).unwrap();
            assert!(lo < k && k < hi, "{k}: {lo} to {hi}");
            assert!(
                ((lo - blo) / blo).abs() < 1e-4,
                "{k}: lower {lo} against {blo}"
            );
            assert!(
                ((hi - bhi) / bhi).abs() < 1e-4,
                "{k}: upper {hi} against {bhi}"
            );
        }
        // And the limits are what they say: the tail probabilities are 2.5% each.
        let k = 202_885;
        let (lo, hi) = exact_poisson_limits(k as f64, 0.95).unwrap();
        assert!((1.0 - poisson_cdf(k - 1, lo) - 0.025).abs() < 1e-9);
        assert!((poisson_cdf(k, hi) - 0.025).abs() < 1e-9);
    }

    #[test]
    fn bad_inputs_are_errors_not_nans() {
        assert_eq!(crude_rate(-1.0, 10.0, 1.0, 0.95), Err(RateError::BadCount));
        assert_eq!(
            crude_rate(1.0, 0.0, 1.0, 0.95),
            Err(RateError::CountWithoutPopulation)
        );
        assert_eq!(crude_rate(0.0, 0.0, 1.0, 0.95), Ok(None));
        assert_eq!(
            crude_rate(1.0, 10.0, 1.0, 1.0),
            Err(RateError::ConfidenceOutOfRange)
        );
        assert_eq!(
            wilson_proportion(11.0, 10.0, 1.0, 0.95),
            Err(RateError::CountAboveDenominator)
        );
        assert_eq!(
            exact_poisson_limits(2.5, 0.95),
            Err(RateError::NotWholeNumber)
        );
    }

    #[test]
    fn limits_bracket_the_count() {
        for x in 0..60 {
            let x = f64::from(x);
            for c in [0.8, 0.95, 0.998] {
                let r = crude_rate(x, 1000.0, 1000.0, c).unwrap().unwrap();
                assert!(r.lower <= r.value && r.value <= r.upper, "{x} {c}: {r:?}");
            }
        }
    }
}
