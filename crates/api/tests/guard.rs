//! What keeps the server standing: rate limits per client (429 with
//! Retry-After and the IETF RateLimit headers, a spike arrest told from a
//! spent quota, on the mobile and ISP faces), load shedding (503 at once
//! beyond the in-flight bound, health still answering), and `/metrics`
//! (behind a token or on a listener of its own).

mod common;

use common::{backends, Answer, TestApp};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

fn limits(per_second: u32, quota: u32) -> api::guard::GuardConfig {
    api::guard::GuardConfig {
        limits: api::guard::Limits { per_second, quota, quota_window_secs: 3600 },
        ..Default::default()
    }
}

async fn get(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.http.get(app.url(path)).bearer_auth(token).send().await.unwrap()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers().get(name).unwrap_or_else(|| panic!("no {name} header")).to_str().unwrap()
}

#[tokio::test]
async fn a_spike_is_arrested_and_says_so_in_each_faces_terms() {
    let app = TestApp::start_configured("sqlite", |c| c.guard = limits(3, 1000)).await;
    let token = app.north_token().await;
    let path = "/api/Appendix/Networks";
    for left in [2, 1, 0] {
        let r = get(&app, &token, path).await;
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "ratelimit-policy"), "\"spike\";q=3;w=1, \"quota\";q=1000;w=3600");
        assert!(
            header(&r, "ratelimit").starts_with(&format!("\"spike\";r={left};t=1, \"quota\";r=")),
            "{}",
            header(&r, "ratelimit")
        );
    }
    let r = get(&app, &token, path).await;
    assert_eq!(r.status(), 429);
    assert_eq!(header(&r, "retry-after"), "1");
    assert_eq!(header(&r, "ratelimit"), "\"spike\";r=0;t=1");
    let body: Value = r.json().await.unwrap();
    let msg = body["response_message"].as_str().unwrap();
    assert!(msg.starts_with("spike arrest"), "{msg}");
    // Another client is not held back by this one.
    let other = app.capital_token().await;
    assert_eq!(get(&app, &other, path).await.status(), 200);
    // A second later (by the platform's clock) the client may go on.
    app.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(get(&app, &token, path).await.status(), 200);

    // The ISP face: the same limits, in its own dialect.
    let isp = app.api_token(app.north, "isp").await;
    for _ in 0..3 {
        app.isp("GET", &isp, "/api/v1/profiles", None).await.is(200);
    }
    let (s, body) = app.isp("GET", &isp, "/api/v1/profiles", None).await;
    assert_eq!(s, 429);
    assert_eq!(body["status"], "error");
    assert!(body["message"].as_str().unwrap().starts_with("spike arrest"));
    app.stop().await;
}

#[tokio::test]
async fn a_spent_quota_is_told_from_a_spike_and_counted_in_metrics() {
    let app = TestApp::start_configured("sqlite", |c| {
        c.guard = limits(100, 4);
        c.metrics_token = Some("scrape-me".into());
    })
    .await;
    let token = app.north_token().await;
    for i in 0..4 {
        app.get(&token, "/api/Appendix/Networks").await.is(200);
        app.clock.advance(chrono::Duration::seconds(1 + i));
    }
    let r = get(&app, &token, "/api/Appendix/Networks").await;
    assert_eq!(r.status(), 429);
    assert!(header(&r, "ratelimit").starts_with("\"quota\";r=0;t="));
    let wait: u64 = header(&r, "retry-after").parse().unwrap();
    assert!((1..=900).contains(&wait), "{wait}: one request back every 900 s");
    let body: Value = r.json().await.unwrap();
    assert!(body["response_message"].as_str().unwrap().starts_with("quota exceeded"));
    let metrics = scrape(&app, "scrape-me").await;
    assert!(
        metrics.contains("switchboard_http_requests_rate_limited_total{policy=\"quota\"} 1"),
        "{metrics}"
    );
    app.stop().await;
}

async fn scrape(app: &TestApp, token: &str) -> String {
    let r = app.http.get(app.url("/metrics")).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(header(&r, "content-type").starts_with("text/plain; version=0.0.4"));
    r.text().await.unwrap()
}

/// A request holds its place while its body has not all arrived.
async fn hold_one(app: &TestApp, token: &str) -> tokio::net::TcpStream {
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!("POST /api/Orders/CreateDraftOrder HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{");
    s.write_all(head.as_bytes()).await.unwrap();
    s
}

