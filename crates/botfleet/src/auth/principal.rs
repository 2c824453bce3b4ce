//! The caller of a request once their credential checked out — a signed-in user or an API key —
//! and the decisions that matter: may they perform this action, and may they hand out (or take
//! over) these permissions? A credential grants only permissions it holds: a new key's role or
//! scopes, and a user it creates, changes, resets or removes, hold nothing the caller lacks.

use std::collections::BTreeSet;

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

/// Why the grant rules refuse, in every such message.
const ONLY_WHAT_IT_HOLDS: &str = "a credential grants only permissions it holds";

fn permission_refused(message: String) -> Error {
    Error::Refused { why: Refusal::Permission, message }
}

/// `an admin`, `an operator`, `a viewer`.
fn with_article(role: Role) -> String {
    let article = if role.as_str().starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("{article} {role}")
}

fn names(actions: &BTreeSet<Action>) -> String {
    actions.iter().map(|a| a.name()).collect::<Vec<_>>().join(", ")
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

    /// Every permission the caller holds: the actions [`Principal::may`] allows that a credential
    /// can hold (what `GET /auth/me` lists, less `account`).
    pub fn permissions(&self) -> BTreeSet<Action> {
        Action::all().filter(|a| a.scopable() && self.may(*a).is_ok()).collect()
    }

    /// Of `wanted`, what the caller does not hold.
    fn lacks(&self, wanted: &BTreeSet<Action>) -> BTreeSet<Action> {
        wanted.difference(&self.permissions()).copied().collect()
    }

    /// Who the caller is in a refusal, and how it lacks something (`this API key lacks`).
    fn subject(&self) -> (&'static str, &'static str) {
        match self.credential {
            Credential::ApiKey { .. } => ("this API key", "lacks"),
            Credential::Session { .. } => ("you", "lack"),
        }
    }

    /// `Ok` when the caller holds every permission of `grant` (a new key's role or scopes), else a
    /// 403 naming the ones it lacks: a credential grants only permissions it holds.
    pub fn may_grant(&self, grant: &Grant) -> Result<()> {
        let missing = self.lacks(&grant.permissions());
        if missing.is_empty() {
            return Ok(());
        }
        let (who, _) = self.subject();
        Err(permission_refused(format!("{who} may not grant {}: {ONLY_WHAT_IT_HOLDS}", names(&missing))))
    }

    /// `Ok` when the caller holds every permission of a key it would revoke (a narrow key does not
    /// switch off a stronger one, such as an admin's), else a 403 naming what it lacks.
    pub fn may_revoke(&self, grant: &Grant) -> Result<()> {
        let missing = self.lacks(&grant.permissions());
        if missing.is_empty() {
            return Ok(());
        }
        let (who, lacks) = self.subject();
        Err(permission_refused(format!(
            "{who} may not revoke a key holding {}, which {who} {lacks}: a credential revokes only keys whose \
             permissions it holds",
            names(&missing)
        )))
    }

    /// `Ok` when the caller may `what` (`create`, `reset the password of`, …) a user whose role
    /// is `role`: it must hold every permission of that role, so no credential makes, promotes,
    /// takes over or removes a user stronger than itself. Else a 403 naming what it lacks.
    pub fn may_manage_user(&self, role: Role, what: &str) -> Result<()> {
        let missing = self.lacks(&role.permissions());
        if missing.is_empty() {
            return Ok(());
        }
        let (who, lacks) = self.subject();
        Err(permission_refused(format!(
            "{who} may not {what} {}: that role has {}, which {who} {lacks}; {ONLY_WHAT_IT_HOLDS}, \
             and manages only users whose role's permissions it holds",
            with_article(role),
            names(&missing)
        )))
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

    fn key(scopes: &[Action]) -> Principal {
        Principal {
            credential: Credential::ApiKey { id: 7 },
            user_id: None,
            name: "ci".into(),
            grant: Grant::Scopes(scopes.to_vec()),
            must_enrol_totp: false,
        }
    }

    fn message(result: Result<()>) -> String {
        match result {
            Err(Error::Refused { why: Refusal::Permission, message }) => message,
            other => panic!("expected a permission refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_credential_grants_only_permissions_it_holds() {
        let keys = key(&[Action::KeysManage]);
        let said = message(keys.may_grant(&Grant::Role(Role::Admin)));
        assert!(said.starts_with("this API key may not grant ") && said.contains("users.manage"), "{said}");
        assert!(said.ends_with(ONLY_WHAT_IT_HOLDS) && !said.contains("keys.manage"), "{said}");
        let said = message(keys.may_grant(&Grant::Scopes(vec![Action::KeysManage, Action::BotsDelete])));
        assert_eq!(said, format!("this API key may not grant bots.delete: {ONLY_WHAT_IT_HOLDS}"));
        assert!(keys.may_grant(&Grant::Scopes(vec![Action::KeysManage, Action::Me])).is_ok());
        assert!(keys.may_grant(&Grant::Role(Role::Viewer)).is_err());

        let viewer_and_keys: Vec<Action> = Role::Viewer.permissions().into_iter().chain([Action::KeysManage]).collect();
        let broad = key(&viewer_and_keys);
        assert!(broad.may_grant(&Grant::Role(Role::Viewer)).is_ok());
        assert!(broad.may_grant(&Grant::Role(Role::Operator)).is_err());

        let admin = user(Role::Admin);
        assert!(admin.may_grant(&Grant::Role(Role::Admin)).is_ok());
        assert!(admin.may_grant(&Grant::Scopes(Action::all().filter(|a| a.scopable()).collect())).is_ok());
        let said = message(user(Role::Operator).may_grant(&Grant::Role(Role::Admin)));
        assert!(said.starts_with("you may not grant bots.create"), "{said}");
    }

    #[test]
    fn a_credential_manages_only_users_whose_role_it_holds() {
        let users = key(&[Action::UsersManage]);
        for role in Role::ALL {
            let said = message(users.may_manage_user(role, "create"));
            assert!(said.contains(&format!("may not create {}", with_article(role))), "{said}");
            assert!(said.contains("bots.read") && !said.contains(" users.manage"), "{said}");
        }
        let operator_level: Vec<Action> =
            Role::Operator.permissions().into_iter().chain([Action::UsersManage]).collect();
        let op = key(&operator_level);
        assert!(op.may_manage_user(Role::Viewer, "create").is_ok());
        assert!(op.may_manage_user(Role::Operator, "reset the password of").is_ok());
        let said = message(op.may_manage_user(Role::Admin, "reset the password of"));
        assert!(
            said.starts_with("this API key may not reset the password of an admin: that role has bots.create"),
            "{said}"
        );
        assert!(said.contains("which this API key lacks") && !said.contains(" bots.operate"), "{said}");
        for role in Role::ALL {
            assert!(user(Role::Admin).may_manage_user(role, "delete").is_ok());
        }
    }
}
