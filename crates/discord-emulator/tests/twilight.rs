//! Conformance: unmodified twilight-gateway and twilight-http 0.18 (the versions botfleet uses)
//! against the emulator — identify, READY + GUILD_CREATE, messages, slash interactions, rate-limit
//! headers, resume with replay, and fatal close codes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod common;

use std::time::Duration;

use common::{wait_for, World};
use discord_emulator::{ApplicationSpec, EmulatorConfig, RouteLimit, UserAction};
use twilight_gateway::{CloseFrame, ConfigBuilder, Event, EventTypeFlags, Intents, Shard, ShardId, StreamExt};
use twilight_http::Client;
use twilight_model::application::command::CommandType;
use twilight_model::http::interaction::{InteractionResponse, InteractionResponseData, InteractionResponseType};
use twilight_model::id::Id;

const INTENTS: Intents = Intents::GUILDS.union(Intents::GUILD_MESSAGES).union(Intents::MESSAGE_CONTENT);

fn shard(world: &World, token: &str, intents: Intents) -> Shard {
    let config =
        ConfigBuilder::new(token.to_owned(), intents).proxy_url(world.emulator.gateway_url().to_owned()).build();
    Shard::with_config(ShardId::ONE, config)
}

fn http(world: &World) -> Client {
    Client::builder()
        .token(world.app.token.clone())
        .proxy(world.emulator.host(), true)
        .timeout(Duration::from_secs(10))
        .build()
}

/// The next event, failing on errors or after 15 s.
async fn next(shard: &mut Shard) -> Event {
    tokio::time::timeout(Duration::from_secs(15), shard.next_event(EventTypeFlags::all()))
        .await
        .expect("an event within 15 s")
        .expect("the stream goes on")
        .expect("the event deserializes")
}

/// Skips events until one matches.
async fn until<T>(shard: &mut Shard, mut pick: impl FnMut(Event) -> Option<T>) -> T {
    loop {
        if let Some(v) = pick(next(shard).await) {
            return v;
        }
    }
}

async fn ready(world: &World, shard: &mut Shard) {
    let ready = until(shard, |e| match e {
        Event::Ready(r) => Some(r),
        _ => None,
    })
    .await;
    assert_eq!(ready.user.id.get(), world.app.bot_user_id);
    assert_eq!(ready.guilds.len(), 1);
    assert_eq!(ready.application.id.get(), world.app.application_id);
    let guild = until(shard, |e| match e {
        Event::GuildCreate(g) => Some(g),
        _ => None,
    })
    .await;
    match *guild {
        twilight_model::gateway::payload::incoming::GuildCreate::Available(g) => {
            assert_eq!(g.id.get(), world.guild);
            assert_eq!(g.channels.len(), 1);
            assert_eq!(g.members.len(), 2);
            assert_eq!(g.roles.len(), 1);
        }
        other => panic!("guild should be available: {other:?}"),
    }
}

#[tokio::test]
async fn identify_receives_ready_then_a_full_guild_create() {
    let world = World::start().await;
    let mut shard = shard(&world, &world.app.token, INTENTS);
    ready(&world, &mut shard).await;
    assert_eq!(world.emulator.counters().counters.identifies, 1);
}