#[tokio::test]
async fn beyond_the_in_flight_bound_the_answer_is_503_at_once() {
    let app = TestApp::start_configured("sqlite", |c| c.guard.max_in_flight = 1).await;
    let token = app.north_token().await;
    let held = hold_one(&app, &token).await;
    // The held request takes the only place (its head is read first).
    let mut shed = None;
    for _ in 0..100 {
        let r = get(&app, &token, "/api/Appendix/Networks").await;
        if r.status() == 503 {
            shed = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let r = shed.expect("a request beyond the bound is shed");
    assert!(["1", "2", "3"].contains(&header(&r, "retry-after")), "{r:?}");
    let body: Value = r.json().await.unwrap();
    assert!(body["response_message"].as_str().unwrap().contains("at capacity"));
    // The ISP face sheds in its own dialect; health still answers.
    let isp = app.api_token(app.north, "isp").await;
    let (s, body) = app.isp("GET", &isp, "/api/v1/profiles", None).await;
    assert_eq!((s, body["status"].as_str()), (503, Some("error")));
    assert_eq!(app.http.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    // Once the held request goes, the place is free again.
    drop(held);
    let mut ok = false;
    for _ in 0..100 {
        if get(&app, &token, "/api/Appendix/Networks").await.status() == 200 {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(ok, "the server recovers once the load is gone");
    app.stop().await;
}

#[tokio::test]
async fn metrics_are_served_only_to_whom_they_are_for() {
    for backend in backends() {
        let app =
            TestApp::start_configured(backend, |c| c.metrics_token = Some("s3cret".into())).await;
        let token = app.north_token().await;
        // Traffic to count: a lookup, a miss, an order (a job), RADIUS.
        let cli = app.cli_of(app.north).await;
        app.get(&token, &format!("/api/Connections/GetConnectionByCLI?cli={cli}")).await.is(200);
        app.get(&token, "/api/Connections/GetConnectionByCLI?cli=07700900999")
            .await
            .refused(404, "07700900999");
        let radius = app.api_token(app.north, "isp").await;
        let r = app
            .http
            .post(app.url("/radius/authorize"))
            .header("X-Auth-Token", &radius)
            .json(&json!({"User-Name": {"type": "string", "value": ["nobody"]}, "User-Password": {"type": "string", "value": ["x"]}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);

        // No token, a wrong one: refused.
        let r = app.http.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert!(header(&r, "www-authenticate").starts_with("Bearer"));
        let r = app.http.get(app.url("/metrics")).bearer_auth("guess").send().await.unwrap();
        assert_eq!(r.status(), 401);
        let m = scrape(&app, "s3cret").await;
        for want in [
            "switchboard_http_requests_total{method=\"GET\",route=\"/api/Connections/GetConnectionByCLI\",status=\"200\"} 1",
            "switchboard_http_requests_total{method=\"GET\",route=\"/api/Connections/GetConnectionByCLI\",status=\"404\"} 1",
            "switchboard_http_request_duration_seconds_count{method=\"GET\",route=\"/api/Connections/GetConnectionByCLI\"} 2",
            "switchboard_radius_decisions_total{stage=\"authorize\",decision=\"reject\",reason=\"unknown_user\"} 1",
            "switchboard_http_requests_shed_total 0",
            "# TYPE switchboard_jobs gauge",
            "switchboard_db_pool_connections{role=",
        ] {
            assert!(m.contains(want), "{backend}: {want} not in\n{m}");
        }
        // The raw CLI never becomes a series of its own.
        assert!(!m.contains(&cli), "{backend}: route templates only");

        // The job queue, read when scraped.
        let customer = app.customer_of(app.north).await;
        app.post(&token, "/api/Orders/CreateDraftOrder", &json!({"customerId": customer}))
            .await
            .is(201);
        let m = scrape(&app, "s3cret").await;
        assert!(m.contains("switchboard_http_requests_total{method=\"POST\",route=\"/api/Orders/CreateDraftOrder\",status=\"201\"} 1"), "{m}");

        // On a listener of its own, no token is asked.
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let at = l.local_addr().unwrap();
        let state =
            api::AppState::new(app.store.clone(), &api::ApiConfig::default()).await.unwrap();
        let served = tokio::spawn(api::metrics::serve(l, state));
        let r = app.http.get(format!("http://{at}/metrics")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("# HELP switchboard_jobs "));
        served.abort();
        app.stop().await;
    }
}

#[tokio::test]
async fn without_a_token_metrics_are_not_on_the_main_listener() {
    let app = TestApp::start("sqlite").await;
    let (s, _) = app.get("anything", "/metrics").await;
    assert_eq!(s, 404);
    app.stop().await;
}
