//! The write floor: a bare axum handler doing one INSERT per request into
//! a table of the same SQLite database through the store's writer pool,
//! with no auth, validation, audit or middleware. `bench/run-orders.sh`
//! measures it beside the order flow (an order is five write requests).
//!
//! Usage: bare_insert DATABASE_URL LISTEN_ADDR

use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;
use store::{Db, Store};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("DATABASE_URL");
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:8091".into());
    let store = Store::connect(&url).await.expect("connect");
    let Db::Sqlite(pool) = store.writer().clone() else { panic!("the bare floor is SQLite") };
    sqlx::query("CREATE TABLE IF NOT EXISTS bench_rows (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, created_at TIMESTAMP NOT NULL)")
        .execute(&pool)
        .await
        .expect("create table");
    let app = Router::new().route(
        "/bare-insert",
        post(move |Json(body): Json<Value>| {
            let pool = pool.clone();
            async move {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO bench_rows (body, created_at) VALUES ($1, $2) RETURNING id",
                )
                .bind(body.to_string())
                .bind(chrono::Utc::now())
                .fetch_one(&pool)
                .await
                .map_err(|_| axum::http::StatusCode::INTERNAL_SERVER_ERROR)?;
                Ok::<_, axum::http::StatusCode>((
                    axum::http::StatusCode::CREATED,
                    Json(serde_json::json!({"id": id})),
                ))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(&listen).await.expect("bind");
    println!("bare insert on http://{}", listener.local_addr().unwrap());
    axum::serve(listener, app).await.expect("serve");
}
