//! A weighted Poisson (and quasi-Poisson) log-linear model fitted by iteratively reweighted least
//! squares (McCullagh and Nelder 1989, section 2.5), small enough for the handful of covariates
//! the Farrington methods use.
#![allow(
    clippy::needless_range_loop,
    reason = "matrix algebra reads best with indices"
)]

/// A fitted model.
#[derive(Debug, Clone)]
pub(crate) struct PoissonFit {
    /// The coefficients, one per design column.
    pub(crate) beta: Vec<f64>,
    /// `(X' W X)^-1`, the covariance of the coefficients before scaling by the dispersion.
    pub(crate) cov_unscaled: Vec<Vec<f64>>,
    /// The fitted means.
    pub(crate) mu: Vec<f64>,
    /// The diagonal of the hat matrix.
    pub(crate) hat: Vec<f64>,
    /// Pearson's estimate of the dispersion, `Σ w (y - μ)² / μ / (n - p)` (with the last
    /// iteration's working weights in place of `w μ`, as R's `summary.glm`).
    pub(crate) dispersion: f64,
    /// The mean squared working residual, `Σ w ((y - μ) / μ)² / (n - p)`: the dispersion R
    /// `surveillance`'s `farringtonFlexible` uses for a reweighted fit.
    pub(crate) working_dispersion: f64,
    /// Residual degrees of freedom, `n - p`.
    pub(crate) df_residual: f64,
}

impl PoissonFit {
    /// The linear predictor at a new row and its variance, scaled by `dispersion`.
    pub(crate) fn predict(&self, row: &[f64], dispersion: f64) -> (f64, f64) {
        let eta = row.iter().zip(&self.beta).map(|(x, b)| x * b).sum();
        (eta, dispersion * quadratic(&self.cov_unscaled, row))
    }
}

/// `x' A x`.
fn quadratic(a: &[Vec<f64>], x: &[f64]) -> f64 {
    a.iter()
        .zip(x)
        .map(|(row, xi)| xi * row.iter().zip(x).map(|(aij, xj)| aij * xj).sum::<f64>())
        .sum()
}

/// The inverse of a symmetric positive definite matrix by its Cholesky factor, or `None` when
/// it is singular.
fn invert_spd(a: &[Vec<f64>]) -> Option<Vec<Vec<f64>>> {
    let p = a.len();
    let mut l = vec![vec![0.0; p]; p];
    for i in 0..p {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = a[i][i] - s;
                if d.is_nan() || d <= 1e-13 * a[i][i].abs().max(f64::MIN_POSITIVE) {
                    return None;
                }
                l[i][i] = d.sqrt();
            } else {
                l[i][j] = (a[i][j] - s) / l[j][j];
            }
        }
    }
    // Invert L, then A^-1 = L^-T L^-1.
    let mut li = vec![vec![0.0; p]; p];
    for i in 0..p {
        li[i][i] = 1.0 / l[i][i];
        for j in 0..i {
            let s: f64 = (j..i).map(|k| l[i][k] * li[k][j]).sum();
            li[i][j] = -s / l[i][i];
        }
    }
    let mut inv = vec![vec![0.0; p]; p];
    for i in 0..p {
        for j in 0..=i {
            let s: f64 = (i..p).map(|k| li[k][i] * li[k][j]).sum();
            inv[i][j] = s;
            inv[j][i] = s;
        }
    }
    Some(inv)
}

fn deviance(y: &[f64], mu: &[f64], w: &[f64]) -> f64 {
    y.iter()
        .zip(mu)
        .zip(w)
        .map(|((&y, &m), &w)| {
            let term = if y > 0.0 { y * (y / m).ln() } else { 0.0 };
            2.0 * w * (term - (y - m))
        })
        .sum()
}

