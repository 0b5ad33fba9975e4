//! Address and chain detection: which chain family a pasted address belongs to, and the
//! stable chain names used everywhere (bot, CLI, JSON).
//!
//! Pure: no I/O. EVM addresses are checked against EIP-55 when their case is mixed, TRON
//! addresses against their base58check checksum, Solana addresses by decoding to 32 bytes.

use std::fmt;
use std::str::FromStr;

use alloy_primitives::Address;
use serde::{Deserialize, Serialize};

/// A chain the risk radar can scan. The serde and `name()` spelling is the stable one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Chain {
    Ethereum,
    Bsc,
    Base,
    Arbitrum,
    Polygon,
    Optimism,
    Avalanche,
    Solana,
    Tron,
}

/// The families that share an address format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChainFamily {
    Evm,
    Solana,
    Tron,
}

impl Chain {
    pub const ALL: [Chain; 9] = [
        Chain::Ethereum,
        Chain::Bsc,
        Chain::Base,
        Chain::Arbitrum,
        Chain::Polygon,
        Chain::Optimism,
        Chain::Avalanche,
        Chain::Solana,
        Chain::Tron,
    ];

    /// The EVM chains scanned when an `0x` address comes without a chain, in this order.
    pub const DEFAULT_EVM: [Chain; 7] = [
        Chain::Ethereum,
        Chain::Bsc,
        Chain::Base,
        Chain::Arbitrum,
        Chain::Polygon,
        Chain::Optimism,
        Chain::Avalanche,
    ];

    /// Stable lowercase name, accepted back by [`Chain::from_str`].
    pub fn name(self) -> &'static str {
        match self {
            Chain::Ethereum => "ethereum",
            Chain::Bsc => "bsc",
            Chain::Base => "base",
            Chain::Arbitrum => "arbitrum",
            Chain::Polygon => "polygon",
            Chain::Optimism => "optimism",
            Chain::Avalanche => "avalanche",
            Chain::Solana => "solana",
            Chain::Tron => "tron",
        }
    }

    /// Human name for messages.
    pub fn display_name(self) -> &'static str {
        match self {
            Chain::Ethereum => "Ethereum",
            Chain::Bsc => "BNB Chain",
            Chain::Base => "Base",
            Chain::Arbitrum => "Arbitrum",
            Chain::Polygon => "Polygon",
            Chain::Optimism => "Optimism",
            Chain::Avalanche => "Avalanche",
            Chain::Solana => "Solana",
            Chain::Tron => "TRON",
        }
    }

    /// EIP-155 chain id for EVM chains.
    pub fn evm_chain_id(self) -> Option<u64> {
        match self {
            Chain::Ethereum => Some(1),
            Chain::Bsc => Some(56),
            Chain::Base => Some(8453),
            Chain::Arbitrum => Some(42161),
            Chain::Polygon => Some(137),
            Chain::Optimism => Some(10),
            Chain::Avalanche => Some(43114),
            Chain::Solana | Chain::Tron => None,
        }
    }

    pub fn family(self) -> ChainFamily {
        match self {
            Chain::Solana => ChainFamily::Solana,
            Chain::Tron => ChainFamily::Tron,
            _ => ChainFamily::Evm,
        }
    }

    /// Inverse of [`Chain::evm_chain_id`].
    pub fn from_evm_chain_id(id: u64) -> Option<Chain> {
        Chain::ALL
            .into_iter()
            .find(|chain| chain.evm_chain_id() == Some(id))
    }
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A chain name or id the user typed that we do not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "I don't know the chain \"{0}\". Use one of: ethereum, bsc, base, arbitrum, polygon, optimism, avalanche, solana, tron (or a chain id like 56)."
)]
pub struct UnknownChain(pub String);

impl FromStr for Chain {
    type Err = UnknownChain;

