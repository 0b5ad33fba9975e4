//! On-chain payment verification: USDT/USDC on Ethereum, TRON and Solana.
//!
//! Pure core: [`hash`] detection, [`tokens`] and [`amount`] (exact integers), the
//! per-chain parsers into an [`observation::Observation`], the [`verdict::judge`] and
//! [`invoice_amount`] matching. I/O at the edges: one small client per explorer
//! ([`ethereum`], [`tron`], [`solana`]) and the [`verifier::PaymentVerifier`] that ties
//! them together. Billing on top: [`plans`] (what premium costs), the [`ledger`] that opens
//! invoices and credits each transaction exactly once, and the [`watcher`] that re-checks
//! pending payments, matches payments made without a hash and sends renewal reminders.

pub mod amount;
pub mod chain;
pub mod config;
pub mod error;
pub mod ethereum;
pub mod hash;
mod http;
pub mod invoice_amount;
pub mod ledger;
pub mod observation;
pub mod plans;
pub mod report;
pub mod solana;
pub mod tokens;
pub mod tron;
pub mod verdict;
pub mod verifier;
pub mod watcher;

pub use amount::Amount;
pub use chain::Chain;
pub use config::PaymentsConfig;
pub use error::VerifyError;
pub use hash::{DetectedHash, HashError, TxRef, detect_tx_hash};
pub use observation::{Lookup, Observation};
pub use report::{VerifyReport, VerifyStatus, verify_report};
pub use tokens::Token;
pub use verdict::{Expectation, PendingReason, RejectReason, Verdict, judge};
pub use verifier::{Checked, PaymentVerifier, VerifyRequest};

#[cfg(test)]
mod tests;
