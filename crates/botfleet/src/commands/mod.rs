//! Discord callbacks: the commands bots answer. A command is one file implementing `Command`;
//! the registry lists them, registers them as slash commands, and finds them by name for both
//! `/name` and `<prefix>name` — and for presses on the buttons of its replies (`custom_id`
//! `<name>:…`) and autocomplete of its options.

mod help;
#[cfg(feature = "test-commands")]
pub mod panic;
mod ping;
mod stock;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use twilight_model::application::command::{Command as SlashCommand, CommandOption, CommandType};
use twilight_model::channel::message::{Component, Embed};
use twilight_model::id::Id;

use crate::stock::StockCache;

/// What a command knows about its invocation.
#[derive(Debug, Clone)]
pub struct Context {
    /// The bot's prefix for text commands.
    pub prefix: String,
    /// Everything after the command name.
    pub args: String,
    /// The shard's average heartbeat round trip, if measured yet.
    pub gateway_latency: Option<Duration>,
    /// `(name, description)` of every command, for `/help` (shared, built once).
    pub catalogue: Arc<[(&'static str, &'static str)]>,
    /// The shop's visible products, for `/stock` (absent without a database).
    pub stock: Option<StockCache>,
}

/// What a command answers: text, and optionally embeds and components (buttons).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    pub content: String,
    pub embeds: Vec<Embed>,
    pub components: Vec<Component>,
}

impl Reply {
    /// A text reply.
    pub fn text(content: impl Into<String>) -> Self {
        Self { content: content.into(), ..Self::default() }
    }

    /// What the reply shows in words, for the command log: its text, else its embeds' titles and
    /// descriptions.
    pub fn summary(&self) -> String {
        if !self.content.is_empty() {
            return self.content.clone();
        }
        let parts = self.embeds.iter().flat_map(|e| [e.title.as_deref(), e.description.as_deref()]);
        parts.flatten().collect::<Vec<_>>().join("\n")
    }
}

/// One autocomplete suggestion: what the user sees, and the value the option gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub name: String,
    pub value: String,
}

/// Discord shows at most this many autocomplete choices.
pub const MAX_CHOICES: usize = 25;

/// Why a command could not answer as asked; each has a friendly Discord reply.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CommandError {
    #[error("unknown command {0}")]
    Unknown(String),
    #[error("{0}")]
    Failed(String),
    /// The command panicked (a bug): caught, so the user still gets an answer; the message is
    /// the panic's, for the record (never shown to the user).
    #[error("the command panicked: {0}")]
    Panicked(String),
}

impl CommandError {
    /// The message a Discord user sees.
    pub fn friendly(&self, prefix: &str) -> String {
        match self {
            Self::Unknown(name) => {
                format!("I don't know `{prefix}{name}`. Try `{prefix}help` or `/help` to see what I can do.")
            }
            Self::Failed(why) => format!("Sorry, that didn't work: {why}. Please try again in a moment."),
            Self::Panicked(_) => {
                "Sorry, that didn't work: something went wrong on our side. Please try again in a moment.".to_owned()
            }
        }
    }
}

/// Runs a command's future, turning a panic in it into `CommandError::Panicked` with the panic's
/// message. Commands share nothing mutable with the caller (the context is read-only), so nothing
/// is left half-changed by an unwind.
async fn caught<T>(answer: impl Future<Output = Result<T, CommandError>>) -> Result<T, CommandError> {
    match AssertUnwindSafe(answer).catch_unwind().await {
        Ok(result) => result,
        Err(payload) => Err(CommandError::Panicked(panic_message(payload.as_ref()))),
    }
}

/// The text of a panic's payload (`panic!` gives a `&str` or a `String`).
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "(a panic without a message)".to_owned()
    }
}

/// A boxed future, so commands stay object-safe.
pub type Answer<'a> = Pin<Box<dyn Future<Output = Result<Reply, CommandError>> + Send + 'a>>;

/// Autocomplete suggestions, boxed like `Answer`.
pub type Choices<'a> = Pin<Box<dyn Future<Output = Vec<Choice>> + Send + 'a>>;

/// One command.
pub trait Command: Send + Sync {
    /// Its name (`ping`): `/ping` and `<prefix>ping`.
    fn name(&self) -> &'static str;
    /// One line for `/help` and the slash command list.
    fn description(&self) -> &'static str;
    /// Answers an invocation.
    fn run<'a>(&'a self, ctx: &'a Context) -> Answer<'a>;
    /// The slash command's options (none unless a command has some). For `/name option:value`,
    /// `Context::args` holds the options' values, as `<prefix>name value` would.
    fn options(&self) -> Vec<CommandOption> {
        vec![]
    }
    /// Answers a press on a button of one of its replies (`custom_id` `<name>:…`); the answer
    /// replaces that message.
    fn component<'a>(&'a self, _ctx: &'a Context, custom_id: &'a str) -> Answer<'a> {
        Box::pin(async move { Err(CommandError::Failed(format!("the button {custom_id:?} does nothing"))) })
    }
    /// Suggestions for what the user is typing into `option` (at most `MAX_CHOICES` are sent).
    fn autocomplete<'a>(&'a self, _ctx: &'a Context, _option: &'a str, _typed: &'a str) -> Choices<'a> {
        Box::pin(async { vec![] })
    }
}

