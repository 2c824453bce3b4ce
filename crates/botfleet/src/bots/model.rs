//! A bot's configuration as requests carry it, validated into typed values before any SQL runs
//! (parse, don't validate), and as the API shows it (never with its token).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{Error, FieldError, Result};
use crate::secrets::Secret;

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
    /// 1 to 64 characters, unique.
    pub name: String,
    /// The bot token from the Discord developer portal. Stored encrypted, never returned.
    #[schema(value_type = String)]
    pub token: String,
    /// Prefix of text commands (`!` → `!stock`), 1 to 5 characters, no spaces. Default `!`.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Gateway intents by name. Default: GUILDS, GUILD_MESSAGES, DIRECT_MESSAGES, MESSAGE_CONTENT.
    #[serde(default)]
    pub intents: Option<Vec<String>>,
    /// Channels the bot works in (Discord ids as strings); empty = every channel it can see.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub channel_ids: Vec<Value>,
}

/// `PATCH /bots/{id}`: any subset of the settings, with the version the change is based on. The
/// token is not here: it has its own route, `PUT /bots/{id}/token`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBot {
    /// The `version` this change was made from; a newer one in the database means someone else
    /// changed the bot first (409).
    pub version: i64,
    pub name: Option<String>,
    pub prefix: Option<String>,
    pub intents: Option<Vec<String>>,
    #[schema(value_type = Option<Vec<String>>)]
    pub channel_ids: Option<Vec<Value>>,
    /// Not accepted here; present only to explain where the token is changed.
    #[serde(default)]
    #[schema(ignore)]
    pub token: Option<Value>,
}

/// `PUT /bots/{id}/token`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceToken {
    #[schema(value_type = String)]
    pub token: String,
    /// Optional: refuse the change if the bot changed since this version.
    #[serde(default)]
    pub version: Option<i64>,
}

/// An unsaved configuration to test (`POST /bots/test`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestConfig {
    #[schema(value_type = String)]
    pub token: String,
    #[serde(default)]
    pub intents: Option<Vec<String>>,
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
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
    /// The token's last characters (`****abcd`), to tell tokens apart without revealing them.
    pub token_hint: String,
    /// Increases with every change; send it back with `PATCH`.
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
    /// What an admin asked for: `running` or `stopped` (survives restarts).
    pub desired_state: String,
    /// What the bot is doing now: `stopped`, `starting`, `running`, `reconnecting`, `failed`.
    pub status: String,
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
}

/// A validated bot token (the `Bot ` prefix removed).
#[derive(Debug, Clone)]
pub struct Token(pub Secret);

fn check_name(name: &str, errors: &mut Vec<FieldError>) -> String {
    let trimmed = name.trim();
    let n = trimmed.chars().count();
    if n == 0 || n > 64 {
        errors.push(FieldError::new("name", "must be 1 to 64 characters"));
    } else if trimmed.chars().any(char::is_control) {
        errors.push(FieldError::new("name", "must not contain control characters"));
    }
    trimmed.to_owned()
}

fn check_prefix(prefix: &str, errors: &mut Vec<FieldError>) -> String {
    let n = prefix.chars().count();
    if n == 0 || n > 5 || prefix.chars().any(|c| c.is_whitespace() || c.is_control()) {
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

fn check_channels(values: &[Value], errors: &mut Vec<FieldError>) -> Vec<u64> {
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
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    Ok((
        Settings { name: Some(name), prefix: Some(prefix), intents: Some(intents), channel_ids: Some(channel_ids) },
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
    };
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
        };
        let (s, token) = validate_create(req).unwrap();
        assert_eq!(s.name.as_deref(), Some("Shop Bot"));
        assert_eq!(s.prefix.as_deref(), Some("!"));
        assert_eq!(
            intent_names(s.intents.unwrap()),
            ["GUILDS", "GUILD_MESSAGES", "DIRECT_MESSAGES", "MESSAGE_CONTENT"]
        );
        assert_eq!(s.channel_ids, Some(vec![123_456_789_012_345_678]));
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
        };
        let Err(Error::Validation(errors)) = validate_create(req) else { panic!("should fail") };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "token", "prefix", "intents[1]", "channel_ids[0]", "channel_ids[1]"]);
        assert!(errors.iter().all(|e| !e.message.contains("not-a-token-secret")));
    }
}
