//! The durable job queue: jobs are rows, claimed atomically with a lease
//! (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: its single writer makes
//! the claim statement atomic), retried with exponential backoff up to a
//! cap, and left `dead` with the last error when attempts run out. A job
//! whose worker died is claimed again once its lease has expired. Each job
//! has a unique idempotency key, so enqueueing twice makes one job.

use crate::{args, Jobs, Result};
use domain::status::JobState;

/// A claimed job.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub attempts: i64,
    pub max_attempts: i64,
    pub idempotency_key: String,
}

/// A job as stored, for monitoring and tests.
#[derive(Debug, Clone, sqlx::FromRow, store::DirectRow)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    #[sqlx(try_from = "String")]
    pub state: JobState,
    pub attempts: i64,
    pub max_attempts: i64,
    pub run_at_ms: i64,
    pub locked_by: Option<String>,
    pub last_error: Option<String>,
    pub idempotency_key: String,
}

/// The queue by kind and state, for monitoring.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, store::DirectRow)]
pub struct JobStats {
    pub kind: String,
    #[sqlx(try_from = "String")]
    pub state: JobState,
    pub jobs: i64,
    /// Attempts that failed, over these jobs.
    pub failed_attempts: i64,
    /// The earliest due time (epoch ms) among them that has passed: how
    /// long the oldest job ready to run has waited.
    pub oldest_due_ms: Option<i64>,
}

/// What became of a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fate {
    /// Queued again to run at this time (epoch ms).
    Retry(i64),
    /// Out of attempts: left dead with the error.
    Dead,
    /// The lease had passed to another worker: nothing recorded.
    LeaseLost,
}

/// Attempts before a job is dead.
pub const DEFAULT_MAX_ATTEMPTS: i64 = 8;
/// First retry delay; doubles each attempt up to [`MAX_BACKOFF_MS`].
pub const BASE_BACKOFF_MS: i64 = 1_000;
pub const MAX_BACKOFF_MS: i64 = 5 * 60 * 1_000;

/// Delay before the next try after `attempts` failed attempts.
pub fn backoff_ms(attempts: i64) -> i64 {
    let exp = attempts.clamp(1, 20) - 1;
    BASE_BACKOFF_MS.saturating_mul(1 << exp).min(MAX_BACKOFF_MS)
}

/// The insert every enqueue runs.
const INSERT_JOB_SQL: &str = "INSERT INTO jobs (kind, payload, state, attempts, max_attempts, run_at_ms, idempotency_key, created_at, updated_at) \
     VALUES ($1, $2, 'queued', 0, $3, $4, $5, $6, $6) ON CONFLICT (idempotency_key) DO NOTHING";

/// A kind of background job: its name in the queue, its payload type,
/// its idempotency key and its retry policy (after crates.io's
/// `BackgroundJob`). Enqueue with [`enqueue`]; the worker reads a claimed
/// job's payload back with [`Job::payload`].
pub trait BackgroundJob: serde::Serialize + serde::de::DeserializeOwned {
    /// The job's kind, as stored.
    const KIND: &'static str;
    /// Attempts before the job is left dead.
    const MAX_ATTEMPTS: i64 = DEFAULT_MAX_ATTEMPTS;
    /// The key that makes enqueueing twice make one job.
    fn key(&self, run_at_ms: i64) -> String;
}

/// Provision a submitted order's mobiles through the networks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionOrder {
    pub order_id: i64,
}

impl BackgroundJob for ProvisionOrder {
    const KIND: &'static str = "provision_order";
    fn key(&self, run_at_ms: i64) -> String {
        format!("provision-order-{}-{run_at_ms}", self.order_id)
    }
}

/// Carry out a change to a live connection (a request object).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionRequest {
    pub request_id: i64,
}

impl BackgroundJob for ConnectionRequest {
    const KIND: &'static str = "connection_request";
    fn key(&self, _run_at_ms: i64) -> String {
        format!("request-{}", self.request_id)
    }
}

/// Look again at a connection's usage bar when a billing period starts
/// (the bar placed in the period before is lifted then).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewUsageBar {
    pub connection_id: i64,
}

impl BackgroundJob for ReviewUsageBar {
    const KIND: &'static str = "review_usage_bar";
    fn key(&self, run_at_ms: i64) -> String {
        format!("usage-bar-{}-{run_at_ms}", self.connection_id)
    }
}

