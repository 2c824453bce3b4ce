//! Accounting: for every command sent, was it answered (once?), tracked (once?), and if it was
//! never answered, why — and is that reason one Discord's rules give (`expired`: a slash command's
//! 3-second window passed before the bot could see it; `session_lost`: sent while op 9 `d: false`
//! ended the session, which Discord does not replay) or a fault of botfleet's (`not_resumed`: its
//! session was abandoned rather than resumed, e.g. by a restart; `unanswered`: it reached the bot).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::Instant;

use super::database::Tracked;
use super::monitor::Timeline;
use super::world::{Kind, Sent, World};

/// A slash command's response window (Discord: 3 s).
const WINDOW: Duration = Duration::from_secs(3);
/// Time botfleet needs between seeing a command and its callback reaching Discord: a slash command
/// the bot could first see less than this before its window closed counts as expired too.
const HANDLING: Duration = Duration::from_millis(500);

/// Why a command was never answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Lost {
    Expired,
    SessionLost,
    NotResumed,
    Unanswered,
}

impl Lost {
    pub fn name(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::SessionLost => "session_lost",
            Self::NotResumed => "not_resumed",
            Self::Unanswered => "unanswered",
        }
    }

    /// Whether Discord's own rules explain the loss.
    pub fn explained(self) -> bool {
        matches!(self, Self::Expired | Self::SessionLost)
    }
}

/// The figures of a window (or of the whole run).
#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub prefix: u64,
    pub slash: u64,
    pub answered: u64,
    pub answered_twice: u64,
    pub tracked: u64,
    pub tracked_twice: u64,
    pub lost: BTreeMap<&'static str, u64>,
    /// Answered but no row.
    pub untracked_answered: u64,
    /// Expired (so never answerable) and no row either: with resumed sessions botfleet tracks
    /// these once with outcome `expired` (not those Discord never delivered, after op 9 `d: false`).
    pub untracked_expired: u64,
    /// Rows by outcome.
    pub outcomes: BTreeMap<String, u64>,
    pub unexplained: u64,
    /// The first few unexplained commands, with what the soak knows of them.
    pub examples: Vec<Value>,
}

/// Unexplained commands shown per window (and in all): the first few, and beyond them the first
/// of each other kind of problem, so a rare one is not hidden behind a common one.
const EXAMPLES: usize = 5;

fn keep(examples: &[Value], problems: &Value) -> bool {
    let new_kind = !examples.iter().any(|e| &e["problems"] == problems);
    examples.len() < EXAMPLES || (new_kind && examples.len() < EXAMPLES * 2)
}

impl Figures {
    fn add(&mut self, o: &Figures) {
        self.prefix += o.prefix;
        self.slash += o.slash;
        self.answered += o.answered;
        self.answered_twice += o.answered_twice;
        self.tracked += o.tracked;
        self.tracked_twice += o.tracked_twice;
        for (k, v) in &o.lost {
            *self.lost.entry(k).or_default() += v;
        }
        self.untracked_answered += o.untracked_answered;
        self.untracked_expired += o.untracked_expired;
        for (k, v) in &o.outcomes {
            *self.outcomes.entry(k.clone()).or_default() += v;
        }
        self.unexplained += o.unexplained;
        for e in &o.examples {
            if keep(&self.examples, &e["problems"]) {
                self.examples.push(e.clone());
            }
        }
    }

    pub fn to_json(&self) -> Value {
        let mut lost: BTreeMap<&str, u64> = [Lost::Expired, Lost::SessionLost, Lost::NotResumed, Lost::Unanswered]
            .iter()
            .map(|l| (l.name(), 0))
            .collect();
        for (k, v) in &self.lost {
            lost.insert(k, *v);
        }
        json!({
            "sent": {"prefix": self.prefix, "slash": self.slash, "total": self.prefix + self.slash},
            "answered": self.answered,
            "answered_twice": self.answered_twice,
            "tracked": self.tracked,
            "tracked_twice": self.tracked_twice,
            "tracked_outcomes": self.outcomes,
            "lost": lost,
            "untracked": {"answered": self.untracked_answered, "expired": self.untracked_expired},
            "unexplained": self.unexplained,
            "unexplained_examples": self.examples,
        })
    }
}

