//! Time as a value passed in: the system clock in production, a clock a
//! test pins to a chosen instant (and moves by hand to reach a port date or
//! pass a lease). Every layer that needs "now" or "today" asks the clock it
//! was given, so no test depends on the day it runs.

use chrono::{DateTime, Utc};
use std::sync::Mutex;
use std::time::Instant;

/// Where "now" comes from.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in UTC.
    fn today(&self) -> chrono::NaiveDate {
        self.now().date_naive()
    }
}

impl std::fmt::Debug for dyn Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock a test controls. It starts at an instant and runs at real speed
/// (so rows written one after another get increasing times); once a test
/// sets or advances it, it stands still there, so delays measured against
/// it are exact. It never reads the date of the machine it runs on.
pub struct ManualClock(Mutex<(DateTime<Utc>, Option<Instant>)>);

impl ManualClock {
    /// A clock reading `at` now, and running on from there.
    pub fn new(at: DateTime<Utc>) -> ManualClock {
        ManualClock(Mutex::new((at, Some(Instant::now()))))
    }

    /// Makes the clock read `at`, and stand still there.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().expect("clock lock") = (at, None);
    }

    /// Moves the clock on by `by`, and stops it there.
    pub fn advance(&self, by: chrono::Duration) {
        let now = self.now();
        self.set(now + by);
    }

    pub fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        let (at, since) = *self.0.lock().expect("clock lock");
        match since {
            Some(since) => at + chrono::Duration::from_std(since.elapsed()).unwrap_or_default(),
            None => at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_manual_clock_reads_its_instant_and_moves_on() {
        let at = Utc.with_ymd_and_hms(2030, 1, 9, 10, 0, 0).unwrap();
        let c = ManualClock::new(at);
        let first = c.now();
        assert!(first >= at && first - at < chrono::Duration::seconds(5));
        assert_eq!(c.today(), at.date_naive());
        c.advance(chrono::Duration::days(3));
        assert_eq!(c.today(), chrono::NaiveDate::from_ymd_opt(2030, 1, 12).unwrap());
        assert_eq!(c.now(), c.now(), "a clock moved by hand stands still");
        c.set(at);
        assert_eq!(c.now(), at);
    }
}
