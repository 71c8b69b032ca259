//! The provisioning worker's use cases: claim due jobs, find what the
//! networks must be asked (an order's pending mobiles, a request's change),
//! record the networks' answers, and settle each job (done, deferred to a
//! day, retried with backoff, or given up with what is left refused). The
//! worker in `provisioning` is an adapter over these: it holds the carriers
//! and calls only this layer.

use crate::{App, Error, Result};
use chrono::{NaiveDate, NaiveTime};
use domain::request::Answer;
use domain::status::RequestStatus;
use domain::switching::CodeKind;
use domain::Network;
pub use store::jobs::{
    AgreementOrder, ConnectionRequest, DeliverWebhook, Fate, Job, ProvisionOrder, ReviewUsageBar,
};
pub use store::orders::{OrderMobileRow, OrderOutcomes, Outcome, ProvisioningView};
use store::requests;
use store::tasks::TicketOn;

/// A change the network must be asked to make for a Pending request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub request_id: i64,
    pub network: Network,
    pub cli: String,
    /// The request's kind (`AddBar`, `ChangeSim`, …).
    pub kind: String,
    /// What it is about: a bar's suffix or a bundle's name; empty otherwise.
    pub item: String,
}

/// The epoch milliseconds a job deferred to `day` runs at: its first instant.
pub fn start_of(day: NaiveDate) -> i64 {
    day.and_time(NaiveTime::MIN).and_utc().timestamp_millis()
}

impl App {
    /// Claims up to `limit` due jobs for `worker`, leased for `lease_ms`.
    pub async fn claim_jobs(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: usize,
    ) -> Result<Vec<Job>> {
        Ok(self.store.jobs().claim_jobs(worker, now_ms, lease_ms, limit.max(1) as i64).await?)
    }

    /// Records a failed attempt; answers whether the job will be retried.
    pub async fn job_failed(
        &self,
        job: &Job,
        worker: &str,
        why: &str,
        now_ms: i64,
    ) -> Result<Fate> {
        Ok(self.store.jobs().fail_job(job, worker, why, now_ms).await?)
    }

    /// Marks the jobs done.
    pub async fn jobs_done(&self, ids: &[i64], worker: &str) -> Result<()> {
        self.store.jobs().complete_jobs(ids, worker).await?;
        Ok(())
    }

    /// Puts the job back to run on `day`, without counting the attempt;
    /// answers when it will run (epoch ms).
    pub async fn job_deferred(&self, id: i64, worker: &str, day: NaiveDate) -> Result<i64> {
        let at = start_of(day);
        self.store.jobs().defer_job(id, worker, at).await?;
        Ok(at)
    }

