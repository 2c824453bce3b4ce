//! One audit row before it is stored: who, what, to which target, what changed, from where.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Which of the two kinds of row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// A mutating request that changed something.
    Action,
    /// A security event (login, lockout, key, anti-spam cooldown, refusal burst).
    Security,
}

impl Kind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Action => "action",
            Self::Security => "security",
        }
    }
}

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    /// A signed-in user.
    User { id: i64, name: String },
    /// An API key (its id and name, never the key).
    ApiKey { id: i64, name: String },
    /// A Discord user talking to a bot.
    DiscordUser { id: u64, name: String },
    /// Someone without a valid credential (named when they gave a user name).
    Anonymous { name: Option<String> },
    /// botfleet itself.
    System,
}

impl Actor {
    /// (`actor_type`, `actor_id`, `actor_name`) as stored.
    pub fn columns(&self) -> (&'static str, Option<String>, Option<String>) {
        match self {
            Self::User { id, name } => ("user", Some(id.to_string()), Some(name.clone())),
            Self::ApiKey { id, name } => ("api_key", Some(id.to_string()), Some(name.clone())),
            Self::DiscordUser { id, name } => ("discord_user", Some(id.to_string()), Some(name.clone())),
            Self::Anonymous { name } => ("anonymous", None, name.clone()),
            Self::System => ("system", None, None),
        }
    }
}

/// An audit row to insert. Built with [`Entry::action`] or [`Entry::security`] and the setters
/// (JSON in the tracking spool).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub kind: Kind,
    /// `bots.update`, `login.failed`, `antispam.cooldown`, …
    pub action: String,
    pub actor: Actor,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// What changed, `{field: {old, new}}`; secrets appear only as `"(changed)"`.
    pub changes: Option<Value>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// Free-form context (JSON), never a secret.
    pub detail: Option<Value>,
    /// When, in UTC ms.
    pub at: i64,
}

impl Entry {
    fn new(kind: Kind, action: &str, actor: Actor, at: i64) -> Self {
        Self {
            kind,
            action: action.to_owned(),
            actor,
            target_type: None,
            target_id: None,
            changes: None,
            ip: None,
            user_agent: None,
            detail: None,
            at,
        }
    }

    /// An action row.
    pub fn action(action: &str, actor: Actor, at: i64) -> Self {
        Self::new(Kind::Action, action, actor, at)
    }

    /// A security-event row.
    pub fn security(event: &str, actor: Actor, at: i64) -> Self {
        Self::new(Kind::Security, event, actor, at)
    }

    /// The thing acted on.
    #[must_use]
    pub fn target(mut self, kind: &str, id: impl ToString) -> Self {
        self.target_type = Some(kind.to_owned());
        self.target_id = Some(id.to_string());
        self
    }

    /// What changed.
    #[must_use]
    pub fn changes(mut self, changes: Value) -> Self {
        self.changes = Some(changes);
        self
    }

    /// Where the request came from.
    #[must_use]
    pub fn from_client(mut self, ip: Option<String>, user_agent: Option<String>) -> Self {
        self.ip = ip;
        self.user_agent = user_agent;
        self
    }

    /// Extra context.
    #[must_use]
    pub fn detail(mut self, detail: Value) -> Self {
        self.detail = Some(detail);
        self
    }
}
