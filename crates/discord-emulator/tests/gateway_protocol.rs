//! The gateway protocol byte by byte, with a bare WebSocket client: every close code, op 9 cases,
//! heartbeats, resume rules, budgets, intents and compression — each asserting Discord's exact
//! code.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;
#[path = "common/raw.rs"]
mod raw;

use std::time::Duration;

use common::{wait_for, World};
use discord_emulator::{ApplicationSpec, EmulatorConfig};
use raw::{Frame, Raw};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

const GUILDS: u64 = 1;
const GUILD_MESSAGES: u64 = 1 << 9;
const MESSAGE_CONTENT: u64 = 1 << 15;
const INTENTS: u64 = GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT;

async fn world() -> World {
    World::start().await
}

/// Discord's real heartbeat interval, for tests that advance the clock by whole identify windows
/// (a 1 s interval would time the raw clients out).
async fn slow_heartbeat_world(spec: ApplicationSpec) -> World {
    World::with(EmulatorConfig::default(), spec).await
}

#[tokio::test]
async fn hello_heartbeat_ack_and_a_heartbeat_the_server_asks_for() {
    let w = world().await;
    let mut raw = Raw::connect(w.emulator.gateway_url(), "v=10&encoding=json").await;
    let hello = raw.payload().await;
    assert_eq!(hello["op"], 10);
    assert_eq!(hello["d"]["heartbeat_interval"], 1000);
    raw.send(json!({"op": 1, "d": null})).await;
    assert_eq!(raw.payload().await["op"], 11);
    raw.ready(&w.app.token, INTENTS).await;
    assert_eq!(w.emulator.request_heartbeat(Some(w.app.application_id)), 1);
    let asked = loop {
        let p = raw.payload().await;
        if p["op"] != 0 {
            break p;
        }
    };
    assert_eq!(asked["op"], 1);
}

#[tokio::test]
async fn ready_carries_what_clients_need_and_guild_create_follows() {
    let w = world().await;
    let mut raw = Raw::hello(w.emulator.gateway_url()).await;
    let (session, ready) = raw.ready(&format!("Bot {}", w.app.token), INTENTS).await;
    let d = &ready["d"];
    assert_eq!(ready["s"], 1);
    assert_eq!(d["v"], 10);
    assert_eq!(d["user"]["id"], w.app.bot_user_id.to_string());
    assert_eq!(d["user"]["bot"], true);
    assert_eq!(d["guilds"], json!([{"id": w.guild.to_string(), "unavailable": true}]));
    assert_eq!(d["session_id"], session);
    assert_eq!(d["resume_gateway_url"], w.emulator.gateway_url());
    assert_eq!(d["shard"], json!([0, 1]));
    assert_eq!(d["application"]["id"], w.app.application_id.to_string());
    let guild = raw.dispatch("GUILD_CREATE").await;
    assert_eq!(guild["s"], 2);
    for field in [
        "roles",
        "channels",
        "members",
        "emojis",
        "stickers",
        "features",
        "premium_tier",
        "joined_at",
        "member_count",
        "threads",
        "presences",
        "voice_states",
        "stage_instances",
        "guild_scheduled_events",
        "afk_timeout",
        "nsfw_level",
        "preferred_locale",
        "system_channel_flags",
        "verification_level",
    ] {
        assert!(guild["d"].get(field).is_some(), "GUILD_CREATE lacks {field}");
    }
}

async fn expect_close(w: &World, payloads: Vec<serde_json::Value>, code: u16) {
    let mut raw = Raw::hello(w.emulator.gateway_url()).await;
    for p in payloads {
        raw.send(p).await;
    }
    assert_eq!(raw.closed().await, Some(code));
}

#[tokio::test]
async fn each_close_code_for_a_bad_client() {
    let w = world().await;
    let id = |token: &str, intents: u64| json!({"op": 2, "d": {"token": token, "intents": intents, "properties": {}}});
    expect_close(&w, vec![json!({"op": 99, "d": null})], 4001).await;
    expect_close(&w, vec![json!({"op": "two"})], 4002).await;
    expect_close(&w, vec![json!({"op": 2, "d": {"intents": 1}})], 4002).await;
    expect_close(&w, vec![json!({"op": 3, "d": {"status": "online"}})], 4003).await;
    expect_close(&w, vec![id("wrong", INTENTS)], 4004).await;
    expect_close(&w, vec![id(&w.app.token, 1 << 30)], 4013).await;
    expect_close(
        &w,
        vec![json!({"op": 2, "d": {"token": w.app.token, "intents": 1, "properties": {}, "shard": [1, 1]}})],
        4010,
    )
    .await;
    // 4005: a second identify on an identified connection.
    let mut raw = Raw::hello(w.emulator.gateway_url()).await;
    raw.ready(&w.app.token, INTENTS).await;
    raw.send(id(&w.app.token, INTENTS)).await;
    assert_eq!(raw.closed().await, Some(4005));
}

