//! The emulated world: applications and their bots, users, guilds, channels, messages,
//! commands, interactions and gateway sessions, all in one `State` behind one lock.
//!
//! The REST routes, the control API and the library API all change the world through the methods
//! here, so a message posted by a bot over REST and one "typed" by a scripted user produce the same
//! dispatches. The world knows nothing of sockets: it queues dispatches on its sessions, and the
//! gateway sends what they hold.

pub mod counters;
pub mod dispatch;
pub mod file;
pub mod interactions;
pub mod json;
pub mod limits;
pub mod messages;
pub mod model;
pub mod nonces;
pub mod permissions;
pub mod sessions;
pub mod views;
pub mod webhooks;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::SystemTime;

use serde::Deserialize;
use serde_json::json;

use crate::clock::Clock;
use crate::snowflake::{bot_token, Snowflakes};
pub use counters::Counters;
use model::{Application, Channel, Guild, Member, Overwrite, Role, User};
use sessions::{Sessions, INTENT_GUILDS, INTENT_GUILD_MEMBERS};

/// Something the world cannot do, with the entity that was missing or wrong.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum WorldError {
    #[error("unknown application {0}")]
    UnknownApplication(u64),
    #[error("unknown guild {0}")]
    UnknownGuild(u64),
    #[error("unknown channel {0}")]
    UnknownChannel(u64),
    #[error("unknown user {0}")]
    UnknownUser(u64),
    #[error("unknown message {0}")]
    UnknownMessage(u64),
    #[error("unknown interaction {0}")]
    UnknownInteraction(u64),
    #[error("user {user} is not a member of guild {guild}")]
    NotMember { guild: u64, user: u64 },
    #[error("{0}")]
    Invalid(String),
}

/// What a new application (and its bot) looks like.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ApplicationSpec {
    /// Application and bot name.
    pub name: String,
    /// A fixed token; a Discord-shaped random one when absent.
    pub token: Option<String>,
    /// Privileged intents the application may use.
    pub presence_intent: bool,
    pub guild_members_intent: bool,
    pub message_content_intent: bool,
    /// Identify concurrency (`session_start_limit.max_concurrency`).
    pub max_concurrency: u32,
    /// Identifies per session-start window (`session_start_limit.total`).
    pub session_start_total: u32,
    /// Guilds per shard before 4011 (sharding required).
    pub max_guilds_per_shard: usize,
}

impl Default for ApplicationSpec {
    fn default() -> Self {
        Self {
            name: "Emulated Bot".into(),
            token: None,
            presence_intent: false,
            guild_members_intent: false,
            message_content_intent: true,
            max_concurrency: 1,
            session_start_total: 1000,
            max_guilds_per_shard: 2500,
        }
    }
}

/// The ids and token of a created application.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct ApplicationInfo {
    pub application_id: u64,
    pub bot_user_id: u64,
    pub token: String,
    pub name: String,
}

/// Everything the emulator knows.
#[derive(Debug)]
pub struct State {
    pub clock: Arc<Clock>,
    pub ids: Snowflakes,
    pub applications: HashMap<u64, Application>,
    /// Bot token → application id.
    pub tokens: HashMap<String, u64>,
    /// Bot user id → application id.
    pub bot_apps: HashMap<u64, u64>,
    pub users: HashMap<u64, User>,
    pub guilds: HashMap<u64, Guild>,
    pub channels: HashMap<u64, Channel>,
    pub commands: HashMap<u64, Vec<model::Command>>,
    pub interactions: HashMap<u64, model::Interaction>,
    /// Interaction token → interaction id.
    pub interaction_tokens: HashMap<String, u64>,
    /// Channel webhooks by id.
    pub webhooks: HashMap<u64, webhooks::Webhook>,
    pub sessions: Sessions,
    /// Dispatches kept per session for replay.
    pub replay_capacity: usize,
    /// What happened so far, for tests and benchmarks.
    pub counters: Counters,
    /// Messages sent with a nonce, for `enforce_nonce` (kept for [`nonces::NONCE_WINDOW`]).
    pub nonces: nonces::Nonces,
    /// Per guild, its bots: fan-out's cache (`dispatch.rs`).
    guild_bots: HashMap<u64, GuildBots>,
}

/// A guild's bots as (application id, bot user id), and the (member count, bot count) they were
/// found with.
type GuildBots = ((usize, usize), Vec<(u64, u64)>);

impl State {
    /// An empty world.
    pub fn new(clock: Arc<Clock>, replay_capacity: usize) -> Self {
        Self {
            clock,
            ids: Snowflakes::default(),
            applications: HashMap::new(),
            tokens: HashMap::new(),
            bot_apps: HashMap::new(),
            users: HashMap::new(),
            guilds: HashMap::new(),
            channels: HashMap::new(),
            commands: HashMap::new(),
            interactions: HashMap::new(),
            interaction_tokens: HashMap::new(),
            webhooks: HashMap::new(),
            sessions: Sessions::default(),
            replay_capacity,
            counters: Counters::default(),
            nonces: nonces::Nonces::default(),
            guild_bots: HashMap::new(),
        }
    }

