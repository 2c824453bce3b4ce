//! The shop's catalogue: products with stock and a show/hide switch, changed through the API or a
//! CSV import. Whoever changes a product publishes it on the event bus (`EventBus::stock_changed`,
//! which sits above this module), which the live feed and the Discord stock messages follow. `display` is how products look on Discord, `cache` the
//! in-memory catalogue `/stock` reads, `messages` the stock messages each bot has posted, `low` the low-stock notices waiting to be sent.

pub mod cache;
pub mod csv;
pub mod display;
pub mod low;
pub mod messages;
pub mod model;
pub mod repo;

pub use cache::StockCache;
pub use model::Product;