/// Replies the emulator recorded, per command event id: bot messages referencing a prefix
/// command, accepted callbacks plus refused second acknowledgements of an interaction.
fn answers(world: &World, sent: &[Sent]) -> HashMap<u64, u64> {
    let state = world.emulator.state();
    let mut out: HashMap<u64, u64> = HashMap::new();
    for bot in &world.bots {
        for channel in &bot.channels {
            let Some(c) = state.channels.get(channel) else { continue };
            for m in c.messages.values().filter(|m| m.author_id == bot.bot_user && m.interaction.is_none()) {
                let referenced =
                    m.message_reference.as_ref().and_then(|r| r.get("message_id")?.as_str()?.parse::<u64>().ok());
                if let Some(id) = referenced {
                    *out.entry(id).or_default() += 1;
                }
            }
        }
    }
    for s in sent.iter().filter(|s| s.kind == Kind::Slash) {
        if let Some(i) = state.interactions.get(&s.event_id) {
            let callbacks = i.responses.iter().filter(|r| r.action == "callback").count() as u64;
            out.insert(s.event_id, callbacks + u64::from(i.duplicate_acks));
        }
    }
    out
}

/// Everything the accounting reads.
pub struct Evidence<'a> {
    pub world: &'a World,
    pub sent: &'a [Sent],
    /// botfleet's bot id of each bot, in the world's order.
    pub bot_ids: &'a [i64],
    pub rows: &'a [Tracked],
    pub timeline: &'a Timeline,
    /// When op 9 `d: false` was sent to every bot.
    pub op9_false: &'a [Instant],
    /// When sending began (times in the report count from it).
    pub started: Instant,
}

