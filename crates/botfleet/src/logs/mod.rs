//! The roadmap's log repositories: `discord_command_logs` (every command a bot ran) and
//! `discord_bot_logs` (what happened to each bot). Batched inserts for the writers, filtered and
//! cursor-paginated reads for the API, newest first.

pub mod bot_logs;
pub mod commands;
pub mod filter;
pub mod search;
