//! Shared pieces of the benchmark binaries.

/// The soak behind `scripts/soak`: botfleet under a schedule of faults, every command accounted for.
pub mod soak;

/// Log rows with a shop fleet's shape, for `logs-gen` and `search-bench`.
pub mod logs;
