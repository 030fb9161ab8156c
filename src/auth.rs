//! The web config's rules for every request, in front of the whole service as upstream's
//! handler is (no endpoint is exempt): the rate limit (429), basic auth (401 with
//! `WWW-Authenticate: Basic`), and the configured response headers, added to every answer
//! but the rate limit's (as upstream).
//!
//! A bcrypt check takes tens of milliseconds on the one loop thread, so:
//! - credentials that passed are remembered (by a SHA-256 digest, not in plain) as
//!   exporter-toolkit remembers them, so a scrape every 15 s pays one bcrypt, not one each;
//! - checks that fail may use only a bounded share of the loop's time
//!   ([`limits::AUTH_FAILURE_CPU_PERCENT`], after a burst of [`limits::AUTH_FAILURE_BURST`]).
//!   Past it, unknown credentials get 429 at once, without a bcrypt, until the share has paid
//!   the time back: a password-guessing client cannot stall everyone, and remembered
//!   credentials keep working while it tries.
//!
//! Must never: keep a plain-text password, or change what the service answers to a request
//! that passed.

use crate::handlers::replies;
use crate::http::{Request, Response, Service};
use crate::limits;
use crate::log;
use crate::webconfig::watch::Watch;
use crate::webconfig::{RateLimit, WebConfig};
use ring::digest;
use std::collections::VecDeque;
use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Upstream's stand-in hash (of "fakepassword", cost 10) checked for an unknown user, so that
/// the answer takes as long as for a known one and does not tell which users exist.
const UNKNOWN_USER_HASH: &str = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

/// A [`Service`] behind the web config's rules.
pub struct Guarded<'s, S> {
    inner: &'s mut S,
    watch: Rc<Watch>,
    passed: PassedCache,
    failures: FailureBudget,
    limiter: Limiter,
}

impl<'s, S: Service> Guarded<'s, S> {
    pub fn new(inner: &'s mut S, watch: Rc<Watch>) -> Guarded<'s, S> {
        let now = Instant::now();
        Guarded {
            inner,
            watch,
            passed: PassedCache::default(),
            failures: FailureBudget {
                debt: Duration::ZERO,
                at: now,
            },
            limiter: Limiter {
                limit: None,
                tokens: 0.0,
                at: now,
            },
        }
    }
}

/// What basic auth decided about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    Pass,
    Fail,
    /// Not checked: failed checks have used their share of the loop.
    Busy,
}

impl<S: Service> Service for Guarded<'_, S> {
    fn handle(&mut self, req: &Request<'_>) -> Response {
        let config = self.watch.config();
        let now = Instant::now();
        // As upstream: the limiter comes first and its 429 carries no configured header.
        if let Some(limit) = config.rate_limit {
            if !self.limiter.allow(limit, now) {
                return replies::error(429, "Too Many Requests");
            }
        }
        let verdict = self.check(&config, req, now);
        let response = match verdict {
            Verdict::Pass => self.inner.handle(req),
            Verdict::Fail => {
                replies::error(401, "Unauthorized").header("WWW-Authenticate", "Basic")
            }
            Verdict::Busy => replies::error(429, "Too Many Requests").header("Retry-After", "1"),
        };
        if verdict != Verdict::Pass {
            log::debug(
                "refused request",
                &[("peer", &req.peer), ("status", &response.status)],
            );
        }
        with_headers(&config, response)
    }

    fn before_flush(&mut self) -> io::Result<()> {
        self.inner.before_flush()
    }

    fn commit_failed(&mut self) -> Option<Response> {
        let response = self.inner.commit_failed()?;
        Some(with_headers(&self.watch.config(), response))
    }

    fn background(&mut self) -> bool {
        self.inner.background()
    }

    fn tick(&mut self) {
        self.inner.tick()
    }

    fn shutdown_requested(&self) -> bool {
        self.inner.shutdown_requested()
    }
}

/// The configured response headers, where the service did not set the header itself.
fn with_headers(config: &WebConfig, mut response: Response) -> Response {
    for (name, value) in &config.headers {
        // The service's own value wins, as a Go handler's `Set` overrides the toolkit's.
        if !response
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            response.headers.push((name, value.clone().into()));
        }
    }
    response
}

