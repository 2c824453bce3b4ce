//! What an admin sets up — rules, notification channels, maintenance windows — as the API takes
//! and shows them, with the checks that turn a request into field errors a person can fix.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Error, FieldError, Result};
use crate::text::{self, Lines};
use crate::webhooks::target;
pub use crate::webhooks::target::{ChannelKind, CheckedUrl};

/// What a rule watches. Per-bot conditions apply to one bot (`bot_id`) or to every bot; node
/// conditions to this botfleet process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// A bot that should run is not running (starting, reconnecting or failed) for `for_seconds`.
    BotDown {
        #[schema(maximum = 86_400)]
        for_seconds: u64,
    },
    /// `reconnects` or more gateway reconnections (new sessions or resumes) within the window.
    ReconnectStorm {
        #[schema(minimum = 1, maximum = 10_000)]
        reconnects: u64,
        #[schema(minimum = 10, maximum = 3_600)]
        within_seconds: u64,
    },
    /// The p99 reply latency over the window is above `p99_ms`.
    ReplyLatency {
        #[schema(minimum = 1, maximum = 60_000)]
        p99_ms: u64,
        #[schema(minimum = 10, maximum = 3_600)]
        within_seconds: u64,
    },
    /// More than `percent` of the commands in the window ended in an error (once at least
    /// `min_commands` ran).
    ErrorRate {
        /// 0 to under 100.
        #[schema(minimum = 0, exclusive_maximum = 100)]
        percent: f64,
        #[schema(minimum = 10, maximum = 3_600)]
        within_seconds: u64,
        #[serde(default = "default_min_commands")]
        #[schema(minimum = 1, maximum = 1_000_000)]
        min_commands: u64,
    },
    /// More than `count` 429 answers from Discord within the window.
    RateLimited {
        #[schema(maximum = 1_000_000)]
        count: u64,
        #[schema(minimum = 10, maximum = 3_600)]
        within_seconds: u64,
    },
    /// More than `queue_depth` records wait for the tracking writer, or a record was dropped.
    TrackingBacklog {
        #[schema(maximum = 1_000_000)]
        queue_depth: u64,
    },
    /// The database does not answer.
    DatabaseUnreachable {},
    /// A webhook was paused after too many failed deliveries in a row (one incident per
    /// webhook, resolved when it is resumed).
    WebhookPaused {},
    /// This process's resident memory is above `megabytes`.
    MemoryOver {
        #[schema(minimum = 1, maximum = 1_048_576)]
        megabytes: u64,
    },
    /// More than `requests` invalid requests (401, 403, 429) to Discord in its 10-minute window,
    /// from the whole fleet (Discord bans the IP for an hour at 10,000).
    InvalidRequests {
        #[schema(maximum = 10_000)]
        requests: u64,
    },
    /// Fewer than `below` session starts left today, as read at the bot's last start (Discord
    /// resets the token of a bot that spends them all).
    SessionStartsLow {
        #[schema(minimum = 1, maximum = 1_000_000)]
        below: u64,
    },
}

fn default_min_commands() -> u64 {
    5
}

impl Condition {
    /// Whether it is judged per bot (else per node).
    pub fn per_bot(&self) -> bool {
        matches!(
            self,
            Self::BotDown { .. }
                | Self::ReconnectStorm { .. }
                | Self::ReplyLatency { .. }
                | Self::ErrorRate { .. }
                | Self::RateLimited { .. }
                | Self::SessionStartsLow { .. }
        )
    }

    /// The window it looks back over, in seconds (0: the present only).
    pub fn window_seconds(&self) -> u64 {
        match self {
            Self::ReconnectStorm { within_seconds, .. }
            | Self::ReplyLatency { within_seconds, .. }
            | Self::ErrorRate { within_seconds, .. }
            | Self::RateLimited { within_seconds, .. } => *within_seconds,
            _ => 0,
        }
    }

