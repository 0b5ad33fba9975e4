//! The simulators answer in the recorded wire formats and refuse what the real APIs refuse.

use serde_json::{Value, json};

use super::*;

fn fixture(path: &str) -> Value {
    let full = format!("{}/../fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(full).unwrap();
    let json: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    serde_json::from_str(&json).unwrap()
}

async fn etherscan(sim: &ChainSim, query: &[(&str, &str)]) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(sim.etherscan_url())
        .query(query)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn solana(sim: &ChainSim, method: &str, params: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(sim.solana_rpc_url())
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

const RECEIPT: [(&str, &str); 5] = [
    ("chainid", "1"),
    ("module", "proxy"),
    ("action", "eth_getTransactionReceipt"),
    ("txhash", ETH_DOCS_RECEIPT_HASH),
    ("apikey", "k"),
];

#[tokio::test]
async fn etherscan_replays_the_docs_receipt_verbatim() {
    let sim = ChainSim::start().await.unwrap();
    let (status, body) = etherscan(&sim, &RECEIPT).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        fixture("ethereum/etherscan_v2_proxy_eth_getTransactionReceipt_docs_sample.json")
    );
    let (_, head) = etherscan(
        &sim,
        &[
            ("chainid", "1"),
            ("module", "proxy"),
            ("action", "eth_blockNumber"),
            ("apikey", "k"),
        ],
    )
    .await;
    assert_eq!(
        head,
        json!({"jsonrpc": "2.0", "id": 83, "result": format!("{ETH_RECORDED_HEAD:#x}")})
    );
    let (_, block) = etherscan(
        &sim,
        &[
            ("chainid", "1"),
            ("module", "proxy"),
            ("action", "eth_getBlockByNumber"),
            ("tag", &format!("{ETH_DOCS_RECEIPT_BLOCK:#x}")),
            ("boolean", "false"),
            ("apikey", "k"),
        ],
    )
    .await;
    assert_eq!(
        block["result"]["timestamp"],
        format!("{ETH_DOCS_RECEIPT_BLOCK_TIME:#x}")
    );
    assert_eq!(
        block["result"]["transactions"],
        json!([ETH_DOCS_RECEIPT_HASH])
    );
}

#[tokio::test]
async fn etherscan_refuses_what_the_real_api_refuses() {
    let sim = ChainSim::start().await.unwrap();
    let without = |skip: &str| -> Vec<(&str, &str)> {
        RECEIPT
            .iter()
            .copied()
            .filter(|(k, _)| *k != skip)
            .collect()
    };
    let (_, no_key) = etherscan(&sim, &without("apikey")).await;
    assert_eq!(
        no_key,
        json!({"status": "0", "message": "NOTOK", "result": "Missing/Invalid API Key"})
    );
    let (_, no_chain) = etherscan(&sim, &without("chainid")).await;
    assert_eq!(no_chain["message"], "NOTOK");
    let mut short = RECEIPT.to_vec();
    short[3] = ("txhash", &ETH_DOCS_RECEIPT_HASH[..64]);
    let (_, bad_hash) = etherscan(&sim, &short).await;
    assert_eq!(bad_hash["error"]["code"], -32602);
    sim.require_etherscan_key("right");
    let (_, wrong_key) = etherscan(&sim, &RECEIPT).await;
    assert_eq!(wrong_key["result"], "Missing/Invalid API Key");
}

#[tokio::test]
async fn etherscan_outages_and_throttling() {
    let sim = ChainSim::start().await.unwrap();
    sim.set_mode(Api::Etherscan, Mode::RateLimited);
    let (status, body) = etherscan(&sim, &RECEIPT).await;
    assert_eq!(status, 200, "Etherscan throttles with HTTP 200");
    assert_eq!(
        body,
        fixture("ethereum/etherscan_v2_error_max_rate_limit_docs_sample.json")
    );
    sim.set_mode(Api::Etherscan, Mode::Down);
    assert_eq!(etherscan(&sim, &RECEIPT).await.0, 503);
    sim.set_mode(Api::Etherscan, Mode::Up);
    assert_eq!(etherscan(&sim, &RECEIPT).await.0, 200);
}

#[tokio::test]
async fn receipts_are_derived_from_recorded_tokentx_rows() {
    let sim = ChainSim::start().await.unwrap();
    let mut query = RECEIPT.to_vec();
    query[3] = (
        "txhash",
        "0x77361870fdc3046f7c24cabafa7185a84d60f4fa12aef8363e8520fbdd003cc7",
    );
    let (_, body) = etherscan(&sim, &query).await;
    let log = &body["result"]["logs"][0];
    assert_eq!(log["address"], "0xdac17f958d2ee523a2206206994597c13d831ec7");
    assert_eq!(
        log["topics"][2],
        "0x00000000000000000000000040fbc37ff0e4d3f900b867f2ca48ae6aba77c854"
    );
    assert_eq!(log["data"], format!("0x{:064x}", 495_264_069u64));
    assert_eq!(body["result"]["blockNumber"], format!("{:#x}", 16_191_306));
    // Receipts above the head are not visible yet.
    sim.set_eth_head(16_191_305);
    assert_eq!(etherscan(&sim, &query).await.1["result"], Value::Null);
}

#[tokio::test]
async fn tronscan_replays_and_answers_unknown_hashes_with_an_empty_object() {
    let sim = ChainSim::start().await.unwrap();
    let client = reqwest::Client::new();
    let url = format!("{}/api/transaction-info", sim.tronscan_url());
    let known: Value = client
        .get(&url)
        .query(&[("hash", TRON_USDT_HASH)])
        .header("TRON-PRO-API-KEY", "k")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        known,
        fixture("tron/tronscan_transaction_info_usdt_trc20_2020_f6301aa7.json")
    );
    let unknown: Value = client
        .get(&url)
        .query(&[("hash", "00".repeat(32))])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(unknown, json!({}));
    sim.set_mode(Api::Tronscan, Mode::RateLimited);
    let throttled = client
        .get(&url)
        .query(&[("hash", TRON_USDT_HASH)])
        .send()
        .await
        .unwrap();
    assert_eq!(throttled.status().as_u16(), 403);
    let keys: Vec<&'static str> = sim.requests().iter().map(|r| r.key_location).collect();
    assert_eq!(keys, ["header", "none", "none"]);
}

