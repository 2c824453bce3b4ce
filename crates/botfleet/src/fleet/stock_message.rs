//! The stock message: for a running bot with stock channels, one task keeps the message(s) in each
//! showing the visible catalogue, announces products that go from 0 to more in each back-in-stock
//! channel, and sends the low-stock notices recorded for each low-stock channel (`stock::low`).
//!
//! - Channels: the bot's own stock, back-in-stock and low-stock channels, and those of its servers
//!   (`bots::servers`). A server's channel of a kind replaces the bot's of that kind when the bot's
//!   is in that server (its server is read from Discord, `GET /channels/{id}`, only then). The
//!   task is started again when a server's channels change, so a running bot follows them.
//!
//! - Coalescing: a catalogue change (the bus's stock counter) makes a render due a quiet
//!   `QUIET` after the last change, but never later than `MAX_WAIT` after the first, so a change
//!   is on Discord within about a second and a burst of changes is one edit.
//! - Pacing: renders are at least `MIN_GAP` apart (so one message is edited at most once per
//!   `MIN_GAP`) and writes to a channel (posts, edits, deletes) stay at `WRITES_PER_WINDOW` per
//!   `WINDOW`, under Discord's 5 per 5 s — twilight-http would retry a 429 by itself, but we never
//!   want one.
//! - A render reads the catalogue from the database once, splits it into embeds inside Discord's
//!   limits (several messages for a large catalogue) and edits only the messages whose content
//!   hash changed; it posts more when needed and deletes surplus ones. A message Discord says is
//!   gone (10008, or deleted on the gateway) or refuses to edit for now (30046: too many edits to a
//!   message older than an hour) is replaced by fresh posts from that one on, so the catalogue
//!   keeps its order.
//! - Message ids and hashes are in `stock_messages` (per channel), so a restart edits the same
//!   messages; those in a channel that is no longer a stock channel are deleted.
//! - Back in stock: each render compares stock with the previous render's; visible products that
//!   went from 0 to more are announced in one message.
//! - Low stock: each render (and a check every `LOW_POLL`, for crossings recorded by another
//!   node) sends the bot's open notices, each to its channel, exactly once: marked `sending` in the
//!   database before the first try, sent with the notice's nonce and `enforce_nonce`, marked
//!   `sent` after; a send whose outcome is unknown is retried with the same nonce within
//!   `low::NONCE_WINDOW`, and given up as `unknown` after it.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, Instant};
use twilight_http::Client;
use twilight_model::channel::message::{AllowedMentions, Embed};
use twilight_model::channel::Channel;
use twilight_model::id::Id;

use super::rest_meter::Meter;
use super::{lock, FleetInner};
use crate::bots::servers::StockChannels;
use crate::bots::BotConfig;
use crate::discord::{read_model, Failure, OnceMessage};
use crate::secrets::Secret;
use crate::stock::low::{self, Outcome};
use crate::stock::messages::{self, Posted};
use crate::stock::{display, repo, Product};

/// A render waits this long after the last change…
pub const QUIET: Duration = Duration::from_millis(250);
/// …but no longer than this after the first one.
pub const MAX_WAIT: Duration = Duration::from_secs(1);
/// At least this between two renders (each edits a message at most once).
pub const MIN_GAP: Duration = Duration::from_millis(1200);
/// Writes to one channel per `WINDOW` (Discord allows 5 per 5 s).
pub const WRITES_PER_WINDOW: usize = 4;
/// See `WRITES_PER_WINDOW`.
pub const WINDOW: Duration = Duration::from_secs(5);
/// After a failed render, the next try waits this long, doubling up to `RETRY_MAX`.
const RETRY_FIRST: Duration = Duration::from_secs(5);
const RETRY_MAX: Duration = Duration::from_secs(300);
/// How often a bot with a low-stock channel looks for notices recorded elsewhere (another node).
const LOW_POLL: Duration = Duration::from_secs(30);
/// How long a stopping keeper may finish what it is doing.
const STOP_GRACE: Duration = Duration::from_secs(3);
/// Discord's "Unknown Message".
const UNKNOWN_MESSAGE: u64 = 10008;
/// Discord's "too many edits to messages older than an hour; try again later".
const OLD_MESSAGE_EDITS: u64 = 30046;

