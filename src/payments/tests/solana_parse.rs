//! Unit tests of the Solana decoding against the recorded `getTransaction` responses.

use serde_json::{Value, json};

use super::*;
use crate::payments::tokens::SOLANA_USDC;

const USDC_SIG: &str =
    "2S2rTZjaqzxYRw9mnqzwtyqitKtSsnE8GVqLn1KrD5R2YpXZnU4GdjppsgfSAbrzJfaqadfi8CtrqEBy588WVQ3E";
const SOL_SIG: &str =
    "5QMfuqThWSMMpLCRe3tk7qn7iSwWKfJV8EvD1ZPvyqAWa7Z2JftZ4rPq8YCxCwzSykX7dMkDB8RrovQMoL9ZZWKY";
const USDC_PAYEE: &str = "3i476kTBBTy7pBGx4CXwJpJ6phuwLQgcwLTdHhU3c7ui";
const USDC_PAYER: &str = "8fusVwhgo4oS1fGpZKeRaXrJXQk9auKnAgcj9A97wR3t";
const SOL_PAYEE: &str = "2b7iQq3PbWwWTotRSDFNXT9DauU418aCHK4jcAzETUem";

fn fixture(name: &str) -> Value {
    let path = format!("{}/fixtures/solana/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    // The docs samples are JSONC: drop whole-line comments.
    let json: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    serde_json::from_str(&json).unwrap()
}

fn usdc_result() -> Value {
    rpc_result(fixture(
        "solana_getTransaction_jsonParsed_usdc_transferChecked_2S2rTZja.json",
    ))
    .unwrap()
}

fn finalized() -> SignatureStatus {
    SignatureStatus {
        slot: 184_930_610,
        confirmations: None,
        err: Value::Null,
        confirmation_status: Some("finalized".into()),
    }
}

#[test]
fn recorded_usdc_transfer_checked_pays_the_owner() {
    let obs = parse_transaction(&usdc_result(), USDC_SIG, USDC_PAYEE, &finalized()).unwrap();
    assert!(obs.success);
    assert_eq!(obs.transfers.len(), 1);
    assert_eq!(obs.transfers[0].token, SOLANA_USDC);
    assert_eq!(obs.transfers[0].amount, Amount::from_base_units(1000));
    assert_eq!(obs.block, Some(184_930_610));
    assert_eq!(obs.block_time.unwrap().timestamp(), 1_679_899_845);
    assert_eq!(
        obs.finality,
        Finality::Final {
            confirmations: None
        }
    );
    assert!(obs.near_misses.is_empty(), "{:?}", obs.near_misses);
}

#[test]
fn the_payer_of_the_same_transaction_received_nothing() {
    let obs = parse_transaction(&usdc_result(), USDC_SIG, USDC_PAYER, &finalized()).unwrap();
    assert!(obs.transfers.is_empty());
    assert_eq!(
        obs.near_misses,
        [NearMiss::OtherRecipient {
            token: SOLANA_USDC,
            to: USDC_PAYEE.into()
        }]
    );
}

#[test]
fn recorded_sol_transfer_is_native_coin() {
    let result = rpc_result(fixture(
        "solana_getTransaction_jsonParsed_sol_transfer_5QMfuqTh.json",
    ))
    .unwrap();
    let obs = parse_transaction(&result, SOL_SIG, SOL_PAYEE, &finalized()).unwrap();
    assert!(obs.success);
    assert!(obs.transfers.is_empty());
    assert_eq!(obs.near_misses, [NearMiss::NativeCoin]);
}

#[test]
fn docs_sample_status_parses_and_a_null_entry_is_unknown() {
    let statuses = rpc_result(fixture(
        "solana_getSignatureStatuses_official_docs_sample.jsonc",
    ))
    .unwrap();
    let status = parse_signature_status(&statuses).unwrap().unwrap();
    assert_eq!(status.slot, 48);
    assert_eq!(status.confirmation_status.as_deref(), Some("finalized"));
    let unknown = json!({"context": {"slot": 82}, "value": [null]});
    assert_eq!(parse_signature_status(&unknown).unwrap(), None);
    assert!(parse_signature_status(&json!({"value": 3})).is_err());
}

#[test]
fn docs_sample_with_plain_encoding_and_null_block_time_decodes() {
    let result = rpc_result(fixture(
        "solana_getTransaction_json_official_docs_sample.jsonc",
    ))
    .unwrap();
    let obs = parse_transaction(
        &result,
        "unused",
        "3UVYmECPPMZSCqWKfENfuoTv51fTDTWicX9xmBD2euKe",
        &finalized(),
    )
    .unwrap();
    assert_eq!(obs.block_time, None);
    assert!(obs.transfers.is_empty());
}

#[test]
fn confirmed_but_not_finalized_is_not_final() {
    let status = SignatureStatus {
        confirmations: Some(10),
        confirmation_status: Some("confirmed".into()),
        ..finalized()
    };
    let obs = parse_transaction(&usdc_result(), USDC_SIG, USDC_PAYEE, &status).unwrap();
    assert_eq!(
        obs.finality,
        Finality::NotFinal {
            status: "confirmed".into(),
            confirmations: Some(10)
        }
    );
}

#[test]
fn failed_transaction_and_fake_mint() {
    let mut failed = usdc_result();
    failed["meta"]["err"] = json!({"InstructionError": [1, {"Custom": 1}]});
    let obs = parse_transaction(&failed, USDC_SIG, USDC_PAYEE, &finalized()).unwrap();
    assert!(!obs.success);

    let mut fake = usdc_result();
    fake["meta"]["postTokenBalances"][0]["mint"] =
        json!("So11111111111111111111111111111111111111112");
    let obs = parse_transaction(&fake, USDC_SIG, USDC_PAYEE, &finalized()).unwrap();
    assert!(obs.transfers.is_empty());
    assert!(matches!(
        &obs.near_misses[..],
        [NearMiss::UnofficialToken { .. }, ..]
    ));
}

#[test]
fn rpc_errors_are_classified() {
    let version = json!({"jsonrpc":"2.0","error":{"code":-32015,"message":"Transaction version (0) is not supported by the requesting client."},"id":1});
    assert!(matches!(
        rpc_result(version),
        Err(VerifyError::Refused { .. })
    ));
    let behind = json!({"jsonrpc":"2.0","error":{"code":-32005,"message":"Node is behind by 42 slots"},"id":1});
    assert!(matches!(
        rpc_result(behind),
        Err(VerifyError::Unavailable { .. })
    ));
}

#[test]
fn a_response_for_another_signature_is_refused() {
    assert!(parse_transaction(&usdc_result(), SOL_SIG, USDC_PAYEE, &finalized()).is_err());
}

#[test]
fn a_configured_token_account_counts_as_ours() {
    // H51D… is the USDC account created for 3i476k… in this transaction.
    let obs = parse_transaction(
        &usdc_result(),
        USDC_SIG,
        "H51DXRt3ubThhdhNeDMScfkbC5X4AWzYfHaZS3JKEfPh",
        &finalized(),
    )
    .unwrap();
    assert_eq!(obs.transfers.len(), 1);
    assert_eq!(obs.transfers[0].amount, Amount::from_base_units(1000));
}
