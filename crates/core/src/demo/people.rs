//! Synthetic suspected suicides and self-harm presentations.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate};
use rand::Rng;
use rand::rngs::StdRng;

use super::geography::{Geography, SmallArea, band_shape, female_share, years};
use crate::pseudonym::PseudonymKey;
use crate::register::{Dataset, Record, SELF_HARM, SUICIDES};

/// Suicide rates per 100,000 by band 10-14 ... 90+ (males, females), shaped on ONS 2021
/// England age-specific rates and scaled so the all-age rate is close to the published 10.5.
const SUICIDE_RATE_MALE: [f64; 17] = [
    1.5, 7.5, 15.0, 17.5, 19.0, 21.0, 22.5, 25.0, 25.5, 24.0, 20.0, 16.0, 13.0, 13.0, 15.5, 17.0,
    17.0,
];
const SUICIDE_RATE_FEMALE: [f64; 17] = [
    1.5, 4.0, 5.0, 5.0, 5.5, 6.0, 7.0, 8.0, 8.5, 8.0, 6.5, 5.0, 4.0, 4.0, 4.5, 4.0, 3.0,
];

/// Method shares, percent (ONS Table 12, 2021, England and Wales), by sex:
/// drowning, fall, poisoning, hanging, moving object, sharp object, other.
const METHODS_MALE: [(&str, f64); 7] = [
    ("drowning", 3.6),
    ("jump", 3.2),
    ("poisoning", 16.3),
    ("hanging", 61.3),
    ("moving_object", 3.9),
    ("cutting", 4.0),
    ("other", 7.6),
];
const METHODS_FEMALE: [(&str, f64); 7] = [
    ("drowning", 3.2),
    ("jump", 3.2),
    ("poisoning", 32.7),
    ("hanging", 49.9),
    ("moving_object", 3.5),
    ("cutting", 2.1),
    ("other", 5.4),
];

/// Hospital presentations for self-harm per 100,000 a year, by band 10-14 ... 90+ (females;
/// males are 0.6 of this), shaped on the published peak among young women.
const SELF_HARM_RATE_FEMALE: [f64; 17] = [
    600.0, 1500.0, 700.0, 450.0, 400.0, 380.0, 350.0, 320.0, 260.0, 200.0, 140.0, 100.0, 80.0,
    80.0, 80.0, 80.0, 80.0,
];

/// The clusters planted in the demo, for later signal detection to find. Each is
/// `(dataset, description)`; the records carry `demo-cluster-N` in their source reference.
pub const PLANTED: [(&str, &str); 3] = [
    (
        "suicides",
        "five young people (15-19) in one Harrowdale neighbourhood within eight weeks, two years before the end",
    ),
    (
        "suicides",
        "four deaths at one public height (Kestrel Bridge) in Wynmoor within four months, three years before the end",
    ),
    (
        "self-harm",
        "a rise of self-harm among 13-17 year olds in Eastmere over six weeks, in the last year",
    ),
];

/// A Poisson draw by inversion; `lambda` is small here (under 30).
fn poisson(rng: &mut StdRng, lambda: f64) -> u32 {
    let mut k = 0;
    let mut p = (-lambda).exp();
    let mut cdf = p;
    let u: f64 = rng.random();
    while u > cdf && k < 1000 {
        k += 1;
        p *= lambda / f64::from(k);
        cdf += p;
    }
    k
}

fn pick<'a>(rng: &mut StdRng, weighted: &[(&'a str, f64)]) -> &'a str {
    let total: f64 = weighted.iter().map(|w| w.1).sum();
    let mut x = rng.random_range(0.0..total);
    for (v, w) in weighted {
        if x < *w {
            return v;
        }
        x -= w;
    }
    weighted.last().map_or("", |w| w.0)
}

fn chance(rng: &mut StdRng, p: f64) -> bool {
    rng.random_bool(p.clamp(0.0, 1.0))
}

fn day_in_year(rng: &mut StdRng, year: i32, end: NaiveDate) -> NaiveDate {
    let start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(end);
    let last = NaiveDate::from_ymd_opt(year, 12, 31)
        .unwrap_or(end)
        .min(end);
    let span = (last - start).num_days().max(0);
    start + Duration::days(rng.random_range(0..=span))
}

fn yes_no(rng: &mut StdRng, fill: f64, yes: f64) -> String {
    if chance(rng, fill) {
        if chance(rng, yes) { "yes" } else { "no" }.to_owned()
    } else {
        String::new()
    }
}

