//! `dataset=postvention`: the step of bereavement support each death's record reached, by
//! period and area, checked against the register counted here by hand (stages read from the raw
//! fields, medians sorted by hand), and what a partner gets of it.

use std::collections::{BTreeMap, HashMap};

use axum::http::StatusCode;
use lantern_core::auth::Role;
use lantern_core::register::{Record, SUICIDES, Value};
use serde_json::Value as Json;

use crate::helpers::{PASSWORD, TestApp};

/// A record's stage, read from its raw fields in the order the steps happen.
fn stage(r: &Record) -> &'static str {
    let flag = |n: &str| match r.get(n) {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    };
    match (flag("support_offered"), flag("support_consent")) {
        (None, _) => "not_recorded",
        (Some(false), _) => "not_offered",
        (Some(true), None) => "offered",
        (Some(true), Some(false)) => "declined",
        (Some(true), Some(true)) if r.get("first_contact_date").is_some() => "contacted",
        (Some(true), Some(true)) if r.get("referral_date").is_some() => "referred",
        (Some(true), Some(true)) => "accepted",
    }
}

fn day(r: &Record, name: &str) -> chrono::NaiveDate {
    match r.get(name) {
        Some(Value::Date(d)) => *d,
        other => panic!("{name} is {other:?}"),
    }
}