/// Every command a bot answers.
#[derive(Clone)]
pub struct Registry {
    commands: Arc<Vec<Box<dyn Command>>>,
    catalogue: Arc<[(&'static str, &'static str)]>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.commands.iter().map(|c| c.name())).finish()
    }
}

impl Default for Registry {
    fn default() -> Self {
        #[allow(unused_mut)] // test builds add one
        let mut commands: Vec<Box<dyn Command>> =
            vec![Box::new(ping::Ping), Box::new(help::Help), Box::new(stock::Stock)];
        #[cfg(feature = "test-commands")]
        commands.push(Box::new(panic::Panic));
        let catalogue = commands.iter().map(|c| (c.name(), c.description())).collect();
        Self { commands: Arc::new(commands), catalogue }
    }
}

impl Registry {
    /// A command by name (case-insensitive).
    pub fn find(&self, name: &str) -> Option<&dyn Command> {
        self.commands.iter().find(|c| c.name().eq_ignore_ascii_case(name)).map(AsRef::as_ref)
    }

    /// `(name, description)` of each command.
    pub fn catalogue(&self) -> Arc<[(&'static str, &'static str)]> {
        self.catalogue.clone()
    }

    /// The slash command definitions to register with Discord.
    pub fn slash_definitions(&self) -> Vec<SlashCommand> {
        self.commands
            .iter()
            .map(|c| SlashCommand {
                application_id: None,
                contexts: None,
                default_member_permissions: None,
                #[allow(deprecated)]
                dm_permission: None,
                description: c.description().to_owned(),
                description_localizations: None,
                guild_id: None,
                id: None,
                integration_types: None,
                kind: CommandType::ChatInput,
                name: c.name().to_owned(),
                name_localizations: None,
                nsfw: None,
                options: c.options(),
                version: Id::new(1),
            })
            .collect()
    }

    /// Runs a command by name; unknown names are an error with a friendly reply, and so is a
    /// command that panics (`CommandError::Panicked`).
    pub async fn run(&self, name: &str, ctx: &Context) -> Result<Reply, CommandError> {
        match self.find(name) {
            Some(command) => caught(command.run(ctx)).await,
            None => Err(CommandError::Unknown(name.to_owned())),
        }
    }

    /// Answers a button press by the command its `custom_id` names (`<name>:…`); a panic is
    /// caught as in `run`.
    pub async fn component(&self, ctx: &Context, custom_id: &str) -> Result<Reply, CommandError> {
        let name = custom_id.split(':').next().unwrap_or_default();
        match self.find(name) {
            Some(command) => caught(command.component(ctx, custom_id)).await,
            None => Err(CommandError::Unknown(name.to_owned())),
        }
    }

    /// Autocomplete suggestions of a command's option (none for an unknown command, or when the
    /// command panics).
    pub async fn autocomplete(&self, name: &str, ctx: &Context, option: &str, typed: &str) -> Vec<Choice> {
        let Some(command) = self.find(name) else { return vec![] };
        let suggest = command.autocomplete(ctx, option, typed).map(Ok);
        let Ok(mut choices) = caught(suggest).await else {
            tracing::error!(command = name, "autocomplete panicked; no suggestions sent");
            return vec![];
        };
        choices.truncate(MAX_CHOICES);
        choices
    }
}

/// Splits `!ping some args` into `("ping", "some args")` when it starts with the prefix.
pub fn parse_prefixed<'a>(content: &'a str, prefix: &str) -> Option<(&'a str, &'a str)> {
    let rest = content.strip_prefix(prefix)?;
    let rest = rest.trim_start();
    if rest.is_empty() {
        return None;
    }
    Some(match rest.split_once(char::is_whitespace) {
        Some((name, args)) => (name, args.trim()),
        None => (rest, ""),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            prefix: "!".into(),
            args: String::new(),
            gateway_latency: Some(Duration::from_millis(42)),
            catalogue: Registry::default().catalogue(),
            stock: None,
        }
    }

    #[tokio::test]
    async fn ping_and_help_answer_and_unknown_is_friendly() {
        let registry = Registry::default();
        assert!(registry.run("ping", &ctx()).await.unwrap().content.contains("42 ms"));
        let help = registry.run("HELP", &ctx()).await.unwrap().content;
        assert!(help.contains("`!ping`") && help.contains("`/help`"));
        let err = registry.run("teleport", &ctx()).await.unwrap_err();
        assert!(err.friendly("!").contains("`!teleport`"));
        let definitions = registry.slash_definitions();
        assert_eq!(definitions.len(), if cfg!(feature = "test-commands") { 4 } else { 3 });
        let stock = definitions.iter().find(|d| d.name == "stock").unwrap();
        assert_eq!(stock.options[0].autocomplete, Some(true));
        let err = registry.run("stock", &ctx()).await.unwrap_err();
        assert!(err.friendly("!").contains("catalogue"), "no database, a friendly error");
        assert!(registry.component(&ctx(), "teleport:1").await.is_err());
    }

    #[test]
    fn prefixed_commands_parse() {
        assert_eq!(parse_prefixed("!ping", "!"), Some(("ping", "")));
        assert_eq!(parse_prefixed("!stock  green tea ", "!"), Some(("stock", "green tea")));
        assert_eq!(parse_prefixed("hello", "!"), None);
        assert_eq!(parse_prefixed("!", "!"), None);
        assert_eq!(parse_prefixed("?? help", "??"), Some(("help", "")));
    }
}
