//! Settings of the payments module, read from the environment by the caller.
//!
//! Receiving addresses are validated and normalized here, at start, so a typo in
//! `PAY_ETH_ADDRESS` stops the bot with a clear message instead of losing payments.

use std::fmt;

use super::chain::{AddressError, Chain, normalize_address};
use super::verdict::DEFAULT_ETH_MIN_CONFIRMATIONS;

pub const DEFAULT_ETHERSCAN_API_URL: &str = "https://api.etherscan.io/v2/api";
pub const DEFAULT_TRONSCAN_API_URL: &str = "https://apilist.tronscanapi.com";
pub const DEFAULT_SOLANA_RPC_URL: &str = "https://api.mainnet-beta.solana.com";

#[derive(Clone, PartialEq, Eq)]
pub struct PaymentsConfig {
    /// `ETHERSCAN_API_URL`
    pub etherscan_url: String,
    /// `ETHERSCAN_API_KEY` (Etherscan v2 requires one)
    pub etherscan_key: String,
    /// `TRONSCAN_API_URL`
    pub tronscan_url: String,
    /// `TRONSCAN_API_KEY` (optional; sent as `TRON-PRO-API-KEY`)
    pub tronscan_key: String,
    /// `SOLANA_RPC_URL`
    pub solana_rpc_url: String,
    /// `ETH_MIN_CONFIRMATIONS`
    pub eth_min_confirmations: u64,
    /// `PAY_ETH_ADDRESS`, normalized; `None` disables Ethereum payments.
    pub pay_eth_address: Option<String>,
    /// `PAY_TRON_ADDRESS`
    pub pay_tron_address: Option<String>,
    /// `PAY_SOL_ADDRESS`
    pub pay_sol_address: Option<String>,
}

impl Default for PaymentsConfig {
    fn default() -> Self {
        PaymentsConfig {
            etherscan_url: DEFAULT_ETHERSCAN_API_URL.into(),
            etherscan_key: String::new(),
            tronscan_url: DEFAULT_TRONSCAN_API_URL.into(),
            tronscan_key: String::new(),
            solana_rpc_url: DEFAULT_SOLANA_RPC_URL.into(),
            eth_min_confirmations: DEFAULT_ETH_MIN_CONFIRMATIONS,
            pay_eth_address: None,
            pay_tron_address: None,
            pay_sol_address: None,
        }
    }
}

impl fmt::Debug for PaymentsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |key: &str| {
            if key.is_empty() {
                "<unset>"
            } else {
                "<redacted>"
            }
        };
        f.debug_struct("PaymentsConfig")
            .field("etherscan_url", &self.etherscan_url)
            .field("etherscan_key", &redacted(&self.etherscan_key))
            .field("tronscan_url", &self.tronscan_url)
            .field("tronscan_key", &redacted(&self.tronscan_key))
            .field("solana_rpc_url", &"<hidden: may embed a key>")
            .field("eth_min_confirmations", &self.eth_min_confirmations)
            .field("pay_eth_address", &self.pay_eth_address)
            .field("pay_tron_address", &self.pay_tron_address)
            .field("pay_sol_address", &self.pay_sol_address)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentsConfigError {
    #[error("{variable} is not a valid {chain} address: {source}")]
    Address {
        variable: &'static str,
        chain: Chain,
        source: AddressError,
    },
    #[error("ETH_MIN_CONFIRMATIONS must be a whole number of at least 1, got {0:?}")]
    Confirmations(String),
}

