//! The one access layer. Every request passes through [`enforce`], which finds the user from the
//! session cookie, looks the route up in [`POLICY`] (a route missing from the table is refused,
//! so a new handler cannot be forgotten), answers 401 or 403, and checks the CSRF token of every
//! state-changing form. Person-level records are then reached only through [`Guard`], which
//! narrows every list to the user's scope (area down the hierarchy; a recorder's organisation),
//! checks each record opened, hides restricted fields from roles that may not see them, and
//! writes the audit log. Handlers never call the store's record methods directly.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use lantern_core::audit::NewAuditEntry;
use lantern_core::auth::{Role, token_hash};
use lantern_core::register::Dataset;

use crate::AppState;
use crate::error::AppError;

mod guard;

pub(crate) use guard::{Grants, Guard};

/// The session cookie.
pub(crate) const COOKIE: &str = "lantern_session";

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    /// Anyone, signed in or not: help, sign-in, geography, suppressed aggregates.
    Public,
    /// Any signed-in user.
    SignedIn,
    /// Roles that see person-level records in their scope: admin, analyst, recorder.
    People,
    /// Admins and analysts.
    Analysts,
    /// Admins only.
    Admin,
}

impl Rule {
    /// The rule's name, for tests and documentation.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::SignedIn => "signed-in",
            Self::People => "people",
            Self::Analysts => "analysts",
            Self::Admin => "admin",
        }
    }

    /// Whether `role` passes (a signed-in user is assumed).
    pub(crate) fn allows(self, role: Role) -> bool {
        match self {
            Self::Public | Self::SignedIn => true,
            Self::People => role.sees_people(),
            Self::Analysts => role.sees_restricted(),
            Self::Admin => role == Role::Admin,
        }
    }
}