fn some_of(rng: &mut StdRng, fill: f64, options: &[(&str, f64)]) -> String {
    if !chance(rng, fill) {
        return String::new();
    }
    let mut chosen: Vec<&str> = options
        .iter()
        .filter(|(_, p)| chance(rng, *p))
        .map(|(c, _)| *c)
        .collect();
    if chosen.is_empty() {
        chosen.push("unknown");
    }
    chosen.join(";")
}

fn ethnicity(rng: &mut StdRng) -> &'static str {
    pick(
        rng,
        &[
            ("D1", 78.0),
            ("D5", 5.0),
            ("A4", 4.0),
            ("A3", 3.0),
            ("B1", 2.0),
            ("C4", 2.0),
            ("A5", 1.5),
            ("D2", 1.0),
            ("E2", 1.0),
            ("Z", 2.5),
        ],
    )
}

fn to_record(dataset: &'static Dataset, cells: &HashMap<&'static str, String>) -> Option<Record> {
    let parsed = Record::parse(dataset, |name| cells.get(name).map(String::as_str), &|_| {
        true
    });
    debug_assert!(
        parsed.is_ok(),
        "demo generated an invalid {}: {parsed:?}",
        dataset.name
    );
    parsed.ok()
}

struct Death<'a> {
    area: &'a SmallArea,
    date: NaiveDate,
    age: u32,
    male: bool,
    method: Option<&'static str>,
    location: Option<(&'static str, f64, f64)>,
    tag: Option<usize>,
}

