//! Bot configurations: validated settings, the `bots` table, and the "test this config" checks.

pub mod check;
pub mod model;
pub mod repo;
