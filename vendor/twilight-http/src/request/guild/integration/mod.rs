mod delete_guild_integration;
mod get_guild_integrations;

pub use self::{
    delete_guild_integration::DeleteGuildIntegration, get_guild_integrations::GetGuildIntegrations,
};
