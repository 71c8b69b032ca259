//! Idempotency keys on POSTs that create things: the same key and body
//! answer the first response again; the same key with another body is a
//! conflict. Keys are scoped to the caller (actor).

use crate::{on_db, Result, Store};

/// What a claim on a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new: carry out the request, then [`Store::complete_idempotency`].
    New,
    /// The same request was answered before: answer this again.
    Replay { status: u16, body: String },
    /// The key was used with another request body.
    Mismatch,
    /// The first request with this key has not finished yet.
    InFlight,
}

impl Store {
    /// Claims `key` for a request whose body hashes to `request_hash`.
    pub async fn claim_idempotency(
        &self,
        actor: &str,
        key: &str,
        request_hash: &str,
    ) -> Result<Claim> {
        let now = self.now();
        let inserted = on_db!(self.writer(), p => sqlx::query(
            "INSERT INTO idempotency_keys (actor, key, request_hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (actor, key) DO NOTHING")
            .bind(actor).bind(key).bind(request_hash).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
        if inserted == 1 {
            return Ok(Claim::New);
        }
        let (hash, status, body): (String, Option<i64>, Option<String>) = on_db!(self.db(), p => sqlx::query_as(
            "SELECT request_hash, status, body FROM idempotency_keys WHERE actor = $1 AND key = $2")
            .bind(actor).bind(key).fetch_one(p).await)?;
        Ok(if hash != request_hash {
            Claim::Mismatch
        } else {
            match (status, body) {
                (Some(s), Some(b)) => Claim::Replay {
                    status: s as u16,
                    body: b,
                },
                _ => Claim::InFlight,
            }
        })
    }

    /// Records the answer to a claimed key.
    pub async fn complete_idempotency(
        &self,
        actor: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<()> {
        on_db!(self.writer(), p => sqlx::query("UPDATE idempotency_keys SET status = $1, body = $2 WHERE actor = $3 AND key = $4")
            .bind(i64::from(status)).bind(body).bind(actor).bind(key).execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Forgets a claimed key whose request failed on our side, so a retry
    /// with the same key is carried out afresh.
    pub async fn release_idempotency(&self, actor: &str, key: &str) -> Result<()> {
        on_db!(self.writer(), p => sqlx::query("DELETE FROM idempotency_keys WHERE actor = $1 AND key = $2 AND status IS NULL")
            .bind(actor).bind(key).execute(p).await.map(|_| ()))?;
        Ok(())
    }
}
