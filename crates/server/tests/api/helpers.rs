//! A test app: a fresh store filled with a small synthetic demo, and requests sent through the
//! router without a socket.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use lantern_core::SharedStore;
use lantern_server::{AppState, ServerConfig, router};
use tower::ServiceExt as _;

pub(crate) struct TestApp {
    pub(crate) store: SharedStore,
    state: AppState,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

async fn fill(store: &SharedStore) {
    let key = lantern_core::pseudonym::PseudonymKey::from_hex(&"42".repeat(32)).unwrap();
    let end = chrono::NaiveDate::from_ymd_opt(2025, 6, 30).unwrap();
    let data = lantern_core::demo::generate(3, end, &key);
    lantern_core::demo::load(store.as_ref(), &data)
        .await
        .unwrap();
}

impl TestApp {
    /// On SQLite, or on PostgreSQL when `postgres` is true and `TEST_POSTGRES_URL` is set
    /// (`None` otherwise).
    pub(crate) async fn spawn(postgres: bool) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let (url, pg) = if postgres {
            let base = std::env::var("TEST_POSTGRES_URL").ok()?;
            let name = format!(
                "lantern_srv_{}_{}",
                std::process::id(),
                chrono::Utc::now().timestamp_micros()
            );
            psql(&base, &format!("CREATE DATABASE {name}"));
            let (prefix, _) = base.rsplit_once('/').unwrap();
            (format!("{prefix}/{name}"), Some((base, name)))
        } else {
            (
                format!("sqlite://{}/lantern.db", dir.path().display()),
                None,
            )
        };
        let store = lantern_storage::open(&lantern_storage::DatabaseUrl::new(url))
            .await
            .unwrap();
        fill(&store).await;
        let state = AppState::new(store.clone(), ServerConfig { synthetic: true });
        Some(Self {
            store,
            state,
            _dir: dir,
            pg,
        })
    }

    pub(crate) async fn send(&self, req: Request<Body>) -> Reply {
        let res = router(self.state.clone()).oneshot(req).await.unwrap();
        let status = res.status();
        let location = res
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            location,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub(crate) async fn get(&self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub(crate) async fn post_form(&self, uri: &str, form: &[(&str, &str)]) -> Reply {
        let body: Vec<String> = form
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect();
        let req = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.join("&")))
            .unwrap();
        self.send(req).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some((base, name)) = &self.pg {
            psql(
                base,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
    }
}

fn psql(url: &str, sql: &str) {
    let ok = std::process::Command::new("psql")
        .args([url, "-q", "-c", sql])
        .status()
        .unwrap()
        .success();
    assert!(ok, "psql failed: {sql}");
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
