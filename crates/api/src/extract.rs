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
use std::marker::PhantomData;

/// A JSON body, checked, with the SHA-256 of its bytes (for idempotency).
pub struct JsonBody<T> {
    pub value: T,
    pub hash: String,
}

/// The request's media type, lower case without parameters (`""` when
/// there is no Content-Type).
pub fn media_type(headers: &axum::http::HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let m = media_type(req.headers());
        let json_type =
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"));
        if !json_type {
            return Err(ApiError::Status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "the request body must be JSON: send Content-Type: application/json".into(),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rej| {
            let (status, message) = body_refusal(&rej);
            ApiError::Status(status, message)
        })?;
        let value = parse_json(&bytes)?;
        Ok(JsonBody { value, hash: hex::encode(Sha256::digest(&bytes)) })
    }
}

/// Why a request body could not be read, with the status every face
/// answers it with: 408 when the body-read timeout passed, 413 over the
/// size limit, else the rejection's own.
pub fn body_refusal(rej: &axum::extract::rejection::BytesRejection) -> (StatusCode, String) {
    if timed_out(rej) {
        (StatusCode::REQUEST_TIMEOUT, "the request body did not arrive in time".into())
    } else if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the request body is larger than the limit of {} bytes", crate::BODY_LIMIT),
        )
    } else {
        (rej.status(), format!("could not read the request body: {}", rej.body_text()))
    }
}

/// Whether reading a body failed because the body-read timeout passed.
pub fn timed_out(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(err);
    while let Some(e) = cause {
        if e.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = e.source();
    }
    false
}

/// Parses one JSON value from `bytes`, strictly: nothing but whitespace may
/// follow it. A refusal names the field at fault (its path, as
/// `mobiles[0].cli`) and says in plain words what is wrong with it.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(body_error("the request body is empty: send a JSON object".into()));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = T::deserialize(&mut *de).map_err(|e| explain::<T>(bytes, &e))?;
    de.end().map_err(|e| {
        body_error(format!(
            "the request body must be one JSON value, but more follows it at line {} column {}",
            e.line(),
            e.column()
        ))
    })?;
    Ok(value)
}

/// A refusal of the body as a whole (no single field to blame).
fn body_error(message: String) -> ApiError {
    ApiError::Status(StatusCode::BAD_REQUEST, message)
}

/// Why `bytes` is not a `T`, in words an integrator reads. Only on a
/// refusal: the body is read again as a JSON tree and the tree as a `T`
/// through a deserializer whose errors are data (which field, missing or
/// unknown, what was expected), with the path to the field beside them.
fn explain<T: DeserializeOwned>(bytes: &[u8], e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax => {
            return body_error(format!("the request body is not valid JSON: {e}"));
        }
        Category::Eof | Category::Io => {
            return body_error(format!(
                "the request body is not valid JSON: it ends too soon, at line {} column {}",
                e.line(),
                e.column()
            ))
        }
        Category::Data => {}
    }
    let tree = serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| serde_value::to_value(v).ok());
    let Some(tree) = tree else {
        return body_error(format!("the request body is not valid: {e}"));
    };
    let de = serde_value::ValueDeserializer::<serde_value::DeserializerError>::new(tree);
    match serde_path_to_error::deserialize::<_, T>(de) {
        Err(err) => field_error(&err.path().to_string(), err.into_inner()),
        // The tree took what the text did not (it should not happen).
        Ok(_) => body_error(format!("the request body is not valid: {e}")),
    }
}

/// A deserializer's refusal at `path`, in words, naming the field.
fn field_error(path: &str, e: serde_value::DeserializerError) -> ApiError {
    use serde_value::DeserializerError as E;
    let at_root = path.is_empty() || path == ".";
    let join = |name: &str| {
        if at_root {
            name.to_owned()
        } else if path.ends_with(name) {
            path.to_owned()
        } else {
            format!("{path}.{name}")
        }
    };
    let here = || {
        if at_root {
            "body".to_owned()
        } else {
            path.to_owned()
        }
    };
    match e {
        E::MissingField(name) => domain::Error::invalid(join(name), "is required").into(),
        E::UnknownField(name, fields) => {
            let expected = if fields.is_empty() {
                "; this object takes no fields".to_owned()
            } else {
                format!("; the fields are {}", words_or(fields))
            };
            domain::Error::invalid(join(&name), format!("is not a field of this request{expected}"))
                .into()
        }
        E::DuplicateField(name) => {
            domain::Error::invalid(join(name), "is given twice; give it once").into()
        }
        E::UnknownVariant(v, variants) => {
            domain::Error::invalid(here(), format!("{v:?} is not one of {}", words_or(variants)))
                .into()
        }
        E::InvalidType(_, expected)
        | E::InvalidValue(_, expected)
        | E::InvalidLength(_, expected) => {
            let kind = kind_words(&expected);
            if at_root {
                return body_error(format!(
                    "the request body must be {}",
                    kind.unwrap_or("a JSON object")
                ));
            }
            let message = match kind {
                Some(kind) => format!("must be {kind}"),
                None => format!("must be {expected}"),
            };
            domain::Error::invalid(path, message).into()
        }
        // A field's own parser refused it (a date, a domain type).
        E::Custom(why) if at_root => body_error(format!("the request body is not valid: {why}")),
        E::Custom(why) => domain::Error::invalid(path, format!("is not valid: {why}")).into(),
    }
}

