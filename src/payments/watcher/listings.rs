//! Lists of an address's recent stablecoin transfers: incoming ones to our receiving
//! addresses match payments made without `/verify`; both directions of a watched wallet
//! feed whale alerts.
//!
//! - Ethereum: Etherscan v2 `account/tokentx` for the address and the token contract.
//! - TRON: TronGrid `v1/accounts/{address}/transactions/trc20` (optionally `only_to`).
//! - Solana: `getSignaturesForAddress` of the associated token account; the amounts come
//!   from a `getTransaction` lookup, since the list carries none.
//!
//! A listing only nominates candidates. Nothing is credited from it: every candidate goes
//! through the full verification before the ledger sees it.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::payments::amount::Amount;
use crate::payments::chain::{Chain, normalize_address};
use crate::payments::config::PaymentsConfig;
use crate::payments::error::VerifyError;
use crate::payments::ethereum::ETHEREUM_MAINNET_CHAIN_ID;
use crate::payments::http::{fetch_json, mentions_throttling};
use crate::payments::invoice_amount::IncomingTransfer;
use crate::payments::plans::BillingConfig;
use crate::payments::solana::{get_transaction_params, rpc_result};
use crate::payments::tokens::Token;
use crate::payments::tron::TRON_API_KEY_HEADER;

/// Newest entries fetched per request; older ones were seen by earlier polls.
pub const PAGE: u32 = 100;

pub struct TransferListings {
    http: reqwest::Client,
    etherscan_url: String,
    etherscan_key: String,
    trongrid_url: String,
    trongrid_key: String,
    solana_rpc_url: String,
}

impl std::fmt::Debug for TransferListings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransferListings")
            .field("etherscan_url", &self.etherscan_url)
            .field("trongrid_url", &self.trongrid_url)
            .finish_non_exhaustive()
    }
}

/// One entry of `getSignaturesForAddress`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureEntry {
    pub signature: String,
    pub block_time: Option<DateTime<Utc>>,
    pub failed: bool,
}

impl TransferListings {
    pub fn new(http: reqwest::Client, payments: &PaymentsConfig, billing: &BillingConfig) -> Self {
        TransferListings {
            http,
            etherscan_url: payments.etherscan_url.clone(),
            etherscan_key: payments.etherscan_key.clone(),
            trongrid_url: billing.trongrid_url.trim_end_matches('/').to_string(),
            trongrid_key: billing.trongrid_key.clone(),
            solana_rpc_url: payments.solana_rpc_url.clone(),
        }
    }

    /// Recent `token` transfers to `recipient` on Ethereum, newest first.
    pub async fn ethereum_transfers(
        &self,
        token: Token,
        recipient: &str,
    ) -> Result<Vec<IncomingTransfer>, VerifyError> {
        let rows = self.ethereum_listing(token, recipient, 1).await?;
        Ok(incoming_to(rows, recipient))
    }

    /// Recent `token` transfers from or to `address` on Ethereum, newest first: `page` 1
    /// is the newest [`PAGE`], 2 the ones before them, and so on.
    pub async fn ethereum_listing(
        &self,
        token: Token,
        address: &str,
        page: u32,
    ) -> Result<Vec<ListedTransfer>, VerifyError> {
        let chain_id = ETHEREUM_MAINNET_CHAIN_ID.to_string();
        let page_number = page.max(1).to_string();
        let page = PAGE.to_string();
        let query: [(&str, &str); 11] = [
            ("chainid", &chain_id),
            ("module", "account"),
            ("action", "tokentx"),
            ("contractaddress", token.contract()),
            ("address", address),
            ("page", &page_number),
            ("offset", &page),
            ("startblock", "0"),
            ("endblock", "999999999"),
            ("sort", "desc"),
            ("apikey", &self.etherscan_key),
        ];
        let request = self.http.get(&self.etherscan_url).query(&query);
        parse_tokentx_rows(&fetch_json(Chain::Ethereum, request).await?, token)
    }

