//! Shared pieces of the benchmark binaries.

/// The soak behind `scripts/soak`: botfleet under a schedule of faults, every command accounted for.
pub mod soak;

/// Log rows with a shop fleet's shape, for `logs-gen` and `search-bench`.
pub mod logs;

/// The emulator, botfleet and the load driver as processes, for `fleet-bench` and `alloc-check`.
pub mod world;
