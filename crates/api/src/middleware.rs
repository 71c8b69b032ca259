//! Middleware every request passes: a request id (taken from a sane
//! incoming `x-request-id` or made), a tracing span carrying it, an access
//! log line, and JSON answers for unknown routes and panics.

use crate::error::response_message;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID: &str = "x-request-id";

fn incoming_id(req: &Request) -> Option<String> {
    let v = req.headers().get(REQUEST_ID)?.to_str().ok()?;
    let sane = !v.is_empty()
        && v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    sane.then(|| v.to_owned())
}

/// Gives every request an id, logs it, and answers it in `x-request-id`.
pub async fn request_id(req: Request, next: Next) -> Response {
    let id =
        incoming_id(&req).unwrap_or_else(|| format!("{:016x}", rand::thread_rng().gen::<u64>()));
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let span = tracing::info_span!("request", request_id = %id);
    let started = Instant::now();
    let mut resp = next.run(req).instrument(span.clone()).await;
    let status = resp.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(%method, %path, status, elapsed_ms, "request failed");
        } else {
            tracing::info!(%method, %path, status, elapsed_ms, "request");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    resp
}

/// No route: answered in the dialect of the face whose paths these are.
pub async fn not_found(req: Request) -> Response {
    let message = format!("no such method: {} {}", req.method(), req.uri().path());
    in_dialect(&req, StatusCode::NOT_FOUND, message)
}

pub async fn method_not_allowed(req: Request) -> Response {
    let message = format!("{} is not allowed on {}", req.method(), req.uri().path());
    in_dialect(&req, StatusCode::METHOD_NOT_ALLOWED, message)
}

/// The ISP face owns `/api/v1` and below; every other path answers in the
/// mobile dialect.
fn in_dialect(req: &Request, status: StatusCode, message: String) -> Response {
    if crate::docs::face(req.uri().path()) == crate::docs::Face::Isp {
        crate::error::IspError(crate::error::ApiError::Status(status, message)).into_response()
    } else {
        response_message(status, &message, None)
    }
}

/// Logs a handler's panic.
pub fn log_panic(err: Box<dyn std::any::Any + Send + 'static>) {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "handler panicked");
}

/// A handler panicked: log it and answer 500 without detail.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    log_panic(err);
    response_message(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal error; quote the x-request-id header of this response to support",
        None,
    )
}
