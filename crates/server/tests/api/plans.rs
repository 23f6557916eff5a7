//! Plans over HTTP: live measures show the indicators API's figures, updates change status and
//! reach the summary, and leads may update only their own actions.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use lantern_core::auth::Role;
use lantern_core::plans::{PlanOptions, parse_plan_bytes};
use serde_json::Value;

use crate::helpers::{PASSWORD, TestApp};

const PLAN: &str = "\
Live measures plan 2025-26
1. Fewer deaths
No.\tAction\tLead\tStatus\tTimescale\tMeasure
1.1\tMen's campaign\tHarbour Trust\tUnderway\tMarch 2026\tMen who died by suicide a year
1.2\tSurveillance\tHarbour Trust\tIdea\tOngoing\tSuicide rate, three years pooled
1.3\tYoung people\tOther Org\tInitial meeting\tOngoing\tSelf-harm among 15-19 year olds
1.4\tBereavement support\tOther Org\tInitial meeting\tOngoing\tFamilies in contact with support
1.5\tSchool leads\tOther Org\tInitial meeting\tOngoing\tSchools with a senior mental health lead
";

async fn post_json(app: &TestApp, uri: &str, body: &str) -> crate::helpers::Reply {
    let req = Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap();
    app.send(req).await
}

fn find<'a>(rows: &'a [Value], dims: &[(&str, &str)]) -> &'a Value {
    rows.iter()
        .find(|r| dims.iter().all(|(k, v)| r[*k] == *v))
        .unwrap_or_else(|| panic!("no row {dims:?}"))
}

