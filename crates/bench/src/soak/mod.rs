//! The soak (issue 18 §4): botfleet runs as its own process against the Discord emulator with N
//! bots while scripted users send R commands a second for T seconds, and faults come one window
//! at a time — a calm window first, then each fault asked for. At the end every command is
//! accounted for (see `account`) and the figures are printed as JSON, per window and in all.
//!
//! The emulator runs inside this process (`discord_emulator::Emulator::start`): still a process
//! apart from botfleet, which reaches it over TCP as it would discord.com, while the soak reads
//! its state under its lock — which gateway session each command was queued to, and what became
//! of that session — instead of inferring it over HTTP.

pub mod account;
pub mod botfleet;
pub mod database;
pub mod faults;
pub mod monitor;
pub mod proxy;
pub mod world;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use self::botfleet::Botfleet;
use self::database::Database;
use self::faults::Fault;
use self::proxy::Proxy;
use self::world::{Kind, Sent, World};

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub bots: usize,
    /// Commands a second, across all bots.
    pub rate: f64,
    pub seconds: f64,
    /// Share of slash commands, 0 to 100.
    pub slash_percent: u8,
    pub faults: Vec<Fault>,
}

/// How a run ended.
pub enum Verdict {
    /// A prerequisite is missing (PostgreSQL): why.
    Skipped(String),
    /// The report, and whether every loss and duplicate was one Discord's rules explain.
    Done { report: Value, clean: bool },
}

/// Runs the soak.
pub async fn run(opts: &Options) -> anyhow::Result<Verdict> {
    let admin = database::admin_url();
    if let Err(e) = Database::reachable(&admin).await {
        return Ok(Verdict::Skipped(format!("PostgreSQL is not reachable at {admin}: {e:#}")));
    }
    let unique = unique();
    let dir = std::env::temp_dir().join(format!("botfleet-soak-{unique}"));
    std::fs::create_dir_all(&dir)?;
    let prefix_per_bot = opts.rate * f64::from(100 - opts.slash_percent.min(100)) / 100.0 / opts.bots.max(1) as f64;
    let world = World::build(opts.bots, prefix_per_bot).await?;
    let mut db = Database::create(&admin, &unique).await?;
    eprintln!("soak: database {} on {admin}, data directory {}", db.direct_url()?, dir.display());
    let result = soak(opts, &world, &mut db, &dir).await;
    if let Err(e) = db.drop_database().await {
        eprintln!("soak: could not drop the soak's database: {e:#}");
    }
    let (report, clean) = result?;
    // A failed run keeps its data directory: botfleet's log says what it did.
    if clean {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(Verdict::Done { report, clean })
}

/// A name no other run has: the process id and the clock's nanoseconds.
#[allow(clippy::disallowed_methods)] // a unique name, not a time rule
pub fn unique() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{}_{}", std::process::id(), nanos % 1_000_000_000_000)
}

/// Everything shared by the fault windows.
struct Run<'a> {
    opts: &'a Options,
    world: &'a World,
    bf: Botfleet,
    proxy: Proxy,
    /// When op 9 `d: false` went to every bot.
    op9_false: Vec<Instant>,
    /// A window's length.
    length: Duration,
}

