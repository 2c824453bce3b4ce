//! Configuration: every setting a flag with an environment variable and a default that works
//! (`botfleet serve` runs with none).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use crate::error::{Error, Result};
use crate::net::limits::FileLimit;
use crate::net::{parse_public_origin, ConnectionLimits, NetConfig, TrustedProxies};
use crate::secrets::Secret;

/// Where data lives.
#[derive(Debug, Clone, Args)]
pub struct StorageConfig {
    /// Directory for the SQLite database and the secret key file (created if missing).
    #[arg(long, env = "BOTFLEET_DATA_DIR", default_value = "botfleet-data")]
    pub data_dir: PathBuf,
    /// Database URL: sqlite:PATH or postgres://USER@HOST/DB. Default: botfleet.db in the data
    /// directory.
    #[arg(long, env = "BOTFLEET_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// A file holding the database URL (its first line), as container secrets are mounted; instead
    /// of --database-url.
    #[arg(long, env = "BOTFLEET_DATABASE_URL_FILE", value_parser = read_secret_file, conflicts_with = "database_url")]
    pub database_url_file: Option<Secret>,
}

impl StorageConfig {
    /// The database URL to use.
    pub fn url(&self) -> String {
        self.database_url
            .clone()
            .or_else(|| self.database_url_file.as_ref().map(|s| s.expose().to_owned()))
            .unwrap_or_else(|| crate::store::default_url(&self.data_dir))
    }
}

/// The key that encrypts secrets at rest (bot tokens, two-factor secrets, alert channel URLs).
#[derive(Debug, Clone, Default, Args)]
pub struct SecretKeyConfig {
    /// Key that encrypts bot tokens at rest: 32 bytes as base64 or hex. Default: a key file in
    /// the data directory, created on first run (mode 0600).
    #[arg(long, env = "BOTFLEET_SECRET_KEY", hide_env_values = true, value_parser = parse_secret)]
    pub secret_key: Option<Secret>,
    /// A file holding the secret key (its first line), as container secrets are mounted; instead
    /// of --secret-key.
    #[arg(long, env = "BOTFLEET_SECRET_KEY_FILE", value_parser = read_secret_file, conflicts_with = "secret_key")]
    pub secret_key_file: Option<Secret>,
}

impl SecretKeyConfig {
    /// The configured key, from the option or its file (`None`: the data directory's key file).
    pub fn key(&self) -> Option<&Secret> {
        self.secret_key.as_ref().or(self.secret_key_file.as_ref())
    }
}

/// A secret read from the file an option names: its first line, without the line end.
fn read_secret_file(path: &str) -> Result<Secret, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let first = text.lines().next().unwrap_or_default().trim();
    if first.is_empty() {
        return Err(format!("{path} is empty"));
    }
    Ok(Secret::new(first))
}

/// `BOTFLEET_*` and `DISCORD_*` variables that no option reads: a typo would otherwise fall back to
/// a default without a word. `known` lists the variables the options read.
pub fn unknown_variables(known: &[String], set: impl IntoIterator<Item = String>) -> Vec<String> {
    /// Read directly, not through an option.
    const ALSO_KNOWN: &[&str] = &["BOTFLEET_NODE_NAME", "BOTFLEET_TEST_REQUIRE_ALL", "BOTFLEET_BIN"];
    let mut unknown: Vec<String> = set
        .into_iter()
        .filter(|name| name.starts_with("BOTFLEET_") || name.starts_with("DISCORD_"))
        .filter(|name| !known.contains(name) && !ALSO_KNOWN.contains(&name.as_str()))
        .collect();
    unknown.sort();
    unknown
}

