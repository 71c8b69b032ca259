//! What keeps the server standing under load: a bound on requests in
//! flight (beyond it, 503 at once with `Retry-After`, instead of a queue
//! that grows until every answer is late), and rate limits per API
//! client (429 with `Retry-After` and the IETF `RateLimit-Policy` /
//! `RateLimit` headers; the rules are `domain::ratelimit`).
//!
//! The limits' state lives in this server's memory: with several servers
//! behind a balancer each enforces them on its own share of the traffic.

use crate::error::ApiError;
use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use domain::ratelimit::{self, Cell, Policy, Standing};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub const RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
pub const RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// One client's two policies: a spike window and a quota window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// At most this many requests a second (and as a burst).
    pub per_second: u32,
    /// At most `quota` requests per `quota_window_secs`.
    pub quota: u32,
    pub quota_window_secs: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { per_second: 100, quota: 100_000, quota_window_secs: 3600 }
    }
}

impl Limits {
    fn policies(&self) -> Vec<Policy> {
        vec![
            Policy { name: ratelimit::SPIKE, quota: self.per_second, window_secs: 1 },
            Policy {
                name: ratelimit::QUOTA,
                quota: self.quota,
                window_secs: self.quota_window_secs,
            },
        ]
    }

    /// Refuses limits that cannot be enforced (a zero quota or window).
    pub fn check(&self) -> Result<(), String> {
        self.policies().iter().try_for_each(Policy::check)
    }
}

/// The load the server takes: requests in flight, and each client's rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardConfig {
    /// Requests handled at once; more are answered 503 at once.
    pub max_in_flight: usize,
    /// Every client's limits unless overridden.
    pub limits: Limits,
    /// Limits of particular clients, by the name audit rows give them:
    /// `client:sb_…` (OAuth client), `user:NAME` (Basic API user),
    /// `token:N` (ISP API token).
    pub clients: HashMap<String, Limits>,
}

/// The default in-flight bound: 32 requests per core. Past it, answers
/// only wait longer (Little's law: in flight = rate × latency), so the
/// excess is better told at once to come back.
pub fn default_max_in_flight() -> usize {
    32 * std::thread::available_parallelism().map_or(2, usize::from)
}

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig {
            max_in_flight: default_max_in_flight(),
            limits: Limits::default(),
            clients: HashMap::new(),
        }
    }
}

/// A client's compiled limits and its state.
struct Client {
    policies: Arc<[Policy]>,
    header: HeaderValue,
    cell: Cell,
}

/// The server's guard: the in-flight bound and the rate limiter.
pub struct Guard {
    metrics: Arc<crate::metrics::Metrics>,
    in_flight: Arc<tokio::sync::Semaphore>,
    config: GuardConfig,
    clients: Mutex<HashMap<String, Client>>,
    /// The platform's clock (tests pin it, so limits are tested without
    /// waiting).
    clock: Arc<dyn domain::Clock>,
}

/// A request the rate limiter let through, for the answer's headers.
#[derive(Debug, Clone)]
pub struct Admitted {
    policy: HeaderValue,
    standing: HeaderValue,
}

/// A request refused by a rate limit.
#[derive(Debug, Clone)]
pub struct Limited {
    /// `spike` or `quota`.
    pub policy: &'static str,
    pub retry_after_secs: u64,
    pub message: String,
    headers: Admitted,
}

impl Limited {
    /// The headers of the 429: `Retry-After` and the rate-limit fields.
    pub fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        vec![
            (header::RETRY_AFTER, HeaderValue::from(self.retry_after_secs)),
            (RATELIMIT_POLICY, self.headers.policy.clone()),
            (RATELIMIT, self.headers.standing.clone()),
        ]
    }
}

fn header_value(text: String) -> HeaderValue {
    HeaderValue::try_from(text).expect("policy names and numbers are valid header text")
}

