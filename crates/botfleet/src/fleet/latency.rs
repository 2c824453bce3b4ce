//! botfleet's own measure of how fast it answers: an HDR histogram of event in → reply accepted
//! by Discord, per command, across the fleet.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;
use utoipa::ToSchema;

/// Percentiles in milliseconds.
#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq)]
pub struct LatencySummary {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// The histogram (1 µs to 10 min, 3 significant digits).
#[derive(Debug)]
pub struct Latencies {
    // A std Mutex: recording is a few nanoseconds and never crosses an await.
    histogram: Mutex<Option<Histogram<u64>>>,
}

impl Default for Latencies {
    fn default() -> Self {
        Self { histogram: Mutex::new(Histogram::new_with_bounds(1, 600_000_000, 3).ok()) }
    }
}

impl Latencies {
    /// Records one answer.
    pub fn record(&self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX).clamp(1, 600_000_000);
        if let Some(h) = self.histogram.lock().unwrap_or_else(PoisonError::into_inner).as_mut() {
            let _ = h.record(us);
        }
    }

    /// The percentiles so far.
    pub fn summary(&self) -> LatencySummary {
        let guard = self.histogram.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(h) = guard.as_ref().filter(|h| !h.is_empty()) else {
            return LatencySummary::default();
        };
        let ms = |us: u64| us as f64 / 1000.0;
        LatencySummary {
            count: h.len(),
            p50_ms: ms(h.value_at_quantile(0.5)),
            p90_ms: ms(h.value_at_quantile(0.9)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            max_ms: ms(h.max()),
        }
    }

    /// Starts over (benchmarks reset between rounds).
    pub fn reset(&self) {
        if let Some(h) = self.histogram.lock().unwrap_or_else(PoisonError::into_inner).as_mut() {
            h.reset();
        }
    }
}
