//! `botfleet demo`: the whole thing on one machine with no Discord account. A local Discord (the
//! emulator, in-process) with a demo shop guild, three demo bots and simulated shoppers running
//! commands; botfleet itself on a SQLite file, answering them and recording every command.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use discord_emulator::{ApplicationSpec, Emulator, EmulatorConfig, UserAction};
use rand::seq::IndexedRandom;

use crate::api::AppState;
use crate::bots::model::{validate_create, CreateBot};
use crate::bots::repo;
use crate::config::{ServeConfig, StorageConfig};
use crate::error::{Error, Result};

/// `botfleet demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoConfig {
    /// Directory for the demo's database and key (kept between runs).
    #[arg(long, env = "BOTFLEET_DEMO_DIR", default_value = "botfleet-demo")]
    pub data_dir: PathBuf,
    /// Address the API listens on.
    #[arg(long, env = "BOTFLEET_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Simulated shopper commands per second.
    #[arg(long, default_value_t = 2.0)]
    pub rate: f64,
    /// Serve live updates on /api/v1/live (off: the dashboard polls the REST API).
    #[arg(long = "websocket", env = "DISCORD_WEBSOCKET_ENABLED", default_value_t = true, action = clap::ArgAction::Set)]
    pub websocket: bool,
    /// Seconds between performance history rows (as `serve`; the browser tests use 1).
    #[arg(long, env = "BOTFLEET_METRICS_INTERVAL_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub metrics_interval_seconds: u64,
    /// Milliseconds between alert evaluations (as `serve`).
    #[arg(long, env = "BOTFLEET_ALERT_EVALUATION_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(10..=60000))]
    pub alert_evaluation_ms: u64,
}

/// The demo's three bots: name, fixed token, the channel they answer prefix commands in.
const BOTS: [(&str, &str, &str); 3] = [
    ("Shop Helper", "MTAwMDAwMDAwMDAwMDAwMDAx.DemoAa.shop-helper-demo-token-not-a-real-one", "general"),
    ("Stock Keeper", "MTAwMDAwMDAwMDAwMDAwMDAy.DemoBb.stock-keeper-demo-token-not-a-real-one", "stock"),
    ("Order Desk", "MTAwMDAwMDAwMDAwMDAwMDAz.DemoCc.order-desk-demo-token-not-a-real-one", "orders"),
];

/// The running demo world.
pub struct Demo {
    pub emulator: Emulator,
    /// (application id, channel id) per bot.
    bots: Vec<(u64, u64)>,
    shoppers: Vec<u64>,
}

fn world_error(e: discord_emulator::WorldError) -> Error {
    Error::Config(format!("building the demo world: {e}"))
}

impl Demo {
    /// Starts the emulator with the demo shop.
    pub async fn start() -> Result<Self> {
        let emulator = Emulator::start(EmulatorConfig::default())
            .await
            .map_err(|e| Error::Config(format!("starting the Discord emulator: {e}")))?;
        let owner = emulator.create_user("shop-owner").map_err(world_error)?;
        let guild = emulator.create_guild("Demo Shop", owner).map_err(world_error)?;
        let mut shoppers = Vec::new();
        for name in ["alice", "bob", "carol", "dave", "erin"] {
            let id = emulator.create_user(name).map_err(world_error)?;
            emulator.add_member(guild, id, vec![]).map_err(world_error)?;
            shoppers.push(id);
        }
        let mut bots = Vec::new();
        for (name, token, channel) in BOTS {
            let app = emulator
                .create_application(ApplicationSpec {
                    name: name.into(),
                    token: Some(token.into()),
                    ..Default::default()
                })
                .map_err(world_error)?;
            let channel = emulator.create_channel(guild, channel).map_err(world_error)?;
            emulator.add_member(guild, app.bot_user_id, vec![]).map_err(world_error)?;
            bots.push((app.application_id, channel));
        }
        Ok(Self { emulator, bots, shoppers })
    }

    /// The service configuration pointing at this emulator.
    pub fn serve_config(&self, config: &DemoConfig) -> ServeConfig {
        ServeConfig {
            storage: StorageConfig { data_dir: config.data_dir.clone(), database_url: None, database_url_file: None },
            listen: config.listen,
            discord_api_url: self.emulator.http_url().to_owned(),
            secret_key: Default::default(),
            tracking: true,
            tracking_queue: 65_536,
            websocket: config.websocket,
            metrics_interval_seconds: config.metrics_interval_seconds,
            monitoring: true,
            alert_evaluation_ms: config.alert_evaluation_ms,
            log_format: "text".into(),
            session_start_floor: 10,
            several_nodes: false,
            public_readiness: false,
            tls_cert: None,
            tls_key: None,
            trusted_proxies: Default::default(),
            public_origin: None,
            clock: crate::time::Clock::system(),
            auth: crate::config::AuthConfig::default(),
            connections: crate::config::ConnectionConfig::default(),
            retention: crate::config::RetentionConfig::default(),
            exports: crate::config::ExportConfig::default(),
            cache: crate::config::CacheConfig::default(),
        }
    }

