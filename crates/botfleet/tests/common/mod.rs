//! Test harness: the real service on 127.0.0.1:0 with a fresh database — a SQLite file in a
//! temporary directory, or a new PostgreSQL database on the machine's server — and helpers to
//! call it. PostgreSQL suites say SKIPPED when no server answers, unless
//! `BOTFLEET_TEST_REQUIRE_ALL=1`, which makes that a failure.

#![allow(dead_code)]

use std::sync::{Arc, Mutex, OnceLock};

use botfleet::config::{ServeConfig, StorageConfig};
use botfleet::store::Store;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::Connection;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("BOTFLEET_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn require_all() -> bool {
    std::env::var("BOTFLEET_TEST_REQUIRE_ALL").as_deref() == Ok("1")
}

/// A reqwest client that sends `Authorization: Bearer key`.
pub fn client_with_key(key: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let value = reqwest::header::HeaderValue::from_str(&format!("Bearer {key}")).expect("header");
    headers.insert(reqwest::header::AUTHORIZATION, value);
    reqwest::Client::builder().default_headers(headers).build().expect("client")
}

/// A running botfleet.
pub struct TestApp {
    /// `http://127.0.0.1:PORT` (`https://` when the configuration has a TLS certificate).
    pub url: String,
    /// A client that sends `admin_key` with every request.
    pub http: reqwest::Client,
    /// An admin API key (`bf_…`) made directly in the store at start.
    pub admin_key: String,
    pub store: Store,
    pub backend: Backend,
    pub dir: tempfile::TempDir,
    pub events: botfleet::events::EventBus,
    /// Alert evaluations finished so far.
    pub alert_evaluations: Arc<std::sync::atomic::AtomicU64>,
    /// The caches' bus (what other nodes' notifications reach) and the catalogue's cache.
    pub caching: botfleet::cache::Caching,
    pub stock: botfleet::stock::StockCache,
    config: ServeConfig,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    pg_database: Option<String>,
}

static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

/// Everything botfleet logged in this test process (at TRACE), for secret-leak checks.
pub fn captured_logs() -> String {
    let buf = LOGS.get().map(|b| b.lock().map(|v| v.clone()).unwrap_or_default()).unwrap_or_default();
    String::from_utf8_lossy(&buf).into_owned()
}

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(data);
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn install_logging() {
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(buf.clone());
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .try_init();
        buf
    });
    let _ = rustls::crypto::ring::default_provider().install_default();
}

