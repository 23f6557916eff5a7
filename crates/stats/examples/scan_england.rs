//! The England-scale benchmark of issue 6: a prospective space-time permutation scan over 7,000
//! locations, three years of daily data and 20,000 cases, windows up to 10% of the cases and 30
//! days, 999 replications, timed on 1 thread and on every core. The data are synthetic (made
//! here from a fixed seed): locations scattered over a 600 km square, each with a population
//! drawn from a skewed distribution, and cases placed in proportion to population on uniform
//! days, with a small planted cluster in the last fortnight.
//!
//! `cargo run --release -p lantern-stats --example scan_england [REPLICATIONS]`
#![allow(clippy::unwrap_used, reason = "a benchmark stops at the first error")]

use std::time::Instant;

use lantern_stats::{ScanData, ScanModel, ScanSettings, scan};
use rand::{Rng, SeedableRng, rngs::StdRng};

fn main() {
    let replications: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(999);
    let (n, days, cases) = (7_000usize, 3 * 365usize, 20_000usize);
    let mut rng = StdRng::seed_from_u64(2026);
    let coordinates: Vec<(f64, f64)> = (0..n)
        .map(|_| (rng.random_range(0.0..600.0), rng.random_range(0.0..600.0)))
        .collect();
    let weight: Vec<f64> = (0..n)
        .map(|_| (rng.random_range(0.0f64..1.0) * 3.0).exp())
        .collect();
    let cumulative: Vec<f64> = weight
        .iter()
        .scan(0.0, |a, w| {
            *a += w;
            Some(*a)
        })
        .collect();
    let total = cumulative[n - 1];
    let mut counts = vec![0u32; n * days];
    for _ in 0..cases {
        let u = rng.random_range(0.0..total);
        let loc = cumulative.partition_point(|&c| c <= u).min(n - 1);
        let day = rng.random_range(0..days);
        counts[loc * days + day] += 1;
    }
    // A planted cluster: 8 extra cases at location 0 and its nearest place in the last 14 days.
    for k in 0..8 {
        counts[days - 1 - k] += 1;
    }
    let data = ScanData {
        coordinates,
        lat_long: false,
        periods: days,
        cases: counts,
        baseline: Vec::new(),
        population: Vec::new(),
    };
    let settings = ScanSettings {
        max_share: 0.1,
        max_duration: 30,
        prospective: true,
        replications,
        seed: 1,
        ..ScanSettings::default()
    };
    let mut results = Vec::new();
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let started = Instant::now();
        let r = pool.install(|| scan(&data, ScanModel::Permutation, &settings).unwrap());
        let seconds = started.elapsed().as_secs_f64();
        let mlc = &r.clusters[0];
        println!(
            "{threads} thread(s): {seconds:.2} s; most likely cluster: {} locations, {} cases, {:.2} expected, LLR {:.6}, p {:?}",
            mlc.locations.len(),
            mlc.observed,
            mlc.expected,
            mlc.llr,
            mlc.p_value
        );
        results.push((seconds, r));
    }
    assert_eq!(
        results[0].1, results[1].1,
        "the result depends on the threads"
    );
    println!(
        "speed-up from 1 to 2 threads: {:.2}x (the same result on both)",
        results[0].0 / results[1].0
    );
}