    /// A fresh snowflake.
    pub fn next_id(&mut self) -> u64 {
        let ms = self.clock.unix_millis();
        self.ids.next(ms)
    }

    /// Wall-clock now.
    pub fn now(&self) -> SystemTime {
        self.clock.system_now()
    }

    /// The application a bot token belongs to (the `Bot ` prefix is optional).
    pub fn app_by_token(&self, token: &str) -> Option<u64> {
        let token = token.strip_prefix("Bot ").unwrap_or(token);
        self.tokens.get(token).copied()
    }

    /// Creates an application and its bot user.
    pub fn create_application(&mut self, spec: ApplicationSpec) -> Result<ApplicationInfo, WorldError> {
        let name = spec.name.trim().to_owned();
        if name.is_empty() || name.len() > 100 {
            return Err(WorldError::Invalid("application name must be 1 to 100 characters".into()));
        }
        let app_id = self.next_id();
        let bot_user_id = self.next_id();
        let token = spec.token.unwrap_or_else(|| bot_token(bot_user_id));
        if token.is_empty() || token.contains(char::is_whitespace) {
            return Err(WorldError::Invalid("token must be non-empty and contain no spaces".into()));
        }
        if self.tokens.contains_key(&token) {
            return Err(WorldError::Invalid("token already belongs to another application".into()));
        }
        let mut flags = 0;
        if spec.presence_intent {
            flags |= model::APP_FLAG_PRESENCE;
        }
        if spec.guild_members_intent {
            flags |= model::APP_FLAG_GUILD_MEMBERS;
        }
        if spec.message_content_intent {
            flags |= model::APP_FLAG_MESSAGE_CONTENT;
        }
        self.users.insert(bot_user_id, User { id: bot_user_id, username: name.clone(), global_name: None, bot: true });
        let now = self.clock.now();
        self.applications.insert(
            app_id,
            Application {
                id: app_id,
                name: name.clone(),
                bot_user_id,
                token: token.clone(),
                flags,
                max_concurrency: spec.max_concurrency.max(1),
                session_start_total: spec.session_start_total,
                session_starts: (now, 0),
                identify_buckets: HashMap::new(),
                max_guilds_per_shard: spec.max_guilds_per_shard.max(1),
            },
        );
        self.tokens.insert(token.clone(), app_id);
        self.bot_apps.insert(bot_user_id, app_id);
        Ok(ApplicationInfo { application_id: app_id, bot_user_id, token, name })
    }

    /// Creates a (human) user.
    pub fn create_user(&mut self, username: &str) -> Result<u64, WorldError> {
        let username = username.trim();
        if username.len() < 2 || username.len() > 32 {
            return Err(WorldError::Invalid("username must be 2 to 32 characters".into()));
        }
        let id = self.next_id();
        self.users.insert(id, User { id, username: username.to_owned(), global_name: None, bot: false });
        Ok(id)
    }

    /// Creates a guild owned by `owner_id` (who becomes its first member).
    pub fn create_guild(&mut self, name: &str, owner_id: u64) -> Result<u64, WorldError> {
        let name = name.trim();
        if name.len() < 2 || name.len() > 100 {
            return Err(WorldError::Invalid("guild name must be 2 to 100 characters".into()));
        }
        if !self.users.contains_key(&owner_id) {
            return Err(WorldError::UnknownUser(owner_id));
        }
        let id = self.next_id();
        let now = self.now();
        let everyone =
            Role { id, name: "@everyone".into(), permissions: permissions::DEFAULT_EVERYONE, position: 0, color: 0 };
        let mut members = BTreeMap::new();
        members.insert(owner_id, Member { user_id: owner_id, roles: vec![], nick: None, joined_at: now });
        self.guilds.insert(
            id,
            Guild {
                id,
                name: name.to_owned(),
                owner_id,
                roles: vec![everyone],
                members,
                channel_ids: vec![],
                created_at: now,
            },
        );
        Ok(id)
    }

    /// Creates a text channel in a guild.
    pub fn create_channel(&mut self, guild_id: u64, name: &str, topic: Option<String>) -> Result<u64, WorldError> {
        let name = name.trim();
        if name.is_empty() || name.len() > 100 {
            return Err(WorldError::Invalid("channel name must be 1 to 100 characters".into()));
        }
        if !self.guilds.contains_key(&guild_id) {
            return Err(WorldError::UnknownGuild(guild_id));
        }
        let id = self.next_id();
        let guild = self.guilds.get_mut(&guild_id).ok_or(WorldError::UnknownGuild(guild_id))?;
        let position = i64::try_from(guild.channel_ids.len()).unwrap_or(0);
        guild.channel_ids.push(id);
        self.channels.insert(
            id,
            Channel {
                id,
                guild_id: Some(guild_id),
                name: name.to_owned(),
                kind: 0,
                topic,
                position,
                overwrites: vec![],
                recipients: vec![],
                messages: BTreeMap::new(),
                last_message_id: None,
            },
        );
        let data = self.channels.get(&id).map(json::channel).unwrap_or_default();
        self.dispatch_guild_bots(guild_id, INTENT_GUILDS, "CHANNEL_CREATE", &data.to_string());
        Ok(id)
    }

