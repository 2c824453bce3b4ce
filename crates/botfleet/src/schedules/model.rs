//! What a schedule is, as the API takes and shows it: a bot, a channel and a message, sent once at
//! a time or at each instant of a 5-field cron expression read in an IANA time zone; and the pure
//! rules — checking the input (field errors a person can fix), the next instants, and which due
//! instants a round sends, sends late or skips.

use std::str::FromStr;

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::FieldError;
use crate::jobs::messages::{Destination, MessageBatch, MessageBody};

/// A run whose instant passed more than this before a round saw it was missed (the service was
/// down, or busy): `missed` decides whether it is sent late or skipped.
pub const GRACE_MS: i64 = 60_000;
/// Instants `next_runs` shows.
pub const NEXT_RUNS: usize = 5;
/// Most due instants one round looks at for one schedule (a minutely cron after a long outage);
/// older ones are neither sent nor recorded.
pub const DUE_MAX: usize = 1_000;

/// What happens to runs missed while no node could send them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Missed {
    /// The latest missed run is sent once, late; earlier missed ones are recorded `skipped`.
    #[default]
    SendLate,
    /// Missed runs are recorded `skipped`; the next run on time is sent.
    Skip,
}

impl Missed {
    /// The stored and shown word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendLate => "send_late",
            Self::Skip => "skip",
        }
    }

    /// Parses a stored word.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::SendLate, Self::Skip].into_iter().find(|m| m.as_str() == text)
    }
}

/// When a schedule fires.
#[derive(Debug, Clone)]
pub enum When {
    /// Once, at this instant (UTC ms); shown in `zone`.
    Once { at: i64, zone: Tz },
    /// At each instant the expression matches on the zone's wall clock.
    Cron { cron: Box<Cron>, zone: Tz },
}

impl When {
    /// Reads the stored or requested timing; field errors name `once`, `cron` or `time_zone`.
    pub fn read(once: Option<&str>, cron: Option<&str>, time_zone: Option<&str>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let zone = match time_zone.map(str::trim) {
            None | Some("") => Some(Tz::UTC),
            Some(name) => Tz::from_str(name).ok().or_else(|| {
                errors.push(FieldError::new(
                    "time_zone",
                    "is not a time zone this server knows; use an IANA name such as Europe/Berlin or UTC",
                ));
                None
            }),
        };
        let when = match (once, cron) {
            (Some(_), Some(_)) => {
                let why = "give once (a single time) or cron (a repeating one), not both";
                errors.push(FieldError::new("once", why));
                errors.push(FieldError::new("cron", why));
                None
            }
            (None, None) => {
                errors.push(FieldError::new("cron", "give once (a single time) or cron (a repeating one)"));
                None
            }
            (Some(text), None) => match DateTime::parse_from_rfc3339(text.trim()) {
                Ok(t) => zone.map(|zone| When::Once { at: t.timestamp_millis(), zone }),
                Err(_) => {
                    errors.push(FieldError::new(
                        "once",
                        "must be an RFC 3339 time with its offset (2027-03-26T09:00:00+01:00)",
                    ));
                    None
                }
            },
            (None, Some(text)) => match parse_cron(text) {
                Ok(cron) => zone.map(|zone| When::Cron { cron: Box::new(cron), zone }),
                Err(why) => {
                    errors.push(FieldError::new("cron", why));
                    None
                }
            },
        };
        match when {
            Some(when) if errors.is_empty() => Ok(when),
            _ => Err(errors),
        }
    }

    /// Checks that it fires at all after `now` (a one-off in the future; a cron that matches a
    /// real date): the first instant, or the field error.
    pub fn first_after(&self, now: i64) -> Result<i64, FieldError> {
        match self {
            When::Once { at, .. } if *at > now => Ok(*at),
            When::Once { .. } => Err(FieldError::new("once", "must be in the future")),
            When::Cron { .. } => self.next_after(now).ok_or_else(|| {
                FieldError::new("cron", "never fires: no date matches it (such as the 31st of February)")
            }),
        }
    }

