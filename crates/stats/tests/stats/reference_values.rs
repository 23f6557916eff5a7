//! The rate methods against published reference values, read from `../shared/refdata/stats/` at
//! test time:
//! - PHEindicatormethods' own test fixtures (tests/testthat/*.xlsx, converted to CSV): Byar's,
//!   Wilson, crude rates, DSRs for three areas at 95% and 99.8%, a user-supplied standard
//!   (ESP1976), and DSRs for non-independent events. Within 1e-9 relative.
//! - ONS, Suicides in England and Wales, 2021 registrations: England age-standardised rates
//!   (Table 2) rebuilt from age-specific deaths and denominators (Table 6). Within 0.07.

use std::collections::BTreeMap;
use std::path::PathBuf;

use lantern_stats::{
    AgeBand, ESP2013, Interval, Method, byars_limits, crude_rate, dsr, esp2013_band,
    event_variance, wilson_proportion,
};

/// PHE's fixtures are written to 15 significant digits.
const REL: f64 = 1e-9;

fn refdata(rel: &str) -> PathBuf {
    crate::refdata::refdata().join("stats").join(rel)
}

/// Rows of a CSV as maps from column to cell.
fn rows(rel: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_path(refdata(rel)).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            headers
                .iter()
                .zip(r.unwrap().iter())
                .map(|(h, c)| (h.to_owned(), c.to_owned()))
                .collect()
        })
        .collect()
}

fn num(row: &BTreeMap<String, String>, col: &str) -> Option<f64> {
    row.get(col)
        .filter(|s| !s.is_empty() && *s != "NA")
        .map(|s| s.parse().unwrap())
}

#[track_caller]
fn close(got: f64, want: f64, what: &str) {
    assert!(
        (got - want).abs() <= REL * want.abs(),
        "{what}: got {got}, want {want}"
    );
}

fn confidence(label: &str) -> f64 {
    match label {
        "95%" => 0.95,
        "99.8%" => 0.998,
        other => panic!("confidence {other}"),
    }
}

const PHE: &str = "PHEindicatormethods/csv/";

#[test]
fn byars_and_wilson_match_the_phe_fixture() {
    let all = rows(&format!("{PHE}testdata_Byars_Wilson__testdata_B_W.csv"));
    // Row 13 is not used by PHE's own tests (README).
    for (i, r) in all.iter().enumerate().take(12) {
        let (x, c) = (num(r, "x").unwrap(), confidence(&r["confidence"]));
        let (lo, hi) = if r["method"] == "Byars" {
            byars_limits(x, c).unwrap()
        } else {
            let p = wilson_proportion(x, num(r, "n").unwrap(), 1.0, c)
                .unwrap()
                .unwrap();
            (p.lower, p.upper)
        };
        close(
            lo,
            num(r, "lowercl").unwrap(),
            &format!("row {} lower", i + 1),
        );
        close(
            hi,
            num(r, "uppercl").unwrap(),
            &format!("row {} upper", i + 1),
        );
    }
}

fn check_rate_rows(
    file: &str,
    compute: impl Fn(f64, f64, f64, f64) -> Option<Interval>,
    columns: &[(&str, &str, f64)],
) {
    let all = rows(&format!("{PHE}{file}"));
    let mut checked = 0;
    for r in &all {
        let (Some(x), Some(n)) = (num(r, "Numerator"), num(r, "Denominator")) else {
            continue;
        };
        let multiplier = num(r, "multiplier").unwrap();
        for &(lower, upper, c) in columns {
            let c = if c == 0.0 {
                confidence(&r["confidence"])
            } else {
                c
            };
            let got = compute(x, n, multiplier, c).unwrap();
            let area = &r["Area"];
            close(
                got.value,
                num(r, "value").unwrap(),
                &format!("{file} {area} value"),
            );
            close(
                got.lower,
                num(r, lower).unwrap(),
                &format!("{file} {area} {lower}"),
            );
            close(
                got.upper,
                num(r, upper).unwrap(),
                &format!("{file} {area} {upper}"),
            );
            let method = match got.method {
                Method::Exact => "Exact",
                Method::Byar => "Byars",
                Method::Wilson => "Wilson",
                Method::Dobson => "Dobson",
                _ => "other",
            };
            assert_eq!(method, r["method"], "{file} {area}");
            checked += 1;
        }
    }
    // Every row with both a numerator and a denominator (the rest are PHE's missing-data cases).
    let complete = all
        .iter()
        .filter(|r| num(r, "Numerator").is_some() && num(r, "Denominator").is_some())
        .count();
    assert_eq!(checked, complete * columns.len(), "{file}");
    assert!(complete >= 8, "{file}: only {complete} complete rows");
}