#[tokio::test]
async fn a_user_message_arrives_and_the_bot_replies_over_rest() {
    let world = World::start().await;
    let mut shard = shard(&world, &world.app.token, INTENTS);
    ready(&world, &mut shard).await;
    world.emulator.user_message(world.alice, world.general, "!ping").unwrap();
    let msg = until(&mut shard, |e| match e {
        Event::MessageCreate(m) => Some(m),
        _ => None,
    })
    .await;
    assert_eq!(msg.content, "!ping");
    assert_eq!(msg.author.id.get(), world.alice);
    assert_eq!(msg.guild_id.map(Id::get), Some(world.guild));

    let client = http(&world);
    let sent = client.create_message(msg.channel_id).content("pong").await.unwrap().model().await.unwrap();
    assert_eq!(sent.content, "pong");
    // The bot sees its own message too, as on Discord.
    let echo = until(&mut shard, |e| match e {
        Event::MessageCreate(m) => Some(m),
        _ => None,
    })
    .await;
    assert_eq!(echo.id, sent.id);
    let stored = world.emulator.messages(world.general).unwrap();
    assert_eq!(stored.iter().map(|m| m.content.as_str()).collect::<Vec<_>>(), ["!ping", "pong"]);
    assert!(stored[1].author_is_bot);

    // Edit and delete through twilight, seen as MESSAGE_UPDATE / MESSAGE_DELETE.
    client.update_message(msg.channel_id, sent.id).content(Some("pong!")).await.unwrap();
    until(&mut shard, |e| matches!(e, Event::MessageUpdate(u) if u.id == sent.id).then_some(())).await;
    client.delete_message(msg.channel_id, sent.id).await.unwrap();
    until(&mut shard, |e| matches!(e, Event::MessageDelete(d) if d.id == sent.id).then_some(())).await;
    let stored = world.emulator.messages(world.general).unwrap();
    assert_eq!((stored[1].content.as_str(), stored[1].edits), ("pong!", 1));
    assert!(stored[1].deleted_at.is_some());
}

#[tokio::test]
async fn a_slash_command_interaction_is_answered_edited_and_followed_up() {
    let world = World::start().await;
    let client = http(&world);
    let app_id = Id::new(world.app.application_id);
    let interactions = client.interaction(app_id);
    let ping = twilight_model::application::command::Command {
        application_id: None,
        contexts: None,
        default_member_permissions: None,
        #[allow(deprecated)]
        dm_permission: None,
        description: "Replies with pong".into(),
        description_localizations: None,
        guild_id: None,
        id: None,
        integration_types: None,
        kind: CommandType::ChatInput,
        name: "ping".into(),
        name_localizations: None,
        nsfw: None,
        options: vec![],
        version: Id::new(1),
    };
    let registered = interactions.set_global_commands(&[ping]).await.unwrap().models().await.unwrap();
    assert_eq!(registered.len(), 1);
    assert!(registered[0].id.is_some());

    let mut shard = shard(&world, &world.app.token, INTENTS);
    ready(&world, &mut shard).await;
    let started = world
        .emulator
        .user_interaction(
            world.app.application_id,
            world.alice,
            world.general,
            UserAction::SlashCommand { name: "ping".into(), options: vec![] },
        )
        .unwrap();
    let interaction = until(&mut shard, |e| match e {
        Event::InteractionCreate(i) => Some(i),
        _ => None,
    })
    .await;
    assert_eq!(interaction.id.get(), started.interaction_id);
    assert_eq!(interaction.token, started.token);
    assert_eq!(interaction.member.as_ref().and_then(|m| m.user.as_ref()).map(|u| u.id.get()), Some(world.alice));

    let response = InteractionResponse {
        kind: InteractionResponseType::ChannelMessageWithSource,
        data: Some(InteractionResponseData { content: Some("pong".into()), ..Default::default() }),
    };
    interactions.create_response(interaction.id, &interaction.token, &response).await.unwrap();
    interactions.update_response(&interaction.token).content(Some("pong (edited)")).await.unwrap();
    let followup = interactions
        .create_followup(&interaction.token)
        .content("and a follow-up")
        .await
        .unwrap()
        .model()
        .await
        .unwrap();
    assert_eq!(followup.content, "and a follow-up");

    let record = world.emulator.interaction(started.interaction_id).unwrap();
    let actions: Vec<&str> = record.responses.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["callback", "edit_original", "followup"]);
    assert_eq!(record.responses[0].callback_type, Some(4));
    let contents: Vec<String> =
        world.emulator.messages(world.general).unwrap().into_iter().map(|m| m.content).collect();
    assert_eq!(contents, ["pong (edited)", "and a follow-up"]);

    // A second acknowledgement is refused with Discord's 40060.
    let again = interactions.create_response(interaction.id, &interaction.token, &response).await.unwrap_err();
    assert!(again.to_string().contains("40060") || format!("{again:?}").contains("40060"), "{again:?}");
}

