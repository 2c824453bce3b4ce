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
}

impl ItemState {
    /// The stored and shown word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a stored word.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Ok, Self::Failed, Self::Cancelled].into_iter().find(|s| s.as_str() == text)
    }
}

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    /// Start, stop or restart many bots (`POST /bots/bulk`).
    BotsBulk,
}

impl JobKind {
    /// Every kind.
    pub const ALL: [JobKind; 1] = [JobKind::BotsBulk];

    /// The stored and shown word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BotsBulk => "bots_bulk",
        }
    }

    /// Parses a stored or requested word.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The permission that starts, cancels and retries a job of this kind.
    pub fn action(self) -> Action {
        match self {
            Self::BotsBulk => Action::BotsOperate,
        }
    }

    /// Jobs of this kind one node runs at once.
    pub fn concurrency(self) -> usize {
        match self {
            Self::BotsBulk => 2,
        }
    }

    /// Items of one job run at once. SQLite has one writer at a time and a small pool: fewer.
    pub fn items_at_once(self, backend: crate::store::Backend) -> usize {
        match (self, backend) {
            (Self::BotsBulk, crate::store::Backend::Postgres) => 16,
            (Self::BotsBulk, crate::store::Backend::Sqlite) => 4,
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
