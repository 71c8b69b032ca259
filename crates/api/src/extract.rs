//! Request extractors whose refusals name the problem in the mobile face's
//! error shape: JSON bodies (content type, size, syntax, types, unknown
//! fields, with the path of the bad field) and query parameters.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

/// A JSON body, checked, with the SHA-256 of its bytes (for idempotency).
pub struct JsonBody<T> {
    pub value: T,
    pub hash: String,
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let json_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            })
            .unwrap_or(false);
        if !json_type {
            return Err(ApiError::Status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the request body must be JSON: send Content-Type: application/json".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rej| {
            let status = rej.status();
            if status == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::Status(
                    status,
                    format!(
                        "the request body is larger than the limit of {} bytes",
                        crate::BODY_LIMIT
                    ),
                )
            } else {
                ApiError::Status(
                    status,
                    format!("could not read the request body: {}", rej.body_text()),
                )
            }
        })?;
        let value = parse_json(&bytes)?;
        Ok(JsonBody {
            value,
            hash: hex::encode(Sha256::digest(&bytes)),
        })
    }
}

/// Parses JSON, naming the path of the offending field on a type error.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Ok(v) => Ok(v),
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            let msg = if inner.is_syntax() || inner.is_eof() {
                format!("malformed JSON: {inner}")
            } else if path == "." || path.is_empty() {
                format!("invalid request body: {inner}")
            } else {
                format!("{path}: {inner}")
            };
            Err(ApiError::bad_request(msg))
        }
    }
}

/// Query parameters, decoded into `T` (whose fields are usually
/// `Option<String>`, parsed one by one with [`int_param`] and friends so a
/// bad value is named).
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str(q)
            .map(QueryParams)
            .map_err(|e| ApiError::bad_request(format!("malformed query string: {e}")))
    }
}

/// A required whole-number parameter, named in the error.
pub fn int_param(value: &Option<String>, name: &str) -> Result<i64, ApiError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Err(domain::Error::missing(name).into()),
        Some(v) => v.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
            domain::Error::invalid(name, format!("{v:?} is not a positive whole number")).into()
        }),
    }
}

/// An optional whole-number parameter, named in the error.
pub fn opt_int_param(value: &Option<String>, name: &str) -> Result<Option<i64>, ApiError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(_) => int_param(value, name).map(Some),
    }
}

/// Checks a bulk call's ids, naming `field`: 1 to 100, all positive.
pub fn bulk_ids(ids: &[i64], field: &str) -> Result<(), ApiError> {
    if ids.is_empty() || ids.len() > 100 {
        return Err(
            domain::Error::invalid(field, format!("give 1 to 100 ids, not {}", ids.len())).into(),
        );
    }
    if let Some(bad) = ids.iter().find(|i| **i <= 0) {
        return Err(domain::Error::invalid(field, format!("{bad} is not a positive id")).into());
    }
    Ok(())
}

/// A required text parameter.
pub fn text_param<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, ApiError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Err(domain::Error::missing(name).into()),
        Some(v) => Ok(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        inner: Inner,
    }
    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        n: i64,
    }

    fn msg(r: Result<Body, ApiError>) -> String {
        match r {
            Err(ApiError::Status(StatusCode::BAD_REQUEST, m)) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn json_errors_name_the_field() {
        assert!(msg(parse_json(br#"{"name": "a", "inner": {"n": "x"}}"#)).starts_with("inner.n:"));
        assert!(msg(parse_json(
            br#"{"name": "a", "inner": {"n": 1}, "extra": 1}"#
        ))
        .contains("unknown field `extra`"));
        assert!(msg(parse_json(br#"{"name": "a""#)).starts_with("malformed JSON"));
        assert!(msg(parse_json(br#"{"inner": {"n": 1}}"#)).contains("missing field `name`"));
        assert!(parse_json::<Body>(br#"{"name": "a", "inner": {"n": 1}}"#).is_ok());
    }

    #[test]
    fn int_params() {
        assert_eq!(int_param(&Some("42".into()), "customerId").unwrap(), 42);
        for bad in [
            None,
            Some("".into()),
            Some("abc".into()),
            Some("-1".into()),
            Some("1; DROP TABLE customers".into()),
        ] {
            match int_param(&bad, "customerId") {
                Err(ApiError::Domain(domain::Error::Invalid { field, .. })) => {
                    assert_eq!(field, "customerId")
                }
                other => panic!("{other:?}"),
            }
        }
    }
}
