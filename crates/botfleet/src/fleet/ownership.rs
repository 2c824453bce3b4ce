//! Several nodes on one PostgreSQL database: each bot runs on the one node holding its lease
//! (`nodes::leases`). Every [`RENEW_EVERY`] this node renews its leases, stops what it no longer
//! holds or should not run, starts what it holds, takes free bots up to its even share and hands
//! bots over above it (stopped with their session saved, then released, so the next holder
//! resumes it). A node that cannot renew stops its bots before its leases run out; a node stopping
//! cleanly stops its bots, saves their sessions and releases them.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{session, Fleet};
use crate::bots::Status;
use crate::cache::invalidate::Invalidations;
use crate::error::{Error, Result};
use crate::nodes::leases::{Claim, Leases, FENCE_MARGIN, LEASE_TTL, RENEW_EVERY};

impl Fleet {
    /// Runs this fleet's bots by lease, as one of several nodes: from now on a bot starts here
    /// only when this node holds its lease; `bus` wakes the node that runs a bot for a request
    /// made through another (`forward`).
    pub fn share_with_nodes(&self, leases: Leases, bus: Invalidations) {
        self.inner.sessions.fence_with(leases.node().to_owned());
        let _ = self.inner.leases.set(leases);
        let _ = self.inner.node_bus.set(bus);
    }

    /// The leases this fleet runs by (several nodes), if any.
    pub(super) fn leases(&self) -> Option<&Leases> {
        self.inner.leases.get()
    }

    /// Claims a bot for this node before it starts here: `None` when it may run here (no leases,
    /// or claimed now), else the node that runs it. A bot being handed between nodes is refused.
    pub(super) async fn claim_here(&self, bot_id: i64) -> Result<Option<String>> {
        let Some(leases) = self.leases() else { return Ok(None) };
        match leases.claim(bot_id).await? {
            Claim::Ours => {
                self.take_session(bot_id).await;
                Ok(None)
            }
            Claim::Theirs(node) if node.is_empty() => Err(in_transit(bot_id)),
            Claim::Theirs(node) => Ok(Some(node)),
        }
    }

    /// Gives up this node's lease on a bot stopped here.
    pub(super) async fn release_here(&self, bot_id: i64) {
        if let Some(leases) = self.leases() {
            if let Err(e) = leases.release(bot_id).await {
                tracing::warn!(bot_id, error = %e, "could not release a stopped bot's lease; it runs out by itself");
            }
        }
    }

    /// Reads the session the bot's previous node saved (it may have run elsewhere since this
    /// node last saw it).
    async fn take_session(&self, bot_id: i64) {
        match session::load(&self.inner.store, bot_id).await {
            Ok(saved) => self.inner.sessions.take_over(bot_id, saved),
            Err(e) => tracing::warn!(bot_id, error = %e, "could not read a bot's saved session; it identifies"),
        }
    }

    /// Bots whose tasks run here.
    fn running_here(&self) -> HashSet<i64> {
        super::lock(&self.inner.tasks).keys().copied().collect()
    }

    /// One round: renew, then stop, start, take and hand over as the leases say. `Err`: the
    /// leases could not be renewed.
    async fn own_round(&self, leases: &Leases) -> Result<()> {
        let _turn = self.inner.turn.lock().await;
        let held: HashSet<i64> = leases.renew().await?.into_iter().collect();
        self.asks_waiting().await?;
        let running = self.running_here();
        // Taken by another node after this one's lease ran out: stopped with the session kept for
        // it (the fence keeps this node from saving over the new holder's).
        for &bot_id in running.difference(&held) {
            tracing::warn!(bot_id, "another node holds this bot now; stopping it here");
            self.halt(bot_id, true).await;
        }
        // Held, but no longer to run (stopped through another node): stopped and released.
        let wanted: HashSet<i64> = crate::bots::repo::desired_running(&self.inner.store).await?.into_iter().collect();
        for &bot_id in held.difference(&wanted) {
            self.inner.sessions.forget(bot_id);
            self.halt(bot_id, false).await;
            leases.release(bot_id).await?;
        }
        let mut mine: Vec<i64> = held.intersection(&wanted).copied().collect();
        mine.sort_unstable();
        let share = leases.share().await?;
        // Above the even share for a few rounds running (a node joined or came back; not the
        // moment bots are being started through several nodes at once): the highest ids go, each
        // saved and released for the node that takes it to resume.
        let over = mine.len().saturating_sub(share);
        let rounds_over = {
            let mut rounds = super::lock(&self.inner.rounds_over);
            *rounds = if over > 0 { *rounds + 1 } else { 0 };
            *rounds
        };
        // Drained: everything goes at once.
        if over > 0 && (rounds_over >= HAND_OVER_AFTER_ROUNDS || share == 0) {
            let extra: Vec<i64> = mine.split_off(share);
            futures_util::future::join_all(extra.iter().map(|id| self.halt(*id, true))).await;
            self.save_sessions().await;
            for &bot_id in &extra {
                leases.release(bot_id).await?;
            }
            tracing::info!(bots = extra.len(), share, "handed bots over to even out the nodes");
        } else if over == 0 {
            for bot_id in leases.claim_free(share - mine.len()).await? {
                self.take_session(bot_id).await;
                mine.push(bot_id);
            }
        }
        for &bot_id in &mine {
            if !self.is_running_here(bot_id) {
                if let Err(e) = self.start_held(bot_id).await {
                    tracing::warn!(bot_id, error = %e, "could not start a bot this node holds");
                }
            }
        }
        self.share_statuses(leases, &mine).await
    }