    /// Adds the demo bots (first run) and starts them.
    pub async fn start_bots(&self, state: &AppState) -> Result<()> {
        for (i, (name, token, _)) in BOTS.iter().enumerate() {
            let channel = self.bots[i].1;
            let existing = repo::list(&state.store, None, 200).await?.items.into_iter().find(|b| b.name == *name);
            let id = match existing {
                Some(bot) => {
                    // The emulator is new each run: point the bot at today's channel.
                    let settings = crate::bots::model::Settings {
                        name: None,
                        prefix: None,
                        intents: None,
                        channel_ids: Some(vec![channel]),
                        anti_spam: None,
                        // The first bot keeps the shop's stock message in its channel.
                        stock_channel_id: (i == 0).then_some(Some(channel)),
                        back_in_stock_channel_id: None,
                        low_stock_channel_id: None,
                    };
                    repo::update(&state.store, bot.id, bot.version, &settings).await?.id
                }
                None => {
                    let (settings, token) = validate_create(CreateBot {
                        name: (*name).into(),
                        token: (*token).into(),
                        prefix: None,
                        intents: None,
                        channel_ids: vec![channel.to_string().into()],
                        anti_spam: None,
                        stock_channel_id: (i == 0).then(|| channel.to_string().into()),
                        back_in_stock_channel_id: None,
                        low_stock_channel_id: None,
                    })?;
                    repo::insert(&state.store, &state.cipher, &settings, &token).await?.id
                }
            };
            state.fleet.start(id).await?;
        }
        Ok(())
    }

    /// The demo shop's products (first run only): a few items, one low and one out of stock.
    pub async fn seed_products(&self, state: &AppState) -> Result<()> {
        if !crate::stock::repo::list(&state.store, false).await?.is_empty() {
            return Ok(());
        }
        let items = [
            ("TEE-BLK-M", "T-shirt, black, M", 1999, 24, 1),
            ("TEE-BLK-L", "T-shirt, black, L", 1999, 3, 2),
            ("HOOD-GRY-M", "Hoodie, grey, M", 4499, 12, 3),
            ("CAP-RED", "Cap, red", 1499, 0, 4),
            ("MUG-LOGO", "Mug with logo", 999, 40, 5),
            ("STICKERS", "Sticker pack", 399, 150, 6),
        ];
        let now = state.auth.clock().now_ms();
        for (sku, name, price, stock, order) in items {
            let product = crate::stock::model::NewProduct {
                sku: sku.into(),
                name: name.into(),
                description: String::new(),
                price_minor: price,
                currency: "EUR".into(),
                stock,
                low_stock_threshold: Some(5),
                visible: Some(true),
                sort_order: order,
            };
            let product = crate::stock::repo::insert(state.store.pool(), &product, now).await?;
            state.events.stock_changed(&product, false);
        }
        Ok(())
    }

    /// The demo's admin (user `admin`, a new random password each run) and a new admin API key
    /// (the previous run's demo keys are revoked). Both are printed for the person trying it.
    pub async fn credentials(&self, state: &AppState) -> Result<(String, String)> {
        let password = crate::auth::token::random().chars().take(20).collect::<String>();
        let secret = crate::secrets::Secret::new(password.clone());
        state.auth.ensure_user("admin", &secret, crate::auth::Role::Admin).await?;
        let now = state.auth.clock().now_ms();
        for old in crate::auth::keys::list(&state.store).await? {
            if old.name == "demo" && old.revoked_at.is_none() {
                crate::auth::keys::revoke(&state.store, old.id, now).await?;
            }
        }
        let grant = crate::auth::keys::Grant::Role(crate::auth::Role::Admin);
        let (key, _) = crate::auth::keys::create(&state.store, "demo", &grant, None, now, None).await?;
        Ok((password, key))
    }

    /// Simulated shoppers: `rate` commands per second, prefix and slash, until the task is dropped.
    pub async fn shoppers(self, rate: f64) {
        let every = Duration::from_secs_f64(1.0 / rate.clamp(0.1, 100.0));
        let commands = ["!ping", "!help", "/ping", "/help", "!stock", "hello!"];
        // Slash commands exist once the bots have registered them.
        tokio::time::sleep(Duration::from_secs(2)).await;
        loop {
            tokio::time::sleep(every).await;
            let (Some(shopper), Some((app, channel)), Some(command)) = ({
                let mut rng = rand::rng();
                (
                    self.shoppers.choose(&mut rng).copied(),
                    self.bots.choose(&mut rng).copied(),
                    commands.choose(&mut rng).copied(),
                )
            }) else {
                continue;
            };
            let result = match command.strip_prefix('/') {
                Some(name) => self
                    .emulator
                    .user_interaction(
                        app,
                        shopper,
                        channel,
                        UserAction::SlashCommand { name: name.into(), options: vec![] },
                    )
                    .map(|_| ()),
                None => self.emulator.user_message(shopper, channel, command).map(|_| ()),
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "a simulated shopper's command was not sent");
            }
        }
    }
}
