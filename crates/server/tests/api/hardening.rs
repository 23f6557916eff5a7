//! Requests that hurt: the framework's own refusals answer in the route's shape (JSON under
//! `/api`, a page elsewhere), and another method on a known path is a quiet 405.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use lantern_server::ServerConfig;

use crate::access::Captured;
use crate::helpers::TestApp;

fn request(method: Method, uri: &str, json_body: Option<&str>) -> Request<Body> {
    let mut r = Request::builder().method(method).uri(uri);
    if json_body.is_some() {
        r = r.header(header::CONTENT_TYPE, "application/json");
    }
    r.body(Body::from(json_body.unwrap_or_default().to_owned()))
        .unwrap()
}

#[tokio::test]
async fn framework_refusals_answer_json_under_the_api_and_a_page_elsewhere() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = TestApp::spawn_with(ServerConfig::default()).await;

    let api_cases = [
        (request(Method::GET, "/api/v1/suicides/abc", None), "abc"),
        (request(Method::GET, "/api/v1/suicides?page=abc", None), ""),
        (
            request(Method::POST, "/api/v1/session", Some("{not json")),
            "",
        ),
        (request(Method::GET, "/api/v1/no-such-thing", None), ""),
        (request(Method::DELETE, "/api/v1/areas", None), ""),
        (request(Method::PUT, "/api/v1/indicators", None), ""),
    ];
    for (req, mentions) in api_cases {
        let what = format!("{} {}", req.method(), req.uri());
        let r = app.send(req).await;
        assert!(r.status.is_client_error(), "{what}: {}", r.status);
        assert!(
            r.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{what}: {:?}",
            r.headers
        );
        let v = r.json();
        assert!(v["error"]["code"].is_string(), "{what}: {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(mentions),
            "{what}: {v}"
        );
    }
    let r = app
        .send(request(Method::DELETE, "/api/v1/areas", None))
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.json()["error"]["code"], "method_not_allowed");
    assert!(
        r.headers[header::ALLOW].to_str().unwrap().contains("GET"),
        "{:?}",
        r.headers
    );

    for (method, uri) in [
        (Method::PUT, "/"),
        (Method::DELETE, "/areas"),
        (Method::PATCH, "/login"),
    ] {
        let r = app.send(request(method.clone(), uri, None)).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        assert!(
            r.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(r.body.contains("<html"), "{method} {uri}: a page");
    }
    let r = app.get("/register/suicides/abc").await;
    assert!(r.status.is_client_error());
    assert!(r.body.contains("<html"), "a page: {}", r.body);

    let logs = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    assert!(
        !logs.contains("ERROR"),
        "another method on a known path is not an error to log:\n{logs}"
    );
}

/// A JSON sign-in as if from `peer`, through whatever proxy headers are given.
fn sign_in_from(peer: &str, forwarded: Option<&str>, name: &str, password: &str) -> Request<Body> {
    let body = serde_json::json!({"username": name, "password": password}).to_string();
    let mut req = request(Method::POST, "/api/v1/session", Some(&body));
    if let Some(f) = forwarded {
        req.headers_mut()
            .insert("x-forwarded-for", f.parse().unwrap());
    }
    let addr: std::net::SocketAddr = format!("{peer}:40000").parse().unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(addr));
    req
}

