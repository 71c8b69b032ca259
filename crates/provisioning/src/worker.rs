//! The provisioning worker: claims due jobs from the queue in batches (a
//! lease expires if the worker dies, and another worker picks the job up),
//! drives every pending mobile of the batch's orders through its network's
//! carrier at once, applies all the answers in one transaction, and
//! completes, defers (a port waits for its date), retries with backoff or,
//! out of attempts, refuses what is left. Carrier calls carry the key `order-mobile-{id}`, and applying an
//! answer is guarded by the mobile still being pending, so a job that runs
//! twice provisions and records everything once.

use crate::carrier::{Carrier, CarrierAnswer, ChangeRequest, ProvisionRequest};
use crate::clock::Clock;
use crate::simulated::{SimConfig, SimulatedNetwork};
use app::work::{
    AgreementOrder, ConnectionRequest, DeliverWebhook, Fate, Job, OrderOutcomes, Outcome,
    ProvisionOrder, ReviewUsageBar,
};
use app::{App, Result};
use chrono::NaiveDate;
use domain::ordering::ConnectionType;
use domain::Network;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use store::Store;

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Name in job leases and audit rows.
    pub id: String,
    /// How long a claimed job is ours before another worker may take it.
    pub lease: Duration,
    /// How long to wait when no job is due.
    pub poll: Duration,
    /// Lanes claiming jobs at once.
    pub concurrency: usize,
    /// Jobs a lane claims and applies together, in one transaction.
    pub batch: usize,
    /// Deliver webhooks to loopback and private addresses (tests, and
    /// partners inside the operator's network).
    pub webhooks_allow_private: bool,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            id: format!("worker-{}", std::process::id()),
            lease: Duration::from_secs(60),
            poll: Duration::from_millis(200),
            concurrency: 2,
            batch: 16,
            webhooks_allow_private: false,
        }
    }
}

/// One network's share of a batch: where each call sits among all the
/// batch's calls, and the calls.
type NetworkBatch = (Vec<usize>, Vec<(String, ProvisionRequest)>);

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
    app: App,
    carriers: Arc<HashMap<Network, Arc<dyn Carrier>>>,
    clock: Arc<dyn Clock>,
    config: WorkerConfig,
    webhooks: crate::webhook::Sender,
    b2b: crate::b2b::SimulatedB2b,
}

impl Worker {
    pub fn new(
        store: Store,
        carriers: Vec<Arc<dyn Carrier>>,
        clock: Arc<dyn Clock>,
        config: WorkerConfig,
    ) -> Worker {
        Worker::with_b2b(store, carriers, clock, config, SimConfig::default())
    }

