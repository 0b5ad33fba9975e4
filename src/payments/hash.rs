//! Transaction-hash detection: which network a pasted hash belongs to.
//!
//! - `0x` + 64 hex: an EVM transaction (Ethereum).
//! - 64 hex without `0x`: a TRON transaction id, or an Ethereum hash whose `0x` got lost
//!   in copy-paste. Both are returned; the verifier keeps the one that pays us.
//! - base58 that decodes to 64 bytes: a Solana signature.
//!
//! People paste explorer links too, so the last path segment of a link is used.

use std::fmt;

use super::chain::Chain;

/// A transaction on one network, hash in canonical form (lowercase hex with `0x` for
/// Ethereum, lowercase hex for TRON, base58 for Solana).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TxRef {
    pub chain: Chain,
    pub hash: String,
}

impl fmt::Display for TxRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.chain.id(), self.hash)
    }
}

/// What a hash can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetectedHash {
    Single(TxRef),
    /// 64 hex characters: TRON's format, or Ethereum's without the `0x`.
    TronOrEthereum {
        tron: TxRef,
        ethereum: TxRef,
    },
}

impl DetectedHash {
    /// The candidates, TRON first for bare hex because that is its native spelling.
    pub fn candidates(&self) -> Vec<TxRef> {
        match self {
            DetectedHash::Single(tx) => vec![tx.clone()],
            DetectedHash::TronOrEthereum { tron, ethereum } => vec![tron.clone(), ethereum.clone()],
        }
    }

    pub fn on_chain(&self, chain: Chain) -> Option<TxRef> {
        self.candidates().into_iter().find(|tx| tx.chain == chain)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    #[error("no transaction hash given")]
    Empty,
    #[error("a hex transaction hash has 64 characters after 0x, this one has {len}")]
    WrongHexLength { len: usize },
    #[error("the hash contains characters that are not hex")]
    NotHex,
    #[error("a Solana signature is 64 bytes, this decodes to {bytes}")]
    WrongSignatureLength { bytes: usize },
    #[error(
        "expected 0x and 64 hex characters (Ethereum and other EVM \
         chains), 64 hex characters (TRON) or a base58 Solana signature (87-88 characters), \
         or an explorer link to one"
    )]
    Unrecognized,
}

impl HashError {
    /// One kind sentence for the chat.
    pub fn user_message(&self) -> &'static str {
        match self {
            HashError::Empty => {
                "Please add your transaction hash after the command: /verify followed by the hash."
            }
            HashError::WrongHexLength { .. } | HashError::NotHex => {
                "That hash looks cut off or mistyped: an Ethereum hash is 0x plus 64 hex characters, a TRON hash is 64 hex characters. Please copy it again from your wallet."
            }
            HashError::WrongSignatureLength { .. } => {
                "That looks like a Solana value but not a transaction signature (they are 87–88 characters). Please copy the signature from your wallet or explorer."
            }
            HashError::Unrecognized => {
                "I couldn't recognise that as a transaction hash. Please paste the hash (or the explorer link) of your payment."
            }
        }
    }
}

/// Detects the network(s) of a pasted transaction hash or explorer link.
pub fn detect_tx_hash(input: &str) -> Result<DetectedHash, HashError> {
    let token = last_link_segment(input.trim());
    if token.is_empty() {
        return Err(HashError::Empty);
    }
    if let Some(hex) = token
        .strip_prefix("0x")
        .or_else(|| token.strip_prefix("0X"))
    {
        check_hex(hex)?;
        return Ok(DetectedHash::Single(TxRef {
            chain: Chain::Ethereum,
            hash: format!("0x{}", hex.to_ascii_lowercase()),
        }));
    }
    if token.bytes().all(|b| b.is_ascii_hexdigit()) && token.len() < 80 {
        // Base58 signatures are 87–88 characters, so shorter all-hex input is meant as hex.
        check_hex(token)?;
        let hex = token.to_ascii_lowercase();
        return Ok(DetectedHash::TronOrEthereum {
            ethereum: TxRef {
                chain: Chain::Ethereum,
                hash: format!("0x{hex}"),
            },
            tron: TxRef {
                chain: Chain::Tron,
                hash: hex,
            },
        });
    }
    match bs58::decode(token).into_vec() {
        Ok(bytes) if bytes.len() == 64 => Ok(DetectedHash::Single(TxRef {
            chain: Chain::Solana,
            hash: token.to_string(),
        })),
        // A wallet address (32 bytes) or a signature with characters lost: Solana-shaped.
        Ok(bytes) if bytes.len() == 32 || token.len() >= 80 => {
            Err(HashError::WrongSignatureLength { bytes: bytes.len() })
        }
        // A short word that happens to be valid base58 ("nothash") is no Solana value.
        Ok(_) | Err(_) => Err(HashError::Unrecognized),
    }
}

