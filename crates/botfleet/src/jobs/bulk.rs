//! The bulk job: start, stop or restart many bots, one item per bot. A start or restart counts as
//! done when the bot is running (or as failed, with the bot's reason, when it fails or is not up
//! within a minute). Identifies are paced by each bot's own identify gate (every bot is its own
//! application, with its own `max_concurrency` bucket), so items run several at a time.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::bots::Status;
use crate::fleet::Fleet;

/// What a bulk job does to each bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BulkAction {
    Start,
    Stop,
    Restart,
}

impl BulkAction {
    /// The word used in audit actions (`bots.bulk_start`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Stop => "stop",
            Self::Restart => "restart",
        }
    }
}

/// The bulk job's parameters.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BulkParams {
    pub action: BulkAction,
}

/// How long a started bot may take to be running before its item fails.
pub const READY_WITHIN: Duration = Duration::from_secs(60);

/// Runs one item: the bot `target` (its id).
pub async fn run_item(fleet: &Fleet, action: BulkAction, target: &str) -> Result<(), String> {
    let id: i64 = target.parse().map_err(|_| format!("{target} is not a bot id"))?;
    let done = match action {
        BulkAction::Start => fleet.start(id).await,
        BulkAction::Stop => fleet.stop(id).await,
        BulkAction::Restart => fleet.restart(id).await,
    };
    done.map_err(|e| e.to_string())?;
    if action == BulkAction::Stop {
        return Ok(());
    }
    let deadline = tokio::time::Instant::now() + READY_WITHIN;
    // Its task reports `starting` a moment after the start returns: `stopped` before that is the
    // old status, after it a stop that came meanwhile.
    let mut began = false;
    loop {
        let (status, reason) = fleet.status(id);
        began |= status != Status::Stopped;
        match status {
            Status::Running => return Ok(()),
            Status::Failed => return Err(reason.unwrap_or_else(|| "the bot failed".into())),
            Status::Stopped if began => return Err("the bot was stopped meanwhile".into()),
            _ if tokio::time::Instant::now() >= deadline => {
                let why = reason.map(|r| format!(": {r}")).unwrap_or_default();
                return Err(format!("not running after {} s ({}{why})", READY_WITHIN.as_secs(), status.as_str()));
            }
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}
