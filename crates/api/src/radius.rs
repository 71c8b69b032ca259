//! RADIUS over HTTP for FreeRADIUS's `rlm_rest` (`/radius/...`).
//!
//! FreeRADIUS posts every attribute as JSON (`{"User-Name": {"type":
//! "string", "value": ["alice"]}}`, though plain strings and numbers are
//! read too) with an API token of the ISP in `X-Auth-Token` (the shared
//! secret). Answers are flat objects whose keys pick the list
//! (`reply:Mikrotik-Rate-Limit`, `control:Cleartext-Password`); a refusal
//! is a 401 with `reply:Reply-Message` saying why, which FreeRADIUS turns
//! into an Access-Reject. Nothing malformed ever accepts a user, and an
//! accounting record is answered 2xx only once it is stored.

use crate::error::ApiError;
use crate::{AppState, Principal};
use app::radius::{Proof, Verdict};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::isp::{self, AcctKind};
use serde_json::{json, Map, Value};
use store::isp::AcctRecord;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(authorize))
        .routes(routes!(authenticate))
        .routes(routes!(accounting))
        .routes(routes!(post_auth))
}

/// The attributes of one RADIUS request, as rlm_rest sends them.
struct Attrs(Map<String, Value>);

impl Attrs {
    fn parse(body: &[u8]) -> Result<Attrs, String> {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => Ok(Attrs(m)),
            Ok(_) => Err("the body is not a JSON object of attributes".into()),
            Err(e) => Err(format!("the body is not JSON: {e}")),
        }
    }

    /// The first value of an attribute, as text, whether sent wrapped
    /// (`{"value": [...]}`), as a list, or bare; numbers as their digits;
    /// trimmed, and none when empty.
    fn text(&self, name: &str) -> Option<String> {
        self.exact(name).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
    }

    /// The first value of an attribute exactly as sent (a password: its
    /// spaces are part of it).
    fn exact(&self, name: &str) -> Option<String> {
        let mut v = self.0.get(name)?;
        if let Value::Object(o) = v {
            v = o.get("value")?;
        }
        if let Value::Array(a) = v {
            v = a.first()?;
        }
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// A counter: absent is 0; text that is not a whole number is refused.
    fn counter(&self, name: &str) -> Result<i64, String> {
        match self.text(name) {
            None => Ok(0),
            Some(t) => t
                .parse::<u64>()
                .ok()
                .and_then(|n| i64::try_from(n).ok())
                .ok_or_else(|| format!("{name}: {t:?} is not a whole number")),
        }
    }

    fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
}

fn reject(status: StatusCode, why: &str) -> Response {
    (status, Json(json!({"reply:Reply-Message": why}))).into_response()
}

/// A RADIUS call, as every handler starts from it: the use cases, the ISP
/// the calling FreeRADIUS serves (from its API token), the request's
/// attributes (or the 400 refusing them) and its headers. Refused in
/// rlm_rest's shape: the body unread (413, 408, 400), the token refused.
pub struct Radius {
    app: std::sync::Arc<app::App>,
    metrics: std::sync::Arc<crate::metrics::Metrics>,
    who: Principal,
    attrs: Result<Attrs, Response>,
    headers: HeaderMap,
}

impl FromRequest<AppState> for Radius {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        // The headers are moved out, not copied: reading the body needs
        // only the body and its limit.
        let (mut parts, body) = req.into_parts();
        let headers = std::mem::take(&mut parts.headers);
        let req = Request::from_parts(parts, body);
        let body = Bytes::from_request(req, state).await.map_err(|rej| {
            let (status, message) = crate::extract::body_refusal(&rej);
            reject(status, &message)
        })?;
        let who = state.auth.token_caller(&state.app, &headers).await.map_err(|e| match e {
            ApiError::Internal(detail) => internal(detail),
            _ => reject(
                StatusCode::UNAUTHORIZED,
                "The RADIUS server's token for Switchboard is missing or invalid",
            ),
        })?;
        state.app.radius_caller(&who).map_err(failed)?;
        Ok(Radius {
            app: state.app.clone(),
            metrics: state.metrics.clone(),
            who,
            attrs: Attrs::parse(&body).map_err(|why| reject(StatusCode::BAD_REQUEST, &why)),
            headers,
        })
    }
}

