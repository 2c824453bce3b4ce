//! What a bot runs with: its settings as the fleet reads them when it starts the bot
//! ([`BotConfig`]), and its anti-spam limits ([`AntiSpamConfig`], also its API's `anti_spam`
//! object). Plain data, owned here so the fleet, the API and the repository share one shape.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::secrets::Secret;

/// What a bot runs with (read from its configuration when started).
#[derive(Debug, Clone)]
pub struct BotConfig {
    pub id: i64,
    pub prefix: String,
    pub intents: u64,
    pub channel_ids: Vec<u64>,
    pub anti_spam: AntiSpamConfig,
    /// Where the live stock message is kept.
    pub stock_channel_id: Option<u64>,
    /// Where "Back in stock: …" is announced.
    pub back_in_stock_channel_id: Option<u64>,
    /// Where "Low stock: …" is posted.
    pub low_stock_channel_id: Option<u64>,
    pub token: Secret,
}

/// A bot's anti-spam settings (its `anti_spam` object).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct AntiSpamConfig {
    /// Whether commands are rate limited at all. Default `true`.
    pub enabled: bool,
    /// Commands a user may run in any `per_seconds`, 1 to 100. Default 5.
    pub max_commands: u32,
    /// The window `max_commands` applies to, 1 to 3600 seconds. Default 10.
    pub per_seconds: u32,
    /// The first cooldown, 1 to 86400 seconds; doubled each time the user is limited again.
    /// Default 30.
    pub cooldown_seconds: u32,
    /// The longest cooldown, `cooldown_seconds` to 86400 seconds; also how long a user must stay
    /// out of cooldown before the escalation starts over. Default 600.
    pub max_cooldown_seconds: u32,
}

impl AntiSpamConfig {
    /// Most commands per window a bot may allow.
    pub const MAX_COMMANDS: u32 = 100;
    /// Longest window.
    pub const MAX_PER_SECONDS: u32 = 3600;
    /// Longest cooldown.
    pub const MAX_COOLDOWN_SECONDS: u32 = 86_400;
}

impl Default for AntiSpamConfig {
    fn default() -> Self {
        Self { enabled: true, max_commands: 5, per_seconds: 10, cooldown_seconds: 30, max_cooldown_seconds: 600 }
    }
}
