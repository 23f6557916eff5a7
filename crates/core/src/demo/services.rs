//! The demo's support directory: fictional services in the fictional county, with telephone
//! numbers from Ofcom's ranges for drama (01632 960xxx, 0808 157 0xxx) and websites under
//! `.example`, so nothing here reaches a real service. Some entries were last checked more than
//! six months before the demo's end, so the reminders and the public notice show; Larkspur
//! Coast has no bereavement service of its own, only the county's (a gap to see).

use chrono::{Months, NaiveDate};

use super::geography::COUNTY_CODE;
use super::plan::DEMO_LEAD_ORGANISATION;
use crate::support::{ALL_AREAS, Access, Service};

/// A district's code by its place in [`super::geography::DISTRICTS`].
fn district(i: usize) -> String {
    format!("X0700000{}", i + 1)
}

struct Spec {
    reference: &'static str,
    name: &'static str,
    organisation: &'static str,
    needs: &'static [&'static str],
    /// District indexes, or empty for the county.
    districts: &'static [usize],
    ages: (Option<u32>, Option<u32>),
    access: Access,
    how: &'static str,
    phone: Option<&'static str>,
    web: Option<&'static str>,
    hours: &'static str,
    about: &'static str,
    /// Months before the demo's end that the entry was last checked.
    checked: u32,
}

