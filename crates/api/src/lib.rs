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

pub mod auth;
pub mod docs;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod isp;
pub mod middleware;
pub mod mobile;
pub mod ops;
pub mod radius;
pub mod seal;

pub use auth::Principal;

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
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            jwt_secret: None,
            auth_cache_ttl: Duration::from_secs(5),
            sealer: None,
        }
    }
}

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: store::Store,
    pub auth: Arc<auth::Auth>,
    pub docs: Arc<docs::Docs>,
    pub sealer: Option<Arc<seal::Sealer>>,
}

impl AppState {
    /// Builds the state: resolves the signing key and renders the docs.
    pub async fn new(
        store: store::Store,
        config: &ApiConfig,
    ) -> Result<AppState, store::StoreError> {
        let secret = match &config.jwt_secret {
            Some(s) => s.clone(),
            None => {
                store
                    .setting_or_init("jwt_signing_key", || store::credentials::random_hex(32))
                    .await?
            }
        };
        let (_, spec) = routers();
        Ok(AppState {
            store,
            auth: Arc::new(auth::Auth::new(secret.as_bytes(), config.auth_cache_ttl)),
            docs: Arc::new(docs::Docs::new(spec)),
            sealer: config.sealer.clone(),
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
                Http::builder()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
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
        .split_for_parts()
}

/// The OpenAPI document, as served at `/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routers().1
}

/// The whole app.
pub fn app(state: AppState) -> Router {
    let (documented, _) = routers();
    documented
        .route("/openapi.json", get(docs::openapi_json))
        .route("/docs", get(docs::page))
        .fallback(middleware::not_found)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            middleware::panic_response,
        ))
        .layer(axum::middleware::from_fn(isp::errors))
        .layer(axum::middleware::from_fn(middleware::request_id))
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` resolves, then finishes the
/// requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Status code helper for handlers that answer 201 Created.
pub const CREATED: StatusCode = StatusCode::CREATED;
