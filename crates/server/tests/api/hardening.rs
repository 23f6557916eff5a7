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
