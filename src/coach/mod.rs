//! The coach: personas, prompt assembly, conversation memory. Knows nothing of Telegram.

pub mod context;
pub mod personas;
pub mod prompts;
pub mod service;

pub use context::Session;
pub use service::{Coach, CoachError, CoachInput, CoachSettings, ReplyOutcome, WINDOW_TURNS};
