mod create_stage_instance;
mod delete_stage_instance;
mod get_stage_instance;
mod update_stage_instance;

pub use self::{
    create_stage_instance::CreateStageInstance, delete_stage_instance::DeleteStageInstance,
    get_stage_instance::GetStageInstance, update_stage_instance::UpdateStageInstance,
};
