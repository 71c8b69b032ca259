//! Provisioning: a worker that claims jobs from the durable queue and
//! drives them through each network's [`Carrier`], and the built-in
//! simulated networks. A real network integration is one more
//! implementation of the trait.

pub mod b2b;
pub mod carrier;
pub mod clock;
pub mod simulated;
pub mod webhook;
pub mod worker;

pub use carrier::{Carrier, CarrierAnswer, CarrierFault, ChangeRequest, ProvisionRequest};
pub use clock::{Clock, ManualClock, SystemClock};
pub use simulated::{SimConfig, SimulatedNetwork};
pub use worker::{Worker, WorkerConfig};
