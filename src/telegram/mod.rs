//! The only module that knows Telegram: its API, updates, the outbox and the user flows.

pub mod api;
pub mod delivery;
pub mod dispatch;
pub mod format;
pub mod handlers;
pub mod pacing;
pub mod polling;
pub mod stream;
pub mod update;
mod wire;
