//! The crash-loop guard (issue #18, part 3), on a clock the test steps, against the Discord
//! emulator on SQLite and PostgreSQL: a bot whose runner keeps panicking restarts after 1 s at
//! first; from its 3rd failure in 10 minutes it waits twice as long each time, its status reason
//! and its health figures say until when, and it starts again only when the clock gets there; a
//! stop during the wait stops it for good.
//!
//! "Not yet restarted" is shown against a witness, not a sleep: a second bot panics on the same
//! message but is not in a loop, so its wait is shorter. Stepping the clock past its time alone
//! and waiting until it runs again proves the step was seen by every waiting bot (both wait on the
//! same clock); the looping bot must still be waiting then.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use botfleet::commands::panic::{RUNNER_MESSAGE, RUNNER_TRIGGER};
use botfleet::time::{rfc3339, Clock};
use common::{until, Backend, TestApp};
use discord_emulator::{ApplicationInfo, ApplicationSpec, EmulatorConfig};
use reqwest::StatusCode;
use serde_json::{json, Value};

struct World {
    w: common::ShopWorld,
    witness: ApplicationInfo,
    clock: Clock,
    app: TestApp,
}

async fn world(backend: Backend) -> Option<World> {
    let w = common::shop_world(EmulatorConfig::fast()).await;
    let spec = ApplicationSpec { name: "Witness".into(), ..Default::default() };
    let witness = w.emulator.create_application(spec).unwrap();
    w.emulator.add_member(w.guild, witness.bot_user_id, vec![]).unwrap();
    let clock = Clock::manual(1_800_000_000_000);
    let app = TestApp::spawn_configured(backend, w.emulator.http_url(), {
        let clock = clock.clone();
        move |c| {
            c.clock = clock;
            // The test polls often and its clock stands still: rate limits would never refill.
            c.auth.requests_per_minute = 1_000_000;
        }
    })
    .await?;
    Some(World { w, witness, clock, app })
}

impl World {
    /// Adds a bot and starts it; waits until it runs.
    async fn running_bot(&self, name: &str, token: &str) -> i64 {
        let (status, bot) = self.app.post("/api/v1/bots", json!({"name": name, "token": token})).await;
        assert_eq!(status, StatusCode::CREATED, "{bot}");
        let id = bot["id"].as_i64().unwrap();
        let (status, body) = self.app.post(&format!("/api/v1/bots/{id}/start"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        self.status_is(id, "running").await;
        id
    }

    async fn bot(&self, id: i64) -> Value {
        self.app.get(&format!("/api/v1/bots/{id}")).await.1
    }

    async fn status_is(&self, id: i64, wanted: &str) -> Value {
        until(&format!("bot {id} to be {wanted}"), 30, || async {
            let bot = self.bot(id).await;
            (bot["status"] == wanted).then_some(bot)
        })
        .await
    }

    /// Waits until the bot waits to try again, with a reason ending as `because`; its reason.
    async fn waiting(&self, id: i64) -> String {
        let bot = until(&format!("bot {id} to wait after its panic"), 30, || async {
            let bot = self.bot(id).await;
            let reason = bot["status_reason"].as_str().unwrap_or_default();
            (bot["status"] == "reconnecting" && reason.contains("trying again at")).then_some(bot)
        })
        .await;
        let reason = bot["status_reason"].as_str().unwrap().to_owned();
        assert!(reason.ends_with(&format!("the bot's runner panicked: {RUNNER_MESSAGE}")), "{reason}");
        reason
    }

    async fn next_attempt_at(&self, id: i64) -> Value {
        self.app.get(&format!("/api/v1/bots/{id}/health")).await.1["figures"]["next_attempt_at"].clone()
    }

    /// Sessions started or resumed so far (a runner that panicked resumes its session).
    fn connects(&self) -> u64 {
        let c = self.w.emulator.counters().counters;
        c.identifies + c.resumes
    }

    async fn next_connect(&self, after: u64) {
        until("a new identify or resume", 30, || async { (self.connects() > after).then_some(()) }).await;
    }

    /// Sends the message that makes every running bot's runner panic.
    fn panic_runners(&self) {
        self.w.emulator.user_message(self.w.alice, self.w.general, RUNNER_TRIGGER).unwrap();
    }
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Sqlite).await { super::$name(w).await } } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Postgres).await { super::$name(w).await } } )* }
    };
}