#[tokio::test]
async fn address_limits_slow_but_never_refuse_the_right_password_and_follow_the_trusted_proxy() {
    let app = TestApp::spawn_with(ServerConfig {
        trusted_proxies: vec![lantern_server::TrustedProxy::parse("127.0.0.0/8").unwrap()],
        ..ServerConfig::default()
    })
    .await;
    app.switch(None);
    let proxy = "127.0.0.1";
    let attacker = "203.0.113.7";
    // Password spraying from one client behind the proxy: a different name each time, so no
    // account is locked, only the address.
    for i in 0..lantern_server::ADDRESS_FAILURES {
        let r = app
            .send(sign_in_from(
                proxy,
                Some(attacker),
                &format!("guess{i}"),
                "wrong password here",
            ))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // Over the address limit: the right password still signs in, slowed.
    let started = std::time::Instant::now();
    let r = app
        .send(sign_in_from(
            proxy,
            Some(attacker),
            "admin",
            crate::helpers::PASSWORD,
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(started.elapsed() >= lantern_server::ADDRESS_SLOWDOWN);
    // A wrong one is refused as wrong (and slowed), not as "locked".
    let r = app
        .send(sign_in_from(
            proxy,
            Some(attacker),
            "ann",
            "wrong password here",
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Another client behind the same proxy is not slowed at all.
    let started = std::time::Instant::now();
    let r = app
        .send(sign_in_from(
            proxy,
            Some("203.0.113.8"),
            "admin",
            crate::helpers::PASSWORD,
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(started.elapsed() < lantern_server::ADDRESS_SLOWDOWN);
    // A client that is not a trusted proxy cannot choose its address with the header.
    let r = app
        .send(sign_in_from(
            "198.51.100.1",
            Some("203.0.113.9"),
            "admin",
            crate::helpers::PASSWORD,
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);

    let (log, _) = app.store.audit_log().await.unwrap();
    let logins: Vec<(&str, &str)> = log
        .iter()
        .filter(|e| e.entry.action == "login")
        .map(|e| (e.entry.origin.as_str(), e.entry.detail.as_str()))
        .collect();
    let from = |origin: &str| logins.iter().filter(|l| l.0 == origin).collect::<Vec<_>>();
    assert!(
        from(attacker).iter().all(|l| l.1.contains("slowed")),
        "{logins:?}"
    );
    assert_eq!(from(attacker).len(), 1, "{logins:?}");
    assert!(
        from("203.0.113.8").iter().all(|l| !l.1.contains("slowed")),
        "{logins:?}"
    );
    assert_eq!(
        from("198.51.100.1").len(),
        1,
        "the peer, not the header: {logins:?}"
    );
    assert!(from("203.0.113.9").is_empty(), "{logins:?}");
}

#[tokio::test]
async fn a_huge_offered_user_name_is_not_stored() {
    let app = TestApp::spawn_with(ServerConfig::default()).await;
    app.switch(None);
    let name = format!("{}\u{1b}[2J", "a".repeat(1_500_000));
    let r = app
        .send(sign_in_from(
            "198.51.100.2",
            None,
            &name,
            "wrong password here",
        ))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let (log, _) = app.store.audit_log().await.unwrap();
    let failed = log
        .iter()
        .rfind(|e| e.entry.action == "login_failed")
        .unwrap();
    assert!(
        failed.entry.actor.chars().count() <= 65,
        "{}",
        failed.entry.actor.len()
    );
    assert!(!failed.entry.actor.contains('\u{1b}'));
    let stored: usize = log
        .iter()
        .map(|e| e.entry.actor.len() + e.entry.detail.len())
        .sum();
    assert!(stored < 10_000, "{stored} bytes of actor and detail");
}

#[tokio::test]
async fn refused_opens_statutory_figures_and_signal_views_are_audited_and_the_log_pages() {
    use lantern_core::auth::Role;
    let app = TestApp::spawn(false).await.unwrap();
    let f = crate::access::fixture(&app).await;
    app.add_user("dana", Role::Analyst, Some(&f.district), None)
        .await;
    app.add_user("rory", Role::Recorder, None, Some("someone_else"))
        .await;
    let as_user = |name: &'static str| {
        let app = &app;
        async move {
            let s = app.sign_in(name, crate::helpers::PASSWORD).await.unwrap();
            app.switch(Some(s));
        }
    };
    as_user("dana").await;
    let out = f.out_coroner;
    assert_eq!(
        app.get(&format!("/api/v1/suicides/{out}")).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/v1/indicators?by=year&audience=statutory")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/v1/indicators?by=year").await.status,
        StatusCode::OK
    );
    assert_eq!(app.get("/api/v1/signals").await.status, StatusCode::OK);
    assert_eq!(
        app.get(&format!("/signals/{}", f.signal)).await.status,
        StatusCode::OK
    );
    as_user("rory").await;
    assert_eq!(
        app.get(&format!("/api/v1/suicides/{}", f.in_police))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    let (log, _) = app.store.audit_log().await.unwrap();
    let by = |actor: &str, action: &str| {
        log.iter()
            .filter(|e| e.entry.actor == actor && e.entry.action == action)
            .collect::<Vec<_>>()
    };
    let refused = by("dana", "view_refused");
    assert_eq!(refused.len(), 1, "{log:?}");
    assert_eq!(refused[0].entry.record_id, Some(out));
    assert!(refused[0].entry.detail.contains("outside"));
    let refused = by("rory", "view_refused");
    assert_eq!(refused.len(), 1);
    assert!(refused[0].entry.detail.contains("another organisation"));
    let statutory = by("dana", "indicators");
    assert_eq!(statutory.len(), 1, "the partner request is not audited");
    assert!(statutory[0].entry.detail.contains("statutory: by=year"));
    let views = by("dana", "signal_view");
    assert_eq!(views.len(), 2);
    assert!(views.iter().any(|v| v.entry.record_id == Some(f.signal)));

    // The audit page shows 200 at a time, newest first, with a link to older entries.
    let filler: Vec<lantern_core::audit::NewAuditEntry> = (0..450)
        .map(|i| lantern_core::audit::NewAuditEntry {
            actor: "filler".to_owned(),
            action: "view".to_owned(),
            dataset: None,
            record_id: Some(i),
            detail: String::new(),
            origin: "test".to_owned(),
        })
        .collect();
    app.store.append_audits(&filler).await.unwrap();
    app.switch(None);
    let admin = app
        .sign_in("admin", crate::helpers::PASSWORD)
        .await
        .unwrap();
    app.switch(Some(admin));
    let first = app.get("/admin/audit").await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.body.contains("is intact"), "{}", first.body);
    let older = |body: &str| {
        body.split("/admin/audit?before=")
            .nth(1)
            .map(|rest| rest.split('"').next().unwrap().to_owned())
    };
    let before = older(&first.body).expect("a link to older entries");
    let second = app.get(&format!("/admin/audit?before={before}")).await;
    assert_eq!(second.status, StatusCode::OK);
    assert!(second.body.contains("Newest entries"));
    let rows = |body: &str| body.matches("<td class=\"num\">").count();
    assert_eq!(rows(&first.body), 200);
    assert_eq!(rows(&second.body), 200);
    let first_id: i64 = before.parse().unwrap();
    assert!(
        second
            .body
            .contains(&format!("<td class=\"num\">{}</td>", first_id - 1))
    );
}

#[tokio::test]
async fn a_district_analyst_gets_their_districts_figures_and_signals_only() {
    use lantern_core::auth::Role;
    let app = TestApp::spawn(false).await.unwrap();
    let f = crate::access::fixture(&app).await;
    app.add_user("dana", Role::Analyst, Some(&f.district), None)
        .await;
    let s = app.sign_in("dana", crate::helpers::PASSWORD).await.unwrap();
    app.switch(Some(s));
    // Exact figures default to the district; every row is inside it.
    let by_lsoa = app
        .get("/api/v1/indicators?by=lsoa&audience=statutory")
        .await
        .json();
    let rows = by_lsoa["rows"].as_array().unwrap();
    assert!(!rows.is_empty());
    for r in rows {
        let code = r["lsoa"].as_str().unwrap();
        assert!(
            app.store.area_contains(&f.district, code).await.unwrap(),
            "{code} is outside {}",
            f.district
        );
    }
    let by_lad = app
        .get("/api/v1/indicators?by=lad&audience=statutory")
        .await
        .json();
    let lads: Vec<&str> = by_lad["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["lad"].as_str().unwrap())
        .collect();
    assert_eq!(lads, [f.district.as_str()]);
    // Signals: only the district's.
    let signals = app.get("/api/v1/signals").await.json();
    let ids: Vec<i64> = signals
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert!(ids.contains(&f.signal));
    assert!(!ids.contains(&f.signal_out));
    let page = app.get("/signals?status=all").await;
    assert!(page.body.contains(&format!("/signals/{}", f.signal)));
    assert!(!page.body.contains(&format!("/signals/{}\"", f.signal_out)));
}

#[tokio::test]
async fn a_recorder_cannot_sort_on_set_or_infer_what_they_may_not_read() {
    use lantern_core::auth::Role;
    let app = TestApp::spawn(false).await.unwrap();
    app.add_user("rory", Role::Recorder, None, Some("ashvale_general_ed"))
        .await;
    let s = app.sign_in("rory", crate::helpers::PASSWORD).await.unwrap();
    app.switch(Some(s));
    for uri in [
        "/api/v1/suicides?sort=notes",
        "/api/v1/suicides?sort=substances",
        "/api/v1/self-harm?sort=drugs",
    ] {
        let r = app.get(uri).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}: {}", r.body);
        assert!(r.body.contains("restricted"), "{}", r.body);
    }
    assert_eq!(
        app.get("/api/v1/self-harm?sort=age").await.status,
        StatusCode::OK
    );
    // Creating with a restricted field is refused; the form does not offer it.
    let form = [
        ("source", "ashvale_general_ed"),
        ("source_ref", "PROBE-1"),
        ("presented_at", "2025-02-03"),
        ("setting", "ed"),
        ("person_key", &"ab".repeat(32)),
        ("age", "22"),
        ("sex", "female"),
        ("residence_area", "X01000002"),
        ("presentation_type", "self_injury"),
        ("intent", "self_harm"),
        ("methods", "cutting"),
        ("drugs", "zzzz probe"),
    ];
    let r = app.post_form("/register/self-harm", &form).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("drugs"));
    let page = app.get("/register/self-harm/new").await;
    assert!(
        !page.body.contains("name=\"drugs\""),
        "the form offers drugs"
    );
    let ok = app.post_form("/register/self-harm", &form[..11]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    // The repeat flag, computed across every organisation's presentations, is not shown.
    let list = app.get("/api/v1/self-harm?per_page=500").await.json();
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["repeat_within_12m"].is_null())
    );
    let id = list["items"][0]["id"].as_i64().unwrap();
    assert!(
        app.get(&format!("/api/v1/self-harm/{id}")).await.json()["repeat_within_12m"].is_null()
    );
}