/// A bot's servers that have stock channels of their own, by server id.
pub type ServerChannels = Vec<(u64, StockChannels)>;

/// The stock task of one bot, started again when its servers' stock channels change.
pub struct StockKeeper {
    fleet: Arc<FleetInner>,
    bot: Arc<Bot>,
    rest: Meter,
    current: Mutex<Option<Running>>,
}

/// What the task needs of the bot's settings.
struct Bot {
    id: i64,
    token: Secret,
    /// The bot's own channels.
    own: StockChannels,
}

/// The running task, and the servers' channels it was started with.
struct Running {
    servers: ServerChannels,
    stop: watch::Sender<bool>,
    deleted: mpsc::Sender<(u64, u64)>,
    task: JoinHandle<()>,
}

impl Running {
    /// Starts the task, once `before` (the task it replaces) has stopped.
    fn start(keeper: &StockKeeper, servers: ServerChannels, before: Option<Running>) -> Self {
        let (stop, stopped) = watch::channel(false);
        let (deleted, deletions) = mpsc::channel(16);
        let (fleet, bot, rest) = (keeper.fleet.clone(), keeper.bot.clone(), keeper.rest.clone());
        let planned = servers.clone();
        let task = tokio::spawn(async move {
            if let Some(before) = before {
                before.stop().await;
            }
            // Boxed: a task's memory lasts as long as its handle, even once it ended (the task of a
            // bot with no stock channel ends at once), and the handle is kept while the bot runs.
            Box::pin(keep(fleet, &bot, planned, rest, stopped, deletions)).await;
        });
        Self { servers, stop, deleted, task }
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(STOP_GRACE, &mut task).await.is_err() {
            task.abort();
        }
    }
}

impl StockKeeper {
    /// Starts the task for a bot. It ends at once when the bot and its servers have no stock
    /// channel of any kind (after deleting the messages it had posted in stock channels it no
    /// longer has).
    pub fn spawn(fleet: Arc<FleetInner>, bot: &BotConfig, rest: Meter) -> Self {
        let own = StockChannels {
            stock: bot.stock_channel_id,
            back_in_stock: bot.back_in_stock_channel_id,
            low_stock: bot.low_stock_channel_id,
        };
        let bot = Arc::new(Bot { id: bot.id, token: bot.token.clone(), own });
        let keeper = Self { fleet, bot, rest, current: Mutex::new(None) };
        let servers = keeper.fleet.server_rules.stock_channels(keeper.bot.id);
        let running = Running::start(&keeper, servers, None);
        *lock(&keeper.current) = Some(running);
        keeper
    }

    /// The bot's server settings were read again: when its servers' stock channels changed, the
    /// task starts again with them (the one running stops first; nothing here waits).
    pub fn servers_changed(&self) {
        let servers = self.fleet.server_rules.stock_channels(self.bot.id);
        let mut current = lock(&self.current);
        if current.as_ref().is_some_and(|r| r.servers == servers) {
            return;
        }
        let before = current.take();
        *current = Some(Running::start(self, servers, before));
    }

    /// The gateway said a message was deleted (a stock message is then posted again).
    pub fn message_deleted(&self, channel_id: u64, message_id: u64) {
        if let Some(running) = lock(&self.current).as_ref() {
            let _ = running.deleted.try_send((channel_id, message_id));
        }
    }

    /// Stops the task, letting it finish a render for a moment.
    pub async fn stop(self) {
        let running = lock(&self.current).take();
        if let Some(running) = running {
            running.stop().await;
        }
    }
}

/// A render that is due.
#[derive(Debug, Clone, Copy)]
struct Due {
    first: Instant,
    last: Instant,
    not_before: Option<Instant>,
}

impl Due {
    fn now() -> Self {
        let now = Instant::now();
        Self { first: now, last: now, not_before: None }
    }

    fn after(delay: Duration) -> Self {
        Self { not_before: Some(Instant::now() + delay), ..Self::now() }
    }

    /// Another change arrived.
    fn touched(self) -> Self {
        Self { last: Instant::now(), ..self }
    }

    /// When to render.
    fn at(&self, last_render: Option<Instant>) -> Instant {
        let mut at = (self.last + QUIET).min(self.first + MAX_WAIT);
        if let Some(previous) = last_render {
            at = at.max(previous + MIN_GAP);
        }
        self.not_before.map_or(at, |t| at.max(t))
    }
}

