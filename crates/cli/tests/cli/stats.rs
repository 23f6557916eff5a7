//! `lantern stats crude|proportion|dsr` through the binary, against PHEindicatormethods' fixtures
//! (1e-9 relative), and its input errors.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use crate::helpers::{Run, refdata};

fn phe(file: &str) -> Vec<BTreeMap<String, String>> {
    let path: PathBuf = refdata().join("stats/PHEindicatormethods/csv").join(file);
    let t = lantern_core::import::read_table(&path).unwrap();
    t.rows
        .iter()
        .map(|(_, r)| {
            t.headers
                .iter()
                .cloned()
                .zip(r.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

fn num(r: &BTreeMap<String, String>, c: &str) -> Option<f64> {
    r.get(c)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().unwrap())
}

fn stats(args: &[&str]) -> Run {
    Run::from(
        Command::new(env!("CARGO_BIN_EXE_lantern"))
            .arg("stats")
            .args(args)
            .output()
            .unwrap(),
    )
}

fn json(run: &Run) -> Vec<serde_json::Value> {
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

#[track_caller]
fn close(got: &serde_json::Value, want: f64, what: &str) {
    let got = got.as_f64().unwrap_or_else(|| panic!("{what}: {got}"));
    assert!(
        (got - want).abs() <= 1e-9 * want.abs(),
        "{what}: got {got}, want {want}"
    );
}

/// Runs `kind` on the complete rows of a PHE rate or proportion fixture, for each multiplier and
/// both confidence levels, and compares every value and limit.
fn check_fixture(kind: &str, file: &str, denominator: &str) {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<_> = phe(file)
        .into_iter()
        .filter(|r| num(r, "Numerator").is_some() && num(r, "Denominator").is_some())
        .collect();
    let mut multipliers: Vec<f64> = rows.iter().map(|r| num(r, "multiplier").unwrap()).collect();
    multipliers.dedup();
    let mut checked = 0;
    for m in multipliers {
        let subset: Vec<_> = rows
            .iter()
            .filter(|r| num(r, "multiplier") == Some(m))
            .collect();
        let mut csv = format!("group,count,{denominator}\n");
        for (i, r) in subset.iter().enumerate() {
            csv.push_str(&format!(
                "{i}-{},{},{}\n",
                r["Area"], r["Numerator"], r["Denominator"]
            ));
        }
        let input = dir.path().join("in.csv");
        std::fs::write(&input, csv).unwrap();
        for (c, lo, hi) in [
            ("0.95", "lower95_0cl", "upper95_0cl"),
            ("0.998", "lower99_8cl", "upper99_8cl"),
        ] {
            let out = json(&stats(&[
                kind,
                "--input",
                input.to_str().unwrap(),
                "--multiplier",
                &m.to_string(),
                "--confidence",
                c,
            ]));
            assert_eq!(out.len(), subset.len());
            for (got, want) in out.iter().zip(&subset) {
                let what = format!("{file} {} x{m} {c}", want["Area"]);
                close(&got["value"], num(want, "value").unwrap(), &what);
                close(&got["lower"], num(want, lo).unwrap(), &what);
                close(&got["upper"], num(want, hi).unwrap(), &what);
                assert_eq!(
                    got["method"].as_str().unwrap(),
                    want["method"].to_lowercase().trim_end_matches('s'),
                    "{what}"
                );
                assert_eq!(got["suppressed"], false);
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "{file}: {checked}");
}

#[test]
fn crude_rates_and_proportions_from_files_match_phe() {
    check_fixture("crude", "testdata_Rate__testdata_Rate.csv", "population");
    check_fixture(
        "proportion",
        "testdata_Proportion__testdata_Prop.csv",
        "denominator",
    );
}

#[test]
fn dsrs_from_files_match_phe_and_withhold_small_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("group,age_band,count,population\n");
    let mut band = BTreeMap::<String, usize>::new();
    for r in phe("testdata_DSR_ISR__testdata_multiarea.csv") {
        // Labels by row order (the fixture has a typo, "55-69"); ONS-style labels for one area.
        let i = band.entry(r["area"].clone()).or_default();
        let label = lantern_stats::ESP2013_BANDS[*i];
        let label = if r["area"] == "testdata_small" && *i > 1 && *i < 18 {
            let lo = *i * 5;
            format!("{lo} to {}", lo + 4)
        } else {
            label.to_owned()
        };
        *i += 1;
        csv.push_str(&format!(
            "{},{label},{},{}\n",
            r["area"],
            if r["count"].is_empty() {
                "0"
            } else {
                &r["count"]
            },
            r["pop"]
        ));
    }
    let input = dir.path().join("dsr.csv");
    std::fs::write(&input, csv).unwrap();
    let expected = phe("testdata_DSR_ISR__testresults_DSR.csv");
    for (c, lo, hi) in [
        ("0.95", "lower95_0cl", "upper95_0cl"),
        ("0.998", "lower99_8cl", "upper99_8cl"),
    ] {
        let out = json(&stats(&[
            "dsr",
            "--input",
            input.to_str().unwrap(),
            "--confidence",
            c,
        ]));
        assert_eq!(out.len(), 3);
        for got in &out {
            let area = got["group"].as_str().unwrap();
            let want = expected
                .iter()
                .find(|r| r["area"] == area && r["statistic"] != "dsr per 10000")
                .unwrap();
            assert_eq!(got["count"].as_f64(), num(want, "total_count"));
            if area == "testdata_tiny" {
                assert_eq!(got["suppressed"], true);
                assert!(got["value"].is_null() && got["lower"].is_null() && got["upper"].is_null());
                assert!(got["note"].as_str().unwrap().contains("below 10"));
            } else {
                close(&got["value"], num(want, "value").unwrap(), area);
                close(&got["lower"], num(want, lo).unwrap(), area);
                close(&got["upper"], num(want, hi).unwrap(), area);
                assert_eq!(got["method"], "dobson");
            }
        }
    }
}

#[test]
fn a_dsr_with_a_standard_from_a_file_matches_phe() {
    let dir = tempfile::tempdir().unwrap();
    let rows = phe("testdata_DSR_ISR__testdata_1976.csv");
    let mut input = String::from("group,age_band,count,population\n");
    let mut standard = String::from("age_band,weight\n");
    for r in &rows {
        input.push_str(&format!(
            "esp1976,{},{},{}\n",
            r["Age Band"], r["count"], r["pop"]
        ));
        standard.push_str(&format!("{},{}\n", r["Age Band"], r["esp1976"]));
    }
    let (i, s) = (dir.path().join("in.csv"), dir.path().join("std.csv"));
    std::fs::write(&i, input).unwrap();
    std::fs::write(&s, standard).unwrap();
    let out = json(&stats(&[
        "dsr",
        "--input",
        i.to_str().unwrap(),
        "--standard",
        s.to_str().unwrap(),
    ]));
    let want = phe("testdata_DSR_ISR__testresults_DSR.csv")
        .into_iter()
        .find(|r| r["area"] == "testdata_1976" && r["statistic"] == "dsr per 100000")
        .unwrap();
    close(&out[0]["value"], num(&want, "value").unwrap(), "1976 value");
    close(
        &out[0]["lower"],
        num(&want, "lower95_0cl").unwrap(),
        "1976 lower",
    );
    close(
        &out[0]["upper"],
        num(&want, "upper95_0cl").unwrap(),
        "1976 upper",
    );
}

#[test]
fn bad_stats_input_is_reported_by_line_and_column_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let missing = write("m.csv", "group,count\nA,1\n");
    let run = stats(&["crude", "--input", &missing]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(&format!(
            "{missing}:1: population: the required column population is missing"
        )),
        "{}",
        run.stderr
    );

    let bad = write("b.csv", "group,count,population\nA,-1,100\nB,5,0\nC,x,10\n");
    let run = stats(&["crude", "--input", &bad]);
    assert_eq!(run.code, 1);
    for e in [
        ":2: count: -1 is negative",
        ":3: population: is 0 but count is 5",
        ":4: count: 'x' is not a number",
    ] {
        assert!(
            run.stderr.contains(&format!("{bad}{e}")),
            "{e}\n{}",
            run.stderr
        );
    }
    assert!(run.stdout.is_empty(), "no partial output");

    let dsr = write(
        "d.csv",
        "group,age_band,count,population\nA,10-15,1,100\nA,20-24,3,0\nA,20 to 24,1,10\n",
    );
    let run = stats(&["dsr", "--input", &dsr]);
    assert_eq!(run.code, 1);
    for e in [
        ":2: age_band: '10-15' is not a band",
        ":3: population: is 0 but count is 3",
    ] {
        assert!(
            run.stderr.contains(&format!("{dsr}{e}")),
            "{e}\n{}",
            run.stderr
        );
    }
    let over = write("p.csv", "group,count,denominator\nA,11,10\n");
    let run = stats(&["proportion", "--input", &over]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains(":2: count: group A: the count is larger than the denominator"),
        "{}",
        run.stderr
    );
}

/// A surveillance series as `period,count` in a temp file; the period is the week's start date
/// where the series has one, else its number.
fn series_file(dir: &tempfile::TempDir, name: &str) -> String {
    let src = refdata().join("stats/surveillance").join(name);
    let t = lantern_core::import::read_table(&src).unwrap();
    let col = t.column("observed").unwrap();
    let date = t.column("week_start");
    let mut text = String::from("period,count\n");
    for (i, (_, r)) in t.rows.iter().enumerate() {
        let period = date.map_or_else(|| (i + 1).to_string(), |d| r[d].to_string());
        text.push_str(&format!("{period},{}\n", &r[col]));
    }
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn detect_reproduces_surveillance_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let agona = series_file(&dir, "salmonella_agona_series.csv");
    let newport = series_file(&dir, "salmNewport_germany_series.csv");
    let farrington = ["--b", "4", "--w", "3"];
    let original = [
        "--no-periods",
        "1",
        "--weights-threshold",
        "1",
        "--past-weeks-not-included",
        "3",
        "--p-threshold-trend",
        "0.05",
    ];
    let noufaily = [
        "--no-periods",
        "10",
        "--weights-threshold",
        "2.58",
        "--past-weeks-not-included",
        "26",
        "--p-threshold-trend",
        "1",
    ];
    let cases: Vec<(&str, &str, Vec<&str>, &str)> = vec![
        (
            &agona,
            "282:312",
            vec!["--method", "ears-c1"],
            "earsC_C1_alpha0.001_salmonella_agona.csv",
        ),
        (
            &agona,
            "282:312",
            vec!["--method", "ears-c2"],
            "earsC_C2_alpha0.001_salmonella_agona.csv",
        ),
        (
            &agona,
            "282:312",
            vec!["--method", "ears-c3"],
            "earsC_C3_alpha0.001_salmonella_agona.csv",
        ),
        (
            &newport,
            "366:417",
            vec!["--method", "ears-c1", "--alpha", "0.05"],
            "earsC_C1_alpha0.05_salmNewport2011.csv",
        ),
        (
            &newport,
            "366:417",
            vec!["--method", "ears-c2", "--alpha", "0.05"],
            "earsC_C2_alpha0.05_salmNewport2011.csv",
        ),
        (
            &newport,
            "366:417",
            vec!["--method", "ears-c3", "--alpha", "0.05"],
            "earsC_C3_alpha0.05_salmNewport2011.csv",
        ),
        (
            &agona,
            "282:312",
            vec!["--method", "cusum", "--k", "1.04", "--h", "2.26"],
            "cusum_standard_k1.04_h2.26_salmonella_agona.csv",
        ),
        (
            &agona,
            "282:312",
            [
                &["--method", "farrington", "--alpha", "0.1"][..],
                &farrington,
            ]
            .concat(),
            "farrington_classic_b4w3_alpha0.1_salmonella_agona.csv",
        ),
        (
            &agona,
            "282:312",
            [
                &["--method", "farrington-flexible", "--alpha", "0.1"][..],
                &farrington,
                &original,
            ]
            .concat(),
            "farringtonFlexible_ctrl1_salmonella_agona.csv",
        ),
        (
            &agona,
            "282:312",
            [
                &["--method", "farrington-flexible", "--alpha", "0.1"][..],
                &farrington,
                &noufaily,
            ]
            .concat(),
            "farringtonFlexible_ctrl2_salmonella_agona.csv",
        ),
        (
            &newport,
            "366:417",
            [
                &["--method", "farrington-flexible"][..],
                &farrington,
                &original,
            ]
            .concat(),
            "farrington_orig_b4w3_noPeriods1_salmNewport2011.csv",
        ),
        (
            &newport,
            "366:417",
            [
                &[
                    "--method",
                    "farrington-flexible",
                    "--threshold-method",
                    "nbPlugin",
                ][..],
                &farrington,
                &noufaily,
            ]
            .concat(),
            "farrington_noufaily_nbPlugin_b4w3_noPeriods10_salmNewport2011.csv",
        ),
        (
            &newport,
            "366:417",
            [
                &[
                    "--method",
                    "farrington-flexible",
                    "--threshold-method",
                    "muan",
                ][..],
                &farrington,
                &noufaily,
            ]
            .concat(),
            "farrington_noufaily_muan_b4w3_noPeriods10_salmNewport2011.csv",
        ),
    ];
    let mut nulls = 0;
    for (input, range, args, peer) in &cases {
        let mut all = vec!["detect", "--input", input, "--range", range];
        all.extend(args);
        let run = stats(&all);
        let got: serde_json::Value = serde_json::from_str(&run.ok().stdout).unwrap();
        let want = lantern_core::import::read_table(
            &refdata()
                .join("stats/surveillance/peer_runs_surveillance_1.20.3")
                .join(peer),
        )
        .unwrap();
        let got = got.as_array().unwrap();
        assert_eq!(got.len(), want.rows.len(), "{peer}");
        let period = want
            .column("week_start")
            .unwrap_or_else(|| want.column("t").unwrap());
        let (ub, alarm) = (
            want.column("upperbound").unwrap(),
            want.column("alarm").unwrap(),
        );
        for (g, (_, w)) in got.iter().zip(&want.rows) {
            assert_eq!(g["period"], w[period], "{peer}");
            assert_eq!(g["alarm"], w[alarm] == *"1", "{peer} {}", &w[period]);
            if w[ub] == *"NA" {
                assert!(g["upper_bound"].is_null(), "{peer} {}", &w[period]);
                nulls += 1;
                continue;
            }
            let expected: f64 = w[ub].parse().unwrap();
            assert!(
                (g["upper_bound"].as_f64().unwrap() - expected).abs() < 1e-6,
                "{peer} {}: {} vs {expected}",
                &w[period],
                g["upper_bound"]
            );
        }
    }
    assert_eq!(cases.len(), 13, "every peer run");
    assert_eq!(nulls, 30, "R's NA weeks");
}

#[test]
fn detect_chooses_a_method_by_history_and_guards_small_counts() {
    let dir = tempfile::tempdir().unwrap();
    let agona = series_file(&dir, "salmonella_agona_series.csv");
    let run = stats(&["detect", "--input", &agona, "--range", "282:312"]);
    let rows: serde_json::Value = serde_json::from_str(&run.ok().stdout).unwrap();
    assert_eq!(rows[0]["method"], "farrington-flexible");
    assert!(
        run.stderr.contains("chose farrington-flexible"),
        "{}",
        run.stderr
    );
    // Forty weeks: EARS; ten weeks: the CUSUM.
    let write = |name: &str, n: usize| {
        let text: String = std::iter::once("period,count\n".to_owned())
            .chain((1..=n).map(|i| format!("{i},{}\n", 2 + i % 3)))
            .collect();
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let forty = write("forty.csv", 40);
    let rows: serde_json::Value =
        serde_json::from_str(&stats(&["detect", "--input", &forty]).ok().stdout).unwrap();
    assert_eq!(rows[0]["method"], "ears-c1");
    assert_eq!(rows[0]["period"], "8");
    let ten = write("ten.csv", 10);
    let rows: serde_json::Value =
        serde_json::from_str(&stats(&["detect", "--input", &ten]).ok().stdout).unwrap();
    assert_eq!(rows[0]["method"], "cusum");
    // The guard: the alarms at 4 cases and more survive a minimum of 5 only where the count is 5
    // or more.
    let base = [
        "detect", "--input", &agona, "--range", "282:312", "--method", "ears-c1",
    ];
    let plain: serde_json::Value = serde_json::from_str(&stats(&base).ok().stdout).unwrap();
    let guarded: serde_json::Value = serde_json::from_str(
        &stats(&[&base[..], &["--min-count", "5"]].concat())
            .ok()
            .stdout,
    )
    .unwrap();
    let alarms = |v: &serde_json::Value| -> Vec<(i64, bool)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|r| (r["count"].as_i64().unwrap(), r["alarm"].as_bool().unwrap()))
            .collect()
    };
    let (plain, guarded) = (alarms(&plain), alarms(&guarded));
    assert!(
        plain.iter().any(|&(c, a)| a && c < 5),
        "the test needs a small alarm"
    );
    for ((c, a), (_, g)) in plain.iter().zip(&guarded) {
        assert_eq!(*g, *a && *c >= 5);
    }
}

#[test]
fn detect_refuses_bad_series() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let bad = write("bad.csv", "period,count\n1,2\n2,-1\n3,1.5\n");
    let run = stats(&["detect", "--method", "ears-c1", "--input", &bad]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("bad.csv:3: count: -1 is negative"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("bad.csv:4: count: 1.5 is not a whole number"),
        "{}",
        run.stderr
    );
    let empty = write("empty.csv", "period,count\n");
    let run = stats(&["detect", "--method", "cusum", "--input", &empty]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("the file has no rows"),
        "{}",
        run.stderr
    );
    let short = write("short.csv", "period,count\n1,1\n2,2\n3,1\n");
    let run = stats(&[
        "detect", "--method", "ears-c1", "--input", &short, "--range", "1:3",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("--range: the range starts at period 1"),
        "{}",
        run.stderr
    );
    let run = stats(&[
        "detect", "--method", "ears-c1", "--input", &short, "--range", "3:2",
    ]);
    assert_eq!(run.code, 2, "clap refuses a range that runs backwards");
}

#[test]
fn gistar_reproduces_esda_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let esda = refdata().join("stats/esda");
    let data = lantern_core::import::read_table(&esda.join("columbus_data.csv")).unwrap();
    let (poly, crime) = (
        data.column("POLYID").unwrap(),
        data.column("CRIME").unwrap(),
    );
    let mut input = String::from("id,value\n");
    for (_, r) in &data.rows {
        input.push_str(&format!("{},{}\n", &r[poly], &r[crime]));
    }
    // The edges are 0-based rows; the ids are POLYID (row + 1).
    let edges = lantern_core::import::read_table(&esda.join("columbus_queen_edges.csv")).unwrap();
    let mut weights = String::from("from,to\n");
    for (_, r) in &edges.rows {
        let (i, j): (usize, usize) = (r[0].parse().unwrap(), r[1].parse().unwrap());
        weights.push_str(&format!("{},{}\n", i + 1, j + 1));
    }
    let input_path = dir.path().join("columbus.csv");
    let weights_path = dir.path().join("queen.csv");
    std::fs::write(&input_path, input).unwrap();
    std::fs::write(&weights_path, weights).unwrap();
    let (i, w) = (
        input_path.display().to_string(),
        weights_path.display().to_string(),
    );
    let run = stats(&["gistar", "--input", &i, "--weights", &w]);
    let got: serde_json::Value = serde_json::from_str(&run.ok().stdout).unwrap();
    let peer = lantern_core::import::read_table(
        &esda.join("peer_runs_esda_2.9.0/columbus_gistar_localmoran.csv"),
    )
    .unwrap();
    let (id, z) = (
        peer.column("POLYID").unwrap(),
        peer.column("gistar_Z").unwrap(),
    );
    let got = got.as_array().unwrap();
    assert_eq!(got.len(), 49);
    for (g, (_, r)) in got.iter().zip(&peer.rows) {
        assert_eq!(g["id"], r[id]);
        let want: f64 = r[z].parse().unwrap();
        assert!((g["z"].as_f64().unwrap() - want).abs() < 1e-8, "{}", &r[id]);
        assert!(g["p"].as_f64().unwrap() > 0.0 && g.get("p_sim").is_none());
    }
    // Both directions listed once each give the same answer as pairs.
    let both = dir.path().join("both.csv");
    let text = std::fs::read_to_string(&weights_path).unwrap();
    let mut doubled = text.clone();
    for line in text.lines().skip(1) {
        let (a, b) = line.split_once(',').unwrap();
        doubled.push_str(&format!("{b},{a}\n"));
    }
    std::fs::write(&both, doubled).unwrap();
    let again = stats(&[
        "gistar",
        "--input",
        &i,
        "--weights",
        &both.display().to_string(),
    ]);
    assert_eq!(again.ok().stdout, run.stdout);
    // Permutations add p_sim, the same for the same seed.
    let perm = [
        "gistar",
        "--input",
        &i,
        "--weights",
        &w,
        "--permutations",
        "99",
        "--seed",
        "5",
    ];
    let a = stats(&perm).ok().stdout.clone();
    assert_eq!(a, stats(&perm).ok().stdout.clone());
    assert!(a.contains("p_sim"));
}

#[test]
fn gistar_refuses_bad_areas_and_weights() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let input = write("areas.csv", "id,value\nA,1\nB,x\nA,3\nC,-2\n");
    let weights = write(
        "w.csv",
        "from,to,weight\nA,B,1\nA,Z,1\nB,C,-1\nB,A,2\nC,C,1\n",
    );
    let run = stats(&["gistar", "--input", &input, "--weights", &weights]);
    assert_eq!(run.code, 1);
    for e in [
        "areas.csv:3: value: 'x' is not a number",
        "areas.csv:4: id: A is listed twice",
        "w.csv:3: to: unknown area 'Z'",
        "w.csv:4: weight: -1 is negative",
        "w.csv:5: weight: A-B is listed on line 2 with weight 1",
        "w.csv:6: to: an area cannot be its own neighbour",
    ] {
        assert!(run.stderr.contains(e), "{e}\n{}", run.stderr);
    }
    let few = write("few.csv", "id,value\nA,1\nB,2\n");
    let w2 = write("w2.csv", "from,to\nA,B\n");
    let run = stats(&["gistar", "--input", &few, "--weights", &w2]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("there are 2 areas; Gi needs at least 3"),
        "{}",
        run.stderr
    );
}

fn scan(args: &[&str]) -> Run {
    let mut all = vec!["scan"];
    all.extend_from_slice(args);
    stats(&all)
}

fn scan_json(run: &Run) -> serde_json::Value {
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).unwrap()
}

fn path(rel: &str) -> String {
    refdata().join("stats").join(rel).display().to_string()
}

/// The published SaTScan 9.6 result for New York at 10% (smerc's file), through the binary:
/// the most likely cluster's 26 tracts, 85 cases, 49.71 expected and LLR 11.577255.
#[test]
fn scan_reproduces_satscan_through_the_binary() {
    let ny = |threads: &str| {
        scan(&[
            "--model",
            "poisson",
            "--cases",
            &path("smerc/inputs/satscan_ny_cases.txt"),
            "--coordinates",
            &path("smerc/inputs/satscan_ny_coords.txt"),
            "--population",
            &path("smerc/inputs/satscan_ny_pop.txt"),
            "--coordinates-type",
            "cartesian",
            "--max-spatial-percent",
            "10",
            "--replications",
            "199",
            "--threads",
            threads,
        ])
    };
    let out = scan_json(&ny("1"));
    assert_eq!(out["model"], "poisson");
    assert_eq!(out["replications"], 199);
    let mlc = &out["clusters"][0];
    assert_eq!(mlc["rank"], 1);
    assert_eq!(mlc["observed"], 85);
    assert!((mlc["expected"].as_f64().unwrap() - 49.71).abs() < 0.005);
    assert!((mlc["llr"].as_f64().unwrap() - 11.577_255).abs() < 1e-6);
    assert_eq!(mlc["locations"].as_array().unwrap().len(), 26);
    assert_eq!(mlc["start"], serde_json::Value::Null);
    assert_eq!(mlc["recurrence_interval_days"], serde_json::Value::Null);
    assert!(mlc["p_value"].as_f64().unwrap() <= 0.01);
    let second = &out["clusters"][1];
    assert!((second["llr"].as_f64().unwrap() - 9.019_716).abs() < 1e-6);
    // The same seed gives the same answer on two threads.
    assert_eq!(scan_json(&ny("2")), out);
}

#[test]
fn a_prospective_permutation_scan_through_the_binary_gives_dates_and_recurrence() {
    let run = scan(&[
        "--model",
        "space-time-permutation",
        "--cases",
        &path("satscan/sample_data/NYCfever.cas"),
        "--coordinates",
        &path("satscan/sample_data/NYCfever.geo"),
        "--start",
        "2001/11/1",
        "--end",
        "2001-11-24",
        "--analysis",
        "prospective",
        "--max-radius",
        "3",
        "--max-temporal-days",
        "7",
    ]);
    let out = scan_json(&run);
    let mlc = &out["clusters"][0];
    assert_eq!(
        (mlc["start"].as_str(), mlc["end"].as_str()),
        (Some("2001-11-22"), Some("2001-11-24"))
    );
    assert!((mlc["llr"].as_f64().unwrap() - 3.845_418).abs() < 1e-6);
    let p = mlc["p_value"].as_f64().unwrap();
    let ri = mlc["recurrence_interval_days"].as_f64().unwrap();
    assert!((ri * p - 1.0).abs() < 1e-9);
    assert!(
        out["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["end"] == "2001-11-24")
    );
}

/// `--time-adjustment equal-periods`: two places whose population triples over two years, in
/// the same proportion. Person-time expects more cases in the second year; with equal periods,
/// each place-year expects a quarter of the 8 cases, so the ratio for 5 cases in A in 2020 can
/// be worked by hand: 5 ln(5/2) + 3 ln(3/6).
#[test]
fn equal_periods_give_every_year_the_same_expected_cases() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let geo = write("two.geo", "A 0 0\nB 10 0\n");
    let cases = write("two.cas", "A 5 2020\nA 1 2021\nB 1 2020\nB 1 2021\n");
    let pop = write(
        "two.pop",
        "A 2020 1000\nA 2021 3000\nB 2020 1000\nB 2021 3000\n",
    );
    // Yearly space-time Poisson scans of the two places.
    let yearly = |cases: &str, pop: &str, (start, end): (&str, &str), more: &[&str]| {
        let mut args = vec![
            "--model",
            "space-time-poisson",
            "--cases",
            cases,
            "--coordinates",
            &geo,
            "--population",
            pop,
            "--coordinates-type",
            "cartesian",
            "--start",
            start,
            "--end",
            end,
            "--time-aggregation-unit",
            "year",
        ];
        args.extend_from_slice(more);
        scan(&args)
    };
    let run = |adjustment: &str| {
        scan_json(&yearly(
            &cases,
            &pop,
            ("2020", "2021"),
            &[
                "--max-temporal-percent",
                "100",
                "--replications",
                "0",
                "--time-adjustment",
                adjustment,
            ],
        ))
    };
    let even = run("equal-periods");
    let mlc = &even["clusters"][0];
    assert_eq!(mlc["locations"], serde_json::json!(["A"]));
    assert_eq!(
        (&mlc["start"], &mlc["end"]),
        (
            &serde_json::json!("2020-01-01"),
            &serde_json::json!("2020-12-31")
        )
    );
    assert_eq!(mlc["observed"], 5);
    assert!(
        (mlc["expected"].as_f64().unwrap() - 2.0).abs() < 1e-9,
        "{mlc}"
    );
    let by_hand = 5.0 * (5.0_f64 / 2.0).ln() + 3.0 * (3.0_f64 / 6.0).ln();
    assert!(
        (mlc["llr"].as_f64().unwrap() - by_hand).abs() < 1e-9,
        "{mlc}"
    );
    // Person-time: the growing population expects fewer of the cases in 2020.
    let plain = run("none");
    let mlc = &plain["clusters"][0];
    assert_eq!(mlc["observed"], 5);
    assert!(mlc["expected"].as_f64().unwrap() < 1.9, "{mlc}");

    // A year in which nobody lived cannot expect its share of the cases.
    let pop = write(
        "empty-year.pop",
        "A 2018 0\nA 2019 0\nA 2020 0\nA 2021 1000\nB 2018 0\nB 2019 0\nB 2020 0\nB 2021 1000\n",
    );
    let cases = write("early.cas", "A 2 2019\nA 1 2021\nB 1 2021\n");
    let refused = yearly(
        &cases,
        &pop,
        ("2019", "2021"),
        &["--time-adjustment", "equal-periods"],
    );
    assert_eq!(refused.code, 1);
    assert!(
        refused
            .stderr
            .contains("early.cas:1: date: the period from 2019-01-01 has cases but no population"),
        "{}",
        refused.stderr
    );
}

#[test]
fn scan_refuses_bad_input_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let geo = write("a.geo", "A 51.5 -0.1\nB 51.6 -0.2\nC 51.7 -0.3\n");
    let cases = write(
        "a.cas",
        "A 1 2024/01/05\nZ 1 2024/01/06\nB -2 2024/01/07\nC 1 2025/03/01\nB 1.5 2024/01/08\n",
    );
    let run = scan(&[
        "--model",
        "space-time-permutation",
        "--cases",
        &cases,
        "--coordinates",
        &geo,
        "--start",
        "2024-01-01",
        "--end",
        "2024-12-31",
    ]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    for want in [
        "a.cas:2: location: unknown location 'Z'",
        "a.cas:3: count: -2 is negative",
        "a.cas:4: date: 2025-03-01 is outside the study period 2024-01-01 to 2024-12-31",
        "a.cas:5: count: 1.5 is not a whole number",
    ] {
        assert!(run.stderr.contains(want), "{want}\n{}", run.stderr);
    }
    let empty = write("empty.cas", "\n\n");
    let run = scan(&[
        "--model",
        "space-time-permutation",
        "--cases",
        &empty,
        "--coordinates",
        &geo,
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("empty.cas:1: count: the file has no cases"),
        "{}",
        run.stderr
    );
    let run = scan(&[
        "--model",
        "poisson",
        "--cases",
        &cases,
        "--coordinates",
        &geo,
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("needs a population file"),
        "{}",
        run.stderr
    );
    let pop = write("a.pop", "A 2024 100\nQ 2024 50\n");
    let spatial = write("s.cas", "A 3\nB 1\n");
    let run = scan(&[
        "--model",
        "poisson",
        "--cases",
        &spatial,
        "--coordinates",
        &geo,
        "--population",
        &pop,
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("a.pop:2: location: unknown location 'Q'"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("location B has cases but no population"),
        "{}",
        run.stderr
    );
}
