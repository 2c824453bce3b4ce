//! Posting, editing and deleting messages, with Discord's content and embed limits.

use serde_json::Value;

use super::model::{Message, Revision, EPHEMERAL, LOADING};
use super::{State, WorldError};

/// A message about to be created.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub tts: bool,
    pub flags: u64,
    /// Message type: 0 default, 19 reply, 20 chat-input command response.
    pub kind: u8,
    pub message_reference: Option<Value>,
    pub application_id: Option<u64>,
    pub webhook_id: Option<u64>,
    pub author_name: Option<String>,
    pub interaction: Option<(u64, u8, String, u64)>,
}

/// A field that breaks one of Discord's message limits: (path, error code, message).
pub type FieldError = (String, &'static str, String);

/// Checks content and embeds against Discord's limits (2,000 characters; 10 embeds; title 256,
/// description 4,096, 25 fields, field name 256 / value 1,024, footer 2,048, author 256, 6,000 in
/// all). Returns every violation, Discord-style.
pub fn check_limits(content: &str, embeds: &[Value]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let chars = content.chars().count();
    if chars > 2000 {
        errors.push(("content".into(), "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.".into()));
    }
    if embeds.len() > 10 {
        errors.push(("embeds".into(), "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.".into()));
    }
    let mut total = 0;
    for (i, embed) in embeds.iter().enumerate() {
        let Some(obj) = embed.as_object() else {
            errors.push((
                format!("embeds.{i}"),
                "MODEL_TYPE_CONVERT",
                "Only dictionaries may be used in a ModelType".into(),
            ));
            continue;
        };
        let mut text = |path: String, v: Option<&Value>, max: usize, errors: &mut Vec<FieldError>| {
            let Some(v) = v else { return };
            match v.as_str() {
                Some(s) => {
                    let n = s.chars().count();
                    total += n;
                    if n > max {
                        errors.push((path, "BASE_TYPE_MAX_LENGTH", format!("Must be {max} or fewer in length.")));
                    }
                }
                None if v.is_null() => {}
                None => errors.push((path, "BASE_TYPE_STRING", "Must be a string.".into())),
            }
        };
        text(format!("embeds.{i}.title"), obj.get("title"), 256, &mut errors);
        text(format!("embeds.{i}.description"), obj.get("description"), 4096, &mut errors);
        text(format!("embeds.{i}.footer.text"), obj.get("footer").and_then(|f| f.get("text")), 2048, &mut errors);
        text(format!("embeds.{i}.author.name"), obj.get("author").and_then(|a| a.get("name")), 256, &mut errors);
        if let Some(fields) = obj.get("fields").and_then(Value::as_array) {
            if fields.len() > 25 {
                errors.push((
                    format!("embeds.{i}.fields"),
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 25 or fewer in length.".into(),
                ));
            }
            for (j, field) in fields.iter().enumerate() {
                text(format!("embeds.{i}.fields.{j}.name"), field.get("name"), 256, &mut errors);
                text(format!("embeds.{i}.fields.{j}.value"), field.get("value"), 1024, &mut errors);
            }
        }
    }
    if total > 6000 {
        errors.push(("embeds".into(), "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000".into()));
    }
    errors
}

/// Whether a message would have nothing to show (Discord error 50006).
pub fn is_empty(content: &str, embeds: &[Value], components: &[Value]) -> bool {
    content.trim().is_empty() && embeds.is_empty() && components.is_empty()
}

/// User ids mentioned as `<@id>` / `<@!id>`, role ids as `<@&id>`, and whether `@everyone` is.
fn parse_mentions(content: &str) -> (Vec<u64>, Vec<u64>, bool) {
    let (mut users, mut roles) = (Vec::new(), Vec::new());
    for part in content.split("<@").skip(1) {
        let Some(end) = part.find('>') else { continue };
        let inner = &part[..end];
        if let Some(role) = inner.strip_prefix('&') {
            roles.extend(role.parse::<u64>().ok());
        } else if let Ok(id) = inner.trim_start_matches('!').parse::<u64>() {
            if !users.contains(&id) {
                users.push(id);
            }
        }
    }
    (users, roles, content.contains("@everyone"))
}

impl State {
    /// Creates a message in a channel and dispatches `MESSAGE_CREATE`. Permission checks are the
    /// caller's (REST checks the bot's, the control API lets scripted users post anywhere they are).
    pub fn post_message(&mut self, author_id: u64, channel_id: u64, new: NewMessage) -> Result<u64, WorldError> {
        // Ephemeral messages are seen only by the invoking user: never dispatched to bots.
        let dispatch = new.flags & EPHEMERAL == 0;
        self.create_message(author_id, channel_id, new, dispatch)
    }

    fn create_message(
        &mut self,
        author_id: u64,
        channel_id: u64,
        new: NewMessage,
        dispatch: bool,
    ) -> Result<u64, WorldError> {
        let guild_id = self.channels.get(&channel_id).ok_or(WorldError::UnknownChannel(channel_id))?.guild_id;
        if !self.users.contains_key(&author_id) {
            return Err(WorldError::UnknownUser(author_id));
        }
        let id = self.next_id();
        let (mut mentions, mention_roles, mention_everyone) = parse_mentions(&new.content);
        mentions.retain(|u| self.users.contains_key(u));
        let message = Message {
            id,
            channel_id,
            guild_id,
            author_id,
            content: new.content,
            embeds: new.embeds,
            components: new.components,
            kind: new.kind,
            flags: new.flags,
            tts: new.tts,
            mentions,
            mention_roles,
            mention_everyone,
            message_reference: new.message_reference,
            application_id: new.application_id,
            webhook_id: new.webhook_id,
            author_name: new.author_name,
            interaction: new.interaction,
            created_at: self.now(),
            edited_at: None,
            deleted_at: None,
            revisions: vec![],
        };
        if dispatch {
            self.dispatch_message("MESSAGE_CREATE", &message);
        }
        if let Some(channel) = self.channels.get_mut(&channel_id) {
            channel.last_message_id = Some(id);
            channel.messages.insert(id, message);
        }
        Ok(id)
    }

    /// Replaces a message's content and/or embeds/components and dispatches `MESSAGE_UPDATE`.
    pub fn edit_message(
        &mut self,
        channel_id: u64,
        message_id: u64,
        content: Option<String>,
        embeds: Option<Vec<Value>>,
        components: Option<Vec<Value>>,
    ) -> Result<(), WorldError> {
        let now = self.now();
        let channel = self.channels.get_mut(&channel_id).ok_or(WorldError::UnknownChannel(channel_id))?;
        let message = channel
            .messages
            .get_mut(&message_id)
            .filter(|m| m.deleted_at.is_none())
            .ok_or(WorldError::UnknownMessage(message_id))?;
        message.revisions.push(Revision {
            at: message.edited_at.unwrap_or(message.created_at),
            content: message.content.clone(),
            embeds: message.embeds.clone(),
        });
        if let Some(content) = content {
            let (mentions, roles, everyone) = parse_mentions(&content);
            message.mentions = mentions;
            message.mention_roles = roles;
            message.mention_everyone = everyone;
            message.content = content;
        }
        if let Some(embeds) = embeds {
            message.embeds = embeds;
        }
        if let Some(components) = components {
            message.components = components;
        }
        message.flags &= !LOADING; // an edit ends the "thinking…" state
        message.edited_at = Some(now);
        let snapshot = message.clone();
        self.dispatch_message("MESSAGE_UPDATE", &snapshot);
        Ok(())
    }

    /// Marks a message deleted and dispatches `MESSAGE_DELETE`.
    pub fn delete_message(&mut self, channel_id: u64, message_id: u64) -> Result<(), WorldError> {
        let now = self.now();
        let channel = self.channels.get_mut(&channel_id).ok_or(WorldError::UnknownChannel(channel_id))?;
        let message = channel
            .messages
            .get_mut(&message_id)
            .filter(|m| m.deleted_at.is_none())
            .ok_or(WorldError::UnknownMessage(message_id))?;
        message.deleted_at = Some(now);
        let snapshot = message.clone();
        self.dispatch_message_delete(&snapshot);
        Ok(())
    }
}

impl State {
    /// A scripted user writes in a channel they can see (guild member, or DM recipient).
    pub fn user_message(&mut self, user_id: u64, channel_id: u64, content: &str) -> Result<u64, WorldError> {
        let channel = self.channels.get(&channel_id).ok_or(WorldError::UnknownChannel(channel_id))?;
        if let Some(guild) = channel.guild_id {
            let member = self.guilds.get(&guild).is_some_and(|g| g.members.contains_key(&user_id));
            if !member {
                return Err(WorldError::NotMember { guild, user: user_id });
            }
        } else if !channel.recipients.contains(&user_id) {
            return Err(WorldError::Invalid(format!("user {user_id} is not in DM channel {channel_id}")));
        }
        if is_empty(content, &[], &[]) {
            return Err(WorldError::Invalid("a message needs content".into()));
        }
        if let Some((_, _, msg)) = check_limits(content, &[]).into_iter().next() {
            return Err(WorldError::Invalid(format!("content: {msg}")));
        }
        self.post_message(user_id, channel_id, NewMessage { content: content.to_owned(), ..NewMessage::default() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn limits_report_each_field() {
        let long = "x".repeat(2001);
        let embed = json!({"description": "d".repeat(4097), "fields": (0..26).map(|_| json!({"name": "n", "value": "v"})).collect::<Vec<_>>()});
        let errors = check_limits(&long, &[embed]);
        let paths: Vec<&str> = errors.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(paths, ["content", "embeds.0.description", "embeds.0.fields"]);
        assert!(check_limits("hi", &[json!({"title": "t"})]).is_empty());
        let big: Vec<Value> = (0..2).map(|_| json!({"description": "y".repeat(3500)})).collect();
        assert_eq!(check_limits("", &big)[0].1, "MAX_EMBED_SIZE_EXCEEDED");
    }

    #[test]
    fn mentions_are_parsed() {
        let (users, roles, everyone) = parse_mentions("hi <@12> <@!13> <@&14> @everyone <@bad>");
        assert_eq!((users, roles, everyone), (vec![12, 13], vec![14], true));
    }
}
