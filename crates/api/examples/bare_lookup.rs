//! The benchmark's floor: a bare axum handler answering the same JSON as
//! GetConnectionByCLI from the same table, with one indexed query through
//! the same database library, and no auth, tenancy, middleware or error
//! mapping. `bench/run.sh` measures it beside the real endpoint.
//!
//! Usage: bare_lookup DATABASE_URL LISTEN_ADDR

use api::mobile::views::Connection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use std::collections::HashMap;
use store::connections::{ConnectionRow, CONNECTION_SELECT};
use store::{Db, Store};

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().expect("DATABASE_URL");
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:8090".into());
    let store = Store::connect(&url).await.expect("connect");
    let Db::Sqlite(pool) = store.db().clone() else {
        panic!("the bare handler is the SQLite floor");
    };
    let sql: &'static str =
        Box::leak(format!("{CONNECTION_SELECT} WHERE c.cli = $1").into_boxed_str());
    let app = Router::new()
        .route(
            "/bare",
            get(
                move |State(pool): State<sqlx::SqlitePool>,
                      Query(q): Query<HashMap<String, String>>| async move {
                    let cli = q.get("cli").cloned().unwrap_or_default();
                    match sqlx::query_as::<_, ConnectionRow>(sql)
                        .bind(cli)
                        .fetch_optional(&pool)
                        .await
                    {
                        Ok(Some(row)) => Connection::try_from(row)
                            .map(Json)
                            .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR),
                        Ok(None) => Err(StatusCode::NOT_FOUND),
                        Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR),
                    }
                },
            ),
        )
        .with_state(pool);
    let listener = tokio::net::TcpListener::bind(&listen).await.expect("bind");
    println!("bare lookup on http://{}", listener.local_addr().unwrap());
    axum::serve(listener, app).await.expect("serve");
}
