//! Settings of the risk radar, with production defaults and an environment reader.

use std::time::Duration;

use crate::risk::detect::Chain;
use crate::risk::goplus::AppCredentials;
use crate::risk::score::{Issuer, IssuerParseError};

/// Everything [`super::RiskService`] needs. `Default` is production.
#[derive(Debug, Clone)]
pub struct RiskConfig {
    /// `GOPLUS_API_URL`.
    pub goplus_url: String,
    /// `GOPLUS_APP_KEY` + `GOPLUS_APP_SECRET`: signed access with an access token; `None`
    /// scans on the public tier.
    pub goplus_credentials: Option<AppCredentials>,
    /// `HONEYPOT_API_URL`.
    pub honeypot_url: String,
    /// `SCAN_EVM_CHAINS`: chains searched for an `0x` address given without a chain.
    pub evm_chains: Vec<Chain>,
    /// `SCAN_CACHE_TTL_SECONDS`.
    pub cache_ttl: Duration,
    /// `RISK_ISSUER_ALLOWLIST`: `chain:address:SYMBOL:Issuer`, comma-separated.
    pub issuer_allowlist_extra: Vec<Issuer>,
    /// Per upstream request.
    pub request_timeout: Duration,
}

pub const DEFAULT_GOPLUS_URL: &str = "https://api.gopluslabs.io";
pub const DEFAULT_HONEYPOT_URL: &str = "https://api.honeypot.is";
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(300);
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

