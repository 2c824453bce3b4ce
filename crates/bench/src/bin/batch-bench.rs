//! A batch of announcements through botfleet at the rate Discord allows (issue 20): `botfleet
//! serve` as its own process (SQLite, or PostgreSQL with `--postgres`) and the emulator in this
//! process with Discord's limits (POST /channels/{id}/messages: 5 per 5 s per channel; 50
//! requests/s per bot), one bot, `--channels` channels (20), a batch of `--messages` messages (50)
//! to every channel: 1,000 items. Prints one JSON document and exits non-zero when the batch used
//! less than 95 % of the rate Discord allows, met a 429, or a channel did not get every message
//! exactly once and in order.
//!
//!   cargo build --release -p botfleet -p bench --bins
//!   target/release/batch-bench [--channels 20] [--messages 50] [--postgres] [--json-out FILE]
//!
//! The rate Discord allows: each channel's bucket takes 5 messages, then refills 5 s after its
//! first; a channel's first 5 go at once, so its n messages need (ceil(n / 5) - 1) × 5 s from its
//! first send to its last (50 messages: 45 s). Every channel can start at once, so that is also
//! the ideal for the whole batch, from its first send to its last. The global 50 requests/s moves
//! half of the 100 first sends one second later, so 46 s is the real floor; the fraction is
//! measured against 45 s all the same. Send times are the emulator's: each message's snowflake
//! carries the millisecond it was created.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use bench::soak::botfleet::{admin_key, Botfleet};
use bench::soak::database::{self, Database};
use clap::Parser;
use discord_emulator::{ApplicationSpec, Emulator, EmulatorConfig};
use reqwest::Method;
use serde_json::{json, Value};
use tokio::time::Instant;

/// Discord's epoch in Unix milliseconds (a snowflake's time is its top 42 bits after it).
const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;
/// The channel bucket of `POST /channels/{id}/messages` (Discord's and the emulator's default).
const BUCKET: u64 = 5;
const WINDOW_SECS: f64 = 5.0;

