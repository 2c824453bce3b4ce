//! Every injectable fault against an unmodified twilight 0.18 client, and the counters a later
//! test relies on: it resumes after closes and drops (also on a jittered schedule), identifies
//! again after op 9 `d: false`, stops on 4004/4014, rides out an outage, waits out a forced
//! `user` 429 and retries a `global` one at once, sees forced Discord errors and latency.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::future::IntoFuture;
use std::time::Duration;

use tokio::time::Instant;

use common::{wait_for, World};
use discord_emulator::{ApplicationSpec, EmulatorConfig, FaultAction, FaultSpec, RouteMatch, Scope};
use twilight_gateway::{ConfigBuilder, Event, EventTypeFlags, Intents, Shard, ShardId, StreamExt};
use twilight_http::Client;
use twilight_model::id::Id;

const INTENTS: Intents = Intents::GUILDS.union(Intents::GUILD_MESSAGES).union(Intents::MESSAGE_CONTENT);
const MESSAGES: &str = "/channels/{channel_id}/messages";

fn shard(world: &World) -> Shard {
    let config =
        ConfigBuilder::new(world.app.token.clone(), INTENTS).proxy_url(world.emulator.gateway_url().to_owned()).build();
    Shard::with_config(ShardId::ONE, config)
}

fn http(world: &World) -> Client {
    Client::builder()
        .token(world.app.token.clone())
        .proxy(world.emulator.host(), true)
        .timeout(Duration::from_secs(20))
        .build()
}

async fn next(shard: &mut Shard) -> Option<Event> {
    match tokio::time::timeout(Duration::from_secs(20), shard.next_event(EventTypeFlags::all()))
        .await
        .expect("an event within 20 s")
    {
        Some(Ok(e)) => Some(e),
        Some(Err(e)) => panic!("event error: {e}"),
        None => None,
    }
}

async fn until(shard: &mut Shard, mut want: impl FnMut(&Event) -> bool) {
    loop {
        let e = next(shard).await.expect("the shard keeps running");
        if want(&e) {
            return;
        }
    }
}

async fn connected(world: &World) -> Shard {
    let mut s = shard(world);
    until(&mut s, |e| matches!(e, Event::GuildCreate(_))).await;
    s
}

/// Sends `n` messages as alice and checks the shard receives each exactly once, in order.
async fn receives_each_once(world: &World, shard: &mut Shard, tag: &str, n: usize) {
    for i in 0..n {
        world.emulator.user_message(world.alice, world.general, &format!("{tag} {i}")).unwrap();
    }
    let mut seen = Vec::new();
    while seen.len() < n {
        if let Some(Event::MessageCreate(m)) = next(shard).await {
            seen.push(m.content.clone());
        }
    }
    assert_eq!(seen, (0..n).map(|i| format!("{tag} {i}")).collect::<Vec<_>>());
}

#[tokio::test]
async fn scheduled_closes_and_drops_with_jitter_are_resumed_without_loss() {
    let world = World::start().await;
    let app = world.app.application_id;
    let mut shard = connected(&world).await;
    let every = FaultSpec::now(FaultAction::Close { code: 4000 }).for_application(app).every(
        Duration::from_millis(150),
        Duration::from_millis(50),
        Some(3),
    );
    world.emulator.inject(every).unwrap();
    let drops = FaultSpec::now(FaultAction::Drop).for_application(app).every(
        Duration::from_millis(220),
        Duration::from_millis(50),
        Some(2),
    );
    world.emulator.inject(drops).unwrap();
    // Keep traffic flowing while the faults fire; every message must arrive exactly once.
    // (A fault that fires while the client is between connections finds nobody to hit, so there
    // are at most five disconnections; each must end in a resume.)
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut round = 0;
    while !world.emulator.fault_ids().is_empty() {
        receives_each_once(&world, &mut shard, &format!("round {round}"), 3).await;
        round += 1;
        assert!(Instant::now() < deadline, "the schedules did not end by themselves");
    }
    receives_each_once(&world, &mut shard, "after", 5).await;
    let c = world.emulator.counters().counters;
    assert_eq!(c.identifies, 1, "never a new session");
    assert!(c.resumes >= 1 && c.resumes <= 5, "{c:?}");
    assert_eq!(c.connections, c.resumes + 1, "every reconnection resumed");
    assert_eq!(c.max_live_sessions_per_shard[&app], 1, "never two live sessions for one shard");
}

#[tokio::test]
async fn op9_not_resumable_makes_twilight_identify_again() {
    let world = World::start().await;
    let mut shard = connected(&world).await;
    world.emulator.inject(FaultSpec::now(FaultAction::InvalidSession { resumable: false })).unwrap();
    until(&mut shard, |e| matches!(e, Event::Ready(_))).await;
    assert_eq!(world.emulator.counters().counters.identifies, 2);
    receives_each_once(&world, &mut shard, "new session", 2).await;
}

