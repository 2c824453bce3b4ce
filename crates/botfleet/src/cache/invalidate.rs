//! Invalidations: a change written through this node clears the caches of its topic here at once,
//! and is announced to the other nodes sharing the database — through Redis pub/sub when a Redis
//! URL is set, otherwise through PostgreSQL `LISTEN/NOTIFY` — which clear theirs when it arrives.
//! The same channel carries other messages between the nodes, of a kind named by whoever sends
//! them (`send_to_nodes`, `receive_from_nodes`): the live events of every node (`live::bridge`).
//!
//! A notification is `<node>:<topic>` on the channel `botfleet_cache_<cluster>`, where the cluster
//! id is made once per database (the `settings` row `cluster_id`), so that botfleets sharing a
//! Redis do not clear each other's caches; a node ignores its own notifications. While the
//! listener is disconnected, notifications are lost: each (re)connection clears every cache, and
//! an entry never outlives its time to live in any case. Announcing is best effort: a failure is
//! logged, and the other nodes see the change within the time to live.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;

use super::{CacheFigures, Clear, Topic};
use crate::store::{Backend, Store};

/// The channel names' prefix, on Redis and on PostgreSQL.
pub const CHANNEL_PREFIX: &str = "botfleet_cache_";

/// Marks a message that is not a cache topic: `<node>:@<kind>:<payload>`.
const MESSAGE_MARK: &str = "@";

/// The largest message PostgreSQL's `NOTIFY` carries is 8,000 bytes; this leaves room for the
/// node and kind in front of a payload.
pub const MESSAGE_MAX: usize = 7_800;

/// How long announcing a change may take before it is given up (logged).
const ANNOUNCE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a shared count may take (it is on every API request's path).
pub const COUNT_TIMEOUT: Duration = Duration::from_millis(250);

/// The wait before connecting the listener again.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// How the other nodes are told.
enum Remote {
    /// One node (SQLite): nobody to tell.
    None,
    /// PostgreSQL `NOTIFY` through the pool; `LISTEN` on a connection of its own to `url`.
    Postgres { store: Store, url: String },
    /// Redis `PUBLISH` / `SUBSCRIBE`.
    Redis { client: redis::Client, publisher: Mutex<Option<redis::aio::MultiplexedConnection>> },
}

/// Where Redis stands, for the readiness check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisState {
    /// No Redis URL is set.
    NotConfigured,
    /// The listener is subscribed.
    Connected,
    /// The listener is not connected: what went wrong last.
    Unreachable(String),
}

struct Inner {
    /// This process's id in notifications (random per start).
    node: String,
    /// The channel of the nodes sharing this database.
    channel: String,
    caches: Mutex<Vec<(Topic, Arc<dyn Clear>)>>,
    remote: Remote,
    /// Redis: whether the listener is subscribed, and the last failure.
    redis_up: AtomicBool,
    redis_error: Mutex<Option<String>>,
    /// Where messages of each kind from other nodes go (`receive_from_nodes`).
    sinks: Mutex<Vec<(&'static str, tokio::sync::mpsc::Sender<String>)>>,
    /// Notifications from other nodes applied, and listener (re)connections (tests wait on them).
    received: AtomicU64,
    connections: AtomicU64,
}

/// The invalidation bus; cloning shares it.
#[derive(Clone)]
pub struct Invalidations {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Invalidations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invalidations").field("node", &self.inner.node).finish()
    }
}

impl Invalidations {
    fn with(remote: Remote, channel: String) -> Self {
        Self {
            inner: Arc::new(Inner {
                node: format!("{:016x}", rand::random::<u64>()),
                channel,
                caches: Mutex::new(Vec::new()),
                sinks: Mutex::new(Vec::new()),
                remote,
                redis_up: AtomicBool::new(false),
                redis_error: Mutex::new(None),
                received: AtomicU64::new(0),
                connections: AtomicU64::new(0),
            }),
        }
    }

    /// This node only (SQLite, tools and tests).
    pub fn local() -> Self {
        Self::with(Remote::None, String::new())
    }