fn suicide_record(rng: &mut StdRng, n: usize, death: &Death<'_>, end: NaiveDate) -> Option<Record> {
    let method = death.method.unwrap_or_else(|| {
        let m = pick(
            rng,
            if death.male {
                &METHODS_MALE
            } else {
                &METHODS_FEMALE
            },
        );
        if m == "other" {
            pick(
                rng,
                &[
                    ("other", 50.0),
                    ("vehicle", 20.0),
                    ("fire", 15.0),
                    ("firearms", 15.0),
                ],
            )
        } else {
            m
        }
    });
    let location_type = match (death.location, method) {
        (Some(_), _) => "public_height",
        (None, "hanging" | "poisoning" | "cutting") => pick(
            rng,
            &[
                ("home", 75.0),
                ("other_private", 6.0),
                ("woodland_park", 8.0),
                ("institution", 3.0),
                ("other_public", 8.0),
            ],
        ),
        (None, "drowning") => "water",
        (None, "jump") => pick(
            rng,
            &[
                ("public_height", 70.0),
                ("home", 10.0),
                ("other_public", 20.0),
            ],
        ),
        (None, "moving_object") => pick(rng, &[("railway", 80.0), ("road", 20.0)]),
        (None, "vehicle") => "road",
        _ => pick(
            rng,
            &[("home", 50.0), ("other_public", 30.0), ("unknown", 20.0)],
        ),
    };
    let age_days = (end - death.date).num_days();
    // Inquests take months: older deaths are mostly concluded.
    let status = if age_days > 270 {
        pick(
            rng,
            &[
                ("concluded_suicide", 78.0),
                ("concluded_open", 5.0),
                ("concluded_narrative", 9.0),
                ("concluded_accident", 3.0),
                ("not_suicide", 3.0),
                ("awaiting_inquest", 2.0),
            ],
        )
    } else if age_days > 60 {
        pick(rng, &[("awaiting_inquest", 85.0), ("suspected", 15.0)])
    } else {
        "suspected"
    };
    let concluded = status.starts_with("concluded");
    let police = chance(rng, 0.85);
    let mut c: HashMap<&'static str, String> = HashMap::new();
    let tag = death
        .tag
        .map(|t| format!("-demo-cluster-{t}"))
        .unwrap_or_default();
    c.insert(
        "source",
        if police {
            "ashvale_police"
        } else {
            "ashvale_coroner"
        }
        .to_owned(),
    );
    c.insert(
        "source_ref",
        format!(
            "{}-{}-{n:05}{tag}",
            if police { "POL" } else { "COR" },
            death.date.year()
        ),
    );
    c.insert("date_of_death", death.date.to_string());
    c.insert("age", death.age.to_string());
    c.insert("sex", if death.male { "male" } else { "female" }.to_owned());
    c.insert("residence_area", death.area.code.clone());
    c.insert("status", status.to_owned());
    c.insert(
        "method_group",
        if chance(rng, 0.06) && !concluded {
            "unknown"
        } else {
            method
        }
        .to_owned(),
    );
    c.insert("location_type", location_type.to_owned());
    c.insert(
        "reporter_role",
        if police { "police" } else { "coroner" }.to_owned(),
    );
    c.insert(
        "notified_at",
        (death.date + Duration::days(rng.random_range(0..4)).min(Duration::days(age_days.max(0))))
            .to_string(),
    );
    if concluded {
        c.insert("confirmed_method_group", method.to_owned());
        let inquest = death.date + Duration::days(rng.random_range(150..260).min(age_days.max(0)));
        c.insert("inquest_date", inquest.to_string());
        c.insert("status_date", inquest.to_string());
    } else if status != "suspected" {
        let effective = death.date + Duration::days(rng.random_range(20..60).min(age_days.max(0)));
        c.insert("status_date", effective.to_string());
    }
    if let Some((name, lat, lon)) = death.location {
        c.insert("location_of_concern", name.to_owned());
        c.insert("location_lat", format!("{lat:.5}"));
        c.insert("location_lon", format!("{lon:.5}"));
    } else if chance(rng, 0.7) {
        c.insert(
            "location_lat",
            format!("{:.5}", death.area.centre.1 + rng.random_range(-0.01..0.01)),
        );
        c.insert(
            "location_lon",
            format!(
                "{:.5}",
                death.area.centre.0 + rng.random_range(-0.015..0.015)
            ),
        );
    }
    if chance(rng, 0.8) {
        c.insert("ethnicity", ethnicity(rng).to_owned());
    }
    if chance(rng, 0.55) {
        c.insert(
            "relationship_status",
            pick(
                rng,
                &[
                    ("single", 40.0),
                    ("married_civil", 25.0),
                    ("separated", 12.0),
                    ("divorced", 10.0),
                    ("cohabiting", 8.0),
                    ("widowed", 5.0),
                ],
            )
            .to_owned(),
        );
    }
    c.insert("living_alone", yes_no(rng, 0.6, 0.35));
    let employment = if death.age < 18 {
        "student"
    } else if death.age >= 67 {
        "retired"
    } else {
        pick(
            rng,
            &[
                ("employed", 45.0),
                ("unemployed", 18.0),
                ("long_term_sick", 14.0),
                ("self_employed", 9.0),
                ("student", 4.0),
                ("carer", 3.0),
                ("unknown", 7.0),
            ],
        )
    };
    if chance(rng, 0.7) {
        c.insert("employment", employment.to_owned());
    }
    let young = if death.age < 25 { 1.0 } else { 0.0 };
    c.insert(
        "priority_groups",
        some_of(
            rng,
            0.75,
            &[
                ("child_young_person", young),
                ("student", young * 0.4),
                ("previous_self_harm", 0.4),
                ("substance_use", 0.25),
                ("financial_difficulty", 0.2),
                ("social_isolation", 0.2),
                ("veteran", if death.male { 0.05 } else { 0.0 }),
                ("domestic_abuse", 0.08),
                ("gambling", 0.04),
                ("chronic_pain_ltc", 0.15),
                ("bereaved", 0.08),
            ],
        ),
    );
    c.insert(
        "circumstances",
        some_of(
            rng,
            0.6,
            &[
                ("mental_health_problem", 0.45),
                ("intimate_partner_problem", 0.25),
                ("alcohol_problem", 0.2),
                ("financial_problem", 0.15),
                ("physical_health_problem", 0.15),
                ("job_problem", 0.1),
                ("recent_crisis", 0.2),
                ("disclosed_intent", 0.2),
            ],
        ),
    );
    c.insert(
        "service_contact",
        some_of(
            rng,
            0.65,
            &[
                ("mental_health_services", 0.3),
                ("gp_last_4_weeks", 0.35),
                ("police_probation", 0.1),
                ("inpatient_discharge_3_months", 0.04),
            ],
        ),
    );
    c.insert("nok_informed", yes_no(rng, 0.9, 0.97));
    let offered = yes_no(rng, 0.8, 0.85);
    if offered == "yes" {
        let consent = yes_no(rng, 0.9, 0.6);
        if consent == "yes" && age_days > 14 {
            let referral = death.date + Duration::days(rng.random_range(2..14));
            c.insert("referral_date", referral.to_string());
            c.insert(
                "referral_service",
                "Ashvale Suicide Bereavement Service".to_owned(),
            );
            if chance(rng, 0.85) && age_days > 21 {
                c.insert(
                    "first_contact_date",
                    (referral + Duration::days(rng.random_range(1..7))).to_string(),
                );
            }
        }
        c.insert("support_consent", consent);
    }
    c.insert("support_offered", offered);
    to_record(&SUICIDES, &c)
}

