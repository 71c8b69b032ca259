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

/// A sane incoming id (1–64 of letters, digits and `-_.:`), kept as sent.
fn incoming_id(req: &Request) -> Option<HeaderValue> {
    let v = req.headers().get(REQUEST_ID)?;
    let b = v.as_bytes();
    let sane = !b.is_empty()
        && b.len() <= 64
        && b.iter().all(|c| c.is_ascii_alphanumeric() || b"-_.:".contains(c));
    sane.then(|| v.clone())
}

/// A fresh id: 16 hex digits.
fn new_id() -> HeaderValue {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let n: u64 = rand::thread_rng().gen();
    let mut out = [0u8; 16];
    for (i, c) in out.iter_mut().enumerate() {
        *c = HEX[((n >> (60 - 4 * i)) & 0xf) as usize];
    }
    HeaderValue::from_bytes(&out).expect("hex digits are a valid header value")
}

/// Gives every request an id, logs it, and answers it in `x-request-id`.
pub async fn request_id(req: Request, next: Next) -> Response {
    let id = incoming_id(&req).unwrap_or_else(new_id);
    let method = req.method().clone();
    let uri = req.uri().clone();
    let span = tracing::info_span!("request", request_id = id.to_str().unwrap_or_default());
    let started = Instant::now();
    let mut resp = next.run(req).instrument(span.clone()).await;
    let status = resp.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(%method, path = uri.path(), status, elapsed_ms, "request failed");
        } else {
            tracing::info!(%method, path = uri.path(), status, elapsed_ms, "request");
        }
    });
    resp.headers_mut().insert(REQUEST_ID, id);
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
pub(crate) fn in_dialect(req: &Request, status: StatusCode, message: String) -> Response {
    match crate::docs::face(req.uri().path()) {
        crate::docs::Face::Isp => {
            crate::error::IspError(crate::error::ApiError::Status(status, message)).into_response()
        }
        crate::docs::Face::Agreements => {
            crate::error::AgreementsError(crate::error::ApiError::Status(status, message))
                .into_response()
        }
        _ => response_message(status, &message, None),
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
