//! From a threshold-crossing record's import to its webhook: against a
//! running `switchboard serve` (with its in-process worker and
//! `SWITCHBOARD_WEBHOOKS_ALLOW_PRIVATE=true`), registers a webhook on a
//! receiver of its own, gives N of the partner's connections a 1 MB data
//! threshold, then imports, through `POST /api/Usage/ImportRecords`, one
//! 2 MB record per connection and times each from the import request's
//! start to the arrival of its `alert.raised` delivery (the first attempt).
//! First one at a time, then all N at once. `bench/run-alerts.sh` runs it.
//!
//! Usage: alert_latency BASE_URL DATABASE_URL PARTNER_ID CLIENT_ID CLIENT_SECRET N OFFSET
//! (the lines used are the partner's live lines from OFFSET on: a line
//! alerts once a period, so each run takes lines of its own).

use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Arrivals = Arc<Mutex<HashMap<i64, Instant>>>;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let base = args.next().expect("BASE_URL");
    let db = args.next().expect("DATABASE_URL");
    let partner: i64 = args.next().expect("PARTNER_ID").parse().expect("PARTNER_ID");
    let id = args.next().expect("CLIENT_ID");
    let secret = args.next().expect("CLIENT_SECRET");
    let n: usize = args.next().expect("N").parse().expect("N is a number");
    let offset: usize = args.next().map_or(0, |o| o.parse().expect("OFFSET is a number"));
    let http = reqwest::Client::new();
    let token: Value = http
        .post(format!("{base}/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token JSON");
    let token = token["access_token"].as_str().expect("access_token").to_owned();

    // The receiver: when each contract's alert arrived.
    let arrivals: Arrivals = Arc::default();
    let seen = arrivals.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let seen = seen.clone();
            async move {
                let at = Instant::now();
                let event: Value = serde_json::from_str(&body).unwrap_or_default();
                if let Some(c) = event["data"]["contractId"].as_i64() {
                    seen.lock().unwrap().entry(c).or_insert(at);
                }
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    let post = |path: &str, body: Value| {
        http.post(format!("{base}{path}")).bearer_auth(&token).json(&body).send()
    };
    let r = post(
        "/api/Webhooks/CreateWebhook",
        json!({"url": hook_url, "eventTypes": ["alert.raised"], "description": "bench"}),
    )
    .await
    .expect("create webhook");
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());

    // The partner's live lines.
    let store = store::Store::connect(&db).await.expect("database");
    let lines: Vec<_> = store
        .usage()
        .lines(store::Visibility::Partner(partner))
        .await
        .expect("lines")
        .into_iter()
        .filter(|l| l.ended_at.is_none())
        .skip(offset)
        .take(2 * n)
        .collect();
    assert!(lines.len() >= 2 * n, "{} lines; need {}", lines.len(), 2 * n);
    for l in &lines {
        let r = post(
            "/api/Alerting/SetAlertingSettings",
            json!({"contractId": l.id, "thresholds": [{"kind": "dataMb", "value": 1, "action": "notify"}]}),
        )
        .await
        .expect("thresholds");
        assert_eq!(r.status(), 200);
    }
    let crossing = |l: &store::usage::LineRow, tag: &str| {
        json!([{"network": l.network, "recordId": format!("bench-{tag}-{}", l.id), "cli": l.cli,
                "kind": "Data", "destination": "UK", "quantity": 2 << 20,
                "eventTime": chrono::Utc::now().to_rfc3339()}])
    };
    let wait_for = |contract: i64, started: Instant| {
        let arrivals = arrivals.clone();
        async move {
            loop {
                if let Some(at) = arrivals.lock().unwrap().get(&contract) {
                    return at.duration_since(started);
                }
                if started.elapsed() > Duration::from_secs(60) {
                    panic!("no alert for contract {contract} within 60 s");
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        }
    };

    // One at a time.
    let mut one = Vec::new();
    for l in &lines[..n] {
        let started = Instant::now();
        let r = post("/api/Usage/ImportRecords", crossing(l, "one")).await.expect("import");
        assert_eq!(r.status(), 200);
        one.push(wait_for(l.id, started).await);
    }
    // All at once.
    let started = Instant::now();
    let mut imports = tokio::task::JoinSet::new();
    for l in &lines[n..] {
        imports.spawn(post("/api/Usage/ImportRecords", crossing(l, "burst")));
    }
    while let Some(r) = imports.join_next().await {
        assert_eq!(r.expect("task").expect("import").status(), 200);
    }
    let mut burst = Vec::new();
    for l in &lines[n..] {
        burst.push(wait_for(l.id, started).await);
    }
    for (name, mut v) in [("one_at_a_time", one), ("burst", burst)] {
        v.sort();
        let q = |p: f64| v[((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1];
        println!(
            "ALERT {name} n={} p50_ms={:.1} p99_ms={:.1} max_ms={:.1}",
            v.len(),
            q(0.5).as_secs_f64() * 1e3,
            q(0.99).as_secs_f64() * 1e3,
            v[v.len() - 1].as_secs_f64() * 1e3
        );
    }
}
