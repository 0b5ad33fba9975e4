//! `/verify <hash>`: which of the trader's invoices a pasted transaction pays, and what
//! happens next (credit, keep re-checking, or one clear refusal).

use chrono::{DateTime, Utc};

use super::{
    CreditResult, Credited, EXPIRED_INVOICE_GRACE_SECONDS, Invoice, Ledger, LedgerError,
    pending_status,
};
use crate::payments::chain::Chain;
use crate::payments::error::VerifyError;
use crate::payments::hash::{HashError, TxRef, detect_tx_hash};
use crate::payments::verdict::{PendingReason, RejectReason, Verdict, judge};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyOutcome {
    Credited(Credited),
    /// The trader already got this payment credited; nothing changed.
    AlreadyCredited {
        premium_until: Option<DateTime<Utc>>,
    },
    /// Seen but not final: kept and re-checked by the watcher, which tells the trader.
    Pending {
        invoice: Invoice,
        reason: PendingReason,
    },
    /// No verdict (explorer down, rate limited, refused): kept and re-checked.
    ExplorerDown {
        invoice: Invoice,
        error: VerifyError,
    },
    Rejected {
        invoice: Option<Invoice>,
        reason: RejectReason,
    },
    /// The trader has no invoice to pay.
    NoInvoice,
    BadHash(HashError),
}

/// How good a verdict is for the trader: with several open invoices, the best one wins.
fn rank(verdict: &Verdict) -> u8 {
    match verdict {
        Verdict::Confirmed(_) => 4,
        Verdict::Pending(_) => 3,
        // Right token to the right address: this is the invoice the trader meant.
        Verdict::Rejected(
            RejectReason::Underpaid { .. }
            | RejectReason::BeforeInvoice
            | RejectReason::InvoiceExpired,
        ) => 2,
        Verdict::Rejected(_) => 1,
    }
}

struct Best {
    rank: u8,
    invoice: Invoice,
    tx: TxRef,
    verdict: Verdict,
}

impl Ledger {
    /// Checks `raw` (a hash or explorer link) against the trader's invoices.
    pub async fn verify_hash(
        &self,
        user_id: i64,
        chat_id: i64,
        raw: &str,
        now: DateTime<Utc>,
    ) -> Result<VerifyOutcome, LedgerError> {
        let detected = match detect_tx_hash(raw) {
            Ok(detected) => detected,
            Err(error) => return Ok(VerifyOutcome::BadHash(error)),
        };
        let records = self
            .store
            .invoices_to_verify(user_id, now.timestamp() - EXPIRED_INVOICE_GRACE_SECONDS)
            .await?;
        let invoices = records
            .iter()
            .map(Invoice::from_record)
            .collect::<Result<Vec<_>, _>>()?;

        for tx in detected.candidates() {
            let Some(paid) = self.store.payment_invoice(tx.chain.id(), &tx.hash).await? else {
                continue;
            };
            // Paid invoices are not in `invoices`: with one open, this claim is for another.
            if invoices.is_empty()
                && let CreditResult::AlreadyCredited { premium_until } =
                    self.already_used(user_id, paid, None).await?
            {
                return Ok(VerifyOutcome::AlreadyCredited { premium_until });
            }
            return self
                .reject(invoices.first(), &tx, RejectReason::AlreadyUsed, now)
                .await;
        }
        let Some(newest) = invoices.first() else {
            return Ok(VerifyOutcome::NoInvoice);
        };

        let mut chains: Vec<Chain> = Vec::new();
        for invoice in &invoices {
            if !chains.contains(&invoice.chain()) && detected.on_chain(invoice.chain()).is_some() {
                chains.push(invoice.chain());
            }
        }
        if chains.is_empty() {
            let found = detected.candidates()[0].clone();
            let reason = RejectReason::WrongNetwork {
                expected: newest.chain(),
                found: found.chain,
            };
            return self.reject(Some(newest), &found, reason, now).await;
        }

        let mut best: Option<Best> = None;
        let mut unreachable: Option<(Invoice, TxRef, VerifyError)> = None;
        for chain in chains {
            let group: Vec<&Invoice> = invoices.iter().filter(|i| i.chain() == chain).collect();
            let (Some(primary), Some(tx)) = (group.first(), detected.on_chain(chain)) else {
                continue;
            };
            let checked = match self.verifier.verify(&primary.request(&tx.hash)).await {
                Ok(checked) => checked,
                Err(error) => {
                    if !error.is_retryable() {
                        tracing::error!(%error, %chain, "payment check refused: check the explorer settings");
                    }
                    unreachable.get_or_insert(((*primary).clone(), tx, error));
                    continue;
                }
            };
            for &invoice in &group {
                // One lookup serves every invoice on the chain; only the judging differs.
                let verdict = match &checked.observation {
                    Some(observation) if invoice.id != primary.id => judge(
                        observation,
                        &invoice.expectation(checked.expectation.min_confirmations),
                    ),
                    _ => checked.verdict.clone(),
                };
                let rank = rank(&verdict);
                if best.as_ref().is_none_or(|b| rank > b.rank) {
                    best = Some(Best {
                        rank,
                        invoice: invoice.clone(),
                        tx: checked.tx.clone(),
                        verdict,
                    });
                }
            }
        }

        match (best, unreachable) {
            (
                Some(Best {
                    invoice,
                    tx,
                    verdict: Verdict::Confirmed(confirmed),
                    ..
                }),
                _,
            ) => {
                let credited = self
                    .credit(&invoice, &tx, &confirmed, "verified with /verify", now)
                    .await?;
                Ok(match credited {
                    CreditResult::Credited(credited) => VerifyOutcome::Credited(*credited),
                    CreditResult::AlreadyCredited { premium_until } => {
                        VerifyOutcome::AlreadyCredited { premium_until }
                    }
                    CreditResult::AlreadyUsed => VerifyOutcome::Rejected {
                        invoice: Some(invoice),
                        reason: RejectReason::AlreadyUsed,
                    },
                })
            }
            (
                Some(Best {
                    invoice,
                    tx,
                    verdict: Verdict::Pending(reason),
                    ..
                }),
                _,
            ) => {
                self.keep_pending(&invoice, &tx, chat_id, &pending_status(&reason), now)
                    .await?;
                Ok(VerifyOutcome::Pending { invoice, reason })
            }
            // A rejection from one network proves nothing while another could not be asked.
            (_, Some((invoice, tx, error))) => {
                self.keep_pending(
                    &invoice,
                    &tx,
                    chat_id,
                    &format!("explorer_unavailable: {error}"),
                    now,
                )
                .await?;
                Ok(VerifyOutcome::ExplorerDown { invoice, error })
            }
            (
                Some(Best {
                    invoice,
                    tx,
                    verdict: Verdict::Rejected(reason),
                    ..
                }),
                None,
            ) => self.reject(Some(&invoice), &tx, reason, now).await,
            (None, None) => Ok(VerifyOutcome::NoInvoice),
        }
    }

    /// Records a refusal in the audit trail and returns it.
    async fn reject(
        &self,
        invoice: Option<&Invoice>,
        tx: &TxRef,
        reason: RejectReason,
        now: DateTime<Utc>,
    ) -> Result<VerifyOutcome, LedgerError> {
        self.store
            .record_payment_event(
                invoice.map(|i| i.id),
                Some(&tx.hash),
                "rejected",
                &format!("{}: {}", reason.id(), tx.chain.id()),
                now.timestamp(),
            )
            .await?;
        Ok(VerifyOutcome::Rejected {
            invoice: invoice.cloned(),
            reason,
        })
    }
}