#[tokio::test]
async fn a_bad_api_version_gets_4012() {
    let w = world().await;
    let mut raw = Raw::connect(w.emulator.gateway_url(), "v=8&encoding=json").await;
    assert_eq!(raw.closed().await, Some(4012));
}

#[tokio::test]
async fn privileged_intents_need_the_application_flag_4014() {
    let w =
        World::with(EmulatorConfig::fast(), ApplicationSpec { message_content_intent: false, ..Default::default() })
            .await;
    let mut raw = Raw::hello(w.emulator.gateway_url()).await;
    raw.identify(&w.app.token, GUILDS | (1 << 1)).await; // GUILD_MEMBERS, not enabled either
    assert_eq!(raw.closed().await, Some(4014));
}

#[tokio::test]
async fn too_many_guilds_for_one_shard_gets_4011() {
    let spec = ApplicationSpec { max_guilds_per_shard: 1, ..Default::default() };
    let w = World::with(EmulatorConfig::fast(), spec).await;
    let second = w.emulator.create_guild("Second Shop", w.alice).unwrap();
    w.emulator.add_member(second, w.app.bot_user_id, vec![]).unwrap();
    let mut raw = Raw::hello(w.emulator.gateway_url()).await;
    raw.identify(&w.app.token, INTENTS).await;
    assert_eq!(raw.closed().await, Some(4011));
}

#[tokio::test]
async fn more_than_120_payloads_a_minute_gets_4008() {
    let w = world().await;
    let mut raw = Raw::hello(w.emulator.gateway_url()).await;
    for _ in 0..121 {
        raw.send(json!({"op": 1, "d": null})).await;
    }
    let mut acks = 0;
    let code = loop {
        match raw.frame().await {
            Frame::Payload(p) if p["op"] == 11 => acks += 1,
            Frame::Payload(_) => {}
            Frame::Close(code) => break code,
        }
    };
    assert_eq!((acks, code), (120, Some(4008)));
}

#[tokio::test]
async fn a_silent_client_gets_4009_and_its_session_cannot_resume() {
    let config = EmulatorConfig {
        heartbeat_interval: Duration::from_millis(100),
        heartbeat_grace: Duration::from_millis(100),
        ..EmulatorConfig::fast()
    };
    let w = World::with(config, ApplicationSpec::default()).await;
    let mut raw = Raw::hello(w.emulator.gateway_url()).await;
    let (session, _) = raw.ready(&w.app.token, INTENTS).await;
    assert_eq!(raw.closed().await, Some(4009));
    let mut again = Raw::hello(w.emulator.gateway_url()).await;
    again.resume(&w.app.token, &session, 1).await;
    let p = again.payload().await;
    assert_eq!((p["op"].clone(), p["d"].clone()), (json!(9), json!(false)));
}

#[tokio::test]
async fn resume_with_a_sequence_from_the_future_gets_4007_and_ends_the_session() {
    let w = world().await;
    let mut raw = Raw::hello(w.emulator.gateway_url()).await;
    let (session, _) = raw.ready(&w.app.token, INTENTS).await;
    raw.close(4000).await;
    let mut next = Raw::hello(w.emulator.gateway_url()).await;
    next.resume(&w.app.token, &session, 999).await;
    assert_eq!(next.closed().await, Some(4007));
    let mut last = Raw::hello(w.emulator.gateway_url()).await;
    last.resume(&w.app.token, &session, 1).await;
    assert_eq!(last.payload().await, json!({"op": 9, "s": null, "t": null, "d": false}));
}