    /// A worker whose B2B network (corporate agreements' orders) behaves
    /// as `b2b` says.
    pub fn with_b2b(
        store: Store,
        carriers: Vec<Arc<dyn Carrier>>,
        clock: Arc<dyn Clock>,
        config: WorkerConfig,
        b2b: SimConfig,
    ) -> Worker {
        let carriers = carriers.into_iter().map(|c| (c.network(), c)).collect();
        Worker {
            app: App::new(store),
            carriers: Arc::new(carriers),
            clock,
            webhooks: crate::webhook::Sender::new(config.webhooks_allow_private),
            b2b: crate::b2b::SimulatedB2b::new(b2b),
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
        // The B2B network behaves as the first mobile network is told to.
        let b2b = configs.get(&Network::ALL[0]).copied().unwrap_or_default();
        Worker::with_b2b(store, carriers, clock, config, b2b)
    }

    fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// A job whose payload does not read as its kind's: counted as a
    /// failed attempt, with the reason, so it ends dead rather than looping.
    async fn unreadable(&self, job: &Job, e: serde_json::Error) -> Result<Handled> {
        let why = format!("the {} job's payload does not read: {e}", job.kind);
        Ok(fate_to_handled(self.app.job_failed(job, &self.config.id, &why, self.now_ms()).await?))
    }

    fn actor(&self) -> String {
        format!("worker:{}", self.config.id)
    }

    /// Claims and handles one due job; `None` when nothing is due.
    pub async fn run_once(&self) -> Result<Option<Handled>> {
        Ok(self.run_batch(1).await?.into_iter().next())
    }

    /// Claims up to `limit` due jobs and handles them together; answers
    /// what became of each (empty when nothing is due).
    pub async fn run_batch(&self, limit: usize) -> Result<Vec<Handled>> {
        let lease_ms = self.config.lease.as_millis() as i64;
        let jobs = self.app.claim_jobs(&self.config.id, self.now_ms(), lease_ms, limit).await?;
        let mut handled = Vec::with_capacity(jobs.len());
        let mut orders = Vec::with_capacity(jobs.len());
        let mut deliveries = Vec::new();
        for job in jobs {
            if let Some(d) = job.payload::<DeliverWebhook>() {
                match d {
                    Ok(d) => deliveries.push((job, d)),
                    Err(e) => handled.push(self.unreadable(&job, e).await?),
                }
            } else if let Some(order) = job.payload::<AgreementOrder>() {
                let h = match order {
                    Err(e) => self.unreadable(&job, e).await?,
                    Ok(o) => match self.agreement_order(&job, o.order_id).await {
                        Ok(h) => h,
                        Err(e) => self.settle(&job, Err(e)).await?,
                    },
                };
                handled.push(h);
            } else if let Some(review) = job.payload::<ReviewUsageBar>() {
                let h = match review {
                    Err(e) => self.unreadable(&job, e).await?,
                    Ok(r) => {
                        let done = self.app.review_usage_bar(r.connection_id).await;
                        self.settle(&job, done).await?
                    }
                };
                handled.push(h);
            } else if let Some(order) = job.payload::<ProvisionOrder>() {
                match order {
                    Ok(p) => orders.push((job, p.order_id)),
                    Err(e) => handled.push(self.unreadable(&job, e).await?),
                }
            } else if let Some(request) = job.payload::<ConnectionRequest>() {
                let h = match request {
                    Err(e) => self.unreadable(&job, e).await?,
                    Ok(p) => match self.change_connection(&job, p.request_id).await {
                        Ok(h) => h,
                        Err(e) => {
                            tracing::warn!(job = job.id, error = %e, "request job failed");
                            fate_to_handled(
                                self.app
                                    .job_failed(
                                        &job,
                                        &self.config.id,
                                        &e.to_string(),
                                        self.now_ms(),
                                    )
                                    .await?,
                            )
                        }
                    },
                };
                handled.push(h);
            } else {
                let why = format!("cannot handle a {:?} job", job.kind);
                handled.push(fate_to_handled(
                    self.app.job_failed(&job, &self.config.id, &why, self.now_ms()).await?,
                ));
            }
        }
        // Webhook attempts of the batch go out at once: one slow endpoint
        // holds back none of the others.
        let sent =
            futures_util::future::join_all(deliveries.iter().map(|(job, d)| self.deliver(job, d)))
                .await;
        for h in sent {
            handled.push(h?);
        }
        if orders.is_empty() {
            return Ok(handled);
        }
        match self.provision_orders(&orders).await {
            Ok(h) => handled.extend(h),
            Err(e) => {
                // A fault of ours (the database): every job of the batch is retried.
                tracing::warn!(jobs = orders.len(), error = %e, "provisioning batch failed");
                for (job, _) in &orders {
                    handled.push(fate_to_handled(
                        self.app
                            .job_failed(job, &self.config.id, &e.to_string(), self.now_ms())
                            .await?,
                    ));
                }
            }
        }
        Ok(handled)
    }

    /// Handles due jobs until none is left due now; answers how many.
    /// Tests call this instead of sleeping.
    pub async fn drain(&self) -> Result<usize> {
        let mut n = 0;
        loop {
            let done = self.run_batch(self.config.batch).await?.len();
            if done == 0 {
                return Ok(n);
            }
            n += done;
        }
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
                    let idle = match w.run_batch(w.config.batch).await {
                        Ok(h) if !h.is_empty() => false,
                        Ok(_) => true,
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

    /// Completes a job whose work is done, or records the failure.
    async fn settle(&self, job: &Job, done: Result<()>) -> Result<Handled> {
        match done {
            Ok(()) => {
                self.app.jobs_done(&[job.id], &self.config.id).await?;
                Ok(Handled::Completed)
            }
            Err(e) => {
                tracing::warn!(job = job.id, kind = %job.kind, error = %e, "job failed");
                Ok(fate_to_handled(
                    self.app
                        .job_failed(job, &self.config.id, &e.to_string(), self.now_ms())
                        .await?,
                ))
            }
        }
    }

    /// A webhook attempt: sign, send, record what came of it (the next
    /// attempt is queued by the use case when one is due).
    async fn deliver(&self, job: &Job, d: &DeliverWebhook) -> Result<Handled> {
        let done = async {
            let Some(out) = self.app.webhook_outgoing(d.delivery_id, d.attempt).await? else {
                return Ok(());
            };
            let sent = self.webhooks.send(&out).await;
            let next = self.app.webhook_sent(d.delivery_id, d.attempt, &out, &sent).await?;
            tracing::debug!(
                delivery = d.delivery_id,
                attempt = d.attempt,
                ?next,
                "webhook attempt"
            );
            Ok(())
        }
        .await;
        self.settle(job, done).await
    }

    /// An agreement order's job: move it in progress, ask the B2B network,
    /// finish it (or retry a fault; out of attempts, it fails).
    async fn agreement_order(&self, job: &Job, id: i64) -> Result<Handled> {
        let actor = self.actor();
        let Some(change) = self.app.agreement_order_to_run(&actor, id).await? else {
            self.app.jobs_done(&[job.id], &self.config.id).await?;
            return Ok(Handled::Completed);
        };
        let key = format!("agreement-order-{id}");
        match self.b2b.carry_out(&key, &change, job.attempts).await {
            Ok(refusal) => {
                self.app.agreement_order_finished(&actor, id, refusal.as_deref()).await?;
                self.app.jobs_done(&[job.id], &self.config.id).await?;
                Ok(Handled::Completed)
            }
            Err(fault) => {
                let fate =
                    self.app.job_failed(job, &self.config.id, &fault.0, self.now_ms()).await?;
                if fate == Fate::Dead {
                    let why = format!(
                        "the B2B network did not answer after {} attempts: {}",
                        job.attempts, fault.0
                    );
                    self.app.agreement_order_finished(&actor, id, Some(&why)).await?;
                }
                Ok(fate_to_handled(fate))
            }
        }
    }

    /// A request object's job: ask the network, then finish the request
    /// (changing the connection only when the network accepted).
    async fn change_connection(&self, job: &Job, request_id: i64) -> Result<Handled> {
        let actor = self.actor();
        let Some(change) = self.app.change_to_make(&actor, request_id).await? else {
            self.app.jobs_done(&[job.id], &self.config.id).await?;
            return Ok(Handled::Completed);
        };
        let req = ChangeRequest {
            network: change.network,
            cli: change.cli,
            kind: change.kind,
            item: change.item,
            today: self.clock.now().date_naive(),
            attempt: job.attempts,
        };
        let answer = match self.carriers.get(&change.network) {
            Some(c) => c.change(&format!("request-{request_id}"), &req).await,
            None => Ok(CarrierAnswer::Done(no_carrier(change.network))),
        };
        match answer {
            Ok(CarrierAnswer::Done(outcome)) => {
                self.app.finish_change(&actor, request_id, &outcome).await?;
                self.app.jobs_done(&[job.id], &self.config.id).await?;
                Ok(Handled::Completed)
            }
            Ok(CarrierAnswer::NotYet(day)) => {
                Ok(Handled::Deferred(self.app.job_deferred(job.id, &self.config.id, day).await?))
            }
            Err(fault) => {
                let fate =
                    self.app.job_failed(job, &self.config.id, &fault.0, self.now_ms()).await?;
                if fate == Fate::Dead {
                    self.app.change_given_up(&actor, request_id, job.attempts, &fault.0).await?;
                }
                Ok(fate_to_handled(fate))
            }
        }
    }

    async fn provision_orders(&self, jobs: &[(Job, i64)]) -> Result<Vec<Handled>> {
        let actor = self.actor();
        let today = self.clock.now().date_naive();
        let mut handled = Vec::with_capacity(jobs.len());
        let mut nothing_to_do = Vec::new();
        let mut work = Vec::new();
        let ids: Vec<i64> = jobs.iter().map(|(_, id)| *id).collect();
        for ((job, _), view) in jobs.iter().zip(self.app.orders_to_provision(&ids).await?) {
            match view {
                // Returned to draft, cancelled or finished: nothing to do.
                None => nothing_to_do.push(job.id),
                Some(view) => work.push((job, view)),
            }
        }
        let mut requests: Vec<(usize, i64, String, ProvisionRequest)> = Vec::new();
        for (i, (job, view)) in work.iter().enumerate() {
            for m in view.pending() {
                let req = m.request()?;
                requests.push((
                    i,
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
                ));
            }
        }
        // One batch per network, all networks at once.
        let mut by_network: HashMap<Network, NetworkBatch> = HashMap::new();
        for (n, (_, _, key, req)) in requests.iter().enumerate() {
            let e = by_network.entry(req.network).or_default();
            e.0.push(n);
            e.1.push((key.clone(), req.clone()));
        }
        let calls = by_network.iter().map(|(network, (_, batch))| async move {
            match self.carriers.get(network) {
                Some(c) => c.provision_many(batch).await,
                None => {
                    batch.iter().map(|_| Ok(CarrierAnswer::Done(no_carrier(*network)))).collect()
                }
            }
        });
        let per_network = futures_util::future::join_all(calls).await;
        let mut answers: Vec<Option<Result<CarrierAnswer, crate::carrier::CarrierFault>>> =
            vec![None; requests.len()];
        for ((_, (positions, _)), network_answers) in by_network.iter().zip(per_network) {
            for (n, a) in positions.iter().zip(network_answers) {
                answers[*n] = Some(a);
            }
        }
        let answers: Vec<Result<CarrierAnswer, crate::carrier::CarrierFault>> = answers
            .into_iter()
            .map(|a| {
                a.unwrap_or_else(|| {
                    Err(crate::carrier::CarrierFault("the network gave no answer".into()))
                })
            })
            .collect();
        let mut done: Vec<Vec<(i64, Outcome)>> = vec![Vec::new(); work.len()];
        let mut wait_until: Vec<Option<NaiveDate>> = vec![None; work.len()];
        let mut fault: Vec<Option<String>> = vec![None; work.len()];
        for ((i, mobile_id, _, req), answer) in requests.iter().zip(answers) {
            match answer {
                Ok(CarrierAnswer::Done(outcome)) => done[*i].push((*mobile_id, outcome)),
                Ok(CarrierAnswer::NotYet(day)) => {
                    debug_assert_eq!(req.connection_type, ConnectionType::Port);
                    wait_until[*i] = Some(wait_until[*i].map_or(day, |w| w.min(day)));
                }
                Err(f) => fault[*i] = Some(f.0),
            }
        }
        // Applied even for an order with no answer yet: it shows InProgress
        // from the network's first word (a port waiting for its date, say).
        let batch: Vec<OrderOutcomes> = work
            .iter()
            .zip(&done)
            .map(|((_, view), d)| OrderOutcomes { view, outcomes: d.clone() })
            .collect();
        self.app.record_provisioning(&actor, &batch).await?;
        let mut complete = nothing_to_do;
        for (i, (job, view)) in work.iter().enumerate() {
            if let Some(error) = &fault[i] {
                let fate = self.app.job_failed(job, &self.config.id, error, self.now_ms()).await?;
                if fate == Fate::Dead {
                    // Out of attempts: what is still pending is refused.
                    let answered: Vec<i64> = done[i].iter().map(|(id, _)| *id).collect();
                    self.app
                        .provisioning_given_up(
                            &actor,
                            view.order.id,
                            &answered,
                            job.attempts,
                            error,
                        )
                        .await?;
                }
                handled.push(fate_to_handled(fate));
            } else if let Some(day) = wait_until[i] {
                let at = self.app.job_deferred(job.id, &self.config.id, day).await?;
                handled.push(Handled::Deferred(at));
            } else {
                complete.push(job.id);
            }
        }
        let n = complete.len();
        self.app.jobs_done(&complete, &self.config.id).await?;
        handled.extend(std::iter::repeat_n(Handled::Completed, n));
        Ok(handled)
    }
}

/// The answer when no carrier serves a network.
fn no_carrier(network: Network) -> Outcome {
    Outcome::Rejected { reason: format!("no carrier configured for {network}") }
}

fn fate_to_handled(fate: Fate) -> Handled {
    match fate {
        Fate::Retry(at) => Handled::Retrying(at),
        Fate::Dead => Handled::Dead,
        Fate::LeaseLost => Handled::Completed,
    }
}
