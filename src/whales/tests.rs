//! The pure half of whale watching, on recorded explorer responses.

use serde_json::{Value, json};

use super::*;
use crate::payments::chain::normalize_address;
use crate::payments::solana::wallet_activity;
use crate::payments::tokens::{ETHEREUM_USDT, SOLANA_USDC, TRON_USDT};
use crate::payments::watcher::listings::{parse_tokentx_rows, parse_trc20_rows};

fn fixture(path: &str) -> Value {
    let full = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(full).unwrap()).unwrap()
}

fn eth(address: &str) -> String {
    normalize_address(Chain::Ethereum, address).unwrap()
}

#[test]
fn a_hot_wallet_s_outgoing_usdt_reads_as_sent_with_the_payee_named() {
    let body = json!({
        "status": "1",
        "message": "OK",
        "result": fixture("ethereum/etherscan_tokentx_result_rows_usdt_binance_hot_wallet.json"),
    });
    let rows = parse_tokentx_rows(&body, ETHEREUM_USDT).unwrap();
    let hot_wallet = eth("0xdfd5293d8e347dfe59e90efd55b2956a1343963d");
    let mut moves = merge_rows(Chain::Ethereum, &hot_wallet, rows);
    moves.sort_by_key(|m| m.amount);
    let summary: Vec<(bool, u128, Option<String>)> = moves
        .iter()
        .map(|m| (m.received, m.amount.base_units(), m.counterparty.clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (
                false,
                495_264_069,
                Some(eth("0x40fbc37ff0e4d3f900b867f2ca48ae6aba77c854"))
            ),
            (
                false,
                4_496_800_000,
                Some(eth("0xf7140bb010da74a191e3c98f801e596937f177fb"))
            ),
        ]
    );
    // The payee of the larger one sees the same transfer as received.
    let payee = eth("0xf7140bb010da74a191e3c98f801e596937f177fb");
    let rows = parse_tokentx_rows(&body, ETHEREUM_USDT).unwrap();
    let seen_by_payee = merge_rows(Chain::Ethereum, &payee, rows);
    assert_eq!(seen_by_payee.len(), 1);
    assert!(seen_by_payee[0].received);
    assert_eq!(seen_by_payee[0].tx_hash, moves[1].tx_hash);
}

#[test]
fn rows_of_one_transaction_in_one_direction_are_one_move() {
    let row = |to: &str, units: u128| crate::payments::watcher::listings::ListedTransfer {
        token: TRON_USDT,
        from: "TWatched".into(),
        to: to.into(),
        amount: Amount::from_base_units(units),
        tx_hash: "abc".into(),
        block_time: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
    };
    let moves = merge_rows(
        Chain::Tron,
        "TWatched",
        vec![row("TOne", 70), row("TTwo", 30), row("TWatched", 999)],
    );
    assert_eq!(moves.len(), 1, "{moves:?}");
    assert_eq!(moves[0].amount.base_units(), 100);
    assert!(!moves[0].received);
    assert_eq!(
        moves[0].counterparty, None,
        "two payees: neither is named as the counterparty"
    );
}

#[test]
fn a_recorded_trc20_history_row_is_a_move_of_its_sender() {
    let body = fixture("tron/trongrid_v1_accounts_transactions_trc20_usdt_live_capture.json");
    let rows = parse_trc20_rows(&body, TRON_USDT).unwrap();
    let moves = merge_rows(Chain::Tron, "TNtbiqvanUnm4YHK9SYzRGR8ktiHRduDbM", rows);
    assert_eq!(moves.len(), 1);
    assert!(!moves[0].received);
    assert_eq!(moves[0].amount.base_units(), 195_170_000);
    assert_eq!(
        moves[0].counterparty.as_deref(),
        Some("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
    );
}

#[test]
fn a_recorded_solana_transfer_is_read_from_each_side() {
    let result = &fixture(
        "solana/solana_getTransaction_jsonParsed_usdc_transferChecked_2S2rTZja.json",
    )["result"];
    let payer = "8fusVwhgo4oS1fGpZKeRaXrJXQk9auKnAgcj9A97wR3t";
    let payee = "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui";
    let sent = wallet_activity(result, payer).unwrap();
    assert!(sent.success);
    assert_eq!(sent.moves.len(), 1);
    assert_eq!(sent.moves[0].token, SOLANA_USDC);
    assert!(!sent.moves[0].received);
    assert_eq!(sent.moves[0].amount.base_units(), 1_000);
    assert_eq!(sent.moves[0].counterparty.as_deref(), Some(payee));
    let received = wallet_activity(result, payee).unwrap();
    assert!(received.moves[0].received);
    assert_eq!(received.moves[0].counterparty.as_deref(), Some(payer));
    assert!(
        wallet_activity(result, "11111111111111111111111111111111")
            .unwrap()
            .moves
            .is_empty(),
        "a bystander moved nothing"
    );
}

#[test]
fn an_alert_is_claimed_per_transaction_token_and_direction() {
    let movement = WalletMove {
        chain: Chain::Ethereum,
        token: ETHEREUM_USDT,
        wallet: "0xW".into(),
        received: true,
        counterparty: None,
        amount: Amount::from_base_units(1),
        tx_hash: "0xabc".into(),
        block_time: DateTime::from_timestamp(0, 0).unwrap(),
    };
    let sent = WalletMove {
        received: false,
        ..movement.clone()
    };
    assert_eq!(movement.claim_key(), "0xabc:USDT:in");
    assert_ne!(movement.claim_key(), sent.claim_key());
}

#[test]
fn the_default_threshold_is_one_hundred_thousand_dollars() {
    let settings = WhaleSettings::default();
    assert_eq!(settings.min_amount.base_units(), 100_000_000_000);
    assert_eq!(
        explorer_tx_url(Chain::Tron, "ab"),
        "https://tronscan.org/#/transaction/ab"
    );
}
