//! Shared pieces of the benchmark binaries.

/// The soak behind `scripts/soak`: botfleet under a schedule of faults, every command accounted for.
pub mod soak;
