//! A bot's configuration as requests carry it, validated into typed values before any SQL runs
//! (parse, don't validate), and as the API shows it (never with its token).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::config::AntiSpamConfig;
use super::status::{DesiredState, Status};
use crate::error::{Error, FieldError, Result};
use crate::secrets::Secret;
use crate::text::{self, Lines};

/// Gateway intents by Discord's names, and their bits.
pub const INTENTS: &[(&str, u64)] = &[
    ("GUILDS", 1 << 0),
    ("GUILD_MEMBERS", 1 << 1),
    ("GUILD_MODERATION", 1 << 2),
    ("GUILD_EXPRESSIONS", 1 << 3),
    ("GUILD_INTEGRATIONS", 1 << 4),
    ("GUILD_WEBHOOKS", 1 << 5),
    ("GUILD_INVITES", 1 << 6),
    ("GUILD_VOICE_STATES", 1 << 7),
    ("GUILD_PRESENCES", 1 << 8),
    ("GUILD_MESSAGES", 1 << 9),
    ("GUILD_MESSAGE_REACTIONS", 1 << 10),
    ("GUILD_MESSAGE_TYPING", 1 << 11),
    ("DIRECT_MESSAGES", 1 << 12),
    ("DIRECT_MESSAGE_REACTIONS", 1 << 13),
    ("DIRECT_MESSAGE_TYPING", 1 << 14),
    ("MESSAGE_CONTENT", 1 << 15),
    ("GUILD_SCHEDULED_EVENTS", 1 << 16),
    ("AUTO_MODERATION_CONFIGURATION", 1 << 20),
    ("AUTO_MODERATION_EXECUTION", 1 << 21),
    ("GUILD_MESSAGE_POLLS", 1 << 24),
    ("DIRECT_MESSAGE_POLLS", 1 << 25),
];

/// Privileged intents and the application flags (regular and limited) that allow each.
pub const PRIVILEGED: &[(&str, u64, u64)] = &[
    ("GUILD_PRESENCES", 1 << 12, 1 << 13),
    ("GUILD_MEMBERS", 1 << 14, 1 << 15),
    ("MESSAGE_CONTENT", 1 << 18, 1 << 19),
];

/// What a new bot gets when the request names no intents: enough for prefix and slash commands.
pub const DEFAULT_INTENTS: &[&str] = &["GUILDS", "GUILD_MESSAGES", "DIRECT_MESSAGES", "MESSAGE_CONTENT"];

/// Intent names for a bit set, in Discord's order.
pub fn intent_names(bits: u64) -> Vec<String> {
    INTENTS.iter().filter(|(_, b)| bits & b != 0).map(|(n, _)| (*n).to_owned()).collect()
}

/// `POST /bots`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBot {
    /// 1 to 64 characters (spaces around it are trimmed), no control characters, unique.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    /// The bot token from the Discord developer portal. Stored encrypted, never returned.
    #[schema(value_type = String, min_length = 30, max_length = 200, pattern = r"^[A-Za-z0-9+/=_-]+\.[A-Za-z0-9+/=_-]+\.[A-Za-z0-9+/=_-]+$")]
    pub token: String,
    /// Prefix of text commands (`!` → `!stock`), 1 to 5 characters, no spaces. Default `!`.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 5,
        pattern = r"^[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f]+$"
    )]
    pub prefix: Option<String>,
    /// Gateway intents by name. Default: GUILDS, GUILD_MESSAGES, DIRECT_MESSAGES, MESSAGE_CONTENT.
    #[serde(default)]
    #[schema(value_type = Option<Vec<IntentName>>)]
    pub intents: Option<Vec<String>>,
    /// Channels the bot works in (Discord ids as strings); empty = every channel it can see.
    #[serde(default)]
    #[schema(value_type = Vec<ChannelId>, max_items = 100)]
    pub channel_ids: Vec<Value>,
    /// Per-user command rate limit; fields left out take their defaults.
    #[serde(default)]
    pub anti_spam: Option<AntiSpamRequest>,
    /// The channel where botfleet keeps the live stock message (a Discord channel id); absent or
    /// null: none.
    #[serde(default)]
    #[schema(value_type = Option<ChannelId>)]
    pub stock_channel_id: Option<Value>,
    /// The channel where "Back in stock: …" is announced when a product goes from 0 to more;
    /// absent or null: off.
    #[serde(default)]
    #[schema(value_type = Option<ChannelId>)]
    pub back_in_stock_channel_id: Option<Value>,
    /// The channel where "Low stock: …" is posted once when a product's stock falls to or below
    /// its `low_stock_threshold`; absent or null: off.
    #[serde(default)]
    #[schema(value_type = Option<ChannelId>)]
    pub low_stock_channel_id: Option<Value>,
}

