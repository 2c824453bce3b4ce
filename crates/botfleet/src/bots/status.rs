//! A bot's status in words that cross module lines: where it is in its life ([`Status`], as the
//! fleet knows it and the API, the event bus and the metrics show it), what an admin wants of it
//! ([`DesiredState`], stored), and how many bots are in each status ([`BotCounts`]).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a bot is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not running (never started, or stopped).
    Stopped,
    /// Asking Discord for the gateway, registering commands, identifying.
    Starting,
    /// Connected and answering.
    Running,
    /// Lost its connection; reconnecting (resuming when possible).
    Reconnecting,
    /// Stopped by something an admin must fix (bad token, disallowed intents); see the reason.
    Failed,
}

impl Status {
    /// The status as a word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stopped => "stopped",
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Reconnecting => "reconnecting",
            Self::Failed => "failed",
        }
    }

    /// A status from its word (`None` for any other text).
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == word)
    }

    /// Every status, for summaries.
    pub const ALL: [Status; 5] = [Self::Stopped, Self::Starting, Self::Running, Self::Reconnecting, Self::Failed];
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an admin wants of a bot, remembered across restarts of botfleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DesiredState {
    /// Start it (again after a restart of botfleet).
    Running,
    /// Leave it stopped.
    Stopped,
}

impl DesiredState {
    /// The state as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Stopped => "stopped",
        }
    }

    /// The stored word, or `None` for one botfleet never writes.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "running" => Some(Self::Running),
            "stopped" => Some(Self::Stopped),
            _ => None,
        }
    }
}

/// How many bots are in each status (bots never started count as stopped).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct BotCounts {
    pub running: usize,
    pub starting: usize,
    pub reconnecting: usize,
    pub stopped: usize,
    pub failed: usize,
}

impl BotCounts {
    /// Counts one more bot in `status`.
    pub fn add(&mut self, status: Status) {
        match status {
            Status::Stopped => self.stopped += 1,
            Status::Starting => self.starting += 1,
            Status::Running => self.running += 1,
            Status::Reconnecting => self.reconnecting += 1,
            Status::Failed => self.failed += 1,
        }
    }

    /// Each status with its count, in `Status::ALL`'s order.
    pub fn by_status(&self) -> [(Status, usize); 5] {
        Status::ALL.map(|s| {
            (
                s,
                match s {
                    Status::Stopped => self.stopped,
                    Status::Starting => self.starting,
                    Status::Running => self.running,
                    Status::Reconnecting => self.reconnecting,
                    Status::Failed => self.failed,
                },
            )
        })
    }
}