    /// The first instant strictly after `after` (UTC ms), if any.
    pub fn next_after(&self, after: i64) -> Option<i64> {
        match self {
            When::Once { at, .. } => (*at > after).then_some(*at),
            When::Cron { cron, zone } => {
                let start = zone.timestamp_millis_opt(after).single()?;
                cron.find_next_occurrence(&start, false).ok().map(|t| t.timestamp_millis())
            }
        }
    }

    /// The last instant at or before `at`, if any.
    pub fn latest_until(&self, at: i64) -> Option<i64> {
        match self {
            When::Once { at: once, .. } => (*once <= at).then_some(*once),
            When::Cron { cron, zone } => {
                let start = zone.timestamp_millis_opt(at).single()?;
                cron.find_previous_occurrence(&start, true).ok().map(|t| t.timestamp_millis())
            }
        }
    }

    /// The instants from `first` to `now` (both inclusive), oldest first: at most [`DUE_MAX`],
    /// the last always the latest (after a long outage the ones between are left out).
    pub fn due(&self, first: i64, now: i64) -> Vec<i64> {
        let mut due = Vec::new();
        let mut at = Some(first);
        while let Some(instant) = at.filter(|t| *t <= now) {
            if due.len() + 1 == DUE_MAX {
                due.extend(self.latest_until(now).filter(|l| *l > instant).or(Some(instant)));
                break;
            }
            due.push(instant);
            at = self.next_after(instant);
        }
        due
    }

    /// Up to `n` instants from `from` (inclusive) on.
    pub fn upcoming(&self, from: i64, n: usize) -> Vec<i64> {
        let mut out = Vec::with_capacity(n);
        let mut after = from.saturating_sub(1);
        while out.len() < n {
            match self.next_after(after) {
                Some(at) => {
                    out.push(at);
                    after = at;
                }
                None => break,
            }
        }
        out
    }

    /// The zone its instants are shown in.
    pub fn zone(&self) -> Tz {
        match self {
            When::Once { zone, .. } | When::Cron { zone, .. } => *zone,
        }
    }

    /// Whether it fires once.
    pub fn is_once(&self) -> bool {
        matches!(self, When::Once { .. })
    }
}

/// A cron expression of exactly five fields (minute hour day-of-month month day-of-week), as
/// croner reads it (names such as MON and JAN, ranges, steps, `L` and `#` allowed).
fn parse_cron(text: &str) -> Result<Cron, String> {
    let fields = text.split_whitespace().count();
    if fields != 5 {
        return Err(format!("must have 5 fields: minute hour day-of-month month day-of-week (has {fields})"));
    }
    CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build()
        .parse(text)
        .map_err(|e| format!("is not a cron expression croner reads: {e}"))
}

/// One upcoming instant, in UTC and on the schedule's wall clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct NextRun {
    /// RFC 3339, UTC (`2027-03-29T07:00:00Z`).
    pub at: String,
    /// The same instant in the schedule's time zone, with its offset (`2027-03-29T09:00:00+02:00`).
    pub local: String,
}

impl NextRun {
    /// The instant `at` (UTC ms) shown in `zone`.
    pub fn new(at: i64, zone: Tz) -> Self {
        let utc = Utc.timestamp_millis_opt(at).single();
        Self {
            at: utc.map_or_else(|| crate::time::rfc3339(at), |t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
            local: utc.map_or_else(
                || crate::time::rfc3339(at),
                |t| t.with_timezone(&zone).to_rfc3339_opts(SecondsFormat::Secs, true),
            ),
        }
    }
}

/// `POST /schedules`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    /// The bot that posts.
    pub bot_id: i64,
    /// The channel (a Discord id as a string) the bot must be able to see.
    #[schema(value_type = crate::bots::model::ChannelId)]
    pub channel_id: Value,
    /// What it posts: content and/or embeds, and who may be pinged (asking for any ping needs
    /// `bots.mention`).
    pub message: MessageBody,
    /// A one-off: an RFC 3339 time in the future. Give this or `cron`.
    pub once: Option<String>,
    /// Repeating: 5 fields (minute hour day-of-month month day-of-week), read on `time_zone`'s
    /// wall clock. Give this or `once`.
    #[schema(max_length = 200)]
    pub cron: Option<String>,
    /// An IANA time zone (`Europe/Berlin`); default `UTC`.
    #[schema(max_length = 64)]
    pub time_zone: Option<String>,
    /// Default true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Runs missed while the service was down: `send_late` (default) or `skip`.
    #[serde(default)]
    pub missed: Missed,
}

