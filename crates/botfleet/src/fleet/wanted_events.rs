//! The next event a shard's runner handles: twilight-gateway's `next_event`, less the messages
//! bots write. A bot sees its own replies as `MESSAGE_CREATE` (every prefix answer and every
//! slash answer), two of every three messages under load, and ignores them, as it ignores every
//! bot's message; twilight would build the whole `Message` of each first. Here a message event is
//! scanned for `d.author.bot` without building anything, and only the others are parsed by
//! twilight (`twilight_gateway::parse`), with the same wanted types and the same errors.

use futures_util::StreamExt;
use serde::Deserialize;
use twilight_gateway::error::ReceiveMessageError;
use twilight_gateway::queue::Queue;
use twilight_gateway::{Event, EventTypeFlags, Message, Shard};
use twilight_model::gateway::event::GatewayEventDeserializer;

/// The next wanted event (`None`: the shard's stream ended), as `Shard::next_event` would give,
/// except for messages written by bots: `skipped` is called for each of those (still events the
/// bot received, for its figures).
pub async fn next<Q>(
    shard: &mut Shard<Q>,
    wanted: EventTypeFlags,
    mut skipped: impl FnMut(),
) -> Option<Result<Event, ReceiveMessageError>>
where
    Q: Queue + Unpin,
{
    loop {
        match shard.next().await? {
            Err(e) => return Some(Err(e)),
            Ok(Message::Close(frame)) => return Some(Ok(Event::GatewayClose(frame))),
            Ok(Message::Text(json)) => {
                if is_bot_message(&json) {
                    skipped();
                    continue;
                }
                match twilight_gateway::parse(json, wanted) {
                    Ok(Some(event)) => return Some(Ok(event.into())),
                    Ok(None) => {}
                    Err(e) => return Some(Err(e)),
                }
            }
        }
    }
}

/// Whether this gateway payload is a `MESSAGE_CREATE` whose author is a bot. Anything it cannot
/// tell (not that event, not JSON of that shape) is `false`: twilight then parses it as before.
fn is_bot_message(json: &str) -> bool {
    #[derive(Deserialize)]
    struct Payload {
        d: Data,
    }
    #[derive(Deserialize)]
    struct Data {
        author: Author,
    }
    #[derive(Deserialize)]
    struct Author {
        #[serde(default)]
        bot: bool,
    }
    let is_message = GatewayEventDeserializer::from_json(json)
        .is_some_and(|peek| peek.op() == 0 && peek.event_type() == Some("MESSAGE_CREATE"));
    is_message && serde_json::from_str::<Payload>(json).is_ok_and(|p| p.d.author.bot)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_messages_written_by_bots_are_skipped() {
        let message = |author: &str| {
            format!(
                r#"{{"op":0,"s":7,"t":"MESSAGE_CREATE","d":{{"id":"1","content":"!ping","author":{author},"channel_id":"2"}}}}"#
            )
        };
        assert!(is_bot_message(&message(r#"{"id":"3","username":"shop","bot":true}"#)));
        assert!(!is_bot_message(&message(r#"{"id":"3","username":"ann","bot":false}"#)));
        assert!(!is_bot_message(&message(r#"{"id":"3","username":"ann"}"#)));
        // Another event with the same shape, and what is not JSON, go to twilight.
        assert!(!is_bot_message(
            r#"{"op":0,"s":8,"t":"MESSAGE_UPDATE","d":{"id":"1","author":{"id":"3","bot":true}}}"#
        ));
        assert!(!is_bot_message(r#"{"op":0,"s":9,"t":"MESSAGE_CREATE","d":"#));
        assert!(!is_bot_message(r#"{"op":11,"d":null}"#));
    }
}
