//! The visible catalogue in memory for `/stock`, its buttons and its autocomplete, so a command, a
//! button press or a keystroke costs no database round trip. Every stock event bumps a counter on
//! the event bus (before it is published, after the change is committed), which this cache watches
//! (`EventBus::stock_changes`); a copy loaded at an older count is stale and the next reader loads
//! it again — once per change, not once per command.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

use super::{repo, Product};
use crate::error::Result;
use crate::store::Store;

/// A copy of the visible products and the change count it was loaded at.
type Snapshot = Option<(u64, Arc<[Product]>)>;

/// The cache. Cloning shares it.
#[derive(Debug, Clone)]
pub struct StockCache {
    store: Store,
    /// How many catalogue changes were published (the event bus's stock counter).
    changes: watch::Receiver<u64>,
    /// The copy and the change count it was loaded at (std Mutex: never held across an await).
    copy: Arc<Mutex<Snapshot>>,
}

impl StockCache {
    /// An empty cache over `store`, made stale whenever the count `changes` watches moves.
    pub fn new(store: Store, changes: watch::Receiver<u64>) -> Self {
        Self { store, changes, copy: Arc::new(Mutex::new(None)) }
    }

    /// The visible products in display order.
    pub async fn visible(&self) -> Result<Arc<[Product]>> {
        let generation = *self.changes.borrow();
        if let Some((at, products)) = self.copy.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
            if *at == generation {
                return Ok(products.clone());
            }
        }
        // Read the count before the query: a change committed meanwhile leaves this copy stale.
        let products: Arc<[Product]> = repo::list(&self.store, true).await?.into();
        let mut copy = self.copy.lock().unwrap_or_else(PoisonError::into_inner);
        if copy.as_ref().is_none_or(|(at, _)| *at <= generation) {
            *copy = Some((generation, products.clone()));
        }
        Ok(products)
    }
}
