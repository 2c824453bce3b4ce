mod create_role;
mod delete_role;
mod get_guild_role_member_counts;
mod get_guild_roles;
mod get_role;
mod update_role;
mod update_role_positions;

pub use self::{
    create_role::CreateRole, delete_role::DeleteRole,
    get_guild_role_member_counts::GetGuildRoleMemberCounts, get_guild_roles::GetGuildRoles,
    get_role::GetRole, update_role::UpdateRole, update_role_positions::UpdateRolePositions,
};
