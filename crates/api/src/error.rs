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
    /// A rate limit refused the request (429).
    Limited(Box<crate::guard::Limited>),
}

/// An OAuth 2.0 / RFC 6750 error.
#[derive(Debug, Clone)]
pub struct AuthError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
    /// The corporate agreements face's code for it (40102 no header,
    /// 40105 invalid token, 40106 expired, 40107 Basic not allowed, 40108
    /// bad client, 40301 scope, 40001 a bad token request).
    pub code: u32,
}

impl AuthError {
    pub fn invalid_token(description: impl Into<String>) -> Self {
        AuthError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_token",
            description: description.into(),
            code: 40105,
        }
    }

    /// No credentials at all.
    pub fn missing(description: impl Into<String>) -> Self {
        AuthError { code: 40102, ..AuthError::invalid_token(description) }
    }

    /// An access token past its expiry.
    pub fn expired(description: impl Into<String>) -> Self {
        AuthError { code: 40106, ..AuthError::invalid_token(description) }
    }

    pub fn invalid_client(description: impl Into<String>) -> Self {
        AuthError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: description.into(),
            code: 40108,
        }
    }

    pub fn bad_request(error: &'static str, description: impl Into<String>) -> Self {
        AuthError {
            status: StatusCode::BAD_REQUEST,
            error,
            description: description.into(),
            code: 40001,
        }
    }

    pub fn insufficient_scope(scope: domain::Scope) -> Self {
        AuthError {
            status: StatusCode::FORBIDDEN,
            error: "insufficient_scope",
            description: format!("The access token does not grant the required permissions: this call needs the {scope:?} scope ({scope})."),
            code: 40301,
        }
    }
}

impl AuthError {
    /// The `WWW-Authenticate` challenge the answer carries, if any.
    fn challenge(&self) -> Option<HeaderValue> {
        let c = match (self.status, self.error) {
            (StatusCode::UNAUTHORIZED, "invalid_client") => {
                "Basic realm=\"switchboard\"".to_owned()
            }
            (StatusCode::UNAUTHORIZED, e) | (StatusCode::FORBIDDEN, e) => {
                format!("Bearer realm=\"switchboard\", error=\"{e}\"")
            }
            _ => return None,
        };
        HeaderValue::from_str(&c).ok()
    }
}