    /// Recent `token` transfers to `recipient` on TRON since `since`, newest first.
    pub async fn tron_transfers(
        &self,
        token: Token,
        recipient: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<IncomingTransfer>, VerifyError> {
        let rows = self.tron_listing(token, recipient, since, true).await?;
        Ok(incoming_to(rows, recipient))
    }

    /// Recent `token` transfers of `address` on TRON since `since`, newest first: only
    /// those to it when `only_to`, else both directions (then up to TronGrid's maximum of
    /// 200, since a busy wallet sends as much as it receives).
    pub async fn tron_listing(
        &self,
        token: Token,
        address: &str,
        since: DateTime<Utc>,
        only_to: bool,
    ) -> Result<Vec<ListedTransfer>, VerifyError> {
        let url = format!(
            "{}/v1/accounts/{address}/transactions/trc20",
            self.trongrid_url
        );
        let min_timestamp = since.timestamp_millis().to_string();
        let limit = if only_to { PAGE } else { 2 * PAGE }.to_string();
        let mut request = self.http.get(url).query(&[
            ("only_to", if only_to { "true" } else { "false" }),
            ("limit", limit.as_str()),
            ("contract_address", token.contract()),
            ("min_timestamp", min_timestamp.as_str()),
            ("order_by", "block_timestamp,desc"),
        ]);
        if !self.trongrid_key.is_empty() {
            request = request.header(TRON_API_KEY_HEADER, &self.trongrid_key);
        }
        parse_trc20_rows(&fetch_json(Chain::Tron, request).await?, token)
    }

    /// A transaction's `getTransaction` (`jsonParsed`) result; `Null` while it is only
    /// processed.
    pub async fn solana_transaction(&self, signature: &str) -> Result<Value, VerifyError> {
        let request = self.http.post(&self.solana_rpc_url).json(&json!({
            "jsonrpc": "2.0",
            "id": 1,
            "method": "getTransaction",
            "params": get_transaction_params(signature),
        }));
        rpc_result(fetch_json(Chain::Solana, request).await?)
    }

    /// Recent signatures touching `account` (a token account), newest first; with
    /// `before`, the page of older ones that follows that signature.
    pub async fn solana_signatures(
        &self,
        account: &str,
        before: Option<&str>,
    ) -> Result<Vec<SignatureEntry>, VerifyError> {
        let mut options = json!({"limit": PAGE, "commitment": "confirmed"});
        if let Some(signature) = before {
            options["before"] = json!(signature);
        }
        let request = self.http.post(&self.solana_rpc_url).json(&json!({
            "jsonrpc": "2.0",
            "id": 1,
            "method": "getSignaturesForAddress",
            "params": [account, options],
        }));
        let result = rpc_result(fetch_json(Chain::Solana, request).await?)?;
        parse_signatures(&result)
    }
}

fn malformed(chain: Chain, detail: impl Into<String>) -> VerifyError {
    VerifyError::Malformed {
        chain,
        detail: detail.into(),
    }
}

/// One row of a transfer listing, in either direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedTransfer {
    pub token: Token,
    pub from: String,
    pub to: String,
    pub amount: Amount,
    pub tx_hash: String,
    pub block_time: DateTime<Utc>,
}

/// The rows paying `recipient`, as payment candidates.
fn incoming_to(rows: Vec<ListedTransfer>, recipient: &str) -> Vec<IncomingTransfer> {
    rows.into_iter()
        .filter(|row| row.to == recipient)
        .map(|row| IncomingTransfer {
            token: row.token,
            to: row.to,
            amount: row.amount,
            tx_hash: row.tx_hash,
            block_time: row.block_time,
        })
        .collect()
}

/// Decodes an `account/tokentx` body: rows paying `recipient` (normalized) in `token`.
pub fn parse_tokentx(
    body: &Value,
    token: Token,
    recipient: &str,
) -> Result<Vec<IncomingTransfer>, VerifyError> {
    Ok(incoming_to(parse_tokentx_rows(body, token)?, recipient))
}

