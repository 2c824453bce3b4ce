//! Proves an independent client library in another language works against the emulator:
//! discord.py (pinned in `tests/clients/requirements.txt`, unmodified apart from its base URLs)
//! logs in, registers its slash command, connects to the gateway, replies to a user's `!ping`
//! over REST, answers `/ping` with `interaction.response.send_message` (with a button), answers
//! the button press with `interaction.response.edit_message`, and resumes after op 7. Any error
//! discord.py logs (its default `on_error` handlers log at ERROR with a traceback) fails the test.
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

use discord_emulator::{Emulator, EmulatorConfig, UserAction, WorldSpec};

const REPLY: &str = "pong from discord.py";
const SLASH_REPLY: &str = "pong from discord.py slash";
const EDITED_REPLY: &str = "page 2 from discord.py";
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

    /// Whether the bot printed `line` on stdout.
    fn printed(&self, line: &str) -> bool {
        lock(&self.stdout).lines().any(|l| l.trim() == line)
    }

    /// Lines of its output that show an error: a traceback, an exception, or a log record at
    /// ERROR or CRITICAL (the log format is `time LEVEL logger: message`).
    fn errors(&self) -> Vec<String> {
        let (stdout, stderr) = (lock(&self.stdout), lock(&self.stderr));
        stdout
            .lines()
            .chain(stderr.lines())
            .filter(|l| {
                l.contains("Traceback") || l.contains("Exception") || l.contains(" ERROR ") || l.contains(" CRITICAL ")
            })
            .map(str::to_owned)
            .collect()
    }

    /// Fails the test when discord.py logged an error or the bot exited.
    fn check_alive_and_clean(&mut self, doing: &str) {
        let errors = self.errors();
        assert!(errors.is_empty(), "discord.py logged errors while {doing}: {errors:#?}\n{}", self.output());
        if let Some(status) = self.exited().unwrap() {
            panic!("the bot exited ({status}) while {doing}\n{}", self.output());
        }
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
        bot.check_alive_and_clean("waiting for a reply to !ping");
        assert!(
            start.elapsed() < DEADLINE,
            "no {REPLY:?} in #general within {DEADLINE:?}; messages: {:?}\n{}",
            emulator.messages(general).unwrap(),
            bot.output()
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Polls `check` until it gives a value, failing when discord.py logs an error, the bot exits,
/// or `DEADLINE` passes.
async fn wait_until<T>(bot: &mut Bot, what: &str, mut check: impl FnMut(&Bot) -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        bot.check_alive_and_clean(what);
        if let Some(v) = check(bot) {
            return v;
        }
        assert!(start.elapsed() < DEADLINE, "timed out {what} ({DEADLINE:?})\n{}", bot.output());
        tokio::time::sleep(POLL).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discord_py_bot_answers_prefix_slash_and_button_and_resumes() {
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
        bot.check_alive_and_clean("starting");
        assert!(start.elapsed() < DEADLINE, "no READY from the bot within {DEADLINE:?}\n{}", bot.output());
        tokio::time::sleep(POLL).await;
    }
    let registered = emulator.state().commands.get(&app.application_id).map_or(0, Vec::len);
    assert_eq!(registered, 1, "CommandTree.sync registered /ping before READY\n{}", bot.output());

    emulator.user_message(alice, general, "!ping").unwrap();
    wait_for_replies(&emulator, &mut bot, general, 1).await;

    // /ping: interaction.response.send_message with a view. discord.py asks `?with_response=1`
    // and reads the created message (its id keys the view) from the callback's answer.
    let slash = emulator
        .user_interaction(
            app.application_id,
            alice,
            general,
            UserAction::SlashCommand { name: "ping".into(), options: vec![] },
        )
        .unwrap();
    let message_id = wait_until(&mut bot, "waiting for send_message to return", |bot| {
        let m =
            emulator.messages(general).unwrap().into_iter().find(|m| m.author_is_bot && m.content == SLASH_REPLY)?;
        bot.printed(&format!("SLASH {}", m.id)).then_some(m.id)
    })
    .await;
    let sent = emulator.messages(general).unwrap().into_iter().find(|m| m.id == message_id).unwrap();
    assert_eq!(sent.components[0]["components"][0]["custom_id"], "next", "the view's button: {sent:?}");
    let record = emulator.interaction(slash.interaction_id).unwrap();
    assert_eq!(record.responses.len(), 1, "{record:?}");
    assert_eq!((record.responses[0].action.as_str(), record.responses[0].callback_type), ("callback", Some(4)));
    assert_eq!(record.responses[0].message_id, Some(message_id));

    // The button under it: interaction.response.edit_message (callback type 7), view removed.
    let press = emulator
        .user_interaction(
            app.application_id,
            alice,
            general,
            UserAction::Component { message_id, custom_id: "next".into(), component_type: 2, values: vec![] },
        )
        .unwrap();
    wait_until(&mut bot, "waiting for edit_message to return", |bot| {
        bot.printed(&format!("EDITED {message_id}")).then_some(())
    })
    .await;
    let record = emulator.interaction(press.interaction_id).unwrap();
    assert_eq!(record.responses.len(), 1, "{record:?}");
    assert_eq!((record.responses[0].action.as_str(), record.responses[0].callback_type), ("callback", Some(7)));
    let edited = emulator.messages(general).unwrap().into_iter().find(|m| m.id == message_id).unwrap();
    assert_eq!((edited.content.as_str(), edited.edits), (EDITED_REPLY, 1), "{edited:?}");
    assert!(edited.components.is_empty(), "view=None removes the button: {edited:?}");

    // op 7: discord.py reconnects and resumes (RESUMED must be a shape it accepts), then still answers.
    assert_eq!(emulator.reconnect(None), 1);
    let start = Instant::now();
    while emulator.counters().counters.resumes < 1 {
        assert!(start.elapsed() < DEADLINE, "discord.py did not resume\n{}", bot.output());
        bot.check_alive_and_clean("resuming");
        tokio::time::sleep(POLL).await;
    }
    emulator.user_message(alice, general, "!ping").unwrap();
    wait_for_replies(&emulator, &mut bot, general, 2).await;
    // discord.py always asks for a compressed stream: zstd-stream when it finds a zstd module
    // (Python 3.14's compression.zstd or the zstandard package), zlib-stream otherwise.
    let c = emulator.counters().counters;
    assert_eq!(
        (c.connections, c.zlib_connections + c.zstd_connections),
        (2, 2),
        "two connections (identify, resume), both compressed: {c:?}\n{}",
        bot.output()
    );

    let status = bot.terminate().await.unwrap();
    assert!(
        status.is_some_and(|s| s.success()),
        "the bot did not exit cleanly on SIGTERM ({status:?})\n{}",
        bot.output()
    );
    let replies = emulator.messages(general).unwrap().into_iter().filter(is_reply).count();
    assert_eq!(replies, 2, "late duplicate reply\n{}", bot.output());
    let errors = bot.errors();
    assert!(errors.is_empty(), "discord.py logged errors: {errors:#?}\n{}", bot.output());
    eprintln!("{}", bot.output());
}