impl IntoResponse for AuthError {
    fn into_response(self) -> Response {
        let challenge = self.challenge();
        let mut resp = (
            self.status,
            axum::Json(json!({"error": self.error, "error_description": self.description})),
        )
            .into_response();
        if let Some(c) = challenge {
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
        ApiError::Domain(domain::Error::not_found(message))
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

/// What any face says when a request fails: the status, the message, the
/// field at fault, the list of problems, and the headers that go with it
/// (`Retry-After`, `WWW-Authenticate`). Each face renders it in its shape.
struct Failure {
    status: StatusCode,
    message: String,
    field: Option<String>,
    problems: Option<Vec<domain::ordering::Problem>>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl Failure {
    fn of(e: domain::Error, refused: StatusCode) -> Failure {
        use domain::Error as D;
        let field = e.field().map(str::to_owned);
        let (status, message, problems, headers) = match e {
            D::Invalid { field, message } => {
                (StatusCode::BAD_REQUEST, format!("{field}: {message}"), None, vec![])
            }
            D::NotFound(m) => (StatusCode::NOT_FOUND, m.message, None, vec![]),
            D::Conflict(m) => (StatusCode::CONFLICT, m, None, vec![]),
            D::Busy(m) => (
                StatusCode::CONFLICT,
                m,
                None,
                vec![(header::RETRY_AFTER, HeaderValue::from_static("1"))],
            ),
            e @ D::Refused { .. } => (refused, e.to_string(), None, vec![]),
            D::Problems { message, problems } => {
                (StatusCode::BAD_REQUEST, message, Some(problems), vec![])
            }
        };
        Failure { status, message, field, problems, headers }
    }

    fn internal(detail: &str) -> Failure {
        tracing::error!(error = %detail, "internal error");
        Failure {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: "internal error; quote the x-request-id header of this response to support"
                .into(),
            field: None,
            problems: None,
            headers: vec![],
        }
    }

    fn limited(l: &crate::guard::Limited) -> Failure {
        Failure {
            headers: l.headers(),
            ..Failure::plain(StatusCode::TOO_MANY_REQUESTS, l.message.clone())
        }
    }

    fn plain(status: StatusCode, message: String) -> Failure {
        Failure { status, message, field: None, problems: None, headers: vec![] }
    }

    /// The answer: `body` made from the failure, with its headers.
    fn render(self, body: serde_json::Value) -> Response {
        let mut resp = (self.status, axum::Json(body)).into_response();
        for (k, v) in self.headers {
            resp.headers_mut().insert(k, v);
        }
        resp
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
    /// The mobile dialect: `{"response_message", "field"?, "errors"?}`,
    /// a refusal as 402, authentication failures in the OAuth shape.
    fn into_response(self) -> Response {
        let f = match self {
            ApiError::Auth(a) => return a.into_response(),
            ApiError::Domain(e) => Failure::of(e, StatusCode::PAYMENT_REQUIRED),
            ApiError::Status(s, m) => Failure::plain(s, m),
            ApiError::Internal(detail) => Failure::internal(&detail),
            ApiError::Limited(l) => Failure::limited(&l),
        };
        let mut body = json!({"response_message": f.message});
        if let Some(p) = &f.problems {
            body["errors"] = json!(p);
        } else if let Some(field) = &f.field {
            body["field"] = json!(field);
        }
        f.render(body)
    }
}

/// An error answered by the ISP face, in its dialect:
/// `{"status": "error", "message", "field"?, "errors"?}`; a refusal is a
/// 400 there, and authentication failures keep their status and challenge.
#[derive(Debug)]
pub struct IspError(pub ApiError);

impl<E: Into<ApiError>> From<E> for IspError {
    fn from(e: E) -> Self {
        IspError(e.into())
    }
}

impl IntoResponse for IspError {
    fn into_response(self) -> Response {
        let f = match self.0 {
            ApiError::Auth(a) => {
                let mut f = Failure::plain(a.status, a.description.clone());
                f.headers.extend(a.challenge().map(|c| (header::WWW_AUTHENTICATE, c)));
                f
            }
            ApiError::Domain(e) => Failure::of(e, StatusCode::BAD_REQUEST),
            ApiError::Status(s, m) => Failure::plain(s, m),
            ApiError::Internal(detail) => Failure::internal(&detail),
            ApiError::Limited(l) => Failure::limited(&l),
        };
        let mut body = json!({"status": "error", "message": f.message});
        if let Some(field) = &f.field {
            body["field"] = json!(field);
        }
        if let Some(p) = &f.problems {
            body["errors"] = json!(p);
        }
        f.render(body)
    }
}

pub type IspResult<T> = Result<T, IspError>;

/// An error answered by the corporate agreements face, in its dialect:
/// `{"code": <number>, "message"}` with the reference's codes (40001 a
/// bad parameter, 400001 the agreement, 400002 the product or offer,
/// 404001 no such agreement, 40401 no such path or order, 42901 quota,
/// 42902 spike arrest, 50001 ours, 503200 at capacity; the 401s and 403
/// as [`AuthError::code`] says).
#[derive(Debug)]
pub struct AgreementsError(pub ApiError);

impl<E: Into<ApiError>> From<E> for AgreementsError {
    fn from(e: E) -> Self {
        AgreementsError(e.into())
    }
}

/// The agreements face's code for a domain error, by its kind and field.
fn agreements_code(e: &domain::Error) -> u32 {
    use domain::Error as D;
    match e {
        D::Invalid { field, .. } if field == "agreementId" => 400001,
        D::Invalid { field, .. } if field == "productId" || field == "productOfferingId" => 400002,
        D::NotFound(m) if m.field.as_deref() == Some("agreementId") => 404001,
        D::NotFound(_) => 40401,
        D::Conflict(_) | D::Busy(_) => 40901,
        _ => 40001,
    }
}

impl IntoResponse for AgreementsError {
    fn into_response(self) -> Response {
        let (f, code) = match self.0 {
            ApiError::Auth(a) => {
                let mut f = Failure::plain(a.status, a.description.clone());
                f.headers.extend(a.challenge().map(|c| (header::WWW_AUTHENTICATE, c)));
                (f, a.code)
            }
            ApiError::Domain(e) => {
                let code = agreements_code(&e);
                (Failure::of(e, StatusCode::BAD_REQUEST), code)
            }
            ApiError::Status(s, m) => {
                let code = match s.as_u16() {
                    404 | 405 => 40401,
                    503 => 503200,
                    _ => 40001,
                };
                (Failure::plain(s, m), code)
            }
            ApiError::Internal(detail) => (Failure::internal(&detail), 50001),
            ApiError::Limited(l) => {
                let code = if l.policy == "quota" { 42901 } else { 42902 };
                (Failure::limited(&l), code)
            }
        };
        let body = json!({"code": code, "message": f.message});
        f.render(body)
    }
}

pub type AgreementsResult<T> = Result<T, AgreementsError>;

pub type ApiResult<T> = Result<T, ApiError>;