    /// Accepts the stable names, common aliases and EVM chain ids.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let lowered = input.trim().to_ascii_lowercase();
        if let Ok(id) = lowered.parse::<u64>() {
            return Chain::from_evm_chain_id(id).ok_or_else(|| UnknownChain(input.to_string()));
        }
        let chain = match lowered.as_str() {
            "ethereum" | "eth" | "mainnet" => Chain::Ethereum,
            "bsc" | "bnb" | "binance" | "bnbchain" | "bnb-chain" => Chain::Bsc,
            "base" => Chain::Base,
            "arbitrum" | "arb" | "arbitrum-one" => Chain::Arbitrum,
            "polygon" | "matic" | "pol" => Chain::Polygon,
            "optimism" | "op" => Chain::Optimism,
            "avalanche" | "avax" | "avalanche-c" => Chain::Avalanche,
            "solana" | "sol" => Chain::Solana,
            "tron" | "trx" => Chain::Tron,
            _ => return Err(UnknownChain(input.to_string())),
        };
        Ok(chain)
    }
}

/// What a pasted address turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressKind {
    /// `0x` + 40 hex; the chain still has to be found.
    Evm(Address),
    /// Base58 that decodes to a 32-byte public key.
    Solana(String),
    /// `T…` base58check of a 21-byte payload starting with 0x41.
    Tron(String),
}

impl AddressKind {
    pub fn family(&self) -> ChainFamily {
        match self {
            AddressKind::Evm(_) => ChainFamily::Evm,
            AddressKind::Solana(_) => ChainFamily::Solana,
            AddressKind::Tron(_) => ChainFamily::Tron,
        }
    }

    /// The form shown to users: EIP-55 for EVM, unchanged base58 otherwise.
    pub fn display(&self) -> String {
        match self {
            AddressKind::Evm(address) => address.to_checksum(None),
            AddressKind::Solana(text) | AddressKind::Tron(text) => text.clone(),
        }
    }

    /// The form used as a cache key and upstream query: lowercase hex for EVM (GoPlus keys
    /// its results that way), exact text for base58 (which is case-sensitive).
    pub fn canonical(&self) -> String {
        match self {
            AddressKind::Evm(address) => format!("{address:#x}"),
            AddressKind::Solana(text) | AddressKind::Tron(text) => text.clone(),
        }
    }

    /// Whether an address of this kind can live on `chain`.
    pub fn fits(&self, chain: Chain) -> bool {
        self.family() == chain.family()
    }
}

/// Why a pasted text is not a usable token address. Messages are written for the trader.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetectError {
    #[error("Send me a token contract address to scan.")]
    Empty,
    #[error(
        "That 0x address has a typo: its capital letters don't match its EIP-55 checksum. Copy it again from the explorer."
    )]
    BadChecksum,
    #[error("An 0x address has exactly 40 hex characters after 0x; this one has {0}.")]
    WrongEvmLength(usize),
    #[error("That 0x address contains characters that are not hex (0-9, a-f).")]
    NotHex,
    #[error("That looks like a transaction hash, not a token address.")]
    LooksLikeTxHash,
    #[error("That looks like an EVM address without its 0x prefix. Add 0x in front and try again.")]
    MissingHexPrefix,
    #[error(
        "That TRON address has a typo: its built-in checksum doesn't match. Copy it again from the explorer."
    )]
    BadTronChecksum,
    #[error(
        "I can't read that as a token address. I understand 0x addresses (EVM chains), Solana mint addresses and TRON T… addresses."
    )]
    Unrecognised,
}

const TRON_PREFIX: u8 = 0x41;
const TRON_PAYLOAD_LEN: usize = 21;
const TRON_TEXT_LEN: usize = 34;
const SOLANA_KEY_LEN: usize = 32;

/// Works out which chain family `input` belongs to, validating its checksum.
pub fn detect(input: &str) -> Result<AddressKind, DetectError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(DetectError::Empty);
    }
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return detect_evm(hex);
    }
    if text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(DetectError::MissingHexPrefix);
    }
    detect_base58(text)
}

