//! Special functions and discrete quantiles the detection methods need: the log gamma function,
//! the regularised incomplete gamma and beta functions, Student's t distribution, and Poisson and negative
//! binomial quantiles.
//!
//! Textbook algorithms: Lanczos (1964) for log gamma with Godfrey's coefficients (g = 7, n = 9);
//! the continued fraction for the incomplete beta function evaluated by the modified Lentz method
//! (Press et al., *Numerical Recipes*, 3rd ed., section 6.4, written afresh here).

/// `ln Γ(x)` for `x > 0`, accurate to about 1e-15 relative.
pub(crate) fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 - x) = π / sin(πx).
        let s = (std::f64::consts::PI * x).sin().abs();
        return std::f64::consts::PI.ln() - s.ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        let i = i as f64;
        a += c / (x + i);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The continued fraction for the incomplete beta function (modified Lentz).
fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 - qab * x / qap;
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..10_000 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if d.abs() < TINY {
            d = TINY;
        }
        c = 1.0 + aa / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    h
}

/// The regularised incomplete beta function `I_x(a, b)` for `a, b > 0` and `x` in [0, 1].
pub(crate) fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

/// The regularised upper incomplete gamma function `Q(a, x)` for `a > 0`, `x ≥ 0`: the series
/// for `P` below `a + 1`, the continued fraction (modified Lentz) above. Both need about `√a`
/// terms near `x = a`, and the limit on terms grows with it, so `a` of a million is as exact as
/// `a` of ten. `Q(k + 1, λ)` is the Poisson distribution function `P(X <= k)` at mean `λ`.
pub(crate) fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let front = (-x + a * x.ln() - ln_gamma(a)).exp();
    let limit = 10_000 + 20 * (a.sqrt() as u32);
    if x < a + 1.0 {
        let (mut term, mut sum, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..limit {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        return (1.0 - sum * front).clamp(0.0, 1.0);
    }
    const TINY: f64 = 1e-300;
    let mut b = x + 1.0 - a;
    let mut c = 1.0 / TINY;
    let mut d = 1.0 / b;
    let mut h = d;
    for i in 1..limit {
        let an = -f64::from(i) * (f64::from(i) - a);
        b += 2.0;
        d = an * d + b;
        if d.abs() < TINY {
            d = TINY;
        }
        c = b + an / c;
        if c.abs() < TINY {
            c = TINY;
        }
        d = 1.0 / d;
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (front * h).clamp(0.0, 1.0)
}

/// The standard normal distribution function `Φ(x)` (`pnorm` in R), through
/// `erfc(t) = Q(1/2, t²)`.
pub(crate) fn normal_cdf(x: f64) -> f64 {
    let t = x / std::f64::consts::SQRT_2;
    if t < 0.0 {
        0.5 * gamma_q(0.5, t * t)
    } else {
        1.0 - 0.5 * gamma_q(0.5, t * t)
    }
}

/// The two-sided p-value of a t statistic on `df` degrees of freedom, `2 P(T > |t|)`.
pub(crate) fn t_two_sided(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return 0.0;
    }
    incomplete_beta(df / 2.0, 0.5, df / (df + t * t))
}

/// The smallest whole `k` whose cumulative probability reaches `p`, for a distribution given by
/// the log probability of each count.
fn discrete_quantile(p: f64, ln_pmf: impl Fn(f64) -> f64) -> f64 {
    // A relative fuzz so that a cumulative probability equal to p up to rounding counts as
    // reaching it.
    let target = p * (1.0 - 64.0 * f64::EPSILON);
    let mut cumulative = 0.0;
    let mut k = 0.0;
    while k < 1e9 {
        cumulative += ln_pmf(k).exp();
        if cumulative >= target {
            return k;
        }
        k += 1.0;
    }
    k
}

/// The `p` quantile of a Poisson distribution with mean `mean` (`qpois` in R).
pub(crate) fn poisson_quantile(p: f64, mean: f64) -> f64 {
    if mean <= 0.0 {
        return 0.0;
    }
    discrete_quantile(p, |k| k * mean.ln() - mean - ln_gamma(k + 1.0))
}

/// The `p` quantile of a negative binomial distribution with mean `mean` and size (dispersion
/// parameter) `size`, so that the variance is `mean + mean² / size` (`qnbinom(p, size, mu =
/// mean)` in R).
pub(crate) fn negative_binomial_quantile(p: f64, size: f64, mean: f64) -> f64 {
    if mean <= 0.0 {
        return 0.0;
    }
    let prob = size / (size + mean);
    let (ln_p, ln_q) = (prob.ln(), (mean / (size + mean)).ln());
    let base = ln_gamma(size);
    discrete_quantile(p, |k| {
        ln_gamma(k + size) - base - ln_gamma(k + 1.0) + size * ln_p + k * ln_q
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_gamma_matches_factorials() {
        let mut f = 1.0_f64;
        for n in 1..30 {
            f *= f64::from(n);
            let got = ln_gamma(f64::from(n) + 1.0);
            assert!((got - f.ln()).abs() < 1e-12 * f.ln().max(1.0), "{n}");
        }
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-14);
    }

    #[test]
    fn t_tail_matches_r() {
        // 2 * pt(-2.1, 7) and 2 * pt(-0.5, 30) in R.
        assert!((t_two_sided(2.1, 7.0) - 0.073_871_196_212_922_6).abs() < 1e-12);
        assert!((t_two_sided(-0.5, 30.0) - 0.620_723_004_885_127_3).abs() < 1e-12);
        assert!((t_two_sided(0.0, 5.0) - 1.0).abs() < 1e-14);
    }

    #[test]
    fn normal_cdf_matches_r() {
        // pnorm(-1.397276), pnorm(0.5), pnorm(-6) in R.
        assert!((normal_cdf(-1.397_276) - 0.081_165_295_036_784_77).abs() < 1e-12);
        assert!((normal_cdf(0.5) - 0.691_462_461_274_013_1).abs() < 1e-14);
        assert!((normal_cdf(-6.0) - 9.865_876_450_376_98e-10).abs() < 1e-22);
        for p in [0.001, 0.025, 0.3, 0.5, 0.9, 0.999] {
            let z = crate::normal_quantile(p).unwrap();
            assert!((normal_cdf(z) - p).abs() < 1e-14, "{p}");
        }
    }

    #[test]
    fn discrete_quantiles_match_r() {
        // qpois(0.95, 5) = 9; qnbinom(0.95, size = 10, mu = 5) = 10; qpois(0.5, 0.2) = 0.
        assert!((poisson_quantile(0.95, 5.0) - 9.0).abs() < f64::EPSILON);
        assert!((negative_binomial_quantile(0.95, 10.0, 5.0) - 10.0).abs() < f64::EPSILON);
        assert!(poisson_quantile(0.5, 0.2).abs() < f64::EPSILON);
    }
}
