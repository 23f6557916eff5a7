//! `GET /api/v1/support` and `/support`: the directory searched by postcode district, postcode,
//! area code or name, need and age, checked against the demo's directory filtered here by hand
//! (a district's small areas from the demo's postcodes, their districts from the area tree); and
//! wrong choices refused with what to give. On SQLite and PostgreSQL.

use std::collections::{BTreeSet, HashMap};

use axum::http::StatusCode;
use lantern_core::support::Service;
use serde_json::Value;

use crate::helpers::TestApp;

/// The references the API gives for a query.
async fn api(app: &TestApp, query: &str) -> BTreeSet<String> {
    let r = app.get(&format!("/api/v1/support?{query}")).await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.body);
    let v = r.json();
    let list = v["services"].as_array().unwrap();
    assert_eq!(v["count"], list.len());
    list.iter()
        .map(|s| s["reference"].as_str().unwrap().to_owned())
        .collect()
}

async fn story(app: &TestApp) {
    app.switch(None);
    let areas = app.store.areas(None).await.unwrap();
    let parent: HashMap<&str, &str> = areas
        .iter()
        .filter_map(|a| a.parent_code.as_deref().map(|p| (a.code.as_str(), p)))
        .collect();
    let chain = |code: &str| -> Vec<String> {
        let mut out = vec![code.to_owned()];
        let mut c = code;
        while let Some(p) = parent.get(c) {
            out.push((*p).to_owned());
            c = p;
        }
        out
    };
    let services: Vec<Service> = app.store.services().await.unwrap();
    assert!(services.len() >= 15, "the demo's directory");
    // By hand: the entries serving any area around one of `homes`.
    let by_hand = |homes: &[String], need: Option<&str>, age: Option<u32>| -> BTreeSet<String> {
        let around: BTreeSet<String> = homes.iter().flat_map(|h| chain(h)).collect();
        services
            .iter()
            .filter(|s| s.areas.iter().any(|a| a == "all" || around.contains(a)))
            .filter(|s| need.is_none_or(|n| s.needs.iter().any(|x| x == n)))
            .filter(|s| {
                age.is_none_or(|a| {
                    s.age_min.is_none_or(|m| a >= m) && s.age_max.is_none_or(|m| a <= m)
                })
            })
            .map(|s| s.reference.clone())
            .collect()
    };
    let postcodes = lantern_core::demo::postcode_names(&areas);
    for district in ["AV1", "AV7", "AV24"] {
        let homes: Vec<String> = postcodes
            .iter()
            .filter(|(p, _)| p.split(' ').next() == Some(district))
            .map(|(_, a)| a.clone())
            .collect();
        assert!(!homes.is_empty(), "{district}");
        for (need, age) in [
            (None, None),
            (Some("crisis"), Some(30)),
            (Some("bereavement_by_suicide"), Some(12)),
        ] {
            let mut q = format!("area={}", district.to_lowercase());
            if let Some(n) = need {
                q.push_str(&format!("&need={n}"));
            }
            if let Some(a) = age {
                q.push_str(&format!("&age={a}"));
            }
            assert_eq!(api(app, &q).await, by_hand(&homes, need, age), "{q}");
        }
        // A full postcode: its one small area.
        let (pc, home) = postcodes
            .iter()
            .find(|(p, _)| p.split(' ').next() == Some(district))
            .unwrap();
        assert_eq!(
            api(app, &format!("area={}", pc.replace(' ', "+"))).await,
            by_hand(std::slice::from_ref(home), None, None),
            "{pc}"
        );
    }
    // An area by code and by name; a county finds its districts' entries too.
    let district = areas.iter().find(|a| a.level.as_str() == "lad").unwrap();
    let by_code = api(app, &format!("area={}", district.code)).await;
    assert_eq!(
        by_code,
        by_hand(std::slice::from_ref(&district.code), None, None)
    );
    assert_eq!(
        api(app, &format!("area={}", district.name.replace(' ', "+"))).await,
        by_code
    );
    let county = areas.iter().find(|a| a.level.as_str() == "county").unwrap();
    assert_eq!(
        api(app, &format!("area={}", county.code)).await.len(),
        services.len(),
        "every demo entry serves somewhere in the county"
    );
    // Words for needs, as the import reads them.
    assert_eq!(
        api(app, "need=Bereaved+by+suicide").await,
        api(app, "need=bereavement_by_suicide").await
    );
    // Wrong choices say what to give.
    for (q, says) in [
        ("need=astrology", "not one of crisis|"),
        ("age=old", "is not an age"),
        (
            "area=ZZ99",
            "ZZ99 is not a postcode district in the partnership's areas",
        ),
        (
            "area=AV99+9ZZ",
            "AV99 9ZZ is not a postcode in the partnership's areas",
        ),
        (
            "area=Atlantis",
            "'Atlantis' is not a postcode, postcode district or area we know",
        ),
    ] {
        let r = app.get(&format!("/api/v1/support?{q}")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{q}");
        assert!(r.body.contains(says), "{q}: {}", r.body);
    }
    // Each entry carries when it is due to be checked, and whether it is overdue.
    let all: Value = app.get("/api/v1/support").await.json();
    let first = &all["services"][0];
    assert!(
        first["verify_by"].is_string() && first["overdue"].is_boolean(),
        "{first}"
    );
    // The page: the same entries, and the leaflet of a district.
    let page = app.get(&format!("/support?area={}", district.code)).await;
    assert_eq!(page.status, StatusCode::OK);
    for r in &by_code {
        assert!(page.body.contains(&format!("id=\"service-{r}\"")), "{r}");
    }
    let leaflet = app
        .get(&format!("/support/leaflet?area={}", district.code))
        .await;
    assert_eq!(leaflet.status, StatusCode::OK);
    assert!(
        leaflet
            .body
            .contains(&format!("Support in {}", district.name))
    );
    assert_eq!(
        app.get("/support/leaflet").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn the_directory_is_searched_as_counted_by_hand_on_sqlite() {
    story(&TestApp::spawn(false).await.unwrap()).await;
}

#[tokio::test]
async fn the_directory_is_searched_as_counted_by_hand_on_postgres() {
    let Some(app) = TestApp::spawn(true).await else {
        eprintln!("skipped PostgreSQL: TEST_POSTGRES_URL is not set");
        return;
    };
    story(&app).await;
}
