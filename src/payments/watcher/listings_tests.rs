//! The listing parsers on the recorded responses.

use serde_json::{Value, json};

use super::*;
use crate::payments::tokens::{ETHEREUM_USDC, ETHEREUM_USDT, TRON_USDT};

fn fixture(path: &str) -> Value {
    let full = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(full).unwrap()).unwrap()
}

/// The recorded USDT `tokentx` rows, in the account module's envelope.
fn usdt_rows() -> Value {
    json!({
        "status": "1",
        "message": "OK",
        "result": fixture("ethereum/etherscan_tokentx_result_rows_usdt_binance_hot_wallet.json"),
    })
}

#[test]
fn tokentx_rows_to_our_address_in_our_token_are_candidates() {
    let payee = normalize_address(
        Chain::Ethereum,
        "0x40fbc37ff0e4d3f900b867f2ca48ae6aba77c854",
    )
    .unwrap();
    let transfers = parse_tokentx(&usdt_rows(), ETHEREUM_USDT, &payee).unwrap();
    assert_eq!(transfers.len(), 1);
    let transfer = &transfers[0];
    assert_eq!(
        transfer.tx_hash,
        "0x77361870fdc3046f7c24cabafa7185a84d60f4fa12aef8363e8520fbdd003cc7"
    );
    assert_eq!(transfer.amount, Amount::from_base_units(495_264_069));
    assert_eq!(transfer.block_time.timestamp(), 1_671_121_931);
    assert_eq!(transfer.to, payee);
    // Another token's listing, or another payee, nominates nothing.
    assert!(
        parse_tokentx(&usdt_rows(), ETHEREUM_USDC, &payee)
            .unwrap()
            .is_empty()
    );
    let sender = normalize_address(
        Chain::Ethereum,
        "0xdfd5293d8e347dfe59e90efd55b2956a1343963d",
    )
    .unwrap();
    assert!(
        parse_tokentx(&usdt_rows(), ETHEREUM_USDT, &sender)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn tokentx_of_an_unaccepted_token_nominates_nothing() {
    let mkr = fixture("ethereum/etherscan_v2_tokentx_docs_sample_MKR.json");
    let payee = normalize_address(
        Chain::Ethereum,
        "0x4e83362442b8d1bec281594cea3050c8eb01311c",
    )
    .unwrap();
    assert!(
        parse_tokentx(&mkr, ETHEREUM_USDT, &payee)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn tokentx_errors_are_classified() {
    let none = json!({"status": "0", "message": "No transactions found", "result": []});
    assert!(
        parse_tokentx(&none, ETHEREUM_USDT, "0x")
            .unwrap()
            .is_empty()
    );
    let limited = fixture("ethereum/etherscan_v2_error_max_rate_limit_docs_sample.json");
    assert!(
        parse_tokentx(&limited, ETHEREUM_USDT, "0x")
            .unwrap_err()
            .is_retryable()
    );
    let key = json!({"status": "0", "message": "NOTOK", "result": "Missing/Invalid API Key"});
    assert!(matches!(
        parse_tokentx(&key, ETHEREUM_USDT, "0x"),
        Err(VerifyError::Refused { .. })
    ));
}

#[test]
fn trongrid_history_reads_to_not_the_contract_call() {
    let body = fixture("tron/trongrid_v1_accounts_transactions_trc20_usdt_live_capture.json");
    // The recorded transfer sent USDT *to the USDT contract itself*.
    let to_contract =
        parse_trc20_history(&body, TRON_USDT, "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t").unwrap();
    assert_eq!(to_contract.len(), 1);
    assert_eq!(to_contract[0].amount, Amount::from_base_units(195_170_000));
    assert_eq!(
        to_contract[0].block_time.timestamp_millis(),
        1_784_641_290_000
    );
    assert_eq!(
        to_contract[0].tx_hash,
        "77ff0c0819cc39b3d24c98a3e94c1789f9e4376509aaadc82894896474c0e6b2"
    );
    // The sender is not paid by it.
    assert!(
        parse_trc20_history(&body, TRON_USDT, "TNtbiqvanUnm4YHK9SYzRGR8ktiHRduDbM")
            .unwrap()
            .is_empty()
    );
    let failed = json!({"success": false, "error": "invalid address"});
    assert!(parse_trc20_history(&failed, TRON_USDT, "T").is_err());
}

#[test]
fn signature_listing_parses_the_recorded_result() {
    let body = fixture("solana/solana_getSignaturesForAddress_2S2rTZja.json");
    let entries = parse_signatures(&rpc_result(body).unwrap()).unwrap();
    assert_eq!(
        entries,
        [SignatureEntry {
            signature: "2S2rTZjaqzxYRw9mnqzwtyqitKtSsnE8GVqLn1KrD5R2YpXZnU4GdjppsgfSAbrzJfaqadfi8CtrqEBy588WVQ3E".into(),
            block_time: DateTime::from_timestamp(1_679_899_845, 0),
            failed: false,
        }]
    );
    let failed =
        json!([{"signature": "x", "blockTime": null, "err": {"InstructionError": [0, "x"]}}]);
    assert!(parse_signatures(&failed).unwrap()[0].failed);
    assert!(parse_signatures(&json!({})).is_err());
}
