//! The entities of the emulated Discord, as plain data. JSON shapes live in `json.rs`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Instant, SystemTime};

use serde_json::Value;

/// Application flag: the presence intent is enabled.
pub const APP_FLAG_PRESENCE: u64 = 1 << 12;
/// Application flag: the guild-members intent is enabled.
pub const APP_FLAG_GUILD_MEMBERS: u64 = 1 << 14;
/// Application flag: the message-content intent is enabled.
pub const APP_FLAG_MESSAGE_CONTENT: u64 = 1 << 18;

/// An application with its bot user and gateway budgets.
#[derive(Debug, Clone)]
pub struct Application {
    pub id: u64,
    pub name: String,
    pub bot_user_id: u64,
    pub token: String,
    /// `APP_FLAG_*` bits: which privileged intents the application may use.
    pub flags: u64,
    pub max_concurrency: u32,
    /// Identify calls allowed per session-start window.
    pub session_start_total: u32,
    /// Start of the current session-start window and identifies used in it.
    pub session_starts: (Instant, u32),
    /// Last identify per rate-limit bucket (`shard_id % max_concurrency`).
    pub identify_buckets: HashMap<u32, Instant>,
    /// Guilds one shard may hold before identify needs sharding (4011).
    pub max_guilds_per_shard: usize,
}

/// A user (person or bot).
#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub username: String,
    pub global_name: Option<String>,
    pub bot: bool,
}

/// A guild role.
#[derive(Debug, Clone)]
pub struct Role {
    pub id: u64,
    pub name: String,
    pub permissions: u64,
    pub position: i64,
    pub color: u32,
}

/// A user's membership of a guild.
#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: u64,
    pub roles: Vec<u64>,
    pub nick: Option<String>,
    pub joined_at: SystemTime,
}

/// A guild. Its `@everyone` role has the guild's id.
#[derive(Debug, Clone)]
pub struct Guild {
    pub id: u64,
    pub name: String,
    pub owner_id: u64,
    pub roles: Vec<Role>,
    pub members: BTreeMap<u64, Member>,
    pub channel_ids: Vec<u64>,
    pub created_at: SystemTime,
}

/// A permission overwrite on a channel (`kind` 0 = role, 1 = member).
#[derive(Debug, Clone, Copy)]
pub struct Overwrite {
    pub id: u64,
    pub kind: u8,
    pub allow: u64,
    pub deny: u64,
}

/// A channel: guild text channel (type 0) or DM (type 1).
#[derive(Debug, Clone)]
pub struct Channel {
    pub id: u64,
    pub guild_id: Option<u64>,
    pub name: String,
    pub kind: u8,
    pub topic: Option<String>,
    pub position: i64,
    pub overwrites: Vec<Overwrite>,
    /// Recipients of a DM channel.
    pub recipients: Vec<u64>,
    pub messages: BTreeMap<u64, Message>,
    pub last_message_id: Option<u64>,
}

/// One earlier version of an edited message.
#[derive(Debug, Clone)]
pub struct Revision {
    pub at: SystemTime,
    pub content: String,
    pub embeds: Vec<Value>,
}

/// Message flag: only the invoking user sees it (never dispatched to bots).
pub const EPHEMERAL: u64 = 1 << 6;
/// Message flag: "Bot is thinking…" after a deferred interaction response, until an edit.
pub const LOADING: u64 = 1 << 7;

/// A message about to be created (what `State::post_message` takes).
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
    /// The sender's nonce (an integer or a string of at most 25 characters), echoed back.
    pub nonce: Option<Value>,
    /// Who it may ping; `None`: whatever its content names.
    pub allowed_mentions: Option<super::messages::AllowedMentions>,
}

/// A message. Deleted messages stay as tombstones so tests can read back what happened.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: u64,
    pub channel_id: u64,
    pub guild_id: Option<u64>,
    pub author_id: u64,
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub kind: u8,
    pub flags: u64,
    pub tts: bool,
    pub mentions: Vec<u64>,
    pub mention_roles: Vec<u64>,
    pub mention_everyone: bool,
    pub message_reference: Option<Value>,
    /// Application id when sent as an interaction response or follow-up.
    pub application_id: Option<u64>,
    pub webhook_id: Option<u64>,
    /// The author's display name for this message only (a webhook's `username` override).
    pub author_name: Option<String>,
    /// The interaction this message answers: (interaction id, type, command name, user id).
    pub interaction: Option<(u64, u8, String, u64)>,
    pub nonce: Option<Value>,
    pub created_at: SystemTime,
    pub edited_at: Option<SystemTime>,
    pub deleted_at: Option<SystemTime>,
    pub revisions: Vec<Revision>,
}

/// A registered application command.
#[derive(Debug, Clone)]
pub struct Command {
    pub id: u64,
    pub application_id: u64,
    pub guild_id: Option<u64>,
    pub version: u64,
    /// The command as the client sent it (name, description, options, type, …).
    pub body: Value,
}

/// One response an application gave to an interaction (callback, edit, follow-up, delete).
#[derive(Debug, Clone)]
pub struct InteractionResponse {
    pub at: SystemTime,
    /// `callback`, `edit_original`, `delete_original` or `followup`.
    pub action: &'static str,
    /// Interaction callback type for `callback`.
    pub callback_type: Option<u8>,
    pub data: Value,
    pub message_id: Option<u64>,
}

/// An interaction a user started (slash command, component press, autocomplete).
#[derive(Debug, Clone)]
pub struct Interaction {
    pub id: u64,
    pub application_id: u64,
    pub token: String,
    /// 2 application command, 3 message component, 4 autocomplete.
    pub kind: u8,
    pub guild_id: Option<u64>,
    pub channel_id: u64,
    pub user_id: u64,
    pub data: Value,
    /// The message a component lives on.
    pub message_id: Option<u64>,
    pub created: Instant,
    pub created_at: SystemTime,
    pub acknowledged: bool,
    /// Acknowledgements refused because one was already given (a client answering twice).
    pub duplicate_acks: u32,
    pub original_message_id: Option<u64>,
    pub responses: Vec<InteractionResponse>,
}

/// A serialized gateway payload: immutable UTF-8 text that clones by reference count and goes
/// into a WebSocket text frame as it is (no copy per send or per replay).
pub type Payload = axum::extract::ws::Utf8Bytes;

/// One dispatch kept for replay: its sequence number and the serialized payload.
pub type Replayed = (u64, Payload);

/// Replay buffer of a session.
pub type ReplayBuffer = VecDeque<Replayed>;
