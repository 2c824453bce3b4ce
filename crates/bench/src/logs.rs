//! Command-log and bot-log rows shaped like a shop fleet's: many bots (a few busy ones), a few busy
//! guilds and a long tail, users drawn from a Zipf-like tail, a handful of commands, some errors,
//! arguments and replies from a vocabulary where a few words are common and most are rare, and one
//! word (`zanzibar`) in about one row in 100,000. Deterministic: the same seed makes the same rows.

use botfleet::logs::bot_logs::BotLogRecord;
use botfleet::logs::commands::{CommandKind, CommandRecord, Outcome};

/// Bots in the fleet.
pub const BOTS: usize = 500;
/// Guilds commands come from.
pub const GUILDS: usize = 2_000;
/// Users who send commands.
pub const USERS: usize = 200_000;
/// The rare word: about one row in 100,000 holds it.
pub const RARE: &str = "zanzibar";
/// A common word: in roughly a fifth of the rows.
pub const COMMON: &str = "tea";
/// A word of middling frequency, looked for within one bot.
pub const MIDDLING: &str = "matcha";
/// The first row's time (2026-01-01T00:00:00Z) and the span the rows cover.
pub const START_MS: i64 = 1_767_225_600_000;
pub const DAY_MS: i64 = 86_400_000;

/// SplitMix64: small, fast, good enough for test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A float in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Draws 0..n with weight 1 / (k + 1)^s.
#[derive(Debug, Clone)]
pub struct Zipf {
    cumulative: Vec<f64>,
}

impl Zipf {
    pub fn new(n: usize, s: f64) -> Self {
        let mut total = 0.0;
        let cumulative = (0..n)
            .map(|k| {
                total += 1.0 / ((k + 1) as f64).powf(s);
                total
            })
            .collect::<Vec<_>>();
        Self { cumulative: cumulative.iter().map(|c| c / total).collect() }
    }

    pub fn draw(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cumulative.partition_point(|c| *c < u).min(self.cumulative.len() - 1)
    }
}

const SYLLABLES: [&str; 24] = [
    "ka", "lo", "mi", "ne", "ru", "so", "ta", "vi", "ze", "po", "qu", "ir", "an", "el", "or", "ub", "ya", "xo", "fe",
    "gi", "hu", "jo", "be", "di",
];
const PRODUCTS: [&str; 12] = [
    "green tea",
    "black tea",
    "matcha",
    "oolong",
    "earl grey",
    "sencha",
    "rooibos",
    "chai",
    "jasmine tea",
    "mint tea",
    "kettle",
    "teapot",
];
const COMMANDS: [(&str, f64); 8] = [
    ("ping", 0.10),
    ("help", 0.08),
    ("stock", 0.30),
    ("price", 0.20),
    ("order", 0.15),
    ("cart", 0.10),
    ("track", 0.05),
    ("refund", 0.02),
];
const ERRORS: [&str; 4] = [
    "Discord said: Missing Permissions (50013)",
    "the reply timed out after 10 s",
    "Discord said: Unknown interaction (10062)",
    "the product service did not answer",
];

/// Everything a generator draws from, built once.
pub struct Shape {
    bots: Zipf,
    guilds: Zipf,
    users: Zipf,
    words: Zipf,
    vocabulary: Vec<String>,
}

impl Default for Shape {
    fn default() -> Self {
        Self::new()
    }
}

impl Shape {
    pub fn new() -> Self {
        // 5,000 made-up words (two or three syllables) after the products: a long tail.
        let mut rng = Rng::new(7);
        let mut vocabulary: Vec<String> = PRODUCTS.iter().map(|p| (*p).to_owned()).collect();
        while vocabulary.len() < 5_000 {
            let n = 2 + rng.below(2);
            vocabulary.push((0..n).map(|_| SYLLABLES[rng.below(SYLLABLES.len())]).collect());
        }
        Self {
            bots: Zipf::new(BOTS, 0.8),
            guilds: Zipf::new(GUILDS, 1.1),
            users: Zipf::new(USERS, 1.0),
            words: Zipf::new(vocabulary.len(), 1.0),
            vocabulary,
        }
    }

