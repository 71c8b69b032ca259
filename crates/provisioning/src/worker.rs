//! The provisioning worker: claims due jobs from the queue (its lease
//! expires if the worker dies, and another worker picks the job up), drives
//! each order's pending mobiles through their network's carrier, applies
//! the answers in one transaction, and completes, defers (a port waits for
//! its date), retries with backoff or, out of attempts, refuses what is
//! left. Carrier calls carry the key `order-mobile-{id}`, and applying an
//! answer is guarded by the mobile still being pending, so a job that runs
//! twice provisions and records everything once.

use crate::carrier::{Carrier, CarrierAnswer, ProvisionRequest};
use crate::clock::Clock;
use crate::simulated::{SimConfig, SimulatedNetwork};
use chrono::{NaiveDate, NaiveTime};
use domain::ordering::ConnectionType;
use domain::Network;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use store::jobs::{Fate, Job};
use store::orders::Outcome;
use store::{Store, StoreError};

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Name in job leases and audit rows.
    pub id: String,
    /// How long a claimed job is ours before another worker may take it.
    pub lease: Duration,
    /// How long to wait when no job is due.
    pub poll: Duration,
    /// Jobs handled at once.
    pub concurrency: usize,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            id: format!("worker-{}", std::process::id()),
            lease: Duration::from_secs(60),
            poll: Duration::from_millis(200),
            concurrency: 4,
        }
    }
}

/// What handling one job came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    Completed,
    Deferred(i64),
    Retrying(i64),
    Dead,
}

#[derive(Clone)]
pub struct Worker {
    store: Store,
    carriers: Arc<HashMap<Network, Arc<dyn Carrier>>>,
    clock: Arc<dyn Clock>,
    config: WorkerConfig,
}

impl Worker {
    pub fn new(
        store: Store,
        carriers: Vec<Arc<dyn Carrier>>,
        clock: Arc<dyn Clock>,
        config: WorkerConfig,
    ) -> Worker {
        let carriers = carriers.into_iter().map(|c| (c.network(), c)).collect();
        Worker {
            store,
            carriers: Arc::new(carriers),
            clock,
            config,
        }
    }