/// Every route, by method and path pattern, with who may use it. A route that is not here is
/// refused with 403 and logged as a programming error (the route-table test also checks that
/// every registered route appears here).
pub(crate) const POLICY: &[(&str, &str, Rule)] = &[
    ("GET", "/", Rule::Public),
    ("GET", "/healthz", Rule::Public),
    ("GET", "/static/style.css", Rule::Public),
    ("GET", "/static/map.js", Rule::Public),
    ("GET", "/static/forms.js", Rule::Public),
    ("GET", "/login", Rule::Public),
    ("POST", "/login", Rule::Public),
    ("POST", "/logout", Rule::SignedIn),
    ("POST", "/api/v1/session", Rule::Public),
    ("GET", "/api/v1/session", Rule::SignedIn),
    ("DELETE", "/api/v1/session", Rule::SignedIn),
    ("GET", "/areas", Rule::Public),
    ("GET", "/areas/{code}", Rule::Public),
    ("GET", "/map", Rule::Public),
    ("GET", "/explore", Rule::Public),
    ("GET", "/map.svg", Rule::Public),
    ("GET", "/api/v1/areas", Rule::Public),
    // Partner-preset aggregates are public; `audience=statutory` asks for analysts (checked
    // by the handler through `Viewer::require`).
    ("GET", "/api/v1/indicators", Rule::Public),
    ("GET", "/api/v1/map", Rule::Public),
    ("GET", "/api/v1/openapi.json", Rule::Public),
    // The support directory: public, like the help it lists.
    ("GET", "/support", Rule::Public),
    ("GET", "/support/leaflet", Rule::Public),
    ("GET", "/api/v1/support", Rule::Public),
    ("GET", "/quality", Rule::Analysts),
    // The postvention worklist: the register's people, each within their scope (a recorder
    // sees their own source's deaths).
    ("GET", "/postvention", Rule::People),
    ("GET", "/workforce", Rule::SignedIn),
    ("GET", "/media", Rule::SignedIn),
    // Uploads: recorders (their own source's records only, checked by the handler),
    // analysts and admins.
    ("GET", "/imports", Rule::People),
    ("POST", "/imports", Rule::People),
    ("POST", "/imports/confirm", Rule::People),
    // The review queue of possible duplicates: analysts decide.
    ("GET", "/register/duplicates", Rule::Analysts),
    // Importing a plan in the browser: analysts, as the command line.
    ("GET", "/plans/import", Rule::Analysts),
    ("POST", "/plans/import", Rule::Analysts),
    ("POST", "/plans/import/confirm", Rule::Analysts),
    ("POST", "/register/duplicates/{id}", Rule::Analysts),
    // Reports: any signed-in user; the handler gives each the audiences their role may see
    // (statutory for analysts) and audits statutory reports.
    ("GET", "/reports", Rule::SignedIn),
    ("GET", "/reports/file", Rule::SignedIn),
    ("GET", "/reports/runs/{id}/{format}", Rule::SignedIn),
    ("POST", "/reports/schedules", Rule::Analysts),
    ("POST", "/reports/schedules/run", Rule::Analysts),
    ("POST", "/reports/schedules/{id}/delete", Rule::Analysts),
    // Signals are about small areas and small numbers: analysts and admins.
    ("GET", "/signals", Rule::Analysts),
    ("GET", "/signals/locations", Rule::Analysts),
    ("POST", "/signals/locations", Rule::Analysts),
    ("GET", "/signals/settings", Rule::Analysts),
    ("POST", "/signals/settings", Rule::Admin),
    ("GET", "/signals/{id}", Rule::Analysts),
    ("POST", "/signals/{id}", Rule::Analysts),
    ("GET", "/api/v1/signals", Rule::Analysts),
    // Plans: any signed-in user reads them; the update handler lets only the action's leads
    // (and analysts) post.
    ("GET", "/plans", Rule::SignedIn),
    ("GET", "/plans/mine", Rule::SignedIn),
    ("GET", "/plans/{id}", Rule::SignedIn),
    ("GET", "/plans/{id}/summary", Rule::SignedIn),
    ("GET", "/plans/{id}/attention", Rule::SignedIn),
    ("GET", "/plans/{id}/export", Rule::SignedIn),
    ("GET", "/plans/{id}/actions/{action}", Rule::SignedIn),
    ("POST", "/plans/{id}/actions/{action}", Rule::SignedIn),
    ("GET", "/api/v1/plans", Rule::SignedIn),
    ("GET", "/api/v1/plans/{id}", Rule::SignedIn),
    ("GET", "/api/v1/plans/{id}/summary", Rule::SignedIn),
    ("GET", "/api/v1/plans/{id}/actions/{action}", Rule::SignedIn),
    (
        "POST",
        "/api/v1/plans/{id}/actions/{action}/updates",
        Rule::SignedIn,
    ),
    ("GET", "/admin/audit", Rule::Admin),
    ("GET", "/admin/users", Rule::Admin),
    ("GET", "/register/{dataset}", Rule::People),
    ("POST", "/register/{dataset}", Rule::People),
    ("GET", "/register/{dataset}/new", Rule::People),
    ("GET", "/register/{dataset}/{id}", Rule::People),
    ("POST", "/register/{dataset}/{id}", Rule::People),
    ("GET", "/register/{dataset}/{id}/edit", Rule::People),
    (
        "POST",
        "/register/{dataset}/{id}/break-glass",
        Rule::Analysts,
    ),
    ("POST", "/register/suicides/{id}/status", Rule::People),
    ("POST", "/register/suicides/{id}/postvention", Rule::People),
    ("POST", "/workforce/upload", Rule::Analysts),
    ("POST", "/media", Rule::People),
    // An entry's owners (its organisation's users) or an analyst say it was checked; the
    // handler checks the organisation.
    (
        "POST",
        "/support/services/{reference}/verify",
        Rule::SignedIn,
    ),
    ("GET", "/support/services/{reference}/edit", Rule::SignedIn),
    ("POST", "/support/services/{reference}", Rule::SignedIn),
    ("GET", "/api/v1/suicides", Rule::People),
    ("GET", "/api/v1/self-harm", Rule::People),
    ("GET", "/api/v1/suicides/{id}", Rule::People),
    ("GET", "/api/v1/self-harm/{id}", Rule::People),
];

/// The rule for a route, if it is in the table.
pub(crate) fn rule(method: &Method, path: &str) -> Option<Rule> {
    // HEAD is answered by the GET handler, so it follows the GET rule.
    let method = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    POLICY
        .iter()
        .find(|(m, p, _)| *m == method && *p == path)
        .map(|(_, _, r)| *r)
}

/// The signed-in user of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Principal {
    pub(crate) username: String,
    pub(crate) role: Role,
    /// Area scope (with everything inside it); `None` for all areas.
    pub(crate) area: Option<String>,
    /// A recorder's organisation (the register `source` they own).
    pub(crate) organisation: Option<String>,
    /// The token every state-changing form must echo.
    pub(crate) csrf: String,
    /// The session's token hash (break-the-glass grants last for the session).
    pub(crate) session: String,
}

tokio::task_local! {
    /// The user of the request being handled, for the page layout.
    pub(crate) static CURRENT: Option<Principal>;
}

/// The user of the current request, if signed in.
pub(crate) fn current() -> Option<Principal> {
    CURRENT.try_with(Clone::clone).ok().flatten()
}

/// The client's address as [`enforce`] worked it out (through a trusted proxy), or `unknown`
/// (in tests without a socket).
pub(crate) fn origin_of(parts_ext: &axum::http::Extensions) -> String {
    match parts_ext.get::<ClientAddr>() {
        Some(ClientAddr(Some(ip))) => ip.to_string(),
        Some(ClientAddr(None)) => "unknown".to_owned(),
        None => parts_ext
            .get::<ConnectInfo<SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string()),
    }
}