#[tokio::test]
async fn twilight_reads_bucket_headers_and_never_hits_a_429() {
    let config = EmulatorConfig {
        route_limits: vec![RouteLimit::new("POST", "/channels/{channel_id}/messages", 2, Duration::from_millis(500))],
        ..EmulatorConfig::fast()
    };
    let world = World::with(config, ApplicationSpec::default()).await;
    let client = http(&world);
    for i in 0..5 {
        client.create_message(Id::new(world.general)).content(&format!("message {i}")).await.unwrap();
    }
    let counters = world.emulator.counters().counters;
    assert_eq!(counters.rate_limited, 0, "twilight waited for the bucket to reset instead of hitting 429");
    assert_eq!(world.emulator.messages(world.general).unwrap().len(), 5);
}

#[tokio::test]
async fn a_dropped_connection_resumes_and_every_missed_event_is_replayed_once_in_order() {
    let world = World::start().await;
    let app = world.app.application_id;
    let mut shard = shard(&world, &world.app.token, INTENTS);
    ready(&world, &mut shard).await;
    world.emulator.user_message(world.alice, world.general, "before").unwrap();
    until(&mut shard, |e| matches!(e, Event::MessageCreate(m) if m.content == "before").then_some(())).await;

    // Drop the connection with a resumable code while the client is not reading, then let
    // events happen while it is away.
    world.emulator.close_connections(Some(app), 4000);
    wait_for("the session to be detached", 10, || {
        world.emulator.sessions(Some(app)).iter().all(|s| !s.attached).then_some(())
    })
    .await;
    for i in 0..20 {
        world.emulator.user_message(world.alice, world.general, &format!("missed {i}")).unwrap();
    }
    let mut seen = Vec::new();
    let mut resumed = false;
    while seen.len() < 20 || !resumed {
        match next(&mut shard).await {
            Event::MessageCreate(m) => seen.push(m.content.clone()),
            Event::Resumed => resumed = true,
            Event::Ready(_) => panic!("the client had to identify again instead of resuming"),
            _ => {}
        }
    }
    let expected: Vec<String> = (0..20).map(|i| format!("missed {i}")).collect();
    assert_eq!(seen, expected);
    world.emulator.user_message(world.alice, world.general, "after").unwrap();
    let after = until(&mut shard, |e| match e {
        Event::MessageCreate(m) => Some(m.content.clone()),
        _ => None,
    })
    .await;
    assert_eq!(after, "after", "nothing was delivered twice");
    let c = world.emulator.counters().counters;
    assert_eq!((c.identifies, c.resumes, c.replayed), (1, 1, 20));
}

#[tokio::test]
async fn op7_reconnect_resumes_and_op9_false_makes_twilight_identify_again() {
    let world = World::start().await;
    let app = world.app.application_id;
    let mut shard = shard(&world, &world.app.token, INTENTS);
    ready(&world, &mut shard).await;
    assert_eq!(world.emulator.reconnect(Some(app)), 1);
    until(&mut shard, |e| matches!(e, Event::Resumed).then_some(())).await;
    assert_eq!(world.emulator.counters().counters.resumes, 1);

    // op 9 d:false: twilight must start a new session (its own identify queue spaces it 5 s).
    let before = world.emulator.sessions(Some(app))[0].session_id.clone();
    wait_for("op 9 to be delivered", 10, || (world.emulator.invalidate_sessions(Some(app), false) == 1).then_some(()))
        .await;
    until(&mut shard, |e| matches!(e, Event::Ready(_)).then_some(())).await;
    let sessions = world.emulator.sessions(Some(app));
    assert_eq!(sessions.len(), 1);
    assert_ne!(sessions[0].session_id, before);
    assert_eq!(world.emulator.counters().counters.identifies, 2);
}

async fn fatal_close(world: &World, token: &str, intents: Intents, code: u16) {
    let mut shard = shard(world, token, intents);
    let frame: Option<CloseFrame<'static>> = loop {
        match tokio::time::timeout(Duration::from_secs(15), shard.next_event(EventTypeFlags::all())).await.unwrap() {
            Some(Ok(Event::GatewayClose(frame))) => break frame,
            Some(_) => continue,
            None => panic!("stream ended before the close event"),
        }
    };
    assert_eq!(frame.map(|f| f.code), Some(code));
    // Fatal: the shard ends instead of reconnecting.
    let rest = tokio::time::timeout(Duration::from_secs(15), shard.next_event(EventTypeFlags::all())).await.unwrap();
    assert!(rest.is_none(), "twilight should stop after {code}, got {rest:?}");
    assert_eq!(world.emulator.counters().counters.connections, 1);
}

