//! Switchboard's HTTP faces: one axum app with shared middleware (request
//! ids, access log, body limit, panic catching, error mapping), the OAuth
//! token endpoint, the mobile reseller API under `/api/`, operations
//! endpoints, and the OpenAPI document with its docs page.

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use std::sync::Arc;
use std::time::Duration;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub mod agreements;
pub mod auth;
pub mod docs;
pub mod error;
pub mod extract;
pub mod guard;
pub mod idempotency;
pub mod isp;
pub mod metrics;
pub mod middleware;
pub mod mobile;
pub mod ops;
pub mod portal;
pub mod radius;
pub use app::seal;

pub use auth::{Call, Principal};

/// Largest request body accepted, in bytes.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// What the app is built from.
#[derive(Clone, Debug)]
pub struct ApiConfig {
    /// Token signing key; when `None` one is generated on first start and
    /// kept in the database so every server of a deployment shares it.
    pub jwt_secret: Option<String>,
    /// How long a client's "not revoked" and an API user's password check
    /// are trusted before the database is asked again.
    pub auth_cache_ttl: Duration,
    /// Seals the passwords of subscribers on CHAP profiles; without it such
    /// subscribers cannot be created.
    pub sealer: Option<Arc<seal::Sealer>>,
    /// Server timeouts and the shutdown grace period.
    pub limits: ServerLimits,
    /// Requests in flight and rate limits per client.
    pub guard: guard::GuardConfig,
    /// When set, `/metrics` answers on the main listener to this bearer
    /// token (see [`metrics`]).
    pub metrics_token: Option<String>,
    /// Let partners register webhook endpoints on loopback and private
    /// addresses.
    pub webhooks_allow_private: bool,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            jwt_secret: None,
            auth_cache_ttl: Duration::from_secs(5),
            sealer: None,
            limits: ServerLimits::default(),
            guard: guard::GuardConfig::default(),
            metrics_token: None,
            webhooks_allow_private: false,
        }
    }
}

/// How long the server waits on clients, and on itself at shutdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// A request's head (request line and headers) must arrive within
    /// this; it also bounds how long an idle keep-alive connection is kept.
    pub header_read_timeout: Duration,
    /// A request's body must arrive within this once its head has.
    pub body_read_timeout: Duration,
    /// After a shutdown signal, requests in flight get this long to finish;
    /// then the server closes whatever is left and returns.
    pub shutdown_grace: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(20),
        }
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The use cases every handler calls (shared: a handler's extractor
    /// takes a reference count, not a copy).
    pub app: Arc<app::App>,
    pub auth: Arc<auth::Auth>,
    pub docs: Arc<docs::Docs>,
    pub limits: ServerLimits,
    pub guard: Arc<guard::Guard>,
    pub metrics: Arc<metrics::Metrics>,
    pub metrics_token: Option<Arc<str>>,
}

impl AppState {
    /// Builds the state: resolves the signing key and renders the docs.
    pub async fn new(store: store::Store, config: &ApiConfig) -> Result<AppState, app::Error> {
        let app = app::App::new(store.clone())
            .with_sealer(config.sealer.clone())
            .with_private_webhooks(config.webhooks_allow_private);
        let secret = match &config.jwt_secret {
            Some(s) => s.clone(),
            None => app.signing_secret().await?,
        };
        let spec = openapi();
        let metrics = Arc::new(metrics::Metrics::new());
        Ok(AppState {
            app: Arc::new(app),
            auth: Arc::new(auth::Auth::new(secret.as_bytes(), config.auth_cache_ttl)),
            docs: Arc::new(docs::Docs::new(spec)),
            limits: config.limits,
            guard: Arc::new(guard::Guard::new(
                config.guard.clone(),
                metrics.clone(),
                store.clock().clone(),
            )),
            metrics,
            metrics_token: config.metrics_token.as_deref().map(Arc::from),
        })
    }
}

/// The OpenAPI document's top level; paths are added by the routers.
#[derive(OpenApi)]
#[openapi(
    info(title = "Switchboard API", description = "CRM/ERP for telecom resellers: the mobile reseller API (`/api/...`), authenticated with OAuth 2.0 client credentials (`POST /token`) or legacy HTTP Basic; the ISP subscriber API (`/api/v1/...`) and the RADIUS endpoints for FreeRADIUS's rlm_rest (`/radius/...`), authenticated with an API token (`X-Auth-Token` or Bearer)."),
    modifiers(&SecuritySchemes),
    security(("bearer" = []), ("basic" = []), ("api_token" = [])),
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                Http::builder().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build(),
            ),
        );
        components
            .add_security_scheme("basic", SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)));
        components.add_security_scheme(
            "api_token",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Header(
                utoipa::openapi::security::ApiKeyValue::new("X-Auth-Token"),
            )),
        );
    }
}

/// Every documented route, and the OpenAPI document made from them.
fn routers() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::token))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .merge(mobile::router())
        .merge(isp::router())
        .merge(radius::router())
        .merge(agreements::router())
        .split_for_parts()
}

/// The OpenAPI document, as served at `/openapi.json`: the routes' own,
/// completed with the statuses the shared layers answer.
pub fn openapi() -> utoipa::openapi::OpenApi {
    docs::complete(routers().1)
}

/// The whole app.
pub fn app(state: AppState) -> Router {
    let (documented, _) = routers();
    documented
        .route("/openapi.json", get(docs::openapi_json))
        .route("/docs", get(docs::page))
        .route("/metrics", get(metrics::guarded))
        .merge(portal::router(&state))
        .fallback(middleware::not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .layer(axum::middleware::from_fn(guard::limit_headers))
        .layer(axum::middleware::from_fn_with_state(state.metrics.clone(), metrics::track))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn(middleware::request_id))
        // First of all, so a shed request costs as little as can be.
        .layer(axum::middleware::from_fn_with_state(state.guard.clone(), guard::shed))
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets the
/// requests in flight finish for up to the grace period and returns,
/// whatever clients are still doing.
///
/// Each connection is HTTP/1.1 with a header-read timeout (a half-sent or
/// idle request head is dropped), and each request body must arrive within
/// the body-read timeout (408 otherwise).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let limits = state.limits;
    let app = app(state)
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(limits.body_read_timeout));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout).keep_alive(true);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    // The connections' tasks, so that those still open after the grace
    // period can be closed rather than left running.
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: back off, go on.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        connections.spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::warn!(
            grace = ?limits.shutdown_grace,
            connections = connections.len(),
            "connections still open after the grace period were closed"
        );
    }
    connections.shutdown().await;
    Ok(())
}

/// Status code helper for handlers that answer 201 Created.
pub const CREATED: StatusCode = StatusCode::CREATED;