async fn soak(
    opts: &Options,
    world: &World,
    db: &mut Database,
    dir: &std::path::Path,
) -> anyhow::Result<(Value, bool)> {
    let proxy = Proxy::start(db.upstream()?).await?;
    let key = botfleet::admin_key(dir, &db.direct_url()?).await?;
    let bf = Botfleet::start(dir, &db.proxied_url(proxy.port)?, world.emulator.http_url(), &key).await?;
    eprintln!("soak: botfleet at {} (log {})", bf.api, bf.log.display());
    let bots: Vec<(String, String)> = world.bots.iter().map(|b| (b.name.clone(), b.token.clone())).collect();
    let bot_ids = bf.create_and_start(&bots).await?;
    let connected = world.until(Duration::from_secs(300), World::all_connected).await;
    anyhow::ensure!(connected.is_some(), "the bots did not all connect within 300 s (see {})", bf.log.display());
    eprintln!("soak: {} bots connected; {} commands/s for {} s", opts.bots, opts.rate, opts.seconds);

    let mut windows: Vec<Option<Fault>> = vec![None];
    windows.extend(opts.faults.iter().copied().map(Some));
    let length = Duration::from_secs_f64((opts.seconds / windows.len() as f64).max(1.0));
    let (stop, stopped) = watch::channel(false);
    let apps: Vec<u64> = world.bots.iter().map(|b| b.app_id).collect();
    let monitor = monitor::spawn(world.emulator.clone(), apps, stopped.clone());
    let current = Arc::new(AtomicUsize::new(0));
    let sender = spawn_sender(world.clone(), opts.rate, opts.slash_percent, current.clone(), stopped);

    let mut run = Run { opts, world, bf, proxy, op9_false: vec![], length };
    let started = Instant::now();
    let (identifies0, resumes0) = world.handshakes();
    let mut measured = Vec::with_capacity(windows.len());
    for (i, fault) in windows.iter().enumerate() {
        current.store(i, Ordering::Relaxed);
        let from = Instant::now();
        let before = world.handshakes();
        eprintln!(
            "soak: window {i}: {} at {:.1} s",
            fault.map_or("none", Fault::name),
            started.elapsed().as_secs_f64()
        );
        let mut m = match fault {
            None => json!({}),
            Some(f) => run.apply(*f).await?,
        };
        tokio::time::sleep_until(from + length).await;
        let after = world.handshakes();
        m["fault"] = json!(fault.map_or("none", Fault::name));
        m["from_secs"] = json!(round(from.duration_since(started).as_secs_f64()));
        m["length_secs"] = json!(round(from.elapsed().as_secs_f64()));
        m["identifies"] = json!(after.0 - before.0);
        m["resumes"] = json!(after.1 - before.1);
        measured.push(m);
    }
    stop.send_replace(true);
    let sent = sender.await??;
    let sending = started.elapsed();
    eprintln!(
        "soak: {} commands sent in {:.1} s; waiting for the last answers and rows",
        sent.len(),
        sending.as_secs_f64()
    );
    let settle = settle(world, &sent, &run.bf, db).await;
    let timeline = monitor.await?;
    let rows = db.tracked().await?;
    let (identifies, resumes) = world.handshakes();

    let evidence = account::Evidence {
        world,
        sent: &sent,
        bot_ids: &bot_ids,
        rows: &rows,
        timeline: &timeline,
        op9_false: &run.op9_false,
        started,
    };
    let (per, total) = evidence.figures(windows.len());
    let mut out_windows = Vec::with_capacity(per.len());
    for (m, f) in measured.into_iter().zip(&per) {
        let mut w = f.to_json();
        if let (Some(obj), Value::Object(extra)) = (w.as_object_mut(), m) {
            obj.extend(extra);
        }
        out_windows.push(w);
    }
    let clean = total.unexplained == 0;
    let (refused, cut) = run.proxy.counts();
    let mut total_json = total.to_json();
    total_json["identifies"] = json!(identifies - identifies0);
    total_json["resumes"] = json!(resumes - resumes0);
    total_json["sending_secs"] = json!(round(sending.as_secs_f64()));
    total_json["settle_secs"] = json!(round(settle.as_secs_f64()));
    total_json["database_connections_refused"] = json!(refused);
    total_json["database_connections_cut"] = json!(cut);
    let report = json!({
        "soak": {
            "bots": opts.bots,
            "rate": opts.rate,
            "seconds": opts.seconds,
            "slash_percent": opts.slash_percent,
            "faults": opts.faults.iter().map(|f| f.name()).collect::<Vec<_>>(),
            "window_secs": round(length.as_secs_f64()),
            "emulator": "in the soak's process (discord_emulator::Emulator::start); botfleet in its own",
            "database": "PostgreSQL through the soak's TCP proxy",
            "botfleet_log": run.bf.log.display().to_string(),
        },
        "windows": out_windows,
        "total": total_json,
        "verdict": if clean {
            "ok: every loss and duplicate is one Discord's rules explain".to_owned()
        } else {
            format!("FAILED: {} commands lost, duplicated or untracked in ways Discord's rules do not explain", total.unexplained)
        },
    });
    if let Err(e) = run.bf.sigterm().await {
        eprintln!("soak: botfleet did not stop cleanly at the end: {e:#}");
    }
    Ok((report, clean))
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Sends `rate` commands a second, round-robin over the bots, until told to stop.
fn spawn_sender(
    mut world: World,
    rate: f64,
    slash_percent: u8,
    window: Arc<AtomicUsize>,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<anyhow::Result<Vec<Sent>>> {
    tokio::spawn(async move {
        let started = Instant::now();
        let bots = world.bots.len().max(1);
        let pct = u64::from(slash_percent.min(100));
        let mut sent = Vec::new();
        let mut n: u64 = 0;
        while !*stop.borrow_and_update() {
            let due = (started.elapsed().as_secs_f64() * rate) as u64;
            while n < due {
                let bot = usize::try_from(n).unwrap_or(0) % bots;
                // The mix is kept per bot (the bot's k-th command), so every bot gets its share of
                // prefix commands and no channel gets more than its bucket was sized for.
                let k = n / bots as u64;
                let kind = if (k + 1) * pct / 100 > k * pct / 100 { Kind::Slash } else { Kind::Prefix };
                sent.push(world.send(n, kind, bot, window.load(Ordering::Relaxed))?);
                n += 1;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(sent)
    })
}

/// Waits until the answers and the rows stop changing for 5 s (at most 120 s): late replies after a
/// rate-limit storm, the tracking writer catching up. Returns how long it waited.
async fn settle(world: &World, sent: &[Sent], bf: &Botfleet, db: &mut Database) -> Duration {
    let started = Instant::now();
    let mut last = (usize::MAX, usize::MAX);
    let mut same_since = Instant::now();
    while started.elapsed() < Duration::from_secs(120) {
        let answered = account::answered(world, sent);
        let rows = db.tracked().await.map_or(usize::MAX, |r| r.len());
        let queue = bf.tracking_queue_depth().await.unwrap_or(u64::MAX);
        if (answered, rows) != last || queue != 0 {
            last = (answered, rows);
            same_since = Instant::now();
        } else if same_since.elapsed() >= Duration::from_secs(5) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    started.elapsed()
}

impl Run<'_> {
    /// How long a rule-type fault (429s, latency, the database outage) holds.
    fn held(&self) -> Duration {
        (self.length / 2).max(Duration::from_secs(1))
    }

    /// Applies a fault at the start of its window and measures what it cost; returns the figures.
    async fn apply(&mut self, fault: Fault) -> anyhow::Result<Value> {
        let mut m = json!({});
        let before = self.world.handshakes();
        let mut injected = Vec::new();
        if fault == Fault::Op9NotResumable {
            self.op9_false.push(Instant::now());
        }
        for spec in fault.emulator_faults(self.held()) {
            injected.push(self.world.emulator.inject(spec)?);
        }
        let from = Instant::now();
        match fault {
            Fault::DbOutage => self.outage(&mut m).await,
            Fault::Sigterm | Fault::Kill9 => {
                if fault == Fault::Sigterm {
                    m["exit_clean"] = json!(self.bf.sigterm().await?);
                } else {
                    self.bf.kill9().await?;
                }
                m["stop_secs"] = json!(round(from.elapsed().as_secs_f64()));
                let restarted = Instant::now();
                self.bf.spawn().await?;
                m["downtime_secs"] = json!(round(from.elapsed().as_secs_f64()));
                m["resume_secs"] = json!(self.all_running(restarted).await.map(|d| round(d.as_secs_f64())));
            }
            _ => {}
        }
        if fault.reconnects() {
            let bots = self.opts.bots as u64;
            let back = self
                .world
                .until(Duration::from_secs(180), |w| {
                    let now = w.handshakes();
                    (now.0 - before.0) + (now.1 - before.1) >= bots && w.all_connected()
                })
                .await;
            m["reattached_secs"] = json!(back.map(|_| round(from.elapsed().as_secs_f64())));
        }
        if fault == Fault::Drop {
            // The repeating drops last for the window.
            let end = from + self.length;
            let ids = injected.clone();
            let emulator = self.world.emulator.clone();
            tokio::spawn(async move {
                tokio::time::sleep_until(end).await;
                for id in ids {
                    emulator.remove_fault(id);
                }
            });
        }
        Ok(m)
    }

    /// From a restart until the API shows every bot `running` (at most 180 s).
    async fn all_running(&self, from: Instant) -> Option<Duration> {
        while from.elapsed() < Duration::from_secs(180) {
            if self.bf.running().await.is_ok_and(|n| n >= self.opts.bots) {
                return Some(from.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    }

    /// The database outage: the proxy refuses and cuts connections for `held`; then the time until
    /// the tracking queue is empty and `/health/ready` says `ready` again, and — if botfleet
    /// spooled records (status `degraded`) — until the spool was written back.
    async fn outage(&self, m: &mut Value) {
        let held = self.held();
        self.proxy.set_outage(true);
        let from = Instant::now();
        let mut statuses: Vec<String> = Vec::new();
        let mut degraded = false;
        while from.elapsed() < held {
            let left = held.saturating_sub(from.elapsed());
            degraded |= self.bf.spooled();
            if let Ok(Ok(status)) = tokio::time::timeout(left, self.bf.readiness()).await {
                degraded |= status.ends_with(" degraded");
                if !statuses.contains(&status) {
                    statuses.push(status);
                }
            }
            tokio::time::sleep(Duration::from_millis(250).min(held.saturating_sub(from.elapsed()))).await;
        }
        self.proxy.set_outage(false);
        let ended = Instant::now();
        let (mut spool_drained, mut queue_drained) = (None, None);
        while ended.elapsed() < Duration::from_secs(180) {
            let status = self.bf.readiness().await.unwrap_or_default();
            let spooled = self.bf.spooled();
            degraded |= spooled || status.ends_with(" degraded");
            if !status.is_empty() && !statuses.contains(&status) {
                statuses.push(status.clone());
            }
            if spool_drained.is_none() && !spooled && status.starts_with("200 ") && !status.ends_with(" degraded") {
                spool_drained = Some(ended.elapsed());
            }
            if queue_drained.is_none()
                && self.bf.tracking_queue_depth().await.is_ok_and(|d| d == 0)
                && status == "200 ready"
            {
                queue_drained = Some(ended.elapsed());
            }
            if spool_drained.is_some() && queue_drained.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        m["outage_secs"] = json!(round(held.as_secs_f64()));
        m["health_statuses"] = json!(statuses);
        m["spool_seen"] = json!(degraded);
        m["spool_drain_secs"] = json!(if degraded { spool_drained.map(|d| round(d.as_secs_f64())) } else { None });
        m["queue_drain_secs"] = json!(queue_drained.map(|d| round(d.as_secs_f64())));
    }
}
