//! Solana JSON-RPC: `getSignatureStatuses` and `getTransaction` (jsonParsed), with the
//! real node's rules on commitment, transaction versions and the status cache.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::SharedState;
use super::base58;
use super::state::{Api, Commitment, Mode, SimState};

pub(crate) async fn rpc(State(state): State<SharedState>, body: Bytes) -> Response {
    let Ok(mut state) = state.lock() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let request: Value = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(_) => {
            state.record(Api::SolanaRpc, "<unparsable>", "none");
            return axum::Json(error_body(Value::Null, -32700, "Parse error")).into_response();
        }
    };
    let method = request["method"].as_str().unwrap_or("");
    state.record(Api::SolanaRpc, method, "none");
    match state.mode(Api::SolanaRpc) {
        Mode::Up => {}
        Mode::Down => return super::unavailable(),
        Mode::RateLimited => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                axum::Json(error_body(
                    request["id"].clone(),
                    429,
                    "Too many requests for a specific RPC call, contact your app developer or support@rpcpool.com.",
                )),
            )
                .into_response();
        }
    }
    let response = match &request {
        Value::Array(batch) => {
            Value::Array(batch.iter().map(|call| answer(&state, call)).collect())
        }
        single => answer(&state, single),
    };
    axum::Json(response).into_response()
}

fn error_body(id: Value, code: i64, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "error": {"code": code, "message": message}, "id": id})
}

fn answer(state: &SimState, call: &Value) -> Value {
    let id = call["id"].clone();
    if call["jsonrpc"] != "2.0" || !call["method"].is_string() {
        return error_body(id, -32600, "Invalid request");
    }
    let params = &call["params"];
    let result = match call["method"].as_str().unwrap_or("") {
        "getSignatureStatuses" => signature_statuses(state, params),
        "getTransaction" => transaction(state, params),
        "getSlot" => Ok(json!(state.solana.slot)),
        "getSignaturesForAddress" => super::solana_history::signatures_for_address(state, params),
        _ => Err((-32601, "Method not found".to_string())),
    };
    match result {
        Ok(result) => json!({"jsonrpc": "2.0", "result": result, "id": id}),
        Err((code, message)) => error_body(id, code, &message),
    }
}

type RpcResult = Result<Value, (i64, String)>;

fn check_signature(signature: &str) -> Result<(), (i64, String)> {
    match base58::decode(signature) {
        Some(bytes) if bytes.len() == 64 => Ok(()),
        Some(_) => Err((-32602, "Invalid param: WrongSize".into())),
        None => Err((-32602, "Invalid param: Invalid".into())),
    }
}

fn signature_statuses(state: &SimState, params: &Value) -> RpcResult {
    let Some(signatures) = params[0].as_array() else {
        return Err((
            -32602,
            "Invalid params: expected a list of signatures".into(),
        ));
    };
    if signatures.len() > 256 {
        return Err((-32602, "Too many inputs provided; max 256".into()));
    }
    let search_history = params[1]["searchTransactionHistory"]
        .as_bool()
        .unwrap_or(false);
    let mut values = Vec::new();
    for signature in signatures {
        let signature = signature.as_str().unwrap_or("");
        check_signature(signature)?;
        let status = state.solana.transactions.get(signature).and_then(|tx| {
            // Finalized transactions have left the recent-status cache; only a history
            // search finds them.
            if tx.commitment == Commitment::Finalized && !search_history {
                return None;
            }
            let err = tx.result["meta"]["err"].clone();
            Some(json!({
                "slot": tx.result["slot"],
                "confirmations": match tx.commitment {
                    Commitment::Finalized => Value::Null,
                    Commitment::Confirmed => json!(tx.confirmations),
                    Commitment::Processed => json!(0),
                },
                "err": err,
                "status": if err.is_null() { json!({"Ok": null}) } else { json!({"Err": err}) },
                "confirmationStatus": tx.commitment.as_str(),
            }))
        });
        values.push(status.unwrap_or(Value::Null));
    }
    Ok(json!({"context": {"slot": state.solana.slot}, "value": values}))
}

fn transaction(state: &SimState, params: &Value) -> RpcResult {
    let signature = params[0].as_str().unwrap_or("");
    check_signature(signature)?;
    let config = &params[1];
    // The legacy second parameter is the encoding string itself.
    let encoding = config
        .as_str()
        .or_else(|| config["encoding"].as_str())
        .unwrap_or("json");
    if encoding != "jsonParsed" {
        return Err((
            -32602,
            format!("this simulator serves only jsonParsed, not {encoding}"),
        ));
    }
    let commitment = match config["commitment"].as_str() {
        None => Commitment::Finalized,
        Some(text) => match Commitment::parse(text) {
            Some(Commitment::Processed) => {
                return Err((
                    -32602,
                    "Method does not support commitment below `confirmed`".into(),
                ));
            }
            Some(level) => level,
            None => return Err((-32602, format!("Invalid commitment: {text}"))),
        },
    };
    let max_version = config["maxSupportedTransactionVersion"].as_u64();
    let Some(tx) = state
        .solana
        .transactions
        .get(signature)
        .filter(|tx| tx.commitment >= commitment)
    else {
        return Ok(Value::Null);
    };
    if tx.version.is_u64() && max_version.is_none() {
        return Err((
            -32015,
            "Transaction version (0) is not supported by the requesting client. Please try the request again with the following configuration parameter: \"maxSupportedTransactionVersion\": 0".into(),
        ));
    }
    let mut result = tx.result.clone();
    if max_version.is_some() {
        result["version"] = tx.version.clone();
    }
    Ok(result)
}
