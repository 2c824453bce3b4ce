//! Interactions: a scripted user runs a slash command, presses a button, picks from a select
//! menu or types into an autocomplete option; the application answers through the callback and
//! webhook endpoints. Each rule below is Discord's (3 s to acknowledge, one acknowledgement,
//! 15 min token, callback types allowed per interaction type).

use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

use super::limits::{check_limits, is_empty, FieldError};
use super::model::{Interaction, InteractionResponse, NewMessage, EPHEMERAL, LOADING};
use super::views::InteractionView;
use super::{State, WorldError};
use crate::snowflake::random_token;

/// Interaction type: application command.
pub const APPLICATION_COMMAND: u8 = 2;
/// Interaction type: message component (button, select menu).
pub const MESSAGE_COMPONENT: u8 = 3;
/// Interaction type: autocomplete.
pub const AUTOCOMPLETE: u8 = 4;

/// What a scripted user does to start an interaction.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UserAction {
    /// Runs a registered slash command with options (`[{name, type, value}]`).
    SlashCommand {
        name: String,
        #[serde(default)]
        options: Vec<Value>,
    },
    /// Presses a button or picks values from a select menu on a bot's message.
    Component {
        message_id: u64,
        custom_id: String,
        #[serde(default = "button")]
        component_type: u8,
        #[serde(default)]
        values: Vec<String>,
    },
    /// Types `value` into option `option` of a registered command.
    Autocomplete {
        name: String,
        option: String,
        value: String,
        #[serde(default)]
        options: Vec<Value>,
    },
}

fn button() -> u8 {
    2
}

/// Why an interaction response was refused (mapped to Discord error codes by the REST layer).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum InteractionError {
    #[error("Unknown interaction")]
    Unknown,
    #[error("Interaction has already been acknowledged.")]
    AlreadyAcknowledged,
    #[error("Invalid Webhook Token")]
    TokenExpired,
    #[error("Unknown Webhook")]
    NotAcknowledged,
    #[error("Unknown Message")]
    UnknownMessage,
    #[error("Cannot send an empty message")]
    Empty,
    #[error("Invalid Form Body")]
    InvalidForm(Vec<FieldError>),
    #[error(transparent)]
    World(#[from] WorldError),
}

/// The body of `POST /interactions/{id}/{token}/callback`.
#[derive(Debug, Clone, Deserialize)]
pub struct Callback {
    #[serde(rename = "type")]
    pub kind: u8,
    #[serde(default)]
    pub data: Option<Value>,
}

/// The ids a new interaction got.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct StartedInteraction {
    pub interaction_id: u64,
    pub token: String,
}

fn message_parts(data: &Value) -> (String, Vec<Value>, Vec<Value>, u64) {
    let content = data.get("content").and_then(Value::as_str).unwrap_or_default().to_owned();
    let list = |k: &str| data.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
    let flags = data.get("flags").and_then(Value::as_u64).unwrap_or(0);
    (content, list("embeds"), list("components"), flags)
}

/// A response's `allowed_mentions`, checked as a message's are.
fn mentions_of(data: &Value) -> Result<Option<super::messages::AllowedMentions>, InteractionError> {
    super::messages::AllowedMentions::from_body(data).map_err(|e| InteractionError::InvalidForm(vec![e]))
}

fn form_check(content: &str, embeds: &[Value]) -> Result<(), InteractionError> {
    let errors = check_limits(content, embeds);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(InteractionError::InvalidForm(errors))
    }
}

