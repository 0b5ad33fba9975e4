//! The operator's `tiltguard verify` output: JSON contract and text rendering.

use serde_json::json;
use tiltguard_sim::chains::{Api, ChainSim, ETH_DOCS_RECEIPT_HASH, Mode, TRON_USDT_HASH};

use super::{request, verifier_for};
use crate::payments::amount::Amount;
use crate::payments::error::VerifyError;
use crate::payments::hash::HashError;
use crate::payments::report::verify_report;
use crate::payments::verifier::VerifyRequest;

const ETH_PAYEE: &str = "0xab6960a6511ff18ed8b8c012cb91c7f637947fc0";

#[tokio::test]
async fn confirmed_report_has_every_field() {
    let sim = ChainSim::start().await.expect("simulator starts");
    let verifier = verifier_for(&sim, [Some(ETH_PAYEE), None, None]);
    let plain = VerifyRequest {
        tx_hash: ETH_DOCS_RECEIPT_HASH.into(),
        ..VerifyRequest::default()
    };
    let report = verify_report(&verifier, &plain).await.expect("verdict");
    assert_eq!(
        report.to_json(),
        json!({
            "chain": "ethereum",
            "tx_hash": ETH_DOCS_RECEIPT_HASH,
            "status": "confirmed",
            "reason": null,
            "message": "Payment confirmed: 20.939174 USDT received.",
            "token": "USDT",
            "token_contract": "0xdAC17F958D2ee523a2206206994597C13D831ec7",
            "amount": "20.939174",
            "expected_amount": null,
            "to": "0xab6960a6511ff18Ed8B8c012cB91C7F637947Fc0",
            "confirmations": 16_191_308u64 - 0xcf2427 + 1,
            "required_confirmations": 12,
            "block_time": "2021-11-08T21:52:35Z",
        })
    );
    let text = report.render_text();
    assert!(
        text.starts_with("CONFIRMED — Ethereum transaction 0xadb8"),
        "{text}"
    );
    assert!(
        text.contains("amount:        20.939174 USDT (0xdAC17F958D2ee523a2206206994597C13D831ec7)"),
        "{text}"
    );
}

#[tokio::test]
async fn underpaid_report_shows_received_and_expected() {
    let sim = ChainSim::start().await.expect("simulator starts");
    let verifier = verifier_for(&sim, [None, None, None]);
    let asking_more = VerifyRequest {
        min_amount: Some(Amount::from_base_units(100_001)),
        ..request(TRON_USDT_HASH, "TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H")
    };
    let json = verify_report(&verifier, &asking_more)
        .await
        .expect("verdict")
        .to_json();
    assert_eq!(json["status"], "rejected");
    assert_eq!(json["reason"], "underpaid");
    assert_eq!(json["amount"], "0.10");
    assert_eq!(json["expected_amount"], "0.100001");
    assert_eq!(json["required_confirmations"], serde_json::Value::Null);
    assert_eq!(json["block_time"], "2020-10-16T05:23:33Z");
    assert_eq!(
        json["message"],
        "We received 0.10 USDT but the invoice asks for 0.100001 USDT; 0.000001 USDT is missing."
    );
}

#[tokio::test]
async fn no_verdict_is_an_error_for_a_non_zero_exit() {
    let sim = ChainSim::start().await.expect("simulator starts");
    let verifier = verifier_for(&sim, [Some(ETH_PAYEE), None, None]);
    let bad = VerifyRequest {
        tx_hash: "0x1234".into(),
        ..VerifyRequest::default()
    };
    assert_eq!(
        verify_report(&verifier, &bad).await,
        Err(VerifyError::InvalidHash(HashError::WrongHexLength {
            len: 4
        }))
    );
    sim.set_mode(Api::Etherscan, Mode::Down);
    let down = VerifyRequest {
        tx_hash: ETH_DOCS_RECEIPT_HASH.into(),
        ..VerifyRequest::default()
    };
    assert!(verify_report(&verifier, &down).await.is_err());
    // A chain without a receiving address and no --to cannot be checked.
    let no_address = VerifyRequest {
        tx_hash: TRON_USDT_HASH.into(),
        chain: Some(crate::payments::Chain::Tron),
        ..VerifyRequest::default()
    };
    assert_eq!(
        verify_report(&verifier, &no_address).await,
        Err(VerifyError::NoRecipient(crate::payments::Chain::Tron))
    );
    let bad_to = VerifyRequest {
        to: Some("0xnot-an-address".into()),
        ..down
    };
    assert!(matches!(
        verify_report(&verifier, &bad_to).await,
        Err(VerifyError::InvalidAddress(_))
    ));
}