/// `botfleet serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    #[command(flatten)]
    pub storage: StorageConfig,
    /// Address the API listens on. The API has no authentication yet: keep it on 127.0.0.1.
    #[arg(long, env = "BOTFLEET_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Discord's API base URL (an emulator's http:// URL in tests and the demo).
    #[arg(long, env = "BOTFLEET_DISCORD_API_URL", default_value = "https://discord.com")]
    pub discord_api_url: String,
    #[command(flatten)]
    pub secret_key: SecretKeyConfig,
    /// Record every command in discord_command_logs (the roadmap's switch).
    #[arg(long, env = "DISCORD_ENABLE_TRACKING", default_value_t = true, action = clap::ArgAction::Set)]
    pub tracking: bool,
    /// Tracking records (command logs, bot logs, audit rows) held in memory for the database
    /// writer; past this, records go to the spool in the data directory (`spool/`) until the
    /// database takes them again, so that commands never wait on the database.
    #[arg(long, env = "BOTFLEET_TRACKING_QUEUE", default_value_t = 65_536, value_parser = clap::value_parser!(u64).range(1..=16_777_216))]
    pub tracking_queue: u64,
    /// Serve live updates on the /api/v1/live WebSocket (the roadmap's switch; off: the dashboard
    /// polls).
    #[arg(long = "websocket", env = "DISCORD_WEBSOCKET_ENABLED", default_value_t = true, action = clap::ArgAction::Set)]
    pub websocket: bool,
    /// Seconds between rows of discord_performance_metrics (per bot and per node).
    #[arg(long, env = "BOTFLEET_METRICS_INTERVAL_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub metrics_interval_seconds: u64,
    /// Monitoring: performance history rows and the alert engine (off only to measure its cost).
    #[arg(long, env = "BOTFLEET_MONITORING", default_value_t = true, action = clap::ArgAction::Set)]
    pub monitoring: bool,
    /// Milliseconds between two evaluations of the alert rules (and delivery attempts).
    #[arg(long, env = "BOTFLEET_ALERT_EVALUATION_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(10..=60000))]
    pub alert_evaluation_ms: u64,
    /// Log format: text or json.
    #[arg(long, env = "BOTFLEET_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
    /// A bot with fewer session starts left today than this (Discord allows about 1,000 a day and
    /// resets the token of a bot that spends them all) does not connect, and says why.
    #[arg(long, env = "BOTFLEET_SESSION_START_FLOOR", default_value_t = 10)]
    pub session_start_floor: u32,
    /// Several nodes share this PostgreSQL database: each bot runs on the node holding its lease,
    /// and a node that cannot reach the database stops its bots within 6 s (another node takes
    /// them). Set it on every node; off, one node serves the database and its bots ride out a
    /// database outage (a second node is refused at start).
    #[arg(long, env = "BOTFLEET_SEVERAL_NODES", default_value_t = false, action = clap::ArgAction::Set)]
    pub several_nodes: bool,
    /// `GET /api/v1/health/ready` answers without a credential, for orchestrators' readiness
    /// probes: its status and HTTP code only (no checks, counts or node details, which still need
    /// `health.read`).
    #[arg(long, env = "BOTFLEET_PUBLIC_READINESS", default_value_t = false, action = clap::ArgAction::Set)]
    pub public_readiness: bool,
    /// TLS certificate chain (PEM, leaf first). With `--tls-key`, the API is served over HTTPS;
    /// with neither, over plain HTTP.
    #[arg(long, env = "BOTFLEET_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM: PKCS#8, PKCS#1 or SEC1) for `--tls-cert`.
    #[arg(long, env = "BOTFLEET_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: comma-separated
    /// IP addresses or CIDR ranges (e.g. 127.0.0.1,10.0.0.0/8). Default: none, the headers are
    /// ignored.
    #[arg(long, env = "BOTFLEET_TRUSTED_PROXIES", default_value = "", hide_default_value = true,
          value_parser = TrustedProxies::parse)]
    pub trusted_proxies: TrustedProxies,
    /// The origin browsers use to reach botfleet when it is behind a proxy (e.g.
    /// https://shop.example): scheme, host and optional port, no path. Default: the scheme and
    /// Host header of each request.
    #[arg(long, env = "BOTFLEET_PUBLIC_ORIGIN", value_parser = parse_public_origin)]
    pub public_origin: Option<String>,
    /// The clock sessions, lockouts, rate limits and cooldowns read (tests pass a manual one).
    #[arg(skip)]
    pub clock: crate::time::Clock,
    #[command(flatten)]
    pub auth: AuthConfig,
    #[command(flatten)]
    pub connections: ConnectionConfig,
    #[command(flatten)]
    pub retention: RetentionConfig,
    #[command(flatten)]
    pub exports: ExportConfig,
    #[command(flatten)]
    pub cache: CacheConfig,
}