fn check_hex(hex: &str) -> Result<(), HashError> {
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(HashError::NotHex);
    }
    if hex.len() != 64 {
        return Err(HashError::WrongHexLength { len: hex.len() });
    }
    Ok(())
}

/// "https://explorer/tx/0xabc?x=1#y" → "0xabc"; plain text is returned unchanged.
fn last_link_segment(input: &str) -> &str {
    if !input.contains('/') {
        return input;
    }
    let without_query = input.split(['?']).next().unwrap_or(input);
    without_query
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(without_query)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ETH: &str = "0xadb8aec59e80db99811ac4a0235efa3e45da32928bcff557998552250fa672eb";
    const TRON: &str = "f6301aa72e56f09b054baf0aa2018d3d213cfce30171fb5bcf37b1493e3b8b28";
    const SOL: &str =
        "2S2rTZjaqzxYRw9mnqzwtyqitKtSsnE8GVqLn1KrD5R2YpXZnU4GdjppsgfSAbrzJfaqadfi8CtrqEBy588WVQ3E";

    fn single(chain: Chain, hash: &str) -> DetectedHash {
        DetectedHash::Single(TxRef {
            chain,
            hash: hash.to_string(),
        })
    }

    #[test]
    fn detection_table() {
        let upper_eth = format!("0X{}", ETH[2..].to_ascii_uppercase());
        let cases: Vec<(&str, Result<DetectedHash, HashError>)> = vec![
            (ETH, Ok(single(Chain::Ethereum, ETH))),
            (&upper_eth, Ok(single(Chain::Ethereum, ETH))),
            (
                TRON,
                Ok(DetectedHash::TronOrEthereum {
                    tron: TxRef {
                        chain: Chain::Tron,
                        hash: TRON.into(),
                    },
                    ethereum: TxRef {
                        chain: Chain::Ethereum,
                        hash: format!("0x{TRON}"),
                    },
                }),
            ),
            (SOL, Ok(single(Chain::Solana, SOL))),
            ("", Err(HashError::Empty)),
            ("   ", Err(HashError::Empty)),
            (&ETH[..60], Err(HashError::WrongHexLength { len: 58 })),
            (&TRON[..63], Err(HashError::WrongHexLength { len: 63 })),
            ("0xzz", Err(HashError::NotHex)),
            // A Solana account address is base58 too, but 32 bytes: not a signature.
            (
                "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui",
                Err(HashError::WrongSignatureLength { bytes: 32 }),
            ),
            ("hello world!", Err(HashError::Unrecognized)),
            // Valid base58, but far too short to be anything on chain.
            ("nothash", Err(HashError::Unrecognized)),
            ("0OIl0OIl", Err(HashError::Unrecognized)),
        ];
        for (input, expected) in cases {
            assert_eq!(detect_tx_hash(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn explorer_links_and_whitespace_are_accepted() {
        assert_eq!(
            detect_tx_hash(&format!("  https://explorer.example/tx/{ETH}  ")).unwrap(),
            single(Chain::Ethereum, ETH)
        );
        assert_eq!(
            detect_tx_hash(&format!("https://scan.example/#/transaction/{TRON}"))
                .unwrap()
                .on_chain(Chain::Tron)
                .unwrap()
                .hash,
            TRON
        );
        assert_eq!(
            detect_tx_hash(&format!("https://scan.example/tx/{SOL}?cluster=mainnet")).unwrap(),
            single(Chain::Solana, SOL)
        );
    }

    #[test]
    fn bare_hex_offers_tron_first_then_ethereum() {
        let detected = detect_tx_hash(TRON).unwrap();
        let chains: Vec<Chain> = detected.candidates().iter().map(|t| t.chain).collect();
        assert_eq!(chains, [Chain::Tron, Chain::Ethereum]);
        assert_eq!(detected.on_chain(Chain::Solana), None);
    }

    #[test]
    fn every_error_has_a_kind_message() {
        for err in [
            HashError::Empty,
            HashError::NotHex,
            HashError::WrongHexLength { len: 3 },
            HashError::WrongSignatureLength { bytes: 32 },
            HashError::Unrecognized,
        ] {
            assert!(err.user_message().ends_with('.'), "{err:?}");
        }
    }
}
