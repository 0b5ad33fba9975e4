//! Verification end to end against the chain simulators replaying the recorded fixtures.

mod outages;
mod recorded;
mod report;
mod spoofs;
mod tron_records;

use chrono::{DateTime, Utc};
use tiltguard_sim::chains::ChainSim;

use super::config::PaymentsConfig;
use super::verdict::Verdict;
use super::verifier::{Checked, PaymentVerifier, VerifyRequest};

pub(super) const ETHERSCAN_TEST_KEY: &str = "etherscan-test-key";
pub(super) const TRONSCAN_TEST_KEY: &str = "tronscan-test-key";

/// A verifier wired to `sim`, with the given receiving addresses configured.
pub(super) fn verifier_for(sim: &ChainSim, pay: [Option<&str>; 3]) -> PaymentVerifier {
    let config = PaymentsConfig {
        etherscan_url: sim.etherscan_url(),
        etherscan_key: ETHERSCAN_TEST_KEY.into(),
        tronscan_url: sim.tronscan_url(),
        tronscan_key: TRONSCAN_TEST_KEY.into(),
        solana_rpc_url: sim.solana_rpc_url(),
        pay_eth_address: pay[0].map(str::to_string),
        pay_tron_address: pay[1].map(str::to_string),
        pay_sol_address: pay[2].map(str::to_string),
        ..PaymentsConfig::default()
    };
    PaymentVerifier::new(config, reqwest::Client::new())
}

/// A request for `hash` paying `to` (the recorded payee plays "our address").
pub(super) fn request(hash: &str, to: &str) -> VerifyRequest {
    VerifyRequest {
        tx_hash: hash.into(),
        to: Some(to.into()),
        ..VerifyRequest::default()
    }
}

pub(super) fn at(seconds: u64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds as i64, 0).expect("test timestamps are in range")
}

/// `status/reason` of a verdict, as the CLI reports it.
pub(super) fn outcome(checked: &Checked) -> String {
    match &checked.verdict {
        Verdict::Confirmed(_) => "confirmed".into(),
        Verdict::Pending(why) => format!("pending/{}", why.id()),
        Verdict::Rejected(why) => format!("rejected/{}", why.id()),
    }
}

#[test]
fn the_verifier_can_be_shared_and_its_checks_spawned() {
    fn shared<T: Send + Sync>(_: &T) {}
    fn spawnable<F: std::future::Future + Send>(_: F) {}
    let verifier = PaymentVerifier::new(PaymentsConfig::default(), reqwest::Client::new());
    shared(&verifier);
    spawnable(verifier.verify(&VerifyRequest::default()));
    spawnable(super::report::verify_report(
        &verifier,
        &VerifyRequest::default(),
    ));
}
