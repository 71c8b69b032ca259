//! Time for the worker: the domain's clock (the system clock in
//! production, a pinned clock tests move by hand).

pub use domain::clock::{Clock, ManualClock, SystemClock};
