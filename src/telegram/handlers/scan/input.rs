//! What a trader typed, read purely: `/scan` arguments, a pasted address, and the kind
//! sentences for input the radar cannot use.

use crate::risk::service::ScanError;
use crate::risk::{Chain, DetectError, detect};

use super::super::escape;

/// One token to scan: its display address (EIP-55 for EVM) and the chain, when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub address: String,
    pub chain: Option<Chain>,
}

/// Why `/scan` arguments cannot start a scan.
#[derive(Debug, Clone, PartialEq)]
pub enum InputError {
    /// Nothing (or too much) after `/scan`.
    Usage,
    UnknownChain(String),
    Address(ScanError),
}

/// Real addresses for the "what a valid one looks like" hint: WETH, USDC on Solana and USDT
/// on TRON.
pub const EXAMPLE_EVM: &str = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
pub const EXAMPLE_SOLANA: &str = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v";
pub const EXAMPLE_TRON: &str = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";

/// Reads `<address> [chain]` (either order). Pure.
pub fn parse_args(args: &str) -> Result<Target, InputError> {
    let words: Vec<&str> = args.split_whitespace().collect();
    let (address, chain) = match words.as_slice() {
        [address] => (*address, None),
        [first, second] => {
            // `/scan bsc 0x…` is as clear as `/scan 0x… bsc`.
            if detect(first).is_err() && detect(second).is_ok() {
                (*second, Some(*first))
            } else {
                (*first, Some(*second))
            }
        }
        _ => return Err(InputError::Usage),
    };
    let chain = match chain {
        Some(name) => Some(
            name.parse::<Chain>()
                .map_err(|_| InputError::UnknownChain(name.to_string()))?,
        ),
        None => None,
    };
    target(address, chain).map_err(InputError::Address)
}

/// Validates `address` (and that it can live on `chain`). Pure.
pub fn target(address: &str, chain: Option<Chain>) -> Result<Target, ScanError> {
    let kind = detect(address)?;
    if let Some(chain) = chain
        && !kind.fits(chain)
    {
        return Err(ScanError::ChainMismatch {
            chain,
            address_family: kind.family(),
        });
    }
    Ok(Target {
        address: kind.display(),
        chain,
    })
}

/// Is this private message a pasted address (or a near miss of one) rather than words for
/// the coach? A single word only; near misses get the typo explained instead of coaching.
pub fn is_pasted_address(text: &str) -> bool {
    let text = text.trim();
    if text.is_empty() || text.contains(char::is_whitespace) {
        return false;
    }
    match detect(text) {
        Ok(_) => true,
        Err(DetectError::BadChecksum | DetectError::BadTronChecksum) => true,
        Err(DetectError::MissingHexPrefix) => true,
        Err(DetectError::WrongEvmLength(length)) => (36..=44).contains(&length),
        Err(_) => false,
    }
}

/// The short usage line with an example.
pub fn usage_html() -> String {
    format!(
        "🔎 <b>Scan a token for risks</b>\n\
         Send <code>/scan &lt;token address&gt; [chain]</code>, for example:\n\
         <code>/scan {EXAMPLE_EVM}</code>\n\n\
         Chains: {}. In a private chat you can also just paste the address.",
        chain_names()
    )
}

/// The kind answer for input that cannot be scanned.
pub fn input_error_html(error: &InputError) -> String {
    match error {
        InputError::Usage => usage_html(),
        InputError::UnknownChain(name) => format!(
            "I don't know the chain \"{}\". Use one of: {} (or a chain id like 56).",
            escape(&name.chars().take(32).collect::<String>()),
            chain_names()
        ),
        InputError::Address(ScanError::InvalidAddress(detect_error)) => format!(
            "⚠️ {}\n\n{}",
            escape(&detect_error.to_string()),
            valid_address_hint()
        ),
        InputError::Address(other) => format!("⚠️ {}", escape(&other.to_string())),
    }
}

fn valid_address_hint() -> String {
    format!(
        "A token address looks like <code>{EXAMPLE_EVM}</code> (Ethereum and other EVM chains), \
         <code>{EXAMPLE_SOLANA}</code> (Solana) or <code>{EXAMPLE_TRON}</code> (TRON)."
    )
}