/// The caches of what every request reads, and how nodes sharing a database tell each other of a
/// change.
#[derive(Debug, Clone, Args)]
pub struct CacheConfig {
    /// Keep credentials, the visible catalogue and the security settings in memory (the roadmap's
    /// switch; off: every read goes to the database).
    #[arg(long = "cache", env = "DISCORD_CACHE_ENABLED", default_value_t = true, action = clap::ArgAction::Set)]
    pub enabled: bool,
    /// Seconds a cached entry lives at most: the longest another node can serve something changed
    /// here if the change's notification is lost.
    #[arg(long, env = "BOTFLEET_CACHE_TTL_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub cache_ttl_seconds: u64,
    /// Redis (redis://[:password@]host:port/db) carrying cache invalidations between nodes;
    /// without it, nodes on PostgreSQL use LISTEN/NOTIFY.
    #[arg(long, env = "BOTFLEET_REDIS_URL", value_parser = parse_secret, hide_env_values = true)]
    pub redis_url: Option<Secret>,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self { enabled: true, cache_ttl_seconds: 30, redis_url: None }
    }
}

impl CacheConfig {
    /// What the caches share.
    pub fn settings(&self) -> crate::cache::CacheSettings {
        crate::cache::CacheSettings {
            enabled: self.enabled,
            ttl: std::time::Duration::from_secs(self.cache_ttl_seconds),
        }
    }
}

impl ServeConfig {
    /// The network settings every request is read with: TLS (certificate and key, both or
    /// neither), trusted proxies and the public origin, checked; the connection limits, the
    /// total cap kept within `files` (the open-file limit, when known).
    pub fn net(&self, files: Option<FileLimit>) -> Result<NetConfig> {
        let tls = match (&self.tls_cert, &self.tls_key) {
            (Some(cert), Some(key)) => Some((cert.as_path(), key.as_path())),
            (None, None) => None,
            (Some(_), None) => {
                return Err(Error::Config(
                    "--tls-cert (BOTFLEET_TLS_CERT) is set but --tls-key (BOTFLEET_TLS_KEY) is not: HTTPS needs \
                     both the certificate and its private key (set neither for plain HTTP)"
                        .into(),
                ))
            }
            (None, Some(_)) => {
                return Err(Error::Config(
                    "--tls-key (BOTFLEET_TLS_KEY) is set but --tls-cert (BOTFLEET_TLS_CERT) is not: HTTPS needs \
                     both the certificate and its private key (set neither for plain HTTP)"
                        .into(),
                ))
            }
        };
        let limits = self.connections.limits(files);
        NetConfig::new(tls, self.trusted_proxies.clone(), self.public_origin.as_deref(), limits)
    }
}

fn parse_secret(s: &str) -> Result<Secret, String> {
    Ok(Secret::new(s))
}

/// Sign-in, sessions and rate limits.
#[derive(Debug, Clone, Args)]
pub struct AuthConfig {
    /// A browser session ends after this many minutes without a request.
    #[arg(long, env = "BOTFLEET_SESSION_IDLE_MINUTES", default_value_t = AuthConfig::DEFAULT.session_idle_minutes)]
    pub session_idle_minutes: u32,
    /// A browser session ends this many hours after sign-in, however active.
    #[arg(long, env = "BOTFLEET_SESSION_LIFETIME_HOURS", default_value_t = AuthConfig::DEFAULT.session_lifetime_hours)]
    pub session_lifetime_hours: u32,
    /// API requests per minute per credential (per IP when anonymous), in bursts of as many.
    #[arg(long, env = "BOTFLEET_RATE_LIMIT_PER_MINUTE", default_value_t = AuthConfig::DEFAULT.requests_per_minute)]
    pub requests_per_minute: u32,
    /// Bot operations (start/stop/restart, send message, test) per minute per credential; a bulk
    /// request counts once.
    #[arg(long, env = "BOTFLEET_BOT_OPS_PER_MINUTE", default_value_t = AuthConfig::DEFAULT.bot_ops_per_minute)]
    pub bot_ops_per_minute: u32,
    /// Sign-in attempts per minute per IP and per account name.
    #[arg(long, env = "BOTFLEET_LOGIN_ATTEMPTS_PER_MINUTE", default_value_t = AuthConfig::DEFAULT.login_attempts_per_minute)]
    pub login_attempts_per_minute: u32,
    /// Failed sign-ins in a row (password or two-factor code) that lock an account.
    #[arg(long, env = "BOTFLEET_LOCKOUT_THRESHOLD", default_value_t = AuthConfig::DEFAULT.lockout_threshold)]
    pub lockout_threshold: u32,
    /// The first lock's length in seconds; each further lock doubles it, up to an hour.
    #[arg(long, env = "BOTFLEET_LOCKOUT_SECONDS", default_value_t = AuthConfig::DEFAULT.lockout_seconds)]
    pub lockout_seconds: u32,
}

