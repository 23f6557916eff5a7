//! EARS C1, C2, C3, the CUSUM, Farrington and Farrington flexible against R `surveillance`
//! 1.20.3, run on the same series and recorded in
//! `../shared/refdata/stats/surveillance/peer_runs_surveillance_1.20.3/`: every file there, with
//! the same alarms, upper bounds within 1e-6, and no bound where R gives NA.

use std::path::PathBuf;

use lantern_stats::{Cusum, Detection, Ears, Farrington, ThresholdMethod, cusum, ears, farrington};

fn refdata(rel: &str) -> PathBuf {
    crate::refdata::refdata()
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

/// A series' `week_start` column as days since 1970-01-01.
fn week_starts(file: &str) -> Vec<i64> {
    let mut r = csv::Reader::from_path(refdata(file)).unwrap();
    let h = r.headers().unwrap().clone();
    let col = h.iter().position(|c| c == "week_start").unwrap();
    r.records().map(|x| days(&x.unwrap()[col])).collect()
}

/// Days since 1970-01-01 of `YYYY-MM-DD` (Hinnant's `days_from_civil`).
fn days(s: &str) -> i64 {
    let p: Vec<i64> = s.split('-').map(|x| x.parse().unwrap()).collect();
    let (y, m, d) = (p[0], p[1], p[2]);
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
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
fn ears_matches_surveillance() {
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
            "earsC_C3_alpha0.001_salmonella_agona.csv",
            "salmonella_agona_series.csv",
            Ears::C3,
            0.001,
        ),
        (
            "earsC_C3_alpha0.05_salmNewport2011.csv",
            "salmNewport_germany_series.csv",
            Ears::C3,
            0.05,
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

fn flexible(b: usize, w: usize, alpha: f64) -> Farrington {
    Farrington {
        b,
        w,
        alpha,
        ..Farrington::flexible()
    }
}

#[test]
fn farrington_matches_surveillance() {
    let agona = "salmonella_agona_series.csv";
    let newport = "salmNewport_germany_series.csv";
    let classic = Farrington {
        b: 4,
        w: 3,
        alpha: 0.1,
        ..Farrington::classic()
    };
    // ?farringtonFlexible's control1 and control2.
    let control1 = Farrington {
        no_periods: 1,
        weights_threshold: 1.0,
        past_weeks_not_included: Some(3),
        p_threshold_trend: 0.05,
        ..flexible(4, 3, 0.1)
    };
    let control2 = Farrington {
        no_periods: 10,
        weights_threshold: 2.58,
        past_weeks_not_included: Some(26),
        p_threshold_trend: 1.0,
        ..flexible(4, 3, 0.1)
    };
    let orig = Farrington {
        no_periods: 1,
        weights_threshold: 1.0,
        past_weeks_not_included: Some(3),
        p_threshold_trend: 0.05,
        ..flexible(4, 3, 0.05)
    };
    let noufaily = |m| Farrington {
        no_periods: 10,
        weights_threshold: 2.58,
        past_weeks_not_included: Some(26),
        p_threshold_trend: 1.0,
        threshold_method: m,
        ..flexible(4, 3, 0.05)
    };
    let mut failures = Vec::new();
    for (file, data, p) in [
        (
            "farrington_classic_b4w3_alpha0.1_salmonella_agona.csv",
            agona,
            classic,
        ),
        (
            "farringtonFlexible_ctrl1_salmonella_agona.csv",
            agona,
            control1,
        ),
        (
            "farringtonFlexible_ctrl2_salmonella_agona.csv",
            agona,
            control2,
        ),
        (
            "farrington_orig_b4w3_noPeriods1_salmNewport2011.csv",
            newport,
            orig,
        ),
        (
            "farrington_noufaily_nbPlugin_b4w3_noPeriods10_salmNewport2011.csv",
            newport,
            noufaily(ThresholdMethod::NbPlugin),
        ),
        (
            "farrington_noufaily_muan_b4w3_noPeriods10_salmNewport2011.csv",
            newport,
            noufaily(ThresholdMethod::Muan),
        ),
    ] {
        let want = peer(file);
        let dates = (data == newport).then(|| week_starts(data));
        let got = farrington(&series(data), dates.as_deref(), range(&want), &p).unwrap();
        for ((t, ub, alarm), d) in want.iter().zip(&got) {
            let close = match (ub, d.upper_bound) {
                (Some(a), Some(b)) => (a - b).abs() <= 1e-6,
                (a, b) => a.is_none() == b.is_none(),
            };
            if !close || d.alarm != *alarm {
                failures.push(format!(
                    "{file} t={t}: want {ub:?} {alarm}, got {:?} {}",
                    d.upper_bound, d.alarm
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_peer_run_is_tested() {
    let source = include_str!("aberration_reference.rs");
    let dir = refdata("peer_runs_surveillance_1.20.3");
    let mut csvs = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".csv") {
            csvs += 1;
            assert!(
                source.contains(&format!("\"{name}\"")),
                "{name} is not tested"
            );
        }
    }
    assert_eq!(csvs, 13);
}
