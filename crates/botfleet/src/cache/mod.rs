//! The caches of what every request or command reads — credentials, the visible catalogue, the
//! security settings — and the invalidations that keep them correct on every node sharing the
//! database (`DISCORD_CACHE_ENABLED`, on by default).
//!
//! A [`Cache`] is a moka map bounded in entries and in time (each entry lives at most the time to
//! live, so a lost notification costs at most that long). A change written through a node clears
//! the caches of its [`Topic`] on that node at once and is announced to the others
//! ([`invalidate::Invalidations`]): through Redis pub/sub when `BOTFLEET_REDIS_URL` is set,
//! otherwise through PostgreSQL `LISTEN/NOTIFY` (SQLite serves one node: nothing to announce).
//! Off, every read goes to the database.

pub mod invalidate;

use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use moka::notification::RemovalCause;

/// What the caches share: whether they are on, and how long an entry lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheSettings {
    pub enabled: bool,
    pub ttl: Duration,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self { enabled: true, ttl: Duration::from_secs(30) }
    }
}

/// What a service's caches are made with: the shared settings, and the bus their invalidations go
/// through. Cloning shares the bus.
#[derive(Debug, Clone)]
pub struct Caching {
    pub settings: CacheSettings,
    pub bus: invalidate::Invalidations,
}

impl Caching {
    /// Caches for this process alone (tools, and SQLite's one node): a change made by another
    /// process is seen within the time to live.
    pub fn local(settings: CacheSettings) -> Self {
        Self { settings, bus: invalidate::Invalidations::local() }
    }
}

/// The kinds of cached data a change can make stale; a change clears every cache of its topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// API keys, sessions and the users behind them.
    Credentials,
    /// The visible catalogue.
    Catalogue,
    /// The security settings.
    Settings,
    /// The public status page's settings (the page each node keeps).
    StatusPage,
}

impl Topic {
    pub const ALL: [Topic; 4] = [Topic::Credentials, Topic::Catalogue, Topic::Settings, Topic::StatusPage];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Credentials => "credentials",
            Topic::Catalogue => "catalogue",
            Topic::Settings => "settings",
            Topic::StatusPage => "status_page",
        }
    }

    pub fn parse(s: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// What a cache counts, for `/metrics`.
#[derive(Debug, Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    /// Entries that left by age or for room.
    evictions: AtomicU64,
    /// Times the cache was cleared by a change (here or on another node).
    invalidations: AtomicU64,
    /// Bumped by each clear: a value loaded before it is not kept ([`Cache::insert`]).
    generation: AtomicU64,
}

/// One cache's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheFigures {
    pub name: &'static str,
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
    pub invalidations: u64,
    pub entries: u64,
}

/// Anything a change can clear: a [`Cache`], or a cache of another shape (the catalogue's copy).
pub trait Clear: Send + Sync {
    /// Drops every entry; a load begun before this call keeps nothing.
    fn clear(&self);
    /// The figures for `/metrics`.
    fn figures(&self) -> CacheFigures;
}

/// A map from `K` to `V` with a time to live; when caching is off, every read misses and nothing
/// is kept. Cloning shares it.
#[derive(Clone)]
pub struct Cache<K, V> {
    name: &'static str,
    map: Option<moka::sync::Cache<K, V>>,
    counters: Arc<Counters>,
}

impl<K, V> std::fmt::Debug for Cache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").field("name", &self.name).field("enabled", &self.map.is_some()).finish()
    }
}

impl<K, V> Cache<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// A cache of at most `capacity` entries.
    pub fn new(name: &'static str, settings: CacheSettings, capacity: u64) -> Self {
        let counters = Arc::new(Counters::default());
        let map = settings.enabled.then(|| {
            let counted = counters.clone();
            moka::sync::Cache::builder()
                .max_capacity(capacity)
                .time_to_live(settings.ttl)
                .eviction_listener(move |_, _, cause| {
                    if matches!(cause, RemovalCause::Expired | RemovalCause::Size) {
                        counted.evictions.fetch_add(1, Ordering::Relaxed);
                    }
                })
                .build()
        });
        Self { name, map, counters }
    }

    /// Whether caching is on.
    pub fn enabled(&self) -> bool {
        self.map.is_some()
    }

    /// The cached value, counting a hit or a miss.
    pub fn get(&self, key: &K) -> Option<V> {
        let map = self.map.as_ref()?;
        let found = map.get(key);
        let counter = if found.is_some() { &self.counters.hits } else { &self.counters.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Read before loading a value from the database, passed to [`Self::insert`].
    pub fn generation(&self) -> u64 {
        self.counters.generation.load(Ordering::SeqCst)
    }

    /// Keeps `value`, loaded when the generation was `loaded_at`, unless a clear came since: a
    /// value read before a change must not outlive it.
    pub fn insert(&self, loaded_at: u64, key: K, value: V) {
        let Some(map) = &self.map else { return };
        if self.generation() != loaded_at {
            return;
        }
        map.insert(key, value);
        // A clear between the check above and the insert (rare): take everything out again.
        if self.generation() != loaded_at {
            map.invalidate_all();
        }
    }
}

impl<K, V> Clear for Cache<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn clear(&self) {
        self.counters.generation.fetch_add(1, Ordering::SeqCst);
        self.counters.invalidations.fetch_add(1, Ordering::Relaxed);
        if let Some(map) = &self.map {
            map.invalidate_all();
        }
    }

    fn figures(&self) -> CacheFigures {
        let c = &self.counters;
        CacheFigures {
            name: self.name,
            hits: c.hits.load(Ordering::Relaxed),
            misses: c.misses.load(Ordering::Relaxed),
            evictions: c.evictions.load(Ordering::Relaxed),
            invalidations: c.invalidations.load(Ordering::Relaxed),
            entries: self.map.as_ref().map_or(0, moka::sync::Cache::entry_count),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> Cache<u32, &'static str> {
        Cache::new("test", CacheSettings::default(), 100)
    }

    #[test]
    fn a_value_loaded_before_a_clear_is_not_kept() {
        let c = cache();
        let before = c.generation();
        c.clear();
        c.insert(before, 1, "stale");
        assert_eq!(c.get(&1), None);
        let now = c.generation();
        c.insert(now, 1, "fresh");
        assert_eq!(c.get(&1), Some("fresh"));
        c.clear();
        assert_eq!(c.get(&1), None, "a clear drops what was kept");
        let f = c.figures();
        assert_eq!((f.hits, f.misses, f.invalidations), (1, 2, 2));
    }

    #[test]
    fn off_keeps_nothing() {
        let c: Cache<u32, &str> = Cache::new("off", CacheSettings { enabled: false, ..Default::default() }, 100);
        c.insert(c.generation(), 1, "x");
        assert_eq!(c.get(&1), None);
        assert!(!c.enabled());
    }

    #[test]
    fn topics_read_back() {
        for t in Topic::ALL {
            assert_eq!(Topic::parse(t.as_str()), Some(t));
        }
        assert_eq!(Topic::parse("nope"), None);
    }
}