#[derive(Debug, Parser)]
#[command(name = "batch-bench", about = "A batch of messages through botfleet at the rate Discord allows")]
struct Cli {
    /// Channels of the one bot.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=500))]
    channels: u16,
    /// Messages, each sent to every channel.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=100))]
    messages: u16,
    /// botfleet on a fresh PostgreSQL database (BOTFLEET_TEST_POSTGRES_URL's server) instead of SQLite.
    #[arg(long)]
    postgres: bool,
    /// Also write the JSON report to this file.
    #[arg(long)]
    json_out: Option<std::path::PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    let dir = std::env::temp_dir().join(format!("botfleet-batch-bench-{}", bench::soak::unique()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("batch-bench: {}: {e}", dir.display());
        return ExitCode::from(2);
    }
    let mut db = None;
    let url = if cli.postgres {
        let admin = database::admin_url();
        let made = async {
            Database::reachable(&admin).await?;
            Database::create(&admin, &bench::soak::unique()).await
        };
        match made.await {
            Ok(d) => {
                let url = d.direct_url();
                db = Some(d);
                url
            }
            Err(e) => Err(e),
        }
    } else {
        Ok(format!("sqlite://{}?mode=rwc", dir.join("botfleet.db").display()))
    };
    let result = match url {
        Ok(url) => run(&cli, &dir, &url).await,
        Err(e) => Err(e.context("PostgreSQL")),
    };
    if let Some(db) = db {
        if let Err(e) = db.drop_database().await {
            eprintln!("batch-bench: could not drop the database: {e:#}");
        }
    }
    match result {
        Ok((report, pass)) => {
            let text = serde_json::to_string_pretty(&report).unwrap_or_default();
            println!("{text}");
            if let Some(path) = &cli.json_out {
                if let Err(e) = std::fs::write(path, format!("{text}\n")) {
                    eprintln!("batch-bench: could not write {}: {e}", path.display());
                    return ExitCode::from(2);
                }
            }
            if pass {
                let _ = std::fs::remove_dir_all(&dir);
                ExitCode::SUCCESS
            } else {
                eprintln!("batch-bench: FAILED (botfleet's log: {})", dir.join("botfleet.log").display());
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("batch-bench: {e:#} (botfleet's log: {})", dir.join("botfleet.log").display());
            ExitCode::from(2)
        }
    }
}

/// The millisecond (Unix) a message was created, from its snowflake.
fn created_ms(id: u64) -> u64 {
    (id >> 22) + DISCORD_EPOCH_MS
}

fn content(n: usize, of: usize) -> String {
    format!("Announcement {n} of {of}: the summer sale starts Friday at 09:00.")
}

async fn run(cli: &Cli, dir: &Path, database_url: &str) -> anyhow::Result<(Value, bool)> {
    let (channels, messages) = (usize::from(cli.channels), usize::from(cli.messages));
    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    let owner = emulator.create_user("owner")?;
    let guild = emulator.create_guild("Shop", owner)?;
    let app = emulator.create_application(ApplicationSpec { name: "Announcer".into(), ..Default::default() })?;
    emulator.add_member(guild, app.bot_user_id, vec![])?;
    let mut ids = Vec::with_capacity(channels);
    for i in 0..channels {
        ids.push(emulator.create_channel(guild, &format!("news-{i}"))?);
    }

    let key = admin_key(dir, database_url).await?;
    let mut bf = Botfleet::start(dir, database_url, emulator.http_url(), &key).await?;
    let (status, bot) = bf.call(Method::POST, "/bots", Some(&json!({"name": "Announcer", "token": app.token}))).await?;
    anyhow::ensure!(status == 201, "creating the bot: {status} {bot}");
    let bot = bot["id"].as_i64().context("the bot's id")?;

    let before = emulator.counters().counters;
    let body = json!({
        "messages": (1..=messages).map(|n| json!({"content": content(n, messages)})).collect::<Vec<_>>(),
        "channels": ids.iter().map(|c| json!({"bot_id": bot, "channel_id": c.to_string()})).collect::<Vec<_>>(),
    });
    let submitted = Instant::now();
    let (status, job) = bf.call(Method::POST, "/messages/batch", Some(&body)).await?;
    anyhow::ensure!(status == 202, "submitting the batch: {status} {job}");
    let accepted_after = submitted.elapsed();
    let id = job["id"].as_i64().context("the job's id")?;
    // Progress every 5 s (stderr), until the job ends.
    let mut progress = Vec::new();
    let mut next_note = Duration::from_secs(5);
    let job = loop {
        let (_, job) = bf.call(Method::GET, &format!("/jobs/{id}"), None).await?;
        if !matches!(job["state"].as_str(), Some("queued" | "running")) {
            break job;
        }
        if submitted.elapsed() >= next_note {
            eprintln!(
                "batch-bench: {:>5.1} s: {} of {} done",
                submitted.elapsed().as_secs_f64(),
                job["done"],
                job["total"]
            );
            progress.push(json!({"seconds": next_note.as_secs(), "done": job["done"]}));
            next_note += Duration::from_secs(5);
        }
        anyhow::ensure!(submitted.elapsed() < Duration::from_secs(900), "the job did not end within 15 minutes: {job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let ended_after = submitted.elapsed();
    let after = emulator.counters().counters;

    // What every channel got, from the emulator: each message once, in order.
    let want: Vec<String> = (1..=messages).map(|n| content(n, messages)).collect();
    let mut wrong = BTreeMap::new();
    let mut times = Vec::new();
    for channel in &ids {
        let got: Vec<_> = emulator.messages(*channel)?.into_iter().filter(|m| m.author_is_bot).collect();
        let texts: Vec<&str> = got.iter().map(|m| m.content.as_str()).collect();
        if texts != want {
            wrong.insert(channel.to_string(), json!({"messages": texts.len(), "first": texts.first()}));
        }
        times.extend(got.iter().map(|m| created_ms(m.id)));
    }
    let first = times.iter().min().copied().unwrap_or(0);
    let last = times.iter().max().copied().unwrap_or(0);
    let sent = times.len();
    let send_secs = (last.saturating_sub(first)) as f64 / 1000.0;
    let windows = (messages as u64).div_ceil(BUCKET);
    let ideal_secs = (windows.saturating_sub(1)) as f64 * WINDOW_SECS;
    let allowed_per_sec = channels as f64 * BUCKET as f64 / WINDOW_SECS;
    let fraction = if send_secs > 0.0 {
        ideal_secs / send_secs
    } else if ideal_secs == 0.0 {
        1.0
    } else {
        0.0
    };
    let rate_limited = after.rate_limited - before.rate_limited;
    let by_scope: BTreeMap<&String, u64> = after
        .rate_limited_by_scope
        .iter()
        .map(|(scope, n)| (scope, n - before.rate_limited_by_scope.get(scope).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let posts =
        |by_route: &BTreeMap<String, u64>| by_route.get("POST /channels/{channel_id}/messages").copied().unwrap_or(0);
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    let pass = job["state"] == "succeeded" && wrong.is_empty() && rate_limited == 0 && fraction >= 0.95;
    let report = json!({
        "database": if cli.postgres { "postgresql" } else { "sqlite" },
        "channels": channels,
        "messages": messages,
        "items": channels * messages,
        "job": {"state": job["state"], "done": job["done"], "failed": job["failed"]},
        "accepted_after_s": round(accepted_after.as_secs_f64()),
        "job_ended_after_s": round(ended_after.as_secs_f64()),
        "progress": progress,
        "sent": sent,
        "first_to_last_send_s": round(send_secs),
        "messages_per_s": round(if send_secs > 0.0 { sent as f64 / send_secs } else { 0.0 }),
        "messages_per_s_submit_to_end": round(sent as f64 / ended_after.as_secs_f64()),
        "allowed_per_s": allowed_per_sec,
        "ideal_first_to_last_send_s": ideal_secs,
        "fraction_of_allowed": round(fraction),
        "rest_posts": posts(&after.rest_by_route) - posts(&before.rest_by_route),
        "rate_limited": rate_limited,
        "rate_limited_by_scope": by_scope,
        "nonce_duplicates": after.nonce_duplicates - before.nonce_duplicates,
        "channels_wrong": wrong,
        "pass": pass,
    });
    bf.sigterm().await?;
    Ok((report, pass))
}
