//! tiltguard: a Telegram bot for crypto traders. See ARCHITECTURE.md for the map.

pub mod config;
pub mod store;
