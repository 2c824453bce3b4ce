//! botfleet against the bare twilight echo baseline, each driven by the emulator's load driver,
//! every piece in its own process: three rounds (echo, then botfleet) at 1,000 commands/s for 30 s
//! with 100 bots — each figure with every round's value and their min, median and max, the
//! machine's load average before and after each run and the share of its CPU time the hypervisor
//! stole meanwhile (`steal_percent`, from `/proc/stat`), and the CPU per command of each process; then
//! botfleet's memory per idle connected bot with 1,000 bots, before and after 10,000 commands.
//! Prints one JSON document.
//!
//!   ./scripts/bench        (builds the release binaries, then runs this)
//!
//! Environment: BENCH_ROUNDS (3), BENCH_BOTS (100), BENCH_RATE (1000), BENCH_SECS (30),
//! BENCH_IDLE_BOTS (1000), BENCH_SKIP_MEMORY (unset), BENCH_IDLE_ONLY (unset; `1`: the memory phase
//! stops after the idle figure, BENCH_HOLD_SECS later; `world`: after the idle figure with the
//! load driver's guilds; `loaded`: right after the 10,000 commands; `after`: holds at the end,
//! idle again after the load), BENCH_BOTFLEET_PREFIX (unset: a command
//! and its arguments botfleet runs under, e.g. `heaptrack -o /var/tmp/botfleet` for a heap
//! profile or `perf record -g -o /var/tmp/perf.data --` for a CPU profile), BENCH_WORKER_THREADS
//! (unset: each process's default; `./scripts/bench` sets 1): the threads of botfleet's and the
//! echo bots' runtimes, the same for both.
//!
//! CPU per command: each process's user + system CPU time (from `/proc/<pid>/stat`) over the load
//! run, divided by the commands answered — for botfleet, the echo baseline and the emulator.
//!
//! The cost of monitoring: `BENCH_MONITORING=compare ./scripts/bench` runs each round three times
//! — echo, botfleet with monitoring on (performance history every 10 s, the alert engine every
//! 5 s judging three rules over every bot), botfleet with `BOTFLEET_MONITORING=false` — and
//! reports the added p99 of each against the echo baseline (medians; BENCH_ROUNDS defaults to 5).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly by design

use std::process::Stdio;
use std::time::Duration;

use bench::world::{
    add_and_start, answered, bin, botfleet, cpu_per_command, cpu_us, emulator, env_or, rss_kib, run_load, tempdir,
    wait_connected, worker_threads, Botfleet, Emulator,
};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