impl<S> Guarded<'_, S> {
    fn check(&mut self, config: &WebConfig, req: &Request<'_>, now: Instant) -> Verdict {
        if config.users.is_empty() {
            return Verdict::Pass;
        }
        let Some((user, password)) = req.header("Authorization").and_then(basic_credentials) else {
            return Verdict::Fail;
        };
        let known = config.users.iter().find(|(u, _)| u.as_bytes() == user);
        let hash = known.map_or(UNKNOWN_USER_HASH, |(_, h)| h.as_str());
        let key = cache_key(&user, hash, &password);
        if known.is_some() && self.passed.contains(&key) {
            return Verdict::Pass;
        }
        if !self.failures.allows(now) {
            return Verdict::Busy;
        }
        let started = Instant::now();
        let matches = bcrypt::verify(&password, hash).unwrap_or(false);
        if known.is_some() && matches {
            self.passed.insert(key);
            return Verdict::Pass;
        }
        self.failures.charge(started.elapsed());
        Verdict::Fail
    }
}

/// Go's `Request.BasicAuth`: `Basic ` (any case), standard base64 with padding, then the
/// user up to the first `:` and the password after it.
fn basic_credentials(value: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    const PREFIX: &[u8] = b"Basic ";
    let encoded = value
        .get(..PREFIX.len())
        .filter(|p| p.eq_ignore_ascii_case(PREFIX))
        .map(|_| &value[PREFIX.len()..])?;
    if encoded.len() % 4 != 0 {
        return None;
    }
    let body_len = encoded
        .iter()
        .rposition(|&b| b != b'=')
        .map_or(0, |i| i + 1);
    if encoded.len() - body_len > 2 {
        return None;
    }
    // The standard alphabet is the URL-safe one with `+` and `/` in place of `-` and `_`.
    let mut url_safe = Vec::with_capacity(body_len);
    for &b in &encoded[..body_len] {
        url_safe.push(match b {
            b'+' => b'-',
            b'/' => b'_',
            b'-' | b'_' | b'\r' | b'\n' => return None,
            b => b,
        });
    }
    let mut decoded = Vec::new();
    crate::base64::decode_raw_url(&url_safe, &mut decoded).ok()?;
    let colon = decoded.iter().position(|&b| b == b':')?;
    let password = decoded.split_off(colon + 1);
    decoded.pop();
    Some((decoded, password))
}

/// The cache's key: a digest of user, hash and password, so no password is kept in plain.
fn cache_key(user: &[u8], hash: &str, password: &[u8]) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for part in [user, hash.as_bytes(), password] {
        ctx.update(&(part.len() as u64).to_le_bytes());
        ctx.update(part);
    }
    let mut key = [0; 32];
    key.copy_from_slice(ctx.finish().as_ref());
    key
}

/// Credentials that passed, oldest first; at most [`limits::AUTH_CACHE_ENTRIES_MAX`]. A
/// changed hash in the file gives different keys, so a reload needs no flush.
#[derive(Default)]
struct PassedCache {
    keys: VecDeque<[u8; 32]>,
}

impl PassedCache {
    fn contains(&self, key: &[u8; 32]) -> bool {
        self.keys.contains(key)
    }

    fn insert(&mut self, key: [u8; 32]) {
        if self.keys.len() == limits::AUTH_CACHE_ENTRIES_MAX {
            self.keys.pop_front();
        }
        self.keys.push_back(key);
    }
}

/// The loop time failed bcrypt checks have used and not yet paid back; it is paid back at
/// [`limits::AUTH_FAILURE_CPU_PERCENT`] of the time that passes.
struct FailureBudget {
    debt: Duration,
    at: Instant,
}

impl FailureBudget {
    fn allows(&mut self, now: Instant) -> bool {
        let paid = now.saturating_duration_since(self.at) * limits::AUTH_FAILURE_CPU_PERCENT / 100;
        self.debt = self.debt.saturating_sub(paid);
        self.at = now;
        self.debt < limits::AUTH_FAILURE_BURST
    }

    fn charge(&mut self, took: Duration) {
        self.debt += took;
    }
}

/// Go's `rate.Limiter`: `burst` tokens, one more every `interval`, one per request.
struct Limiter {
    /// The limit the tokens were counted for; a reload that changes it starts afresh.
    limit: Option<RateLimit>,
    tokens: f64,
    at: Instant,
}

impl Limiter {
    fn allow(&mut self, limit: RateLimit, now: Instant) -> bool {
        if self.limit != Some(limit) {
            *self = Limiter {
                limit: Some(limit),
                tokens: f64::from(limit.burst),
                at: now,
            };
        }
        let refill =
            now.saturating_duration_since(self.at).as_secs_f64() / limit.interval.as_secs_f64();
        self.tokens = (self.tokens + refill).min(f64::from(limit.burst));
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests;
