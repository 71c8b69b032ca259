//! The simulated networks' own memory: what each provisioned, by the
//! idempotency key of the call, so a retried call answers the first result
//! and never provisions twice — across restarts too, since it is stored.

use crate::{args, Arg, CarrierOps, Result, StoreError};
use domain::Network;

impl CarrierOps<'_> {
    /// The recorded outcome of a carrier call, if it was made before.
    pub async fn carrier_operation(&self, key: &str) -> Result<Option<String>> {
        let found: Option<(String,)> = self
            .read_optional(
                "SELECT outcome FROM carrier_operations WHERE idempotency_key = $1",
                args![key],
            )
            .await?;
        Ok(found.map(|(outcome,)| outcome))
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
        let call = (key.to_owned(), operation.to_owned(), outcome.to_owned());
        let mut stored = self.record_carrier_operations(network, &[call]).await?;
        stored
            .remove(key)
            .ok_or_else(|| StoreError::Corrupt(format!("no outcome stored under {key:?}")))
    }

    /// Records several calls' outcomes in one statement (the first answer
    /// of a key stands); answers the outcome stored under each key.
    pub async fn record_carrier_operations(
        &self,
        network: Network,
        calls: &[(String, String, String)],
    ) -> Result<std::collections::HashMap<String, String>> {
        let now = self.now();
        self.write(async |tx| {
            let mut stored = std::collections::HashMap::with_capacity(calls.len());
            for chunk in calls.chunks(300) {
                let rows: Vec<String> = (0..chunk.len())
                    .map(|i| format!("(${}, $1, ${}, ${}, $2)", 3 + i * 3, 4 + i * 3, 5 + i * 3))
                    .collect();
                let sql = format!(
                    "INSERT INTO carrier_operations (idempotency_key, network, operation, outcome, created_at) VALUES {} \
                     ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key, outcome",
                    rows.join(", ")
                );
                let mut a = args![network.as_str(), now];
                for (key, op, outcome) in chunk {
                    a.extend(args![key, op, outcome]);
                }
                let ours: Vec<(String, String)> = tx.fetch_all(&sql, a).await?;
                stored.extend(ours);
                // Keys another call recorded first: their answers stand.
                let missing: Vec<Arg> = chunk
                    .iter()
                    .map(|c| &c.0)
                    .filter(|k| !stored.contains_key(*k))
                    .map(Arg::from)
                    .collect();
                if !missing.is_empty() {
                    let sql = format!(
                        "SELECT idempotency_key, outcome FROM carrier_operations WHERE idempotency_key IN ({})",
                        crate::in_list(1, missing.len())
                    );
                    let theirs: Vec<(String, String)> = tx.fetch_all(&sql, missing).await?;
                    stored.extend(theirs);
                }
            }
            Ok(stored)
        })
        .await
    }

    /// How many calls the networks have recorded (tests and monitoring).
    pub async fn count_carrier_operations(&self) -> Result<i64> {
        self.read_number("SELECT COUNT(*) FROM carrier_operations", args![]).await
    }

    /// A network assigns one of its own numbers (EE: the number comes with
    /// the SIM): takes the lowest free number of its pool.
    pub async fn network_assign_number(&self, network: Network) -> Result<Option<String>> {
        let now = self.now();
        self.write(async |tx| {
            // PostgreSQL: skip numbers other transactions are taking.
            let lock = if tx.is_postgres() { " FOR UPDATE SKIP LOCKED" } else { "" };
            let got: Option<(String,)> = tx
                .fetch_optional(
                    &format!(
                        "UPDATE number_pool SET status = 'reserved', updated_at = $1 \
                         WHERE cli = (SELECT cli FROM number_pool WHERE network = $2 AND status = 'free' ORDER BY cli LIMIT 1{lock}) AND status = 'free' RETURNING cli"
                    ),
                    args![now, network.as_str()],
                )
                .await?;
            Ok(got.map(|(cli,)| cli))
        })
        .await
    }
}
