//! The HTTP server's own limits, driven over raw TCP as a slow or hostile
//! client would: half-sent request heads are dropped after the header-read
//! timeout and do not starve other clients, a body that stops arriving
//! answers 408, and a shutdown finishes within its grace period whatever
//! clients are doing. The bounds awaited here are generous deadlines for a
//! behaviour, not performance figures.

mod common;

use common::TestApp;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn limits() -> api::ServerLimits {
    api::ServerLimits {
        header_read_timeout: Duration::from_secs(1),
        body_read_timeout: Duration::from_secs(1),
        shutdown_grace: Duration::from_secs(1),
    }
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://")).await.expect("connect")
}

/// Reads until the server closes the connection; answers what it sent.
async fn read_to_close(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), s.read_to_end(&mut out))
        .await
        .expect("the server closes the connection")
        .ok();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn half_sent_heads_are_dropped_and_do_not_starve_others() {
    let app = TestApp::start_with("sqlite", limits()).await;
    let mut idle = Vec::new();
    for _ in 0..300 {
        let mut s = connect(&app).await;
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        idle.push(s);
    }
    // Other clients are served meanwhile.
    let r = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // The half-sent heads are cut off once the header timeout passes.
    let mut first = idle.swap_remove(0);
    read_to_close(&mut first).await;
    // So is a connection that never sends anything.
    let mut silent = connect(&app).await;
    read_to_close(&mut silent).await;
    app.stop().await;
}

#[tokio::test]
async fn a_body_that_stops_arriving_answers_408() {
    let app = TestApp::start_with("sqlite", limits()).await;
    let token = app.north_token().await;
    let mut s = connect(&app).await;
    let head = format!(
        "POST /api/Customers/CreateCustomer HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"companyName\": "
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let answer = read_to_close(&mut s).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("did not arrive in time"), "{answer}");
    app.stop().await;
}

#[tokio::test]
async fn shutdown_finishes_within_its_grace_whatever_clients_do() {
    let app = TestApp::start_with(
        "sqlite",
        api::ServerLimits {
            // Clients that would hold the server for a minute...
            header_read_timeout: Duration::from_secs(60),
            body_read_timeout: Duration::from_secs(60),
            // ...get one second once it is told to stop.
            shutdown_grace: Duration::from_secs(1),
        },
    )
    .await;
    let token = app.north_token().await;
    let mut half_head = connect(&app).await;
    half_head.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
    let mut half_body = connect(&app).await;
    let head = format!(
        "POST /api/Customers/CreateCustomer HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{{"
    );
    half_body.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    tokio::time::timeout(Duration::from_secs(15), app.stop())
        .await
        .expect("the server stops within its grace period");
    read_to_close(&mut half_head).await;
    read_to_close(&mut half_body).await;
}
