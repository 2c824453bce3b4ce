//! Identify (op 2) and Resume (op 6): every check Discord makes, in Discord's order, then a new
//! or re-attached session with READY + GUILD_CREATEs or the missed dispatches + RESUMED queued.

use std::sync::Arc;

use serde_json::{json, Value};
use tokio::sync::Notify;

use super::close::CloseCode;
use crate::shared::Shared;
use crate::snowflake::random_token;
use crate::world::model::{APP_FLAG_GUILD_MEMBERS, APP_FLAG_MESSAGE_CONTENT, APP_FLAG_PRESENCE};
use crate::world::sessions::{
    Attachment, Session, INTENT_GUILDS, INTENT_GUILD_MEMBERS, INTENT_GUILD_PRESENCES, INTENT_MESSAGE_CONTENT,
    VALID_INTENTS,
};
use crate::world::{json as render, State};

/// Why a handshake did not produce a session.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Close the connection with this code.
    Close(CloseCode),
    /// Send op 9 with `d: false` (the connection stays open for a new identify).
    InvalidSession,
    /// The daily session-start budget is spent: Discord resets the token and ends every session of
    /// the application. The listed connections must be closed with 4004 too.
    BudgetExhausted { kicked: Vec<u64> },
}

/// A session the connection is now attached to.
#[derive(Debug)]
pub struct Attached {
    pub session_id: String,
    pub app_id: u64,
    /// The sequence number after which the connection must start sending.
    pub send_after: u64,
    /// Connection that held the session before (a resume takes it over).
    pub previous_conn: Option<u64>,
}

fn decode<T>(v: Option<T>) -> Result<T, Refusal> {
    v.ok_or(Refusal::Close(CloseCode::DecodeError))
}

fn token_app(state: &State, d: &Value) -> Result<u64, Refusal> {
    let token = decode(d.get("token").and_then(Value::as_str))?;
    state.app_by_token(token).ok_or(Refusal::Close(CloseCode::AuthenticationFailed))
}

/// Handles op 2.
pub fn identify(shared: &Shared, conn_id: u64, wake: &Arc<Notify>, d: &Value) -> Result<Attached, Refusal> {
    let now = shared.clock.now();
    let mut state = shared.state();
    let app_id = token_app(&state, d)?;
    let intents = decode(d.get("intents").and_then(Value::as_u64))?;
    let shard = match d.get("shard") {
        None | Some(Value::Null) => [0, 1],
        Some(v) => {
            let pair = decode(v.as_array().filter(|a| a.len() == 2))?;
            let num = |i: usize| pair[i].as_u64().and_then(|n| u32::try_from(n).ok());
            [decode(num(0))?, decode(num(1))?]
        }
    };
    if intents & !VALID_INTENTS != 0 {
        return Err(Refusal::Close(CloseCode::InvalidIntents));
    }
    let app = state.applications.get(&app_id).ok_or(Refusal::Close(CloseCode::AuthenticationFailed))?;
    let privileged = [
        (INTENT_GUILD_MEMBERS, APP_FLAG_GUILD_MEMBERS),
        (INTENT_GUILD_PRESENCES, APP_FLAG_PRESENCE),
        (INTENT_MESSAGE_CONTENT, APP_FLAG_MESSAGE_CONTENT),
    ];
    if privileged.iter().any(|(intent, flag)| intents & intent != 0 && app.flags & flag == 0) {
        return Err(Refusal::Close(CloseCode::DisallowedIntents));
    }
    if shard[1] == 0 || shard[0] >= shard[1] {
        return Err(Refusal::Close(CloseCode::InvalidShard));
    }
    let bot_user = app.bot_user_id;
    let probe = Session {
        id: String::new(),
        app_id,
        shard,
        intents,
        seq: 0,
        replay: Default::default(),
        attached: None,
        detached_since: None,
    };
    let guild_ids: Vec<u64> = state
        .guilds
        .values()
        .filter(|g| g.members.contains_key(&bot_user) && probe.owns_guild(Some(g.id)))
        .map(|g| g.id)
        .collect();
    if guild_ids.len() > app.max_guilds_per_shard {
        return Err(Refusal::Close(CloseCode::ShardingRequired));
    }
    let config = &shared.config;
    let app = state.applications.get_mut(&app_id).ok_or(Refusal::Close(CloseCode::AuthenticationFailed))?;
    let bucket = shard[0] % app.max_concurrency;
    if app.identify_buckets.get(&bucket).is_some_and(|t| now.saturating_duration_since(*t) < config.identify_window) {
        return Err(Refusal::InvalidSession);
    }
    if now.saturating_duration_since(app.session_starts.0) >= config.session_start_window {
        app.session_starts = (now, 0);
    }
    if app.session_starts.1 >= app.session_start_total {
        return Err(reset_token(&mut state, app_id));
    }
    app.session_starts.1 += 1;
    app.identify_buckets.insert(bucket, now);

    state.sessions.expire(now, config.resume_window);
    let session_id = random_token(16).replace(['-', '_'], "0");
    let mut session = probe;
    session.id = session_id.clone();
    session.attached = Some(Attachment { conn_id, wake: wake.clone() });
    state.sessions.insert(session);
    let ready = ready_payload(&state, app_id, &session_id, shard, &guild_ids, &shared.ws_url);
    state.dispatch_to_session(&session_id, "READY", &ready.to_string());
    for guild_id in guild_ids {
        if let Some(data) = state.guilds.get(&guild_id).map(|g| render::guild_create(&state, g, bot_user)) {
            if intents & INTENT_GUILDS != 0 {
                state.dispatch_to_session(&session_id, "GUILD_CREATE", &data.to_string());
            }
        }
    }
    state.counters.identifies += 1;
    state.note_live_sessions(app_id, shard[0]);
    Ok(Attached { session_id, app_id, send_after: 0, previous_conn: None })
}

