//! The pure decision: does this observed transaction pay this expectation?
//!
//! Checks run in a fixed order so one transaction always gets the same single reason:
//! network, execution, token, recipient, window, amount, then finality. Finality comes
//! last so a transaction that can never pay is rejected at once instead of waiting.

use std::fmt;

use chrono::{DateTime, Utc};

use super::amount::Amount;
use super::chain::Chain;
use super::observation::{Finality, NearMiss, Observation, Transfer};
use super::tokens::Token;

/// Default EVM confirmations before a payment counts (`ETH_MIN_CONFIRMATIONS`).
pub const DEFAULT_ETH_MIN_CONFIRMATIONS: u64 = 12;

/// What a payment must look like (from an invoice, or from `tiltguard verify` flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    pub chain: Chain,
    /// Normalized receiving address (see [`normalize_address`](super::chain::normalize_address)).
    pub recipient: String,
    /// Official tokens accepted; all must be on `chain`.
    pub tokens: Vec<Token>,
    pub min_amount: Amount,
    /// Invoice creation time: older transfers cannot pay this invoice.
    pub not_before: Option<DateTime<Utc>>,
    /// Invoice expiry.
    pub not_after: Option<DateTime<Utc>>,
    /// Depth needed on EVM chains; other chains use their own finality flag.
    pub min_confirmations: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Confirmed(Confirmed),
    Pending(PendingReason),
    Rejected(RejectReason),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirmed {
    pub token: Token,
    pub amount: Amount,
    pub to: String,
    pub block_time: DateTime<Utc>,
    pub confirmations: Option<u64>,
}

/// Why a payment is not final yet. The bot re-checks later by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PendingReason {
    /// EVM depth below the minimum.
    Confirmations { have: u64, need: u64 },
    /// TRON not `confirmed` / Solana not `finalized` yet.
    NotFinal { status: String },
    /// The explorer has not reported the block time yet, so the window cannot be checked.
    BlockTimeUnknown,
}

impl PendingReason {
    pub fn id(&self) -> &'static str {
        match self {
            PendingReason::Confirmations { .. } => "awaiting_confirmations",
            PendingReason::NotFinal { .. } => "awaiting_finality",
            PendingReason::BlockTimeUnknown => "awaiting_block_time",
        }
    }

    pub fn user_message(&self) -> String {
        match self {
            PendingReason::Confirmations { have, need } => format!(
                "I see your payment ({have}/{need} confirmations). I'll confirm it by myself once it is final."
            ),
            PendingReason::NotFinal { .. } => {
                "I see your payment, but the network has not finalized it yet. I'll confirm it by myself once it is final.".to_string()
            }
            PendingReason::BlockTimeUnknown => {
                "I see your payment, but its block is not fully indexed yet. I'll check again shortly.".to_string()
            }
        }
    }
}

impl fmt::Display for PendingReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PendingReason::Confirmations { have, need } => write!(f, "confirmations {have}/{need}"),
            PendingReason::NotFinal { status } => write!(f, "not final yet ({status})"),
            PendingReason::BlockTimeUnknown => f.write_str("block time not known yet"),
        }
    }
}

/// Why a payment is refused. Ids are stable snake_case for JSON, the audit log and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejectReason {
    NotFound,
    Failed,
    WrongToken,
    WrongRecipient,
    Underpaid {
        token: Token,
        expected: Amount,
        received: Amount,
    },
    BeforeInvoice,
    InvoiceExpired,
    /// Produced by the ledger when the (chain, tx_hash) already credited something.
    AlreadyUsed,
    WrongNetwork {
        expected: Chain,
        found: Chain,
    },
    ZeroValue,
}

