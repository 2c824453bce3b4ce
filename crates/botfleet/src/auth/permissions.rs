//! The permission table: every action a route can require, and which roles may do it. This file is
//! the one place to read (or change) who may do what; routes name their action where they are
//! declared (`api/mod.rs`), and a route without one is refused before its handler runs.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A role a user or an API key holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Read only, no secrets.
    Viewer,
    /// Runs the bots: start/stop/restart, send messages, non-secret settings, stock, read logs.
    Operator,
    /// Everything: users, API keys, bot tokens, deleting.
    Admin,
}

impl Role {
    /// Every role, least powerful first.
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Operator, Role::Admin];

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Operator => "operator",
            Self::Admin => "admin",
        }
    }

    /// Parses a stored or requested name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Every permission the role holds that a credential can hold (the scopable actions; `account`
    /// is a person's, `public` needs none), in table order.
    pub fn permissions(self) -> BTreeSet<Action> {
        Action::all().filter(|a| a.scopable() && a.allows(self)).collect()
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a route does, in the terms of the permission table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Answers anyone: liveness, sign-in, the sign-in page.
    Public,
    /// Any valid credential: who am I.
    Me,
    /// A signed-in user's own account: sign out, change password, two-factor. Not API keys.
    Account,
    ApiDocs,
    HealthRead,
    BotsRead,
    BotsConfigure,
    BotsOperate,
    BotsTest,
    BotsMessage,
    BotsMention,
    BotsCreate,
    BotsToken,
    BotsDelete,
    LogsRead,
    LogsDelete,
    UsersManage,
    KeysManage,
    AuditRead,
    SettingsManage,
    StockRead,
    StockChange,
    ProductsManage,
    MetricsRead,
    AlertsRead,
    AlertsAcknowledge,
    AlertsManage,
    JobsRead,
    SchedulesRead,
    SchedulesManage,
    NodesManage,
    WebhooksRead,
    WebhooksManage,
    StatusPageManage,
    ConfigExport,
    ConfigImport,
}

use Role::{Admin, Operator, Viewer};

/// The table: each action, its name (as API-key scopes spell it), and the roles allowed.
const TABLE: &[(Action, &str, &[Role])] = &[
    (Action::Public, "public", &[]),
    (Action::Me, "me", &[Viewer, Operator, Admin]),
    (Action::Account, "account", &[Viewer, Operator, Admin]),
    (Action::ApiDocs, "api.docs", &[Viewer, Operator, Admin]),
    (Action::HealthRead, "health.read", &[Viewer, Operator, Admin]),
    (Action::BotsRead, "bots.read", &[Viewer, Operator, Admin]),
    (Action::BotsConfigure, "bots.configure", &[Operator, Admin]),
    (Action::BotsOperate, "bots.operate", &[Operator, Admin]),
    (Action::BotsTest, "bots.test", &[Operator, Admin]),
    (Action::BotsMessage, "bots.message", &[Operator, Admin]),
    // Checked inside send-message (and later batches and schedules) when a message asks to ping.
    (Action::BotsMention, "bots.mention", &[Operator, Admin]),
    (Action::BotsCreate, "bots.create", &[Admin]),
    (Action::BotsToken, "bots.token", &[Admin]),
    (Action::BotsDelete, "bots.delete", &[Admin]),
    (Action::LogsRead, "logs.read", &[Viewer, Operator, Admin]),
    (Action::LogsDelete, "logs.delete", &[Admin]),
    (Action::UsersManage, "users.manage", &[Admin]),
    (Action::KeysManage, "keys.manage", &[Admin]),
    (Action::AuditRead, "audit.read", &[Admin]),
    (Action::SettingsManage, "settings.manage", &[Admin]),
    (Action::StockRead, "stock.read", &[Viewer, Operator, Admin]),
    (Action::StockChange, "stock.change", &[Operator, Admin]),
    (Action::ProductsManage, "products.manage", &[Admin]),
    (Action::MetricsRead, "metrics.read", &[Viewer, Operator, Admin]),
    (Action::AlertsRead, "alerts.read", &[Viewer, Operator, Admin]),
    (Action::AlertsAcknowledge, "alerts.acknowledge", &[Operator, Admin]),
    (Action::AlertsManage, "alerts.manage", &[Admin]),
    (Action::JobsRead, "jobs.read", &[Viewer, Operator, Admin]),
    (Action::SchedulesRead, "schedules.read", &[Viewer, Operator, Admin]),
    // Operators may schedule announcements; a message that pings also needs `bots.mention`.
    (Action::SchedulesManage, "schedules.manage", &[Operator, Admin]),
    // Draining a node moves every bot it runs to the other nodes.
    (Action::NodesManage, "nodes.manage", &[Admin]),
    // Webhooks and their delivery history (payloads hold what the logs hold); made by admins.
    (Action::WebhooksRead, "webhooks.read", &[Viewer, Operator, Admin]),
    (Action::WebhooksManage, "webhooks.manage", &[Admin]),
    // What the public status page shows, and whether it is served at all.
    (Action::StatusPageManage, "status_page.manage", &[Admin]),
    // The whole configuration: with a passphrase, its secrets too.
    (Action::ConfigExport, "config.export", &[Admin]),
    // Writes every section: a key needs each section's own permissions as well (IN_REQUEST).
    (Action::ConfigImport, "config.import", &[Admin]),
];

