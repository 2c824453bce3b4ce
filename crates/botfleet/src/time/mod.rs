//! Time, in one place: the [`Clock`] that time-dependent rules read (the system's, or a manual one
//! tests step forward), and how times cross the edges — stored as UTC milliseconds, shown as
//! RFC 3339, accepted as either.
//!
//! Code that has a `Clock` reads it and nothing else; [`now_ms`] is the wall clock for the few
//! places that record when something happened outside any rule (and for `Clock::system`).

mod clock;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub use clock::Clock;

use crate::error::{Error, Result};

/// Milliseconds since the Unix epoch, now, by the system's wall clock.
#[allow(clippy::disallowed_methods)] // The one reading of the wall clock.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// RFC 3339 (UTC, milliseconds) for a stored time.
pub fn rfc3339(ms: i64) -> String {
    let nanos = i128::from(ms) * 1_000_000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()
        .and_then(|t| t.replace_nanosecond((t.nanosecond() / 1_000_000) * 1_000_000).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| ms.to_string())
}

/// A time parameter: RFC 3339 (`2026-11-24T10:00:00Z`) or milliseconds since the epoch.
pub fn parse(field: &str, text: &str) -> Result<i64> {
    if let Ok(ms) = text.trim().parse::<i64>() {
        return Ok(ms);
    }
    OffsetDateTime::parse(text.trim(), &Rfc3339)
        .map(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX))
        .map_err(|_| Error::field(field, "must be an RFC 3339 time (2026-11-24T10:00:00Z) or milliseconds since 1970"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        assert_eq!(rfc3339(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
        assert_eq!(parse("since", "2023-11-14T22:13:20.123Z").unwrap(), 1_700_000_000_123);
        assert_eq!(parse("since", "1700000000123").unwrap(), 1_700_000_000_123);
        assert!(parse("since", "yesterday").is_err());
    }
}
