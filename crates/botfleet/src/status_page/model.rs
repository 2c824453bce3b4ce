//! The status page's settings as an admin sets them (checked before any SQL runs), and what the
//! public page says: a bot's state in public words, uptime bars and incidents, nothing secret.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::bots::{DesiredState, Status};
use crate::error::{Error, FieldError, Result};
use crate::text::{self, Lines};

/// The longest page title and public label, in characters.
pub const TEXT_MAX: usize = 100;

/// The most bots one page shows.
pub const BOTS_MAX: usize = 100;

/// The title a page has until an admin names it.
pub const DEFAULT_TITLE: &str = "Service status";

/// The page's settings (`GET /api/v1/status-page`).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct StatusPageSettings {
    /// `/status` and `/status.json` are served (404 while off; off by default).
    pub enabled: bool,
    /// The page's heading and `<title>`.
    pub title: String,
    /// The bots shown, in the page's order.
    pub bots: Vec<ShownBotView>,
    /// Name it in the next change (409 when someone changed the page since).
    pub version: i64,
    /// When it last changed; absent while it never did.
    pub updated_at: Option<String>,
}

/// A bot the page shows.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ShownBotView {
    pub bot_id: i64,
    /// The bot's own name (not shown on the page unless it is also the label).
    pub name: String,
    /// The public label; absent: the page shows the bot's name.
    pub label: Option<String>,
    /// What the page calls it: the label, else the name.
    pub shown_as: String,
}

/// A bot to show, as a change names it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ShownBot {
    #[schema(minimum = 1)]
    pub bot_id: i64,
    /// The public label (1 to 100 characters, one line); absent, null or blank: the bot's name.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub label: Option<String>,
}

/// `PUT /api/v1/status-page`: the whole settings, replacing the stored ones.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusPageChange {
    pub enabled: bool,
    /// 1 to 100 characters, one line.
    #[schema(min_length = 1, max_length = 100)]
    pub title: String,
    /// At most 100 bots, each listed once, in the page's order.
    #[schema(max_items = 100)]
    pub bots: Vec<ShownBot>,
    /// The version the change was made from.
    pub version: i64,
}

/// A change whose fields passed their rules (the bots' existence is the store's to check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidChange {
    pub enabled: bool,
    pub title: String,
    pub bots: Vec<ShownBot>,
    pub version: i64,
}

fn check_text(errors: &mut Vec<FieldError>, field: &str, value: &str) -> bool {
    if !text::push(errors, field, value, Lines::Single) {
        return false;
    }
    let length = value.chars().count();
    if length == 0 || length > TEXT_MAX {
        errors.push(FieldError::new(field, format!("must be 1 to {TEXT_MAX} characters")));
        return false;
    }
    true
}

impl StatusPageChange {
    /// Trims the texts (a blank label is the bot's name) and checks every field, naming each one
    /// that breaks a rule (422).
    pub fn validate(self) -> Result<ValidChange> {
        let mut errors = Vec::new();
        let title = self.title.trim().to_owned();
        check_text(&mut errors, "title", &title);
        if self.bots.len() > BOTS_MAX {
            errors.push(FieldError::new("bots", format!("at most {BOTS_MAX} bots")));
        }
        let mut bots = Vec::with_capacity(self.bots.len());
        for (i, bot) in self.bots.into_iter().enumerate() {
            if bot.bot_id < 1 {
                errors.push(FieldError::new(format!("bots[{i}].bot_id"), "must be a bot's id"));
            } else if bots.iter().any(|b: &ShownBot| b.bot_id == bot.bot_id) {
                errors.push(FieldError::new(format!("bots[{i}].bot_id"), "is listed twice"));
            }
            let label = bot.label.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty());
            if let Some(l) = &label {
                check_text(&mut errors, &format!("bots[{i}].label"), l);
            }
            bots.push(ShownBot { bot_id: bot.bot_id, label });
        }
        if self.version < 1 {
            errors.push(FieldError::new("version", "must be the page's current version"));
        }
        if errors.is_empty() {
            Ok(ValidChange { enabled: self.enabled, title, bots, version: self.version })
        } else {
            Err(Error::Validation(errors))
        }
    }
}

/// A bot's (and the fleet's) state in public words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PublicState {
    /// Running and answering.
    Up,
    /// Starting or reconnecting: it answers late or not for a moment. For the fleet: some shown
    /// bot is not up.
    Degraded,
    /// Failed, or stopped while it should run. For the fleet: every bot that should run is down.
    Down,
    /// Stopped on purpose by the shop (not an outage; left out of the fleet's state). For the
    /// fleet: nothing shown is meant to run.
    Paused,
}

impl PublicState {
    /// A bot's public state from what the fleet says of it and what the admin wants of it.
    pub fn of(status: Status, desired: DesiredState) -> Self {
        match status {
            Status::Running => Self::Up,
            Status::Starting | Status::Reconnecting => Self::Degraded,
            Status::Failed => Self::Down,
            Status::Stopped if desired == DesiredState::Running => Self::Down,
            Status::Stopped => Self::Paused,
        }
    }

