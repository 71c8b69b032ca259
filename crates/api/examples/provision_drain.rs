//! Provisioning throughput: drains every queued job of DATABASE_URL with
//! the worker over instant, always-accepting simulated networks (zero
//! latency), LANES lanes each claiming BATCH jobs at a time, and reports mobiles provisioned per
//! second from submitted to completed. Used by `bench/run-orders.sh`.
//!
//! Usage: provision_drain DATABASE_URL [LANES] [BATCH]   (defaults 2 and 16)

use provisioning::{SimConfig, SystemClock, Worker, WorkerConfig};
use std::sync::Arc;
use std::time::Instant;

#[tokio::main]
async fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let store = store::Store::connect(&a[0]).await.expect("connect");
    let concurrency: usize = a.get(1).map(|c| c.parse().unwrap()).unwrap_or(2);
    let batch: usize = a.get(2).map(|c| c.parse().unwrap()).unwrap_or(16);
    let configs = domain::Network::ALL.iter().map(|n| (*n, SimConfig::instant())).collect();
    let worker = Worker::simulated(
        store.clone(),
        &configs,
        Arc::new(SystemClock),
        WorkerConfig { id: "bench".into(), ..Default::default() },
    );
    let queued = store.jobs().jobs_in_state("queued").await.unwrap().len();
    let pending = count(&store, "Pending").await;
    let started = Instant::now();
    let mut lanes = Vec::new();
    for _ in 0..concurrency {
        let w = worker.clone();
        lanes.push(tokio::spawn(async move {
            while !w.run_batch(batch).await.expect("run").is_empty() {}
        }));
    }
    for l in lanes {
        l.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let completed = pending - count(&store, "Pending").await;
    println!(
        "PROVISION jobs={queued} mobiles={completed} seconds={secs:.2} mobiles_per_s={:.0}",
        completed as f64 / secs
    );
}

async fn count(store: &store::Store, status: &str) -> i64 {
    let store::Db::Sqlite(p) = store.db() else { panic!("the benchmark runs on SQLite") };
    sqlx::query_scalar("SELECT COUNT(*) FROM order_mobiles WHERE status = $1")
        .bind(status)
        .fetch_one(p)
        .await
        .unwrap()
}
