//! The demo's suspected suicides look like England's: the share of men, the age pattern and the
//! method shares are compared with ONS, Suicides in England and Wales, 2021 registrations
//! (`../shared/refdata/stats/ons-suicides-2021/`: Table 2 deaths by sex, Table 6 age-specific
//! deaths, Table 12 method proportions). Five seeds are pooled so sampling noise stays small
//! beside the tolerances.

use std::collections::HashMap;
use std::path::PathBuf;

use lantern_core::import::read_table;
use lantern_core::pseudonym::PseudonymKey;
use lantern_core::register::Record;

fn ons(file: &str) -> PathBuf {
    let refdata = crate::refdata::refdata();
    refdata.join("stats/ons-suicides-2021").join(file)
}

fn demo_deaths() -> (Vec<Record>, f64) {
    let key = PseudonymKey::from_hex(&"11".repeat(32)).unwrap();
    let end = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    let mut all = Vec::new();
    let mut person_years = 0.0;
    for seed in 1..=5 {
        let data = lantern_core::demo::generate(seed, end, &key);
        // Persons aged 10+ in the small areas, summed over the five years.
        person_years += data
            .populations
            .iter()
            .filter(|p| {
                p.area_code.starts_with("X01")
                    && p.sex.as_str() == "persons"
                    && !matches!(p.age_band, "0-4" | "5-9")
            })
            .map(|p| p.population as f64)
            .sum::<f64>();
        all.extend(
            data.suicides
                .into_iter()
                .filter(|r| !r.text("source_ref").contains("demo-cluster")),
        );
    }
    (all, person_years)
}

fn share(records: &[Record], pred: impl Fn(&Record) -> bool) -> f64 {
    records.iter().filter(|r| pred(r)).count() as f64 / records.len() as f64
}

#[test]
fn the_demo_matches_england_by_sex_age_rate_and_method() {
    let (deaths, person_years) = demo_deaths();
    assert!(deaths.len() > 1_000, "{}", deaths.len());

    // Sex: Table 2, England 2021.
    let t = read_table(&ons("tidy_asr_country_by_year.csv")).unwrap();
    let deaths_of = |sex: &str| -> f64 {
        t.rows
            .iter()
            .find(|(_, c)| &c[0] == "Table_2" && &c[3] == "2021" && &c[4] == sex)
            .map(|(_, c)| c[5].parse().unwrap())
            .unwrap()
    };
    let ons_male = deaths_of("Males") / deaths_of("Persons");
    let demo_male = share(&deaths, |r| r.text("sex") == "male");
    assert!(
        (demo_male - ons_male).abs() < 0.05,
        "male share {demo_male:.3} vs ONS {ons_male:.3}"
    );

    // Rate: crude rate at ages 10+ against England's 2021 age-standardised rate (10.5).
    let rate = deaths.len() as f64 / person_years * 1e5;
    assert!(
        (8.5..=13.5).contains(&rate),
        "crude rate 10+ {rate:.1} per 100,000 vs ONS ASR 10.5"
    );

    // Age: the share of deaths at 40-59 (Table 6, England 2021, persons).
    let t6 = read_table(&ons("tidy_age_specific_5yr_by_year.csv")).unwrap();
    let (mut mid, mut total) = (0.0, 0.0);
    for (_, c) in &t6.rows {
        if &c[0] == "Table_6" && &c[3] == "Persons" && &c[4] == "2021" {
            let n: f64 = c[6].parse().unwrap();
            total += n;
            if ["40 to 44", "45 to 49", "50 to 54", "55 to 59"].contains(&&c[5]) {
                mid += n;
            }
        }
    }
    let demo_mid = share(&deaths, |r| {
        (40..60).contains(&r.text("age").parse::<u32>().unwrap())
    });
    assert!(
        (demo_mid - mid / total).abs() < 0.06,
        "share aged 40-59 {demo_mid:.3} vs ONS {:.3}",
        mid / total
    );

    // Method: Table 12, 2021 (England and Wales), males and females, concluded and suspected
    // records alike (the provisional method group).
    // A sheet dump with a preamble: read it as plain records.
    let t12: Vec<csv::StringRecord> = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(ons("sheets_csv/Table_12.csv"))
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect();
    let header: Vec<String> = t12
        .iter()
        .find(|c| c.get(0).is_some_and(|x| x.starts_with("Area code")))
        .map(|c| c.iter().map(|h| h.replace('\n', " ")).collect())
        .unwrap();
    let row = t12
        .iter()
        .find(|c| c.get(0) == Some("K04000001") && c.get(2) == Some("2021"))
        .unwrap();
    let published: HashMap<&str, f64> = [("hanging", "Hanging"), ("poisoning", "Poisoning")]
        .into_iter()
        .map(|(code, word)| {
            let i = header
                .iter()
                .position(|h| h.starts_with("Persons") && h.contains(word))
                .unwrap();
            (code, row[i].parse::<f64>().unwrap() / 100.0)
        })
        .collect();
    let known: Vec<Record> = deaths
        .iter()
        .filter(|r| r.text("method_group") != "unknown")
        .cloned()
        .collect();
    for (code, ons_share) in published {
        let demo = share(&known, |r| r.text("method_group") == code);
        assert!(
            (demo - ons_share).abs() < 0.05,
            "{code}: {demo:.3} vs ONS {ons_share:.3}"
        );
    }
}
