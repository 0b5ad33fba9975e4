//! The networks tiltguard accepts payments on, and how their receiving addresses are written.
//!
//! Addresses are normalized once, when they enter the system (config, `--to`, explorer
//! responses), so every later comparison is a plain string equality.

use std::fmt;
use std::str::FromStr;

use alloy_primitives::Address;

/// A network a payment can arrive on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Chain {
    Ethereum,
    Tron,
    Solana,
}

impl Chain {
    pub const ALL: [Chain; 3] = [Chain::Ethereum, Chain::Tron, Chain::Solana];

    /// Stable lowercase id used in JSON, the database and the CLI (`--chain`).
    pub fn id(self) -> &'static str {
        match self {
            Chain::Ethereum => "ethereum",
            Chain::Tron => "tron",
            Chain::Solana => "solana",
        }
    }

    /// Name shown to people.
    pub fn display_name(self) -> &'static str {
        match self {
            Chain::Ethereum => "Ethereum",
            Chain::Tron => "TRON",
            Chain::Solana => "Solana",
        }
    }
}

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.display_name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown network {0:?}: use ethereum, tron or solana")]
pub struct UnknownChain(pub String);

impl FromStr for Chain {
    type Err = UnknownChain;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ethereum" | "eth" => Ok(Chain::Ethereum),
            "tron" | "trx" => Ok(Chain::Tron),
            "solana" | "sol" => Ok(Chain::Solana),
            _ => Err(UnknownChain(s.trim().to_string())),
        }
    }
}

/// Why a receiving address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("the address is empty")]
    Empty,
    #[error("{chain} addresses start with {expected}")]
    WrongShape {
        chain: Chain,
        expected: &'static str,
    },
    #[error("the Ethereum address has a wrong checksum (mixed case that does not match EIP-55)")]
    BadChecksum,
    #[error("the {chain} address is not valid: {detail}")]
    Invalid { chain: Chain, detail: String },
    #[error("not an Ethereum, TRON or Solana address")]
    UnknownFormat,
}

/// Validates `raw` as an address on `chain` and returns its canonical spelling:
/// EIP-55 checksummed hex for Ethereum, the base58 text itself for TRON and Solana
/// (base58 is case-sensitive, so there is only one spelling).
pub fn normalize_address(chain: Chain, raw: &str) -> Result<String, AddressError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(AddressError::Empty);
    }
    match chain {
        Chain::Ethereum => normalize_evm(raw),
        Chain::Tron => normalize_tron(raw),
        Chain::Solana => normalize_solana(raw),
    }
}

/// Guesses the network of an address from its shape; `None` when it fits none.
pub fn address_chain(raw: &str) -> Option<Chain> {
    Chain::ALL
        .into_iter()
        .find(|chain| normalize_address(*chain, raw).is_ok())
}

fn normalize_evm(raw: &str) -> Result<String, AddressError> {
    let hex = raw
        .strip_prefix("0x")
        .or_else(|| raw.strip_prefix("0X"))
        .ok_or(AddressError::WrongShape {
            chain: Chain::Ethereum,
            expected: "0x followed by 40 hex characters",
        })?;
    if hex.len() != 40 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AddressError::WrongShape {
            chain: Chain::Ethereum,
            expected: "0x followed by 40 hex characters",
        });
    }
    let has_upper = hex.bytes().any(|b| b.is_ascii_uppercase());
    let has_lower = hex.bytes().any(|b| b.is_ascii_lowercase());
    let address = if has_upper && has_lower {
        // Mixed case is a checksum claim; a typo in it must not silently pass.
        Address::parse_checksummed(format!("0x{hex}"), None)
            .map_err(|_| AddressError::BadChecksum)?
    } else {
        Address::from_str(hex).map_err(|e| AddressError::Invalid {
            chain: Chain::Ethereum,
            detail: e.to_string(),
        })?
    };
    Ok(address.to_checksum(None))
}

/// Canonical spelling of an address read from an explorer response.
pub fn evm_address_text(address: &Address) -> String {
    address.to_checksum(None)
}