/// Writes to one channel, paced: at most `max` in any `window`.
#[derive(Debug)]
struct Pacer {
    sent: VecDeque<Instant>,
    max: usize,
    window: Duration,
}

impl Default for Pacer {
    fn default() -> Self {
        Self { sent: VecDeque::new(), max: WRITES_PER_WINDOW, window: WINDOW }
    }
}

impl Pacer {
    /// Waits until one more write fits, and counts it.
    async fn ready(&mut self) {
        loop {
            let now = Instant::now();
            while self.sent.front().is_some_and(|t| *t + self.window <= now) {
                self.sent.pop_front();
            }
            match self.sent.front() {
                Some(oldest) if self.sent.len() >= self.max => sleep_until(*oldest + self.window).await,
                _ => {
                    self.sent.push_back(now);
                    return;
                }
            }
        }
    }
}

/// One posted stock message.
#[derive(Debug, Clone)]
struct Slot {
    message_id: u64,
    hash: String,
    /// Deleted on Discord: post it again.
    lost: bool,
}

/// The keeper's state.
struct Keeper {
    fleet: Arc<FleetInner>,
    bot_id: i64,
    http: std::sync::Arc<Client>,
    /// Counts the bot's REST calls and 429s.
    rest: Meter,
    plan: Plan,
    /// The stock messages of each stock channel, first first.
    catalogues: HashMap<u64, Vec<Slot>>,
    /// Each product's stock at the last render (none before the first).
    known: Option<HashMap<i64, i64>>,
    pacers: HashMap<u64, Pacer>,
}

/// The channels the task writes to, each list in id order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Plan {
    stock: Vec<u64>,
    back_in_stock: Vec<u64>,
    low_stock: Vec<u64>,
    /// The bot's own low-stock channel when its server has one of its own (its notices are
    /// skipped).
    replaced_low: Option<u64>,
}

impl Plan {
    fn is_empty(&self) -> bool {
        self.stock.is_empty() && self.back_in_stock.is_empty() && self.low_stock.is_empty()
    }
}

/// One kind of stock channel.
type Kind = fn(&StockChannels) -> Option<u64>;

const KINDS: [Kind; 3] = [|c| c.stock, |c| c.back_in_stock, |c| c.low_stock];

