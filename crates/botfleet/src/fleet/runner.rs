//! One running bot: ask Discord for the gateway, register slash commands, hold a twilight Shard,
//! and answer commands — each in its own task so the gateway loop never waits on REST. Every
//! invocation ends in one tracking record; every connection event in one bot log line. Anti-spam
//! decides before a command runs: a limited one is answered "slow down" (or not at all) and
//! recorded as `denied`. Button presses on a command's replies and autocomplete are answered by
//! the command that made them (no anti-spam: they cost no message). The bot's stock message is
//! kept by a task of its own (`stock_message`), started and stopped with the bot. Every REST call
//! goes through the bot's `rest_meter::Meter`, which counts it and the 429s it meets.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;

use tokio::time::Instant;

use serde_json::json;
use tokio::sync::watch;
use twilight_gateway::{
    CloseFrame, Config, ConfigBuilder, Event, EventTypeFlags, Intents, Session, Shard, ShardId, StreamExt,
};
use twilight_http::Client;
use twilight_model::application::command::{Command, CommandOptionChoice, CommandOptionChoiceValue};
use twilight_model::application::interaction::application_command::CommandOptionValue;
use twilight_model::application::interaction::{InteractionData, InteractionType};
use twilight_model::channel::message::{AllowedMentions, MessageFlags, MessageReference, MessageReferenceType};
use twilight_model::gateway::payload::incoming::{InteractionCreate, MessageCreate};
use twilight_model::http::interaction::{InteractionResponse, InteractionResponseData, InteractionResponseType};
use twilight_model::id::marker::ApplicationMarker;
use twilight_model::id::Id;

use super::antispam::{Decision, Limiter, Scope};
use super::handled::Handled;
use super::identify::IdentifyGate;
use super::ownership::Part;
use super::rest_meter::Meter;
use super::session::{fingerprint, SavedSession, Settling};
use super::stock_message::StockKeeper;
use super::FleetInner;
use crate::audit::{Actor, Entry};
use crate::bots::config::{AntiSpamConfig, BotConfig};
use crate::bots::servers::ServerRules;
use crate::bots::status::Status;
use crate::commands::{panic_message, parse_prefixed, CommandError, Context, Reply};
use crate::discord::{read_model, reply_nonce, Failure, OnceMessage};
use crate::events::CommandEvent;
use crate::logs::commands::{CommandKind, CommandRecord, Outcome};
use crate::metrics::Fault;

/// Every REST call is bounded: twilight-http retries 429s by itself, without limit.
pub const REST_TIMEOUT: Duration = Duration::from_secs(10);

/// A REST client idle this long is dropped (with its rate-limit state); the next command gets a
/// new one. Idle bots then hold only their gateway connection.
pub use super::rest_clients::CLIENT_IDLE;

/// What a command task needs.
struct Answering {
    fleet: Arc<FleetInner>,
    bot: Arc<BotConfig>,
    app: Id<ApplicationMarker>,
    /// This bot's per-user command rate limit.
    antispam: Limiter,
    /// The limits of servers with anti-spam settings of their own (made when first needed, made
    /// again when their settings change).
    server_limits: std::sync::Mutex<std::collections::HashMap<u64, (AntiSpamConfig, Arc<Limiter>)>>,
    /// Counts this bot's REST calls and 429s.
    rest: Meter,
}

/// How a runner ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// `stop` turned true; the bot is `stopped`.
    Stopped,
    /// The bot cannot run: `permanent` when only a person can fix it (a rejected token, a fatal
    /// close code, too few session starts left), else something that may pass by itself. The
    /// supervisor sets the status: `failed`, or `reconnecting` until it tries again.
    Failed { permanent: bool, reason: String },
}

