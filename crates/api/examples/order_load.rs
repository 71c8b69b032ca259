//! Load generator for the order flow: each of CONCURRENCY clients loops for
//! SECONDS doing CreateDraftOrder, three AddMobileToOrder (New, Vodafone,
//! number allocated from the pool) and SubmitOrder, and the run reports
//! orders/s, requests/s and the p50/p99 of a whole order. Used by
//! `bench/run-orders.sh`.
//!
//! Usage: order_load BASE_URL TOKEN CUSTOMER_ID TARIFF_ID CONCURRENCY SECONDS

use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    assert_eq!(
        a.len(),
        6,
        "usage: order_load BASE_URL TOKEN CUSTOMER_ID TARIFF_ID CONCURRENCY SECONDS"
    );
    let (base, token) = (a[0].clone(), a[1].clone());
    let customer: i64 = a[2].parse().unwrap();
    let tariff: i64 = a[3].parse().unwrap();
    let concurrency: usize = a[4].parse().unwrap();
    let seconds: u64 = a[5].parse().unwrap();
    let http = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency as u64 {
        let (http, base, token) = (http.clone(), base.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut n = 0u64;
            let post = |path: &str, body: Value| {
                let req = http.post(format!("{base}{path}")).bearer_auth(&token).json(&body);
                async move {
                    let r = req.send().await.map_err(|e| e.to_string())?;
                    let ok = r.status().is_success();
                    let v: Value = r.json().await.map_err(|e| e.to_string())?;
                    if ok { Ok(v) } else { Err(v.to_string()) }
                }
            };
            while Instant::now() < deadline {
                let t = Instant::now();
                let result: Result<(), String> = async {
                    let order = post("/api/Orders/CreateDraftOrder", json!({"customerId": customer, "reference": format!("LOAD-{worker}-{n}")})).await?["orderId"].as_i64().unwrap_or_default();
                    for m in 0..3u64 {
                        let iccid = domain::sim::make_iccid(domain::Network::Vodafone, 900_000_000_000 + worker * 100_000_000 + n * 3 + m);
                        post("/api/Orders/AddMobileToOrder", json!({"orderId": order, "connectionType": "New", "network": "Vodafone", "tariffId": tariff,
                            "cli": "", "simType": "Physical", "iccid": iccid, "billCapOffered": true})).await?;
                    }
                    post("/api/Orders/SubmitOrder", json!({"orderId": order})).await?;
                    Ok(())
                }
                .await;
                match result {
                    Ok(()) => latencies.push(t.elapsed()),
                    Err(e) => {
                        errors += 1;
                        if errors <= 3 {
                            eprintln!("order failed: {e}");
                        }
                    }
                }
                n += 1;
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        all.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    println!(
        "ORDERS orders={} errors={} seconds={:.1} orders_per_s={:.0} requests_per_s={:.0} p50_ms={:.2} p99_ms={:.2}",
        all.len(),
        errors,
        elapsed,
        all.len() as f64 / elapsed,
        all.len() as f64 * 5.0 / elapsed,
        pct(0.50),
        pct(0.99)
    );
}
