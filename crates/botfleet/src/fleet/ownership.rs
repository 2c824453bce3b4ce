//! Several nodes on one PostgreSQL database: each shard of a bot runs on the one node holding its
//! lease (`nodes::leases`; a bot of one shard has one). Every [`RENEW_EVERY`] this node renews its
//! leases, stops what it no longer holds or should not run, starts what it holds, takes free
//! shards up to its even share and hands shards over above it (stopped with their session saved,
//! then released, so the next holder resumes them). A bot whose shards this node holds runs here
//! as one task with those shards (its [`Part`]); when they change, the task starts again with the
//! new ones, resuming their sessions. A node that cannot renew stops its bots before its leases
//! run out; a node stopping cleanly stops its bots, saves their sessions and releases them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::{session, Fleet};
use crate::bots::Status;
use crate::cache::invalidate::Invalidations;
use crate::error::{Error, Result};
use crate::nodes::leases::{Claim, Elsewhere, Held, Leases, FENCE_MARGIN, LEASE_TTL, RENEW_EVERY};

/// The shards of a bot one node runs: all of them with one node, those whose leases it holds with
/// several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The shards run here, lowest first.
    pub shards: Vec<u32>,
    /// The bot's shard count.
    pub count: u32,
}

impl Part {
    /// Every shard of a bot of `count` shards.
    pub fn all(count: u32) -> Self {
        let count = count.max(1);
        Self { shards: (0..count).collect(), count }
    }

    /// Whether this is the bot's home: shard 0 (slash commands, the stock message, health).
    pub fn home(&self) -> bool {
        self.shards.first() == Some(&0)
    }

    /// The part of each bot in `held`.
    fn of(held: &[Held]) -> BTreeMap<i64, Self> {
        let mut parts: BTreeMap<i64, Self> = BTreeMap::new();
        for h in held {
            let part = parts.entry(h.bot_id).or_insert(Self { shards: Vec::new(), count: h.shards });
            part.shards.push(h.shard);
            part.count = part.count.max(h.shards);
        }
        for part in parts.values_mut() {
            part.shards.sort_unstable();
        }
        parts
    }
}

