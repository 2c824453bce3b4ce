//! Channel permissions computed the way Discord documents it: base role permissions, then
//! channel overwrites for `@everyone`, roles and the member.

use super::model::{Channel, Guild};

/// ADMINISTRATOR: every permission, overwrites ignored.
pub const ADMINISTRATOR: u64 = 1 << 3;
/// MANAGE_MESSAGES: delete others' messages.
pub const MANAGE_MESSAGES: u64 = 1 << 13;
/// VIEW_CHANNEL: see the channel and its messages.
pub const VIEW_CHANNEL: u64 = 1 << 10;
/// SEND_MESSAGES: post in the channel.
pub const SEND_MESSAGES: u64 = 1 << 11;
/// READ_MESSAGE_HISTORY: read older messages.
pub const READ_MESSAGE_HISTORY: u64 = 1 << 16;
/// Default permissions of `@everyone` in a new guild (Discord's value).
pub const DEFAULT_EVERYONE: u64 = 1 // CREATE_INSTANT_INVITE
    | (1 << 6) // ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | (1 << 14) // EMBED_LINKS
    | (1 << 15) // ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | (1 << 18) // USE_EXTERNAL_EMOJIS
    | (1 << 20) // CONNECT
    | (1 << 21) // SPEAK
    | (1 << 26) // CHANGE_NICKNAME
    | (1 << 31); // USE_APPLICATION_COMMANDS
/// Every permission bit.
pub const ALL: u64 = (1 << 51) - 1;

/// Guild-wide permissions of a member (no channel overwrites).
pub fn base(guild: &Guild, user_id: u64) -> u64 {
    if guild.owner_id == user_id {
        return ALL;
    }
    let Some(member) = guild.members.get(&user_id) else {
        return 0;
    };
    let mut perms = guild.roles.iter().find(|r| r.id == guild.id).map_or(0, |r| r.permissions);
    for role in guild.roles.iter().filter(|r| member.roles.contains(&r.id)) {
        perms |= role.permissions;
    }
    if perms & ADMINISTRATOR != 0 {
        ALL
    } else {
        perms
    }
}

/// A member's permissions in one channel.
pub fn in_channel(guild: &Guild, channel: &Channel, user_id: u64) -> u64 {
    let mut perms = base(guild, user_id);
    if perms == ALL {
        return ALL;
    }
    let Some(member) = guild.members.get(&user_id) else {
        return 0;
    };
    if let Some(ow) = channel.overwrites.iter().find(|o| o.kind == 0 && o.id == guild.id) {
        perms = (perms & !ow.deny) | ow.allow;
    }
    let (mut allow, mut deny) = (0, 0);
    for ow in channel.overwrites.iter().filter(|o| o.kind == 0 && member.roles.contains(&o.id)) {
        allow |= ow.allow;
        deny |= ow.deny;
    }
    perms = (perms & !deny) | allow;
    if let Some(ow) = channel.overwrites.iter().find(|o| o.kind == 1 && o.id == user_id) {
        perms = (perms & !ow.deny) | ow.allow;
    }
    perms
}
