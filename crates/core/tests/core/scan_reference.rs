//! Scan statistics against the recorded output of SaTScan (9.6 and 10.3.2), smerc 1.8.4 and
//! scanstatistics 1.1.2 in `../shared/refdata/stats/`. For each run: the same clusters in the
//! same order (locations, observed, expected as printed), the same log likelihood ratio within
//! 1e-6, and p-values within Monte Carlo error: ±0.03 at 999 replications, as the refdata README
//! advises, or four standard errors of the difference where that is wider (mid-range p-values
//! vary more; our generator is not SaTScan's). The expected figures are read from the tools' own
//! result files, never copied here.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use lantern_core::scan_files::{MaxTemporal, ScanKind, ScanOptions, ScanReport, TimeUnit, scan};

fn refdata(rel: &str) -> PathBuf {
    crate::refdata::refdata().join("stats").join(rel)
}

/// One cluster as a SaTScan result file prints it.
#[derive(Debug, Default)]
struct Printed {
    locations: Vec<String>,
    observed: u64,
    expected: f64,
    llr: f64,
    p_value: f64,
    time_frame: Option<(String, String)>,
    recurrence_days: Option<f64>,
    /// The replications behind the printed p-value (fewer when SaTScan's sequential Monte
    /// Carlo stopped early).
    replications: f64,
}