#[test]
fn crude_rates_match_the_phe_fixtures() {
    let both = [
        ("lower95_0cl", "upper95_0cl", 0.95),
        ("lower99_8cl", "upper99_8cl", 0.998),
    ];
    check_rate_rows(
        "testdata_Rate__testdata_Rate.csv",
        |x, n, m, c| crude_rate(x, n, m, c).unwrap(),
        &both,
    );
    check_rate_rows(
        "testdata_Rate__testdata_Rate_g.csv",
        |x, n, m, c| crude_rate(x, n, m, c).unwrap(),
        &[("lowercl", "uppercl", 0.0)],
    );
}

#[test]
fn proportions_match_the_phe_fixtures() {
    let both = [
        ("lower95_0cl", "upper95_0cl", 0.95),
        ("lower99_8cl", "upper99_8cl", 0.998),
    ];
    let wilson = |x, n, m, c| wilson_proportion(x, n, m, c).unwrap();
    check_rate_rows("testdata_Proportion__testdata_Prop.csv", wilson, &both);
    check_rate_rows(
        "testdata_Proportion__testdata_Prop_g.csv",
        wilson,
        &[("lowercl", "uppercl", 0.0)],
    );
}

/// The expected DSR rows for `area` and `statistic`, and the bands in file order.
fn dsr_expected(area: &str, statistic: &str) -> BTreeMap<String, String> {
    rows(&format!("{PHE}testdata_DSR_ISR__testresults_DSR.csv"))
        .into_iter()
        .find(|r| r["area"] == area && r["statistic"] == statistic)
        .unwrap_or_else(|| panic!("no expected row for {area} {statistic}"))
}

fn check_dsr(area: &str, bands: &[AgeBand], checks_998: bool) {
    for (multiplier, statistic) in [(10_000.0, "dsr per 10000"), (100_000.0, "dsr per 100000")] {
        let cases: &[(f64, &str, &str)] = if checks_998 {
            &[
                (0.95, "lower95_0cl", "upper95_0cl"),
                (0.998, "lower99_8cl", "upper99_8cl"),
            ]
        } else {
            &[(0.95, "lower95_0cl", "upper95_0cl")]
        };
        let want = if area.contains("tiny") {
            dsr_expected(area, "dsr NA for total count < 10")
        } else if area.contains("nonind") {
            if multiplier == 10_000.0 {
                continue; // the non-independent rows are given per 100,000 only
            }
            dsr_expected(area, statistic)
        } else {
            dsr_expected(area, statistic)
        };
        for &(c, lower, upper) in cases {
            let got = dsr(bands, multiplier, c).unwrap();
            assert_eq!(
                got.total_count,
                num(&want, "total_count").unwrap(),
                "{area}"
            );
            assert_eq!(
                got.total_population,
                num(&want, "total_pop").unwrap(),
                "{area}"
            );
            match (got.estimate, num(&want, "value")) {
                (None, None) => {}
                (Some(e), Some(value)) => {
                    close(e.value, value, &format!("{area} {statistic} value"));
                    close(
                        e.lower,
                        num(&want, lower).unwrap(),
                        &format!("{area} {statistic} {lower}"),
                    );
                    close(
                        e.upper,
                        num(&want, upper).unwrap(),
                        &format!("{area} {statistic} {upper}"),
                    );
                }
                (got, want) => panic!("{area}: got {got:?}, want {want:?}"),
            }
        }
    }
}