/// Runs a bot until `stop` turns true or it fails.
pub async fn run(fleet: Arc<FleetInner>, bot: BotConfig, mut stop: watch::Receiver<bool>) -> Ended {
    let bot = Arc::new(bot);
    let id = bot.id;
    fleet.set_status(id, Status::Starting, None).await;
    // A client for the start-up calls only, not kept: 1,000 bots starting at once should not
    // leave 1,000 clients behind for a minute (replies use the fleet's one client per bot).
    let http = fleet.discord.client(&bot.token);
    let rest = fleet.rest.bot(Some(id));
    let mut delay = Duration::from_secs(1);
    // Before the gateway: find it, learn the application id, register commands. Transient
    // failures retry with capped backoff; a rejected token fails at once.
    let Prepared { url, app, starts, shards: prepared_shards } = loop {
        // Boxed, as the other start-up calls: a future holds room for its largest await, and these
        // (HTTP calls and their answers) would otherwise be held by every running bot.
        match Box::pin(prepare(&rest, &http)).await {
            Ok(ready) => break ready,
            Err(f) if f.status == Some(401) => {
                let reason = "Discord rejected the token (401 Unauthorized): replace it with PUT /bots/{id}/token";
                return Ended::Failed { permanent: true, reason: reason.into() };
            }
            Err(f) => {
                let reason = if f.not_discord {
                    // Not Discord at that address: say what is there, so the URL can be fixed.
                    let answer = Box::pin(fleet.discord.describe_answer(&bot.token, "/api/v10/gateway/bot")).await;
                    format!("cannot start: {}. {answer}", f.message)
                } else {
                    format!("cannot reach Discord: {}", f.message)
                };
                fleet.set_status(id, Status::Reconnecting, Some(reason)).await;
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    _ = stop.changed() => { fleet.set_status(id, Status::Stopped, None).await; return Ended::Stopped; }
                }
                delay = (delay * 2).min(Duration::from_secs(60));
            }
        }
    };
    let now = fleet.clock.now_ms();
    let resets_at = now.saturating_add(i64::try_from(starts.reset_after).unwrap_or(i64::MAX));
    fleet.runtimes.update(id, |r| {
        r.session_starts_remaining = Some(starts.remaining);
        r.session_starts_total = Some(starts.total);
        r.session_starts_reset_at = Some(resets_at);
    });
    if starts.remaining < fleet.session_start_floor {
        // Discord resets a bot's token when it spends every session start of the day: the last
        // ones are kept for a person to decide.
        let reason = format!(
            "only {} of {} session starts are left until {} (Discord resets the token of a bot that spends \
             them all): not connecting; start it after then, or lower --session-start-floor ({})",
            starts.remaining,
            starts.total,
            crate::time::rfc3339(resets_at),
            fleet.session_start_floor
        );
        fleet.bot_log(id, "error", "session_starts_low", reason.clone()).await;
        return Ended::Failed { permanent: true, reason };
    }
    let intents = Intents::from_bits_truncate(bot.intents);
    // The shards run here: what `GET /gateway/bot` recommends (at least one); with several nodes,
    // those this node holds.
    let part = match Box::pin(fleet_part(&fleet, id, prepared_shards.recommended)).await {
        Ok(part) => part,
        Err(e) => return Ended::Failed { permanent: false, reason: format!("cannot read which shards run here: {e}") },
    };
    if part.shards.is_empty() {
        // Another node holds every shard now (handed over meanwhile).
        fleet.set_status(id, Status::Stopped, None).await;
        return Ended::Stopped;
    }
    let shards = part.count;
    if part.home() {
        // The bot's home registers its slash commands (one node, not every node with a shard).
        Box::pin(register_commands(&fleet, &rest, &http, app)).await;
    }
    // The identify gate from the start: the builder's default queue (a task and a channel) goes at
    // once instead of living as long as the bot.
    let base = ConfigBuilder::new(bot.token.expose().to_owned(), intents)
        .proxy_url(url)
        .queue(fleet.identify_gate(id))
        .build();
    fleet.identify_gate(id).set_concurrency(prepared_shards.max_concurrency);
    // A session saved by the last run (or before a restart) with the same token, intents and shard
    // count is resumed: Discord replays what was sent meanwhile. One it refuses falls back to
    // identify.
    let bound_to = bound_to(bot.token.expose(), bot.intents, shards);
    if shards > 1 {
        let line = if part.shards.len() == shards as usize {
            format!("running {shards} shards, as Discord recommends for the servers this bot is in")
        } else {
            format!("running shards {:?} of {shards} on this node, the others on other nodes", part.shards)
        };
        fleet.bot_log(id, "info", "sharded", line).await;
    }
    drop(http);
    let antispam = Limiter::new(bot.anti_spam, fleet.clock.clone());
    // Per-server settings: read now, again whenever they change (`server_rules`).
    match crate::bots::servers::rules(&fleet.store, id).await {
        Ok(rules) => fleet.server_rules.set(id, rules),
        Err(e) => return Ended::Failed { permanent: false, reason: format!("cannot read its server settings: {e}") },
    }
    let server_limits = std::sync::Mutex::default();
    let answering = Arc::new(Answering { fleet: fleet.clone(), bot: bot.clone(), app, antispam, server_limits, rest });
    // The stock message is kept by the bot's home only.
    let keeper = part.home().then(|| StockKeeper::spawn(fleet.clone(), &bot, answering.rest.clone()));
    let statuses = ShardStatuses::new(&part);
    lock_parts(&fleet).insert(id, part.clone());
    // The bot's stop, read once for every shard: whether to keep the sessions for a resume.
    let (halt, halted) = watch::channel(None::<bool>);
    let ended = {
        let run_all = async {
            use futures_util::StreamExt as _;
            let mut running: futures_util::stream::FuturesUnordered<_> = part
                .shards
                .iter()
                .map(|&shard_id| {
                    let run = ShardRun {
                        fleet: &fleet,
                        id,
                        shard_id,
                        shards,
                        answering: &answering,
                        keeper: keeper.as_ref(),
                        bound_to: &bound_to,
                        statuses: &statuses,
                    };
                    // Boxed: the set's own stub task is then small, not one more shard future's size
                    // (≈ 4 KB) held beside each bot's shards.
                    Box::pin(run.run(base.clone(), halted.clone()))
                })
                .collect();
            let mut ended = Ended::Stopped;
            while let Some(one) = running.next().await {
                if let (Ended::Stopped, Ended::Failed { .. }) = (&ended, &one) {
                    // One shard cannot go on: the bot stops (the supervisor decides what next).
                    ended = one;
                    let _ = halt.send(Some(false));
                }
            }
            ended
        };
        tokio::pin!(run_all);
        // Its servers' stock channels changed: the stock task starts again with them.
        let mut servers_changed = fleet.server_rules.stock_changes();
        loop {
            tokio::select! {
                ended = &mut run_all => break ended,
                _ = stop.changed() => {
                    let _ = halt.send(Some(fleet.take_suspending(id)));
                    break run_all.await;
                }
                Ok(()) = servers_changed.changed(), if keeper.is_some() => {
                    if let Some(keeper) = &keeper {
                        keeper.servers_changed();
                    }
                }
            }
        }
    };
    lock_parts(&fleet).remove(&id);
    fleet.server_rules.forget(id);
    if let Some(keeper) = keeper {
        keeper.stop().await;
    }
    match &ended {
        Ended::Stopped => fleet.set_status(id, Status::Stopped, None).await,
        Ended::Failed { .. } => fleet.sessions.forget(id),
    }
    ended
}

/// What `GET /gateway/bot` says about shards.
#[derive(Debug, Clone, Copy)]
struct ShardPlan {
    /// The shards Discord recommends for the servers the bot is in.
    recommended: u32,
    /// Identifies allowed per 5 s (one per rate-limit bucket, `shard % max_concurrency`).
    max_concurrency: u32,
}

/// What a saved session is bound to: the token and intents, and the shard count when above one
/// (a session of another count would cover other servers). One shard keeps the form sessions were
/// saved with before shards.
pub fn bound_to(token: &str, intents: u64, shards: u32) -> String {
    let print = fingerprint(token, intents);
    if shards > 1 {
        format!("{print}/{shards}")
    } else {
        print
    }
}

/// The shards this node runs of a bot (`Fleet::part_to_run`).
async fn fleet_part(fleet: &Arc<FleetInner>, id: i64, recommended: u32) -> crate::error::Result<Part> {
    super::Fleet { inner: fleet.clone() }.part_to_run(id, recommended).await
}

fn lock_parts(fleet: &FleetInner) -> std::sync::MutexGuard<'_, std::collections::HashMap<i64, Part>> {
    super::lock(&fleet.parts)
}

/// Each shard's status, and the bot's made of them (the shards run here): running when every shard
/// is, else the first that reconnects, else starting.
struct ShardStatuses {
    each: std::sync::Mutex<Vec<(Status, Option<String>)>>,
}

