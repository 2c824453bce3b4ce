//! Scripting the world: the operations a test (in-process, through `Emulator`) or a script (over
//! the control API) uses to build a world, act as its users, inject gateway events and read back
//! what the bots did. Both paths call these same methods.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::connections::ConnCommand;
use crate::faults::{jittered, FaultAction, FaultSpec};
use crate::shared::Shared;
use crate::snowflake::iso8601;
use crate::world::file::{WorldSpec, WorldSummary};
use crate::world::interactions::{StartedInteraction, UserAction};
use crate::world::model::{Message, Overwrite};
use crate::world::{ApplicationInfo, ApplicationSpec, Counters, WorldError};

/// A message as the emulator recorded it, for tests to read back.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MessageRecord {
    pub id: u64,
    pub channel_id: u64,
    pub author_id: u64,
    pub author_name: String,
    pub author_is_bot: bool,
    pub content: String,
    pub embeds: Vec<Value>,
    pub components: Vec<Value>,
    pub flags: u64,
    /// The interaction this message answers, if any.
    pub interaction_id: Option<u64>,
    /// The webhook that posted it, if any.
    pub webhook_id: Option<u64>,
    pub created_at: String,
    pub edited_at: Option<String>,
    pub deleted_at: Option<String>,
    /// How many times it was edited.
    pub edits: usize,
    /// The nonce it was sent with, as text (integers in decimal).
    pub nonce: Option<String>,
    /// Users it pings (what `allowed_mentions` let through), and whether `@everyone`/`@here`.
    pub mentions: Vec<u64>,
    pub mention_roles: Vec<u64>,
    pub mention_everyone: bool,
}

/// One response an application gave to an interaction.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ResponseRecord {
    pub at: String,
    pub action: String,
    pub callback_type: Option<u8>,
    pub data: Value,
    pub message_id: Option<u64>,
}

/// An interaction and every response to it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct InteractionRecord {
    pub id: u64,
    pub application_id: u64,
    pub kind: u8,
    pub user_id: u64,
    pub channel_id: u64,
    pub data: Value,
    pub created_at: String,
    pub acknowledged: bool,
    /// Acknowledgements refused with 40060 (the client answered twice).
    pub duplicate_acks: u32,
    pub responses: Vec<ResponseRecord>,
}

/// A gateway session as tests see it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SessionInfo {
    pub session_id: String,
    pub application_id: u64,
    pub shard: [u32; 2],
    pub intents: u64,
    pub seq: u64,
    pub attached: bool,
}

/// Counters plus the live gateway connections right now.
#[derive(Debug, Clone, Serialize)]
pub struct CounterReport {
    #[serde(flatten)]
    pub counters: Counters,
    pub live_connections: usize,
}

impl Shared {
    /// Creates everything a world file describes.
    pub fn load_world(&self, spec: WorldSpec) -> Result<WorldSummary, WorldError> {
        self.state().load(spec)
    }

    /// Creates an application with its bot user.
    pub fn create_application(&self, spec: ApplicationSpec) -> Result<ApplicationInfo, WorldError> {
        self.state().create_application(spec)
    }

    /// Creates a user.
    pub fn create_user(&self, username: &str) -> Result<u64, WorldError> {
        self.state().create_user(username)
    }

    /// Creates a guild owned by a user.
    pub fn create_guild(&self, name: &str, owner_id: u64) -> Result<u64, WorldError> {
        self.state().create_guild(name, owner_id)
    }

    /// Creates a text channel.
    pub fn create_channel(&self, guild_id: u64, name: &str) -> Result<u64, WorldError> {
        self.state().create_channel(guild_id, name, None)
    }

    /// Creates a role.
    pub fn create_role(&self, guild_id: u64, name: &str, permissions: u64) -> Result<u64, WorldError> {
        self.state().create_role(guild_id, name, permissions)
    }

    /// Adds a user or a bot (by its bot user id) to a guild.
    pub fn add_member(&self, guild_id: u64, user_id: u64, roles: Vec<u64>) -> Result<(), WorldError> {
        self.state().add_member(guild_id, user_id, roles)
    }

    /// Sets a permission overwrite on a channel.
    pub fn set_overwrite(&self, channel_id: u64, overwrite: Overwrite) -> Result<(), WorldError> {
        self.state().set_overwrite(channel_id, overwrite)
    }

