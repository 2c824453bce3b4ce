mod create_invite;
mod delete_invite;
mod get_channel_invites;
mod get_invite;

pub use self::{
    create_invite::CreateInvite, delete_invite::DeleteInvite,
    get_channel_invites::GetChannelInvites, get_invite::GetInvite,
};
