//! What happened to each gateway session over the run, seen by polling the emulator every 50 ms:
//! when each session got a live connection, lost it, and ended. A command that was never answered
//! is explained by the fate of the session it was queued to — resumed (it should have been
//! replayed), ended by op 9 `d: false` (Discord drops it), or abandoned (botfleet identified anew).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use discord_emulator::Emulator;
use tokio::sync::watch;
use tokio::time::Instant;

/// One session's life.
#[derive(Debug, Clone)]
pub struct Life {
    pub app_id: u64,
    /// Changes of "has a live connection", the first one when the session was first seen.
    pub changes: Vec<(Instant, bool)>,
    /// When it was no longer there (ended for good).
    pub ended: Option<Instant>,
}

impl Life {
    /// When it first had a live connection.
    pub fn first_attached(&self) -> Option<Instant> {
        self.changes.iter().find(|(_, a)| *a).map(|(t, _)| *t)
    }
}

/// Every session seen, by id.
#[derive(Debug, Default, Clone)]
pub struct Timeline {
    pub sessions: HashMap<String, Life>,
}

impl Timeline {
    fn observe(&mut self, emulator: &Emulator, apps: &[u64], now: Instant) {
        let mut seen: Vec<(String, u64, bool)> = Vec::new();
        {
            let state = emulator.state();
            for app in apps {
                for id in state.sessions.of_app(*app) {
                    if let Some(s) = state.sessions.get(&id) {
                        seen.push((id, *app, s.attached.is_some()));
                    }
                }
            }
        }
        for (id, app_id, attached) in &seen {
            let life = self.sessions.entry(id.clone()).or_insert_with(|| Life {
                app_id: *app_id,
                changes: vec![],
                ended: None,
            });
            if life.changes.last().is_none_or(|(_, a)| a != attached) {
                life.changes.push((now, *attached));
            }
        }
        for (id, life) in &mut self.sessions {
            if life.ended.is_none() && !seen.iter().any(|(s, _, _)| s == id) {
                life.ended = Some(now);
            }
        }
    }

    /// Whether `session` had a live connection at some point after `t`, or had one at `t`
    /// (`attached_at_t`) and kept it: either way a command queued at `t` reached, or should have
    /// reached, the bot.
    pub fn reached_after(&self, session: &str, t: Instant, attached_at_t: bool) -> bool {
        let Some(life) = self.sessions.get(session) else { return attached_at_t };
        if life.changes.iter().any(|(at, a)| *a && *at > t) {
            return true;
        }
        attached_at_t && life.ended.is_none() && !life.changes.iter().any(|(at, a)| !*a && *at > t)
    }

    /// The first moment at or after `t` when `app` had a session with a live connection (from the
    /// polls), if it ever did.
    pub fn app_live_from(&self, app_id: u64, t: Instant, live_at_t: bool) -> Option<Instant> {
        if live_at_t {
            return Some(t);
        }
        self.sessions
            .values()
            .filter(|l| l.app_id == app_id)
            .flat_map(|l| l.changes.iter().filter(|(at, a)| *a && *at >= t).map(|(at, _)| *at))
            .min()
    }

    /// The first session of `app` to get a live connection after `t` that did not exist before.
    pub fn new_session_after(&self, app_id: u64, t: Instant) -> Option<Instant> {
        self.sessions
            .values()
            .filter(|l| l.app_id == app_id)
            .filter(|l| l.changes.first().is_some_and(|(first, _)| *first > t))
            .filter_map(Life::first_attached)
            .min()
    }
}

/// Polls until told to stop, then hands back the timeline.
pub fn spawn(
    emulator: Arc<Emulator>,
    apps: Vec<u64>,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<Timeline> {
    tokio::spawn(async move {
        let mut timeline = Timeline::default();
        let mut tick = tokio::time::interval(Duration::from_millis(50));
        loop {
            tokio::select! {
                _ = tick.tick() => timeline.observe(&emulator, &apps, Instant::now()),
                _ = stop.wait_for(|s| *s) => {
                    timeline.observe(&emulator, &apps, Instant::now());
                    return timeline;
                }
            }
        }
    })
}
