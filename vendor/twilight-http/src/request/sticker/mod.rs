pub mod get_nitro_sticker_packs;

mod get_sticker;
mod get_sticker_pack;

pub use self::{
    get_nitro_sticker_packs::GetNitroStickerPacks, get_sticker::GetSticker,
    get_sticker_pack::GetStickerPack,
};
