//! The gateway: one task per WebSocket connection speaking Discord's gateway protocol (API v10,
//! JSON encoding, optional zlib-stream / zstd-stream transport compression).
//!
//! A connection is a small state machine (hello → identify or resume → attached to a session);
//! dispatches are queued on the session under the world lock and the connection is woken to send
//! them, so a resume replays exactly what a dropped connection missed.

pub mod close;
pub mod compression;
pub mod handshake;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{rejection::WebSocketUpgradeRejection, CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};

use crate::connections::ConnCommand;
use crate::rest::error::ApiError;
use crate::shared::Shared;
use close::CloseCode;
use compression::Encoder;
use handshake::Refusal;

/// Query parameters of the gateway URL.
#[derive(Debug, Default)]
pub struct GatewayParams {
    pub v: Option<String>,
    pub encoding: Option<String>,
    pub compress: Option<String>,
}

impl GatewayParams {
    /// Reads `v`, `encoding` and `compress` from a query map.
    pub fn from_query(q: &HashMap<String, String>) -> Self {
        Self { v: q.get("v").cloned(), encoding: q.get("encoding").cloned(), compress: q.get("compress").cloned() }
    }
}

fn closing(code: CloseCode, reason: &'static str) -> End {
    End::Close(code.code(), Cow::Borrowed(reason))
}

/// How a connection ends.
enum End {
    /// We close with this code and reason.
    Close(u16, Cow<'static, str>),
    /// The client closed (with its code, if any) or the socket failed.
    Client(Option<u16>),
}

struct Connection {
    shared: Arc<Shared>,
    id: u64,
    wake: Arc<Notify>,
    encoder: Encoder,
    session: Option<String>,
    /// The application once identified or resumed.
    app_id: Option<u64>,
    sent_seq: u64,
    last_heartbeat: Instant,
    window: (Instant, u32),
}

/// The gateway's route (the server's fallback, so any path not otherwise routed): a WebSocket
/// upgrade becomes a connection; anything else is a 404, and every upgrade is a 503 while the
/// whole gateway is down.
pub async fn accept(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(upgrade) = upgrade else {
        return ApiError::not_found().into_response();
    };
    if shared.faults().gateway_down(None, shared.clock.now()) {
        // The whole gateway is down: the upgrade fails, so clients back off as they would.
        return ApiError::unavailable().into_response();
    }
    let params = GatewayParams::from_query(&query);
    // A client sends small frames (heartbeats, identify, presence). tungstenite zeroes up to its
    // read buffer's size (128 KiB by default) before every read, including the many that find
    // nothing: 9 % of the emulator's CPU under load, in `memset`, until it was 4 KiB.
    upgrade
        .read_buffer_size(4 * 1024)
        .max_message_size(1 << 20)
        .max_frame_size(1 << 20)
        .on_upgrade(move |socket| serve(shared, params, socket))
}

/// Runs one gateway connection to its end.
pub async fn serve(shared: Arc<Shared>, params: GatewayParams, mut socket: WebSocket) {
    let (tx, mut commands) = mpsc::channel(16);
    let id = shared.next_conn_id();
    shared.connections().register(id, tx);
    shared.state().counters.connections += 1;
    let now = shared.clock.now();
    let mut conn = Connection {
        shared: shared.clone(),
        id,
        wake: Arc::new(Notify::new()),
        encoder: Encoder::Plain,
        session: None,
        app_id: None,
        sent_seq: 0,
        last_heartbeat: now,
        window: (now, 0),
    };
    let end = conn.run(&mut socket, &mut commands, params).await;
    conn.finish(&mut socket, end).await;
    shared.connections().remove(id);
}

impl Connection {
    async fn run(
        &mut self,
        socket: &mut WebSocket,
        commands: &mut mpsc::Receiver<ConnCommand>,
        params: GatewayParams,
    ) -> End {
        match self.check_params(&params) {
            Ok(encoder) => {
                let mut state = self.shared.state();
                match encoder {
                    Encoder::Zlib(_) => state.counters.zlib_connections += 1,
                    Encoder::Zstd(_) => state.counters.zstd_connections += 1,
                    Encoder::Plain => {}
                }
                drop(state);
                self.encoder = encoder;
            }
            Err(end) => return end,
        }
        if self.shared.faults().gateway_down(None, self.shared.clock.now()) {
            return End::Client(None);
        }
        let interval = self.shared.config.heartbeat_interval;
        let hello = json!({"op": 10, "s": null, "t": null,
            "d": {"heartbeat_interval": interval.as_millis(), "_trace": ["[\"discord-emulator\"]"]}});
        if let Err(end) = self.send(socket, &hello.to_string()).await {
            return end;
        }
        let tick_every = (interval / 4).clamp(Duration::from_millis(10), Duration::from_millis(250));
        let mut tick = tokio::time::interval(tick_every);
        loop {
            let step = tokio::select! {
                frame = socket.recv() => match frame {
                    None | Some(Err(_)) => Err(End::Client(None)),
                    Some(Ok(Message::Close(frame))) => Err(End::Client(frame.map(|f| f.code))),
                    Some(Ok(Message::Text(text))) => self.receive(socket, text.as_bytes()).await,
                    Some(Ok(Message::Binary(bytes))) => self.receive(socket, &bytes).await,
                    Some(Ok(_)) => Ok(()),
                },
                () = self.wake.notified() => self.flush(socket).await,
                Some(cmd) = commands.recv() => self.command(socket, cmd).await,
                _ = tick.tick() => self.check_heartbeat(),
            };
            if let Err(end) = step {
                return end;
            }
        }
    }

