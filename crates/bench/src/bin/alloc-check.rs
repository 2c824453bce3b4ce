//! The allocation baselines in the test command: figures that do not depend on how busy the
//! machine is, checked against `crates/bench/alloc-baseline.json` with its stated tolerance.
//! botfleet (a build with the `alloc-count` feature: every heap allocation counted, on /metrics)
//! runs as its own process against the emulator with 200 bots, each in a server of 102 members:
//!
//! - heap held per connected idle bot: (live heap bytes with the bots connected − before any bot)
//!   / 200;
//! - heap allocations and bytes allocated per command over 1,000 commands (100/s, half slash),
//!   every one answered, after a warm-up of 300 (the load driver's servers joined, every bot's
//!   REST client made);
//! - heap held per bot after those commands, each bot now also in a 100-member server.
//!
//!   ./scripts/alloc-check            (builds, runs, fails on a regression)
//!   ALLOC_CHECK_RECORD=1 ./scripts/alloc-check   (writes the measured figures as the baseline)
//!
//! A figure more than the tolerance above its baseline fails; one more than the tolerance below
//! says the baseline can be lowered (recorded again) and passes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly by design

use std::time::Duration;

use bench::world::{self, Botfleet};
use serde_json::{json, Value};

const BOTS: usize = 200;
/// Members of each bot's own server besides its owner and the bot.
const MEMBERS: usize = 100;
const COMMANDS_PER_SECOND: f64 = 100.0;
const SECONDS: f64 = 10.0;

/// The counting allocator's figures from /metrics: (allocations, bytes allocated, live bytes).
async fn heap(http: &reqwest::Client, bf: &Botfleet) -> (u64, u64, u64) {
    let base = bf.api.trim_end_matches("/api/v1");
    let text = http.get(format!("{base}/metrics")).bearer_auth(&bf.key).send().await.unwrap().text().await.unwrap();
    let figure = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} is not on /metrics: is botfleet built with --features alloc-count?"))
    };
    (
        figure("botfleet_heap_allocations_total"),
        figure("botfleet_heap_allocated_bytes_total"),
        figure("botfleet_heap_live_bytes"),
    )
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let dir = world::tempdir();
    // Every bot's server has 100 members: its GUILD_CREATE (≈ 25 KB) is larger than the
    // websocket's usual read buffer, so a buffer kept at that size shows in the idle heap.
    let emu = world::emulator_with_members(BOTS, MEMBERS, &dir).await;
    let bf = world::botfleet(&emu, &dir, true).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (_, _, empty) = heap(&http, &bf).await;
    world::add_and_start(&http, &bf, &emu).await;
    world::wait_connected(&http, &emu, BOTS).await;
    // The start-up's transient allocations settle (REST clients of the start are dropped at once).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (_, _, idle) = heap(&http, &bf).await;
    // A warm-up: the load driver adds its servers (a GUILD_CREATE each) and every bot makes its
    // REST client, so the figures below are what a command costs once a bot answers commands.
    world::run_load(&http, &emu, COMMANDS_PER_SECOND, 3.0).await;
    let (allocations, bytes, _) = heap(&http, &bf).await;
    let report = world::run_load(&http, &emu, COMMANDS_PER_SECOND, SECONDS).await;
    let (allocations_after, bytes_after, _) = heap(&http, &bf).await;
    // Each bot is also in a server of 100 members now (a large GUILD_CREATE): what a bot holds
    // after the load, its REST client included, says whether gateway buffers or clients pile up.
    let (_, _, loaded) = heap(&http, &bf).await;
    let answered = world::answered(&report);
    let sent: u64 = ["prefix", "slash"].iter().map(|k| report["kinds"][k]["sent"].as_u64().unwrap_or(0)).sum();
    assert!(answered > 0 && answered == sent, "every command answered: {answered} of {sent}");
    let measured = json!({
        "heap_per_idle_bot_bytes": (idle.saturating_sub(empty)) as f64 / BOTS as f64,
        "allocations_per_command": (allocations_after - allocations) as f64 / answered as f64,
        "bytes_allocated_per_command": (bytes_after - bytes) as f64 / answered as f64,
        "heap_per_bot_after_load_bytes": (loaded.saturating_sub(empty)) as f64 / BOTS as f64,
    });
    drop(bf);
    drop(emu);

    // From the working directory (scripts/alloc-check runs from the repository's root), not from
    // where the binary was built: a shared target directory may hold a build of another checkout.
    let path = std::path::Path::new("crates/bench/alloc-baseline.json");
    if std::env::var_os("ALLOC_CHECK_RECORD").is_some() {
        let tolerance = 0.15;
        let baseline = json!({
            "about": "scripts/alloc-check: figures of a debug build with --features alloc-count, 200 idle bots, \
                      1,000 commands; a figure above baseline × (1 + tolerance) fails",
            "tolerance": tolerance,
            "figures": measured,
        });
        std::fs::write(path, serde_json::to_string_pretty(&baseline).unwrap() + "\n").unwrap();
        println!("{}", serde_json::to_string_pretty(&json!({"recorded": measured})).unwrap());
        return;
    }
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!("reading {}: {e} (run from the repository's root, as scripts/alloc-check does)", path.display())
    });
    let baseline: Value = serde_json::from_str(&text).unwrap();
    let tolerance = baseline["tolerance"].as_f64().unwrap();
    let mut failed = Vec::new();
    let mut rows = Vec::new();
    for (name, value) in measured.as_object().unwrap() {
        let now = value.as_f64().unwrap();
        let base = baseline["figures"][name].as_f64().unwrap_or_else(|| panic!("{name} has no baseline"));
        let change = now / base - 1.0;
        let verdict = if change > tolerance {
            failed.push(name.clone());
            "REGRESSED"
        } else if change < -tolerance {
            "improved: record the baseline again (ALLOC_CHECK_RECORD=1 ./scripts/alloc-check)"
        } else {
            "ok"
        };
        rows.push(json!({"figure": name, "measured": now, "baseline": base, "change": change, "verdict": verdict}));
    }
    println!("{}", serde_json::to_string_pretty(&json!({"tolerance": tolerance, "figures": rows})).unwrap());
    if !failed.is_empty() {
        eprintln!("FAILED: {} above the baseline by more than {:.0}%", failed.join(", "), tolerance * 100.0);
        std::process::exit(1);
    }
}