    /// The bus for a service on `store` (reached at `database_url`), through Redis at `redis_url`
    /// when given. A Redis URL that cannot be read is a configuration error.
    pub async fn new(store: &Store, database_url: &str, redis_url: Option<&str>) -> crate::error::Result<Self> {
        let remote = match (redis_url, store.backend()) {
            (Some(url), _) => {
                let client = redis::Client::open(url).map_err(|e| {
                    crate::error::Error::Config(format!("BOTFLEET_REDIS_URL: {e} (expected redis://host:port/db)"))
                })?;
                Remote::Redis { client, publisher: Mutex::new(None) }
            }
            (None, Backend::Postgres) => Remote::Postgres { store: store.clone(), url: database_url.to_owned() },
            (None, Backend::Sqlite) => return Ok(Self::local()),
        };
        Ok(Self::with(remote, format!("{CHANNEL_PREFIX}{}", cluster_id(store).await?)))
    }

    /// Has `cache` cleared whenever `topic` changes.
    pub fn register(&self, topic: Topic, cache: Arc<dyn Clear>) {
        self.caches().push((topic, cache));
    }

    fn caches(&self) -> std::sync::MutexGuard<'_, Vec<(Topic, Arc<dyn Clear>)>> {
        self.inner.caches.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every registered cache's figures.
    pub fn figures(&self) -> Vec<CacheFigures> {
        self.caches().iter().map(|(_, c)| c.figures()).collect()
    }

    /// Notifications from other nodes applied so far.
    pub fn received(&self) -> u64 {
        self.inner.received.load(Ordering::Relaxed)
    }

    /// Times the listener has (re)connected.
    pub fn connections(&self) -> u64 {
        self.inner.connections.load(Ordering::Relaxed)
    }

    fn clear(&self, topic: Option<Topic>) {
        let caches: Vec<Arc<dyn Clear>> = self
            .caches()
            .iter()
            .filter(|(t, _)| topic.is_none_or(|topic| *t == topic))
            .map(|(_, c)| c.clone())
            .collect();
        for c in caches {
            c.clear();
        }
    }

    /// A change to `topic` was committed through this node: clears its caches here, then tells
    /// the other nodes (best effort, bounded in time).
    pub async fn changed(&self, topic: Topic) {
        self.clear(Some(topic));
        self.announce(topic).await;
    }

    /// Tells the other nodes that `topic` changed every time `changes` moves (the changes made
    /// here that clear their own caches by another way, as the catalogue's count does), until the
    /// task is aborted.
    pub fn spawn_announcer(
        &self,
        topic: Topic,
        mut changes: tokio::sync::watch::Receiver<u64>,
    ) -> tokio::task::JoinHandle<()> {
        let bus = self.clone();
        tokio::spawn(async move {
            while changes.changed().await.is_ok() {
                bus.announce(topic).await;
            }
        })
    }

    /// Tells the other nodes that `topic` changed (best effort, bounded in time).
    async fn announce(&self, topic: Topic) {
        if let Err(why) = self.tell(topic.as_str()).await {
            tracing::warn!(
                topic = topic.as_str(),
                error = %why,
                "a cache invalidation could not be sent to the other nodes; they see the change within the cache's \
                 time to live"
            );
        }
    }

    /// Sends `payload` to the other nodes that receive messages of `kind` (best effort, bounded
    /// in time; lost for a node whose listener is reconnecting). On PostgreSQL a message must stay
    /// under [`MESSAGE_MAX`] bytes. Nothing to do with one node.
    pub async fn send_to_nodes(&self, kind: &'static str, payload: &str) -> Result<(), String> {
        self.tell(&format!("{MESSAGE_MARK}{kind}:{payload}")).await
    }

    /// The messages of `kind` the other nodes send, as they arrive (a full receiver loses the
    /// newest: the sender of the messages says what that costs).
    pub fn receive_from_nodes(&self, kind: &'static str, capacity: usize) -> tokio::sync::mpsc::Receiver<String> {
        let (tx, rx) = tokio::sync::mpsc::channel(capacity.max(1));
        self.inner.sinks.lock().unwrap_or_else(PoisonError::into_inner).push((kind, tx));
        rx
    }

