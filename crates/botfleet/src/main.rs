//! The `botfleet` command: `serve` runs the service, `migrate` prepares the database, `export`
//! and `import` move a configuration between installations.

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
    /// Threads that run botfleet's tasks (default: one per core). Fewer than the cores leaves
    /// them to other work on the machine; tasks move less between threads then, which costs less
    /// CPU per command (docs/benchmarks.md).
    #[arg(long, env = "BOTFLEET_WORKER_THREADS", global = true)]
    worker_threads: Option<std::num::NonZeroUsize>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the service (API on 127.0.0.1:8080 by default; migrates the database first).
    Serve(Box<ServeConfig>),
    /// Apply database migrations and exit.
    Migrate(StorageConfig),
    /// Try botfleet with no Discord account: a local Discord, a demo shop, three bots and
    /// simulated shoppers; botfleet answers them and records every command.
    Demo(botfleet::demo::DemoConfig),
    /// Manage users (the first admin is made here).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API keys for automation.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Write the whole configuration (bots, server settings, products, alerts, schedules,
    /// settings) as one JSON document; secrets only with --passphrase-file, sealed under it.
    Export(ExportArgs),
    /// Import a configuration document in one transaction (all or nothing), printing what
    /// changes; --dry-run changes nothing. What the document does not name is kept.
    Import(ImportArgs),
    /// Re-encrypt every stored secret (bot tokens, two-factor secrets, alert channel URLs) under a
    /// new key, in one transaction. Stop botfleet (every node) first.
    RotateSecretKey {
        #[command(flatten)]
        accounts: AccountsConfig,
        /// Write the new key to this new file (required when the current key comes from
        /// BOTFLEET_SECRET_KEY or its _FILE; default: the data directory's key file is replaced,
        /// the old one kept as secret.key.old).
        #[arg(long)]
        new_key_file: Option<std::path::PathBuf>,
    },
}

/// `botfleet export`.
#[derive(Debug, clap::Args)]
struct ExportArgs {
    #[command(flatten)]
    accounts: AccountsConfig,
    /// Write the document to this new file (default: standard output).
    #[arg(long)]
    out: Option<std::path::PathBuf>,
    /// Include bot tokens and alert channels' and webhooks' URLs and secrets, sealed under the
    /// passphrase in this file (first line, 12 characters or more).
    #[arg(long)]
    passphrase_file: Option<std::path::PathBuf>,
}

