//! The simulated networks' own memory: what each provisioned, by the
//! idempotency key of the call, so a retried call answers the first result
//! and never provisions twice — across restarts too, since it is stored.

use crate::{on_db, Result, Store};
use domain::Network;

impl Store {
    /// The recorded outcome of a carrier call, if it was made before.
    pub async fn carrier_operation(&self, key: &str) -> Result<Option<String>> {
        Ok(
            on_db!(self.db(), p => sqlx::query_scalar("SELECT outcome FROM carrier_operations WHERE idempotency_key = $1")
            .bind(key).fetch_optional(p).await)?,
        )
    }

    /// Records a call's outcome once; answers the outcome stored under the
    /// key (the first one, if two raced).
    pub async fn record_carrier_operation(
        &self,
        key: &str,
        network: Network,
        operation: &str,
        outcome: &str,
    ) -> Result<String> {
        let now = self.now();
        let ours: Option<String> = on_db!(self.writer(), p => sqlx::query_scalar(
            "INSERT INTO carrier_operations (idempotency_key, network, operation, outcome, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (idempotency_key) DO NOTHING RETURNING outcome")
            .bind(key).bind(network.as_str()).bind(operation).bind(outcome).bind(now).fetch_optional(p).await)?;
        match ours {
            Some(o) => Ok(o),
            // Another call with this key recorded first: its answer stands.
            None => Ok(
                on_db!(self.db(), p => sqlx::query_scalar("SELECT outcome FROM carrier_operations WHERE idempotency_key = $1")
                .bind(key).fetch_one(p).await)?,
            ),
        }
    }

    /// Records several calls' outcomes in one statement (the first answer
    /// of a key stands); answers the outcome stored under each key.
    pub async fn record_carrier_operations(
        &self,
        network: Network,
        calls: &[(String, String, String)],
    ) -> Result<std::collections::HashMap<String, String>> {
        let now = self.now();
        let mut stored = std::collections::HashMap::with_capacity(calls.len());
        for chunk in calls.chunks(300) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| format!("(${}, $1, ${}, ${}, $2)", 3 + i * 3, 4 + i * 3, 5 + i * 3))
                .collect();
            let sql = format!(
                "INSERT INTO carrier_operations (idempotency_key, network, operation, outcome, created_at) VALUES {} \
                 ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key, outcome", rows.join(", "));
            let ours: Vec<(String, String)> = on_db!(self.writer(), p => {
                let mut q = sqlx::query_as(&sql).bind(network.as_str()).bind(now);
                for (key, op, outcome) in chunk {
                    q = q.bind(key).bind(op).bind(outcome);
                }
                q.fetch_all(p).await
            })?;
            stored.extend(ours);
            // Keys another call recorded first: their answers stand.
            let missing: Vec<&String> = chunk
                .iter()
                .map(|c| &c.0)
                .filter(|k| !stored.contains_key(*k))
                .collect();
            if !missing.is_empty() {
                let marks: Vec<String> = (1..=missing.len()).map(|i| format!("${i}")).collect();
                let sql = format!("SELECT idempotency_key, outcome FROM carrier_operations WHERE idempotency_key IN ({})", marks.join(", "));
                let theirs: Vec<(String, String)> = on_db!(self.db(), p => {
                    let mut q = sqlx::query_as(&sql);
                    for k in &missing {
                        q = q.bind(*k);
                    }
                    q.fetch_all(p).await
                })?;
                stored.extend(theirs);
            }
        }
        Ok(stored)
    }

    /// How many calls the networks have recorded (tests and monitoring).
    pub async fn count_carrier_operations(&self) -> Result<i64> {
        Ok(
            on_db!(self.db(), p => sqlx::query_scalar("SELECT COUNT(*) FROM carrier_operations").fetch_one(p).await)?,
        )
    }

    /// A network assigns one of its own numbers (EE: the number comes with
    /// the SIM): takes the lowest free number of its pool.
    pub async fn network_assign_number(&self, network: Network) -> Result<Option<String>> {
        let now = self.now();
        for _ in 0..5 {
            let got: Option<String> = on_db!(self.writer(), p => sqlx::query_scalar(
                "UPDATE number_pool SET status = 'reserved', updated_at = $1 WHERE cli = (SELECT cli FROM number_pool WHERE network = $2 AND status = 'free' ORDER BY cli LIMIT 1) AND status = 'free' RETURNING cli")
                .bind(now).bind(network.as_str()).fetch_optional(p).await)?;
            if got.is_some() {
                return Ok(got);
            }
            let free: i64 = on_db!(self.db(), p => sqlx::query_scalar("SELECT COUNT(*) FROM number_pool WHERE network = $1 AND status = 'free'").bind(network.as_str()).fetch_one(p).await)?;
            if free == 0 {
                break;
            }
        }
        Ok(None)
    }
}
