//! Explorer down or throttling: no verdict, a retryable error, and the verdict once the
//! explorer is back. Keys never leak into error text.

use tiltguard_sim::chains::{
    Api, ChainSim, ETH_DOCS_RECEIPT_HASH, Mode, SOLANA_USDC_SIGNATURE, TRON_USDT_HASH,
};

use super::{ETHERSCAN_TEST_KEY, TRONSCAN_TEST_KEY, outcome, request, verifier_for};
use crate::payments::config::PaymentsConfig;
use crate::payments::error::VerifyError;
use crate::payments::verifier::{PaymentVerifier, VerifyRequest};

fn recorded_requests() -> [(Api, VerifyRequest); 3] {
    [
        (
            Api::Etherscan,
            request(
                ETH_DOCS_RECEIPT_HASH,
                "0xab6960a6511ff18ed8b8c012cb91c7f637947fc0",
            ),
        ),
        (
            Api::Tronscan,
            request(TRON_USDT_HASH, "TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H"),
        ),
        (
            Api::SolanaRpc,
            request(
                SOLANA_USDC_SIGNATURE,
                "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui",
            ),
        ),
    ]
}

#[tokio::test]
async fn down_or_throttled_explorers_give_a_retryable_error_then_the_verdict() {
    let sim = ChainSim::start().await.expect("simulator starts");
    let verifier = verifier_for(&sim, [None, None, None]);
    for (api, req) in recorded_requests() {
        for mode in [Mode::Down, Mode::RateLimited] {
            sim.set_mode(api, mode);
            let error = verifier
                .verify(&req)
                .await
                .expect_err("no verdict while unavailable");
            assert!(
                matches!(error, VerifyError::Unavailable { .. }),
                "{api:?} {mode:?}: {error:?}"
            );
            assert!(error.is_retryable());
            assert!(
                error.user_message().contains("check it again"),
                "{}",
                error.user_message()
            );
        }
        sim.set_mode(api, Mode::Up);
        let checked = verifier.verify(&req).await.expect("verdict after recovery");
        assert_eq!(outcome(&checked), "confirmed", "{api:?}");
    }
}

#[tokio::test]
async fn not_found_is_not_claimed_while_the_other_candidate_chain_is_down() {
    let sim = ChainSim::start().await.expect("simulator starts");
    let verifier = verifier_for(
        &sim,
        [
            Some("0xab6960a6511ff18ed8b8c012cb91c7f637947fc0"),
            Some("TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H"),
            None,
        ],
    );
    let bare_eth_hash = VerifyRequest {
        tx_hash: ETH_DOCS_RECEIPT_HASH[2..].to_string(),
        ..VerifyRequest::default()
    };
    sim.set_mode(Api::Etherscan, Mode::Down);
    let error = verifier
        .verify(&bare_eth_hash)
        .await
        .expect_err("TRON says not found, Ethereum is down");
    assert!(error.is_retryable());
    // With TRON down instead, Ethereum still finds and judges it.
    sim.set_mode(Api::Etherscan, Mode::Up);
    sim.set_mode(Api::Tronscan, Mode::Down);
    let checked = verifier
        .verify(&bare_eth_hash)
        .await
        .expect("verdict from Ethereum");
    assert_eq!(outcome(&checked), "confirmed");
}

#[tokio::test]
async fn keys_travel_where_each_api_expects_them_and_never_into_errors() {
    let sim = ChainSim::start().await.expect("simulator starts");
    sim.require_etherscan_key(ETHERSCAN_TEST_KEY);
    let verifier = verifier_for(&sim, [None, None, None]);
    for (_, req) in recorded_requests() {
        verifier.verify(&req).await.expect("verdict");
    }
    let requests = sim.requests();
    assert!(
        requests
            .iter()
            .filter(|r| r.api == Api::Etherscan)
            .all(|r| r.key_location == "query")
    );
    assert!(
        requests
            .iter()
            .filter(|r| r.api == Api::Tronscan)
            .all(|r| r.key_location == "header")
    );
    let operations: Vec<&str> = requests.iter().map(|r| r.operation.as_str()).collect();
    assert_eq!(
        operations,
        [
            "eth_getTransactionReceipt",
            "eth_blockNumber",
            "eth_getBlockByNumber",
            "api/transaction-info",
            "getSignatureStatuses",
            "getTransaction"
        ]
    );

    // A wrong key is a refusal (operator must fix it), not an outage to retry forever.
    let wrong_key = PaymentVerifier::new(
        PaymentsConfig {
            etherscan_url: sim.etherscan_url(),
            etherscan_key: "not-the-key".into(),
            ..PaymentsConfig::default()
        },
        reqwest::Client::new(),
    );
    let (_, eth) = &recorded_requests()[0];
    let error = wrong_key.verify(eth).await.expect_err("refused");
    assert!(matches!(error, VerifyError::Refused { .. }), "{error:?}");
    assert!(!error.is_retryable());

    // Connection failures name no URL, so the key in the query cannot leak.
    drop(sim);
    let unreachable = PaymentVerifier::new(
        PaymentsConfig {
            etherscan_url: "http://127.0.0.1:9/v2/api".into(),
            etherscan_key: ETHERSCAN_TEST_KEY.into(),
            tronscan_url: "http://127.0.0.1:9".into(),
            tronscan_key: TRONSCAN_TEST_KEY.into(),
            ..PaymentsConfig::default()
        },
        reqwest::Client::new(),
    );
    for (api, req) in recorded_requests().into_iter().take(2) {
        let error = unreachable.verify(&req).await.expect_err("unreachable");
        let text = format!("{error} {error:?}");
        assert!(error.is_retryable(), "{api:?}: {text}");
        assert!(
            !text.contains(ETHERSCAN_TEST_KEY) && !text.contains(TRONSCAN_TEST_KEY),
            "{text}"
        );
    }
}
