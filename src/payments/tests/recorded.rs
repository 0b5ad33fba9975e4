//! Every recorded transaction, replayed by the simulators, gets its expected verdict.
//! The recorded payee of each transaction plays the role of our receiving address.

use tiltguard_sim::chains::{
    ChainSim, ETH_DOCS_RECEIPT_HASH, ETH_RECORDED_HEAD, SOLANA_SOL_SIGNATURE,
    SOLANA_USDC_SIGNATURE, TRON_TRX_HASH, TRON_USDT_HASH,
};

use super::tron_records::{self, OUT_OF_ENERGY_HASH, SUCCESS_HASH, TO_CONTRACT_HASH};
use super::{outcome, request, verifier_for};
use crate::payments::report::VerifyReport;

struct Row {
    hash: &'static str,
    payee: String,
    expected: &'static str,
    amount: Option<&'static str>,
    confirmations: Option<u64>,
}

fn row(
    hash: &'static str,
    payee: &str,
    expected: &'static str,
    amount: Option<&'static str>,
    confirmations: Option<u64>,
) -> Row {
    Row {
        hash,
        payee: payee.to_string(),
        expected,
        amount,
        confirmations,
    }
}

#[tokio::test]
async fn every_recorded_transaction_gets_its_verdict() {
    let sim = ChainSim::start().await.expect("simulator starts");
    for body in [
        tron_records::success(),
        tron_records::out_of_energy(),
        tron_records::sent_to_the_contract(),
    ] {
        sim.add_tron_transaction(body);
    }
    let verifier = verifier_for(&sim, [None, None, None]);
    let tron_success_payee =
        tron_records::base58_address("cdae4e9a6287333a3f7df432b050af7b17e79e63");
    let our_tron = "TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H";
    let docs_depth = ETH_RECORDED_HEAD - 0xcf2427 + 1;

    let table = [
        // Etherscan receipt docs sample: 20.939174 USDT, deep below the recorded head.
        row(
            ETH_DOCS_RECEIPT_HASH,
            "0xab6960a6511ff18ed8b8c012cb91c7f637947fc0",
            "confirmed",
            Some("20.939174"),
            Some(docs_depth),
        ),
        // tokentx USDT rows, at the depth they had when recorded (3 and 5 of 12).
        row(
            "0x77361870fdc3046f7c24cabafa7185a84d60f4fa12aef8363e8520fbdd003cc7",
            "0x40fbc37ff0e4d3f900b867f2ca48ae6aba77c854",
            "pending/awaiting_confirmations",
            Some("495.264069"),
            Some(3),
        ),
        row(
            "0xd3d529d0d420e38680ad9066a5d62434a04b01e94b00b81fc5fea303afbda076",
            "0xf7140bb010da74a191e3c98f801e596937f177fb",
            "pending/awaiting_confirmations",
            Some("4496.80"),
            Some(5),
        ),
        // tokentx MKR rows: a real token, but not an accepted stablecoin.
        row(
            "0xe8c208398bd5ae8e4c237658580db56a2a94dfa0ca382c99b776fa6e7d31d5b4",
            "0x4e83362442b8d1bec281594cea3050c8eb01311c",
            "rejected/wrong_token",
            None,
            Some(ETH_RECORDED_HEAD - 4_730_207 + 1),
        ),
        row(
            "0x9c82e89b7f6a4405d11c361adb6d808d27bcd9db3b04b3fb3bc05d182bbc5d6f",
            "0x69076e44a9c70a67d5b79d95795aba299083c275",
            "rejected/wrong_token",
            None,
            Some(ETH_RECORDED_HEAD - 4_764_973 + 1),
        ),
        // Tronscan captures: a USDT transfer, and plain TRX.
        row(
            TRON_USDT_HASH,
            our_tron,
            "confirmed",
            Some("0.10"),
            Some(2083),
        ),
        row(
            TRON_TRX_HASH,
            "TAj8fiMfB1iQQshHtLGPoFWZCNVdai9fqG",
            "rejected/wrong_token",
            None,
            Some(16084),
        ),
        // TronGrid captures: success, OUT_OF_ENERGY, and USDT sent to the USDT contract.
        row(
            SUCCESS_HASH,
            &tron_success_payee,
            "confirmed",
            Some("3.50"),
            None,
        ),
        row(OUT_OF_ENERGY_HASH, our_tron, "rejected/failed", None, None),
        row(
            TO_CONTRACT_HASH,
            our_tron,
            "rejected/wrong_recipient",
            None,
            None,
        ),
        // Solana captures: USDC transferChecked (finalized), and plain SOL.
        row(
            SOLANA_USDC_SIGNATURE,
            "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui",
            "confirmed",
            Some("0.001"),
            None,
        ),
        row(
            SOLANA_SOL_SIGNATURE,
            "2b7iQq3PbWwWTotRSDFNXT9DauU418aCHK4jcAzETUem",
            "rejected/wrong_token",
            None,
            None,
        ),
    ];

    for row in &table {
        let checked = verifier
            .verify(&request(row.hash, &row.payee))
            .await
            .unwrap_or_else(|e| panic!("{}: no verdict: {e}", row.hash));
        assert_eq!(outcome(&checked), row.expected, "{}", row.hash);
        let report = VerifyReport::from_checked(&checked).to_json();
        assert_eq!(report["amount"].as_str(), row.amount, "{}", row.hash);
        assert_eq!(
            report["confirmations"].as_u64(),
            row.confirmations,
            "{}",
            row.hash
        );
    }
}

#[tokio::test]
async fn recorded_pending_payment_confirms_once_the_head_moves_on() {
    let sim = ChainSim::start().await.expect("simulator starts");
    let verifier = verifier_for(&sim, [None, None, None]);
    let pending = request(
        "0x77361870fdc3046f7c24cabafa7185a84d60f4fa12aef8363e8520fbdd003cc7",
        "0x40fbc37ff0e4d3f900b867f2ca48ae6aba77c854",
    );
    let checked = verifier.verify(&pending).await.expect("verdict");
    assert_eq!(outcome(&checked), "pending/awaiting_confirmations");
    assert_eq!(
        checked.verdict,
        crate::payments::Verdict::Pending(crate::payments::PendingReason::Confirmations {
            have: 3,
            need: 12
        })
    );
    sim.set_eth_head(16_191_306 + 10);
    assert_eq!(
        outcome(&verifier.verify(&pending).await.expect("verdict")),
        "pending/awaiting_confirmations"
    );
    sim.set_eth_head(16_191_306 + 11);
    assert_eq!(
        outcome(&verifier.verify(&pending).await.expect("verdict")),
        "confirmed"
    );
}

#[tokio::test]
async fn the_same_transaction_pays_nobody_else() {
    let sim = ChainSim::start().await.expect("simulator starts");
    let verifier = verifier_for(&sim, [None, None, None]);
    // The sender of the docs receipt, and the USDT contract of the Tronscan capture.
    for (hash, not_payee) in [
        (
            ETH_DOCS_RECEIPT_HASH,
            "0x292f04a44506c2fd49bac032e1ca148c35a478c8",
        ),
        (TRON_USDT_HASH, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
        (
            SOLANA_USDC_SIGNATURE,
            "8fusVwhgo4oS1fGpZKeRaXrJXQk9auKnAgcj9A97wR3t",
        ),
    ] {
        let checked = verifier
            .verify(&request(hash, not_payee))
            .await
            .expect("verdict");
        assert_eq!(outcome(&checked), "rejected/wrong_recipient", "{hash}");
    }
}