    /// Adds one to the counter `key` kept in Redis for the nodes of this database (named after
    /// their channel), which lives `ttl`; the count after. `None` without Redis; `Some(Err)` when
    /// Redis did not answer within [`COUNT_TIMEOUT`] (the caller counts by itself then).
    pub async fn count(&self, key: &str, ttl: Duration) -> Option<Result<i64, String>> {
        let Remote::Redis { client, publisher } = &self.inner.remote else { return None };
        let name = format!("{}:{key}", self.inner.channel);
        let counted = async {
            let mut conn = connection(client, publisher).await?;
            let answer: redis::RedisResult<(i64,)> = redis::pipe()
                .atomic()
                .cmd("INCR")
                .arg(&name)
                .cmd("EXPIRE")
                .arg(&name)
                .arg(ttl.as_secs().max(1))
                .ignore()
                .query_async(&mut conn)
                .await;
            answer.map(|(n,)| n).map_err(|e| forget(publisher, e))
        };
        Some(match tokio::time::timeout(COUNT_TIMEOUT, counted).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {} ms", COUNT_TIMEOUT.as_millis())),
        })
    }

    /// Whether another node can be told anything (PostgreSQL or Redis).
    pub fn reaches_other_nodes(&self) -> bool {
        !matches!(self.inner.remote, Remote::None)
    }

    async fn tell(&self, what: &str) -> Result<(), String> {
        let message = format!("{}:{what}", self.inner.node);
        match &self.inner.remote {
            Remote::None => Ok(()),
            Remote::Postgres { store, .. } => {
                let notify = sqlx::query("SELECT pg_notify($1, $2)")
                    .bind(self.inner.channel.clone())
                    .bind(message)
                    .execute(store.pool());
                match tokio::time::timeout(ANNOUNCE_TIMEOUT, notify).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("no answer in time".to_owned()),
                }
            }
            Remote::Redis { client, publisher } => {
                let sent = publish(client, publisher, &self.inner.channel, &message);
                match tokio::time::timeout(ANNOUNCE_TIMEOUT, sent).await {
                    Ok(result) => result,
                    Err(_) => Err("no answer in time".to_owned()),
                }
            }
        }
    }

    /// A notification received: clears the topic's caches unless it came from this node.
    fn apply(&self, payload: &str) {
        let Some((node, topic)) = payload.split_once(':') else { return };
        if node == self.inner.node {
            return;
        }
        if let Some((kind, message)) = topic.strip_prefix(MESSAGE_MARK).and_then(|m| m.split_once(':')) {
            let sink = self
                .inner
                .sinks
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, tx)| tx.clone());
            match sink {
                Some(tx) => {
                    if tx.try_send(message.to_owned()).is_err() {
                        tracing::debug!(kind, "a message from another node was dropped: its receiver is full or gone");
                    }
                }
                None => tracing::debug!(kind, "a message from another node nobody here receives (a newer version?)"),
            }
            return;
        }
        match Topic::parse(topic) {
            Some(topic) => {
                self.clear(Some(topic));
                self.inner.received.fetch_add(1, Ordering::Relaxed);
            }
            None => tracing::debug!(topic, "unknown cache topic from another node (a newer version?)"),
        }
    }

    /// (Re)connected: whatever was announced meanwhile is lost, so every cache starts again.
    fn connected(&self) {
        self.clear(None);
        self.inner.connections.fetch_add(1, Ordering::Relaxed);
    }

    /// Where Redis stands.
    pub fn redis_state(&self) -> RedisState {
        match &self.inner.remote {
            Remote::Redis { .. } if self.inner.redis_up.load(Ordering::Relaxed) => RedisState::Connected,
            Remote::Redis { .. } => RedisState::Unreachable(
                self.inner
                    .redis_error
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone()
                    .unwrap_or_else(|| "not connected yet".to_owned()),
            ),
            _ => RedisState::NotConfigured,
        }
    }

    fn redis_down(&self, why: String) {
        let was_up = self.inner.redis_up.swap(false, Ordering::Relaxed);
        let mut last = self.inner.redis_error.lock().unwrap_or_else(PoisonError::into_inner);
        if was_up || last.is_none() {
            tracing::warn!(error = %why, "Redis is unreachable: caches clear on every change here and expire \
                                          within their time to live elsewhere; reconnecting");
        }
        *last = Some(why);
    }

    /// Listens for the other nodes' notifications until the task is aborted (nothing to do with
    /// one node).
    pub fn spawn_listener(&self) -> Option<tokio::task::JoinHandle<()>> {
        let bus = self.clone();
        match &self.inner.remote {
            Remote::None => None,
            Remote::Postgres { url, .. } => {
                let url = url.clone();
                Some(tokio::spawn(async move { bus.listen_postgres(&url).await }))
            }
            Remote::Redis { client, .. } => {
                let client = client.clone();
                Some(tokio::spawn(async move { bus.listen_redis(&client).await }))
            }
        }
    }

    async fn listen_postgres(&self, url: &str) {
        loop {
            match sqlx::postgres::PgListener::connect(url).await {
                Ok(mut listener) => match listener.listen(&self.inner.channel).await {
                    Ok(()) => {
                        self.connected();
                        loop {
                            match listener.try_recv().await {
                                Ok(Some(n)) => self.apply(n.payload()),
                                // The connection was lost; the next call connects again.
                                Ok(None) => self.connected(),
                                Err(e) => {
                                    tracing::warn!(error = %e, "cache invalidations: listening failed; reconnecting");
                                    break;
                                }
                            }
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cache invalidations: LISTEN failed; retrying"),
                },
                Err(e) => tracing::warn!(error = %e, "cache invalidations: cannot connect to listen; retrying"),
            }
            tokio::time::sleep(RECONNECT_AFTER).await;
        }
    }

    async fn listen_redis(&self, client: &redis::Client) {
        loop {
            match subscribe(client, &self.inner.channel).await {
                Ok(pubsub) => {
                    self.inner.redis_up.store(true, Ordering::Relaxed);
                    if self.inner.redis_error.lock().unwrap_or_else(PoisonError::into_inner).take().is_some() {
                        tracing::info!("Redis answers again: cache invalidations flow between nodes");
                    }
                    self.connected();
                    let mut messages = pubsub.into_on_message();
                    while let Some(message) = messages.next().await {
                        match message.get_payload::<String>() {
                            Ok(payload) => self.apply(&payload),
                            Err(e) => tracing::debug!(error = %e, "unreadable cache notification"),
                        }
                    }
                    self.redis_down("the connection closed".to_owned());
                }
                Err(e) => self.redis_down(e.to_string()),
            }
            tokio::time::sleep(RECONNECT_AFTER).await;
        }
    }

    /// Checks Redis answers a PING within a second (the readiness check); `None` without Redis.
    pub async fn ping_redis(&self) -> Option<Result<(), String>> {
        let Remote::Redis { client, publisher } = &self.inner.remote else { return None };
        let ping = async {
            let mut conn = connection(client, publisher).await?;
            let answer: redis::RedisResult<String> = redis::cmd("PING").query_async(&mut conn).await;
            answer.map(drop).map_err(|e| forget(publisher, e))
        };
        Some(match tokio::time::timeout(Duration::from_secs(1), ping).await {
            Ok(Ok(())) if self.inner.redis_up.load(Ordering::Relaxed) => Ok(()),
            Ok(Ok(())) => Err("Redis answers, but the invalidation listener is not subscribed yet".to_owned()),
            Ok(Err(e)) => Err(e),
            Err(_) => Err("no answer within 1 s".to_owned()),
        })
    }
}

/// The id of the nodes sharing this database, made by the first of them.
async fn cluster_id(store: &Store) -> crate::error::Result<String> {
    let fresh = format!("{:016x}", rand::random::<u64>());
    sqlx::query("INSERT INTO settings (name, value) VALUES ('cluster_id', $1) ON CONFLICT (name) DO NOTHING")
        .bind(fresh)
        .execute(store.pool())
        .await?;
    Ok(sqlx::query_scalar("SELECT value FROM settings WHERE name = 'cluster_id'").fetch_one(store.pool()).await?)
}

async fn subscribe(client: &redis::Client, channel: &str) -> redis::RedisResult<redis::aio::PubSub> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    Ok(pubsub)
}

