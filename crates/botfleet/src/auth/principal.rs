//! The caller of a request once their credential checked out — a signed-in user or an API key —
//! and the one decision that matters: may they perform this action?

use super::keys::Grant;
use super::permissions::{Action, Role};
use crate::audit::Actor;
use crate::error::{Error, Refusal, Result};

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A browser session (cookie); the stored hash of its id.
    Session { id_hash: String },
    /// An API key (`Authorization: Bearer bf_…`).
    ApiKey { id: i64 },
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub credential: Credential,
    /// The user (sessions) — `None` for API keys.
    pub user_id: Option<i64>,
    /// User name or key name.
    pub name: String,
    pub grant: Grant,
    /// An admin who must enrol two-factor before doing anything else.
    pub must_enrol_totp: bool,
}

impl Principal {
    /// Who, for audit rows.
    pub fn actor(&self) -> Actor {
        match (&self.credential, self.user_id) {
            (Credential::ApiKey { id }, _) => Actor::ApiKey { id: *id, name: self.name.clone() },
            (Credential::Session { .. }, Some(id)) => Actor::User { id, name: self.name.clone() },
            (Credential::Session { .. }, None) => Actor::Anonymous { name: Some(self.name.clone()) },
        }
    }

    /// The key rate limits and refusal bursts are counted under.
    pub fn limit_key(&self) -> String {
        match (&self.credential, self.user_id) {
            (Credential::ApiKey { id }, _) => format!("key:{id}"),
            (_, Some(id)) => format!("user:{id}"),
            _ => format!("name:{}", self.name),
        }
    }

    /// The role, when the credential has one (scoped keys do not).
    pub fn role(&self) -> Option<Role> {
        match &self.grant {
            Grant::Role(r) => Some(*r),
            Grant::Scopes(_) => None,
        }
    }

    /// Whether this came with a session cookie (and so needs the CSRF check on writes).
    pub fn via_cookie(&self) -> bool {
        matches!(self.credential, Credential::Session { .. })
    }

    /// `Ok` when the caller may perform `action`, else a 403 that says why.
    pub fn may(&self, action: Action) -> Result<()> {
        let forbidden = |message: String| Err(Error::Refused { why: Refusal::Permission, message });
        if action == Action::Public || action == Action::Me {
            return Ok(());
        }
        if action == Action::Account && !self.via_cookie() {
            return forbidden("this needs a signed-in user; API keys have no account".into());
        }
        if self.must_enrol_totp && action != Action::Account {
            return Err(Error::Refused {
                why: Refusal::TwoFactorRequired,
                message: "two-factor sign-in is required for admins: enrol it first (POST /api/v1/auth/totp)".into(),
            });
        }
        match &self.grant {
            Grant::Role(role) if action.allows(*role) => Ok(()),
            Grant::Role(role) => {
                let who: Vec<&str> = action.roles().iter().map(|r| r.as_str()).collect();
                forbidden(format!(
                    "your role ({role}) may not do this: it needs the {action} permission, which {} {}",
                    who.join(" and "),
                    if who.len() == 1 { "has" } else { "have" }
                ))
            }
            Grant::Scopes(scopes) if scopes.contains(&action) => Ok(()),
            Grant::Scopes(_) => forbidden(format!("this API key's scopes do not include {action}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role) -> Principal {
        Principal {
            credential: Credential::Session { id_hash: "h".into() },
            user_id: Some(1),
            name: "ann".into(),
            grant: Grant::Role(role),
            must_enrol_totp: false,
        }
    }

    #[test]
    fn roles_scopes_and_accounts() {
        assert!(user(Role::Viewer).may(Action::BotsRead).is_ok());
        assert!(user(Role::Viewer).may(Action::BotsOperate).is_err());
        assert!(user(Role::Operator).may(Action::BotsOperate).is_ok());
        assert!(user(Role::Operator).may(Action::BotsToken).is_err());
        let key = Principal {
            credential: Credential::ApiKey { id: 7 },
            user_id: None,
            name: "ci".into(),
            grant: Grant::Scopes(vec![Action::LogsRead]),
            must_enrol_totp: false,
        };
        assert!(key.may(Action::LogsRead).is_ok());
        assert!(key.may(Action::BotsRead).is_err());
        assert!(key.may(Action::Account).is_err());
        assert!(key.may(Action::Me).is_ok());
        let mut admin = user(Role::Admin);
        admin.must_enrol_totp = true;
        assert!(admin.may(Action::BotsRead).is_err());
        assert!(admin.may(Action::Account).is_ok());
    }
}