/// `botfleet import`.
#[derive(Debug, clap::Args)]
struct ImportArgs {
    #[command(flatten)]
    accounts: AccountsConfig,
    /// The document (from `botfleet export` or the API).
    file: std::path::PathBuf,
    /// Show what would change and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// The passphrase the document's secrets were sealed with (first line of this file).
    #[arg(long)]
    passphrase_file: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a user (or, with --reset, set an existing user's password and role).
    Add {
        #[command(flatten)]
        accounts: AccountsConfig,
        /// 3 to 64 of a-z, 0-9, '.', '_', '-', '@'.
        #[arg(long)]
        username: String,
        /// admin, operator or viewer.
        #[arg(long, value_parser = ["admin", "operator", "viewer"])]
        role: String,
        /// Read the password from this file (first line); default: ask for it twice.
        #[arg(long)]
        password_file: Option<std::path::PathBuf>,
        /// Set the password and role of a user who already exists (and end their sessions).
        #[arg(long)]
        reset: bool,
    },
    /// Lift a user's sign-in lock (set after repeated failed sign-ins) now, instead of waiting for
    /// it to run out; the same as POST /api/v1/users/{id}/unlock.
    Unlock {
        #[command(flatten)]
        accounts: AccountsConfig,
        /// The user's name.
        #[arg(long)]
        username: String,
    },
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Create an API key and print it (it is shown this once).
    Add {
        #[command(flatten)]
        accounts: AccountsConfig,
        /// What the key is for.
        #[arg(long)]
        name: String,
        /// admin, operator or viewer (or give --scopes).
        #[arg(long, value_parser = ["admin", "operator", "viewer"], conflicts_with = "scopes")]
        role: Option<String>,
        /// Comma-separated actions of the permission table, e.g. logs.read,bots.read.
        #[arg(long, value_delimiter = ',')]
        scopes: Vec<String>,
    },
}

/// Where the accounts live (the same settings as `serve`).
#[derive(Debug, clap::Args)]
struct AccountsConfig {
    #[command(flatten)]
    storage: StorageConfig,
    #[command(flatten)]
    secret_key: botfleet::config::SecretKeyConfig,
}

async fn open_auth(accounts: &AccountsConfig) -> anyhow::Result<botfleet::auth::Auth> {
    let cipher = botfleet::secrets::TokenCipher::load(accounts.secret_key.key(), &accounts.storage.data_dir)?;
    let store = botfleet::store::Store::connect(&accounts.storage.url()).await.context("connecting to the database")?;
    store.migrate().await.context("migrating")?;
    let clock = botfleet::time::Clock::system();
    Ok(botfleet::auth::Auth::new(
        store,
        cipher,
        clock,
        botfleet::config::AuthConfig::default(),
        botfleet::tracking::Tracker::disabled(),
        // A change from the command line reaches running nodes within their caches' time to live.
        botfleet::cache::Caching::local(botfleet::cache::CacheSettings::default()),
    )
    .await?)
}

fn read_password(file: Option<&std::path::Path>) -> anyhow::Result<String> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        return Ok(text.lines().next().unwrap_or_default().to_owned());
    }
    let first = rpassword::prompt_password("Password: ").context("reading the password")?;
    let again = rpassword::prompt_password("Again: ").context("reading the password")?;
    anyhow::ensure!(first == again, "the two passwords differ");
    Ok(first)
}

async fn run_user(command: UserCommand) -> anyhow::Result<()> {
    let (accounts, username, role, password_file, reset) = match command {
        UserCommand::Add { accounts, username, role, password_file, reset } => {
            (accounts, username, role, password_file, reset)
        }
        UserCommand::Unlock { accounts, username } => {
            let auth = open_auth(&accounts).await?;
            let (before, after) = auth.unlock_by_name(&username).await.map_err(explain)?;
            match before.locked_until {
                Some(until) => println!("user {} was locked until {until}; unlocked", after.username),
                None => println!("user {} was not locked; failed sign-ins reset", after.username),
            }
            return Ok(());
        }
    };
    let role = botfleet::auth::Role::parse(&role).context("role must be admin, operator or viewer")?;
    let password = botfleet::secrets::Secret::new(read_password(password_file.as_deref())?);
    let auth = open_auth(&accounts).await?;
    let user = if reset {
        auth.ensure_user(&username, &password, role).await
    } else {
        auth.create_user(&username, &password, role).await
    }
    .map_err(explain)?;
    println!("user {} ({}) is ready; sign in at the dashboard or POST /api/v1/auth/login", user.username, user.role);
    Ok(())
}

async fn run_rotation(accounts: &AccountsConfig, new_key_file: Option<&std::path::Path>) -> anyhow::Result<()> {
    let done = botfleet::rekey::rotate(&accounts.storage, &accounts.secret_key, new_key_file).await.map_err(explain)?;
    let store = botfleet::store::Store::connect(&accounts.storage.url()).await?;
    let counts: serde_json::Map<String, serde_json::Value> =
        done.resealed.iter().map(|(column, n)| (column.clone(), serde_json::json!(n))).collect();
    let entry = botfleet::audit::Entry::security(
        "secret_key.rotated",
        botfleet::audit::Actor::System,
        botfleet::time::Clock::system().now_ms(),
    )
    .detail(serde_json::json!({"resealed": counts, "by": "botfleet rotate-secret-key"}));
    botfleet::audit::insert(&store, &[entry]).await?;
    store.close().await;
    for (column, n) in &done.resealed {
        println!("{column}: {n} re-sealed");
    }
    println!("the new key is in {}", done.new_key_at.display());
    match &done.old_key_at {
        Some(old) => println!("the old key is kept in {} (it opens backups taken before now)", old.display()),
        None => println!("deploy it as BOTFLEET_SECRET_KEY (or _FILE) before starting botfleet again"),
    }
    Ok(())
}

