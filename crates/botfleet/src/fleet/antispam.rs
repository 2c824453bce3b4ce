//! Per-user anti-spam for one bot, as pure logic over a `Clock` (no Discord, no database), so the
//! rules can be tested by stepping a manual clock. A user may run `max_commands` commands in any
//! `per_seconds` (a sliding window), per guild (or DM channel); the command over the limit starts a
//! cooldown of `cooldown_seconds`, doubled each time the same user is limited again (up to
//! `max_cooldown_seconds`), and the escalation is forgotten after `max_cooldown_seconds` without a
//! cooldown. The runner turns each decision into a reply (or silence) and a tracked `denied` row.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use crate::bots::config::AntiSpamConfig;
use crate::time::Clock;

/// Where a user is counted: a guild, or a DM channel (no guild).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Guild(u64),
    Dm(u64),
}

/// What to do with one invocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Run the command.
    Allow,
    /// Over the limit: a cooldown of `seconds` starts now (`level` 1 for the first, 2 for the
    /// second in a row, …). Tell the user once.
    CooldownStarted { seconds: u64, level: u32 },
    /// In a cooldown with `remaining` seconds (rounded up) left.
    Limited { remaining: u64 },
}

/// One user's state in one scope.
#[derive(Debug, Default)]
struct Entry {
    /// Times (ms) of the allowed commands inside the window, oldest first; at most `max_commands`.
    recent: VecDeque<i64>,
    /// When the current or last cooldown ends (ms); 0 when there never was one.
    cooldown_until: i64,
    /// Cooldowns in a row (0: none since the last quiet period).
    level: u32,
}

/// Milliseconds, saturating.
fn ms(seconds: u64) -> i64 {
    i64::try_from(seconds.saturating_mul(1000)).unwrap_or(i64::MAX)
}

impl Entry {
    fn decide(&mut self, now: i64, config: &AntiSpamConfig) -> Decision {
        if now < self.cooldown_until {
            let left = self.cooldown_until - now;
            return Decision::Limited { remaining: u64::try_from((left + 999) / 1000).unwrap_or(1).max(1) };
        }
        if self.level > 0 && now.saturating_sub(self.cooldown_until) >= ms(config.max_cooldown_seconds.into()) {
            self.level = 0;
        }
        let window_start = now.saturating_sub(ms(config.per_seconds.into()));
        while self.recent.front().is_some_and(|&t| t <= window_start) {
            self.recent.pop_front();
        }
        if self.recent.len() < config.max_commands as usize {
            self.recent.push_back(now);
            return Decision::Allow;
        }
        self.level = self.level.saturating_add(1);
        let factor = 1u64.checked_shl(self.level - 1).unwrap_or(u64::MAX);
        let seconds =
            u64::from(config.cooldown_seconds).saturating_mul(factor).min(u64::from(config.max_cooldown_seconds));
        self.cooldown_until = now.saturating_add(ms(seconds));
        // A fresh window after the cooldown.
        self.recent.clear();
        Decision::CooldownStarted { seconds, level: self.level }
    }

    /// Nothing left to remember: no cooldown running, no command in the window, escalation over.
    fn idle(&self, now: i64, config: &AntiSpamConfig) -> bool {
        let window_start = now.saturating_sub(ms(config.per_seconds.into()));
        let quiet =
            self.level == 0 || now.saturating_sub(self.cooldown_until) >= ms(config.max_cooldown_seconds.into());
        now >= self.cooldown_until && self.recent.back().is_none_or(|&t| t <= window_start) && quiet
    }
}

/// Checks between two prunes at least; more when more users were live at the last prune, so a
/// prune costs O(1) per check, amortised, and the map stays within twice the live users plus this.
const PRUNE_EVERY: usize = 1024;

#[derive(Debug, Default)]
struct State {
    entries: HashMap<(Scope, u64), Entry>,
    /// Checks since the last prune.
    checks: usize,
    /// Users left after the last prune.
    live: usize,
}

impl State {
    fn prune(&mut self, now: i64, config: &AntiSpamConfig) -> usize {
        let before = self.entries.len();
        self.entries.retain(|_, e| !e.idle(now, config));
        self.checks = 0;
        self.live = self.entries.len();
        before - self.live
    }
}

/// One bot's limiter. Built from its configuration when the bot starts; shared by its command
/// tasks (a std Mutex held only for a map lookup, never across an await).
#[derive(Debug)]
pub struct Limiter {
    config: AntiSpamConfig,
    clock: Clock,
    state: Mutex<State>,
}

