//! Recognised issuers: well-known tokens whose contracts keep controls by design (a
//! stablecoin issuer can freeze, a bridged token can be upgraded). Their controls are
//! reported as `info` with the reason, so a trader isn't told USDC is a scam.
//!
//! Keyed by (chain, address), never by symbol: anyone can deploy a token called "USDC".

use std::collections::HashMap;

use super::{Checklist, FlagId, Outcome, Severity};
use crate::risk::detect::{Chain, detect};

/// Why an issuer keeps its controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuerKind {
    Stablecoin,
    WrappedNative,
    /// Added by the operator through configuration.
    Vetted,
}

impl IssuerKind {
    fn rationale(self) -> &'static str {
        match self {
            IssuerKind::Stablecoin => "a regulated stablecoin",
            IssuerKind::WrappedNative => "a wrapped native coin",
            IssuerKind::Vetted => "a token this bot's operator has vetted",
        }
    }
}

/// One recognised token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    pub chain: Chain,
    /// Canonical form (lowercase hex for EVM, exact base58 otherwise).
    pub address: String,
    pub symbol: String,
    pub issuer: String,
    pub kind: IssuerKind,
}

impl Issuer {
    fn note(&self) -> String {
        match self.kind {
            IssuerKind::Stablecoin => format!(
                "Recognised token: {} is {}'s stablecoin, and its issuer controls are there by design",
                self.symbol, self.issuer
            ),
            IssuerKind::WrappedNative => format!(
                "Recognised token: {} is the canonical wrapped-coin contract, backed 1:1 by the coin it wraps",
                self.symbol
            ),
            IssuerKind::Vetted => format!(
                "Recognised token: {} ({}) is on this bot's list of vetted tokens",
                self.symbol, self.issuer
            ),
        }
    }

    /// "Circle can freeze USDC; this is by design for a regulated stablecoin".
    fn control_sentence(&self, id: FlagId) -> Option<String> {
        let symbol = &self.symbol;
        let action = match id {
            FlagId::FreezeAuthority => format!("freeze {symbol}"),
            FlagId::Blacklist => format!("blacklist wallets holding {symbol}"),
            FlagId::Proxy => format!("upgrade the {symbol} contract"),
            FlagId::Mintable | FlagId::MintAuthority => format!("mint new {symbol}"),
            FlagId::TransferPausable => format!("pause {symbol} transfers"),
            FlagId::MetadataMutable => format!("update {symbol}'s name and logo"),
            FlagId::OwnerCanChangeBalance => {
                format!("destroy {symbol} held by blacklisted wallets")
            }
            FlagId::SlippageModifiable => format!("switch on a capped transfer fee for {symbol}"),
            _ => return None,
        };
        Some(format!(
            "{} can {action}; this is by design for {}",
            self.issuer,
            self.kind.rationale()
        ))
    }
}