/// The `User-Name` a request must carry.
#[allow(clippy::result_large_err)] // the error is the answer, returned at once
fn username(a: &Attrs) -> Result<String, Response> {
    a.text("User-Name").ok_or_else(|| reject(StatusCode::BAD_REQUEST, "User-Name is missing"))
}

fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "radius request failed");
    reject(StatusCode::INTERNAL_SERVER_ERROR, "Switchboard could not answer; try again")
}

/// A use case's error in rlm_rest's shape.
fn failed(e: app::Error) -> Response {
    match e {
        app::Error::Forbidden(_) => {
            reject(StatusCode::FORBIDDEN, "The RADIUS server's token lacks the isp scope")
        }
        other => internal(other),
    }
}

/// The answer to a verdict of `stage`: the accepted value rendered, or a
/// 401 reject; counted either way.
fn answer<T>(
    metrics: &crate::metrics::Metrics,
    stage: &str,
    verdict: app::Result<Verdict<T>>,
    accept: impl FnOnce(T) -> Response,
) -> Response {
    match verdict {
        Ok(Verdict::Accept(v)) => {
            metrics.radius(stage, true, "");
            accept(v)
        }
        Ok(Verdict::Reject(why)) => {
            metrics.radius(stage, false, why.reason.as_str());
            reject(StatusCode::UNAUTHORIZED, &why.message)
        }
        Err(e) => failed(e),
    }
}

/// FreeRADIUS's authorize section: refuses unknown, disabled, suspended and
/// expired subscribers and those at their session limit; otherwise answers
/// how to check the password (PAP here, `Auth-Type := rest`; CHAP and
/// MS-CHAP by FreeRADIUS, with the cleartext kept sealed for that) and the
/// reply attributes of the subscriber's profile.
#[utoipa::path(post, path = "/radius/authorize", tag = "RADIUS",
    responses((status = 200, description = "control and reply attributes"), (status = 401, description = "reject, with reply:Reply-Message"), (status = 400, description = "malformed: reject")))]
pub async fn authorize(r: Radius) -> Result<Response, Response> {
    let (a, name, station) = r.attrs.and_then(login)?;
    let proof = if a.has("CHAP-Password") || a.has("MS-CHAP-Challenge") {
        Proof::Chap
    } else if a.has("User-Password") {
        Proof::Pap
    } else {
        Proof::None
    };
    let verdict = r.app.radius_authorize(&r.who, &name, station.as_deref(), proof).await;
    Ok(answer(&r.metrics, "authorize", verdict, |ok| {
        let mut out = Map::new();
        match ok.cleartext {
            Some(clear) => out.insert("control:Cleartext-Password".into(), json!(clear)),
            None => out.insert("control:Auth-Type".into(), json!("rest")),
        };
        out.insert("reply:Mikrotik-Rate-Limit".into(), json!(ok.rate_limit));
        out.insert("reply:Acct-Interim-Interval".into(), json!(ok.acct_interim_secs));
        if let Some(pool) = ok.framed_pool {
            out.insert("reply:Framed-Pool".into(), json!(pool));
        }
        if let Some(ip) = ok.framed_ip {
            out.insert("reply:Framed-IP-Address".into(), json!(ip));
        }
        if let Some(t) = ok.session_timeout {
            out.insert("reply:Session-Timeout".into(), json!(t));
        }
        (StatusCode::OK, Json(Value::Object(out))).into_response()
    }))
}

/// FreeRADIUS's authenticate section for PAP: the password checked
/// against the stored Argon2 hash (the subscriber re-checked too).
#[utoipa::path(post, path = "/radius/authenticate", tag = "RADIUS",
    responses((status = 204, description = "the password is right"), (status = 401, description = "reject, with reply:Reply-Message")))]
pub async fn authenticate(r: Radius) -> Result<Response, Response> {
    let (a, name, station) = r.attrs.and_then(login)?;
    let verdict = r
        .app
        .radius_authenticate(
            &r.who,
            &name,
            station.as_deref(),
            a.exact("User-Password").filter(|p| !p.is_empty()),
        )
        .await;
    Ok(answer(&r.metrics, "authenticate", verdict, |()| StatusCode::NO_CONTENT.into_response()))
}

