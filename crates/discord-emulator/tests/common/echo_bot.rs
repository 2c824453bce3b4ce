//! A bare twilight echo bot: the baseline botfleet is compared with. It registers `/ping`,
//! answers `!ping` with a reply message and `/ping` with an interaction response, nothing else.

use std::sync::Arc;
use std::time::Duration;

use twilight_gateway::{ConfigBuilder, Event, EventTypeFlags, Intents, Shard, ShardId, StreamExt};
use twilight_http::Client;
use twilight_model::http::interaction::{InteractionResponse, InteractionResponseData, InteractionResponseType};
use twilight_model::id::Id;

/// Connects one echo bot and answers until the task is dropped.
pub async fn run(host: String, gateway: String, token: String, application_id: u64) {
    let http =
        Arc::new(Client::builder().token(token.clone()).proxy(host, true).timeout(Duration::from_secs(10)).build());
    let app = Id::new(application_id);
    let registered = http.interaction(app).create_global_command().chat_input("ping", "Replies with pong").await;
    if let Err(e) = registered {
        eprintln!("echo bot {application_id}: registering /ping failed: {e}");
        return;
    }
    let intents = Intents::GUILDS | Intents::GUILD_MESSAGES | Intents::MESSAGE_CONTENT;
    let config = ConfigBuilder::new(token, intents).proxy_url(gateway).build();
    let mut shard = Shard::with_config(ShardId::ONE, config);
    while let Some(event) = shard.next_event(EventTypeFlags::MESSAGE_CREATE | EventTypeFlags::INTERACTION_CREATE).await
    {
        let Ok(event) = event else { continue };
        let http = http.clone();
        match event {
            Event::MessageCreate(m) if !m.author.bot && m.content == "!ping" => {
                tokio::spawn(async move {
                    let _ = http.create_message(m.channel_id).content("pong").reply(m.id).await;
                });
            }
            Event::InteractionCreate(i) => {
                tokio::spawn(async move {
                    let response = InteractionResponse {
                        kind: InteractionResponseType::ChannelMessageWithSource,
                        data: Some(InteractionResponseData { content: Some("pong".into()), ..Default::default() }),
                    };
                    let _ = http.interaction(app).create_response(i.id, &i.token, &response).await;
                });
            }
            _ => {}
        }
    }
}