/// The client's address for this request, set once by [`enforce`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddr(pub(crate) Option<std::net::IpAddr>);

fn client_addr(state: &AppState, req: &Request) -> ClientAddr {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    ClientAddr(crate::proxy::client_address(
        peer,
        &forwarded,
        &state.config.trusted_proxies,
    ))
}

pub(crate) fn cookie_value<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Find the signed-in user from the cookie, ending a session past its idle or absolute timeout.
async fn resolve(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<Option<Principal>, AppError> {
    let Some(token) = cookie_value(headers, COOKIE) else {
        return Ok(None);
    };
    let hash = token_hash(token);
    let Some((session, user)) = state.store.session(&hash).await? else {
        return Ok(None);
    };
    let now = Utc::now();
    let idle = now - session.last_seen_at;
    let age = now - session.created_at;
    if user.disabled || idle > state.config.idle_timeout || age > state.config.absolute_timeout {
        state.store.delete_session(&hash).await?;
        return Ok(None);
    }
    // One write a minute at most per session, not one per request.
    if idle > chrono::Duration::seconds(60) {
        state.store.touch_session(&hash, now).await?;
    }
    Ok(Some(Principal {
        username: user.username,
        role: user.role,
        area: user.area,
        organisation: user.organisation,
        csrf: session.csrf_token,
        session: hash,
    }))
}

pub(crate) fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// The middleware: authenticate, authorise, check CSRF, then run the handler with the user in
/// the request's extensions (for [`Viewer`] and [`Guard`]) and in [`CURRENT`] (for the layout).
pub(crate) async fn enforce(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let addr = client_addr(&state, &req);
    req.extensions_mut().insert(addr);
    // A database that is down must not stop public pages such as /healthz from answering, so
    // a failed session lookup only refuses routes that need a user.
    let (principal, lookup) = match resolve(&state, req.headers()).await {
        Ok(p) => (p, None),
        Err(e) => (None, Some(e)),
    };
    // Refusals render inside the scope too, so their page shows who is signed in.
    CURRENT
        .scope(principal.clone(), async move {
            match check(&state, req, principal, lookup).await {
                Ok(req) => next.run(req).await,
                Err(response) => response,
            }
        })
        .await
}

fn fail(api: bool, e: AppError) -> Response {
    if api {
        e.into_response()
    } else {
        crate::error::HtmlError(e).into_response()
    }
}

async fn check(
    state: &AppState,
    mut req: Request,
    principal: Option<Principal>,
    lookup: Option<AppError>,
) -> Result<Request, Response> {
    let api = is_api(req.uri().path());
    let fail = |e: AppError| fail(api, e);
    req.extensions_mut().insert(Viewer(principal.clone()));
    let Some(matched) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
    else {
        // No route matched: the router answers 404 or 405 itself.
        return Ok(req);
    };
    let Some(rule) = rule(req.method(), &matched) else {
        // Another method on a known path: the router answers 405 (with `Allow`), quietly, since
        // anyone can send one. Only a route missing from the policy altogether is a mistake.
        if POLICY.iter().any(|(_, p, _)| *p == matched) {
            return Ok(req);
        }
        tracing::error!(method = %req.method(), route = matched, "route missing from the access policy");
        return Err(fail(AppError::Forbidden(
            "this page is not available".to_owned(),
        )));
    };
    if rule != Rule::Public {
        if let Some(e) = lookup {
            return Err(fail(e));
        }
        let Some(p) = &principal else {
            if api || req.method() != Method::GET {
                return Err(fail(AppError::Unauthenticated));
            }
            let next = req.uri().path_and_query().map_or("/", |p| p.as_str());
            return Err(
                Redirect::to(&format!("/login?next={}", crate::web::encode(next))).into_response(),
            );
        };
        if !rule.allows(p.role) {
            return Err(fail(AppError::Forbidden(format!(
                "your role ({}) cannot open this page",
                p.role
            ))));
        }
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        req = check_csrf(state, req, principal.as_ref(), api)
            .await
            .map_err(fail)?;
    }
    Ok(req)
}

/// State-changing requests: the `Origin` header, when sent, must be this site; HTML forms of a
/// signed-in user must carry the session's CSRF token; JSON requests must be JSON (which a
/// cross-site form cannot send), and the cookie is SameSite=Strict besides.
async fn check_csrf(
    state: &AppState,
    req: Request,
    principal: Option<&Principal>,
    api: bool,
) -> Result<Request, AppError> {
    let headers = req.headers();
    if let (Some(origin), Some(host)) = (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        let same = origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest == host);
        if !same {
            return Err(AppError::Forbidden(
                "cross-site requests are refused".to_owned(),
            ));
        }
    }
    if api {
        let json = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if req.method() != Method::DELETE && !json {
            return Err(AppError::Invalid(
                "send JSON (Content-Type: application/json)".to_owned(),
            ));
        }
        return Ok(req);
    }
    let Some(p) = principal else {
        // Only the sign-in form is public and state-changing; SameSite and Origin cover it.
        return Ok(req);
    };
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, state.config.max_body_bytes)
        .await
        .map_err(|_| AppError::TooLarge)?;
    let multipart = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("multipart/form-data"))
        .and_then(|rest| rest.split("boundary=").nth(1))
        .map(|b| b.trim_matches('"').to_owned());
    let token = match &multipart {
        Some(boundary) => multipart_value(&bytes, boundary, "csrf"),
        None => form_urlencoded_value(&bytes, "csrf"),
    };
    let ok = token.is_some_and(|t| constant_time_eq(t.as_bytes(), p.csrf.as_bytes()));
    if !ok {
        return Err(AppError::Forbidden(
            "the form had expired or came from another site; go back, reload the page and try again"
                .to_owned(),
        ));
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// A text field of a `multipart/form-data` body (an upload form's CSRF token).
fn multipart_value(body: &[u8], boundary: &str, key: &str) -> Option<String> {
    let delimiter = format!("--{boundary}");
    let name = format!("name=\"{key}\"");
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let mut rest = body;
    while let Some(at) = find(rest, delimiter.as_bytes()) {
        rest = &rest[at + delimiter.len()..];
        let head_end = find(rest, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&rest[..head_end]);
        if head.contains(&name) && !head.contains("filename=") {
            let value = &rest[head_end + 4..];
            let end = find(value, format!("\r\n{delimiter}").as_bytes())?;
            return Some(String::from_utf8_lossy(&value[..end]).into_owned());
        }
    }
    None
}

pub(crate) fn form_urlencoded_value(body: &[u8], key: &str) -> Option<String> {
    body.split(|&b| b == b'&').find_map(|pair| {
        let (k, v) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &[][..]),
        };
        (k == key.as_bytes()).then(|| String::from_utf8_lossy(v).into_owned())
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The user of a request, if any: for public routes that show more to the signed-in.
#[derive(Debug, Clone)]
pub(crate) struct Viewer(pub(crate) Option<Principal>);

impl Viewer {
    /// The user, when their role passes `rule`; otherwise 401 or 403.
    pub(crate) fn require(&self, rule: Rule) -> Result<&Principal, AppError> {
        match &self.0 {
            None => Err(AppError::Unauthenticated),
            Some(p) if rule.allows(p.role) => Ok(p),
            Some(p) => Err(AppError::Forbidden(format!(
                "your role ({}) cannot see this",
                p.role
            ))),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Self>()
            .cloned()
            .unwrap_or(Self(None)))
    }
}

/// The client's address, as an extractor.
#[derive(Debug, Clone)]
pub(crate) struct Origin(pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(origin_of(&parts.extensions)))
    }
}

