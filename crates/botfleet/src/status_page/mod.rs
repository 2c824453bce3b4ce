//! The public status page (`/status`, `/status.json`): off until an admin turns it on, then the
//! fleet's state, each shown bot's state now, its uptime over 24 h, 7 d and 90 d in bars, and the
//! current and recent incidents — in generic words, with no id, token, rule or error text.
//!
//! Anyone may ask for it, so it must not be a way to load the database: the page is computed at
//! most every [`REFRESH_EVERY`] per node, in memory, by a handful of aggregate queries (two for
//! the hourly and 6-hourly bars, one for incidents, two for the settings; the daily bars of past
//! days, most of the rows, at most hourly), both bodies rendered once with their `ETag`. Requests
//! that find it stale while it is being computed get the last page (or, when there is none, wait
//! for that computation) instead of starting their own. A change of the settings clears it here at
//! once and on the other nodes through the invalidation bus (`Topic::StatusPage`). When the database
//! fails, the last page is served (its time says how old it is) and the next attempt waits for the
//! next interval.

pub mod model;
pub mod render;
pub mod repo;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use sha2::{Digest, Sha256};

use self::model::{
    Bar, PublicBot, PublicIncident, PublicIncidents, PublicState, PublicStatus, StatusPageChange, StatusPageSettings,
    Window, Windows,
};
use crate::cache::{CacheFigures, Clear};
use crate::error::Result;
use crate::fleet::Fleet;
use crate::metrics::history::{self, UptimeBucket};
use crate::store::Store;
use crate::time::Clock;

/// A computed page is served for this long.
pub const REFRESH_EVERY: Duration = Duration::from_secs(30);

/// Incidents resolved this long ago or less are listed as recent.
const RECENT_MS: i64 = 7 * DAY_MS;

/// The most incidents listed (current ones first).
const INCIDENTS_MAX: u32 = 50;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

/// One window's bars: how many, and how long each is.
#[derive(Debug, Clone, Copy)]
struct Span {
    bars: i64,
    bar_ms: i64,
}

const DAY: Span = Span { bars: 24, bar_ms: HOUR_MS };
const WEEK: Span = Span { bars: 28, bar_ms: 6 * HOUR_MS };
const QUARTER: Span = Span { bars: 90, bar_ms: DAY_MS };

impl Span {
    /// The first bar's start: the last bar is the one `now` is in.
    fn first(self, now: i64) -> i64 {
        now.div_euclid(self.bar_ms) * self.bar_ms - (self.bars - 1) * self.bar_ms
    }
}

/// The daily bars of the days before today are read again at most this often (or when the day
/// turns, or the settings change): those days' rows no longer change (downsampling keeps their
/// sums) and they are most of the rows the page reads.
const PAST_DAYS_EVERY_MS: i64 = HOUR_MS;

/// Uptime sums by (bot, bucket start).
type Sums = HashMap<(i64, i64), (i64, i64)>;

/// The daily sums of the 89 days before `today`, for `ids`, read at `at_ms`.
#[derive(Debug, Clone)]
struct PastDays {
    today: i64,
    ids: Vec<i64>,
    at_ms: i64,
    sums: Sums,
}

/// A body ready to send, with its strong `ETag` (quoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub text: String,
    pub etag: String,
}

impl Body {
    fn new(text: String) -> Self {
        let digest = Sha256::digest(text.as_bytes());
        let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        Self { text, etag: format!("\"{hex}\"") }
    }
}

/// The page as served: HTML and JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub html: Body,
    pub json: Body,
}

/// One computation's outcome: `None` while the page is off.
#[derive(Debug, Clone)]
struct Computed {
    at_ms: i64,
    page: Option<Arc<Rendered>>,
}

/// The cache and its figures (what the invalidation bus holds: not the fleet, which holds the bus
/// itself through the nodes' sharing, so holding the fleet here would keep both alive forever).
struct Inner {
    store: Store,
    clock: Clock,
    /// The last computation (std lock: held only to copy or replace it, never across `.await`).
    cached: Mutex<Option<Computed>>,
    /// Held by the one computation under way; others wait for it, then read what it kept.
    turn: tokio::sync::Mutex<()>,
    /// The past days' sums (std lock, as `cached`).
    past_days: Mutex<Option<PastDays>>,
    /// Bumped by each clear: a page computed from settings read before it is not kept.
    generation: AtomicU64,
    hits: AtomicU64,
    computations: AtomicU64,
    invalidations: AtomicU64,
}

/// The status page service; cloning shares it.
#[derive(Clone)]
pub struct StatusPage {
    inner: Arc<Inner>,
    fleet: Fleet,
}

impl std::fmt::Debug for StatusPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusPage").finish_non_exhaustive()
    }
}