struct Presentation<'a> {
    area: &'a SmallArea,
    person: &'a str,
    date: NaiveDate,
    age: u32,
    female: bool,
    tag: Option<usize>,
}

fn self_harm_record(rng: &mut StdRng, n: usize, p: &Presentation<'_>) -> Option<Record> {
    let source = match p.area.district {
        0..=2 => pick(
            rng,
            &[
                ("ashvale_general_ed", 80.0),
                ("north_ambulance", 12.0),
                ("brackenford_miu", 8.0),
            ],
        ),
        _ => pick(
            rng,
            &[
                ("larkspur_hospital_ed", 80.0),
                ("north_ambulance", 14.0),
                ("wynmoor_utc", 6.0),
            ],
        ),
    };
    let setting = match source {
        "north_ambulance" => "ambulance",
        "brackenford_miu" => "miu",
        "wynmoor_utc" => "utc",
        _ => pick(
            rng,
            &[("ed", 94.0), ("police_s136", 4.0), ("inpatient", 2.0)],
        ),
    };
    let kind = pick(
        rng,
        &[
            ("self_poisoning", 60.0),
            ("self_injury", 25.0),
            ("both", 7.0),
            ("ideation_only", 8.0),
        ],
    );
    let methods = match kind {
        "self_poisoning" => {
            pick(rng, &[("drug_overdose", 90.0), ("other_poisoning", 10.0)]).to_owned()
        }
        "self_injury" => pick(
            rng,
            &[
                ("cutting", 70.0),
                ("hanging_strangulation", 12.0),
                ("jumping", 5.0),
                ("burning", 3.0),
                ("other", 10.0),
            ],
        )
        .to_owned(),
        "both" => "drug_overdose;cutting".to_owned(),
        _ => "unknown".to_owned(),
    };
    let mut c: HashMap<&'static str, String> = HashMap::new();
    let tag = p
        .tag
        .map(|t| format!("-demo-cluster-{t}"))
        .unwrap_or_default();
    c.insert("source", source.to_owned());
    c.insert(
        "source_ref",
        format!(
            "{}-{n:06}{tag}",
            source
                .to_ascii_uppercase()
                .chars()
                .take(3)
                .collect::<String>()
        ),
    );
    let hour = pick(
        rng,
        &[
            ("0", 6.0),
            ("3", 3.0),
            ("9", 8.0),
            ("12", 10.0),
            ("15", 12.0),
            ("18", 15.0),
            ("21", 14.0),
        ],
    );
    let minute: u32 = rng.random_range(0..60);
    c.insert(
        "presented_at",
        format!(
            "{}T{:02}:{minute:02}:00Z",
            p.date,
            hour.parse::<u32>().unwrap_or(0) + rng.random_range(0..3)
        ),
    );
    c.insert("setting", setting.to_owned());
    c.insert("person_key", p.person.to_owned());
    c.insert("age", p.age.to_string());
    c.insert("sex", if p.female { "female" } else { "male" }.to_owned());
    c.insert("residence_area", p.area.code.clone());
    c.insert("presentation_type", kind.to_owned());
    c.insert(
        "intent",
        pick(
            rng,
            &[
                ("attempted_suicide", 20.0),
                ("self_harm", 60.0),
                ("unknown", 20.0),
            ],
        )
        .to_owned(),
    );
    c.insert("methods", methods);
    if setting != "ambulance" {
        c.insert(
            "arrival_mode",
            pick(
                rng,
                &[
                    ("ambulance", 45.0),
                    ("self", 40.0),
                    ("police", 8.0),
                    ("other", 7.0),
                ],
            )
            .to_owned(),
        );
    }
    // Completeness differs by source, so the data-quality page has something to show.
    let ethnicity_fill = if source == "north_ambulance" {
        0.3
    } else {
        0.85
    };
    if chance(rng, ethnicity_fill) {
        c.insert("ethnicity", ethnicity(rng).to_owned());
    }
    c.insert("alcohol", yes_no(rng, 0.7, 0.3));
    c.insert("illicit_substances", yes_no(rng, 0.5, 0.15));
    if chance(rng, 0.6) {
        c.insert(
            "location_type",
            pick(
                rng,
                &[
                    ("home", 80.0),
                    ("other_private", 6.0),
                    ("other_public", 10.0),
                    ("unknown", 4.0),
                ],
            )
            .to_owned(),
        );
    }
    c.insert(
        "precipitating_problems",
        some_of(
            rng,
            0.5,
            &[
                ("mental_health_problem", 0.4),
                ("family_relationship_problem", 0.3),
                ("intimate_partner_problem", 0.25),
                ("school_problem", if p.age < 19 { 0.4 } else { 0.0 }),
                ("alcohol_problem", 0.2),
                ("financial_problem", 0.12),
            ],
        ),
    );
    c.insert("prior_self_harm", yes_no(rng, 0.7, 0.45));
    let assessed = yes_no(rng, 0.85, 0.6);
    c.insert("psychosocial_assessment", assessed.clone());
    if assessed == "yes" {
        c.insert(
            "next_care",
            pick(
                rng,
                &[
                    ("gp", 30.0),
                    ("community_mh", 25.0),
                    ("crisis_team", 15.0),
                    ("voluntary_sector", 10.0),
                    ("admitted_psychiatric", 5.0),
                    ("no_follow_up", 15.0),
                ],
            )
            .to_owned(),
        );
    } else if chance(rng, 0.3) {
        c.insert("next_care", "left_before_assessment".to_owned());
    }
    to_record(&SELF_HARM, &c)
}

