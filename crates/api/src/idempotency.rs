//! `Idempotency-Key` on POSTs that create things: the same key and body
//! answer the first response again; the same key with another body is 409.

use crate::error::{ApiError, ApiResult};
use crate::{AppState, Principal};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::future::Future;
use store::idempotency::Claim;

pub const HEADER: &str = "idempotency-key";

/// Runs `work` once per (caller, key): replays the stored answer for a
/// repeated request, refuses a reused key with another body. Without the
/// header, just runs `work`. Answers of 5xx are not stored, so the caller
/// may retry with the same key.
pub async fn once<F, Fut>(
    state: &AppState,
    who: &Principal,
    headers: &HeaderMap,
    body_hash: &str,
    work: F,
) -> ApiResult<Response>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ApiResult<(StatusCode, serde_json::Value)>>,
{
    let Some(key) = headers.get(HEADER) else {
        return work()
            .await
            .map(|(status, value)| (status, axum::Json(value)).into_response());
    };
    let key = key
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= 255)
        .ok_or_else(|| {
            ApiError::from(domain::Error::invalid(
                "Idempotency-Key",
                "must be 1 to 255 visible characters",
            ))
        })?;
    match state
        .store
        .claim_idempotency(&who.actor, key, body_hash)
        .await?
    {
        Claim::Replay { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut resp = (
                status,
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response();
            resp.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(resp)
        }
        Claim::Mismatch => Err(domain::Error::Conflict(format!(
            "Idempotency-Key {key:?} was already used with a different request body"
        ))
        .into()),
        Claim::InFlight => Err(domain::Error::Conflict(format!(
            "a request with Idempotency-Key {key:?} is still being processed; retry shortly"
        ))
        .into()),
        Claim::New => {
            let resp = match work().await {
                Ok((status, value)) => (status, axum::Json(value)).into_response(),
                Err(e @ ApiError::Internal(_)) => {
                    state.store.release_idempotency(&who.actor, key).await?;
                    return Err(e);
                }
                // A 4xx answer is stored too: the same request gets it again.
                Err(e) => e.into_response(),
            };
            let (parts, body) = resp.into_parts();
            let bytes = axum::body::to_bytes(body, crate::BODY_LIMIT)
                .await
                .map_err(|e| ApiError::Internal(format!("reading an answer to store: {e}")))?;
            let text = String::from_utf8_lossy(&bytes);
            state
                .store
                .complete_idempotency(&who.actor, key, parts.status.as_u16(), &text)
                .await?;
            Ok(Response::from_parts(parts, axum::body::Body::from(bytes)))
        }
    }
}
