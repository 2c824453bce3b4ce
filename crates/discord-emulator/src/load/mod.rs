//! The load driver. The emulator sees both ends of a command — the user's message or slash
//! command going out as a dispatch, and the bot's reply coming back over REST — so it can measure
//! what a bot really does under load: a scenario of N users sending a mix of prefix and slash
//! commands at R per second across the bots for T seconds, reported per command kind (sent,
//! answered, unanswered, answered twice, latency from dispatch to the reply reaching REST).
//!
//! Each bot gets a guild of its own with enough channels that Discord's per-channel message
//! bucket is not the bottleneck; prefix commands go round-robin over them. Runs of the same shape
//! reuse that world, so repeated runs measure the bots, not a world that keeps growing; each
//! report counts only its own run (from a baseline taken at its start).

pub mod report;

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::shared::{BotSetup, Shared};
use crate::world::interactions::UserAction;
use crate::world::WorldError;
use report::Baseline;
pub use report::{KindReport, Latency, Report};

/// What to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Scenario {
    /// Scripted users sending commands.
    pub users: usize,
    /// Commands per second, across all bots.
    pub rate: f64,
    /// How long to send for, in seconds.
    pub duration_secs: f64,
    /// Share of slash commands, 0 to 100 (the rest are prefix commands).
    pub slash_percent: u8,
    /// Prefix of prefix commands.
    pub prefix: String,
    /// Command name (prefix `!ping`, slash `/ping`); bots must have registered it for slash.
    pub command: String,
    /// Bots to drive (application ids); every application when empty.
    pub applications: Vec<u64>,
    /// Channels per bot; enough for the message buckets when absent.
    pub channels_per_bot: Option<usize>,
    /// How long to wait for late replies after the last command, in seconds.
    pub grace_secs: f64,
}

impl Default for Scenario {
    fn default() -> Self {
        Self {
            users: 50,
            rate: 100.0,
            duration_secs: 10.0,
            slash_percent: 50,
            prefix: "!".into(),
            command: "ping".into(),
            applications: vec![],
            channels_per_bot: None,
            grace_secs: 5.0,
        }
    }
}

/// Why a scenario cannot run.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum LoadError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    World(#[from] WorldError),
}

/// Kind of command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Prefix,
    Slash,
}

/// A command the driver sent: its kind, the message or interaction id, and when it went out.
#[derive(Debug, Clone)]
pub struct Sent {
    pub kind: Kind,
    pub id: u64,
    pub channel_id: u64,
    pub bot_user: u64,
    pub at: SystemTime,
}

fn check(s: &Scenario) -> Result<(), LoadError> {
    let bad = |m: &str| Err(LoadError::Invalid(m.to_owned()));
    if !(s.rate.is_finite() && s.rate > 0.0 && s.rate <= 100_000.0) {
        return bad("rate must be above 0 and at most 100000 commands per second");
    }
    if !(s.duration_secs.is_finite() && s.duration_secs > 0.0 && s.duration_secs <= 3600.0) {
        return bad("duration_secs must be above 0 and at most 3600");
    }
    if !(s.grace_secs.is_finite() && (0.0..=600.0).contains(&s.grace_secs)) {
        return bad("grace_secs must be 0 to 600");
    }
    if s.users == 0 || s.users > 100_000 {
        return bad("users must be 1 to 100000");
    }
    if s.slash_percent > 100 {
        return bad("slash_percent must be 0 to 100");
    }
    if s.command.is_empty() || s.command.contains(char::is_whitespace) {
        return bad("command must be one word");
    }
    if s.channels_per_bot.is_some_and(|c| c == 0 || c > 1000) {
        return bad("channels_per_bot must be 1 to 1000");
    }
    Ok(())
}

