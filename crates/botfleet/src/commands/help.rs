//! `/help` and `!help`: what the bot can do, in both forms.

use std::fmt::Write;

use super::{Answer, Command, Context, Reply};

/// Lists every command.
pub struct Help;

impl Command for Help {
    fn name(&self) -> &'static str {
        "help"
    }

    fn description(&self) -> &'static str {
        "List what this bot can do"
    }

    fn run<'a>(&'a self, ctx: &'a Context) -> Answer<'a> {
        Box::pin(async move {
            let mut content = String::from("Here is what I can do:\n");
            for (name, description) in ctx.catalogue.iter() {
                let _ = writeln!(content, "• `/{name}` or `{}{name}` — {description}", ctx.prefix);
            }
            Ok(Reply::text(content))
        })
    }
}
