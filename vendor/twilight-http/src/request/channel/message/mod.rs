pub mod create_message;
pub mod update_message;

mod crosspost_message;
mod delete_message;
mod delete_messages;
mod get_channel_messages;
mod get_channel_messages_configured;
mod get_message;

pub use self::{
    create_message::CreateMessage, crosspost_message::CrosspostMessage,
    delete_message::DeleteMessage, delete_messages::DeleteMessages,
    get_channel_messages::GetChannelMessages,
    get_channel_messages_configured::GetChannelMessagesConfigured, get_message::GetMessage,
    update_message::UpdateMessage,
};
