//! `discord-emulator`: runs the local Discord as a process, prints its URLs and the fake tokens of
//! its world, and serves until Ctrl-C.

use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use discord_emulator::{Emulator, EmulatorConfig, WorldSpec};

/// A local Discord (gateway + REST, API v10) for tests, benchmarks and demos.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Address to listen on (REST, gateway and control API share it).
    #[arg(long, env = "DISCORD_EMULATOR_LISTEN", default_value = "127.0.0.1:0")]
    listen: String,
    /// A TOML world file (applications, users, guilds, channels); a small shop world when absent.
    #[arg(long, env = "DISCORD_EMULATOR_WORLD")]
    world: Option<std::path::PathBuf>,
    /// Heartbeat interval sent in Hello, in milliseconds.
    #[arg(long, default_value_t = 41_250)]
    heartbeat_interval_ms: u64,
    /// Print the world summary as one JSON line instead of text (for scripts).
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let spec = match &cli.world {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            WorldSpec::from_toml(&text)?
        }
        None => WorldSpec::default_world(),
    };
    let listener = tokio::net::TcpListener::bind(&cli.listen)
        .await
        .with_context(|| format!("binding {}", cli.listen))?;
    let config = EmulatorConfig {
        heartbeat_interval: Duration::from_millis(cli.heartbeat_interval_ms.max(100)),
        ..EmulatorConfig::default()
    };
    let emulator = Emulator::serve(listener, config)?;
    let summary = emulator.load_world(spec)?;
    if cli.json {
        let line = serde_json::json!({"http_url": emulator.http_url(), "gateway_url": emulator.gateway_url(), "world": summary});
        println!("{line}");
    } else {
        println!("discord-emulator listening");
        println!("  REST     {}", emulator.api_url());
        println!("  gateway  {}", emulator.gateway_url());
        println!("  control  {}/_emulator/world", emulator.http_url());
        for app in &summary.applications {
            println!(
                "  bot      {:<20} application {}  token {}",
                app.name, app.application_id, app.token
            );
        }
        for (name, id) in &summary.users {
            println!("  user     {name:<20} id {id}");
        }
        for guild in &summary.guilds {
            println!("  guild    {:<20} id {}", guild.name, guild.id);
            for (name, id) in &guild.channels {
                println!("    #{name:<19} id {id}");
            }
        }
    }
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    emulator.shutdown().await;
    Ok(())
}
