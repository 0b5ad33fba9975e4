//! Ethereum payments through the Etherscan v2 API (proxy module).
//!
//! Three calls per lookup: `eth_getTransactionReceipt` (status and Transfer logs),
//! `eth_blockNumber` (depth) and `eth_getBlockByNumber` (block timestamp). The proxy
//! module answers in plain JSON-RPC, but errors such as rate limits come in Etherscan's
//! `{status:"0", message:"NOTOK", result:"..."}` envelope, so both shapes are handled.

mod receipt;

use std::fmt;

use alloy_primitives::Address;
use chrono::DateTime;
use serde_json::Value;

use super::chain::{Chain, normalize_address};
use super::error::VerifyError;
use super::http::{fetch_json, mentions_throttling};
use super::observation::{Finality, Lookup, Observation};

pub use receipt::{ReceiptFacts, parse_receipt};

/// Ethereum mainnet in Etherscan v2's `chainid` parameter.
pub const ETHEREUM_MAINNET_CHAIN_ID: u64 = 1;

pub struct EthereumVerifier {
    http: reqwest::Client,
    endpoint: String,
    api_key: String,
    chain_id: u64,
}

impl fmt::Debug for EthereumVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EthereumVerifier")
            .field("endpoint", &self.endpoint)
            .field("api_key", &"<redacted>")
            .field("chain_id", &self.chain_id)
            .finish()
    }
}

impl EthereumVerifier {
    /// `endpoint` is the full API URL (`ETHERSCAN_API_URL`, e.g. `…/v2/api`).
    pub fn new(
        http: reqwest::Client,
        endpoint: impl Into<String>,
        api_key: impl Into<String>,
    ) -> Self {
        EthereumVerifier {
            http,
            endpoint: endpoint.into(),
            api_key: api_key.into(),
            chain_id: ETHEREUM_MAINNET_CHAIN_ID,
        }
    }

    /// Looks `tx_hash` (0x + 64 hex) up and describes what it paid to `recipient`.
    pub async fn lookup(&self, tx_hash: &str, recipient: &str) -> Result<Lookup, VerifyError> {
        let recipient = parse_recipient(recipient)?;
        let receipt = self
            .proxy("eth_getTransactionReceipt", &[("txhash", tx_hash)])
            .await?;
        if receipt.is_null() {
            return Ok(Lookup::NotFound);
        }
        let facts = parse_receipt(&receipt, &recipient)?;
        let head = parse_quantity(&self.proxy("eth_blockNumber", &[]).await?, "block number")?;
        let block = self
            .proxy(
                "eth_getBlockByNumber",
                &[
                    ("tag", &format!("{:#x}", facts.block)),
                    ("boolean", "false"),
                ],
            )
            .await?;
        let block_time = if block.is_null() {
            None
        } else {
            let seconds = parse_quantity(
                block.get("timestamp").unwrap_or(&Value::Null),
                "block timestamp",
            )?;
            i64::try_from(seconds)
                .ok()
                .and_then(|s| DateTime::from_timestamp(s, 0))
        };
        Ok(Lookup::Found(Observation {
            chain: Chain::Ethereum,
            tx_hash: tx_hash.to_string(),
            success: facts.success,
            block_time,
            block: Some(facts.block),
            finality: Finality::Depth {
                confirmations: confirmations(head, facts.block),
            },
            transfers: facts.transfers,
            near_misses: facts.near_misses,
        }))
    }

    async fn proxy(&self, action: &str, params: &[(&str, &str)]) -> Result<Value, VerifyError> {
        let chain_id = self.chain_id.to_string();
        let mut query: Vec<(&str, &str)> = vec![
            ("chainid", &chain_id),
            ("module", "proxy"),
            ("action", action),
        ];
        query.extend_from_slice(params);
        query.push(("apikey", &self.api_key));
        let body = fetch_json(Chain::Ethereum, self.http.get(&self.endpoint).query(&query)).await?;
        proxy_result(body)
    }
}

fn parse_recipient(recipient: &str) -> Result<Address, VerifyError> {
    let normalized =
        normalize_address(Chain::Ethereum, recipient).map_err(VerifyError::InvalidAddress)?;
    normalized
        .parse::<Address>()
        .map_err(|e| VerifyError::Malformed {
            chain: Chain::Ethereum,
            detail: e.to_string(),
        })
}

/// The block containing the transaction counts as the first confirmation. A head below
/// the block (a lagging backend node) counts as none rather than as an error.
pub fn confirmations(head: u64, block: u64) -> u64 {
    if head >= block { head - block + 1 } else { 0 }
}

