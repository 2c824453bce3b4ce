//! Channel webhooks as Discord has them: created for a channel, executed with their token (no bot
//! token), posting as their own author. Their path (`/webhooks/{id}/{token}`) has the same shape as
//! interaction follow-ups; the id tells them apart (a webhook id, not an application id).

use serde::Serialize;
use serde_json::{json, Value};

use super::limits::{check_limits, is_empty, FieldError};
use super::model::{NewMessage, User};
use super::{State, WorldError};
use crate::snowflake::random_token;

/// A channel webhook.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub id: u64,
    pub token: String,
    pub channel_id: u64,
    pub guild_id: Option<u64>,
    pub name: String,
}

/// What creating a webhook returns to the control API.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WebhookInfo {
    pub id: u64,
    pub token: String,
    pub channel_id: u64,
    /// `POST` here (Discord's shape: `{api}/webhooks/{id}/{token}`), relative to the API base.
    pub path: String,
}

/// Why executing a webhook failed.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum WebhookError {
    #[error("Unknown Webhook")]
    Unknown,
    #[error("Invalid Webhook Token")]
    InvalidToken,
    #[error("Cannot send an empty message")]
    Empty,
    #[error("Invalid Form Body")]
    InvalidForm(Vec<FieldError>),
    #[error(transparent)]
    World(#[from] WorldError),
}

impl State {
    /// Creates a webhook in a guild text channel.
    pub fn create_webhook(&mut self, channel_id: u64, name: &str) -> Result<WebhookInfo, WorldError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 || name.to_lowercase().contains("discord") {
            return Err(WorldError::Invalid(
                "webhook name must be 1 to 80 characters and not contain \"discord\"".into(),
            ));
        }
        let channel = self.channels.get(&channel_id).ok_or(WorldError::UnknownChannel(channel_id))?;
        let guild_id = channel.guild_id;
        if guild_id.is_none() {
            return Err(WorldError::Invalid("webhooks live in guild channels".into()));
        }
        let id = self.next_id();
        let token = random_token(51);
        // A webhook posts as its own (bot-flagged) author.
        self.users.insert(id, User { id, username: name.to_owned(), global_name: None, bot: true });
        self.webhooks.insert(id, Webhook { id, token: token.clone(), channel_id, guild_id, name: name.to_owned() });
        Ok(WebhookInfo { id, path: format!("/webhooks/{id}/{token}"), token, channel_id })
    }

    /// The webhook behind an id and token.
    pub fn webhook(&self, id: u64, token: &str) -> Result<&Webhook, WebhookError> {
        let hook = self.webhooks.get(&id).ok_or(WebhookError::Unknown)?;
        if hook.token == token {
            Ok(hook)
        } else {
            Err(WebhookError::InvalidToken)
        }
    }

    /// Executes a webhook (`POST /webhooks/{id}/{token}`): posts `content`/`embeds` in its channel,
    /// optionally under another `username`; dispatches `MESSAGE_CREATE`.
    pub fn execute_webhook(&mut self, id: u64, token: &str, body: &Value) -> Result<u64, WebhookError> {
        let channel_id = self.webhook(id, token)?.channel_id;
        let content = body.get("content").and_then(Value::as_str).unwrap_or_default().to_owned();
        let embeds = body.get("embeds").and_then(Value::as_array).cloned().unwrap_or_default();
        if body.get("content").is_some_and(|c| !c.is_string() && !c.is_null()) {
            return Err(WebhookError::InvalidForm(vec![(
                "content".into(),
                "BASE_TYPE_STRING",
                "Must be a string.".into(),
            )]));
        }
        if is_empty(&content, &embeds, &[]) {
            return Err(WebhookError::Empty);
        }
        let mut errors = check_limits(&content, &embeds);
        let username = body.get("username").and_then(Value::as_str).map(str::to_owned);
        if username.as_ref().is_some_and(|u| u.is_empty() || u.chars().count() > 80) {
            errors.push(("username".into(), "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 80 in length.".into()));
        }
        if !errors.is_empty() {
            return Err(WebhookError::InvalidForm(errors));
        }
        let new = NewMessage { content, embeds, webhook_id: Some(id), author_name: username, ..NewMessage::default() };
        Ok(self.post_message(id, channel_id, new)?)
    }

    /// The webhook object Discord returns for `GET /webhooks/{id}/{token}`.
    pub fn webhook_json(&self, hook: &Webhook) -> Value {
        json!({
            "id": hook.id.to_string(),
            "type": 1,
            "guild_id": hook.guild_id.map(|g| g.to_string()),
            "channel_id": hook.channel_id.to_string(),
            "name": hook.name,
            "avatar": null,
            "token": hook.token,
            "application_id": null,
        })
    }
}