/// Why a render did not finish.
#[derive(Debug, thiserror::Error)]
enum RenderError {
    #[error("reading the catalogue failed: {0}")]
    Database(#[from] crate::Error),
    #[error("{what} failed: {}{}", .failure.message, .failure.code.map(|c| format!(" (Discord {c})")).unwrap_or_default())]
    Discord { what: &'static str, failure: Failure },
}

fn discord(what: &'static str) -> impl FnOnce(Failure) -> RenderError {
    move |failure| RenderError::Discord { what, failure }
}

/// A Discord id (ids here come from validated settings and Discord's answers: never 0).
fn id<T>(raw: u64) -> Id<T> {
    Id::new(raw.max(1))
}

/// A hash of what a message shows.
fn hash(embed: &Embed) -> String {
    let json = serde_json::to_vec(embed).unwrap_or_default();
    Sha256::digest(&json).iter().take(16).map(|b| format!("{b:02x}")).collect()
}

async fn keep(
    fleet: Arc<FleetInner>,
    bot: &Bot,
    servers: ServerChannels,
    rest: Meter,
    mut stop: watch::Receiver<bool>,
    mut deletions: mpsc::Receiver<(u64, u64)>,
) {
    // Follow changes before reading anything, so none committed from now on is missed.
    let mut changes = fleet.events.stock_changes();
    let stored = messages::load(&fleet.store, bot.id).await.unwrap_or_else(|e| {
        tracing::warn!(bot_id = bot.id, error = %e, "reading the stock messages failed");
        vec![]
    });
    let own = bot.own;
    if own.is_empty() && servers.is_empty() && stored.is_empty() {
        return;
    }
    let mut keeper = Keeper {
        fleet: fleet.clone(),
        bot_id: bot.id,
        // The bot's one client: its stock messages spend the same rate-limit budget as its replies.
        http: fleet.clients.get(bot.id, &bot.token),
        rest,
        plan: Plan::default(),
        catalogues: HashMap::new(),
        known: None,
        pacers: HashMap::new(),
    };
    keeper.plan = keeper.plan(own, &servers).await;
    keeper.adopt(stored).await;
    if keeper.plan.is_empty() {
        return;
    }
    let low = !keeper.plan.low_stock.is_empty();
    let mut next_poll = Instant::now() + LOW_POLL;
    // Render once at start: what changed while the bot was stopped is shown (by editing).
    let mut due = Some(Due::now());
    let mut last_render: Option<Instant> = None;
    let mut retry = RETRY_FIRST;
    loop {
        let at = due.map(|d| d.at(last_render));
        tokio::select! {
            _ = stop.changed() => break,
            changed = changes.changed() => {
                if changed.is_err() {
                    break;
                }
                due = Some(due.map_or_else(Due::now, Due::touched));
            }
            Some((channel, message)) = deletions.recv() => {
                if keeper.lost(channel, message) {
                    due = Some(due.map_or_else(Due::now, Due::touched));
                }
            }
            () = sleep_until(next_poll), if low => {
                next_poll = Instant::now() + LOW_POLL;
                if due.is_none() {
                    match low::any_open(&fleet.store, bot.id).await {
                        Ok(true) => due = Some(Due::now()),
                        Ok(false) => {}
                        Err(e) => tracing::warn!(bot_id = bot.id, error = %e, "could not look for low-stock notices; trying again shortly"),
                    }
                }
            }
            () = sleep_until(at.unwrap_or_else(|| Instant::now() + RETRY_MAX)), if at.is_some() => {
                last_render = Some(Instant::now());
                match keeper.render().await {
                    Ok(()) => {
                        due = None;
                        retry = RETRY_FIRST;
                    }
                    Err(e) => {
                        let message = format!("stock message: {e}; trying again in {} s", retry.as_secs());
                        fleet.bot_log(bot.id, "warn", "stock_message", message).await;
                        due = Some(Due::after(retry));
                        retry = (retry * 2).min(RETRY_MAX);
                    }
                }
            }
        }
    }
}

impl Keeper {
    /// Which channels to write to: of each kind, every server's own, and the bot's own unless its
    /// server has one of its own.
    async fn plan(&mut self, own: StockChannels, servers: &[(u64, StockChannels)]) -> Plan {
        let mut lists: [Vec<u64>; 3] = Default::default();
        let mut replaced = [None; 3];
        // The bot's channels are often one channel: its server is read once.
        let mut servers_of: HashMap<u64, Option<u64>> = HashMap::new();
        for ((kind, list), replaced) in KINDS.iter().zip(lists.iter_mut()).zip(replaced.iter_mut()) {
            list.extend(servers.iter().filter_map(|(_, c)| kind(c)));
            let Some(mine) = kind(&own) else { continue };
            let mut overridden = false;
            if !list.is_empty() {
                let guild = match servers_of.get(&mine) {
                    Some(known) => *known,
                    None => {
                        let read = self.guild_of(mine).await;
                        servers_of.insert(mine, read);
                        read
                    }
                };
                if let Some(guild) = guild {
                    overridden = servers.iter().any(|(g, c)| *g == guild && kind(c).is_some());
                }
            }
            if overridden {
                *replaced = Some(mine);
            } else {
                list.push(mine);
            }
        }
        for list in &mut lists {
            list.sort_unstable();
            list.dedup();
        }
        let [stock, back_in_stock, low_stock] = lists;
        // A server naming the bot's own channel as its own keeps it in use.
        let replaced_low = replaced[2].filter(|c| !low_stock.contains(c));
        Plan { stock, back_in_stock, low_stock, replaced_low }
    }

    /// The server a channel is in, read from Discord (`None`, with a bot log line, when Discord
    /// does not say: the bot's channel is then kept).
    async fn guild_of(&mut self, channel: u64) -> Option<u64> {
        let read = match self.rest.call(self.http.channel(id(channel))).await {
            Ok(response) => read_model::<Channel>(response).await,
            Err(f) => Err(f),
        };
        match read {
            Ok(found) => found.guild_id.map(Id::get),
            Err(f) => {
                let message = format!(
                    "could not read which server channel {channel} is in ({}); it stays in use beside the servers' own",
                    f.message
                );
                self.fleet.bot_log(self.bot_id, "warn", "stock_message", message).await;
                None
            }
        }
    }

    /// Takes over the stored stock messages; those in a channel that is no longer a stock channel
    /// are deleted and forgotten.
    async fn adopt(&mut self, stored: Vec<Posted>) {
        let mut dropped = Vec::new();
        for p in stored {
            if self.plan.stock.contains(&p.channel_id) {
                let slots = self.catalogues.entry(p.channel_id).or_default();
                // Positions are contiguous from 0 (a gap is posted again from there).
                if slots.len() == p.position {
                    slots.push(Slot { message_id: p.message_id, hash: p.content_hash, lost: false });
                }
                continue;
            }
            self.pacer(p.channel_id).await;
            let _ = self.rest.call(self.http.delete_message(id(p.channel_id), id(p.message_id))).await;
            if !dropped.contains(&p.channel_id) {
                dropped.push(p.channel_id);
            }
        }
        for channel in dropped {
            self.forget_from(channel, 0).await;
        }
    }

    /// A stock channel's messages.
    fn slots(&mut self, channel: u64) -> &mut Vec<Slot> {
        self.catalogues.entry(channel).or_default()
    }

    /// Marks a deleted stock message; true if it was one.
    fn lost(&mut self, channel: u64, message: u64) -> bool {
        let Some(slots) = self.catalogues.get_mut(&channel) else { return false };
        let slot = slots.iter_mut().find(|s| s.message_id == message);
        slot.map(|s| s.lost = true).is_some()
    }

    async fn pacer(&mut self, channel: u64) {
        self.pacers.entry(channel).or_default().ready().await;
    }

    /// Brings every channel up to date. Every channel is tried; the first failure is returned (the
    /// render is then retried: channels already up to date cost nothing).
    async fn render(&mut self) -> Result<(), RenderError> {
        let products = repo::list(&self.fleet.store, false).await?;
        self.announce(&products).await;
        self.known = Some(products.iter().map(|p| (p.id, p.stock)).collect());
        // Before the catalogue, so a catalogue showing a change means its notices were handled;
        // a notice to retry does not hold the catalogue back.
        let mut outcome = self.notify_low().await;
        let visible: Vec<Product> = products.into_iter().filter(|p| p.visible).collect();
        let embeds = display::catalogue_embeds(&visible);
        for channel in self.plan.stock.clone() {
            let shown = self.show(channel, &embeds).await;
            outcome = outcome.and(shown);
        }
        outcome
    }

    /// Sends the bot's open low-stock notices, each once to its channel (see the module's notes).
    /// A send whose outcome is unknown (a timeout, a 5xx) stays `sending` and fails the render,
    /// which retries it with the same nonce. A notice for a channel this task does not write to is
    /// sent when the database says the channel is one of the bot's now (a setting newer than the
    /// task), and skipped otherwise.
    async fn notify_low(&mut self) -> Result<(), RenderError> {
        if self.plan.low_stock.is_empty() {
            return Ok(());
        }
        let store = self.fleet.store.clone();
        let window = i64::try_from(low::NONCE_WINDOW.as_millis()).unwrap_or(i64::MAX);
        let mut unsure = None;
        for notice in low::open(&store, self.bot_id).await? {
            let now = self.fleet.clock.now_ms();
            if notice.attempted_at.is_some_and(|first| now.saturating_sub(first) > window) {
                let why =
                    "its send was not confirmed within Discord's nonce window; not sent again, to never post it twice";
                low::finish(&store, notice.id, Outcome::Unknown, Some(why), now).await?;
                let message = format!("low-stock notice {} may not have been posted: {why}", notice.id);
                self.fleet.bot_log(self.bot_id, "warn", "stock_message", message).await;
                continue;
            }
            let channel = notice.channel_id;
            let elsewhere = if self.plan.low_stock.contains(&channel) {
                None
            } else if self.plan.replaced_low == Some(channel) {
                Some("its server has a low-stock channel of its own")
            } else if low::is_channel_of(&store, self.bot_id, channel).await? {
                None
            } else {
                Some("its channel is no longer a low-stock channel of this bot")
            };
            if let Some(why) = elsewhere.filter(|_| notice.state == "pending") {
                low::finish(&store, notice.id, Outcome::Skipped, Some(why), now).await?;
                continue;
            }
            if notice.state == "pending" && !low::still_low(&store, &notice).await? {
                let why = "the product is no longer low, or crossed again since";
                low::finish(&store, notice.id, Outcome::Skipped, Some(why), now).await?;
                continue;
            }
            self.pacer(channel).await;
            low::sending(&store, notice.id, self.fleet.clock.now_ms()).await?;
            // Product names are the shop's text: they must not ping anyone.
            let quiet = AllowedMentions::default();
            let nonce = low::nonce(notice.id);
            let once = OnceMessage {
                content: &notice.content,
                embeds: &[],
                components: &[],
                allowed_mentions: &quiet,
                message_reference: None,
                nonce: &nonce,
                enforce_nonce: true,
            };
            match self.rest.call(once.send(&self.http, channel)).await {
                Ok(response) => {
                    let message = read_model(response).await.ok().map(|m| m.id.get());
                    let now = self.fleet.clock.now_ms();
                    low::finish(&store, notice.id, Outcome::Sent(message), None, now).await?;
                }
                Err(f) if f.status.is_some_and(|s| (400..500).contains(&s) && s != 429) => {
                    // Refused: nothing was posted.
                    let why = format!(
                        "Discord refused it: {}{}",
                        f.message,
                        f.code.map(|c| format!(" ({c})")).unwrap_or_default()
                    );
                    low::finish(&store, notice.id, Outcome::Failed, Some(&why), self.fleet.clock.now_ms()).await?;
                    let message = format!("low-stock notice failed: {why}");
                    self.fleet.bot_log(self.bot_id, "warn", "stock_message", message).await;
                }
                Err(f) => unsure = Some(f),
            }
        }
        unsure.map_or(Ok(()), |f| Err(discord("posting a low-stock notice")(f)))
    }

    /// Posts "Back in stock: …" in each back-in-stock channel for visible products that had 0 at
    /// the last render and have more now (one message per channel; never retried, so never
    /// announced twice).
    async fn announce(&mut self, products: &[Product]) {
        let Some(known) = &self.known else { return };
        let back: Vec<&Product> =
            products.iter().filter(|p| p.visible && p.stock > 0 && known.get(&p.id) == Some(&0)).collect();
        if back.is_empty() {
            return;
        }
        let mut text = String::from("Back in stock: ");
        for (i, p) in back.iter().enumerate() {
            let name = format!("{}**{}**", if i > 0 { ", " } else { "" }, display::escape(&p.name));
            if text.chars().count() + name.chars().count() > 1950 {
                text.push_str(&format!(" and {} more", back.len() - i));
                break;
            }
            text.push_str(&name);
        }
        // Product names are the shop's text: they must not ping anyone.
        let quiet = AllowedMentions::default();
        for channel in self.plan.back_in_stock.clone() {
            self.pacer(channel).await;
            let post = self.http.create_message(id(channel)).content(&text).allowed_mentions(Some(&quiet));
            if let Err(f) = self.rest.call(post).await {
                let message = format!("back-in-stock announcement in channel {channel} failed: {}", f.message);
                self.fleet.bot_log(self.bot_id, "warn", "stock_message", message).await;
            }
        }
    }

    /// Makes a stock channel show `embeds`, one per message.
    async fn show(&mut self, channel: u64, embeds: &[Embed]) -> Result<(), RenderError> {
        let hashes: Vec<String> = embeds.iter().map(hash).collect();
        for (i, embed) in embeds.iter().enumerate() {
            let Some(slot) = self.slots(channel).get(i).filter(|s| !s.lost).cloned() else {
                return self.replace_from(channel, i, embeds, &hashes).await;
            };
            if slot.hash == hashes[i] {
                continue;
            }
            self.pacer(channel).await;
            let edit =
                self.http.update_message(id(channel), id(slot.message_id)).embeds(Some(std::slice::from_ref(embed)));
            match self.rest.call(edit).await {
                Ok(_) => {
                    self.remember(channel, i, slot.message_id, &hashes[i]).await;
                }
                Err(f) if matches!(f.code, Some(UNKNOWN_MESSAGE | OLD_MESSAGE_EDITS)) => {
                    let why = if f.code == Some(UNKNOWN_MESSAGE) { "was deleted" } else { "cannot be edited for now" };
                    let message = format!(
                        "stock message {} {why} (Discord {}); posting it again",
                        slot.message_id,
                        f.code.unwrap_or(0)
                    );
                    self.fleet.bot_log(self.bot_id, "info", "stock_message", message).await;
                    return self.replace_from(channel, i, embeds, &hashes).await;
                }
                Err(f) => return Err(discord("editing the stock message")(f)),
            }
        }
        while self.slots(channel).len() > embeds.len() {
            let Some(surplus) = self.slots(channel).pop() else { break };
            if !surplus.lost {
                self.pacer(channel).await;
                let delete = self.http.delete_message(id(channel), id(surplus.message_id));
                if let Err(f) = self.rest.call(delete).await {
                    if f.code != Some(UNKNOWN_MESSAGE) {
                        self.slots(channel).push(surplus);
                        return Err(discord("deleting a surplus stock message")(f));
                    }
                }
            }
            let kept = self.slots(channel).len();
            self.forget_from(channel, kept).await;
        }
        Ok(())
    }

    /// Deletes the messages from `from` on and posts `embeds[from..]` afresh (in order, so the
    /// catalogue reads top to bottom).
    async fn replace_from(
        &mut self,
        channel: u64,
        from: usize,
        embeds: &[Embed],
        hashes: &[String],
    ) -> Result<(), RenderError> {
        let slots = self.slots(channel);
        let old = slots.split_off(from.min(slots.len()));
        self.forget_from(channel, from).await;
        for slot in old.into_iter().filter(|s| !s.lost) {
            self.pacer(channel).await;
            // Best effort: a message that cannot be deleted stays, stale, above the new ones.
            let _ = self.rest.call(self.http.delete_message(id(channel), id(slot.message_id))).await;
        }
        for (i, embed) in embeds.iter().enumerate().skip(from) {
            self.pacer(channel).await;
            let post = self.http.create_message(id(channel)).embeds(std::slice::from_ref(embed));
            let response = self.rest.call(post).await.map_err(discord("posting the stock message"))?;
            let message = read_model(response).await.map_err(discord("posting the stock message"))?;
            self.slots(channel).push(Slot { message_id: message.id.get(), hash: hashes[i].clone(), lost: false });
            self.remember(channel, i, message.id.get(), &hashes[i]).await;
        }
        Ok(())
    }

    /// Records a message as showing `hash`, in memory and in the database.
    async fn remember(&mut self, channel: u64, position: usize, message_id: u64, hash: &str) {
        if let Some(slot) = self.slots(channel).get_mut(position) {
            slot.hash = hash.to_owned();
        }
        let posted = Posted { position, channel_id: channel, message_id, content_hash: hash.to_owned() };
        if let Err(e) = messages::save(&self.fleet.store, self.bot_id, &posted, self.fleet.clock.now_ms()).await {
            tracing::warn!(bot_id = self.bot_id, error = %e, "saving a stock message id failed");
        }
    }

    async fn forget_from(&self, channel: u64, position: usize) {
        if let Err(e) = messages::forget_from(&self.fleet.store, self.bot_id, channel, position).await {
            tracing::warn!(bot_id = self.bot_id, error = %e, "forgetting stock message ids failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_rendered_within_max_wait_and_renders_keep_their_gap() {
        let start = Instant::now();
        let due = Due { first: start, last: start, not_before: None };
        assert_eq!(due.at(None), start + QUIET, "a lone change waits for quiet");
        let busy = Due { last: start + Duration::from_millis(900), ..due };
        assert_eq!(busy.at(None), start + MAX_WAIT, "never later than MAX_WAIT after the first change");
        assert_eq!(due.at(Some(start)), start + MIN_GAP, "renders keep MIN_GAP apart");
        let retry = Due { not_before: Some(start + RETRY_FIRST), ..due };
        assert_eq!(retry.at(None), start + RETRY_FIRST);
    }

    #[tokio::test]
    async fn writes_are_paced_within_the_window() {
        let window = Duration::from_millis(200);
        let mut pacer = Pacer { sent: VecDeque::new(), max: 2, window };
        let begin = Instant::now();
        pacer.ready().await;
        pacer.ready().await;
        assert!(begin.elapsed() < window, "two fit at once");
        pacer.ready().await;
        assert!(begin.elapsed() >= window, "the third waits for the window");
    }
}
