//! `Idempotency-Key` on POSTs that create things, as the faces see it: the
//! header is read and checked here, and the use case claims the key, does
//! the work and saves its result in one transaction (see `app::keyed`).
//! A replayed answer is rendered like a fresh one and marked with
//! `Idempotent-Replayed: true`.

use crate::error::{ApiError, ApiResult};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub const HEADER: &str = "idempotency-key";

/// The request's key, if it sent one: 1 to 255 visible characters.
pub fn key<'a>(headers: &'a HeaderMap, request_hash: &'a str) -> ApiResult<Option<app::Key<'a>>> {
    let Some(value) = headers.get(HEADER) else {
        return Ok(None);
    };
    let key = value.to_str().ok().filter(|k| !k.is_empty() && k.len() <= 255).ok_or_else(|| {
        ApiError::from(domain::Error::invalid(
            "Idempotency-Key",
            "must be 1 to 255 visible characters",
        ))
    })?;
    Ok(Some(app::Key { key, request_hash }))
}

/// Renders a keyed write's answer with `render` (fresh or replayed alike).
pub fn respond<T, B: serde::Serialize>(
    done: app::Done<T>,
    status: StatusCode,
    render: impl FnOnce(T) -> B,
) -> Response {
    match done {
        app::Done::Fresh(v) => (status, axum::Json(render(v))).into_response(),
        app::Done::Replayed(v) => {
            let mut resp = (status, axum::Json(render(v))).into_response();
            resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            resp
        }
        app::Done::Legacy { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut resp = (status, [(axum::http::header::CONTENT_TYPE, "application/json")], body)
                .into_response();
            resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            resp
        }
    }
}
