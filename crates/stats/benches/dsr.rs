//! Directly standardised rates for many groups of 19 ESP2013 bands, as an indicator run over
//! every area and period would ask for. `scripts/bench-dsr-vs-r` runs this beside base R on the
//! same data (written to `target/bench-data/dsr-10000.csv` outside the timing).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use lantern_stats::{AgeBand, ESP2013, dsr};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Changing this changes the data, and so the figures: keep it fixed.
const SEED: u64 = 0x0d5_2013;

fn groups(n: usize) -> Vec<[AgeBand; 19]> {
    let mut rng = StdRng::seed_from_u64(SEED);
    (0..n)
        .map(|_| {
            std::array::from_fn(|b| AgeBand {
                count: f64::from(rng.random_range(0..40_u32)),
                population: f64::from(rng.random_range(500..20_000_u32)),
                weight: ESP2013[b],
                event_variance: None,
            })
        })
        .collect()
}

/// The same data as CSV for the R side; generating it is not part of what we measure.
fn write_for_r(data: &[[AgeBand; 19]]) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    let _ = std::fs::create_dir_all(&dir);
    let mut csv = String::from("group,band,count,population\n");
    for (g, bands) in data.iter().enumerate() {
        for (b, band) in bands.iter().enumerate() {
            csv.push_str(&format!("{g},{b},{},{}\n", band.count, band.population));
        }
    }
    let _ = std::fs::write(dir.join(format!("dsr-{}.csv", data.len())), csv);
    let total: f64 = data
        .iter()
        .filter_map(|g| dsr(g, 100_000.0, 0.95).ok()?.estimate)
        .map(|e| e.value)
        .sum();
    eprintln!(
        "checksum: sum of {} DSRs per 100,000 = {total:.6}",
        data.len()
    );
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("dsr");
    for n in [100, 10_000, 1_000_000] {
        let data = groups(n);
        if n == 10_000 {
            write_for_r(&data);
        }
        group.throughput(Throughput::Elements(n as u64));
        group.sample_size(if n >= 1_000_000 { 10 } else { 50 });
        group.bench_function(format!("{n} groups x 19 bands"), |b| {
            b.iter_batched(
                || (),
                |()| {
                    for g in &data {
                        black_box(dsr(black_box(g), 100_000.0, 0.95).ok());
                    }
                },
                BatchSize::SmallInput,
            );
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
