//! Requests carried out by the node that runs the bot (several nodes): a message sent as a bot
//! another node runs goes through that node's REST client and rate limiter (one budget per bot,
//! shared with its replies), a bot's health is read where its gateway figures are, and a restart
//! is made where the bot runs (its session resumed there).
//!
//! The asking node writes the request as a row (`node_asks`: any size travels), wakes the owner
//! through the nodes' bus (`<node>:<id>`; the owner also looks for rows every ownership round,
//! should a wake be lost) and reads the answer from the row. The owner takes a row once
//! (`taken_at`), so it is carried out at most once. An ask not taken within [`FORWARD_WAIT`] is
//! withdrawn (503 naming the node: nothing was done); one taken is waited for while the owner's
//! REST call may still run (its own bound), then answered 503 "may have been carried out".

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::ownership::FORWARD_WAIT;
use super::runner::REST_TIMEOUT;
use super::Fleet;
use crate::bots::Status;
use crate::discord::message::{Outgoing, OutgoingParts};
use crate::discord::{read_model, Failure};
use crate::error::{Error, Result};
use crate::metrics::runtime::BotRuntime;

/// The bus messages that wake an owner.
pub const KIND: &str = "ask";

/// How often the asker looks for the answer.
const POLL: Duration = Duration::from_millis(20);

/// Rows older than this are deleted (by the owner's rounds).
const KEEP_MS: i64 = 3_600_000;

/// What one node asks of the node that runs a bot.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ask {
    /// Post a checked message to a channel as the bot.
    SendMessage { channel_id: u64, message: OutgoingParts },
    /// The bot's status and connection figures.
    Health,
    /// Restart the bot (its session resumed when its token and intents are unchanged).
    Restart,
}

/// The owner's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    /// Discord's answer to the message.
    Sent { outcome: std::result::Result<Created, Failure> },
    /// The bot as its node sees it.
    Health { status: String, reason: Option<String>, runtime: Box<BotRuntime>, events_per_s: f64 },
    /// The bot restarted: its status after.
    Restarted { status: String },
    /// That node does not run the bot any more (it moved meanwhile).
    NotHere,
    /// The owner could not carry it out (its words).
    Failed { message: String },
}

/// The message Discord created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    pub message_id: u64,
    pub channel_id: u64,
}

/// A bot's status and figures, wherever it runs.
#[derive(Debug, Clone)]
pub struct BotFigures {
    pub status: Status,
    pub reason: Option<String>,
    pub runtime: BotRuntime,
    pub events_per_s: f64,
}

impl Fleet {
    /// Posts a checked message to `channel_id` as the bot: through this node's client for the
    /// bot, or (several nodes) the node that runs it. `Ok(Err)` is Discord's refusal.
    pub async fn send_as(
        &self,
        bot_id: i64,
        channel_id: u64,
        message: &Outgoing,
    ) -> Result<std::result::Result<Created, Failure>> {
        if let Some(node) = self.runs_elsewhere(bot_id).await? {
            let ask = Ask::SendMessage { channel_id, message: message.parts() };
            match self.ask(&node, bot_id, &ask).await? {
                Answer::Sent { outcome } => return Ok(outcome),
                Answer::Failed { message } => return Err(Error::OtherNode(format!("node {node}: {message}"))),
                // Moved meanwhile: sent from here (its new node's limiter does not see this one call).
                Answer::NotHere | Answer::Health { .. } | Answer::Restarted { .. } => {}
            }
        }
        self.send_here(bot_id, channel_id, message).await
    }

    async fn send_here(
        &self,
        bot_id: i64,
        channel_id: u64,
        message: &Outgoing,
    ) -> Result<std::result::Result<Created, Failure>> {
        let rest = self.rest(bot_id).await?;
        // A call made as the bot: counted in its REST calls (and 429s), running or not.
        Ok(match rest.meter.call(message.send(&rest.http, channel_id)).await {
            Ok(response) => {
                read_model(response).await.map(|m| Created { message_id: m.id.get(), channel_id: m.channel_id.get() })
            }
            Err(failure) => Err(failure),
        })
    }

