//! A test app: a fresh store filled with a small synthetic demo, and requests sent through the
//! router without a socket.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use lantern_core::SharedStore;
use lantern_core::auth::{NewUser, Role};
use lantern_server::{AppState, ServerConfig, router};
use tower::ServiceExt as _;

pub(crate) struct TestApp {
    pub(crate) store: SharedStore,
    state: AppState,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
    /// The session requests are sent with (none: the public).
    session: std::sync::Mutex<Option<Session>>,
}

/// A signed-in client: the cookie to send and the token forms must echo.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) cookie: String,
    pub(crate) csrf: String,
}

/// The password every test user gets.
pub(crate) const PASSWORD: &str = "harbour kettle violet 42";

#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) location: Option<String>,
    pub(crate) body: String,
    pub(crate) headers: axum::http::HeaderMap,
}

impl Reply {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// The key the test data are pseudonymised with.
pub(crate) fn test_key() -> lantern_core::pseudonym::PseudonymKey {
    lantern_core::pseudonym::PseudonymKey::from_hex(&"42".repeat(32)).unwrap()
}

async fn fill(store: &SharedStore) {
    let key = test_key();
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
        Self::with_config(
            store,
            dir,
            pg,
            ServerConfig {
                synthetic: true,
                pseudonym_key: Some(test_key()),
                ..ServerConfig::default()
            },
        )
        .await
    }

    async fn with_config(
        store: SharedStore,
        dir: tempfile::TempDir,
        pg: Option<(String, String)>,
        config: ServerConfig,
    ) -> Option<Self> {
        let state = AppState::new(store.clone(), config);
        let app = Self {
            store,
            state,
            _dir: dir,
            pg,
            session: std::sync::Mutex::new(None),
        };
        app.add_user("admin", Role::Admin, None, None).await;
        let admin = app.sign_in("admin", PASSWORD).await.unwrap();
        app.switch(Some(admin));
        Some(app)
    }

    /// A fresh SQLite app with other server settings (session timeouts).
    pub(crate) async fn spawn_with(config: ServerConfig) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/lantern.db", dir.path().display());
        let store = lantern_storage::open(&lantern_storage::DatabaseUrl::new(url))
            .await
            .unwrap();
        fill(&store).await;
        let config = ServerConfig {
            pseudonym_key: config.pseudonym_key.or_else(|| Some(test_key())),
            ..config
        };
        Self::with_config(store, dir, None, config).await.unwrap()
    }

    /// Add a user with [`PASSWORD`].
    pub(crate) async fn add_user(
        &self,
        name: &str,
        role: Role,
        area: Option<&str>,
        org: Option<&str>,
    ) {
        self.store
            .create_user(&NewUser {
                username: name.to_owned(),
                role,
                area: area.map(str::to_owned),
                organisation: org.map(str::to_owned),
                password_hash: lantern_core::auth::hash_password(PASSWORD).unwrap(),
            })
            .await
            .unwrap();
    }

    /// Sign in through `POST /api/v1/session`: the session, or the reply that refused it.
    pub(crate) async fn sign_in(&self, name: &str, password: &str) -> Result<Session, Reply> {
        let body = serde_json::json!({"username": name, "password": password}).to_string();
        let req = Request::post("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        let res = router(self.state.clone()).oneshot(req).await.unwrap();
        let cookie = res
            .headers()
            .get(header::SET_COOKIE)
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned());
        let reply = Reply::read(res).await;
        match cookie {
            Some(cookie) if reply.status == StatusCode::OK => Ok(Session {
                cookie,
                csrf: reply.json()["csrf_token"].as_str().unwrap().to_owned(),
            }),
            _ => Err(reply),
        }
    }

    /// The attributes of the session cookie a sign-in sets.
    pub(crate) async fn sign_in_cookie_attributes(&self) -> String {
        let body = serde_json::json!({"username": "admin", "password": PASSWORD}).to_string();
        let req = Request::post("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .unwrap();
        let res = router(self.state.clone()).oneshot(req).await.unwrap();
        res.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_owned()
    }

    /// The PostgreSQL database's name, if on PostgreSQL.
    pub(crate) fn database_name(&self) -> Option<String> {
        self.pg.as_ref().map(|(_, name)| name.clone())
    }

    /// Run SQL as the PostgreSQL superuser, on the base database.
    pub(crate) fn admin_sql(&self, sql: &str) {
        let (base, _) = self.pg.as_ref().unwrap();
        psql(base, sql);
    }

    /// Send later requests with this session (or none).
    pub(crate) fn switch(&self, session: Option<Session>) {
        *self.session.lock().unwrap() = session;
    }

    /// The current session.
    pub(crate) fn session(&self) -> Option<Session> {
        self.session.lock().unwrap().clone()
    }

    pub(crate) async fn send(&self, mut req: Request<Body>) -> Reply {
        if let Some(s) = self.session() {
            req.headers_mut()
                .insert(header::COOKIE, s.cookie.parse().unwrap());
        }
        let res = router(self.state.clone()).oneshot(req).await.unwrap();
        Reply::read(res).await
    }

    /// Send without adding the session's CSRF token (to show it is needed).
    pub(crate) async fn post_form_without_csrf(&self, uri: &str, form: &[(&str, &str)]) -> Reply {
        self.send(form_request(uri, form)).await
    }

    pub(crate) async fn get(&self, uri: &str) -> Reply {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    /// Post a form, with the session's CSRF token added as a browser's page would.
    pub(crate) async fn post_form(&self, uri: &str, form: &[(&str, &str)]) -> Reply {
        let csrf = self.session().map(|s| s.csrf).unwrap_or_default();
        let mut all = form.to_vec();
        all.push(("csrf", &csrf));
        self.send(form_request(uri, &all)).await
    }
}

fn form_request(uri: &str, form: &[(&str, &str)]) -> Request<Body> {
    let body: Vec<String> = form
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.join("&")))
        .unwrap()
}

impl Reply {
    async fn read(res: axum::response::Response) -> Self {
        let status = res.status();
        let location = res
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_owned());
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Self {
            status,
            location,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            headers,
        }
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