fn chain_names() -> String {
    Chain::ALL
        .iter()
        .map(|chain| chain.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// "in 5h 07m": time left until the daily quotas reset at 00:00 UTC. Pure.
pub fn until_utc_midnight(now_unix: i64) -> String {
    let left = 86_400 - now_unix.rem_euclid(86_400);
    format!("in {}h {:02}m", left / 3600, (left % 3600) / 60)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::risk::detect::ChainFamily;

    const KOKODI: &str = "0x4e7e15a6b83718ba79674cc4ce09f7d4a631ec2c";
    const TOES: &str = "6ehEcTMCc85aNF4x9CWx8HuvWGhxQtvKdhKVf2HDpump";

    #[test]
    fn arguments_read_in_either_order() {
        let checksummed = detect(KOKODI).expect("valid").display();
        assert_ne!(
            checksummed, KOKODI,
            "EVM addresses are shown in EIP-55 form"
        );
        let expected = Target {
            address: checksummed,
            chain: Some(Chain::Bsc),
        };
        assert_eq!(parse_args(&format!("{KOKODI} bsc")), Ok(expected.clone()));
        assert_eq!(parse_args(&format!("bsc  {KOKODI}")), Ok(expected.clone()));
        assert_eq!(parse_args(&format!("{KOKODI} 56")), Ok(expected));
        assert_eq!(
            parse_args(TOES),
            Ok(Target {
                address: TOES.to_string(),
                chain: None
            })
        );
    }

    #[test]
    fn bad_arguments_say_what_is_wrong() {
        assert_eq!(parse_args("  "), Err(InputError::Usage));
        assert_eq!(parse_args("a b c"), Err(InputError::Usage));
        assert_eq!(
            parse_args(&format!("{KOKODI} fantom")),
            Err(InputError::UnknownChain("fantom".into()))
        );
        assert_eq!(
            parse_args("0x1234"),
            Err(InputError::Address(ScanError::InvalidAddress(
                DetectError::WrongEvmLength(4)
            )))
        );
        assert_eq!(
            parse_args(&format!("{TOES} ethereum")),
            Err(InputError::Address(ScanError::ChainMismatch {
                chain: Chain::Ethereum,
                address_family: ChainFamily::Solana
            }))
        );
    }

    #[test]
    fn the_hints_show_valid_addresses_and_escape_what_the_user_typed() {
        for example in [EXAMPLE_EVM, EXAMPLE_SOLANA, EXAMPLE_TRON] {
            assert!(detect(example).is_ok(), "{example}");
        }
        let typo = input_error_html(
            &parse_args("0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756cC2").unwrap_err(),
        );
        assert!(
            typo.contains("typo") && typo.contains(EXAMPLE_EVM),
            "{typo}"
        );
        let chain = input_error_html(&InputError::UnknownChain("<b>x".into()));
        assert!(
            chain.contains("&lt;b&gt;x") && chain.contains("avalanche"),
            "{chain}"
        );
        assert!(usage_html().contains(&format!("/scan {EXAMPLE_EVM}")));
    }

    #[test]
    fn pasted_addresses_and_near_misses_are_scans_and_words_are_not() {
        for text in [
            KOKODI,
            TOES,
            EXAMPLE_TRON,
            " 0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756cC2 ",
            "4e7e15a6b83718ba79674cc4ce09f7d4a631ec2c",
            "0x4e7e15a6b83718ba79674cc4ce09f7d4a631ec2",
        ] {
            assert!(is_pasted_address(text), "{text}");
        }
        for text in [
            "hello",
            "should I buy 0x4e7e15a6b83718ba79674cc4ce09f7d4a631ec2c",
            "0x1234",
            "0x4e7e15a6b83718ba79674cc4ce09f7d4a631ec2c4e7e15a6b83718ba79674cc4",
            "",
        ] {
            assert!(!is_pasted_address(text), "{text}");
        }
    }

    #[test]
    fn the_reset_time_counts_down_to_utc_midnight() {
        assert_eq!(until_utc_midnight(0), "in 24h 00m");
        assert_eq!(until_utc_midnight(86_400 - 61), "in 0h 01m");
        assert_eq!(
            until_utc_midnight(86_400 * 3 + 3600 * 18 + 60 * 53),
            "in 5h 07m"
        );
    }
}
