//! The shop's catalogue: products with stock and a show/hide switch, changed through the API or a
//! CSV import. Every change is published on the event bus (`Event::Stock`), which the live feed
//! and the Discord stock messages follow. `display` is how products look on Discord, `cache` the
//! in-memory catalogue `/stock` reads, `messages` the stock messages each bot has posted.

pub mod cache;
pub mod csv;
pub mod display;
pub mod messages;
pub mod model;
pub mod repo;

use crate::events::{Event, EventBus};
pub use cache::StockCache;
pub use model::Product;

/// Tells everyone following the bus that `product` changed (or, with `deleted`, is gone).
pub fn publish(events: &EventBus, product: &Product, deleted: bool) {
    events.publish(Event::Stock(crate::events::StockEvent { product: product.clone(), deleted }));
}
