//! The Farrington methods: is this week's count above what the same time of year in past years,
//! allowing for trend and past outbreaks, leads one to expect?
//!
//! - **Classic** (Farrington, Andrews, Beale and Catchpole 1996): for the week assessed, the
//!   reference weeks are the `2w + 1` weeks around the same week in each of the `b` previous
//!   years. A quasi-Poisson log-linear model with a linear trend is fitted to them; past outbreaks
//!   are down-weighted by their Anscombe residuals (weight `s⁻²` for residuals above 1, then
//!   scaled so that the weights sum to the number of reference weeks) and the model refitted.
//!   The trend is kept only when it is significant at 5%, there are at least 3 years, and the
//!   prediction does not exceed the largest reference count. The upper bound is the 2/3-power
//!   transformed prediction interval.
//! - **Flexible** (Noufaily, Enki, Farrington, Garthwaite, Andrews and Charlett 2013): the same
//!   with every week of the `b` years as baseline except the most recent
//!   `past_weeks_not_included`, a seasonal factor of `no_periods` levels (the windows around the
//!   same week, and the rest of each year cut into `no_periods - 1` periods), residuals above
//!   `weights_threshold` (2.58) down-weighted, a trend kept when its p-value is under
//!   `p_threshold_trend`, and the upper bound from the delta method (`Delta`), the negative
//!   binomial quantile at the predicted mean (`NbPlugin`), or at the upper end of the mean's
//!   confidence interval (`Muan`).
//!
//! Both skip weeks whose last `limit54.1` weeks hold fewer than `limit54.0` cases (5 in 4 by
//! default): those weeks have no bound and never alarm.
//!
//! Defaults are R `surveillance`'s. The code follows the papers; none is ported from
//! `surveillance` (GPL-2). Tests compare it with that package's output, recorded in
//! `../shared/refdata/stats/surveillance/`.

use std::ops::RangeInclusive;

use crate::aberration::{DetectError, Detection, check};
use crate::glm::{PoissonFit, fit_poisson};
use crate::normal_quantile;
use crate::special::{negative_binomial_quantile, poisson_quantile, t_two_sided};

/// The transformation that makes the prediction interval's skewness right (`powertrans`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerTrans {
    /// Counts to the power 2/3, the default.
    TwoThirds,
    /// Square roots.
    Half,
    /// No transformation.
    None,
}

/// How the flexible method turns the prediction into an upper bound (`thresholdMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdMethod {
    /// The delta method on the transformed scale, as in the classic method.
    Delta,
    /// The negative binomial quantile at the predicted mean.
    NbPlugin,
    /// The negative binomial quantile at the upper confidence limit of the mean.
    Muan,
}

/// Which of the two methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FarringtonKind {
    /// Farrington et al. (1996), R's `farrington`.
    Classic,
    /// Noufaily et al. (2013), R's `farringtonFlexible`.
    Flexible,
}

/// The Farrington methods' parameters, named after R `surveillance`'s control list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Farrington {
    /// Classic or flexible.
    pub kind: FarringtonKind,
    /// Periods per year (52 for weekly data).
    pub frequency: usize,
    /// Years back.
    pub b: usize,
    /// Half-width of the window around the same week in past years.
    pub w: usize,
    /// Down-weight past outbreaks.
    pub reweight: bool,
    /// Anscombe residuals above this are down-weighted (classic: 1).
    pub weights_threshold: f64,
    /// The significance of the bound: the classic method's two-sided level, the flexible
    /// method's one-sided level.
    pub alpha: f64,
    /// Fit a linear trend, kept only when it passes the tests.
    pub trend: bool,
    /// The trend's p-value must be below this (classic: 0.05).
    pub p_threshold_trend: f64,
    /// `(cases, weeks)`: skip weeks whose last `weeks` weeks hold fewer than `cases` cases.
    pub limit54: Option<(f64, usize)>,
    /// The power transformation for the delta method.
    pub power_trans: PowerTrans,
    /// Levels of the seasonal factor (flexible; 1 for the classic windows).
    pub no_periods: usize,
    /// Recent weeks left out of the baseline (flexible; `None` for `w`).
    pub past_weeks_not_included: Option<usize>,
    /// How the flexible method sets the bound.
    pub threshold_method: ThresholdMethod,
}

