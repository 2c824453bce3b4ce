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
    #[command(subcommand)]
    command: Option<Command>,
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
    /// Runtime worker threads. 1 (the default) runs everything on one thread: the emulator's
    /// work is short and under one lock, and a multi-threaded runtime spent more CPU waking and
    /// parking its workers (futex, epoll) than it saved.
    #[arg(long, env = "DISCORD_EMULATOR_WORKER_THREADS", default_value_t = 1)]
    worker_threads: usize,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Run a load scenario on a running emulator (its bots connected) and print the JSON report.
    Load(LoadArgs),
}

#[derive(Debug, clap::Args)]
struct LoadArgs {
    /// The running emulator, e.g. http://127.0.0.1:8900.
    #[arg(long, env = "DISCORD_EMULATOR_URL")]
    url: String,
    /// Commands per second across all bots.
    #[arg(long, default_value_t = 100.0)]
    rate: f64,
    /// Seconds of sending.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Scripted users.
    #[arg(long, default_value_t = 50)]
    users: usize,
    /// Share of slash commands (0 to 100); the rest are prefix commands.
    #[arg(long, default_value_t = 50)]
    slash_percent: u8,
    /// Command name (`!NAME` and `/NAME`).
    #[arg(long, default_value = "ping")]
    command: String,
    /// Seconds to wait for late replies after the last command.
    #[arg(long, default_value_t = 5.0)]
    grace: f64,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let mut runtime = if cli.worker_threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(cli.worker_threads);
        builder
    };
    runtime.enable_all().build().context("starting the runtime")?.block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Some(Command::Load(args)) = cli.command {
        return run_load(args).await;
    }
    let spec = match &cli.world {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            WorldSpec::from_toml(&text)?
        }
        None => WorldSpec::default_world(),
    };
    let listener =
        tokio::net::TcpListener::bind(&cli.listen).await.with_context(|| format!("binding {}", cli.listen))?;
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
            println!("  bot      {:<20} application {}  token {}", app.name, app.application_id, app.token);
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
    tokio::signal::ctrl_c().await.context("waiting for Ctrl-C")?;
    emulator.shutdown().await;
    Ok(())
}

/// Posts the scenario to `/_emulator/load` and prints the report (plain HTTP/1.1: the emulator
/// answers with a sized JSON body, so no HTTP client crate is needed).
async fn run_load(args: LoadArgs) -> anyhow::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let scenario = discord_emulator::Scenario {
        users: args.users,
        rate: args.rate,
        duration_secs: args.duration,
        slash_percent: args.slash_percent,
        command: args.command,
        grace_secs: args.grace,
        ..Default::default()
    };
    let host = args.url.trim_start_matches("http://").trim_end_matches('/').to_owned();
    anyhow::ensure!(!host.contains('/') && !host.is_empty(), "--url must look like http://127.0.0.1:PORT");
    let body = serde_json::to_string(&scenario)?;
    let mut stream = tokio::net::TcpStream::connect(&host).await.with_context(|| format!("connecting to {host}"))?;
    let request = format!(
        "POST /_emulator/load HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").context("malformed HTTP response")?;
    let ok = head.lines().next().is_some_and(|status| status.contains(" 200 "));
    let json: serde_json::Value = serde_json::from_str(body).context("the emulator did not answer with JSON")?;
    println!("{}", serde_json::to_string_pretty(&json)?);
    anyhow::ensure!(ok, "the load run failed (see the error above)");
    Ok(())
}
