//! Idempotency keys on POSTs that create things: the same key and body
//! answer the first response again; the same key with another body is a
//! conflict. Keys are scoped to the caller (actor).
//!
//! The key is claimed, and its answer saved, inside the transaction of the
//! work it guards (as zero2prod does): a crash before the commit leaves no
//! trace of either, so a retry does the work once; a crash after it leaves
//! the whole answer to replay. A second request with the same key waits on
//! the first one's row (PostgreSQL's unique index; SQLite's one writer)
//! and then replays its answer.

use crate::tx::Tx;
use crate::{args, Idempotency, Result};
use chrono::{DateTime, Utc};

/// What a claim on a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new (or an abandoned claim was taken over): carry out the
    /// request in this transaction, then [`save`] its answer.
    New,
    /// The same request was answered before: answer this again.
    Replay { status: u16, body: String },
    /// The key was used with another request body.
    Mismatch,
    /// Another request with this key, claimed by a server of an older
    /// version outside its transaction, is younger than the claim lifetime.
    InFlight,
}

/// How long a claim without an answer (written by an older version, which
/// claimed keys outside the work's transaction) holds its key before a
/// retry may take it over.
pub const CLAIM_LIFETIME: chrono::Duration = chrono::Duration::seconds(60);

/// Claims `key` for a request whose body hashes to `request_hash`, inside
/// the transaction that will do the work.
pub async fn claim(
    tx: &mut Tx,
    actor: &str,
    key: &str,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<Claim> {
    // A new key is inserted; a claim abandoned without an answer for longer
    // than its lifetime is taken over. Either way the row is now ours.
    let taken = tx
        .execute(
            "INSERT INTO idempotency_keys (actor, key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (actor, key) DO UPDATE SET request_hash = excluded.request_hash, created_at = excluded.created_at \
             WHERE idempotency_keys.status IS NULL AND idempotency_keys.created_at < $5",
            args![actor, key, request_hash, now, now - CLAIM_LIFETIME],
        )
        .await?;
    if taken == 1 {
        return Ok(Claim::New);
    }
    let (hash, status, body): (String, Option<i64>, Option<String>) = tx
        .fetch_one(
            "SELECT request_hash, status, body FROM idempotency_keys WHERE actor = $1 AND key = $2",
            args![actor, key],
        )
        .await?;
    Ok(if hash != request_hash {
        Claim::Mismatch
    } else {
        match (status, body) {
            (Some(s), Some(b)) => {
                Claim::Replay { status: u16::try_from(s).unwrap_or(500), body: b }
            }
            _ => Claim::InFlight,
        }
    })
}

/// Records the answer to a key claimed in this transaction.
pub async fn save(tx: &mut Tx, actor: &str, key: &str, status: u16, body: &str) -> Result<()> {
    tx.execute(
        "UPDATE idempotency_keys SET status = $1, body = $2 WHERE actor = $3 AND key = $4",
        args![i64::from(status), body, actor, key],
    )
    .await?;
    Ok(())
}

impl Idempotency<'_> {
    /// Records a refusal (a 4xx that retrying would not change) under a
    /// key whose work was rolled back, so the same request gets the same
    /// answer. A key answered meanwhile by another request keeps its
    /// answer.
    pub async fn save_refusal(
        &self,
        actor: &str,
        key: &str,
        request_hash: &str,
        status: u16,
        body: &str,
    ) -> Result<()> {
        self.write(async |tx| {
            tx.execute(
                "INSERT INTO idempotency_keys (actor, key, request_hash, status, body, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (actor, key) DO NOTHING",
                args![actor, key, request_hash, i64::from(status), body, self.now()],
            )
            .await
        })
        .await?;
        Ok(())
    }
}