fn detect_evm(hex: &str) -> Result<AddressKind, DetectError> {
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(DetectError::NotHex);
    }
    match hex.len() {
        40 => {}
        64 => return Err(DetectError::LooksLikeTxHash),
        other => return Err(DetectError::WrongEvmLength(other)),
    }
    let has_lower = hex.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = hex.bytes().any(|b| b.is_ascii_uppercase());
    let with_prefix = format!("0x{hex}");
    let address = if has_lower && has_upper {
        // Mixed case is a claim of an EIP-55 checksum, so it must hold.
        Address::parse_checksummed(&with_prefix, None).map_err(|_| DetectError::BadChecksum)?
    } else {
        with_prefix
            .parse::<Address>()
            .map_err(|_| DetectError::NotHex)?
    };
    Ok(AddressKind::Evm(address))
}

fn detect_base58(text: &str) -> Result<AddressKind, DetectError> {
    let bytes = bs58::decode(text)
        .into_vec()
        .map_err(|_| DetectError::Unrecognised)?;
    if text.starts_with('T') && text.len() == TRON_TEXT_LEN && bytes.len() == TRON_PAYLOAD_LEN + 4 {
        let payload = bs58::decode(text)
            .with_check(None)
            .into_vec()
            .map_err(|_| DetectError::BadTronChecksum)?;
        if payload.len() == TRON_PAYLOAD_LEN && payload[0] == TRON_PREFIX {
            return Ok(AddressKind::Tron(text.to_string()));
        }
        return Err(DetectError::Unrecognised);
    }
    if bytes.len() == SOLANA_KEY_LEN {
        return Ok(AddressKind::Solana(text.to_string()));
    }
    Err(DetectError::Unrecognised)
}

#[cfg(test)]
mod tests {
    use super::*;

    const WETH: &str = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
    const USDT_ETH: &str = "0xdAC17F958D2ee523a2206206994597C13D831ec7";
    const USDC_ETH: &str = "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48";
    const USDC_SOL: &str = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
    const USDT_SOL: &str = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB";
    const TOES_SOL: &str = "6ehEcTMCc85aNF4x9CWx8HuvWGhxQtvKdhKVf2HDpump";
    const USDT_TRON: &str = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";

    fn family_of(input: &str) -> Result<ChainFamily, DetectError> {
        detect(input).map(|kind| kind.family())
    }

