//! Scheduled messages end to end, on SQLite and on PostgreSQL, against the emulator, on a manual
//! clock the tests advance: "every day 09:00 Europe/Berlin" fires at 08:00Z before the DST change
//! and 07:00Z after it, each run's message reaching the channel once; a restart at a run's
//! instant still sends it once; runs missed while the service was down are sent once late or
//! skipped, per schedule; bad input is 422 naming the field with nothing stored; viewers may read
//! but not schedule, operators may.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use botfleet::auth::keys::{create, Grant};
use botfleet::auth::{Action, Role};
use botfleet::time::Clock;
use common::{client_with_key, shop_world, until, Backend, ShopWorld, TestApp};
use discord_emulator::EmulatorConfig;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// 2027-03-26T12:00:00Z: a Friday; Berlin changes to summer time on Sunday 2027-03-28.
const START: &str = "2027-03-26T12:00:00Z";
const HOUR: i64 = 3_600_000;

fn ms(text: &str) -> i64 {
    botfleet::time::parse("t", text).unwrap()
}

struct World {
    shop: ShopWorld,
    app: TestApp,
    clock: Clock,
    bot: i64,
}

async fn world(backend: Backend) -> Option<World> {
    world_with(backend, false).await
}

/// [`world`], its node running as one of several (`--several-nodes`) when `several`.
async fn world_with(backend: Backend, several: bool) -> Option<World> {
    let shop = shop_world(EmulatorConfig::default()).await;
    let clock = Clock::manual(ms(START));
    let shared = clock.clone();
    let app = TestApp::spawn_configured(backend, shop.emulator.http_url(), |c| {
        c.monitoring = false;
        c.auth.requests_per_minute = 1_000_000;
        c.clock = shared;
        c.several_nodes = several;
    })
    .await?;
    let (status, bot) = app.post("/api/v1/bots", json!({"name": "Shop", "token": shop.shop.token})).await;
    assert_eq!(status, StatusCode::CREATED, "{bot}");
    let bot = bot["id"].as_i64().unwrap();
    Some(World { shop, app, clock, bot })
}

impl World {
    /// Moves the clock to `at` (RFC 3339).
    fn advance_to(&self, at: &str) {
        let by = ms(at) - self.clock.now_ms();
        assert!(by >= 0, "the clock only moves forward ({at})");
        self.clock.advance(Duration::from_millis(by as u64));
    }

    /// The bot's messages in #general with this content.
    fn posted(&self, content: &str) -> usize {
        let messages = self.shop.emulator.messages(self.shop.general).unwrap();
        messages.iter().filter(|m| m.author_is_bot && m.content == content).count()
    }

    fn daily(&self, content: &str, missed: &str) -> Value {
        json!({
            "bot_id": self.bot,
            "channel_id": self.shop.general.to_string(),
            "message": {"content": content},
            "cron": "0 9 * * *",
            "time_zone": "Europe/Berlin",
            "missed": missed,
        })
    }

    async fn make(&self, body: Value) -> Value {
        let (status, schedule) = self.app.post("/api/v1/schedules", body).await;
        assert_eq!(status, StatusCode::CREATED, "{schedule}");
        schedule
    }

    /// The schedule's runs, oldest first.
    async fn runs(&self, id: i64) -> Vec<Value> {
        let (status, page) = self.app.get(&format!("/api/v1/schedules/{id}/runs?limit=200")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let mut runs = page["items"].as_array().unwrap().clone();
        runs.reverse();
        runs
    }

    /// Waits until the schedule has `n` runs and none is still queued.
    async fn settled_runs(&self, id: i64, n: usize) -> Vec<Value> {
        until(&format!("{n} settled runs of schedule {id}"), 60, || async {
            let runs = self.runs(id).await;
            (runs.len() == n && runs.iter().all(|r| r["state"] != "queued")).then_some(runs)
        })
        .await
    }

    /// The jobs the schedule made.
    async fn jobs_of(&self, id: i64) -> usize {
        let (_, page) = self.app.get(&format!("/api/v1/jobs?created_by=schedule%20{id}&limit=200")).await;
        page["items"].as_array().unwrap().len()
    }
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Sqlite).await { super::$name(w).await } } )* }
        mod postgres { $( #[tokio::test(flavor = "multi_thread", worker_threads = 2)] async fn $name() { if let Some(w) = super::world(super::Backend::Postgres).await { super::$name(w).await } } )* }
    };
}