impl Farrington {
    /// R's `farrington` defaults: b 5, w 3, alpha 0.05, reweighting and trend on, 2/3 power.
    pub fn classic() -> Self {
        Self {
            kind: FarringtonKind::Classic,
            frequency: 52,
            b: 5,
            w: 3,
            reweight: true,
            weights_threshold: 1.0,
            alpha: 0.05,
            trend: true,
            p_threshold_trend: 0.05,
            limit54: Some((5.0, 4)),
            power_trans: PowerTrans::TwoThirds,
            no_periods: 1,
            past_weeks_not_included: None,
            threshold_method: ThresholdMethod::Delta,
        }
    }

    /// R's `farringtonFlexible` defaults: as the classic method but with weights threshold 2.58.
    /// Noufaily et al. recommend `no_periods` 10, `past_weeks_not_included` 26, the trend kept
    /// whenever fitted and `Muan` or `NbPlugin`; those are not R's defaults.
    pub fn flexible() -> Self {
        Self {
            kind: FarringtonKind::Flexible,
            weights_threshold: 2.58,
            ..Self::classic()
        }
    }

    /// The earliest 1-based period the method can assess: `b` years and `w` weeks of history
    /// before it.
    pub fn first_period(&self) -> usize {
        self.b * self.frequency + self.w + 1
    }

    fn validate(&self) -> Result<(), DetectError> {
        let bad = |m: &str| Err(DetectError::BadParameter(m.to_owned()));
        if self.frequency < 2 {
            return bad("the frequency must be at least 2 periods a year");
        }
        if self.b < 1 {
            return bad("b must be at least 1 year");
        }
        if 2 * self.w + 1 >= self.frequency {
            return bad("the window 2w + 1 must be shorter than a year");
        }
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return bad("alpha must be above 0 and below 1");
        }
        if !(self.weights_threshold.is_finite() && self.weights_threshold >= 0.0) {
            return bad("the weights threshold must be 0 or more");
        }
        if !(self.p_threshold_trend > 0.0 && self.p_threshold_trend <= 1.0) {
            return bad("the trend's p-value threshold must be above 0 and at most 1");
        }
        if self.no_periods < 1 || self.no_periods > self.frequency - 2 * self.w {
            return bad("no-periods must be at least 1 and leave each period a week");
        }
        if self.limit54.is_some_and(|(_, weeks)| weeks == 0) {
            return bad("the limit's number of weeks must be at least 1");
        }
        Ok(())
    }
}

/// The centres of the reference windows for the week at 0-based index `t0`, one for each of the
/// `b` past years, oldest first: `frequency` periods back each year, or with dates, the period
/// whose date is closest to the same day `y` years before. `None` when a window would start before
/// the series.
fn centres(p: &Farrington, dates: Option<&[i64]>, t0: usize) -> Option<Vec<usize>> {
    let mut out = Vec::with_capacity(p.b);
    for y in (1..=p.b).rev() {
        let c = match dates {
            None => t0.checked_sub(y * p.frequency)?,
            Some(d) => {
                let target = crate::calendar::years_before(d[t0], y);
                let i = d.partition_point(|&x| x < target);
                let after = (i < d.len()).then_some(i);
                let before = i.checked_sub(1);
                match (before, after) {
                    (Some(b), Some(a)) => {
                        if target - d[b] <= d[a] - target {
                            b
                        } else {
                            a
                        }
                    }
                    (Some(b), None) => b,
                    (None, Some(a)) => a,
                    (None, None) => return None,
                }
            }
        };
        if c < p.w || c >= t0 {
            return None;
        }
        out.push(c);
    }
    Some(out)
}

/// The reference weeks for the week at 0-based index `t0`: `(index, seasonal level)`. Level 0 is
/// the windows of `2w + 1` weeks around the centres; with `no_periods` above 1, every week from
/// the oldest window to `past_weeks_not_included` weeks before `t0` counts, and each stretch
/// between two windows (the last one ending where the current year's window, `t0 - w` to `t0`,
/// begins) is cut into `no_periods - 1` periods of equal length up to rounding.
fn reference(p: &Farrington, t0: usize, centres: &[usize]) -> Vec<(usize, usize)> {
    let w = p.w;
    if p.no_periods == 1 {
        return centres
            .iter()
            .rev()
            .flat_map(|&c| (c - w..=c + w).map(|i| (i, 0)))
            .collect();
    }
    let skip = p.past_weeks_not_included.unwrap_or(w);
    let end = t0.saturating_sub(skip);
    // Window starts and ends, oldest first, then the current year's.
    let mut windows: Vec<(usize, usize)> = centres.iter().map(|&c| (c - w, c + w)).collect();
    windows.push((t0.saturating_sub(w), t0));
    let mut out = Vec::new();
    for pair in windows.windows(2) {
        let ((s0, e0), (s1, _)) = (pair[0], pair[1]);
        out.extend((s0..=e0).map(|i| (i, 0)));
        let len = s1.saturating_sub(e0 + 1);
        out.extend((e0 + 1..s1).map(|i| (i, 1 + (i - e0 - 1) * (p.no_periods - 1) / len)));
    }
    out.extend((t0.saturating_sub(w)..t0).map(|i| (i, 0)));
    out.retain(|&(i, _)| i < end);
    out
}