    /// Writes the statuses of this node's bots that changed since the last round, and reads the
    /// other nodes' (what `status` answers for bots that do not run here).
    async fn share_statuses(&self, leases: &Leases, mine: &[i64]) -> Result<()> {
        let changed: Vec<(i64, &'static str, Option<String>)> = {
            let statuses = super::lock(&self.inner.statuses);
            let mut reported = super::lock(&self.inner.reported);
            reported.retain(|id, _| mine.contains(id));
            mine.iter()
                .filter_map(|id| {
                    let now = statuses.get(id).cloned().unwrap_or((Status::Stopped, None));
                    (reported.get(id) != Some(&now)).then(|| {
                        reported.insert(*id, now.clone());
                        (*id, now.0.as_str(), now.1)
                    })
                })
                .collect()
        };
        if let Err(e) = leases.report(&changed).await {
            // Written again at the next round.
            let mut reported = super::lock(&self.inner.reported);
            for (id, _, _) in &changed {
                reported.remove(id);
            }
            return Err(e);
        }
        let others = leases.others().await?;
        let elsewhere: HashSet<i64> = others.iter().map(|(id, _, _)| *id).collect();
        let statuses: HashMap<i64, (Status, Option<String>)> =
            others.into_iter().filter_map(|(id, word, reason)| Some((id, (Status::parse(&word?)?, reason)))).collect();
        *super::lock(&self.inner.remote_statuses) = statuses;
        *super::lock(&self.inner.held_elsewhere) = elsewhere;
        Ok(())
    }

    fn is_running_here(&self, bot_id: i64) -> bool {
        super::lock(&self.inner.tasks).get(&bot_id).is_some_and(|h| !h.task.is_finished())
    }

    /// Stops every bot here, keeping their sessions (in memory: the database is not answering),
    /// before this node's leases can run out.
    async fn fence(&self) {
        let ids: Vec<i64> = self.running_here().into_iter().collect();
        if ids.is_empty() {
            return;
        }
        tracing::error!(
            bots = ids.len(),
            "the leases could not be renewed in time: stopping this node's bots before another node takes them"
        );
        futures_util::future::join_all(ids.into_iter().map(|id| self.halt(id, true))).await;
    }

    /// Renews and balances every [`RENEW_EVERY`] until aborted; stops this node's bots when its
    /// leases could not be renewed for [`LEASE_TTL`] less [`FENCE_MARGIN`].
    pub fn spawn_ownership(&self) -> Option<JoinHandle<()>> {
        let leases = self.leases()?.clone();
        let fleet = self.clone();
        let asks = self.serve_asks();
        Some(tokio::spawn(async move {
            // Requests other nodes make of this one are carried out alongside the rounds.
            let _asks = asks.map(tokio::spawn).map(AbortOnDrop);
            let hold = HOLD_WITHOUT_RENEWAL;
            // Nothing held yet: nothing to fence before the first renewal.
            let mut deadline: Option<Instant> = None;
            loop {
                let sent = Instant::now();
                let round = match deadline {
                    Some(at) => tokio::time::timeout_at(at, fleet.own_round(&leases)).await,
                    None => Ok(fleet.own_round(&leases).await),
                };
                match &round {
                    Ok(Ok(())) => {
                        deadline = Some(sent + hold);
                    }
                    Ok(Err(e)) => tracing::warn!(error = %e, "could not renew this node's leases; trying again"),
                    Err(_) => tracing::warn!("this node's leases were not renewed in time; trying again"),
                }
                if !matches!(round, Ok(Ok(()))) && deadline.is_some_and(|at| Instant::now() >= at) {
                    fleet.fence().await;
                    deadline = None;
                }
                let next = sent + RENEW_EVERY;
                match deadline {
                    Some(at) if at < next => tokio::time::sleep_until(at.max(Instant::now())).await,
                    _ => tokio::time::sleep_until(next).await,
                }
            }
        }))
    }

    /// A clean stop of this node: its bots stop (sessions saved) and their leases go, for the
    /// other nodes to take at once.
    pub async fn hand_over_all(&self) {
        let Some(leases) = self.leases() else { return };
        match leases.release_all().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(bots = n, "released this node's bots for the other nodes"),
            Err(e) => {
                tracing::warn!(error = %e, "could not release this node's bots; the other nodes take them when the leases run out")
            }
        }
    }
}

/// Aborts a task when dropped (with the task that owns it).
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The answer to a request for a bot whose lease is between two nodes (released, not yet taken).
pub(super) fn in_transit(bot_id: i64) -> Error {
    Error::OtherNode(format!("bot {bot_id} is being handed between nodes; try again in a few seconds"))
}

/// How long a node waits for another to take a request made through it (`forward`).
pub const FORWARD_WAIT: Duration = Duration::from_secs(10);

/// Rounds in a row a node must be above its share before it hands bots over.
pub const HAND_OVER_AFTER_ROUNDS: u32 = 3;

/// How long a node's bots may go on after its last renewal before it stops them.
pub const HOLD_WITHOUT_RENEWAL: Duration = LEASE_TTL.saturating_sub(FENCE_MARGIN);
