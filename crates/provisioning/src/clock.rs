//! Time for the worker: the system clock in production, a clock the test
//! moves by hand (to reach a port date, or past a lease) in tests.

use chrono::{DateTime, Utc};
use std::sync::Mutex;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock tests move ahead by hand: it reads the later of the system
/// clock and the time it was last set to, so jobs the API queues at the
/// real time are due, and a test can jump to a port date or past a lease.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> ManualClock {
        ManualClock(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = at;
    }

    pub fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }

    pub fn advance(&self, by: chrono::Duration) {
        let now = self.now();
        *self.0.lock().expect("clock lock") = now + by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        (*self.0.lock().expect("clock lock")).max(Utc::now())
    }
}