impl TestApp {
    /// Starts botfleet on a fresh database; `None` (after printing SKIPPED) when PostgreSQL is
    /// wanted but absent.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, "http://127.0.0.1:9").await
    }

    /// Same, with Discord at `discord_api_url` (an emulator).
    pub async fn spawn_with(backend: Backend, discord_api_url: &str) -> Option<Self> {
        Self::spawn_configured(backend, discord_api_url, |_| {}).await
    }

    /// Same, after `adjust` changes the configuration (e.g. tracking off).
    pub async fn spawn_configured(
        backend: Backend,
        discord_api_url: &str,
        adjust: impl FnOnce(&mut ServeConfig),
    ) -> Option<Self> {
        install_logging();
        let dir = tempfile::tempdir().expect("temp dir");
        let (database_url, pg_database) = match backend {
            Backend::Sqlite => (format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display()), None),
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let mut conn = match sqlx::PgConnection::connect(&admin).await {
                    Ok(c) => c,
                    Err(e) if !require_all() => {
                        eprintln!("SKIPPED: PostgreSQL not reachable at {admin} ({e}); set BOTFLEET_TEST_POSTGRES_URL");
                        return None;
                    }
                    Err(e) => {
                        panic!("PostgreSQL is required (BOTFLEET_TEST_REQUIRE_ALL=1) but {admin} is not reachable: {e}")
                    }
                };
                let name = format!("botfleet_test_{}", rand_suffix());
                sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create test database");
                let base = admin.rsplit_once('/').map_or(admin.clone(), |(b, _)| b.to_owned());
                (format!("{base}/{name}"), Some(name))
            }
        };
        let config = ServeConfig {
            storage: StorageConfig {
                data_dir: dir.path().to_path_buf(),
                database_url: Some(database_url),
                database_url_file: None,
            },
            listen: "127.0.0.1:0".parse().expect("address"),
            discord_api_url: discord_api_url.to_owned(),
            secret_key: Default::default(),
            tracking: true,
            tracking_queue: 65_536,
            websocket: true,
            metrics_interval_seconds: 10,
            monitoring: true,
            alert_evaluation_ms: 100,
            log_format: "text".into(),
            session_start_floor: 10,
            several_nodes: false,
            public_readiness: false,
            tls_cert: None,
            tls_key: None,
            trusted_proxies: Default::default(),
            public_origin: None,
            clock: botfleet::time::Clock::system(),
            auth: botfleet::config::AuthConfig::default(),
            connections: botfleet::config::ConnectionConfig::default(),
            retention: botfleet::config::RetentionConfig::default(),
            exports: botfleet::config::ExportConfig::default(),
            cache: botfleet::config::CacheConfig::default(),
        };
        let mut config = config;
        adjust(&mut config);
        Some(Self::start(config, backend, dir, pg_database).await)
    }

    async fn start(config: ServeConfig, backend: Backend, dir: tempfile::TempDir, pg_database: Option<String>) -> Self {
        let state = botfleet::app::build(&config).await.expect("botfleet starts");
        // No Fleet clone here: the tracking writer ends (and shutdown completes) only when every
        // holder of the fleet is gone.
        let (store, events) = (state.store.clone(), state.events.clone());
        let alert_evaluations = state.alerts.evaluation_counter();
        let (caching, stock) = (state.caching.clone(), state.fleet.stock_cache());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let scheme = if config.tls_cert.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://{}", listener.local_addr().expect("addr"));
        let admin_key = Self::make_key(&store, botfleet::auth::Role::Admin).await;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = botfleet::app::run(listener, state, async move {
                let _ = stopped.await;
            })
            .await;
        });
        Self {
            url,
            http: client_with_key(&admin_key),
            admin_key,
            store,
            backend,
            dir,
            events,
            alert_evaluations,
            caching,
            stock,
            config,
            stop: Some(stop),
            task: Some(task),
            pg_database,
        }
    }

    /// Waits until the alert engine has judged `rounds` more times (what it had to decide is
    /// stored by then).
    pub async fn alert_rounds(&self, rounds: u64) {
        let start = self.alert_evaluations.load(std::sync::atomic::Ordering::Relaxed);
        let counter = self.alert_evaluations.clone();
        until("the alert engine to evaluate", 30, || {
            let counter = counter.clone();
            async move { (counter.load(std::sync::atomic::Ordering::Relaxed) >= start + rounds).then_some(()) }
        })
        .await;
    }

    /// The database the service uses (to reach it while the service is down).
    pub fn database_url(&self) -> String {
        self.config.storage.database_url.clone().unwrap_or_default()
    }

    /// Stops the service (gracefully) and starts a new one on the same database and data dir.
    pub async fn restart(self) -> Self {
        self.restart_after(async {}).await
    }

    /// Stops the service (gracefully, as SIGTERM does), runs `meanwhile` while it is down, and
    /// starts a new one on the same database and data dir.
    pub async fn restart_after(mut self, meanwhile: impl std::future::Future<Output = ()>) -> Self {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        meanwhile.await;
        let pg = self.pg_database.take();
        let config = self.config.clone();
        let backend = self.backend;
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"));
        drop(self);
        Self::start(config, backend, dir, pg).await
    }

    /// The configuration this service was started with.
    pub fn config(&self) -> ServeConfig {
        self.config.clone()
    }

    /// A second node on this one's database (same secret key), configured as this one after
    /// `adjust`; dropping it leaves the database alone.
    pub async fn spawn_beside(&self, adjust: impl FnOnce(&mut ServeConfig)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let key = self.dir.path().join("secret.key");
        if key.exists() {
            std::fs::copy(&key, dir.path().join("secret.key")).expect("secret key copied");
        }
        let mut config = self.config.clone();
        config.storage.data_dir = dir.path().to_path_buf();
        adjust(&mut config);
        Self::start(config, self.backend, dir, None).await
    }

    /// A new API key with `role`, made directly in the store.
    pub async fn make_key(store: &Store, role: botfleet::auth::Role) -> String {
        let grant = botfleet::auth::keys::Grant::Role(role);
        let now = botfleet::time::now_ms();
        botfleet::auth::keys::create(store, &format!("test {role}"), &grant, None, now, None).await.expect("key").0
    }

    /// Calls the API; returns status and JSON body (Null when empty).
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request");
        let status = res.status();
        let text = res.text().await.expect("body");
        (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) })
    }

    /// Sends raw bytes as the body.
    pub async fn raw(&self, method: Method, path: &str, body: Vec<u8>) -> (StatusCode, Value) {
        let res = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request");
        let status = res.status();
        let text = res.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    /// Stops the service and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(name) = self.pg_database.take() {
            // Best effort: drop the test database from a thread with its own runtime.
            let admin = postgres_admin_url();
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                    return;
                };
                rt.block_on(async {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut conn)
                            .await;
                    }
                });
            })
            .join();
        }
    }
}