    /// A bot id (1-based), busy ones more often.
    pub fn bot(&self, rng: &mut Rng) -> i64 {
        self.bots.draw(rng) as i64 + 1
    }

    /// A user id, as the rows hold them.
    pub fn user(&self, rng: &mut Rng) -> u64 {
        100_000_000_000_000_000 + self.users.draw(rng) as u64
    }

    fn words(&self, rng: &mut Rng, n: usize) -> String {
        let mut out: Vec<&str> = (0..n).map(|_| self.vocabulary[self.words.draw(rng)].as_str()).collect();
        if rng.below(100_000) == 0 {
            out.push(RARE);
        }
        out.join(" ")
    }

    /// Command row number `i` of `total`, spread evenly over `days`.
    pub fn command(&self, rng: &mut Rng, i: u64, total: u64, days: i64) -> CommandRecord {
        let at = START_MS + (i as i128 * (days * DAY_MS) as i128 / total.max(1) as i128) as i64;
        let mut u = rng.unit();
        let command = COMMANDS.iter().find(|(_, w)| {
            u -= w;
            u < 0.0
        });
        let command = command.map_or("ping", |c| c.0);
        let guild = self.guilds.draw(rng) as u64;
        let arguments = match command {
            "ping" | "help" => String::new(),
            _ => {
                let n = 1 + rng.below(3);
                self.words(rng, n)
            }
        };
        let user = self.user(rng);
        let mut r = CommandRecord::new(self.bot(rng), CommandKind::Slash, at, command, arguments.clone()).from(
            1_000_000_000_000_000_000 + i,
            Some(200_000_000_000_000_000 + guild),
            300_000_000_000_000_000 + guild * 10 + rng.below(5) as u64,
            user,
            &format!("user{}", user % 1_000_000),
        );
        let roll = rng.below(1000);
        r.outcome = match roll {
            0..=24 => Outcome::Error,
            25..=34 => Outcome::Denied,
            35..=39 => Outcome::Expired,
            _ => Outcome::Ok,
        };
        r.latency_us = Some(20_000 + rng.below(300_000) as i64);
        r.responded_at = Some(at + 50);
        match r.outcome {
            Outcome::Error => r.error = Some(ERRORS[rng.below(ERRORS.len())].to_owned()),
            Outcome::Ok => r.reply(&match command {
                "ping" => format!("Pong! {} ms", rng.below(200)),
                "help" => "Commands: /stock, /price, /order, /cart, /track, /refund".to_owned(),
                _ => format!("{arguments}: {} left, {}.{:02} each", rng.below(500), rng.below(90), rng.below(100)),
            }),
            _ => {}
        }
        r
    }

    /// Bot log line number `i` of `total`, spread evenly over `days`.
    pub fn bot_log(&self, rng: &mut Rng, i: u64, total: u64, days: i64) -> BotLogRecord {
        let at = START_MS + (i as i128 * (days * DAY_MS) as i128 / total.max(1) as i128) as i64;
        let bot_id = self.bot(rng);
        let (level, event, message) = match rng.below(100) {
            0..=39 => (
                "info",
                "resumed",
                format!("resumed session {:016x} at sequence {}", rng.next_u64(), rng.below(1 << 20)),
            ),
            40..=69 => ("info", "connected", format!("connected to shard 0 as {}", self.words(rng, 1))),
            70..=89 => (
                "warn",
                "disconnected",
                format!("gateway closed with code {} ({})", 4000 + rng.below(15), self.words(rng, 2)),
            ),
            90..=96 => (
                "error",
                "command_error",
                format!("{} failed: {}", self.words(rng, 1), ERRORS[rng.below(ERRORS.len())]),
            ),
            _ => ("error", "session_lost", format!("session invalidated; {} events lost", rng.below(50))),
        };
        BotLogRecord { bot_id, at, level, event: event.to_owned(), message }
    }
}