/// Decodes an `account/tokentx` body: every `token` row, addresses normalized.
pub fn parse_tokentx_rows(body: &Value, token: Token) -> Result<Vec<ListedTransfer>, VerifyError> {
    let chain = Chain::Ethereum;
    let status = body.get("status").and_then(Value::as_str);
    let message = body.get("message").and_then(Value::as_str).unwrap_or("");
    let rows = match (status, body.get("result")) {
        (Some("1"), Some(Value::Array(rows))) => rows,
        // An address without transfers is a "0" status with an empty list, not an error.
        (Some("0"), Some(Value::Array(rows))) if rows.is_empty() => return Ok(Vec::new()),
        (Some("0"), result) => {
            let detail = result
                .and_then(Value::as_str)
                .unwrap_or(message)
                .to_string();
            return Err(if mentions_throttling(&detail) {
                VerifyError::Unavailable { chain, detail }
            } else {
                VerifyError::Refused { chain, detail }
            });
        }
        _ => return Err(malformed(chain, "tokentx without a result list")),
    };
    let mut transfers = Vec::new();
    for row in rows {
        let text = |key: &str| row.get(key).and_then(Value::as_str);
        let contract = text("contractAddress").unwrap_or("");
        if Token::by_contract(chain, contract) != Some(token) {
            continue;
        }
        let address = |key: &str| normalize_address(chain, text(key).unwrap_or(""));
        let (Ok(from), Ok(to)) = (address("from"), address("to")) else {
            continue;
        };
        let amount = text("value")
            .and_then(|v| v.parse::<u128>().ok())
            .map(Amount::from_base_units)
            .ok_or_else(|| malformed(chain, "tokentx value is not an integer"))?;
        let block_time = text("timeStamp")
            .and_then(|t| t.parse::<i64>().ok())
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .ok_or_else(|| malformed(chain, "tokentx timeStamp is not a time"))?;
        let hash = text("hash").ok_or_else(|| malformed(chain, "tokentx row without hash"))?;
        transfers.push(ListedTransfer {
            token,
            from,
            to,
            amount,
            tx_hash: hash.to_ascii_lowercase(),
            block_time,
        });
    }
    Ok(transfers)
}

/// Decodes a TronGrid `transactions/trc20` body: transfers of `token` to `recipient`.
pub fn parse_trc20_history(
    body: &Value,
    token: Token,
    recipient: &str,
) -> Result<Vec<IncomingTransfer>, VerifyError> {
    Ok(incoming_to(parse_trc20_rows(body, token)?, recipient))
}

/// Decodes a TronGrid `transactions/trc20` body: every `Transfer` of `token`.
pub fn parse_trc20_rows(body: &Value, token: Token) -> Result<Vec<ListedTransfer>, VerifyError> {
    let chain = Chain::Tron;
    if body.get("success").and_then(Value::as_bool) != Some(true) {
        let detail = body
            .get("error")
            .or_else(|| body.get("Error"))
            .and_then(Value::as_str)
            .unwrap_or("success is not true")
            .to_string();
        return Err(VerifyError::Refused { chain, detail });
    }
    let rows = body
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(chain, "trc20 history without data"))?;
    let mut transfers = Vec::new();
    for row in rows {
        let text = |pointer: &str| row.pointer(pointer).and_then(Value::as_str);
        // Only `Transfer` events move value; `Approval` rows are listed too.
        if text("/type") != Some("Transfer")
            || Token::by_contract(chain, text("/token_info/address").unwrap_or("")) != Some(token)
        {
            continue;
        }
        let (Some(from), Some(to)) = (text("/from"), text("/to")) else {
            continue;
        };
        let amount = text("/value")
            .and_then(|v| v.parse::<u128>().ok())
            .map(Amount::from_base_units)
            .ok_or_else(|| malformed(chain, "trc20 value is not an integer"))?;
        let block_time = row
            .get("block_timestamp")
            .and_then(Value::as_i64)
            .and_then(DateTime::from_timestamp_millis)
            .ok_or_else(|| malformed(chain, "trc20 block_timestamp is not a time"))?;
        let hash = text("/transaction_id")
            .ok_or_else(|| malformed(chain, "trc20 row without transaction_id"))?;
        transfers.push(ListedTransfer {
            token,
            from: from.to_string(),
            to: to.to_string(),
            amount,
            tx_hash: hash.to_ascii_lowercase(),
            block_time,
        });
    }
    Ok(transfers)
}

/// Decodes a `getSignaturesForAddress` result.
pub fn parse_signatures(result: &Value) -> Result<Vec<SignatureEntry>, VerifyError> {
    let entries = result
        .as_array()
        .ok_or_else(|| malformed(Chain::Solana, "signature list is not an array"))?;
    entries
        .iter()
        .map(|entry| {
            let signature = entry
                .get("signature")
                .and_then(Value::as_str)
                .ok_or_else(|| malformed(Chain::Solana, "signature entry without signature"))?;
            Ok(SignatureEntry {
                signature: signature.to_string(),
                block_time: entry
                    .get("blockTime")
                    .and_then(Value::as_i64)
                    .and_then(|t| DateTime::from_timestamp(t, 0)),
                failed: !entry.get("err").is_none_or(Value::is_null),
            })
        })
        .collect()
}

#[cfg(test)]
#[path = "listings_tests.rs"]
mod tests;
