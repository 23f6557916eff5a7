//! Properties of the scan on random grids: spreading the expected cases evenly over the periods
//! gives every period the same total and keeps each period's split between places, and when the
//! population does not change over time it leaves the most likely cluster as it was.

use lantern_stats::{ScanData, ScanModel, ScanSettings, equal_period_baseline, scan};
use proptest::prelude::*;

/// Places on a line with growing gaps (no ties), periods, cases and positive populations.
fn grids() -> impl Strategy<Value = (usize, usize, Vec<u32>, Vec<f64>)> {
    (2_usize..=8, 1_usize..=5).prop_flat_map(|(n, periods)| {
        (
            Just(n),
            Just(periods),
            proptest::collection::vec(0_u32..=6, n * periods),
            proptest::collection::vec(1.0_f64..1000.0, n * periods),
        )
    })
}

fn data(n: usize, periods: usize, cases: Vec<u32>, baseline: Vec<f64>) -> ScanData {
    ScanData {
        #[allow(clippy::cast_precision_loss, reason = "a handful of places")]
        coordinates: (0..n).map(|i| ((i as f64).powf(1.5), 0.0)).collect(),
        lat_long: false,
        periods,
        cases,
        baseline,
        population: Vec::new(),
    }
}

proptest! {
    #[test]
    fn equal_periods_share_alike((n, periods, _cases, baseline) in grids()) {
        let even = equal_period_baseline(&baseline, periods);
        prop_assert_eq!(even.len(), baseline.len());
        for t in 0..periods {
            let total: f64 = (0..n).map(|i| even[i * periods + t]).sum();
            prop_assert!((total - 1.0).abs() < 1e-12, "period {} sums to {}", t, total);
            let raw: f64 = (0..n).map(|i| baseline[i * periods + t]).sum();
            for i in 0..n {
                let share = baseline[i * periods + t] / raw;
                prop_assert!((even[i * periods + t] - share).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn a_steady_population_needs_no_adjustment(
        (n, periods, cases, baseline) in grids()
    ) {
        prop_assume!(cases.iter().any(|&c| c > 0));
        // The same population in every period.
        let steady: Vec<f64> = (0..n * periods).map(|k| baseline[k / periods * periods]).collect();
        let settings = ScanSettings {
            replications: 19,
            seed: 7,
            min_cases: 1,
            ..ScanSettings::default()
        };
        let plain = scan(&data(n, periods, cases.clone(), steady.clone()), ScanModel::Poisson, &settings);
        let even = equal_period_baseline(&steady, periods);
        let adjusted = scan(&data(n, periods, cases, even), ScanModel::Poisson, &settings);
        let (plain, adjusted) = (plain.unwrap(), adjusted.unwrap());
        prop_assert_eq!(plain.clusters.is_empty(), adjusted.clusters.is_empty());
        if let (Some(a), Some(b)) = (plain.clusters.first(), adjusted.clusters.first()) {
            // Windows that tie (the same places and counts in two periods) may be taken in
            // either order, so compare the most likely cluster's figures, not which tied one.
            prop_assert_eq!(a.observed, b.observed);
            prop_assert!((a.expected - b.expected).abs() < 1e-9 * a.expected.max(1.0));
            prop_assert!((a.llr - b.llr).abs() < 1e-9 * a.llr.max(1.0));
        }
    }
}
