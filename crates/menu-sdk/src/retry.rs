//! Retries: which failures are retried, how long to wait, and when to give up.
//!
//! Retried: a connection that could not be established (the request was never sent), the
//! statuses 429 and 503, and, for idempotent operations (by their method), 502 and 504. Nothing
//! else: any other 4xx or 5xx, a timeout, or a connection that broke after the request went out
//! may have been acted on by the server ([`verdict`]).
//! Every attempt of a call is the same request, with the same `X-Request-ID`: the exchange builds
//! it again from the same arguments ([`RetryPolicy::run`]).

use std::time::{Duration, Instant, SystemTime};

use menu_client::ResponseValue;

use crate::error::TransportErrorKind;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// How a call's failed attempts are retried. [`RetryPolicy::default`] retries up to 3 attempts;
/// [`RetryPolicy::none`] switches retries off.
///
/// Waits grow exponentially from `initial_backoff` up to `max_backoff`, with jitter (each wait is
/// between half and all of its exponential value). A `Retry-After` header (seconds or an HTTP
/// date) replaces the computed wait; one longer than `max_retry_after` ends the retries instead.
/// No retry starts (or waits) beyond `max_elapsed` since the first attempt; each attempt has the
/// whole-request timeout, so a call lasts at most about `max_elapsed` plus one timeout (plus, with
/// automatic refresh, one refresh call).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries: every call makes exactly one attempt.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The most attempts per call, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The wait before the first retry (before jitter).
    pub fn initial_backoff(mut self, wait: Duration) -> Self {
        self.initial_backoff = wait;
        self
    }

    /// The longest computed wait between attempts.
    pub fn max_backoff(mut self, wait: Duration) -> Self {
        self.max_backoff = wait;
        self
    }

    /// No retry starts after this much time since the call's first attempt.
    pub fn max_elapsed(mut self, total: Duration) -> Self {
        self.max_elapsed = total;
        self
    }

    /// The longest `Retry-After` honoured; a longer one ends the retries.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// The most attempts per call.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The wait before attempt `next` (2 for the first retry), given what the last answer said.
    /// `None`: do not retry.
    pub(crate) fn wait_before(
        &self,
        next: u32,
        retry_after: Option<RetryAfter>,
        elapsed: Duration,
    ) -> Option<Duration> {
        if next > self.max_attempts {
            return None;
        }
        let wait = match retry_after {
            Some(RetryAfter::Wait(wait)) if wait > self.max_retry_after => return None,
            Some(RetryAfter::Wait(wait)) => wait,
            Some(RetryAfter::Unreadable) | None => self.backoff(next - 1),
        };
        elapsed
            .checked_add(wait)
            .is_some_and(|total| total <= self.max_elapsed)
            .then_some(wait)
    }

    /// Exponential backoff for retry number `retry` (1 for the first), with "equal jitter".
    fn backoff(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        let full = self
            .initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff);
        let half = full / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// What an attempt's outcome means for the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The outcome is the call's: success, or a failure that must not be retried.
    Final,
    /// Worth another attempt.
    Retry {
        /// Why (for the log).
        reason: &'static str,
        /// The answer's status, if there was an answer.
        status: Option<StatusCode>,
        /// What its `Retry-After` header said.
        retry_after: Option<RetryAfter>,
    },
}

impl RetryPolicy {
    /// Runs `attempt` until its outcome is final ([`Verdict::Final`]), the attempts run out, or
    /// waiting would go beyond the time allowed. Returns the last outcome and how many attempts
    /// were made.
    pub(crate) async fn run<T, F: Future<Output = T>>(
        &self,
        attempt: impl Fn() -> F,
        verdict: impl Fn(&T) -> Verdict,
    ) -> (T, u32) {
        let started = Instant::now();
        let mut made = 1;
        loop {
            let outcome = attempt().await;
            let Verdict::Retry {
                reason,
                status,
                retry_after,
            } = verdict(&outcome)
            else {
                return (outcome, made);
            };
            let Some(wait) = self.wait_before(made + 1, retry_after, started.elapsed()) else {
                return (outcome, made);
            };
            tracing::info!(
                attempt = made,
                reason,
                status = status.map(|s| s.as_u16()),
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "retrying the same request"
            );
            drop(outcome);
            tokio::time::sleep(wait).await;
            made += 1;
        }
    }
}

