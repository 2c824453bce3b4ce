pub mod update_auto_moderation_rule;

mod create_auto_moderation_rule;
mod delete_auto_moderation_rule;
mod get_auto_moderation_rule;
mod get_guild_auto_moderation_rules;

pub use self::{
    create_auto_moderation_rule::CreateAutoModerationRule,
    delete_auto_moderation_rule::DeleteAutoModerationRule,
    get_auto_moderation_rule::GetAutoModerationRule,
    get_guild_auto_moderation_rules::GetGuildAutoModerationRules,
    update_auto_moderation_rule::UpdateAutoModerationRule,
};
