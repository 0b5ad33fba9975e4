//! TronGrid `GET /v1/accounts/{address}/transactions/trc20`: the TRC-20 transfers of an
//! account, in the recorded format (`data[]` of `transaction_id`, `token_info`,
//! `block_timestamp`, `from`, `to`, `type`, `value`, plus `success` and `meta`).
//!
//! Rows come from every transaction the Tronscan simulator knows (its
//! `trc20TransferInfo[]` entries) and from the recorded TronGrid capture itself.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::SharedState;
use super::base58;
use super::state::{Api, Mode, SimState};
use super::tronscan::API_KEY_HEADER;

/// The recorded TronGrid capture, served alongside the simulated transfers.
const TRONGRID_TRC20_HISTORY: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/tron/trongrid_v1_accounts_transactions_trc20_usdt_live_capture.json"
));

const MAX_LIMIT: u64 = 200;
const DEFAULT_LIMIT: u64 = 20;

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"success": false, "error": message, "statusCode": 400})),
    )
        .into_response()
}

/// A mainnet TRON address: base58check of 0x41 + 20 bytes, whose last four bytes are the
/// start of the double SHA-256 of the first 21 (TronGrid refuses an address that fails it).
fn is_tron_address(text: &str) -> bool {
    use sha2::{Digest, Sha256};
    let Some(bytes) = base58::decode(text) else {
        return false;
    };
    if bytes.len() != 25 || bytes[0] != 0x41 {
        return false;
    }
    let (payload, checksum) = bytes.split_at(21);
    Sha256::digest(Sha256::digest(payload))[..4] == *checksum
}

pub(crate) async fn trc20_history(
    State(state): State<SharedState>,
    Path(address): Path<String>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Ok(mut state) = state.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let key_location = if headers.contains_key(API_KEY_HEADER) {
        "header"
    } else {
        "none"
    };
    state.record(
        Api::TronGrid,
        "v1/accounts/transactions/trc20",
        key_location,
    );
    match state.mode(Api::TronGrid) {
        Mode::Up => {}
        Mode::Down => return super::unavailable(),
        Mode::RateLimited => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(
                    json!({"success": false, "error": "request rate exceeded", "statusCode": 429}),
                ),
            )
                .into_response();
        }
    }
    if !is_tron_address(&address) {
        return bad_request("invalid address");
    }
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let flag = |name: &str| param(name) == "true";
    let limit = match param("limit") {
        "" => DEFAULT_LIMIT,
        text => match text.parse::<u64>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => return bad_request("limit must be between 1 and 200"),
        },
    };
    let timestamp = |name: &str| param(name).parse::<i64>().ok();
    let (min, max) = (timestamp("min_timestamp"), timestamp("max_timestamp"));
    let contract = param("contract_address");
    let ascending = match param("order_by") {
        "" | "block_timestamp,desc" => false,
        "block_timestamp,asc" => true,
        _ => return bad_request("invalid order_by"),
    };

    let mut rows: Vec<Value> = history_rows(&state)
        .into_iter()
        .filter(|(_, row)| {
            let to = row["to"].as_str() == Some(address.as_str());
            let from = row["from"].as_str() == Some(address.as_str());
            let involved = match (flag("only_to"), flag("only_from")) {
                (true, false) => to,
                (false, true) => from,
                _ => to || from,
            };
            let time = row["block_timestamp"].as_i64().unwrap_or(0);
            involved
                && (contract.is_empty() || row["token_info"]["address"] == contract)
                && min.is_none_or(|m| time >= m)
                && max.is_none_or(|m| time <= m)
        })
        .filter(|(confirmed, _)| {
            !((flag("only_confirmed") && !confirmed) || (flag("only_unconfirmed") && *confirmed))
        })
        .map(|(_, row)| row)
        .collect();
    rows.sort_by_key(|row| row["block_timestamp"].as_i64().unwrap_or(0));
    if !ascending {
        rows.reverse();
    }
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let page_size = rows.len();
    axum::Json(json!({
        "data": rows,
        "success": true,
        "meta": {"at": at as u64, "page_size": page_size},
    }))
    .into_response()
}

/// Every TRC-20 transfer the simulator knows, with whether its block is confirmed.
fn history_rows(state: &SimState) -> Vec<(bool, Value)> {
    let mut rows: Vec<(bool, Value)> = Vec::new();
    for info in state.tron.transactions.values() {
        if info["contractRet"] != "SUCCESS" {
            continue;
        }
        let confirmed = info["confirmed"].as_bool().unwrap_or(false);
        for transfer in info["trc20TransferInfo"].as_array().into_iter().flatten() {
            rows.push((
                confirmed,
                json!({
                    "transaction_id": info["hash"],
                    "token_info": {
                        "symbol": transfer["symbol"],
                        "address": transfer["contract_address"],
                        "decimals": transfer["decimals"],
                        "name": transfer["name"],
                    },
                    "block_timestamp": info["timestamp"],
                    "from": transfer["from_address"],
                    "to": transfer["to_address"],
                    "type": transfer["type"],
                    "value": transfer["amount_str"],
                }),
            ));
        }
    }
    let recorded: Value = serde_json::from_str(TRONGRID_TRC20_HISTORY).unwrap_or(Value::Null);
    for row in recorded["data"].as_array().into_iter().flatten() {
        rows.push((true, row.clone()));
    }
    rows
}
