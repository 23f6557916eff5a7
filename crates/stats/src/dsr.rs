//! Directly standardised rates with Dobson's confidence limits, including the variant for
//! non-independent events (several events per person, such as repeat self-harm).

use crate::rates::{Interval, Method, RateError, byars_limits};

/// The 19 five-year age bands of the European Standard Population 2013, youngest first.
pub const ESP2013_BANDS: [&str; 19] = [
    "0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54",
    "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+",
];

/// ESP2013 weights for [`ESP2013_BANDS`] (they sum to 100,000).
///
/// # References
/// Eurostat (2013). *Revision of the European Standard Population*. KS-RA-13-028.
pub const ESP2013: [f64; 19] = [
    5000.0, 5500.0, 5500.0, 5500.0, 6000.0, 6000.0, 6500.0, 7000.0, 7000.0, 7000.0, 7000.0, 6500.0,
    6000.0, 5500.0, 5000.0, 4000.0, 2500.0, 1500.0, 1000.0,
];

/// The index in [`ESP2013_BANDS`] of an age band label: `0-4`, `00-04`, `10 to 14` (ONS),
/// `90+`, `90 and over`.
///
/// # References
/// Eurostat (2013), KS-RA-13-028 (the bands); ONS reference tables (the `10 to 14` labels).
///
/// ```
/// use lantern_stats::esp2013_band;
/// assert_eq!(esp2013_band("10 to 14"), Some(2));
/// assert_eq!(esp2013_band("05-09"), Some(1));
/// assert_eq!(esp2013_band("90+"), Some(18));
/// assert_eq!(esp2013_band("10-15"), None);
/// ```
pub fn esp2013_band(label: &str) -> Option<usize> {
    let s = label.trim().to_ascii_lowercase();
    let numbers: Vec<u32> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    match numbers[..] {
        [90] if s.contains('+') || s.contains("over") => Some(18),
        [lo, hi] if lo % 5 == 0 && hi == lo + 4 && lo < 90 => Some((lo / 5) as usize),
        _ => None,
    }
}

/// One age band of the population being standardised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AgeBand {
    /// Events in the band.
    pub count: f64,
    /// Population in the band.
    pub population: f64,
    /// The standard population's weight for the band.
    pub weight: f64,
    /// For non-independent events: the variance of the band's count, `sum k^2 f_k` where `f_k`
    /// people had `k` events (see [`event_variance`]). `None` treats events as independent.
    pub event_variance: Option<f64>,
}

/// The variance of an event count when `frequencies[k - 1]` people had `k` events each:
/// `sum k^2 f_k`, which is the count itself when everyone had one event.
///
/// # References
/// Fingertips technical guidance, "DSRs for non-independent events" (PHE, 2018): the variance
/// of a count of events clustered within people.
///
/// ```
/// assert_eq!(lantern_stats::event_variance(&[75.0, 16.0, 4.0, 2.0]), 75.0 + 64.0 + 36.0 + 32.0);
/// ```
pub fn event_variance(frequencies: &[f64]) -> f64 {
    frequencies
        .iter()
        .enumerate()
        .map(|(i, f)| ((i + 1) as f64).powi(2) * f)
        .sum()
}

/// A directly standardised rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dsr {
    /// Events in all bands.
    pub total_count: f64,
    /// Population in all bands.
    pub total_population: f64,
    /// The rate and its Dobson limits; `None` when the total count is below 10, where the
    /// method is not reliable.
    pub estimate: Option<Interval>,
}

/// Why a DSR cannot be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DsrError {
    /// No bands were given.
    #[error("no age bands were given")]
    NoBands,
    /// A weight is not above 0.
    #[error("every standard population weight must be above 0")]
    BadWeight,
    /// A count or population is invalid.
    #[error(transparent)]
    Rate(#[from] RateError),
}

/// The smallest total count for which a DSR is given.
pub const DSR_MIN_COUNT: f64 = 10.0;