impl AuthConfig {
    /// The defaults (also what `botfleet serve` uses with no flags).
    pub const DEFAULT: AuthConfig = AuthConfig {
        session_idle_minutes: 60,
        session_lifetime_hours: 12,
        requests_per_minute: 600,
        bot_ops_per_minute: 60,
        login_attempts_per_minute: 10,
        lockout_threshold: 5,
        lockout_seconds: 60,
    };
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Timeouts and caps that keep slow or idle clients from exhausting the service's sockets.
#[derive(Debug, Clone, Args)]
pub struct ConnectionConfig {
    /// Seconds a client has to finish the TLS handshake, and to send a request's headers (the
    /// first request's included; an idle HTTP/1.1 keep-alive connection waits for its next
    /// request's headers, so it is closed after this too).
    #[arg(long, env = "BOTFLEET_HEADER_TIMEOUT_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub header_timeout_seconds: u64,
    /// Seconds after its headers by which a request body must have arrived whole (else 408 and
    /// the connection is closed).
    #[arg(long, env = "BOTFLEET_BODY_TIMEOUT_SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout_seconds: u64,
    /// Seconds a connection may stay open with no request in flight before it is closed.
    #[arg(long, env = "BOTFLEET_IDLE_TIMEOUT_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub idle_timeout_seconds: u64,
    /// Open connections per client IP address (the TCP peer: behind a reverse proxy every
    /// connection is the proxy's, so raise this there).
    #[arg(long, env = "BOTFLEET_MAX_CONNECTIONS_PER_IP", default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections_per_ip: u64,
    /// Open connections in all. Default and most: three quarters of the open-file limit (which
    /// botfleet raises to its hard limit at start), the rest kept for the database, bots and files.
    #[arg(long, env = "BOTFLEET_MAX_CONNECTIONS", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_connections: Option<u64>,
    /// Open live WebSockets (/api/v1/live) per credential (API key or sign-in session).
    #[arg(long, env = "BOTFLEET_LIVE_SOCKETS_PER_CREDENTIAL", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=10000))]
    pub live_sockets_per_credential: u64,
}

impl ConnectionConfig {
    /// The defaults (also what `botfleet serve` uses with no flags).
    pub const DEFAULT: ConnectionConfig = ConnectionConfig {
        header_timeout_seconds: 10,
        body_timeout_seconds: 30,
        idle_timeout_seconds: 60,
        max_connections_per_ip: 256,
        max_connections: None,
        live_sockets_per_credential: 8,
    };

