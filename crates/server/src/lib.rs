//! Lantern's HTTP server: a JSON API under `/api/v1` and server-rendered HTML pages that work
//! without JavaScript. Handlers parse input into domain types, call the store, and render;
//! there is no SQL here.

mod access;
mod api;
mod audit_writer;
mod cache;
mod error;
mod geometry;
mod page;
mod plans;
mod proxy;
mod reports;
mod reports_job;
mod session;
mod signals_job;
mod svg;
mod web;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use lantern_core::SharedStore;

pub use error::AppError;
pub use proxy::TrustedProxy;
pub use reports::{report_html, report_pdf};
pub use reports_job::{run_due, spawn_reports_job};
pub use session::{
    ACCOUNT_FAILURES, ADDRESS_FAILURES, ADDRESS_SLOWDOWN, LoginLimiter, WINDOW as LOGIN_WINDOW,
};
pub use signals_job::{refresh_if_stale, spawn_signals_job};

/// Settings the server needs; libraries never read the environment.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The database holds synthetic demo data: every page says so.
    pub synthetic: bool,
    /// Mark the session cookie `Secure` (browsers still send it to `http://localhost`).
    pub secure_cookies: bool,
    /// Lantern is served over TLS by a proxy in front: send HSTS.
    pub behind_tls: bool,
    /// A session unused this long ends.
    pub idle_timeout: chrono::Duration,
    /// A session this old ends, however busy.
    pub absolute_timeout: chrono::Duration,
    /// The largest request body accepted.
    pub max_body_bytes: usize,
    /// The deployment's pseudonymisation key (kept outside the database), for NHS numbers
    /// typed into the self-harm form; without it the form asks for a person key instead.
    pub pseudonym_key: Option<lantern_core::pseudonym::PseudonymKey>,
    /// Reverse proxies whose `X-Forwarded-For` gives the client's address (see `proxy.rs`).
    pub trusted_proxies: Vec<TrustedProxy>,
    /// An image drawn under the map's areas (a WMS GetMap URL or any service that takes a
    /// longitude/latitude box); none by default, as no tile server is needed.
    pub base_map: Option<BaseMap>,
    /// The day report schedules run on, when fixed (`lantern serve --today`, for tests and
    /// rehearsals); the clock's day otherwise.
    pub today: Option<chrono::NaiveDate>,
}

/// A base map under the choropleth: a URL template whose `{bbox}` becomes
/// `west,south,east,north` in degrees (WGS84, longitude first, as WMS 1.3.0's `CRS:84` takes
/// it), `{width}` and `{height}` the map's size in pixels. The map's projection is linear in
/// longitude and latitude, so such an image lies exactly under the areas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseMap {
    template: String,
    origin: String,
    /// Credit the service asks for, shown under the map.
    pub attribution: String,
}

impl BaseMap {
    /// A base map from a URL template.
    ///
    /// # Errors
    /// The URL is not `http(s)://HOST/…`, has no `{bbox}`, or holds characters that do not
    /// belong in a URL.
    pub fn parse(url: &str, attribution: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("https://")
            .map(|r| ("https://", r))
            .or_else(|| url.strip_prefix("http://").map(|r| ("http://", r)));
        let Some((scheme, rest)) = rest else {
            return Err(format!(
                "base map URL '{url}' does not start with https:// or http://"
            ));
        };
        if !url.contains("{bbox}") {
            return Err(format!(
                "base map URL '{url}' has no {{bbox}} for the map's west,south,east,north"
            ));
        }
        if let Some(c) = url.chars().find(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | ';' | '\\')
        }) {
            return Err(format!(
                "base map URL '{url}' holds {c:?}, which does not belong in a URL"
            ));
        }
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if host.is_empty() || host.contains('{') {
            return Err(format!("base map URL '{url}' names no host"));
        }
        Ok(Self {
            template: url.to_owned(),
            origin: format!("{scheme}{host}"),
            attribution: attribution.to_owned(),
        })
    }

    /// The image's URL for a box `(west, south, east, north)` drawn `width` x `height` pixels.
    #[must_use]
    pub fn url(&self, bounds: (f64, f64, f64, f64), width: u32, height: u32) -> String {
        let (w, s, e, n) = bounds;
        self.template
            .replace("{bbox}", &format!("{w:.6},{s:.6},{e:.6},{n:.6}"))
            .replace("{width}", &width.to_string())
            .replace("{height}", &height.to_string())
    }

    /// Where its images come from, for the Content-Security-Policy.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            synthetic: false,
            secure_cookies: true,
            behind_tls: false,
            idle_timeout: chrono::Duration::minutes(30),
            absolute_timeout: chrono::Duration::hours(12),
            max_body_bytes: 2 * 1024 * 1024,
            pseudonym_key: None,
            trusted_proxies: Vec::new(),
            base_map: None,
            today: None,
        }
    }
}

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    /// The register.
    pub store: SharedStore,
    /// Server settings.
    pub config: Arc<ServerConfig>,
    /// Recent failed sign-ins.
    pub limiter: Arc<LoginLimiter>,
    /// Break-the-glass grants of this process.
    grants: access::Grants,
    /// Indicator tables by query, with the register version they were computed at.
    indicators: Arc<cache::VersionedCache<serde_json::Value>>,
    /// Indicator tables the pages use, by query.
    tables: Arc<cache::VersionedCache<lantern_core::indicators::IndicatorTable>>,
    /// Imported benchmark figures, by indicator.
    benchmarks: Arc<cache::VersionedCache<Vec<lantern_core::benchmarks::Benchmark>>>,
    /// When each source last sent a record, by dataset.
    freshness: Arc<cache::VersionedCache<Vec<(String, chrono::NaiveDate)>>>,
    /// Simplified area boundaries by level, with the data version they were made at.
    shapes: geometry::ShapeCache,
    /// Whether one area lies inside another, by `ancestor|code`: every scope check asks.
    contains: Arc<cache::VersionedCache<bool>>,
    /// The support directory with the areas and postcodes its search places people by.
    directory: Arc<cache::VersionedCache<web::support::Directory>>,
    /// Group commit for audit entries.
    audit: audit_writer::AuditWriter,
    /// Where live plan measures get their figures; register more with [`AppState::sources_mut`].
    sources: lantern_core::plans::live::Sources,
}