impl Evidence<'_> {
    /// Whether `s` was sent after op 9 `d: false` ended its bot's session and before the bot's
    /// new session was live: Discord delivers such a command to no session, ever.
    fn in_op9_gap(&self, s: &Sent) -> bool {
        let app = self.world.bots[s.bot].app_id;
        let reached = s.session.as_deref().is_some_and(|id| self.timeline.reached_after(id, s.at, s.attached));
        !reached
            && self
                .op9_false
                .iter()
                .any(|f| *f <= s.at && self.timeline.new_session_after(app, *f).is_none_or(|back| s.at <= back))
    }

    /// Why a command nobody answered was lost.
    fn why(&self, s: &Sent, rows: &[&Tracked]) -> Lost {
        let app = self.world.bots[s.bot].app_id;
        if s.kind == Kind::Slash {
            let refused = rows.iter().any(|r| {
                r.outcome == "expired"
                    || r.error.as_deref().is_some_and(|e| e.contains("10062") || e.contains("nknown interaction"))
            });
            let seen = self.timeline.app_live_from(app, s.at, s.attached);
            if refused || seen.is_none_or(|t| t + HANDLING > s.at + WINDOW) {
                return Lost::Expired;
            }
        }
        if !rows.is_empty() || s.session.as_deref().is_some_and(|id| self.timeline.reached_after(id, s.at, s.attached))
        {
            return Lost::Unanswered;
        }
        if self.in_op9_gap(s) {
            Lost::SessionLost
        } else {
            Lost::NotResumed
        }
    }

    /// What the soak knows of one command, for the report.
    fn example(&self, s: &Sent, problems: &[&str], replies: u64, rows: &[&Tracked]) -> Value {
        let secs = |t: Instant| (t.duration_since(self.started).as_secs_f64() * 1000.0).round() / 1000.0;
        let app = self.world.bots[s.bot].app_id;
        json!({
            "problems": problems,
            "command": match s.kind { Kind::Prefix => format!("!ping {}", s.n), Kind::Slash => "/ping".to_owned() },
            "bot": self.world.bots[s.bot].name,
            "event_id": s.event_id.to_string(),
            "sent_at_secs": secs(s.at),
            "session": s.session,
            "session_live_when_sent": s.attached,
            "bot_live_again_at_secs": self.timeline.app_live_from(app, s.at, s.attached).map(secs),
            "answers": replies,
            "rows": rows.iter().map(|r| json!({"outcome": r.outcome, "error": r.error})).collect::<Vec<_>>(),
        })
    }

    /// Figures per window (`windows` of them) and in all.
    pub fn figures(&self, windows: usize) -> (Vec<Figures>, Figures) {
        let answers = answers(self.world, self.sent);
        let mut by_event: HashMap<(i64, i64), Vec<&Tracked>> = HashMap::new();
        let mut by_argument: HashMap<(i64, &str), u64> = HashMap::new();
        for r in self.rows {
            by_event.entry((r.bot_id, r.event_id)).or_default().push(r);
            *by_argument.entry((r.bot_id, r.arguments.as_str())).or_default() += 1;
        }
        let mut per = vec![Figures::default(); windows];
        for s in self.sent {
            let f = &mut per[s.window.min(windows.saturating_sub(1))];
            let bot_id = self.bot_ids[s.bot];
            let rows: &[&Tracked] =
                by_event.get(&(bot_id, i64::try_from(s.event_id).unwrap_or(-1))).map_or(&[], Vec::as_slice);
            let replies = answers.get(&s.event_id).copied().unwrap_or(0);
            match s.kind {
                Kind::Prefix => f.prefix += 1,
                Kind::Slash => f.slash += 1,
            }
            let mut unexplained: Vec<&str> = Vec::new();
            if replies > 1 {
                f.answered_twice += 1;
                unexplained.push("answered_twice");
            }
            // `!ping <n>`: the argument names the command, whatever event brought it.
            let argument = s.n.to_string();
            let twice = rows.len() > 1
                || (s.kind == Kind::Prefix && by_argument.get(&(bot_id, argument.as_str())).copied().unwrap_or(0) > 1);
            if !rows.is_empty() {
                f.tracked += 1;
                for r in rows {
                    *f.outcomes.entry(r.outcome.clone()).or_default() += 1;
                }
            }
            if twice {
                f.tracked_twice += 1;
                unexplained.push("tracked_twice");
            }
            if replies > 0 {
                f.answered += 1;
                if rows.is_empty() {
                    f.untracked_answered += 1;
                    unexplained.push("answered_untracked");
                }
            } else {
                let why = self.why(s, rows);
                *f.lost.entry(why.name()).or_default() += 1;
                if !why.explained() {
                    unexplained.push(why.name());
                } else if why == Lost::Expired && rows.is_empty() && !self.in_op9_gap(s) {
                    f.untracked_expired += 1;
                    unexplained.push("expired_untracked");
                }
            }
            // One command counts once in `unexplained`, however many things went wrong with it.
            if !unexplained.is_empty() {
                f.unexplained += 1;
                if keep(&f.examples, &json!(unexplained)) {
                    f.examples.push(self.example(s, &unexplained, replies, rows));
                }
            }
        }
        let mut total = Figures::default();
        for f in &per {
            total.add(f);
        }
        (per, total)
    }
}

