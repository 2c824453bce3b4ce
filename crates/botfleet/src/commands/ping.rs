//! `/ping` and `!ping`: is the bot alive, and how fast is its gateway connection?

use super::{Answer, Command, Context, Reply};

/// Answers with the gateway heartbeat latency.
pub struct Ping;

impl Command for Ping {
    fn name(&self) -> &'static str {
        "ping"
    }

    fn description(&self) -> &'static str {
        "Check the bot is alive and see its gateway latency"
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> Answer<'a> {
        Box::pin(async move {
            let content = match ctx.gateway_latency {
                Some(l) => format!("Pong! Gateway latency: {} ms", l.as_millis()),
                None => "Pong! (gateway latency not measured yet)".to_owned(),
            };
            Ok(Reply::text(content))
        })
    }
}
