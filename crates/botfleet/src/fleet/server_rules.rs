//! Each running bot's per-server rules (`bots::servers`: prefix, channels, anti-spam, stock
//! channels), read when
//! its runner starts and again whenever they change — at once through this node's API, through
//! another node's when the nodes' bus says so, and (several nodes) at the next ownership round
//! should that message be lost — so a running bot applies them without a restart.
//! A command looks its server's rules up in memory, never in the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::stock_message::ServerChannels;
use super::{lock, Fleet};
use crate::bots::servers::{self, ServerRules};
use crate::error::Result;

/// The nodes' bus messages saying a bot's server settings changed (the payload: its id).
pub const KIND: &str = "server_settings";

/// One bot's rules, by server.
type BotRules = Arc<HashMap<u64, Arc<ServerRules>>>;

/// The running bots' server rules, by bot and server.
#[derive(Debug)]
pub struct ServerRulesBook {
    bots: Mutex<HashMap<i64, BotRules>>,
    /// Counts changes of any bot's servers' stock channels (its runner then starts its stock task
    /// again).
    stock_changed: watch::Sender<u64>,
    /// Several nodes: each bot's server settings as the last ownership round saw them (count,
    /// versions summed, latest change); none before the first round.
    seen: Mutex<Option<HashMap<i64, SettingsSeen>>>,
}

/// How many servers of a bot have settings, their versions summed and the latest change.
type SettingsSeen = (i64, i64, i64);

impl Default for ServerRulesBook {
    fn default() -> Self {
        Self { bots: Mutex::default(), stock_changed: watch::Sender::new(0), seen: Mutex::default() }
    }
}

impl ServerRulesBook {
    /// The rules a bot applies in a server, if it has any there.
    pub fn get(&self, bot_id: i64, guild_id: u64) -> Option<Arc<ServerRules>> {
        lock(&self.bots).get(&bot_id).and_then(|servers| servers.get(&guild_id).cloned())
    }

    /// Sets a bot's rules (read from the database).
    pub fn set(&self, bot_id: i64, rules: HashMap<u64, ServerRules>) {
        let rules: HashMap<u64, Arc<ServerRules>> = rules.into_iter().map(|(guild, r)| (guild, Arc::new(r))).collect();
        let now = stock_channels(&rules);
        let before = lock(&self.bots).insert(bot_id, Arc::new(rules));
        if before.is_some_and(|b| stock_channels(&b) != now) {
            self.stock_changed.send_modify(|n| *n += 1);
        }
    }

    /// A bot's servers with stock channels of their own, by server id.
    pub fn stock_channels(&self, bot_id: i64) -> ServerChannels {
        lock(&self.bots).get(&bot_id).map(|rules| stock_channels(rules)).unwrap_or_default()
    }

    /// Changes when any bot's servers' stock channels change.
    pub fn stock_changes(&self) -> watch::Receiver<u64> {
        self.stock_changed.subscribe()
    }

    /// Forgets a bot's rules (it stopped here).
    pub fn forget(&self, bot_id: i64) {
        lock(&self.bots).remove(&bot_id);
    }
}

fn stock_channels(rules: &HashMap<u64, Arc<ServerRules>>) -> ServerChannels {
    let mut servers: ServerChannels =
        rules.iter().filter(|(_, r)| !r.stock.is_empty()).map(|(guild, r)| (*guild, r.stock)).collect();
    servers.sort_unstable();
    servers
}

impl Fleet {
    /// A bot's server settings changed: a runner of it here reads them again now, and (several
    /// nodes) so do the other nodes'.
    pub async fn server_settings_changed(&self, bot_id: i64) {
        self.reload_server_rules(bot_id).await;
        if let Some(bus) = self.inner.node_bus.get() {
            if let Err(why) = bus.send_to_nodes(KIND, &bot_id.to_string()).await {
                tracing::warn!(bot_id, error = %why, "could not tell the other nodes that a bot's server settings changed");
            }
        }
    }

    /// Reads a bot's server rules again if it runs here.
    async fn reload_server_rules(&self, bot_id: i64) {
        if !lock(&self.inner.tasks).contains_key(&bot_id) {
            return;
        }
        match servers::rules(&self.inner.store, bot_id).await {
            Ok(rules) => self.inner.server_rules.set(bot_id, rules),
            Err(e) => tracing::warn!(bot_id, error = %e, "could not read a bot's changed server settings"),
        }
    }

    /// Several nodes, each ownership round: reads again the rules of bots running here whose
    /// settings changed since the last round without this node hearing of it (a bus message lost
    /// while its listener reconnected), told by one query: per bot, how many servers have
    /// settings, their versions summed and the latest change.
    pub(super) async fn catch_up_server_settings(&self) -> Result<()> {
        let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
            "SELECT bot_id, COUNT(*), COALESCE(SUM(version), 0), COALESCE(MAX(updated_at), 0) FROM server_settings \
             GROUP BY bot_id",
        )
        .fetch_all(self.inner.store.pool())
        .await?;
        let now: HashMap<i64, SettingsSeen> = rows.into_iter().map(|(bot, n, v, at)| (bot, (n, v, at))).collect();
        let changed: Vec<i64> = {
            let mut seen = lock(&self.inner.server_rules.seen);
            let first = seen.is_none();
            let before = seen.replace(now.clone()).unwrap_or_default();
            if first {
                Vec::new()
            } else {
                let bots: std::collections::HashSet<i64> = before.keys().chain(now.keys()).copied().collect();
                bots.into_iter().filter(|bot| before.get(bot) != now.get(bot)).collect()
            }
        };
        for bot_id in changed {
            self.reload_server_rules(bot_id).await;
        }
        Ok(())
    }

    /// Reads again the server rules the nodes' bus says changed (the future runs until dropped);
    /// `None` with one node.
    pub(super) fn follow_server_settings(&self) -> Option<impl std::future::Future<Output = ()> + Send + 'static> {
        let mut changed = self.inner.node_bus.get()?.receive_from_nodes(KIND, 256);
        let fleet = self.clone();
        Some(async move {
            while let Some(message) = changed.recv().await {
                if let Ok(bot_id) = message.parse::<i64>() {
                    fleet.reload_server_rules(bot_id).await;
                }
            }
        })
    }
}