/// A directly standardised rate per `multiplier` over the bands given, with Dobson's limits.
/// Only the weights of the bands present are used, so a rate for ages 10+ standardises to that
/// part of the standard. The limits always use Byar's interval for the total count; with
/// non-independent events the variance of each band's count is its `event_variance`.
///
/// # Errors
/// No bands, a weight not above 0, negative counts or populations, a count above 0 over a
/// population of 0, or a confidence outside (0, 1).
///
/// # References
/// Dobson, A. J., Kuulasmaa, K., Eberle, E. and Scherer, J. (1991). Confidence intervals for
/// weighted sums of Poisson parameters. *Statistics in Medicine* 10, 457-462; Fingertips technical
/// guidance, "Directly standardised rates" and "DSRs for non-independent events" (PHE, 2018).
///
/// ```
/// use lantern_stats::{dsr, AgeBand};
/// let bands = [
///     AgeBand { count: 12.0, population: 1000.0, weight: 5000.0, event_variance: None },
///     AgeBand { count: 30.0, population: 1500.0, weight: 7000.0, event_variance: None },
/// ];
/// let d = dsr(&bands, 100_000.0, 0.95).unwrap();
/// let e = d.estimate.unwrap();
/// // (5000 * 12/1000 + 7000 * 30/1500) / 12000 * 100000
/// assert!((e.value - 1666.6666666666667).abs() < 1e-9);
/// assert!(e.lower < e.value && e.value < e.upper);
/// ```
pub fn dsr(bands: &[AgeBand], multiplier: f64, confidence: f64) -> Result<Dsr, DsrError> {
    if bands.is_empty() {
        return Err(DsrError::NoBands);
    }
    let (mut total_count, mut total_population, mut total_weight) = (0.0, 0.0, 0.0);
    let (mut weighted, mut variance) = (0.0, 0.0);
    for b in bands {
        if !(b.weight.is_finite() && b.weight > 0.0) {
            return Err(DsrError::BadWeight);
        }
        if !(b.count.is_finite() && b.count >= 0.0) {
            return Err(RateError::BadCount.into());
        }
        if !(b.population.is_finite() && b.population >= 0.0) {
            return Err(RateError::BadPopulation.into());
        }
        total_count += b.count;
        total_population += b.population;
        total_weight += b.weight;
        if b.population == 0.0 {
            if b.count > 0.0 {
                return Err(RateError::CountWithoutPopulation.into());
            }
            continue;
        }
        weighted += b.weight * b.count / b.population;
        let v = b.event_variance.unwrap_or(b.count);
        variance += b.weight * b.weight * v / (b.population * b.population);
    }
    // Validate the confidence even when the estimate is withheld.
    byars_limits(0.0, confidence)?;
    if total_count < DSR_MIN_COUNT {
        return Ok(Dsr {
            total_count,
            total_population,
            estimate: None,
        });
    }
    let value = weighted / total_weight;
    let var = variance / (total_weight * total_weight);
    let (lo_o, hi_o) = byars_limits(total_count, confidence)?;
    let k = (var / total_count).sqrt();
    Ok(Dsr {
        total_count,
        total_population,
        estimate: Some(Interval {
            value: value * multiplier,
            lower: (value + k * (lo_o - total_count)) * multiplier,
            upper: (value + k * (hi_o - total_count)) * multiplier,
            method: Method::Dobson,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn esp2013_weights_sum_to_100000() {
        assert_eq!(ESP2013.iter().sum::<f64>(), 100_000.0);
    }

    #[test]
    fn a_total_below_10_is_withheld() {
        let b = [AgeBand {
            count: 9.0,
            population: 100.0,
            weight: 1.0,
            event_variance: None,
        }];
        assert_eq!(dsr(&b, 1.0, 0.95).unwrap().estimate, None);
    }

    #[test]
    fn with_one_band_the_dsr_is_the_crude_rate() {
        let b = [AgeBand {
            count: 40.0,
            population: 2000.0,
            weight: 3.0,
            event_variance: None,
        }];
        let e = dsr(&b, 100_000.0, 0.95).unwrap().estimate.unwrap();
        assert!((e.value - 2000.0).abs() < 1e-9);
    }

    #[test]
    fn independent_events_equal_one_event_per_person() {
        let mut b = [AgeBand {
            count: 40.0,
            population: 2000.0,
            weight: 3.0,
            event_variance: None,
        }];
        let a = dsr(&b, 1.0, 0.95).unwrap();
        b[0].event_variance = Some(event_variance(&[40.0]));
        assert_eq!(a, dsr(&b, 1.0, 0.95).unwrap());
    }
}