async fn run_key(command: KeyCommand) -> anyhow::Result<()> {
    let KeyCommand::Add { accounts, name, role, scopes } = command;
    let grant = match role.as_deref().and_then(botfleet::auth::Role::parse) {
        Some(r) => botfleet::auth::keys::Grant::Role(r),
        None => {
            let actions = scopes
                .iter()
                .map(|s| {
                    botfleet::auth::Action::parse(s.trim())
                        .filter(|a| a.scopable())
                        .with_context(|| format!("{s:?} is not an action a key can hold"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            anyhow::ensure!(!actions.is_empty(), "give --role or --scopes");
            botfleet::auth::keys::Grant::Scopes(actions)
        }
    };
    let auth = open_auth(&accounts).await?;
    let now = auth.clock().now_ms();
    let store = botfleet::store::Store::connect(&accounts.storage.url()).await?;
    let (key, view) = botfleet::auth::keys::create(&store, &name, &grant, None, now, None).await.map_err(explain)?;
    let entry = botfleet::audit::Entry::security("api_key.created", botfleet::audit::Actor::System, now)
        .target("api_key", view.id)
        .detail(serde_json::json!({"name": view.name, "by": "botfleet key add"}));
    botfleet::audit::insert(&store, &[entry]).await?;
    println!("{key}");
    eprintln!("API key {:?} created: send it as Authorization: Bearer <key>. It is not shown again.", view.name);
    Ok(())
}

fn read_passphrase(file: Option<&std::path::Path>) -> anyhow::Result<Option<botfleet::secrets::Secret>> {
    let Some(path) = file else { return Ok(None) };
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(Some(botfleet::secrets::Secret::new(text.lines().next().unwrap_or_default())))
}

async fn open_store(
    accounts: &AccountsConfig,
) -> anyhow::Result<(botfleet::store::Store, botfleet::secrets::TokenCipher)> {
    let cipher = botfleet::secrets::TokenCipher::load(accounts.secret_key.key(), &accounts.storage.data_dir)?;
    let store = botfleet::store::Store::connect(&accounts.storage.url()).await.context("connecting to the database")?;
    store.migrate().await.context("migrating")?;
    Ok((store, cipher))
}

async fn run_export(args: ExportArgs) -> anyhow::Result<()> {
    let passphrase = read_passphrase(args.passphrase_file.as_deref())?;
    let (store, cipher) = open_store(&args.accounts).await?;
    let now = botfleet::time::Clock::system().now_ms();
    let document = botfleet::transfer::export(&store, &cipher, passphrase.as_ref(), now).await.map_err(explain)?;
    let entry = botfleet::audit::Entry::action("config.export", botfleet::audit::Actor::System, now)
        .target("config", "export")
        .detail(serde_json::json!({"secrets": document.secrets.is_some(), "by": "botfleet export"}));
    botfleet::audit::insert(&store, &[entry]).await?;
    store.close().await;
    let text = serde_json::to_string_pretty(&document)? + "\n";
    match &args.out {
        // Private like the key file: with a passphrase it holds the secrets, sealed.
        Some(path) => botfleet::secrets::write_private(path, &text).map_err(explain)?,
        None => print!("{text}"),
    }
    Ok(())
}

async fn run_import(args: ImportArgs) -> anyhow::Result<()> {
    let passphrase = read_passphrase(args.passphrase_file.as_deref())?;
    let text = std::fs::read_to_string(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let document: botfleet::transfer::Document = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a botfleet configuration document", args.file.display()))?;
    let (store, cipher) = open_store(&args.accounts).await?;
    let now = botfleet::time::Clock::system().now_ms();
    let (report, _) = botfleet::transfer::import(
        &store,
        &cipher,
        &document,
        passphrase.as_ref(),
        args.dry_run,
        "botfleet import",
        now,
    )
    .await
    .map_err(explain)?;
    if report.applied {
        let t = report.totals;
        let entry = botfleet::audit::Entry::action("config.import", botfleet::audit::Actor::System, now)
            .target("config", format!("{} created, {} changed", t.created, t.changed))
            .changes(serde_json::json!({"totals": t, "items": report.changed_items()}))
            .detail(serde_json::json!({"by": "botfleet import"}));
        botfleet::audit::insert(&store, &[entry]).await?;
    }
    store.close().await;
    print!("{}", report.to_text());
    Ok(())
}

/// A library error in words (validation errors list their fields).
fn explain(e: botfleet::Error) -> anyhow::Error {
    match e {
        botfleet::Error::Validation(fields) => anyhow::anyhow!(
            "{}",
            fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ")
        ),
        other => anyhow::anyhow!(other),
    }
}

/// Every environment variable an option of any command reads.
fn known_variables() -> Vec<String> {
    fn walk(command: &clap::Command, out: &mut Vec<String>) {
        out.extend(command.get_arguments().filter_map(|a| a.get_env()).map(|e| e.to_string_lossy().into_owned()));
        for sub in command.get_subcommands() {
            walk(sub, out);
        }
    }
    let mut out = Vec::new();
    walk(&<Cli as clap::CommandFactory>::command(), &mut out);
    out
}

/// A typo in a variable's name must not fall back to a default without a word.
fn warn_unknown(unknown: &[String]) {
    for name in unknown {
        tracing::warn!(variable = %name, "this environment variable is not a botfleet setting (a typo?); it is ignored");
    }
}

fn init_logging(json: bool) {
    // twilight-http's request spans carry the path, and an interaction callback's path carries
    // its token: its info lines stay out of the default logs (the 429s they mention are counted
    // per bot anyway, see fleet/rest_meter.rs).
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        "info,sqlx=warn,twilight_http=warn,twilight_http_ratelimiting=warn,twilight_gateway=warn".into()
    });
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

/// `alloc-count` builds (the `alloc-check` benchmark): every allocation counted, on /metrics.
#[cfg(feature = "alloc-count")]
#[global_allocator]
static GLOBAL: &stats_alloc::StatsAlloc<std::alloc::System> = &stats_alloc::INSTRUMENTED_SYSTEM;

fn main() -> anyhow::Result<()> {
    // One malloc arena per core, and blocks of 128 KiB or more mapped on their own, unless the
    // operator chose (glibc reads MALLOC_ARENA_MAX and MALLOC_MMAP_THRESHOLD_ itself): set before
    // the runtime's threads exist, so that a burst's memory can go back (`alloc_trim`).
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        alloc_trim::limit_arenas(std::thread::available_parallelism().map_or(2, |n| n.get().max(2)));
    }
    if std::env::var_os("MALLOC_MMAP_THRESHOLD_").is_none() {
        alloc_trim::map_large_allocations(128 * 1024);
    }
    let cli = Cli::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = cli.worker_threads {
        runtime.worker_threads(threads.get());
    }
    runtime.enable_all().build().context("starting the runtime")?.block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let unknown = botfleet::config::unknown_variables(&known_variables(), std::env::vars().map(|(name, _)| name));
    match cli.command {
        Command::Serve(config) => {
            init_logging(config.log_format == "json");
            warn_unknown(&unknown);
            let state = botfleet::app::build(&config).await.context("starting botfleet")?;
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .with_context(|| format!("listening on {}", config.listen))?;
            tracing::info!(
                api = %format!("{}://{}/api/v1", state.net.scheme(), listener.local_addr()?),
                database = %botfleet::store::redact(&config.storage.url()),
                trusted_proxies = %config.trusted_proxies,
                public_origin = state.net.public_origin.as_deref().unwrap_or("(from each request)"),
                worker_threads = tokio::runtime::Handle::current().metrics().num_workers(),
                "botfleet is serving"
            );
            botfleet::app::run(listener, state, shutdown_signal()).await.context("serving")?;
        }
        Command::Demo(config) => {
            init_logging(false);
            warn_unknown(&unknown);
            let demo = botfleet::demo::Demo::start().await.context("starting the demo")?;
            let serve = demo.serve_config(&config);
            let state = botfleet::app::build(&serve).await.context("starting botfleet")?;
            demo.seed_products(&state).await.context("adding the demo products")?;
            demo.start_bots(&state).await.context("starting the demo bots")?;
            let (password, key) = demo.credentials(&state).await.context("making the demo admin")?;
            let listener = tokio::net::TcpListener::bind(config.listen).await.with_context(|| {
                format!("listening on {} (another botfleet running? try --listen 127.0.0.1:8081)", config.listen)
            })?;
            let address = listener.local_addr()?;
            let api = format!("http://{address}/api/v1");
            println!(
                "\nbotfleet demo is running.\n\
                 \n  Dashboard      http://{address}/   (sign in below)\
                 \n  API            {api}\
                 \n  Sign in        admin / {password}   (POST {api}/auth/login)\
                 \n  API key        {key}   (admin; new each run)\
                 \n  Discord (emu)  {}  (three bots, five shoppers sending commands)\
                 \n  Data           {}\
                 \n\nTry:\
                 \n  export BF='Authorization: Bearer {key}'\
                 \n  curl -s -H \"$BF\" {api}/bots | jq                     # the three bots and their status\
                 \n  curl -s -H \"$BF\" '{api}/command-logs?limit=5' | jq   # every command, as it is answered\
                 \n  curl -s -H \"$BF\" '{api}/command-logs?q=help' | jq    # search\
                 \n  curl -s -H \"$BF\" -X POST {api}/bots/1/restart        # restart a bot\
                 \n  curl -s -H \"$BF\" '{api}/audit-logs?limit=5' | jq     # who did what\
                 \n  curl -s -H \"$BF\" {api}/fleet/latency | jq            # how fast the bots answer\
                 \n\nCtrl-C stops the demo.\n",
                demo.emulator.http_url(),
                config.data_dir.display()
            );
            let shoppers = tokio::spawn(demo.shoppers(config.rate));
            botfleet::app::run(listener, state, shutdown_signal()).await.context("serving")?;
            shoppers.abort();
        }
        Command::User(command) => {
            init_logging(false);
            warn_unknown(&unknown);
            run_user(command).await?;
        }
        Command::Key(command) => {
            init_logging(false);
            warn_unknown(&unknown);
            run_key(command).await?;
        }
        Command::Export(args) => {
            init_logging(false);
            warn_unknown(&unknown);
            run_export(args).await?;
        }
        Command::Import(args) => {
            init_logging(false);
            warn_unknown(&unknown);
            run_import(args).await?;
        }
        Command::RotateSecretKey { accounts, new_key_file } => {
            init_logging(false);
            warn_unknown(&unknown);
            run_rotation(&accounts, new_key_file.as_deref()).await?;
        }
        Command::Migrate(storage) => {
            init_logging(false);
            warn_unknown(&unknown);
            let store = botfleet::store::Store::connect(&storage.url()).await.context("connecting to the database")?;
            store.migrate().await.context("migrating")?;
            println!("database at {} is up to date", botfleet::store::redact(&storage.url()));
        }
    }
    Ok(())
}
