//! The crash-loop guard: when a bot that failed in a way that may pass by itself (its runner
//! panicked, its gateway gave up) is started again. A failure now and then costs a short delay; a
//! bot that keeps failing waits longer each time, so a broken bot does not spend Discord's daily
//! session starts (1,000; all spent resets its token) and its log in a tight loop. Pure (times
//! are numbers), so the rule is tested without a clock; the supervisor (`fleet::supervise`) waits.

use std::collections::VecDeque;
use std::time::Duration;

/// This many failures within [`WINDOW`] make a crash loop: from then on each failure waits twice
/// as long as the one before.
pub const LOOP_FAILURES: u32 = 3;
/// The window those failures fall in. A run this long without failing forgets every failure
/// before it, loop included: the bot starts over with short delays.
pub const WINDOW: Duration = Duration::from_secs(10 * 60);
/// The wait after a failure outside a crash loop; a loop's waits double from it.
pub const FIRST_DELAY: Duration = Duration::from_secs(1);
/// The longest wait in a crash loop (a bot failing for good tries about 4 times an hour).
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);

/// One bot's recent failures. A person's start or restart makes a new one (a fresh start).
#[derive(Debug, Default)]
pub struct CrashLoop {
    /// When the failures within the window happened, oldest first (at most `LOOP_FAILURES`).
    recent: VecDeque<i64>,
    /// The crash loop the bot is in, if any.
    looping: Option<Loop>,
}

#[derive(Debug, Clone, Copy)]
struct Loop {
    /// When the first of its failures happened.
    since_ms: i64,
    /// Failures since then.
    failures: u32,
}

/// When to try again after a failure, and why that late.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delay {
    /// When the failure happened.
    pub now_ms: i64,
    /// When to start the bot again.
    pub at_ms: i64,
    /// In a crash loop: its failures so far and when the first was.
    pub looping: Option<(u32, i64)>,
}

impl CrashLoop {
    /// Counts a failure at `now_ms` of a run that started at `started_ms`; when to try again.
    pub fn fail(&mut self, started_ms: i64, now_ms: i64) -> Delay {
        let window = millis(WINDOW);
        if now_ms.saturating_sub(started_ms) >= window {
            // A long healthy run: what went wrong before it is history.
            self.recent.clear();
            self.looping = None;
        }
        self.recent.retain(|at| now_ms.saturating_sub(*at) < window);
        self.recent.push_back(now_ms);
        if self.recent.len() > LOOP_FAILURES as usize {
            self.recent.pop_front();
        }
        let looping = match self.looping {
            Some(l) => Loop { failures: l.failures.saturating_add(1), ..l },
            None if self.recent.len() >= LOOP_FAILURES as usize => {
                Loop { since_ms: self.recent.front().copied().unwrap_or(now_ms), failures: LOOP_FAILURES }
            }
            None => return Delay { now_ms, at_ms: now_ms.saturating_add(millis(FIRST_DELAY)), looping: None },
        };
        self.looping = Some(looping);
        // The loop's first failure already waits twice the short delay.
        let doublings = (looping.failures + 1).saturating_sub(LOOP_FAILURES).min(30);
        let wait = millis(FIRST_DELAY).saturating_mul(1 << doublings).min(millis(MAX_DELAY));
        Delay { now_ms, at_ms: now_ms.saturating_add(wait), looping: Some((looping.failures, looping.since_ms)) }
    }
}

impl Delay {
    /// The bot's status reason while it waits: how often it failed (in a loop), when it tries
    /// again (RFC 3339 and in words), and the last failure's reason.
    pub fn reason(&self, last: &str) -> String {
        let at = crate::time::rfc3339(self.at_ms);
        let wait = words(self.at_ms - self.now_ms);
        let count = match self.looping {
            Some((failures, since)) => {
                // "in 10 min" while they all fall in the window, then how long the loop has lasted.
                let span = words((self.now_ms - since).max(millis(WINDOW)));
                format!("failed {failures} times in {span}; ")
            }
            None => String::new(),
        };
        format!("{count}trying again at {at} (in {wait}): {last}")
    }
}

