//! The Farrington flexible benchmark of issue 6: 1,000 weekly series of 5 years, each assessed
//! over its last 49 weeks (the first week with 4 years and 3 weeks of history on) with Noufaily
//! et al.'s settings (b 4, w 3, 10 seasonal periods, 26 recent weeks left out, weights threshold
//! 2.58, negative binomial plug-in bound). The series are synthetic, from a fixed seed:
//! seasonal Poisson counts with a level drawn per series and a few planted outbreaks. They are
//! written to `target/bench-data/farrington-1000.csv`, which `benches/farrington.R` runs through
//! R surveillance's `farringtonFlexible` with the same controls; both print the same checksum
//! (the number of alarms and the sum of the upper bounds).
//!
//! `scripts/bench-farrington-vs-r` runs both in one go.
#![allow(clippy::unwrap_used, reason = "a benchmark stops at the first error")]

use std::fmt::Write as _;
use std::time::Instant;

use lantern_stats::{Farrington, ThresholdMethod, farrington};
use rand::{Rng, SeedableRng, rngs::StdRng};

/// Changing this changes the data, and so the figures: keep it fixed.
const SEED: u64 = 0xFA_2013;

/// A Poisson draw by inversion (the means here are small).
fn poisson(rng: &mut StdRng, mean: f64) -> u32 {
    let mut k = 0;
    let mut p = (-mean).exp();
    let mut cdf = p;
    let u: f64 = rng.random_range(0.0..1.0);
    while u > cdf && k < 10_000 {
        k += 1;
        p *= mean / f64::from(k);
        cdf += p;
    }
    k
}

fn main() {
    let (series, weeks) = (1_000usize, 260usize);
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut data: Vec<Vec<f64>> = Vec::with_capacity(series);
    for _ in 0..series {
        let level: f64 = rng.random_range(0.5..20.0);
        let mut s: Vec<f64> = (0..weeks)
            .map(|t| {
                let season = 1.0 + 0.4 * (2.0 * std::f64::consts::PI * t as f64 / 52.0).sin();
                f64::from(poisson(&mut rng, level * season))
            })
            .collect();
        // An outbreak in one week in ten series.
        if rng.random_range(0..10) == 0 {
            let t = rng.random_range(212..weeks);
            s[t] += (3.0 * level).round();
        }
        data.push(s);
    }
    let mut csv = String::from("series,t,count\n");
    for (i, s) in data.iter().enumerate() {
        for (t, c) in s.iter().enumerate() {
            let _ = writeln!(csv, "{},{},{c}", i + 1, t + 1);
        }
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("farrington-1000.csv"), csv).unwrap();

    let control = Farrington {
        b: 4,
        w: 3,
        no_periods: 10,
        past_weeks_not_included: Some(26),
        weights_threshold: 2.58,
        threshold_method: ThresholdMethod::NbPlugin,
        ..Farrington::flexible()
    };
    let started = Instant::now();
    let results: Vec<_> = data
        .iter()
        .map(|s| farrington(s, None, 212..=weeks, &control).unwrap())
        .collect();
    let seconds = started.elapsed().as_secs_f64();
    let alarms = results.iter().flatten().filter(|d| d.alarm).count();
    let bounds: f64 = results.iter().flatten().filter_map(|d| d.upper_bound).sum();
    println!(
        "lantern-stats: {series} series x {weeks} weeks, range 212:{weeks}: {seconds:.3} s ({:.2} ms per series)",
        1000.0 * seconds / 1000.0
    );
    println!("checksum: {alarms} alarms, sum of upper bounds = {bounds:.6}");
}