impl ShardStatuses {
    /// Shards run elsewhere count as running here: their nodes say how they are.
    fn new(part: &Part) -> Self {
        let each = (0..part.count)
            .map(|s| match part.shards.contains(&s) {
                true => (Status::Starting, None),
                false => (Status::Running, None),
            })
            .collect();
        Self { each: std::sync::Mutex::new(each) }
    }

    fn of(&self, shard: u32) -> Status {
        let each = self.each.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        each.get(shard as usize).map_or(Status::Starting, |s| s.0)
    }

    /// Notes a shard's status; the bot's as it follows.
    fn set(&self, shard: u32, status: Status, reason: Option<String>) -> (Status, Option<String>) {
        let mut each = self.each.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(slot) = each.get_mut(shard as usize) {
            *slot = (status, reason);
        }
        if let Some(down) = each.iter().find(|s| s.0 == Status::Reconnecting) {
            return down.clone();
        }
        if each.iter().all(|s| s.0 == Status::Running) {
            return (Status::Running, None);
        }
        (Status::Starting, None)
    }
}

/// One shard of a running bot: its gateway loop.
struct ShardRun<'a> {
    fleet: &'a Arc<FleetInner>,
    id: i64,
    shard_id: u32,
    shards: u32,
    answering: &'a Arc<Answering>,
    keeper: Option<&'a StockKeeper>,
    bound_to: &'a str,
    statuses: &'a ShardStatuses,
}

