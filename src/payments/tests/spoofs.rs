//! The spoof family on every chain where it applies, each rejected with its own reason
//! (or kept pending when it is only not final yet).

use chrono::Duration;
use tiltguard_sim::chains::{
    ChainSim, Commitment, ETH_DOCS_RECEIPT_HASH, SOLANA_USDC_SIGNATURE, Spoof, SpoofedTx,
    TRON_USDT_HASH,
};

use super::{at, outcome, request, verifier_for};
use crate::payments::amount::Amount;
use crate::payments::verdict::{RejectReason, Verdict};
use crate::payments::verifier::{PaymentVerifier, VerifyRequest};

#[derive(Clone, Copy, Debug)]
enum On {
    Ethereum,
    Tron,
    Solana,
}

const CHAINS: [On; 3] = [On::Ethereum, On::Tron, On::Solana];

fn spoof(sim: &ChainSim, on: On, kind: Spoof) -> SpoofedTx {
    match on {
        On::Ethereum => sim.spoof_eth(ETH_DOCS_RECEIPT_HASH, kind),
        On::Tron => sim.spoof_tron(TRON_USDT_HASH, kind),
        On::Solana => sim.spoof_solana(SOLANA_USDC_SIGNATURE, kind),
    }
    .expect("the recorded payment can be spoofed")
}

/// An invoice for exactly the original amount, opened an hour before the payment.
fn invoice_for(tx: &SpoofedTx) -> VerifyRequest {
    VerifyRequest {
        min_amount: Some(Amount::from_base_units(tx.original_amount)),
        not_before: Some(at(tx.block_time) - Duration::hours(1)),
        not_after: Some(at(tx.block_time) + Duration::hours(1)),
        ..request(&tx.hash, &tx.recipient)
    }
}

async fn verdict_of(verifier: &PaymentVerifier, tx: &SpoofedTx) -> String {
    let checked = verifier.verify(&invoice_for(tx)).await.expect("a verdict");
    outcome(&checked)
}

#[tokio::test]
async fn each_spoof_is_rejected_with_its_reason_on_every_chain() {
    let sim = ChainSim::start().await.expect("simulator starts");
    let verifier = verifier_for(&sim, [None, None, None]);
    let cases = [
        (Spoof::FakeToken, "rejected/wrong_token"),
        (Spoof::WrongRecipient, "rejected/wrong_recipient"),
        (Spoof::Reverted, "rejected/failed"),
        (Spoof::Underpaid { by: 1 }, "rejected/underpaid"),
        (Spoof::ZeroValue, "rejected/zero_value"),
    ];
    for on in CHAINS {
        for (kind, expected) in cases {
            let tx = spoof(&sim, on, kind);
            assert_eq!(
                verdict_of(&verifier, &tx).await,
                expected,
                "{kind:?} on {on:?}"
            );
        }
    }
}

#[tokio::test]
async fn underpaid_by_one_base_unit_reports_both_amounts() {
    let sim = ChainSim::start().await.expect("simulator starts");
    let verifier = verifier_for(&sim, [None, None, None]);
    for on in CHAINS {
        let tx = spoof(&sim, on, Spoof::Underpaid { by: 1 });
        let checked = verifier.verify(&invoice_for(&tx)).await.expect("a verdict");
        let Verdict::Rejected(RejectReason::Underpaid {
            expected, received, ..
        }) = checked.verdict
        else {
            panic!("{on:?}: expected underpaid, got {:?}", checked.verdict);
        };
        assert_eq!(expected.base_units(), tx.original_amount, "{on:?}");
        assert_eq!(received.base_units(), tx.original_amount - 1, "{on:?}");
    }
}

#[tokio::test]
async fn not_final_is_pending_until_the_network_finalizes() {
    let sim = ChainSim::start().await.expect("simulator starts");
    let verifier = verifier_for(&sim, [None, None, None]);

    let eth = spoof(&sim, On::Ethereum, Spoof::NotFinal);
    assert_eq!(
        verdict_of(&verifier, &eth).await,
        "pending/awaiting_confirmations"
    );
    sim.set_eth_head(sim.eth_head() + 9);
    assert_eq!(verdict_of(&verifier, &eth).await, "confirmed");

    let tron = spoof(&sim, On::Tron, Spoof::NotFinal);
    assert_eq!(
        verdict_of(&verifier, &tron).await,
        "pending/awaiting_finality"
    );
    sim.set_tron_confirmed(&tron.hash, true, 19);
    assert_eq!(verdict_of(&verifier, &tron).await, "confirmed");

    let sol = spoof(&sim, On::Solana, Spoof::NotFinal);
    assert_eq!(
        verdict_of(&verifier, &sol).await,
        "pending/awaiting_finality"
    );
    sim.set_solana_commitment(&sol.hash, Commitment::Finalized);
    assert_eq!(verdict_of(&verifier, &sol).await, "confirmed");
}

