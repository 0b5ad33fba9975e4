//! Etherscan v2 account module, `action=tokentx`: the ERC-20 transfers of an address.
//!
//! Rows come from the receipts the simulator knows (every `Transfer` log), in the recorded
//! row format. A transaction that was itself recorded as a `tokentx` row is answered with
//! that row verbatim, only `confirmations` follows the simulated head, as on the real API.

use std::collections::HashMap;

use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::etherscan::TRANSFER_TOPIC;
use super::state::SimState;

const ETH_TOKENTX_USDT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/ethereum/etherscan_tokentx_result_rows_usdt_binance_hot_wallet.json"
));
const ETH_TOKENTX_MKR: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/ethereum/etherscan_v2_tokentx_docs_sample_MKR.json"
));

/// Etherscan caps `page × offset` at this many rows.
const RESULT_WINDOW: u64 = 10_000;

/// Name, symbol and decimals the explorer shows for tokens it has indexed.
const KNOWN_TOKENS: [(&str, &str, &str, &str); 3] = [
    (
        "0xdac17f958d2ee523a2206206994597c13d831ec7",
        "Tether USD",
        "USDT",
        "6",
    ),
    (
        "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
        "USD Coin",
        "USDC",
        "6",
    ),
    (
        "0x9f8f72aa9304c8b593d555f12ef6589cc3a579a2",
        "Maker",
        "MKR",
        "18",
    ),
];

fn notok(result: &str) -> Response {
    axum::Json(json!({"status": "0", "message": "NOTOK", "result": result})).into_response()
}

fn is_address(text: &str) -> bool {
    text.strip_prefix("0x")
        .is_some_and(|hex| hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The recorded `tokentx` rows, by lowercase transaction hash.
fn recorded_rows() -> HashMap<String, Value> {
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);
    let mkr = parse(ETH_TOKENTX_MKR)["result"].clone();
    [parse(ETH_TOKENTX_USDT), mkr]
        .iter()
        .flat_map(|rows| rows.as_array().cloned().unwrap_or_default())
        .filter_map(|row| Some((row["hash"].as_str()?.to_lowercase(), row)))
        .collect()
}

fn hex_number(value: &Value) -> Option<u128> {
    u128::from_str_radix(value.as_str()?.strip_prefix("0x")?, 16).ok()
}

/// The last 20 bytes of a 32-byte topic, as a lowercase address.
fn topic_address(topic: &Value) -> Option<String> {
    let hex = topic.as_str()?.strip_prefix("0x")?;
    (hex.len() == 64).then(|| format!("0x{}", &hex[24..].to_lowercase()))
}

pub(crate) fn tokentx(state: &SimState, params: &HashMap<String, String>) -> Response {
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let address = param("address").to_lowercase();
    if !is_address(&address) {
        return notok("Error! Invalid address format");
    }
    let contract = param("contractaddress").to_lowercase();
    if !contract.is_empty() && !is_address(&contract) {
        return notok("Error! Invalid contract address format");
    }
    let number = |name: &str, default: u64| match param(name) {
        "" => Some(default),
        text => text.parse::<u64>().ok(),
    };
    let (Some(page), Some(offset), Some(start), Some(end)) = (
        number("page", 1),
        number("offset", RESULT_WINDOW),
        number("startblock", 0),
        number("endblock", u64::MAX),
    ) else {
        return notok("Error! Invalid parameter");
    };
    if page.max(1).saturating_mul(offset.max(1)) > RESULT_WINDOW {
        return notok(
            "Result window is too large, PageNo x Offset size must be less than or equal to 10000",
        );
    }
    let recorded = recorded_rows();
    let head = state.eth.head;
    let mut rows: Vec<(u64, u128, Value)> = Vec::new();
    for receipt in state.eth.receipts.values() {
        let Some(block) = hex_number(&receipt["blockNumber"]).and_then(|b| u64::try_from(b).ok())
        else {
            continue;
        };
        if block > head || block < start || block > end || receipt["status"] != "0x1" {
            continue;
        }
        for log in receipt["logs"].as_array().into_iter().flatten() {
            // ERC-20 Transfer: three topics (ERC-721 indexes the token id as a fourth).
            let topics = log["topics"].as_array().map(Vec::as_slice).unwrap_or(&[]);
            let [topic0, from, to] = topics else {
                continue;
            };
            let (Some(from), Some(to)) = (topic_address(from), topic_address(to)) else {
                continue;
            };
            let log_contract = log["address"].as_str().unwrap_or("").to_lowercase();
            if *topic0 != TRANSFER_TOPIC
                || (from != address && to != address)
                || (!contract.is_empty() && log_contract != contract)
            {
                continue;
            }
            let hash = receipt["transactionHash"]
                .as_str()
                .unwrap_or("")
                .to_lowercase();
            let confirmations = (head - block + 1).to_string();
            let row = match recorded.get(&hash) {
                Some(row) => {
                    let mut row = row.clone();
                    row["confirmations"] = json!(confirmations);
                    row
                }
                None => synthetic_row(state, receipt, log, block, &from, &to, &confirmations),
            };
            let log_index = hex_number(&log["logIndex"]).unwrap_or(0);
            rows.push((block, log_index, row));
        }
    }
    rows.sort_by_key(|(block, index, _)| (*block, *index));
    if param("sort") == "desc" {
        rows.reverse();
    }
    let skip = usize::try_from((page.max(1) - 1) * offset).unwrap_or(usize::MAX);
    let take = usize::try_from(offset.max(1)).unwrap_or(usize::MAX);
    let page_rows: Vec<Value> = rows
        .into_iter()
        .skip(skip)
        .take(take)
        .map(|r| r.2)
        .collect();
    if page_rows.is_empty() {
        return axum::Json(
            json!({"status": "0", "message": "No transactions found", "result": []}),
        )
        .into_response();
    }
    axum::Json(json!({"status": "1", "message": "OK", "result": page_rows})).into_response()
}

/// A row in the recorded format for a transfer log of a receipt the simulator made up.
fn synthetic_row(
    state: &SimState,
    receipt: &Value,
    log: &Value,
    block: u64,
    from: &str,
    to: &str,
    confirmations: &str,
) -> Value {
    let decimal = |value: &Value| hex_number(value).map(|n| n.to_string()).unwrap_or_default();
    let contract = log["address"].as_str().unwrap_or("").to_lowercase();
    let (name, symbol, decimals) = KNOWN_TOKENS
        .iter()
        .find(|(address, ..)| *address == contract)
        .map(|(_, name, symbol, decimals)| (*name, *symbol, *decimals))
        .unwrap_or(("", "", "0"));
    let time = state.eth.block_times.get(&block).copied().unwrap_or(0);
    json!({
        "blockNumber": block.to_string(),
        "timeStamp": time.to_string(),
        "hash": receipt["transactionHash"],
        "nonce": "0",
        "blockHash": receipt["blockHash"],
        "from": from,
        "contractAddress": contract,
        "to": to,
        "value": decimal(&log["data"]),
        "tokenName": name,
        "tokenSymbol": symbol,
        "tokenDecimal": decimals,
        "transactionIndex": decimal(&receipt["transactionIndex"]),
        "gas": decimal(&receipt["gasUsed"]),
        "gasPrice": decimal(&receipt["effectiveGasPrice"]),
        "gasUsed": decimal(&receipt["gasUsed"]),
        "cumulativeGasUsed": decimal(&receipt["cumulativeGasUsed"]),
        "input": "deprecated",
        "confirmations": confirmations,
    })
}
