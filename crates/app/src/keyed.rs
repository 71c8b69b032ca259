//! Writes that may carry an idempotency key. The key is claimed, the work
//! done and its result saved in one transaction, so a crash at any point
//! leaves either nothing (a retry does the work once) or the whole result
//! (a retry gets it again). What is saved is the typed result, or the
//! typed refusal, not a face's rendering of it: every face replays it in
//! its own shape. Refusals that ask the client to retry are never saved.

use crate::{App, Error, Principal, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use store::idempotency::{self, Claim};
use store::Tx;

/// An `Idempotency-Key` sent with a command, and the hash of the request
/// it came with.
#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    pub key: &'a str,
    pub request_hash: &'a str,
}

/// What a keyed write answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Done<T> {
    /// Carried out now.
    Fresh(T),
    /// Carried out before, under the same key and request: its result.
    Replayed(T),
    /// Answered before by a version that saved the face's own answer.
    Legacy { status: u16, body: String },
}

impl<T> Done<T> {
    /// The result, however it was obtained; `None` for a legacy answer.
    pub fn value(self) -> Option<T> {
        match self {
            Done::Fresh(v) | Done::Replayed(v) => Some(v),
            Done::Legacy { .. } => None,
        }
    }
}

/// The `status` of a saved typed result, and of a saved typed refusal
/// (older versions saved HTTP statuses, 100 and up).
const SAVED_RESULT: u16 = 1;
const SAVED_REFUSAL: u16 = 2;

impl App {
    /// Runs `work` in one transaction, once per (caller, key) when a key is
    /// given: a repeated request gets the first result (or refusal) again;
    /// the same key with another request is a conflict.
    pub async fn keyed<T, F>(
        &self,
        who: &Principal,
        key: Option<Key<'_>>,
        work: F,
    ) -> Result<Done<T>>
    where
        T: Serialize + DeserializeOwned,
        F: AsyncFnOnce(&mut Tx) -> Result<T>,
    {
        // Whether the work ran (and so whether a refusal is its answer).
        let mut worked = false;
        let answer = self
            .store
            .write(async |tx| {
                if let Some(k) = key {
                    let claim =
                        idempotency::claim(tx, &who.actor, k.key, k.request_hash, self.store.now())
                            .await?;
                    match claim {
                        Claim::New => {}
                        // Nothing was written: committing is rolling back.
                        Claim::Replay { status, body } => return Ok(Answer::Saved(status, body)),
                        Claim::Mismatch => {
                            return Err(domain::Error::Conflict(format!(
                                "Idempotency-Key {:?} was already used with a different request body",
                                k.key
                            ))
                            .into())
                        }
                        Claim::InFlight => {
                            return Err(domain::Error::Busy(format!(
                                "a request with Idempotency-Key {:?} is still being processed; retry shortly",
                                k.key
                            ))
                            .into())
                        }
                    }
                }
                worked = true;
                let value = work(tx).await?;
                if let Some(k) = key {
                    let saved = serde_json::to_string(&value)
                        .map_err(|e| Error::Internal(format!("saving a result: {e}")))?;
                    idempotency::save(tx, &who.actor, k.key, SAVED_RESULT, &saved).await?;
                }
                Ok(Answer::Fresh(value))
            })
            .await;
        match answer {
            Ok(Answer::Fresh(value)) => Ok(Done::Fresh(value)),
            Ok(Answer::Saved(status, body)) => replay(status, body),
            Err(e) => {
                // The work was rolled back; a refusal that is the final
                // answer is saved under the key on its own.
                if let (Some(k), Error::Rule(refusal)) = (key, &e) {
                    if worked && !refusal.is_retryable() {
                        let saved = serde_json::to_string(refusal)
                            .map_err(|e| Error::Internal(format!("saving a refusal: {e}")))?;
                        self.store
                            .idempotency()
                            .save_refusal(&who.actor, k.key, k.request_hash, SAVED_REFUSAL, &saved)
                            .await?;
                    }
                }
                Err(e)
            }
        }
    }
}

/// What the transaction of a keyed write ends with.
enum Answer<T> {
    Fresh(T),
    Saved(u16, String),
}

/// The saved answer of a key, as this version answers it.
fn replay<T: DeserializeOwned>(status: u16, body: String) -> Result<Done<T>> {
    let corrupt =
        |e: serde_json::Error| Error::Internal(format!("a saved answer does not read back: {e}"));
    match status {
        SAVED_RESULT => Ok(Done::Replayed(serde_json::from_str(&body).map_err(corrupt)?)),
        SAVED_REFUSAL => Err(Error::Rule(serde_json::from_str(&body).map_err(corrupt)?)),
        _ => Ok(Done::Legacy { status, body }),
    }
}
