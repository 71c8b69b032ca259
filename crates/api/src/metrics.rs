//! `/metrics` in the Prometheus text format: requests by route template
//! and status with their latency, requests shed and rate-limited, RADIUS
//! decisions and accounting records, and, read when scraped, the job queue
//! by kind and state, the database pools and (SQLite) writes and commits.
//!
//! Not for the public internet: it answers on the main listener only with
//! the configured token (`Authorization: Bearer …`), or on a listener of
//! its own (`metrics_listen`, e.g. 127.0.0.1:9464) that a firewall keeps
//! private. With neither configured it is not served.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: &'static str,
    pub route: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct LatencyLabels {
    pub method: &'static str,
    pub route: &'static str,
}

/// A route template as a `'static` label, made once per template (there
/// are as many as routes), so counting a request allocates nothing.
fn intern(route: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::{OnceLock, RwLock};
    static ROUTES: OnceLock<RwLock<HashSet<&'static str>>> = OnceLock::new();
    let routes = ROUTES.get_or_init(Default::default);
    if let Some(r) = routes.read().unwrap_or_else(|p| p.into_inner()).get(route) {
        return r;
    }
    let mut w = routes.write().unwrap_or_else(|p| p.into_inner());
    if let Some(r) = w.get(route) {
        return r;
    }
    let r: &'static str = Box::leak(route.to_owned().into_boxed_str());
    w.insert(r);
    r
}

