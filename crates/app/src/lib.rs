//! Switchboard's use cases: each operation the platform offers, once. A use
//! case takes the caller ([`Principal`], whatever credential it came with)
//! and a typed command, checks scope and tenancy, asks `domain` to decide,
//! writes what was decided in one transaction (with its audit row and its
//! idempotency record) and returns a typed result or a typed [`Error`].
//! The API faces, the portal and the worker are adapters over it: parse,
//! call, render.

pub mod admin;
pub mod agreements;
pub mod alerting;
pub mod auth;
pub mod catalogue;
pub mod customers;
pub mod error;
pub mod isp;
pub mod keyed;
pub mod listing;
pub mod orders;
pub mod portal;
pub mod principal;
pub mod radius;
pub mod requests;
pub mod seal;
pub mod tasks;
pub mod usage;
pub mod usage_format;
pub mod webhooks;
pub mod work;

pub use error::{Error, Result};
pub use keyed::{Done, Key};
pub use principal::Principal;

/// The use cases over one store.
#[derive(Clone, Debug)]
pub struct App {
    pub store: store::Store,
    /// Seals subscribers' passwords (CHAP needs the cleartext; PAP checks
    /// against it fast); none when no key is configured.
    pub sealer: Option<std::sync::Arc<seal::Sealer>>,
    /// Turns at an Argon2 check: one per core, so a login storm's memory
    /// stays flat (each check holds 19 MiB) and its CPU does not starve
    /// every other request.
    pub argon2: Turns,
    /// Webhook endpoints may be loopback or private addresses (tests, and
    /// partners inside the operator's own network).
    pub webhooks_allow_private: bool,
}

/// Blocking work run off the async threads, at most so many at once; the
/// rest wait their turn.
#[derive(Clone, Debug)]
pub struct Turns(std::sync::Arc<tokio::sync::Semaphore>);

impl Turns {
    pub fn new(at_once: usize) -> Turns {
        Turns(std::sync::Arc::new(tokio::sync::Semaphore::new(at_once)))
    }

    /// Runs `work` on a blocking thread once a turn is free.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let _turn = self
            .0
            .acquire()
            .await
            .map_err(|e| Error::Internal(format!("the password checks are closed: {e}")))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| Error::Internal(format!("an Argon2 task panicked: {e}")))
    }
}

impl App {
    pub fn new(store: store::Store) -> App {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        App { store, sealer: None, argon2: Turns::new(cores), webhooks_allow_private: false }
    }

    /// Runs an Argon2 hash or check on a blocking thread, waiting for a
    /// turn: at most one per core at once.
    pub(crate) async fn with_argon2<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        self.argon2.run(work).await
    }

    /// The same use cases, letting webhooks go to private addresses or not.
    pub fn with_private_webhooks(mut self, allow: bool) -> App {
        self.webhooks_allow_private = allow;
        self
    }

    /// The same use cases, sealing passwords with `sealer`.
    pub fn with_sealer(mut self, sealer: Option<std::sync::Arc<seal::Sealer>>) -> App {
        self.sealer = sealer;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_than_the_turns_run_at_once() {
        let turns = Turns::new(2);
        let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let runs: Vec<_> = (0..12)
            .map(|_| {
                let (turns, now, most) = (turns.clone(), now.clone(), most.clone());
                tokio::spawn(async move {
                    turns
                        .run(move || {
                            let running = now.fetch_add(1, Ordering::SeqCst) + 1;
                            most.fetch_max(running, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(20));
                            now.fetch_sub(1, Ordering::SeqCst);
                        })
                        .await
                })
            })
            .collect();
        for r in runs {
            r.await.unwrap().unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2, "two at once, never more");
    }
}