#[tokio::test]
async fn solana_get_transaction_follows_the_node_rules() {
    let sim = ChainSim::start().await.unwrap();
    let config = json!({"encoding": "jsonParsed", "maxSupportedTransactionVersion": 0, "commitment": "confirmed"});
    let (_, body) = solana(
        &sim,
        "getTransaction",
        json!([SOLANA_USDC_SIGNATURE, config]),
    )
    .await;
    let mut expected =
        fixture("solana/solana_getTransaction_jsonParsed_usdc_transferChecked_2S2rTZja.json");
    expected["result"]["version"] = json!("legacy");
    assert_eq!(body, expected);

    let (_, processed) = solana(
        &sim,
        "getTransaction",
        json!([SOLANA_USDC_SIGNATURE, {"encoding": "jsonParsed", "commitment": "processed"}]),
    )
    .await;
    assert_eq!(processed["error"]["code"], -32602);
    let (_, base64) = solana(
        &sim,
        "getTransaction",
        json!([SOLANA_USDC_SIGNATURE, "base64"]),
    )
    .await;
    assert!(base64["error"].is_object());
    let (_, short) = solana(&sim, "getTransaction", json!(["abc", config])).await;
    assert_eq!(short["error"]["message"], "Invalid param: WrongSize");

    // Not final yet: invisible at `finalized`, visible at `confirmed`.
    sim.set_solana_commitment(SOLANA_USDC_SIGNATURE, Commitment::Confirmed);
    let (_, at_finalized) = solana(
        &sim,
        "getTransaction",
        json!([SOLANA_USDC_SIGNATURE, {"encoding": "jsonParsed", "maxSupportedTransactionVersion": 0}]),
    )
    .await;
    assert_eq!(at_finalized["result"], Value::Null);
}

#[tokio::test]
async fn solana_statuses_have_the_docs_shape() {
    let sim = ChainSim::start().await.unwrap();
    let (_, without_history) = solana(
        &sim,
        "getSignatureStatuses",
        json!([[SOLANA_USDC_SIGNATURE]]),
    )
    .await;
    assert_eq!(without_history["result"]["value"], json!([null]));
    let (_, body) = solana(
        &sim,
        "getSignatureStatuses",
        json!([[SOLANA_USDC_SIGNATURE, SOLANA_SOL_SIGNATURE], {"searchTransactionHistory": true}]),
    )
    .await;
    let docs = fixture("solana/solana_getSignatureStatuses_official_docs_sample.jsonc");
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&body), keys(&docs));
    assert_eq!(
        keys(&body["result"]["value"][0]),
        keys(&docs["result"]["value"][0])
    );
    assert_eq!(
        body["result"]["value"][0]["confirmationStatus"],
        "finalized"
    );
    assert_eq!(body["result"]["value"][0]["slot"], 184_930_610);
    sim.set_mode(Api::SolanaRpc, Mode::RateLimited);
    assert_eq!(solana(&sim, "getSlot", json!([])).await.0, 429);
}

#[tokio::test]
async fn spoofs_get_fresh_hashes_and_keep_tokens_conserved() {
    let sim = ChainSim::start().await.unwrap();
    let spoofed = sim
        .spoof_solana(SOLANA_USDC_SIGNATURE, Spoof::Underpaid { by: 1 })
        .unwrap();
    assert_eq!(
        spoofed.recipient,
        "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui"
    );
    assert_eq!(spoofed.original_amount, 1000);
    assert_eq!(base58::decode(&spoofed.hash).unwrap().len(), 64);
    let config = json!({"encoding": "jsonParsed", "maxSupportedTransactionVersion": 0});
    let (_, body) = solana(&sim, "getTransaction", json!([spoofed.hash, config])).await;
    let post = &body["result"]["meta"]["postTokenBalances"];
    assert_eq!(post[0]["uiTokenAmount"]["amount"], "999");
    assert_eq!(post[1]["uiTokenAmount"]["amount"], "4848");
    assert_eq!(
        body["result"]["transaction"]["signatures"][0],
        spoofed.hash.as_str()
    );

    let eth = sim
        .spoof_eth(ETH_DOCS_RECEIPT_HASH, Spoof::NotFinal)
        .unwrap();
    assert_eq!(eth.hash.len(), 66);
    assert!(sim.spoof_eth("0x00", Spoof::FakeToken).is_none());
    let tron = sim.spoof_tron(TRON_USDT_HASH, Spoof::ZeroValue).unwrap();
    assert_eq!(
        (tron.recipient.as_str(), tron.original_amount),
        ("TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H", 100_000)
    );
}