    /// A worker over the simulated networks, each with its configuration.
    pub fn simulated(
        store: Store,
        configs: &HashMap<Network, SimConfig>,
        clock: Arc<dyn Clock>,
        config: WorkerConfig,
    ) -> Worker {
        let carriers = Network::ALL
            .iter()
            .map(|n| {
                Arc::new(SimulatedNetwork::new(
                    *n,
                    configs.get(n).copied().unwrap_or_default(),
                    store.clone(),
                )) as Arc<dyn Carrier>
            })
            .collect();
        Worker::new(store, carriers, clock, config)
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    fn actor(&self) -> String {
        format!("worker:{}", self.config.id)
    }

    /// Claims and handles one due job; `None` when nothing is due.
    pub async fn run_once(&self) -> Result<Option<Handled>, StoreError> {
        let lease_ms = self.config.lease.as_millis() as i64;
        let Some(job) = self
            .store
            .claim_job(&self.config.id, self.now_ms(), lease_ms)
            .await?
        else {
            return Ok(None);
        };
        let handled = match job.kind.as_str() {
            "provision_order" => self.provision_order(&job).await,
            other => {
                let fate = self
                    .store
                    .fail_job(
                        &job,
                        &self.config.id,
                        &format!("no handler for job kind {other:?}"),
                        self.now_ms(),
                    )
                    .await?;
                Ok(fate_to_handled(fate))
            }
        };
        match handled {
            Ok(h) => Ok(Some(h)),
            Err(e) => {
                // A fault of ours (the database): the job is retried.
                tracing::warn!(job = job.id, error = %e, "job failed");
                let fate = self
                    .store
                    .fail_job(&job, &self.config.id, &e.to_string(), self.now_ms())
                    .await?;
                Ok(Some(fate_to_handled(fate)))
            }
        }
    }

    /// Handles due jobs until none is left due now; answers how many.
    /// Tests call this instead of sleeping.
    pub async fn drain(&self) -> Result<usize, StoreError> {
        let mut n = 0;
        while self.run_once().await?.is_some() {
            n += 1;
        }
        Ok(n)
    }

    /// Runs until `shutdown` says stop, handling up to `concurrency` jobs
    /// at once. A job in hand when stopping is finished first.
    pub async fn run(self, shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut tasks = tokio::task::JoinSet::new();
        for lane in 0..self.config.concurrency.max(1) {
            let w = self.clone();
            let mut stop = shutdown.clone();
            tasks.spawn(async move {
                loop {
                    if *stop.borrow() {
                        break;
                    }
                    let idle = match w.run_once().await {
                        Ok(Some(_)) => false,
                        Ok(None) => true,
                        Err(e) => {
                            tracing::warn!(lane, error = %e, "worker could not reach the queue");
                            true
                        }
                    };
                    if idle {
                        tokio::select! {
                            _ = tokio::time::sleep(w.config.poll) => {}
                            _ = stop.changed() => {}
                        }
                    }
                }
            });
        }
        while tasks.join_next().await.is_some() {}
    }

    async fn provision_order(&self, job: &Job) -> Result<Handled, StoreError> {
        let order_id = serde_json::from_str::<serde_json::Value>(&job.payload)
            .ok()
            .and_then(|v| v["orderId"].as_i64())
            .ok_or_else(|| StoreError::Corrupt(format!("job {} has no orderId", job.id)))?;
        let actor = self.actor();
        let Some(view) = self.store.provisioning_view(order_id).await? else {
            // Returned to draft, cancelled or finished: nothing to do.
            self.store.complete_job(job.id, &self.config.id).await?;
            return Ok(Handled::Completed);
        };
        let today = self.clock.now().date_naive();
        let requests: Vec<(i64, String, ProvisionRequest)> = view
            .pending()
            .map(|m| {
                let req = m.request()?;
                Ok((
                    m.id,
                    format!("order-mobile-{}", m.id),
                    ProvisionRequest {
                        connection_type: req.connection_type,
                        network: req.network,
                        cli: m.cli.clone(),
                        iccid: m.iccid.clone(),
                        esim: req.sim_type == Some(domain::ordering::SimType::Esim),
                        pac_code: m.pac_code.clone(),
                        pac_expiry_date: m.pac_expiry_date,
                        port_date: m.port_date,
                        stac_code: m.stac_code.clone(),
                        today,
                        attempt: job.attempts,
                    },
                ))
            })
            .collect::<Result<_, StoreError>>()?;
        let calls = requests.iter().map(|(_, key, req)| async move {
            match self.carriers.get(&req.network) {
                Some(c) => c.provision(key, req).await,
                None => Ok(CarrierAnswer::Done(Outcome::Rejected {
                    reason: format!("no carrier configured for {}", req.network),
                })),
            }
        });
        let answers = futures_util::future::join_all(calls).await;
        let mut done = Vec::new();
        let mut wait_until: Option<NaiveDate> = None;
        let mut fault = None;
        for ((mobile_id, _, req), answer) in requests.iter().zip(answers) {
            match answer {
                Ok(CarrierAnswer::Done(outcome)) => done.push((*mobile_id, outcome)),
                Ok(CarrierAnswer::NotYet(day)) => {
                    debug_assert_eq!(req.connection_type, ConnectionType::Port);
                    wait_until = Some(wait_until.map_or(day, |w| w.min(day)));
                }
                Err(f) => fault = Some(f.0),
            }
        }
        // Applied even when empty: the order shows InProgress from the
        // network's first answer (a port waiting for its date, say).
        let Some(_) = self.store.apply_outcomes(&actor, &view, &done).await? else {
            self.store.complete_job(job.id, &self.config.id).await?;
            return Ok(Handled::Completed);
        };
        if let Some(error) = fault {
            let fate = self
                .store
                .fail_job(job, &self.config.id, &error, self.now_ms())
                .await?;
            if fate == Fate::Dead {
                // Out of attempts: what is still pending is refused.
                let left: Vec<(i64, Outcome)> = requests
                    .iter()
                    .filter(|(id, _, _)| !done.iter().any(|(d, _)| d == id))
                    .map(|(id, _, _)| {
                        (
                            *id,
                            Outcome::Rejected {
                                reason: format!(
                                    "the network could not be reached after {} attempts: {error}",
                                    job.attempts
                                ),
                            },
                        )
                    })
                    .collect();
                // Read again: the first application changed the order.
                if let Some(view) = self.store.provisioning_view(order_id).await? {
                    self.store.apply_outcomes(&actor, &view, &left).await?;
                }
            }
            return Ok(fate_to_handled(fate));
        }
        if let Some(day) = wait_until {
            let at = day.and_time(NaiveTime::MIN).and_utc().timestamp_millis();
            self.store.defer_job(job.id, &self.config.id, at).await?;
            return Ok(Handled::Deferred(at));
        }
        self.store.complete_job(job.id, &self.config.id).await?;
        Ok(Handled::Completed)
    }
}

fn fate_to_handled(fate: Fate) -> Handled {
    match fate {
        Fate::Retry(at) => Handled::Retrying(at),
        Fate::Dead => Handled::Dead,
        Fate::LeaseLost => Handled::Completed,
    }
}
