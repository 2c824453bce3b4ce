//! The visible catalogue in memory for `/stock`, its buttons and its autocomplete, so a command, a
//! button press or a keystroke costs no database round trip. Every stock event bumps a counter on
//! the event bus (before it is published, after the change is committed), which this cache watches
//! (`EventBus::stock_changes`); a copy loaded at an older count is stale and the next reader loads
//! it again — once per change, not once per command. A change made on another node clears the
//! copy when its notice arrives (`crate::cache`), and a copy never outlives the cache's time to
//! live.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::time::Instant;

use tokio::sync::watch;

use super::{repo, Product};
use crate::cache::{CacheFigures, CacheSettings, Clear};
use crate::error::Result;
use crate::store::Store;

/// A copy of the visible products: the change count and the clear count it was loaded at, and
/// when.
struct Snapshot {
    changes: u64,
    epoch: u64,
    loaded: Instant,
    products: Arc<[Product]>,
}

/// The cache. Cloning shares it.
#[derive(Clone)]
pub struct StockCache {
    store: Store,
    settings: CacheSettings,
    /// How many catalogue changes were published here (the event bus's stock counter).
    changes: watch::Receiver<u64>,
    /// The copy (std Mutex: never held across an await).
    copy: Arc<Mutex<Option<Snapshot>>>,
    /// Bumped when another node changed the catalogue ([`Clear::clear`]).
    epoch: Arc<AtomicU64>,
    hits: Arc<AtomicU64>,
    misses: Arc<AtomicU64>,
    evictions: Arc<AtomicU64>,
}

impl std::fmt::Debug for StockCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StockCache").field("settings", &self.settings).finish()
    }
}

impl StockCache {
    /// An empty cache over `store`, made stale whenever the count `changes` watches moves, when
    /// cleared, and when older than the settings' time to live; off, every read loads.
    pub fn new(store: Store, changes: watch::Receiver<u64>, settings: CacheSettings) -> Self {
        Self {
            store,
            settings,
            changes,
            copy: Arc::new(Mutex::new(None)),
            epoch: Arc::default(),
            hits: Arc::default(),
            misses: Arc::default(),
            evictions: Arc::default(),
        }
    }

    /// The visible products in display order.
    pub async fn visible(&self) -> Result<Arc<[Product]>> {
        if !self.settings.enabled {
            return Ok(repo::list(&self.store, true).await?.into());
        }
        // Read the counts before the query: a change committed meanwhile leaves this copy stale.
        let changes = *self.changes.borrow();
        let epoch = self.epoch.load(Ordering::SeqCst);
        if let Some(copy) = self.copy.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
            if copy.changes == changes && copy.epoch == epoch {
                if copy.loaded.elapsed() < self.settings.ttl {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    return Ok(copy.products.clone());
                }
                self.evictions.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let products: Arc<[Product]> = repo::list(&self.store, true).await?.into();
        let mut copy = self.copy.lock().unwrap_or_else(PoisonError::into_inner);
        // Kept unless a clear came while loading, or a newer copy is there already.
        if self.epoch.load(Ordering::SeqCst) == epoch && copy.as_ref().is_none_or(|c| c.changes <= changes) {
            *copy = Some(Snapshot { changes, epoch, loaded: Instant::now(), products: products.clone() });
        }
        Ok(products)
    }
}

impl Clear for StockCache {
    fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        *self.copy.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }

    fn figures(&self) -> CacheFigures {
        let entries = u64::from(self.copy.lock().unwrap_or_else(PoisonError::into_inner).is_some());
        CacheFigures {
            name: "catalogue",
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            invalidations: self.epoch.load(Ordering::Relaxed),
            entries,
        }
    }
}
