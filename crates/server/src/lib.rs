//! Lantern's HTTP server: a JSON API under `/api/v1` and server-rendered HTML pages that work
//! without JavaScript. Handlers parse input into domain types, call the store, and render;
//! there is no SQL here.

mod api;
mod audit;
mod error;
mod web;

use std::sync::Arc;

use axum::Router;
use lantern_core::SharedStore;

pub use error::AppError;

/// Settings the server needs; libraries never read the environment.
#[derive(Debug, Clone, Default)]
pub struct ServerConfig {
    /// The database holds synthetic demo data: every page says so.
    pub synthetic: bool,
}

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    /// The register.
    pub store: SharedStore,
    /// Server settings.
    pub config: Arc<ServerConfig>,
}

impl AppState {
    /// State over a store.
    pub fn new(store: SharedStore, config: ServerConfig) -> Self {
        Self {
            store,
            config: Arc::new(config),
        }
    }
}

/// The application's routes, for serving or for `oneshot` tests.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(api::routes())
        .merge(web::routes())
        .with_state(state)
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
