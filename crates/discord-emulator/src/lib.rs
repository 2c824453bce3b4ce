//! A local Discord (API v10) that real, unmodified client libraries connect to as if it were
//! discord.com: the gateway (identify, resume with replay, heartbeats, close codes, zlib-stream
//! and zstd-stream), the REST routes bots use (messages, commands, interactions, webhooks) with
//! Discord's errors and rate limits, and a control API to script users, guilds and faults.
//!
//! A guided tour:

#![forbid(unsafe_code)]
#![recursion_limit = "256"]

/// Real time plus a test-controlled offset; every window and deadline reads it.
pub mod clock;
/// Tunable limits and windows, Discord's values by default.
pub mod config;
/// The registry of live gateway connections and the commands they take (reconnect, close, …).
pub mod connections;
/// The `/_emulator` control API (not Discord's).
pub mod control;
/// Fault injection: gateway events, outages, latency, forced 429s and errors.
pub mod faults;
/// The WebSocket gateway: connections, sessions, handshakes, compression, close codes.
pub mod gateway;
/// The load driver: scripted users send commands, the report says what was answered and how fast.
pub mod load;
/// Discord's REST rate-limit counters: per-route buckets, the global limit, the invalid-request ban.
pub mod rate_limits;
/// Discord's REST API: routes, auth, rate limits, errors.
pub mod rest;
/// The scripting operations shared by the control API and the library API.
pub mod script;
/// Starting and stopping the server.
pub mod server;
/// The state every handler and connection shares: config, clock, and the locks on the world,
/// connections, rate limits and faults.
pub mod shared;
/// Snowflake ids, timestamps and tokens.
pub mod snowflake;
/// The emulated world and its rules (permissions, intents, fan-out, interactions).
pub mod world;

pub use config::{EmulatorConfig, RouteLimit};
pub use faults::{FaultAction, FaultSpec, RouteMatch, Scope};
pub use load::{LoadError, Report, Scenario};
pub use script::{CounterReport, InteractionRecord, MessageRecord, ResponseRecord, SessionInfo};
pub use server::Emulator;
pub use shared::Shared;
pub use world::file::{WorldSpec, WorldSummary};
pub use world::interactions::{StartedInteraction, UserAction};
pub use world::model::Overwrite;
pub use world::{ApplicationInfo, ApplicationSpec, WorldError};
