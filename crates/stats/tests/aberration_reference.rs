//! EARS C1, C2 and the CUSUM against R `surveillance` 1.20.3, run on the same series and
//! recorded in `../shared/refdata/stats/surveillance/peer_runs_surveillance_1.20.3/`: the same
//! alarms, and upper bounds within 1e-6. The other files there (EARS C3, Farrington and
//! Farrington flexible) are for methods not built yet.
#![allow(
    clippy::unwrap_used,
    reason = "a test should stop at the first unexpected error"
)]

use std::path::PathBuf;

use lantern_stats::{Cusum, Detection, Ears, cusum, ears};

fn refdata(rel: &str) -> PathBuf {
    std::env::var_os("LANTERN_REFDATA")
        .map_or_else(
            || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/refdata"),
            PathBuf::from,
        )
        .join("stats/surveillance")
        .join(rel)
}

/// A series' `observed` column.
fn series(file: &str) -> Vec<f64> {
    let mut r = csv::Reader::from_path(refdata(file)).unwrap();
    let h = r.headers().unwrap().clone();
    let col = h.iter().position(|c| c == "observed").unwrap();
    r.records()
        .map(|x| x.unwrap()[col].parse().unwrap())
        .collect()
}

/// A peer run: `(t, upperbound or None for NA, alarm)`.
fn peer(file: &str) -> Vec<(usize, Option<f64>, bool)> {
    let mut r =
        csv::Reader::from_path(refdata(&format!("peer_runs_surveillance_1.20.3/{file}"))).unwrap();
    let h = r.headers().unwrap().clone();
    let at = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (t, ub, alarm) = (at("t"), at("upperbound"), at("alarm"));
    r.records()
        .map(|x| {
            let x = x.unwrap();
            (
                x[t].parse().unwrap(),
                (x[ub] != *"NA").then(|| x[ub].parse().unwrap()),
                x[alarm] == *"1",
            )
        })
        .collect()
}

fn compare(file: &str, want: &[(usize, Option<f64>, bool)], got: &[Detection]) {
    assert_eq!(want.len(), got.len(), "{file}");
    for ((t, ub, alarm), d) in want.iter().zip(got) {
        assert_eq!(d.alarm, *alarm, "{file} t={t}");
        match (ub, d.upper_bound) {
            (Some(a), Some(b)) => assert!((a - b).abs() <= 1e-6, "{file} t={t}: {a} vs {b}"),
            (a, b) => assert_eq!(a.is_none(), b.is_none(), "{file} t={t}: {a:?} vs {b:?}"),
        }
    }
}

fn range(want: &[(usize, Option<f64>, bool)]) -> std::ops::RangeInclusive<usize> {
    want[0].0..=want[want.len() - 1].0
}

#[test]
fn ears_c1_and_c2_match_surveillance() {
    for (file, data, method, alpha) in [
        (
            "earsC_C1_alpha0.001_salmonella_agona.csv",
            "salmonella_agona_series.csv",
            Ears::C1,
            0.001,
        ),
        (
            "earsC_C2_alpha0.001_salmonella_agona.csv",
            "salmonella_agona_series.csv",
            Ears::C2,
            0.001,
        ),
        (
            "earsC_C1_alpha0.05_salmNewport2011.csv",
            "salmNewport_germany_series.csv",
            Ears::C1,
            0.05,
        ),
        (
            "earsC_C2_alpha0.05_salmNewport2011.csv",
            "salmNewport_germany_series.csv",
            Ears::C2,
            0.05,
        ),
    ] {
        let want = peer(file);
        let got = ears(&series(data), range(&want), method, 7, alpha, 0.0).unwrap();
        compare(file, &want, &got);
    }
}

#[test]
fn the_published_ears_values_hold() {
    // surveillance's tests/testthat/test-earsC.R: salmNewport Germany in 2011, C1, alpha 0.05.
    let got = ears(
        &series("salmNewport_germany_series.csv"),
        366..=417,
        Ears::C1,
        7,
        0.05,
        0.0,
    )
    .unwrap();
    let bounds: Vec<f64> = got[..4].iter().map(|d| d.upper_bound.unwrap()).collect();
    for (a, b) in bounds.iter().zip([3.278854, 3.278854, 3.436517, 3.855617]) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
}

#[test]
fn cusum_matches_surveillance() {
    let file = "cusum_standard_k1.04_h2.26_salmonella_agona.csv";
    let want = peer(file);
    let p = Cusum {
        k: 1.04,
        h: 2.26,
        m: None,
        reset: false,
    };
    let got = cusum(&series("salmonella_agona_series.csv"), range(&want), p).unwrap();
    compare(file, &want, &got);
}