impl StatusPage {
    /// The page over this store and fleet (statuses as the fleet knows them, with several nodes
    /// too).
    pub fn new(store: Store, fleet: Fleet, clock: Clock) -> Self {
        Self {
            fleet,
            inner: Arc::new(Inner {
                store,
                clock,
                cached: Mutex::new(None),
                turn: tokio::sync::Mutex::new(()),
                past_days: Mutex::new(None),
                generation: AtomicU64::new(0),
                hits: AtomicU64::new(0),
                computations: AtomicU64::new(0),
                invalidations: AtomicU64::new(0),
            }),
        }
    }

    /// The settings, as an admin sees them.
    pub async fn settings(&self) -> Result<StatusPageSettings> {
        Ok(repo::load(&self.inner.store).await?.0)
    }

    /// Checks and saves a change at its version; returns the settings before and after. The
    /// caller tells the other nodes (this node's copy is cleared here).
    pub async fn save(&self, change: StatusPageChange) -> Result<(StatusPageSettings, StatusPageSettings)> {
        let valid = change.validate()?;
        let saved = repo::save(&self.inner.store, &valid, self.inner.clock.now_ms()).await?;
        self.inner.clear();
        Ok(saved)
    }

    /// The page now: `None` while it is off. Computed at most every [`REFRESH_EVERY`].
    pub async fn current(&self) -> Result<Option<Arc<Rendered>>> {
        if let Some(page) = self.fresh() {
            self.inner.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(page);
        }
        let _turn = match self.inner.turn.try_lock() {
            Ok(turn) => turn,
            Err(_) => {
                // Being computed: the last page, if there is one, rather than a wait.
                if let Some(last) = self.last() {
                    self.inner.hits.fetch_add(1, Ordering::Relaxed);
                    return Ok(last);
                }
                self.inner.turn.lock().await
            }
        };
        // Another request may have computed it while this one waited.
        if let Some(page) = self.fresh() {
            self.inner.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(page);
        }
        let generation = self.inner.generation.load(Ordering::SeqCst);
        self.inner.computations.fetch_add(1, Ordering::Relaxed);
        let now = self.inner.clock.now_ms();
        let outcome = self.compute(now).await;
        let mut cached = self.inner.cached.lock().unwrap_or_else(PoisonError::into_inner);
        match outcome {
            Ok(page) => {
                if generation == self.inner.generation.load(Ordering::SeqCst) {
                    *cached = Some(Computed { at_ms: now, page: page.clone() });
                }
                Ok(page)
            }
            Err(e) => match cached.as_mut() {
                // The last page stays (its time says how old it is); the next try waits an interval.
                Some(last) => {
                    tracing::warn!(error = %e, "the status page could not be computed; serving the last one");
                    last.at_ms = now;
                    Ok(last.page.clone())
                }
                None => Err(e),
            },
        }
    }

    /// The cached page, however old (none after a change of the settings).
    fn last(&self) -> Option<Option<Arc<Rendered>>> {
        self.inner.cached.lock().unwrap_or_else(PoisonError::into_inner).as_ref().map(|c| c.page.clone())
    }

    /// The cached page, when computed less than an interval ago.
    fn fresh(&self) -> Option<Option<Arc<Rendered>>> {
        let now = self.inner.clock.now_ms();
        let every = i64::try_from(REFRESH_EVERY.as_millis()).unwrap_or(i64::MAX);
        let cached = self.inner.cached.lock().unwrap_or_else(PoisonError::into_inner);
        cached.as_ref().filter(|c| (0..every).contains(&(now - c.at_ms))).map(|c| c.page.clone())
    }

