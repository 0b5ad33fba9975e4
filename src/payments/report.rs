//! The operator's view of a check, for `tiltguard verify <TX_HASH> [--json]`.
//!
//! Nothing is credited here. The JSON fields are a stable contract:
//! `chain, tx_hash, status, reason, message, token, token_contract, amount,
//! expected_amount, to, confirmations, required_confirmations, block_time`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::amount::Amount;
use super::chain::Chain;
use super::error::VerifyError;
use super::tokens::Token;
use super::verdict::{RejectReason, Verdict, best_accepted_payment};
use super::verifier::{Checked, PaymentVerifier, VerifyRequest};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyStatus {
    Confirmed,
    Pending,
    Rejected,
}

impl VerifyStatus {
    pub fn id(self) -> &'static str {
        match self {
            VerifyStatus::Confirmed => "confirmed",
            VerifyStatus::Pending => "pending",
            VerifyStatus::Rejected => "rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub chain: Chain,
    pub tx_hash: String,
    pub status: VerifyStatus,
    /// Snake_case id of the pending or rejection reason; `None` when confirmed.
    pub reason: Option<&'static str>,
    /// The sentence a trader would get.
    pub message: String,
    pub token: Option<Token>,
    /// What reached the recipient in an accepted token.
    pub amount: Option<Amount>,
    pub expected_amount: Option<Amount>,
    pub to: String,
    pub confirmations: Option<u64>,
    pub required_confirmations: Option<u64>,
    pub block_time: Option<DateTime<Utc>>,
}

/// Checks a transaction for the operator. `Err` means no verdict (bad hash, API down):
/// the CLI prints the error and exits non-zero.
pub async fn verify_report(
    verifier: &PaymentVerifier,
    request: &VerifyRequest,
) -> Result<VerifyReport, VerifyError> {
    verifier
        .verify(request)
        .await
        .map(|checked| VerifyReport::from_checked(&checked))
}

impl VerifyReport {
    pub fn from_checked(checked: &Checked) -> VerifyReport {
        let expectation = &checked.expectation;
        let paid = checked
            .observation
            .as_ref()
            .and_then(|obs| best_accepted_payment(obs, expectation));
        let (status, reason, message) = match &checked.verdict {
            Verdict::Confirmed(ok) => (
                VerifyStatus::Confirmed,
                None,
                format!(
                    "Payment confirmed: {} {} received.",
                    ok.token.format_amount(ok.amount),
                    ok.token.symbol()
                ),
            ),
            Verdict::Pending(why) => (VerifyStatus::Pending, Some(why.id()), why.user_message()),
            Verdict::Rejected(why) => (VerifyStatus::Rejected, Some(why.id()), why.user_message()),
        };
        let (token, amount) = match &checked.verdict {
            Verdict::Confirmed(ok) => (Some(ok.token), Some(ok.amount)),
            Verdict::Rejected(RejectReason::Underpaid {
                token, received, ..
            }) => (Some(*token), Some(*received)),
            _ => (paid.map(|t| t.token), paid.map(|t| t.amount)),
        };
        let observation = checked.observation.as_ref();
        VerifyReport {
            chain: checked.tx.chain,
            tx_hash: checked.tx.hash.clone(),
            status,
            reason,
            message,
            token,
            amount,
            // A minimum of one base unit is the "any amount" default, not an expectation.
            expected_amount: (expectation.min_amount.base_units() > 1)
                .then_some(expectation.min_amount),
            to: expectation.recipient.clone(),
            confirmations: observation.and_then(|obs| obs.finality.confirmations()),
            required_confirmations: (expectation.chain == Chain::Ethereum)
                .then_some(expectation.min_confirmations),
            block_time: observation.and_then(|obs| obs.block_time),
        }
    }

    pub fn to_json(&self) -> Value {
        let decimal = |amount: Option<Amount>| {
            amount.map(|a| a.to_decimal_string(self.token.map_or(6, Token::decimals)))
        };
        json!({
            "chain": self.chain.id(),
            "tx_hash": self.tx_hash,
            "status": self.status.id(),
            "reason": self.reason,
            "message": self.message,
            "token": self.token.map(Token::symbol),
            "token_contract": self.token.map(Token::contract),
            "amount": decimal(self.amount),
            "expected_amount": decimal(self.expected_amount),
            "to": self.to,
            "confirmations": self.confirmations,
            "required_confirmations": self.required_confirmations,
            "block_time": self.block_time.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        })
    }

    /// Plain text for a terminal.
    pub fn render_text(&self) -> String {
        let mut lines = vec![format!(
            "{} — {} transaction {}",
            self.status.id().to_uppercase(),
            self.chain,
            self.tx_hash
        )];
        if let Some(reason) = self.reason {
            lines.push(format!("  reason:        {reason}"));
        }
        lines.push(format!("  {}", self.message));
        if let (Some(token), Some(amount)) = (self.token, self.amount) {
            lines.push(format!(
                "  amount:        {} {} ({})",
                token.format_amount(amount),
                token.symbol(),
                token.contract()
            ));
        }
        if let Some(expected) = self.expected_amount {
            lines.push(format!(
                "  expected:      at least {}",
                expected.to_decimal_string(6)
            ));
        }
        lines.push(format!("  to:            {}", self.to));
        match (self.confirmations, self.required_confirmations) {
            (Some(have), Some(need)) => {
                lines.push(format!("  confirmations: {have} (need {need})"))
            }
            (Some(have), None) => lines.push(format!("  confirmations: {have}")),
            _ => {}
        }
        if let Some(time) = self.block_time {
            lines.push(format!(
                "  block time:    {}",
                time.to_rfc3339_opts(SecondsFormat::Secs, true)
            ));
        }
        lines.join("\n")
    }
}