#[tokio::test]
async fn resume_replays_missed_dispatches_then_resumed() {
    let w = world().await;
    let mut raw = Raw::hello(w.emulator.gateway_url()).await;
    let (session, _) = raw.ready(&w.app.token, INTENTS).await;
    let guild = raw.dispatch("GUILD_CREATE").await;
    let seq = guild["s"].as_u64().unwrap();
    raw.close(4000).await; // not 1000/1001: the session stays resumable
    wait_for("detach", 10, || w.emulator.sessions(None).iter().all(|s| !s.attached).then_some(())).await;
    for i in 0..3 {
        w.emulator.user_message(w.alice, w.general, &format!("m{i}")).unwrap();
    }
    let mut next = Raw::hello(w.emulator.gateway_url()).await;
    next.resume(&w.app.token, &session, seq).await;
    let mut got = Vec::new();
    loop {
        let p = next.payload().await;
        got.push((p["s"].as_u64().unwrap(), p["t"].as_str().unwrap().to_owned()));
        if p["t"] == "RESUMED" {
            break;
        }
        assert_eq!(p["d"]["content"], format!("m{}", got.len() - 1));
    }
    assert_eq!(
        got,
        [
            (3, "MESSAGE_CREATE".into()),
            (4, "MESSAGE_CREATE".into()),
            (5, "MESSAGE_CREATE".into()),
            (6, "RESUMED".into())
        ]
    );
}

/// Discord answers a client's close frame with one of its own (RFC 6455 §5.5.1), which clients
/// wait for before they stop reading (twilight stops polling on it; without it, twilight connects
/// again at once).
#[tokio::test]
async fn a_client_close_frame_is_echoed() {
    let w = world().await;
    for (code, identified) in [(1000, true), (4000, false)] {
        let mut raw = Raw::hello(w.emulator.gateway_url()).await;
        if identified {
            raw.ready(&w.app.token, INTENTS).await;
        }
        let frame = tokio_tungstenite::tungstenite::protocol::CloseFrame {
            code: tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::from(code),
            reason: "".into(),
        };
        raw.send_raw(tokio_tungstenite::tungstenite::Message::Close(Some(frame))).await;
        assert_eq!(raw.closed().await, Some(code), "the close frame comes back with its code");
    }
}

#[tokio::test]
async fn a_normal_close_ends_the_session_and_unknown_sessions_get_op9() {
    let w = world().await;
    let mut raw = Raw::hello(w.emulator.gateway_url()).await;
    let (session, _) = raw.ready(&w.app.token, INTENTS).await;
    raw.close(1000).await;
    wait_for("session end", 10, || w.emulator.sessions(None).is_empty().then_some(())).await;
    let mut next = Raw::hello(w.emulator.gateway_url()).await;
    next.resume(&w.app.token, &session, 1).await;
    assert_eq!(next.payload().await["d"], false);
    next.resume(&w.app.token, "no-such-session", 0).await;
    assert_eq!(next.payload().await["op"], 9);
}

#[tokio::test]
async fn identifies_over_max_concurrency_in_five_seconds_get_op9_false() {
    let w = slow_heartbeat_world(ApplicationSpec::default()).await;
    let mut first = Raw::hello(w.emulator.gateway_url()).await;
    first.ready(&w.app.token, INTENTS).await;
    let mut second = Raw::hello(w.emulator.gateway_url()).await;
    second.identify(&w.app.token, INTENTS).await;
    assert_eq!(second.payload().await, json!({"op": 9, "s": null, "t": null, "d": false}));
    // The connection stays open; after the window the same connection may identify.
    w.emulator.advance_time(Duration::from_secs(5));
    second.ready(&w.app.token, INTENTS).await;
}

