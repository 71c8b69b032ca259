//! Webhooks as the Standard Webhooks specification has them: a `whsec_`
//! secret, the `webhook-id`, `webhook-timestamp` and `webhook-signature`
//! headers (`v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`), and
//! retries on Svix's schedule with jitter, honouring `Retry-After` and
//! disabling an endpoint on 410 Gone or after five days of failures.

use crate::{Error, Result};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The event types a partner may subscribe to.
pub const EVENT_TYPES: &[&str] = &[
    "alert.raised",
    "billLimit.notice",
    "billLimit.consent",
    "usageBar.placed",
    "usageBar.lifted",
    "order.statusChanged",
    "request.statusChanged",
    "agreementOrder.statusChanged",
];

/// Where a delivery stands: waiting for its next attempt, delivered, or
/// given up (out of retries, or its endpoint disabled).
pub const DELIVERY_STATUSES: [&str; 3] = ["pending", "delivered", "failed"];

/// Delays before each retry, after the first attempt (made at once):
/// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
pub const RETRY_SECONDS: [i64; 7] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];
/// An endpoint failing for this long is disabled.
pub const DISABLE_AFTER_SECONDS: i64 = 5 * 24 * 3600;
/// How long a delivery attempt may take.
pub const TIMEOUT_SECONDS: u64 = 15;
/// The most a `Retry-After` may push an attempt back.
pub const MAX_RETRY_AFTER_SECONDS: i64 = 36_000;

/// A new secret from 24 random bytes: `whsec_` and their base64.
pub fn new_secret(random: [u8; 24]) -> String {
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(random))
}

/// The `webhook-signature` header's value for a message.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> Result<String> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .map_err(|_| Error::invalid("secret", "a webhook secret is whsec_ and base64"))?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key).expect("HMAC takes any key");
    mac.update(format!("{msg_id}.{timestamp}.{body}").as_bytes());
    Ok(format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    ))
}

/// Checks a partner's endpoint: an http(s) URL with a host, no user or
/// password in it, and (unless `allow_private`) not a loopback, private,
/// link-local or otherwise internal address.
pub fn check_url(text: &str, allow_private: bool) -> Result<url::Url> {
    let bad = |why: &str| Error::invalid("url", why.to_owned());
    if text.len() > 2000 {
        return Err(bad("a webhook URL is at most 2000 characters"));
    }
    let u =
        url::Url::parse(text.trim()).map_err(|e| bad(&format!("{text:?} is not a URL: {e}")))?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err(bad("a webhook URL must start http:// or https://"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(bad("a webhook URL must not hold a user name or password"));
    }
    let host = match u.host() {
        Some(h) => h,
        None => return Err(bad("a webhook URL must name a host")),
    };
    if !allow_private {
        let refused = match host {
            url::Host::Ipv4(ip) => is_internal(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => is_internal(IpAddr::V6(ip)),
            url::Host::Domain(d) => {
                let d = d.trim_end_matches('.').to_ascii_lowercase();
                d == "localhost" || d.ends_with(".localhost") || d.ends_with(".internal")
            }
        };
        if refused {
            return Err(bad(
                "a webhook URL must not point at a loopback, private or internal address",
            ));
        }
    }
    Ok(u)
}

/// Loopback, private (RFC 1918, unique local), link-local, CGNAT,
/// unspecified, multicast or broadcast: not a partner's public endpoint.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let s = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

/// Checks the event types asked for: at least one, each known.
pub fn check_event_types(types: &[String]) -> Result<Vec<String>> {
    if types.is_empty() {
        return Err(Error::invalid(
            "eventTypes",
            format!("name at least one of {}", EVENT_TYPES.join(", ")),
        ));
    }
    let mut out = Vec::new();
    for (i, t) in types.iter().enumerate() {
        let Some(known) = EVENT_TYPES.iter().find(|k| k.eq_ignore_ascii_case(t.trim())) else {
            return Err(Error::invalid(
                format!("eventTypes[{i}]"),
                format!("{t:?} is not one of {}", EVENT_TYPES.join(", ")),
            ));
        };
        if !out.contains(&known.to_string()) {
            out.push(known.to_string());
        }
    }
    Ok(out)
}

/// What an endpoint answered to one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    /// An HTTP status, with its `Retry-After` in seconds if it gave one.
    Status { code: u16, retry_after: Option<i64> },
    /// No answer: refused, timed out, unreachable.
    Failed,
}

/// What becomes of a delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Next {
    Delivered,
    /// Try again this many seconds from now.
    RetryIn(i64),
    /// Out of retries.
    Failed,
    /// The endpoint is disabled (410 Gone, or failing for five days):
    /// nothing more is sent to it.
    Disable,
}