    /// A bot's status and connection figures: from this node, or (several nodes) the node that
    /// runs it.
    pub async fn figures(&self, bot_id: i64) -> Result<BotFigures> {
        if let Some(node) = self.runs_elsewhere(bot_id).await? {
            match self.ask(&node, bot_id, &Ask::Health).await? {
                Answer::Health { status, reason, runtime, events_per_s } => {
                    let status = Status::parse(&status).unwrap_or(Status::Starting);
                    return Ok(BotFigures { status, reason, runtime: *runtime, events_per_s });
                }
                Answer::Failed { message } => return Err(Error::OtherNode(format!("node {node}: {message}"))),
                Answer::NotHere | Answer::Sent { .. } | Answer::Restarted { .. } => {}
            }
        }
        Ok(self.figures_here(bot_id))
    }

    /// Restarts a bot `node` runs, through that node; its status after.
    pub(super) async fn restart_elsewhere(&self, bot_id: i64, node: &str) -> Result<Status> {
        match self.ask(node, bot_id, &Ask::Restart).await? {
            Answer::Restarted { status } => Ok(Status::parse(&status).unwrap_or(Status::Starting)),
            Answer::Failed { message } => Err(Error::OtherNode(format!("node {node}: {message}"))),
            Answer::NotHere | Answer::Sent { .. } | Answer::Health { .. } => Err(super::ownership::in_transit(bot_id)),
        }
    }

    fn figures_here(&self, bot_id: i64) -> BotFigures {
        let (status, reason, runtime) = self.runtime(bot_id);
        BotFigures { status, reason, runtime, events_per_s: self.events_per_second(bot_id) }
    }

    /// Several nodes: the node that runs the bot (its home, when its shards are spread), when it
    /// is not this one.
    async fn runs_elsewhere(&self, bot_id: i64) -> Result<Option<String>> {
        let Some(leases) = self.leases() else { return Ok(None) };
        if self.home_here(bot_id) {
            return Ok(None);
        }
        leases.holder_elsewhere(bot_id).await
    }