pub(crate) async fn plans_story(app: &TestApp) {
    let mut plan = parse_plan_bytes("live.txt", PLAN.as_bytes(), None, &PlanOptions::default())
        .unwrap()
        .plan;
    let bind = |s: &str| Some(lantern_core::plans::live::Binding::parse(s).unwrap());
    let actions = &mut plan.sections[0].actions;
    actions[0].measures[0].indicator =
        bind("indicators:dataset=suicides&by=year,sex&audience=statutory where sex=male");
    actions[1].measures[0].indicator =
        bind("indicators:dataset=suicides&by=rolling_3_year&audience=statutory show value");
    actions[2].measures[0].indicator = bind(
        "indicators:dataset=self-harm&by=year,age_band&audience=statutory where age_band=15-19",
    );
    actions[3].measures[0].indicator = bind(
        "indicators:dataset=postvention&by=year&audience=statutory where postvention_stage=contacted show value",
    );
    actions[4].measures[0].indicator = bind(
        "indicators:dataset=coverage&by=year,organisation_type&measure=role:senior_mental_health_lead where organisation_type=school show value",
    );
    let id = app.store.create_plan(&plan).await.unwrap();
    let stored = app.store.plan(id).await.unwrap();
    let a = |n: &str| stored.action_id(n).unwrap();

    app.add_user("harbour.lead", Role::Lead, None, Some("Harbour Trust"))
        .await;
    let admin = app.session();
    // The admin (statutory) sees the same figures as the statutory indicators API.
    for (number, query, dims, field) in [
        (
            "1.1",
            "dataset=suicides&by=year,sex&audience=statutory",
            vec![("sex", "male")],
            "count",
        ),
        (
            "1.2",
            "dataset=suicides&by=rolling_3_year&audience=statutory",
            vec![],
            "value",
        ),
        (
            "1.3",
            "dataset=self-harm&by=year,age_band&audience=statutory",
            vec![("age_band", "15-19")],
            "count",
        ),
        (
            "1.4",
            "dataset=postvention&by=year&audience=statutory",
            vec![("postvention_stage", "contacted")],
            "value",
        ),
        (
            "1.5",
            "dataset=coverage&by=year,organisation_type&measure=role:senior_mental_health_lead",
            vec![("organisation_type", "school")],
            "value",
        ),
    ] {
        let api = app.get(&format!("/api/v1/indicators?{query}")).await.json();
        let rows = api["rows"].as_array().unwrap();
        let action = app
            .get(&format!("/api/v1/plans/{id}/actions/{}", a(number)))
            .await
            .json();
        let live = &action["live_measures"][0];
        let points = live["points"].as_array().unwrap();
        assert!(points.len() >= 2, "{number}: {live}");
        for p in points {
            let period = p["period"].as_str().unwrap();
            let period_dim = if query.contains("rolling_3_year") {
                "rolling_3_year"
            } else {
                "year"
            };
            let mut want = dims.clone();
            want.push((period_dim, period));
            let row = find(rows, &want);
            assert_eq!(p[field], row[field], "{number} {period}: {p} vs {row}");
            assert!(!p[field].is_null(), "{number} {period}");
        }
        // The action page shows the latest figure.
        let page = app.get(&format!("/plans/{id}/actions/{}", a(number))).await;
        let latest = &points.last().unwrap()[field];
        let shown = match field {
            "value" => lantern_core::plans::updates::figure(latest.as_f64().unwrap()),
            _ => latest.to_string(),
        };
        assert!(
            page.body.contains("class=\"figure\" data-live=")
                && page.body.contains(&format!(">{shown}</span>")),
            "{number}: {shown} not on the page"
        );
    }

    // A lead sees partner-preset figures: the same as the partner API.
    let lead = app.sign_in("harbour.lead", PASSWORD).await.unwrap();
    app.switch(Some(lead));
    let partner = app
        .get("/api/v1/indicators?dataset=suicides&by=year,sex")
        .await
        .json();
    let action = app
        .get(&format!("/api/v1/plans/{id}/actions/{}", a("1.1")))
        .await
        .json();
    let live = &action["live_measures"][0];
    assert_eq!(live["disclosure"], partner["disclosure"]);
    for p in live["points"].as_array().unwrap() {
        let row = find(
            partner["rows"].as_array().unwrap(),
            &[("year", p["period"].as_str().unwrap()), ("sex", "male")],
        );
        assert_eq!(p["count"], row["count"]);
        assert_eq!(p["suppressed"], row["suppressed"]);
    }
    assert_eq!(action["can_update"], true);

    // The lead updates their own action; the summary counts the change.
    let r = post_json(
        app,
        &format!("/api/v1/plans/{id}/actions/{}/updates", a("1.2")),
        r#"{"text": "Weekly surveillance meetings started", "status": "underway", "rag": "green"}"#,
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let bad = post_json(
        app,
        &format!("/api/v1/plans/{id}/actions/{}/updates", a("1.2")),
        r#"{"text": "x", "status": "finished"}"#,
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.body.contains("not one of the plan's statuses"),
        "{}",
        bad.body
    );
    let refused = post_json(
        app,
        &format!("/api/v1/plans/{id}/actions/{}/updates", a("1.3")),
        r#"{"text": "not mine"}"#,
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let summary = app.get(&format!("/api/v1/plans/{id}/summary")).await.json();
    let s = &summary["sections"][0];
    assert_eq!(s["updates"], 1);
    assert_eq!(s["changes"][0]["action"], "1.2");
    assert_eq!(s["changes"][0]["from"], "idea");
    assert_eq!(s["changes"][0]["to"], "underway");
    let underway = s["by_status"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["status"] == "underway")
        .unwrap();
    assert_eq!(underway["actions"], 2);
    assert_eq!(s["by_rag"]["green"], 1);

    // The form route does the same, and shows problems on the page.
    let page = app
        .post_form(
            &format!("/plans/{id}/actions/{}", a("1.1")),
            &[("text", "  "), ("status", "complete")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("the update needs some words"));
    let saved = app
        .post_form(
            &format!("/plans/{id}/actions/{}", a("1.1")),
            &[("text", "Done"), ("status", "complete"), ("rag", "green")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    measure_values_and_due_dates(app, id, a("1.2"), admin.clone()).await;
    let mine = app.get("/plans/mine").await;
    assert!(mine.body.contains("campaign"), "the lead's own action");
    assert!(
        !mine.body.contains("Young people"),
        "only the lead's actions"
    );

    // Export: the same plan back as CSV, JSON and XLSX.
    let csv = app.get(&format!("/plans/{id}/export?format=csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    let again = parse_plan_bytes("e.csv", csv.body.as_bytes(), None, &PlanOptions::default())
        .unwrap()
        .plan;
    assert_eq!(again.action_count(), 5);
    assert_eq!(
        again.action("1.1").unwrap().status.as_deref(),
        Some("complete")
    );
    let json = app
        .get(&format!("/plans/{id}/export?format=json"))
        .await
        .json();
    assert_eq!(json[0]["sections"][0]["actions"][1]["status"], "underway");
    assert_eq!(
        app.get(&format!("/plans/{id}/export?format=pdf"))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(app.get("/plans/999999").await.status, StatusCode::NOT_FOUND);
    app.switch(admin);
}

/// A lead records a measure's value and proposes a new due date; an analyst agrees a date; both
/// show in the action's history and the audit log, and wrong values say what to fix.
async fn measure_values_and_due_dates(
    app: &TestApp,
    id: i64,
    action: i64,
    admin: Option<crate::helpers::Session>,
) {
    let lead = app.session();
    let updates = format!("/api/v1/plans/{id}/actions/{action}/updates");
    let today = chrono::Utc::now().date_naive();
    let proposed = today + chrono::Duration::days(60);
    let r = post_json(
        app,
        &updates,
        &format!(
            r#"{{"value": "22 of 31", "value_on": "{}", "due": "{proposed}", "due_reason": "Staff redeployed this winter"}}"#,
            today - chrono::Duration::days(2)
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let before = app.store.plan(id).await.unwrap();
    let (_, a) = before.action_by_id(action).unwrap();
    let due_before = a.due;
    assert_ne!(
        due_before,
        Some(proposed),
        "a proposal does not move the date"
    );

    let got = app
        .get(&format!("/api/v1/plans/{id}/actions/{action}"))
        .await
        .json();
    let last = got["updates"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["reading"]["value"], 22.0);
    assert_eq!(last["reading"]["of"], 31.0);
    assert_eq!(last["due_change"]["agreed"], false);
    assert_eq!(last["due_change"]["due"], proposed.to_string());
    let reported = got["live_measures"][0]["reported"].as_str().unwrap();
    assert!(reported.starts_with("22 of 31 (71%)"), "{reported}");
    assert!(reported.ends_with("recorded by harbour.lead"), "{reported}");

    let page = app.get(&format!("/plans/{id}/actions/{action}")).await;
    assert!(page.body.contains("Proposed due date"), "{}", page.body);
    assert!(page.body.contains("waiting for an analyst"));
    assert!(page.body.contains("Measure value · "));
    assert!(page.body.contains("proposed a new due date,"));

    for (body, says) in [
        (r#"{"value": "40 of 31"}"#, "40 is more than the 31"),
        (
            r#"{"value": 3, "measure": 2}"#,
            "'2' is not one of the measures (1 to 1)",
        ),
        (r#"{"due": "2099-01-01"}"#, "say why the date should move"),
        (r#"{"due_reason": "no date"}"#, "no new date"),
        (
            r#"{"text": " "}"#,
            "needs some words, a measure's value or a new due date",
        ),
    ] {
        let bad = post_json(app, &updates, body).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(bad.body.contains(says), "{body}: {}", bad.body);
    }

    // The analyst agrees the date the lead proposed: it becomes the action's due date.
    app.switch(admin);
    let agreed = app
        .post_form(
            &format!("/plans/{id}/actions/{action}"),
            &[
                ("due", &proposed.format("%d/%m/%Y").to_string()),
                ("due_reason", "Agreed at the oversight group"),
            ],
        )
        .await;
    assert_eq!(agreed.status, StatusCode::SEE_OTHER, "{}", agreed.body);
    let after = app.store.plan(id).await.unwrap();
    assert_eq!(after.action_by_id(action).unwrap().1.due, Some(proposed));
    let page = app.get(&format!("/plans/{id}/actions/{action}")).await;
    assert!(!page.body.contains("Proposed due date"), "answered");
    assert!(page.body.contains("moved the due date to"));
    let (log, _) = app.store.audit_log().await.unwrap();
    let details: Vec<&str> = log
        .iter()
        .filter(|e| e.entry.action == "plan_update")
        .map(|e| e.entry.detail.as_str())
        .collect();
    assert!(
        details
            .iter()
            .any(|d| d.contains("value=22_of_31_(71%)") && d.ends_with("proposed")),
        "{details:?}"
    );
    assert!(
        details
            .iter()
            .any(|d| d.ends_with(&format!("due_to={proposed} agreed")))
    );
    app.switch(lead);
}
