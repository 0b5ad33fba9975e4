//! Etherscan v2 `api` endpoint, proxy module: `eth_getTransactionReceipt`,
//! `eth_blockNumber`, `eth_getBlockByNumber`.
//!
//! Like the real API it answers HTTP 200 with an Etherscan envelope for parameter and
//! key problems and for rate limiting, and plain JSON-RPC for proxy results.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::SharedState;
use super::recorded::ETH_RATE_LIMIT;
use super::state::{Api, Mode};

pub(crate) const TRANSFER_TOPIC: &str =
    "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

/// A 20-byte address as a 32-byte log topic.
pub(crate) fn address_topic(address: &str) -> String {
    let hex = address.trim_start_matches("0x").to_lowercase();
    format!("0x{hex:0>64}")
}

fn notok(result: &str) -> Response {
    axum::Json(json!({"status": "0", "message": "NOTOK", "result": result})).into_response()
}

fn rpc(id: u64, result: Value) -> Response {
    axum::Json(json!({"jsonrpc": "2.0", "id": id, "result": result})).into_response()
}

fn rpc_error(code: i64, message: String) -> Response {
    axum::Json(json!({"jsonrpc": "2.0", "id": 1, "error": {"code": code, "message": message}}))
        .into_response()
}

pub(crate) async fn handle(
    State(state): State<SharedState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let Ok(mut state) = state.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let key_location = if param("apikey").is_empty() {
        "none"
    } else {
        "query"
    };
    state.record(Api::Etherscan, param("action"), key_location);
    match state.mode(Api::Etherscan) {
        Mode::Up => {}
        Mode::Down => return super::unavailable(),
        Mode::RateLimited => {
            let body: Value = serde_json::from_str(ETH_RATE_LIMIT).unwrap_or(Value::Null);
            return axum::Json(body).into_response();
        }
    }
    if param("chainid").is_empty() {
        return notok(
            "Missing chainid parameter (required for v2 api), please see https://api.etherscan.io/v2/chainlist for the list of supported chainids",
        );
    }
    if param("chainid") != "1" {
        // Only mainnet data is simulated; other chain ids are refused rather than faked.
        return notok("Missing or unsupported chainid parameter (required for v2 api)");
    }
    let key_ok = match &state.eth.api_key {
        Some(expected) => param("apikey") == expected,
        None => !param("apikey").is_empty(),
    };
    if !key_ok {
        return notok("Missing/Invalid API Key");
    }
    if param("module") == "account" && param("action") == "tokentx" {
        return super::accounts::tokentx(&state, &params);
    }
    if param("module") != "proxy" {
        return notok("Error! Missing Or invalid Module name");
    }
    match param("action") {
        "eth_getTransactionReceipt" => {
            let hash = param("txhash");
            if let Err(message) = check_hash(hash) {
                return rpc_error(-32602, message);
            }
            let receipt = state
                .eth
                .receipts
                .get(&hash.to_lowercase())
                .filter(|receipt| block_of(receipt).is_some_and(|b| b <= state.eth.head))
                .cloned()
                .unwrap_or(Value::Null);
            rpc(1, receipt)
        }
        "eth_blockNumber" => rpc(83, json!(format!("{:#x}", state.eth.head))),
        "eth_getBlockByNumber" => {
            let Some(number) = param("tag")
                .strip_prefix("0x")
                .and_then(|hex| u64::from_str_radix(hex, 16).ok())
            else {
                return rpc_error(
                    -32602,
                    "invalid argument 0: hex string without 0x prefix".to_string(),
                );
            };
            if !matches!(param("boolean"), "true" | "false") {
                return rpc_error(-32602, "invalid argument 1: expected a boolean".to_string());
            }
            let time = state.eth.block_times.get(&number).copied();
            match time.filter(|_| number <= state.eth.head) {
                Some(time) => rpc(1, block_object(&state.eth.receipts, number, time)),
                None => rpc(1, Value::Null),
            }
        }
        other => rpc_error(
            -32601,
            format!("The method {other} does not exist/is not available"),
        ),
    }
}

fn check_hash(hash: &str) -> Result<(), String> {
    let Some(hex) = hash.strip_prefix("0x") else {
        return Err(
            "invalid argument 0: json: cannot unmarshal hex string without 0x prefix into Go value of type common.Hash"
                .to_string(),
        );
    };
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("invalid argument 0: json: cannot unmarshal invalid hex string into Go value of type common.Hash".to_string());
    }
    if hex.len() != 64 {
        return Err(format!(
            "invalid argument 0: hex string has length {}, want 64 for common.Hash",
            hex.len()
        ));
    }
    Ok(())
}

fn block_of(receipt: &Value) -> Option<u64> {
    receipt["blockNumber"]
        .as_str()?
        .strip_prefix("0x")
        .and_then(|hex| u64::from_str_radix(hex, 16).ok())
}

/// The fields of a block object the simulator knows; transactions as hashes
/// (`boolean=false` shape, which is also what `true` gets here).
fn block_object(receipts: &HashMap<String, Value>, number: u64, time: u64) -> Value {
    let mut transactions: Vec<&str> = receipts
        .values()
        .filter(|receipt| block_of(receipt) == Some(number))
        .filter_map(|receipt| receipt["transactionHash"].as_str())
        .collect();
    transactions.sort_unstable();
    let hash = receipts
        .values()
        .find(|receipt| block_of(receipt) == Some(number))
        .and_then(|receipt| receipt["blockHash"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| format!("0x{number:064x}"));
    json!({
        "hash": hash,
        "number": format!("{number:#x}"),
        "timestamp": format!("{time:#x}"),
        "transactions": transactions,
        "uncles": []
    })
}