both!(a_bot_in_a_crash_loop_waits_on_the_clock_and_says_until_when);

async fn a_bot_in_a_crash_loop_waits_on_the_clock_and_says_until_when(w: World) {
    let shop = w.running_bot("Shop", &w.w.shop.token).await;

    // Two failures: 1 s each, on the test's clock. From the third within 10 minutes, a crash
    // loop: 2 s, 4 s, … (a wait of 32 s in real time would outlast `until`'s 30 s).
    for (failure, wait) in [(1, "1 s"), (2, "1 s"), (3, "2 s"), (4, "4 s"), (5, "8 s"), (6, "16 s"), (7, "32 s")] {
        let connects = w.connects();
        w.panic_runners();
        let now = w.clock.now_ms();
        let wait_ms = if failure < 3 { 1_000 } else { 1_000 << (failure - 2) };
        let reason = w.waiting(shop).await;
        let looping = if failure >= 3 { format!("failed {failure} times in 10 min; ") } else { String::new() };
        let expected = format!("{looping}trying again at {} (in {wait}): ", rfc3339(now + wait_ms));
        assert!(reason.starts_with(&expected), "{reason} (expected {expected})");
        assert_eq!(w.next_attempt_at(shop).await, json!(now + wait_ms));
        assert_eq!(w.connects(), connects, "no restart before the clock moves");
        w.clock.advance(Duration::from_millis(u64::try_from(wait_ms).unwrap()));
        w.next_connect(connects).await;
        w.status_is(shop, "running").await;
        assert_eq!(w.next_attempt_at(shop).await, Value::Null, "not waiting any more");
    }
    let path = format!("/api/v1/bot-logs?bot_id={shop}&event=panic");
    until("one error line per failure in the bot log", 30, || async {
        let logs = w.app.get(&path).await.1["items"].as_array().cloned().unwrap_or_default();
        (logs.len() == 7 && logs.iter().all(|l| l["level"] == "error")).then_some(())
    })
    .await;

    // The eighth waits 64 s; the witness's first failure, 1 s. One second on, the witness runs
    // again and the looping bot still waits.
    let witness = w.running_bot("Witness", &w.witness.token).await;
    let connects = w.connects();
    w.panic_runners();
    let now = w.clock.now_ms();
    let reason = w.waiting(shop).await;
    let expected = format!("failed 8 times in 10 min; trying again at {} (in 1 min 4 s): ", rfc3339(now + 64_000));
    assert!(reason.starts_with(&expected), "{reason}");
    assert!(w.waiting(witness).await.contains("(in 1 s)"));
    w.clock.advance(Duration::from_secs(1));
    w.next_connect(connects).await;
    w.status_is(witness, "running").await;
    let bot = w.bot(shop).await;
    assert_eq!((bot["status"].as_str(), bot["status_reason"].as_str()), (Some("reconnecting"), Some(reason.as_str())));
    assert_eq!(w.connects(), connects + 1, "the witness only");
    assert_eq!(w.next_attempt_at(shop).await, json!(now + 64_000));

    // Its time comes: it runs again.
    w.clock.advance(Duration::from_secs(63));
    w.next_connect(connects + 1).await;
    w.status_is(shop, "running").await;

    // The ninth waits twice as long; a stop during the wait stops the bot at once and for good.
    let connects = w.connects();
    w.panic_runners();
    let now = w.clock.now_ms();
    let reason = w.waiting(shop).await;
    assert!(reason.starts_with("failed 9 times in 10 min; ") && reason.contains("(in 2 min 8 s)"), "{reason}");
    assert_eq!(w.next_attempt_at(shop).await, json!(now + 128_000));
    w.waiting(witness).await;
    let (status, body) = w.app.post(&format!("/api/v1/bots/{shop}/stop"), json!({})).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("stopped")), "{body}");
    assert_eq!(w.next_attempt_at(shop).await, Value::Null);
    let sessions = w.w.emulator.sessions(Some(w.w.shop.application_id));
    assert!(sessions.iter().all(|s| !s.attached), "no connection left: {sessions:?}");
    w.clock.advance(Duration::from_secs(600));
    w.next_connect(connects).await;
    w.status_is(witness, "running").await;
    assert_eq!(w.bot(shop).await["status"], "stopped");
    assert_eq!(w.connects(), connects + 1, "the witness only");
}