both!(
    nine_in_berlin_fires_at_eight_then_seven_utc_across_the_dst_change,
    a_restart_at_a_run_s_instant_still_sends_it_once,
    missed_runs_are_sent_once_late_or_skipped,
    bad_input_is_refused_naming_the_field_and_nothing_is_stored,
    viewers_read_operators_schedule_and_pings_need_bots_mention,
    edits_retime_disable_and_are_audited,
);

/// The server shows the next runs in UTC and on Berlin's clock; as the test clock passes each
/// 09:00 Berlin, the loop sends the message once: 08:00Z on Saturday (CET), 07:00Z on Sunday
/// (CEST). Each run is recorded sent with its job, the job made once.
async fn nine_in_berlin_fires_at_eight_then_seven_utc_across_the_dst_change(w: World) {
    let schedule = w.make(w.daily("Good morning, shop!", "send_late")).await;
    let id = schedule["id"].as_i64().unwrap();
    let at: Vec<&str> = schedule["next_runs"].as_array().unwrap().iter().map(|r| r["at"].as_str().unwrap()).collect();
    assert_eq!(
        at,
        [
            "2027-03-27T08:00:00Z",
            "2027-03-28T07:00:00Z",
            "2027-03-29T07:00:00Z",
            "2027-03-30T07:00:00Z",
            "2027-03-31T07:00:00Z"
        ]
    );
    assert_eq!(schedule["next_runs"][0]["local"], "2027-03-27T09:00:00+01:00");
    assert_eq!(schedule["next_runs"][1]["local"], "2027-03-28T09:00:00+02:00");

    w.advance_to("2027-03-27T08:00:00Z");
    let runs = w.settled_runs(id, 1).await;
    assert_eq!((runs[0]["at"].as_str(), runs[0]["state"].as_str()), (Some("2027-03-27T08:00:00Z"), Some("sent")));
    assert_eq!(runs[0]["late"], false);
    assert_eq!(w.posted("Good morning, shop!"), 1);

    // Sunday: 08:00Z is 10:00 in Berlin now, so the run was at 07:00Z.
    w.advance_to("2027-03-28T07:00:00Z");
    let runs = w.settled_runs(id, 2).await;
    assert_eq!((runs[1]["at"].as_str(), runs[1]["state"].as_str()), (Some("2027-03-28T07:00:00Z"), Some("sent")));
    assert_eq!(w.posted("Good morning, shop!"), 2);
    assert_eq!(w.jobs_of(id).await, 2, "one job per run");
    let (_, schedule) = w.app.get(&format!("/api/v1/schedules/{id}")).await;
    assert_eq!(schedule["last_run_at"], "2027-03-28T07:00:00Z");
    assert_eq!(schedule["last_run"]["state"], "sent");
    assert_eq!(schedule["next_runs"][0]["at"], "2027-03-29T07:00:00Z");
    w.app.stop().await;
}

/// The service stops the moment a run falls due (whether this node's loop got to it first or
/// not) and starts again: the run is sent once — by the first process or the second — one job,
/// one message.
async fn a_restart_at_a_run_s_instant_still_sends_it_once(w: World) {
    let schedule = w.make(w.daily("Doors open", "send_late")).await;
    let id = schedule["id"].as_i64().unwrap();
    w.advance_to("2027-03-27T08:00:00Z");
    let World { shop, app, clock, bot } = w;
    let app = app.restart().await;
    let w = World { shop, app, clock, bot };
    let runs = w.settled_runs(id, 1).await;
    assert_eq!(runs[0]["state"], "sent", "{runs:?}");
    assert_eq!(w.posted("Doors open"), 1);
    assert_eq!(w.jobs_of(id).await, 1);

    // A restart in the middle of the next day's run (the clock there, the round maybe not done).
    w.advance_to("2027-03-28T07:00:00Z");
    until("the second run to be recorded", 30, || async { (w.runs(id).await.len() == 2).then_some(()) }).await;
    let World { shop, app, clock, bot } = w;
    let app = app.restart().await;
    let w = World { shop, app, clock, bot };
    let runs = w.settled_runs(id, 2).await;
    assert!(runs.iter().all(|r| r["state"] == "sent"), "{runs:?}");
    assert_eq!(w.posted("Doors open"), 2);
    assert_eq!(w.jobs_of(id).await, 2);
    w.app.stop().await;
}

