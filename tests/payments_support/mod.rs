//! Shared setup for the payment tests: our receiving addresses, a ledger wired to the chain
//! simulator, and the bot settings that point a Harness at it.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tiltguard::payments::chain::{Chain, normalize_address};
use tiltguard::payments::ledger::{Invoice, Ledger};
use tiltguard::payments::plans::BillingConfig;
use tiltguard::payments::tokens::Token;
use tiltguard::payments::{PaymentVerifier, PaymentsConfig};
use tiltguard::store::{NewInvoice, Store};
use tiltguard_sim::chains::ChainSim;

/// Receiving addresses no recorded transaction touches (made-up keys).
pub const OUR_ETH_LOWER: &str = "0x5b38da6a701c568545dcfcb03fcb875f56beddc4";
pub const OUR_TRON: &str = "TG1YyTqihYBVjbzaoEm5gUdiZDNwHndhRg";
pub const OUR_SOL: &str = "5TeWSsjg2gbxCyWVniXeCmwM7UtHTCK7svzJr5xYJzHf";
pub const ETHERSCAN_KEY: &str = "etherscan-test-key";

pub fn our_eth() -> String {
    normalize_address(Chain::Ethereum, OUR_ETH_LOWER).expect("valid address")
}

pub fn payments_config(sim: &ChainSim) -> PaymentsConfig {
    PaymentsConfig {
        etherscan_url: sim.etherscan_url(),
        etherscan_key: ETHERSCAN_KEY.into(),
        tronscan_url: sim.tronscan_url(),
        solana_rpc_url: sim.solana_rpc_url(),
        pay_eth_address: Some(our_eth()),
        pay_tron_address: Some(OUR_TRON.into()),
        pay_sol_address: Some(OUR_SOL.into()),
        ..PaymentsConfig::default()
    }
}

pub fn billing(sim: &ChainSim) -> BillingConfig {
    BillingConfig {
        trongrid_url: sim.trongrid_url(),
        watch_interval: Duration::from_secs(1),
        ..BillingConfig::default()
    }
}

pub fn ledger(store: &Store, sim: &ChainSim) -> Ledger {
    let verifier = PaymentVerifier::new(payments_config(sim), reqwest::Client::new());
    Ledger::new(store.clone(), Arc::new(verifier), billing(sim))
}

pub fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).expect("time in range")
}

/// An invoice with explicit terms, stored as the ledger would store it.
pub async fn invoice_for(
    store: &Store,
    user_id: i64,
    token: Token,
    recipient: &str,
    amount: u128,
    window: (i64, i64),
) -> Invoice {
    let recipient = normalize_address(token.chain(), recipient).expect("valid recipient");
    let record = store
        .insert_invoice(&NewInvoice {
            user_id,
            chat_id: user_id,
            plan: "monthly".into(),
            days: 30,
            chain: token.chain().id().into(),
            token: token.contract().into(),
            amount: i64::try_from(amount).expect("amount fits"),
            recipient,
            created_at: window.0,
            expires_at: window.1,
        })
        .await
        .expect("store")
        .expect("amount free");
    Invoice::from_record(&record).expect("readable")
}

/// The environment that points a bot at `sim` for payments.
pub fn chain_env(sim: &ChainSim, watch_seconds: u64) -> Vec<(&'static str, String)> {
    vec![
        ("ETHERSCAN_API_URL", sim.etherscan_url()),
        ("ETHERSCAN_API_KEY", ETHERSCAN_KEY.to_string()),
        ("TRONSCAN_API_URL", sim.tronscan_url()),
        ("TRONGRID_API_URL", sim.trongrid_url()),
        ("SOLANA_RPC_URL", sim.solana_rpc_url()),
        ("PAY_ETH_ADDRESS", OUR_ETH_LOWER.to_string()),
        ("PAY_TRON_ADDRESS", OUR_TRON.to_string()),
        ("PAY_SOL_ADDRESS", OUR_SOL.to_string()),
        ("PAYMENT_WATCH_SECONDS", watch_seconds.to_string()),
    ]
}