/// A Discord channel id, as a string of digits (17 to 19, below 2^63); a JSON number is taken too.
#[derive(ToSchema)]
#[schema(value_type = String, pattern = r"^(?:[1-9][0-9]{16,17}|[1-8][0-9]{18}|9[01][0-9]{17})$")]
pub struct ChannelId(pub String);

/// A gateway intent's name.
#[derive(ToSchema)]
#[allow(non_camel_case_types, clippy::upper_case_acronyms, dead_code)]
pub enum IntentName {
    GUILDS,
    GUILD_MEMBERS,
    GUILD_MODERATION,
    GUILD_EXPRESSIONS,
    GUILD_INTEGRATIONS,
    GUILD_WEBHOOKS,
    GUILD_INVITES,
    GUILD_VOICE_STATES,
    GUILD_PRESENCES,
    GUILD_MESSAGES,
    GUILD_MESSAGE_REACTIONS,
    GUILD_MESSAGE_TYPING,
    DIRECT_MESSAGES,
    DIRECT_MESSAGE_REACTIONS,
    DIRECT_MESSAGE_TYPING,
    MESSAGE_CONTENT,
    GUILD_SCHEDULED_EVENTS,
    AUTO_MODERATION_CONFIGURATION,
    AUTO_MODERATION_EXECUTION,
    GUILD_MESSAGE_POLLS,
    DIRECT_MESSAGE_POLLS,
}

/// The `anti_spam` object of a request: any subset of its fields. On create, fields left out
/// take their defaults; on `PATCH`, they keep their current values.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AntiSpamRequest {
    pub enabled: Option<bool>,
    /// 1 to 100.
    #[schema(minimum = 1, maximum = 100)]
    pub max_commands: Option<i64>,
    /// 1 to 3600.
    #[schema(minimum = 1, maximum = 3600)]
    pub per_seconds: Option<i64>,
    /// 1 to 86400.
    #[schema(minimum = 1, maximum = 86400)]
    pub cooldown_seconds: Option<i64>,
    /// `cooldown_seconds` to 86400.
    #[schema(minimum = 1, maximum = 86400)]
    pub max_cooldown_seconds: Option<i64>,
}

/// A validated `anti_spam` change: the fields given, each in range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AntiSpamChange {
    pub enabled: Option<bool>,
    pub max_commands: Option<u32>,
    pub per_seconds: Option<u32>,
    pub cooldown_seconds: Option<u32>,
    pub max_cooldown_seconds: Option<u32>,
}

impl AntiSpamChange {
    /// `base` with this change applied; refused when the longest cooldown would be shorter than
    /// the first.
    pub fn apply(&self, base: AntiSpamConfig) -> Result<AntiSpamConfig> {
        let merged = AntiSpamConfig {
            enabled: self.enabled.unwrap_or(base.enabled),
            max_commands: self.max_commands.unwrap_or(base.max_commands),
            per_seconds: self.per_seconds.unwrap_or(base.per_seconds),
            cooldown_seconds: self.cooldown_seconds.unwrap_or(base.cooldown_seconds),
            max_cooldown_seconds: self.max_cooldown_seconds.unwrap_or(base.max_cooldown_seconds),
        };
        let mut errors = Vec::new();
        check_cooldowns(merged.cooldown_seconds, merged.max_cooldown_seconds, &mut errors);
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        Ok(merged)
    }
}