/// Fit `log μ = X β` to counts `y` with prior weights `w`. `None` when the design is singular or
/// the fit does not converge.
pub(crate) fn fit_poisson(x: &[Vec<f64>], y: &[f64], w: &[f64]) -> Option<PoissonFit> {
    let n = y.len();
    let p = x.first().map_or(0, Vec::len);
    if n <= p || p == 0 {
        return None;
    }
    // Start from the data, as R's poisson family does (mu = y + 0.1), and stop as R's glm.fit
    // does: when the deviance changes by less than 1e-8 relative. Like glm.fit, the covariance,
    // hat values and working weights come from the last iteration's weights (the means before
    // its update), so that the results agree with R's to many more digits than the tolerance.
    let mut mu: Vec<f64> = y.iter().map(|y| y + 0.1).collect();
    let mut eta: Vec<f64> = mu.iter().map(|m| m.ln()).collect();
    let mut dev_old = deviance(y, &mu, w);
    let mut beta = vec![0.0; p];
    let mut working = vec![0.0; n];
    let mut cov_unscaled = Vec::new();
    let mut converged = false;
    for _ in 0..25 {
        let mut xtwx = vec![vec![0.0; p]; p];
        let mut xtwz = vec![0.0; p];
        for i in 0..n {
            working[i] = w[i] * mu[i];
            let zi = eta[i] + (y[i] - mu[i]) / mu[i];
            for a in 0..p {
                xtwz[a] += working[i] * x[i][a] * zi;
                for b in 0..=a {
                    xtwx[a][b] += working[i] * x[i][a] * x[i][b];
                }
            }
        }
        for a in 0..p {
            for b in 0..a {
                xtwx[b][a] = xtwx[a][b];
            }
        }
        cov_unscaled = invert_spd(&xtwx)?;
        beta = cov_unscaled
            .iter()
            .map(|row| row.iter().zip(&xtwz).map(|(a, z)| a * z).sum())
            .collect();
        for i in 0..n {
            eta[i] = x[i].iter().zip(&beta).map(|(x, b)| x * b).sum();
            mu[i] = eta[i].exp();
        }
        let dev = deviance(y, &mu, w);
        if (dev - dev_old).abs() / (dev.abs() + 0.1) < 1e-8 {
            converged = true;
            break;
        }
        dev_old = dev;
    }
    if !converged {
        return None;
    }
    let hat = (0..n)
        .map(|i| working[i] * quadratic(&cov_unscaled, &x[i]))
        .collect();
    let df_residual = (n - p) as f64;
    let dispersion = (0..n)
        .map(|i| working[i] * ((y[i] - mu[i]) / mu[i]).powi(2))
        .sum::<f64>()
        / df_residual;
    let working_dispersion = (0..n)
        .map(|i| w[i] * ((y[i] - mu[i]) / mu[i]).powi(2))
        .sum::<f64>()
        / df_residual;
    Some(PoissonFit {
        beta,
        cov_unscaled,
        mu,
        hat,
        dispersion,
        working_dispersion,
        df_residual,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_model_fits_the_mean() {
        let y = [1.0, 3.0, 2.0, 6.0];
        let x: Vec<Vec<f64>> = y.iter().map(|_| vec![1.0]).collect();
        let fit = fit_poisson(&x, &y, &[1.0; 4]).unwrap();
        assert!((fit.beta[0] - 3.0_f64.ln()).abs() < 1e-12);
        // Var(log mean) = 1 / Σμ.
        assert!((fit.cov_unscaled[0][0] - 1.0 / 12.0).abs() < 1e-8);
        assert!((fit.dispersion - (4.0 + 0.0 + 1.0 + 9.0) / 3.0 / 3.0).abs() < 1e-8);
    }

    #[test]
    fn a_trend_matches_r() {
        // glm(y ~ t, family = quasipoisson) in R: coefficients 0.02362712351, 0.26265183876;
        // dispersion 0.1791475649.
        let y = [1.0, 2.0, 2.0, 4.0, 3.0, 5.0];
        let x: Vec<Vec<f64>> = (1..=6).map(|t| vec![1.0, f64::from(t)]).collect();
        let fit = fit_poisson(&x, &y, &[1.0; 6]).unwrap();
        assert!(
            (fit.beta[0] - 0.023_627_123_51).abs() < 1e-9,
            "{:?}",
            fit.beta
        );
        assert!(
            (fit.beta[1] - 0.262_651_838_76).abs() < 1e-9,
            "{:?}",
            fit.beta
        );
        assert!((fit.dispersion - 0.179_147_564_9).abs() < 1e-9);
    }
}
