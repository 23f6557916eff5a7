//! Property test: no request, however malformed, panics the server or gets a 500. Methods,
//! route shapes, path segments, query strings and bodies are generated; half the form posts
//! carry the right CSRF token so they reach the handlers.

use axum::body::Body;
use axum::http::{Request, header};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::helpers::TestApp;

const SHAPES: &[&str] = &[
    "/",
    "/login",
    "/logout",
    "/areas",
    "/quality",
    "/reports",
    "/reports/file",
    "/admin/audit",
    "/admin/users",
    "/register/{d}",
    "/register/{d}/new",
    "/register/{d}/{id}",
    "/register/{d}/{id}/edit",
    "/register/{d}/{id}/break-glass",
    "/register/suicides/{id}/status",
    "/api/v1/{d}",
    "/api/v1/{d}/{id}",
    "/api/v1/areas",
    "/api/v1/indicators",
    "/api/v1/session",
    "/healthz",
];

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("suicides".to_owned()),
        Just("self-harm".to_owned()),
        "[a-z%0-9._-]{0,12}",
    ]
}

fn id() -> impl Strategy<Value = String> {
    prop_oneof![
        (1i64..400).prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[a-z0-9%-]{0,8}",
    ]
}

fn query() -> impl Strategy<Value = String> {
    let pairs = proptest::collection::vec(
        (
            prop_oneof![
                Just("from"),
                Just("to"),
                Just("area"),
                Just("status"),
                Just("source"),
                Just("setting"),
                Just("sort"),
                Just("order"),
                Just("page"),
                Just("per_page"),
                Just("dataset"),
                Just("by"),
                Just("audience"),
                Just("measure"),
                Just("level"),
                Just("next"),
                Just("saved"),
            ],
            "[ -~&&[^#&=]]{0,24}",
        ),
        0..5,
    );
    pairs.prop_map(|ps| {
        ps.iter()
            .map(|(k, v)| format!("{k}={}", v.replace(' ', "+").replace('%', "%25")))
            .collect::<Vec<_>>()
            .join("&")
    })
}

#[test]
fn no_request_panics_the_server_or_gets_a_500() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let app = rt.block_on(TestApp::spawn(false)).unwrap();
    let csrf = app.session().unwrap().csrf;
    let mut runner = TestRunner::new(Config {
        cases: 400,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        prop_oneof![Just("GET"), Just("POST"), Just("DELETE"), Just("PUT")],
        proptest::sample::select(SHAPES),
        segment(),
        id(),
        query(),
        proptest::collection::vec(any::<u8>(), 0..200),
        any::<bool>(),
        prop_oneof![
            Just("application/x-www-form-urlencoded"),
            Just("application/json"),
            Just("text/plain"),
        ],
    );
    runner
        .run(
            &strategy,
            |(method, shape, d, id, q, body, with_csrf, ctype)| {
                let path = shape.replace("{d}", &d).replace("{id}", &id);
                let uri = if q.is_empty() {
                    path
                } else {
                    format!("{path}?{q}")
                };
                let mut bytes = Vec::new();
                if with_csrf {
                    bytes.extend_from_slice(format!("csrf={csrf}&").as_bytes());
                }
                bytes.extend_from_slice(&body);
                let Ok(req) = Request::builder()
                    .method(method)
                    .uri(&uri)
                    .header(header::CONTENT_TYPE, ctype)
                    .body(Body::from(bytes))
                else {
                    return Ok(()); // not a request a client could send
                };
                let reply = rt.block_on(app.send(req));
                prop_assert!(
                    reply.status.as_u16() < 500,
                    "{method} {uri}: {} {}",
                    reply.status,
                    reply.body.chars().take(300).collect::<String>()
                );
                Ok(())
            },
        )
        .unwrap();
}
