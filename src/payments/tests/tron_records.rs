//! The recorded TronGrid transactions, re-expressed as Tronscan `transaction-info` bodies
//! so the Tronscan simulator can serve them. Only recorded facts are carried over (hash,
//! block, time, result, contract, payee, amount); addresses go from TronGrid's hex form
//! to base58check exactly as TRON defines it (0x41 prefix).

use serde_json::{Value, json};

pub(crate) const SUCCESS_HASH: &str =
    "b69c51db8f9d974e6a38c76852c8ce1adcb682dbacb25ad8ad4f6876121fe9dc";
pub(crate) const OUT_OF_ENERGY_HASH: &str =
    "e63a324a43aebfe41273db4f7fdfe325b2257b4f5711595a5fc0f8a75cf1b481";
pub(crate) const TO_CONTRACT_HASH: &str =
    "77ff0c0819cc39b3d24c98a3e94c1789f9e4376509aaadc82894896474c0e6b2";

fn fixture(name: &str) -> Value {
    let path = format!("{}/fixtures/tron/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture exists"))
        .expect("fixture is JSON")
}

/// TronGrid hex (with or without the 41 prefix, or a 32-byte topic) → base58check.
pub(crate) fn base58_address(hex: &str) -> String {
    let hex = hex.trim_start_matches("0x");
    let account = &hex[hex.len() - 40..];
    let bytes = alloy_primitives::hex::decode(format!("41{account}")).expect("hex address");
    bs58::encode(bytes).with_check().into_string()
}

fn transfer_entry(from: &str, to: &str, contract: &str, amount: &str) -> Value {
    json!({
        "symbol": "USDT",
        "decimals": 6,
        "name": "Tether USD",
        "to_address": to,
        "contract_address": contract,
        "type": "Transfer",
        "from_address": from,
        "amount_str": amount,
    })
}

/// `gettransactioninfobyid` with a successful USDT Transfer log.
pub(crate) fn success() -> Value {
    let info = fixture("trongrid_wallet_gettransactioninfobyid_usdt_success_b69c51db.json");
    let log = &info["log"][0];
    let contract = base58_address(info["contract_address"].as_str().expect("contract"));
    let from = base58_address(log["topics"][1].as_str().expect("from topic"));
    let to = base58_address(log["topics"][2].as_str().expect("to topic"));
    let amount = u128::from_str_radix(log["data"].as_str().expect("data"), 16).expect("amount");
    json!({
        "block": info["blockNumber"],
        "hash": info["id"],
        "timestamp": info["blockTimeStamp"],
        "ownerAddress": from,
        "contractType": 31,
        "toAddress": contract,
        "confirmed": true,
        "revert": false,
        "contractRet": info["receipt"]["result"],
        "trc20TransferInfo": [transfer_entry(&from, &to, &contract, &amount.to_string())],
    })
}

/// `gettransactioninfobyid` of a USDT call that ran out of energy: no transfer happened.
pub(crate) fn out_of_energy() -> Value {
    let info =
        fixture("trongrid_wallet_gettransactioninfobyid_usdt_failed_out_of_energy_e63a324a.json");
    let contract = base58_address(info["contract_address"].as_str().expect("contract"));
    json!({
        "block": info["blockNumber"],
        "hash": info["id"],
        "timestamp": info["blockTimeStamp"],
        "contractType": 31,
        "toAddress": contract,
        "confirmed": true,
        "revert": false,
        "contractRet": info["receipt"]["result"],
    })
}

/// The TronGrid v1 TRC-20 history row: USDT sent to the USDT contract address itself.
pub(crate) fn sent_to_the_contract() -> Value {
    let list = fixture("trongrid_v1_accounts_transactions_trc20_usdt_live_capture.json");
    let row = &list["data"][0];
    let text = |key: &str| row[key].as_str().expect("string field").to_string();
    let contract = row["token_info"]["address"]
        .as_str()
        .expect("token address");
    json!({
        "hash": text("transaction_id"),
        "timestamp": row["block_timestamp"],
        "ownerAddress": text("from"),
        "contractType": 31,
        "toAddress": contract,
        "confirmed": true,
        "revert": false,
        "contractRet": "SUCCESS",
        "trc20TransferInfo": [transfer_entry(&text("from"), &text("to"), contract, &text("value"))],
    })
}

#[test]
fn hex_contract_of_the_recordings_is_official_usdt() {
    assert_eq!(
        base58_address("41a614f803b6fd780986a42c78ec9c7f77e6ded13c"),
        crate::payments::tokens::TRON_USDT.contract()
    );
    assert_eq!(
        success()["trc20TransferInfo"][0]["contract_address"],
        "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
    );
}