#[tokio::test]
async fn payments_outside_the_invoice_window_are_rejected() {
    let sim = ChainSim::start().await.expect("simulator starts");
    let verifier = verifier_for(&sim, [None, None, None]);
    for on in CHAINS {
        // An exact copy of the recorded payment (an underpayment by zero).
        let tx = spoof(&sim, on, Spoof::Underpaid { by: 0 });
        assert_eq!(verdict_of(&verifier, &tx).await, "confirmed", "{on:?}");
        let before = VerifyRequest {
            not_before: Some(at(tx.block_time) + Duration::seconds(1)),
            ..invoice_for(&tx)
        };
        let checked = verifier.verify(&before).await.expect("a verdict");
        assert_eq!(outcome(&checked), "rejected/before_invoice", "{on:?}");
        let expired = VerifyRequest {
            not_after: Some(at(tx.block_time) - Duration::seconds(1)),
            ..invoice_for(&tx)
        };
        let checked = verifier.verify(&expired).await.expect("a verdict");
        assert_eq!(outcome(&checked), "rejected/invoice_expired", "{on:?}");
    }
}

#[tokio::test]
async fn hashes_of_another_network_are_wrong_network() {
    let sim = ChainSim::start().await.expect("simulator starts");
    let eth_payee = "0xab6960a6511ff18ed8b8c012cb91c7f637947fc0";
    let verifier = verifier_for(
        &sim,
        [
            Some(eth_payee),
            Some("TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H"),
            None,
        ],
    );
    let tron_invoice = |hash: &str| VerifyRequest {
        tx_hash: hash.into(),
        chain: Some(crate::payments::Chain::Tron),
        ..VerifyRequest::default()
    };
    // A Solana signature can never be a TRON payment: no lookup needed.
    let checked = verifier
        .verify(&tron_invoice(SOLANA_USDC_SIGNATURE))
        .await
        .expect("verdict");
    assert_eq!(outcome(&checked), "rejected/wrong_network");
    assert!(checked.observation.is_none());
    // An Ethereum hash pasted without 0x: not on TRON, found paying us on Ethereum.
    let bare = &ETH_DOCS_RECEIPT_HASH[2..];
    let checked = verifier.verify(&tron_invoice(bare)).await.expect("verdict");
    assert_eq!(outcome(&checked), "rejected/wrong_network");
    assert_eq!(
        checked.verdict,
        Verdict::Rejected(RejectReason::WrongNetwork {
            expected: crate::payments::Chain::Tron,
            found: crate::payments::Chain::Ethereum
        })
    );
}

#[tokio::test]
async fn a_bare_hex_hash_is_tried_on_both_chains_and_the_paying_one_kept() {
    let sim = ChainSim::start().await.expect("simulator starts");
    let verifier = verifier_for(
        &sim,
        [
            Some("0xab6960a6511ff18ed8b8c012cb91c7f637947fc0"),
            Some("TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H"),
            None,
        ],
    );
    let plain = |hash: &str| VerifyRequest {
        tx_hash: hash.into(),
        ..VerifyRequest::default()
    };
    let eth = verifier
        .verify(&plain(&ETH_DOCS_RECEIPT_HASH[2..]))
        .await
        .expect("verdict");
    assert_eq!(
        (eth.tx.hash.as_str(), outcome(&eth).as_str()),
        (ETH_DOCS_RECEIPT_HASH, "confirmed")
    );
    let tron = verifier
        .verify(&plain(TRON_USDT_HASH))
        .await
        .expect("verdict");
    assert_eq!(
        (tron.tx.hash.as_str(), outcome(&tron).as_str()),
        (TRON_USDT_HASH, "confirmed")
    );
    let nowhere = verifier
        .verify(&plain(&"ab".repeat(32)))
        .await
        .expect("verdict");
    assert_eq!(outcome(&nowhere), "rejected/not_found");
}

#[tokio::test]
async fn unknown_hashes_are_not_found_on_each_chain() {
    let sim = ChainSim::start().await.expect("simulator starts");
    let verifier = verifier_for(&sim, [None, None, None]);
    let unknown_signature = "5".repeat(87);
    for (hash, to) in [
        (
            format!("0x{}", "12".repeat(32)),
            "0xab6960a6511ff18ed8b8c012cb91c7f637947fc0".to_string(),
        ),
        (
            "12".repeat(32),
            "TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H".to_string(),
        ),
        (
            unknown_signature,
            "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui".to_string(),
        ),
    ] {
        let checked = verifier
            .verify(&request(&hash, &to))
            .await
            .expect("verdict");
        assert_eq!(outcome(&checked), "rejected/not_found", "{hash}");
    }
}

#[tokio::test]
async fn a_bare_hex_hash_is_searched_only_where_we_have_an_address() {
    let sim = ChainSim::start().await.expect("simulator starts");
    // Only Ethereum payments enabled: a bare hex hash is looked up there alone.
    let verifier = verifier_for(
        &sim,
        [
            Some("0xab6960a6511ff18ed8b8c012cb91c7f637947fc0"),
            None,
            None,
        ],
    );
    let plain = VerifyRequest {
        tx_hash: "cd".repeat(32),
        ..VerifyRequest::default()
    };
    let checked = verifier.verify(&plain).await.expect("verdict");
    assert_eq!(outcome(&checked), "rejected/not_found");
    assert_eq!(checked.tx.chain, crate::payments::Chain::Ethereum);
    assert!(
        sim.requests()
            .iter()
            .all(|r| r.api == tiltguard_sim::chains::Api::Etherscan)
    );
}