/// Send one attempt of a webhook delivery.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliverWebhook {
    pub delivery_id: i64,
    /// The attempt this job makes (1 for the first).
    pub attempt: i64,
}

impl BackgroundJob for DeliverWebhook {
    /// The schedule is the delivery's own (`domain::webhook`): the job
    /// is done once the endpoint answered (or did not), and a failure
    /// queues the next attempt as a new job; only our own faults (the
    /// database) retry the job itself.
    const MAX_ATTEMPTS: i64 = 3;
    const KIND: &'static str = "deliver_webhook";
    fn key(&self, _run_at_ms: i64) -> String {
        format!("webhook-{}-{}", self.delivery_id, self.attempt)
    }
}

/// Carry out an order on a corporate agreement through the B2B network.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgreementOrder {
    pub order_id: i64,
}

impl BackgroundJob for AgreementOrder {
    const KIND: &'static str = "agreement_order";
    fn key(&self, _run_at_ms: i64) -> String {
        format!("agreement-order-{}", self.order_id)
    }
}

/// Enqueues `job` to run at `run_at_ms` inside the caller's transaction; a
/// key already queued is a no-op.
pub async fn enqueue<J: BackgroundJob>(
    tx: &mut crate::tx::Tx,
    now: chrono::DateTime<chrono::Utc>,
    job: &J,
    run_at_ms: i64,
) -> Result<()> {
    let payload = serde_json::to_string(job).expect("a job's payload serialises");
    let key = job.key(run_at_ms);
    insert(tx, now, J::KIND, payload, J::MAX_ATTEMPTS, run_at_ms, &key).await
}

/// Inserts a queued job; a key already queued is a no-op.
async fn insert(
    tx: &mut crate::tx::Tx,
    now: chrono::DateTime<chrono::Utc>,
    kind: &str,
    payload: String,
    max_attempts: i64,
    run_at_ms: i64,
    key: &str,
) -> Result<()> {
    let values = crate::args![kind, payload, max_attempts, run_at_ms, key, now];
    tx.execute(INSERT_JOB_SQL, values).await?;
    Ok(())
}

impl Job {
    /// The payload as `J`: `None` when the job is of another kind, an
    /// error when its payload does not read as `J`.
    pub fn payload<J: BackgroundJob>(&self) -> Option<Result<J, serde_json::Error>> {
        (self.kind == J::KIND).then(|| serde_json::from_str(&self.payload))
    }
}

/// The next due job: a queued one whose time has come, or a running one
/// whose lease has expired; each branch walks the `(state, run_at_ms)`
/// index rather than the whole table.
// PostgreSQL: the due conditions stand on the locked row itself, so that
// after `FOR UPDATE SKIP LOCKED` waits out another claim, its recheck sees
// the row is no longer due. (An `IN (subquery)` over jobs is not rechecked
// and double-claims: the racing test catches it.)
const CLAIM_POSTGRES: &str = "UPDATE jobs SET state = 'running', locked_by = $1, locked_until_ms = $2, attempts = attempts + 1, updated_at = $4 \
    WHERE id = (SELECT id FROM jobs WHERE (state = 'queued' AND run_at_ms <= $3) OR (state = 'running' AND locked_until_ms < $3) \
    ORDER BY run_at_ms, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
    RETURNING id, kind, payload, attempts, max_attempts, idempotency_key";

/// Claims up to `$5` due jobs at once (see the single-job forms above).
/// Each arm takes only its first `limit` rows (by the `jobs_due` index for
/// the queue), so a claim costs the same whether ten jobs wait or ten
/// thousand.
const CLAIM_MANY_SQLITE: &str = "UPDATE jobs SET state = 'running', locked_by = $1, locked_until_ms = $2, attempts = attempts + 1, updated_at = $4 \
    WHERE id IN (SELECT id FROM ( \
      SELECT * FROM (SELECT id, run_at_ms AS due FROM jobs WHERE state = 'queued' AND run_at_ms <= $3 ORDER BY run_at_ms, id LIMIT $5) \
      UNION ALL \
      SELECT * FROM (SELECT id, locked_until_ms AS due FROM jobs WHERE state = 'running' AND locked_until_ms < $3 ORDER BY locked_until_ms, id LIMIT $5) \
    ) AS d ORDER BY due, id LIMIT $5) \
    RETURNING id, kind, payload, attempts, max_attempts, idempotency_key";
