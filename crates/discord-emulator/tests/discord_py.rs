//! Proves an independent client library in another language works against the emulator:
//! discord.py (pinned in `tests/clients/requirements.txt`, unmodified apart from its base URLs)
//! logs in, connects to the gateway, receives a user's `!ping` and replies over REST.
//!
//! Skipped (with a note on stderr) when no Python with discord.py is found, unless
//! `BOTFLEET_TEST_REQUIRE_ALL=1`, which turns the skip into a failure.
//!
//! The bot runs as a `std::process` child behind a guard that kills it on drop (tokio's
//! `process` feature is not enabled for this crate); its output is read on plain threads.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use discord_emulator::{Emulator, EmulatorConfig, WorldSpec};

const REPLY: &str = "pong from discord.py";
const POLL: Duration = Duration::from_millis(50);
const DEADLINE: Duration = Duration::from_secs(60);

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// The first interpreter that can `import discord`: the test venv, `DISCORD_PY_PYTHON` (absolute,
/// or relative to this crate's directory, where cargo runs tests), then `python3`. `Err` lists
/// why each candidate was refused.
fn find_python() -> Result<PathBuf, String> {
    let mut candidates = Vec::new();
    let venv = clients_dir().join(".venv/bin/python");
    if venv.exists() {
        candidates.push(venv);
    }
    if let Some(p) = std::env::var_os("DISCORD_PY_PYTHON") {
        candidates.push(PathBuf::from(p));
    }
    candidates.push(PathBuf::from("python3"));
    let mut refused = Vec::new();
    for python in candidates {
        match Command::new(&python)
            .args(["-c", "import discord"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
        {
            Ok(s) if s.success() => return Ok(python),
            Ok(s) => refused.push(format!("{}: import discord failed ({s})", python.display())),
            Err(e) => refused.push(format!("{}: {e}", python.display())),
        }
    }
    Err(refused.join("; "))
}

/// A lock that survives a panicked reader thread (the text is still worth showing).
fn lock(text: &Mutex<String>) -> MutexGuard<'_, String> {
    text.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The running bot: killed (and reaped) when dropped, its output collected by reader threads.
struct Bot {
    child: Child,
    ready: Arc<AtomicBool>,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Bot {
    fn spawn(python: &Path, emulator: &Emulator, token: &str) -> std::io::Result<Bot> {
        let mut child = Command::new(python)
            .arg("-u")
            .arg(clients_dir().join("discord_py_bot.py"))
            .env("EMULATOR_API_URL", emulator.api_url())
            .env("EMULATOR_GATEWAY_URL", emulator.gateway_url())
            .env("BOT_TOKEN", token)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let ready = Arc::new(AtomicBool::new(false));
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let (Some(out), Some(mut err)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(std::io::Error::other("the bot's output is not piped"));
        };
        let (ready2, stdout2) = (ready.clone(), stdout.clone());
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if line.trim() == "READY" {
                    ready2.store(true, Ordering::SeqCst);
                }
                let mut all = lock(&stdout2);
                all.push_str(&line);
                all.push('\n');
            }
        });
        let stderr2 = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err.read(&mut buf) {
                if n == 0 {
                    break;
                }
                lock(&stderr2).push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Ok(Bot { child, ready, stdout, stderr })
    }

    /// Its exit status, if it has exited.
    fn exited(&mut self) -> std::io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }

    /// What it printed so far, for failure messages.
    fn output(&self) -> String {
        format!("--- bot stdout ---\n{}\n--- bot stderr ---\n{}", lock(&self.stdout), lock(&self.stderr))
    }

    /// Sends SIGTERM and waits for the bot to exit by itself.
    async fn terminate(&mut self) -> std::io::Result<Option<ExitStatus>> {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status()?;
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(20) {
            if let Some(status) = self.exited()? {
                return Ok(Some(status));
            }
            tokio::time::sleep(POLL).await;
        }
        Ok(None)
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn is_reply(m: &discord_emulator::MessageRecord) -> bool {
    m.author_is_bot && m.content == REPLY
}

/// Waits until #general holds exactly `n` replies from the bot.
async fn wait_for_replies(emulator: &Emulator, bot: &mut Bot, general: u64, n: usize) {
    let start = Instant::now();
    loop {
        let replies = emulator.messages(general).unwrap().into_iter().filter(is_reply).count();
        if replies >= n {
            assert_eq!(replies, n, "more replies than pings\n{}", bot.output());
            return;
        }
        if let Some(status) = bot.exited().unwrap() {
            panic!("the bot exited ({status}) before replying\n{}", bot.output());
        }
        assert!(
            start.elapsed() < DEADLINE,
            "no {REPLY:?} in #general within {DEADLINE:?}; messages: {:?}\n{}",
            emulator.messages(general).unwrap(),
            bot.output()
        );
        tokio::time::sleep(POLL).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_py_bot_replies_to_ping() {
    let python = match find_python() {
        Ok(p) => p,
        Err(why) => {
            if std::env::var("BOTFLEET_TEST_REQUIRE_ALL").as_deref() == Ok("1") {
                panic!(
                    "discord.py is not installed ({why}). Install it with: \
                     python3 -m venv crates/discord-emulator/tests/clients/.venv && \
                     crates/discord-emulator/tests/clients/.venv/bin/pip install -r \
                     crates/discord-emulator/tests/clients/requirements.txt"
                );
            }
            eprintln!("SKIPPED: discord.py not installed ({why})");
            return;
        }
    };

    let emulator = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let world = emulator.load_world(WorldSpec::default_world()).unwrap();
    let app = &world.applications[0];
    let alice = world.users.iter().find(|(name, _)| name == "alice").map(|(_, id)| *id).unwrap();
    let general = world.guilds[0].channels.iter().find(|(name, _)| name == "general").map(|(_, id)| *id).unwrap();

    let mut bot = Bot::spawn(&python, &emulator, &app.token).unwrap();

    let start = Instant::now();
    while !bot.ready.load(Ordering::SeqCst) {
        if let Some(status) = bot.exited().unwrap() {
            panic!("the bot exited ({status}) before READY\n{}", bot.output());
        }
        assert!(start.elapsed() < DEADLINE, "no READY from the bot within {DEADLINE:?}\n{}", bot.output());
        tokio::time::sleep(POLL).await;
    }

    emulator.user_message(alice, general, "!ping").unwrap();
    wait_for_replies(&emulator, &mut bot, general, 1).await;

    // op 7: discord.py reconnects and resumes (RESUMED must be a shape it accepts), then still answers.
    assert_eq!(emulator.reconnect(None), 1);
    let start = Instant::now();
    while emulator.counters().counters.resumes < 1 {
        assert!(start.elapsed() < DEADLINE, "discord.py did not resume\n{}", bot.output());
        if let Some(status) = bot.exited().unwrap() {
            panic!("the bot exited ({status}) while resuming\n{}", bot.output());
        }
        tokio::time::sleep(POLL).await;
    }
    emulator.user_message(alice, general, "!ping").unwrap();
    wait_for_replies(&emulator, &mut bot, general, 2).await;

    let status = bot.terminate().await.unwrap();
    assert!(
        status.is_some_and(|s| s.success()),
        "the bot did not exit cleanly on SIGTERM ({status:?})\n{}",
        bot.output()
    );
    let replies = emulator.messages(general).unwrap().into_iter().filter(is_reply).count();
    assert_eq!(replies, 2, "late duplicate reply\n{}", bot.output());
    eprintln!("{}", bot.output());
}