fn normalize_tron(raw: &str) -> Result<String, AddressError> {
    if !raw.starts_with('T') {
        return Err(AddressError::WrongShape {
            chain: Chain::Tron,
            expected: "T (base58check, 34 characters)",
        });
    }
    let bytes =
        bs58::decode(raw)
            .with_check(None)
            .into_vec()
            .map_err(|e| AddressError::Invalid {
                chain: Chain::Tron,
                detail: e.to_string(),
            })?;
    // 0x41 is TRON's mainnet address prefix; 20 bytes of account id follow it.
    if bytes.len() != 21 || bytes[0] != 0x41 {
        return Err(AddressError::Invalid {
            chain: Chain::Tron,
            detail: "not a mainnet account address".into(),
        });
    }
    Ok(raw.to_string())
}

fn normalize_solana(raw: &str) -> Result<String, AddressError> {
    let bytes = bs58::decode(raw)
        .into_vec()
        .map_err(|e| AddressError::Invalid {
            chain: Chain::Solana,
            detail: e.to_string(),
        })?;
    if bytes.len() != 32 {
        return Err(AddressError::Invalid {
            chain: Chain::Solana,
            detail: format!("a public key is 32 bytes, this decodes to {}", bytes.len()),
        });
    }
    Ok(raw.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_parses_ids_and_short_names() {
        assert_eq!("Ethereum".parse::<Chain>().unwrap(), Chain::Ethereum);
        assert_eq!("trx".parse::<Chain>().unwrap(), Chain::Tron);
        assert_eq!(" sol ".parse::<Chain>().unwrap(), Chain::Solana);
        assert!("bsc".parse::<Chain>().is_err());
        for chain in Chain::ALL {
            assert_eq!(chain.id().parse::<Chain>().unwrap(), chain);
        }
    }

    #[test]
    fn evm_addresses_normalize_to_checksum() {
        let lower = "0xab6960a6511ff18ed8b8c012cb91c7f637947fc0";
        let normalized = normalize_address(Chain::Ethereum, lower).unwrap();
        assert_eq!(normalized.to_lowercase(), lower);
        assert_ne!(normalized, lower, "checksummed form has upper-case letters");
        // The checksummed form is accepted as is.
        assert_eq!(
            normalize_address(Chain::Ethereum, &normalized).unwrap(),
            normalized
        );
        assert_eq!(
            normalize_address(
                Chain::Ethereum,
                "0xdAC17F958D2ee523a2206206994597C13D831ec7"
            )
            .unwrap(),
            "0xdAC17F958D2ee523a2206206994597C13D831ec7"
        );
    }

    #[test]
    fn evm_mixed_case_with_a_wrong_checksum_is_refused() {
        assert_eq!(
            normalize_address(
                Chain::Ethereum,
                "0xDAC17F958D2ee523a2206206994597C13D831ec7"
            ),
            Err(AddressError::BadChecksum)
        );
        assert!(
            normalize_address(Chain::Ethereum, "0xab6960a6511ff18ed8b8c012cb91c7f637947f").is_err()
        );
        assert!(
            normalize_address(Chain::Ethereum, "ab6960a6511ff18ed8b8c012cb91c7f637947fc0").is_err()
        );
    }

    #[test]
    fn tron_addresses_need_a_valid_checksum() {
        let good = "TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H";
        assert_eq!(normalize_address(Chain::Tron, good).unwrap(), good);
        // One character changed breaks the base58check checksum.
        assert!(normalize_address(Chain::Tron, "TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2J").is_err());
        assert!(
            normalize_address(Chain::Tron, "0xab6960a6511ff18ed8b8c012cb91c7f637947fc0").is_err()
        );
    }

    #[test]
    fn solana_addresses_are_32_byte_keys() {
        let owner = "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui";
        assert_eq!(normalize_address(Chain::Solana, owner).unwrap(), owner);
        assert!(normalize_address(Chain::Solana, "3i476kTBBTy7pBGx4CXwJ").is_err());
        assert!(normalize_address(Chain::Solana, "0OIl").is_err());
    }

    #[test]
    fn address_shape_tells_the_chain() {
        assert_eq!(
            address_chain("0xab6960a6511ff18ed8b8c012cb91c7f637947fc0"),
            Some(Chain::Ethereum)
        );
        assert_eq!(
            address_chain("TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H"),
            Some(Chain::Tron)
        );
        assert_eq!(
            address_chain("3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui"),
            Some(Chain::Solana)
        );
        assert_eq!(address_chain("hello"), None);
    }
}