    #[test]
    fn detection_table() {
        let table: &[(&str, Result<ChainFamily, DetectError>)] = &[
            // Checksummed, all-lower and all-upper EVM addresses.
            (WETH, Ok(ChainFamily::Evm)),
            (USDT_ETH, Ok(ChainFamily::Evm)),
            (USDC_ETH, Ok(ChainFamily::Evm)),
            (
                "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2",
                Ok(ChainFamily::Evm),
            ),
            (
                "0xC02AAA39B223FE8D0A0E5C4F27EAD9083C756CC2",
                Ok(ChainFamily::Evm),
            ),
            (
                "0x4e7e15a6b83718ba79674cc4ce09f7d4a631ec2c",
                Ok(ChainFamily::Evm),
            ),
            // One letter's case flipped: the checksum catches the typo.
            (
                "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756cC2",
                Err(DetectError::BadChecksum),
            ),
            (
                "0xdac17F958D2ee523a2206206994597C13D831ec7",
                Err(DetectError::BadChecksum),
            ),
            (
                "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756C",
                Err(DetectError::WrongEvmLength(38)),
            ),
            (
                "0xZ02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2",
                Err(DetectError::NotHex),
            ),
            (
                "0x2e07c690f149223e4f290986277304ea6a05c6ee47ba303732166bc1b15cbafb",
                Err(DetectError::LooksLikeTxHash),
            ),
            (
                "c02aaa39b223fe8d0a0e5c4f27ead9083c756cc2",
                Err(DetectError::MissingHexPrefix),
            ),
            // Solana mints.
            (USDC_SOL, Ok(ChainFamily::Solana)),
            (USDT_SOL, Ok(ChainFamily::Solana)),
            (TOES_SOL, Ok(ChainFamily::Solana)),
            (
                "So11111111111111111111111111111111111111112",
                Ok(ChainFamily::Solana),
            ),
            // A Solana address with a character outside the base58 alphabet (0).
            (
                "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt10",
                Err(DetectError::Unrecognised),
            ),
            // Too short to be a 32-byte key.
            ("EPjFWdd5AufqSSqeM2qN1xzyb", Err(DetectError::Unrecognised)),
            // TRON.
            (USDT_TRON, Ok(ChainFamily::Tron)),
            (
                "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u",
                Err(DetectError::BadTronChecksum),
            ),
            ("", Err(DetectError::Empty)),
            ("   ", Err(DetectError::Empty)),
            ("hello there", Err(DetectError::Unrecognised)),
        ];
        for (input, expected) in table {
            assert_eq!(&family_of(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn whitespace_around_an_address_is_ignored() {
        assert_eq!(family_of(&format!("  {WETH}\n")), Ok(ChainFamily::Evm));
    }

    #[test]
    fn evm_display_is_checksummed_and_canonical_is_lowercase() {
        let kind = detect("0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2").expect("valid");
        assert_eq!(kind.display(), WETH);
        assert_eq!(
            kind.canonical(),
            "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2"
        );
    }

    #[test]
    fn base58_addresses_keep_their_case() {
        let kind = detect(USDC_SOL).expect("valid");
        assert_eq!(kind.canonical(), USDC_SOL);
        assert_eq!(kind.display(), USDC_SOL);
    }

    #[test]
    fn chain_names_and_ids_parse() {
        let table = [
            ("ethereum", Chain::Ethereum),
            ("1", Chain::Ethereum),
            ("ETH", Chain::Ethereum),
            ("bsc", Chain::Bsc),
            ("56", Chain::Bsc),
            ("bnb", Chain::Bsc),
            ("base", Chain::Base),
            ("8453", Chain::Base),
            ("arbitrum", Chain::Arbitrum),
            ("42161", Chain::Arbitrum),
            ("polygon", Chain::Polygon),
            ("137", Chain::Polygon),
            ("optimism", Chain::Optimism),
            ("10", Chain::Optimism),
            ("avalanche", Chain::Avalanche),
            ("43114", Chain::Avalanche),
            ("solana", Chain::Solana),
            ("tron", Chain::Tron),
            (" Tron ", Chain::Tron),
        ];
        for (text, chain) in table {
            assert_eq!(text.parse::<Chain>(), Ok(chain), "input {text:?}");
        }
        assert!("fantom".parse::<Chain>().is_err());
        assert!("250".parse::<Chain>().is_err());
    }

    #[test]
    fn every_chain_name_round_trips() {
        for chain in Chain::ALL {
            assert_eq!(chain.name().parse::<Chain>(), Ok(chain));
            let json = serde_json::to_string(&chain).expect("serialise");
            assert_eq!(json, format!("\"{}\"", chain.name()));
        }
    }

    #[test]
    fn addresses_only_fit_chains_of_their_family() {
        let evm = detect(WETH).expect("valid");
        assert!(evm.fits(Chain::Bsc));
        assert!(!evm.fits(Chain::Solana));
        let tron = detect(USDT_TRON).expect("valid");
        assert!(tron.fits(Chain::Tron));
        assert!(!tron.fits(Chain::Ethereum));
    }

    #[test]
    fn errors_read_as_kind_sentences() {
        let message = DetectError::BadChecksum.to_string();
        assert!(message.contains("typo"), "{message}");
        assert!(UnknownChain("fantom".into()).to_string().contains("bsc"));
    }
}
