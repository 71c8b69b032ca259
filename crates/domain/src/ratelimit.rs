//! Rate limits per API client: named policies of `quota` requests per
//! `window`, each kept by the generic cell rate algorithm (GCRA, as in
//! ATM networks and the `governor` crate): a client may spend its whole
//! quota at once, then earns one request back every `window / quota`.
//!
//! Two policies apply to every client: a short `spike` window (spike
//! arrest) and a long `quota` window. A request passes only if every
//! policy lets it; it then counts against all of them. Which policy
//! refused is said, so each face can answer in its own terms (the
//! agreements face's 42901 quota violation and 42902 spike arrest).
//!
//! Time is passed in, as microseconds on any monotonic scale, so the
//! rules are tested without a clock.

/// A policy: at most `quota` requests per `window_secs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The name in the `RateLimit-Policy` and `RateLimit` headers.
    pub name: &'static str,
    pub quota: u32,
    pub window_secs: u32,
}

/// Short-window policy name: bursts beyond it are a spike arrest.
pub const SPIKE: &str = "spike";
/// Long-window policy name: beyond it the client's quota is spent.
pub const QUOTA: &str = "quota";

impl Policy {
    fn window_us(&self) -> u64 {
        u64::from(self.window_secs) * 1_000_000
    }

    /// The time one request costs (`window / quota`).
    fn interval_us(&self) -> u64 {
        (self.window_us() / u64::from(self.quota.max(1))).max(1)
    }

    /// This policy in `RateLimit-Policy` form: `"spike";q=50;w=1`.
    pub fn header(&self) -> String {
        format!("\"{}\";q={};w={}", self.name, self.quota, self.window_secs)
    }

    /// Checks that a policy can be enforced: a quota and a window of at
    /// least one.
    pub fn check(&self) -> Result<(), String> {
        if self.quota == 0 || self.window_secs == 0 {
            return Err(format!(
                "rate limit {}: quota and window must be at least 1 (got {} per {} s)",
                self.name, self.quota, self.window_secs
            ));
        }
        Ok(())
    }
}

/// Where one policy stands for a client after a request passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Requests left that could be made at once.
    pub remaining: u32,
    /// Seconds until the whole quota is available again.
    pub reset_secs: u64,
}

/// A request refused by `policy` (its index in the list checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub policy: usize,
    /// Seconds until the same request would pass (at least 1).
    pub retry_after_secs: u64,
}

/// One client's state: each policy's theoretical arrival time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cell {
    tat_us: Vec<u64>,
}

impl Cell {
    /// Whether this state no longer holds anything back at `now_us` (every
    /// quota whole again): such a cell may be forgotten.
    pub fn idle(&self, now_us: u64) -> bool {
        self.tat_us.iter().all(|t| *t <= now_us)
    }
}

fn ceil_secs(us: u64) -> u64 {
    us.div_ceil(1_000_000)
}

/// Admits or refuses one request at `now_us` against every policy. On
/// admission the request counts against each and their standings are
/// returned, in order; on refusal nothing is counted.
pub fn admit(policies: &[Policy], cell: &mut Cell, now_us: u64) -> Result<Vec<Standing>, Refused> {
    cell.tat_us.resize(policies.len(), 0);
    let mut next = Vec::with_capacity(policies.len());
    for (i, p) in policies.iter().enumerate() {
        let tat = cell.tat_us[i].max(now_us);
        let new_tat = tat + p.interval_us();
        // Beyond the window ahead of now: the quota is spent.
        if new_tat - now_us > p.window_us() {
            return Err(Refused {
                policy: i,
                retry_after_secs: ceil_secs(new_tat - now_us - p.window_us()).max(1),
            });
        }
        next.push(new_tat);
    }
    let standings = policies
        .iter()
        .zip(&next)
        .map(|(p, tat)| {
            let ahead = tat - now_us;
            Standing {
                remaining: ((p.window_us() - ahead) / p.interval_us()) as u32,
                reset_secs: ceil_secs(ahead),
            }
        })
        .collect();
    cell.tat_us = next;
    Ok(standings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policies() -> Vec<Policy> {
        vec![
            Policy { name: SPIKE, quota: 5, window_secs: 1 },
            Policy { name: QUOTA, quota: 8, window_secs: 60 },
        ]
    }

    const S: u64 = 1_000_000;

    #[test]
    fn a_burst_up_to_the_spike_quota_then_a_spike_arrest() {
        let (p, mut cell) = (policies(), Cell::default());
        for left in (0..5).rev() {
            let s = admit(&p, &mut cell, 0).unwrap();
            assert_eq!(s[0].remaining, left);
        }
        let refused = admit(&p, &mut cell, 0).unwrap_err();
        assert_eq!((p[refused.policy].name, refused.retry_after_secs), (SPIKE, 1));
        // One request earned back every 200 ms.
        assert!(admit(&p, &mut cell, 199_999).is_err());
        let s = admit(&p, &mut cell, 200_000).unwrap();
        assert_eq!(s[0].remaining, 0);
        assert_eq!(s[1].remaining, 2, "six of eight spent in the minute");
    }

    #[test]
    fn the_long_quota_refuses_when_spent_and_says_when_it_returns() {
        let (p, mut cell) = (policies(), Cell::default());
        let mut t = 0;
        for _ in 0..8 {
            admit(&p, &mut cell, t).unwrap();
            t += S / 4; // under the spike rate
        }
        let refused = admit(&p, &mut cell, t).unwrap_err();
        assert_eq!(p[refused.policy].name, QUOTA);
        // One request back every 7.5 s: the ninth passes at 7.5 s.
        assert_eq!((t, refused.retry_after_secs), (2 * S, 6));
        assert!(admit(&p, &mut cell, 7_500_000).is_ok());
        // A refusal counts against nothing.
        let before = cell.clone();
        assert!(admit(&p, &mut cell, 7_500_000).is_err());
        assert_eq!(cell, before);
    }

    #[test]
    fn an_idle_client_is_whole_again() {
        let (p, mut cell) = (policies(), Cell::default());
        let s = admit(&p, &mut cell, 10 * S).unwrap();
        assert_eq!((s[1].remaining, s[1].reset_secs), (7, 8), "7.5 s rounds up");
        assert!(!cell.idle(10 * S));
        assert!(cell.idle(10 * S + 7_500_000));
        assert_eq!(p[0].header(), "\"spike\";q=5;w=1");
        assert!(Policy { name: QUOTA, quota: 0, window_secs: 60 }.check().is_err());
    }
}