    async fn compute(&self, now: i64) -> Result<Option<Arc<Rendered>>> {
        let store = &self.inner.store;
        let (settings, bots) = repo::load(store).await?;
        if !settings.enabled {
            return Ok(None);
        }
        let ids: Vec<i64> = bots.iter().map(|b| b.bot_id).collect();
        let today = now.div_euclid(DAY_MS) * DAY_MS;
        let mut buckets = HashMap::new();
        for span in [DAY, WEEK] {
            let rows = history::uptime_buckets(store, &ids, span.first(now), i64::MAX, span.bar_ms).await?;
            for UptimeBucket { bot_id, start, up_ms, span_ms } in rows {
                buckets.insert((span.bar_ms, bot_id, start), (up_ms, span_ms));
                // Today's daily bar is the sum of its 6-hour bars (they start at midnight UTC).
                if span.bar_ms == WEEK.bar_ms && start >= today {
                    let sum = buckets.entry((DAY_MS, bot_id, today)).or_insert((0, 0));
                    *sum = (sum.0 + up_ms, sum.1 + span_ms);
                }
            }
        }
        for ((bot_id, start), sums) in self.past_days(&ids, today, now).await? {
            buckets.insert((DAY_MS, bot_id, start), sums);
        }
        let window = |bot_id: i64, span: Span| {
            let first = span.first(now);
            let (mut up, mut observed) = (0i64, 0i64);
            let bars = (0..span.bars)
                .map(|i| {
                    let start = first + i * span.bar_ms;
                    let found = buckets.get(&(span.bar_ms, bot_id, start)).copied();
                    let share = found.filter(|(_, s)| *s > 0).map(|(u, s)| {
                        up += u;
                        observed += s;
                        (u as f64 / s as f64).clamp(0.0, 1.0)
                    });
                    Bar { start: crate::time::rfc3339(start), uptime: share }
                })
                .collect();
            Window { uptime: (observed > 0).then(|| (up as f64 / observed as f64).clamp(0.0, 1.0)), bars }
        };
        let public_bots: Vec<PublicBot> = bots
            .iter()
            .map(|b| PublicBot {
                label: b.shown_as().to_owned(),
                state: PublicState::of(self.fleet.status(b.bot_id).0, b.desired),
                uptime: Windows {
                    day: window(b.bot_id, DAY),
                    week: window(b.bot_id, WEEK),
                    quarter: window(b.bot_id, QUARTER),
                },
            })
            .collect();
        let labels: HashMap<i64, &str> = bots.iter().map(|b| (b.bot_id, b.shown_as())).collect();
        let mut incidents = PublicIncidents { current: Vec::new(), recent: Vec::new() };
        for i in crate::alerts::repo::bot_incidents(store, &ids, now - RECENT_MS, INCIDENTS_MAX).await? {
            let Some(label) = labels.get(&i.bot_id) else { continue };
            let what = if i.outage { "is down" } else { "is degraded" };
            let public = PublicIncident {
                title: format!("{label} {what}"),
                bot: (*label).to_owned(),
                started_at: crate::time::rfc3339(i.started_at),
                resolved_at: i.resolved_at.map(crate::time::rfc3339),
            };
            if i.resolved_at.is_some() {
                incidents.recent.push(public);
            } else {
                incidents.current.push(public);
            }
        }
        let status = PublicStatus {
            title: settings.title,
            generated_at: crate::time::rfc3339(now),
            state: PublicState::overall(public_bots.iter().map(|b| b.state)),
            bots: public_bots,
            incidents,
        };
        let json = serde_json::to_string(&status).map_err(|e| crate::error::Error::Unreadable(e.to_string()))?;
        Ok(Some(Arc::new(Rendered { html: Body::new(render::html(&status)), json: Body::new(json) })))
    }
}

impl StatusPage {
    /// The daily sums of the days before today for `ids`: kept from the last read while it is
    /// for the same day and bots and at most [`PAST_DAYS_EVERY_MS`] old, else read again.
    async fn past_days(&self, ids: &[i64], today: i64, now: i64) -> Result<Sums> {
        {
            let kept = self.inner.past_days.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(p) = kept
                .as_ref()
                .filter(|p| p.today == today && p.ids == ids && (0..PAST_DAYS_EVERY_MS).contains(&(now - p.at_ms)))
            {
                return Ok(p.sums.clone());
            }
        }
        let rows = history::uptime_buckets(&self.inner.store, ids, QUARTER.first(now), today, DAY_MS).await?;
        let sums: Sums = rows.into_iter().map(|b| ((b.bot_id, b.start), (b.up_ms, b.span_ms))).collect();
        let fresh = PastDays { today, ids: ids.to_vec(), at_ms: now, sums: sums.clone() };
        *self.inner.past_days.lock().unwrap_or_else(PoisonError::into_inner) = Some(fresh);
        Ok(sums)
    }
}

impl StatusPage {
    /// What the invalidation bus clears (the cache only).
    pub fn clearer(&self) -> Arc<dyn Clear> {
        self.inner.clone()
    }
}

impl Clear for Inner {
    fn clear(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.invalidations.fetch_add(1, Ordering::Relaxed);
        *self.cached.lock().unwrap_or_else(PoisonError::into_inner) = None;
        *self.past_days.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Hits: requests answered from memory; misses: computations (the database's share).
    fn figures(&self) -> CacheFigures {
        let i = self;
        CacheFigures {
            name: "status_page",
            hits: i.hits.load(Ordering::Relaxed),
            misses: i.computations.load(Ordering::Relaxed),
            evictions: 0,
            invalidations: i.invalidations.load(Ordering::Relaxed),
            entries: u64::from(i.cached.lock().unwrap_or_else(PoisonError::into_inner).is_some()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_end_with_the_one_now_is_in() {
        let now = 100 * DAY_MS + 5 * HOUR_MS + 1;
        assert_eq!(DAY.first(now), 100 * DAY_MS + 5 * HOUR_MS - 23 * HOUR_MS);
        assert_eq!(WEEK.first(now), 100 * DAY_MS - 27 * 6 * HOUR_MS);
        assert_eq!(QUARTER.first(now), 11 * DAY_MS);
        let body = Body::new("x".into());
        assert_eq!(body.etag.len(), 34);
        assert!(body.etag.starts_with('"') && body.etag.ends_with('"'));
    }
}
