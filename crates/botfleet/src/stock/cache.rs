//! The visible catalogue in memory for `/stock`, its buttons and its autocomplete, so a command, a
//! button press or a keystroke costs no database round trip. Every stock event bumps a counter on
//! the event bus (before it is published, after the change is committed); a copy loaded at an older
//! count is stale and the next reader loads it again — once per change, not once per command.

use std::sync::{Arc, Mutex, PoisonError};

use super::{repo, Product};
use crate::error::Result;
use crate::events::EventBus;
use crate::store::Store;

/// A copy of the visible products and the change count it was loaded at.
type Snapshot = Option<(u64, Arc<[Product]>)>;

/// The cache. Cloning shares it.
#[derive(Debug, Clone)]
pub struct StockCache {
    store: Store,
    events: EventBus,
    /// The copy and the change count it was loaded at (std Mutex: never held across an await).
    copy: Arc<Mutex<Snapshot>>,
}

impl StockCache {
    /// An empty cache over `store`, made stale by stock events on `events`.
    pub fn new(store: Store, events: EventBus) -> Self {
        Self { store, events, copy: Arc::new(Mutex::new(None)) }
    }

    /// The visible products in display order.
    pub async fn visible(&self) -> Result<Arc<[Product]>> {
        let generation = self.events.stock_generation();
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
