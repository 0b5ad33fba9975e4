//! Whale watching: traders follow wallets, and every large USDT/USDC move in or out of a
//! followed wallet becomes an alert in the chat where the wallet was followed.
//!
//! The poller reads the same explorer listings the payment watcher uses (Etherscan
//! `tokentx`, TronGrid TRC-20 history, Solana signatures of the wallet's token accounts),
//! keeps the moves at or above `WHALE_MIN_USD`, and claims each (watch, transaction) in the
//! store before alerting, so an alert goes out at most once, across restarts. Transfers
//! from before a watch began are history, not news. Like the payment watcher, it knows
//! nothing of Telegram: alerts are handed to an [`AlertSink`].

mod poller;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::payments::amount::Amount;
use crate::payments::chain::Chain;
use crate::payments::plans::bounded;
use crate::payments::tokens::{STABLECOIN_DECIMALS, Token};

pub use poller::{WhalePoller, merge_rows};

pub const DEFAULT_MIN_USD: &str = "100000";
pub const DEFAULT_POLL_SECONDS: u64 = 60;
pub const DEFAULT_MAX_WATCHES: i64 = 10;

/// Whale settings (`WHALE_MIN_USD`, `WHALE_POLL_SECONDS`, `WHALE_MAX_WATCHES`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WhaleSettings {
    /// The smallest move that is news, in stablecoin base units (6 decimals).
    pub min_amount: Amount,
    pub poll_interval: Duration,
    /// Wallets one trader may follow.
    pub max_watches: i64,
}

impl Default for WhaleSettings {
    fn default() -> Self {
        WhaleSettings {
            min_amount: Amount::parse_decimal(DEFAULT_MIN_USD, STABLECOIN_DECIMALS)
                .unwrap_or(Amount::ZERO),
            poll_interval: Duration::from_secs(DEFAULT_POLL_SECONDS),
            max_watches: DEFAULT_MAX_WATCHES,
        }
    }
}

impl WhaleSettings {
    /// Reads the settings by name; unset or blank variables take the defaults. An error
    /// names the variable and what is wrong with it.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, (&'static str, String)> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut settings = WhaleSettings::default();
        if let Some(raw) = get("WHALE_MIN_USD") {
            settings.min_amount =
                Amount::parse_decimal(raw.trim_start_matches('$'), STABLECOIN_DECIMALS)
                    .ok()
                    .filter(|amount| amount.base_units() >= 10u128.pow(STABLECOIN_DECIMALS))
                    .ok_or((
                        "WHALE_MIN_USD",
                        format!("must be a dollar amount of at least 1, got {raw:?}"),
                    ))?;
        }
        let whole = |name: &'static str, default: u64, range| {
            bounded(name, get(name), default, range).map_err(|e| (e.variable, e.problem))
        };
        settings.poll_interval = Duration::from_secs(whole(
            "WHALE_POLL_SECONDS",
            DEFAULT_POLL_SECONDS,
            1..=3_600,
        )?);
        settings.max_watches =
            whole("WHALE_MAX_WATCHES", DEFAULT_MAX_WATCHES as u64, 0..=1_000)? as i64;
        Ok(settings)
    }

    /// `WHALE_MAX_WATCHES=0` turns whale watching off.
    pub fn enabled(&self) -> bool {
        self.max_watches > 0
    }
}

/// A stablecoin move of a watched wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletMove {
    pub chain: Chain,
    pub token: Token,
    /// The watched wallet.
    pub wallet: String,
    /// True when the wallet received the tokens, false when it sent them.
    pub received: bool,
    /// The other side, when the explorer names one.
    pub counterparty: Option<String>,
    pub amount: Amount,
    pub tx_hash: String,
    pub block_time: DateTime<Utc>,
}

impl WalletMove {
    /// What an alert is claimed under: one per transaction, token and direction.
    pub fn claim_key(&self) -> String {
        let direction = if self.received { "in" } else { "out" };
        format!("{}:{}:{direction}", self.tx_hash, self.token.symbol())
    }
}

/// One alert for one chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub chat_id: i64,
    /// The trader's name for the wallet; empty when they gave none.
    pub label: String,
    pub movement: WalletMove,
}

/// Delivers alerts (the bot sends them as Telegram messages).
pub trait AlertSink: Send + Sync {
    fn alert(&self, alert: Alert) -> impl Future<Output = ()> + Send;
}

/// The explorer page of a transaction, for the alert's link.
pub fn explorer_tx_url(chain: Chain, tx_hash: &str) -> String {
    match chain {
        Chain::Ethereum => format!("https://etherscan.io/tx/{tx_hash}"),
        Chain::Tron => format!("https://tronscan.org/#/transaction/{tx_hash}"),
        Chain::Solana => format!("https://solscan.io/tx/{tx_hash}"),
    }
}
