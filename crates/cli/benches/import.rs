//! Import throughput: `lantern import self-harm` of generated rows into SQLite, beside the
//! `sqlite3` shell's own `.import` of the same CSV into a plain table, in one run; and the same
//! import into PostgreSQL when `TEST_POSTGRES_URL` is set.
//!
//! `cargo bench -p lantern --bench import` (rows: `LANTERN_BENCH_ROWS`, default 1,000,000).
//! Generating the file is not part of what we measure.

use std::io::Write as _;
use std::process::Command;

mod support;
use support::{Rng, lantern, time};

/// Changing this changes the file, and so the figures: keep it fixed.
const SEED: u64 = 0x1a17_e5e5;
const AREAS: u64 = 240;

fn generate(path: &std::path::Path, rows: u64) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create csv"));
    writeln!(out, "source,source_ref,presented_at,setting,person_key,age,sex,residence_area,presentation_type,intent,methods,ethnicity,alcohol,prior_self_harm").expect("write");
    let mut rng = Rng(SEED);
    let settings = ["ed", "ed", "ed", "ambulance", "miu", "utc"];
    let types = [
        ("self_poisoning", "drug_overdose"),
        ("self_injury", "cutting"),
        ("both", "drug_overdose;cutting"),
    ];
    let sexes = ["female", "male"];
    for i in 0..rows {
        let person = rng.below(rows / 2 + 1);
        let key = format!(
            "{:016x}{:016x}{:016x}{:016x}",
            person,
            person ^ SEED,
            person.wrapping_mul(31),
            !person
        );
        let (kind, methods) = types[rng.below(3) as usize];
        writeln!(
            out,
            "ed{},{i},20{:02}-{:02}-{:02}T{:02}:{:02}:00Z,{},{key},{},{},X01{:06},{kind},self_harm,{methods},D1,{},no",
            rng.below(3),
            20 + rng.below(5),
            1 + rng.below(12),
            1 + rng.below(28),
            rng.below(24),
            rng.below(60),
            settings[rng.below(6) as usize],
            10 + rng.below(80),
            sexes[rng.below(2) as usize],
            1 + rng.below(AREAS),
            if rng.below(3) == 0 { "yes" } else { "no" },
        )
        .expect("write");
    }
    out.flush().expect("flush");
}

fn main() {
    if std::env::args().any(|a| a == "--list" || a == "--test") {
        return; // `cargo test --benches` and `--list` ask nothing of a harness-free bench
    }
    let rows: u64 = std::env::var("LANTERN_BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = dir.path().join("self-harm.csv");
    let areas = dir.path().join("areas.csv");
    let mut a = String::from("code,name,level\n");
    for n in 1..=AREAS {
        a.push_str(&format!("X01{n:06},Area {n},lsoa\n"));
    }
    std::fs::write(&areas, a).expect("areas");
    eprintln!("generating {rows} rows…");
    generate(&csv, rows);
    let size = std::fs::metadata(&csv).map(|m| m.len()).unwrap_or(0);
    let (csv_s, areas_s) = (
        csv.to_str().expect("utf-8 path"),
        areas.to_str().expect("utf-8 path"),
    );

    let sqlite_url = format!("sqlite://{}/lantern.db", dir.path().display());
    time(
        "areas",
        &mut lantern(&sqlite_url, &["import", "areas", areas_s]),
    );
    let ours = time(
        "lantern import",
        &mut lantern(&sqlite_url, &["import", "self-harm", csv_s, "--json"]),
    );
    let plain = dir.path().join("plain.db");
    let shell = time(
        "sqlite3 .import",
        Command::new("sqlite3")
            .arg(&plain)
            .arg(format!(".import --csv {csv_s} presentations")),
    );
    let ratio = ours.as_secs_f64() / shell.as_secs_f64();
    println!("rows: {rows} ({:.0} MB CSV)", size as f64 / 1e6);
    println!(
        "lantern import self-harm -> SQLite: {:.2} s ({:.0} rows/s)",
        ours.as_secs_f64(),
        rows as f64 / ours.as_secs_f64()
    );
    println!(
        "sqlite3 .import (plain table):      {:.2} s ({:.0} rows/s)",
        shell.as_secs_f64(),
        rows as f64 / shell.as_secs_f64()
    );
    println!("ratio: {ratio:.2}x (target: within 3x)");
    let again = time(
        "re-import",
        &mut lantern(&sqlite_url, &["import", "self-harm", csv_s, "--json"]),
    );
    println!(
        "re-import, all unchanged -> SQLite: {:.2} s",
        again.as_secs_f64()
    );

    if let Ok(base) = std::env::var("TEST_POSTGRES_URL") {
        let name = format!("lantern_bench_{}", std::process::id());
        let psql = |sql: &str| {
            let ok = Command::new("psql")
                .args([base.as_str(), "-q", "-c", sql])
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "psql: {sql}");
        };
        psql(&format!("CREATE DATABASE {name}"));
        let url = format!(
            "{}/{name}",
            base.rsplit_once('/').map_or(base.as_str(), |(p, _)| p)
        );
        time("areas", &mut lantern(&url, &["import", "areas", areas_s]));
        let pg = time(
            "lantern import (postgres)",
            &mut lantern(&url, &["import", "self-harm", csv_s, "--json"]),
        );
        println!(
            "lantern import self-harm -> PostgreSQL: {:.2} s ({:.0} rows/s)",
            pg.as_secs_f64(),
            rows as f64 / pg.as_secs_f64()
        );
        psql(&format!("DROP DATABASE {name} WITH (FORCE)"));
    } else {
        println!("PostgreSQL: skipped (set TEST_POSTGRES_URL)");
    }
}
