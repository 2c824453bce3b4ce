//! Bot configurations: what a bot runs with and its status in words (`config`, `status`, the
//! vocabulary the fleet, the API and the event bus share), validated settings, the `bots` table,
//! and the "test this config" checks.

pub mod check;
pub mod config;
pub mod model;
pub mod repo;
pub mod servers;
pub mod status;

pub use config::{AntiSpamConfig, BotConfig};
pub use status::{BotCounts, DesiredState, Status};