pub(super) fn check_cooldowns(first: u32, longest: u32, errors: &mut Vec<FieldError>) {
    if longest < first {
        errors.push(FieldError::new(
            "anti_spam.max_cooldown_seconds",
            format!("must be at least cooldown_seconds ({first}); it is {longest}"),
        ));
    }
}

/// `PATCH /bots/{id}`: any subset of the settings, with the version the change is based on. The
/// token is not here: it has its own route, `PUT /bots/{id}/token`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBot {
    /// The `version` this change was made from; a newer one in the database means someone else
    /// changed the bot first (409).
    pub version: i64,
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 5,
        pattern = r"^[^\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\x00-\x1f\x7f-\x9f]+$"
    )]
    pub prefix: Option<String>,
    #[schema(value_type = Option<Vec<IntentName>>)]
    pub intents: Option<Vec<String>>,
    #[schema(value_type = Option<Vec<ChannelId>>, max_items = 100)]
    pub channel_ids: Option<Vec<Value>>,
    /// Fields left out keep their current values. Running bots use the change from their next
    /// (re)start.
    pub anti_spam: Option<AntiSpamRequest>,
    /// A channel id, or null to have no stock message; left out: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<ChannelId>)]
    pub stock_channel_id: Option<Value>,
    /// A channel id, or null to turn the announcements off; left out: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<ChannelId>)]
    pub back_in_stock_channel_id: Option<Value>,
    /// A channel id, or null to turn the low-stock notices off; left out: unchanged.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<ChannelId>)]
    pub low_stock_channel_id: Option<Value>,
    /// Not accepted here; present only to explain where the token is changed.
    #[serde(default)]
    #[schema(ignore)]
    pub token: Option<Value>,
}

/// A field that is present (even as `null`) is `Some`, so `PATCH` can tell "clear it" from
/// "leave it".
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// `PUT /bots/{id}/token`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceToken {
    #[schema(value_type = String, min_length = 30, max_length = 200, pattern = r"^[A-Za-z0-9+/=_-]+\.[A-Za-z0-9+/=_-]+\.[A-Za-z0-9+/=_-]+$")]
    pub token: String,
    /// Optional: refuse the change if the bot changed since this version.
    #[serde(default)]
    pub version: Option<i64>,
}

/// An unsaved configuration to test (`POST /bots/test`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestConfig {
    #[schema(value_type = String, min_length = 30, max_length = 200, pattern = r"^[A-Za-z0-9+/=_-]+\.[A-Za-z0-9+/=_-]+\.[A-Za-z0-9+/=_-]+$")]
    pub token: String,
    #[serde(default)]
    #[schema(value_type = Option<Vec<IntentName>>)]
    pub intents: Option<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Vec<ChannelId>, max_items = 100)]
    pub channel_ids: Vec<Value>,
}

/// A bot as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct BotView {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub intents: Vec<String>,
    pub channel_ids: Vec<String>,
    /// Per-user command rate limit.
    pub anti_spam: AntiSpamConfig,
    /// Where the live stock message is kept; null: none.
    pub stock_channel_id: Option<String>,
    /// Where "Back in stock: …" is announced; null: off.
    pub back_in_stock_channel_id: Option<String>,
    /// Where "Low stock: …" is posted when a product falls to its threshold; null: off.
    pub low_stock_channel_id: Option<String>,
    /// The token's last characters (`****abcd`), to tell tokens apart without revealing them.
    pub token_hint: String,
    /// Increases with every change; send it back with `PATCH`.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// What an admin asked for (survives restarts).
    pub desired_state: DesiredState,
    /// What the bot is doing now.
    pub status: Status,
    /// Why it failed or is reconnecting.
    pub status_reason: Option<String>,
}