fn yes() -> bool {
    true
}

impl ScheduleInput {
    /// A saved schedule with `edit` applied, to check as a whole. Giving `once` or `cron` replaces
    /// the timing (the other is dropped unless given too, which is refused).
    pub fn edited(saved: &Settings, edit: ScheduleEdit) -> Self {
        let retimed = edit.once.is_some() || edit.cron.is_some();
        let (once, cron) =
            if retimed { (edit.once, edit.cron) } else { (saved.once.map(crate::time::rfc3339), saved.cron.clone()) };
        Self {
            bot_id: edit.bot_id.unwrap_or(saved.bot_id),
            channel_id: edit.channel_id.unwrap_or_else(|| Value::String(saved.channel_id.to_string())),
            message: edit.message.unwrap_or_else(|| saved.message.clone()),
            once,
            cron,
            time_zone: edit.time_zone.or_else(|| Some(saved.time_zone.clone())),
            enabled: edit.enabled.unwrap_or(saved.enabled),
            missed: edit.missed.unwrap_or(saved.missed),
        }
    }
}

/// `PATCH /schedules/{id}`: the fields to change. Giving `once` or `cron` replaces the timing
/// (a one-off becomes repeating, or the other way).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleEdit {
    pub bot_id: Option<i64>,
    #[schema(value_type = Option<crate::bots::model::ChannelId>)]
    pub channel_id: Option<Value>,
    pub message: Option<MessageBody>,
    pub once: Option<String>,
    #[schema(max_length = 200)]
    pub cron: Option<String>,
    #[schema(max_length = 64)]
    pub time_zone: Option<String>,
    pub enabled: Option<bool>,
    pub missed: Option<Missed>,
}

/// `POST /schedules/preview`: the timing alone, before saving.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewInput {
    pub once: Option<String>,
    #[schema(max_length = 200)]
    pub cron: Option<String>,
    #[schema(max_length = 64)]
    pub time_zone: Option<String>,
}

/// What the preview answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Preview {
    /// The time zone the instants were read in.
    pub time_zone: String,
    /// The next instants (up to 5) after now.
    pub next_runs: Vec<NextRun>,
}

/// A schedule's settings, checked: what the store keeps.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bot_id: i64,
    pub channel_id: i64,
    pub message: MessageBody,
    pub once: Option<i64>,
    pub cron: Option<String>,
    pub time_zone: String,
    pub enabled: bool,
    pub missed: Missed,
}

impl Settings {
    /// The batch of one this schedule sends at each run.
    pub fn batch(&self) -> MessageBatch {
        MessageBatch {
            messages: vec![self.message.clone()],
            channels: vec![Destination { bot_id: self.bot_id, channel_id: self.channel_id.to_string() }],
        }
    }

    /// Whether `other` fires at the same instants.
    pub fn same_timing(&self, other: &Settings) -> bool {
        (self.once, &self.cron, &self.time_zone) == (other.once, &other.cron, &other.time_zone)
    }

    /// Its timing (stored settings were checked when saved; one that no longer reads is named).
    pub fn when(&self) -> Result<When, Vec<FieldError>> {
        let once = self.once.map(crate::time::rfc3339);
        When::read(once.as_deref(), self.cron.as_deref(), Some(&self.time_zone))
    }
}

