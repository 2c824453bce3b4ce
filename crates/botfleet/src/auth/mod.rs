//! Who is calling and what they may do: users with argon2id passwords and roles, browser
//! sessions, two-factor (TOTP + recovery codes), API keys, login throttling and lockout, and the
//! permission table every route is checked against.

pub mod permissions;

pub use permissions::{Action, Role};
