//! tiltguard: a Telegram bot for crypto traders. See ARCHITECTURE.md for the map.

pub mod app;
pub mod cli;
pub mod coach;
pub mod config;
pub mod http;
pub mod llm;
pub mod net;
pub mod payments;
pub mod risk;
pub mod store;
pub mod telegram;
pub mod telemetry;
pub mod whales;
