//! Pure decoding of an EVM transaction receipt into payment facts.
//!
//! Only ERC-20 `Transfer` logs emitted by an official contract count as payment. The
//! value comes from the log data, never from the transaction input: a call to
//! `transfer(us, 100)` that reverts, or a fake token that emits a look-alike event, must
//! not credit anything.

use std::str::FromStr;

use alloy_primitives::{Address, B256, hex};
use alloy_sol_types::SolEvent;
use serde::Deserialize;
use serde_json::Value;

use crate::payments::amount::Amount;
use crate::payments::chain::{Chain, evm_address_text};
use crate::payments::error::VerifyError;
use crate::payments::observation::{NearMiss, Transfer, TransferTally};
use crate::payments::tokens::Token;

mod erc20 {
    alloy_sol_types::sol! {
        event Transfer(address indexed from, address indexed to, uint256 value);
    }
}

/// What a receipt says, before depth and block time are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptFacts {
    pub success: bool,
    pub block: u64,
    pub transfers: Vec<Transfer>,
    pub near_misses: Vec<NearMiss>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Receipt {
    block_number: String,
    status: Option<String>,
    to: Option<String>,
    #[serde(default)]
    logs: Vec<Log>,
}

#[derive(Deserialize)]
struct Log {
    address: String,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    data: String,
    #[serde(default)]
    removed: bool,
}

fn malformed(detail: impl Into<String>) -> VerifyError {
    VerifyError::Malformed {
        chain: Chain::Ethereum,
        detail: detail.into(),
    }
}

/// Decodes a receipt (the proxy `result` object) for payments to `recipient`.
pub fn parse_receipt(receipt: &Value, recipient: &Address) -> Result<ReceiptFacts, VerifyError> {
    if let Value::String(text) = receipt {
        return Err(malformed(format!("receipt is a string: {text:.80}")));
    }
    let receipt: Receipt =
        serde_json::from_value(receipt.clone()).map_err(|e| malformed(format!("receipt: {e}")))?;
    let success = match receipt.status.as_deref() {
        Some("0x1") => true,
        Some("0x0") => false,
        // Pre-Byzantium receipts have no status; such a transaction cannot pay a new invoice.
        _ => return Err(malformed("receipt has no 0x0/0x1 status")),
    };
    let block = receipt
        .block_number
        .strip_prefix("0x")
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .ok_or_else(|| malformed("receipt blockNumber is not a hex quantity"))?;

    let our_text = evm_address_text(recipient);
    let mut tally = TransferTally::default();
    let mut near_misses = Vec::new();
    if receipt
        .to
        .as_deref()
        .and_then(|to| Address::from_str(to).ok())
        .is_some_and(|to| to == *recipient)
    {
        // The transaction itself was addressed to us: plain ETH, not a token payment.
        near_misses.push(NearMiss::NativeCoin);
    }
    for log in receipt.logs.iter().filter(|log| !log.removed) {
        match classify_log(log, recipient) {
            Some(LogMeaning::Paid(token, amount)) => tally.add(token, &our_text, amount),
            Some(LogMeaning::Miss(miss)) if !near_misses.contains(&miss) => near_misses.push(miss),
            Some(LogMeaning::Miss(_)) | None => {}
        }
    }
    Ok(ReceiptFacts {
        success,
        block,
        transfers: tally.into_transfers(),
        near_misses,
    })
}

enum LogMeaning {
    Paid(Token, Amount),
    Miss(NearMiss),
}

