//! The ISP subscriber API (`/api/v1/...`), in the dialect of the ISP CRM
//! it replaces: version in the path, snake_case, answers wrapped as
//! `{"success": "true", "data": ...}`, errors as `{"status": "error",
//! "message": ...}` (reshaped once, by [`errors`]), and every answer
//! discoverable through absolute `_links`. Callers authenticate with an API
//! token (`Authorization: Bearer` or `X-Auth-Token`) and need the `isp` scope.

use crate::error::{ApiError, ApiResult};
use crate::{AppState, Principal};
use axum::body::Body;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use domain::paging::PageRequest;
use domain::{Error, Scope};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub mod profiles;
pub mod users;

/// Every route of the ISP face.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(root))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(
            users::get_user,
            users::patch_user,
            users::delete_user
        ))
        .routes(routes!(users::suspend_user))
        .routes(routes!(users::activate_user))
        .routes(routes!(users::renew_user))
        .routes(routes!(users::user_sessions))
        .routes(routes!(profiles::list_profiles, profiles::create_profile))
        .routes(routes!(profiles::get_profile))
        .routes(routes!(profiles::get_customer))
}

/// The caller of an ISP-face request, holding the `isp` scope.
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let who = state
            .auth
            .token_caller(&state.store, &parts.headers)
            .await?;
        who.require(Scope::Isp)?;
        Ok(Caller(who))
    }
}

/// The absolute base of this server as the caller reached it (`Host`, and
/// `X-Forwarded-Proto` behind a TLS proxy), for `_links`.
pub struct Base(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Base {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
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
        let proto = match parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|h| h.to_str().ok())
        {
            Some("https") => "https",
            _ => "http",
        };
        Ok(Base(format!("{proto}://{host}/api/v1")))
    }
}

impl Base {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

/// `{"success": "true", "data": ...}`.
pub fn ok(data: Value) -> Json<Value> {
    Json(json!({"success": "true", "data": data}))
}

/// A page of a collection: the items, paging facts and links to this,
/// the first, the next and the previous page. `query` is the filter part
/// of the query string, kept in every link.
pub fn page(
    base: &Base,
    path: &str,
    query: &str,
    p: PageRequest,
    total: i64,
    items: Vec<Value>,
) -> Json<Value> {
    let link = |n: i64| {
        let sep = if query.is_empty() { "" } else { "&" };
        base.url(&format!(
            "{path}?{query}{sep}page={n}&per_page={}",
            p.limit()
        ))
    };
    let number = p.offset() / p.limit() + 1;
    let mut links = json!({"self": link(number), "first": link(1)});
    if p.offset() + p.limit() < total {
        links["next"] = json!(link(number + 1));
    }
    if number > 1 {
        links["prev"] = json!(link(number - 1));
    }
    Json(json!({
        "success": "true",
        "data": items,
        "meta": {"page": number, "per_page": p.limit(), "total": total},
        "_links": links,
    }))
}

/// Paging in the ISP dialect: `page` (from 1) and `per_page` (1–200, default 50).
#[derive(Deserialize, utoipa::IntoParams, Default)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    #[param(value_type = Option<i64>)]
    pub page: Option<String>,
    #[param(value_type = Option<i64>)]
    pub per_page: Option<String>,
}

impl Paging {
    pub fn request(&self) -> ApiResult<PageRequest> {
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

/// Times as the ISP dialect writes them: `2025-03-31 00:00:00` (UTC).
pub fn time(t: Option<DateTime<Utc>>) -> Value {
    t.map(|t| json!(t.format("%Y-%m-%d %H:%M:%S").to_string()))
        .unwrap_or(Value::Null)
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
    responses((status = 200, description = "links to every collection, and a URI template for a customer"), (status = 401, description = "no or an invalid token")))]
pub async fn root(Caller(_): Caller, base: Base) -> Json<Value> {
    let links = json!({
        "list_users": base.url("/users"),
        "list_profiles": base.url("/profiles"),
        "_links": {
            "self": {"href": base.url("")},
            "users": {"href": base.url("/users")},
            "profiles": {"href": base.url("/profiles")},
            "customer": {"href": base.url("/customers/{id}"), "templated": true},
        },
    });
    let mut out = json!({"success": "true", "data": links.clone()});
    if let (Some(o), Some(l)) = (out.as_object_mut(), links.as_object()) {
        o.extend(l.clone());
    }
    Json(out)
}

/// Reshapes the error answers of `/api/v1` (whichever layer made them:
/// handler, extractor, auth, fallback) into the ISP dialect's
/// `{"status": "error", "message": ...}`, keeping the status code, the
/// `field` at fault and any list of problems.
pub async fn errors(req: Request, next: Next) -> Response {
    let isp = {
        let p = req.uri().path();
        p == "/api/v1" || p.starts_with("/api/v1/")
    };
    let resp = next.run(req).await;
    if !isp || resp.status().as_u16() < 400 {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let old: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let message = ["response_message", "error_description", "message"]
        .iter()
        .find_map(|k| old[*k].as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| {
            parts
                .status
                .canonical_reason()
                .unwrap_or("error")
                .to_owned()
        });
    let mut new = json!({"status": "error", "message": message});
    for k in ["field", "errors"] {
        if !old[k].is_null() {
            new[k] = old[k].clone();
        }
    }
    if parts.status == StatusCode::PAYMENT_REQUIRED {
        // The mobile dialect's refusal code; the ISP dialect knows 400.
        parts.status = StatusCode::BAD_REQUEST;
    }
    let text = new.to_string();
    parts.headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(text)).into_response()
}
