//! `dataset=coverage` and `dataset=training`: the demo's coverage is what its design says, worked
//! out by hand (16 of 20 schools with a senior mental health lead on its last day, 3 of 6
//! veterans' organisations with Orange Button, 2 of 4 refuges with a suicide prevention lead),
//! and every type's yearly share recounted from the demo's organisations; training counts and
//! evaluation means recounted from the demo's sessions; wrong requests refused with what to
//! give. Anyone may ask: the figures describe organisations, not people. On SQLite and
//! PostgreSQL.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use chrono::{Datelike, NaiveDate};
use lantern_core::workforce::{Organisation, Training, frameworks_of};
use serde_json::Value;

use crate::helpers::TestApp;

/// The test app's demo ends on this day (see `helpers::fill`).
fn end() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 6, 30).unwrap()
}

fn demo() -> (Vec<Organisation>, Vec<Training>) {
    let orgs = lantern_core::demo::workforce::organisations(end());
    let training = lantern_core::demo::workforce::training(end(), &orgs);
    (orgs, training)
}

async fn rows(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/indicators?{query}")).await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.body);
    let v = r.json();
    v["rows"].as_array().unwrap().clone()
}

fn find<'a>(rows: &'a [Value], dims: &[(&str, &str)]) -> &'a Value {
    rows.iter()
        .find(|r| dims.iter().all(|(k, v)| r[*k] == *v))
        .unwrap_or_else(|| panic!("no row {dims:?} in {rows:?}"))
}

/// `(count, denominator, value)` of a coverage row.
fn share(r: &Value) -> (u64, u64, f64) {
    (
        r["count"].as_u64().unwrap(),
        r["denominator"].as_u64().unwrap(),
        r["value"].as_f64().unwrap(),
    )
}