/// Validated settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub name: Option<String>,
    pub prefix: Option<String>,
    pub intents: Option<u64>,
    pub channel_ids: Option<Vec<u64>>,
    /// On create: the whole anti-spam configuration (defaults filled in). On update: the fields
    /// to change, applied to the stored ones.
    pub anti_spam: Option<AntiSpamChange>,
    /// `Some(None)` clears it; `None` leaves it (on update).
    pub stock_channel_id: Option<Option<u64>>,
    pub back_in_stock_channel_id: Option<Option<u64>>,
    pub low_stock_channel_id: Option<Option<u64>>,
}

/// A validated bot token (the `Bot ` prefix removed).
#[derive(Debug, Clone)]
pub struct Token(pub Secret);

fn check_name(name: &str, errors: &mut Vec<FieldError>) -> String {
    let trimmed = name.trim();
    let n = trimmed.chars().count();
    if n == 0 || n > 64 {
        errors.push(FieldError::new("name", "must be 1 to 64 characters"));
    } else {
        text::push(errors, "name", trimmed, Lines::Single);
    }
    trimmed.to_owned()
}

pub(super) fn check_prefix(prefix: &str, errors: &mut Vec<FieldError>) -> String {
    let n = prefix.chars().count();
    let plain = text::push(errors, "prefix", prefix, Lines::Single);
    if plain && (n == 0 || n > 5 || prefix.chars().any(char::is_whitespace)) {
        errors.push(FieldError::new("prefix", "must be 1 to 5 characters without spaces (for example !)"));
    }
    prefix.to_owned()
}