const SPECS: &[Spec] = &[
    Spec {
        reference: "AV-BEREAVE-01",
        name: "Ashvale Suicide Bereavement Service",
        organisation: "Ashvale Bereavement Partnership",
        needs: &["bereavement_by_suicide"],
        districts: &[],
        ages: (Some(16), None),
        access: Access::Both,
        how: "Call, or ask the police or your GP to refer you with your agreement; a support worker calls within two working days",
        phone: Some("01632 960 101"),
        web: Some("https://bereavement.ashvale.example"),
        hours: "Monday to Friday, 9am to 5pm",
        about: "One-to-one practical and emotional support for anyone bereaved or affected by suicide, for as long as it is needed",
        checked: 2,
    },
    Spec {
        reference: "AV-BEREAVE-02",
        name: "Brackenford Peer Bereavement Group",
        organisation: "Brackenford Community Trust",
        needs: &["bereavement_by_suicide", "loneliness"],
        districts: &[0, 1],
        ages: (Some(18), None),
        access: Access::SelfReferral,
        how: "Come along, or call first for a chat",
        phone: Some("01632 960 102"),
        web: None,
        hours: "First and third Tuesday of each month, 7pm",
        about: "A group run by and for people bereaved by suicide",
        checked: 9,
    },
    Spec {
        reference: "AV-BEREAVE-03",
        name: "Little Lanterns: children bereaved by suicide",
        organisation: "Ashvale Bereavement Partnership",
        needs: &["bereavement_by_suicide", "children_young_people"],
        districts: &[],
        ages: (Some(4), Some(18)),
        access: Access::Both,
        how: "A parent, carer, school or GP can call",
        phone: Some("01632 960 103"),
        web: Some("https://bereavement.ashvale.example/children"),
        hours: "Monday to Friday, 9am to 5pm",
        about: "Support for children and young people, and their families, after a death by suicide",
        checked: 4,
    },
    Spec {
        reference: "AV-CRISIS-01",
        name: "Ashvale Crisis Line",
        organisation: "Ashvale Mental Health NHS Trust",
        needs: &["crisis", "self_harm"],
        districts: &[],
        ages: (None, None),
        access: Access::SelfReferral,
        how: "Call any time; the team can visit or arrange an assessment",
        phone: Some("0808 157 0100"),
        web: Some("https://crisis.ashvale.example"),
        hours: "24 hours a day, every day",
        about: "The county's NHS mental health crisis team",
        checked: 1,
    },
    Spec {
        reference: "AV-CRISIS-02",
        name: "Harbour Light Crisis Café",
        organisation: "Harbour Light",
        needs: &["crisis", "loneliness"],
        districts: &[2, 3],
        ages: (Some(16), None),
        access: Access::SelfReferral,
        how: "Walk in; no appointment or referral needed",
        phone: Some("01632 960 104"),
        web: Some("https://harbourlight.example"),
        hours: "Every evening, 6pm to midnight",
        about: "A calm place to talk when things feel too much, run with the crisis team",
        checked: 3,
    },
    Spec {
        reference: "AV-TALK-01",
        name: "Ashvale Talking Therapies",
        organisation: "Ashvale Mental Health NHS Trust",
        needs: &["talking_therapies"],
        districts: &[],
        ages: (Some(18), None),
        access: Access::Both,
        how: "Refer yourself online or by phone, or ask your GP",
        phone: Some("0808 157 0101"),
        web: Some("https://talking.ashvale.example"),
        hours: "Monday to Friday, 8am to 8pm",
        about: "NHS talking therapies for anxiety and depression",
        checked: 2,
    },
    Spec {
        reference: "AV-YOUTH-01",
        name: "Young Ashvale Minds",
        organisation: "Ashvale Youth Trust",
        needs: &["children_young_people", "self_harm", "talking_therapies"],
        districts: &[],
        ages: (Some(11), Some(25)),
        access: Access::Both,
        how: "Young people can text or drop in; schools and GPs can refer",
        phone: Some("01632 960 105"),
        web: Some("https://youngminds.ashvale.example"),
        hours: "Monday to Saturday, 10am to 7pm",
        about: "Counselling, groups and online support for young people",
        checked: 5,
    },
    Spec {
        reference: "AV-STUDENT-01",
        name: "Eastmere University Wellbeing",
        organisation: "Eastmere University",
        needs: &["students", "talking_therapies"],
        districts: &[1],
        ages: (Some(17), None),
        access: Access::SelfReferral,
        how: "Students book through the student portal or call",
        phone: Some("01632 960 106"),
        web: Some("https://wellbeing.eastmere.example"),
        hours: "Term time, Monday to Friday, 9am to 5pm",
        about: "Wellbeing advisers and counselling for the university's students",
        checked: 7,
    },
    Spec {
        reference: "AV-MEN-01",
        name: "Shed Talk",
        organisation: "Harrowdale Men's Sheds",
        needs: &["mens_groups", "loneliness"],
        districts: &[2],
        ages: (Some(18), None),
        access: Access::SelfReferral,
        how: "Come along to any session",
        phone: Some("01632 960 107"),
        web: None,
        hours: "Wednesdays and Saturdays, 10am to 2pm",
        about: "Men meeting to make, mend and talk",
        checked: 11,
    },
    Spec {
        reference: "AV-MEN-02",
        name: "Coastal Men's Walk and Talk",
        organisation: "Larkspur Coast Wellbeing",
        needs: &["mens_groups"],
        districts: &[4],
        ages: (Some(18), None),
        access: Access::SelfReferral,
        how: "Meet at the harbour car park",
        phone: Some("01632 960 108"),
        web: None,
        hours: "Sundays, 9am",
        about: "A weekly walk along the coast path, with a coffee after",
        checked: 3,
    },
    Spec {
        reference: "AV-VET-01",
        name: "Ashvale Veterans' Hub",
        organisation: "Ashvale Veterans' Network",
        needs: &["veterans", "loneliness"],
        districts: &[],
        ages: (Some(18), None),
        access: Access::Both,
        how: "Call or drop in; professionals can refer with consent",
        phone: Some("01632 960 109"),
        web: Some("https://veterans.ashvale.example"),
        hours: "Thursdays, 10am to 3pm",
        about: "Peer support and advice for veterans and their families",
        checked: 8,
    },
    Spec {
        reference: "AV-DA-01",
        name: "Safe Harbour Domestic Abuse Service",
        organisation: "Safe Harbour",
        needs: &["domestic_abuse", "housing"],
        districts: &[],
        ages: (Some(16), None),
        access: Access::Both,
        how: "Call the helpline; the police, GPs and social workers can refer",
        phone: Some("0808 157 0102"),
        web: Some("https://safeharbour.example"),
        hours: "24 hours a day",
        about: "Advice, refuge and outreach for anyone living with domestic abuse",
        checked: 1,
    },
    Spec {
        reference: "AV-GAMBLE-01",
        name: "Ashvale Gambling Harm Service",
        organisation: "Ashvale Recovery",
        needs: &["gambling", "debt"],
        districts: &[],
        ages: (Some(18), None),
        access: Access::SelfReferral,
        how: "Call or fill in the form online",
        phone: Some("01632 960 110"),
        web: Some("https://recovery.ashvale.example/gambling"),
        hours: "Monday to Friday, 9am to 6pm",
        about: "Treatment and support for people harmed by gambling, and for those close to them",
        checked: 6,
    },
    Spec {
        reference: "AV-DRUGS-01",
        name: "Ashvale Recovery: drugs and alcohol",
        organisation: "Ashvale Recovery",
        needs: &["substance_use"],
        districts: &[],
        ages: (Some(18), None),
        access: Access::Both,
        how: "Drop in, call, or ask any professional to refer",
        phone: Some("01632 960 111"),
        web: Some("https://recovery.ashvale.example"),
        hours: "Monday to Friday, 9am to 5pm; Thursdays to 8pm",
        about: "Advice, treatment and recovery groups",
        checked: 2,
    },
    Spec {
        reference: "AV-DEBT-01",
        name: "Money Worries Ashvale",
        organisation: "Ashvale Advice Centre",
        needs: &["debt", "housing"],
        districts: &[0, 1, 2],
        ages: (Some(18), None),
        access: Access::SelfReferral,
        how: "Call or book online",
        phone: Some("01632 960 112"),
        web: Some("https://advice.ashvale.example"),
        hours: "Monday to Friday, 9:30am to 4pm",
        about: "Free debt, benefits and housing advice",
        checked: 14,
    },
    Spec {
        reference: "AV-LGBT-01",
        name: "Rainbow Ashvale",
        organisation: "Rainbow Ashvale",
        needs: &["lgbtq", "children_young_people"],
        districts: &[],
        ages: (Some(13), None),
        access: Access::SelfReferral,
        how: "Message through the website to join a group",
        phone: None,
        web: Some("https://rainbow.ashvale.example"),
        hours: "Most weekday evenings",
        about: "Groups and one-to-one support for LGBTQ+ people",
        checked: 3,
    },
    Spec {
        reference: "AV-CARERS-01",
        name: "Ashvale Carers",
        organisation: DEMO_LEAD_ORGANISATION,
        needs: &["carers", "loneliness"],
        districts: &[],
        ages: (None, None),
        access: Access::SelfReferral,
        how: "Call to register as a carer",
        phone: Some("01632 960 113"),
        web: Some("https://carers.ashvale.example"),
        hours: "Monday to Friday, 9am to 5pm",
        about: "Information, breaks and support for unpaid carers",
        checked: 10,
    },
    Spec {
        reference: "AV-OLDER-01",
        name: "Wynmoor Good Neighbours",
        organisation: "Wynmoor Good Neighbours",
        needs: &["older_people", "loneliness"],
        districts: &[3],
        ages: (Some(60), None),
        access: Access::Both,
        how: "Call, or a GP or social worker can refer",
        phone: Some("01632 960 114"),
        web: None,
        hours: "Monday to Friday, 10am to 4pm",
        about: "Befriending calls and visits for older people living alone",
        checked: 2,
    },
];

