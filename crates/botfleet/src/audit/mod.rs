//! The audit log (`discord_audit_logs`, append-only): what people and keys changed (action rows)
//! and what happened to security (security-event rows: logins, lockouts, keys, anti-spam, bursts
//! of refusals). Rows are inserted here and read by `GET /audit-logs`; the only deletion is the
//! retention sweep (the `retention` module), never an API call.

mod diff;
mod entry;
mod repo;

pub use diff::{created, diff, removed};
pub use entry::{Actor, Entry, Kind};
pub use repo::{explain, insert, list, AuditQuery, AuditRow};