impl Limiter {
    /// A limiter with these settings, reading `clock`.
    pub fn new(config: AntiSpamConfig, clock: Clock) -> Self {
        Self { config, clock, state: Mutex::new(State::default()) }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Decides one invocation by `user` in `scope`, now.
    pub fn check(&self, scope: Scope, user: u64) -> Decision {
        if !self.config.enabled {
            return Decision::Allow;
        }
        let now = self.clock.now_ms();
        let mut state = self.lock();
        state.checks += 1;
        if state.checks >= PRUNE_EVERY.max(state.live) {
            state.prune(now, &self.config);
        }
        state.entries.entry((scope, user)).or_default().decide(now, &self.config)
    }

    /// Forgets users with nothing left to remember (the runner calls this on a timer); returns
    /// how many were dropped.
    pub fn prune(&self) -> usize {
        let now = self.clock.now_ms();
        self.lock().prune(now, &self.config)
    }

    /// Users remembered now.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no user is remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const GUILD: Scope = Scope::Guild(1);
    const ALICE: u64 = 10;
    const BOB: u64 = 11;

    fn limiter(clock: &Clock) -> Limiter {
        Limiter::new(AntiSpamConfig::default(), clock.clone())
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// Floods until the cooldown starts; returns its decision.
    fn flood(l: &Limiter, scope: Scope, user: u64) -> Decision {
        for _ in 0..5 {
            assert_eq!(l.check(scope, user), Decision::Allow);
        }
        l.check(scope, user)
    }

    #[test]
    fn five_commands_per_window_then_one_cooldown_then_limited() {
        let clock = Clock::manual(1_000_000);
        let l = limiter(&clock);
        assert_eq!(flood(&l, GUILD, ALICE), Decision::CooldownStarted { seconds: 30, level: 1 });
        assert_eq!(l.check(GUILD, ALICE), Decision::Limited { remaining: 30 });
        clock.advance(Duration::from_millis(10_500));
        assert_eq!(l.check(GUILD, ALICE), Decision::Limited { remaining: 20 });
        // Others are counted apart: another user, the same user elsewhere.
        assert_eq!(l.check(GUILD, BOB), Decision::Allow);
        assert_eq!(l.check(Scope::Guild(2), ALICE), Decision::Allow);
        assert_eq!(l.check(Scope::Dm(1), ALICE), Decision::Allow);
        clock.advance(secs(20));
        assert_eq!(l.check(GUILD, ALICE), Decision::Allow, "the cooldown is over");
    }

    #[test]
    fn the_window_slides() {
        let clock = Clock::manual(0);
        let l = limiter(&clock);
        for _ in 0..3 {
            assert_eq!(l.check(GUILD, ALICE), Decision::Allow);
        }
        clock.advance(secs(6));
        for _ in 0..2 {
            assert_eq!(l.check(GUILD, ALICE), Decision::Allow);
        }
        // t=10: the first three left the window, the two at t=6 are still in it.
        clock.advance(secs(4));
        for _ in 0..3 {
            assert_eq!(l.check(GUILD, ALICE), Decision::Allow);
        }
        assert!(matches!(l.check(GUILD, ALICE), Decision::CooldownStarted { .. }));
    }

    #[test]
    fn cooldowns_double_up_to_the_maximum_and_reset_after_a_quiet_period() {
        let clock = Clock::manual(0);
        let l = limiter(&clock);
        let mut seen = Vec::new();
        for _ in 0..7 {
            let Decision::CooldownStarted { seconds, level } = flood(&l, GUILD, ALICE) else { panic!("no cooldown") };
            seen.push((seconds, level));
            clock.advance(secs(seconds));
        }
        assert_eq!(seen, [(30, 1), (60, 2), (120, 3), (240, 4), (480, 5), (600, 6), (600, 7)]);
        // Quiet for less than max_cooldown_seconds: still escalated.
        clock.advance(secs(599));
        assert_eq!(flood(&l, GUILD, ALICE), Decision::CooldownStarted { seconds: 600, level: 8 });
        // Quiet for max_cooldown_seconds after it ends: back to the first cooldown.
        clock.advance(secs(600 + 600));
        assert_eq!(flood(&l, GUILD, ALICE), Decision::CooldownStarted { seconds: 30, level: 1 });
    }

    #[test]
    fn idle_users_are_pruned_and_escalated_ones_kept() {
        let clock = Clock::manual(0);
        let l = limiter(&clock);
        for user in 0..100 {
            l.check(GUILD, user);
        }
        assert!(matches!(flood(&l, GUILD, ALICE + 1000), Decision::CooldownStarted { .. }));
        assert_eq!(l.len(), 101);
        assert_eq!(l.prune(), 0, "everyone is still in the window");
        clock.advance(secs(10));
        assert_eq!(l.prune(), 100, "the window passed; the limited user is still escalated");
        clock.advance(secs(30 + 600));
        assert_eq!(l.prune(), 1);
        assert!(l.is_empty());
    }

    #[test]
    fn checks_prune_by_themselves() {
        let clock = Clock::manual(0);
        let l = limiter(&clock);
        for user in 0..(PRUNE_EVERY as u64) {
            l.check(GUILD, user);
        }
        clock.advance(secs(11));
        for user in 0..(PRUNE_EVERY as u64) {
            l.check(Scope::Guild(2), user);
        }
        assert!(l.len() <= PRUNE_EVERY + 1, "the first users were dropped ({} remembered)", l.len());
    }

    #[test]
    fn disabled_allows_everything_and_remembers_nothing() {
        let clock = Clock::manual(0);
        let l = Limiter::new(AntiSpamConfig { enabled: false, ..Default::default() }, clock);
        for _ in 0..100 {
            assert_eq!(l.check(GUILD, ALICE), Decision::Allow);
        }
        assert!(l.is_empty());
    }
}
