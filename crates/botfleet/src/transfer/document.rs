//! The configuration document (`format: "botfleet-config"`, `version: 1`): every section optional,
//! things named by their natural keys (a bot's name, a product's SKU, a rule's name), never by the
//! ids of one installation, so a document moves between installations (a webhook's bot filter
//! too: by bots' names).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::alerts::model::{ChannelKind, Condition, Once, Weekly};
use crate::auth::settings::SecuritySettings;
use crate::bots::AntiSpamConfig;
use crate::jobs::messages::MessageBody;
use crate::retention::RetentionOverrides;
use crate::schedules::model::Missed;
use crate::webhooks::model::EventType;

/// What `format` says.
pub const FORMAT: &str = "botfleet-config";
/// The version this botfleet writes and reads.
pub const VERSION: u32 = 1;

/// A whole configuration. A section left out (or `null`) is not touched by an import; an empty
/// list is a section with nothing in it (which changes nothing either: imports never delete).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Always `botfleet-config`.
    pub format: String,
    /// 1.
    pub version: u32,
    /// When it was exported (RFC 3339); not read by an import.
    pub exported_at: String,
    /// Present when secrets are included: how the passphrase's key is derived. Every secret field
    /// is then sealed under that key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<SecretsHeader>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bots: Option<Vec<BotItem>>,
    /// Per-server settings, by bot name and server id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_settings: Option<Vec<ServerItem>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub products: Option<Vec<ProductItem>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_channels: Option<Vec<ChannelItem>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alert_rules: Option<Vec<RuleItem>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_windows: Option<Vec<WindowItem>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedules: Option<Vec<ScheduleItem>>,
    /// Outgoing webhooks, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhooks: Option<Vec<WebhookItem>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<SettingsItem>,
}

/// How the key that seals this document's secrets is made from the passphrase: argon2id with
/// these costs over `salt`; `check` is a known text sealed under it, so a wrong passphrase is
/// told apart from a damaged secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretsHeader {
    /// `argon2id`.
    pub kdf: String,
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Base64, 16 random bytes.
    pub salt: String,
    /// The cipher of every sealed value: `xchacha20poly1305` (base64 of nonce and ciphertext).
    pub cipher: String,
    pub check: String,
}

/// A bot's settings; its token only sealed, with a passphrase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotItem {
    pub name: String,
    pub prefix: String,
    pub intents: Vec<String>,
    /// Discord channel ids as strings.
    pub channel_ids: Vec<String>,
    pub anti_spam: AntiSpamConfig,
    #[serde(default)]
    pub stock_channel_id: Option<String>,
    #[serde(default)]
    pub back_in_stock_channel_id: Option<String>,
    #[serde(default)]
    pub low_stock_channel_id: Option<String>,
    /// The token sealed under the passphrase; absent in an export without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// A bot's settings in one Discord server (each absent field: the bot's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerItem {
    /// The bot's name.
    pub bot: String,
    pub guild_id: String,
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub channel_ids: Option<Vec<String>>,
    #[serde(default)]
    pub anti_spam: Option<AntiSpamConfig>,
    #[serde(default)]
    pub stock_channel_id: Option<String>,
    #[serde(default)]
    pub back_in_stock_channel_id: Option<String>,
    #[serde(default)]
    pub low_stock_channel_id: Option<String>,
}

/// A product, matched by SKU (case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductItem {
    pub sku: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub price_minor: i64,
    pub currency: String,
    pub stock: i64,
    pub low_stock_threshold: i64,
    pub visible: bool,
    #[serde(default)]
    pub sort_order: i64,
}

/// An alert channel; its URL and signing secret only sealed, with a passphrase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelItem {
    pub name: String,
    pub kind: ChannelKind,
    /// The URL sealed under the passphrase; absent in an export without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The signing secret sealed under the passphrase (`http_webhook` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// An alert rule; its bot and channels by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleItem {
    pub name: String,
    pub condition: Condition,
    /// A bot's name; absent: every bot.
    #[serde(default)]
    pub bot: Option<String>,
    pub failures_in_a_row: u32,
    pub resend_every_seconds: u64,
    pub notify_recovery: bool,
    /// Alert channels' names.
    #[serde(default)]
    pub channels: Vec<String>,
    pub enabled: bool,
}

/// A maintenance window, matched by name; its rule and bot by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowItem {
    pub name: String,
    #[serde(default)]
    pub rule: Option<String>,
    #[serde(default)]
    pub bot: Option<String>,
    #[serde(default)]
    pub once: Option<Once>,
    #[serde(default)]
    pub weekly: Option<Weekly>,
}

/// A scheduled message. Schedules have no name: one is matched by its bot, channel, timing and
/// message; only `enabled` and `missed` can change on a match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleItem {
    /// The bot's name.
    pub bot: String,
    pub channel_id: String,
    pub message: MessageBody,
    #[serde(default)]
    pub once: Option<String>,
    #[serde(default)]
    pub cron: Option<String>,
    pub time_zone: String,
    pub enabled: bool,
    pub missed: Missed,
}

/// An outgoing webhook, matched by name; its URL and signing secret only sealed, with a
/// passphrase; the bots of its filter by name. Its state (active or paused) is not carried.
/// (`ConfigWebhook` in the API's schemas: `WebhookView` and the request bodies are the API's own.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ConfigWebhook)]
pub struct WebhookItem {
    pub name: String,
    pub kind: ChannelKind,
    /// The URL sealed under the passphrase; absent in an export without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The signing secret sealed under the passphrase (`http_webhook` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The event types it subscribes to (at least one).
    pub events: Vec<EventType>,
    #[serde(default)]
    pub filters: WebhookFilterItem,
}

/// Which events of a webhook's kinds are delivered (each absent or `null`: all); as the API's
/// filters, with bots by name instead of id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ConfigWebhookFilters)]
pub struct WebhookFilterItem {
    /// Bots' names.
    #[serde(default)]
    pub bots: Option<Vec<String>>,
    /// Command names.
    #[serde(default)]
    pub commands: Option<Vec<String>>,
    /// `ok`, `error`, `denied`.
    #[serde(default)]
    pub outcomes: Option<Vec<String>>,
}

/// The settings an admin changes at run time. Never here: keys, sessions, the cluster id and
/// anything else that belongs to one installation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsItem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<SecuritySettings>,
    /// The stored retention overrides (a field left out: the flag's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<RetentionOverrides>,
}