/// Decides what follows attempt number `attempt` (1 for the first) that
/// got `response`, on an endpoint failing since `failing_for` seconds
/// (`None`: it was not failing). `jitter` in 0..=1000 spreads a retry by
/// up to a tenth of its delay.
pub fn after_attempt(
    attempt: u32,
    response: Response,
    failing_for: Option<i64>,
    jitter: u32,
) -> Next {
    let retry_after = match response {
        Response::Status { code, .. } if (200..300).contains(&code) => return Next::Delivered,
        Response::Status { code: 410, .. } => return Next::Disable,
        Response::Status { retry_after, .. } => retry_after,
        Response::Failed => None,
    };
    if failing_for.is_some_and(|f| f >= DISABLE_AFTER_SECONDS) {
        return Next::Disable;
    }
    let Some(&base) = RETRY_SECONDS.get(attempt.saturating_sub(1) as usize) else {
        return Next::Failed;
    };
    let spread = base * i64::from(jitter.min(1000)) / 10_000;
    let wait = (base + spread).max(retry_after.unwrap_or(0).min(MAX_RETRY_AFTER_SECONDS));
    Next::RetryIn(wait)
}

/// A `Retry-After` header's seconds (the HTTP-date form is not read).
pub fn retry_after(header: &str) -> Option<i64> {
    header.trim().parse::<i64>().ok().filter(|s| *s >= 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_the_specs_example() {
        // The Standard Webhooks specification's own test vector.
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        assert!(new_secret([7; 24]).starts_with("whsec_"));
        assert!(sign("whsec_***", "m", 1, "").is_err());
    }

    #[test]
    fn urls_are_http_and_public_unless_allowed() {
        assert!(check_url("https://hooks.example.com/in", false).is_ok());
        let err = |u: &str| check_url(u, false).unwrap_err().to_string();
        assert!(err("ftp://example.com/").starts_with("url"));
        assert!(err("not a url").starts_with("url"));
        assert!(err("http://127.0.0.1:9000/").contains("loopback"));
        assert!(err("http://10.1.2.3/").contains("private"));
        assert!(err("http://192.168.0.1/").contains("private"));
        assert!(err("http://169.254.169.254/latest").contains("private"));
        assert!(err("http://[::1]/").contains("loopback"));
        assert!(err("http://[fd00::1]/").contains("private"));
        assert!(err("http://localhost:8080/").contains("loopback"));
        assert!(err("http://user:pw@example.com/").contains("password"));
        assert!(check_url("http://127.0.0.1:9000/", true).is_ok());
        assert!(!is_internal("8.8.8.8".parse().unwrap()));
        assert!(is_internal("100.64.0.1".parse().unwrap()));
        assert!(is_internal("::ffff:10.0.0.1".parse().unwrap()));
    }

    #[test]
    fn event_types_are_known() {
        assert_eq!(
            check_event_types(&["ALERT.RAISED".into(), "alert.raised".into()]).unwrap(),
            vec!["alert.raised"]
        );
        assert!(check_event_types(&[]).is_err());
        assert!(check_event_types(&["x".into()])
            .unwrap_err()
            .to_string()
            .starts_with("eventTypes[0]"));
    }

    #[test]
    fn retries_follow_the_schedule() {
        let fail = Response::Failed;
        let ok = Response::Status { code: 204, retry_after: None };
        assert_eq!(after_attempt(1, ok, None, 0), Next::Delivered);
        assert_eq!(after_attempt(1, fail, None, 0), Next::RetryIn(5));
        assert_eq!(after_attempt(2, fail, None, 0), Next::RetryIn(300));
        assert_eq!(after_attempt(2, fail, None, 1000), Next::RetryIn(330));
        assert_eq!(after_attempt(7, fail, None, 0), Next::RetryIn(36_000));
        assert_eq!(after_attempt(8, fail, None, 0), Next::Failed);
        let gone = Response::Status { code: 410, retry_after: None };
        assert_eq!(after_attempt(1, gone, None, 0), Next::Disable);
        let busy = Response::Status { code: 429, retry_after: Some(60) };
        assert_eq!(after_attempt(1, busy, None, 0), Next::RetryIn(60));
        assert_eq!(after_attempt(3, fail, Some(DISABLE_AFTER_SECONDS), 0), Next::Disable);
        assert_eq!(retry_after(" 120 "), Some(120));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