/// The number printed first after the last `marker` in `text`.
fn number_after_last(text: &str, marker: &str) -> f64 {
    text.rsplit_once(marker)
        .unwrap()
        .1
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// The clusters of a SaTScan result file.
fn satscan_clusters(path: &Path) -> Vec<Printed> {
    let text = std::fs::read_to_string(path).unwrap();
    let replications = text
        .split_once("terminate the calculations after ")
        .and_then(|(_, rest)| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(999.0);
    let mut out: Vec<Printed> = Vec::new();
    let mut in_ids = false;
    for line in text.lines() {
        let value = line.split_once(": ").map(|(_, v)| v.trim());
        if let Some((head, ids)) = line.split_once(".Location IDs included.: ")
            && head.trim().parse::<usize>().is_ok()
        {
            out.push(Printed {
                locations: ids
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect(),
                replications,
                ..Printed::default()
            });
            in_ids = true;
            continue;
        }
        let Some(c) = out.last_mut() else { continue };
        if in_ids && line.starts_with("                   ") && !line.contains(':') {
            c.locations.extend(
                line.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty()),
            );
            continue;
        }
        in_ids = false;
        let key = line.trim_start();
        let v = value.unwrap_or_default();
        if key.starts_with("Number of cases.") {
            c.observed = v.parse().unwrap();
        } else if key.starts_with("Expected cases.") {
            c.expected = v.parse().unwrap();
        } else if key.starts_with("Log likelihood ratio") || key.starts_with("Test statistic") {
            c.llr = v.parse().unwrap();
        } else if key.starts_with("P-value") {
            c.p_value = v.parse().unwrap();
        } else if key.starts_with("Time frame") {
            let (a, b) = v.split_once(" to ").unwrap();
            c.time_frame = Some((iso(a), iso(b)));
        } else if key.starts_with("Recurrence interval") {
            let n: f64 = v.split_whitespace().next().unwrap().parse().unwrap();
            c.recurrence_days = Some(if v.contains("year") { n * 365.25 } else { n });
        } else if key.starts_with("_____") && !out.is_empty() && line.starts_with('_') {
            break;
        }
    }
    out
}

/// SaTScan's `2001/11/22` as `2001-11-22`.
fn iso(d: &str) -> String {
    let p: Vec<u32> = d.split('/').map(|x| x.parse().unwrap()).collect();
    format!("{:04}-{:02}-{:02}", p[0], p[1], p[2])
}

fn set(v: &[String]) -> BTreeSet<String> {
    v.iter().cloned().collect()
}

/// Four standard errors of the difference of two independent Monte Carlo p-values near `p`,
/// ours from 999 replications and the reference's from `replications`.
fn monte_carlo_error(p: f64, replications: f64) -> f64 {
    4.0 * (p * (1.0 - p) * (1.0 / 999.0 + 1.0 / replications)).sqrt()
}

/// Our clusters agree with the printed ones, in order. `p_tolerance` is the Monte Carlo error
/// allowed.
fn agree(ours: &ScanReport, printed: &[Printed], p_tolerance: f64) {
    agree_from(ours, 0, printed, p_tolerance);
}

/// As `agree`, from the `from`th cluster on (0-based) of both.
fn agree_from(ours: &ScanReport, from: usize, printed: &[Printed], p_tolerance: f64) {
    let printed = &printed[from..];
    assert!(
        ours.clusters.len() >= from + printed.len(),
        "we found {} clusters, the reference {}: {:#?}",
        ours.clusters.len(),
        printed.len(),
        ours.clusters
    );
    for (i, (a, b)) in ours.clusters[from..].iter().zip(printed).enumerate() {
        let i = i + from;
        assert_eq!(
            set(&a.locations),
            set(&b.locations),
            "cluster {} locations",
            i + 1
        );
        assert_eq!(a.observed, b.observed, "cluster {} observed", i + 1);
        assert!(
            (a.expected - b.expected).abs() <= 0.005 + 1e-9,
            "cluster {} expected {} vs {}",
            i + 1,
            a.expected,
            b.expected
        );
        assert!(
            (a.llr - b.llr).abs() < 1e-6,
            "cluster {} llr {} vs {}",
            i + 1,
            a.llr,
            b.llr
        );
        let p = a.p_value.unwrap();
        let tolerance = p_tolerance.max(monte_carlo_error(b.p_value, b.replications));
        assert!(
            (p - b.p_value).abs() <= tolerance,
            "cluster {} p {p} vs {}",
            i + 1,
            b.p_value
        );
        if let Some((s, e)) = &b.time_frame {
            assert_eq!(
                a.start.as_deref(),
                Some(s.as_str()),
                "cluster {} start",
                i + 1
            );
            assert_eq!(a.end.as_deref(), Some(e.as_str()), "cluster {} end", i + 1);
        }
    }
}

fn ny(percent: f64, lat_long: bool) -> ScanReport {
    scan(
        &refdata("smerc/inputs/satscan_ny_cases.txt"),
        &refdata("smerc/inputs/satscan_ny_coords.txt"),
        Some(&refdata("smerc/inputs/satscan_ny_pop.txt")),
        &ScanOptions {
            kind: ScanKind::Poisson,
            lat_long,
            max_spatial_percent: percent,
            seed: 2019,
            ..ScanOptions::default()
        },
    )
    .unwrap()
}

#[test]
fn new_york_10_percent_matches_satscan_9_6_and_10_3_2() {
    let ours = ny(10.0, false);
    assert_eq!((ours.locations, ours.cases), (281, 552));
    let published = satscan_clusters(&refdata(
        "smerc/satscan_outputs_published/satscan_ny_out.txt",
    ));
    assert_eq!(published.len(), 7);
    agree(&ours, &published, 0.03);
    for file in [
        "ny_poisson_ubpop10_pvstd.txt",
        "ny_poisson_ubpop10_default.txt",
    ] {
        let printed = satscan_clusters(&refdata(&format!(
            "satscan/peer_runs_satscan_10.3.2/{file}"
        )));
        assert_eq!(printed.len(), 7, "{file}");
        agree(&ours, &printed, 0.03);
    }
}

#[test]
fn new_york_50_percent_matches_satscan() {
    let ours = ny(50.0, false);
    for file in [
        "smerc/satscan_outputs_published/ny.txt",
        "satscan/peer_runs_satscan_10.3.2/ny_poisson_ubpop50_pvstd.txt",
    ] {
        let printed = satscan_clusters(&refdata(file));
        assert!(printed.len() >= 6, "{file}");
        // ny.txt reports a Gumbel p-value for the first cluster; the Monte Carlo one is 0.001.
        agree_from(&ours, 1, &printed, 0.03);
        let first = &printed[0];
        assert_eq!(set(&ours.clusters[0].locations), set(&first.locations));
        assert!((ours.clusters[0].llr - first.llr).abs() < 1e-6);
        assert_eq!(ours.clusters[0].p_value, Some(0.001));
    }
}

#[test]
fn new_york_on_the_sphere_matches_satscan() {
    let ours = ny(50.0, true);
    let printed = satscan_clusters(&refdata(
        "smerc/satscan_outputs_published/scan_test_ny_poisson_circular_longlat.txt",
    ));
    assert_eq!(printed.len(), 6);
    agree_from(&ours, 1, &printed, 0.03);
    assert_eq!(set(&ours.clusters[0].locations), set(&printed[0].locations));
    assert!((ours.clusters[0].llr - printed[0].llr).abs() < 1e-6);
}

#[test]
fn new_york_city_fever_prospective_space_time_permutation_matches_satscan() {
    let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let ours = scan(
        &refdata("satscan/sample_data/NYCfever.cas"),
        &refdata("satscan/sample_data/NYCfever.geo"),
        None,
        &ScanOptions {
            kind: ScanKind::SpaceTimePermutation,
            start: Some(date("2001-11-01")),
            end: Some(date("2001-11-24")),
            prospective: true,
            max_radius: Some(3.0),
            max_temporal: MaxTemporal::Days(7),
            unit: TimeUnit::Day,
            seed: 7,
            ..ScanOptions::default()
        },
    )
    .unwrap();
    assert_eq!((ours.locations, ours.cases), (192, 194));
    let printed = satscan_clusters(&refdata(
        "satscan/peer_runs_satscan_10.3.2/NYCfever_stp_pvstd.txt",
    ));
    assert_eq!(printed.len(), 4);
    agree(&ours, &printed, 0.04);
    // SaTScan's default reporting: its sequential Monte Carlo stopped after 207 replications,
    // and it lists the clusters it got that far with.
    let sequential = satscan_clusters(&refdata(
        "satscan/peer_runs_satscan_10.3.2/NYCfever_stp_default_pvalue.txt",
    ));
    assert_eq!((sequential.len(), sequential[0].replications), (3, 207.0));
    agree(&ours, &sequential, 0.04);
    // The recurrence interval is 1/p days; SaTScan prints it rounded.
    let ri = ours.clusters[0].recurrence_interval_days.unwrap();
    assert!((ri - 1.0 / ours.clusters[0].p_value.unwrap()).abs() < 1e-9);
    assert!(
        (ri - printed[0].recurrence_days.unwrap()).abs() <= 1.0,
        "{ri}"
    );
}

#[test]
fn new_mexico_space_time_poisson_with_covariates_matches_satscan() {
    let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let ours = scan(
        &refdata("satscan/sample_data/nm.cas"),
        &refdata("satscan/sample_data/nm.geo"),
        Some(&refdata("satscan/sample_data/nm.pop")),
        &ScanOptions {
            kind: ScanKind::SpaceTimePoisson,
            start: Some(date("1973-01-01")),
            end: Some(date("1991-12-31")),
            unit: TimeUnit::Year,
            seed: 11,
            ..ScanOptions::default()
        },
    )
    .unwrap();
    assert_eq!((ours.locations, ours.cases, ours.periods), (32, 1175, 19));
    for file in ["nm_stpoisson_pvstd.txt", "nm_stpoisson_default_pvalue.txt"] {
        let printed = satscan_clusters(&refdata(&format!(
            "satscan/peer_runs_satscan_10.3.2/{file}"
        )));
        assert_eq!(printed.len(), 3, "{file}");
        agree(&ours, &printed, 0.03);
    }
}

/// The synthetic benchmark's CSV written as SaTScan files.
fn benchmark_files(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let mut r = csv::Reader::from_path(refdata("benchmark_synthetic/bench_n2000.csv")).unwrap();
    let paths = (dir.join("b.cas"), dir.join("b.geo"), dir.join("b.pop"));
    let mut cas = std::fs::File::create(&paths.0).unwrap();
    let mut geo = std::fs::File::create(&paths.1).unwrap();
    let mut pop = std::fs::File::create(&paths.2).unwrap();
    for row in r.records() {
        let row = row.unwrap();
        writeln!(cas, "{} {}", &row[0], &row[4]).unwrap();
        writeln!(geo, "{} {} {}", &row[0], &row[1], &row[2]).unwrap();
        writeln!(pop, "{} 2000 {}", &row[0], &row[3]).unwrap();
    }
    paths
}

#[test]
fn synthetic_2000_locations_match_satscan_and_smerc() {
    let dir = tempfile::tempdir().unwrap();
    let (cas, geo, pop) = benchmark_files(dir.path());
    let ours = scan(
        &cas,
        &geo,
        Some(&pop),
        &ScanOptions {
            kind: ScanKind::Poisson,
            lat_long: false,
            max_spatial_percent: 10.0,
            seed: 42,
            ..ScanOptions::default()
        },
    )
    .unwrap();
    let printed = satscan_clusters(&refdata("benchmark_synthetic/b_satscan.txt"));
    assert_eq!(printed[0].locations.len(), 16);
    agree(&ours, &printed, 0.04);
}

/// scanstatistics 1.1.2's population-based Poisson scan (Kulldorff's statistic) on New Mexico,
/// 1986-1989, as its vignette sets it up: zones of the 1 to 15 nearest county seats (great-circle
/// distances; Cibola, created in 1981, is not in the counts), clusters of 1 to 4 years ending in
/// 1989, expected counts from population. The peer run's most likely cluster is 15 counties over
/// 4 years with score 7.464043 and Monte Carlo p 0.02.
///
/// scanstatistics' expected counts give every year the same share of the cases (317 / 4), split
/// between the counties by that year's population (its `estimate_baselines`), where Kulldorff
/// and SaTScan use person-time (rate 317 / 5,973,681 person-years). With that baseline
/// (`equal_period_baseline`, `--time-adjustment equal-periods` on the command line) we find the
/// same cluster, expected 193.118 and the same score to 1e-6; with person-time, the same
/// cluster with expected 193.131 and score 7.458143, Kulldorff's ratio worked by hand.
#[test]
fn new_mexico_population_based_poisson_matches_scanstatistics() {
    let out = std::fs::read_to_string(refdata(
        "scanstatistics/peer_runs_scanstatistics_1.1.2/nm_scan.out",
    ))
    .unwrap();
    let pb = out.split("scan_pb_poisson").next().unwrap_or_default();
    let pb_log = out.split_once("population-based").unwrap().1;
    let want_score = number_after_last(&out, "score ");
    let want_counties: BTreeSet<String> = out
        .rsplit_once("MLC counties: ")
        .unwrap()
        .1
        .split(';')
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    let want_p = number_after_last(pb_log, "Monte Carlo P-value:");
    assert!(pb.contains("expectation-based"));
    assert_eq!(want_counties.len(), 15);

    let mut geo = csv::Reader::from_path(refdata("scanstatistics/NM_geo.csv")).unwrap();
    let seats: std::collections::HashMap<String, (f64, f64)> = geo
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].to_owned(),
                (r[3].parse().unwrap(), r[4].parse().unwrap()),
            )
        })
        .collect();
    let mut popcas = csv::Reader::from_path(refdata("scanstatistics/NM_popcas.csv")).unwrap();
    let rows: Vec<(i32, String, f64, u32)> = popcas
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[0].parse().unwrap(),
                r[1].to_owned(),
                r[2].parse().unwrap(),
                r[3].parse().unwrap(),
            )
        })
        .filter(|r: &(i32, String, f64, u32)| (1986..=1989).contains(&r.0))
        .collect();
    let counties: Vec<String> = rows
        .iter()
        .map(|r| r.1.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(counties.len(), 32);
    let periods = 4;
    let mut cases = vec![0u32; counties.len() * periods];
    let mut baseline = vec![0.0; counties.len() * periods];
    for (year, county, population, count) in &rows {
        let i = counties.iter().position(|c| c == county).unwrap();
        let t = usize::try_from(year - 1986).unwrap();
        cases[i * periods + t] = *count;
        baseline[i * periods + t] = *population;
    }
    let mut data = lantern_stats::ScanData {
        coordinates: counties.iter().map(|c| seats[c]).collect(),
        lat_long: true,
        periods,
        cases,
        baseline: lantern_stats::equal_period_baseline(&baseline, periods),
        population: Vec::new(),
    };
    let settings = lantern_stats::ScanSettings {
        max_share: 1.0,
        max_locations: Some(15),
        max_duration: 4,
        prospective: true,
        min_cases: 1,
        seed: 1,
        ..lantern_stats::ScanSettings::default()
    };
    let r = lantern_stats::scan(&data, lantern_stats::ScanModel::Poisson, &settings).unwrap();
    let mlc = &r.clusters[0];
    let got: BTreeSet<String> = mlc.locations.iter().map(|&i| counties[i].clone()).collect();
    assert_eq!(got, want_counties);
    assert_eq!((mlc.start, mlc.end), (0, 3), "4 years ending in 1989");
    assert_eq!(mlc.observed, 226);
    assert!(
        (mlc.llr - want_score).abs() < 1e-6,
        "{} vs {want_score}",
        mlc.llr
    );
    assert!((mlc.expected - 193.118).abs() < 5e-4, "{}", mlc.expected);

    // Kulldorff's person-time baseline: the same cluster, and the ratio worked by hand from the
    // CSV's own totals (226 cases of 317; 3,639,451 of 5,973,681 person-years).
    data.baseline = baseline;
    let person_time =
        lantern_stats::scan(&data, lantern_stats::ScanModel::Poisson, &settings).unwrap();
    let (c, total) = (226.0_f64, 317.0_f64);
    let mu = 3_639_451.0 * total / 5_973_681.0;
    let by_hand = c * (c / mu).ln() + (total - c) * ((total - c) / (total - mu)).ln();
    let pt = &person_time.clusters[0];
    assert_eq!(pt.locations.len(), 15);
    assert!((pt.llr - by_hand).abs() < 1e-9, "{} vs {by_hand}", pt.llr);
    let p = mlc.p_value.unwrap();
    assert!(
        (p - want_p).abs() <= 0.03_f64.max(monte_carlo_error(want_p, 999.0)),
        "{p}"
    );
}
