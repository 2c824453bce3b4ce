//! Gateway sessions and the intents they subscribe with: sequence numbers, the replay buffer a
//! resume reads, and which connection (if any) a session is attached to. Sessions live in the world
//! state (here, not in `gateway/`) so that creating a message and queuing its dispatches happen
//! under one lock, in one order; the gateway attaches its connections to them and sends what they
//! queued.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use super::model::{Payload, ReplayBuffer};

/// Intent: guild create/update/delete, channels, roles.
pub const INTENT_GUILDS: u64 = 1;
/// Intent (privileged): member events and member lists.
pub const INTENT_GUILD_MEMBERS: u64 = 1 << 1;
/// Intent (privileged): presences.
pub const INTENT_GUILD_PRESENCES: u64 = 1 << 8;
/// Intent: messages in guilds.
pub const INTENT_GUILD_MESSAGES: u64 = 1 << 9;
/// Intent: messages in DMs.
pub const INTENT_DIRECT_MESSAGES: u64 = 1 << 12;
/// Intent (privileged): message content.
pub const INTENT_MESSAGE_CONTENT: u64 = 1 << 15;
/// Every intent bit Discord defines; others are invalid (4013).
pub const VALID_INTENTS: u64 = ((1 << 17) - 1) | (1 << 20) | (1 << 21) | (1 << 24) | (1 << 25);

/// The connection a session is attached to.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// Id of the connection task.
    pub conn_id: u64,
    /// Wakes the connection task when dispatches are queued.
    pub wake: Arc<Notify>,
}

/// One gateway session.
#[derive(Debug)]
pub struct Session {
    pub id: String,
    pub app_id: u64,
    /// `[shard_id, shard_count]`.
    pub shard: [u32; 2],
    pub intents: u64,
    /// Sequence number of the last dispatch queued.
    pub seq: u64,
    /// Recent dispatches, oldest first, for replay on resume.
    pub replay: ReplayBuffer,
    pub attached: Option<Attachment>,
    /// When the session lost its connection (resumable until `resume_window` passes).
    pub detached_since: Option<Instant>,
}

impl Session {
    /// Whether a guild's events belong to this session's shard.
    pub fn owns_guild(&self, guild_id: Option<u64>) -> bool {
        let [id, count] = self.shard;
        let count = u64::from(count.max(1));
        guild_id.map_or(id == 0, |g| (g >> 22) % count == u64::from(id))
    }

    /// Queues one dispatch: assigns the next `s`, keeps it for replay, wakes the connection.
    pub fn push(&mut self, event: &str, data: &str, capacity: usize) {
        self.seq += 1;
        // `{"op":0,"s":SEQ,"t":"EVENT","d":DATA}`, written around the already rendered `d`.
        let seq = self.seq.to_string();
        let mut payload = String::with_capacity(25 + seq.len() + event.len() + data.len());
        payload.push_str(r#"{"op":0,"s":"#);
        payload.push_str(&seq);
        payload.push_str(r#","t":""#);
        payload.push_str(event);
        payload.push_str(r#"","d":"#);
        payload.push_str(data);
        payload.push('}');
        self.replay.push_back((self.seq, Payload::from(payload)));
        while self.replay.len() > capacity.max(1) {
            self.replay.pop_front();
        }
        if let Some(att) = &self.attached {
            att.wake.notify_one();
        }
    }

    /// Sequence number of the oldest dispatch kept for replay (`seq + 1` when none is).
    pub fn oldest(&self) -> u64 {
        self.replay.front().map_or(self.seq + 1, |(s, _)| *s)
    }

    /// Dispatches after `seq`, in order; `None` when some of them are no longer kept.
    pub fn after(&self, seq: u64) -> Option<Vec<Payload>> {
        let oldest = self.oldest();
        if seq + 1 < oldest && seq < self.seq {
            return None;
        }
        Some(self.replay.iter().filter(|(s, _)| *s > seq).map(|(_, p)| p.clone()).collect())
    }
}

/// All sessions, indexed by id and by application.
#[derive(Debug, Default)]
pub struct Sessions {
    by_id: HashMap<String, Session>,
    by_app: HashMap<u64, Vec<String>>,
}

impl Sessions {
    /// Adds a session.
    pub fn insert(&mut self, session: Session) {
        self.by_app.entry(session.app_id).or_default().push(session.id.clone());
        self.by_id.insert(session.id.clone(), session);
    }

    /// A session by id.
    pub fn get(&self, id: &str) -> Option<&Session> {
        self.by_id.get(id)
    }

    /// A session by id, mutably.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Session> {
        self.by_id.get_mut(id)
    }

    /// Ends a session for good (no resume).
    pub fn remove(&mut self, id: &str) -> Option<Session> {
        let session = self.by_id.remove(id)?;
        if let Some(ids) = self.by_app.get_mut(&session.app_id) {
            ids.retain(|s| s != id);
            if ids.is_empty() {
                self.by_app.remove(&session.app_id);
            }
        }
        Some(session)
    }

    /// Ids of an application's sessions.
    pub fn of_app(&self, app_id: u64) -> Vec<String> {
        self.by_app.get(&app_id).cloned().unwrap_or_default()
    }

    /// Calls `f` on each of an application's sessions.
    pub fn each_of_app(&mut self, app_id: u64, mut f: impl FnMut(&mut Session)) {
        let Some(ids) = self.by_app.get(&app_id) else {
            return;
        };
        for id in ids {
            if let Some(session) = self.by_id.get_mut(id) {
                f(session);
            }
        }
    }

    /// Drops detached sessions older than the resume window.
    pub fn expire(&mut self, now: Instant, window: Duration) {
        let expired: Vec<String> = self
            .by_id
            .values()
            .filter(|s| s.detached_since.is_some_and(|t| now.saturating_duration_since(t) > window))
            .map(|s| s.id.clone())
            .collect();
        for id in expired {
            self.remove(&id);
        }
    }
}
