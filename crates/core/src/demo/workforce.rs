//! The demo's organisations and training: fictional schools, colleges, refuges, veterans'
//! organisations, GP practices, employers and others in the fictional county, the roles they hold
//! over time, and five years of sessions and e-learning.
//!
//! It is made by rule, not at random, so that its coverage is known by hand (the tests check
//! the figures against these numbers), and it has gaps for the indicators to show:
//! - of the 20 schools, those numbered 0-3 of every five take up a senior mental health lead 40,
//!   28 and 16 months before the end; the fourth's lead left after 20 months and was replaced 4
//!   months before the end; the fifth never has one. On the last day 16 of 20 (80%) have one;
//! - of the 6 veterans' organisations, 3 (50%) have someone trained in Orange Button, one only in
//!   ASIST;
//! - of the 4 domestic abuse refuges, 2 (50%) have a suicide prevention lead;
//! - Larkspur Coast's organisations come to fewer sessions than the others'.

use chrono::{Datelike, Months, NaiveDate};

use super::geography::DISTRICTS;
use crate::workforce::{Organisation, Role, Training};

/// A district's code by its place in [`DISTRICTS`].
fn district(i: usize) -> String {
    format!("X0700000{}", i % DISTRICTS.len() + 1)
}

/// The day `months` months before `end`.
fn before(end: NaiveDate, months: u32) -> NaiveDate {
    end.checked_sub_months(Months::new(months)).unwrap_or(end)
}

/// The kinds of organisation: reference prefix, how many, sector, type, a name's pattern and a
/// size.
const KINDS: [(&str, usize, &str, &str, &str, u32); 11] = [
    ("SCH", 20, "education", "school", "{d} School {n}", 420),
    ("COL", 2, "education", "college", "{d} College", 2400),
    (
        "UNI",
        1,
        "education",
        "university",
        "University of Ashvale",
        14000,
    ),
    ("REF", 4, "vcfse", "refuge", "{d} Women's Refuge", 12),
    (
        "VET",
        6,
        "vcfse",
        "veterans_organisation",
        "{d} Veterans' Hub {n}",
        30,
    ),
    (
        "GP",
        6,
        "nhs",
        "gp_practice",
        "{d} Medical Practice {n}",
        40,
    ),
    ("EMP", 5, "private", "employer", "{d} Logistics {n}", 300),
    ("PHA", 3, "private", "pharmacy", "{d} Pharmacy", 8),
    (
        "FTH",
        2,
        "faith",
        "faith_group",
        "{d} Community Church",
        150,
    ),
    ("SPT", 2, "vcfse", "sports_club", "{d} Rovers", 200),
    ("POL", 1, "police", "police_force", "Ashvale Police", 2100),
];

/// The demo's organisations, with their roles, for the five years ending on `end`.
pub fn organisations(end: NaiveDate) -> Vec<Organisation> {
    let mut out = Vec::new();
    for (prefix, count, sector, org_type, pattern, size) in KINDS {
        for k in 0..count {
            let name = pattern
                .replace("{d}", DISTRICTS[k % DISTRICTS.len()])
                .replace("{n}", &(k / DISTRICTS.len() + 1).to_string());
            let role = |role: &str, from: u32, to: Option<u32>| Role {
                role: role.to_owned(),
                from: before(end, from),
                to: to.map(|t| before(end, t)),
            };
            let roles = match (prefix, k % 5) {
                ("SCH", 0) => vec![role("senior_mental_health_lead", 40, None)],
                ("SCH", 1) => vec![role("senior_mental_health_lead", 28, None)],
                ("SCH", 2) => vec![role("senior_mental_health_lead", 16, None)],
                ("SCH", 3) => vec![
                    role("senior_mental_health_lead", 40, Some(20)),
                    role("senior_mental_health_lead", 4, None),
                ],
                ("COL", _) => vec![role("senior_mental_health_lead", 30, None)],
                ("UNI", _) => vec![role("suicide_prevention_lead", 36, None)],
                ("REF", 0 | 1) => vec![role("suicide_prevention_lead", 18 + 6 * k as u32, None)],
                ("EMP", 0 | 2) => vec![role("mental_health_first_aider", 24, None)],
                ("POL", _) => vec![role("suicide_prevention_lead", 50, None)],
                _ => Vec::new(),
            };
            out.push(Organisation {
                reference: format!("ORG-{prefix}-{:02}", k + 1),
                name,
                sector: sector.to_owned(),
                org_type: org_type.to_owned(),
                area: Some(district(k)),
                size: Some(size),
                roles,
            });
        }
    }
    out
}