/// Checks a whole schedule (a new one, or an old one with an edit applied: [`ScheduleInput::edited`]):
/// every problem with the field named, the batch's names mapped to the schedule's
/// (`message.content`, `channel_id`). The checked settings and, when enabled, their first instant
/// after `now` (a one-off must be in the future; a cron must fire at all).
pub fn check(input: &ScheduleInput, now: i64) -> Result<(Settings, Option<i64>), Vec<FieldError>> {
    let ScheduleInput { bot_id, channel_id, message, enabled, missed, .. } = input;
    let (bot_id, enabled, missed) = (*bot_id, *enabled, *missed);
    let (once, cron, time_zone) = (input.once.as_deref(), input.cron.as_deref(), input.time_zone.as_deref());
    let mut errors = Vec::new();
    let channel = crate::bots::model::parse_snowflake(channel_id).and_then(|id| i64::try_from(id).ok());
    if channel.is_none() {
        errors.push(FieldError::new("channel_id", "must be a Discord channel id (17 to 19 digits)"));
    }
    let batch = MessageBatch {
        messages: vec![message.clone()],
        channels: vec![Destination { bot_id, channel_id: channel.unwrap_or_default().to_string() }],
    };
    if let Err(found) = batch.check() {
        for e in found {
            if let Some(rest) = e.field.strip_prefix("messages[0].") {
                errors.push(FieldError::new(format!("message.{rest}"), e.message));
            } else if e.field.starts_with("channels[0]") {
                if channel.is_some() {
                    errors.push(FieldError::new("channel_id", e.message));
                }
            } else {
                errors.push(FieldError::new(format!("message.{}", e.field), e.message));
            }
        }
    }
    let when = When::read(once, cron, time_zone).map_err(|mut more| errors.append(&mut more)).ok();
    let first = match (&when, enabled) {
        (Some(when), true) => when.first_after(now).map_err(|e| errors.push(e)).ok(),
        _ => None,
    };
    let (Some(when), Some(channel_id), true) = (when, channel, errors.is_empty()) else {
        return Err(errors);
    };
    let settings = Settings {
        bot_id,
        channel_id,
        message: message.clone(),
        once: match when {
            When::Once { at, .. } => Some(at),
            When::Cron { .. } => None,
        },
        cron: cron.map(|c| c.split_whitespace().collect::<Vec<_>>().join(" ")),
        time_zone: when.zone().name().to_owned(),
        enabled,
        missed,
    };
    Ok((settings, first))
}

/// A schedule as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Schedule {
    pub id: i64,
    pub bot_id: i64,
    /// A Discord id, as a string.
    pub channel_id: String,
    pub message: MessageBody,
    /// A one-off's time (RFC 3339, UTC); null for a cron schedule.
    pub once: Option<String>,
    /// A repeating schedule's 5-field expression; null for a one-off.
    pub cron: Option<String>,
    /// The IANA zone `cron` is read in (and `next_runs[].local` shown in).
    pub time_zone: String,
    /// Off: nothing is sent (a one-off turns off once it has run).
    pub enabled: bool,
    pub missed: Missed,
    /// Who made it (`user alice`, `key ci`).
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// The instant of the last run sent (or being sent); null before the first.
    pub last_run_at: Option<String>,
    /// The latest run recorded (sent, failed, queued or skipped).
    pub last_run: Option<Run>,
    /// The next instants (up to 5), computed by the server; empty when disabled or done.
    pub next_runs: Vec<NextRun>,
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Its job is queued or running.
    Queued,
    /// Its job succeeded: the message was posted.
    Sent,
    /// Its job failed or was cancelled (see the job for why).
    Failed,
    /// Missed while the service was down, and not sent (`missed: skip`, or an earlier one of
    /// several missed).
    Skipped,
}

impl RunState {
    /// The stored and shown word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }

    /// Parses a stored word.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Queued, Self::Sent, Self::Failed, Self::Skipped].into_iter().find(|s| s.as_str() == text)
    }
}

/// One run of a schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Run {
    pub id: i64,
    /// The instant it was for (RFC 3339, UTC).
    pub at: String,
    pub state: RunState,
    /// Sent after its instant had passed by more than the grace (60 s): the service was down.
    pub late: bool,
    /// The job that sends it (`GET /jobs/{id}`); null when skipped.
    pub job_id: Option<i64>,
    /// When this node recorded it.
    pub recorded_at: String,
}

/// What a round does with the instants of one schedule that are due (`due`, oldest first, all at
/// or before `now`): the one to send (the latest, if it is on time or `missed` is `send_late`;
/// `late` when past the grace) and the ones recorded `skipped`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub send: Option<(i64, bool)>,
    pub skip: Vec<i64>,
}