const CLAIM_MANY_POSTGRES: &str = "UPDATE jobs SET state = 'running', locked_by = $1, locked_until_ms = $2, attempts = attempts + 1, updated_at = $4 \
    WHERE id IN (SELECT id FROM jobs WHERE (state = 'queued' AND run_at_ms <= $3) OR (state = 'running' AND locked_until_ms < $3) \
    ORDER BY run_at_ms, id LIMIT $5 FOR UPDATE SKIP LOCKED) \
    RETURNING id, kind, payload, attempts, max_attempts, idempotency_key";

const JOB_COLS: &str =
    "id, kind, state, attempts, max_attempts, run_at_ms, locked_by, last_error, idempotency_key";

impl Jobs<'_> {
    /// The queue by kind and state as of `now_ms`: how many jobs, their
    /// failed attempts, and the oldest due time that has passed.
    pub async fn stats(&self, now_ms: i64) -> Result<Vec<JobStats>> {
        self.read_all(
            "SELECT kind, state, COUNT(*) AS jobs, \
             CAST(COALESCE(SUM(CASE WHEN state = 'dead' OR state = 'queued' THEN attempts ELSE attempts - 1 END), 0) AS BIGINT) AS failed_attempts, \
             MIN(CASE WHEN run_at_ms <= $1 THEN run_at_ms END) AS oldest_due_ms \
             FROM jobs GROUP BY kind, state ORDER BY kind, state",
            args![now_ms],
        )
        .await
    }

    /// Enqueues a job of any kind to run at `run_at_ms` in a transaction of
    /// its own; a key already queued is a no-op. (The platform's own jobs
    /// are [`BackgroundJob`]s enqueued with [`enqueue`] in the transaction
    /// of the change that calls for them.)
    pub async fn enqueue(
        &self,
        kind: &str,
        payload: &serde_json::Value,
        run_at_ms: i64,
        key: &str,
    ) -> Result<()> {
        let now = self.now();
        self.write(async |tx| {
            let payload = payload.to_string();
            insert(tx, now, kind, payload, DEFAULT_MAX_ATTEMPTS, run_at_ms, key).await
        })
        .await?;
        Ok(())
    }

    /// Claims the next due job (or one whose lease expired) for `worker`,
    /// leased until `now_ms + lease_ms`.
    pub async fn claim_job(&self, worker: &str, now_ms: i64, lease_ms: i64) -> Result<Option<Job>> {
        let now = self.now();
        self.write(async |tx| {
            if tx.is_postgres() {
                let claim = args![worker, now_ms + lease_ms, now_ms, now];
                return tx.fetch_optional(CLAIM_POSTGRES, claim).await;
            }
            let claim = args![worker, now_ms + lease_ms, now_ms, now, 1];
            let mut jobs: Vec<Job> = tx.fetch_all(CLAIM_MANY_SQLITE, claim).await?;
            Ok(jobs.pop())
        })
        .await
    }

    /// Claims up to `limit` due jobs for `worker` in one statement, oldest
    /// first.
    pub async fn claim_jobs(
        &self,
        worker: &str,
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    ) -> Result<Vec<Job>> {
        let now = self.now();
        let mut jobs: Vec<Job> = self
            .write(async |tx| {
                let sql = if tx.is_postgres() { CLAIM_MANY_POSTGRES } else { CLAIM_MANY_SQLITE };
                tx.fetch_all(sql, args![worker, now_ms + lease_ms, now_ms, now, limit]).await
            })
            .await?;
        jobs.sort_by_key(|j| j.id);
        Ok(jobs)
    }

    /// Marks jobs done, those `worker` still holds. Answers how many.
    pub async fn complete_jobs(&self, ids: &[i64], worker: &str) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let now = self.now();
        let sql = format!("UPDATE jobs SET state = 'done', locked_by = NULL, locked_until_ms = NULL, updated_at = $1 WHERE locked_by = $2 AND state = 'running' AND id IN ({})", crate::in_list(3, ids.len()));
        let mut a = args![now, worker];
        a.extend(crate::tx::ids(ids));
        self.write(async |tx| tx.execute(&sql, a).await).await
    }

    /// Marks a job done, if `worker` still holds it. Answers whether it did.
    pub async fn complete_job(&self, id: i64, worker: &str) -> Result<bool> {
        self.complete_jobs(&[id], worker).await.map(|n| n == 1)
    }

    /// Records a failed attempt: queued again after the backoff, or dead
    /// when attempts have run out.
    pub async fn fail_job(
        &self,
        job: &Job,
        worker: &str,
        error: &str,
        now_ms: i64,
    ) -> Result<Fate> {
        let now = self.now();
        let (state, run_at, fate) = if job.attempts >= job.max_attempts {
            (JobState::Dead, now_ms, Fate::Dead)
        } else {
            let at = now_ms + backoff_ms(job.attempts);
            (JobState::Queued, at, Fate::Retry(at))
        };
        let n = self
            .write(async |tx| {
                tx.execute(
                    "UPDATE jobs SET state = $1, run_at_ms = $2, last_error = $3, locked_by = NULL, locked_until_ms = NULL, updated_at = $4 \
                     WHERE id = $5 AND locked_by = $6 AND state = 'running'",
                    args![state, run_at, error, now, job.id, worker],
                )
                .await
            })
            .await?;
        Ok(if n == 1 { fate } else { Fate::LeaseLost })
    }

    /// Puts a job back to wait until `run_at_ms` (e.g. a port date) without
    /// counting the attempt as a failure.
    pub async fn defer_job(&self, id: i64, worker: &str, run_at_ms: i64) -> Result<bool> {
        let now = self.now();
        let n = self
            .write(async |tx| {
                tx.execute(
                    "UPDATE jobs SET state = 'queued', run_at_ms = $1, attempts = attempts - 1, locked_by = NULL, locked_until_ms = NULL, updated_at = $2 \
                     WHERE id = $3 AND locked_by = $4 AND state = 'running'",
                    args![run_at_ms, now, id, worker],
                )
                .await
            })
            .await?;
        Ok(n == 1)
    }

    /// A job by its idempotency key.
    pub async fn job_by_key(&self, key: &str) -> Result<Option<JobRow>> {
        self.read_optional::<JobRow>(
            &format!("SELECT {JOB_COLS} FROM jobs WHERE idempotency_key = $1"),
            args![key],
        )
        .await
    }

    /// Jobs in a state (`queued`, `running`, `done`, `dead`), oldest first.
    pub async fn jobs_in_state(&self, state: &str) -> Result<Vec<JobRow>> {
        self.read_all::<JobRow>(
            &format!("SELECT {JOB_COLS} FROM jobs WHERE state = $1 ORDER BY id"),
            args![state],
        )
        .await
    }

    /// When the next queued job is due (epoch ms), if any.
    pub async fn next_job_due(&self) -> Result<Option<i64>> {
        let (due,): (Option<i64>,) = self
            .read_one("SELECT MIN(run_at_ms) FROM jobs WHERE state = 'queued'", args![])
            .await?;
        Ok(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_cap() {
        assert_eq!(backoff_ms(1), 1_000);
        assert_eq!(backoff_ms(2), 2_000);
        assert_eq!(backoff_ms(4), 8_000);
        assert_eq!(backoff_ms(12), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(1_000), MAX_BACKOFF_MS);
    }

    fn job(kind: &str, payload: &str) -> Job {
        Job {
            id: 1,
            kind: kind.into(),
            payload: payload.into(),
            attempts: 1,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            idempotency_key: "k".into(),
        }
    }

    #[test]
    fn typed_payloads_read_back_by_kind() {
        let p = serde_json::to_string(&ProvisionOrder { order_id: 7 }).unwrap();
        assert_eq!(p, r#"{"orderId":7}"#, "the stored shape is unchanged");
        let j = job(ProvisionOrder::KIND, &p);
        assert_eq!(j.payload::<ProvisionOrder>().unwrap().unwrap().order_id, 7);
        assert!(j.payload::<ConnectionRequest>().is_none(), "another kind");
        assert!(job(ProvisionOrder::KIND, r#"{"orderId":"x"}"#)
            .payload::<ProvisionOrder>()
            .unwrap()
            .is_err());
        assert_eq!(ProvisionOrder { order_id: 7 }.key(99), "provision-order-7-99");
        assert_eq!(ConnectionRequest { request_id: 800001 }.key(0), "request-800001");
    }
}
