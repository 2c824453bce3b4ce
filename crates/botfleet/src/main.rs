//! The `botfleet` command: `serve` runs the service, `migrate` prepares the database.

use anyhow::Context;
use clap::{Parser, Subcommand};

use botfleet::config::{ServeConfig, StorageConfig};

/// Run a shop's fleet of Discord bots: bot configurations, command logs and an HTTP API.
///
/// Every option can also be set by the environment variable shown with it.
#[derive(Debug, Parser)]
#[command(name = "botfleet", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the service (API on 127.0.0.1:8080 by default; migrates the database first).
    Serve(ServeConfig),
    /// Apply database migrations and exit.
    Migrate(StorageConfig),
    /// Try botfleet with no Discord account: a local Discord, a demo shop, three bots and
    /// simulated shoppers; botfleet answers them and records every command.
    Demo(botfleet::demo::DemoConfig),
}

fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,twilight_http_ratelimiting=warn,twilight_gateway=warn".into());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(config) => {
            init_logging(config.log_format == "json");
            let state = botfleet::app::build(&config).await.context("starting botfleet")?;
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .with_context(|| format!("listening on {}", config.listen))?;
            tracing::info!(
                api = %format!("{}://{}/api/v1", state.net.scheme(), listener.local_addr()?),
                database = %botfleet::store::redact(&config.storage.url()),
                trusted_proxies = %config.trusted_proxies,
                public_origin = state.net.public_origin.as_deref().unwrap_or("(from each request)"),
                "botfleet is serving (no authentication yet: keep it on 127.0.0.1)"
            );
            botfleet::app::run(listener, state, shutdown_signal()).await.context("serving")?;
        }
        Command::Demo(config) => {
            init_logging(false);
            let demo = botfleet::demo::Demo::start().await.context("starting the demo")?;
            let serve = demo.serve_config(&config);
            let state = botfleet::app::build(&serve).await.context("starting botfleet")?;
            demo.start_bots(&state).await.context("starting the demo bots")?;
            let listener = tokio::net::TcpListener::bind(config.listen).await.with_context(|| {
                format!("listening on {} (another botfleet running? try --listen 127.0.0.1:8081)", config.listen)
            })?;
            let api = format!("http://{}/api/v1", listener.local_addr()?);
            println!(
                "\nbotfleet demo is running.\n\
                 \n  API            {api}\
                 \n  Discord (emu)  {}  (three bots, five shoppers sending commands)\
                 \n  Data           {}\
                 \n\nTry:\
                 \n  curl -s {api}/bots | jq                     # the three bots and their status\
                 \n  curl -s '{api}/command-logs?limit=5' | jq   # every command, as it is answered\
                 \n  curl -s '{api}/command-logs?q=help' | jq    # search\
                 \n  curl -s -X POST {api}/bots/1/restart        # restart a bot\
                 \n  curl -s {api}/health/ready | jq             # database and fleet summary\
                 \n  curl -s {api}/fleet/latency | jq           # how fast the bots answer\
                 \n\nThe API has no authentication yet: it listens on 127.0.0.1 only. Ctrl-C stops the demo.\n",
                demo.emulator.http_url(),
                config.data_dir.display()
            );
            let shoppers = tokio::spawn(demo.shoppers(config.rate));
            botfleet::app::run(listener, state, shutdown_signal()).await.context("serving")?;
            shoppers.abort();
        }
        Command::Migrate(storage) => {
            init_logging(false);
            let store = botfleet::store::Store::connect(&storage.url()).await.context("connecting to the database")?;
            store.migrate().await.context("migrating")?;
            println!("database at {} is up to date", botfleet::store::redact(&storage.url()));
        }
    }
    Ok(())
}
