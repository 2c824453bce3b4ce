mod end_poll;
mod get_answer_voters;

pub use self::{end_poll::EndPoll, get_answer_voters::GetAnswerVoters};
