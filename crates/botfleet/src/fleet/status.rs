//! A bot's runtime status, as the fleet knows it and the API and event bus show it.

use serde::Serialize;
use utoipa::ToSchema;

/// Where a bot is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
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

    /// Every status, for summaries.
    pub const ALL: [Status; 5] = [Self::Stopped, Self::Starting, Self::Running, Self::Reconnecting, Self::Failed];
}

/// What an admin should know about a gateway close code.
pub fn close_reason(code: u16) -> (bool, String) {
    let fatal = matches!(code, 4004 | 4010..=4014);
    let text = match code {
        4004 => "Discord rejected the token (4004 Authentication failed): replace it with PUT /bots/{id}/token".to_owned(),
        4010 => "invalid shard (4010)".to_owned(),
        4011 => "this bot is in too many servers for one shard (4011 Sharding required)".to_owned(),
        4012 => "invalid API version (4012)".to_owned(),
        4013 => "invalid intents (4013): check the bot's intents".to_owned(),
        4014 => "disallowed intents (4014): enable the privileged intents in the Discord developer portal or remove them from the bot".to_owned(),
        other => format!("the gateway closed the connection ({other})"),
    };
    (fatal, text)
}
