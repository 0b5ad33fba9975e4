//! `tiltguard verify <TX_HASH> [--chain] [--to] [--min-amount] [--not-before] [--json]`:
//! the operator's check of a payment, on the same verifier as `/verify`. It never credits
//! anyone and never opens the database.
//!
//! The verdict goes to stdout (text, or JSON with `chain, tx_hash, status, reason, token,
//! amount, to, confirmations, block_time` and more). Exit codes: 0 a verdict was reached,
//! whatever it is; 1 no verdict because an explorer could not be asked; 2 the input needs
//! fixing (bad hash, address, amount, date or chain, or no receiving address to check).

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::payments::amount::Amount;
use crate::payments::chain::Chain;
use crate::payments::error::VerifyError;
use crate::payments::report::verify_report;
use crate::payments::tokens::STABLECOIN_DECIMALS;
use crate::payments::verifier::{PaymentVerifier, VerifyRequest};

pub const EXIT_VERDICT: i32 = 0;
pub const EXIT_NO_VERDICT: i32 = 1;
pub const EXIT_BAD_INPUT: i32 = 2;

/// The flags as typed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags<'a> {
    pub chain: Option<&'a str>,
    pub to: Option<&'a str>,
    pub min_amount: Option<&'a str>,
    pub not_before: Option<&'a str>,
}

/// Checks one transaction and prints the verdict. Returns the process exit code.
pub async fn run(
    config: &Config,
    tx_hash: &str,
    chain: Option<&str>,
    to: Option<&str>,
    min_amount: Option<&str>,
    not_before: Option<&str>,
    json: bool,
) -> i32 {
    let flags = Flags {
        chain,
        to,
        min_amount,
        not_before,
    };
    let request = match build_request(tx_hash, &flags) {
        Ok(request) => request,
        Err(line) => {
            eprintln!("error: {line}");
            return EXIT_BAD_INPUT;
        }
    };
    let verifier = PaymentVerifier::new(config.payments.clone(), crate::app::http_client());
    match verify_report(&verifier, &request).await {
        Ok(report) if json => match serde_json::to_string_pretty(&report.to_json()) {
            Ok(text) => {
                println!("{text}");
                EXIT_VERDICT
            }
            Err(error) => {
                eprintln!("error: cannot write JSON: {error}");
                EXIT_NO_VERDICT
            }
        },
        Ok(report) => {
            println!("{}", report.render_text());
            EXIT_VERDICT
        }
        Err(error) => {
            let (code, line) = failure(&error);
            eprintln!("error: {line}");
            code
        }
    }
}

/// The verifier request for the typed flags, or the one line saying what to fix. Pure.
pub fn build_request(tx_hash: &str, flags: &Flags<'_>) -> Result<VerifyRequest, String> {
    let chain = flags
        .chain
        .map(str::parse::<Chain>)
        .transpose()
        .map_err(|e| e.to_string())?;
    let min_amount = flags
        .min_amount
        .map(|text| {
            Amount::parse_decimal(text, STABLECOIN_DECIMALS)
                .map_err(|e| format!("--min-amount {text:?}: {e} (USD, e.g. 9.99)"))
        })
        .transpose()?;
    let not_before = flags
        .not_before
        .map(|text| {
            DateTime::parse_from_rfc3339(text.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| {
                    format!("--not-before {text:?} is not an RFC 3339 time ({e}), e.g. 2026-01-31T12:00:00Z")
                })
        })
        .transpose()?;
    Ok(VerifyRequest {
        tx_hash: tx_hash.to_string(),
        chain,
        to: flags.to.map(str::to_string),
        tokens: Vec::new(),
        min_amount,
        not_before,
        not_after: None,
    })
}

/// Exit code and stderr line when no verdict could be reached. Pure.
pub fn failure(error: &VerifyError) -> (i32, String) {
    match error {
        VerifyError::InvalidHash(_) | VerifyError::InvalidAddress(_) => {
            (EXIT_BAD_INPUT, error.to_string())
        }
        VerifyError::NoRecipient(chain) => (
            EXIT_BAD_INPUT,
            format!(
                "{error}: set {} or pass --to <ADDRESS>",
                match chain {
                    Chain::Ethereum => "PAY_ETH_ADDRESS",
                    Chain::Tron => "PAY_TRON_ADDRESS",
                    Chain::Solana => "PAY_SOL_ADDRESS",
                }
            ),
        ),
        VerifyError::Unavailable { .. }
        | VerifyError::Refused { .. }
        | VerifyError::Malformed { .. } => (EXIT_NO_VERDICT, error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::hash::HashError;

    #[test]
    fn flags_become_an_exact_request() {
        let flags = Flags {
            chain: Some("tron"),
            to: Some("TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H"),
            min_amount: Some("9.99"),
            not_before: Some("2020-10-16T00:00:00Z"),
        };
        let request = build_request("f630", &flags).unwrap();
        assert_eq!(request.chain, Some(Chain::Tron));
        assert_eq!(request.min_amount, Some(Amount::from_base_units(9_990_000)));
        assert_eq!(request.not_before.unwrap().timestamp(), 1_602_806_400);
        assert_eq!(
            request.to.as_deref(),
            Some("TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H")
        );
    }

    #[test]
    fn bad_flags_name_what_to_fix() {
        let bad = |flags: Flags<'_>| build_request("x", &flags).unwrap_err();
        assert!(
            bad(Flags {
                chain: Some("bsc"),
                ..Flags::default()
            })
            .contains("bsc")
        );
        assert!(
            bad(Flags {
                min_amount: Some("9.9999999"),
                ..Flags::default()
            })
            .starts_with("--min-amount")
        );
        assert!(
            bad(Flags {
                not_before: Some("yesterday"),
                ..Flags::default()
            })
            .starts_with("--not-before")
        );
    }

    #[test]
    fn failures_split_into_input_and_unreachable() {
        assert_eq!(
            failure(&VerifyError::InvalidHash(HashError::NotHex)).0,
            EXIT_BAD_INPUT
        );
        let (code, line) = failure(&VerifyError::NoRecipient(Chain::Solana));
        assert_eq!(code, EXIT_BAD_INPUT);
        assert!(line.contains("PAY_SOL_ADDRESS"), "{line}");
        let down = VerifyError::Unavailable {
            chain: Chain::Ethereum,
            detail: "connection failed".into(),
        };
        assert_eq!(failure(&down).0, EXIT_NO_VERDICT);
    }
}