    /// The DM channel between a user and a bot user.
    pub fn dm_channel(&self, user_id: u64, bot_user_id: u64) -> Result<u64, WorldError> {
        self.state().dm_channel(user_id, bot_user_id)
    }

    /// Creates a channel webhook (its token executes it, no bot token needed).
    pub fn create_webhook(
        &self,
        channel_id: u64,
        name: &str,
    ) -> Result<crate::world::webhooks::WebhookInfo, WorldError> {
        self.state().create_webhook(channel_id, name)
    }

    /// A user writes a message (→ `MESSAGE_CREATE`).
    pub fn user_message(&self, user_id: u64, channel_id: u64, content: &str) -> Result<u64, WorldError> {
        self.state().user_message(user_id, channel_id, content)
    }

    /// A user runs a command, presses a component or types into autocomplete
    /// (→ `INTERACTION_CREATE` with a valid token).
    pub fn user_interaction(
        &self,
        application_id: u64,
        user_id: u64,
        channel_id: u64,
        action: UserAction,
    ) -> Result<StartedInteraction, WorldError> {
        self.state().start_interaction(application_id, user_id, channel_id, action)
    }

    /// Every message of a channel, oldest first, deleted ones included.
    pub fn messages(&self, channel_id: u64) -> Result<Vec<MessageRecord>, WorldError> {
        let state = self.state();
        let channel = state.channels.get(&channel_id).ok_or(WorldError::UnknownChannel(channel_id))?;
        Ok(channel
            .messages
            .values()
            .map(|m: &Message| {
                let author = state.users.get(&m.author_id);
                MessageRecord {
                    id: m.id,
                    channel_id: m.channel_id,
                    author_id: m.author_id,
                    author_name: m
                        .author_name
                        .clone()
                        .or_else(|| author.map(|u| u.username.clone()))
                        .unwrap_or_default(),
                    author_is_bot: author.is_some_and(|u| u.bot),
                    content: m.content.clone(),
                    embeds: m.embeds.clone(),
                    components: m.components.clone(),
                    flags: m.flags,
                    interaction_id: m.interaction.as_ref().map(|i| i.0),
                    webhook_id: m.webhook_id,
                    created_at: iso8601(m.created_at),
                    edited_at: m.edited_at.map(iso8601),
                    deleted_at: m.deleted_at.map(iso8601),
                    edits: m.revisions.len(),
                    nonce: m.nonce.as_ref().map(|n| n.as_str().map_or_else(|| n.to_string(), str::to_owned)),
                    mentions: m.mentions.clone(),
                    mention_roles: m.mention_roles.clone(),
                    mention_everyone: m.mention_everyone,
                }
            })
            .collect())
    }

    /// An interaction and its responses.
    pub fn interaction(&self, id: u64) -> Result<InteractionRecord, WorldError> {
        let state = self.state();
        let i = state.interactions.get(&id).ok_or(WorldError::UnknownInteraction(id))?;
        Ok(InteractionRecord {
            id: i.id,
            application_id: i.application_id,
            kind: i.kind,
            user_id: i.user_id,
            channel_id: i.channel_id,
            data: i.data.clone(),
            created_at: iso8601(i.created_at),
            acknowledged: i.acknowledged,
            duplicate_acks: i.duplicate_acks,
            responses: i
                .responses
                .iter()
                .map(|r| ResponseRecord {
                    at: iso8601(r.at),
                    action: r.action.to_owned(),
                    callback_type: r.callback_type,
                    data: r.data.clone(),
                    message_id: r.message_id,
                })
                .collect(),
        })
    }

    /// Gateway sessions (of one application when given).
    pub fn sessions(&self, application_id: Option<u64>) -> Vec<SessionInfo> {
        let state = self.state();
        let apps: Vec<u64> = match application_id {
            Some(a) => vec![a],
            None => state.applications.keys().copied().collect(),
        };
        apps.into_iter()
            .flat_map(|a| state.sessions.of_app(a))
            .filter_map(|id| state.sessions.get(&id))
            .map(|s| SessionInfo {
                session_id: s.id.clone(),
                application_id: s.app_id,
                shard: s.shard,
                intents: s.intents,
                seq: s.seq,
                attached: s.attached.is_some(),
            })
            .collect()
    }

    /// Running totals.
    pub fn counters(&self) -> CounterReport {
        let counters = self.state().counters.clone();
        CounterReport { counters, live_connections: self.connections().count(None) }
    }