/// Down over three 09:00s: with `send_late` the latest is sent once, late, the two before it
/// skipped; with `skip` all three are skipped and nothing is sent. Both go on at the next 09:00.
async fn missed_runs_are_sent_once_late_or_skipped(w: World) {
    let late = w.make(w.daily("Late but sent", "send_late")).await["id"].as_i64().unwrap();
    let skip = w.make(w.daily("Skipped", "skip")).await["id"].as_i64().unwrap();
    let World { shop, app, clock, bot } = w;
    let down = clock.clone();
    let app = app
        .restart_after(async move {
            // Friday noon to Monday noon: Saturday, Sunday and Monday 09:00 pass while down.
            down.advance(Duration::from_millis((72 * HOUR) as u64));
        })
        .await;
    let w = World { shop, app, clock, bot };

    let runs = w.settled_runs(late, 3).await;
    let states: Vec<(&str, &str, bool)> = runs
        .iter()
        .map(|r| (r["at"].as_str().unwrap(), r["state"].as_str().unwrap(), r["late"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            ("2027-03-27T08:00:00Z", "skipped", true),
            ("2027-03-28T07:00:00Z", "skipped", true),
            ("2027-03-29T07:00:00Z", "sent", true),
        ]
    );
    assert_eq!(w.posted("Late but sent"), 1);
    assert_eq!(w.jobs_of(late).await, 1);

    let runs = w.settled_runs(skip, 3).await;
    assert!(runs.iter().all(|r| r["state"] == "skipped" && r["job_id"].is_null()), "{runs:?}");
    assert_eq!(w.posted("Skipped"), 0);
    assert_eq!(w.jobs_of(skip).await, 0);

    // Both carry on at the next run, on time.
    w.advance_to("2027-03-30T07:00:00Z");
    let runs = w.settled_runs(skip, 4).await;
    assert_eq!((runs[3]["state"].as_str(), runs[3]["late"].as_bool()), (Some("sent"), Some(false)));
    w.settled_runs(late, 4).await;
    assert_eq!((w.posted("Skipped"), w.posted("Late but sent")), (1, 2));
    w.app.stop().await;
}

/// Each bad input is 422 naming the field; nothing is stored or audited.
async fn bad_input_is_refused_naming_the_field_and_nothing_is_stored(w: World) {
    let hidden_guild = w.shop.emulator.create_guild("Elsewhere", w.shop.alice).unwrap();
    let hidden = w.shop.emulator.create_channel(hidden_guild, "staff").unwrap();
    let good = w.daily("hello", "skip");
    let with = |changes: Value| {
        let mut body = good.clone();
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    let embed = json!({"title": "Sale"});
    let cases = [
        ("a cron that never fires", with(json!({"cron": "0 0 31 2 *"})), "cron"),
        ("a cron that does not parse", with(json!({"cron": "every day at nine"})), "cron"),
        ("a cron of six fields", with(json!({"cron": "0 0 9 * * *"})), "cron"),
        ("an unknown time zone", with(json!({"time_zone": "Mars/Olympus_Mons"})), "time_zone"),
        ("a one-off in the past", with(json!({"cron": null, "once": "2027-03-26T11:59:00Z"})), "once"),
        ("both once and cron", with(json!({"once": "2027-04-01T09:00:00+02:00"})), "once"),
        ("neither once nor cron", with(json!({"cron": null})), "cron"),
        ("2001 characters", with(json!({"message": {"content": "x".repeat(2001)}})), "message.content"),
        (
            "a product that does not exist",
            with(json!({"message": {"content": "{stock:NOPE} left"}})),
            "message.content",
        ),
        ("11 embeds", with(json!({"message": {"embeds": vec![embed; 11]}})), "message.embeds"),
        ("a channel id that is not one", with(json!({"channel_id": "general"})), "channel_id"),
        ("a channel the bot cannot see", with(json!({"channel_id": hidden.to_string()})), "channel_id"),
        ("a bot that does not exist", with(json!({"bot_id": 999_999})), "bot_id"),
    ];
    for (what, body, field) in cases {
        let (status, answer) = w.app.post("/api/v1/schedules", body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{what}: {answer}");
        let fields: Vec<&str> =
            answer["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&field), "{what}: {answer}");
        if what == "a one-off in the past" {
            assert_eq!(answer["error"]["fields"][0]["message"], "must be in the future", "{answer}");
        }
    }
    // The preview refuses the same timings the same way.
    let (status, answer) = w.app.post("/api/v1/schedules/preview", json!({"cron": "0 0 31 2 *"})).await;
    assert_eq!(
        (status, answer["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("cron"))
    );
    let (status, answer) =
        w.app.post("/api/v1/schedules/preview", json!({"cron": "0 9 * * 1", "time_zone": "Nowhere"})).await;
    assert_eq!(
        (status, answer["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("time_zone"))
    );

    let (_, page) = w.app.get("/api/v1/schedules").await;
    assert_eq!(page["items"], json!([]), "nothing stored");
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM schedules").fetch_one(w.app.store.pool()).await.unwrap();
    assert_eq!(n.0, 0);
    let (_, audit) = w.app.get("/api/v1/audit-logs?action=schedules.create").await;
    assert_eq!(audit["items"], json!([]), "nothing audited");

    // A PATCH that breaks it changes nothing either.
    let schedule = w.make(good.clone()).await;
    let id = schedule["id"].as_i64().unwrap();
    let path = format!("/api/v1/schedules/{id}");
    let (status, answer) = w.app.call(reqwest::Method::PATCH, &path, Some(json!({"cron": "61 * * * *"}))).await;
    assert_eq!(
        (status, answer["error"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("cron"))
    );
    assert_eq!(w.app.get(&path).await.1, schedule, "unchanged");
    w.app.stop().await;
}

/// A viewer lists but cannot schedule; an operator can; a message that pings needs
/// `bots.mention`, which a key scoped to `schedules.manage` alone lacks.
async fn viewers_read_operators_schedule_and_pings_need_bots_mention(w: World) {
    let now = botfleet::time::now_ms();
    let viewer = client_with_key(&TestApp::make_key(&w.app.store, Role::Viewer).await);
    let operator = client_with_key(&TestApp::make_key(&w.app.store, Role::Operator).await);
    let narrow = create(&w.app.store, "scheduler", &Grant::Scopes(vec![Action::SchedulesManage]), None, now, None)
        .await
        .unwrap()
        .0;
    let narrow = client_with_key(&narrow);
    let url = format!("{}/api/v1/schedules", w.app.url);
    let body = w.daily("From the operator", "skip");

    let refused = viewer.post(&url).json(&body).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let made = operator.post(&url).json(&body).send().await.unwrap();
    assert_eq!(made.status(), StatusCode::CREATED);
    let made: Value = made.json().await.unwrap();
    assert_eq!(made["created_by"], "key test operator");
    let listed: Value = viewer.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
    let id = made["id"].as_i64().unwrap();
    let runs = viewer.get(format!("{url}/{id}/runs")).send().await.unwrap();
    assert_eq!(runs.status(), StatusCode::OK);
    let deleted = viewer.delete(format!("{url}/{id}")).send().await.unwrap();
    assert_eq!(deleted.status(), StatusCode::FORBIDDEN);

    let mut pinging = body.clone();
    pinging["message"]["allowed_mentions"] = json!({"parse": ["everyone"]});
    let refused = narrow.post(&url).json(&pinging).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let quiet = narrow.post(&url).json(&body).send().await.unwrap();
    assert_eq!(quiet.status(), StatusCode::CREATED);
    let ok = operator.post(&url).json(&pinging).send().await.unwrap();
    assert_eq!(ok.status(), StatusCode::CREATED, "operators hold bots.mention");
    w.app.stop().await;
}

/// PATCH: a new cron moves the next runs; disabling empties them; a one-off is shown with its
/// time; each change is one audit row old → new; delete removes it (audited) and its runs.
async fn edits_retime_disable_and_are_audited(w: World) {
    let schedule = w.make(w.daily("Edit me", "send_late")).await;
    let id = schedule["id"].as_i64().unwrap();
    let path = format!("/api/v1/schedules/{id}");
    let patch = |body: Value| w.app.call(reqwest::Method::PATCH, &path, Some(body));

    let (status, edited) = patch(json!({"cron": "30 17 * * FRI"})).await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["next_runs"][0]["local"], "2027-03-26T17:30:00+01:00");
    assert_eq!(edited["next_runs"][1]["local"], "2027-04-02T17:30:00+02:00");

    let (_, off) = patch(json!({"enabled": false})).await;
    assert_eq!((off["enabled"].as_bool(), off["next_runs"].clone()), (Some(false), json!([])));

    let (status, once) = patch(json!({"enabled": true, "once": "2027-04-01T10:00:00+02:00"})).await;
    assert_eq!(status, StatusCode::OK, "{once}");
    assert_eq!((once["cron"].is_null(), once["once"].as_str()), (true, Some("2027-04-01T08:00:00Z")));
    assert_eq!(once["next_runs"], json!([{"at": "2027-04-01T08:00:00Z", "local": "2027-04-01T10:00:00+02:00"}]));

    // The one-off fires once and is done.
    w.advance_to("2027-04-01T08:00:30Z");
    w.settled_runs(id, 1).await;
    assert_eq!(w.posted("Edit me"), 1);
    let (_, done) = w.app.get(&path).await;
    assert_eq!((done["enabled"].as_bool(), done["next_runs"].clone()), (Some(false), json!([])), "{done}");

    let (_, audit) = w.app.get("/api/v1/audit-logs?action=schedules.update").await;
    let rows = audit["items"].as_array().unwrap();
    assert_eq!(rows.len(), 3, "{audit}");
    let first = rows.iter().find(|r| r["changes"]["cron"]["new"] == "30 17 * * FRI").expect("the cron change");
    assert_eq!(first["changes"]["cron"]["old"], "0 9 * * *");

    let (status, _) = w.app.call(reqwest::Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(w.app.get(&path).await.0, StatusCode::NOT_FOUND);
    let n: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM schedule_runs").fetch_one(w.app.store.pool()).await.unwrap();
    assert_eq!(n.0, 0, "its runs go too");
    let (_, audit) = w.app.get("/api/v1/audit-logs?action=schedules.delete").await;
    assert_eq!(audit["items"][0]["changes"]["message"]["old"]["content"], "Edit me", "{audit}");
    w.app.stop().await;
}

/// Two nodes on one PostgreSQL database, on one clock, wake at the same instants: each run is
/// recorded once, made one job, and posted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_on_one_database_send_each_run_once() {
    let Some(w) = world_with(Backend::Postgres, true).await else { return };
    let (url, shared) = (w.app.database_url(), w.clock.clone());
    // The same secret key (each node reads the bots' tokens), its own data dir and node id.
    let key = std::fs::read_to_string(botfleet::secrets::TokenCipher::key_file(w.app.dir.path())).unwrap();
    let second = TestApp::spawn_configured(Backend::Postgres, w.shop.emulator.http_url(), |c| {
        c.monitoring = false;
        c.auth.requests_per_minute = 1_000_000;
        c.clock = shared;
        c.storage.database_url = Some(url);
        c.secret_key.secret_key = Some(botfleet::secrets::Secret::new(key.trim()));
        c.several_nodes = true;
    })
    .await
    .expect("a second node");
    let id = w.make(w.daily("Both nodes, once", "send_late")).await["id"].as_i64().unwrap();
    for (n, at) in [(1, "2027-03-27T08:00:00Z"), (2, "2027-03-28T07:00:00Z"), (3, "2027-03-29T07:00:00Z")] {
        w.advance_to(at);
        let runs = w.settled_runs(id, n).await;
        assert!(runs.iter().all(|r| r["state"] == "sent"), "{runs:?}");
    }
    assert_eq!(w.posted("Both nodes, once"), 3);
    assert_eq!(w.jobs_of(id).await, 3);
    second.stop().await;
    w.app.stop().await;
}