/// A bot's status made of its parts' (on this node and others): the worst of them, where a part
/// stopped beside parts that run means the bot is still starting.
pub fn combined(parts: impl IntoIterator<Item = (Status, Option<String>)>) -> Option<(Status, Option<String>)> {
    fn rank(s: Status) -> u8 {
        match s {
            Status::Running => 0,
            Status::Stopped => 1,
            Status::Starting => 2,
            Status::Reconnecting => 3,
            Status::Failed => 4,
        }
    }
    let mut worst: Option<(Status, Option<String>)> = None;
    let mut mixed = false;
    for part in parts {
        if let Some(w) = &worst {
            mixed |= w.0 != part.0;
        }
        if worst.as_ref().is_none_or(|w| rank(part.0) > rank(w.0)) {
            worst = Some(part);
        }
    }
    match worst {
        Some((Status::Stopped, _)) if mixed => Some((Status::Starting, None)),
        other => other,
    }
}

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
            Claim::Ours(mut others) => {
                others.insert(0, 0);
                self.take_sessions(bot_id, &others).await;
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

    /// Reads the sessions of `shards` the bot's previous node saved (they may have run elsewhere
    /// since this node last saw them).
    pub(super) async fn take_sessions(&self, bot_id: i64, shards: &[u32]) {
        match session::load(&self.inner.store, bot_id).await {
            Ok(saved) => self.inner.sessions.take_over(bot_id, shards, saved),
            Err(e) => tracing::warn!(bot_id, error = %e, "could not read a bot's saved sessions; it identifies"),
        }
    }

    /// The shards this node runs of a bot whose runner learnt that Discord recommends
    /// `recommended`: all of them with one node. With several, those whose leases it holds; the
    /// bot's home writes the count for every node (a change makes the other nodes start their
    /// part again), and another node writes a higher one (it was told 4011: sharding required).
    pub(super) async fn part_to_run(&self, bot_id: i64, recommended: u32) -> Result<Part> {
        let recommended = recommended.max(1);
        let Some(leases) = self.leases() else { return Ok(Part::all(recommended)) };
        let (shards, count) = leases.shards_here(bot_id).await?;
        let home = shards.first() == Some(&0);
        if recommended == count || (!home && recommended < count) {
            return Ok(Part { shards, count });
        }
        let made = leases.set_shards(bot_id, recommended, home).await?;
        if !made.is_empty() {
            self.take_sessions(bot_id, &made).await;
        }
        let (shards, count) = leases.shards_here(bot_id).await?;
        Ok(Part { shards, count })
    }

    /// Bots whose tasks run here.
    fn running_here(&self) -> HashSet<i64> {
        super::lock(&self.inner.tasks).keys().copied().collect()
    }

    /// One round: renew, then stop, start, take and hand over as the leases say. `Err`: the
    /// leases could not be renewed.
    async fn own_round(&self, leases: &Leases) -> Result<()> {
        let _turn = self.inner.turn.lock().await;
        let held = leases.renew().await?;
        self.asks_waiting().await?;
        let held_bots: HashSet<i64> = held.iter().map(|h| h.bot_id).collect();
        // Taken by another node after this one's lease ran out: stopped with the session kept for
        // it (the fence keeps this node from saving over the new holder's).
        for &bot_id in self.running_here().difference(&held_bots) {
            tracing::warn!(bot_id, "another node holds this bot now; stopping it here");
            self.halt(bot_id, true).await;
        }
        // Held, but no longer to run (stopped through another node): stopped and released.
        let wanted: HashSet<i64> = crate::bots::repo::desired_running(&self.inner.store).await?.into_iter().collect();
        for &bot_id in held_bots.difference(&wanted) {
            self.inner.sessions.forget(bot_id);
            self.halt(bot_id, false).await;
            leases.release(bot_id).await?;
        }
        let mut mine: Vec<Held> = held.into_iter().filter(|h| wanted.contains(&h.bot_id)).collect();
        mine.sort_unstable();
        let share = leases.share().await?;
        // Above the even share for a few rounds running (a node joined or came back; not the
        // moment bots are being started through several nodes at once): the highest shards go,
        // each saved and released for the node that takes it to resume.
        let over = mine.len().saturating_sub(share);
        let rounds_over = {
            let mut rounds = super::lock(&self.inner.rounds_over);
            *rounds = if over > 0 { *rounds + 1 } else { 0 };
            *rounds
        };
        // Drained: everything goes at once.
        if over > 0 && (rounds_over >= HAND_OVER_AFTER_ROUNDS || share == 0) {
            let extra: Vec<Held> = mine.split_off(share);
            // A bot keeping some of its shards here starts again below with the rest.
            let bots: HashSet<i64> = extra.iter().map(|h| h.bot_id).collect();
            futures_util::future::join_all(bots.iter().map(|id| self.halt(*id, true))).await;
            self.save_sessions().await;
            let shards: Vec<(i64, u32)> = extra.iter().map(|h| (h.bot_id, h.shard)).collect();
            leases.release_shards(&shards).await?;
            tracing::info!(shards = extra.len(), share, "handed shards over to even out the nodes");
        } else if over == 0 {
            let claimed = leases.claim_free(share - mine.len()).await?;
            for (bot_id, part) in Part::of(&claimed) {
                self.take_sessions(bot_id, &part.shards).await;
            }
            mine.extend(claimed);
        }
        let parts = Part::of(&mine);
        // A bot whose shards here changed (some handed over or taken, or its shard count changed)
        // starts again with its new part, its sessions resumed.
        let changed: Vec<i64> = {
            let running = super::lock(&self.inner.parts);
            running.iter().filter(|(id, part)| parts.get(id).is_some_and(|p| p != *part)).map(|(id, _)| *id).collect()
        };
        for &bot_id in &changed {
            tracing::info!(bot_id, "this node's shards of the bot changed; starting it again with them");
            self.halt(bot_id, true).await;
        }
        for &bot_id in parts.keys() {
            if !self.is_running_here(bot_id) {
                if let Err(e) = self.start_held(bot_id).await {
                    tracing::warn!(bot_id, error = %e, "could not start a bot this node holds");
                }
            }
        }
        let bots: Vec<i64> = parts.keys().copied().collect();
        self.catch_up_server_settings().await?;
        self.share_statuses(leases, &bots).await
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
        // Bots whose home (shard 0) another node holds.
        let elsewhere: HashSet<i64> = others.iter().filter(|o| o.shard == 0).map(|o| o.bot_id).collect();
        let mut parts: HashMap<i64, Vec<(Status, Option<String>)>> = HashMap::new();
        for Elsewhere { bot_id, status, reason, .. } in others {
            if let Some(status) = status.as_deref().and_then(Status::parse) {
                parts.entry(bot_id).or_default().push((status, reason));
            }
        }
        let statuses: HashMap<i64, (Status, Option<String>)> =
            parts.into_iter().filter_map(|(id, each)| Some((id, combined(each)?))).collect();
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
        let server_settings = self.follow_server_settings();
        Some(tokio::spawn(async move {
            // Requests other nodes make of this one are carried out alongside the rounds, and
            // server settings changed through them are read again.
            let _asks = asks.map(tokio::spawn).map(AbortOnDrop);
            let _server_settings = server_settings.map(tokio::spawn).map(AbortOnDrop);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bots_status_is_the_worst_of_its_parts() {
        let run = (Status::Running, None);
        let down = (Status::Reconnecting, Some("gateway closed".to_owned()));
        assert_eq!(combined([run.clone(), run.clone()]), Some(run.clone()));
        assert_eq!(combined([run.clone(), down.clone()]), Some(down.clone()));
        assert_eq!(combined([(Status::Failed, Some("bad".into())), down]).map(|s| s.0), Some(Status::Failed));
        // A part stopped beside one that runs: the bot is still coming up.
        assert_eq!(combined([run.clone(), (Status::Stopped, None)]), Some((Status::Starting, None)));
        assert_eq!(combined([(Status::Stopped, None)]), Some((Status::Stopped, None)));
        assert_eq!(combined(Vec::new()), None);
    }

    #[test]
    fn parts_group_the_shards_held_by_bot() {
        let held = [
            Held { bot_id: 7, shard: 3, shards: 4 },
            Held { bot_id: 7, shard: 0, shards: 4 },
            Held { bot_id: 9, shard: 0, shards: 1 },
        ];
        let parts = Part::of(&held);
        assert_eq!(parts[&7], Part { shards: vec![0, 3], count: 4 });
        assert!(parts[&7].home());
        assert_eq!(parts[&9], Part::all(1));
        assert!(!Part { shards: vec![2, 3], count: 4 }.home());
    }
}