    fn check(&self, errors: &mut Vec<FieldError>) {
        fn range(errors: &mut Vec<FieldError>, field: &str, v: u64, lo: u64, hi: u64) {
            if !(lo..=hi).contains(&v) {
                errors.push(FieldError::new(format!("condition.{field}"), format!("must be from {lo} to {hi}")));
            }
        }
        match self {
            Self::BotDown { for_seconds } => range(errors, "for_seconds", *for_seconds, 0, 86_400),
            Self::ReconnectStorm { reconnects, within_seconds } => {
                range(errors, "reconnects", *reconnects, 1, 10_000);
                range(errors, "within_seconds", *within_seconds, 10, 3_600);
            }
            Self::ReplyLatency { p99_ms, within_seconds } => {
                range(errors, "p99_ms", *p99_ms, 1, 60_000);
                range(errors, "within_seconds", *within_seconds, 10, 3_600);
            }
            Self::ErrorRate { percent, within_seconds, min_commands } => {
                if !(percent.is_finite() && *percent >= 0.0 && *percent < 100.0) {
                    errors.push(FieldError::new("condition.percent", "must be from 0 to under 100"));
                }
                range(errors, "within_seconds", *within_seconds, 10, 3_600);
                range(errors, "min_commands", *min_commands, 1, 1_000_000);
            }
            Self::RateLimited { count, within_seconds } => {
                range(errors, "count", *count, 0, 1_000_000);
                range(errors, "within_seconds", *within_seconds, 10, 3_600);
            }
            Self::TrackingBacklog { queue_depth } => range(errors, "queue_depth", *queue_depth, 0, 1_000_000),
            Self::DatabaseUnreachable {} | Self::WebhookPaused {} => {}
            Self::MemoryOver { megabytes } => range(errors, "megabytes", *megabytes, 1, 1_048_576),
            Self::InvalidRequests { requests } => range(errors, "requests", *requests, 0, 10_000),
            Self::SessionStartsLow { below } => range(errors, "below", *below, 1, 1_000_000),
        }
    }
}

/// A rule as created or replaced (`POST /alerts/rules`, `PUT /alerts/rules/{id}`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    /// 1 to 100 characters, no spaces around it.
    #[schema(
        pattern = r"^[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f](?:[^\x00-\x1f\x7f-\x9f]{0,98}[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f])?$"
    )]
    pub name: String,
    pub condition: Condition,
    /// One bot (per-bot conditions only); absent: every bot.
    #[serde(default)]
    pub bot_id: Option<i64>,
    /// Failing evaluations in a row before it fires, 1 to 100 (default 1).
    #[serde(default = "one")]
    #[schema(minimum = 1, maximum = 100)]
    pub failures_in_a_row: u32,
    /// While it fails and nobody acknowledged it, send again this often: 0 (never; default) or
    /// 10 to 604,800 seconds.
    #[serde(default)]
    #[schema(maximum = 604_800)]
    pub resend_every_seconds: u64,
    /// Send a notice when it recovers (default true).
    #[serde(default = "yes")]
    pub notify_recovery: bool,
    /// Where notifications go (besides the dashboard, which shows every alert): up to 20
    /// channels.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub channel_ids: Vec<i64>,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn one() -> u32 {
    1
}

fn yes() -> bool {
    true
}

/// A rule as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Rule {
    pub id: i64,
    pub name: String,
    pub condition: Condition,
    pub bot_id: Option<i64>,
    pub failures_in_a_row: u32,
    pub resend_every_seconds: u64,
    pub notify_recovery: bool,
    pub channel_ids: Vec<i64>,
    pub enabled: bool,
    pub created_at: String,
    pub updated_at: String,
}

impl RuleInput {
    /// Checks what can be checked without the database.
    pub fn validate(&self) -> Result<()> {
        let mut errors = Vec::new();
        check_name(&self.name, &mut errors);
        self.condition.check(&mut errors);
        if self.bot_id.is_some() && !self.condition.per_bot() {
            errors.push(FieldError::new(
                "bot_id",
                "this condition is about the botfleet node, not a bot: leave bot_id out",
            ));
        }
        if !(1..=100).contains(&self.failures_in_a_row) {
            errors.push(FieldError::new("failures_in_a_row", "must be from 1 to 100"));
        }
        if self.resend_every_seconds != 0 && !(10..=604_800).contains(&self.resend_every_seconds) {
            errors.push(FieldError::new("resend_every_seconds", "must be 0 (never) or from 10 to 604800"));
        }
        if self.channel_ids.len() > 20 {
            errors.push(FieldError::new("channel_ids", "at most 20 channels"));
        }
        for (i, id) in self.channel_ids.iter().enumerate() {
            if self.channel_ids[..i].contains(id) {
                errors.push(FieldError::new(format!("channel_ids[{i}]"), "listed twice"));
            }
        }
        done(errors)
    }
}

fn check_name(name: &str, errors: &mut Vec<FieldError>) {
    let n = name.trim().chars().count();
    if n == 0 || n > 100 || name.trim() != name {
        errors.push(FieldError::new("name", "must be 1 to 100 characters, without spaces around it"));
    } else {
        text::push(errors, "name", name, Lines::Single);
    }
}

fn done(errors: Vec<FieldError>) -> Result<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Validation(errors))
    }
}