    /// The change a request job must ask of the network, or `None` when
    /// there is nothing left to ask: the request is finished or gone, or
    /// its connection no longer takes changes (then the request is
    /// refused here, with the reason).
    pub async fn change_to_make(&self, actor: &str, request_id: i64) -> Result<Option<Change>> {
        let request =
            match self.store.requests().get_request(store::Visibility::All, request_id).await {
                Ok(r) if r.status == RequestStatus::Pending => r,
                Ok(_) | Err(store::StoreError::NotFound) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
        let conn = self
            .store
            .connections()
            .connection_by_id(store::Visibility::All, request.contract_id)
            .await?;
        if let Err(ended) = domain::request::check_takes_changes(conn.id, conn.status) {
            let reason = ended.to_string();
            self.finish_change(actor, request_id, &Outcome::Rejected { reason }).await?;
            return Ok(None);
        }
        let network = store::catalogue::parse_network(&conn.network)?;
        Ok(Some(Change {
            request_id,
            network,
            cli: conn.cli,
            item: request.item(),
            kind: request.kind,
        }))
    }

    /// Records the network's answer to a request (the connection changes
    /// with it when accepted), once: `false` when it was finished already.
    ///
    /// Accepted, a PAC or STAC request stores the code the network issued;
    /// any other change is applied to the connection by
    /// `domain::request::complete`, its row locked. Refused, the connection
    /// is left as it was and a ticket is raised on the customer
    /// (`domain::task::request_refused`). Either way the partner's webhooks
    /// hear of it, all in one transaction.
    pub async fn finish_change(
        &self,
        actor: &str,
        request_id: i64,
        outcome: &Outcome,
    ) -> Result<bool> {
        let now = self.store.now();
        let (status, reason) = match outcome {
            Outcome::Activated { .. } => (RequestStatus::Completed, None),
            Outcome::Rejected { reason } => (RequestStatus::Rejected, Some(reason.as_str())),
        };
        let unreadable = |e: String| Error::Internal(format!("request {request_id}: {e}"));
        self.store
            .write(async |tx| -> Result<bool> {
                let finished =
                    requests::finish_pending(tx, request_id, status, reason, now).await?;
                let Some(row) = finished else { return Ok(false) };
                let row = match outcome {
                    Outcome::Activated { network_reference, esim_activation_code, eid, .. } => {
                        match CodeKind::requested_by(&row.kind) {
                            Some(kind) => {
                                let (code, expires) =
                                    kind.issued(network_reference, now).map_err(unreadable)?;
                                requests::record_code(tx, actor, &row, kind, &code, expires, now)
                                    .await?
                            }
                            None if row.kind == "RequestInfo" => row,
                            None => {
                                let before =
                                    requests::lock_connection(tx, row.contract_id, now).await?;
                                let answer = Answer {
                                    esim_activation_code: esim_activation_code.as_deref(),
                                    eid: eid.as_deref(),
                                };
                                let done = domain::request::complete(
                                    &row.kind,
                                    &row.payload,
                                    before.extras.clone(),
                                    answer,
                                )
                                .map_err(unreadable)?;
                                requests::apply_completion(tx, actor, &row, &before, &done, now)
                                    .await?
                            }
                        }
                    }
                    Outcome::Rejected { .. } => {
                        let ticket =
                            domain::task::request_refused(row.id, &row.kind, row.reason.as_deref());
                        let on = TicketOn {
                            partner_id: row.partner_id,
                            customer_id: row.customer_id,
                            contract_id: Some(row.contract_id),
                            order_id: None,
                        };
                        store::tasks::raise(tx, now, &row.created_by, on, &ticket).await?;
                        row
                    }
                };
                requests::announce(tx, &row, now).await?;
                Ok(true)
            })
            .await
    }

    /// A request whose network could not be reached in `attempts` tries:
    /// it is refused with the reason.
    pub async fn change_given_up(
        &self,
        actor: &str,
        request_id: i64,
        attempts: i64,
        error: &str,
    ) -> Result<()> {
        let reason = domain::request::unreachable(attempts, error);
        self.finish_change(actor, request_id, &Outcome::Rejected { reason }).await?;
        Ok(())
    }

    /// The orders the jobs name, as the network will be asked about them;
    /// `None` for one with nothing left to provision (returned to draft,
    /// cancelled or finished). Answers in the order asked.
    pub async fn orders_to_provision(&self, ids: &[i64]) -> Result<Vec<Option<ProvisioningView>>> {
        Ok(self.store.orders().provisioning_views(ids).await?)
    }

    /// Records the networks' answers for several orders in one transaction
    /// (an order with no answer yet shows InProgress from the first word).
    pub async fn record_provisioning(
        &self,
        actor: &str,
        batch: &[OrderOutcomes<'_>],
    ) -> Result<()> {
        self.store.orders().apply_batch(actor, batch).await?;
        Ok(())
    }

    /// An order whose network could not be reached in `attempts` tries:
    /// each mobile still pending, but for those `answered` meanwhile, is
    /// refused with the reason.
    pub async fn provisioning_given_up(
        &self,
        actor: &str,
        order_id: i64,
        answered: &[i64],
        attempts: i64,
        error: &str,
    ) -> Result<()> {
        let Some(fresh) = self.store.orders().provisioning_view(order_id).await? else {
            return Ok(());
        };
        let reason = domain::request::unreachable(attempts, error);
        let left: Vec<(i64, Outcome)> = fresh
            .pending()
            .filter(|m| !answered.contains(&m.id))
            .map(|m| (m.id, Outcome::Rejected { reason: reason.clone() }))
            .collect();
        self.store.orders().apply_outcomes(actor, &fresh, &left).await?;
        Ok(())
    }
}
