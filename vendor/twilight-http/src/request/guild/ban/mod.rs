pub mod bulk_ban;

mod create_ban;
mod delete_ban;
mod get_ban;
mod get_bans;

pub use self::{
    bulk_ban::BulkGuildBan, create_ban::CreateBan, delete_ban::DeleteBan, get_ban::GetBan,
    get_bans::GetBans,
};
