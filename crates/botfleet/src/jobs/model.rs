//! What a job and its items are, as stored and as the API shows them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::Action;

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a node to take it.
    Queued,
    /// A node is working through its items.
    Running,
    /// Every item succeeded.
    Succeeded,
    /// Every item failed.
    Failed,
    /// Some items succeeded, some failed.
    Partial,
    /// Stopped by a person before every item ran.
    Cancelled,
}

impl JobState {
    /// Every state.
    pub const ALL: [JobState; 6] = [
        JobState::Queued,
        JobState::Running,
        JobState::Succeeded,
        JobState::Failed,
        JobState::Partial,
        JobState::Cancelled,
    ];

    /// The stored and shown word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Partial => "partial",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a stored or requested word.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether the job is over (its items will not run unless retried).
    pub fn is_finished(self) -> bool {
        !matches!(self, Self::Queued | Self::Running)
    }
}

/// Where an item stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    Pending,
    Ok,
    Failed,
    /// The job was cancelled before this item ran.
    Cancelled,
    /// Its effect may or may not have happened (a message whose send was cut short longer ago
    /// than Discord deduplicates): counted with the failed, left for a person to retry or skip.
    Unknown,
    /// A person decided it should not run (after it failed or its outcome was unknown).
    Skipped,
}

impl ItemState {
    /// The stored and shown word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Unknown => "unknown",
            Self::Skipped => "skipped",
        }
    }

    /// Parses a stored word.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Ok, Self::Failed, Self::Cancelled, Self::Unknown, Self::Skipped]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Start, stop or restart many bots (`POST /bots/bulk`).
    BotsBulk,
    /// Delete the rows past retention, one item per table (daily, or `POST /settings/retention/run`).
    Retention,
    /// Write a filtered set of command logs, bot logs or audit rows to one file (`POST
    /// /command-logs/export`, …): one item, the file.
    Export,
    /// Send announcements (`POST /messages/batch`, a schedule's run): one item per message and
    /// channel.
    Messages,
}

impl JobKind {
    /// Every kind.
    pub const ALL: [JobKind; 4] = [JobKind::BotsBulk, JobKind::Retention, JobKind::Export, JobKind::Messages];

    /// The stored and shown word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BotsBulk => "bots_bulk",
            Self::Retention => "retention",
            Self::Export => "export",
            Self::Messages => "messages",
        }
    }

    /// Parses a stored or requested word.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The permission that starts, cancels and retries a job of this kind, where the kind alone
    /// decides it; [`Job::action`] is the one that decides for a given job.
    pub fn action(self) -> Action {
        match self {
            Self::BotsBulk => Action::BotsOperate,
            Self::Retention => Action::SettingsManage,
            // Reading the export's source (its params): see `Job::action`. Alone, the strictest.
            Self::Export => Action::SettingsManage,
            Self::Messages => Action::BotsMessage,
        }
    }

    /// Jobs of this kind one node runs at once.
    pub fn concurrency(self) -> usize {
        match self {
            Self::BotsBulk => 2,
            // Deletes run one at a time: two would only contend for the same locks.
            Self::Retention => 1,
            // Each holds up to its file's size cap in memory while it writes.
            Self::Export => 2,
            // Each bot's rate limiter paces its own messages; jobs of different bots run side by side.
            Self::Messages => 4,
        }
    }

    /// Items of one job run at once. SQLite has one writer at a time and a small pool: fewer.
    pub fn items_at_once(self, backend: crate::store::Backend) -> usize {
        match (self, backend) {
            (Self::BotsBulk, crate::store::Backend::Postgres) => 16,
            (Self::BotsBulk, crate::store::Backend::Sqlite) => 4,
            (Self::Retention | Self::Export, _) => 1,
            // One item per channel runs at a time (the rest of a channel's wait their turn), and
            // waiting on a rate limit holds no connection: enough to keep 50 channels busy.
            (Self::Messages, _) => 64,
        }
    }
}

/// A job as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Job {
    pub id: i64,
    pub kind: JobKind,
    /// What it was asked to do (per kind).
    pub params: serde_json::Value,
    pub state: JobState,
    /// Items in all.
    pub total: i64,
    /// Items that succeeded.
    pub done: i64,
    /// Items that failed.
    pub failed: i64,
    /// Runs so far (a retry is another).
    pub attempts: i64,
    /// Who started it (`user alice`, `key ci`).
    pub created_by: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// A cancel was asked for and takes effect after the items running now.
    pub cancel_requested: bool,
}

impl Job {
    /// The permission that starts, cancels and retries this job (and downloads an export's file):
    /// its kind's, but for an export the one that reads its source (`logs.read` for command and
    /// bot logs, `audit.read` for the audit log).
    pub fn action(&self) -> Action {
        match self.kind {
            JobKind::Export => super::exports::action_of(&self.params),
            kind => kind.action(),
        }
    }
}

/// One item of a job.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct JobItem {
    /// Its place in the job (1, 2, …).
    pub seq: i64,
    /// What it acts on (per kind: a bot id).
    pub target: String,
    pub state: ItemState,
    /// Why it failed, in words.
    pub error: Option<String>,
    pub attempts: i64,
    pub finished_at: Option<String>,
    /// What it produced, per kind (a retention item: `{"deleted": n, "cutoff": …}`); null when
    /// nothing beyond its state.
    pub detail: Option<serde_json::Value>,
}

/// What running an item gave: `Ok` with an optional detail to keep (see [`JobItem::detail`]), or
/// the error a person understands.
pub type ItemResult = std::result::Result<Option<serde_json::Value>, String>;

/// An item's outcome as recorded: an [`ItemResult`], or an effect that may or may not have happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Ok(Option<serde_json::Value>),
    Failed(String),
    /// Why no one can tell whether it took effect ([`ItemState::Unknown`]).
    Unknown(String),
}

impl Outcome {
    pub fn is_ok(&self) -> bool {
        matches!(self, Self::Ok(_))
    }
}

impl From<ItemResult> for Outcome {
    fn from(result: ItemResult) -> Self {
        match result {
            Ok(detail) => Self::Ok(detail),
            Err(why) => Self::Failed(why),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_kinds_round_trip() {
        for k in JobKind::ALL {
            assert_eq!(JobKind::parse(k.as_str()), Some(k));
        }
        for s in JobState::ALL {
            assert_eq!(JobState::parse(s.as_str()), Some(s));
        }
    }
}
