//! twilight-gateway 0.18 built with one transport compression (`--features zlib` or `zstd`)
//! identifies, receives dispatches and resumes through the emulator's compressed stream.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use discord_emulator::{ApplicationSpec, Emulator, EmulatorConfig};
use twilight_gateway::{ConfigBuilder, Event, EventTypeFlags, Intents, Shard, ShardId, StreamExt};

async fn next(shard: &mut Shard) -> Event {
    tokio::time::timeout(Duration::from_secs(15), shard.next_event(EventTypeFlags::all()))
        .await
        .expect("an event within 15 s")
        .expect("the stream goes on")
        .expect("the event deserializes")
}

#[tokio::test]
async fn compressed_gateway_identifies_receives_and_resumes() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    assert!(cfg!(feature = "zlib") != cfg!(feature = "zstd"), "build with exactly one of --features zlib / zstd");
    let emulator = Emulator::start(EmulatorConfig::fast()).await.unwrap();
    let app = emulator.create_application(ApplicationSpec::default()).unwrap();
    let alice = emulator.create_user("alice").unwrap();
    let guild = emulator.create_guild("Shop", alice).unwrap();
    let general = emulator.create_channel(guild, "general").unwrap();
    emulator.add_member(guild, app.bot_user_id, vec![]).unwrap();

    let intents = Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::MESSAGE_CONTENT;
    let config = ConfigBuilder::new(app.token.clone(), intents).proxy_url(emulator.gateway_url().to_owned()).build();
    let mut shard = Shard::with_config(ShardId::ONE, config);
    while !matches!(next(&mut shard).await, Event::GuildCreate(_)) {}
    emulator.user_message(alice, general, "compressed hello").unwrap();
    loop {
        if let Event::MessageCreate(m) = next(&mut shard).await {
            assert_eq!(m.content, "compressed hello");
            break;
        }
    }
    // A new connection starts a new compression stream; the resume must decode too.
    emulator.reconnect(Some(app.application_id));
    while !matches!(next(&mut shard).await, Event::Resumed) {}
    let counters = emulator.counters().counters;
    let compressed = if cfg!(feature = "zlib") { counters.zlib_connections } else { counters.zstd_connections };
    assert_eq!((counters.connections, compressed, counters.resumes), (2, 2, 1));
}
