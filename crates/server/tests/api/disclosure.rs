//! What a partner or the public can learn from the indicators API: the rule each audience gets,
//! withheld rows that carry no labels, the catalogue that refuses over-fine requests with 400,
//! and dimension checks and a work budget that keep one request from holding the server.

use axum::http::StatusCode;
use lantern_core::auth::Role;
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp};

fn rows(v: &Value) -> &Vec<Value> {
    v["rows"].as_array().unwrap()
}

/// A row's labels, in the request's order.
fn labels(row: &Value, by: &[&str]) -> Vec<String> {
    by.iter()
        .map(|d| row[*d].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn as_role(app: &TestApp, name: &str, role: Role) {
    app.add_user(name, role, None, None).await;
    let s = app.sign_in(name, PASSWORD).await.unwrap();
    app.switch(Some(s));
}

#[tokio::test]
async fn each_audience_gets_its_own_rule_and_withheld_rows_carry_no_labels() {
    let app = TestApp::spawn(false).await.unwrap();
    let by = ["year", "lad", "sex"];
    let uri = |audience: &str| {
        format!(
            "/api/v1/indicators?dataset=suicides&by={}&audience={audience}",
            by.join(",")
        )
    };
    // The admin sees the exact table, and which of its cells are 1-4.
    let exact = app.get(&uri("statutory")).await.json();
    assert_eq!(exact["disclosure"], "statutory");
    assert_eq!(exact["withheld"], false);
    let small: Vec<Vec<String>> = rows(&exact)
        .iter()
        .filter(|r| matches!(r["count"].as_u64(), Some(1..=4)))
        .map(|r| labels(r, &by))
        .collect();
    assert!(!small.is_empty(), "the demo has small cells to protect");

    // The public: no session, no audience named.
    app.switch(None);
    let public = app
        .get(&format!(
            "/api/v1/indicators?dataset=suicides&by={}",
            by.join(",")
        ))
        .await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.body);
    let public = public.json();
    assert_eq!(public["disclosure"], "public");
    // The public cannot ask for the partner rule, nor the statutory one.
    assert_eq!(
        app.get(&uri("partner")).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get(&uri("statutory")).await.status,
        StatusCode::UNAUTHORIZED
    );

    as_role(&app, "pat", Role::Partner).await;
    let partner = app
        .get(&format!(
            "/api/v1/indicators?dataset=suicides&by={}",
            by.join(",")
        ))
        .await
        .json();
    assert_eq!(partner["disclosure"], "partner", "signed in: partner");
    assert_eq!(
        app.get(&uri("statutory")).await.status,
        StatusCode::FORBIDDEN
    );

    for table in [&public, &partner] {
        assert_eq!(table["withheld"], true, "{table}");
        for r in rows(table) {
            let n = r["count"].as_u64().expect("a published row has its count");
            // Rows of no records are published (the attacker is given every zero cell).
            assert!(n == 0 || n >= 5, "{r}");
            assert_eq!(r["suppressed"], false);
            assert!(
                !small.contains(&labels(r, &by)),
                "a withheld cell's labels reached the output: {r}"
            );
        }
        // Every published count is the exact one.
        for r in rows(table) {
            let same = rows(&exact)
                .iter()
                .find(|e| labels(e, &by) == labels(r, &by))
                .unwrap();
            assert_eq!(same["count"], r["count"]);
        }
        assert!(rows(table).len() < rows(&exact).len());
    }
}

#[tokio::test]
async fn requests_too_fine_for_their_audience_are_refused_with_400() {
    let app = TestApp::spawn(false).await.unwrap();
    let lsoa = app.get("/api/v1/areas?level=lsoa").await.json()["items"][0]["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let too_fine = [
        // The attack from outside: one small area, every label of one death.
        format!(
            "/api/v1/indicators?dataset=suicides&by=month,sex,age_band,method_group,location_type&area={lsoa}"
        ),
        format!("/api/v1/indicators?dataset=suicides&by=year&area={lsoa}"),
        "/api/v1/indicators?dataset=suicides&by=month,lsoa,sex,age_band".to_owned(),
        "/api/v1/indicators?dataset=suicides&by=year,msoa".to_owned(),
        "/api/v1/indicators?dataset=suicides&by=year,sex,age_band".to_owned(),
        "/api/v1/indicators?dataset=self-harm&by=age_band,setting".to_owned(),
        "/api/v1/indicators?dataset=suicides&by=month,method_group".to_owned(),
        "/api/v1/indicators?dataset=self-harm&by=quarter,lad".to_owned(),
        "/api/v1/indicators?dataset=suicides&by=rolling_3_year,age_band".to_owned(),
    ];
    for audience in ["public", "partner"] {
        if audience == "partner" {
            as_role(&app, "pat", Role::Partner).await;
        } else {
            app.switch(None);
        }
        for uri in &too_fine {
            let r = app.get(&format!("{uri}&audience={audience}")).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{audience} {uri}");
            assert_eq!(r.json()["error"]["code"], "refused");
            assert!(!r.json()["error"]["message"].as_str().unwrap().is_empty());
        }
        // Coarse requests still work.
        for ok in [
            "/api/v1/indicators?dataset=suicides&by=year,lad,sex",
            "/api/v1/indicators?dataset=suicides&by=rolling_3_year,county,age_group",
            "/api/v1/indicators?dataset=self-harm&by=year,setting",
            "/api/v1/indicators?dataset=self-harm&by=priority_group",
        ] {
            let r = app.get(&format!("{ok}&audience={audience}")).await;
            assert_eq!(r.status, StatusCode::OK, "{audience} {ok}: {}", r.body);
        }
    }
    // The place of death is for partners, never the public (Samaritans media guidelines).
    let place = "/api/v1/indicators?dataset=suicides&by=year,location_type";
    assert_eq!(app.get(place).await.status, StatusCode::OK);
    app.switch(None);
    assert_eq!(app.get(place).await.status, StatusCode::BAD_REQUEST);
    // So are the lives of those who died and their care: partners yes, the public no; and a
    // breakdown of the other register is a wrong request (422).
    let lives = [
        "/api/v1/indicators?dataset=suicides&by=year,circumstance",
        "/api/v1/indicators?dataset=suicides&by=year,service_contact",
        "/api/v1/indicators?dataset=suicides&by=year,support_offered",
        "/api/v1/indicators?dataset=suicides&by=rolling_3_year,support_consent",
        "/api/v1/indicators?dataset=self-harm&by=year,psychosocial_assessment",
    ];
    for uri in lives {
        let r = app.get(uri).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "public {uri}");
        assert!(
            r.body.contains("for partners planning prevention"),
            "{}",
            r.body
        );
    }
    as_role(&app, "pia", Role::Partner).await;
    for uri in lives {
        let r = app.get(uri).await;
        assert_eq!(r.status, StatusCode::OK, "partner {uri}: {}", r.body);
        assert_eq!(r.json()["disclosure"], "partner");
    }
    for (uri, says) in [
        (
            "/api/v1/indicators?dataset=self-harm&by=year,circumstance",
            "circumstance applies to suicides, not self-harm",
        ),
        (
            "/api/v1/indicators?dataset=suicides&by=year,psychosocial_assessment",
            "psychosocial_assessment applies to self-harm, not suicides",
        ),
    ] {
        let r = app.get(uri).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{uri}");
        assert!(r.body.contains(says), "{}", r.body);
    }

    // The statutory core keeps the fine tables.
    as_role(&app, "ana", Role::Analyst).await;
    for uri in &too_fine[..3] {
        let r = app.get(&format!("{uri}&audience=statutory")).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
    }
}

