//! A local Discord (API v10) that real, unmodified client libraries connect to as if it were
//! discord.com: the gateway (identify, resume with replay, heartbeats, close codes, zlib-stream
//! and zstd-stream), the REST routes bots use (messages, commands, interactions, webhooks) with
//! Discord's errors and rate limits, and a control API to script users, guilds and faults.
//!
//! A guided tour, from the top floor down: each module imports only modules listed below it
//! (`../shared/tools/layers crates/discord-emulator/src` finds no circle).

#![forbid(unsafe_code)]
#![recursion_limit = "256"]

// The top: builds the shared state and mounts the routes on it.
/// Starting and stopping the server: one listener for REST, the gateway and the control API.
pub mod server;

// The routes, and the operations they call.
/// The `/_emulator` control API (not Discord's), calling the same methods as the library API.
pub mod control;
/// The WebSocket gateway: connections, handshakes, compression, close codes.
pub mod gateway;
/// The load driver: scripted users send commands, the report says what was answered and how fast.
pub mod load;
/// Discord's REST API: routes, auth, rate limits, errors.
pub mod rest;
/// The scripting operations shared by the control API and the library API.
pub mod script;

// What every route shares.
/// The state every handler and connection reads: config, clock, locks on world, connections, faults.
pub mod shared;

// Below the shared state, which holds them (with the foundations).
/// Discord's REST rate-limit counters: per-route buckets, the global limit, the invalid-request ban.
pub mod rate_limits;
/// The emulated world and its rules (permissions, intents, sessions, fan-out, interactions).
pub mod world;

// Foundations that import nothing from the crate.
/// Real time plus a test-controlled offset; every window and deadline reads it.
pub mod clock;
/// Tunable limits and windows, Discord's values by default.
pub mod config;
/// The registry of live gateway connections and the commands they take (reconnect, close, …).
pub mod connections;
/// Fault injection: gateway events, outages, latency, forced 429s and errors.
pub mod faults;
/// Snowflake ids, timestamps and tokens.
pub mod snowflake;

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
