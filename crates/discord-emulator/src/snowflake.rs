//! Discord ids (snowflakes) and ISO-8601 timestamps as Discord writes them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Milliseconds from the Unix epoch to Discord's epoch (2015-01-01).
pub const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// Hands out increasing snowflakes: timestamp bits from the clock, then a counter.
#[derive(Debug, Default)]
pub struct Snowflakes {
    last: u64,
}

impl Snowflakes {
    /// The next id; always greater than the previous one, even within one millisecond.
    pub fn next(&mut self, unix_millis: u64) -> u64 {
        let candidate = unix_millis.saturating_sub(DISCORD_EPOCH_MS) << 22;
        self.last = candidate.max(self.last + 1);
        self.last
    }

    /// The last id handed out (0 before the first): every later one is greater.
    pub fn last(&self) -> u64 {
        self.last
    }
}

/// Formats a time as Discord does: `2026-11-24T23:03:56.123000+00:00`.
pub fn iso8601(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let secs = i64::try_from(since.as_secs()).unwrap_or(0);
    let dt = time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}+00:00",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second(),
        since.subsec_micros()
    )
}

/// A fresh random token-like string (base64url, no padding) of `bytes` random bytes.
pub fn random_token(bytes: usize) -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// A bot token shaped like Discord's: base64(user id) . timestamp part . HMAC-like part.
pub fn bot_token(user_id: u64) -> String {
    use base64::Engine;
    let id = base64::engine::general_purpose::STANDARD_NO_PAD.encode(user_id.to_string());
    format!("{id}.{}.{}", random_token(4), random_token(27))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snowflakes_increase_within_a_millisecond() {
        let mut ids = Snowflakes::default();
        let a = ids.next(1_700_000_000_000);
        let b = ids.next(1_700_000_000_000);
        let c = ids.next(1_600_000_000_000);
        assert!(a < b && b < c);
        assert_eq!(a >> 22, 1_700_000_000_000 - DISCORD_EPOCH_MS);
    }

    #[test]
    fn timestamps_have_discord_shape() {
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(iso8601(t), "2023-11-14T22:13:20.123000+00:00");
    }
}