/// The demo's directory, checked relative to `end`.
pub fn services(end: NaiveDate) -> Vec<Service> {
    SPECS
        .iter()
        .map(|s| Service {
            reference: s.reference.to_owned(),
            name: s.name.to_owned(),
            organisation: s.organisation.to_owned(),
            needs: s.needs.iter().map(|n| (*n).to_owned()).collect(),
            areas: if s.districts.is_empty() {
                // County-wide services name the county; one names every area.
                if s.reference == "AV-CRISIS-01" {
                    vec![ALL_AREAS.to_owned()]
                } else {
                    vec![COUNTY_CODE.to_owned()]
                }
            } else {
                s.districts.iter().map(|i| district(*i)).collect()
            },
            age_min: s.ages.0,
            age_max: s.ages.1,
            access: s.access,
            how_to_access: Some(s.how.to_owned()),
            phone: s.phone.map(str::to_owned),
            email: None,
            website: s.web.map(str::to_owned),
            hours: Some(s.hours.to_owned()),
            description: Some(s.about.to_owned()),
            last_verified: end
                .checked_sub_months(Months::new(s.checked))
                .unwrap_or(end),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_entry_would_import_and_some_are_overdue() {
        let end = NaiveDate::from_ymd_opt(2025, 6, 30).expect("date");
        let all = services(end);
        let mut bytes = Vec::new();
        crate::support::write_csv(&all, &mut bytes).expect("csv");
        let table = crate::import::Table::from_csv("demo.csv", &bytes).expect("table");
        let known = |c: &str| c == COUNTY_CODE || c.starts_with("X0700000");
        let read = crate::support::parse_services(&table, &known, end).expect("imports");
        assert_eq!(read, all);
        let overdue = all.iter().filter(|s| s.overdue(end)).count();
        assert!((3..all.len() / 2).contains(&overdue), "{overdue}");
    }
}