/// Permissions a request needs for what its body asks, beyond its route's: (action, when).
pub const IN_REQUEST: &[(Action, &str, &str)] = &[
    (Action::BotsMention, "POST", "`/api/v1/bots/{id}/send-message` with `allowed_mentions` that ping"),
    (Action::BotsMention, "POST", "`/api/v1/schedules` with a `message.allowed_mentions` that pings"),
    (Action::BotsMention, "PATCH", "`/api/v1/schedules/{id}` leaving a `message.allowed_mentions` that pings"),
    (Action::BotsMention, "POST", "`/api/v1/messages/batch` with a message whose `allowed_mentions` ping"),
    (Action::BotsMessage, "POST", "`/api/v1/jobs/{id}/cancel`, `/retry`, `/items/{seq}/skip` of a `messages` job"),
    (Action::BotsToken, "POST", "`/api/v1/config/export` with a `passphrase` (the export carries tokens)"),
    (Action::BotsCreate, "POST", "`/api/v1/config/import` (and each of the next rows: an import writes every section)"),
    (Action::BotsToken, "POST", "`/api/v1/config/import`"),
    (Action::BotsConfigure, "POST", "`/api/v1/config/import`"),
    (Action::BotsMention, "POST", "`/api/v1/config/import`"),
    (Action::ProductsManage, "POST", "`/api/v1/config/import`"),
    (Action::AlertsManage, "POST", "`/api/v1/config/import`"),
    (Action::SchedulesManage, "POST", "`/api/v1/config/import`"),
    (Action::SettingsManage, "POST", "`/api/v1/config/import`"),
    (Action::WebhooksManage, "POST", "`/api/v1/config/import`"),
];

/// What an import writes, each needing its own permission besides `config.import`.
pub const IMPORT_WRITES: &[Action] = &[
    Action::BotsCreate,
    Action::BotsToken,
    Action::BotsConfigure,
    Action::BotsMention,
    Action::ProductsManage,
    Action::AlertsManage,
    Action::SchedulesManage,
    Action::SettingsManage,
    Action::WebhooksManage,
];

impl Action {
    /// Every action in the table.
    pub fn all() -> impl Iterator<Item = Action> {
        TABLE.iter().map(|(a, _, _)| *a)
    }

    fn row(self) -> (&'static str, &'static [Role]) {
        TABLE.iter().find(|(a, _, _)| *a == self).map_or(("unknown", &[][..]), |(_, n, r)| (*n, *r))
    }

    /// The action's name (`bots.operate`).
    pub fn name(self) -> &'static str {
        self.row().0
    }

    /// The action named `text`.
    pub fn parse(text: &str) -> Option<Self> {
        TABLE.iter().find(|(_, n, _)| *n == text).map(|(a, _, _)| *a)
    }

    /// Whether `role` may do this.
    pub fn allows(self, role: Role) -> bool {
        self == Action::Public || self.row().1.contains(&role)
    }

    /// Roles allowed, for error messages and docs.
    pub fn roles(self) -> &'static [Role] {
        self.row().1
    }

    /// May an API key be scoped to this action? (`public` needs no key; `account` is a person's.)
    pub fn scopable(self) -> bool {
        !matches!(self, Action::Public | Action::Account)
    }

    /// Bot operations have their own, tighter, rate limit.
    pub fn is_bot_operation(self) -> bool {
        matches!(self, Action::BotsOperate | Action::BotsTest | Action::BotsMessage)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_one_row_and_names_round_trip() {
        for (i, (a, name, _)) in TABLE.iter().enumerate() {
            assert_eq!(TABLE.iter().filter(|(b, _, _)| b == a).count(), 1, "{name} listed twice");
            assert_eq!(Action::parse(name), Some(*a));
            assert!(TABLE[..i].iter().all(|(_, n, _)| n != name));
        }
    }

    #[test]
    fn roles_are_nested_and_secrets_are_admin_only() {
        for a in Action::all() {
            if a.allows(Viewer) {
                assert!(a.allows(Operator), "{a}");
            }
            if a.allows(Operator) {
                assert!(a.allows(Admin), "{a}");
            }
        }
        for a in [Action::BotsToken, Action::BotsCreate, Action::BotsDelete, Action::LogsDelete, Action::UsersManage] {
            assert!(!a.allows(Operator) && a.allows(Admin), "{a}");
        }
    }

    #[test]
    fn a_role_holds_the_scopable_actions_it_is_allowed() {
        assert!(Viewer.permissions().is_subset(&Operator.permissions()));
        assert!(Operator.permissions().is_subset(&Admin.permissions()));
        assert_eq!(Admin.permissions(), Action::all().filter(|a| a.scopable()).collect());
        assert!(Viewer.permissions().contains(&Action::Me) && !Viewer.permissions().contains(&Action::Account));
        assert!(!Operator.permissions().contains(&Action::UsersManage));
    }
}