    /// The fleet's state from its shown bots': up when every bot meant to run is up, down when
    /// every one is down, degraded in between; paused when none is meant to run.
    pub fn overall(states: impl IntoIterator<Item = Self>) -> Self {
        let judged: Vec<Self> = states.into_iter().filter(|s| *s != Self::Paused).collect();
        if judged.is_empty() {
            Self::Paused
        } else if judged.iter().all(|s| *s == Self::Up) {
            Self::Up
        } else if judged.iter().all(|s| *s == Self::Down) {
            Self::Down
        } else {
            Self::Degraded
        }
    }

    /// The word the page shows (with the fleet's in [`PublicState::fleet_words`]).
    pub fn words(self) -> &'static str {
        match self {
            Self::Up => "Operational",
            Self::Degraded => "Degraded",
            Self::Down => "Down",
            Self::Paused => "Paused",
        }
    }

    /// The fleet's state as a sentence.
    pub fn fleet_words(self) -> &'static str {
        match self {
            Self::Up => "All systems operational",
            Self::Degraded => "Some systems are degraded",
            Self::Down => "Major outage",
            Self::Paused => "Nothing is running at the moment",
        }
    }

    /// The JSON word, also the HTML class.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Degraded => "degraded",
            Self::Down => "down",
            Self::Paused => "paused",
        }
    }
}

/// One bar: the share of the span the bot was up while it was meant to run.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Bar {
    /// The span's start (UTC, RFC 3339); a bar ends where the next starts (the last one: now).
    pub start: String,
    /// 0 to 1; null when nothing was recorded (stopped on purpose, botfleet not running, or
    /// older than what is kept).
    pub uptime: Option<f64>,
}

/// Uptime over each window: the share (null: no data) and its bars, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Window {
    pub uptime: Option<f64>,
    pub bars: Vec<Bar>,
}

/// The three windows a bot's uptime is shown over.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Windows {
    /// 24 hourly bars (the last: this hour so far).
    #[serde(rename = "24h")]
    pub day: Window,
    /// 28 bars of 6 hours.
    #[serde(rename = "7d")]
    pub week: Window,
    /// 90 daily bars (UTC days; the last: today so far).
    #[serde(rename = "90d")]
    pub quarter: Window,
}

/// A shown bot on the public page.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct PublicBot {
    /// Its public label (or name).
    pub label: String,
    pub state: PublicState,
    pub uptime: Windows,
}

/// An incident of a shown bot, in generic words.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct PublicIncident {
    /// `<label> is down` or `<label> is degraded`.
    pub title: String,
    /// The label of the bot it concerns.
    pub bot: String,
    pub started_at: String,
    /// Absent while it is ongoing.
    pub resolved_at: Option<String>,
}

/// Current incidents, and those resolved in the last 7 days (newest first).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct PublicIncidents {
    pub current: Vec<PublicIncident>,
    pub recent: Vec<PublicIncident>,
}

/// `/status.json`: what `/status` shows.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct PublicStatus {
    pub title: String,
    /// When these figures were computed (they are kept up to 30 s).
    pub generated_at: String,
    /// The fleet's state.
    pub state: PublicState,
    pub bots: Vec<PublicBot>,
    pub incidents: PublicIncidents,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_in_public_words() {
        use DesiredState::{Running as Wanted, Stopped as Unwanted};
        assert_eq!(PublicState::of(Status::Running, Wanted), PublicState::Up);
        assert_eq!(PublicState::of(Status::Reconnecting, Wanted), PublicState::Degraded);
        assert_eq!(PublicState::of(Status::Starting, Wanted), PublicState::Degraded);
        assert_eq!(PublicState::of(Status::Failed, Unwanted), PublicState::Down);
        assert_eq!(PublicState::of(Status::Stopped, Wanted), PublicState::Down);
        assert_eq!(PublicState::of(Status::Stopped, Unwanted), PublicState::Paused);
        use PublicState::*;
        assert_eq!(PublicState::overall([Up, Paused, Up]), Up);
        assert_eq!(PublicState::overall([Up, Down]), Degraded);
        assert_eq!(PublicState::overall([Down, Paused, Down]), Down);
        assert_eq!(PublicState::overall([Paused]), Paused);
        assert_eq!(PublicState::overall([]), Paused);
    }

    #[test]
    fn a_change_is_trimmed_and_every_broken_rule_named() {
        let change = |title: &str, bots: Vec<ShownBot>| StatusPageChange {
            enabled: true,
            title: title.into(),
            bots,
            version: 1,
        };
        let bot = |id, label: Option<&str>| ShownBot { bot_id: id, label: label.map(str::to_owned) };
        let ok = change(" Shop ", vec![bot(1, Some("  ")), bot(2, Some(" Orders "))]).validate().unwrap();
        assert_eq!(ok.title, "Shop");
        assert_eq!(ok.bots, vec![bot(1, None), bot(2, Some("Orders"))]);
        let bad = change("", vec![bot(1, None), bot(1, Some("a\nb")), bot(0, Some(&"x".repeat(101)))]);
        match bad.validate() {
            Err(Error::Validation(f)) => assert_eq!(
                f.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
                ["title", "bots[1].bot_id", "bots[1].label", "bots[2].bot_id", "bots[2].label"]
            ),
            other => panic!("{other:?}"),
        }
    }
}