async fn stops_on(code: u16) {
    let world = World::start().await;
    let mut shard = connected(&world).await;
    world.emulator.inject(FaultSpec::now(FaultAction::Close { code })).unwrap();
    let closed = loop {
        match next(&mut shard).await {
            Some(Event::GatewayClose(frame)) => break frame.map(|f| f.code),
            Some(_) => {}
            None => panic!("ended without a close event"),
        }
    };
    assert_eq!(closed, Some(code));
    assert!(next(&mut shard).await.is_none(), "twilight stops after {code}");
    assert_eq!(world.emulator.counters().counters.connections, 1);
}

#[tokio::test]
async fn twilight_stops_on_4004() {
    stops_on(4004).await;
}

#[tokio::test]
async fn twilight_stops_on_4014() {
    stops_on(4014).await;
}

#[tokio::test]
async fn a_bots_gateway_outage_is_ridden_out_and_the_session_resumed() {
    let world = World::start().await;
    let app = world.app.application_id;
    let mut shard = connected(&world).await;
    let fault = world
        .emulator
        .inject(FaultSpec::now(FaultAction::GatewayDown { for_ms: 60_000 }).for_application(app))
        .unwrap();
    // The shard runs on its own, as a bot's would, reporting the messages it sees.
    let (seen, mut messages) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        until(&mut shard, |e| {
            if let Event::MessageCreate(m) = e {
                let _ = seen.try_send(m.content.clone());
            }
            false
        })
        .await;
    });
    // It reconnects, but its resume goes unanswered while the fault lasts.
    wait_for("a reconnection", 30, || (world.emulator.counters().counters.connections >= 2).then_some(())).await;
    world.emulator.user_message(world.alice, world.general, "during the outage").unwrap();
    assert!(world.emulator.sessions(Some(app)).iter().all(|s| !s.attached), "still down");
    assert_eq!(world.emulator.counters().counters.resumes, 0, "no resume served during the outage");
    assert!(world.emulator.remove_fault(fault));
    let got = tokio::time::timeout(Duration::from_secs(30), messages.recv()).await.unwrap();
    assert_eq!(got.as_deref(), Some("during the outage"), "replayed after the resume");
    let c = world.emulator.counters().counters;
    assert_eq!(c.identifies, 1, "resumed, not re-identified");
    assert!(c.resumes >= 1);
    assert!(c.connections < 20, "no reconnect storm during the outage: {} connections", c.connections);
}

#[tokio::test]
async fn a_whole_gateway_outage_refuses_connections_until_it_ends() {
    let world = World::start().await;
    world.emulator.inject(FaultSpec::now(FaultAction::GatewayDown { for_ms: 60_000 })).unwrap();
    let res = reqwest::Client::new()
        .get(format!("{}/?v=10&encoding=json", world.emulator.http_url()))
        .header("Connection", "Upgrade")
        .header("Upgrade", "websocket")
        .header("Sec-WebSocket-Version", "13")
        .header("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    world.emulator.clear_faults();
    connected(&world).await;
}

#[tokio::test]
async fn a_forced_user_429_is_waited_out_and_a_global_one_retried_at_once() {
    let world = World::start().await;
    let client = http(&world);
    let route = Some(RouteMatch::new("POST", MESSAGES));
    let user = FaultAction::RestRateLimit {
        scope: Scope::User,
        retry_after_ms: 300,
        route: route.clone(),
        times: Some(1),
        for_ms: None,
    };
    world.emulator.inject(FaultSpec::now(user)).unwrap();
    let started = Instant::now();
    client.create_message(Id::new(world.general)).content("after a user 429").await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300), "twilight waited retry_after");
    // A global 429 with a minute-long retry_after: twilight retries at once (no wait), so the
    // call succeeds long before the minute is up.
    let global = FaultAction::RestRateLimit {
        scope: Scope::Global,
        retry_after_ms: 60_000,
        route,
        times: Some(1),
        for_ms: None,
    };
    world.emulator.inject(FaultSpec::now(global)).unwrap();
    tokio::time::timeout(
        Duration::from_secs(20),
        client.create_message(Id::new(world.general)).content("after a global 429").into_future(),
    )
    .await
    .expect("retried at once")
    .unwrap();
    let c = world.emulator.counters().counters;
    assert_eq!((c.rate_limited_by_scope["user"], c.rate_limited_by_scope["global"]), (1, 1));
    let contents: Vec<String> =
        world.emulator.messages(world.general).unwrap().into_iter().map(|m| m.content).collect();
    assert_eq!(contents, ["after a user 429", "after a global 429"], "each posted once");
}

