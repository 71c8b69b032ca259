//! A server killed in the middle of a keyed request, on both engines: the
//! request is held inside its transaction (another session holds the lock
//! its next write needs), the process gets SIGKILL, and a new server on
//! the same database is asked again with the same Idempotency-Key. The
//! retry must do the work once (201, not "still being processed" for
//! ever), and a second retry must replay that answer.

use serde_json::{json, Value};
use std::process::Command;
use std::time::Duration;

mod common;

fn start(dir: &std::path::Path, url: &str) -> common::Served {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    cmd.current_dir(dir)
        .env_remove("SWITCHBOARD_CONFIG")
        .env("SWITCHBOARD_LOG", "warn")
        .args(["serve", "--demo", "--no-worker", "--listen", "127.0.0.1:0"])
        .args(["--database-url", url]);
    common::serve(cmd)
}

async fn create(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    key: &str,
    body: &Value,
) -> reqwest::Result<reqwest::Response> {
    http.post(format!("{base}/api/Customers/CreateCustomer"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
}

fn customer() -> Value {
    json!({"companyName": "Killed Midway Ltd", "coRegNumber": "09876543",
           "contact": {"name": "Kim Lee", "email": "kim@killed.example", "phone": "07700 900123"},
           "address": {"lines": ["1 Crash Lane"], "town": "Leeds", "postcode": "LS1 4AP"}})
}

/// Holds the lock the request's next write needs, until dropped or released.
enum Blocker {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

async fn block(url: &str) -> Blocker {
    use sqlx::Connection;
    if url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE").execute(&mut c).await.unwrap();
        Blocker::Sqlite(c)
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query("BEGIN").execute(&mut c).await.unwrap();
        // Reads go on; the customer's insert waits, after the key's claim.
        sqlx::query("LOCK TABLE customers IN EXCLUSIVE MODE").execute(&mut c).await.unwrap();
        Blocker::Postgres(c)
    }
}

async fn release(b: Blocker) {
    match b {
        Blocker::Sqlite(mut c) => {
            sqlx::query("ROLLBACK").execute(&mut c).await.unwrap();
        }
        Blocker::Postgres(mut c) => {
            sqlx::query("ROLLBACK").execute(&mut c).await.unwrap();
        }
    }
}

async fn killed_mid_request_then_retried(url: &str, dir: &std::path::Path) {
    let http = reqwest::Client::new();
    let mut first = start(dir, url);
    let token = first.token(&http).await;
    let blocker = block(url).await;
    let in_flight = {
        let (http, token, base) = (http.clone(), token.clone(), first.base.clone());
        tokio::spawn(async move { create(&http, &base, &token, "crash-1", &customer()).await })
    };
    // Let the request reach the lock, inside its transaction.
    tokio::time::sleep(Duration::from_millis(700)).await;
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    assert!(in_flight.await.unwrap().is_err(), "the killed server never answered");
    release(blocker).await;

    let second = start(dir, url);
    let token = second.token(&http).await;
    let retry = create(&http, &second.base, &token, "crash-1", &customer()).await.unwrap();
    assert_eq!(retry.status(), 201, "the retry does the work");
    assert!(!retry.headers().contains_key("idempotent-replayed"));
    let made: Value = retry.json().await.unwrap();
    let again = create(&http, &second.base, &token, "crash-1", &customer()).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), made);
    let list = common::json(
        http.get(format!("{}/api/Customers?search=Killed%20Midway", second.base))
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(list["total"], 1, "made once: {list}");
    let mut second = second;
    second.child.kill().unwrap();
    second.child.wait().unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn a_keyed_request_killed_mid_transaction_is_done_once_on_retry() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("crash.db").display());
    killed_mid_request_then_retried(&url, dir.path()).await;

    let Some(base) = std::env::var("TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty()) else {
        return;
    };
    use sqlx::Connection;
    let name = format!("crash{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&base).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
    let url = match base.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => panic!("TEST_POSTGRES_URL has no database: {base}"),
    };
    killed_mid_request_then_retried(&url, dir.path()).await;
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut admin).await.unwrap();
}