/// The design row for a week: intercept, trend (the week's index), seasonal dummies.
fn design_row(index: usize, level: usize, trend: bool, levels: &[usize]) -> Vec<f64> {
    let mut row = vec![1.0];
    if trend {
        row.push(index as f64);
    }
    row.extend(levels.iter().map(|&l| f64::from(u8::from(l == level))));
    row
}

/// A fitted reference model with its dispersions.
struct Model {
    fit: PoissonFit,
    /// The overdispersion of a count: Pearson's estimate, at least 1.
    phi: f64,
    /// The dispersion that scales the coefficients' covariance, for the trend test and the
    /// prediction's variance.
    scale: f64,
}

fn fit_model(p: &Farrington, x: &[Vec<f64>], y: &[f64]) -> Option<Model> {
    let n = y.len();
    let fit = fit_poisson(x, y, &vec![1.0; n])?;
    let phi = fit.dispersion.max(1.0);
    if !p.reweight {
        let scale = match p.kind {
            FarringtonKind::Classic => phi,
            FarringtonKind::Flexible => fit.dispersion,
        };
        return Some(Model { fit, phi, scale });
    }
    // Anscombe residuals, then weights s⁻² above the threshold, scaled to sum to n.
    let mut omega: Vec<f64> = y
        .iter()
        .zip(&fit.mu)
        .zip(&fit.hat)
        .map(|((&y, &mu), &h)| {
            let s = 1.5 * (y.powf(2.0 / 3.0) - mu.powf(2.0 / 3.0))
                / (mu.powf(1.0 / 6.0) * (phi * (1.0 - h)).sqrt());
            if s > p.weights_threshold {
                s.powi(-2)
            } else {
                1.0
            }
        })
        .collect();
    let gamma = n as f64 / omega.iter().sum::<f64>();
    omega.iter_mut().for_each(|o| *o *= gamma);
    let fit = fit_poisson(x, y, &omega)?;
    let phi = fit.dispersion.max(1.0);
    let scale = match p.kind {
        FarringtonKind::Classic => phi,
        FarringtonKind::Flexible => fit.working_dispersion,
    };
    Some(Model { fit, phi, scale })
}

/// Assess one week (0-based index `t0`): its bound, or `None` when the model cannot be fitted.
fn assess(p: &Farrington, counts: &[f64], t0: usize, centres: &[usize], z: f64) -> Option<f64> {
    let refs = reference(p, t0, centres);
    let y: Vec<f64> = refs.iter().map(|&(i, _)| counts[i]).collect();
    // Seasonal levels present besides the first (the reference level).
    let mut levels: Vec<usize> = refs.iter().map(|&(_, l)| l).filter(|&l| l > 0).collect();
    levels.sort_unstable();
    levels.dedup();
    let build = |trend: bool| -> (Vec<Vec<f64>>, Vec<f64>) {
        let x = refs
            .iter()
            .map(|&(i, l)| design_row(i, l, trend, &levels))
            .collect();
        (x, design_row(t0, 0, trend, &levels))
    };
    let mut chosen = None;
    if p.trend {
        let (x, x0) = build(true);
        if let Some(m) = fit_model(p, &x, &y) {
            let beta = m.fit.beta[1];
            let dispersion = match p.kind {
                FarringtonKind::Classic => m.fit.dispersion,
                FarringtonKind::Flexible => m.scale,
            };
            let t = beta / (dispersion * m.fit.cov_unscaled[1][1]).sqrt();
            let p_value = t_two_sided(t, m.fit.df_residual);
            let mu0 = m.fit.predict(&x0, 0.0).0.exp();
            let max_y = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if p.b >= 3 && p_value < p.p_threshold_trend && mu0 <= max_y {
                chosen = Some((m, x0));
            }
        }
    }
    let (m, x0) = match chosen {
        Some(c) => c,
        None => {
            let (x, x0) = build(false);
            (fit_model(p, &x, &y)?, x0)
        }
    };
    let (eta0, var_eta) = m.fit.predict(&x0, m.scale);
    Some(upper_bound(p, eta0, var_eta, m.phi, z))
}

