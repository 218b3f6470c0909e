//! Rate limits in plain Rust: a generic cell rate algorithm (GCRA) per key (an API key, a
//! token's subject or a client address), in memory.
//!
//! GCRA keeps one instant per key (the "theoretical arrival time") instead of a window of
//! timestamps, so a limiter for many clients stays small and every check is O(1).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A limit of `per_minute` requests per key, allowing all of them in one burst.
pub struct RateLimiter {
    interval: Duration,
    tolerance: Duration,
    state: Mutex<State>,
}

struct State {
    arrivals: HashMap<String, Instant>,
    checks: u64,
}

impl RateLimiter {
    /// A limiter; `per_minute` must be at least 1.
    pub fn per_minute(per_minute: u32) -> Self {
        let per_minute = per_minute.max(1);
        let interval = Duration::from_secs(60) / per_minute;
        Self {
            interval,
            tolerance: Duration::from_secs(60).saturating_sub(interval),
            state: Mutex::new(State { arrivals: HashMap::new(), checks: 0 }),
        }
    }

    /// Counts one request of `key` at `now`: `Ok` when allowed, otherwise how long until the
    /// next one will be.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.checks += 1;
        if state.checks.is_multiple_of(4096) {
            // Keys whose arrival time has passed are back at a full allowance: forget them.
            state.arrivals.retain(|_, tat| *tat > now);
        }
        let tat = state.arrivals.get(key).copied().unwrap_or(now).max(now);
        let allowed_from = tat.checked_sub(self.tolerance).unwrap_or(now);
        if now < allowed_from {
            return Err(allowed_from - now);
        }
        state.arrivals.insert(key.to_owned(), tat + self.interval);
        Ok(())
    }

    /// How many keys are tracked (for tests of the clean-up).
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).arrivals.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_limit_then_refuses_with_a_wait() {
        let l = RateLimiter::per_minute(10);
        let t0 = Instant::now();
        for i in 0..10 {
            assert!(l.check("a", t0).is_ok(), "request {i}");
        }
        let wait = l.check("a", t0).unwrap_err();
        assert!(wait > Duration::from_secs(5) && wait <= Duration::from_secs(6), "{wait:?}");
        // Another key has its own allowance.
        assert!(l.check("b", t0).is_ok());
        // After the wait one more is allowed, and not two.
        assert!(l.check("a", t0 + wait).is_ok());
        assert!(l.check("a", t0 + wait).is_err());
    }

    #[test]
    fn forgets_idle_keys() {
        let l = RateLimiter::per_minute(60);
        let t0 = Instant::now();
        for i in 0..5000 {
            let _ = l.check(&format!("k{i}"), t0);
        }
        let later = t0 + Duration::from_secs(120);
        for _ in 0..4096 {
            let _ = l.check("fresh", later);
        }
        assert!(l.tracked() < 10, "{}", l.tracked());
    }

    proptest::proptest! {
        /// Over any sequence of requests, no key gets more than the limit plus what the elapsed
        /// time has earned.
        #[test]
        fn never_more_than_the_limit(per_minute in 1u32..120, gaps in proptest::collection::vec(0u64..3_000, 1..400)) {
            let l = RateLimiter::per_minute(per_minute);
            let t0 = Instant::now();
            let mut t = t0;
            let mut allowed = 0u64;
            for g in gaps {
                t += Duration::from_millis(g);
                if l.check("k", t).is_ok() { allowed += 1; }
            }
            let earned = (t - t0).as_secs_f64() / 60.0 * per_minute as f64;
            proptest::prop_assert!(allowed as f64 <= per_minute as f64 + earned + 1.0, "{allowed} > {per_minute} + {earned}");
        }
    }
}