/// Whether a generated operation's outcome is worth another attempt: a connection that failed
/// before the request was sent, 429 or 503 (the server did not act), and, for an `idempotent`
/// operation, 502 or 504 too (a gateway's answer: the server may have acted, which only an
/// idempotent operation can afford).
pub(crate) fn verdict<T, E>(
    outcome: &Result<ResponseValue<T>, menu_client::Error<E>>,
    idempotent: bool,
) -> Verdict {
    match outcome {
        Err(menu_client::Error::CommunicationError(error))
            if TransportErrorKind::of(error) == TransportErrorKind::Connect =>
        {
            Verdict::Retry {
                reason: "connection failed before the request was sent",
                status: None,
                retry_after: None,
            }
        }
        Err(menu_client::Error::UnexpectedResponse(response))
            if retryable_status(response.status(), idempotent) =>
        {
            Verdict::Retry {
                reason: "retryable status",
                status: Some(response.status()),
                retry_after: retry_after(response.headers(), SystemTime::now()),
            }
        }
        _ => Verdict::Final,
    }
}

/// What a `Retry-After` header asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RetryAfter {
    /// Wait this long (a date in the past is no wait).
    Wait(Duration),
    /// Present but neither seconds nor an HTTP date: fall back to the backoff.
    Unreadable,
}

/// Whether an answer with this status is worth another attempt (see [`verdict`]).
fn retryable_status(status: StatusCode, idempotent: bool) -> bool {
    match status.as_u16() {
        429 | 503 => true,
        502 | 504 => idempotent,
        _ => false,
    }
}

/// Reads `Retry-After`: delay-seconds or an HTTP date, relative to `now`.
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<RetryAfter> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim().to_owned();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(RetryAfter::Wait(Duration::from_secs(seconds)));
    }
    match httpdate::parse_http_date(&value) {
        Ok(at) => Some(RetryAfter::Wait(
            at.duration_since(now).unwrap_or(Duration::ZERO),
        )),
        Err(_) => Some(RetryAfter::Unreadable),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, value.parse().unwrap());
        headers
    }

    #[test]
    fn retry_after_in_seconds_and_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            retry_after(&headers("7"), now),
            Some(RetryAfter::Wait(Duration::from_secs(7)))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(90));
        assert_eq!(
            retry_after(&headers(&later), now),
            Some(RetryAfter::Wait(Duration::from_secs(90)))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(90));
        assert_eq!(
            retry_after(&headers(&earlier), now),
            Some(RetryAfter::Wait(Duration::ZERO))
        );
        assert_eq!(
            retry_after(&headers("soon"), now),
            Some(RetryAfter::Unreadable)
        );
        assert_eq!(
            retry_after(&headers("-1"), now),
            Some(RetryAfter::Unreadable)
        );
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn waits_grow_with_jitter_and_stay_bounded() {
        let policy = RetryPolicy::default()
            .max_attempts(10)
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(800))
            .max_elapsed(Duration::from_secs(60));
        for _ in 0..100 {
            let first = policy.wait_before(2, None, Duration::ZERO).unwrap();
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = policy.wait_before(4, None, Duration::ZERO).unwrap();
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let capped = policy.wait_before(10, None, Duration::ZERO).unwrap();
            assert!(capped >= Duration::from_millis(400) && capped <= Duration::from_millis(800));
        }
    }

    #[test]
    fn limits_end_the_retries() {
        let policy = RetryPolicy::default();
        assert!(policy.wait_before(3, None, Duration::ZERO).is_some());
        assert_eq!(
            policy.wait_before(4, None, Duration::ZERO),
            None,
            "3 attempts at most"
        );
        assert_eq!(
            policy.wait_before(2, None, Duration::from_secs(30)),
            None,
            "past max_elapsed"
        );
        let long = Some(RetryAfter::Wait(Duration::from_secs(31)));
        assert_eq!(
            policy.wait_before(2, long, Duration::ZERO),
            None,
            "Retry-After over the cap"
        );
        let short = Some(RetryAfter::Wait(Duration::from_secs(2)));
        assert_eq!(
            policy.wait_before(2, short, Duration::ZERO),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            RetryPolicy::none().wait_before(2, None, Duration::ZERO),
            None
        );
        assert_eq!(RetryPolicy::none().max_attempts(0).attempts(), 1);
    }

    #[test]
    fn only_the_documented_statuses_are_retried() {
        let retried = |status: u16, idempotent| {
            retryable_status(StatusCode::from_u16(status).unwrap(), idempotent)
        };
        for status in [429, 503] {
            assert!(retried(status, true) && retried(status, false), "{status}");
        }
        for status in [502, 504] {
            assert!(retried(status, true) && !retried(status, false), "{status}");
        }
        for status in [200, 400, 401, 403, 404, 408, 409, 500, 501] {
            assert!(
                !retried(status, true) && !retried(status, false),
                "{status}"
            );
        }
    }
}
