//! The access layer: every route × every role × the status it must answer, with a check that no
//! person-level row reaches partners, the public, leads or an out-of-area user; sign-in
//! lockout; CSRF; session timeouts; break the glass; restricted fields; and identifiers never
//! logged.

use std::collections::HashSet;
use std::io::Write as _;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use lantern_core::area::AreaLevel;
use lantern_core::auth::Role;
use lantern_core::register::{SELF_HARM, SUICIDES};
use lantern_core::store::RecordQuery;
use lantern_server::ServerConfig;

use crate::helpers::{PASSWORD, Session, TestApp};

/// The people the table runs as, in the order of each row's expected statuses.
const WHO: [&str; 7] = [
    "public", "admin", "analyst", "district", "recorder", "lead", "partner",
];

/// Who may never see a person-level row.
const NO_PEOPLE: [&str; 3] = ["public", "lead", "partner"];

struct Row {
    method: &'static str,
    /// The route pattern, as in the access policy.
    pattern: &'static str,
    uri: String,
    /// Form fields (POST) or a JSON body (`json:` prefix in the first field).
    form: Vec<(&'static str, String)>,
    json: Option<String>,
    expect: [u16; 7],
    /// The request ends the session, so each role signs in afresh first.
    ends_session: bool,
}

fn row(method: &'static str, pattern: &'static str, uri: &str, expect: [u16; 7]) -> Row {
    Row {
        method,
        pattern,
        uri: uri.to_owned(),
        form: Vec::new(),
        json: None,
        expect,
        ends_session: false,
    }
}

/// Records the table opens, found in the demo data.
pub(crate) struct Fixture {
    pub(crate) district: String,
    /// A suspected suicide of a district resident, recorded by the police.
    pub(crate) in_police: i64,
    /// A suspected suicide of a resident outside the district, recorded by the coroner.
    pub(crate) out_coroner: i64,
    out_coroner_ref: String,
    /// A self-harm presentation of a district resident.
    sh_in: i64,
    /// The demo plan, and an action its lead user's organisation leads.
    plan: i64,
    action: i64,
    /// A stored signal.
    pub(crate) signal: i64,
    /// A stored signal in another district.
    pub(crate) signal_out: i64,
    /// Another district.
    pub(crate) other_district: String,
}

pub(crate) async fn fixture(app: &TestApp) -> Fixture {
    let district = app.store.areas(Some(AreaLevel::Lad)).await.unwrap()[0]
        .code
        .clone();
    let all = RecordQuery {
        per_page: 500,
        ..RecordQuery::default()
    };
    let suicides = app.store.list_records(&SUICIDES, &all).await.unwrap().items;
    let mut in_police = None;
    let mut out_coroner = None;
    for r in &suicides {
        let home = r.record.text("residence_area");
        let inside = app.store.area_contains(&district, &home).await.unwrap();
        match (inside, r.record.text("source").as_str()) {
            (true, "ashvale_police") if in_police.is_none() => in_police = Some(r),
            (false, "ashvale_coroner") if out_coroner.is_none() => out_coroner = Some(r),
            _ => {}
        }
    }
    let in_district = RecordQuery {
        area: Some(district.clone()),
        per_page: 1,
        ..RecordQuery::default()
    };
    let sh_in = app
        .store
        .list_records(&SELF_HARM, &in_district)
        .await
        .unwrap()
        .items[0]
        .id;
    let out = out_coroner.unwrap();
    let end = chrono::NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
    let demo_plan = lantern_core::demo::plan::plan(end);
    // The fixture is made once per story on a database: reuse the plan when it is there.
    let existing = app.store.plans().await.unwrap();
    let plan = match existing.iter().find(|p| p.title == demo_plan.title) {
        Some(p) => p.id,
        None => app.store.create_plan(&demo_plan).await.unwrap(),
    };
    let stored = app.store.plan(plan).await.unwrap();
    let action = stored
        .plan
        .actions()
        .find(|(_, a)| {
            a.led_by(lantern_core::demo::plan::DEMO_LEAD_ORGANISATION)
                && !a.led_by("ashvale_police")
        })
        .and_then(|(_, a)| stored.action_id(&a.number))
        .unwrap();
    let found = lantern_core::signals::Found {
        key: "rule:test:access-table".to_owned(),
        kind: lantern_core::signals::SignalKind::Rule,
        dataset: "suicides".to_owned(),
        area_code: Some(district.clone()),
        title: "3 suspected suicides close together".to_owned(),
        explanation: "3 suspected suicides, each within 1000 m and 90 days of another.".to_owned(),
        method: "rule-near".to_owned(),
        parameters: serde_json::json!({"count": 3}),
        observed: 3,
        expected: None,
        p_value: None,
        recurrence_days: None,
        start: end,
        end,
        places: Vec::new(),
        radius_km: None,
        timeline: vec![(end, 3)],
        snapshot: "1".to_owned(),
        elapsed_ms: 1,
    };
    let other_district = app.store.areas(Some(AreaLevel::Lad)).await.unwrap()[1]
        .code
        .clone();
    let elsewhere = lantern_core::signals::Found {
        key: "rule:test:access-table-elsewhere".to_owned(),
        area_code: Some(other_district.clone()),
        ..found.clone()
    };
    app.store
        .save_signals(&[found.clone(), elsewhere.clone()], chrono::Utc::now())
        .await
        .unwrap();
    let stored = app.store.signals().await.unwrap();
    let id_of = |key: &str| stored.iter().find(|s| s.found.key == key).unwrap().id;
    let signal = id_of(&found.key);
    let signal_out = id_of(&elsewhere.key);
    Fixture {
        signal,
        signal_out,
        other_district,
        plan,
        action,
        district,
        in_police: in_police.unwrap().id,
        out_coroner: out.id,
        out_coroner_ref: out.record.text("source_ref"),
        sh_in,
    }
}

fn table(f: &Fixture) -> Vec<Row> {
    let all_200 = [200; 7];
    // Columns: public, admin, analyst, district, recorder, lead, partner.
    let html_people = [303, 200, 200, 200, 200, 403, 403];
    let api_people = [401, 200, 200, 200, 200, 403, 403];
    let write_people = [401, 422, 422, 422, 422, 403, 403];
    let (ip, oc, sh) = (f.in_police, f.out_coroner, f.sh_in);
    let mut rows = vec![
        row("GET", "/", "/", all_200),
        row("GET", "/healthz", "/healthz", all_200),
        row("GET", "/static/style.css", "/static/style.css", all_200),
        row("GET", "/static/map.js", "/static/map.js", all_200),
        row("GET", "/static/forms.js", "/static/forms.js", all_200),
        row("GET", "/login", "/login", all_200),
        row("GET", "/areas", "/areas", all_200),
        row("GET", "/api/v1/areas", "/api/v1/areas", all_200),
        row(
            "GET",
            "/areas/{code}",
            &format!("/areas/{}", f.district),
            all_200,
        ),
        row("GET", "/map", "/map", all_200),
        row("GET", "/explore", "/explore", all_200),
        row(
            "GET",
            "/api/v1/openapi.json",
            "/api/v1/openapi.json",
            all_200,
        ),
        row("GET", "/map.svg", "/map.svg", all_200),
        row("GET", "/api/v1/map", "/api/v1/map", all_200),
        row(
            "GET",
            "/api/v1/map",
            "/api/v1/map?audience=statutory",
            [401, 200, 200, 200, 403, 403, 403],
        ),
        row(
            "GET",
            "/api/v1/indicators",
            "/api/v1/indicators?by=year",
            all_200,
        ),
        row(
            "GET",
            "/api/v1/indicators",
            "/api/v1/indicators?by=year&audience=statutory",
            [401, 200, 200, 200, 403, 403, 403],
        ),
        row(
            "GET",
            "/api/v1/session",
            "/api/v1/session",
            [401, 200, 200, 200, 200, 200, 200],
        ),
        row(
            "GET",
            "/quality",
            "/quality",
            [303, 200, 200, 200, 403, 403, 403],
        ),
        row(
            "GET",
            "/admin/audit",
            "/admin/audit",
            [303, 200, 403, 403, 403, 403, 403],
        ),
        row(
            "GET",
            "/admin/users",
            "/admin/users",
            [303, 200, 403, 403, 403, 403, 403],
        ),
        row(
            "GET",
            "/register/{dataset}",
            "/register/suicides",
            html_people,
        ),
        row(
            "GET",
            "/register/{dataset}",
            "/register/self-harm",
            html_people,
        ),
        row(
            "GET",
            "/register/{dataset}/new",
            "/register/suicides/new",
            html_people,
        ),
        row(
            "GET",
            "/register/{dataset}/{id}",
            &format!("/register/suicides/{ip}"),
            html_people,
        ),
        row(
            "GET",
            "/register/{dataset}/{id}",
            &format!("/register/suicides/{oc}"),
            [303, 200, 200, 403, 403, 403, 403],
        ),
        row(
            "GET",
            "/register/{dataset}/{id}",
            &format!("/register/self-harm/{sh}"),
            [303, 200, 200, 200, 403, 403, 403],
        ),
        row(
            "GET",
            "/register/{dataset}/{id}/edit",
            &format!("/register/suicides/{ip}/edit"),
            html_people,
        ),
        row(
            "GET",
            "/register/{dataset}/{id}/edit",
            &format!("/register/suicides/{oc}/edit"),
            [303, 200, 200, 403, 403, 403, 403],
        ),
        row("GET", "/api/v1/suicides", "/api/v1/suicides", api_people),
        row("GET", "/api/v1/self-harm", "/api/v1/self-harm", api_people),
        row(
            "GET",
            "/api/v1/suicides/{id}",
            &format!("/api/v1/suicides/{ip}"),
            api_people,
        ),
        row(
            "GET",
            "/api/v1/suicides/{id}",
            &format!("/api/v1/suicides/{oc}"),
            [401, 200, 200, 403, 403, 403, 403],
        ),
        row(
            "GET",
            "/api/v1/self-harm/{id}",
            &format!("/api/v1/self-harm/{sh}"),
            [401, 200, 200, 200, 403, 403, 403],
        ),
        // Writes with empty forms: allowed roles get as far as validation (422).
        row(
            "POST",
            "/register/{dataset}",
            "/register/suicides",
            write_people,
        ),
        row(
            "POST",
            "/register/{dataset}/{id}",
            &format!("/register/suicides/{ip}"),
            write_people,
        ),
        row(
            "POST",
            "/register/{dataset}/{id}",
            &format!("/register/suicides/{oc}"),
            [401, 422, 422, 403, 403, 403, 403],
        ),
        row(
            "POST",
            "/register/suicides/{id}/status",
            &format!("/register/suicides/{ip}/status"),
            write_people,
        ),
        row(
            "POST",
            "/register/suicides/{id}/status",
            &format!("/register/suicides/{oc}/status"),
            [401, 422, 422, 403, 403, 403, 403],
        ),
        row(
            "POST",
            "/register/suicides/{id}/postvention",
            &format!("/register/suicides/{ip}/postvention"),
            write_people,
        ),
        row(
            "POST",
            "/register/suicides/{id}/postvention",
            &format!("/register/suicides/{oc}/postvention"),
            [401, 422, 422, 403, 403, 403, 403],
        ),
    ];
    // Plans: any signed-in user reads them; an update (here empty, so refused as invalid
    // without writing) is for the action's leads and analysts.
    let signed_in_html = [303, 200, 200, 200, 200, 200, 200];
    let signed_in_api = [401, 200, 200, 200, 200, 200, 200];
    let update = [401, 422, 422, 422, 403, 422, 403];
    let (pl, ac) = (f.plan, f.action);
    for (pattern, uri) in [
        ("/plans", "/plans".to_owned()),
        ("/plans/mine", "/plans/mine".to_owned()),
        ("/plans/{id}", format!("/plans/{pl}?status=underway")),
        ("/plans/{id}/summary", format!("/plans/{pl}/summary")),
        ("/plans/{id}/attention", format!("/plans/{pl}/attention")),
        (
            "/plans/{id}/export",
            format!("/plans/{pl}/export?format=csv"),
        ),
        (
            "/plans/{id}/actions/{action}",
            format!("/plans/{pl}/actions/{ac}"),
        ),
    ] {
        rows.push(row("GET", pattern, &uri, signed_in_html));
    }
    for (pattern, uri) in [
        ("/api/v1/plans", "/api/v1/plans".to_owned()),
        ("/api/v1/plans/{id}", format!("/api/v1/plans/{pl}")),
        (
            "/api/v1/plans/{id}/summary",
            format!("/api/v1/plans/{pl}/summary"),
        ),
        (
            "/api/v1/plans/{id}/actions/{action}",
            format!("/api/v1/plans/{pl}/actions/{ac}"),
        ),
    ] {
        rows.push(row("GET", pattern, &uri, signed_in_api));
    }
    // Reports: any signed-in user, for the audiences their role may see; statutory reports
    // (the page's preview and the files) for analysts and admins.
    let analysts_reports = [303, 200, 200, 200, 403, 403, 403];
    for (pattern, uri, codes) in [
        ("/reports", "/reports", signed_in_html),
        (
            "/reports",
            "/reports?kind=audit&period=2024&audience=partner",
            signed_in_html,
        ),
        (
            "/reports",
            "/reports?kind=quarterly&period=2024Q4&audience=statutory",
            analysts_reports,
        ),
        (
            "/reports/file",
            "/reports/file?kind=self-harm&period=2024&audience=public&format=csv",
            signed_in_html,
        ),
        (
            "/reports/file",
            "/reports/file?kind=audit&period=2024&audience=statutory&format=pdf",
            analysts_reports,
        ),
    ] {
        rows.push(row("GET", pattern, uri, codes));
    }
    let mut form_update = row(
        "POST",
        "/plans/{id}/actions/{action}",
        &format!("/plans/{pl}/actions/{ac}"),
        update,
    );
    form_update.form = vec![("text", String::new()), ("status", "complete".to_owned())];
    rows.push(form_update);
    // Signals: analysts and admins; writes with a missing note or name stop at validation.
    let analysts_html = [303, 200, 200, 200, 403, 403, 403];
    let sg = f.signal;
    for (pattern, uri) in [
        ("/signals", "/signals".to_owned()),
        ("/signals", "/signals?status=all".to_owned()),
        ("/signals/locations", "/signals/locations".to_owned()),
        ("/signals/settings", "/signals/settings".to_owned()),
        ("/signals/{id}", format!("/signals/{sg}")),
    ] {
        rows.push(row("GET", pattern, &uri, analysts_html));
    }
    rows.push(row(
        "GET",
        "/api/v1/signals",
        "/api/v1/signals",
        [401, 200, 200, 200, 403, 403, 403],
    ));
    // Signals and exact figures follow the area scope: the district's analyst is refused
    // another district's.
    rows.push(row(
        "GET",
        "/signals/{id}",
        &format!("/signals/{}", f.signal_out),
        [303, 200, 200, 403, 403, 403, 403],
    ));
    let mut review_out = row(
        "POST",
        "/signals/{id}",
        &format!("/signals/{}", f.signal_out),
        [401, 422, 422, 403, 403, 403, 403],
    );
    review_out.form = vec![
        ("status", "closed".to_owned()),
        ("note", String::new()),
        ("version", "1".to_owned()),
    ];
    rows.push(review_out);
    rows.push(row(
        "GET",
        "/api/v1/indicators",
        &format!(
            "/api/v1/indicators?by=lsoa&area={}&audience=statutory",
            f.other_district
        ),
        [401, 200, 200, 403, 403, 403, 403],
    ));
    rows.push(row(
        "GET",
        "/api/v1/indicators",
        &format!(
            "/api/v1/indicators?by=lsoa&area={}&audience=statutory",
            f.district
        ),
        [401, 200, 200, 200, 403, 403, 403],
    ));
    let analysts_write = [401, 422, 422, 422, 403, 403, 403];
    let mut review = row(
        "POST",
        "/signals/{id}",
        &format!("/signals/{sg}"),
        analysts_write,
    );
    review.form = vec![
        ("status", "closed".to_owned()),
        ("note", String::new()),
        ("version", "1".to_owned()),
    ];
    rows.push(review);
    let mut location = row(
        "POST",
        "/signals/locations",
        "/signals/locations",
        analysts_write,
    );
    location.form = vec![("name", String::new()), ("lat", "x".to_owned())];
    rows.push(location);
    // Report schedules: analysts add, remove and run them (a bad form stops at validation);
    // any signed-in user downloads a run's files for an audience they may see.
    let mut schedule = row(
        "POST",
        "/reports/schedules",
        "/reports/schedules",
        analysts_write,
    );
    schedule.form = vec![
        ("kind", "digest".to_owned()),
        ("cadence", "quarterly".to_owned()),
        ("audience", "partner".to_owned()),
    ];
    rows.push(schedule);
    // Uploads: people-level roles. A POST that is not multipart is refused by the extractor
    // (400); a confirm with no waiting check is refused as invalid (422).
    rows.push(row("GET", "/imports", "/imports", html_people));
    rows.push(row("GET", "/postvention", "/postvention", html_people));
    // Organisations and training: anyone signed in sees the figures; analysts upload (a POST
    // that is not multipart is refused by the extractor).
    rows.push(row(
        "GET",
        "/workforce",
        "/workforce",
        [303, 200, 200, 200, 200, 200, 200],
    ));
    // Media reports: anyone signed in sees them; the statutory core adds one (an empty form
    // stops at validation).
    rows.push(row(
        "GET",
        "/media",
        "/media",
        [303, 200, 200, 200, 200, 200, 200],
    ));
    rows.push(row("POST", "/media", "/media", write_people));
    rows.push(row(
        "POST",
        "/workforce/upload",
        "/workforce/upload",
        [401, 400, 400, 400, 403, 403, 403],
    ));
    // The support directory is public; an entry's organisation (the lead's, for this one) or
    // an analyst says it was checked.
    rows.push(row(
        "GET",
        "/support",
        "/support?place=AV1&need=crisis&age=30",
        [200; 7],
    ));
    rows.push(row(
        "GET",
        "/support/leaflet",
        "/support/leaflet?area=X07000001",
        [200; 7],
    ));
    rows.push(row(
        "GET",
        "/api/v1/support",
        "/api/v1/support?area=X07000001&need=crisis&age=30",
        [200; 7],
    ));
    rows.push(row(
        "POST",
        "/support/services/{reference}/verify",
        "/support/services/AV-CARERS-01/verify",
        [401, 303, 303, 303, 403, 303, 403],
    ));
    rows.push(row(
        "GET",
        "/support/services/{reference}/edit",
        "/support/services/AV-CARERS-01/edit",
        [303, 200, 200, 200, 403, 200, 403],
    ));
    // An entry with no name stops at validation, after the keeper check.
    let mut change = row(
        "POST",
        "/support/services/{reference}",
        "/support/services/AV-CARERS-01",
        [401, 422, 422, 422, 403, 422, 403],
    );
    change.form = vec![("name", String::new()), ("needs", "carers".to_owned())];
    rows.push(change);
    rows.push(row(
        "POST",
        "/imports",
        "/imports",
        [401, 400, 400, 400, 400, 403, 403],
    ));
    let mut confirm = row("POST", "/imports/confirm", "/imports/confirm", write_people);
    confirm.form = vec![("token", "no-such-check".to_owned())];
    rows.push(confirm);
    rows.push(row(
        "GET",
        "/register/duplicates",
        "/register/duplicates",
        [303, 200, 200, 200, 403, 403, 403],
    ));
    let mut decide = row(
        "POST",
        "/register/duplicates/{id}",
        "/register/duplicates/999999",
        [401, 404, 404, 404, 403, 403, 403],
    );
    decide.form = vec![("decision", "same".to_owned())];
    rows.push(decide);
    rows.push(row(
        "GET",
        "/plans/import",
        "/plans/import",
        [303, 200, 200, 200, 403, 403, 403],
    ));
    rows.push(row(
        "POST",
        "/plans/import",
        "/plans/import",
        [401, 400, 400, 400, 403, 403, 403],
    ));
    let mut plan_confirm = row(
        "POST",
        "/plans/import/confirm",
        "/plans/import/confirm",
        analysts_write,
    );
    plan_confirm.form = vec![("token", "no-such-check".to_owned())];
    rows.push(plan_confirm);
    rows.push(row(
        "POST",
        "/reports/schedules/run",
        "/reports/schedules/run",
        [401, 303, 303, 303, 403, 403, 403],
    ));
    rows.push(row(
        "POST",
        "/reports/schedules/{id}/delete",
        "/reports/schedules/999999/delete",
        [401, 404, 404, 404, 403, 403, 403],
    ));
    rows.push(row(
        "GET",
        "/reports/runs/{id}/{format}",
        "/reports/runs/999999/pdf",
        [303, 404, 404, 404, 404, 404, 404],
    ));
    // The detectors' settings: admins only; a form out of range stops at validation.
    let mut settings = row(
        "POST",
        "/signals/settings",
        "/signals/settings",
        [401, 422, 403, 403, 403, 403, 403],
    );
    settings.form = vec![("near_count", "x".to_owned())];
    rows.push(settings);
    let mut api_update = row(
        "POST",
        "/api/v1/plans/{id}/actions/{action}/updates",
        &format!("/api/v1/plans/{pl}/actions/{ac}/updates"),
        update,
    );
    api_update.json = Some(r#"{"text": "", "status": "complete"}"#.to_owned());
    rows.push(api_update);
    rows.push(row(
        "POST",
        "/register/{dataset}/{id}/break-glass",
        &format!("/register/suicides/{oc}/break-glass"),
        [401, 422, 422, 422, 403, 403, 403],
    ));
    for r in rows.iter_mut().filter(|r| r.method == "POST") {
        if r.pattern.ends_with("/status") {
            r.form = vec![("status", String::new()), ("effective_on", String::new())];
        }
        // Consent with no offer: refused as out of order, after the scope check.
        if r.pattern.ends_with("/postvention") {
            r.form = vec![
                ("support_offered", String::new()),
                ("support_consent", "yes".to_owned()),
                ("referral_date", String::new()),
                ("referral_service", String::new()),
                ("first_contact_date", String::new()),
                ("postvention_outcome", String::new()),
            ];
        }
        if r.pattern.ends_with("/break-glass") {
            r.form = vec![("reason", "short".to_owned())];
        }
    }
    let mut login = row("POST", "/login", "/login", [401; 7]);
    login.form = vec![
        ("username", "nobody.WHO".to_owned()),
        ("password", "not the password at all".to_owned()),
    ];
    rows.push(login);
    let mut api_login = row("POST", "/api/v1/session", "/api/v1/session", [401; 7]);
    api_login.json =
        Some(r#"{"username":"nobody.api.WHO","password":"wrong wrong wrong"}"#.to_owned());
    rows.push(api_login);
    let mut logout = row(
        "POST",
        "/logout",
        "/logout",
        [401, 303, 303, 303, 303, 303, 303],
    );
    logout.ends_session = true;
    rows.push(logout);
    let mut api_logout = row(
        "DELETE",
        "/api/v1/session",
        "/api/v1/session",
        [401, 204, 204, 204, 204, 204, 204],
    );
    api_logout.ends_session = true;
    rows.push(api_logout);
    rows
}

async fn add_users(app: &TestApp, district: &str) {
    let county = app.store.areas(Some(AreaLevel::County)).await.unwrap()[0]
        .code
        .clone();
    app.add_user("analyst", Role::Analyst, Some(&county), None)
        .await;
    app.add_user("district", Role::Analyst, Some(district), None)
        .await;
    app.add_user(
        "recorder",
        Role::Recorder,
        Some(&county),
        Some("ashvale_police"),
    )
    .await;
    app.add_user(
        "lead",
        Role::Lead,
        None,
        Some(lantern_core::demo::plan::DEMO_LEAD_ORGANISATION),
    )
    .await;
    app.add_user("partner", Role::Partner, None, None).await;
}

async fn sign_in(app: &TestApp, who: &str) -> Option<Session> {
    (who != "public").then_some(())?;
    Some(app.sign_in(who, PASSWORD).await.unwrap())
}

/// Send a row's request; `WHO` in a body becomes the role (so failed sign-ins of one role do
/// not lock out the next).
async fn send(app: &TestApp, r: &Row, who: &str) -> crate::helpers::Reply {
    match (r.method, &r.json) {
        ("GET", _) => app.get(&r.uri).await,
        ("DELETE", _) => {
            app.send(Request::delete(&r.uri).body(Body::empty()).unwrap())
                .await
        }
        ("POST", Some(json)) => {
            let req = Request::post(&r.uri)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json.replace("WHO", who)))
                .unwrap();
            app.send(req).await
        }
        _ => {
            let values: Vec<(&str, String)> = r
                .form
                .iter()
                .map(|(k, v)| (*k, v.replace("WHO", who)))
                .collect();
            let form: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form(&r.uri, &form).await
        }
    }
}

async fn route_table(app: &TestApp) {
    let f = fixture(app).await;
    add_users(app, &f.district).await;
    let rows = table(&f);

    // The table covers every route the server has.
    let covered: HashSet<(&str, &str)> = rows.iter().map(|r| (r.method, r.pattern)).collect();
    for (method, pattern, _) in lantern_server::route_policy() {
        assert!(
            covered.contains(&(method, pattern)),
            "{method} {pattern} is not in the route × role table"
        );
    }

    let source_refs: Vec<String> = [&SUICIDES, &SELF_HARM]
        .iter()
        .flat_map(|d| {
            futures_lite(app.store.export_records(d))
                .unwrap()
                .into_iter()
                .map(|r| r.text("source_ref"))
        })
        .collect();
    let mut failures = Vec::new();
    for (i, who) in WHO.iter().enumerate() {
        let mut session = sign_in(app, who).await;
        app.switch(session.clone());
        for r in &rows {
            if r.ends_session && session.is_none() && *who != "public" {
                session = sign_in(app, who).await;
                app.switch(session.clone());
            }
            let reply = send(app, r, who).await;
            if reply.status.as_u16() != r.expect[i] {
                failures.push(format!(
                    "{who:>8} {} {}: got {}, want {}",
                    r.method, r.uri, reply.status, r.expect[i]
                ));
            }
            if NO_PEOPLE.contains(who)
                && let Some(leak) = source_refs.iter().find(|s| reply.body.contains(s.as_str()))
            {
                failures.push(format!("{who} {} {}: shows record {leak}", r.method, r.uri));
            }
            if *who == "district" && reply.body.contains(&f.out_coroner_ref) {
                failures.push(format!(
                    "district {} {}: shows an out-of-area record",
                    r.method, r.uri
                ));
            }
            if r.ends_session {
                session = None;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Run a store future to completion inside the async test without `.await` in a closure.
fn futures_lite<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
}

async fn scoped_lists(app: &TestApp, district: &str) {
    // A district analyst's list holds only district residents; a recorder's only their own.
    app.switch(Some(app.sign_in("district", PASSWORD).await.unwrap()));
    let list = app.get("/api/v1/suicides?per_page=500").await.json();
    let items = list["items"].as_array().unwrap();
    assert!(!items.is_empty());
    for item in items {
        let home = item["residence_area"].as_str().unwrap();
        assert!(
            app.store.area_contains(district, home).await.unwrap(),
            "{home}"
        );
    }
    // Asking for another area does not widen the scope.
    let other = app.store.areas(Some(AreaLevel::Lad)).await.unwrap()[1]
        .code
        .clone();
    let list = app
        .get(&format!("/api/v1/suicides?area={other}"))
        .await
        .json();
    assert_eq!(list["total"], 0);

    app.switch(Some(app.sign_in("recorder", PASSWORD).await.unwrap()));
    let list = app.get("/api/v1/suicides?per_page=500").await.json();
    let items = list["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(items.iter().all(|i| i["source"] == "ashvale_police"));
    let list = app
        .get("/api/v1/suicides?source=ashvale_coroner")
        .await
        .json();
    assert_eq!(list["total"], 0);
    // Restricted fields are hidden from a recorder, in lists and records, even where filled.
    for item in items {
        for f in ["location_text", "substances", "notes"] {
            assert!(item[f].is_null(), "{f} shown to a recorder");
        }
    }
    // A recorder may not set a field they may not read (a blind write is a probe).
    let mut probe = vec![
        ("source", "ashvale_coroner"),
        ("source_ref", "REC-0"),
        ("date_of_death", "2025-01-02"),
        ("age", "40"),
        ("sex", "male"),
        ("residence_area", "X01000002"),
        ("status", "suspected"),
        ("method_group", "other"),
        ("location_type", "home"),
    ];
    probe.push(("notes", "entered by the recorder"));
    let refused = app.post_form("/register/suicides", &probe).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    // A recorder's new record is their organisation's, whatever the form says.
    let form = [
        ("source", "ashvale_coroner"),
        ("source_ref", "REC-1"),
        ("date_of_death", "2025-01-02"),
        ("age", "40"),
        ("sex", "male"),
        ("residence_area", "X01000002"),
        ("status", "suspected"),
        ("method_group", "other"),
        ("location_type", "home"),
    ];
    let created = app.post_form("/register/suicides", &form).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let id: i64 = created
        .location
        .unwrap()
        .split('/')
        .nth(3)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let stored = app.store.record(&SUICIDES, id).await.unwrap();
    assert_eq!(stored.record.text("source"), "ashvale_police");
    // An analyst adds notes; the recorder's edit, without seeing them, keeps them.
    let mut with_notes = stored.record.clone();
    with_notes.set(
        "notes",
        Some(lantern_core::register::Value::Text(
            "entered by the recorder".to_owned(),
        )),
    );
    app.store
        .update_record(id, &with_notes, "test", None)
        .await
        .unwrap();
    let stored = app.store.record(&SUICIDES, id).await.unwrap();
    let mut edit = form.to_vec();
    let version = stored.version.to_string();
    edit.push(("version", &version));
    edit[5] = ("residence_area", "X01000003");
    let saved = app
        .post_form(&format!("/register/suicides/{id}"), &edit)
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let stored = app.store.record(&SUICIDES, id).await.unwrap();
    assert_eq!(stored.record.text("notes"), "entered by the recorder");
    assert_eq!(stored.record.text("residence_area"), "X01000003");
}

async fn break_the_glass(app: &TestApp, f: &Fixture) {
    app.switch(Some(app.sign_in("district", PASSWORD).await.unwrap()));
    let page = app
        .get(&format!("/register/suicides/{}", f.out_coroner))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("Why do you need this record?"));
    let reason = "Linking with a death in my district (coroner request 7)";
    let opened = app
        .post_form(
            &format!("/register/suicides/{}/break-glass", f.out_coroner),
            &[("reason", reason)],
        )
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER);
    let page = app
        .get(&format!("/register/suicides/{}", f.out_coroner))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let (log, _) = app.store.audit_log().await.unwrap();
    let entry = log
        .iter()
        .rev()
        .find(|e| e.entry.action == "break_glass")
        .unwrap();
    assert_eq!(entry.entry.actor, "district");
    assert_eq!(entry.entry.record_id, Some(f.out_coroner));
    assert!(entry.entry.detail.contains(reason));
    // Admins see it reported.
    app.switch(Some(app.sign_in("admin", PASSWORD).await.unwrap()));
    let users = app.get("/admin/users").await;
    assert!(users.body.contains("Linking with a death in my district"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_every_role_as_the_table_says() {
    let app = TestApp::spawn(false).await.unwrap();
    route_table(&app).await;
    let f = fixture(&app).await;
    scoped_lists(&app, &f.district).await;
    break_the_glass(&app, &f).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_route_table_holds_on_postgres() {
    let Some(app) = TestApp::spawn(true).await else {
        eprintln!("skipped PostgreSQL: TEST_POSTGRES_URL is not set");
        return;
    };
    route_table(&app).await;
    let f = fixture(&app).await;
    scoped_lists(&app, &f.district).await;
    break_the_glass(&app, &f).await;
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_account() {
    let app = TestApp::spawn_with(ServerConfig::default()).await;
    app.add_user("ann", Role::Analyst, None, None).await;
    app.add_user("bob", Role::Analyst, None, None).await;
    for _ in 0..lantern_server::ACCOUNT_FAILURES {
        let refused = app.sign_in("ann", "wrong password here").await.unwrap_err();
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        assert!(!refused.body.contains("wrong password here"));
    }
    let locked = app.sign_in("ann", "wrong password here").await.unwrap_err();
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    // Locked even with the right password; another account is not.
    let locked = app.sign_in("ann", PASSWORD).await.unwrap_err();
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(app.sign_in("bob", PASSWORD).await.is_ok());
    // The web form says so too.
    app.switch(None);
    let page = app
        .post_form("/login", &[("username", "ann"), ("password", PASSWORD)])
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.body.contains("Too many failed sign-ins"));
    // Everything is in the audit log, without the passwords.
    let (log, _) = app.store.audit_log().await.unwrap();
    let count = |a: &str| {
        log.iter()
            .filter(|e| e.entry.action == a && e.entry.actor == "ann")
            .count()
    };
    assert_eq!(count("login_failed"), 5);
    assert!(count("login_locked") >= 2);
    assert!(log.iter().all(|e| !e.entry.detail.contains(PASSWORD)));
}

#[tokio::test]
async fn forms_need_the_csrf_token_and_responses_carry_security_headers() {
    let app = TestApp::spawn_with(ServerConfig::default()).await;
    let refused = app
        .post_form_without_csrf("/register/suicides", &[("source", "x")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let req = Request::post("/register/suicides")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::HOST, "lantern.example")
        .body(Body::from(format!("csrf={}", app.session().unwrap().csrf)))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::FORBIDDEN);

    let router = lantern_server::router(lantern_server::AppState::new(
        app.store.clone(),
        ServerConfig {
            behind_tls: true,
            ..ServerConfig::default()
        },
    ));
    use tower::ServiceExt as _;
    let res = router
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let h = res.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert!(
        h["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    // The cookie: HttpOnly, SameSite=Strict, Secure.
    let cookie = app.sign_in_cookie_attributes().await;
    for attr in ["HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    // A body over the limit is refused.
    let big = "a".repeat(3 * 1024 * 1024);
    let req = Request::post("/api/v1/session")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(big))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn sessions_end_after_idle_and_absolute_timeouts_and_on_disable() {
    for config in [
        ServerConfig {
            idle_timeout: chrono::Duration::zero(),
            ..ServerConfig::default()
        },
        ServerConfig {
            absolute_timeout: chrono::Duration::zero(),
            ..ServerConfig::default()
        },
    ] {
        let app = TestApp::spawn_with(config).await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        assert_eq!(
            app.get("/api/v1/session").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let app = TestApp::spawn_with(ServerConfig::default()).await;
    assert_eq!(app.get("/api/v1/session").await.status, StatusCode::OK);
    let off = lantern_core::auth::UserChange {
        disabled: Some(true),
        ..Default::default()
    };
    app.store.update_user("admin", &off).await.unwrap();
    assert_eq!(
        app.get("/api/v1/session").await.status,
        StatusCode::UNAUTHORIZED
    );
    let refused = app.sign_in("admin", PASSWORD).await.unwrap_err();
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
}

/// A writer the test's tracing subscriber fills.
#[derive(Clone, Default)]
pub(crate) struct Captured(pub(crate) Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn nhs_numbers_never_reach_the_logs() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = TestApp::spawn_with(ServerConfig::default()).await;
    let mut form = vec![
        ("source", "ashvale_general_ed"),
        ("source_ref", "LOG-1"),
        ("presented_at", "2025-02-03"),
        ("setting", "ed"),
        ("nhs_number", "943 476 5919"),
        ("age", "22"),
        ("sex", "female"),
        ("residence_area", "X01000002"),
        ("presentation_type", "self_injury"),
        ("intent", "self_harm"),
        ("methods", "cutting"),
    ];
    assert_eq!(
        app.post_form("/register/self-harm", &form).await.status,
        StatusCode::SEE_OTHER
    );
    form[1] = ("source_ref", "LOG-2");
    form[4] = ("nhs_number", "9434765910");
    assert_eq!(
        app.post_form("/register/self-harm", &form).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let _ = std::io::stdout().flush();
    let logs = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    assert!(
        logs.len() > 100,
        "the subscriber captured the request's logs"
    );
    let (audit, _) = app.store.audit_log().await.unwrap();
    let audit = format!("{audit:?}");
    for number in ["9434765919", "943 476 5919", "9434765910"] {
        assert!(!logs.contains(number), "{number} in the logs");
        assert!(!audit.contains(number), "{number} in the audit log");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_degrades_while_the_database_is_away_and_recovers() {
    let Some(app) = TestApp::spawn(true).await else {
        eprintln!("skipped PostgreSQL: TEST_POSTGRES_URL is not set");
        return;
    };
    let ok = app.get("/healthz").await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.json()["status"], "ok");
    // The database goes away: no new connections, and the open ones are cut.
    let name = app.database_name().unwrap();
    app.admin_sql(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"));
    app.admin_sql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ));
    let down = app.get("/healthz").await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(down.json()["status"], "unavailable");
    let page = app.get("/register/suicides").await;
    assert_eq!(page.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        page.body.contains("something went wrong"),
        "a clear page, no internals"
    );
    assert!(!page.body.contains("pg_") && !page.body.contains("sqlx"));
    // It comes back, and so does Lantern, without a restart.
    app.admin_sql(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"));
    let mut back = false;
    for _ in 0..50 {
        if app.get("/healthz").await.status == StatusCode::OK {
            back = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(back, "healthz recovers once the database is back");
    assert_eq!(app.get("/register/suicides").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_user_with_a_second_factor_needs_a_fresh_code() {
    use lantern_core::auth;
    let app = TestApp::spawn_with(ServerConfig::default()).await;
    app.add_user("tess", Role::Analyst, None, None).await;
    let secret = auth::new_totp_secret();
    let change = auth::UserChange {
        totp_secret: Some(Some(lantern_core::hex(&secret))),
        ..Default::default()
    };
    app.store.update_user("tess", &change).await.unwrap();
    // The password alone is not enough.
    assert_eq!(
        app.sign_in("tess", PASSWORD).await.unwrap_err().status,
        StatusCode::UNAUTHORIZED
    );
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
    let code = format!("{:06}", auth::totp_code(&secret, now / auth::TOTP_STEP));
    let wrong = format!(
        "{:06}",
        (auth::totp_code(&secret, now / auth::TOTP_STEP) + 1) % 1_000_000
    );
    let with = |code: &str| {
        serde_json::json!({"username": "tess", "password": PASSWORD, "totp": code}).to_string()
    };
    let send = |body: String| async {
        let req = Request::post("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        app.send(req).await.status
    };
    assert_eq!(send(with(&wrong)).await, StatusCode::UNAUTHORIZED);
    assert_eq!(send(with(&code)).await, StatusCode::OK);
    // A code works once.
    assert_eq!(send(with(&code)).await, StatusCode::UNAUTHORIZED);
    let (log, _) = app.store.audit_log().await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.entry.detail == "wrong or reused authentication code")
    );
}
