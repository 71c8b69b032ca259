//! Switchboard's nouns and rules, with no I/O.
//!
//! Everything that can be checked without a database is checked here, once,
//! and unit-tested here: numbers (CLI/MSISDN, ICCID, IMEI, EID), switching
//! codes (PAC, STAC), money, customer fields, paging and the static
//! reference lists the API's Appendix controller serves.

pub mod agreement;
pub mod alerting;
pub mod appendix;
pub mod bill_limit;
pub mod calendar;
pub mod clock;
pub mod customer;
pub mod divert;
pub mod error;
pub mod isp;
pub mod money;
pub mod network;
pub mod number;
pub mod order;
pub mod ordering;
pub mod paging;
pub mod portal;
pub mod ratelimit;
pub mod rating;
pub mod request;
pub mod scope;
pub mod sim;
pub mod status;
pub mod switching;
pub mod tariff;
pub mod task;
pub mod text;
pub mod usage;
pub mod webhook;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, Result};
pub use money::Money;
pub use network::Network;
pub use number::Cli;
pub use scope::{Scope, Scopes};