/// The upper bound for a prediction `eta0` on the log scale with variance `var_eta`, a count
/// dispersion `phi` and the normal quantile `z`.
fn upper_bound(p: &Farrington, eta0: f64, var_eta: f64, phi: f64, z: f64) -> f64 {
    let mu0 = eta0.exp();
    match p.threshold_method {
        ThresholdMethod::Delta => {
            // Var(y0 - μ̂0) ≈ φ μ0 + Var(μ̂0), with Var(μ̂0) ≈ μ0² Var(η̂0); τ is that over μ0.
            let tau = phi + mu0 * var_eta;
            match p.power_trans {
                PowerTrans::TwoThirds => mu0 * (1.0 + 2.0 / 3.0 * z * (tau / mu0).sqrt()).powf(1.5),
                PowerTrans::Half => mu0 * (1.0 + 0.5 * z * (tau / mu0).sqrt()).powi(2),
                PowerTrans::None => mu0 + z * (tau * mu0).sqrt(),
            }
        }
        ThresholdMethod::NbPlugin => count_quantile(1.0 - p.alpha, mu0, phi),
        ThresholdMethod::Muan => {
            count_quantile(1.0 - p.alpha, (eta0 + z * var_eta.sqrt()).exp(), phi)
        }
    }
}

/// The quantile of a count with mean `mean` and dispersion `phi`: Poisson when `phi` is 1,
/// otherwise negative binomial with variance `phi · mean`.
fn count_quantile(q: f64, mean: f64, phi: f64) -> f64 {
    if phi > 1.0 {
        negative_binomial_quantile(q, mean / (phi - 1.0), mean)
    } else {
        poisson_quantile(q, mean)
    }
}