#[tokio::test]
async fn forced_discord_errors_reach_the_client_with_their_code() {
    let world = World::start().await;
    let client = http(&world);
    let sent = client.create_message(Id::new(world.general)).content("stock: 5").await.unwrap().model().await.unwrap();
    let edit_route = Some(RouteMatch::new("PATCH", "/channels/{channel_id}/messages/{message_id}"));
    world
        .emulator
        .inject(FaultSpec::now(FaultAction::RestError { code: 30046, route: edit_route, times: Some(1), for_ms: None }))
        .unwrap();
    let err = client.update_message(sent.channel_id, sent.id).content(Some("stock: 4")).await.unwrap_err();
    assert!(format!("{err:?}").contains("30046"), "{err:?}");
    assert_eq!(
        world.emulator.messages(world.general).unwrap()[0].content,
        "stock: 5",
        "a refused edit changes nothing"
    );
    client.update_message(sent.channel_id, sent.id).content(Some("stock: 4")).await.unwrap();
    for code in [10008, 50001] {
        world
            .emulator
            .inject(FaultSpec::now(FaultAction::RestError { code, route: None, times: Some(1), for_ms: None }))
            .unwrap();
        let err = client.current_user().await.unwrap_err();
        assert!(format!("{err:?}").contains(&code.to_string()), "{err:?}");
    }
    world.emulator.inject(FaultSpec::now(FaultAction::RestDown { for_ms: 60_000 })).unwrap();
    let err = client.current_user().await.unwrap_err();
    assert!(format!("{err:?}").contains("503") || format!("{err:?}").contains("ServiceUnavailable"), "{err:?}");
    world.emulator.clear_faults();
    client.current_user().await.unwrap();
}

#[tokio::test]
async fn injected_latency_delays_rest_and_gateway() {
    let world = World::start().await;
    let client = http(&world);
    let id = world
        .emulator
        .inject(FaultSpec::now(FaultAction::RestLatency { ms: 250, jitter_ms: 0, route: None, for_ms: None }))
        .unwrap();
    let started = Instant::now();
    client.current_user().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert!(world.emulator.remove_fault(id));
    let mut shard = connected(&world).await;
    world.emulator.inject(FaultSpec::now(FaultAction::GatewayLatency { ms: 250, jitter_ms: 0, for_ms: None })).unwrap();
    let started = Instant::now();
    world.emulator.user_message(world.alice, world.general, "slow").unwrap();
    until(&mut shard, |e| matches!(e, Event::MessageCreate(_))).await;
    assert!(started.elapsed() >= Duration::from_millis(250));
}

#[tokio::test]
async fn counters_catch_two_live_sessions_of_one_bot_and_count_routes() {
    let config = EmulatorConfig { identify_window: Duration::ZERO, ..EmulatorConfig::fast() };
    let world = World::with(config, ApplicationSpec::default()).await;
    let app = world.app.application_id;
    let _first = connected(&world).await;
    let _second = connected(&world).await;
    let c = world.emulator.counters().counters;
    assert_eq!((c.max_live_sessions[&app], c.max_live_sessions_per_shard[&app]), (2, 2));
    let client = http(&world);
    client.current_user().await.unwrap();
    client.create_message(Id::new(world.general)).content("x").await.unwrap();
    let bad = Client::builder().token("wrong".into()).proxy(world.emulator.host(), true).build();
    assert!(bad.current_user().await.is_err());
    let c = world.emulator.counters();
    assert_eq!(c.counters.rest_by_route["GET /users/@me"], 2);
    assert_eq!(c.counters.rest_by_route["POST /channels/{channel_id}/messages"], 1);
    assert_eq!(c.counters.invalid_requests, 1);
    assert_eq!(c.counters.of_event("READY"), 2);
    assert_eq!(c.live_connections, 2);
    wait_for("both sessions listed", 5, || (world.emulator.sessions(Some(app)).len() == 2).then_some(())).await;
}

#[tokio::test]
async fn faults_over_the_control_api() {
    let world = World::start().await;
    let http = reqwest::Client::new();
    let base = format!("{}/_emulator/faults", world.emulator.http_url());
    let res = http
        .post(&base)
        .json(&serde_json::json!({"type": "rest_error", "code": 50001, "every_ms": 1000}))
        .send()
        .await
        .unwrap();
    let id = res.json::<serde_json::Value>().await.unwrap()["id"].as_u64().unwrap();
    let listed: serde_json::Value = http.get(&base).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["active"], serde_json::json!([id]));
    assert_eq!(http.delete(format!("{base}/{id}")).send().await.unwrap().status(), 200);
    assert_eq!(http.delete(format!("{base}/{id}")).send().await.unwrap().status(), 404);
    let bad = http.post(&base).json(&serde_json::json!({"type": "close", "code": 42})).send().await.unwrap();
    assert_eq!(bad.status(), 400);
    let unknown = http.post(&base).json(&serde_json::json!({"type": "explode"})).send().await.unwrap();
    assert_eq!(unknown.status(), 400);
}
