//! botfleet: one self-hosted service that runs a shop's fleet of Discord bots, records everything
//! they do, and gives staff an HTTP API (and, later, a live dashboard) to run them.
//!
//! A guided tour, from the edge inwards:

#![forbid(unsafe_code)]

/// Alert rules, channels and maintenance windows; the engine that fires, resends and recovers.
pub mod alerts;
/// The HTTP API: routes, extractors, the one error mapping, OpenAPI.
pub mod api;
/// Building and running the service from its configuration.
pub mod app;
/// The append-only audit log: action rows and security events.
pub mod audit;
/// Users, passwords, sessions, two-factor, API keys and the permission table.
pub mod auth;
/// Bot configurations: validation, storage, "test this config".
pub mod bots;
/// The caches of credentials, catalogue and settings, kept correct across nodes.
pub mod cache;
/// Discord callbacks: the `Command` trait and one file per command.
pub mod commands;
/// Flags and environment variables.
pub mod config;
/// `botfleet demo`: the emulator, a demo shop, three bots and simulated shoppers.
pub mod demo;
/// The Discord REST client settings and Discord's errors in words.
pub mod discord;
/// The library's error type.
pub mod error;
/// The in-process event bus (status changes, tracked commands).
pub mod events;
/// The fleet: one task per running bot, supervised.
pub mod fleet;
/// Background jobs: durable, with progress, cancel and retry (bulk bot actions).
pub mod jobs;
/// Live updates: topics, subscriptions and the periodic fleet figures.
pub mod live;
/// Command logs and bot logs (the roadmap's repositories).
pub mod logs;
/// Prometheus metrics: per-bot counters and latency histograms, rendered for `/metrics`.
pub mod metrics;
/// TLS termination, and who a request comes from behind trusted reverse proxies.
pub mod net;
/// The nodes serving one database: registry, heartbeats, SQLite's one-node lock.
pub mod nodes;
/// Cursor pagination.
pub mod page;
/// `botfleet rotate-secret-key`: every sealed secret re-sealed under a new key, in one transaction.
pub mod rekey;
/// Retention: how long each growing table keeps its rows, and the sweep that deletes older ones.
pub mod retention;
/// Scheduled and recurring messages: once or by cron in a time zone, each run a messages job.
pub mod schedules;
/// Secrets that never print, and the token cipher.
pub mod secrets;
/// The public status page: the bots an admin shows, their state, uptime bars and incidents, computed
/// at most every 30 s.
pub mod status_page;
/// The shop's products and their stock; CSV import and export.
pub mod stock;
/// The database (SQLite or PostgreSQL) and its migrations.
pub mod store;
/// The one rule for control characters in request text (names single-line, descriptions multi-line).
pub mod text;
/// Time: the clock time-dependent rules read (a manual one in tests); times stored as UTC
/// milliseconds, shown as RFC 3339.
pub mod time;
/// Command tracking and bot logs: the batching writer.
pub mod tracking;
/// Configuration export and import: one versioned JSON document, secrets sealed under a
/// passphrase, a dry-run diff, all or nothing.
pub mod transfer;
/// Outgoing webhooks for any event, and the one delivery machinery alert channels use too.
pub mod webhooks;

pub use error::{Error, Result};