#[tokio::test]
async fn the_session_start_budget_is_counted_and_spending_it_resets_the_token() {
    let w = slow_heartbeat_world(ApplicationSpec { session_start_total: 2, ..Default::default() }).await;
    let http = reqwest::Client::new();
    let budget = |token: String| {
        let http = http.clone();
        let url = format!("{}/gateway/bot", w.emulator.api_url());
        async move {
            let v: serde_json::Value = http
                .get(url)
                .header("Authorization", format!("Bot {token}"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["session_start_limit"].clone()
        }
    };
    let limit = budget(w.app.token.clone()).await;
    assert_eq!(
        (limit["total"].clone(), limit["remaining"].clone(), limit["max_concurrency"].clone()),
        (json!(2), json!(2), json!(1))
    );
    let mut first = Raw::hello(w.emulator.gateway_url()).await;
    first.ready(&w.app.token, INTENTS).await;
    assert_eq!(budget(w.app.token.clone()).await["remaining"], 1);
    w.emulator.advance_time(Duration::from_secs(5));
    let mut second = Raw::hello(w.emulator.gateway_url()).await;
    second.ready(&w.app.token, INTENTS).await;
    w.emulator.advance_time(Duration::from_secs(5));
    let mut third = Raw::hello(w.emulator.gateway_url()).await;
    third.identify(&w.app.token, INTENTS).await;
    assert_eq!(third.closed().await, Some(4004));
    assert_eq!(first.closed().await, Some(4004), "every session of the application ends");
    assert_eq!(second.closed().await, Some(4004));
    let mut old = Raw::hello(w.emulator.gateway_url()).await;
    old.identify(&w.app.token, INTENTS).await;
    assert_eq!(old.closed().await, Some(4004), "the old token is no longer valid");
}

#[tokio::test]
async fn op7_and_op9_on_command() {
    let w = world().await;
    let app = Some(w.app.application_id);
    let mut raw = Raw::hello(w.emulator.gateway_url()).await;
    raw.ready(&w.app.token, INTENTS).await;
    raw.dispatch("GUILD_CREATE").await;
    assert_eq!(w.emulator.reconnect(app), 1);
    assert_eq!(raw.payload().await, json!({"op": 7, "s": null, "t": null, "d": null}));
    assert_eq!(w.emulator.invalidate_sessions(app, true), 1);
    assert_eq!(raw.payload().await["d"], true);
    assert_eq!(w.emulator.sessions(app).len(), 1, "a resumable op 9 keeps the session");
    assert_eq!(w.emulator.invalidate_sessions(app, false), 1);
    assert_eq!(raw.payload().await["d"], false);
    assert!(w.emulator.sessions(app).is_empty(), "op 9 false ends the session");
}

#[tokio::test]
async fn intents_decide_which_message_events_arrive_and_whether_content_is_shown() {
    let w = slow_heartbeat_world(ApplicationSpec::default()).await;
    let no_content = w.another_bot(ApplicationSpec {
        name: "No Content".into(),
        message_content_intent: false,
        ..Default::default()
    });
    let mut full = Raw::hello(w.emulator.gateway_url()).await;
    full.ready(&w.app.token, INTENTS).await;
    let mut blank = Raw::hello(w.emulator.gateway_url()).await;
    w.emulator.advance_time(Duration::from_secs(5));
    blank.ready(&no_content.token, GUILDS | GUILD_MESSAGES).await;
    let mut deaf = Raw::hello(w.emulator.gateway_url()).await;
    w.emulator.advance_time(Duration::from_secs(5));
    deaf.ready(&w.app.token, GUILDS).await;
    w.emulator.user_message(w.alice, w.general, "hello shop").unwrap();
    w.emulator.user_message(w.alice, w.general, &format!("<@{}> hi", no_content.bot_user_id)).unwrap();
    assert_eq!(full.dispatch("MESSAGE_CREATE").await["d"]["content"], "hello shop");
    assert_eq!(blank.dispatch("MESSAGE_CREATE").await["d"]["content"], "", "no MESSAGE_CONTENT intent");
    assert_eq!(
        blank.dispatch("MESSAGE_CREATE").await["d"]["content"],
        format!("<@{}> hi", no_content.bot_user_id),
        "mentions show content"
    );
    // Without GUILD_MESSAGES nothing arrives: the next dispatch it sees is one we trigger later.
    w.emulator.create_channel(w.guild, "later").unwrap();
    assert_eq!(deaf.dispatch("GUILD_CREATE").await["t"], "GUILD_CREATE");
    let p = deaf.payload().await;
    assert_eq!(p["t"], "CHANNEL_CREATE");
}

#[tokio::test]
async fn each_transport_compression_decodes() {
    let w = slow_heartbeat_world(ApplicationSpec::default()).await;
    for compress in ["zlib-stream", "zstd-stream"] {
        let mut raw = Raw::connect(w.emulator.gateway_url(), &format!("v=10&encoding=json&compress={compress}")).await;
        assert_eq!(raw.payload().await["op"], 10);
        w.emulator.advance_time(Duration::from_secs(5));
        let (_, ready) = raw.ready(&w.app.token, INTENTS).await;
        assert_eq!(ready["d"]["v"], 10);
        assert_eq!(raw.dispatch("GUILD_CREATE").await["d"]["id"], w.guild.to_string());
    }
    let mut bad = Raw::connect(w.emulator.gateway_url(), "v=10&encoding=json&compress=gzip").await;
    assert_eq!(bad.closed().await, Some(4000));
}

#[tokio::test]
async fn no_input_from_a_socket_makes_the_server_panic_or_stop() {
    let w = world().await;
    let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let cases: Vec<Message> = vec![
        Message::Text("{".into()),
        Message::Text("null".into()),
        Message::Text(r#"{"op":-1}"#.into()),
        Message::Text(r#"{"op":1e300}"#.into()),
        Message::Text(r#"{"op":2,"d":[]}"#.into()),
        Message::Text(r#"{"op":2,"d":{"token":5,"intents":"x"}}"#.into()),
        Message::Text(r#"{"op":2,"d":{"token":"t","intents":1,"shard":[0]}}"#.into()),
        Message::Text(r#"{"op":6,"d":{"token":"t","session_id":1,"seq":"x"}}"#.into()),
        Message::Text(r#"{"op":8,"d":{"guild_id":null}}"#.into()),
        Message::Text(nested.into()),
        Message::Text("x".repeat(5000).into()),
        Message::Binary(vec![0xff, 0x00, 0x12].into()),
        Message::Binary(vec![0u8; 2 << 20].into()),
    ];
    for case in cases {
        let mut raw = Raw::hello(w.emulator.gateway_url()).await;
        raw.send_raw(case).await;
        let code = raw.closed().await;
        assert!(matches!(code, None | Some(4000..=4014)), "{code:?}");
    }
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for _ in 0..50 {
        let len = rng.random_range(0..300);
        let bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        let mut raw = Raw::hello(w.emulator.gateway_url()).await;
        raw.send_raw(Message::Binary(bytes.into())).await;
        raw.closed().await;
    }
    // Still serving.
    let mut raw = Raw::hello(w.emulator.gateway_url()).await;
    raw.ready(&w.app.token, INTENTS).await;
}

/// `POST /_emulator/gateway/redeliver` simulates a session resumed from an older sequence: the
/// connection sends its last dispatches again, same `s`, same payload, then carries on; it never
/// rewinds past what the replay buffer holds, and a count of 0 is refused.
#[tokio::test]
async fn redeliver_sends_already_dispatched_events_again_with_their_sequence() {
    let w = world().await;
    let mut raw = Raw::hello(w.emulator.gateway_url()).await;
    raw.ready(&w.app.token, INTENTS).await;
    raw.dispatch("GUILD_CREATE").await;
    let message = w.emulator.user_message(w.alice, w.general, "!ping").unwrap();
    let first = raw.dispatch("MESSAGE_CREATE").await;
    assert_eq!(first["d"]["id"], message.to_string());
    let http = reqwest::Client::new();
    let url = format!("{}/_emulator/gateway/redeliver", w.emulator.http_url());
    let body = json!({"application_id": w.app.application_id, "count": 1});
    let res: serde_json::Value = http.post(&url).json(&body).send().await.unwrap().json().await.unwrap();
    assert_eq!(res, json!({"connections": 1}));
    let again = raw.dispatch("MESSAGE_CREATE").await;
    assert_eq!(again, first, "the same event, with the same sequence number");
    // New events follow on from the highest sequence, not from the rewound one.
    w.emulator.user_message(w.alice, w.general, "after").unwrap();
    let next = raw.dispatch("MESSAGE_CREATE").await;
    assert_eq!(
        (next["s"].as_u64(), next["d"]["content"].as_str()),
        (Some(first["s"].as_u64().unwrap() + 1), Some("after"))
    );
    // A count beyond everything sent replays what is kept, from READY on, and nothing is invalidated.
    assert_eq!(w.emulator.redeliver(Some(w.app.application_id), 1_000), 1);
    assert_eq!(raw.dispatch("READY").await["s"], 1);
    assert_eq!(raw.dispatch("MESSAGE_CREATE").await, first);
    let res = http.post(&url).json(&json!({"count": 0})).send().await.unwrap();
    assert_eq!(res.status(), 400);
}