#[test]
fn dsrs_for_three_areas_match_at_95_and_99_8() {
    let data = rows(&format!("{PHE}testdata_DSR_ISR__testdata_multiarea.csv"));
    for area in ["testdata_big", "testdata_small", "testdata_tiny"] {
        let bands: Vec<AgeBand> = data
            .iter()
            .filter(|r| r["area"] == area)
            .enumerate()
            // Weights by row order, as the fixture's README says: one label reads "55-69". A
            // blank count (testdata_tiny, 10-14) is no deaths, as in PHE's own tests.
            .map(|(i, r)| {
                AgeBand { count: num(r, "count").unwrap_or(0.0), population: num(r, "pop").unwrap(), weight: ESP2013[i], event_variance: None }
            })
            .collect();
        assert_eq!(bands.len(), 19);
        check_dsr(area, &bands, true);
    }
}

#[test]
fn a_dsr_with_a_supplied_standard_matches() {
    // ESP1976, 18 bands; PHE's tests check the value and 95% limits only (README).
    let bands: Vec<AgeBand> = rows(&format!("{PHE}testdata_DSR_ISR__testdata_1976.csv"))
        .iter()
        .map(|r| AgeBand {
            count: num(r, "count").unwrap(),
            population: num(r, "pop").unwrap(),
            weight: num(r, "esp1976").unwrap(),
            event_variance: None,
        })
        .collect();
    check_dsr("testdata_1976", &bands, false);
}

#[test]
fn dsrs_for_non_independent_events_match() {
    let data = rows(&format!("{PHE}testdata_DSR_ISR__testdata_nonindepe.csv"));
    for area in [
        "testdata_nonind_big",
        "testdata_nonind_dummy",
        "testdata_nonind_small",
        "testdata_nonind_tiny",
    ] {
        let bands: Vec<AgeBand> = data
            .iter()
            .filter(|r| r["area"] == area)
            .enumerate()
            .map(|(i, r)| {
                let freqs: Vec<f64> = (1..=4)
                    .map(|k| num(r, &format!("f{k}")).unwrap_or(0.0))
                    .collect();
                AgeBand {
                    count: num(r, "count").unwrap(),
                    population: num(r, "pop").unwrap(),
                    weight: ESP2013[i],
                    event_variance: Some(event_variance(&freqs)),
                }
            })
            .collect();
        check_dsr(area, &bands, true);
    }
}

/// ONS publishes England's suicide ASRs (Table 2) and the age-specific deaths and rates behind
/// them (Table 6). Standardising the deaths over the denominators implied by the rates, with the
/// ESP2013 weights of the 17 bands from 10-14, reproduces the published ASR and limits; the
/// published figures are rounded to 0.1, and so are the rates behind the denominators.
#[test]
fn ons_england_age_standardised_rates_are_reproduced() {
    let specific = rows("ons-suicides-2021/derived_implied_population_from_age_specific.csv");
    // (year, sex) -> per band: (band index, deaths, denominator), or None when not published.
    type Bands = Vec<Option<(usize, f64, f64)>>;
    let mut groups: BTreeMap<(String, String), Bands> = BTreeMap::new();
    for r in specific.iter().filter(|r| r["table"] == "Table_6") {
        let band = esp2013_band(&r["age_band"]).unwrap();
        let entry = match (num(r, "deaths"), num(r, "implied_population_approx")) {
            (Some(d), Some(p)) => Some((band, d, p)),
            _ => None,
        };
        groups
            .entry((r["year"].clone(), r["sex"].clone()))
            .or_default()
            .push(entry);
    }
    let published = rows("ons-suicides-2021/tidy_asr_country_by_year.csv");
    let mut checked = 0;
    for ((year, sex), bands) in &groups {
        let Some(bands) = bands.iter().copied().collect::<Option<Vec<_>>>() else {
            continue;
        };
        assert_eq!(bands.len(), 17, "{year} {sex}");
        let want = published
            .iter()
            .find(|r| r["table"] == "Table_2" && &r["year"] == year && &r["sex"] == sex)
            .unwrap();
        let input: Vec<AgeBand> = bands
            .iter()
            .map(|&(i, d, p)| AgeBand {
                count: d,
                population: p,
                weight: ESP2013[i],
                event_variance: None,
            })
            .collect();
        let got = dsr(&input, 100_000.0, 0.95).unwrap();
        assert_eq!(
            got.total_count,
            num(want, "deaths").unwrap(),
            "{year} {sex} deaths"
        );
        let e = got.estimate.unwrap();
        for (ours, col) in [
            (e.value, "asr_per_100k"),
            (e.lower, "lcl95"),
            (e.upper, "ucl95"),
        ] {
            let theirs = num(want, col).unwrap();
            assert!(
                (ours - theirs).abs() <= 0.07,
                "{year} {sex} {col}: {ours:.3} vs published {theirs}"
            );
        }
        checked += 1;
    }
    assert!(
        checked >= 60,
        "only {checked} year-sex rows had every band published"
    );
}