impl PaymentsConfig {
    /// Builds the config from variables looked up by name (e.g. `std::env::var(n).ok()`);
    /// unset or empty variables take the defaults.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, PaymentsConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let defaults = PaymentsConfig::default();
        let eth_min_confirmations = match get("ETH_MIN_CONFIRMATIONS") {
            None => defaults.eth_min_confirmations,
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1)
                .ok_or(PaymentsConfigError::Confirmations(text))?,
        };
        let address = |variable: &'static str, chain: Chain| {
            get(variable)
                .map(|raw| {
                    normalize_address(chain, &raw).map_err(|source| PaymentsConfigError::Address {
                        variable,
                        chain,
                        source,
                    })
                })
                .transpose()
        };
        Ok(PaymentsConfig {
            etherscan_url: get("ETHERSCAN_API_URL").unwrap_or(defaults.etherscan_url),
            etherscan_key: get("ETHERSCAN_API_KEY").unwrap_or_default(),
            tronscan_url: get("TRONSCAN_API_URL").unwrap_or(defaults.tronscan_url),
            tronscan_key: get("TRONSCAN_API_KEY").unwrap_or_default(),
            solana_rpc_url: get("SOLANA_RPC_URL").unwrap_or(defaults.solana_rpc_url),
            eth_min_confirmations,
            pay_eth_address: address("PAY_ETH_ADDRESS", Chain::Ethereum)?,
            pay_tron_address: address("PAY_TRON_ADDRESS", Chain::Tron)?,
            pay_sol_address: address("PAY_SOL_ADDRESS", Chain::Solana)?,
        })
    }

    /// Our receiving address on `chain`, if payments there are enabled.
    pub fn receiving_address(&self, chain: Chain) -> Option<&str> {
        match chain {
            Chain::Ethereum => self.pay_eth_address.as_deref(),
            Chain::Tron => self.pay_tron_address.as_deref(),
            Chain::Solana => self.pay_sol_address.as_deref(),
        }
    }

    /// Chains with a receiving address: the only ones to offer in `/subscribe`.
    pub fn enabled_chains(&self) -> Vec<Chain> {
        Chain::ALL
            .into_iter()
            .filter(|chain| self.receiving_address(*chain).is_some())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(vars: &[(&str, &str)]) -> Result<PaymentsConfig, PaymentsConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        PaymentsConfig::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let config = from(&[]).unwrap();
        assert_eq!(config, PaymentsConfig::default());
        assert_eq!(config.etherscan_url, "https://api.etherscan.io/v2/api");
        assert_eq!(config.eth_min_confirmations, 12);
        assert!(config.enabled_chains().is_empty());
    }

    #[test]
    fn addresses_are_normalized_and_enable_their_chain() {
        let config = from(&[
            (
                "PAY_ETH_ADDRESS",
                "0xab6960a6511ff18ed8b8c012cb91c7f637947fc0",
            ),
            ("PAY_TRON_ADDRESS", " TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H "),
            ("PAY_SOL_ADDRESS", ""),
            ("ETH_MIN_CONFIRMATIONS", "20"),
        ])
        .unwrap();
        assert_eq!(
            config.receiving_address(Chain::Ethereum),
            Some("0xab6960a6511ff18Ed8B8c012cB91C7F637947Fc0")
        );
        assert_eq!(config.enabled_chains(), [Chain::Ethereum, Chain::Tron]);
        assert_eq!(config.eth_min_confirmations, 20);
    }

    #[test]
    fn bad_settings_fail_with_the_variable_name() {
        let err = from(&[("PAY_TRON_ADDRESS", "TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2J")]).unwrap_err();
        assert!(err.to_string().starts_with("PAY_TRON_ADDRESS"), "{err}");
        assert!(from(&[("ETH_MIN_CONFIRMATIONS", "0")]).is_err());
        assert!(from(&[("ETH_MIN_CONFIRMATIONS", "twelve")]).is_err());
    }

    #[test]
    fn debug_never_shows_keys() {
        let config = from(&[
            ("ETHERSCAN_API_KEY", "K1SECRET"),
            ("TRONSCAN_API_KEY", "K2SECRET"),
        ])
        .unwrap();
        let text = format!("{config:?}");
        assert!(
            !text.contains("K1SECRET") && !text.contains("K2SECRET"),
            "{text}"
        );
    }
}