/// A channel as created (`POST /alerts/channels`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelInput {
    /// 1 to 100 characters, no spaces around it.
    #[schema(
        pattern = r"^[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f](?:[^\x00-\x1f\x7f-\x9f]{0,98}[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f])?$"
    )]
    pub name: String,
    pub kind: ChannelKind,
    /// Where to deliver. A Discord webhook URL carries its token: it is stored encrypted and
    /// never shown again in full.
    #[schema(pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub url: String,
    /// `http_webhook`: the HMAC-SHA256 key (16 to 256 characters), write-only.
    #[serde(default)]
    #[schema(min_length = 16, max_length = 256, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub secret: Option<String>,
}

/// A channel edit (`PATCH /alerts/channels/{id}`): absent fields stay.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelEdit {
    #[schema(
        pattern = r"^[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f](?:[^\x00-\x1f\x7f-\x9f]{0,98}[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f])?$"
    )]
    pub name: Option<String>,
    #[schema(pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub url: Option<String>,
    #[schema(min_length = 16, max_length = 256, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub secret: Option<String>,
}

/// A channel as shown: never its full URL or its secret.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Channel {
    pub id: i64,
    pub name: String,
    pub kind: ChannelKind,
    /// The URL without its secret parts (`https://discord.com/api/webhooks/123/…`).
    pub target: String,
    pub has_secret: bool,
    pub created_at: String,
    pub updated_at: String,
}

/// Checks a channel's name, URL and secret for its kind (`webhooks::target`, shared with the
/// webhooks).
pub fn check_channel(
    kind: ChannelKind,
    name: Option<&str>,
    url: Option<&str>,
    secret: Option<&str>,
) -> Result<Option<CheckedUrl>> {
    let mut errors = Vec::new();
    if let Some(name) = name {
        check_name(name, &mut errors);
    }
    let checked = target::check(kind, url, secret, &mut errors);
    done(errors)?;
    Ok(checked)
}

/// A window's times (`once`) or weekly schedule (`weekly`), UTC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Once {
    /// RFC 3339.
    pub starts_at: String,
    /// RFC 3339, after `starts_at`.
    pub ends_at: String,
}

/// Every week on `days` at `start` (UTC, `HH:MM`) for `duration_minutes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Weekly {
    /// `mon` … `sun`; every day for a daily window.
    #[schema(value_type = Vec<Day>, min_items = 1)]
    pub days: Vec<String>,
    /// `HH:MM`, UTC.
    #[schema(pattern = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub start: String,
    /// 1 to 10,080 (a week).
    #[schema(minimum = 1, maximum = 10_080)]
    pub duration_minutes: u32,
}

/// A day of the week.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// A maintenance window as created (`POST /alerts/maintenance`): exactly one of `once` and
/// `weekly`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceInput {
    /// 1 to 100 characters, no spaces around it.
    #[schema(
        pattern = r"^[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f](?:[^\x00-\x1f\x7f-\x9f]{0,98}[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f])?$"
    )]
    pub name: String,
    /// Only this rule; absent: every rule.
    #[serde(default)]
    pub rule_id: Option<i64>,
    /// Only this bot; absent: every bot and the node.
    #[serde(default)]
    pub bot_id: Option<i64>,
    #[serde(default)]
    pub once: Option<Once>,
    #[serde(default)]
    pub weekly: Option<Weekly>,
}

/// A maintenance window as shown.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Maintenance {
    pub id: i64,
    pub name: String,
    pub rule_id: Option<i64>,
    pub bot_id: Option<i64>,
    pub once: Option<Once>,
    pub weekly: Option<Weekly>,
    /// Whether it mutes alerts right now.
    pub active_now: bool,
    pub created_at: String,
}

/// A window's schedule, ready to test against a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// From `starts_at` to `ends_at` (ms).
    Once { starts_at: i64, ends_at: i64 },
    /// Bit 0 Monday … bit 6 Sunday; minutes after midnight UTC; minutes long.
    Weekly { days_mask: u8, start_minute: u32, duration_minutes: u32 },
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_MS: i64 = 86_400_000;

impl Schedule {
    /// Whether `now` (ms) falls inside the window.
    pub fn active(self, now: i64) -> bool {
        match self {
            Self::Once { starts_at, ends_at } => starts_at <= now && now < ends_at,
            Self::Weekly { days_mask, start_minute, duration_minutes } => {
                let today = now.div_euclid(DAY_MS);
                // A window may have started up to a week ago (a long one running over midnight).
                (0..=7).any(|back| {
                    let day = today - back;
                    // 1970-01-01 was a Thursday (index 3).
                    let weekday = (day + 3).rem_euclid(7);
                    let start = day * DAY_MS + i64::from(start_minute) * 60_000;
                    let end = start + i64::from(duration_minutes) * 60_000;
                    days_mask & (1 << weekday) != 0 && start <= now && now < end
                })
            }
        }
    }

