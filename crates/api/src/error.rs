//! One error type for the HTTP faces, mapped once to each face's wire shape.
//!
//! The mobile face answers `{"response_message": "..."}` (with `field` when
//! one parameter is to blame); authentication failures answer the OAuth
//! shape `{"error": "...", "error_description": "..."}`. 5xx detail goes to
//! the log (inside the request's span, so with its request id), never to
//! the client.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use store::StoreError;

/// An error answered by the mobile face.
#[derive(Debug)]
pub enum ApiError {
    /// A domain rule or check failed.
    Domain(domain::Error),
    /// Authentication or authorisation failed (OAuth shape).
    Auth(AuthError),
    /// Any other 4xx with a message.
    Status(StatusCode, String),
    /// A fault of ours; the detail is logged, not answered.
    Internal(String),
}

/// An OAuth 2.0 / RFC 6750 error.
#[derive(Debug, Clone)]
pub struct AuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
}

impl AuthError {
    pub fn invalid_token(description: impl Into<String>) -> Self {
        AuthError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_token",
            description: description.into(),
        }
    }

    pub fn invalid_client(description: impl Into<String>) -> Self {
        AuthError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: description.into(),
        }
    }

    pub fn bad_request(error: &'static str, description: impl Into<String>) -> Self {
        AuthError {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
        }
    }

    pub fn insufficient_scope(scope: domain::Scope) -> Self {
        AuthError {
            status: StatusCode::FORBIDDEN,
            error: "insufficient_scope",
            description: format!("The access token does not grant the required permissions: this call needs the {scope:?} scope ({scope})."),
        }
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status,
            axum::Json(json!({"error": self.error, "error_description": self.description})),
        )
            .into_response();
        let challenge = match (self.status, self.error) {
            (StatusCode::UNAUTHORIZED, "invalid_client") => {
                Some("Basic realm=\"switchboard\"".to_owned())
            }
            (StatusCode::UNAUTHORIZED, e) | (StatusCode::FORBIDDEN, e) => {
                Some(format!("Bearer realm=\"switchboard\", error=\"{e}\""))
            }
            _ => None,
        };
        if let Some(c) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, c);
        }
        resp
    }
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::Status(StatusCode::BAD_REQUEST, message.into())
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        ApiError::Domain(domain::Error::NotFound(message.into()))
    }

    /// Maps a storage error, turning `NotFound` into `what` not found.
    pub fn store(err: StoreError, what: impl FnOnce() -> String) -> Self {
        match err {
            StoreError::NotFound => ApiError::not_found(format!("{} not found", what())),
            other => ApiError::from(other),
        }
    }
}

impl From<domain::Error> for ApiError {
    fn from(e: domain::Error) -> Self {
        ApiError::Domain(e)
    }
}

impl From<app::Error> for ApiError {
    fn from(e: app::Error) -> Self {
        match e {
            app::Error::Rule(d) => ApiError::Domain(d),
            app::Error::Forbidden(scope) => ApiError::Auth(AuthError::insufficient_scope(scope)),
            app::Error::Internal(detail) => ApiError::Internal(detail),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        ApiError::Auth(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("not found"),
            StoreError::Conflict(m) => ApiError::Domain(domain::Error::Conflict(m)),
            StoreError::Rule(e) => ApiError::Domain(e),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

/// The mobile face's error body.
pub fn response_message(status: StatusCode, message: &str, field: Option<&str>) -> Response {
    let body = match field {
        Some(f) => json!({"response_message": message, "field": f}),
        None => json!({"response_message": message}),
    };
    (status, axum::Json(body)).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        use domain::Error as D;
        match self {
            ApiError::Domain(D::Invalid { field, message }) => response_message(
                StatusCode::BAD_REQUEST,
                &format!("{field}: {message}"),
                Some(&field),
            ),
            ApiError::Domain(D::NotFound(m)) => response_message(StatusCode::NOT_FOUND, &m, None),
            ApiError::Domain(D::Conflict(m)) => response_message(StatusCode::CONFLICT, &m, None),
            ApiError::Domain(D::Busy(m)) => {
                let mut resp = response_message(StatusCode::CONFLICT, &m, None);
                resp.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                resp
            }
            ApiError::Domain(e @ D::Refused { .. }) => {
                response_message(StatusCode::PAYMENT_REQUIRED, &e.to_string(), e.field())
            }
            ApiError::Domain(D::Problems { message, problems }) => (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"response_message": message, "errors": problems})),
            )
                .into_response(),
            ApiError::Auth(a) => a.into_response(),
            ApiError::Status(s, m) => response_message(s, &m, None),
            ApiError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                response_message(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; quote the x-request-id header of this response to support",
                    None,
                )
            }
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