async fn echo_run(http: &reqwest::Client, bots: usize, rate: f64, secs: f64) -> Value {
    let dir = tempdir();
    let emu = emulator(bots, &dir).await;
    let host = emu.url.trim_start_matches("http://").to_owned();
    let mut echo = Command::new(bin("echo-bots"))
        .args(["--host", &host, "--gateway", &emu.gateway])
        .envs(worker_threads().map(|n| ("TOKIO_WORKER_THREADS", n)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("target/release/echo-bots");
    let list: Vec<Value> =
        emu.apps.iter().map(|a| json!({"token": a["token"], "application_id": a["application_id"]})).collect();
    let mut stdin = echo.stdin.take().unwrap();
    stdin.write_all(serde_json::to_string(&list).unwrap().as_bytes()).await.unwrap();
    drop(stdin);
    wait_connected(http, &emu, bots).await;
    let (pid, emu_pid) = (echo.id().unwrap_or(0), emu.child.id().unwrap_or(0));
    let (cpu, emu_cpu) = (cpu_us(pid), cpu_us(emu_pid));
    let (report, machine) = run_load_watching_the_machine(http, &emu, rate, secs).await;
    let n = answered(&report);
    let cpu = cpu_per_command(cpu, cpu_us(pid), n);
    let emu_cpu = cpu_per_command(emu_cpu, cpu_us(emu_pid), n);
    let rss = rss_kib(pid);
    drop(echo);
    drop(emu.child);
    json!({"report": report, "rss_kib": rss, "cpu_us_per_command": cpu, "emulator_cpu_us_per_command": emu_cpu,
           "machine": machine})
}

async fn tracked_rows(db: &std::path::Path) -> i64 {
    let url = format!("sqlite://{}?mode=ro", db.display());
    let Ok(mut conn) = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await else { return -1 };
    sqlx::query_scalar("SELECT COUNT(*) FROM discord_command_logs").fetch_one(&mut conn).await.unwrap_or(-1)
}

/// Alert rules over every bot, so the engine has real work while the load runs.
async fn add_alert_rules(http: &reqwest::Client, bf: &Botfleet) {
    let rules = [
        json!({"name": "Bot down", "condition": {"kind": "bot_down", "for_seconds": 30}, "failures_in_a_row": 2}),
        json!({"name": "Slow replies", "condition": {"kind": "reply_latency", "p99_ms": 1000, "within_seconds": 60}}),
        json!({"name": "Rate limited", "condition": {"kind": "rate_limited", "count": 100, "within_seconds": 60}}),
    ];
    for rule in rules {
        let status = http
            .post(format!("{}/alerts/rules", bf.api))
            .bearer_auth(&bf.key)
            .json(&rule)
            .send()
            .await
            .unwrap()
            .status();
        assert!(status.is_success(), "alert rule not created: {status}");
    }
}

async fn botfleet_run(http: &reqwest::Client, bots: usize, rate: f64, secs: f64, monitoring: bool) -> Value {
    let dir = tempdir();
    let emu = emulator(bots, &dir).await;
    let bf = botfleet(&emu, &dir, monitoring).await;
    if monitoring {
        add_alert_rules(http, &bf).await;
    }
    add_and_start(http, &bf, &emu).await;
    wait_connected(http, &emu, bots).await;
    let (pid, emu_pid) = (bf.child.id().unwrap_or(0), emu.child.id().unwrap_or(0));
    let (cpu, emu_cpu) = (cpu_us(pid), cpu_us(emu_pid));
    let (report, machine) = run_load_watching_the_machine(http, &emu, rate, secs).await;
    let answered = answered(&report);
    let cpu = cpu_per_command(cpu, cpu_us(pid), answered);
    let emu_cpu = cpu_per_command(emu_cpu, cpu_us(emu_pid), answered);
    // The writer batches off the hot path: give it a moment to catch up.
    let mut rows = 0;
    for _ in 0..100 {
        rows = tracked_rows(&bf.db).await;
        if rows >= i64::try_from(answered).unwrap_or(i64::MAX) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let own: Value =
        http.get(format!("{}/fleet/latency", bf.api)).bearer_auth(&bf.key).send().await.unwrap().json().await.unwrap();
    let rss = bf.child.id().map(rss_kib).unwrap_or(0);
    drop(bf.child);
    drop(emu.child);
    json!({"report": report, "rows_tracked": rows, "botfleet_histogram": own, "rss_kib": rss, "monitoring": monitoring,
           "cpu_us_per_command": cpu, "emulator_cpu_us_per_command": emu_cpu,
           "machine": machine})
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Every round's value, and their min, median and max.
fn spread(v: Vec<f64>) -> Value {
    let min = v.iter().copied().fold(f64::INFINITY, f64::min);
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    json!({"rounds": v, "min": if v.is_empty() { 0.0 } else { min }, "median": median(v.clone()),
           "max": if v.is_empty() { 0.0 } else { max }})
}

/// The load run, and what the machine was doing meanwhile: its 1-minute load average before and
/// after, and the share of its CPU time the hypervisor stole.
async fn run_load_watching_the_machine(http: &reqwest::Client, emu: &Emulator, rate: f64, secs: f64) -> (Value, Value) {
    let (load_before, ticks_before) = (load_average(), cpu_ticks());
    let report = run_load(http, emu, rate, secs).await;
    let machine = json!({"load_average_before": load_before, "load_average_after": load_average(),
                         "steal_percent": steal_percent(ticks_before, cpu_ticks())});
    (report, machine)
}

/// The machine's 1-minute load average (from `/proc/loadavg`).
fn load_average() -> f64 {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().next().and_then(|v| v.parse().ok()).unwrap_or(0.0)
}

/// The machine's CPU time so far, in clock ticks: (stolen by the hypervisor, all), from the `cpu`
/// line of `/proc/stat` (zeros where there is none).
fn cpu_ticks() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(line) = text.lines().find(|l| l.starts_with("cpu ")) else { return (0, 0) };
    let ticks: Vec<u64> = line.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal (guest time is counted in user already).
    let all = ticks.iter().take(8).sum();
    (ticks.get(7).copied().unwrap_or(0), all)
}

/// The share of the machine's CPU time the hypervisor gave to others between two `cpu_ticks`: on
/// a shared VM, what makes one round slower than the next.
fn steal_percent((steal0, all0): (u64, u64), (steal1, all1): (u64, u64)) -> f64 {
    let all = all1.saturating_sub(all0);
    if all == 0 {
        return 0.0;
    }
    (steal1.saturating_sub(steal0) as f64 * 1000.0 / all as f64).round() / 10.0
}

fn summarise(runs: &[Value]) -> Value {
    let mut out = json!({});
    for kind in ["prefix", "slash"] {
        let pick = |f: &dyn Fn(&Value) -> f64| spread(runs.iter().map(|r| f(&r["report"]["kinds"][kind])).collect());
        out[kind] = json!({
            "p50_ms": pick(&|k| k["latency_ms"]["p50"].as_f64().unwrap_or(0.0)),
            "p99_ms": pick(&|k| k["latency_ms"]["p99"].as_f64().unwrap_or(0.0)),
            "answered": pick(&|k| k["answered"].as_f64().unwrap_or(0.0)),
            "sent": pick(&|k| k["sent"].as_f64().unwrap_or(0.0)),
            "answered_twice": pick(&|k| k["answered_twice"].as_f64().unwrap_or(0.0)),
        });
    }
    for (name, path) in [
        ("rows_tracked", &["rows_tracked"][..]),
        ("own_p50_ms", &["botfleet_histogram", "p50_ms"][..]),
        ("own_p99_ms", &["botfleet_histogram", "p99_ms"][..]),
        ("achieved_rate", &["report", "achieved_rate"][..]),
        ("cpu_us_per_command", &["cpu_us_per_command"][..]),
        ("emulator_cpu_us_per_command", &["emulator_cpu_us_per_command"][..]),
        ("load_average_before", &["machine", "load_average_before"][..]),
        ("load_average_after", &["machine", "load_average_after"][..]),
        ("steal_percent", &["machine", "steal_percent"][..]),
    ] {
        out[name] = spread(runs.iter().map(|r| path.iter().fold(r, |v, k| &v[*k]).as_f64().unwrap_or(0.0)).collect());
    }
    out["consistent"] = json!(runs.iter().all(|r| r["report"]["dispatches"]["consistent"] == true));
    out
}

/// Whether the memory phase stops at `stop` (`BENCH_IDLE_ONLY`): then it says `what` and holds
/// `BENCH_HOLD_SECS` first, time for a `kill -9` of a profiled botfleet (heaptrack then reports
/// what was live at this point as never freed).
async fn stop_here(stop: &str, what: &str) -> bool {
    if std::env::var("BENCH_IDLE_ONLY").as_deref() != Ok(stop) {
        return false;
    }
    let hold = env_or("BENCH_HOLD_SECS", 0u64);
    eprintln!("{what}; holding {hold} s");
    tokio::time::sleep(Duration::from_secs(hold)).await;
    true
}

async fn memory(http: &reqwest::Client, bots: usize) -> Value {
    let dir = tempdir();
    let emu = emulator(bots, &dir).await;
    let bf = botfleet(&emu, &dir, true).await;
    let pid = bf.child.id().unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let empty = rss_kib(pid);
    let started = tokio::time::Instant::now();
    add_and_start(http, &bf, &emu).await;
    let connected_in = wait_connected(http, &emu, bots).await;
    let ready_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_small = rss_kib(pid);
    let per_bot = |rss: u64| (rss.saturating_sub(empty)) as f64 / bots as f64;
    if stop_here("1", &format!("idle: {:.0} KiB per bot (botfleet pid {pid})", per_bot(idle_small))).await {
        return json!({"bots": bots, "rss_empty_kib": empty, "rss_idle_small_guild_kib": idle_small,
                      "per_idle_bot_kib": per_bot(idle_small),
                      "all_ready_secs": ready_secs, "connected_after_start_secs": connected_in.as_secs_f64()});
    }
    // A short warm-up builds the load driver's world (a guild per bot, reused by later runs), so
    // "after load" compares like with like; then every bot's REST client idles out (30 s).
    run_load(http, &emu, 100.0, 1.0).await;
    tokio::time::sleep(Duration::from_secs(75)).await;
    let idle = rss_kib(pid);
    if stop_here("world", &format!("idle with the load world: {:.0} KiB per bot", per_bot(idle))).await {
        return json!({"bots": bots, "rss_empty_kib": empty, "rss_idle_with_load_world_kib": idle});
    }
    let report = run_load(http, &emu, 1000.0, 10.0).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = rss_kib(pid);
    if stop_here("loaded", &format!("right after the load: {:.0} KiB per bot", per_bot(after))).await {
        return json!({"bots": bots, "rss_empty_kib": empty, "rss_idle_with_load_world_kib": idle,
                      "rss_after_10k_commands_kib": after});
    }
    // botfleet drops a bot's REST client 30 to 38 s after its last command: idle again after the load.
    tokio::time::sleep(Duration::from_secs(75)).await;
    let after_idle = rss_kib(pid);
    stop_here("after", "idle again after the load").await;
    drop(bf.child);
    drop(emu.child);
    let answered: u64 = ["prefix", "slash"].iter().map(|k| report["kinds"][k]["answered"].as_u64().unwrap_or(0)).sum();
    json!({
        "bots": bots,
        "rss_empty_kib": empty,
        "rss_idle_small_guild_kib": idle_small,
        "rss_idle_with_load_world_kib": idle,
        "rss_after_10k_commands_kib": after,
        "rss_idle_again_after_75s_kib": after_idle,
        "per_bot_idle_again_kib": per_bot(after_idle),
        "per_idle_bot_kib": per_bot(idle_small),
        "per_idle_bot_with_load_world_kib": per_bot(idle),
        "per_bot_after_load_kib": per_bot(after),
        "all_ready_secs": ready_secs,
        "connected_after_start_secs": connected_in.as_secs_f64(),
        "load_answered": answered,
    })
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let compare = std::env::var("BENCH_MONITORING").as_deref() == Ok("compare");
    let (rounds, bots, rate, secs): (usize, usize, f64, f64) = (
        env_or("BENCH_ROUNDS", if compare { 5 } else { 3 }),
        env_or("BENCH_BOTS", 100),
        env_or("BENCH_RATE", 1000.0),
        env_or("BENCH_SECS", 30.0),
    );
    let mut echo = Vec::new();
    let mut fleet = Vec::new();
    let mut unmonitored = Vec::new();
    for round in 1..=rounds {
        eprintln!("round {round}/{rounds}: echo baseline ({bots} bots, {rate}/s for {secs} s)");
        echo.push(echo_run(&http, bots, rate, secs).await);
        eprintln!("round {round}/{rounds}: botfleet ({bots} bots, {rate}/s for {secs} s)");
        fleet.push(botfleet_run(&http, bots, rate, secs, true).await);
        if compare {
            eprintln!("round {round}/{rounds}: botfleet with monitoring off");
            unmonitored.push(botfleet_run(&http, bots, rate, secs, false).await);
        }
    }
    let (e, f) = (summarise(&echo), summarise(&fleet));
    let ratio = |f: &Value, e: &Value, kind: &str| {
        let median = |v: &Value| v[kind]["p99_ms"]["median"].as_f64().unwrap_or(0.0);
        if median(e) > 0.0 {
            median(f) / median(e)
        } else {
            0.0
        }
    };
    let added = |f: &Value, kind: &str| {
        f[kind]["p99_ms"]["median"].as_f64().unwrap_or(0.0) - e[kind]["p99_ms"]["median"].as_f64().unwrap_or(0.0)
    };
    let mut result = json!({
        "rounds": rounds, "bots": bots, "rate": rate, "seconds": secs,
        "worker_threads": worker_threads().unwrap_or_else(|| "default (one per core)".to_owned()),
        "echo": e.clone(), "botfleet": f.clone(),
        "botfleet_added_p99_ms": {"prefix": added(&f, "prefix"), "slash": added(&f, "slash")},
        // Issue 26's figures, medians: p99 within 1.2 × the echo baseline's, CPU ≤ 150 µs a command.
        "botfleet_p99_over_echo": {"prefix": ratio(&f, &e, "prefix"), "slash": ratio(&f, &e, "slash")},
        "cpu_us_per_command_median": {
            "botfleet": f["cpu_us_per_command"]["median"], "echo": e["cpu_us_per_command"]["median"],
            "emulator_in_botfleet_runs": f["emulator_cpu_us_per_command"]["median"],
        },
        "runs": {"echo": echo, "botfleet": fleet},
    });
    if compare {
        let off = summarise(&unmonitored);
        // Per round, so each difference compares runs made minutes apart.
        let per_round = |kind: &str| -> Vec<f64> {
            fleet
                .iter()
                .zip(&unmonitored)
                .map(|(on, off)| {
                    let p99 = |r: &Value| r["report"]["kinds"][kind]["latency_ms"]["p99"].as_f64().unwrap_or(0.0);
                    p99(on) - p99(off)
                })
                .collect()
        };
        result["monitoring_cost"] = json!({
            "added_p99_ms_monitoring_on": {"prefix": added(&f, "prefix"), "slash": added(&f, "slash")},
            "added_p99_ms_monitoring_off": {"prefix": added(&off, "prefix"), "slash": added(&off, "slash")},
            "on_minus_off_p99_ms_per_round": {"prefix": per_round("prefix"), "slash": per_round("slash")},
            "botfleet_monitoring_off": off,
        });
        result["runs"]["botfleet_monitoring_off"] = json!(unmonitored);
    }
    if std::env::var_os("BENCH_SKIP_MEMORY").is_none() {
        let idle_bots = env_or("BENCH_IDLE_BOTS", 1000);
        eprintln!("memory: {idle_bots} idle bots, then 10,000 commands");
        result["memory"] = memory(&http, idle_bots).await;
    }
    // The per-run reports are long; the summary comes first.
    println!("{}", serde_json::to_string_pretty(&result).unwrap());
}
