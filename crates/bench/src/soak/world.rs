//! The Discord side of the soak: the emulator, running inside this process (a process apart from
//! botfleet, reached over TCP like discord.com, and its state readable here under its lock), a
//! world of N bots each in a guild of its own, and the scripted users' commands — each one
//! recorded with the gateway session it was queued to, so that a command that was never answered
//! can later be explained (or not) by what happened to that session.

use std::sync::Arc;
use std::time::Duration;

use discord_emulator::{ApplicationSpec, Emulator, EmulatorConfig, UserAction};
use tokio::time::Instant;

/// How a command was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `!ping <n>`: a message; answered by a bot message referencing it.
    Prefix,
    /// `/ping`: an interaction; answered by its callback within Discord's 3 s.
    Slash,
}

/// One bot of the soak's world.
#[derive(Debug, Clone)]
pub struct Bot {
    pub name: String,
    pub app_id: u64,
    pub bot_user: u64,
    pub token: String,
    /// Its guild's channels: prefix commands go round-robin so that Discord's per-channel
    /// 5-messages-per-5-s bucket does not hold the replies back.
    pub channels: Vec<u64>,
    next_channel: usize,
}

/// A command the soak sent.
#[derive(Debug, Clone)]
pub struct Sent {
    /// Its number in the run (the `<n>` of `!ping <n>`).
    pub n: u64,
    pub kind: Kind,
    /// Index into the bots.
    pub bot: usize,
    pub channel: u64,
    /// The message id (prefix) or interaction id (slash): botfleet's `event_id`.
    pub event_id: u64,
    pub at: Instant,
    /// The fault window it was sent in.
    pub window: usize,
    /// The bot's gateway session it was queued to (none: the bot had no session at all).
    pub session: Option<String>,
    /// Whether that session had a live connection when the command was queued.
    pub attached: bool,
}

/// The emulator and the soak's world in it. Cheap to clone: the sender keeps its own copy (its
/// own round-robin over channels), everything else reads the same emulator.
#[derive(Clone)]
pub struct World {
    pub emulator: Arc<Emulator>,
    pub users: Vec<u64>,
    pub bots: Vec<Bot>,
}

impl World {
    /// Starts the emulator (Discord's limits and windows) and creates `bots` bots, each in its own
    /// guild with enough channels for `prefix_per_bot` prefix commands a second.
    pub async fn build(bots: usize, prefix_per_bot: f64) -> anyhow::Result<Self> {
        let emulator = Emulator::start(EmulatorConfig::default()).await?;
        let users: Vec<u64> = (0..5).map(|i| emulator.create_user(&format!("soaker{i}"))).collect::<Result<_, _>>()?;
        // Half of each channel's bucket (1 message/s), and a floor for the bursts that follow a resume.
        let channels = ((prefix_per_bot * 2.0).ceil() as usize).clamp(4, 100);
        let mut out = Vec::with_capacity(bots);
        for i in 0..bots {
            let name = format!("Soak {i}");
            let app = emulator.create_application(ApplicationSpec { name: name.clone(), ..Default::default() })?;
            let guild = emulator.create_guild(&format!("Soak shop {i}"), users[0])?;
            let mut ids = Vec::with_capacity(channels);
            for c in 0..channels {
                ids.push(emulator.create_channel(guild, &format!("soak-{c}"))?);
            }
            for user in &users[1..] {
                emulator.add_member(guild, *user, vec![])?;
            }
            emulator.add_member(guild, app.bot_user_id, vec![])?;
            out.push(Bot {
                name,
                app_id: app.application_id,
                bot_user: app.bot_user_id,
                token: app.token,
                channels: ids,
                next_channel: 0,
            });
        }
        Ok(Self { emulator: Arc::new(emulator), users, bots: out })
    }

    /// Sends command `n` to bot `bot` as one of the users, and notes the session it was queued to.
    pub fn send(&mut self, n: u64, kind: Kind, bot: usize, window: usize) -> anyhow::Result<Sent> {
        let user = self.users[usize::try_from(n).unwrap_or(0) % self.users.len()];
        let b = &mut self.bots[bot];
        let channel = b.channels[b.next_channel % b.channels.len()];
        b.next_channel += 1;
        let mut state = self.emulator.state();
        let event_id = match kind {
            Kind::Prefix => state.user_message(user, channel, &format!("!ping {n}"))?,
            Kind::Slash => {
                let action = UserAction::SlashCommand { name: "ping".into(), options: vec![] };
                state.start_interaction(b.app_id, user, channel, action)?.interaction_id
            }
        };
        // One shard per bot: at most one live session; a detached one still queues for a resume.
        let sessions: Vec<(String, bool)> = state
            .sessions
            .of_app(b.app_id)
            .into_iter()
            .filter_map(|id| state.sessions.get(&id).map(|s| (id, s.attached.is_some())))
            .collect();
        let (session, attached) = sessions
            .iter()
            .find(|(_, attached)| *attached)
            .or(sessions.first())
            .map_or((None, false), |(id, attached)| (Some(id.clone()), *attached));
        Ok(Sent { n, kind, bot, channel, event_id, at: Instant::now(), window, session, attached })
    }

    /// Whether every bot has a live session and has registered `/ping`.
    pub fn all_connected(&self) -> bool {
        let state = self.emulator.state();
        self.bots.iter().all(|b| {
            let live = state
                .sessions
                .of_app(b.app_id)
                .iter()
                .any(|id| state.sessions.get(id).is_some_and(|s| s.attached.is_some()));
            let registered = state.commands.get(&b.app_id).is_some_and(|cmds| {
                cmds.iter().any(|c| c.guild_id.is_none() && c.body.get("name").and_then(|v| v.as_str()) == Some("ping"))
            });
            live && registered
        })
    }

    /// Identifies and resumes the emulator has counted so far.
    pub fn handshakes(&self) -> (u64, u64) {
        let state = self.emulator.state();
        (state.counters.identifies, state.counters.resumes)
    }

    /// Waits (polling every 50 ms, up to `limit`) until `done` holds; returns how long it took.
    pub async fn until(&self, limit: Duration, mut done: impl FnMut(&Self) -> bool) -> Option<Duration> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if done(self) {
                return Some(started.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }
}