fn band_age(rng: &mut StdRng, band: usize) -> u32 {
    let lo = band as u32 * 5;
    if band == 18 {
        rng.random_range(90..=97)
    } else {
        rng.random_range(lo..lo + 5)
    }
}

/// A random valid NHS number (check digit modulus 11), for the demo's pseudonymous keys.
fn nhs_number(rng: &mut StdRng) -> String {
    loop {
        let digits: Vec<u32> = (0..9)
            .map(|i| {
                if i == 0 {
                    rng.random_range(4..10)
                } else {
                    rng.random_range(0..10)
                }
            })
            .collect();
        let sum: u32 = digits.iter().zip((2..=10).rev()).map(|(d, w)| d * w).sum();
        let check = match 11 - sum % 11 {
            11 => 0,
            10 => continue,
            c => c,
        };
        return digits
            .iter()
            .chain(std::iter::once(&check))
            .map(u32::to_string)
            .collect();
    }
}

pub(crate) fn generate(
    geo: &Geography,
    end: NaiveDate,
    key: &PseudonymKey,
    rng: &mut StdRng,
    self_harm_scale: f64,
) -> (Vec<Record>, Vec<Record>) {
    let mut deaths: Vec<Death<'_>> = Vec::new();
    let mut presentations: Vec<Presentation<'_>> = Vec::new();
    let mut people: Vec<String> = Vec::new();
    let mut person = |rng: &mut StdRng| -> usize {
        let k = key.person_key(&nhs_number(rng)).unwrap_or_default();
        people.push(k);
        people.len() - 1
    };
    let mut person_of: Vec<usize> = Vec::new();
    for area in &geo.small {
        let shape_total: f64 = (0..19).map(|b| band_shape(area, b)).sum();
        for year in years(end) {
            for band in 2..19 {
                let persons = area.size * band_shape(area, band) / shape_total;
                let female = persons * female_share(band);
                for (is_male, pop, rate) in [
                    (true, persons - female, SUICIDE_RATE_MALE[band - 2]),
                    (false, female, SUICIDE_RATE_FEMALE[band - 2]),
                ] {
                    for _ in 0..poisson(rng, pop * rate * area.risk / 100_000.0) {
                        let date = day_in_year(rng, year, end);
                        deaths.push(Death {
                            area,
                            date,
                            age: band_age(rng, band),
                            male: is_male,
                            method: None,
                            location: None,
                            tag: None,
                        });
                    }
                }
                let sh_rate = SELF_HARM_RATE_FEMALE[band - 2] * self_harm_scale;
                for (is_female, pop, rate) in [
                    (true, female, sh_rate),
                    (false, persons - female, sh_rate * 0.6),
                ] {
                    for _ in 0..poisson(rng, pop * rate * area.risk / 100_000.0) {
                        let date = day_in_year(rng, year, end);
                        let age = band_age(rng, band).max(10);
                        let who = person(rng);
                        presentations.push(Presentation {
                            area,
                            person: "",
                            date,
                            age,
                            female: is_female,
                            tag: None,
                        });
                        person_of.push(who);
                        // About one in five presents again within a year.
                        if chance(rng, 0.18) {
                            let mut d = date;
                            for _ in 0..rng.random_range(1..4) {
                                d += Duration::days(rng.random_range(7..200));
                                if d > end {
                                    break;
                                }
                                presentations.push(Presentation {
                                    area,
                                    person: "",
                                    date: d,
                                    age,
                                    female: is_female,
                                    tag: None,
                                });
                                person_of.push(who);
                            }
                        }
                    }
                }
            }
        }
    }
    plant_clusters(
        geo,
        end,
        rng,
        &mut deaths,
        &mut presentations,
        &mut person_of,
        &mut person,
    );
    deaths.sort_by_key(|d| d.date);
    let mut order: Vec<usize> = (0..presentations.len()).collect();
    order.sort_by_key(|&i| presentations[i].date);
    let suicides = deaths
        .iter()
        .enumerate()
        .filter_map(|(n, d)| suicide_record(rng, n + 1, d, end))
        .collect();
    let self_harm = order
        .iter()
        .enumerate()
        .filter_map(|(n, &i)| {
            let p = &presentations[i];
            let p = Presentation {
                person: &people[person_of[i]],
                ..*p
            };
            self_harm_record(rng, n + 1, &p)
        })
        .collect();
    (suicides, self_harm)
}

