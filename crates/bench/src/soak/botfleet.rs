//! `botfleet serve` as a process of its own, as an operator runs it: an admin key made with
//! `botfleet key add`, bots created and started through the API, stopped with SIGTERM or killed
//! with SIGKILL and started again on the same data directory and database.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

/// The botfleet binary: `BOTFLEET_BIN`, else the one built next to this program.
pub fn binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("BOTFLEET_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe()?;
    let dir = exe.parent().context("this program's folder")?;
    Ok(dir.join("botfleet"))
}

/// A running (or stopped, between a kill and a restart) botfleet.
pub struct Botfleet {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT/api/v1` of the current process.
    pub api: String,
    http: reqwest::Client,
    dir: PathBuf,
    database_url: String,
    discord_url: String,
    /// Everything the processes logged, one file over restarts.
    pub log: PathBuf,
}

/// Makes an admin API key on the database (as an operator would, before the first start).
/// botfleet's tracking queue in the soak (`BOTFLEET_TRACKING_QUEUE`).
const TRACKING_QUEUE: &str = "16";

pub async fn admin_key(dir: &Path, database_url: &str) -> anyhow::Result<String> {
    let out = Command::new(binary()?)
        .args(["key", "add", "--name", "soak", "--role", "admin"])
        .env("BOTFLEET_DATA_DIR", dir)
        .env("BOTFLEET_DATABASE_URL", database_url)
        .env_remove("BOTFLEET_SECRET_KEY")
        .env_remove("BOTFLEET_TEST_POSTGRES_URL")
        .output()
        .await
        .context("running botfleet key add")?;
    anyhow::ensure!(out.status.success(), "botfleet key add failed: {}", String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

impl Botfleet {
    /// Starts `botfleet serve` on `dir` with `database_url`, talking to Discord at `discord_url`.
    pub async fn start(dir: &Path, database_url: &str, discord_url: &str, key: &str) -> anyhow::Result<Self> {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {key}").parse()?);
        let http = reqwest::Client::builder().default_headers(headers).timeout(Duration::from_secs(30)).build()?;
        let mut me = Self {
            child: None,
            api: String::new(),
            http,
            dir: dir.to_owned(),
            database_url: database_url.to_owned(),
            discord_url: discord_url.to_owned(),
            log: dir.join("botfleet.log"),
        };
        me.spawn().await?;
        Ok(me)
    }

    /// Whether tracking records are spooled on disk now (`<data dir>/spool/*.seg`, not empty).
    pub fn spooled(&self) -> bool {
        std::fs::read_dir(self.dir.join("spool")).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| e.path().extension().is_some_and(|x| x == "seg") && e.metadata().is_ok_and(|m| m.len() > 0))
        })
    }

    /// Starts the process and reads its API address from its start-up log line.
    pub async fn spawn(&mut self) -> anyhow::Result<()> {
        let mut child = Command::new(binary()?)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("BOTFLEET_DATA_DIR", &self.dir)
            .env("BOTFLEET_DATABASE_URL", &self.database_url)
            .env("BOTFLEET_DISCORD_API_URL", &self.discord_url)
            // Every bot is created and started one request at a time.
            .env("BOTFLEET_RATE_LIMIT_PER_MINUTE", "10000000")
            .env("BOTFLEET_BOT_OPS_PER_MINUTE", "10000000")
            // A tiny tracking queue, so a database outage of seconds spills records to the spool
            // on disk and the soak sees them written back.
            .env("BOTFLEET_TRACKING_QUEUE", TRACKING_QUEUE)
            .env_remove("BOTFLEET_SECRET_KEY")
            .env_remove("BOTFLEET_TEST_POSTGRES_URL")
            .env("RUST_LOG", "warn,botfleet=info")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| {
                format!("starting {} (build it: cargo build -p botfleet)", binary().unwrap_or_default().display())
            })?;
        let stderr = child.stderr.take().context("botfleet's stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let mut log = tokio::fs::OpenOptions::new().create(true).append(true).open(&self.log).await?;
        let api = loop {
            let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
                .await
                .context("botfleet logged nothing for 60 s")??
                .with_context(|| format!("botfleet exited before listening (see {})", self.log.display()))?;
            log.write_all(format!("{line}\n").as_bytes()).await?;
            if let Some(rest) = line.split("api=").nth(1) {
                break rest.split_whitespace().next().unwrap_or_default().to_owned();
            }
        };
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                if log.write_all(format!("{line}\n").as_bytes()).await.is_err() {
                    break;
                }
            }
        });
        self.api = api;
        self.child = Some(child);
        Ok(())
    }

    /// SIGTERM, then waits for the exit (botfleet asks for up to ~40 s). Returns whether it exited 0.
    pub async fn sigterm(&mut self) -> anyhow::Result<bool> {
        let Some(mut child) = self.child.take() else { return Ok(false) };
        let pid = child.id().context("botfleet already exited")?.to_string();
        Command::new("kill").args(["-TERM", &pid]).status().await?;
        let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
            .await
            .context("no exit 60 s after SIGTERM")??;
        Ok(status.success())
    }

    /// SIGKILL (kill -9), then waits for the process to be gone.
    pub async fn kill9(&mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else { return Ok(()) };
        child.start_kill()?;
        child.wait().await?;
        Ok(())
    }

    /// The botfleet process id, while one runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().and_then(Child::id)
    }

    /// Calls botfleet's API (`path` under `/api/v1`) with an optional JSON body; the status and
    /// the JSON answer (`null` when empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut req = self.http.request(method, format!("{}{path}", self.api));
        if let Some(body) = body {
            req = req.json(body);
        }
        let res = req.send().await?;
        let status = res.status().as_u16();
        let text = res.text().await?;
        Ok((status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text)? }))
    }

    /// Creates a bot per token (anti-spam off: scripted users send faster than it allows) and
    /// starts them all; returns their ids in the same order.
    pub async fn create_and_start(&self, bots: &[(String, String)]) -> anyhow::Result<Vec<i64>> {
        let mut ids = Vec::with_capacity(bots.len());
        for (name, token) in bots {
            let res = self
                .http
                .post(format!("{}/bots", self.api))
                .json(&json!({"name": name, "token": token, "anti_spam": {"enabled": false}}))
                .send()
                .await?;
            let status = res.status();
            let body: Value = res.json().await?;
            let id = body["id"].as_i64().with_context(|| format!("creating bot {name}: {status} {body}"))?;
            ids.push(id);
        }
        for chunk in ids.chunks(500) {
            let res = self
                .http
                .post(format!("{}/bots/bulk", self.api))
                .json(&json!({"action": "start", "bot_ids": chunk}))
                .send()
                .await?;
            anyhow::ensure!(res.status().is_success(), "starting bots: {}", res.status());
        }
        Ok(ids)
    }

    /// How many bots the API shows `running`.
    pub async fn running(&self) -> anyhow::Result<usize> {
        let mut running = 0;
        let mut cursor: Option<String> = None;
        loop {
            let mut url = format!("{}/bots?limit=200", self.api);
            if let Some(c) = &cursor {
                url.push_str(&format!("&cursor={c}"));
            }
            let page: Value = self.http.get(url).send().await?.error_for_status()?.json().await?;
            let items = page["items"].as_array().map(Vec::as_slice).unwrap_or_default();
            running += items.iter().filter(|b| b["status"] == "running").count();
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return Ok(running),
            }
        }
    }

    /// `GET /api/v1/health/ready`: its `status` (`ready`, `degraded`, `not_ready`), or the error
    /// code of an error answer, after the HTTP status (`200 ready`, `503 not_ready`).
    pub async fn readiness(&self) -> anyhow::Result<String> {
        let res = self.http.get(format!("{}/health/ready", self.api)).send().await?;
        let code = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or_default();
        let word = body["status"].as_str().or(body["error"]["code"].as_str()).unwrap_or("unknown");
        Ok(format!("{code} {word}"))
    }

    /// `botfleet_tracking_queue_depth` from `/metrics`.
    pub async fn tracking_queue_depth(&self) -> anyhow::Result<u64> {
        let origin = self.api.trim_end_matches('/').trim_end_matches("/api/v1");
        let text = self.http.get(format!("{origin}/metrics")).send().await?.error_for_status()?.text().await?;
        text.lines()
            .find_map(|l| l.strip_prefix("botfleet_tracking_queue_depth ")?.trim().parse::<f64>().ok())
            .map(|v| v as u64)
            .context("no botfleet_tracking_queue_depth in /metrics")
    }
}