    /// Asks `node` to carry out `ask` for `bot_id` and waits for its answer (see the module).
    async fn ask(&self, node: &str, bot_id: i64, ask: &Ask) -> Result<Answer> {
        let json =
            serde_json::to_string(ask).map_err(|e| Error::Config(format!("a request could not be written: {e}")))?;
        let store = &self.inner.store;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO node_asks (to_node, bot_id, ask, asked_at) VALUES ($1, $2, $3, botfleet_now_ms()) RETURNING id",
        )
        .bind(node.to_owned())
        .bind(bot_id)
        .bind(json)
        .fetch_one(store.pool())
        .await?;
        if let Some(bus) = self.inner.node_bus.get() {
            // A lost wake costs up to one ownership round: the owner looks for rows then too.
            if let Err(why) = bus.send_to_nodes(KIND, &format!("{node}:{id}")).await {
                tracing::debug!(error = %why, "could not wake the node that runs a bot; it finds the request itself");
            }
        }
        let mut deadline = Instant::now() + FORWARD_WAIT;
        let mut taken = false;
        loop {
            let answer: Option<Option<String>> = sqlx::query_scalar("SELECT answer FROM node_asks WHERE id = $1")
                .bind(id)
                .fetch_optional(store.pool())
                .await?;
            if let Some(Some(answer)) = answer {
                return serde_json::from_str(&answer)
                    .map_err(|e| Error::OtherNode(format!("node {node} answered what this node cannot read: {e}")));
            }
            if Instant::now() >= deadline {
                if taken {
                    return Err(Error::OtherNode(format!(
                        "bot {bot_id} runs on node {node}, which took the request but did not answer in time: it may \
                         have been carried out (GET /api/v1/nodes shows that node)"
                    )));
                }
                let withdrawn = sqlx::query("UPDATE node_asks SET taken_at = -1 WHERE id = $1 AND taken_at IS NULL")
                    .bind(id)
                    .execute(store.pool())
                    .await?
                    .rows_affected();
                if withdrawn == 1 {
                    return Err(Error::OtherNode(format!(
                        "bot {bot_id} runs on node {node}, which did not take the request within {} s; nothing was \
                         done (GET /api/v1/nodes shows that node)",
                        FORWARD_WAIT.as_secs()
                    )));
                }
                // Taken just now: its REST call has its own bound.
                taken = true;
                deadline = Instant::now() + REST_TIMEOUT + Duration::from_secs(2);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Carries out the requests other nodes made of this one that wait (called by the ownership
    /// round, should a wake have been lost), and deletes old ones.
    pub(super) async fn asks_waiting(&self) -> Result<()> {
        let Some(leases) = self.leases() else { return Ok(()) };
        let store = &self.inner.store;
        let waiting: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM node_asks WHERE to_node = $1 AND taken_at IS NULL AND asked_at >= botfleet_now_ms() - $2",
        )
        .bind(leases.node().to_owned())
        .bind(i64::try_from(FORWARD_WAIT.as_millis()).unwrap_or(i64::MAX))
        .fetch_all(store.pool())
        .await?;
        for id in waiting {
            let fleet = self.clone();
            tokio::spawn(async move { fleet.carry_out(id).await });
        }
        sqlx::query("DELETE FROM node_asks WHERE asked_at < botfleet_now_ms() - $1")
            .bind(KEEP_MS)
            .execute(store.pool())
            .await?;
        Ok(())
    }

    /// Takes request `id` (if it is this node's and nobody took or withdrew it), carries it out
    /// and writes the answer.
    pub(super) async fn carry_out(&self, id: i64) {
        let Some(leases) = self.leases() else { return };
        let store = &self.inner.store;
        let taken: std::result::Result<Option<(i64, String)>, sqlx::Error> = sqlx::query_as(
            "UPDATE node_asks SET taken_at = botfleet_now_ms() WHERE id = $1 AND to_node = $2 AND taken_at IS NULL \
             RETURNING bot_id, ask",
        )
        .bind(id)
        .bind(leases.node().to_owned())
        .fetch_optional(store.pool())
        .await;
        let (bot_id, ask) = match taken {
            Ok(Some(row)) => row,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(request = id, error = %e, "could not take a request from another node");
                return;
            }
        };
        let answer = match serde_json::from_str::<Ask>(&ask) {
            Err(e) => Answer::Failed { message: format!("this node cannot read the request (another version?): {e}") },
            Ok(_) if !super::lock(&self.inner.tasks).contains_key(&bot_id) => Answer::NotHere,
            Ok(Ask::Health) if !self.home_here(bot_id) => Answer::NotHere,
            Ok(Ask::Health) => {
                let f = self.figures_here(bot_id);
                Answer::Health {
                    status: f.status.as_str().to_owned(),
                    reason: f.reason,
                    runtime: Box::new(f.runtime),
                    events_per_s: f.events_per_s,
                }
            }
            Ok(Ask::Restart) => {
                let _turn = self.turn().await;
                match self.restart_here(bot_id).await {
                    Ok(transition) => Answer::Restarted { status: transition.status.as_str().to_owned() },
                    Err(e) => Answer::Failed { message: e.to_string() },
                }
            }
            Ok(Ask::SendMessage { channel_id, message }) => {
                match self.send_here(bot_id, channel_id, &Outgoing::from_parts(message)).await {
                    Ok(outcome) => Answer::Sent { outcome },
                    Err(e) => Answer::Failed { message: e.to_string() },
                }
            }
        };
        let written = match serde_json::to_string(&answer) {
            Ok(json) => sqlx::query("UPDATE node_asks SET answer = $1, answered_at = botfleet_now_ms() WHERE id = $2")
                .bind(json)
                .bind(id)
                .execute(store.pool())
                .await
                .map(drop)
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(why) = written {
            tracing::warn!(request = id, bot_id, error = %why, "could not answer a request from another node");
        }
    }

    /// Carries out the requests the nodes' bus wakes this node for (the future runs until
    /// dropped); `None` with one node.
    pub(super) fn serve_asks(&self) -> Option<impl std::future::Future<Output = ()> + Send + 'static> {
        let node = self.leases()?.node().to_owned();
        let mut woken = self.inner.node_bus.get()?.receive_from_nodes(KIND, 1_024);
        let fleet = self.clone();
        Some(async move {
            while let Some(message) = woken.recv().await {
                let Some((to, id)) = message.rsplit_once(':') else { continue };
                if let (true, Ok(id)) = (to == node, id.parse::<i64>()) {
                    let fleet = fleet.clone();
                    tokio::spawn(async move { fleet.carry_out(id).await });
                }
            }
        })
    }
}