    /// The API's view of it.
    pub fn shown(self) -> (Option<Once>, Option<Weekly>) {
        match self {
            Self::Once { starts_at, ends_at } => (
                Some(Once { starts_at: crate::time::rfc3339(starts_at), ends_at: crate::time::rfc3339(ends_at) }),
                None,
            ),
            Self::Weekly { days_mask, start_minute, duration_minutes } => (
                None,
                Some(Weekly {
                    days: DAYS
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| days_mask & (1 << i) != 0)
                        .map(|(_, d)| (*d).to_owned())
                        .collect(),
                    start: format!("{:02}:{:02}", start_minute / 60, start_minute % 60),
                    duration_minutes,
                }),
            ),
        }
    }
}

impl MaintenanceInput {
    /// Checks the request and turns it into a schedule.
    pub fn validate(&self) -> Result<Schedule> {
        let mut errors = Vec::new();
        check_name(&self.name, &mut errors);
        let schedule = match (&self.once, &self.weekly) {
            (Some(once), None) => {
                let starts = crate::time::parse("once.starts_at", &once.starts_at);
                let ends = crate::time::parse("once.ends_at", &once.ends_at);
                match (starts, ends) {
                    (Ok(s), Ok(e)) if s < e => Some(Schedule::Once { starts_at: s, ends_at: e }),
                    (Ok(_), Ok(_)) => {
                        errors.push(FieldError::new("once.ends_at", "must be after starts_at"));
                        None
                    }
                    (s, e) => {
                        for r in [s, e] {
                            if let Err(Error::Validation(mut f)) = r {
                                errors.append(&mut f);
                            }
                        }
                        None
                    }
                }
            }
            (None, Some(weekly)) => {
                let mut mask = 0u8;
                for (i, d) in weekly.days.iter().enumerate() {
                    match DAYS.iter().position(|x| x.eq_ignore_ascii_case(d)) {
                        Some(n) => mask |= 1 << n,
                        None => errors.push(FieldError::new(
                            format!("weekly.days[{i}]"),
                            "must be mon, tue, wed, thu, fri, sat or sun",
                        )),
                    }
                }
                if weekly.days.is_empty() {
                    errors.push(FieldError::new("weekly.days", "name at least one day"));
                }
                let start = weekly.start.split_once(':').and_then(|(h, m)| {
                    let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
                    (h < 24 && m < 60 && weekly.start.len() == 5).then_some(h * 60 + m)
                });
                if start.is_none() {
                    errors.push(FieldError::new("weekly.start", "must be a UTC time as HH:MM (00:00 to 23:59)"));
                }
                if !(1..=10_080).contains(&weekly.duration_minutes) {
                    errors.push(FieldError::new("weekly.duration_minutes", "must be from 1 to 10080 (a week)"));
                }
                start.map(|start_minute| Schedule::Weekly {
                    days_mask: mask,
                    start_minute,
                    duration_minutes: weekly.duration_minutes,
                })
            }
            _ => {
                errors.push(FieldError::new("once", "give exactly one of once and weekly"));
                None
            }
        };
        done(errors)?;
        schedule.ok_or_else(|| Error::field("once", "give exactly one of once and weekly"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MONDAY_0000: i64 = 1_763_942_400_000; // 2025-11-24T00:00:00Z, a Monday

    #[test]
    fn weekly_windows_cover_their_days_and_run_over_midnight() {
        let w = Schedule::Weekly { days_mask: 1, start_minute: 23 * 60, duration_minutes: 120 };
        let min = 60_000;
        assert!(!w.active(MONDAY_0000 + 22 * 60 * min));
        assert!(w.active(MONDAY_0000 + 23 * 60 * min));
        assert!(w.active(MONDAY_0000 + 24 * 60 * min + 30 * min), "Tuesday 00:30 is still Monday's window");
        assert!(!w.active(MONDAY_0000 + 25 * 60 * min));
        assert!(!w.active(MONDAY_0000 + DAY_MS + 23 * 60 * min), "not on Tuesday");
        assert!(w.active(MONDAY_0000 + 7 * DAY_MS + 23 * 60 * min), "next Monday");
        assert_eq!(w.shown().1.unwrap().start, "23:00");
    }
}
