//! The ISP subscriber API (`/api/v1/...`), in the dialect of the ISP CRM
//! it replaces: version in the path, snake_case, answers wrapped as
//! `{"success": "true", "data": ...}`, errors as `{"status": "error",
//! "message": ...}` (rendered by [`IspError`], the extractors below
//! included), and every answer
//! discoverable through absolute `_links`. Callers authenticate with an API
//! token (`Authorization: Bearer` or `X-Auth-Token`) and need the `isp` scope.

use crate::error::{ApiError, IspError, IspResult};
use crate::extract::{JsonBody, QueryParams};
use crate::{AppState, Principal};
use axum::extract::{FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use domain::paging::PageRequest;
use domain::{Error, Scope};
use serde::{Deserialize, Deserializer};

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub mod profiles;
pub mod users;
pub mod views;

/// Every route of the ISP face; a panic in one answers in its dialect.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(root))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::get_user, users::patch_user, users::delete_user))
        .routes(routes!(users::suspend_user))
        .routes(routes!(users::activate_user))
        .routes(routes!(users::renew_user))
        .routes(routes!(users::user_sessions))
        .routes(routes!(profiles::list_profiles, profiles::create_profile))
        .routes(routes!(profiles::get_profile))
        .routes(routes!(profiles::get_customer))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(|panic| {
            crate::middleware::log_panic(panic);
            IspError(ApiError::Internal("a handler panicked".into())).into_response()
        }))
}

/// What an ISP-face handler starts from: the use cases, the caller (an
/// API token or access token holding the `isp` scope) and the base its
/// links are made from.
pub struct Caller {
    pub app: std::sync::Arc<app::App>,
    pub who: Principal,
    pub base: Base,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = IspError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, IspError> {
        let who = state.auth.token_caller(&state.app, &parts.headers).await?;
        who.require(Scope::Isp)?;
        crate::guard::rate_limit(&state.guard, parts, &who)?;
        Ok(Caller {
            app: state.app.clone(),
            who,
            base: Base::from_request_parts(parts, state).await?,
        })
    }
}

/// The absolute base of this server as the caller reached it (`Host`, and
/// `X-Forwarded-Proto` behind a TLS proxy), for `_links`.
pub struct Base(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Base {
    type Rejection = IspError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, IspError> {
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')
                    })
            })
            .unwrap_or("localhost");
        let proto = match parts.headers.get("x-forwarded-proto").and_then(|h| h.to_str().ok()) {
            Some("https") => "https",
            _ => "http",
        };
        Ok(Base(format!("{proto}://{host}/api/v1")))
    }
}

/// A query string, refused in the ISP dialect.
pub struct Query<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = IspError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, IspError> {
        let QueryParams(v) = QueryParams::from_request_parts(parts, state).await?;
        Ok(Query(v))
    }
}

/// A JSON body, refused in the ISP dialect.
pub struct Body<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = IspError;

    async fn from_request(req: Request, state: &S) -> Result<Self, IspError> {
        let body: JsonBody<T> = JsonBody::from_request(req, state).await?;
        Ok(Body(body.value))
    }
}

/// The id or username in a subscriber's path, refused in the ISP dialect.
pub struct Key(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Key {
    type Rejection = IspError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, IspError> {
        let axum::extract::Path(key) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|rej| ApiError::bad_request(rej.body_text()))?;
        Ok(Key(key))
    }
}

impl Base {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

/// Paging in the ISP dialect: `page` (from 1) and `per_page` (1–200, default 50).
#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1_000_000)]
    pub page: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub per_page: Option<String>,
}

impl Paging {
    pub fn request(&self) -> IspResult<PageRequest> {
        let page = crate::extract::opt_int_param(&self.page, "page")?;
        let size = crate::extract::opt_int_param(&self.per_page, "per_page")?;
        Ok(PageRequest::new(page, size).map_err(|e| match e {
            Error::Invalid { field, message } if field == "pageSize" => {
                Error::invalid("per_page", message)
            }
            other => other,
        })?)
    }
}

/// Reads a time as the ISP dialect writes it, or RFC 3339, or a date
/// (midnight UTC).
pub fn parse_time(text: &str, field: &str) -> Result<DateTime<Utc>, Error> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Ok(d.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S") {
        return Ok(d.and_utc());
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    Err(Error::invalid(
        field,
        format!("{t:?} is not a time: use 2026-12-31 00:00:00, 2026-12-31 or RFC 3339"),
    ))
}

/// For PATCH bodies: a field absent (`None`), null (`Some(None)`) or set.
pub fn double_option<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// The API root: a link to every collection, in the envelope (`data`) and,
/// as the ISP CRM's own introduction shows it, at the top level too.
#[utoipa::path(get, path = "/api/v1", tag = "ISP",
    responses((status = 200, description = "links to every collection, and a URI template for a customer", body = views::Root), (status = 401, description = "no or an invalid token")))]
pub async fn root(Caller { base, .. }: Caller) -> Json<views::Root> {
    let href = |path: &str| views::Href { href: base.url(path), templated: false };
    let links = views::RootLinks {
        list_users: base.url("/users"),
        list_profiles: base.url("/profiles"),
        links: views::RootHal {
            this: href(""),
            users: href("/users"),
            profiles: href("/profiles"),
            customer: views::Href { href: base.url("/customers/{id}"), templated: true },
        },
    };
    Json(views::Root { success: "true", data: links.clone(), top: links })
}