impl ShardRun<'_> {
    async fn status(&self, status: Status, reason: Option<String>) {
        let (bot, why) = self.statuses.set(self.shard_id, status, reason);
        self.fleet.set_status(self.id, bot, why).await;
    }

    /// Runs the shard until `halt` says stop (`Some(resume)`: keep the session for a resume) or it
    /// fails.
    async fn run(self, base: Config<IdentifyGate>, mut halt: watch::Receiver<Option<bool>>) -> Ended {
        let (fleet, id, shard_id) = (self.fleet, self.id, self.shard_id);
        let mut config = ConfigBuilder::from(base);
        let saved = fleet.sessions.get(id, shard_id).filter(|s| s.fingerprint == self.bound_to);
        let mut resuming = false;
        if let Some(saved) = saved {
            let age = (fleet.clock.now_ms() - saved.saved_at).max(0) / 1000;
            let line = format!("resuming the saved gateway session after event {} (saved {age} s ago)", saved.sequence);
            fleet.bot_log(id, "info", "resuming", line).await;
            config = config.session(Session::new(saved.sequence, saved.session_id)).resume_url(saved.resume_url);
            resuming = true;
        }
        let shard_key = ShardId::new_checked(shard_id, self.shards).unwrap_or(ShardId::ONE);
        let mut shard = Shard::with_config(shard_key, config.build());
        let handled = fleet.handled(id, shard_id);
        let mut settling = Settling::default();
        let answering = self.answering;
        let keeper = self.keeper;
        let bound_to = self.bound_to;
        let mut sweep = tokio::time::interval(CLIENT_IDLE / 4);
        let wanted = EventTypeFlags::READY
            | EventTypeFlags::GATEWAY_HELLO
            | EventTypeFlags::GATEWAY_HEARTBEAT_ACK
            | EventTypeFlags::RESUMED
            | EventTypeFlags::GATEWAY_INVALIDATE_SESSION
            | EventTypeFlags::MESSAGE_CREATE
            | EventTypeFlags::MESSAGE_DELETE
            | EventTypeFlags::INTERACTION_CREATE
            // What the channel pickers list (`directory`) changed.
            | EventTypeFlags::GUILD_CREATE
            | EventTypeFlags::GUILD_DELETE
            | EventTypeFlags::CHANNEL_CREATE
            | EventTypeFlags::CHANNEL_UPDATE
            | EventTypeFlags::CHANNEL_DELETE;
        let mut last_close: Option<u16> = None;
        let mut was_ready = false;
        // A connection that ends without a close frame yields no event while twilight reconnects: a
        // shard that stays unidentified is reported as reconnecting.
        let mut watch = tokio::time::interval(Duration::from_secs(1));
        let mut unidentified_since: Option<Instant> = None;
        loop {
            let event = tokio::select! {
                event = super::wanted_events::next(&mut shard, wanted, || {
                    let now = fleet.clock.now_ms();
                    fleet.runtimes.gateway_event(id, now, |r| r.last_event_at = Some(now));
                }) => event,
                _ = sweep.tick(), if shard_id == 0 => {
                    fleet.clients.drop_idle(id);
                    answering.antispam.prune();
                    answering.prune_server_limits();
                    continue;
                }
                _ = watch.tick() => {
                    if let Some(now) = session_now(fleet, &shard, &handled, bound_to, id, shard_id) {
                        settling.offer(now, fleet.tracker.accepted());
                    }
                    if let Some(settled) = settling.settled(fleet.tracker.durable()) {
                        fleet.sessions.note(settled);
                    }
                    if shard.state().is_identified() {
                        unidentified_since = None;
                    } else if unidentified_since.get_or_insert_with(Instant::now).elapsed() >= Duration::from_secs(2)
                        && self.statuses.of(shard_id) == Status::Running
                    {
                        let reason = "the gateway connection was lost; reconnecting".to_owned();
                        self.status(Status::Reconnecting, Some(reason)).await;
                    }
                    continue;
                }
                Ok(()) = halt.changed() => {
                    let Some(suspend) = *halt.borrow_and_update() else { continue };
                    // Stopping to resume later (shutdown, a restart with the same token and intents):
                    // a close with a resume code keeps the session (1000 and 1001 would end it).
                    shard.close(if suspend { CloseFrame::RESUME } else { CloseFrame::NORMAL });
                    // Poll until our close frame is sent and echoed (bounded); polling further would
                    // make twilight reconnect. A server that drops the connection without echoing it
                    // makes twilight connect again at once: its Hello ends the wait before an identify
                    // is sent (each spends one of the bot's daily session starts). A command read
                    // meanwhile is not answered: the session is noted as of the event before the
                    // first such one, so that a resume replays it.
                    let mut unanswered_after: Option<u64> = None;
                    let _ = tokio::time::timeout(Duration::from_secs(2), async {
                        while let Some(event) = shard.next_event(wanted).await {
                            match event {
                                Ok(Event::GatewayClose(_) | Event::GatewayHello(_)) => break,
                                Ok(Event::MessageCreate(_) | Event::InteractionCreate(_)) => {
                                    unanswered_after.get_or_insert(sequence(&shard).saturating_sub(1));
                                }
                                _ => {}
                            }
                        }
                    })
                    .await;
                    // At shutdown tracking writes (or spools and syncs) every record before the process
                    // exits: the session may be noted as it stands.
                    if suspend {
                        if let Some(mut now) = session_now(fleet, &shard, &handled, bound_to, id, shard_id) {
                            if let Some(limit) = unanswered_after {
                                now.sequence = now.sequence.min(limit);
                            }
                            fleet.sessions.note(now);
                        }
                    } else {
                        fleet.sessions.forget(id);
                    }
                    return Ended::Stopped;
                }
            };
            if let Some(Ok(e)) = &event {
                handled.handling(sequence(&shard));
                let now = fleet.clock.now_ms();
                let average = shard.latency().average();
                let again = was_ready || shard_id == 0;
                fleet.runtimes.gateway_event(id, now, |r| {
                    r.last_event_at = Some(now);
                    match e {
                        Event::GatewayHello(hello) => r.heartbeat_interval_ms = Some(hello.heartbeat_interval),
                        Event::GatewayHeartbeatAck => {
                            r.last_heartbeat_ack_at = Some(now);
                            r.heartbeat_latency_ms = average.map(|l| l.as_secs_f64() * 1000.0);
                        }
                        Event::Ready(_) => {
                            if r.connected_at.is_some() && again {
                                r.reconnects += 1;
                            }
                            r.connected_at = Some(now);
                        }
                        Event::Resumed => r.resumes += 1,
                        Event::GatewayInvalidateSession(false) => r.sessions_lost += 1,
                        _ => {}
                    }
                });
            }
            match event {
                None => {
                    let (permanent, reason) =
                        last_close.map_or_else(|| (false, "the gateway connection ended".to_owned()), close_reason);
                    return Ended::Failed { permanent, reason };
                }
                // A connection that ended without a close frame shows up only as failed reconnects.
                Some(Err(e)) if matches!(e.kind(), twilight_gateway::error::ReceiveMessageErrorType::Reconnect) => {
                    tracing::debug!(bot_id = id, shard = shard_id, error = %e, "gateway reconnect failed");
                    let reason = "cannot reconnect to Discord's gateway; retrying".to_owned();
                    self.status(Status::Reconnecting, Some(reason)).await;
                }
                Some(Err(e)) => tracing::debug!(bot_id = id, shard = shard_id, error = %e, "gateway message skipped"),
                Some(Ok(Event::Ready(ready))) => {
                    was_ready = true;
                    handled.new_session();
                    if std::mem::take(&mut resuming) {
                        let line = "the saved gateway session could not be resumed; identified afresh (events sent \
                                    while the bot was away are lost)";
                        fleet.bot_log(id, "warn", "session_lost", line.into()).await;
                    }
                    // A new session has no answered events yet: noted (and saved) at once.
                    if let Some(now) = session_now(fleet, &shard, &handled, bound_to, id, shard_id) {
                        fleet.sessions.note(now);
                    }
                    let on = if self.shards > 1 {
                        format!(" (shard {} of {})", shard_id + 1, self.shards)
                    } else {
                        String::new()
                    };
                    fleet
                        .bot_log(
                            id,
                            "info",
                            "connected",
                            format!("connected as {} in {} servers{on}", ready.user.name, ready.guilds.len()),
                        )
                        .await;
                    self.status(Status::Running, None).await;
                }
                Some(Ok(Event::GatewayInvalidateSession(false))) => {
                    // Where exactly-once ends by Discord's rule: a session Discord will not resume is
                    // gone, and so is whatever happened while the bot was away from it.
                    let lost = if std::mem::take(&mut resuming) {
                        "Discord refused to resume the saved session (op 9, not resumable): events sent while the \
                         bot was away are lost; identifying again"
                    } else {
                        "Discord ended the session (op 9, not resumable): events sent while the bot was \
                         disconnected are lost; identifying again"
                    };
                    fleet.bot_log(id, "warn", "session_lost", lost.into()).await;
                }
                Some(Ok(Event::Resumed)) => {
                    let line = if std::mem::take(&mut resuming) {
                        "the saved session resumed: Discord replays what was sent while the bot was away"
                    } else {
                        "session resumed"
                    };
                    fleet.bot_log(id, "info", "resumed", line.into()).await;
                    self.status(Status::Running, None).await;
                }
                Some(Ok(Event::GatewayClose(frame))) => {
                    let code = frame.as_ref().map(|f| f.code);
                    last_close = code;
                    let (fatal, reason) = code.map_or((false, "connection lost".to_owned()), close_reason);
                    let level = if fatal { "error" } else { "warn" };
                    fleet.bot_log(id, level, "disconnected", format!("disconnected: {reason}")).await;
                    if !fatal {
                        self.status(Status::Reconnecting, Some(reason)).await;
                    }
                }
                Some(Ok(Event::MessageCreate(message))) => {
                    let received = (Instant::now(), fleet.clock.now_ms());
                    let latency = shard.latency().average();
                    #[cfg(feature = "test-commands")]
                    crate::commands::panic::runner_hook(&message.content);
                    let answering = answering.clone();
                    let running = handled.begin(sequence(&shard));
                    spawn_answer(fleet, id, async move {
                        answering.prefix_command(message, received, latency).await;
                        drop(running);
                    });
                }
                Some(Ok(Event::InteractionCreate(interaction))) => {
                    let received = (Instant::now(), fleet.clock.now_ms());
                    let latency = shard.latency().average();
                    let answering = answering.clone();
                    let running = handled.begin(sequence(&shard));
                    spawn_answer(fleet, id, async move {
                        answering.interaction(interaction, received, latency).await;
                        drop(running);
                    });
                }
                Some(Ok(Event::MessageDelete(deleted))) => {
                    // Seen on a shard whose bot's home is another node: that node's next render
                    // finds the message gone (10008) and posts it again.
                    if let Some(keeper) = keeper {
                        keeper.message_deleted(deleted.channel_id.get(), deleted.id.get());
                    }
                }
                Some(Ok(Event::GuildCreate(guild))) => {
                    fleet.directory.changed(id, None);
                    fleet.directory.changed(id, Some(guild.id().get()));
                }
                Some(Ok(Event::GuildDelete(gone))) => {
                    fleet.directory.changed(id, None);
                    fleet.directory.changed(id, Some(gone.id.get()));
                }
                Some(Ok(Event::ChannelCreate(c))) => fleet.directory.changed(id, c.guild_id.map(|g| g.get())),
                Some(Ok(Event::ChannelUpdate(c))) => fleet.directory.changed(id, c.guild_id.map(|g| g.get())),
                Some(Ok(Event::ChannelDelete(c))) => fleet.directory.changed(id, c.guild_id.map(|g| g.get())),
                Some(Ok(_)) => {}
            }
        }
    }
}

