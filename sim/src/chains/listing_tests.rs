//! The address listings (Etherscan `tokentx`, TronGrid TRC-20 history, Solana
//! `getSignaturesForAddress`) replay the recordings and list synthetic payments.

use serde_json::{Value, json};

use super::*;

fn fixture(path: &str) -> Value {
    let full = format!("{}/../fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(full).unwrap()).unwrap()
}

const USDT: &str = "0xdAC17F958D2ee523a2206206994597C13D831ec7";
/// An address no recorded transaction touches.
const OURS: &str = "0x5b38da6a701c568545dcfcb03fcb875f56beddc4";

async fn tokentx(sim: &ChainSim, extra: &[(&str, &str)]) -> Value {
    let mut query = vec![
        ("chainid", "1"),
        ("module", "account"),
        ("action", "tokentx"),
        ("apikey", "k"),
    ];
    query.extend_from_slice(extra);
    let response = reqwest::Client::new()
        .get(sim.etherscan_url())
        .query(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn trongrid(sim: &ChainSim, address: &str, query: &[(&str, &str)]) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(format!(
            "{}/v1/accounts/{address}/transactions/trc20",
            sim.trongrid_url()
        ))
        .query(query)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn signatures(sim: &ChainSim, params: Value) -> Value {
    let body =
        json!({"jsonrpc": "2.0", "id": 1, "method": "getSignaturesForAddress", "params": params});
    let response = reqwest::Client::new()
        .post(sim.solana_rpc_url())
        .json(&body)
        .send()
        .await
        .unwrap();
    response.json().await.unwrap()
}

#[tokio::test]
async fn tokentx_replays_the_recorded_row_verbatim() {
    let sim = ChainSim::start().await.unwrap();
    let body = tokentx(
        &sim,
        &[
            ("address", "0x40fbc37ff0e4d3f900b867f2ca48ae6aba77c854"),
            ("contractaddress", USDT),
        ],
    )
    .await;
    let recorded = fixture("ethereum/etherscan_tokentx_result_rows_usdt_binance_hot_wallet.json");
    assert_eq!(
        body,
        json!({"status": "1", "message": "OK", "result": [recorded[0].clone()]})
    );
    // Confirmations follow the head, as on the live API.
    sim.set_eth_head(ETH_RECORDED_HEAD + 10);
    let later = tokentx(
        &sim,
        &[("address", "0x40fbc37ff0e4d3f900b867f2ca48ae6aba77c854")],
    )
    .await;
    assert_eq!(later["result"][0]["confirmations"], "13");
}

#[tokio::test]
async fn tokentx_refuses_and_reports_like_etherscan() {
    let sim = ChainSim::start().await.unwrap();
    let empty = tokentx(&sim, &[("address", OURS)]).await;
    assert_eq!(
        empty,
        json!({"status": "0", "message": "No transactions found", "result": []})
    );
    let bad = tokentx(&sim, &[("address", "0x1234")]).await;
    assert_eq!(bad["result"], "Error! Invalid address format");
    let window = tokentx(
        &sim,
        &[("address", OURS), ("page", "2"), ("offset", "6000")],
    )
    .await;
    assert_eq!(window["status"], "0");
}

#[tokio::test]
async fn a_synthetic_ethereum_payment_is_listed_and_deepens_with_new_blocks() {
    let sim = ChainSim::start().await.unwrap();
    let hash = sim.pay_eth(USDT, OURS, 9_990_001, 1_800_000_000);
    let body = tokentx(
        &sim,
        &[
            ("address", OURS),
            ("contractaddress", USDT),
            ("sort", "desc"),
        ],
    )
    .await;
    let row = &body["result"][0];
    assert_eq!(row["hash"], hash);
    assert_eq!(row["to"], OURS);
    assert_eq!(row["value"], "9990001");
    assert_eq!(row["timeStamp"], "1800000000");
    assert_eq!(row["tokenSymbol"], "USDT");
    assert_eq!(row["confirmations"], "1");
    sim.mine_eth_blocks(11);
    let deeper = tokentx(&sim, &[("address", OURS)]).await;
    assert_eq!(deeper["result"][0]["confirmations"], "12");
    // Another token's filter does not list it.
    let usdc = tokentx(
        &sim,
        &[
            ("address", OURS),
            (
                "contractaddress",
                "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
            ),
        ],
    )
    .await;
    assert_eq!(usdc["status"], "0");
}

#[tokio::test]
async fn trongrid_serves_the_capture_and_synthetic_transfers() {
    let sim = ChainSim::start().await.unwrap();
    let contract = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t";
    let (status, body) = trongrid(&sim, contract, &[("only_to", "true")]).await;
    assert_eq!(status, 200);
    let capture = fixture("tron/trongrid_v1_accounts_transactions_trc20_usdt_live_capture.json");
    assert_eq!(body["data"], capture["data"]);
    assert_eq!(body["success"], true);

    let ours = "TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H";
    let final_hash = sim.pay_tron(contract, ours, 9_990_002, 1_800_000_000, true);
    let fresh_hash = sim.pay_tron(contract, ours, 9_990_003, 1_800_000_060, false);
    let query = [
        ("only_to", "true"),
        ("contract_address", contract),
        ("min_timestamp", "1700000000000"),
    ];
    let (_, listed) = trongrid(&sim, ours, &query).await;
    let ids: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["transaction_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [fresh_hash.as_str(), final_hash.as_str()],
        "newest first"
    );
    assert_eq!(listed["data"][1]["value"], "9990002");
    assert_eq!(listed["data"][1]["to"], ours);
    let (_, confirmed) = trongrid(
        &sim,
        ours,
        &[
            ("only_confirmed", "true"),
            ("min_timestamp", "1700000000000"),
        ],
    )
    .await;
    assert_eq!(confirmed["data"].as_array().unwrap().len(), 1);
    let (status, _) = trongrid(&sim, "0xnot-tron", &[]).await;
    assert_eq!(status, 400);
    // The right shape with its last character changed: the checksum fails, as TronGrid sees.
    let last = if ours.ends_with('a') { 'b' } else { 'a' };
    let typo = format!("{}{last}", &ours[..ours.len() - 1]);
    assert_eq!(trongrid(&sim, &typo, &[]).await.0, 400, "{typo}");
    sim.set_mode(Api::TronGrid, Mode::Down);
    assert_eq!(trongrid(&sim, ours, &[]).await.0, 503);
}

#[tokio::test]
async fn signatures_for_the_token_account_replay_the_recording() {
    let sim = ChainSim::start().await.unwrap();
    let ata = "H51DXRt3ubThhdhNeDMScfkbC5X4AWzYfHaZS3JKEfPh";
    let body = signatures(&sim, json!([ata, {"limit": 10}])).await;
    assert_eq!(
        body,
        fixture("solana/solana_getSignaturesForAddress_2S2rTZja.json")
    );
    let below = signatures(&sim, json!([ata, {"commitment": "processed"}])).await;
    assert_eq!(below["error"]["code"], -32602);
}

#[tokio::test]
async fn a_synthetic_solana_payment_is_listed_for_its_token_account() {
    let sim = ChainSim::start().await.unwrap();
    let mint = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB";
    let owner = "5TeWSsjg2gbxCyWVniXeCmwM7UtHTCK7svzJr5xYJzHf";
    // Made-up keys (bytes 0x42… and 0x43…) that appear nowhere in the recording.
    let account = "5XZobBCgcyuBM4m1E1rZVei7Me6V8FzwSLexuU194KcN";
    let signature = sim.pay_solana(
        mint,
        owner,
        account,
        99_000_001,
        1_800_000_000,
        Commitment::Confirmed,
    );
    // Finalized is the default commitment: not listed yet.
    let finalized = signatures(&sim, json!([account])).await;
    assert!(
        finalized["result"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["signature"] != signature)
    );
    let confirmed = signatures(&sim, json!([account, {"commitment": "confirmed"}])).await;
    let entry = &confirmed["result"][0];
    assert_eq!(entry["signature"], signature);
    assert_eq!(entry["confirmationStatus"], "confirmed");
    assert_eq!(entry["blockTime"], 1_800_000_000);
    sim.set_solana_commitment(&signature, Commitment::Finalized);
    let later = signatures(&sim, json!([account])).await;
    assert_eq!(later["result"][0]["signature"], signature);
}