#[tokio::test]
async fn dimensions_are_checked_and_a_huge_request_is_refused_quickly() {
    let app = TestApp::spawn(false).await.unwrap();
    // A repeated dimension, named 14 times: refused before any work.
    let repeated = vec!["method_group"; 14].join(",");
    for audience in ["statutory", "partner"] {
        let r = app
            .get(&format!(
                "/api/v1/indicators?by={repeated}&audience={audience}"
            ))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert!(
            r.json()["error"]["message"]
                .as_str()
                .unwrap()
                .contains("more than once")
        );
    }
    let six =
        "/api/v1/indicators?by=year,lad,sex,age_band,method_group,location_type&audience=statutory";
    let r = app.get(six).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("at most 5"), "{}", r.body);
    // Five distinct dimensions, three of them multi-valued, are answered for the statutory core.
    let five = "/api/v1/indicators?dataset=self-harm&by=rolling_3_year,priority_group,method_group,location_type,sex&audience=statutory";
    assert_eq!(app.get(five).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_work_budget_refuses_rather_than_computes() {
    use lantern_core::indicators::{IndicatorError, IndicatorQuery, WORK_BUDGET, indicators};
    let app = TestApp::spawn(false).await.unwrap();
    // The budget is far above what the demo's finest statutory table costs...
    let fine = IndicatorQuery::from_query_string(
        "dataset=self-harm&by=month,lsoa,priority_group,method_group&audience=statutory",
    )
    .unwrap();
    let table = indicators(app.store.as_ref(), &fine).await.unwrap();
    assert!(!table.rows.is_empty());
    let work: u64 = table.rows.iter().map(|r| r.count.unwrap()).sum();
    assert!(work < WORK_BUDGET / 10, "{work}");
    // ...and counted per cell update: the same table is refused when the budget is spent.
    let refused = lantern_core::indicators::indicators_within(app.store.as_ref(), &fine, work / 2)
        .await
        .unwrap_err();
    assert!(matches!(refused, IndicatorError::Refused(m) if m.contains("too fine")));
}

#[tokio::test]
async fn after_sign_in_only_same_site_paths_are_followed() {
    let app = TestApp::spawn(false).await.unwrap();
    app.switch(None);
    for (next, expected) in [
        ("/register/suicides?page=2", "/register/suicides?page=2"),
        ("/\t/evil.example/path", "/"),
        ("/\n/evil.example", "/"),
        ("/\r/evil.example", "/"),
        ("\t//evil.example", "/"),
        (" /evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/\u{0}/evil.example", "/"),
        ("/\u{3000}/evil.example", "/"),
    ] {
        let r = app
            .post_form(
                "/login",
                &[
                    ("username", "admin"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next:?}: {}", r.body);
        assert_eq!(r.location.as_deref(), Some(expected), "{next:?}");
    }
}

#[tokio::test]
async fn the_public_get_the_pooled_suicide_rate_and_ages_in_broad_groups() {
    let app = TestApp::spawn(false).await.unwrap();
    app.switch(None);
    let dsr = app
        .get("/api/v1/indicators?dataset=suicides&by=rolling_3_year")
        .await
        .json();
    assert_eq!(dsr["disclosure"], "public");
    let pooled = rows(&dsr);
    assert!(!pooled.is_empty());
    for r in pooled {
        assert_eq!(r["statistic"], "dsr per 100,000 (ages 10+)");
        if r["count"].as_u64().unwrap() >= 10 {
            let v = r["value"]
                .as_f64()
                .expect("a DSR on 10 or more deaths is published");
            assert!((5.0..25.0).contains(&v), "{r}");
        }
    }
    let groups = app
        .get("/api/v1/indicators?dataset=suicides&by=year,age_group")
        .await
        .json();
    let labels: std::collections::BTreeSet<&str> = rows(&groups)
        .iter()
        .map(|r| r["age_group"].as_str().unwrap())
        .collect();
    assert!(
        labels
            .iter()
            .all(|l| ["0-9", "10-24", "25-44", "45-64", "65+", "unknown"].contains(l))
    );
    assert!(labels.contains("45-64"), "{labels:?}");
    // Crude rates by broad group have a denominator.
    assert!(
        rows(&groups)
            .iter()
            .any(|r| r["statistic"] == "crude rate per 100,000" && r["value"].is_f64())
    );
}
