//! Simulators of the external services tiltguard talks to, enforcing the real limits, for
//! integration and load tests.

pub mod chains;
pub mod llm;
pub mod loadtest;
pub mod risk;
pub mod telegram;

pub use telegram::{
    BucketSpec, FloodLimits, SimChat, SimEvent, SimEventKind, SimMessage, SimStats, SimUser,
    TelegramSim, TelegramSimConfig,
};
