//! Solana JSON-RPC `getSignaturesForAddress`: the transactions that list an address among
//! their account keys, newest first, in the recorded format (`blockTime`,
//! `confirmationStatus`, `err`, `memo`, `signature`, `slot`).

use serde_json::{Value, json};

use super::state::{Commitment, SimState, SolanaTx};

type RpcResult = Result<Value, (i64, String)>;

const MAX_LIMIT: u64 = 1_000;

fn mentions(tx: &SolanaTx, address: &str) -> bool {
    tx.result
        .pointer("/transaction/message/accountKeys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|key| key.get("pubkey").and_then(Value::as_str).or(key.as_str()) == Some(address))
}

/// The node's memo summary: "[length] text" of each memo instruction, joined by "; ".
fn memo(tx: &SolanaTx) -> Value {
    let memos: Vec<String> = tx
        .result
        .pointer("/transaction/message/instructions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|ix| ix["program"] == "spl-memo")
        .filter_map(|ix| ix["parsed"].as_str())
        .map(|text| format!("[{}] {text}", text.len()))
        .collect();
    if memos.is_empty() {
        Value::Null
    } else {
        json!(memos.join("; "))
    }
}

pub(crate) fn signatures_for_address(state: &SimState, params: &Value) -> RpcResult {
    let Some(address) = params[0].as_str() else {
        return Err((-32602, "Invalid params: expected an address".into()));
    };
    if super::base58::decode(address).is_none_or(|bytes| bytes.len() != 32) {
        return Err((-32602, "Invalid param: Invalid".into()));
    }
    let config = &params[1];
    let limit = config["limit"].as_u64().unwrap_or(MAX_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err((-32602, "Invalid limit; max 1000".into()));
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
    let mut found: Vec<(&String, &SolanaTx)> = state
        .solana
        .transactions
        .iter()
        .filter(|(_, tx)| tx.commitment >= commitment && mentions(tx, address))
        .collect();
    // Newest first; the signature breaks ties so the order is stable.
    found.sort_by(|a, b| {
        let slot = |tx: &SolanaTx| tx.result["slot"].as_u64().unwrap_or(0);
        slot(b.1).cmp(&slot(a.1)).then(b.0.cmp(a.0))
    });
    let position = |key: &str| -> Result<Option<usize>, (i64, String)> {
        match config[key].as_str() {
            None => Ok(None),
            Some(signature) => Ok(Some(
                found
                    .iter()
                    .position(|(s, _)| s.as_str() == signature)
                    .unwrap_or(found.len()),
            )),
        }
    };
    let start = position("before")?.map_or(0, |i| i + 1);
    let stop = position("until")?.unwrap_or(found.len());
    let entries: Vec<Value> = found
        .iter()
        .enumerate()
        .filter(|(i, _)| *i >= start && *i < stop)
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(|(_, (signature, tx))| {
            json!({
                "blockTime": tx.result["blockTime"],
                "confirmationStatus": tx.commitment.as_str(),
                "err": tx.result["meta"]["err"],
                "memo": memo(tx),
                "signature": signature,
                "slot": tx.result["slot"],
            })
        })
        .collect();
    Ok(Value::Array(entries))
}
