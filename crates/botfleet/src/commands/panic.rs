//! Test builds only (feature `test-commands`): `/panic` panics on purpose, and a message reading
//! `RUNNER_TRIGGER` makes the bot's runner panic, so tests prove both are caught. Release builds
//! have neither.

use super::{Answer, Command, Context};

/// The panic message of `/panic` (the test looks for it in the command record).
pub const MESSAGE: &str = "the panic command panicked on purpose";

/// A message with exactly this content makes the runner that receives it panic.
pub const RUNNER_TRIGGER: &str = "botfleet test: panic the runner";

/// The runner's panic message.
pub const RUNNER_MESSAGE: &str = "the runner panicked on purpose";

/// Panics when run.
pub struct Panic;

impl Command for Panic {
    fn name(&self) -> &'static str {
        "panic"
    }

    fn description(&self) -> &'static str {
        "Test builds only: panics on purpose"
    }

    #[allow(clippy::panic)] // the point of the command
    fn run<'a>(&'a self, _ctx: &'a Context) -> Answer<'a> {
        Box::pin(async move { panic!("{MESSAGE}") })
    }
}

/// Panics when a gateway message reads `RUNNER_TRIGGER` (called by the runner on every message).
#[allow(clippy::panic)]
pub fn runner_hook(content: &str) {
    if content == RUNNER_TRIGGER {
        panic!("{RUNNER_MESSAGE}");
    }
}