async fn story(app: &TestApp) {
    // No sign-in: organisations and training are not about anyone who died.
    app.switch(None);
    let (orgs, training) = demo();

    // By hand, from the demo's design: schools 0-3 of every five take up a lead 40, 28 and 16
    // months before the end (2022-02-28, 2023-02-28, 2024-02-29); the fourth's leaves 20 months
    // before (2023-10-30) and is replaced 4 months before (2025-02-28); the fifth never has one.
    let smhl = rows(
        app,
        "dataset=coverage&by=year,organisation_type&measure=role:senior_mental_health_lead",
    )
    .await;
    for (year, held, partial) in [
        ("2020", 0, false),
        ("2021", 0, false),
        ("2022", 8, false),
        ("2023", 8, false),
        ("2024", 12, false),
        ("2025", 16, true),
    ] {
        let r = find(&smhl, &[("year", year), ("organisation_type", "school")]);
        let (count, n, value) = share(r);
        assert_eq!((count, n), (held, 20), "{year}: {r}");
        assert!((value - 100.0 * held as f64 / 20.0).abs() < 1e-9, "{r}");
        assert_eq!(r["partial"], partial, "{r}");
        assert_eq!(r["statistic"], "percentage of organisations");
        if held > 0 {
            assert!(r["lower"].as_f64().unwrap() < value && value < r["upper"].as_f64().unwrap());
        }
    }
    // Every type's yearly share, recounted from the organisations: the year's last day, or the
    // demo's last day for its part year.
    for r in &smhl {
        let year: i32 = r["year"].as_str().unwrap().parse().unwrap();
        let day = NaiveDate::from_ymd_opt(year, 12, 31).unwrap().min(end());
        let of_type: Vec<&Organisation> = orgs
            .iter()
            .filter(|o| o.org_type == r["organisation_type"].as_str().unwrap())
            .collect();
        let held = of_type
            .iter()
            .filter(|o| {
                o.roles.iter().any(|x| {
                    x.role == "senior_mental_health_lead"
                        && x.from <= day
                        && x.to.is_none_or(|t| day <= t)
                })
            })
            .count();
        assert_eq!(
            (
                r["count"].as_u64().unwrap(),
                r["denominator"].as_u64().unwrap()
            ),
            (held as u64, of_type.len() as u64),
            "{r}"
        );
    }

    // On the last day, with no period: the seed plans' targets.
    let orange = rows(
        app,
        "dataset=coverage&by=organisation_type&measure=course:orange_button",
    )
    .await;
    let vets = find(&orange, &[("organisation_type", "veterans_organisation")]);
    assert_eq!(share(vets), (3, 6, 50.0), "{vets}");
    assert_eq!(
        share(find(&orange, &[("organisation_type", "school")])).0,
        0
    );
    let refuges = rows(
        app,
        "dataset=coverage&by=organisation_type&measure=role:Suicide%20prevention%20lead",
    )
    .await;
    assert_eq!(
        share(find(&refuges, &[("organisation_type", "refuge")])),
        (2, 4, 50.0)
    );
    // By district: a district's four schools share their pattern, so Larkspur Coast (the fifth)
    // has none, the equity gap the demo plants.
    let by_lad = rows(
        app,
        "dataset=coverage&by=lad,organisation_type&measure=role:senior_mental_health_lead",
    )
    .await;
    for (lad, held) in [("X07000001", 4), ("X07000004", 4), ("X07000005", 0)] {
        let r = find(&by_lad, &[("lad", lad), ("organisation_type", "school")]);
        assert_eq!(share(r).0, held, "{r}");
        assert_eq!(share(r).1, 4, "{r}");
        assert!(r["lad_name"].is_string(), "{r}");
    }
    // One district's figures only.
    let one = rows(
        app,
        "dataset=coverage&by=organisation_type&measure=role:senior_mental_health_lead&area=X07000005",
    )
    .await;
    assert_eq!(
        share(find(&one, &[("organisation_type", "school")])),
        (0, 4, 0.0)
    );
    // Trained towards a framework: Orange Button builds "the public", as do most courses.
    let public = rows(
        app,
        "dataset=coverage&by=organisation_type&measure=framework:public",
    )
    .await;
    let vets = find(&public, &[("organisation_type", "veterans_organisation")]);
    assert_eq!(share(vets).0, 4, "ASIST builds it too: {vets}");

    // Training: delegates and sessions by year, recounted from the demo's rows.
    let mut delegates: BTreeMap<String, u64> = BTreeMap::new();
    let mut sessions: BTreeMap<String, std::collections::BTreeSet<&str>> = BTreeMap::new();
    for t in &training {
        let y = t.date.year().to_string();
        *delegates.entry(y.clone()).or_default() += u64::from(t.delegates);
        sessions.entry(y).or_default().insert(&t.reference);
    }
    let by_year = rows(app, "dataset=training&by=year").await;
    let by_year_sessions = rows(app, "dataset=training&by=year&measure=sessions").await;
    assert_eq!(by_year.len(), delegates.len());
    for (y, n) in &delegates {
        assert_eq!(find(&by_year, &[("year", y)])["count"], *n, "{y}");
        assert_eq!(
            find(&by_year_sessions, &[("year", y)])["count"],
            sessions[y].len(),
            "{y}"
        );
    }
    // By framework: a course counts in each framework it builds.
    let by_framework = rows(app, "dataset=training&by=framework").await;
    let mut want: BTreeMap<&str, u64> = BTreeMap::new();
    for t in &training {
        for f in frameworks_of(&t.course) {
            *want.entry(f).or_default() += u64::from(t.delegates);
        }
    }
    assert_eq!(by_framework.len(), want.len());
    for (f, n) in want {
        assert_eq!(find(&by_framework, &[("framework", f)])["count"], n, "{f}");
    }
    // Evaluation means, weighted by the evaluations returned.
    let by_course = rows(app, "dataset=training&by=course").await;
    let asist: Vec<&Training> = training.iter().filter(|t| t.course == "asist").collect();
    let returned: u32 = asist.iter().filter_map(|t| t.evaluations).sum();
    let after: f64 = asist
        .iter()
        .map(|t| t.confidence_after.unwrap_or(0.0) * f64::from(t.evaluations.unwrap_or(0)))
        .sum::<f64>()
        / f64::from(returned);
    let row = find(&by_course, &[("course", "asist")]);
    assert_eq!(row["evaluations"], returned);
    assert!(
        (row["confidence_after"].as_f64().unwrap() - after).abs() < 1e-9,
        "{row}"
    );
    assert!(row["confidence_after"].as_f64().unwrap() > row["confidence_before"].as_f64().unwrap());
    // Sector of the delegates: members of the public and e-learning have none recorded.
    let by_sector = rows(app, "dataset=training&by=sector").await;
    let unrecorded: u64 = training
        .iter()
        .filter(|t| t.sector.is_none())
        .map(|t| u64::from(t.delegates))
        .sum();
    assert_eq!(
        find(&by_sector, &[("sector", "not_recorded")])["count"],
        unrecorded
    );

    // Wrong requests: what to give instead.
    for (query, says) in [
        (
            "dataset=training&by=sex",
            "training cannot be broken down by sex",
        ),
        (
            "dataset=coverage&by=year",
            "coverage needs measure=role:CODE",
        ),
        (
            "dataset=coverage&measure=role:astronaut",
            "'astronaut' is not one of",
        ),
        (
            "dataset=coverage&measure=course:orange_button&by=course",
            "coverage cannot be broken down by course",
        ),
        (
            "dataset=training&measure=persons",
            "is not one of delegates|sessions",
        ),
        (
            "dataset=suicides&by=sector",
            "sector applies to the training and coverage datasets",
        ),
        (
            "dataset=workforce",
            "is not one of suicides|self-harm|postvention|training|coverage",
        ),
    ] {
        let r = app.get(&format!("/api/v1/indicators?{query}")).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            r.body
        );
        assert!(r.body.contains(says), "{query}: {}", r.body);
    }
    // The same question of another dataset is not answered from the cache.
    let suicides = app.get("/api/v1/indicators?by=year").await.json();
    let training = app
        .get("/api/v1/indicators?dataset=training&by=year")
        .await
        .json();
    assert_eq!(suicides["dataset"], "suicides");
    assert_eq!(training["dataset"], "training");
    let coverage = app
        .get("/api/v1/indicators?dataset=coverage&measure=role:smhl")
        .await
        .json();
    assert_eq!(coverage["measure"], "role:senior_mental_health_lead");
    assert!(
        coverage["definition"]
            .as_str()
            .unwrap()
            .contains("Senior mental health lead")
    );
}

