//! The ledger: invoices in, verified payments credited exactly once.
//!
//! It joins the pure verifier to the store. Every way a payment can arrive (`/verify`, a
//! re-check of a pending transaction, an auto-matched transfer) ends in the same
//! [`Store::credit_payment`] transaction, so the UNIQUE (chain, tx_hash) key decides, once,
//! which invoice a transaction pays.

mod invoice;
mod verify;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::amount::Amount;
use super::chain::Chain;
use super::hash::TxRef;
use super::invoice_amount::{InvoiceAmountError, pick_unique_amount};
use super::plans::BillingConfig;
use super::tokens::Token;
use super::verdict::{Confirmed, PendingReason, RejectReason, Verdict};
use super::verifier::PaymentVerifier;
use crate::store::{Credit, CreditOutcome, NewInvoice, PendingCheck, Store, StoreError};

pub use invoice::Invoice;
pub use verify::VerifyOutcome;

/// Re-checks back off up to this delay between attempts.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(30 * 60);
/// A transaction still not final (or not checkable) after this long is given up on, and
/// the trader is told to contact support.
pub const MAX_PENDING_AGE: Duration = Duration::from_secs(3 * 24 * 3600);
/// How long after expiry an invoice still answers `/verify` with "invoice expired".
const EXPIRED_INVOICE_GRACE_SECONDS: i64 = 7 * 24 * 3600;
/// Attempts at finding a free unique amount when invoices are created concurrently.
const AMOUNT_ATTEMPTS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("there is no plan {0:?}")]
    UnknownPlan(String),
    #[error("payments on {0} are not enabled (no receiving address)")]
    ChainDisabled(Chain),
    #[error(transparent)]
    Amount(#[from] InvoiceAmountError),
    #[error("no free invoice amount after {0} attempts; try again")]
    AmountContention(usize),
    #[error("stored invoice {id} is unreadable: {detail}")]
    CorruptInvoice { id: i64, detail: String },
    #[error("the amount {0} does not fit the ledger")]
    AmountTooLarge(Amount),
}

/// A payment that was just credited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credited {
    pub invoice: Invoice,
    pub tx: TxRef,
    pub token: Token,
    pub amount: Amount,
    pub premium_until: DateTime<Utc>,
}

/// What crediting one confirmed payment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreditResult {
    Credited(Box<Credited>),
    /// This transaction already paid one of this user's invoices.
    AlreadyCredited {
        premium_until: Option<DateTime<Utc>>,
    },
    /// This transaction already paid someone else's invoice.
    AlreadyUsed,
}

/// How a pending transaction's re-check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecheckOutcome {
    Credited(Credited),
    Rejected(RejectReason),
    /// Still not final, or the explorer is still unreachable: rescheduled.
    StillPending,
    /// Waited [`MAX_PENDING_AGE`] without a verdict.
    GaveUp,
    /// Nothing left to do (already credited for this invoice, or the invoice is gone).
    Settled,
}

#[derive(Clone)]
pub struct Ledger {
    store: Store,
    verifier: Arc<PaymentVerifier>,
    billing: BillingConfig,
}

impl Ledger {
    pub fn new(store: Store, verifier: Arc<PaymentVerifier>, billing: BillingConfig) -> Ledger {
        Ledger {
            store,
            verifier,
            billing,
        }
    }

    pub fn billing(&self) -> &BillingConfig {
        &self.billing
    }