/// Discord's "Unknown interaction": an answer after the interaction's 3-second window.
const UNKNOWN_INTERACTION: u64 = 10062;

/// The sequence of the event just received.
fn sequence<Q>(shard: &Shard<Q>) -> u64 {
    shard.session().map_or(0, Session::sequence)
}

/// Where the bot's session stands: resumable from the last event whose answer finished.
fn session_now<Q>(
    fleet: &FleetInner,
    shard: &Shard<Q>,
    handled: &Handled,
    bound_to: &str,
    bot_id: i64,
    shard_id: u32,
) -> Option<SavedSession> {
    let (Some(session), Some(url)) = (shard.session(), shard.resume_url()) else {
        return None;
    };
    Some(SavedSession {
        bot_id,
        shard: shard_id,
        session_id: session.id().to_owned(),
        sequence: handled.watermark(session.sequence()),
        resume_url: url.to_owned(),
        fingerprint: bound_to.to_owned(),
        saved_at: fleet.clock.now_ms(),
    })
}

/// Answers one event in a task of its own. The event stays boxed as twilight gives it (an
/// `InteractionCreate` is ≈ 5.8 KB, and a by-value argument of an async fn is kept twice in its
/// future, which a spawn copies). A command's panic is caught where it runs (the user
/// is answered and the record says `error`); this catches one anywhere else in the answering, so
/// it is logged and counted rather than lost silently.
fn spawn_answer(fleet: &Arc<FleetInner>, bot_id: i64, answer: impl Future<Output = ()> + Send + 'static) {
    let fleet = fleet.clone();
    tokio::spawn(async move {
        if let Err(payload) = AssertUnwindSafe(answer).catch_unwind().await {
            let message = panic_message(payload.as_ref());
            tracing::error!(bot_id, panic = %message, "answering an event panicked; no record was made");
            fleet.metrics.fault(Fault::CommandPanic);
            fleet.bot_log(bot_id, "error", "command_panic", format!("answering an event panicked: {message}")).await;
        }
    });
}

/// What a start learns before the gateway.
struct Prepared {
    url: String,
    app: Id<ApplicationMarker>,
    /// `GET /gateway/bot`'s session-start budget.
    starts: twilight_model::gateway::SessionStartLimit,
    shards: ShardPlan,
}

async fn prepare(rest: &Meter, http: &Client) -> Result<Prepared, Failure> {
    let gateway = read_model(rest.call(http.gateway().authed()).await?).await?;
    let app = read_model(rest.call(http.current_user_application()).await?).await?;
    let shards = ShardPlan {
        recommended: gateway.shards,
        max_concurrency: u32::from(gateway.session_start_limit.max_concurrency).max(1),
    };
    Ok(Prepared { url: gateway.url, app: app.id, starts: gateway.session_start_limit, shards })
}

/// Puts the slash-command definitions only when they differ from what Discord has (read first):
/// a start does not rewrite them every time. A failure is logged: prefix commands still work.
async fn register_commands(fleet: &FleetInner, rest: &Meter, http: &Client, app: Id<ApplicationMarker>) {
    let definitions = fleet.registry.slash_definitions();
    let registered = match rest.call(http.interaction(app).global_commands()).await {
        Ok(answer) => answer.models().await.ok(),
        Err(_) => None,
    };
    if registered.is_some_and(|have| same_commands(&definitions, &have)) {
        return;
    }
    if let Err(f) = rest.call(http.interaction(app).set_global_commands(&definitions)).await {
        tracing::warn!(error = %f.message, "registering slash commands failed; prefix commands still work");
    }
}

/// Whether Discord's commands are ours: the same names (in any order), and every field we send
/// has the value Discord shows (fields Discord adds, such as ids and versions, are not compared).
fn same_commands(ours: &[Command], theirs: &[Command]) -> bool {
    fn contained(ours: &serde_json::Value, theirs: &serde_json::Value) -> bool {
        use serde_json::Value;
        match (ours, theirs) {
            (Value::Object(a), Value::Object(b)) => a.iter().all(|(k, v)| match b.get(k) {
                Some(w) => contained(v, w),
                None => v.is_null() || *v == Value::Bool(false) || v.as_array().is_some_and(Vec::is_empty),
            }),
            (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(v, w)| contained(v, w)),
            (a, b) => a == b,
        }
    }
    ours.len() == theirs.len()
        && ours.iter().all(|a| {
            theirs.iter().filter(|b| b.name == a.name && b.kind == a.kind).any(|b| {
                match (serde_json::to_value(a), serde_json::to_value(b)) {
                    (Ok(mut a), Ok(b)) => {
                        // Discord assigns these; ours are placeholders.
                        if let Some(fields) = a.as_object_mut() {
                            for assigned in ["id", "application_id", "guild_id", "version"] {
                                fields.remove(assigned);
                            }
                        }
                        contained(&a, &b)
                    }
                    _ => false,
                }
            })
        })
}

impl Answering {
    /// The bot's REST client (the fleet's one for this bot: API sends share its rate limiter).
    fn client(&self) -> Arc<Client> {
        self.fleet.clients.get(self.bot.id, &self.bot.token)
    }

    /// Passes a command's answer on; a panic (caught by the registry) is also counted and written
    /// to the bot log, where an operator sees it.
    async fn noted(&self, command: &str, answer: Result<Reply, CommandError>) -> Result<Reply, CommandError> {
        if let Err(CommandError::Panicked(message)) = &answer {
            tracing::error!(bot_id = self.bot.id, command, panic = %message, "a command panicked");
            self.fleet.metrics.fault(Fault::CommandPanic);
            self.fleet.bot_log(self.bot.id, "error", "command_panic", format!("/{command} panicked: {message}")).await;
        }
        answer
    }

    fn context(&self, prefix: &str, args: &str, latency: Option<Duration>) -> Context {
        Context {
            prefix: prefix.to_owned(),
            args: args.to_owned(),
            gateway_latency: latency,
            catalogue: self.fleet.registry.catalogue(),
            stock: Some(self.fleet.stock.clone()),
        }
    }