/// `dataset=media` recounted from the demo's reports; the public get years and outlets only;
/// `/media` shows the register link to the statutory core only; a report added from the form is
/// checked by the import's rules and then counted.
async fn media_story(app: &TestApp) {
    let reports = lantern_core::demo::media::reports(end());
    app.switch(None);
    // The public: by year and outlet, exactly.
    let by_year = rows(app, "dataset=media&by=year&audience=public").await;
    let mut want: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for r in &reports {
        let e = want.entry(r.published.year().to_string()).or_default();
        e.0 += u64::from(r.compliant());
        e.1 += 1;
    }
    for (y, (ok, n)) in &want {
        let r = find(&by_year, &[("year", y)]);
        assert_eq!(
            (
                r["count"].as_u64().unwrap(),
                r["denominator"].as_u64().unwrap()
            ),
            (*ok, *n),
            "{r}"
        );
    }
    assert!(
        want.values().next().unwrap().0 * want.values().last().unwrap().1
            < want.values().last().unwrap().0 * want.values().next().unwrap().1,
        "the demo's compliance rises: {want:?}"
    );
    let no_help = rows(
        app,
        "dataset=media&by=outlet&measure=breach:helpline&audience=public",
    )
    .await;
    for outlet in ["Ashvale Gazette", "Coast FM News"] {
        let n = reports
            .iter()
            .filter(|r| r.outlet == outlet && !r.helpline)
            .count();
        assert_eq!(
            find(&no_help, &[("outlet", outlet)])["count"],
            n,
            "{outlet}"
        );
    }
    for query in [
        "dataset=media&by=lad&audience=public",
        "dataset=media&by=month&audience=public",
        "dataset=media&by=year&area=X07000001&audience=public",
    ] {
        let r = app.get(&format!("/api/v1/indicators?{query}")).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            r.body
        );
        assert!(
            r.body.contains("the public audience gets media figures"),
            "{}",
            r.body
        );
    }
    let bad = app
        .get("/api/v1/indicators?dataset=media&measure=breach:spelling")
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("'spelling' is not one of method_detail|"),
        "{}",
        bad.body
    );
    // Not signed in: no page.
    assert_eq!(app.get("/media").await.status, StatusCode::SEE_OTHER);

    // A partner sees the page without register links.
    app.add_user(
        "media.partner",
        lantern_core::auth::Role::Partner,
        None,
        None,
    )
    .await;
    let partner = app
        .sign_in("media.partner", crate::helpers::PASSWORD)
        .await
        .unwrap();
    app.switch(Some(partner));
    // A partner gets what the public get: years and outlets.
    let r = app.get("/api/v1/indicators?dataset=media&by=lad").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body
            .contains("the partner audience gets media figures by year and outlet"),
        "{}",
        r.body
    );
    assert_eq!(rows(app, "dataset=media&by=year").await.len(), want.len());
    let page = app.get("/media").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Reports by year"));
    assert!(
        !page.body.contains("Ashvale Gazette"),
        "no dated list of reports for a partner"
    );
    assert!(
        !page.body.contains("/register/suicides/"),
        "no record links for a partner"
    );
    assert!(!page.body.contains("Add a report"));

    // The statutory core: links to records, and the form.
    app.add_user(
        "media.analyst",
        lantern_core::auth::Role::Analyst,
        None,
        None,
    )
    .await;
    let analyst = app
        .sign_in("media.analyst", crate::helpers::PASSWORD)
        .await
        .unwrap();
    app.switch(Some(analyst));
    let page = app.get("/media").await;
    assert!(page.body.contains("Ashvale Gazette"));
    assert!(
        page.body.contains("href=\"/register/suicides/"),
        "record links for the core"
    );
    let mut form = vec![
        ("outlet", "Wynmoor Weekly"),
        ("published", "01/05/2025"),
        ("headline", "Town mourns teenager"),
        ("link", "https://weekly.example/1"),
        ("method_detail", "no"),
        ("location_detail", "yes"),
        ("sensational_language", "no"),
        ("photo", "no"),
    ];
    let refused = app.post_form("/media", &form).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .body
            .contains("helpline: say yes or no: gave where to get help?"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("value=\"Wynmoor Weekly\""),
        "the form keeps what was typed"
    );
    form.push(("helpline", "yes"));
    let added = app.post_form("/media", &form).await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    // The statutory core gets every breakdown.
    let by_lad = rows(app, "dataset=media&by=lad&audience=statutory").await;
    let coast = reports
        .iter()
        .filter(|r| r.area.as_deref() == Some("X07000005"))
        .count();
    assert_eq!(find(&by_lad, &[("lad", "X07000005")])["denominator"], coast);
    let after = rows(
        app,
        "dataset=media&by=outlet&measure=breach:location_detail",
    )
    .await;
    let w = find(&after, &[("outlet", "Wynmoor Weekly")]);
    assert_eq!(
        (w["count"].as_u64(), w["denominator"].as_u64()),
        (Some(1), Some(1))
    );
}

#[tokio::test]
async fn coverage_and_training_are_the_demo_counted_by_hand_on_sqlite() {
    let app = TestApp::spawn(false).await.unwrap();
    story(&app).await;
    media_story(&app).await;
}

#[tokio::test]
async fn coverage_and_training_are_the_demo_counted_by_hand_on_postgres() {
    let Some(app) = TestApp::spawn(true).await else {
        eprintln!("skipped PostgreSQL: TEST_POSTGRES_URL is not set");
        return;
    };
    story(&app).await;
    media_story(&app).await;
}
