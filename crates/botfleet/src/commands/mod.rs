//! Discord callbacks: the commands bots answer. A command is one file implementing `Command`;
//! the registry lists them, registers them as slash commands, and finds them by name for both
//! `/name` and `<prefix>name`.

mod help;
mod ping;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use twilight_model::application::command::{Command as SlashCommand, CommandType};
use twilight_model::id::Id;

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
}

/// What a command answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub content: String,
}

/// Why a command could not answer as asked; each has a friendly Discord reply.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CommandError {
    #[error("unknown command {0}")]
    Unknown(String),
    #[error("{0}")]
    Failed(String),
}

impl CommandError {
    /// The message a Discord user sees.
    pub fn friendly(&self, prefix: &str) -> String {
        match self {
            Self::Unknown(name) => {
                format!("I don't know `{prefix}{name}`. Try `{prefix}help` or `/help` to see what I can do.")
            }
            Self::Failed(why) => format!("Sorry, that didn't work: {why}. Please try again in a moment."),
        }
    }
}

/// A boxed future, so commands stay object-safe.
pub type Answer<'a> = Pin<Box<dyn Future<Output = Result<Reply, CommandError>> + Send + 'a>>;

/// One command.
pub trait Command: Send + Sync {
    /// Its name (`ping`): `/ping` and `<prefix>ping`.
    fn name(&self) -> &'static str;
    /// One line for `/help` and the slash command list.
    fn description(&self) -> &'static str;
    /// Answers an invocation.
    fn run<'a>(&'a self, ctx: &'a Context) -> Answer<'a>;
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
        let commands: Vec<Box<dyn Command>> = vec![Box::new(ping::Ping), Box::new(help::Help)];
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
                options: vec![],
                version: Id::new(1),
            })
            .collect()
    }

    /// Runs a command by name; unknown names are an error with a friendly reply.
    pub async fn run(&self, name: &str, ctx: &Context) -> Result<Reply, CommandError> {
        match self.find(name) {
            Some(command) => command.run(ctx).await,
            None => Err(CommandError::Unknown(name.to_owned())),
        }
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
        assert_eq!(registry.slash_definitions().len(), 2);
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