    /// The settings of the server a command came from, where it has its own.
    fn server(&self, guild_id: Option<u64>) -> Option<Arc<ServerRules>> {
        guild_id.and_then(|guild| self.fleet.server_rules.get(self.bot.id, guild))
    }

    /// The anti-spam decision for a user's command: by its server's limits when it has its own
    /// (a limiter per such server, made again when they change), else by the bot's.
    fn limit(&self, rules: Option<&ServerRules>, guild_id: Option<u64>, channel_id: u64, user_id: u64) -> Decision {
        let at = scope(guild_id, channel_id);
        let (Some(config), Some(guild)) = (rules.and_then(|r| r.anti_spam), guild_id) else {
            return self.antispam.check(at, user_id);
        };
        let limiter = {
            let mut limits = self.server_limits.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let kept = limits.get(&guild).filter(|(was, _)| *was == config).map(|(_, l)| l.clone());
            kept.unwrap_or_else(|| {
                let made = Arc::new(Limiter::new(config, self.fleet.clock.clone()));
                limits.insert(guild, (config, made.clone()));
                made
            })
        };
        limiter.check(at, user_id)
    }

    /// Forgets what the limiters of servers with their own limits remember past its time.
    fn prune_server_limits(&self) {
        let limits: Vec<Arc<Limiter>> = {
            let limits = self.server_limits.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            limits.values().map(|(_, l)| l.clone()).collect()
        };
        for limiter in limits {
            limiter.prune();
        }
    }

    async fn prefix_command(&self, message: Box<MessageCreate>, received: (Instant, i64), latency: Option<Duration>) {
        if message.author.bot {
            return;
        }
        // The server's own prefix and channels, where it has them.
        let rules = self.server(message.guild_id.map(Id::get));
        let prefix = rules.as_ref().and_then(|r| r.prefix.as_deref()).unwrap_or(&self.bot.prefix);
        let Some((name, args)) = parse_prefixed(&message.content, prefix) else {
            return;
        };
        let channels = rules.as_ref().and_then(|r| r.channel_ids.as_deref()).unwrap_or(&self.bot.channel_ids);
        if !channels.is_empty() && !channels.contains(&message.channel_id.get()) {
            return;
        }
        let mut record = CommandRecord::new(self.bot.id, CommandKind::Prefix, received.1, name, args.to_owned()).from(
            message.id.get(),
            message.guild_id.map(Id::get),
            message.channel_id.get(),
            message.author.id.get(),
            &message.author.name,
        );
        let decision = self.limit(rules.as_deref(), record.guild_id, record.channel_id, record.user_id);
        if decision != Decision::Allow {
            // One friendly reply when the cooldown starts; silence after that.
            let sent = match decision {
                Decision::CooldownStarted { seconds, .. } => {
                    let who = message.author.global_name.as_deref().unwrap_or(&message.author.name);
                    let text = format!("Slow down, {who}: try again in {seconds} s.");
                    record.reply(&text);
                    // The name is the user's own text: it must not ping anyone (`@everyone`).
                    let quiet = AllowedMentions { replied_user: true, ..Default::default() };
                    let http = self.client();
                    let nonce = reply_nonce(message.id.get());
                    let once = OnceMessage { content: &text, ..reply_to(&message, &quiet, &nonce) };
                    Some(self.rest.call(once.send(&http, message.channel_id.get())).await.map(|_| ()))
                }
                _ => None,
            };
            return self.deny(record, decision, received.0, sent).await;
        }
        let ctx = self.context(prefix, args, latency);
        let (reply, error) = match self.noted(name, self.fleet.registry.run(name, &ctx).await).await {
            Ok(reply) => (reply, None),
            Err(e) => (Reply::text(e.friendly(prefix)), Some(e.to_string())),
        };
        let http = self.client();
        // Replies may echo what users typed: they ping nobody but the user replied to.
        let quiet = AllowedMentions { replied_user: true, ..Default::default() };
        // Sent once per event: a replayed or re-delivered message gets the first reply back.
        let nonce = reply_nonce(message.id.get());
        let once = OnceMessage {
            content: &reply.content,
            embeds: &reply.embeds,
            components: &reply.components,
            ..reply_to(&message, &quiet, &nonce)
        };
        let sent = self.rest.call(once.send(&http, message.channel_id.get())).await;
        record.reply(&reply.summary());
        record.error = error;
        self.finish(record, received.0, Some(sent.map(|_| ()))).await;
    }

    async fn interaction(
        &self,
        interaction: Box<InteractionCreate>,
        received: (Instant, i64),
        latency: Option<Duration>,
    ) {
        match interaction.kind {
            InteractionType::ApplicationCommand => self.slash_command(interaction, received, latency).await,
            InteractionType::MessageComponent => self.component(interaction, received).await,
            InteractionType::ApplicationCommandAutocomplete => self.autocomplete(interaction).await,
            _ => {}
        }
    }

    async fn slash_command(
        &self,
        interaction: Box<InteractionCreate>,
        received: (Instant, i64),
        latency: Option<Duration>,
    ) {
        let Some(InteractionData::ApplicationCommand(data)) = &interaction.data else {
            return;
        };
        let user = interaction.author();
        let arguments = data.options.iter().map(|o| format!("{}={:?}", o.name, o.value)).collect::<Vec<_>>().join(" ");
        let mut record = CommandRecord::new(self.bot.id, CommandKind::Slash, received.1, &data.name, arguments).from(
            interaction.id.get(),
            interaction.guild_id.map(Id::get),
            channel_of(&interaction),
            user.map_or(0, |u| u.id.get()),
            user_name(user),
        );
        let rules = self.server(record.guild_id);
        let decision = self.limit(rules.as_deref(), record.guild_id, record.channel_id, record.user_id);
        let (reply, flags) = match decision {
            Decision::Allow => {
                let args: Vec<String> = data.options.iter().map(|o| option_text(&o.value)).collect();
                let prefix = rules.as_ref().and_then(|r| r.prefix.as_deref()).unwrap_or(&self.bot.prefix);
                let ctx = self.context(prefix, &args.join(" "), latency);
                match self.noted(&data.name, self.fleet.registry.run(&data.name, &ctx).await).await {
                    Ok(reply) => (reply, None),
                    Err(e) => {
                        record.error = Some(e.to_string());
                        (Reply::text(e.friendly("/")), None)
                    }
                }
            }
            // Discord shows "the application did not respond" to an unanswered slash command, so
            // a limited one is always answered, privately.
            Decision::CooldownStarted { seconds, .. } | Decision::Limited { remaining: seconds } => {
                (Reply::text(format!("Slow down: try again in {seconds} s.")), Some(MessageFlags::EPHEMERAL))
            }
        };
        let response = InteractionResponse {
            kind: InteractionResponseType::ChannelMessageWithSource,
            data: Some(response_data(&reply, flags)),
        };
        let http = self.client();
        let client = http.interaction(self.app);
        let create = client.create_response(interaction.id, &interaction.token, &response);
        let sent = self.rest.call(create).await.map(|_| ());
        record.reply(&reply.summary());
        if already_answered(&sent) {
            return self.answered_before(record).await;
        }
        if decision == Decision::Allow {
            self.finish(record, received.0, Some(sent)).await;
        } else {
            self.deny(record, decision, received.0, Some(sent)).await;
        }
    }

