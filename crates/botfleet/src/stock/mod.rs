//! The shop's catalogue: products with stock and a show/hide switch, changed through the API or a
//! CSV import. Every change is published on the event bus (`Event::Stock`), which the live feed
//! and the Discord stock messages follow.

pub mod csv;
pub mod model;
pub mod repo;

use crate::events::{Event, EventBus};
pub use model::Product;

/// Tells everyone following the bus that `product` changed (or, with `deleted`, is gone).
pub fn publish(events: &EventBus, product: &Product, deleted: bool) {
    events.publish(Event::Stock(crate::events::StockEvent { product: product.clone(), deleted }));
}