impl AppState {
    /// Whether `code` is `ancestor` or lies inside it, from a cache kept until the register
    /// (which holds the areas) changes: a page asks this several times, the database once.
    ///
    /// # Errors
    /// The store failed.
    pub(crate) async fn area_contains(
        &self,
        ancestor: &str,
        code: &str,
    ) -> Result<bool, error::AppError> {
        let key = format!("{ancestor}|{code}");
        let found = self
            .contains
            .get(self, key, || async {
                Ok(self.store.area_contains(ancestor, code).await?)
            })
            .await?;
        Ok(*found)
    }

    /// Today: the day `lantern serve --today` fixes, or the clock's.
    pub(crate) fn today(&self) -> chrono::NaiveDate {
        self.config
            .today
            .unwrap_or_else(|| chrono::Utc::now().date_naive())
    }

    /// Whether `scope` is the whole partnership: its one top area, which alone holds the
    /// residences that are no area (no fixed abode, outside the partnership's areas).
    ///
    /// # Errors
    /// The store failed.
    pub(crate) async fn is_whole_partnership(&self, scope: &str) -> Result<bool, error::AppError> {
        match lantern_core::codes::list(lantern_core::area::RESIDENCE_LIST)
            .codes
            .first()
        {
            Some(other) => self.area_contains(scope, &other.code).await,
            None => Ok(false),
        }
    }

    /// State over a store.
    pub fn new(store: SharedStore, config: ServerConfig) -> Self {
        Self {
            store,
            config: Arc::new(config),
            limiter: Arc::default(),
            grants: access::Grants::default(),
            indicators: Arc::default(),
            tables: Arc::default(),
            freshness: Arc::default(),
            benchmarks: Arc::default(),
            shapes: geometry::ShapeCache::default(),
            contains: Arc::default(),
            directory: Arc::default(),
            audit: audit_writer::AuditWriter::default(),
            sources: lantern_core::plans::live::Sources::default(),
        }
    }

    /// The live measure sources, to register another before serving.
    pub fn sources_mut(&mut self) -> &mut lantern_core::plans::live::Sources {
        &mut self.sources
    }
}

/// The application's routes, for serving or for `oneshot` tests. Every route passes the access
/// layer (`access.rs`) and gets the security headers.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(web::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::enforce,
        ))
        .layer(axum::middleware::from_fn(error::uniform_errors))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::security_headers,
        ))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .with_state(state)
}

/// The parsers of untrusted request text, for the fuzz targets: each must answer every input
/// with a value or an error, never a panic.
pub mod parsers {
    use axum::extract::Query;
    use axum::http::Uri;

    fn query<T: serde::de::DeserializeOwned>(raw: &str) -> Option<T> {
        let uri: Uri = format!("/?{raw}").parse().ok()?;
        Query::<T>::try_from_uri(&uri).ok().map(|q| q.0)
    }

    /// A register list's query string: filters, sorting and paging.
    ///
    /// # Errors
    /// The message the list page shows.
    pub fn list_query(raw: &str) -> Result<lantern_core::store::RecordQuery, String> {
        query::<lantern_core::store::ListParams>(raw)
            .ok_or_else(|| "not a query string".to_owned())?
            .to_query()
    }

    /// The client address a request from `peer` with this `X-Forwarded-For` value is keyed on,
    /// given the trusted proxies (comma-separated `ADDR[/PREFIX]`): `None` when `peer` is not
    /// an address or a proxy does not parse.
    pub fn forwarded_client(peer: &str, forwarded: &str, trusted: &str) -> Option<String> {
        let trusted = trusted
            .split(',')
            .filter(|t| !t.trim().is_empty())
            .map(crate::TrustedProxy::parse)
            .collect::<Result<Vec<_>, _>>()
            .ok()?;
        let peer = peer.trim().parse().ok()?;
        crate::proxy::client_address(Some(peer), &[forwarded], &trusted).map(|a| a.to_string())
    }

    /// The indicators API's query string.
    ///
    /// # Errors
    /// The message the API answers with.
    pub fn indicator_query(raw: &str) -> Result<lantern_core::indicators::IndicatorQuery, String> {
        crate::api::indicators::parse(
            &query::<crate::api::indicators::Params>(raw)
                .ok_or_else(|| "not a query string".to_owned())?,
        )
    }

    /// One field of a form body (the CSRF check's reader).
    pub fn form_field(body: &[u8], key: &str) -> Option<String> {
        crate::access::form_urlencoded_value(body, key)
    }

    /// One cookie from a `Cookie` header value.
    pub fn cookie(header: &str, name: &str) -> Option<String> {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(axum::http::header::COOKIE, header.parse().ok()?);
        crate::access::cookie_value(&headers, name).map(str::to_owned)
    }
}

/// Every `(method, route)` the router serves, for the route-table test.
pub fn route_policy() -> Vec<(&'static str, &'static str, &'static str)> {
    access::POLICY
        .iter()
        .map(|(m, p, r)| (*m, *p, r.name()))
        .collect()
}

/// Serve on a bound listener until `shutdown` resolves.
///
/// # Errors
/// When the listener fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The peer address goes into the audit log.
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
