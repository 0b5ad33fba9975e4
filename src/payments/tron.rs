//! TRON payments through Tronscan's `api/transaction-info`.
//!
//! The payee of a TRC-20 transfer is `trc20TransferInfo[].to_address`. The top-level
//! `toAddress` is the contract that was called (the USDT contract itself), so reading it
//! would credit anyone who calls USDT. Success is `contractRet == "SUCCESS"`, finality is
//! `confirmed == true` (the block is solidified).

use std::fmt;

use chrono::DateTime;
use serde::Deserialize;
use serde_json::Value;

use super::amount::Amount;
use super::chain::{Chain, normalize_address};
use super::error::VerifyError;
use super::http::fetch_json;
use super::observation::{Finality, Lookup, NearMiss, Observation, TransferTally};
use super::tokens::Token;

/// Tronscan's API key header.
pub const TRON_API_KEY_HEADER: &str = "TRON-PRO-API-KEY";

/// `contractType` of a native TRX transfer and of a TRC-10 asset transfer.
const TRX_TRANSFER: i64 = 1;
const TRC10_TRANSFER: i64 = 2;

pub struct TronVerifier {
    http: reqwest::Client,
    base_url: String,
    api_key: String,
}

impl fmt::Debug for TronVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TronVerifier")
            .field("base_url", &self.base_url)
            .field("api_key", &"<redacted>")
            .finish()
    }
}

impl TronVerifier {
    /// `base_url` is `TRONSCAN_API_URL` (without `/api`); an empty key sends no header.
    pub fn new(
        http: reqwest::Client,
        base_url: impl Into<String>,
        api_key: impl Into<String>,
    ) -> Self {
        TronVerifier {
            http,
            base_url: base_url.into().trim_end_matches('/').to_string(),
            api_key: api_key.into(),
        }
    }