/// The register by hand: per (year, district), each stage's count and the days to first
/// contact.
type ByHand = BTreeMap<(String, String), (BTreeMap<&'static str, u64>, Vec<i64>)>;

async fn by_hand(app: &TestApp) -> ByHand {
    let areas = app.store.areas(None).await.unwrap();
    let parent: HashMap<String, String> = areas
        .iter()
        .filter_map(|a| a.parent_code.clone().map(|p| (a.code.clone(), p)))
        .collect();
    let lad: HashMap<String, bool> = areas
        .iter()
        .map(|a| (a.code.clone(), a.level.as_str() == "lad"))
        .collect();
    let district = |mut code: String| {
        while !lad.get(&code).copied().unwrap_or(false) {
            match parent.get(&code) {
                Some(p) => code = p.clone(),
                None => return "unknown".to_owned(),
            }
        }
        code
    };
    let fields = [
        "date_of_death",
        "status",
        "residence_area",
        "support_offered",
        "support_consent",
        "referral_date",
        "first_contact_date",
    ];
    let mut out = ByHand::new();
    for r in app.store.export_fields(&SUICIDES, &fields).await.unwrap() {
        if ["not_suicide", "concluded_accident"].contains(&r.text("status").as_str()) {
            continue;
        }
        let died = day(&r, "date_of_death");
        let key = (
            chrono::Datelike::year(&died).to_string(),
            district(r.text("residence_area")),
        );
        let cell = out.entry(key).or_default();
        let s = stage(&r);
        *cell.0.entry(s).or_default() += 1;
        if s == "contacted" {
            cell.1
                .push((day(&r, "first_contact_date") - died).num_days());
        }
    }
    out
}

fn median(days: &[i64]) -> f64 {
    let mut d = days.to_vec();
    d.sort_unstable();
    let n = d.len();
    if n % 2 == 1 {
        d[n / 2] as f64
    } else {
        (d[n / 2 - 1] + d[n / 2]) as f64 / 2.0
    }
}

fn rows(v: &Json) -> &Vec<Json> {
    v["rows"].as_array().unwrap()
}

fn key(r: &Json) -> (String, String) {
    (
        r["year"].as_str().unwrap().to_owned(),
        r["lad"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn the_postvention_figures_are_the_registers_counted_by_hand_and_a_partner_gets_them_protected()
 {
    let app = TestApp::spawn(false).await.unwrap();
    let hand = by_hand(&app).await;
    assert!(
        hand.len() > 5,
        "the demo has deaths in several years and districts"
    );

    let exact = app
        .get("/api/v1/indicators?dataset=postvention&by=year,lad&audience=statutory")
        .await;
    assert_eq!(exact.status, StatusCode::OK, "{}", exact.body);
    let exact = exact.json();
    assert_eq!(exact["dataset"], "postvention");
    assert_eq!(
        exact["by"],
        serde_json::json!(["year", "lad", "postvention_stage"])
    );
    assert!(
        exact["definition"]
            .as_str()
            .unwrap()
            .contains("median days from the death to the first contact")
    );
    let mut contacted_rows = 0;
    for r in rows(&exact) {
        let Some((stages, days)) = hand.get(&key(r)) else {
            assert_eq!(r["count"], 0, "a row with no deaths by hand: {r}");
            continue;
        };
        let s = r["postvention_stage"].as_str().unwrap();
        let want = stages.get(s).copied().unwrap_or(0);
        assert_eq!(r["count"], want, "{r}");
        let n: u64 = stages.values().sum();
        let share = r["value"].as_f64().unwrap();
        assert!((share - 100.0 * want as f64 / n as f64).abs() < 1e-9, "{r}");
        assert!(r["lower"].as_f64().unwrap() <= share && share <= r["upper"].as_f64().unwrap());
        if s == "contacted" && !days.is_empty() {
            contacted_rows += 1;
            assert_eq!(r["median_days"].as_f64().unwrap(), median(days), "{r}");
        } else {
            assert!(r["median_days"].is_null(), "{r}");
        }
    }
    assert!(contacted_rows > 3, "the demo's families were contacted");
    // Every period and area's shares add up to the whole.
    let mut sums: BTreeMap<(String, String), f64> = BTreeMap::new();
    for r in rows(&exact) {
        if let Some(v) = r["value"].as_f64() {
            *sums.entry(key(r)).or_default() += v;
        }
    }
    for (k, s) in &sums {
        assert!((s - 100.0).abs() < 1e-6, "{k:?}: {s}");
    }

    // A partner: the same request with small numbers protected, and no finer than a year.
    app.add_user("pat", Role::Partner, None, None).await;
    let pat = app.sign_in("pat", PASSWORD).await.unwrap();
    app.switch(Some(pat));
    let monthly = app
        .get("/api/v1/indicators?dataset=postvention&by=month,lad")
        .await;
    assert_eq!(monthly.status, StatusCode::BAD_REQUEST, "{}", monthly.body);
    let partner = app
        .get("/api/v1/indicators?dataset=postvention&by=year,lad")
        .await
        .json();
    assert_eq!(partner["disclosure"], "partner");
    assert_eq!(
        partner["withheld"], true,
        "the demo's districts have small numbers"
    );
    // The deaths of each period and area, as the partner's suicide table publishes them.
    let deaths = app
        .get("/api/v1/indicators?dataset=suicides&by=year,lad")
        .await
        .json();
    let published_deaths: HashMap<(String, String), u64> = rows(&deaths)
        .iter()
        .map(|r| (key(r), r["count"].as_u64().unwrap()))
        .collect();
    let mut shares = 0;
    for r in rows(&partner) {
        let (stages, days) = hand.get(&key(r)).cloned().unwrap_or_default();
        let n: u64 = stages.values().sum();
        let s = r["postvention_stage"].as_str().unwrap();
        let count = r["count"].as_u64().expect("a published row has its count");
        assert!(count == 0 || count >= 5, "{r}");
        assert_eq!(count, stages.get(s).copied().unwrap_or(0), "{r}");
        if r["value"].is_number() {
            shares += 1;
            assert!(n >= 10, "a share over fewer than 10 deaths: {r}");
            assert_eq!(
                published_deaths.get(&key(r)),
                Some(&n),
                "a share whose deaths are not published would give them away: {r}"
            );
        }
        match r["median_days"].as_f64() {
            Some(m) => {
                assert!(days.len() >= 10, "a median over fewer than 10: {r}");
                assert_eq!(m, median(&days));
            }
            None => assert!(s != "contacted" || days.len() < 10, "{r}"),
        }
    }
    assert!(shares > 0, "some shares are published to partners");

    // Whether support was offered is a sum of stages, in the partner's tables too: every
    // published answer equals its stages' sum by hand.
    let offered = app
        .get("/api/v1/indicators?dataset=suicides&by=year,support_offered")
        .await
        .json();
    let mut checked = 0;
    for r in rows(&offered) {
        let answer: &[&str] = match r["support_offered"].as_str().unwrap() {
            "yes" => &["offered", "declined", "accepted", "referred", "contacted"],
            "no" => &["not_offered"],
            _ => &["not_recorded"],
        };
        let yes: u64 = hand
            .iter()
            .filter(|((year, _), _)| *year == r["year"])
            .flat_map(|(_, (stages, _))| answer.iter().map(|s| stages.get(s).copied().unwrap_or(0)))
            .sum();
        assert_eq!(r["count"], yes, "{r}");
        checked += 1;
    }
    assert!(checked > 0, "{offered}");
    // The public do not get the steps of support after a death.
    app.switch(None);
    let public = app
        .get("/api/v1/indicators?dataset=postvention&by=year")
        .await;
    assert_eq!(public.status, StatusCode::BAD_REQUEST, "{}", public.body);
    assert!(public.body.contains("postvention_stage"), "{}", public.body);
}