#[tokio::test]
async fn a_bad_token_gets_4004_and_twilight_does_not_reconnect() {
    let world = World::start().await;
    fatal_close(&world, "not-a-real-token", INTENTS, 4004).await;
}

#[tokio::test]
async fn a_privileged_intent_the_application_lacks_gets_4014() {
    let spec = ApplicationSpec { message_content_intent: false, ..ApplicationSpec::default() };
    let world = World::with(EmulatorConfig::fast(), spec).await;
    fatal_close(&world, &world.app.token, INTENTS, 4014).await;
}

/// The servers a bot is in and their channels, as twilight-http reads them: `GET
/// /users/@me/guilds` (paged with `after` and `limit`, counts with `with_counts`), `GET
/// /guilds/{id}/channels` (only the channels the bot can see), `GET /guilds/{id}/roles` and `GET
/// /guilds/{id}/members/{user}` (10007 for someone not in it).
#[tokio::test]
async fn the_bots_servers_and_their_channels_are_listed() {
    let world = World::start().await;
    let e = &world.emulator;
    let second = e.create_guild("Wholesale", world.alice).unwrap();
    let orders = e.create_channel(second, "orders").unwrap();
    e.add_member(second, world.app.bot_user_id, vec![]).unwrap();
    // A server the bot is not in is not listed.
    e.create_guild("Someone else's", world.alice).unwrap();
    let http = http(&world);
    let guilds = http.current_user_guilds().await.unwrap().models().await.unwrap();
    let ids: Vec<u64> = guilds.iter().map(|g| g.id.get()).collect();
    assert_eq!(ids, [world.guild, second], "ascending by id");
    assert_eq!(guilds[1].name, "Wholesale");
    assert!(!guilds[1].owner);
    // The counts, when asked for (twilight-http 0.18 does not ask).
    let raw = |query: &str| {
        let url = format!("{}/users/@me/guilds{query}", e.api_url());
        let token = world.app.token.clone();
        async move {
            let res =
                reqwest::Client::new().get(url).header("Authorization", format!("Bot {token}")).send().await.unwrap();
            (res.status(), res.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (_, counted) = raw("?with_counts=true").await;
    assert!(counted[1]["approximate_member_count"].as_u64().is_some_and(|n| n >= 2), "{counted}");
    let page = http.current_user_guilds().after(Id::new(world.guild)).limit(1).await.unwrap().models().await.unwrap();
    assert_eq!(page.iter().map(|g| g.id.get()).collect::<Vec<_>>(), [second]);
    let (_, plain) = raw("").await;
    assert!(plain[0].get("approximate_member_count").is_none(), "no counts unless asked: {plain}");
    let channels = http.guild_channels(Id::new(second)).await.unwrap().models().await.unwrap();
    assert_eq!(
        channels.iter().map(|c| (c.id.get(), c.name.clone().unwrap())).collect::<Vec<_>>(),
        [(orders, "orders".to_owned())]
    );
    // What a permission calculation needs: the server's roles and the bot's membership.
    let roles = http.roles(Id::new(second)).await.unwrap().models().await.unwrap();
    assert!(roles.iter().any(|r| r.id.get() == second), "@everyone has the server's id");
    let me = http.guild_member(Id::new(second), Id::new(world.app.bot_user_id)).await.unwrap().model().await.unwrap();
    assert_eq!(me.user.id.get(), world.app.bot_user_id);
    let stranger = http.guild_member(Id::new(second), Id::new(1)).await.unwrap_err();
    assert!(stranger.to_string().contains("10007") || format!("{stranger:?}").contains("10007"), "{stranger:?}");
    // A limit outside 1–200 is Discord's 50035.
    let (status, body) = raw("?limit=201").await;
    assert_eq!(status, reqwest::StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], 50035, "{body}");
}