    /// A press on a button of a command's reply: the command's answer replaces the message (callback
    /// type 7); a failure is said privately and leaves the message as it was. Recorded with kind
    /// `component` (command: the command that made the button; arguments: the button's id).
    async fn component(&self, interaction: Box<InteractionCreate>, received: (Instant, i64)) {
        let Some(InteractionData::MessageComponent(data)) = &interaction.data else {
            return;
        };
        let user = interaction.author();
        let command = data.custom_id.split(':').next().unwrap_or_default();
        let mut record =
            CommandRecord::new(self.bot.id, CommandKind::Component, received.1, command, data.custom_id.clone()).from(
                interaction.id.get(),
                interaction.guild_id.map(Id::get),
                channel_of(&interaction),
                user.map_or(0, |u| u.id.get()),
                user_name(user),
            );
        let ctx = self.context(&self.bot.prefix, "", None);
        let response = match self.noted(command, self.fleet.registry.component(&ctx, &data.custom_id).await).await {
            Ok(reply) => {
                record.reply(&reply.summary());
                InteractionResponse {
                    kind: InteractionResponseType::UpdateMessage,
                    data: Some(response_data(&reply, None)),
                }
            }
            Err(e) => {
                record.error = Some(e.to_string());
                let reply = Reply::text(e.friendly("/"));
                record.reply(&reply.content);
                InteractionResponse {
                    kind: InteractionResponseType::ChannelMessageWithSource,
                    data: Some(response_data(&reply, Some(MessageFlags::EPHEMERAL))),
                }
            }
        };
        let http = self.client();
        let client = http.interaction(self.app);
        let create = client.create_response(interaction.id, &interaction.token, &response);
        let sent = self.rest.call(create).await.map(|_| ());
        if already_answered(&sent) {
            return self.answered_before(record).await;
        }
        self.finish(record, received.0, Some(sent)).await;
    }

    /// Suggestions for the option being typed (callback type 8, at most 25). Not recorded: it
    /// fires on every keystroke.
    async fn autocomplete(&self, interaction: Box<InteractionCreate>) {
        let Some(InteractionData::ApplicationCommand(data)) = &interaction.data else {
            return;
        };
        let focused = data.options.iter().find_map(|o| match &o.value {
            CommandOptionValue::Focused(typed, _) => Some((o.name.as_str(), typed.as_str())),
            _ => None,
        });
        let (option, typed) = focused.unwrap_or_default();
        let ctx = self.context(&self.bot.prefix, "", None);
        let choices = self.fleet.registry.autocomplete(&data.name, &ctx, option, typed).await;
        let choices = choices
            .into_iter()
            .map(|c| CommandOptionChoice {
                name: c.name,
                name_localizations: None,
                value: CommandOptionChoiceValue::String(c.value),
            })
            .collect();
        let response = InteractionResponse {
            kind: InteractionResponseType::ApplicationCommandAutocompleteResult,
            data: Some(InteractionResponseData { choices: Some(choices), ..Default::default() }),
        };
        let http = self.client();
        let client = http.interaction(self.app);
        if let Err(f) = self.rest.call(client.create_response(interaction.id, &interaction.token, &response)).await {
            tracing::debug!(bot_id = self.bot.id, error = %f.message, "autocomplete answer failed");
        }
    }

    /// Records a limited invocation as `denied`, and the start of a cooldown as one security
    /// event (not one per message).
    async fn deny(
        &self,
        mut record: CommandRecord,
        decision: Decision,
        started: Instant,
        sent: Option<Result<(), Failure>>,
    ) {
        record.outcome = Outcome::Denied;
        match decision {
            Decision::CooldownStarted { seconds, level } => {
                record.error =
                    Some(format!("anti-spam: too many commands; a {seconds} s cooldown started (level {level})"));
                tracing::info!(bot_id = self.bot.id, user_id = record.user_id, seconds, level, "anti-spam cooldown");
                let actor = Actor::DiscordUser { id: record.user_id, name: record.user_name.clone() };
                let entry = Entry::security("antispam.cooldown", actor, self.fleet.clock.now_ms())
                    .target("bot", self.bot.id)
                    .detail(json!({
                        "guild_id": record.guild_id.map(|g| g.to_string()),
                        "channel_id": record.channel_id.to_string(),
                        "user_id": record.user_id.to_string(),
                        "command": record.command,
                        "cooldown_seconds": seconds,
                        "level": level,
                    }));
                self.fleet.tracker.audit(entry).await;
            }
            Decision::Limited { remaining } => {
                record.error = Some(format!("anti-spam: in cooldown, {remaining} s left"));
            }
            Decision::Allow => {}
        }
        self.finish(record, started, sent).await;
    }

    /// An interaction delivered again that was already answered (Discord said 40060): its record
    /// is handed to tracking once more, quietly — stored only if the first never was (a process
    /// killed between answering and storing), else skipped by its event id. Not counted again in
    /// the metrics or the live feed.
    async fn answered_before(&self, mut record: CommandRecord) {
        if record.error.is_some() {
            record.outcome = Outcome::Error;
        }
        self.fleet.tracker.command(record).await;
    }