    fn check_params(&self, p: &GatewayParams) -> Result<Encoder, End> {
        if let Some(v) = &p.v {
            if !matches!(v.as_str(), "9" | "10") {
                return Err(closing(CloseCode::InvalidApiVersion, "Invalid API version."));
            }
        }
        if p.encoding.as_deref().is_some_and(|e| e != "json") {
            return Err(closing(CloseCode::DecodeError, "The emulator speaks encoding=json only."));
        }
        Encoder::for_query(p.compress.as_deref())
            .map_err(|_| closing(CloseCode::UnknownError, "Unsupported compress value."))
    }

    async fn send(&mut self, socket: &mut WebSocket, payload: &str) -> Result<(), End> {
        let frame = self.encoder.encode(payload).map_err(|_| End::Client(None))?;
        socket.send(frame).await.map_err(|_| End::Client(None))
    }

    async fn send_op(&mut self, socket: &mut WebSocket, op: u8, d: Value) -> Result<(), End> {
        self.send(socket, &format!(r#"{{"op":{op},"s":null,"t":null,"d":{d}}}"#)).await
    }

    /// Sends every dispatch queued on the session after `sent_seq`.
    async fn flush(&mut self, socket: &mut WebSocket) -> Result<(), End> {
        let Some(session_id) = self.session.clone() else {
            return Ok(());
        };
        let pending = {
            let state = self.shared.state();
            match state.sessions.get(&session_id) {
                Some(s) if s.attached.as_ref().is_some_and(|a| a.conn_id == self.id) => {
                    s.after(self.sent_seq).map(|p| (p, s.seq))
                }
                // The session moved to another connection or ended.
                _ => return Err(closing(CloseCode::UnknownError, "Session taken over.")),
            }
        };
        let latency = self.shared.faults().gateway_latency(self.app_id, self.shared.clock.now());
        if let Some(delay) = latency {
            tokio::time::sleep(delay).await;
        }
        let Some((payloads, seq)) = pending else {
            // This client fell further behind than the replay buffer holds.
            self.shared.state().sessions.remove(&session_id);
            self.session = None;
            return self.send_op(socket, 9, json!(false)).await;
        };
        for payload in payloads {
            let frame = self.encoder.encode_shared(payload).map_err(|_| End::Client(None))?;
            socket.send(frame).await.map_err(|_| End::Client(None))?;
        }
        self.sent_seq = seq;
        Ok(())
    }

    async fn receive(&mut self, socket: &mut WebSocket, bytes: &[u8]) -> Result<(), End> {
        let now = self.shared.clock.now();
        let config = &self.shared.config;
        if now.saturating_duration_since(self.window.0) >= config.gateway_payload_window {
            self.window = (now, 0);
        }
        self.window.1 += 1;
        if self.window.1 > config.gateway_payload_limit {
            return Err(closing(CloseCode::RateLimited, "You are being rate limited."));
        }
        if bytes.len() > config.gateway_max_payload {
            return Err(closing(CloseCode::DecodeError, "Payload too large."));
        }
        let decoded: Option<(u64, Value)> = serde_json::from_slice::<Value>(bytes).ok().and_then(|v| {
            let op = v.get("op")?.as_u64()?;
            Some((op, v.get("d").cloned().unwrap_or(Value::Null)))
        });
        let Some((op, d)) = decoded else {
            return Err(closing(CloseCode::DecodeError, "Error while decoding payload."));
        };
        match op {
            1 => {
                self.last_heartbeat = now;
                self.send_op(socket, 11, Value::Null).await
            }
            2 => self.identify(socket, &d).await,
            6 => self.resume(socket, &d).await,
            3 | 4 | 8 if self.session.is_none() => Err(closing(CloseCode::NotAuthenticated, "Not authenticated.")),
            3 | 4 => {
                if d.is_object() {
                    Ok(())
                } else {
                    Err(closing(CloseCode::DecodeError, "Error while decoding payload."))
                }
            }
            8 => self.request_members(&d),
            _ => Err(closing(CloseCode::UnknownOpcode, "Unknown opcode.")),
        }
    }

    /// The token's application, when a `GatewayDown` fault is aimed at it.
    fn app_down(&self, d: &Value) -> Option<u64> {
        let app = d.get("token").and_then(Value::as_str).and_then(|t| self.shared.state().app_by_token(t))?;
        self.shared.faults().gateway_down(Some(app), self.shared.clock.now()).then_some(app)
    }

    /// The gateway is down for this application: its identify or resume goes unanswered, and so
    /// do its heartbeats, so the client finds the connection dead and reconnects at its own pace
    /// (dropping it at once would only make the client reconnect at once, again and again). When
    /// the fault ends the connection is dropped, and the next one is served.
    async fn stall(&mut self, socket: &mut WebSocket, app: u64) -> Result<(), End> {
        let mut check = tokio::time::interval(Duration::from_millis(50));
        loop {
            tokio::select! {
                frame = socket.recv() => match frame {
                    None | Some(Err(_)) => return Err(End::Client(None)),
                    Some(Ok(Message::Close(frame))) => return Err(End::Client(frame.map(|f| f.code))),
                    Some(Ok(_)) => {}
                },
                _ = check.tick() => {
                    if !self.shared.faults().gateway_down(Some(app), self.shared.clock.now()) {
                        return Err(End::Client(None));
                    }
                }
            }
        }
    }

    async fn identify(&mut self, socket: &mut WebSocket, d: &Value) -> Result<(), End> {
        if self.session.is_some() {
            return Err(closing(CloseCode::AlreadyAuthenticated, "Already authenticated."));
        }
        if let Some(app) = self.app_down(d) {
            return self.stall(socket, app).await;
        }
        let result = handshake::identify(&self.shared, self.id, &self.wake, d);
        self.attach(socket, result).await
    }

    async fn resume(&mut self, socket: &mut WebSocket, d: &Value) -> Result<(), End> {
        if self.session.is_some() {
            return Err(closing(CloseCode::AlreadyAuthenticated, "Already authenticated."));
        }
        if let Some(app) = self.app_down(d) {
            return self.stall(socket, app).await;
        }
        let result = handshake::resume(&self.shared, self.id, &self.wake, d);
        if let Ok(attached) = &result {
            if let Some(previous) = attached.previous_conn.filter(|c| *c != self.id) {
                self.shared.connections().send_to(previous, ConnCommand::Close(CloseCode::UnknownError.code()));
            }
            let replayed = {
                let state = self.shared.state();
                state.sessions.get(&attached.session_id).map_or(0, |s| s.seq.saturating_sub(attached.send_after + 1))
            };
            self.shared.state().counters.replayed += replayed;
        }
        self.attach(socket, result).await
    }

    async fn attach(
        &mut self,
        socket: &mut WebSocket,
        result: Result<handshake::Attached, Refusal>,
    ) -> Result<(), End> {
        match result {
            Ok(attached) => {
                self.shared.connections().set_app(self.id, attached.app_id);
                self.session = Some(attached.session_id);
                self.app_id = Some(attached.app_id);
                self.sent_seq = attached.send_after;
                self.flush(socket).await
            }
            Err(Refusal::InvalidSession) => self.send_op(socket, 9, json!(false)).await,
            Err(Refusal::Close(code)) => Err(closing(code, code.reason())),
            Err(Refusal::BudgetExhausted { kicked }) => {
                let conns = self.shared.connections();
                for conn in kicked {
                    conns.send_to(conn, ConnCommand::Close(CloseCode::AuthenticationFailed.code()));
                }
                Err(closing(CloseCode::AuthenticationFailed, "Session start limit reached; token reset."))
            }
        }
    }

    fn request_members(&mut self, d: &Value) -> Result<(), End> {
        let Some(guild_id) = d.get("guild_id").and_then(|g| g.as_str()?.parse::<u64>().ok()) else {
            return Err(closing(CloseCode::DecodeError, "Error while decoding payload."));
        };
        let Some(session_id) = self.session.clone() else {
            return Ok(());
        };
        let query = d.get("query").and_then(Value::as_str).unwrap_or_default().to_lowercase();
        let limit = d.get("limit").and_then(Value::as_u64).filter(|l| *l > 0).unwrap_or(u64::MAX);
        let mut state = self.shared.state();
        let Some(guild) = state.guilds.get(&guild_id) else {
            return Ok(());
        };
        let members: Vec<Value> = guild
            .members
            .values()
            .filter(|m| state.users.get(&m.user_id).is_some_and(|u| u.username.to_lowercase().starts_with(&query)))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|m| crate::world::json::member(&state, m, true))
            .collect();
        let chunk = json!({"guild_id": guild_id.to_string(), "members": members, "chunk_index": 0,
                           "chunk_count": 1, "not_found": [], "nonce": d.get("nonce")});
        state.dispatch_to_session(&session_id, "GUILD_MEMBERS_CHUNK", &chunk.to_string());
        Ok(())
    }

    async fn command(&mut self, socket: &mut WebSocket, cmd: ConnCommand) -> Result<(), End> {
        match cmd {
            ConnCommand::Reconnect => self.send_op(socket, 7, Value::Null).await,
            ConnCommand::RequestHeartbeat => self.send_op(socket, 1, Value::Null).await,
            ConnCommand::InvalidSession { resumable } => {
                if !resumable {
                    if let Some(id) = self.session.take() {
                        self.shared.state().sessions.remove(&id);
                    }
                }
                self.send_op(socket, 9, json!(resumable)).await
            }
            ConnCommand::Drop => Err(End::Client(None)),
            ConnCommand::Redeliver(n) => {
                let oldest =
                    self.session.as_ref().and_then(|id| self.shared.state().sessions.get(id).map(|s| s.oldest()));
                let Some(oldest) = oldest else {
                    return Ok(());
                };
                // Rewind no further than the replay buffer reaches; the flush sends from there.
                self.sent_seq = self.sent_seq.saturating_sub(n).max(oldest.saturating_sub(1));
                self.flush(socket).await
            }
            ConnCommand::Close(code) => {
                let reason =
                    CloseCode::from_code(code).map_or("Closed by the emulator's control API.", CloseCode::reason);
                Err(End::Close(code, reason.into()))
            }
        }
    }

    fn check_heartbeat(&self) -> Result<(), End> {
        let limit = self.shared.config.heartbeat_interval + self.shared.config.heartbeat_grace;
        if self.shared.clock.now().saturating_duration_since(self.last_heartbeat) > limit {
            return Err(closing(CloseCode::SessionTimedOut, "Session timed out."));
        }
        Ok(())
    }

    /// Sends our close frame (if we close) and settles the session: ended for good after a
    /// normal client close or a session-ending code, resumable otherwise.
    async fn finish(&mut self, socket: &mut WebSocket, end: End) {
        let ends_session = match &end {
            End::Close(code, reason) => {
                let frame = CloseFrame { code: *code, reason: reason.as_ref().into() };
                let _ = socket.send(Message::Close(Some(frame))).await;
                matches!(code, 1000 | 1001) || CloseCode::from_code(*code).is_some_and(CloseCode::ends_session)
            }
            End::Client(code) => {
                // Discord answers a client's close frame with its own (RFC 6455 §5.5.1; observed:
                // twilight and discord.py wait for it before they stop reading). The socket queued
                // the echo when the frame arrived; reading once more sends it, then ends.
                let _ = tokio::time::timeout(std::time::Duration::from_secs(1), socket.recv()).await;
                matches!(code, Some(1000 | 1001))
            }
        };
        self.settle(ends_session);
        if matches!(end, End::Close(..)) {
            // The closing handshake (RFC 6455 §5.5.1): wait (briefly) for the client's close
            // frame before the TCP connection goes. Dropping it at once let a heartbeat the client
            // sent meanwhile meet a reset, which can discard our close frame unread on the
            // client's side: it saw 1006 instead of the code (seen under load with 4004). The
            // session is settled first: a client that never answers does not hold it.
            let _ = tokio::time::timeout(std::time::Duration::from_secs(1), async {
                while let Some(Ok(message)) = socket.recv().await {
                    if matches!(message, Message::Close(_)) {
                        break;
                    }
                }
            })
            .await;
        }
    }

    /// Ends this connection's session for good, or leaves it to be resumed.
    fn settle(&mut self, ends_session: bool) {
        let Some(session_id) = self.session.take() else {
            return;
        };
        let now = self.shared.clock.now();
        let mut state = self.shared.state();
        let Some(session) = state.sessions.get_mut(&session_id) else {
            return;
        };
        if session.attached.as_ref().is_some_and(|a| a.conn_id != self.id) {
            return; // another connection resumed it already
        }
        if ends_session {
            state.sessions.remove(&session_id);
        } else {
            session.attached = None;
            session.detached_since = Some(now);
        }
    }
}