    /// Sends op 7 Reconnect to the application's connections (all when `None`); returns how many.
    pub fn reconnect(&self, application_id: Option<u64>) -> usize {
        self.connections().send_to_app(application_id, ConnCommand::Reconnect)
    }

    /// Sends op 9 Invalid Session; `resumable: false` also ends the sessions.
    pub fn invalidate_sessions(&self, application_id: Option<u64>, resumable: bool) -> usize {
        self.connections().send_to_app(application_id, ConnCommand::InvalidSession { resumable })
    }

    /// Sends op 1: the clients must heartbeat at once.
    pub fn request_heartbeat(&self, application_id: Option<u64>) -> usize {
        self.connections().send_to_app(application_id, ConnCommand::RequestHeartbeat)
    }

    /// Sends each of the application's connections its last `count` dispatches again, with their
    /// original sequence numbers (no more than the replay buffer holds): a session resumed from an
    /// older sequence than the client had reached, so events it already handled arrive twice.
    pub fn redeliver(&self, application_id: Option<u64>, count: u64) -> usize {
        self.connections().send_to_app(application_id, ConnCommand::Redeliver(count))
    }

    /// Closes the application's connections with a close code.
    pub fn close_connections(&self, application_id: Option<u64>, code: u16) -> usize {
        self.connections().send_to_app(application_id, ConnCommand::Close(code))
    }

    /// Moves the emulator's clock forward (rate-limit windows, deadlines, token lifetimes).
    pub fn advance_time(&self, by: Duration) {
        self.clock.advance(by);
    }
}

/// Why a fault could not be injected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FaultError {
    #[error("close code must be 1000 to 4999")]
    BadCloseCode,
    #[error("every_ms must be at least 1")]
    BadSchedule,
    #[error("unknown application {0}")]
    UnknownApplication(u64),
    #[error("the emulator is shutting down")]
    Stopped,
}

impl Shared {
    /// Injects a fault now, or schedules it; returns its id (for `remove_fault`).
    pub fn inject(&self, spec: FaultSpec) -> Result<u64, FaultError> {
        if let FaultAction::Close { code } = spec.action {
            if !(1000..=4999).contains(&code) {
                return Err(FaultError::BadCloseCode);
            }
        }
        if let Some(app) = spec.application_id {
            if !self.state().applications.contains_key(&app) {
                return Err(FaultError::UnknownApplication(app));
            }
        }
        let id = self.faults().next_id();
        let Some(every) = spec.every_ms else {
            self.apply_fault(id, spec.application_id, &spec.action);
            return Ok(id);
        };
        if every == 0 {
            return Err(FaultError::BadSchedule);
        }
        let weak = self.handle().ok_or(FaultError::Stopped).map(|a| Arc::downgrade(&a))?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| FaultError::Stopped)?;
        let task = runtime.spawn(async move {
            let mut fired = 0;
            while spec.repeat.is_none_or(|r| fired < r) {
                tokio::time::sleep(jittered(every, spec.jitter_ms)).await;
                let Some(shared) = weak.upgrade() else { return };
                shared.apply_fault(id, spec.application_id, &spec.action);
                fired += 1;
            }
        });
        self.faults().scheduled(id, task);
        Ok(id)
    }

    fn apply_fault(&self, id: u64, app: Option<u64>, action: &FaultAction) {
        let command = match action {
            FaultAction::Close { code } => Some(ConnCommand::Close(*code)),
            FaultAction::Drop | FaultAction::GatewayDown { .. } => Some(ConnCommand::Drop),
            FaultAction::Reconnect => Some(ConnCommand::Reconnect),
            FaultAction::InvalidSession { resumable } => Some(ConnCommand::InvalidSession { resumable: *resumable }),
            _ => None,
        };
        self.faults().install(id, app, action, self.clock.now());
        if let Some(command) = command {
            self.connections().send_to_app(app, command);
        }
    }

    /// Removes a fault (its rules and schedule); `false` when there was none.
    pub fn remove_fault(&self, id: u64) -> bool {
        self.faults().remove(id)
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.faults().clear();
    }

    /// Ids of faults in force or scheduled.
    pub fn fault_ids(&self) -> Vec<u64> {
        let now = self.clock.now();
        self.faults().ids(now)
    }
}
