//! Terminal front-ends on the same services as the bot.

pub mod chat;
pub mod scan;
pub mod verify;