/// Decides a round for one schedule (pure: see [`Decision`]).
pub fn decide(due: &[i64], now: i64, missed: Missed) -> Decision {
    let Some((&latest, earlier)) = due.split_last() else {
        return Decision { send: None, skip: Vec::new() };
    };
    let late = now.saturating_sub(latest) > GRACE_MS;
    let mut skip = earlier.to_vec();
    let send = if !late || missed == Missed::SendLate {
        Some((latest, late))
    } else {
        skip.push(latest);
        None
    };
    Decision { send, skip }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text).unwrap().timestamp_millis()
    }

    #[test]
    fn nine_in_berlin_is_eight_utc_in_winter_and_seven_in_summer() {
        let when = When::read(None, Some("0 9 * * *"), Some("Europe/Berlin")).unwrap();
        let runs: Vec<NextRun> =
            when.upcoming(ms("2027-03-26T12:00:00Z"), 4).into_iter().map(|at| NextRun::new(at, when.zone())).collect();
        let at: Vec<&str> = runs.iter().map(|r| r.at.as_str()).collect();
        assert_eq!(
            at,
            ["2027-03-27T08:00:00Z", "2027-03-28T07:00:00Z", "2027-03-29T07:00:00Z", "2027-03-30T07:00:00Z"]
        );
        assert_eq!(runs[0].local, "2027-03-27T09:00:00+01:00");
        assert_eq!(runs[1].local, "2027-03-28T09:00:00+02:00");
    }

    #[test]
    fn bad_timing_names_its_field() {
        let field = |once: Option<&str>, cron: Option<&str>, tz: Option<&str>| -> Vec<String> {
            When::read(once, cron, tz).unwrap_err().into_iter().map(|e| e.field).collect()
        };
        assert_eq!(field(None, Some("0 9 * *"), None), ["cron"]);
        assert_eq!(field(None, Some("0 25 * * *"), None), ["cron"]);
        assert_eq!(field(None, Some("0 9 * * *"), Some("Mars/Olympus")), ["time_zone"]);
        assert_eq!(field(Some("2027-01-01T00:00:00Z"), Some("0 9 * * *"), None), ["once", "cron"]);
        assert_eq!(field(None, None, None), ["cron"]);
        assert_eq!(field(Some("tomorrow"), None, None), ["once"]);
        let never = When::read(None, Some("0 0 31 2 *"), None).unwrap();
        assert_eq!(never.first_after(ms("2026-01-01T00:00:00Z")).unwrap_err().field, "cron");
        let past = When::read(Some("2026-01-01T00:00:00Z"), None, None).unwrap();
        assert_eq!(past.first_after(ms("2026-06-01T00:00:00Z")).unwrap_err().message, "must be in the future");
    }

    #[test]
    fn a_round_sends_the_latest_due_run_once() {
        let t = 1_000_000_000;
        let day = 86_400_000;
        // On time: sent.
        assert_eq!(decide(&[t], t + 5, Missed::Skip), Decision { send: Some((t, false)), skip: vec![] });
        // Three missed: send_late sends the latest late, skips the rest; skip skips all.
        let due = [t, t + day, t + 2 * day];
        let now = t + 2 * day + GRACE_MS + 1;
        assert_eq!(
            decide(&due, now, Missed::SendLate),
            Decision { send: Some((t + 2 * day, true)), skip: vec![t, t + day] }
        );
        assert_eq!(decide(&due, now, Missed::Skip), Decision { send: None, skip: due.to_vec() });
        assert_eq!(decide(&[], now, Missed::Skip), Decision { send: None, skip: vec![] });
    }

    #[test]
    fn due_instants_are_bounded_and_end_with_the_latest() {
        let minutely = When::read(None, Some("* * * * *"), None).unwrap();
        let start = ms("2027-01-01T00:00:00Z");
        assert_eq!(minutely.due(start, start + 150_000), [start, start + 60_000, start + 120_000]);
        let year = minutely.due(start, ms("2028-01-01T00:00:30Z"));
        assert_eq!(year.len(), DUE_MAX);
        assert_eq!(*year.last().unwrap(), ms("2028-01-01T00:00:00Z"));
        let once = When::read(Some("2027-01-01T00:00:00Z"), None, None).unwrap();
        assert_eq!(once.due(start, start + 1), [start]);
    }
}