    pub fn verifier(&self) -> &PaymentVerifier {
        &self.verifier
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Tokens a trader may pay in: official tokens on chains with a receiving address.
    pub fn payable_tokens(&self) -> Vec<Token> {
        self.verifier
            .config()
            .enabled_chains()
            .into_iter()
            .flat_map(Token::on_chain)
            .collect()
    }

    /// Opens an invoice for `plan_id` paid in `token`, with an amount no other open invoice
    /// to the same address and token has.
    pub async fn create_invoice(
        &self,
        user_id: i64,
        chat_id: i64,
        plan_id: &str,
        token: Token,
        now: DateTime<Utc>,
    ) -> Result<Invoice, LedgerError> {
        let plan = self
            .billing
            .plan(plan_id)
            .ok_or_else(|| LedgerError::UnknownPlan(plan_id.to_string()))?;
        let chain = token.chain();
        let recipient = self
            .verifier
            .config()
            .receiving_address(chain)
            .ok_or(LedgerError::ChainDisabled(chain))?
            .to_string();
        let ttl = chrono::Duration::from_std(self.billing.invoice_ttl)
            .unwrap_or(chrono::Duration::hours(1));
        for _ in 0..AMOUNT_ATTEMPTS {
            let reserved = self
                .store
                .open_invoice_amounts(chain.id(), token.contract(), &recipient)
                .await?;
            let amount = pick_unique_amount(
                plan.price,
                reserved.into_iter().filter_map(Amount::from_i64),
            )?;
            let new = NewInvoice {
                user_id,
                chat_id,
                plan: plan.id.clone(),
                days: i64::from(plan.days),
                chain: chain.id().to_string(),
                token: token.contract().to_string(),
                amount: amount.to_i64().ok_or(LedgerError::AmountTooLarge(amount))?,
                recipient: recipient.clone(),
                created_at: now.timestamp(),
                expires_at: (now + ttl).timestamp(),
            };
            if let Some(record) = self.store.insert_invoice(&new).await? {
                return Invoice::from_record(&record);
            }
        }
        Err(LedgerError::AmountContention(AMOUNT_ATTEMPTS))
    }

    /// The user's open invoices, newest first.
    pub async fn open_invoices_of(&self, user_id: i64) -> Result<Vec<Invoice>, LedgerError> {
        let records = self.store.invoices_to_verify(user_id, i64::MAX).await?;
        records.iter().map(Invoice::from_record).collect()
    }

    /// Credits a confirmed payment of `invoice` by `tx`.
    pub async fn credit(
        &self,
        invoice: &Invoice,
        tx: &TxRef,
        confirmed: &Confirmed,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<CreditResult, LedgerError> {
        let credit = Credit {
            invoice_id: invoice.id,
            user_id: invoice.user_id,
            plan: invoice.plan.clone(),
            days: invoice.days,
            chain: tx.chain.id().to_string(),
            tx_hash: tx.hash.clone(),
            token: confirmed.token.contract().to_string(),
            amount: confirmed
                .amount
                .to_i64()
                .ok_or(LedgerError::AmountTooLarge(confirmed.amount))?,
            block_time: confirmed.block_time.timestamp(),
            detail: detail.to_string(),
            now: now.timestamp(),
        };
        let outcome = self.store.credit_payment(&credit).await?;
        let label = match outcome {
            CreditOutcome::Credited { .. } => "credited",
            CreditOutcome::AlreadyUsed { .. } => "already_used",
        };
        metrics::counter!("tiltguard_payments_total", "chain" => tx.chain.id(), "outcome" => label)
            .increment(1);
        match outcome {
            CreditOutcome::Credited { premium_until } => {
                Ok(CreditResult::Credited(Box::new(Credited {
                    invoice: invoice.clone(),
                    tx: tx.clone(),
                    token: confirmed.token,
                    amount: confirmed.amount,
                    premium_until: DateTime::from_timestamp(premium_until, 0).unwrap_or(now),
                })))
            }
            CreditOutcome::AlreadyUsed { invoice_id } => {
                self.already_used(invoice.user_id, invoice_id, Some(invoice.id))
                    .await
            }
        }
    }

    /// A transaction that already paid `paid_invoice_id`. Claiming it again for that same
    /// invoice (or, with no invoice in question, by its own payer) is harmless and answered
    /// with the current premium; claiming it for any other invoice is "already used".
    async fn already_used(
        &self,
        user_id: i64,
        paid_invoice_id: i64,
        claimed_invoice_id: Option<i64>,
    ) -> Result<CreditResult, LedgerError> {
        let own = match claimed_invoice_id {
            Some(claimed) => claimed == paid_invoice_id,
            None => self
                .store
                .invoice(paid_invoice_id)
                .await?
                .is_some_and(|paid| paid.user_id == user_id),
        };
        if !own {
            return Ok(CreditResult::AlreadyUsed);
        }
        let premium_until = self
            .store
            .subscription(user_id)
            .await?
            .and_then(|s| DateTime::from_timestamp(s.premium_until, 0));
        Ok(CreditResult::AlreadyCredited { premium_until })
    }

    /// When a re-check after `attempts` inconclusive ones should run.
    pub fn retry_delay(&self, attempts: i64) -> Duration {
        retry_delay(self.billing.watch_interval, attempts)
    }

    /// Keeps `tx` for re-checking against `invoice`; false if it already was.
    pub async fn keep_pending(
        &self,
        invoice: &Invoice,
        tx: &TxRef,
        chat_id: i64,
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, LedgerError> {
        let check = PendingCheck {
            chain: tx.chain.id().to_string(),
            tx_hash: tx.hash.clone(),
            invoice_id: invoice.id,
            user_id: invoice.user_id,
            chat_id,
            attempts: 0,
            next_check_at: now.timestamp() + seconds(self.retry_delay(0)),
            last_status: why.to_string(),
            created_at: now.timestamp(),
        };
        Ok(self.store.add_pending_check(&check).await?)
    }

    /// Runs one due re-check: credit, reject, reschedule with backoff, or give up.
    pub async fn recheck(
        &self,
        check: &PendingCheck,
        now: DateTime<Utc>,
    ) -> Result<RecheckOutcome, LedgerError> {
        let Some(record) = self.store.invoice(check.invoice_id).await? else {
            self.store
                .finish_pending_check(check, "rejected", "invoice missing", now.timestamp())
                .await?;
            return Ok(RecheckOutcome::Settled);
        };
        let invoice = Invoice::from_record(&record)?;
        let chain: Chain = check
            .chain
            .parse()
            .map_err(|_| LedgerError::CorruptInvoice {
                id: check.invoice_id,
                detail: format!("pending check on unknown chain {}", check.chain),
            })?;
        let tx = TxRef {
            chain,
            hash: check.tx_hash.clone(),
        };
        let verdict = self
            .verifier
            .verify(&invoice.request(&tx.hash))
            .await
            .map(|checked| checked.verdict);
        match verdict {
            Ok(Verdict::Confirmed(confirmed)) => {
                match self
                    .credit(&invoice, &tx, &confirmed, "confirmed on re-check", now)
                    .await?
                {
                    CreditResult::Credited(credited) => Ok(RecheckOutcome::Credited(*credited)),
                    CreditResult::AlreadyCredited { .. } => {
                        self.store
                            .finish_pending_check(
                                check,
                                "confirmed",
                                "already credited",
                                now.timestamp(),
                            )
                            .await?;
                        Ok(RecheckOutcome::Settled)
                    }
                    CreditResult::AlreadyUsed => {
                        let reason = RejectReason::AlreadyUsed;
                        self.store
                            .finish_pending_check(check, "rejected", reason.id(), now.timestamp())
                            .await?;
                        Ok(RecheckOutcome::Rejected(reason))
                    }
                }
            }
            Ok(Verdict::Pending(reason)) => {
                self.keep_waiting(check, pending_status(&reason), now).await
            }
            Ok(Verdict::Rejected(reason)) => {
                self.store
                    .finish_pending_check(check, "rejected", reason.id(), now.timestamp())
                    .await?;
                Ok(RecheckOutcome::Rejected(reason))
            }
            Err(error) => {
                tracing::warn!(%error, chain = %tx.chain, "pending payment re-check could not reach the explorer");
                self.keep_waiting(check, format!("explorer_unavailable: {error}"), now)
                    .await
            }
        }
    }

    /// Reschedules an inconclusive re-check with backoff, or gives up on it when too old.
    async fn keep_waiting(
        &self,
        check: &PendingCheck,
        status: String,
        now: DateTime<Utc>,
    ) -> Result<RecheckOutcome, LedgerError> {
        let age = now.timestamp() - check.created_at;
        if age > seconds(MAX_PENDING_AGE) {
            self.store
                .finish_pending_check(check, "abandoned", &status, now.timestamp())
                .await?;
            return Ok(RecheckOutcome::GaveUp);
        }
        let attempts = check.attempts + 1;
        let next = now.timestamp() + seconds(self.retry_delay(attempts));
        self.store
            .reschedule_pending_check(check, attempts, next, &status)
            .await?;
        Ok(RecheckOutcome::StillPending)
    }
}

fn pending_status(reason: &PendingReason) -> String {
    format!("{}: {reason}", reason.id())
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

/// Exponential backoff from `base`, capped at [`MAX_RETRY_DELAY`].
pub fn retry_delay(base: Duration, attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.clamp(0, 16)).unwrap_or(16);
    base.saturating_mul(2u32.saturating_pow(doublings))
        .min(MAX_RETRY_DELAY)
        .max(base.min(MAX_RETRY_DELAY))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_the_cap() {
        let base = Duration::from_secs(30);
        let delays: Vec<u64> = (0..8).map(|n| retry_delay(base, n).as_secs()).collect();
        assert_eq!(delays, [30, 60, 120, 240, 480, 960, 1_800, 1_800]);
        assert_eq!(retry_delay(base, -3), base);
        assert_eq!(retry_delay(base, i64::MAX), MAX_RETRY_DELAY);
        assert_eq!(
            retry_delay(Duration::from_secs(1), 2),
            Duration::from_secs(4)
        );
    }
}