/// The demo's training for the five years ending on `end`: a face-to-face session every other
/// month with three organisations' delegates (Larkspur Coast's rarely), Orange Button for three
/// veterans' organisations and ASIST for a fourth, and each month's e-learning completions.
pub fn training(end: NaiveDate, orgs: &[Organisation]) -> Vec<Training> {
    const ROTATION: [&str; 8] = [
        "suicide_awareness",
        "mhfa_adult",
        "asist",
        "mhfa_youth",
        "self_harm_awareness",
        "safetalk",
        "samaritans_media",
        "postvention_training",
    ];
    let mut out = Vec::new();
    // Organisations that come to the rotating sessions: not the veterans' (theirs are below),
    // and Larkspur Coast's (the fifth district) only one time in four.
    let regulars: Vec<&Organisation> = orgs
        .iter()
        .filter(|o| o.org_type != "veterans_organisation")
        .collect();
    let evaluate = |t: &mut Training, i: usize| {
        let returned = t.delegates * 3 / 4;
        t.evaluations = Some(returned);
        t.confidence_before = Some(4.0 + (i % 4) as f64 * 0.5);
        t.confidence_after = Some(7.5 + (i % 3) as f64 * 0.5);
        t.satisfaction = Some(4.0 + (i % 5) as f64 * 0.2);
    };
    for i in 0..30_usize {
        let day = before(end, 59 - 2 * i as u32);
        let course = ROTATION[i % ROTATION.len()];
        let reference = format!("TR-{}-{:02}", day.year(), i + 1);
        let mut taken = 0;
        let mut j = i * 7;
        while taken < 3 {
            let o = regulars[j % regulars.len()];
            j += 5;
            let larkspur = o.area.as_deref() == Some(district(4).as_str());
            if larkspur && i % 4 != 0 {
                continue;
            }
            let mut t = session(&reference, day, course, o, 4 + (i + taken) as u32 % 9);
            evaluate(&mut t, i + taken);
            out.push(t);
            taken += 1;
        }
        // Some places go to members of the public, with no organisation.
        if i % 3 == 0 {
            out.push(Training {
                reference: reference.clone(),
                date: day,
                course: course.to_owned(),
                provider: Some("Ashvale Mind".to_owned()),
                area: Some(district(i)),
                organisation: None,
                sector: None,
                delegates: 6,
                evaluations: None,
                confidence_before: None,
                confidence_after: None,
                satisfaction: None,
            });
        }
    }
    // The veterans' organisations: Orange Button for the first three, ASIST for the fourth.
    let veterans: Vec<&Organisation> = orgs
        .iter()
        .filter(|o| o.org_type == "veterans_organisation")
        .collect();
    for (k, o) in veterans.iter().take(4).enumerate() {
        let course = if k < 3 { "orange_button" } else { "asist" };
        let day = before(end, 30 - 6 * k as u32);
        let reference = format!("TR-VET-{:02}", k + 1);
        let mut t = session(&reference, day, course, o, 2 + k as u32);
        evaluate(&mut t, k);
        out.push(t);
    }
    // Each month's e-learning completions, the last on the demo's last day.
    for m in 0..60_u32 {
        let day = before(end, m);
        let course = ["zsa_elearning", "ntws_elearning", "minded_postvention"][m as usize % 3];
        out.push(Training {
            reference: format!("EL-{}", day.format("%Y-%m")),
            date: day,
            course: course.to_owned(),
            provider: None,
            area: None,
            organisation: None,
            sector: None,
            delegates: 10 + m % 7,
            evaluations: None,
            confidence_before: None,
            confidence_after: None,
            satisfaction: None,
        });
    }
    out.sort_by(|a, b| (a.date, &a.reference).cmp(&(b.date, &b.reference)));
    out
}

fn session(
    reference: &str,
    day: NaiveDate,
    course: &str,
    o: &Organisation,
    delegates: u32,
) -> Training {
    Training {
        reference: reference.to_owned(),
        date: day,
        course: course.to_owned(),
        provider: Some("Ashvale Public Health".to_owned()),
        area: o.area.clone(),
        organisation: Some(o.reference.clone()),
        sector: Some(o.sector.clone()),
        delegates,
        evaluations: None,
        confidence_before: None,
        confidence_after: None,
        satisfaction: None,
    }
}