/// The classic or flexible Farrington method over the 1-based inclusive `range` of weekly
/// `counts`.
///
/// # Errors
/// An empty series, a negative count, a range outside the series or earlier than
/// [`Farrington::first_period`], or a parameter out of its range.
pub fn farrington(
    counts: &[f64],
    dates: Option<&[i64]>,
    range: RangeInclusive<usize>,
    p: &Farrington,
) -> Result<Vec<Detection>, DetectError> {
    p.validate()?;
    match dates {
        None => check(counts, &range, p.first_period())?,
        Some(d) => {
            check(counts, &range, 1)?;
            if d.len() != counts.len() {
                return Err(DetectError::BadParameter(
                    "there must be one date for each count".to_owned(),
                ));
            }
            if let Some(i) = d.windows(2).position(|x| x[1] <= x[0]) {
                return Err(DetectError::BadParameter(format!(
                    "the dates must increase: period {} is not after period {}",
                    i + 2,
                    i + 1
                )));
            }
        }
    }
    let z = match p.kind {
        FarringtonKind::Classic => normal_quantile(1.0 - p.alpha / 2.0),
        FarringtonKind::Flexible => normal_quantile(1.0 - p.alpha),
    }
    .ok_or_else(|| DetectError::BadParameter("alpha must be above 0 and below 1".to_owned()))?;
    range
        .map(|t| {
            let t0 = t - 1;
            let centres = centres(p, dates, t0).ok_or_else(|| {
                DetectError::BadRange(format!(
                    "period {t} has fewer than b = {} years and w = {} periods of history before it",
                    p.b, p.w
                ))
            })?;
            if let Some((cases, weeks)) = p.limit54 {
                let from = (t0 + 1).saturating_sub(weeks);
                if counts[from..=t0].iter().sum::<f64>() < cases {
                    // Too few recent cases to assess: no alarm. R `surveillance` 1.20.3 then
                    // reports a bound of 0 for the classic method and none for the flexible one
                    // (checked side by side, on all-zero and nearly-all-zero baselines too).
                    return Ok(Detection {
                        upper_bound: match p.kind {
                            FarringtonKind::Classic => Some(0.0),
                            FarringtonKind::Flexible => None,
                        },
                        alarm: false,
                    });
                }
            }
            let bound = assess(p, counts, t0, &centres, z);
            Ok(Detection {
                upper_bound: bound,
                alarm: bound.is_some_and(|b| counts[t0] > b),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flexible(method: ThresholdMethod, trans: PowerTrans) -> Farrington {
        Farrington {
            threshold_method: method,
            power_trans: trans,
            ..Farrington::flexible()
        }
    }

    #[test]
    fn the_published_threshold_values_hold() {
        // surveillance's tests/testthat/test-farringtonFlexible.R: a prediction of 5 with
        // standard error 0.2 on the count scale, φ = 1, alpha = 0.05.
        let z = normal_quantile(0.95).unwrap();
        let (eta0, var_eta) = (5.0_f64.ln(), 0.04 / 25.0);
        for (trans, want) in [
            (PowerTrans::None, 8.692_687_2),
            (PowerTrans::Half, 9.374_484_2),
            (PowerTrans::TwoThirds, 9.115_482_5),
        ] {
            let got = upper_bound(
                &flexible(ThresholdMethod::Delta, trans),
                eta0,
                var_eta,
                1.0,
                z,
            );
            assert!((got - want).abs() < 1e-6, "{trans:?}: {got} vs {want}");
        }
        // The negative binomial quantiles: log mean log 5, its standard error log 2.
        let var_eta = 2.0_f64.ln().powi(2);
        for (method, phi, want) in [
            (ThresholdMethod::Muan, 1.5, 24.0),
            (ThresholdMethod::Muan, 1.0, 22.0),
            (ThresholdMethod::NbPlugin, 1.5, 10.0),
            (ThresholdMethod::NbPlugin, 1.0, 9.0),
        ] {
            let got = upper_bound(&flexible(method, PowerTrans::None), eta0, var_eta, phi, z);
            assert!(
                (got - want).abs() < f64::EPSILON,
                "{method:?} φ {phi}: {got}"
            );
        }
    }

    #[test]
    fn the_seasonal_periods_tile_the_gaps() {
        let p = Farrington {
            b: 2,
            no_periods: 3,
            past_weeks_not_included: Some(0),
            ..Farrington::flexible()
        };
        let t0 = 2 * 52 + 10;
        let c = centres(&p, None, t0).unwrap();
        assert_eq!(c, vec![10, 62]);
        let r = reference(&p, t0, &c);
        // Every week from the oldest window up to t0 - 1, windows at level 0, each 45-week gap
        // cut into two periods of 23 and 22 weeks.
        assert_eq!(r.first(), Some(&(7, 0)));
        assert_eq!(r.last().map(|x| x.0), Some(t0 - 1));
        assert_eq!(r.len(), t0 - 7);
        let level = |i: usize| r.iter().find(|x| x.0 == i).map(|x| x.1);
        assert_eq!(level(13), Some(0));
        assert_eq!(level(14), Some(1));
        assert_eq!(level(36), Some(1));
        assert_eq!(level(37), Some(2));
        assert_eq!(level(58), Some(2));
        assert_eq!(level(59), Some(0));
        assert_eq!(level(t0 - 4), Some(2));
        assert_eq!(level(t0 - 3), Some(0));
    }

    #[test]
    fn a_week_without_history_is_an_error() {
        let counts = vec![1.0; 300];
        let p = Farrington::classic();
        let err = farrington(&counts, None, 200..=210, &p).unwrap_err();
        assert!(err.to_string().contains("start at 264"), "{err}");
        let days: Vec<i64> = (0..300).map(|i| i * 7).collect();
        let err = farrington(&counts, Some(&days), 200..=210, &p).unwrap_err();
        assert!(err.to_string().contains("fewer than b = 5 years"), "{err}");
    }

    #[test]
    fn few_recent_cases_give_no_bound() {
        let mut counts = vec![3.0; 300];
        counts[296..].copy_from_slice(&[1.0, 1.0, 1.0, 1.0]);
        let p = Farrington {
            b: 3,
            ..Farrington::classic()
        };
        let d = farrington(&counts, None, 299..=300, &p).unwrap();
        assert_eq!(
            d[1].upper_bound,
            Some(0.0),
            "the classic method reports 0, as R"
        );
        assert!(!d[1].alarm);
        let quiet = Farrington { limit54: None, ..p };
        assert!(
            farrington(&counts, None, 300..=300, &quiet).unwrap()[0]
                .upper_bound
                .is_some()
        );
    }
}