impl Default for RiskConfig {
    fn default() -> Self {
        RiskConfig {
            goplus_url: DEFAULT_GOPLUS_URL.to_string(),
            goplus_credentials: None,
            honeypot_url: DEFAULT_HONEYPOT_URL.to_string(),
            evm_chains: Chain::DEFAULT_EVM.to_vec(),
            cache_ttl: DEFAULT_CACHE_TTL,
            issuer_allowlist_extra: Vec::new(),
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

/// A setting that could not be used, named so the operator can fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RiskConfigError {
    #[error("{name} must be an http(s) URL, got {value:?}")]
    BadUrl { name: &'static str, value: String },
    #[error("SCAN_EVM_CHAINS: {0}")]
    BadChain(String),
    #[error("SCAN_EVM_CHAINS may only list EVM chains; {0} is not one")]
    NotEvm(Chain),
    #[error("SCAN_EVM_CHAINS must list at least one chain")]
    NoChains,
    #[error("SCAN_CACHE_TTL_SECONDS must be a whole number of seconds, got {0:?}")]
    BadTtl(String),
    #[error("RISK_ISSUER_ALLOWLIST: {0}")]
    BadAllowlist(#[from] IssuerParseError),
    #[error("{missing} must be set together with {set} (both come from the GoPlus dashboard)")]
    HalfCredentials {
        set: &'static str,
        missing: &'static str,
    },
}

impl RiskConfig {
    /// Reads the settings through `lookup` (e.g. `|name| std::env::var(name).ok()`); unset or
    /// blank variables keep their defaults.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<RiskConfig, RiskConfigError> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let mut config = RiskConfig::default();
        if let Some(url) = get("GOPLUS_API_URL") {
            config.goplus_url = checked_url("GOPLUS_API_URL", url)?;
        }
        if let Some(url) = get("HONEYPOT_API_URL") {
            config.honeypot_url = checked_url("HONEYPOT_API_URL", url)?;
        }
        config.goplus_credentials = match (get("GOPLUS_APP_KEY"), get("GOPLUS_APP_SECRET")) {
            (Some(key), Some(secret)) => Some(AppCredentials::new(key, secret)),
            (None, None) => None,
            (Some(_), None) => {
                return Err(RiskConfigError::HalfCredentials {
                    set: "GOPLUS_APP_KEY",
                    missing: "GOPLUS_APP_SECRET",
                });
            }
            (None, Some(_)) => {
                return Err(RiskConfigError::HalfCredentials {
                    set: "GOPLUS_APP_SECRET",
                    missing: "GOPLUS_APP_KEY",
                });
            }
        };
        if let Some(list) = get("SCAN_EVM_CHAINS") {
            let mut chains = Vec::new();
            for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let chain: Chain =
                    name.parse()
                        .map_err(|e: crate::risk::detect::UnknownChain| {
                            RiskConfigError::BadChain(e.to_string())
                        })?;
                if chain.evm_chain_id().is_none() {
                    return Err(RiskConfigError::NotEvm(chain));
                }
                if !chains.contains(&chain) {
                    chains.push(chain);
                }
            }
            if chains.is_empty() {
                return Err(RiskConfigError::NoChains);
            }
            config.evm_chains = chains;
        }
        if let Some(ttl) = get("SCAN_CACHE_TTL_SECONDS") {
            let seconds: u64 = ttl
                .parse()
                .map_err(|_| RiskConfigError::BadTtl(ttl.clone()))?;
            config.cache_ttl = Duration::from_secs(seconds);
        }
        if let Some(list) = get("RISK_ISSUER_ALLOWLIST") {
            config.issuer_allowlist_extra = Issuer::parse_list(&list)?;
        }
        Ok(config)
    }
}

fn checked_url(name: &'static str, value: String) -> Result<String, RiskConfigError> {
    if value.starts_with("http://") || value.starts_with("https://") {
        Ok(value.trim_end_matches('/').to_string())
    } else {
        Err(RiskConfigError::BadUrl { name, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&str, &str)]) -> Result<RiskConfig, RiskConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        RiskConfig::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_are_production() {
        let config = from(&[]).expect("defaults");
        assert_eq!(config.goplus_url, "https://api.gopluslabs.io");
        assert_eq!(config.honeypot_url, "https://api.honeypot.is");
        assert_eq!(config.cache_ttl, Duration::from_secs(300));
        assert_eq!(config.evm_chains, Chain::DEFAULT_EVM.to_vec());
        assert!(config.issuer_allowlist_extra.is_empty());
    }

    #[test]
    fn variables_override_defaults() {
        let config = from(&[
            ("GOPLUS_API_URL", "http://127.0.0.1:9/"),
            ("HONEYPOT_API_URL", "http://127.0.0.1:9"),
            ("SCAN_EVM_CHAINS", "bsc, 8453,bsc"),
            ("SCAN_CACHE_TTL_SECONDS", "60"),
            ("GOPLUS_APP_KEY", " key "),
            ("GOPLUS_APP_SECRET", "s3cr3t-value"),
            (
                "RISK_ISSUER_ALLOWLIST",
                "bsc:0xc5f0f7b66764F6ec8C8Dff7BA683102295E16409:FDUSD:First Digital",
            ),
        ])
        .expect("valid");
        assert_eq!(config.goplus_url, "http://127.0.0.1:9");
        assert_eq!(config.evm_chains, vec![Chain::Bsc, Chain::Base]);
        assert_eq!(config.cache_ttl, Duration::from_secs(60));
        assert_eq!(
            config.goplus_credentials,
            Some(AppCredentials::new("key", "s3cr3t-value"))
        );
        assert!(!format!("{config:?}").contains("s3cr3t"));
        assert_eq!(config.issuer_allowlist_extra.len(), 1);
    }

    #[test]
    fn bad_values_are_named() {
        assert!(matches!(
            from(&[("GOPLUS_API_URL", "api.gopluslabs.io")]),
            Err(RiskConfigError::BadUrl {
                name: "GOPLUS_API_URL",
                ..
            })
        ));
        assert!(matches!(
            from(&[("SCAN_EVM_CHAINS", "fantom")]),
            Err(RiskConfigError::BadChain(_))
        ));
        assert_eq!(
            from(&[("SCAN_EVM_CHAINS", "ethereum,solana")]).err(),
            Some(RiskConfigError::NotEvm(Chain::Solana))
        );
        assert_eq!(
            from(&[("SCAN_EVM_CHAINS", " , ")]).err(),
            Some(RiskConfigError::NoChains)
        );
        assert!(matches!(
            from(&[("SCAN_CACHE_TTL_SECONDS", "5m")]),
            Err(RiskConfigError::BadTtl(_))
        ));
        assert!(matches!(
            from(&[("RISK_ISSUER_ALLOWLIST", "nope")]),
            Err(RiskConfigError::BadAllowlist(_))
        ));
        assert_eq!(
            from(&[("GOPLUS_APP_KEY", "key")]).err(),
            Some(RiskConfigError::HalfCredentials {
                set: "GOPLUS_APP_KEY",
                missing: "GOPLUS_APP_SECRET"
            })
        );
    }
}