/// Forget clients whose quotas are whole again once this many are known.
const FORGET_AFTER: usize = 10_000;

impl Guard {
    pub fn new(
        config: GuardConfig,
        metrics: Arc<crate::metrics::Metrics>,
        clock: Arc<dyn domain::Clock>,
    ) -> Guard {
        Guard {
            metrics,
            in_flight: Arc::new(tokio::sync::Semaphore::new(config.max_in_flight)),
            config,
            clients: Mutex::new(HashMap::new()),
            clock,
        }
    }

    /// Requests being handled now.
    pub fn in_flight(&self) -> usize {
        self.config.max_in_flight - self.in_flight.available_permits()
    }

    /// A client's limits, compiled once.
    fn compile(&self, client: &str) -> Client {
        let limits = self.config.clients.get(client).unwrap_or(&self.config.limits);
        let policies: Arc<[Policy]> = limits.policies().into();
        let header =
            header_value(policies.iter().map(Policy::header).collect::<Vec<_>>().join(", "));
        Client { policies, header, cell: Cell::default() }
    }

    /// Counts a request of `client` against its limits at `now_us`
    /// (microseconds since 1970, see [`Guard::now_us`]).
    pub fn admit_at(&self, client: &str, now_us: u64) -> Result<Admitted, Box<Limited>> {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if clients.len() >= FORGET_AFTER && !clients.contains_key(client) {
            clients.retain(|_, c| !c.cell.idle(now_us));
        }
        if !clients.contains_key(client) {
            let compiled = self.compile(client);
            clients.insert(client.to_owned(), compiled);
        }
        let c = clients.get_mut(client).expect("just made");
        let standing = |policies: &[Policy], s: &[Standing]| {
            header_value(
                policies
                    .iter()
                    .zip(s)
                    .map(|(p, s)| format!("\"{}\";r={};t={}", p.name, s.remaining, s.reset_secs))
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        };
        match ratelimit::admit(&c.policies, &mut c.cell, now_us) {
            Ok(s) => Ok(Admitted { policy: c.header.clone(), standing: standing(&c.policies, &s) }),
            Err(refused) => {
                let p = &c.policies[refused.policy];
                let message = match p.name {
                    ratelimit::SPIKE => format!(
                        "spike arrest: more than {} requests a second from this client; retry after {} s",
                        p.quota, refused.retry_after_secs
                    ),
                    _ => format!(
                        "quota exceeded: more than {} requests in {} s from this client; retry after {} s",
                        p.quota, p.window_secs, refused.retry_after_secs
                    ),
                };
                // The refusing policy alone, spent until the retry.
                let spent = Standing { remaining: 0, reset_secs: refused.retry_after_secs };
                Err(Box::new(Limited {
                    policy: p.name,
                    retry_after_secs: refused.retry_after_secs,
                    message,
                    headers: Admitted {
                        policy: c.header.clone(),
                        standing: standing(std::slice::from_ref(p), &[spent]),
                    },
                }))
            }
        }
    }

    /// Now, in microseconds since 1970, by the platform's clock.
    pub fn now_us(&self) -> u64 {
        self.clock.now().timestamp_micros().max(0) as u64
    }

    /// Counts a request of `client` now.
    pub fn admit(&self, client: &str) -> Result<Admitted, Box<Limited>> {
        self.admit_at(client, self.now_us())
    }
}

/// Where the rate limiter's verdict waits for the answer: put in the
/// request by [`limit_headers`], filled by the extractor that knows the
/// client.
#[derive(Clone, Default)]
pub struct Verdict(Arc<std::sync::OnceLock<Admitted>>);

impl Verdict {
    pub fn set(&self, admitted: Admitted) {
        let _ = self.0.set(admitted);
    }
}

/// Answers every rate-limited request with its `RateLimit-Policy` and
/// `RateLimit` headers.
pub async fn limit_headers(mut req: Request, next: Next) -> Response {
    let verdict = Verdict::default();
    req.extensions_mut().insert(verdict.clone());
    let mut resp = next.run(req).await;
    if let Some(a) = verdict.0.get() {
        resp.headers_mut().insert(RATELIMIT_POLICY, a.policy.clone());
        resp.headers_mut().insert(RATELIMIT, a.standing.clone());
    }
    resp
}

/// Counts `who` against its limits, leaving the verdict for the answer's
/// headers: the extractors of the mobile and ISP faces call this once
/// they know the client.
pub fn rate_limit(
    guard: &Guard,
    parts: &axum::http::request::Parts,
    who: &app::Principal,
) -> Result<(), ApiError> {
    match guard.admit(&who.actor) {
        Ok(a) => {
            if let Some(v) = parts.extensions.get::<Verdict>() {
                v.set(a);
            }
            Ok(())
        }
        Err(limited) => {
            guard
                .metrics
                .rate_limited
                .get_or_create(&crate::metrics::PolicyLabels { policy: limited.policy.into() })
                .inc();
            Err(ApiError::Limited(limited))
        }
    }
}

/// Paths never shed or limited: health, readiness and metrics must answer
/// most when the server is busiest.
fn exempt(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// The `Retry-After` of the n-th shed answer: 1, 2 or 3 seconds in turn,
/// so clients shed in one burst come back spread over three seconds
/// rather than in one wave that is shed again.
fn spread_retry_after(n: u64) -> &'static str {
    ["1", "2", "3"][(n % 3) as usize]
}

/// Sheds load: beyond `max_in_flight` requests at once, answers 503 with
/// `Retry-After` at once, in the dialect of the face asked.
pub async fn shed(
    axum::extract::State(guard): axum::extract::State<Arc<Guard>>,
    req: Request,
    next: Next,
) -> Response {
    if exempt(req.uri().path()) {
        return next.run(req).await;
    }
    let Ok(_permit) = guard.in_flight.clone().try_acquire_owned() else {
        let shed_before = guard.metrics.shed.inc();
        let mut resp = crate::middleware::in_dialect(
            &req,
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is at capacity; retry shortly".into(),
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static(spread_retry_after(shed_before)));
        return resp;
    };
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shed_clients_are_sent_back_over_three_seconds() {
        let waits: Vec<_> = (0..6).map(spread_retry_after).collect();
        assert_eq!(waits, ["1", "2", "3", "1", "2", "3"]);
    }

    #[test]
    fn clients_are_limited_apart_and_overrides_apply() {
        let mut clients = HashMap::new();
        clients.insert("client:big".to_owned(), Limits { per_second: 10, ..Limits::default() });
        let guard = Guard::new(
            GuardConfig {
                max_in_flight: 4,
                limits: Limits { per_second: 2, quota: 1000, quota_window_secs: 60 },
                clients,
            },
            Default::default(),
            Arc::new(domain::SystemClock),
        );
        assert!(guard.admit_at("client:a", 0).is_ok());
        let a = guard.admit_at("client:a", 0).unwrap();
        assert_eq!(a.policy, "\"spike\";q=2;w=1, \"quota\";q=1000;w=60");
        assert_eq!(a.standing, "\"spike\";r=0;t=1, \"quota\";r=998;t=1");
        let limited = guard.admit_at("client:a", 0).unwrap_err();
        assert_eq!((limited.policy, limited.retry_after_secs), ("spike", 1));
        assert!(limited.message.starts_with("spike arrest"), "{}", limited.message);
        let h = limited.headers();
        assert_eq!(h[2].1, "\"spike\";r=0;t=1");
        // Another client is untouched; an overridden one has its own limit.
        assert!(guard.admit_at("client:b", 0).is_ok());
        for _ in 0..10 {
            assert!(guard.admit_at("client:big", 0).is_ok());
        }
        assert!(guard.admit_at("client:big", 0).is_err());
        assert_eq!(guard.in_flight(), 0);
    }
}
