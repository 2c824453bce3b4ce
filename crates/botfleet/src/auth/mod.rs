//! Who is calling and what they may do: users with argon2id passwords and roles, browser
//! sessions, two-factor (TOTP + recovery codes), API keys, login throttling and lockout, API rate
//! limits, and the permission table every route is checked against.

pub mod idempotency;
pub mod keys;
pub mod password;
pub mod permissions;
pub mod principal;
pub mod service;
pub mod sessions;
pub mod settings;
pub mod throttle;
pub mod token;
pub mod totp;
pub mod users;

pub use permissions::{Action, Role};
pub use principal::{Credential, Principal};
pub use service::{Auth, Client, Enrolment, LoginStep};