fn check_intents(names: &[String], errors: &mut Vec<FieldError>) -> u64 {
    let mut bits = 0;
    for (i, name) in names.iter().enumerate() {
        match INTENTS.iter().find(|(n, _)| n.eq_ignore_ascii_case(name.trim())) {
            Some((_, b)) => bits |= b,
            None => errors.push(FieldError::new(
                format!("intents[{i}]"),
                format!(
                    "unknown intent {name:?}; known intents: {}",
                    INTENTS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }
    bits
}

/// One `anti_spam` number in `min..=max`.
fn check_range(field: &str, value: Option<i64>, min: u32, max: u32, errors: &mut Vec<FieldError>) -> Option<u32> {
    let v = value?;
    match u32::try_from(v) {
        Ok(n) if (min..=max).contains(&n) => Some(n),
        _ => {
            errors.push(FieldError::new(format!("anti_spam.{field}"), format!("must be {min} to {max}; it is {v}")));
            None
        }
    }
}

pub(super) fn check_anti_spam(req: &AntiSpamRequest, errors: &mut Vec<FieldError>) -> AntiSpamChange {
    let most = AntiSpamConfig::MAX_COOLDOWN_SECONDS;
    AntiSpamChange {
        enabled: req.enabled,
        max_commands: check_range("max_commands", req.max_commands, 1, AntiSpamConfig::MAX_COMMANDS, errors),
        per_seconds: check_range("per_seconds", req.per_seconds, 1, AntiSpamConfig::MAX_PER_SECONDS, errors),
        cooldown_seconds: check_range("cooldown_seconds", req.cooldown_seconds, 1, most, errors),
        max_cooldown_seconds: check_range("max_cooldown_seconds", req.max_cooldown_seconds, 1, most, errors),
    }
}

/// Parses a Discord id given as a string or a number.
pub fn parse_snowflake(v: &Value) -> Option<u64> {
    let id = match v {
        Value::String(s) => s.trim().parse::<u64>().ok()?,
        Value::Number(n) => n.as_u64()?,
        _ => return None,
    };
    // Discord ids are at least 17 digits and fit in 63 bits.
    (id >= 10_000_000_000_000_000 && id <= i64::MAX as u64).then_some(id)
}

pub(super) fn check_channels(values: &[Value], errors: &mut Vec<FieldError>) -> Vec<u64> {
    if values.len() > 100 {
        errors.push(FieldError::new("channel_ids", "at most 100 channels"));
        return vec![];
    }
    let mut ids = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        match parse_snowflake(v) {
            Some(id) if ids.contains(&id) => {
                errors.push(FieldError::new(format!("channel_ids[{i}]"), "is listed twice"))
            }
            Some(id) => ids.push(id),
            None => errors
                .push(FieldError::new(format!("channel_ids[{i}]"), "must be a Discord channel id (17 to 19 digits)")),
        }
    }
    ids
}

/// One optional channel id: `null` is none.
pub(super) fn check_channel(field: &str, value: &Value, errors: &mut Vec<FieldError>) -> Option<u64> {
    if value.is_null() {
        return None;
    }
    let id = parse_snowflake(value);
    if id.is_none() {
        errors.push(FieldError::new(field, "must be a Discord channel id (17 to 19 digits), or null for none"));
    }
    id
}

/// Checks a token's shape (three dot-separated base64 segments); strips `Bot `.
pub fn check_token(raw: &str, field: &str, errors: &mut Vec<FieldError>) -> Token {
    let token = raw.trim();
    let token = token.strip_prefix("Bot ").unwrap_or(token);
    let parts: Vec<&str> = token.split('.').collect();
    let segment_ok = |s: &&str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_+/=".contains(c));
    if token.len() < 30 || token.len() > 200 || parts.len() != 3 || !parts.iter().all(segment_ok) {
        // Never echo the token in the message.
        errors.push(FieldError::new(
            field,
            "does not look like a Discord bot token (three dot-separated parts, 30 to 200 characters)",
        ));
    }
    Token(Secret::new(token))
}

/// Validates a new bot.
pub fn validate_create(req: CreateBot) -> Result<(Settings, Token)> {
    let mut errors = Vec::new();
    let name = check_name(&req.name, &mut errors);
    let token = check_token(&req.token, "token", &mut errors);
    let prefix = check_prefix(req.prefix.as_deref().unwrap_or("!"), &mut errors);
    let intents = match &req.intents {
        Some(names) => check_intents(names, &mut errors),
        None => check_intents(&DEFAULT_INTENTS.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(), &mut errors),
    };
    let channel_ids = check_channels(&req.channel_ids, &mut errors);
    let anti_spam = check_anti_spam(&req.anti_spam.unwrap_or_default(), &mut errors);
    let none = Value::Null;
    let stock_channel_id =
        check_channel("stock_channel_id", req.stock_channel_id.as_ref().unwrap_or(&none), &mut errors);
    let back_in_stock_channel_id =
        check_channel("back_in_stock_channel_id", req.back_in_stock_channel_id.as_ref().unwrap_or(&none), &mut errors);
    let low_stock_channel_id =
        check_channel("low_stock_channel_id", req.low_stock_channel_id.as_ref().unwrap_or(&none), &mut errors);
    // Compare the cooldowns (given or defaulted) unless one of them is already refused.
    if !errors.iter().any(|e| e.field.starts_with("anti_spam.") && e.field.contains("cooldown")) {
        if let Err(Error::Validation(mut more)) = anti_spam.apply(AntiSpamConfig::default()) {
            errors.append(&mut more);
        }
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    Ok((
        Settings {
            name: Some(name),
            prefix: Some(prefix),
            intents: Some(intents),
            channel_ids: Some(channel_ids),
            anti_spam: Some(anti_spam),
            stock_channel_id: Some(stock_channel_id),
            back_in_stock_channel_id: Some(back_in_stock_channel_id),
            low_stock_channel_id: Some(low_stock_channel_id),
        },
        token,
    ))
}

/// Validates a change.
pub fn validate_update(req: &UpdateBot) -> Result<Settings> {
    let mut errors = Vec::new();
    if req.token.is_some() {
        errors.push(FieldError::new("token", "is not changed here: use PUT /api/v1/bots/{id}/token"));
    }
    let settings = Settings {
        name: req.name.as_deref().map(|n| check_name(n, &mut errors)),
        prefix: req.prefix.as_deref().map(|p| check_prefix(p, &mut errors)),
        intents: req.intents.as_deref().map(|i| check_intents(i, &mut errors)),
        channel_ids: req.channel_ids.as_deref().map(|c| check_channels(c, &mut errors)),
        anti_spam: req.anti_spam.as_ref().map(|a| check_anti_spam(a, &mut errors)),
        stock_channel_id: req.stock_channel_id.as_ref().map(|v| check_channel("stock_channel_id", v, &mut errors)),
        back_in_stock_channel_id: req
            .back_in_stock_channel_id
            .as_ref()
            .map(|v| check_channel("back_in_stock_channel_id", v, &mut errors)),
        low_stock_channel_id: req
            .low_stock_channel_id
            .as_ref()
            .map(|v| check_channel("low_stock_channel_id", v, &mut errors)),
    };
    if let Some(AntiSpamChange { cooldown_seconds: Some(first), max_cooldown_seconds: Some(longest), .. }) =
        settings.anti_spam
    {
        // Within the request itself; against the stored values when the change is applied.
        check_cooldowns(first, longest, &mut errors);
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    Ok(settings)
}

/// Validates an unsaved configuration to test.
pub fn validate_test(req: &TestConfig) -> Result<(Token, u64, Vec<u64>)> {
    let mut errors = Vec::new();
    let token = check_token(&req.token, "token", &mut errors);
    let names = req.intents.clone().unwrap_or_else(|| DEFAULT_INTENTS.iter().map(|s| (*s).to_owned()).collect());
    let intents = check_intents(&names, &mut errors);
    let channels = check_channels(&req.channel_ids, &mut errors);
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    Ok((token, intents, channels))
}

/// `****` and the token's last four characters.
pub fn token_hint(token: &Secret) -> String {
    let t = token.expose();
    let tail: String = t.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    format!("****{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TOKEN: &str = "MTQzNjk5ODQ5NzAzNTQ0NjQwMA.GhJk3a.abcdefghijklmnopqrstuvwxyz0123456789AB";

    #[test]
    fn a_good_bot_validates_with_defaults() {
        let req = CreateBot {
            name: " Shop Bot ".into(),
            token: format!("Bot {TOKEN}"),
            prefix: None,
            intents: None,
            channel_ids: vec![json!("123456789012345678")],
            anti_spam: None,
            stock_channel_id: None,
            back_in_stock_channel_id: None,
            low_stock_channel_id: None,
        };
        let (s, token) = validate_create(req).unwrap();
        assert_eq!(s.name.as_deref(), Some("Shop Bot"));
        assert_eq!(s.prefix.as_deref(), Some("!"));
        assert_eq!(
            intent_names(s.intents.unwrap()),
            ["GUILDS", "GUILD_MESSAGES", "DIRECT_MESSAGES", "MESSAGE_CONTENT"]
        );
        assert_eq!(s.channel_ids, Some(vec![123_456_789_012_345_678]));
        assert_eq!(s.anti_spam.unwrap().apply(AntiSpamConfig::default()).unwrap(), AntiSpamConfig::default());
        assert_eq!(token.0.expose(), TOKEN);
        assert_eq!(token_hint(&token.0), "****89AB");
    }

    #[test]
    fn every_bad_field_is_reported_without_the_token() {
        let req = CreateBot {
            name: String::new(),
            token: "not-a-token-secret".into(),
            prefix: Some("too long".into()),
            intents: Some(vec!["GUILDS".into(), "TELEPATHY".into()]),
            channel_ids: vec![json!("42"), json!(true)],
            anti_spam: None,
            stock_channel_id: None,
            back_in_stock_channel_id: None,
            low_stock_channel_id: None,
        };
        let Err(Error::Validation(errors)) = validate_create(req) else { panic!("should fail") };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "token", "prefix", "intents[1]", "channel_ids[0]", "channel_ids[1]"]);
        assert!(errors.iter().all(|e| !e.message.contains("not-a-token-secret")));
    }

    #[test]
    fn anti_spam_fields_are_checked_one_by_one_and_together() {
        let create = |anti_spam: Value| CreateBot {
            name: "Shop".into(),
            token: TOKEN.into(),
            prefix: None,
            intents: None,
            channel_ids: vec![],
            anti_spam: Some(serde_json::from_value(anti_spam).unwrap()),
            stock_channel_id: None,
            back_in_stock_channel_id: None,
            low_stock_channel_id: None,
        };
        let fields = |r: Result<(Settings, Token)>| match r {
            Err(Error::Validation(errors)) => errors.iter().map(|e| e.field.clone()).collect::<Vec<_>>(),
            Ok(_) => vec![],
            Err(e) => panic!("{e}"),
        };
        let bad =
            json!({"max_commands": 0, "per_seconds": 3601, "cooldown_seconds": -1, "max_cooldown_seconds": 86401});
        assert_eq!(
            fields(validate_create(create(bad))),
            [
                "anti_spam.max_commands",
                "anti_spam.per_seconds",
                "anti_spam.cooldown_seconds",
                "anti_spam.max_cooldown_seconds"
            ]
        );
        // 700 s first cooldown against the default 600 s longest one.
        assert_eq!(
            fields(validate_create(create(json!({"cooldown_seconds": 700})))),
            ["anti_spam.max_cooldown_seconds"]
        );
        let (s, _) = validate_create(create(json!({"enabled": false, "max_commands": 3}))).unwrap();
        let config = s.anti_spam.unwrap().apply(AntiSpamConfig::default()).unwrap();
        assert_eq!(config, AntiSpamConfig { enabled: false, max_commands: 3, ..AntiSpamConfig::default() });

        // A change keeps what it does not name, and is checked against what is stored.
        let change = AntiSpamChange { cooldown_seconds: Some(900), ..Default::default() };
        let Err(Error::Validation(errors)) = change.apply(AntiSpamConfig::default()) else { panic!("900 > 600") };
        assert_eq!(errors[0].field, "anti_spam.max_cooldown_seconds");
        let stored = AntiSpamConfig { max_cooldown_seconds: 1000, ..AntiSpamConfig::default() };
        assert_eq!(change.apply(stored).unwrap(), AntiSpamConfig { cooldown_seconds: 900, ..stored });
    }

    #[test]
    fn stock_channels_are_optional_ids_and_patch_tells_null_from_absent() {
        let req: CreateBot = serde_json::from_value(json!({
            "name": "Shop", "token": TOKEN, "stock_channel_id": "123456789012345678", "back_in_stock_channel_id": null
        }))
        .unwrap();
        let (s, _) = validate_create(req).unwrap();
        assert_eq!((s.stock_channel_id, s.back_in_stock_channel_id), (Some(Some(123_456_789_012_345_678)), Some(None)));
        let bad: CreateBot =
            serde_json::from_value(json!({"name": "Shop", "token": TOKEN, "back_in_stock_channel_id": "42"})).unwrap();
        let Err(Error::Validation(errors)) = validate_create(bad) else { panic!("42 is no channel id") };
        assert_eq!(errors[0].field, "back_in_stock_channel_id");

        let patch: UpdateBot = serde_json::from_value(json!({"version": 1, "stock_channel_id": null})).unwrap();
        let s = validate_update(&patch).unwrap();
        assert_eq!((s.stock_channel_id, s.back_in_stock_channel_id), (Some(None), None), "null clears, absent keeps");
        let patch: UpdateBot =
            serde_json::from_value(json!({"version": 1, "back_in_stock_channel_id": "223456789012345678"})).unwrap();
        assert_eq!(validate_update(&patch).unwrap().back_in_stock_channel_id, Some(Some(223_456_789_012_345_678)));
    }
}
