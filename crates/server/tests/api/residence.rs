//! No fixed abode and a home outside the partnership's areas, through the API: in the county
//! analyst's scope and not a district analyst's, and counted apart by the indicators.

use axum::http::StatusCode;
use lantern_core::auth::Role;
use lantern_core::register::{Record, SUICIDES};

use crate::helpers::{PASSWORD, TestApp};

async fn story(app: &TestApp) {
    let first = |level| async move { app.store.areas(Some(level)).await.unwrap()[0].code.clone() };
    let county = first(lantern_core::area::AreaLevel::County).await;
    let district = first(lantern_core::area::AreaLevel::Lad).await;
    let mut ids = Vec::new();
    for (i, home) in ["no_fixed_abode", "outside_area", "no_fixed_abode"]
        .into_iter()
        .enumerate()
    {
        let reference = format!("NFA-{i}");
        let date = format!("2024-05-0{}", i + 1);
        let cells = [
            ("source", "ashvale_police"),
            ("source_ref", reference.as_str()),
            ("date_of_death", date.as_str()),
            ("age", "38"),
            ("sex", "male"),
            ("residence_area", home),
            ("status", "suspected"),
            ("method_group", "hanging"),
            ("location_type", "other_public"),
        ];
        let record = Record::parse(
            &SUICIDES,
            |n| cells.iter().find(|(k, _)| *k == n).map(|(_, v)| *v),
            &|_| false,
        )
        .unwrap();
        ids.push(app.store.create_record(&record, "test").await.unwrap());
    }
    app.add_user("county.analyst", Role::Analyst, Some(&county), None)
        .await;
    app.add_user("district.analyst", Role::Analyst, Some(&district), None)
        .await;

    let county_session = app.sign_in("county.analyst", PASSWORD).await.unwrap();
    app.switch(Some(county_session));
    let r = app.get(&format!("/api/v1/suicides/{}", ids[0])).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["residence_area"], "no_fixed_abode");
    let r = app
        .get("/api/v1/suicides?area=no_fixed_abode&per_page=500")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["total"], 2, "{}", r.body);
    // The register's page names them.
    let page = app.get(&format!("/register/suicides/{}", ids[1])).await;
    assert!(
        page.body
            .contains("<dd>Outside the partnership&#39;s areas</dd>"),
        "{}",
        page.body
    );

    let district_session = app.sign_in("district.analyst", PASSWORD).await.unwrap();
    app.switch(Some(district_session));
    let r = app.get(&format!("/api/v1/suicides/{}", ids[0])).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(
        r.json()["error"]["code"],
        "break_glass_required",
        "{}",
        r.body
    );
    let r = app
        .get("/api/v1/suicides?area=outside_area&per_page=500")
        .await;
    assert_eq!(r.json()["total"], 0, "{}", r.body);

    // The district analyst's exact figures are their district's: neither row is there.
    let r = app
        .get("/api/v1/indicators?dataset=suicides&by=lad&audience=statutory")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(!r.body.contains("no_fixed_abode") && !r.body.contains("outside_area"));

    // The county analyst's are the whole partnership's, each counted apart: a row of its own
    // at each area level, with its label for a name.
    let county_session = app.sign_in("county.analyst", PASSWORD).await.unwrap();
    app.switch(Some(county_session));
    let r = app
        .get("/api/v1/indicators?dataset=suicides&by=lad&audience=statutory")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rows = r.json()["rows"].as_array().unwrap().clone();
    let row = |code: &str| rows.iter().find(|r| r["lad"] == code).cloned();
    let nfa = row("no_fixed_abode").expect("a row for no fixed abode");
    assert_eq!(nfa["count"], 2);
    assert_eq!(nfa["lad_name"], "No fixed abode");
    assert_eq!(
        nfa["value"],
        serde_json::Value::Null,
        "no population, no rate"
    );
    let out = row("outside_area").expect("a row for outside the areas");
    assert_eq!(out["count"], 1);
    if let Some(unknown) = row("unknown") {
        assert_ne!(unknown["count"], 3);
    }
}

#[tokio::test]
async fn no_fixed_abode_and_outside_the_areas_on_sqlite() {
    let app = TestApp::spawn(false).await.unwrap();
    story(&app).await;
}

#[tokio::test]
async fn no_fixed_abode_and_outside_the_areas_on_postgres() {
    let Some(app) = TestApp::spawn(true).await else {
        eprintln!("TEST_POSTGRES_URL is not set: skipped");
        return;
    };
    story(&app).await;
}
