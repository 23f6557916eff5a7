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

/// The keeper of an entry (a user of its organisation) changes it from the form: wrong fields
/// are named beside themselves and nothing is saved; a good form saves, checks the entry today
/// and is audited; another organisation's user is refused.
#[tokio::test]
async fn an_entrys_keeper_changes_it_from_the_form() {
    use lantern_core::auth::Role;
    let app = TestApp::spawn(false).await.unwrap();
    let org = lantern_core::demo::plan::DEMO_LEAD_ORGANISATION;
    app.add_user("keeper", Role::Lead, None, Some(org)).await;
    app.add_user("other", Role::Lead, None, Some("Harbour Light"))
        .await;
    let keeper = app
        .sign_in("keeper", crate::helpers::PASSWORD)
        .await
        .unwrap();
    app.switch(Some(keeper));
    let before = app.store.services().await.unwrap();
    let old = before
        .iter()
        .find(|s| s.reference == "AV-CARERS-01")
        .unwrap()
        .clone();
    assert_eq!(old.organisation, org);
    let form = app.get("/support/services/AV-CARERS-01/edit").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(
        form.body.contains("value=\"Ashvale Carers\""),
        "{}",
        form.body
    );
    let bad = app
        .post_form(
            "/support/services/AV-CARERS-01",
            &[
                ("name", "Ashvale Carers"),
                ("needs", "carers"),
                ("areas", "X99999999"),
                ("access", "self_referral"),
                ("phone", "ring us"),
                ("age_min", "40"),
                ("age_max", "20"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for says in [
        "&#39;X99999999&#39; is not a known area code",
        "&#39;ring us&#39; is not a telephone number",
        "the oldest age 20 is below the youngest 40",
    ] {
        assert!(bad.body.contains(says), "{says}: {}", bad.body);
    }
    assert_eq!(
        app.store.services().await.unwrap(),
        before,
        "nothing was saved"
    );
    let good = app
        .post_form(
            "/support/services/AV-CARERS-01",
            &[
                ("name", "Ashvale Carers Centre"),
                ("needs", "carers"),
                ("needs", "older_people"),
                ("areas", "all"),
                ("access", "both"),
                ("phone", "01632 960 113"),
                ("hours", "Monday to Saturday"),
                // A keeper cannot hand the entry to another organisation.
                ("organisation", "Someone Else"),
            ],
        )
        .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.body);
    let now = app.store.services().await.unwrap();
    let new = now.iter().find(|s| s.reference == "AV-CARERS-01").unwrap();
    assert_eq!(new.name, "Ashvale Carers Centre");
    assert_eq!(new.needs, ["carers", "older_people"]);
    assert_eq!(new.areas, ["all"]);
    assert_eq!(new.organisation, org);
    assert_eq!(new.hours.as_deref(), Some("Monday to Saturday"));
    assert_eq!(new.website, None, "a field left blank is cleared");
    assert_eq!(
        new.last_verified,
        chrono::Utc::now().date_naive(),
        "saving checks it today"
    );
    let (log, _) = app.store.audit_log().await.unwrap();
    assert!(log.iter().any(|e| e.entry.action == "service_changed"
        && e.entry.actor == "keeper"
        && e.entry.detail.contains("AV-CARERS-01")));
    let other = app
        .sign_in("other", crate::helpers::PASSWORD)
        .await
        .unwrap();
    app.switch(Some(other));
    assert_eq!(
        app.get("/support/services/AV-CARERS-01/edit").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post_form("/support/services/AV-CARERS-01", &[("name", "Mine now")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}
