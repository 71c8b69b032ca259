//! The durable job queue's contract, on both engines: one claim per job
//! however many workers race, leases that expire, backoff, dead jobs, and
//! idempotent enqueueing.

mod common;

use common::TestApp;
use serde_json::json;
use test_macros::backend_test;

#[backend_test]
async fn racing_workers_claim_each_job_once(app: &TestApp) {
    let now = app.now().timestamp_millis();
    for i in 0..40 {
        app.store
            .jobs()
            .enqueue("noop", &json!({"i": i}), now, &format!("race-{i}"))
            .await
            .unwrap();
    }
    app.store.jobs().enqueue("noop", &json!({}), now, "race-0").await.unwrap();
    let mut tasks = Vec::new();
    for w in 0..8 {
        let store = app.store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(job) =
                store.jobs().claim_job(&format!("w{w}"), now, 60_000).await.unwrap()
            {
                mine.push(job.id);
                assert!(store.jobs().complete_job(job.id, &format!("w{w}")).await.unwrap());
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let n = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(
        (n, all.len()),
        (40, 40),
        "40 jobs (a repeated key enqueues once), each claimed once"
    );
    assert_eq!(app.store.jobs().jobs_in_state("done").await.unwrap().len(), 40);
}

#[backend_test]
async fn leases_expire_and_attempts_run_out(app: &TestApp) {
    let t0 = app.now().timestamp_millis();
    app.store.jobs().enqueue("noop", &json!({}), t0, "lease").await.unwrap();
    let job = app.store.jobs().claim_job("a", t0, 1_000).await.unwrap().unwrap();
    assert!(app.store.jobs().claim_job("b", t0 + 500, 1_000).await.unwrap().is_none(), "leased");
    let again =
        app.store.jobs().claim_job("b", t0 + 1_001, 1_000).await.unwrap().expect("lease expired");
    assert_eq!((again.id, again.attempts), (job.id, 2));
    assert!(!app.store.jobs().complete_job(job.id, "a").await.unwrap(), "the first worker lost it");
    // b fails until the job is dead.
    let mut now = t0 + 2_000;
    let mut j = again;
    loop {
        match app.store.jobs().fail_job(&j, "b", "boom", now).await.unwrap() {
            store::jobs::Fate::Retry(at) => {
                assert!(app.store.jobs().claim_job("b", at - 1, 1_000).await.unwrap().is_none());
                now = at;
                j = app.store.jobs().claim_job("b", now, 1_000).await.unwrap().unwrap();
            }
            store::jobs::Fate::Dead => break,
            store::jobs::Fate::LeaseLost => panic!("lease lost"),
        }
    }
    let dead = app.store.jobs().job_by_key("lease").await.unwrap().unwrap();
    assert_eq!(
        (dead.state.as_str(), dead.attempts, dead.last_error.as_deref()),
        ("dead", store::jobs::DEFAULT_MAX_ATTEMPTS, Some("boom"))
    );
    assert!(
        app.store.jobs().claim_job("c", now + 10_000_000, 1_000).await.unwrap().is_none(),
        "dead jobs stay dead"
    );
}

#[backend_test]
async fn a_job_whose_payload_does_not_read_fails_with_the_reason(app: &TestApp) {
    let now = app.now().timestamp_millis();
    app.store
        .jobs()
        .enqueue("provision_order", &json!({"orderId": "x"}), now, "bad-payload")
        .await
        .unwrap();
    let handled = app.worker.run_once().await.unwrap().expect("a due job");
    assert!(matches!(handled, provisioning::worker::Handled::Retrying(_)), "{handled:?}");
    let queued = app.store.jobs().jobs_in_state("queued").await.unwrap();
    let job = queued.iter().find(|j| j.idempotency_key == "bad-payload").unwrap();
    assert!(job.last_error.as_deref().unwrap().contains("payload does not read"), "{job:?}");
}