/// `a, b or c`.
fn words_or(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// What serde calls the kind of value a type expects (its `expecting`), in
/// words.
fn kind_words(expected: &str) -> Option<&'static str> {
    let e = expected.trim();
    Some(match e {
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number",
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => "a whole number, 0 or more",
        "f32" | "f64" => "a number",
        "a boolean" => "true or false",
        "a string" | "a borrowed string" | "a character" => "text (a JSON string)",
        "a sequence" => "a list (a JSON array)",
        "a map" => "a JSON object",
        _ if e.starts_with("struct ") => "a JSON object",
        _ if e.starts_with("a sequence") || e.starts_with("tuple") => "a list (a JSON array)",
        _ if e.contains("formatted date") || e.contains("date") => "a date as YYYY-MM-DD",
        _ if e.contains("RFC 3339") || e.contains("datetime") => {
            "a date and time as RFC 3339 (2026-01-31T09:00:00Z)"
        }
        _ => return None,
    })
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

/// A query parameter a handler requires, documented by the
/// `IntoParams` struct that names it; read by [`Id`] and [`Text`].
pub trait Required {
    /// The parameter's name in the query string.
    const NAME: &'static str;
}

/// A required whole-number query parameter (an id) named by `P`: missing,
/// empty, given twice or not a positive whole number is a 400 naming it.
pub struct Id<P>(pub i64, pub PhantomData<P>);

/// A required text query parameter named by `P`, trimmed: missing, empty
/// or given twice is a 400 naming it.
pub struct Text<P>(pub String, pub PhantomData<P>);

/// The value of the query parameter `name`, which must be there once.
fn required(parts: &Parts, name: &str) -> Result<String, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(parts.uri.query().unwrap_or(""))
        .map_err(|e| ApiError::bad_request(format!("malformed query string: {e}")))?;
    let mut given = pairs.into_iter().filter(|(k, _)| k == name);
    match (given.next(), given.next()) {
        (Some(_), Some(_)) => Err(domain::Error::invalid(name, "is given more than once").into()),
        (Some((_, v)), None) if !v.trim().is_empty() => Ok(v.trim().to_owned()),
        _ => Err(domain::Error::missing(name).into()),
    }
}

impl<P: Required, S: Send + Sync> FromRequestParts<S> for Id<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let v = required(parts, P::NAME)?;
        Ok(Id(domain::paging::parse_id(P::NAME, &v)?, PhantomData))
    }
}

impl<P: Required, S: Send + Sync> FromRequestParts<S> for Text<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Ok(Text(required(parts, P::NAME)?, PhantomData))
    }
}

/// A required whole-number parameter, named in the error.
pub fn int_param(value: &Option<String>, name: &str) -> Result<i64, ApiError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Err(domain::Error::missing(name).into()),
        Some(v) => Ok(domain::paging::parse_id(name, v)?),
    }
}