    /// The limits the server enforces: the total cap is `--max-connections` or the room the
    /// open-file limit leaves, whichever is lower (a larger setting is lowered, with a warning).
    pub fn limits(&self, files: Option<FileLimit>) -> ConnectionLimits {
        let room = files.map(|f| f.connection_room());
        let wanted = self.max_connections.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        let total = match (wanted, room) {
            (Some(wanted), Some(room)) if wanted > room => {
                tracing::warn!(
                    max_connections = wanted,
                    lowered_to = room,
                    "--max-connections (BOTFLEET_MAX_CONNECTIONS) is more than the open-file limit leaves room for"
                );
                room
            }
            (Some(wanted), _) => wanted,
            (None, Some(room)) => room,
            (None, None) => ConnectionLimits::DEFAULT.total,
        };
        ConnectionLimits {
            header_read_timeout: std::time::Duration::from_secs(self.header_timeout_seconds),
            body_timeout: std::time::Duration::from_secs(self.body_timeout_seconds),
            idle_timeout: std::time::Duration::from_secs(self.idle_timeout_seconds),
            per_ip: usize::try_from(self.max_connections_per_ip).unwrap_or(usize::MAX),
            total,
        }
    }
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How many days each growing table keeps its rows before the daily retention sweep deletes them
/// (0: forever). These are the defaults; `PUT /api/v1/settings/retention` overrides them at run
/// time.
#[derive(Debug, Clone, Args)]
pub struct RetentionConfig {
    /// Days command-log rows (`discord_command_logs`) are kept; 0 keeps them forever.
    #[arg(long = "retention-command-logs-days", env = "BOTFLEET_RETENTION_COMMAND_LOGS_DAYS",
          default_value_t = RetentionConfig::DEFAULT.command_logs_days, value_parser = days)]
    pub command_logs_days: u32,
    /// Days bot-log rows (`discord_bot_logs`) are kept; 0 keeps them forever.
    #[arg(long = "retention-bot-logs-days", env = "BOTFLEET_RETENTION_BOT_LOGS_DAYS",
          default_value_t = RetentionConfig::DEFAULT.bot_logs_days, value_parser = days)]
    pub bot_logs_days: u32,
    /// Days performance rows (`discord_performance_metrics`, every resolution) are kept; 0 keeps
    /// them forever.
    #[arg(long = "retention-performance-days", env = "BOTFLEET_RETENTION_PERFORMANCE_DAYS",
          default_value_t = RetentionConfig::DEFAULT.performance_days, value_parser = days)]
    pub performance_days: u32,
    /// Days alert history is kept: resolved incidents, notifications and their deliveries (open
    /// incidents, rules and channels stay); 0 keeps it forever.
    #[arg(long = "retention-alert-history-days", env = "BOTFLEET_RETENTION_ALERT_HISTORY_DAYS",
          default_value_t = RetentionConfig::DEFAULT.alert_history_days, value_parser = days)]
    pub alert_history_days: u32,
    /// Days ended background jobs are kept, with their items and files, and sent (or otherwise
    /// finished) low-stock notices; 0 keeps them forever.
    #[arg(long = "retention-job-history-days", env = "BOTFLEET_RETENTION_JOB_HISTORY_DAYS",
          default_value_t = RetentionConfig::DEFAULT.job_history_days, value_parser = days)]
    pub job_history_days: u32,
    /// Days audit rows are kept (no API deletes them); 0 keeps them forever.
    #[arg(long = "audit-retention-days", alias = "retention-audit-days", env = "BOTFLEET_AUDIT_RETENTION_DAYS",
          default_value_t = RetentionConfig::DEFAULT.audit_days, value_parser = days)]
    pub audit_days: u32,
}

impl RetentionConfig {
    /// The most days a table may keep its rows (ten years; 0 means forever).
    pub const MAX_DAYS: u32 = 3650;

    /// The defaults (also what `botfleet serve` uses with no flags): the audit log keeps the
    /// longest, as it answers "who did this" long after the logs are gone.
    pub const DEFAULT: RetentionConfig = RetentionConfig {
        command_logs_days: 90,
        bot_logs_days: 30,
        performance_days: 90,
        alert_history_days: 180,
        job_history_days: 90,
        audit_days: 365,
    };
}

impl Default for RetentionConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Exports of logs and audit rows (`POST /api/v1/command-logs/export`, …): their files are stored
/// gzip-compressed in the database until they expire.
#[derive(Debug, Clone, Args)]
pub struct ExportConfig {
    /// The largest export file, compressed, in KiB (default 64 MiB): an export that grows past it
    /// fails, saying to narrow its filter.
    #[arg(long, env = "BOTFLEET_EXPORT_MAX_KIB", default_value_t = ExportConfig::DEFAULT.export_max_kib,
          value_parser = clap::value_parser!(u64).range(1..=1_048_576))]
    pub export_max_kib: u64,
    /// Hours an export file is kept after it is written; then it is deleted (downloads answer 410).
    #[arg(long, env = "BOTFLEET_EXPORT_TTL_HOURS", default_value_t = ExportConfig::DEFAULT.export_ttl_hours,
          value_parser = clap::value_parser!(u32).range(1..=720))]
    pub export_ttl_hours: u32,
}

impl ExportConfig {
    /// The defaults (also what `botfleet serve` uses with no flags).
    pub const DEFAULT: ExportConfig = ExportConfig { export_max_kib: 64 * 1024, export_ttl_hours: 24 };
}

impl Default for ExportConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A retention in days: 0 (forever) to [`RetentionConfig::MAX_DAYS`].
fn days(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if n <= RetentionConfig::MAX_DAYS => Ok(n),
        _ => Err(format!("must be a whole number of days from 1 to {} (0: keep forever)", RetentionConfig::MAX_DAYS)),
    }
}