impl State {
    /// A user starts an interaction with an application in a channel; dispatches
    /// `INTERACTION_CREATE` to the application and returns the interaction's id and token.
    pub fn start_interaction(
        &mut self,
        application_id: u64,
        user_id: u64,
        channel_id: u64,
        action: UserAction,
    ) -> Result<StartedInteraction, WorldError> {
        let app = self.applications.get(&application_id).ok_or(WorldError::UnknownApplication(application_id))?;
        let bot_user = app.bot_user_id;
        let guild_id = self.channels.get(&channel_id).ok_or(WorldError::UnknownChannel(channel_id))?.guild_id;
        if !self.users.contains_key(&user_id) {
            return Err(WorldError::UnknownUser(user_id));
        }
        if let Some(g) = guild_id.and_then(|g| self.guilds.get(&g)) {
            for uid in [user_id, bot_user] {
                if !g.members.contains_key(&uid) {
                    return Err(WorldError::NotMember { guild: g.id, user: uid });
                }
            }
        }
        let find_command = |name: &str| {
            self.commands.get(&application_id).and_then(|cmds| {
                cmds.iter()
                    .filter(|c| c.guild_id.is_none() || c.guild_id == guild_id)
                    .find(|c| c.body.get("name").and_then(Value::as_str) == Some(name))
                    .map(|c| (c.id, c.guild_id))
            })
        };
        let (kind, data, message_id) = match action {
            UserAction::SlashCommand { name, options } => {
                let (id, cmd_guild) = find_command(&name)
                    .ok_or_else(|| WorldError::Invalid(format!("command /{name} is not registered")))?;
                let mut data = json!({"id": id.to_string(), "name": name, "type": 1, "options": options});
                if let (Some(g), Some(obj)) = (cmd_guild, data.as_object_mut()) {
                    obj.insert("guild_id".into(), json!(g.to_string()));
                }
                (APPLICATION_COMMAND, data, None)
            }
            UserAction::Autocomplete { name, option, value, mut options } => {
                let (id, _) = find_command(&name)
                    .ok_or_else(|| WorldError::Invalid(format!("command /{name} is not registered")))?;
                options.push(json!({"name": option, "type": 3, "value": value, "focused": true}));
                (AUTOCOMPLETE, json!({"id": id.to_string(), "name": name, "type": 1, "options": options}), None)
            }
            UserAction::Component { message_id, custom_id, component_type, values } => {
                let msg = self
                    .message(channel_id, message_id)
                    .filter(|m| m.deleted_at.is_none())
                    .ok_or(WorldError::UnknownMessage(message_id))?;
                if msg.author_id != bot_user {
                    return Err(WorldError::Invalid("components can only be used on the bot's own messages".into()));
                }
                let mut data = json!({"custom_id": custom_id, "component_type": component_type});
                if component_type != 2 {
                    if let Some(obj) = data.as_object_mut() {
                        obj.insert("values".into(), json!(values));
                    }
                }
                (MESSAGE_COMPONENT, data, Some(message_id))
            }
        };
        let id = self.next_id();
        let token = format!("aW50ZXJhY3Rpb246{id}:{}", random_token(48));
        let interaction = Interaction {
            id,
            application_id,
            token: token.clone(),
            kind,
            guild_id,
            channel_id,
            user_id,
            data,
            message_id,
            created: self.clock.now(),
            created_at: self.now(),
            acknowledged: false,
            duplicate_acks: 0,
            original_message_id: None,
            responses: vec![],
        };
        let payload = InteractionView { state: self, interaction: &interaction }.render();
        self.interactions.insert(id, interaction);
        self.interaction_tokens.insert(token.clone(), id);
        self.dispatch_to_app(application_id, guild_id, 0, "INTERACTION_CREATE", &payload);
        Ok(StartedInteraction { interaction_id: id, token })
    }

    /// Handles `POST /interactions/{id}/{token}/callback`. Returns the message the response
    /// created or updated, if any.
    pub fn interaction_callback(
        &mut self,
        id: u64,
        token: &str,
        callback: Callback,
        deadline: Duration,
    ) -> Result<Option<u64>, InteractionError> {
        let now = self.clock.now();
        let i = self.interactions.get(&id).filter(|i| i.token == token).ok_or(InteractionError::Unknown)?;
        if i.acknowledged {
            return Err(InteractionError::AlreadyAcknowledged);
        }
        if now.saturating_duration_since(i.created) > deadline {
            return Err(InteractionError::Unknown);
        }
        let allowed: &[u8] = match i.kind {
            APPLICATION_COMMAND => &[4, 5, 9],
            MESSAGE_COMPONENT => &[4, 5, 6, 7, 9],
            AUTOCOMPLETE => &[8],
            _ => &[1],
        };
        if !allowed.contains(&callback.kind) {
            return Err(InteractionError::InvalidForm(vec![(
                "type".into(),
                "INTERACTION_RESPONSE_TYPE_INVALID",
                format!("Interaction response type {} is not valid for this interaction", callback.kind),
            )]));
        }
        let data = callback.data.unwrap_or(Value::Null);
        let (i_kind, channel_id, app_id, user_id, component_message) =
            (i.kind, i.channel_id, i.application_id, i.user_id, i.message_id);
        let name = i.data.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
        let bot_user = self.applications.get(&app_id).map_or(0, |a| a.bot_user_id);
        let (content, embeds, components, flags) = message_parts(&data);
        let message_id = match callback.kind {
            4 | 5 => {
                if callback.kind == 4 {
                    if is_empty(&content, &embeds, &components) {
                        return Err(InteractionError::Empty);
                    }
                    form_check(&content, &embeds)?;
                }
                let allowed_mentions = mentions_of(&data)?;
                let loading = if callback.kind == 5 { LOADING } else { 0 };
                let new = NewMessage {
                    allowed_mentions,
                    content,
                    embeds,
                    components,
                    flags: (flags & EPHEMERAL) | loading,
                    kind: if i_kind == APPLICATION_COMMAND { 20 } else { 0 },
                    application_id: Some(app_id),
                    webhook_id: Some(app_id),
                    interaction: Some((id, i_kind, name, user_id)),
                    ..NewMessage::default()
                };
                Some(self.post_message(bot_user, channel_id, new)?)
            }
            7 => {
                form_check(&content, &embeds)?;
                let mid = component_message.ok_or(InteractionError::UnknownMessage)?;
                let field = |k: &str| data.get(k).and_then(Value::as_array).cloned();
                let content = data.get("content").and_then(Value::as_str).map(str::to_owned);
                self.edit_message(channel_id, mid, content, field("embeds"), field("components"))?;
                Some(mid)
            }
            8 => {
                let choices = data.get("choices").and_then(Value::as_array).map_or(0, Vec::len);
                if choices > 25 {
                    return Err(InteractionError::InvalidForm(vec![(
                        "data.choices".into(),
                        "BASE_TYPE_MAX_LENGTH",
                        "Must be 25 or fewer in length.".into(),
                    )]));
                }
                None
            }
            _ => None,
        };
        let at = self.now();
        if let Some(i) = self.interactions.get_mut(&id) {
            i.acknowledged = true;
            if matches!(callback.kind, 4 | 5) {
                i.original_message_id = message_id;
            }
            i.responses.push(InteractionResponse {
                at,
                action: "callback",
                callback_type: Some(callback.kind),
                data,
                message_id,
            });
        }
        Ok(message_id)
    }