fn plant_clusters<'a>(
    geo: &'a Geography,
    end: NaiveDate,
    rng: &mut StdRng,
    deaths: &mut Vec<Death<'a>>,
    presentations: &mut Vec<Presentation<'a>>,
    person_of: &mut Vec<usize>,
    person: &mut dyn FnMut(&mut StdRng) -> usize,
) {
    // 1. Young people in one Harrowdale neighbourhood.
    let harrowdale: Vec<&SmallArea> = geo.small.iter().filter(|a| a.district == 2).collect();
    let msoa = harrowdale
        .get(5)
        .map(|a| a.msoa.clone())
        .unwrap_or_default();
    let in_msoa: Vec<&SmallArea> = harrowdale
        .iter()
        .copied()
        .filter(|a| a.msoa == msoa)
        .collect();
    let start = end - Duration::days(730);
    for i in 0..5 {
        if let Some(area) = in_msoa.get(i % in_msoa.len().max(1)) {
            let date = start + Duration::days(rng.random_range(0..56));
            deaths.push(Death {
                area,
                date,
                age: rng.random_range(15..20),
                male: i % 3 != 0,
                method: None,
                location: None,
                tag: Some(1),
            });
        }
    }
    // 2. A public height in Wynmoor.
    let wynmoor: Vec<&SmallArea> = geo.small.iter().filter(|a| a.district == 3).collect();
    if let Some(bridge) = wynmoor.get(10) {
        let start = end - Duration::days(1095);
        for i in 0..4 {
            let area = wynmoor[(i * 7) % wynmoor.len()];
            let date = start + Duration::days(rng.random_range(0..120));
            let (lat, lon) = (bridge.centre.1 + 0.002, bridge.centre.0 - 0.003);
            deaths.push(Death {
                area,
                date,
                age: rng.random_range(25..60),
                male: i != 2,
                method: Some("jump"),
                location: Some(("Kestrel Bridge", lat, lon)),
                tag: Some(2),
            });
        }
    }
    // 3. Self-harm among 13-17 year olds in Eastmere.
    let eastmere: Vec<&SmallArea> = geo.small.iter().filter(|a| a.district == 1).collect();
    let start = end - Duration::days(200);
    for i in 0..40 {
        if let Some(area) = eastmere.get(i % 8) {
            let date = start + Duration::days(rng.random_range(0..42));
            presentations.push(Presentation {
                area,
                person: "",
                date,
                age: rng.random_range(13..18),
                female: i % 4 != 0,
                tag: Some(3),
            });
            person_of.push(person(rng));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_draws_have_the_right_mean() {
        use rand::SeedableRng;
        let mut rng = StdRng::seed_from_u64(7);
        let n = 20_000;
        let mean = (0..n)
            .map(|_| f64::from(poisson(&mut rng, 3.5)))
            .sum::<f64>()
            / f64::from(n);
        assert!((mean - 3.5).abs() < 0.06, "{mean}");
    }

    #[test]
    fn demo_nhs_numbers_pass_the_check_digit() {
        use rand::SeedableRng;
        let mut rng = StdRng::seed_from_u64(1);
        for _ in 0..200 {
            assert!(crate::pseudonym::normalise_nhs_number(&nhs_number(&mut rng)).is_ok());
        }
    }
}