/// Spends the token as Discord does when the session-start budget is exhausted.
fn reset_token(state: &mut State, app_id: u64) -> Refusal {
    let mut kicked = Vec::new();
    if let Some(app) = state.applications.get_mut(&app_id) {
        state.tokens.remove(&app.token);
        app.token = crate::snowflake::bot_token(app.bot_user_id);
        state.tokens.insert(app.token.clone(), app_id);
    }
    for id in state.sessions.of_app(app_id) {
        if let Some(session) = state.sessions.remove(&id) {
            kicked.extend(session.attached.map(|a| a.conn_id));
        }
    }
    Refusal::BudgetExhausted { kicked }
}

fn ready_payload(state: &State, app_id: u64, session_id: &str, shard: [u32; 2], guilds: &[u64], ws_url: &str) -> Value {
    let app = state.applications.get(&app_id);
    let user = app.and_then(|a| state.users.get(&a.bot_user_id)).map_or(Value::Null, render::current_user);
    json!({
        "v": 10,
        "user": user,
        "guilds": guilds.iter().map(|g| json!({"id": g.to_string(), "unavailable": true})).collect::<Vec<_>>(),
        "session_id": session_id,
        "resume_gateway_url": ws_url,
        "shard": shard,
        "application": {"id": app_id.to_string(), "flags": app.map_or(0, |a| a.flags)},
        "session_type": "normal",
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": ["emulator"],
        "auth": {},
        "user_settings": {},
        "_trace": ["[\"discord-emulator\"]"],
    })
}

/// Handles op 6.
pub fn resume(shared: &Shared, conn_id: u64, wake: &Arc<Notify>, d: &Value) -> Result<Attached, Refusal> {
    let now = shared.clock.now();
    let mut state = shared.state();
    let app_id = token_app(&state, d)?;
    let session_id = decode(d.get("session_id").and_then(Value::as_str))?.to_owned();
    let seq = match d.get("seq") {
        None | Some(Value::Null) => 0,
        Some(v) => decode(v.as_u64())?,
    };
    state.sessions.expire(now, shared.config.resume_window);
    let Some(session) = state.sessions.get_mut(&session_id).filter(|s| s.app_id == app_id) else {
        return Err(Refusal::InvalidSession);
    };
    if seq > session.seq {
        state.sessions.remove(&session_id);
        return Err(Refusal::Close(CloseCode::InvalidSeq));
    }
    if session.after(seq).is_none() {
        state.sessions.remove(&session_id);
        return Err(Refusal::InvalidSession);
    }
    let previous_conn = session.attached.take().map(|a| a.conn_id);
    session.attached = Some(Attachment { conn_id, wake: wake.clone() });
    session.detached_since = None;
    // Discord sends an object here (clients such as discord.py write into it).
    state.dispatch_to_session(&session_id, "RESUMED", r#"{"_trace":["[\"discord-emulator\"]"]}"#);
    state.counters.resumes += 1;
    let shard = state.sessions.get(&session_id).map_or(0, |s| s.shard[0]);
    state.note_live_sessions(app_id, shard);
    Ok(Attached { session_id, app_id, send_after: seq, previous_conn })
}

impl State {
    /// Updates the most-live-sessions counters after a session attached.
    fn note_live_sessions(&mut self, app_id: u64, shard: u32) {
        let live: Vec<[u32; 2]> = self
            .sessions
            .of_app(app_id)
            .iter()
            .filter_map(|id| self.sessions.get(id))
            .filter(|s| s.attached.is_some())
            .map(|s| s.shard)
            .collect();
        let same_shard = live.iter().filter(|s| s[0] == shard).count();
        self.counters.live_sessions(app_id, live.len(), same_shard);
    }

    /// Queues a dispatch on one session.
    pub fn dispatch_to_session(&mut self, session_id: &str, event: &str, data: &str) {
        let capacity = self.replay_capacity;
        if let Some(s) = self.sessions.get_mut(session_id) {
            s.push(event, data, capacity);
            self.counters.dispatched(event, 1);
        }
    }
}
