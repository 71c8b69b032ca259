//! Switchboard's use cases: each operation the platform offers, once. A use
//! case takes the caller ([`Principal`], whatever credential it came with)
//! and a typed command, checks scope and tenancy, asks `domain` to decide,
//! writes what was decided in one transaction (with its audit row and its
//! idempotency record) and returns a typed result or a typed [`Error`].
//! The API faces, the portal and the worker are adapters over it: parse,
//! call, render.

pub mod auth;
pub mod catalogue;
pub mod customers;
pub mod error;
pub mod isp;
pub mod keyed;
pub mod orders;
pub mod principal;
pub mod radius;
pub mod requests;
pub mod seal;
pub mod tasks;
pub mod work;

pub use error::{Error, Result};
pub use keyed::{Done, Key};
pub use principal::Principal;

/// The use cases over one store.
#[derive(Clone, Debug)]
pub struct App {
    pub store: store::Store,
    /// Seals the cleartext CHAP needs; none when no key is configured.
    pub sealer: Option<std::sync::Arc<seal::Sealer>>,
}

impl App {
    pub fn new(store: store::Store) -> App {
        App {
            store,
            sealer: None,
        }
    }

    /// The same use cases, sealing CHAP passwords with `sealer`.
    pub fn with_sealer(mut self, sealer: Option<std::sync::Arc<seal::Sealer>>) -> App {
        self.sealer = sealer;
        self
    }
}
