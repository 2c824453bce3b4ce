//! Posting, editing and deleting messages, and a scripted user's message; the content and embed
//! limits a message must fit are in `limits.rs`, its shape before creation in `model.rs`.

use serde_json::Value;

use super::limits::{check_limits, is_empty, FieldError};
use super::model::{Message, NewMessage, Revision, EPHEMERAL, LOADING};
use super::{State, WorldError};

/// Who a message may ping: Discord's `allowed_mentions`. A message posted without one pings what
/// its content names (users, roles, `@everyone`/`@here`); with one, only what it allows — and its
/// `mentions`, `mention_roles` and `mention_everyone` hold only that ("Allowed Mentions Object",
/// `resources/message.md`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedMentions {
    /// `parse` holds `users`, `roles`, `everyone`.
    pub users_parsed: bool,
    pub roles_parsed: bool,
    pub everyone: bool,
    /// Only these users / roles (mutually exclusive with their kind in `parse`).
    pub users: Vec<u64>,
    pub roles: Vec<u64>,
}

impl AllowedMentions {
    /// Reads a body's `allowed_mentions` the way Discord checks it: `parse` of the three kinds,
    /// at most 100 user and role ids each, a kind in `parse` not also listed by id. `None`: the
    /// key is absent (or null), so the content's mentions all ping.
    pub fn from_body(body: &Value) -> Result<Option<Self>, FieldError> {
        let Some(value) = body.get("allowed_mentions").filter(|v| !v.is_null()) else {
            return Ok(None);
        };
        let bad = |path: &str, code: &'static str, message: &str| Err((path.to_owned(), code, message.to_owned()));
        let Some(object) = value.as_object() else {
            return bad("allowed_mentions", "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType");
        };
        let mut allowed = Self::default();
        if let Some(parse) = object.get("parse").filter(|v| !v.is_null()) {
            let Some(kinds) = parse.as_array() else {
                return bad("allowed_mentions.parse", "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType");
            };
            for kind in kinds {
                match kind.as_str() {
                    Some("users") => allowed.users_parsed = true,
                    Some("roles") => allowed.roles_parsed = true,
                    Some("everyone") => allowed.everyone = true,
                    _ => {
                        return bad(
                            "allowed_mentions.parse",
                            "BASE_TYPE_CHOICES",
                            "Value must be one of ('roles', 'users', 'everyone').",
                        )
                    }
                }
            }
        }
        for (name, parsed) in [("users", allowed.users_parsed), ("roles", allowed.roles_parsed)] {
            let ids = match object.get(name).filter(|v| !v.is_null()) {
                None => continue,
                Some(Value::Array(ids)) => ids,
                Some(_) => {
                    return bad(
                        &format!("allowed_mentions.{name}"),
                        "LIST_TYPE_CONVERT",
                        "Only iterables may be used in a ListType",
                    )
                }
            };
            if ids.len() > 100 {
                return bad(
                    &format!("allowed_mentions.{name}"),
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 100 or fewer in length.",
                );
            }
            if parsed && !ids.is_empty() {
                let message = format!("parse:[\"{name}\"] and {name}: [ids...] are mutually exclusive.");
                return bad("allowed_mentions", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", &message);
            }
            let mut out = Vec::new();
            for id in ids {
                let parsed = id.as_str().and_then(|s| s.parse::<u64>().ok()).or_else(|| id.as_u64());
                match parsed {
                    Some(id) => out.push(id),
                    None => {
                        return bad(
                            &format!("allowed_mentions.{name}"),
                            "NUMBER_TYPE_COERCE",
                            "Value is not snowflake.",
                        )
                    }
                }
            }
            if name == "users" {
                allowed.users = out;
            } else {
                allowed.roles = out;
            }
        }
        Ok(Some(allowed))
    }

    /// What of the content's mentions pings: (users, roles, everyone).
    fn filter(&self, users: Vec<u64>, roles: Vec<u64>, everyone: bool) -> (Vec<u64>, Vec<u64>, bool) {
        let users = users.into_iter().filter(|u| self.users_parsed || self.users.contains(u)).collect();
        let roles = roles.into_iter().filter(|r| self.roles_parsed || self.roles.contains(r)).collect();
        (users, roles, everyone && self.everyone)
    }
}

/// User ids mentioned as `<@id>` / `<@!id>`, role ids as `<@&id>`, and whether `@everyone` (or
/// `@here`) is.
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
    (users, roles, content.contains("@everyone") || content.contains("@here"))
}

impl State {
    /// The message `author` already sent with this nonce within [`super::nonces::NONCE_WINDOW`], if any (and
    /// not deleted): what `enforce_nonce: true` returns instead of creating another.
    pub fn message_by_nonce(&mut self, author: u64, nonce: &str) -> Option<(u64, u64)> {
        let now = self.now();
        let (channel, message) = self.nonces.get(now, author, nonce)?;
        self.message(channel, message).filter(|m| m.deleted_at.is_none()).map(|_| (channel, message))
    }

    /// Remembers that `author` sent `message` with this nonce.
    pub fn remember_nonce(&mut self, author: u64, nonce: String, channel: u64, message: u64) {
        let now = self.now();
        self.nonces.remember(now, author, nonce, channel, message);
    }

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
        let (mut mentions, mention_roles, mention_everyone) = match &new.allowed_mentions {
            None => parse_mentions(&new.content),
            Some(allowed) => {
                let (users, roles, everyone) = parse_mentions(&new.content);
                allowed.filter(users, roles, everyone)
            }
        };
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
            nonce: new.nonce,
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

    #[test]
    fn allowed_mentions_keep_only_what_they_allow() {
        let content = "hi <@12> <@13> <@&14> <@&15> @here";
        let (users, roles, everyone) = parse_mentions(content);
        let read = |v: serde_json::Value| AllowedMentions::from_body(&serde_json::json!({"allowed_mentions": v}));
        let none = read(serde_json::json!({"parse": []})).expect("valid").expect("present");
        assert_eq!(none.filter(users.clone(), roles.clone(), everyone), (vec![], vec![], false));
        let some = read(serde_json::json!({"users": ["13"], "roles": ["15"]})).expect("valid").expect("present");
        assert_eq!(some.filter(users.clone(), roles.clone(), everyone), (vec![13], vec![15], false));
        let all = read(serde_json::json!({"parse": ["users", "roles", "everyone"]})).expect("valid").expect("present");
        assert_eq!(all.filter(users, roles, everyone), (vec![12, 13], vec![14, 15], true));
        assert_eq!(AllowedMentions::from_body(&serde_json::json!({})), Ok(None), "absent: the content's mentions");
        let exclusive = read(serde_json::json!({"parse": ["users"], "users": ["12"]})).expect_err("exclusive");
        assert_eq!(exclusive.1, "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE");
        assert_eq!(
            read(serde_json::json!({"parse": ["channels"]})).expect_err("unknown kind").0,
            "allowed_mentions.parse"
        );
    }

    #[test]
    fn mentions_are_parsed() {
        let (users, roles, everyone) = parse_mentions("hi <@12> <@!13> <@&14> @everyone <@bad>");
        assert_eq!((users, roles, everyone), (vec![12, 13], vec![14], true));
    }
}