    /// Looks `tx_hash` (64 hex) up and describes what it paid to `recipient`.
    pub async fn lookup(&self, tx_hash: &str, recipient: &str) -> Result<Lookup, VerifyError> {
        let recipient =
            normalize_address(Chain::Tron, recipient).map_err(VerifyError::InvalidAddress)?;
        let mut request = self
            .http
            .get(format!("{}/api/transaction-info", self.base_url))
            .query(&[("hash", tx_hash)]);
        if !self.api_key.is_empty() {
            request = request.header(TRON_API_KEY_HEADER, &self.api_key);
        }
        let body = fetch_json(Chain::Tron, request).await?;
        parse_transaction_info(&body, tx_hash, &recipient)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TransactionInfo {
    hash: String,
    block: Option<u64>,
    timestamp: Option<i64>,
    confirmations: Option<u64>,
    #[serde(default)]
    confirmed: bool,
    #[serde(default)]
    revert: bool,
    contract_ret: Option<String>,
    contract_type: Option<i64>,
    contract_data: Option<Value>,
    #[serde(default)]
    trc20_transfer_info: Vec<Trc20Transfer>,
}

#[derive(Deserialize)]
struct Trc20Transfer {
    to_address: String,
    contract_address: String,
    amount_str: String,
}

fn malformed(detail: impl Into<String>) -> VerifyError {
    VerifyError::Malformed {
        chain: Chain::Tron,
        detail: detail.into(),
    }
}

/// Pure decoding of a `transaction-info` body for payments to `recipient` (normalized).
pub fn parse_transaction_info(
    body: &Value,
    tx_hash: &str,
    recipient: &str,
) -> Result<Lookup, VerifyError> {
    let Some(object) = body.as_object() else {
        return Err(malformed("transaction-info is not an object"));
    };
    // Tronscan answers an unknown hash with an empty object.
    if !object.contains_key("hash") {
        return Ok(Lookup::NotFound);
    }
    let info: TransactionInfo = serde_json::from_value(body.clone())
        .map_err(|e| malformed(format!("transaction-info: {e}")))?;
    if !info.hash.eq_ignore_ascii_case(tx_hash) {
        return Err(malformed("transaction-info is about another hash"));
    }

    let mut tally = TransferTally::default();
    let mut near_misses = Vec::new();
    for transfer in &info.trc20_transfer_info {
        let amount = transfer
            .amount_str
            .parse::<u128>()
            .map(Amount::from_base_units)
            .map_err(|_| malformed("trc20 amount_str is not an integer"))?;
        let to_us = transfer.to_address == recipient;
        let miss = match Token::by_contract(Chain::Tron, &transfer.contract_address) {
            Some(token) if to_us && !amount.is_zero() => {
                tally.add(token, recipient, amount);
                None
            }
            Some(token) if to_us => Some(NearMiss::ZeroValue { token }),
            Some(token) => Some(NearMiss::OtherRecipient {
                token,
                to: transfer.to_address.clone(),
            }),
            None if to_us => Some(NearMiss::UnofficialToken {
                contract: transfer.contract_address.clone(),
            }),
            None => None,
        };
        if let Some(miss) = miss.filter(|m| !near_misses.contains(m)) {
            near_misses.push(miss);
        }
    }
    if let Some(miss) = native_transfer_to(&info, recipient) {
        near_misses.push(miss);
    }

    let block_time = info.timestamp.and_then(DateTime::from_timestamp_millis);
    let finality = if info.confirmed {
        Finality::Final {
            confirmations: info.confirmations,
        }
    } else {
        Finality::NotFinal {
            status: "unconfirmed".into(),
            confirmations: info.confirmations,
        }
    };
    Ok(Lookup::Found(Observation {
        chain: Chain::Tron,
        tx_hash: tx_hash.to_string(),
        success: info.contract_ret.as_deref() == Some("SUCCESS") && !info.revert,
        block_time,
        block: info.block,
        finality,
        transfers: tally.into_transfers(),
        near_misses,
    }))
}

/// TRX or a TRC-10 asset sent straight to us: value, but not the token we accept.
fn native_transfer_to(info: &TransactionInfo, recipient: &str) -> Option<NearMiss> {
    let data = info.contract_data.as_ref()?;
    if data.get("to_address").and_then(Value::as_str) != Some(recipient) {
        return None;
    }
    match info.contract_type? {
        TRX_TRANSFER => Some(NearMiss::NativeCoin),
        TRC10_TRANSFER => Some(NearMiss::UnofficialToken {
            contract: data
                .get("asset_name")
                .and_then(Value::as_str)
                .unwrap_or("TRC-10 asset")
                .to_string(),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::tokens::TRON_USDT;
    use serde_json::json;

    const USDT_TX: &str = "f6301aa72e56f09b054baf0aa2018d3d213cfce30171fb5bcf37b1493e3b8b28";
    const TRX_TX: &str = "c31316badcdc39d7f6b7d81c5bf5def623b4b4523a03f7bec5bd594e0b79a352";
    const PAYEE: &str = "TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H";

    fn fixture(name: &str) -> Value {
        let path = format!("{}/fixtures/tron/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn usdt_fixture() -> Value {
        fixture("tronscan_transaction_info_usdt_trc20_2020_f6301aa7.json")
    }

    fn found(lookup: Lookup) -> Observation {
        match lookup {
            Lookup::Found(obs) => obs,
            Lookup::NotFound => panic!("expected the transaction to be found"),
        }
    }

    #[test]
    fn recorded_usdt_transfer_pays_to_address_not_the_contract() {
        let obs = found(parse_transaction_info(&usdt_fixture(), USDT_TX, PAYEE).unwrap());
        assert!(obs.success);
        assert_eq!(obs.transfers.len(), 1);
        assert_eq!(obs.transfers[0].token, TRON_USDT);
        assert_eq!(obs.transfers[0].amount, Amount::from_base_units(100_000));
        assert_eq!(obs.block, Some(24_177_454));
        assert_eq!(obs.block_time.unwrap().timestamp(), 1_602_825_813);
        assert_eq!(
            obs.finality,
            Finality::Final {
                confirmations: Some(2083)
            }
        );

        // `toAddress` is the USDT contract: being that address must not look like a payment.
        let as_contract = found(
            parse_transaction_info(
                &usdt_fixture(),
                USDT_TX,
                "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
            )
            .unwrap(),
        );
        assert!(as_contract.transfers.is_empty());
    }

    #[test]
    fn recorded_trx_transfer_is_a_native_coin_near_miss() {
        let body = fixture("tronscan_transaction_info_trx_native_2020_c31316ba.json");
        let obs = found(
            parse_transaction_info(&body, TRX_TX, "TAj8fiMfB1iQQshHtLGPoFWZCNVdai9fqG").unwrap(),
        );
        assert!(obs.success);
        assert!(obs.transfers.is_empty());
        assert_eq!(obs.near_misses, [NearMiss::NativeCoin]);
    }

    #[test]
    fn empty_object_is_not_found() {
        assert_eq!(
            parse_transaction_info(&json!({}), USDT_TX, PAYEE).unwrap(),
            Lookup::NotFound
        );
        assert!(parse_transaction_info(&json!([]), USDT_TX, PAYEE).is_err());
    }

    #[test]
    fn fake_contract_unconfirmed_and_reverted() {
        let mut fake = usdt_fixture();
        fake["trc20TransferInfo"][0]["contract_address"] =
            json!("TNtbiqvanUnm4YHK9SYzRGR8ktiHRduDbM");
        let obs = found(parse_transaction_info(&fake, USDT_TX, PAYEE).unwrap());
        assert!(obs.transfers.is_empty());
        assert!(matches!(
            &obs.near_misses[..],
            [NearMiss::UnofficialToken { .. }]
        ));

        let mut unconfirmed = usdt_fixture();
        unconfirmed["confirmed"] = json!(false);
        let obs = found(parse_transaction_info(&unconfirmed, USDT_TX, PAYEE).unwrap());
        assert!(matches!(obs.finality, Finality::NotFinal { .. }));

        let mut reverted = usdt_fixture();
        reverted["contractRet"] = json!("REVERT");
        let obs = found(parse_transaction_info(&reverted, USDT_TX, PAYEE).unwrap());
        assert!(!obs.success);
    }

    #[test]
    fn a_response_about_another_hash_is_refused() {
        assert!(parse_transaction_info(&usdt_fixture(), TRX_TX, PAYEE).is_err());
    }
}