    /// Completes and records one invocation: outcome, timestamps, latency. `sent` is `None` when
    /// nothing was sent (a limited command in its cooldown). A denied invocation stays `denied`
    /// and stays out of the answer-latency histogram.
    async fn finish(&self, mut record: CommandRecord, started: Instant, sent: Option<Result<(), Failure>>) {
        let elapsed = started.elapsed();
        let denied = record.outcome == Outcome::Denied;
        match sent {
            None => {}
            Some(Ok(())) => {
                record.responded_at = Some(self.fleet.clock.now_ms());
                self.fleet.runtimes.update(self.bot.id, |r| r.last_rest_ok_at = record.responded_at);
                record.latency_us = Some(i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX));
                if !denied {
                    self.fleet.latencies.record(elapsed);
                    if record.error.is_some() {
                        record.outcome = Outcome::Error;
                    }
                }
            }
            // Discord's 3-second window to answer the interaction had passed (it was sent while the
            // bot was down and replayed on resume): nothing can answer it now.
            Some(Err(f)) if f.code == Some(UNKNOWN_INTERACTION) && !denied => {
                record.outcome = Outcome::Expired;
                record.error = Some(
                    "expired: the interaction reached the bot after Discord's 3-second window to answer it \
                     (Discord 10062)"
                        .into(),
                );
            }
            Some(Err(f)) => {
                if !denied {
                    record.outcome = Outcome::Error;
                }
                let code = f.code.map(|c| format!(" (Discord {c})")).unwrap_or_default();
                let why = format!("reply failed: {}{code}", f.message);
                let failed = (self.fleet.clock.now_ms(), why.clone());
                self.fleet.runtimes.update(self.bot.id, |r| r.last_rest_error = Some(failed));
                self.fleet.bot_log(self.bot.id, "warn", "command_error", format!("/{} {why}", record.command)).await;
                record.error = Some(why);
            }
        }
        let answered = record.responded_at.is_some() && !denied;
        self.fleet.metrics.command(record.bot_id, record.kind, record.outcome, answered.then_some(elapsed));
        self.fleet.events.publish(crate::events::Event::Command(CommandEvent::from(&record)));
        self.fleet.tracker.command(record).await;
    }
}

/// An option's value as text (`/stock product:tea` runs like `!stock tea`).
fn option_text(value: &CommandOptionValue) -> String {
    match value {
        CommandOptionValue::String(s) | CommandOptionValue::Focused(s, _) => s.clone(),
        CommandOptionValue::Integer(n) => n.to_string(),
        CommandOptionValue::Number(n) => n.to_string(),
        CommandOptionValue::Boolean(b) => b.to_string(),
        other => format!("{other:?}"),
    }
}

/// An interaction response carrying a reply (it pings nobody).
fn response_data(reply: &Reply, flags: Option<MessageFlags>) -> InteractionResponseData {
    InteractionResponseData {
        allowed_mentions: Some(AllowedMentions::default()),
        content: (!reply.content.is_empty()).then(|| reply.content.clone()),
        embeds: (!reply.embeds.is_empty()).then(|| reply.embeds.clone()),
        components: (!reply.components.is_empty()).then(|| reply.components.clone()),
        flags,
        ..Default::default()
    }
}

/// Where a user's commands are counted: the guild, or the DM channel.
fn scope(guild_id: Option<u64>, channel_id: u64) -> Scope {
    guild_id.map_or(Scope::Dm(channel_id), Scope::Guild)
}

/// The channel an interaction came from (0 when Discord did not say).
fn channel_of(interaction: &InteractionCreate) -> u64 {
    interaction.channel.as_ref().map_or(0, |c| c.id.get())
}

/// The name of the user who sent an interaction (empty when Discord did not say).
fn user_name(user: Option<&twilight_model::user::User>) -> &str {
    user.map_or("", |u| u.name.as_str())
}

/// What an admin should know about a gateway close code.
pub fn close_reason(code: u16) -> (bool, String) {
    // 4011 ends the shard but not the bot: it starts again with the shards `GET /gateway/bot`
    // recommends now.
    let fatal = matches!(code, 4004 | 4010 | 4012..=4014);
    let text = match code {
        4004 => "Discord rejected the token (4004 Authentication failed): replace it with PUT /bots/{id}/token".to_owned(),
        4010 => "invalid shard (4010)".to_owned(),
        4011 => "this bot is in too many servers for its shards (4011 Sharding required): starting again with the \
                 number of shards Discord recommends"
            .to_owned(),
        4012 => "invalid API version (4012)".to_owned(),
        4013 => "invalid intents (4013): check the bot's intents".to_owned(),
        4014 => "disallowed intents (4014): enable the privileged intents in the Discord developer portal or remove them from the bot".to_owned(),
        other => format!("the gateway closed the connection ({other})"),
    };
    (fatal, text)
}

/// Discord's 40060 (the interaction was already acknowledged): this is an event delivered again
/// after it was answered, once, by Discord's own rule (an interaction takes one initial response).
/// Nothing to do, and nothing to count or record a second time.
fn already_answered(sent: &Result<(), Failure>) -> bool {
    let again = matches!(sent, Err(f) if f.code == Some(40060));
    if again {
        tracing::debug!("an interaction delivered again was already answered (Discord 40060)");
    }
    again
}

/// A reply to `message` with nothing in it yet: quiet mentions, the reference, and its nonce.
fn reply_to<'a>(message: &MessageCreate, quiet: &'a AllowedMentions, nonce: &'a str) -> OnceMessage<'a> {
    OnceMessage {
        content: "",
        embeds: &[],
        components: &[],
        allowed_mentions: quiet,
        message_reference: Some(MessageReference {
            channel_id: Some(message.channel_id),
            guild_id: None,
            kind: MessageReferenceType::Default,
            message_id: Some(message.id),
            fail_if_not_exists: None,
        }),
        nonce,
        enforce_nonce: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_commands_are_compared_on_what_botfleet_sends() {
        let ours = crate::commands::Registry::default().slash_definitions();
        assert!(ours.len() >= 2);
        let mut theirs: Vec<Command> = ours.iter().rev().cloned().collect();
        for (i, c) in (1u64..).zip(theirs.iter_mut()) {
            c.id = Some(Id::new(100 + i));
            c.version = Id::new(200 + i);
        }
        assert!(same_commands(&ours, &theirs), "ids, versions and order are Discord's");
        theirs[0].description = "Something else".into();
        assert!(!same_commands(&ours, &theirs), "a changed description is put again");
        assert!(!same_commands(&ours, &theirs[1..]), "a missing command is put again");
    }
}
