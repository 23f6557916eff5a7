//! Synthetic England figures for the demo, so that comparisons with a benchmark have something
//! to compare with. They are made up here, of a plausible size (about 10 suicides per 100,000
//! people aged 10 and over, three times as high for men as for women), and are not OHID's.

use chrono::{Datelike, NaiveDate};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::benchmarks::{Benchmark, ENGLAND};

/// Fingertips' indicator for the suicide rate (persons aged 10+, three pooled years, directly
/// standardised, per 100,000).
pub const SUICIDE_RATE: &str = "41001";

/// People aged 10 and over in England, about, for the counts behind the synthetic rates.
const ENGLAND_10_PLUS: f64 = 50_000_000.0;

/// The three-year periods ending in each of the five years up to `end`'s, `2019 - 21` style,
/// for persons, men and women.
pub fn england(end: NaiveDate, seed: u64) -> Vec<Benchmark> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xbe4c_4a11);
    let mut rows = Vec::new();
    for last in end.year() - 4..=end.year() {
        let period = format!("{} - {:02}", last - 2, last.rem_euclid(100));
        let persons: f64 = 10.2 + rng.random_range(-0.3..0.5);
        for (sex, rate, share) in [
            ("Persons", persons, 1.0),
            ("Male", persons * 1.5, 0.49),
            ("Female", persons * 0.5, 0.51),
        ] {
            let rate = (rate * 10.0).round() / 10.0;
            let denominator = (ENGLAND_10_PLUS * share * 3.0).round();
            let count = (rate * denominator / 100_000.0).round();
            // A normal approximation to the Poisson interval: close enough at these counts.
            let half = |z: f64| (z * rate / count.sqrt() * 10.0).round() / 10.0;
            rows.push(Benchmark {
                indicator: SUICIDE_RATE.to_owned(),
                indicator_name: Some("Suicide rate (synthetic demo figures)".to_owned()),
                area_code: ENGLAND.to_owned(),
                area_name: Some("England".to_owned()),
                area_type: Some("England".to_owned()),
                sex: sex.to_owned(),
                age: "10+ yrs".to_owned(),
                period: period.clone(),
                value: Some(rate),
                lower95: Some(rate - half(1.96)),
                upper95: Some(rate + half(1.96)),
                lower998: Some(rate - half(3.09)),
                upper998: Some(rate + half(3.09)),
                count: Some(count),
                denominator: Some(denominator),
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_benchmarks_are_plausible_and_repeatable() {
        let end = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let rows = england(end, 7);
        assert_eq!(rows, england(end, 7));
        assert_eq!(rows.len(), 15);
        assert_eq!(rows[0].period, "2020 - 22");
        assert_eq!(rows[14].period, "2024 - 26");
        for b in &rows {
            let (v, lo, hi) = (b.value.unwrap(), b.lower95.unwrap(), b.upper95.unwrap());
            assert!(lo < v && v < hi, "{b:?}");
            assert!(b.lower998.unwrap() <= lo && hi <= b.upper998.unwrap());
            assert!((3.0..20.0).contains(&v), "{b:?}");
        }
        let by_sex = |s: &str| rows.iter().find(|b| b.sex == s).unwrap().value.unwrap();
        assert!(by_sex("Male") > 2.5 * by_sex("Female"));
    }
}
