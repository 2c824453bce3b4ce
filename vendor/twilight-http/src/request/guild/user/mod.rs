mod get_current_user_voice_state;
mod get_user_voice_state;
mod update_current_user_voice_state;
mod update_user_voice_state;

pub use self::{
    get_current_user_voice_state::GetCurrentUserVoiceState,
    get_user_voice_state::GetUserVoiceState,
    update_current_user_voice_state::UpdateCurrentUserVoiceState,
    update_user_voice_state::UpdateUserVoiceState,
};