fn rand_suffix() -> String {
    format!("{:x}{:x}", rand::random::<u64>(), std::process::id())
}

/// A token shaped like Discord's, unique per call.
pub fn token(tag: &str) -> String {
    format!("MTQzNjk5ODQ5NzAzNTQ0NjQwMA.{tag}Xy.secretpart{}abcdefghijklmnop", rand_suffix())
}

/// Runs a test body on SQLite and on PostgreSQL (`sqlite::name`, `postgres::name`).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::common::TestApp::spawn($crate::common::Backend::Sqlite).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::common::TestApp::spawn($crate::common::Backend::Postgres).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

/// Polls `check` every 10 ms until it gives a value; fails after `secs` seconds.
pub async fn until<T, F, Fut>(what: &str, secs: u64, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out waiting for {what}\n{}", logged_trouble(40));
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// The last `n` different warnings and errors botfleet logged in this test process, each with
/// when it was last logged and how often, for a failure message (CI shows a failed test's output,
/// not the service's log; a message repeated every few milliseconds must not hide the others).
pub fn logged_trouble(n: usize) -> String {
    let logs = captured_logs();
    // (message without its timestamp, last line, count), in order of last appearance.
    let mut seen: Vec<(String, String, usize)> = Vec::new();
    for line in logs.lines().filter(|l| l.contains(" WARN ") || l.contains(" ERROR ")) {
        let message = line.split_once(' ').map_or(line, |(_, rest)| rest).to_owned();
        let count = match seen.iter().position(|(m, _, _)| *m == message) {
            Some(i) => seen.remove(i).2 + 1,
            None => 1,
        };
        seen.push((message, line.to_owned(), count));
    }
    let tail = &seen[seen.len().saturating_sub(n)..];
    if tail.is_empty() {
        return "(botfleet logged no warning or error)".into();
    }
    let lines: Vec<String> = tail
        .iter()
        .map(|(_, line, count)| if *count > 1 { format!("{line}  (×{count}, this the last)") } else { line.clone() })
        .collect();
    format!("botfleet's last warnings and errors:\n{}", lines.join("\n"))
}

/// An emulator world with one shop bot: the application "Shop", a user alice, and her guild
/// "Shop" with a #general channel, the bot a member.
pub struct ShopWorld {
    pub emulator: discord_emulator::Emulator,
    pub shop: discord_emulator::ApplicationInfo,
    pub alice: u64,
    pub guild: u64,
    pub general: u64,
}

/// Starts the emulator with `config` and builds the shop world in it.
pub async fn shop_world(config: discord_emulator::EmulatorConfig) -> ShopWorld {
    let emulator = discord_emulator::Emulator::start(config).await.expect("emulator");
    let spec = discord_emulator::ApplicationSpec { name: "Shop".into(), ..Default::default() };
    let shop = emulator.create_application(spec).expect("application");
    let alice = emulator.create_user("alice").expect("user");
    let guild = emulator.create_guild("Shop", alice).expect("guild");
    let general = emulator.create_channel(guild, "general").expect("channel");
    emulator.add_member(guild, shop.bot_user_id, vec![]).expect("member");
    ShopWorld { emulator, shop, alice, guild, general }
}
