//! `tiltguard verify` as the operator runs it, against the chain simulators.

mod payments_support;

use std::process::{Command, Output};

use serde_json::Value;
use tiltguard_sim::chains::{ChainSim, ETH_DOCS_RECEIPT_HASH, TRON_USDT_HASH};

const DOCS_PAYEE: &str = "0xab6960a6511ff18ed8b8c012cb91c7f637947fc0";

/// Runs the binary with a clean environment pointed at `sim` (off the async workers, so
/// the simulator keeps serving).
async fn verify(sim: &ChainSim, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tiltguard"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(std::env::temp_dir())
        .env("ETHERSCAN_API_URL", sim.etherscan_url())
        .env("ETHERSCAN_API_KEY", payments_support::ETHERSCAN_KEY)
        .env("TRONSCAN_API_URL", sim.tronscan_url())
        .env("SOLANA_RPC_URL", sim.solana_rpc_url())
        .arg("verify")
        .args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    tokio::task::spawn_blocking(move || command.output().expect("the binary runs"))
        .await
        .expect("joined")
}

fn json(output: &Output) -> Value {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

fn one_error_line(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmed_payment_prints_the_documented_json() {
    let sim = ChainSim::start().await.expect("simulator");
    let out = verify(
        &sim,
        &[ETH_DOCS_RECEIPT_HASH, "--to", DOCS_PAYEE, "--json"],
        &[],
    )
    .await;
    let report = json(&out);
    assert_eq!(report["chain"], "ethereum");
    assert_eq!(report["tx_hash"], ETH_DOCS_RECEIPT_HASH);
    assert_eq!(report["status"], "confirmed");
    assert_eq!(report["reason"], Value::Null);
    assert_eq!(report["token"], "USDT");
    assert_eq!(report["amount"], "20.939174");
    assert_eq!(report["to"], "0xab6960a6511ff18Ed8B8c012cB91C7F637947Fc0");
    assert_eq!(report["confirmations"], 16_191_308 - 0xcf2427 + 1);
    assert_eq!(report["block_time"], "2021-11-08T21:52:35Z");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_verdict_exits_zero_with_its_reason() {
    let sim = ChainSim::start().await.expect("simulator");
    let pending = verify(
        &sim,
        &[
            "0x77361870fdc3046f7c24cabafa7185a84d60f4fa12aef8363e8520fbdd003cc7",
            "--to",
            "0x40fbc37ff0e4d3f900b867f2ca48ae6aba77c854",
            "--json",
        ],
        &[],
    )
    .await;
    let pending = json(&pending);
    assert_eq!(
        (pending["status"].as_str(), pending["reason"].as_str()),
        (Some("pending"), Some("awaiting_confirmations"))
    );
    assert_eq!(pending["confirmations"], 3);

    let underpaid = verify(
        &sim,
        &[
            ETH_DOCS_RECEIPT_HASH,
            "--to",
            DOCS_PAYEE,
            "--min-amount",
            "21",
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(json(&underpaid)["reason"], "underpaid");
    let early = verify(
        &sim,
        &[
            ETH_DOCS_RECEIPT_HASH,
            "--to",
            DOCS_PAYEE,
            "--not-before",
            "2022-01-01T00:00:00Z",
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(json(&early)["reason"], "before_invoice");
    // TRON, recognised from the bare hex hash, paying the configured address; plain text.
    let tron = verify(
        &sim,
        &[TRON_USDT_HASH],
        &[("PAY_TRON_ADDRESS", "TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H")],
    )
    .await;
    assert_eq!(tron.status.code(), Some(0));
    let text = String::from_utf8_lossy(&tron.stdout);
    assert!(text.starts_with("CONFIRMED — TRON transaction"), "{text}");
    assert!(
        text.contains("0.10 USDT (TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t)"),
        "{text}"
    );
    let wrong = verify(
        &sim,
        &[
            TRON_USDT_HASH,
            "--to",
            "TG1YyTqihYBVjbzaoEm5gUdiZDNwHndhRg",
            "--json",
        ],
        &[],
    )
    .await;
    assert_eq!(json(&wrong)["reason"], "wrong_recipient");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_verdict_exits_non_zero_with_one_clear_line() {
    let sim = ChainSim::start().await.expect("simulator");
    let bad = verify(&sim, &["0x1234", "--to", DOCS_PAYEE], &[]).await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(one_error_line(&bad).contains("64 characters"));

    let unconfigured = verify(&sim, &[ETH_DOCS_RECEIPT_HASH], &[]).await;
    assert_eq!(unconfigured.status.code(), Some(2));
    assert!(one_error_line(&unconfigured).contains("PAY_ETH_ADDRESS"));

    let unreachable = verify(
        &sim,
        &[ETH_DOCS_RECEIPT_HASH, "--to", DOCS_PAYEE, "--json"],
        &[("ETHERSCAN_API_URL", "http://127.0.0.1:9/v2/api")],
    )
    .await;
    assert_eq!(unreachable.status.code(), Some(1));
    let line = one_error_line(&unreachable);
    assert!(line.contains("Ethereum explorer unavailable"), "{line}");
    assert!(unreachable.stdout.is_empty(), "no verdict, no JSON");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_never_touches_the_database() {
    let sim = ChainSim::start().await.expect("simulator");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("never/created.db");
    let url = format!("sqlite://{}", db.display());
    let out = verify(
        &sim,
        &[ETH_DOCS_RECEIPT_HASH, "--to", DOCS_PAYEE],
        &[("DATABASE_URL", url.as_str())],
    )
    .await;
    assert_eq!(out.status.code(), Some(0));
    assert!(
        !db.exists() && !db.parent().unwrap().exists(),
        "verify opened the store"
    );
}