/// Built-in entries: (chain, address as published, symbol, issuer, kind).
const DEFAULTS: &[(Chain, &str, &str, &str, IssuerKind)] = {
    use Chain::*;
    use IssuerKind::*;
    &[
        (
            Ethereum,
            "0xdAC17F958D2ee523a2206206994597C13D831ec7",
            "USDT",
            "Tether",
            Stablecoin,
        ),
        (
            Ethereum,
            "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
            "USDC",
            "Circle",
            Stablecoin,
        ),
        (
            Ethereum,
            "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
            "WETH",
            "WETH9",
            WrappedNative,
        ),
        (
            Bsc,
            "0x55d398326f99059fF775485246999027B3197955",
            "USDT",
            "Binance",
            Stablecoin,
        ),
        (
            Bsc,
            "0x8AC76a51cc950d9822D68b83fE1Ad97B32Cd580d",
            "USDC",
            "Binance",
            Stablecoin,
        ),
        (
            Bsc,
            "0xbb4CdB9CBd36B01bD1cBaEBF2De08d9173bc095c",
            "WBNB",
            "WBNB",
            WrappedNative,
        ),
        (
            Base,
            "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
            "USDC",
            "Circle",
            Stablecoin,
        ),
        (
            Base,
            "0x4200000000000000000000000000000000000006",
            "WETH",
            "Base",
            WrappedNative,
        ),
        (
            Arbitrum,
            "0xaf88d065e77c8cC2239327C5EDb3A432268e5831",
            "USDC",
            "Circle",
            Stablecoin,
        ),
        (
            Arbitrum,
            "0xFd086bC7CD5C481DCC9C85ebE478A1C0b69FCbb9",
            "USDT",
            "Tether",
            Stablecoin,
        ),
        (
            Arbitrum,
            "0x82aF49447D8a07e3bd95BD0d56f35241523fBab1",
            "WETH",
            "Arbitrum",
            WrappedNative,
        ),
        (
            Polygon,
            "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359",
            "USDC",
            "Circle",
            Stablecoin,
        ),
        (
            Polygon,
            "0xc2132D05D31c914a87C6611C10748AEb04B58e8F",
            "USDT",
            "Tether",
            Stablecoin,
        ),
        (
            Optimism,
            "0x0b2C639c533813f4Aa9D7837CAf62653d097Ff85",
            "USDC",
            "Circle",
            Stablecoin,
        ),
        (
            Optimism,
            "0x94b008aA00579c1307B0EF2c499aD98a8ce58e58",
            "USDT",
            "Tether",
            Stablecoin,
        ),
        (
            Optimism,
            "0x4200000000000000000000000000000000000006",
            "WETH",
            "Optimism",
            WrappedNative,
        ),
        (
            Avalanche,
            "0xB97EF9Ef8734C71904D8002F8b6Bc66Dd9c48a6E",
            "USDC",
            "Circle",
            Stablecoin,
        ),
        (
            Avalanche,
            "0x9702230A8Ea53601f5cD2dc00fDBc13d4dF4A8c7",
            "USDT",
            "Tether",
            Stablecoin,
        ),
        (
            Avalanche,
            "0xB31f66AA3C1e785363F0875A1B74E27b85FD66c7",
            "WAVAX",
            "WAVAX",
            WrappedNative,
        ),
        (
            Solana,
            "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
            "USDC",
            "Circle",
            Stablecoin,
        ),
        (
            Solana,
            "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB",
            "USDT",
            "Tether",
            Stablecoin,
        ),
        (
            Solana,
            "So11111111111111111111111111111111111111112",
            "wSOL",
            "Solana",
            WrappedNative,
        ),
        (
            Tron,
            "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
            "USDT",
            "Tether",
            Stablecoin,
        ),
    ]
};

/// A bad `chain:address:SYMBOL:Issuer` entry in the configured allowlist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("issuer allowlist entry {entry:?}: {reason}")]
pub struct IssuerParseError {
    pub entry: String,
    pub reason: String,
}

impl Issuer {
    /// Parses `chain:address:SYMBOL:Issuer name` entries separated by commas, as used by the
    /// allowlist setting, e.g. `bsc:0x…:FDUSD:First Digital,solana:…:PYUSD:Paxos`.
    pub fn parse_list(text: &str) -> Result<Vec<Issuer>, IssuerParseError> {
        text.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(Issuer::parse_one)
            .collect()
    }

    fn parse_one(entry: &str) -> Result<Issuer, IssuerParseError> {
        let fail = |reason: &str| IssuerParseError {
            entry: entry.to_string(),
            reason: reason.to_string(),
        };
        let mut parts = entry.splitn(4, ':').map(str::trim);
        let (Some(chain), Some(address), Some(symbol), Some(issuer)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(fail("expected chain:address:SYMBOL:Issuer"));
        };
        let chain: Chain = chain.parse().map_err(|_| fail("unknown chain"))?;
        let kind = detect(address).map_err(|error| fail(&error.to_string()))?;
        if !kind.fits(chain) {
            return Err(fail("the address does not belong to that chain"));
        }
        if symbol.is_empty() || issuer.is_empty() {
            return Err(fail("symbol and issuer must not be empty"));
        }
        Ok(Issuer {
            chain,
            address: kind.canonical(),
            symbol: symbol.to_string(),
            issuer: issuer.to_string(),
            kind: IssuerKind::Vetted,
        })
    }
}

/// The recognised tokens, looked up by (chain, canonical address).
#[derive(Debug, Clone)]
pub struct IssuerAllowlist {
    entries: HashMap<(Chain, String), Issuer>,
}

impl Default for IssuerAllowlist {
    fn default() -> Self {
        let entries = DEFAULTS
            .iter()
            .filter_map(|(chain, address, symbol, issuer, kind)| {
                let canonical = detect(address).ok()?.canonical();
                Some(Issuer {
                    chain: *chain,
                    address: canonical,
                    symbol: (*symbol).to_string(),
                    issuer: (*issuer).to_string(),
                    kind: *kind,
                })
            })
            .map(|issuer| ((issuer.chain, issuer.address.clone()), issuer))
            .collect();
        IssuerAllowlist { entries }
    }
}