impl RejectReason {
    pub fn id(&self) -> &'static str {
        match self {
            RejectReason::NotFound => "not_found",
            RejectReason::Failed => "failed",
            RejectReason::WrongToken => "wrong_token",
            RejectReason::WrongRecipient => "wrong_recipient",
            RejectReason::Underpaid { .. } => "underpaid",
            RejectReason::BeforeInvoice => "before_invoice",
            RejectReason::InvoiceExpired => "invoice_expired",
            RejectReason::AlreadyUsed => "already_used",
            RejectReason::WrongNetwork { .. } => "wrong_network",
            RejectReason::ZeroValue => "zero_value",
        }
    }

    /// One kind sentence for the trader.
    pub fn user_message(&self) -> String {
        match self {
            RejectReason::NotFound => "I can't find this transaction on the network yet; please check the hash, or try again in a minute if you just sent it.".into(),
            RejectReason::Failed => "This transaction failed on the network, so no funds moved; your wallet should show it as failed or reverted.".into(),
            RejectReason::WrongToken => "This transaction sent a different token than the official stablecoin on the invoice, so it can't be accepted.".into(),
            RejectReason::WrongRecipient => "This transaction didn't send the payment to our receiving address; please double-check the address on the invoice.".into(),
            RejectReason::Underpaid { token, expected, received } => format!(
                "We received {} {sym} but the invoice asks for {} {sym}; {} {sym} is missing.",
                token.format_amount(*received),
                token.format_amount(*expected),
                token.format_amount(expected.abs_diff(*received)),
                sym = token.symbol(),
            ),
            RejectReason::BeforeInvoice => "This transaction was made before the invoice was created, so it can't pay for it.".into(),
            RejectReason::InvoiceExpired => "This payment arrived after the invoice expired; please contact support and we'll sort it out.".into(),
            RejectReason::AlreadyUsed => "This transaction has already been used for a payment.".into(),
            RejectReason::WrongNetwork { expected, found } => format!(
                "This is a {found} transaction, but the invoice is for {expected}."
            ),
            RejectReason::ZeroValue => "This transaction transferred zero tokens, so it can't pay the invoice.".into(),
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Decides whether `observation` pays `expectation`.
pub fn judge(observation: &Observation, expectation: &Expectation) -> Verdict {
    if observation.chain != expectation.chain {
        return Verdict::Rejected(RejectReason::WrongNetwork {
            expected: expectation.chain,
            found: observation.chain,
        });
    }
    if !observation.success {
        return Verdict::Rejected(RejectReason::Failed);
    }
    let Some(payment) = best_accepted_payment(observation, expectation) else {
        return Verdict::Rejected(why_nothing_paid(observation, expectation));
    };
    let Some(block_time) = observation.block_time else {
        return Verdict::Pending(PendingReason::BlockTimeUnknown);
    };
    if expectation
        .not_before
        .is_some_and(|start| block_time < start)
    {
        return Verdict::Rejected(RejectReason::BeforeInvoice);
    }
    if expectation.not_after.is_some_and(|end| block_time > end) {
        return Verdict::Rejected(RejectReason::InvoiceExpired);
    }
    if payment.amount < expectation.min_amount {
        return Verdict::Rejected(RejectReason::Underpaid {
            token: payment.token,
            expected: expectation.min_amount,
            received: payment.amount,
        });
    }
    match &observation.finality {
        Finality::Depth { confirmations } if *confirmations < expectation.min_confirmations => {
            return Verdict::Pending(PendingReason::Confirmations {
                have: *confirmations,
                need: expectation.min_confirmations,
            });
        }
        Finality::NotFinal { status, .. } => {
            return Verdict::Pending(PendingReason::NotFinal {
                status: status.clone(),
            });
        }
        Finality::Depth { .. } | Finality::Final { .. } => {}
    }
    Verdict::Confirmed(Confirmed {
        token: payment.token,
        amount: payment.amount,
        to: payment.to.clone(),
        block_time,
        confirmations: observation.finality.confirmations(),
    })
}

/// The largest payment to the expected recipient in an accepted token. Different
/// tokens are never added together: an invoice names one token.
pub fn best_accepted_payment<'a>(
    observation: &'a Observation,
    expectation: &Expectation,
) -> Option<&'a Transfer> {
    observation
        .transfers
        .iter()
        .filter(|t| t.to == expectation.recipient && expectation.tokens.contains(&t.token))
        .filter(|t| !t.amount.is_zero())
        .max_by_key(|t| t.amount)
}

fn why_nothing_paid(observation: &Observation, expectation: &Expectation) -> RejectReason {
    let official_to_us_in_other_token = observation
        .transfers
        .iter()
        .any(|t| t.to == expectation.recipient && !t.amount.is_zero());
    let something_else_to_us = observation
        .near_misses
        .iter()
        .any(|m| matches!(m, NearMiss::UnofficialToken { .. } | NearMiss::NativeCoin));
    let zero_to_us = observation
        .near_misses
        .iter()
        .any(|m| matches!(m, NearMiss::ZeroValue { .. }));
    if official_to_us_in_other_token || something_else_to_us {
        RejectReason::WrongToken
    } else if zero_to_us {
        RejectReason::ZeroValue
    } else {
        // The official token went elsewhere, or nothing moved at all.
        RejectReason::WrongRecipient
    }
}

#[cfg(test)]
#[path = "tests/verdict.rs"]
mod tests;