fn method_label(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PolicyLabels {
    pub policy: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RadiusLabels {
    /// `authorize`, `authenticate`, `post-auth`.
    pub stage: String,
    /// `accept` or `reject`.
    pub decision: String,
    /// Why, for a reject (`unknown_user`, `bad_password`, …); empty for an accept.
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AccountingLabels {
    /// `Start`, `Interim-Update`, `Stop`, `Accounting-On`, `Accounting-Off`.
    pub status_type: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    pub kind: String,
    pub state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    pub role: String,
    pub state: String,
}

type Histograms = Family<LatencyLabels, Histogram, fn() -> Histogram>;

/// Every metric the server keeps, and the registry that writes them.
pub struct Metrics {
    registry: Registry,
    requests: Family<RouteLabels, Counter>,
    latency: Histograms,
    pub shed: Counter,
    pub rate_limited: Family<PolicyLabels, Counter>,
    in_flight: Gauge,
    radius: Family<RadiusLabels, Counter>,
    accounting: Family<AccountingLabels, Counter>,
    jobs: Family<JobLabels, Gauge>,
    job_failed_attempts: Family<JobLabels, Gauge>,
    jobs_oldest_due: Family<KindLabels, Gauge<f64, AtomicU64>>,
    pools: Family<PoolLabels, Gauge>,
    writes: Counter,
    commits: Counter,
}

fn latency_histogram() -> Histogram {
    // 0.5 ms to about 8 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 15))
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut r = Registry::with_prefix("switchboard");
        let m = Metrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
            shed: Counter::default(),
            rate_limited: Family::default(),
            in_flight: Gauge::default(),
            radius: Family::default(),
            accounting: Family::default(),
            jobs: Family::default(),
            job_failed_attempts: Family::default(),
            jobs_oldest_due: Family::default(),
            pools: Family::default(),
            writes: Counter::default(),
            commits: Counter::default(),
            registry: Registry::default(),
        };
        r.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            m.requests.clone(),
        );
        r.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            m.latency.clone(),
        );
        r.register(
            "http_requests_shed",
            "Requests answered 503 because the server was at its in-flight bound",
            m.shed.clone(),
        );
        r.register(
            "http_requests_rate_limited",
            "Requests answered 429, by the policy that refused them (spike or quota)",
            m.rate_limited.clone(),
        );
        r.register(
            "http_requests_in_flight",
            "Requests being handled when scraped",
            m.in_flight.clone(),
        );
        r.register(
            "radius_decisions",
            "RADIUS decisions, by stage, decision and reason",
            m.radius.clone(),
        );
        r.register(
            "radius_accounting_records",
            "RADIUS accounting records taken, by Acct-Status-Type",
            m.accounting.clone(),
        );
        r.register("jobs", "Jobs in the queue, by kind and state", m.jobs.clone());
        r.register(
            "job_failed_attempts",
            "Failed attempts of the jobs in the queue, by kind and state",
            m.job_failed_attempts.clone(),
        );
        r.register(
            "jobs_oldest_due_age_seconds",
            "How long the oldest queued job that is due has waited, by kind",
            m.jobs_oldest_due.clone(),
        );
        r.register(
            "db_pool_connections",
            "Database connections by pool role and state (open, idle)",
            m.pools.clone(),
        );
        r.register("db_writes", "Write transactions committed (SQLite)", m.writes.clone());
        r.register(
            "db_commits",
            "Commits that made them durable; writes queued together commit as one (SQLite)",
            m.commits.clone(),
        );
        Metrics { registry: r, ..m }
    }

    /// A RADIUS decision: `stage`, accept or reject, and why for a reject.
    pub fn radius(&self, stage: &str, accept: bool, reason: &str) {
        self.radius
            .get_or_create(&RadiusLabels {
                stage: stage.into(),
                decision: if accept { "accept" } else { "reject" }.into(),
                reason: reason.into(),
            })
            .inc();
    }

    /// An accounting record taken.
    pub fn accounting(&self, status_type: &str) {
        self.accounting.get_or_create(&AccountingLabels { status_type: status_type.into() }).inc();
    }

    /// The text exposition, with the values read at scrape time.
    pub fn render(&self, stats: &app::auth::OpsStats, in_flight: usize) -> String {
        self.in_flight.set(in_flight as i64);
        self.jobs.clear();
        self.job_failed_attempts.clear();
        self.jobs_oldest_due.clear();
        for s in &stats.jobs {
            let l = JobLabels { kind: s.kind.clone(), state: s.state.to_string() };
            self.jobs.get_or_create(&l).set(s.jobs);
            self.job_failed_attempts.get_or_create(&l).set(s.failed_attempts);
            if s.state == domain::status::JobState::Queued {
                let age =
                    s.oldest_due_ms.map_or(0.0, |due| (stats.now_ms - due).max(0) as f64 / 1000.0);
                self.jobs_oldest_due.get_or_create(&KindLabels { kind: s.kind.clone() }).set(age);
            }
        }
        self.pools.clear();
        for (role, open, idle) in &stats.pools {
            for (state, n) in [("open", open), ("idle", idle)] {
                self.pools
                    .get_or_create(&PoolLabels { role: (*role).into(), state: state.into() })
                    .set(i64::from(*n));
            }
        }
        if let Some((writes, commits)) = stats.writes {
            for (c, now) in [(&self.writes, writes), (&self.commits, commits)] {
                c.inc_by(now.saturating_sub(c.get()));
            }
        }
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

/// Counts every request by its route template (never its raw path, so
/// ids do not make new series) and status, and times it.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    // Only routes make templates: anything else is one series.
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |m| intern(m.as_str()));
    let method = method_label(req.method());
    let started = Instant::now();
    let resp = next.run(req).await;
    let elapsed = started.elapsed().as_secs_f64();
    metrics.latency.get_or_create(&LatencyLabels { method, route }).observe(elapsed);
    metrics
        .requests
        .get_or_create(&RouteLabels { method, route, status: resp.status().as_u16() })
        .inc();
    resp
}

const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The exposition itself.
pub async fn exposition(state: &AppState) -> Response {
    match state.app.ops_stats().await {
        Ok(stats) => (
            [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
            state.metrics.render(&stats, state.guard.in_flight()),
        )
            .into_response(),
        Err(e) => crate::error::ApiError::from(e).into_response(),
    }
}

/// `/metrics` on the main listener: only with the configured token.
pub async fn guarded(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = &state.metrics_token else {
        return crate::error::response_message(
            StatusCode::NOT_FOUND,
            "no such method: GET /metrics (metrics are served on their own listener, or with a token when one is configured)",
            None,
        );
    };
    let sent = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if !sent.is_some_and(|s| app::seal::same_secret(s.as_bytes(), token.as_bytes())) {
        let mut resp = crate::error::response_message(
            StatusCode::UNAUTHORIZED,
            "metrics need the metrics token: Authorization: Bearer <token>",
            None,
        );
        resp.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"metrics\""));
        return resp;
    }
    exposition(&state).await
}

/// Serves `/metrics` alone on `listener` (a listener of its own).
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(listener, router(state)).await
}

/// `/metrics` alone, for a listener of its own.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route(
            "/metrics",
            axum::routing::get(|State(s): State<AppState>| async move { exposition(&s).await }),
        )
        .with_state(state)
}