/// Append one audit entry.
pub(crate) async fn audit(
    state: &AppState,
    actor: &str,
    origin: &str,
    action: &str,
    dataset: Option<&Dataset>,
    record_id: Option<i64>,
    detail: String,
) -> Result<(), AppError> {
    let entry = NewAuditEntry {
        actor: actor.to_owned(),
        action: action.to_owned(),
        dataset: dataset.map(|d| d.name.to_owned()),
        record_id,
        detail,
        origin: origin.to_owned(),
    };
    state.audit.append(&state.store, entry).await
}

/// Security headers on every response: a strict CSP (no inline script or style), no sniffing,
/// referrers only within the site, no framing, no caching of pages that may hold personal data, and HSTS when
/// Lantern sits behind TLS.
pub(crate) async fn security_headers(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: &'static str, v: &'static str| {
        h.insert(k, axum::http::HeaderValue::from_static(v));
    };
    // A base map's images come from its own server; nothing else is let in.
    let images = state
        .config
        .base_map
        .as_ref()
        .map_or(String::new(), |b| format!(" {}", b.origin()));
    if let Ok(v) = axum::http::HeaderValue::from_str(&format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:{images}; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )) {
        h.insert("content-security-policy", v);
    }
    set(h, "x-content-type-options", "nosniff");
    // `same-origin`, not `no-referrer`: with `no-referrer` browsers send `Origin: null` on form
    // posts, and the origin check needs the real one.
    set(h, "referrer-policy", "same-origin");
    set(h, "x-frame-options", "DENY");
    set(h, "cross-origin-opener-policy", "same-origin");
    set(
        h,
        "permissions-policy",
        "geolocation=(), camera=(), microphone=()",
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        set(h, "cache-control", "no-store");
    }
    if state.config.behind_tls {
        set(
            h,
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        );
    }
    res
}