    /// Creates a role in a guild.
    pub fn create_role(&mut self, guild_id: u64, name: &str, permissions: u64) -> Result<u64, WorldError> {
        let id = self.next_id();
        let guild = self.guilds.get_mut(&guild_id).ok_or(WorldError::UnknownGuild(guild_id))?;
        let position = i64::try_from(guild.roles.len()).unwrap_or(0);
        guild.roles.push(Role { id, name: name.to_owned(), permissions, position, color: 0 });
        Ok(id)
    }

    /// Sets (or replaces) a permission overwrite on a channel; its server's bots get
    /// `CHANNEL_UPDATE`, as Discord sends when a channel's overwrites change.
    pub fn set_overwrite(&mut self, channel_id: u64, overwrite: Overwrite) -> Result<(), WorldError> {
        let channel = self.channels.get_mut(&channel_id).ok_or(WorldError::UnknownChannel(channel_id))?;
        channel.overwrites.retain(|o| !(o.id == overwrite.id && o.kind == overwrite.kind));
        channel.overwrites.push(overwrite);
        if let Some(guild_id) = channel.guild_id {
            let data = json::channel(channel);
            self.dispatch_guild_bots(guild_id, INTENT_GUILDS, "CHANNEL_UPDATE", &data.to_string());
        }
        Ok(())
    }

    /// Adds a user (or a bot) to a guild. A bot that joins gets `GUILD_CREATE`; other bots with
    /// the members intent get `GUILD_MEMBER_ADD`.
    pub fn add_member(&mut self, guild_id: u64, user_id: u64, roles: Vec<u64>) -> Result<(), WorldError> {
        if !self.users.contains_key(&user_id) {
            return Err(WorldError::UnknownUser(user_id));
        }
        let now = self.now();
        let guild = self.guilds.get_mut(&guild_id).ok_or(WorldError::UnknownGuild(guild_id))?;
        if let Some(bad) = roles.iter().find(|r| !guild.roles.iter().any(|role| role.id == **r)) {
            return Err(WorldError::Invalid(format!("unknown role {bad}")));
        }
        let member = Member { user_id, roles, nick: None, joined_at: now };
        guild.members.insert(user_id, member.clone());
        let mut add = json::member(self, &member, true);
        if let Some(obj) = add.as_object_mut() {
            obj.insert("guild_id".into(), json!(guild_id.to_string()));
        }
        self.dispatch_guild_bots(guild_id, INTENT_GUILD_MEMBERS, "GUILD_MEMBER_ADD", &add.to_string());
        if let Some(app_id) = self.bot_apps.get(&user_id).copied() {
            self.dispatch_guild_create(app_id, guild_id);
        }
        Ok(())
    }

    /// The DM channel between a user and a bot, created on first use.
    pub fn dm_channel(&mut self, user_id: u64, bot_user_id: u64) -> Result<u64, WorldError> {
        for id in [user_id, bot_user_id] {
            if !self.users.contains_key(&id) {
                return Err(WorldError::UnknownUser(id));
            }
        }
        let existing = self
            .channels
            .values()
            .find(|c| c.kind == 1 && c.recipients.contains(&user_id) && c.recipients.contains(&bot_user_id));
        if let Some(c) = existing {
            return Ok(c.id);
        }
        let id = self.next_id();
        self.channels.insert(
            id,
            Channel {
                id,
                guild_id: None,
                name: String::new(),
                kind: 1,
                topic: None,
                position: 0,
                overwrites: vec![],
                recipients: vec![user_id, bot_user_id],
                messages: BTreeMap::new(),
                last_message_id: None,
            },
        );
        Ok(id)
    }

    /// A message (including a deleted one's tombstone).
    pub fn message(&self, channel_id: u64, message_id: u64) -> Option<&model::Message> {
        self.channels.get(&channel_id)?.messages.get(&message_id)
    }

    /// Channel permissions of a user (all permissions in DMs they take part in).
    pub fn permissions(&self, channel_id: u64, user_id: u64) -> Result<u64, WorldError> {
        let channel = self.channels.get(&channel_id).ok_or(WorldError::UnknownChannel(channel_id))?;
        match channel.guild_id {
            Some(gid) => {
                let guild = self.guilds.get(&gid).ok_or(WorldError::UnknownGuild(gid))?;
                Ok(permissions::in_channel(guild, channel, user_id))
            }
            None if channel.recipients.contains(&user_id) => Ok(permissions::ALL),
            None => Ok(0),
        }
    }
}