/// An optional whole-number parameter, named in the error.
pub fn opt_int_param(value: &Option<String>, name: &str) -> Result<Option<i64>, ApiError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(_) => int_param(value, name).map(Some),
    }
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

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Order {
        kind: Kind,
        count: u32,
        on: Option<chrono::NaiveDate>,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    enum Kind {
        New,
        Port,
        Migration,
    }

    fn refusal<T: std::fmt::Debug>(r: Result<T, ApiError>) -> (Option<String>, String) {
        match r {
            Err(ApiError::Status(StatusCode::BAD_REQUEST, m)) => (None, m),
            Err(ApiError::Domain(domain::Error::Invalid { field, message })) => {
                (Some(field), message)
            }
            other => panic!("{other:?}"),
        }
    }

    /// Each body refused naming `field` with a message beginning `words`.
    fn refused_as<T: DeserializeOwned + std::fmt::Debug>(cases: &[(&str, &str, &str)]) {
        for (body, field, words) in cases {
            match refusal(parse_json::<T>(body.as_bytes())) {
                (Some(f), m) => {
                    assert_eq!(&f, field, "{body}: {m}");
                    assert!(m.starts_with(words), "{body}: {m}");
                }
                (None, m) => panic!("no field named for {body}: {m}"),
            }
        }
    }

    #[test]
    fn json_errors_name_the_field_in_plain_words() {
        refused_as::<Body>(&[
            (r#"{"name": "a", "inner": {"n": "x"}}"#, "inner.n", "must be a whole number"),
            (r#"{"name": 7, "inner": {"n": 1}}"#, "name", "must be text (a JSON string)"),
            (
                r#"{"name": "a", "inner": {"n": 1}, "extra": 1}"#,
                "extra",
                "is not a field of this request; the fields are name or inner",
            ),
            (r#"{"inner": {"n": 1}}"#, "name", "is required"),
            (r#"{"name": "a", "inner": {}}"#, "inner.n", "is required"),
            (r#"{"name": "a", "inner": "x"}"#, "inner", "must be a JSON object"),
        ]);
        assert!(parse_json::<Body>(br#"{"name": "a", "inner": {"n": 1}}"#).is_ok());
    }

    #[test]
    fn kinds_counts_dates_and_three_fields_in_plain_words() {
        refused_as::<Order>(&[
            (
                r#"{"kind": "Cease", "count": 1}"#,
                "kind",
                r#""Cease" is not one of New, Port or Migration"#,
            ),
            (r#"{"kind": "New", "count": -1}"#, "count", "must be a whole number, 0 or more"),
            (r#"{"kind": "New", "count": 1, "on": 5}"#, "on", "must be a date as YYYY-MM-DD"),
            (r#"{"kind": "New", "count": 1, "on": "soon"}"#, "on", "is not valid: "),
            (
                r#"{"kind": "New", "count": 1, "colour": "red"}"#,
                "colour",
                "is not a field of this request; the fields are kind, count or on",
            ),
        ]);
        assert!(parse_json::<Order>(br#"{"kind": "Port", "count": 2, "on": "2030-01-16"}"#).is_ok());
    }

    #[test]
    fn the_body_as_a_whole() {
        let whole = |b: &str| match refusal(parse_json::<Body>(b.as_bytes())) {
            (None, m) => m,
            (Some(f), m) => panic!("{b}: blamed {f}: {m}"),
        };
        assert!(whole(r#"{"name": "a""#)
            .starts_with("the request body is not valid JSON: it ends too soon"));
        assert!(whole(r#"{"name": "a",}"#).starts_with("the request body is not valid JSON"));
        assert_eq!(whole("[]"), "the request body must be a JSON object");
        assert_eq!(whole("  "), "the request body is empty: send a JSON object");
        // Trailing data after the value: refused, never half-read.
        for trailing in [
            r#"{"name": "a", "inner": {"n": 1}}xyz"#,
            r#"{"name": "a", "inner": {"n": 1}} {"name": "b", "inner": {"n": 2}}"#,
        ] {
            assert!(whole(trailing).contains("more follows it"), "{trailing}");
        }
        assert!(parse_json::<Body>(b"{\"name\": \"a\", \"inner\": {\"n\": 1}}\n  ").is_ok());
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

    #[test]
    fn a_required_parameter_is_there_once_and_not_empty() {
        let parts = |q: &str| {
            let uri = format!("/api/x?{q}");
            axum::http::Request::get(uri).body(()).unwrap().into_parts().0
        };
        assert_eq!(required(&parts("a=1&cli=%2B447700900123"), "cli").unwrap(), "+447700900123");
        assert_eq!(required(&parts("cli=+07700900123+"), "cli").unwrap(), "07700900123");
        for (q, words) in [
            ("other=1", "is required"),
            ("cli=", "is required"),
            ("cli=%20", "is required"),
            ("cli=1&cli=2", "is given more than once"),
        ] {
            match required(&parts(q), "cli") {
                Err(ApiError::Domain(domain::Error::Invalid { field, message })) => {
                    assert_eq!((field.as_str(), message.as_str()), ("cli", words), "{q}")
                }
                other => panic!("{q}: {other:?}"),
            }
        }
    }
}