/// FreeRADIUS's post-auth section: notes the outcome on the subscriber
/// (`X-Switchboard-Result: reject` from the REJECT subsection).
#[utoipa::path(post, path = "/radius/post-auth", tag = "RADIUS",
    responses((status = 204, description = "noted")))]
pub async fn post_auth(r: Radius) -> Result<Response, Response> {
    // Nothing to note without a subscriber's name.
    let Some(name) = r.attrs.ok().and_then(|a| a.text("User-Name")) else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let rejected = r
        .headers
        .get("x-switchboard-result")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("reject"));
    r.app.radius_post_auth(&r.who, &name, rejected).await.map_err(failed)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// FreeRADIUS's accounting section: Start, Interim-Update and Stop stored
/// as one session per Acct-Unique-Session-Id (or NAS and Acct-Session-Id),
/// idempotently (a session id reused after a Stop opens a new session);
/// Accounting-On/Off closes the NAS's open sessions. 204 only once stored;
/// a record for an unknown user is kept under its name.
#[utoipa::path(post, path = "/radius/accounting", tag = "RADIUS",
    responses((status = 204, description = "stored"), (status = 400, description = "malformed: not stored (the shipped FreeRADIUS sets it aside in radacct/switchboard-refused)")))]
pub async fn accounting(r: Radius) -> Result<Response, Response> {
    let record = record(&r.attrs?).map_err(|why| reject(StatusCode::BAD_REQUEST, &why))?;
    r.app.radius_accounting(&r.who, &record).await.map_err(failed)?;
    r.metrics.accounting(record.kind.as_str());
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A login's attributes with the subscriber's name (refused without one)
/// and the calling station (the MAC), if any.
#[allow(clippy::result_large_err)] // the error is the answer, returned at once
fn login(a: Attrs) -> Result<(Attrs, String, Option<String>), Response> {
    let name = username(&a)?;
    let station = a.text("Calling-Station-Id");
    Ok((a, name, station))
}

/// An accounting record from its attributes.
fn record(a: &Attrs) -> Result<AcctRecord, String> {
    let kind = a
        .text("Acct-Status-Type")
        .ok_or_else(|| "Acct-Status-Type is missing".to_owned())
        .and_then(|t| AcctKind::parse(&t).map_err(|e| e.to_string()))?;
    let nas_ip = a.text("NAS-IP-Address");
    let nas_identifier = a.text("NAS-Identifier");
    let on_off = matches!(kind, AcctKind::AccountingOn | AcctKind::AccountingOff);
    if on_off && nas_ip.is_none() && nas_identifier.is_none() {
        return Err("NAS-IP-Address or NAS-Identifier is needed to close a NAS's sessions".into());
    }
    let username = match a.text("User-Name") {
        Some(u) => u,
        None if on_off => String::new(),
        None => return Err("User-Name is missing".into()),
    };
    let acct_session_id = match a.text("Acct-Session-Id") {
        Some(s) => s,
        None if on_off => String::new(),
        None => return Err("Acct-Session-Id is missing".into()),
    };
    let unique_id = a.text("Acct-Unique-Session-Id").unwrap_or_else(|| {
        format!(
            "{}/{}/{}",
            nas_ip.as_deref().or(nas_identifier.as_deref()).unwrap_or("-"),
            acct_session_id,
            username
        )
    });
    Ok(AcctRecord {
        kind,
        username,
        unique_id,
        acct_session_id,
        nas_ip,
        nas_identifier,
        nas_port: a.text("NAS-Port").or_else(|| a.text("NAS-Port-Id")),
        framed_ip: a.text("Framed-IP-Address"),
        calling_station_id: a.text("Calling-Station-Id"),
        session_time: a.counter("Acct-Session-Time")?,
        input_bytes: isp::bytes(
            a.counter("Acct-Input-Octets")?,
            a.counter("Acct-Input-Gigawords")?,
        ),
        output_bytes: isp::bytes(
            a.counter("Acct-Output-Octets")?,
            a.counter("Acct-Output-Gigawords")?,
        ),
        terminate_cause: a.text("Acct-Terminate-Cause"),
        delay_secs: a.counter("Acct-Delay-Time")?,
        event_timestamp: a.text("Event-Timestamp").and_then(|t| event_timestamp(&t)),
    })
}

/// `Event-Timestamp` as rlm_rest writes a date (`Nov 29 2026 09:00:00
/// UTC`) or as seconds since 1970; anything else is not used (the record's
/// arrival and Acct-Delay-Time date it instead).
fn event_timestamp(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    if let Ok(secs) = text.parse::<i64>() {
        return chrono::DateTime::from_timestamp(secs, 0);
    }
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let naive = words.strip_suffix(" UTC")?;
    chrono::NaiveDateTime::parse_from_str(naive, "%b %d %Y %H:%M:%S").ok().map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_read_however_they_come() {
        let a = Attrs::parse(
            br#"{"User-Name": {"type": "string", "value": ["alice"]}, "Acct-Session-Time": {"type": "integer", "value": [42]},
                 "Acct-Input-Octets": "7", "NAS-Port": 3, "Empty": {"value": []}, "Odd": {"value": [null]}}"#,
        )
        .unwrap();
        assert_eq!(a.text("User-Name").as_deref(), Some("alice"));
        assert_eq!(a.counter("Acct-Session-Time"), Ok(42));
        assert_eq!(a.counter("Acct-Input-Octets"), Ok(7));
        assert_eq!(a.text("NAS-Port").as_deref(), Some("3"));
        assert_eq!(a.text("Empty"), None);
        assert_eq!(a.text("Odd"), None);
        assert_eq!(a.counter("Missing"), Ok(0));
        let t = |s: &str| event_timestamp(s).map(|t| t.to_rfc3339());
        assert_eq!(t("Nov 29 2026 09:00:05 UTC").as_deref(), Some("2026-11-29T09:00:05+00:00"));
        assert_eq!(t("Jan  3 2027 23:59:59 UTC").as_deref(), Some("2027-01-03T23:59:59+00:00"));
        assert_eq!(t("1800000000").as_deref(), Some("2027-01-15T08:00:00+00:00"));
        assert_eq!(t("Nov 29 2026 09:00:05 CET"), None);
        assert_eq!(t("soon"), None);
        assert!(Attrs::parse(b"[1]").is_err());
        assert!(Attrs::parse(b"{").is_err());
        let bad = Attrs::parse(br#"{"Acct-Input-Octets": "-5"}"#).unwrap();
        assert!(bad.counter("Acct-Input-Octets").is_err());
    }

    #[test]
    fn accounting_records() {
        let a = Attrs::parse(
            br#"{"Acct-Status-Type": {"value": ["Stop"]}, "User-Name": "bob", "Acct-Session-Id": "81000001", "NAS-IP-Address": "10.0.0.1",
                 "Acct-Input-Octets": 10, "Acct-Input-Gigawords": 1, "Acct-Output-Octets": 20, "Acct-Terminate-Cause": "User-Request"}"#,
        )
        .unwrap();
        let r = record(&a).unwrap();
        assert_eq!(r.kind, AcctKind::Stop);
        assert_eq!(r.unique_id, "10.0.0.1/81000001/bob");
        assert_eq!(r.input_bytes, (1 << 32) + 10);
        assert_eq!(r.output_bytes, 20);
        let no_user =
            Attrs::parse(br#"{"Acct-Status-Type": "Start", "Acct-Session-Id": "1"}"#).unwrap();
        assert!(record(&no_user).unwrap_err().contains("User-Name"));
        let on =
            Attrs::parse(br#"{"Acct-Status-Type": "Accounting-On", "NAS-Identifier": "bng1"}"#)
                .unwrap();
        assert_eq!(record(&on).unwrap().kind, AcctKind::AccountingOn);
        let bad = Attrs::parse(br#"{"Acct-Status-Type": "Sideways", "User-Name": "bob"}"#).unwrap();
        assert!(record(&bad).is_err());
    }
}
