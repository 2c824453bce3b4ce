mod create_guild_sticker;
mod delete_guild_sticker;
mod get_guild_sticker;
mod get_guild_stickers;
mod update_guild_sticker;

pub use self::{
    create_guild_sticker::CreateGuildSticker, delete_guild_sticker::DeleteGuildSticker,
    get_guild_sticker::GetGuildSticker, get_guild_stickers::GetGuildStickers,
    update_guild_sticker::UpdateGuildSticker,
};