/// A duration in words a person reads at a glance: "1 s", "2 min", "2 min 8 s", "1 h 5 min".
pub fn words(ms: i64) -> String {
    let s = (ms.max(0) + 999) / 1000;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 if s % 60 == 0 => format!("{} min", s / 60),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ if s % 3600 / 60 == 0 => format!("{} h", s / 3600),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000;
    const MIN: i64 = 60 * S;

    /// Fails a run that lasted `ran` ms, `at` ms in; the wait in ms.
    fn wait(c: &mut CrashLoop, at: i64, ran: i64) -> i64 {
        let d = c.fail(at - ran, at);
        assert_eq!(d.now_ms, at);
        d.at_ms - at
    }

    #[test]
    fn a_failure_now_and_then_waits_a_second() {
        let mut c = CrashLoop::default();
        // Every 6 minutes: never three within 10 minutes.
        for i in 1..=10 {
            assert_eq!(wait(&mut c, i * 6 * MIN, 6 * MIN - S), S, "failure {i}");
        }
        assert!(c.looping.is_none());
    }

    #[test]
    fn three_failures_in_ten_minutes_make_a_loop_whose_waits_double_up_to_the_cap() {
        let mut c = CrashLoop::default();
        let mut now = 0;
        let mut waits = Vec::new();
        for _ in 0..16 {
            now += 10 * S; // each run fails 10 s after it started
            let w = wait(&mut c, now, 10 * S);
            waits.push(w / S);
            now += w;
        }
        assert_eq!(waits, [1, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900, 900, 900]);
        // The loop outlives its window: a bot failing every 15 minutes stays in it.
        let d = c.fail(now, now + 10 * S);
        assert_eq!(d.at_ms - d.now_ms, 15 * MIN);
        assert_eq!(d.looping, Some((17, 10 * S)));
    }

    #[test]
    fn failures_older_than_the_window_do_not_count() {
        let mut c = CrashLoop::default();
        assert_eq!(wait(&mut c, 0, S), S);
        assert_eq!(wait(&mut c, 5 * MIN, S), S);
        // The first is 10 minutes old now: two within the window.
        assert_eq!(wait(&mut c, 10 * MIN, S), S);
        // 5, 10 and 14 minutes: three within 10 minutes.
        assert_eq!(wait(&mut c, 14 * MIN, S), 2 * S);
    }

    #[test]
    fn a_long_healthy_run_forgets_the_loop() {
        let mut c = CrashLoop::default();
        for at in [S, 2 * S, 3 * S, 4 * S] {
            wait(&mut c, at, S);
        }
        assert_eq!(wait(&mut c, 5 * S, S), 8 * S);
        // Ten minutes of running: short delays again, and a new loop starts from scratch.
        let later = 5 * S + 10 * MIN;
        assert_eq!(wait(&mut c, later, 10 * MIN), S);
        assert_eq!(c.fail(later, later + S).looping, None);
        assert_eq!(c.fail(later + S, later + 2 * S).looping, Some((3, later)));
    }

    #[test]
    fn the_reason_says_when_and_why() {
        let now = 1_796_195_000_000; // 2026-12-02T07:03:20Z
        let short = Delay { now_ms: now, at_ms: now + S, looping: None };
        assert_eq!(
            short.reason("the bot's runner panicked: boom"),
            "trying again at 2026-12-02T07:03:21Z (in 1 s): the bot's runner panicked: boom"
        );
        let looping = Delay { now_ms: now, at_ms: now + 2 * MIN, looping: Some((4, now - 3 * MIN)) };
        assert_eq!(
            looping.reason("boom"),
            "failed 4 times in 10 min; trying again at 2026-12-02T07:05:20Z (in 2 min): boom"
        );
        let long = Delay { now_ms: now, at_ms: now + 15 * MIN, looping: Some((20, now - 125 * MIN)) };
        assert!(long.reason("boom").starts_with("failed 20 times in 2 h 5 min; "), "{}", long.reason("boom"));
    }

    #[test]
    fn durations_in_words() {
        assert_eq!(words(1), "1 s");
        assert_eq!(words(59 * S), "59 s");
        assert_eq!(words(2 * MIN), "2 min");
        assert_eq!(words(128 * S), "2 min 8 s");
        assert_eq!(words(60 * MIN), "1 h");
        assert_eq!(words(65 * MIN), "1 h 5 min");
    }
}