/// How many commands have at least one answer so far.
pub fn answered(world: &World, sent: &[Sent]) -> usize {
    let answers = answers(world, sent);
    sent.iter().filter(|s| answers.get(&s.event_id).is_some_and(|n| *n > 0)).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::soak::monitor::Life;

    fn sent(kind: Kind, at: Instant, session: Option<&str>, attached: bool) -> Sent {
        Sent {
            n: 7,
            kind,
            bot: 0,
            channel: 1,
            event_id: 42,
            at,
            window: 0,
            session: session.map(str::to_owned),
            attached,
        }
    }

    fn life(app_id: u64, changes: Vec<(Instant, bool)>, ended: Option<Instant>) -> Life {
        Life { app_id, changes, ended }
    }

    #[tokio::test]
    async fn each_unanswered_command_gets_the_reason_its_session_gives() {
        let world = World::build(1, 1.0).await.unwrap();
        let app = world.bots[0].app_id;
        let t0 = Instant::now();
        let s = |ms: u64| t0 + Duration::from_millis(ms);
        let mut timeline = Timeline::default();
        // "old": live, lost its connection at 1 s, resumed at 2 s. "gone": lost at 3 s, never back.
        timeline.sessions.insert("old".into(), life(app, vec![(s(0), true), (s(1000), false), (s(2000), true)], None));
        timeline.sessions.insert("gone".into(), life(app, vec![(s(2500), true), (s(3000), false)], Some(s(3500))));
        // op 9 d:false at 10 s; a new session is live at 10.5 s. A restart: the next one at 20 s.
        timeline.sessions.insert("new".into(), life(app, vec![(s(10_500), true)], None));
        timeline.sessions.insert("later".into(), life(app, vec![(s(20_000), true)], None));
        let op9 = [s(10_000)];
        let evidence = Evidence {
            world: &world,
            sent: &[],
            bot_ids: &[1],
            rows: &[],
            timeline: &timeline,
            op9_false: &op9,
            started: t0,
        };
        let why = |x: &Sent| evidence.why(x, &[]);
        assert_eq!(why(&sent(Kind::Prefix, s(1500), Some("old"), false)), Lost::Unanswered, "resumed: replayed");
        assert_eq!(why(&sent(Kind::Prefix, s(3200), Some("gone"), false)), Lost::NotResumed);
        assert_eq!(why(&sent(Kind::Prefix, s(10_200), None, false)), Lost::SessionLost, "op 9 d:false gap");
        assert_eq!(why(&sent(Kind::Prefix, s(15_000), None, false)), Lost::NotResumed, "no session, no op 9");
        assert_eq!(why(&sent(Kind::Slash, s(15_000), None, false)), Lost::Expired, "back 5 s later");
        assert_eq!(why(&sent(Kind::Slash, s(10_200), None, false)), Lost::SessionLost, "back within its window");
        assert!(evidence.in_op9_gap(&sent(Kind::Slash, s(10_200), None, false)));
        assert!(!evidence.in_op9_gap(&sent(Kind::Slash, s(15_000), None, false)));
        let refused = Tracked {
            bot_id: 1,
            event_id: 42,
            arguments: String::new(),
            outcome: "error".into(),
            error: Some("Unknown interaction (10062)".into()),
        };
        assert_eq!(evidence.why(&sent(Kind::Slash, s(1500), Some("old"), false), &[&refused]), Lost::Expired);
        assert_eq!(evidence.why(&sent(Kind::Prefix, s(100), Some("old"), true), &[&refused]), Lost::Unanswered);
    }

    #[tokio::test]
    async fn a_command_nobody_answered_counts_once_with_its_reason() {
        let world = World::build(1, 1.0).await.unwrap();
        let t0 = Instant::now();
        let sent = vec![
            Sent { window: 0, ..sent_at(Kind::Prefix, t0, 1) },
            Sent { window: 1, ..sent_at(Kind::Slash, t0 + Duration::from_secs(1), 2) },
        ];
        let rows =
            vec![Tracked { bot_id: 5, event_id: 2, arguments: String::new(), outcome: "ok".into(), error: None }];
        let timeline = Timeline::default();
        let evidence = Evidence {
            world: &world,
            sent: &sent,
            bot_ids: &[5],
            rows: &rows,
            timeline: &timeline,
            op9_false: &[],
            started: t0,
        };
        let (per, total) = evidence.figures(2);
        assert_eq!((per[0].prefix, per[0].lost.get("not_resumed").copied()), (1, Some(1)));
        // Tracked yet never answered, and the bot was never seen live: its window passed unseen.
        assert_eq!((per[1].slash, per[1].tracked, per[1].lost.get("expired").copied()), (1, 1, Some(1)));
        assert_eq!((total.unexplained, total.untracked_expired), (1, 0));
        assert_eq!(total.examples.len(), 1);
        assert!(keep(&[], &json!(["unanswered"])));
    }

    fn sent_at(kind: Kind, at: Instant, event_id: u64) -> Sent {
        Sent { n: event_id, kind, bot: 0, channel: 1, event_id, at, window: 0, session: None, attached: false }
    }
}