fn classify_log(log: &Log, recipient: &Address) -> Option<LogMeaning> {
    let topics: Vec<B256> = log
        .topics
        .iter()
        .map(|t| B256::from_str(t))
        .collect::<Result<_, _>>()
        .ok()?;
    if topics.first() != Some(&erc20::Transfer::SIGNATURE_HASH) || topics.len() < 3 {
        return None;
    }
    let emitter = Address::from_str(&log.address).ok()?;
    let payee = Address::from_word(topics[2]);
    let official = Token::by_contract(Chain::Ethereum, &format!("{emitter:#x}"));
    let Some(token) = official else {
        // Any Transfer-shaped event to us from another contract: a look-alike token or
        // an NFT (ERC-721 indexes the token id as a 4th topic). Never a payment.
        return (payee == *recipient).then(|| {
            LogMeaning::Miss(NearMiss::UnofficialToken {
                contract: evm_address_text(&emitter),
            })
        });
    };
    let data = hex::decode(&log.data).ok()?;
    // The official contracts emit exactly the standard event; anything else is not a
    // transfer we can read, so it is ignored rather than guessed.
    let event = erc20::Transfer::decode_raw_log_validate(topics.iter().copied(), &data).ok()?;
    if event.to != *recipient {
        return Some(LogMeaning::Miss(NearMiss::OtherRecipient {
            token,
            to: evm_address_text(&event.to),
        }));
    }
    if event.value.is_zero() {
        return Some(LogMeaning::Miss(NearMiss::ZeroValue { token }));
    }
    // Official supplies are far below u128::MAX; saturating keeps a hostile value finite.
    let value = u128::try_from(event.value).unwrap_or(u128::MAX);
    Some(LogMeaning::Paid(token, Amount::from_base_units(value)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::tokens::ETHEREUM_USDT;
    use serde_json::json;

    fn docs_receipt() -> Value {
        let path = format!(
            "{}/fixtures/ethereum/etherscan_v2_proxy_eth_getTransactionReceipt_docs_sample.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let body: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        body["result"].clone()
    }

    fn addr(s: &str) -> Address {
        Address::from_str(s).unwrap()
    }

    const PAYEE: &str = "0xab6960a6511ff18ed8b8c012cb91c7f637947fc0";
    const SENDER: &str = "0x292f04a44506c2fd49bac032e1ca148c35a478c8";

    #[test]
    fn docs_receipt_pays_its_payee_in_usdt() {
        let facts = parse_receipt(&docs_receipt(), &addr(PAYEE)).unwrap();
        assert!(facts.success);
        assert_eq!(facts.block, 0xcf2427);
        assert_eq!(facts.transfers.len(), 1);
        assert_eq!(facts.transfers[0].token, ETHEREUM_USDT);
        assert_eq!(
            facts.transfers[0].amount,
            Amount::from_base_units(0x013f81a6)
        );
        assert_eq!(facts.transfers[0].to.to_lowercase(), PAYEE);
        assert!(facts.near_misses.is_empty());
    }

    #[test]
    fn the_same_receipt_pays_nothing_to_the_sender() {
        let facts = parse_receipt(&docs_receipt(), &addr(SENDER)).unwrap();
        assert!(facts.transfers.is_empty());
        assert_eq!(facts.near_misses.len(), 1);
        assert!(matches!(
            &facts.near_misses[0],
            NearMiss::OtherRecipient { token, to } if *token == ETHEREUM_USDT && to.to_lowercase() == PAYEE
        ));
    }

    #[test]
    fn look_alike_contract_is_not_usdt() {
        let mut receipt = docs_receipt();
        receipt["logs"][0]["address"] = json!("0xdac17f958d2ee523a2206206994597c13d8a1ec7");
        let facts = parse_receipt(&receipt, &addr(PAYEE)).unwrap();
        assert!(facts.transfers.is_empty());
        assert!(matches!(
            &facts.near_misses[..],
            [NearMiss::UnofficialToken { .. }]
        ));
    }

    #[test]
    fn several_transfers_to_us_are_summed_and_removed_logs_ignored() {
        let mut receipt = docs_receipt();
        let log = receipt["logs"][0].clone();
        let mut second = log.clone();
        second["data"] = json!(format!("0x{:064x}", 5u8));
        let mut removed = log.clone();
        removed["removed"] = json!(true);
        receipt["logs"] = json!([log, second, removed]);
        let facts = parse_receipt(&receipt, &addr(PAYEE)).unwrap();
        assert_eq!(
            facts.transfers[0].amount,
            Amount::from_base_units(0x013f81a6 + 5)
        );
    }

    #[test]
    fn zero_value_and_reverted_receipts() {
        let mut receipt = docs_receipt();
        receipt["logs"][0]["data"] = json!(format!("0x{:064x}", 0u8));
        let facts = parse_receipt(&receipt, &addr(PAYEE)).unwrap();
        assert!(facts.transfers.is_empty());
        assert_eq!(
            facts.near_misses,
            [NearMiss::ZeroValue {
                token: ETHEREUM_USDT
            }]
        );

        let mut reverted = docs_receipt();
        reverted["status"] = json!("0x0");
        reverted["logs"] = json!([]);
        assert!(!parse_receipt(&reverted, &addr(PAYEE)).unwrap().success);
    }

    #[test]
    fn plain_eth_to_us_is_a_native_coin_near_miss() {
        let mut receipt = docs_receipt();
        receipt["to"] = json!(PAYEE);
        receipt["logs"] = json!([]);
        let facts = parse_receipt(&receipt, &addr(PAYEE)).unwrap();
        assert_eq!(facts.near_misses, [NearMiss::NativeCoin]);
    }

    #[test]
    fn malformed_receipts_are_errors_not_payments() {
        let mut no_status = docs_receipt();
        no_status.as_object_mut().unwrap().remove("status");
        assert!(parse_receipt(&no_status, &addr(PAYEE)).is_err());
        assert!(parse_receipt(&json!("Max rate limit reached"), &addr(PAYEE)).is_err());
        // Garbage data in an official log is skipped, not read as an amount.
        let mut garbage = docs_receipt();
        garbage["logs"][0]["data"] = json!("0x12");
        assert!(
            parse_receipt(&garbage, &addr(PAYEE))
                .unwrap()
                .transfers
                .is_empty()
        );
    }
}