impl IssuerAllowlist {
    /// The defaults plus the operator's entries (which win on a clash).
    pub fn with_extra(extra: impl IntoIterator<Item = Issuer>) -> Self {
        let mut list = IssuerAllowlist::default();
        for issuer in extra {
            list.entries
                .insert((issuer.chain, issuer.address.clone()), issuer);
        }
        list
    }

    pub fn lookup(&self, chain: Chain, canonical_address: &str) -> Option<&Issuer> {
        self.entries.get(&(chain, canonical_address.to_string()))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Rewrites issuer controls as `info` with the issuer's reason and adds the recognition note.
pub(super) fn apply(list: &mut Checklist, issuer: &Issuer) {
    for flag in &mut list.flags {
        if let Some(sentence) = issuer.control_sentence(flag.id) {
            flag.severity = Severity::Info;
            flag.detail = sentence;
        }
    }
    for check in &mut list.checks {
        if matches!(check.outcome, Outcome::Flagged(_))
            && let Some(sentence) = issuer.control_sentence(check.id)
        {
            check.outcome = Outcome::Flagged(Severity::Info);
            check.detail = sentence;
        }
    }
    list.note(FlagId::RecognisedIssuer, Severity::Info, issuer.note());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_address_is_valid_and_checksummed() {
        for (chain, address, symbol, ..) in DEFAULTS {
            let kind = detect(address).unwrap_or_else(|e| panic!("{symbol} on {chain}: {e}"));
            assert!(kind.fits(*chain), "{symbol} on {chain}");
            if address.starts_with("0x") {
                assert_eq!(
                    &kind.display(),
                    address,
                    "{symbol} on {chain} is not EIP-55"
                );
            }
        }
        assert_eq!(IssuerAllowlist::default().len(), DEFAULTS.len());
    }

    #[test]
    fn lookup_is_by_chain_and_address_not_symbol() {
        let list = IssuerAllowlist::default();
        let usdc = list
            .lookup(
                Chain::Ethereum,
                "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
            )
            .expect("USDC is recognised");
        assert_eq!(usdc.issuer, "Circle");
        // The same address on another chain is somebody else's contract.
        assert!(
            list.lookup(Chain::Bsc, "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48")
                .is_none()
        );
        assert!(
            list.lookup(Chain::Tron, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
                .is_some()
        );
    }

    #[test]
    fn control_sentences_explain_the_design() {
        let list = IssuerAllowlist::default();
        let usdc = list
            .lookup(
                Chain::Solana,
                "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v",
            )
            .expect("USDC on Solana");
        assert_eq!(
            usdc.control_sentence(FlagId::FreezeAuthority).as_deref(),
            Some("Circle can freeze USDC; this is by design for a regulated stablecoin")
        );
        assert_eq!(usdc.control_sentence(FlagId::Honeypot), None);
    }

    #[test]
    fn configured_entries_parse_and_validate() {
        let parsed = Issuer::parse_list(
            "bsc:0xc5f0f7b66764F6ec8C8Dff7BA683102295E16409:FDUSD:First Digital, \
             solana:2b1kV6DkPAnxd5ixfnxCpjxmKwqjjaYmCZfHsFu24GXo:PYUSD:Paxos",
        )
        .expect("valid entries");
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed[0].chain, Chain::Bsc);
        assert_eq!(
            parsed[0].address,
            "0xc5f0f7b66764f6ec8c8dff7ba683102295e16409"
        );
        assert_eq!(parsed[1].issuer, "Paxos");
        assert!(Issuer::parse_list("").expect("empty is fine").is_empty());

        for bad in [
            "fantom:0xc5f0f7b66764F6ec8C8Dff7BA683102295E16409:X:Y",
            "solana:0xc5f0f7b66764F6ec8C8Dff7BA683102295E16409:X:Y",
            "bsc:0xC5f0f7b66764F6ec8C8Dff7BA683102295E16409:X:Y",
            "bsc:0xc5f0f7b66764F6ec8C8Dff7BA683102295E16409",
            "bsc:0xc5f0f7b66764F6ec8C8Dff7BA683102295E16409::Y",
        ] {
            assert!(Issuer::parse_list(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn operator_entries_are_looked_up() {
        let extra = Issuer::parse_list("base:0x50c5725949A6F0c72E6C4a641F24049A917DB0Cb:DAI:Sky")
            .expect("valid");
        let list = IssuerAllowlist::with_extra(extra);
        assert_eq!(list.len(), DEFAULTS.len() + 1);
        let dai = list
            .lookup(Chain::Base, "0x50c5725949a6f0c72e6c4a641f24049a917db0cb")
            .expect("added");
        assert_eq!(dai.kind, IssuerKind::Vetted);
    }
}