impl Shared {
    /// Builds the load world: users, and one guild per bot with its channels.
    fn prepare_load(&self, s: &Scenario) -> Result<(Vec<BotSetup>, Vec<u64>), LoadError> {
        let mut state = self.state();
        let mut apps: Vec<u64> = if s.applications.is_empty() {
            state.applications.keys().copied().collect()
        } else {
            s.applications.clone()
        };
        apps.sort_unstable();
        if apps.is_empty() {
            return Err(LoadError::Invalid("there are no bots to drive".into()));
        }
        for app in &apps {
            if !state.applications.contains_key(app) {
                return Err(WorldError::UnknownApplication(*app).into());
            }
            let registered = state.commands.get(app).is_some_and(|cmds| {
                cmds.iter()
                    .any(|c| c.guild_id.is_none() && c.body.get("name").and_then(Value::as_str) == Some(&s.command))
            });
            if s.slash_percent > 0 && !registered {
                return Err(LoadError::Invalid(format!(
                    "application {app} has no global /{} command: start the bot (it registers its commands) before the load",
                    s.command
                )));
            }
        }
        let channels = s.channels_per_bot.unwrap_or_else(|| {
            // Prefix replies share each channel's message bucket: keep every channel at half of it.
            let (limit, window) = self
                .config
                .route_limits
                .iter()
                .find(|r| r.method == "POST" && r.route == "/channels/{channel_id}/messages")
                .map_or((5, Duration::from_secs(5)), |r| (r.limit, r.window));
            let per_channel = f64::from(limit) / window.as_secs_f64().max(0.001);
            let prefix_per_bot = s.rate * f64::from(100 - s.slash_percent) / 100.0 / apps.len() as f64;
            ((prefix_per_bot / per_channel * 2.0).ceil() as usize).clamp(1, 1000)
        });
        let key = format!("{apps:?}|{channels}|{}", s.users);
        let cached = self.load_setups.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key).cloned();
        if let Some(prepared) = cached {
            return Ok(prepared);
        }
        let run = state.next_id();
        let mut users = Vec::with_capacity(s.users);
        for i in 0..s.users {
            users.push(state.create_user(&format!("load{run}-{i}"))?);
        }
        let mut bots = Vec::with_capacity(apps.len());
        for (i, app_id) in apps.into_iter().enumerate() {
            let bot_user = state.applications.get(&app_id).map_or(0, |a| a.bot_user_id);
            let guild = state.create_guild(&format!("Load {run} #{i}"), users[0])?;
            let mut ids = Vec::with_capacity(channels);
            for c in 0..channels {
                ids.push(state.create_channel(guild, &format!("load-{c}"), None)?);
            }
            for user in users.iter().skip(1) {
                state.add_member(guild, *user, vec![])?;
            }
            state.add_member(guild, bot_user, vec![])?;
            bots.push(BotSetup { app_id, bot_user, channels: ids, next_channel: 0 });
        }
        self.load_setups
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key, (bots.clone(), users.clone()));
        Ok((bots, users))
    }

    /// Runs a load scenario and reports what the bots answered and how fast.
    pub async fn run_load(&self, scenario: Scenario) -> Result<Report, LoadError> {
        check(&scenario)?;
        let (mut bots, users) = self.prepare_load(&scenario)?;
        // Count this run only: a reused world still holds earlier runs' commands and replies.
        let baseline = Baseline::take(&self.state());
        let total = (scenario.rate * scenario.duration_secs).round() as u64;
        let mut sent: Vec<Sent> = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
        let prefix_text = format!("{}{}", scenario.prefix, scenario.command);
        let started = tokio::time::Instant::now();
        let mut i: u64 = 0;
        while i < total {
            let due = ((started.elapsed().as_secs_f64() * scenario.rate) as u64 + 1).min(total);
            if i < due {
                let mut state = self.state();
                while i < due {
                    let idx = usize::try_from(i).unwrap_or(0);
                    let n_bots = bots.len();
                    let user = users[(idx / n_bots) % users.len()];
                    let bot = &mut bots[idx % n_bots];
                    let channel = bot.channels[bot.next_channel % bot.channels.len()];
                    bot.next_channel += 1;
                    let pct = u64::from(scenario.slash_percent);
                    let slash = (i + 1) * pct / 100 > i * pct / 100;
                    let at = state.now();
                    let (kind, id) = if slash {
                        let action = UserAction::SlashCommand { name: scenario.command.clone(), options: vec![] };
                        (Kind::Slash, state.start_interaction(bot.app_id, user, channel, action)?.interaction_id)
                    } else {
                        (Kind::Prefix, state.user_message(user, channel, &prefix_text)?)
                    };
                    sent.push(Sent { kind, id, channel_id: channel, bot_user: bot.bot_user, at });
                    i += 1;
                }
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let sending = started.elapsed();
        let deadline = tokio::time::Instant::now() + Duration::from_secs_f64(scenario.grace_secs);
        while tokio::time::Instant::now() < deadline && !report::all_answered(&self.state(), &sent, &baseline) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let state = self.state();
        let channels = bots.iter().map(|b| b.channels.len()).sum();
        Ok(report::build(&state, scenario, &sent, bots.len(), channels, sending, &baseline))
    }
}