    /// The interaction a webhook path (`/webhooks/{application_id}/{token}`) refers to, if the
    /// application id matches and the token has not expired.
    pub fn interaction_by_token(
        &self,
        application_id: u64,
        token: &str,
        lifetime: Duration,
    ) -> Result<u64, InteractionError> {
        let id = *self.interaction_tokens.get(token).ok_or(InteractionError::Unknown)?;
        let i = self
            .interactions
            .get(&id)
            .filter(|i| i.application_id == application_id)
            .ok_or(InteractionError::Unknown)?;
        if self.clock.now().saturating_duration_since(i.created) > lifetime {
            return Err(InteractionError::TokenExpired);
        }
        Ok(id)
    }

    /// `PATCH /webhooks/{app}/{token}/messages/@original` (or a follow-up's id).
    pub fn edit_interaction_message(
        &mut self,
        id: u64,
        message: Option<u64>,
        data: &Value,
    ) -> Result<u64, InteractionError> {
        let i = self.interactions.get(&id).ok_or(InteractionError::Unknown)?;
        let channel_id = i.channel_id;
        let mid = match message {
            Some(mid) => mid,
            None => i.original_message_id.ok_or(InteractionError::UnknownMessage)?,
        };
        let field = |k: &str| data.get(k).and_then(Value::as_array).cloned();
        let content = data.get("content").and_then(Value::as_str).map(str::to_owned);
        form_check(content.as_deref().unwrap_or_default(), &field("embeds").unwrap_or_default())?;
        self.edit_message(channel_id, mid, content, field("embeds"), field("components")).map_err(|e| match e {
            WorldError::UnknownMessage(_) => InteractionError::UnknownMessage,
            other => InteractionError::World(other),
        })?;
        self.record_response(
            id,
            if message.is_none() { "edit_original" } else { "edit_followup" },
            data.clone(),
            Some(mid),
        );
        Ok(mid)
    }

    /// `DELETE /webhooks/{app}/{token}/messages/@original`.
    pub fn delete_interaction_message(&mut self, id: u64, message: Option<u64>) -> Result<(), InteractionError> {
        let i = self.interactions.get(&id).ok_or(InteractionError::Unknown)?;
        let channel_id = i.channel_id;
        let mid = match message {
            Some(mid) => mid,
            None => i.original_message_id.ok_or(InteractionError::UnknownMessage)?,
        };
        self.delete_message(channel_id, mid).map_err(|_| InteractionError::UnknownMessage)?;
        self.record_response(id, "delete", Value::Null, Some(mid));
        Ok(())
    }

    /// `POST /webhooks/{app}/{token}`: a follow-up message.
    pub fn interaction_followup(&mut self, id: u64, data: &Value) -> Result<u64, InteractionError> {
        let i = self.interactions.get(&id).ok_or(InteractionError::Unknown)?;
        if !i.acknowledged {
            return Err(InteractionError::NotAcknowledged);
        }
        let (channel_id, app_id, kind, user_id) = (i.channel_id, i.application_id, i.kind, i.user_id);
        let name = i.data.get("name").and_then(Value::as_str).unwrap_or_default().to_owned();
        let (content, embeds, components, flags) = message_parts(data);
        if is_empty(&content, &embeds, &components) {
            return Err(InteractionError::Empty);
        }
        form_check(&content, &embeds)?;
        let allowed_mentions = mentions_of(data)?;
        let bot_user = self.applications.get(&app_id).map_or(0, |a| a.bot_user_id);
        let new = NewMessage {
            allowed_mentions,
            content,
            embeds,
            components,
            flags: flags & EPHEMERAL,
            kind: 19,
            application_id: Some(app_id),
            webhook_id: Some(app_id),
            interaction: Some((id, kind, name, user_id)),
            ..NewMessage::default()
        };
        let mid = self.post_message(bot_user, channel_id, new)?;
        self.record_response(id, "followup", data.clone(), Some(mid));
        Ok(mid)
    }

    fn record_response(&mut self, id: u64, action: &'static str, data: Value, message_id: Option<u64>) {
        let at = self.now();
        if let Some(i) = self.interactions.get_mut(&id) {
            i.responses.push(InteractionResponse { at, action, callback_type: None, data, message_id });
        }
    }
}
