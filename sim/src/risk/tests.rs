//! The simulator answers like the real services: right chain only, documented codes, modes.

use super::*;

async fn get_json(url: &str) -> (u16, Value) {
    let response = reqwest::get(url).await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[tokio::test]
async fn recorded_tokens_are_served_on_their_own_chain_only() {
    let sim = RiskSim::start().await.expect("start");
    let base = sim.base_url();
    let mixed_case = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
    let (status, body) = get_json(&format!(
        "{base}/api/v1/token_security/1?contract_addresses={mixed_case}"
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["code"], 1);
    assert_eq!(body["result"][fixtures::WETH]["token_symbol"], "WETH");

    let (_, other_chain) = get_json(&format!(
        "{base}/api/v1/token_security/56?contract_addresses={mixed_case}"
    ))
    .await;
    assert_eq!(
        other_chain,
        json!({"code": 1, "message": "OK", "result": {}})
    );

    let (_, toes) = get_json(&format!(
        "{base}/api/v1/solana/token_security?contract_addresses={}",
        fixtures::TOES
    ))
    .await;
    assert_eq!(toes["result"][fixtures::TOES]["metadata"]["name"], "TOES");

    assert_eq!(sim.goplus_calls("1", mixed_case), 1);
    assert_eq!(sim.goplus_calls("56", fixtures::WETH), 1);
    assert_eq!(sim.goplus_calls("solana", fixtures::TOES), 1);
    assert_eq!(sim.total_goplus_calls(), 3);
}

#[tokio::test]
async fn the_sim_rejects_what_goplus_rejects() {
    let sim = RiskSim::start().await.expect("start");
    let base = sim.base_url();
    let (_, bad_chain) = get_json(&format!(
        "{base}/api/v1/token_security/999?contract_addresses={}",
        fixtures::WETH
    ))
    .await;
    assert_eq!(bad_chain["code"], 2018);
    let (_, bad_address) = get_json(&format!(
        "{base}/api/v1/token_security/1?contract_addresses=0x1234"
    ))
    .await;
    assert_eq!(bad_address["code"], 2004);
    let (_, missing) = get_json(&format!("{base}/api/v1/token_security/1")).await;
    assert_eq!(missing["code"], 5006);
    let (_, evm_on_solana) = get_json(&format!(
        "{base}/api/v1/solana/token_security?contract_addresses={}",
        fixtures::WETH
    ))
    .await;
    assert_eq!(evm_on_solana["code"], 2004);
}

#[tokio::test]
async fn goplus_failure_modes() {
    let sim = RiskSim::start().await.expect("start");
    let url = format!(
        "{}/api/v1/token_security/1?contract_addresses={}",
        sim.base_url(),
        fixtures::KOKODI
    );
    sim.set_goplus_mode(GoPlusMode::RateLimited);
    assert_eq!(get_json(&url).await.1["code"], 4029);
    sim.set_goplus_mode(GoPlusMode::Partial);
    assert_eq!(get_json(&url).await.1["code"], 2);
    sim.set_goplus_mode(GoPlusMode::Down);
    assert_eq!(get_json(&url).await.0, 503);
    sim.set_goplus_mode(GoPlusMode::Normal);
    assert_eq!(
        get_json(&url).await.1["result"][fixtures::KOKODI]["is_honeypot"],
        "1"
    );
    assert_eq!(sim.goplus_calls("1", fixtures::KOKODI), 4);
}

#[tokio::test]
async fn honeypot_route_replays_recordings_and_documented_errors() {
    let sim = RiskSim::start().await.expect("start");
    let base = sim.base_url();
    let (status, weth) = get_json(&format!(
        "{base}/v2/IsHoneypot?address={}&chainID=1",
        fixtures::WETH
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(weth["honeypotResult"]["isHoneypot"], false);
    let (status, docs) = get_json(&format!(
        "{base}/v2/IsHoneypot?address={}&chainID=1",
        fixtures::USDC
    ))
    .await;
    assert_eq!(
        (status, docs["token"]["symbol"].clone()),
        (200, json!("USDC"))
    );
    let (status, _) = get_json(&format!(
        "{base}/v2/IsHoneypot?address={}&chainID=56",
        fixtures::WETH
    ))
    .await;
    assert_eq!(status, 404);
    let (status, body) = get_json(&format!("{base}/v2/IsHoneypot?address=nope&chainID=1")).await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("invalid token address"))
    );
    let (status, _) = get_json(&format!(
        "{base}/v2/IsHoneypot?address={}&chainID=137",
        fixtures::WETH
    ))
    .await;
    assert_eq!(status, 400);
    sim.set_honeypot_mode(HoneypotMode::RateLimited);
    let (status, _) = get_json(&format!(
        "{base}/v2/IsHoneypot?address={}&chainID=1",
        fixtures::WETH
    ))
    .await;
    assert_eq!(status, 429);
    assert_eq!(sim.honeypot_calls("1", fixtures::WETH), 2);
}

#[tokio::test]
async fn a_token_can_be_placed_on_a_second_chain_and_latency_added() {
    let sim = RiskSim::start().await.expect("start");
    assert!(sim.serve_goplus_also_on("56", fixtures::WETH));
    assert!(!sim.serve_goplus_also_on("56", "0x0000000000000000000000000000000000000001"));
    sim.set_latency(Duration::from_millis(120));
    let started = std::time::Instant::now();
    let (_, body) = get_json(&format!(
        "{}/api/v1/token_security/56?contract_addresses={}",
        sim.base_url(),
        fixtures::WETH
    ))
    .await;
    assert!(started.elapsed() >= Duration::from_millis(120));
    assert_eq!(body["result"][fixtures::WETH]["token_symbol"], "WETH");
}

#[tokio::test]
async fn nothing_listens_on_the_refused_url() {
    let url = refused_base_url().await.expect("port");
    assert!(reqwest::get(&url).await.is_err());
}
