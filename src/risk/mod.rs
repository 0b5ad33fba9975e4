//! Risk radar: `/scan` any token on EVM chains, Solana or TRON into an explained 0–100 risk
//! score.
//!
//! - [`detect`]: which chain family a pasted address belongs to (pure).
//! - [`goplus`] and [`honeypot`]: the two upstream clients (thin HTTP over pure parsers).
//! - [`score`]: flags, score and level from the upstream data (pure; rules in the README).
//! - [`report`]: the report and its Telegram, terminal and JSON renderings (pure).
//! - [`service`]: the cached, coalescing front door used by the bot and the CLI.

pub mod detect;
pub mod fmt;
pub mod goplus;
pub mod honeypot;
pub mod report;
pub mod score;
pub mod service;

pub use detect::{AddressKind, Chain, DetectError, detect};
pub use report::{ScanReport, render_telegram_html, render_terminal};
pub use score::{Flag, FlagId, Level, Severity};
pub use service::{RiskConfig, RiskService, ScanError, ScanOutcome};