#[test]
fn indirectly_standardised_ratios_and_rates_match_phe() {
    let data = rows(&format!(
        "{PHE}testdata_DSR_ISR__testdata_multiarea_isr.csv"
    ));
    let expected = rows(&format!("{PHE}testdata_DSR_ISR__testresults_ISR.csv"));
    let mut checked = 0;
    for area in ["testdata_big", "testdata_small", "testdata_tiny"] {
        let bands: Vec<lantern_stats::IsrBand> = data
            .iter()
            .filter(|r| r["area"] == area)
            // testdata_tiny's 10-14 row is blank but for the reference population: blanks are 0,
            // as in PHE's own tests.
            .map(|r| lantern_stats::IsrBand {
                count: num(r, "count").unwrap_or(0.0),
                population: num(r, "pop").unwrap_or(0.0),
                reference_count: num(r, "refcount").unwrap_or(0.0),
                reference_population: num(r, "refpop").unwrap(),
            })
            .collect();
        for want in expected.iter().filter(|r| r["area"] == area) {
            for (c, lo, hi) in [
                (0.95, "lower95_0cl", "upper95_0cl"),
                (0.998, "lower99_8cl", "upper99_8cl"),
            ] {
                let got = lantern_stats::isr(&bands, c).unwrap().unwrap();
                close(got.observed, num(want, "observed").unwrap(), "observed");
                close(got.expected, num(want, "expected").unwrap(), "expected");
                let statistic = want["statistic"].as_str();
                let interval =
                    if let Some(m) = statistic.strip_prefix("indirectly standardised rate per ") {
                        close(
                            got.reference_rate * m.parse::<f64>().unwrap(),
                            num(want, "ref_rate").unwrap(),
                            "ref_rate",
                        );
                        got.rate(m.parse().unwrap())
                    } else {
                        let m: f64 = statistic
                            .strip_prefix("indirectly standardised ratio x ")
                            .unwrap()
                            .parse()
                            .unwrap();
                        Interval {
                            value: got.ratio.value * m,
                            lower: got.ratio.lower * m,
                            upper: got.ratio.upper * m,
                            ..got.ratio
                        }
                    };
                let what = format!("{area} {statistic} {c}");
                close(interval.value, num(want, "value").unwrap(), &what);
                close(interval.lower, num(want, lo).unwrap(), &what);
                close(interval.upper, num(want, hi).unwrap(), &what);
                let method = if interval.method == Method::Exact {
                    "Exact"
                } else {
                    "Byars"
                };
                assert_eq!(method, want["method"], "{what}");
                checked += 1;
            }
        }
    }
    assert_eq!(
        checked,
        3 * 4 * 2,
        "three areas, four statistics, two confidence levels"
    );
}
