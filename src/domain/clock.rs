//! The time a use case runs at. Normally the system clock; the demo seed writes a year of
//! history by running use cases inside [`at`], so that what they store carries the dates of
//! that history (a referral sent in March, accepted in April) through the same code paths the
//! API takes. Nothing that serves a request sets it.

use std::future::Future;

use chrono::{DateTime, Utc};

tokio::task_local! {
    static FIXED: DateTime<Utc>;
}

/// Now: the time fixed by an enclosing [`at`], or the system clock; truncated to
/// microseconds so that what is stored equals what is read back.
pub fn now() -> DateTime<Utc> {
    let n = FIXED.try_with(|t| *t).unwrap_or_else(|_| Utc::now());
    DateTime::from_timestamp_micros(n.timestamp_micros()).unwrap_or(n)
}

/// Runs `f` with `now()` fixed at `t`.
pub async fn at<F: Future>(t: DateTime<Utc>, f: F) -> F::Output {
    FIXED.scope(t, f).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fixed_inside_and_system_outside() {
        let t = DateTime::from_timestamp(1_700_000_000, 123_456_789).unwrap();
        assert_eq!(at(t, async { now() }).await, DateTime::from_timestamp(1_700_000_000, 123_456_000).unwrap());
        assert!(now() > t);
    }
}
