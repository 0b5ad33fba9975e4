//! Unit tests of the pure judge: every reason, and the order in which they win.

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::payments::observation::{Finality, NearMiss, Observation, Transfer};
use crate::payments::tokens::{ETHEREUM_USDC, ETHEREUM_USDT, SOLANA_USDC, TRON_USDT};

const US: &str = "0xab6960a6511ff18Ed8B8c012cB91C7F637947Fc0";
const THEM: &str = "0x292f04a44506c2fd49bac032e1ca148c35a478c8";

fn time(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

fn paid(amount: u128, confirmations: u64) -> Observation {
    Observation {
        chain: Chain::Ethereum,
        tx_hash: "0xabc".into(),
        success: true,
        block_time: Some(time(1_700_000_000)),
        block: Some(100),
        finality: Finality::Depth { confirmations },
        transfers: vec![Transfer {
            token: ETHEREUM_USDT,
            to: US.into(),
            amount: Amount::from_base_units(amount),
        }],
        near_misses: vec![],
    }
}

fn expect(min: u128) -> Expectation {
    Expectation {
        chain: Chain::Ethereum,
        recipient: US.into(),
        tokens: vec![ETHEREUM_USDT],
        min_amount: Amount::from_base_units(min),
        not_before: Some(time(1_700_000_000) - Duration::minutes(10)),
        not_after: Some(time(1_700_000_000) + Duration::minutes(50)),
        min_confirmations: DEFAULT_ETH_MIN_CONFIRMATIONS,
    }
}

fn rejected_id(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Rejected(reason) => reason.id(),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn exact_payment_with_enough_confirmations_is_confirmed() {
    let verdict = judge(&paid(10_000_123, 12), &expect(10_000_123));
    assert_eq!(
        verdict,
        Verdict::Confirmed(Confirmed {
            token: ETHEREUM_USDT,
            amount: Amount::from_base_units(10_000_123),
            to: US.into(),
            block_time: time(1_700_000_000),
            confirmations: Some(12),
        })
    );
}

#[test]
fn overpayment_is_confirmed_with_the_amount_received() {
    let Verdict::Confirmed(ok) = judge(&paid(11_000_000, 40), &expect(10_000_000)) else {
        panic!("overpaying must still confirm");
    };
    assert_eq!(ok.amount, Amount::from_base_units(11_000_000));
}

#[test]
fn too_few_confirmations_is_pending_with_progress() {
    let verdict = judge(&paid(10_000_000, 3), &expect(10_000_000));
    assert_eq!(
        verdict,
        Verdict::Pending(PendingReason::Confirmations { have: 3, need: 12 })
    );
    if let Verdict::Pending(reason) = verdict {
        assert_eq!(reason.to_string(), "confirmations 3/12");
        assert_eq!(reason.id(), "awaiting_confirmations");
    }
}

#[test]
fn not_final_flag_is_pending() {
    let mut obs = paid(10_000_000, 0);
    obs.finality = Finality::NotFinal {
        status: "unconfirmed".into(),
        confirmations: Some(0),
    };
    assert_eq!(
        judge(&obs, &expect(1)),
        Verdict::Pending(PendingReason::NotFinal {
            status: "unconfirmed".into()
        })
    );
    obs.finality = Finality::Final {
        confirmations: None,
    };
    assert!(matches!(judge(&obs, &expect(1)), Verdict::Confirmed(_)));
}

#[test]
fn underpaid_by_one_base_unit_shows_the_difference() {
    let verdict = judge(&paid(9_999_999, 100), &expect(10_000_000));
    let Verdict::Rejected(reason) = verdict else {
        panic!("underpaid must be rejected")
    };
    assert_eq!(
        reason,
        RejectReason::Underpaid {
            token: ETHEREUM_USDT,
            expected: Amount::from_base_units(10_000_000),
            received: Amount::from_base_units(9_999_999),
        }
    );
    assert_eq!(
        reason.user_message(),
        "We received 9.999999 USDT but the invoice asks for 10.00 USDT; 0.000001 USDT is missing."
    );
}

#[test]
fn window_edges_are_inclusive() {
    let obs = paid(5, 12);
    let mut exp = expect(5);
    exp.not_before = obs.block_time;
    exp.not_after = obs.block_time;
    assert!(matches!(judge(&obs, &exp), Verdict::Confirmed(_)));
    exp.not_before = Some(time(1_700_000_001));
    assert_eq!(rejected_id(judge(&obs, &exp)), "before_invoice");
    exp.not_before = None;
    exp.not_after = Some(time(1_699_999_999));
    assert_eq!(rejected_id(judge(&obs, &exp)), "invoice_expired");
}

#[test]
fn missing_block_time_waits_instead_of_guessing() {
    let mut obs = paid(5, 12);
    obs.block_time = None;
    assert_eq!(
        judge(&obs, &expect(5)),
        Verdict::Pending(PendingReason::BlockTimeUnknown)
    );
}

#[test]
fn failed_wins_over_everything_but_network() {
    let mut obs = paid(5, 1);
    obs.success = false;
    assert_eq!(rejected_id(judge(&obs, &expect(5))), "failed");
    obs.chain = Chain::Tron;
    assert_eq!(rejected_id(judge(&obs, &expect(5))), "wrong_network");
}

#[test]
fn wrong_network_names_both_chains() {
    let mut obs = paid(5, 12);
    obs.chain = Chain::Solana;
    obs.transfers[0].token = SOLANA_USDC;
    let Verdict::Rejected(reason) = judge(&obs, &expect(5)) else {
        panic!()
    };
    assert_eq!(
        reason.user_message(),
        "This is a Solana transaction, but the invoice is for Ethereum."
    );
}

#[test]
fn fake_token_or_native_coin_is_wrong_token() {
    let mut obs = paid(0, 12);
    obs.transfers.clear();
    obs.near_misses = vec![NearMiss::UnofficialToken {
        contract: "0xdac17f958d2ee523a2206206994597c13d8a1ec7".into(),
    }];
    assert_eq!(rejected_id(judge(&obs, &expect(5))), "wrong_token");
    obs.near_misses = vec![NearMiss::NativeCoin];
    assert_eq!(rejected_id(judge(&obs, &expect(5))), "wrong_token");
}

#[test]
fn official_token_not_on_the_invoice_is_wrong_token() {
    let mut obs = paid(10_000_000, 12);
    obs.transfers[0].token = ETHEREUM_USDC;
    assert_eq!(rejected_id(judge(&obs, &expect(10_000_000))), "wrong_token");
    let mut both = expect(10_000_000);
    both.tokens.push(ETHEREUM_USDC);
    assert!(matches!(judge(&obs, &both), Verdict::Confirmed(_)));
}

#[test]
fn payment_to_someone_else_is_wrong_recipient() {
    let mut obs = paid(0, 12);
    obs.transfers.clear();
    obs.near_misses = vec![NearMiss::OtherRecipient {
        token: ETHEREUM_USDT,
        to: THEM.into(),
    }];
    assert_eq!(rejected_id(judge(&obs, &expect(5))), "wrong_recipient");
    obs.near_misses.clear();
    assert_eq!(
        rejected_id(judge(&obs, &expect(5))),
        "wrong_recipient",
        "a transaction that moved nothing to us"
    );
    // Defence in depth: a transfer listed for another address never pays us.
    let mut obs = paid(10, 12);
    obs.transfers[0].to = THEM.into();
    assert_eq!(rejected_id(judge(&obs, &expect(5))), "wrong_recipient");
}

#[test]
fn zero_value_transfer_is_its_own_reason() {
    let mut obs = paid(0, 12);
    obs.transfers.clear();
    obs.near_misses = vec![NearMiss::ZeroValue {
        token: ETHEREUM_USDT,
    }];
    assert_eq!(rejected_id(judge(&obs, &expect(5))), "zero_value");
    // A zero transfer next to a fake token: the fake token is the real story.
    obs.near_misses.push(NearMiss::UnofficialToken {
        contract: "0x01".into(),
    });
    assert_eq!(rejected_id(judge(&obs, &expect(5))), "wrong_token");
}

#[test]
fn content_is_judged_before_finality() {
    // An underpayment with 1 confirmation is rejected now, not kept pending.
    assert_eq!(rejected_id(judge(&paid(9, 1), &expect(10))), "underpaid");
    let mut early = paid(10, 1);
    early.block_time = Some(time(1));
    assert_eq!(rejected_id(judge(&early, &expect(10))), "before_invoice");
}

#[test]
fn tron_observation_against_tron_expectation() {
    let obs = Observation {
        chain: Chain::Tron,
        tx_hash: "f6".into(),
        success: true,
        block_time: Some(time(1_602_825_813)),
        block: Some(24_177_454),
        finality: Finality::Final {
            confirmations: Some(2083),
        },
        transfers: vec![Transfer {
            token: TRON_USDT,
            to: "TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H".into(),
            amount: Amount::from_base_units(100_000),
        }],
        near_misses: vec![],
    };
    let exp = Expectation {
        chain: Chain::Tron,
        recipient: "TV52XQKBLG74BmRkaZZGNoTQGJA2VVBt2H".into(),
        tokens: vec![TRON_USDT],
        min_amount: Amount::from_base_units(100_000),
        not_before: None,
        not_after: None,
        min_confirmations: 0,
    };
    let Verdict::Confirmed(ok) = judge(&obs, &exp) else {
        panic!()
    };
    assert_eq!(ok.confirmations, Some(2083));
}

#[test]
fn every_reason_has_a_stable_id_and_a_sentence() {
    let reasons = [
        RejectReason::NotFound,
        RejectReason::Failed,
        RejectReason::WrongToken,
        RejectReason::WrongRecipient,
        RejectReason::Underpaid {
            token: ETHEREUM_USDT,
            expected: Amount::from_base_units(2),
            received: Amount::from_base_units(1),
        },
        RejectReason::BeforeInvoice,
        RejectReason::InvoiceExpired,
        RejectReason::AlreadyUsed,
        RejectReason::WrongNetwork {
            expected: Chain::Tron,
            found: Chain::Ethereum,
        },
        RejectReason::ZeroValue,
    ];
    let ids: Vec<&str> = reasons.iter().map(RejectReason::id).collect();
    assert_eq!(
        ids,
        [
            "not_found",
            "failed",
            "wrong_token",
            "wrong_recipient",
            "underpaid",
            "before_invoice",
            "invoice_expired",
            "already_used",
            "wrong_network",
            "zero_value"
        ]
    );
    for reason in &reasons {
        let message = reason.user_message();
        assert!(message.ends_with('.'), "{message}");
        assert_eq!(message.matches(". ").count(), 0, "one sentence: {message}");
    }
}