/// Unwraps a proxy response: the JSON-RPC `result`, or the error it carries.
pub fn proxy_result(body: Value) -> Result<Value, VerifyError> {
    let chain = Chain::Ethereum;
    if body.get("status").and_then(Value::as_str) == Some("0") {
        let message = body
            .get("result")
            .and_then(Value::as_str)
            .or_else(|| body.get("message").and_then(Value::as_str))
            .unwrap_or("NOTOK")
            .to_string();
        return Err(if mentions_throttling(&message) {
            VerifyError::Unavailable {
                chain,
                detail: message,
            }
        } else {
            VerifyError::Refused {
                chain,
                detail: message,
            }
        });
    }
    if let Some(error) = body.get("error") {
        let code = error.get("code").and_then(Value::as_i64).unwrap_or(0);
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("JSON-RPC error")
            .to_string();
        let detail = format!("{message} (code {code})");
        // -32602/-32601/-32600: our request was wrong; others are node trouble.
        return Err(if (-32602..=-32600).contains(&code) {
            VerifyError::Refused { chain, detail }
        } else {
            VerifyError::Unavailable { chain, detail }
        });
    }
    match body.get("result") {
        Some(Value::String(text)) if mentions_throttling(text) => Err(VerifyError::Unavailable {
            chain,
            detail: text.clone(),
        }),
        Some(result) => Ok(result.clone()),
        None => Err(VerifyError::Malformed {
            chain,
            detail: "no result in the response".into(),
        }),
    }
}

/// A JSON-RPC hex quantity ("0xcf2427").
pub fn parse_quantity(value: &Value, what: &str) -> Result<u64, VerifyError> {
    value
        .as_str()
        .and_then(|s| s.strip_prefix("0x"))
        .filter(|hex| !hex.is_empty())
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
        .ok_or_else(|| VerifyError::Malformed {
            chain: Chain::Ethereum,
            detail: format!("{what} is not a hex quantity"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture(name: &str) -> Value {
        let path = format!("{}/fixtures/ethereum/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn rate_limit_body_is_unavailable() {
        let err = proxy_result(fixture(
            "etherscan_v2_error_max_rate_limit_docs_sample.json",
        ))
        .unwrap_err();
        assert!(err.is_retryable(), "{err:?}");
        assert!(err.to_string().contains("Max rate limit reached"));
    }

    #[test]
    fn invalid_key_is_refused_not_retried() {
        let body = json!({"status":"0","message":"NOTOK","result":"Missing/Invalid API Key"});
        let err = proxy_result(body).unwrap_err();
        assert!(matches!(err, VerifyError::Refused { .. }), "{err:?}");
    }

    #[test]
    fn json_rpc_errors_are_classified() {
        let bad_arg = json!({"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"invalid argument 0: hex string has length 62, want 64 for common.Hash"}});
        assert!(matches!(
            proxy_result(bad_arg),
            Err(VerifyError::Refused { .. })
        ));
        let node =
            json!({"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"header not found"}});
        assert!(matches!(
            proxy_result(node),
            Err(VerifyError::Unavailable { .. })
        ));
    }

    #[test]
    fn block_number_fixtures_parse() {
        let head = proxy_result(fixture(
            "etherscan_v2_proxy_eth_blockNumber_docs_sample.json",
        ))
        .unwrap();
        assert_eq!(parse_quantity(&head, "head").unwrap(), 0xc36b29);
        let getblock = proxy_result(fixture("eth_blockNumber_jsonrpc_getblock_docs.json")).unwrap();
        assert_eq!(parse_quantity(&getblock, "head").unwrap(), 0x109238e);
        assert!(parse_quantity(&json!("12"), "x").is_err());
        assert!(parse_quantity(&json!("0x"), "x").is_err());
    }

    #[test]
    fn unknown_receipt_is_null() {
        let body = json!({"jsonrpc":"2.0","id":1,"result":null});
        assert_eq!(proxy_result(body).unwrap(), Value::Null);
    }

    #[test]
    fn confirmations_count_the_block_itself() {
        assert_eq!(confirmations(100, 100), 1);
        assert_eq!(confirmations(111, 100), 12);
        assert_eq!(confirmations(0xc36b29, 0xcf2427), 0, "lagging head");
    }

    #[test]
    fn debug_output_hides_the_key() {
        let verifier =
            EthereumVerifier::new(reqwest::Client::new(), "http://x/v2/api", "SECRETKEY");
        assert!(!format!("{verifier:?}").contains("SECRETKEY"));
    }
}