/// The shared publishing connection, made when there is none.
async fn connection(
    client: &redis::Client,
    publisher: &Mutex<Option<redis::aio::MultiplexedConnection>>,
) -> Result<redis::aio::MultiplexedConnection, String> {
    if let Some(conn) = publisher.lock().unwrap_or_else(PoisonError::into_inner).clone() {
        return Ok(conn);
    }
    // Connected without the lock held; two callers at once may both connect, and one is kept.
    let conn = client.get_multiplexed_async_connection().await.map_err(|e| e.to_string())?;
    *publisher.lock().unwrap_or_else(PoisonError::into_inner) = Some(conn.clone());
    Ok(conn)
}

/// Drops the shared connection after a failure (the next use connects again).
fn forget(publisher: &Mutex<Option<redis::aio::MultiplexedConnection>>, e: redis::RedisError) -> String {
    *publisher.lock().unwrap_or_else(PoisonError::into_inner) = None;
    e.to_string()
}

async fn publish(
    client: &redis::Client,
    publisher: &Mutex<Option<redis::aio::MultiplexedConnection>>,
    channel: &str,
    message: &str,
) -> Result<(), String> {
    let mut conn = connection(client, publisher).await?;
    let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH").arg(channel).arg(message).query_async(&mut conn).await;
    sent.map(drop).map_err(|e| forget(publisher, e))
}
