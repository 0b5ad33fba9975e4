//! The payment watcher: the background half of payments.
//!
//! Every `PAYMENT_WATCH_SECONDS` it (a) re-checks pending transactions that are due,
//! (b) matches incoming transfers of an invoice's exact unique amount to their invoice and
//! credits them, (c) expires unpaid invoices and (d) sends the renewal reminder three days
//! before premium ends, once per expiry. Its state is the database, so a restart picks up
//! exactly where it stopped. It knows nothing of Telegram: what the trader should hear is
//! handed to a [`Notifier`].

pub mod listings;
pub mod token_account;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::chain::Chain;
use super::hash::TxRef;
use super::invoice_amount::{IncomingTransfer, OpenInvoice, match_incoming};
use super::ledger::{CreditResult, Credited, Invoice, Ledger, LedgerError, RecheckOutcome};
use super::observation::Lookup;
use super::tokens::Token;
use super::verdict::{RejectReason, Verdict};

pub use listings::{SignatureEntry, TransferListings};

/// The renewal reminder goes out this long before premium ends.
pub const RENEWAL_REMINDER_BEFORE: Duration = Duration::from_secs(3 * 24 * 3600);
/// Explorers list a transfer some time after its block. An invoice stays open this long
/// past its deadline so a payment made in time but listed late is still matched (the
/// block time, not the listing time, decides whether it was in time).
pub const LATE_LISTING_GRACE: Duration = Duration::from_secs(15 * 60);
/// Due re-checks handled per tick; the rest wait for the next one.
const RECHECKS_PER_TICK: i64 = 50;
/// Forget examined transactions beyond this many (they are cheap to look at again).
const EXAMINED_CAP: usize = 20_000;

/// Something the trader should be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A payment was credited; `matched_by_amount` when it arrived without `/verify`.
    Credited {
        chat_id: i64,
        credited: Credited,
        matched_by_amount: bool,
    },
    /// A transaction the trader submitted turned out not to pay.
    Rejected {
        chat_id: i64,
        tx_hash: String,
        reason: RejectReason,
    },
    /// A submitted transaction could not be confirmed in time.
    GaveUp {
        chat_id: i64,
        tx_hash: String,
    },
    InvoiceExpired {
        chat_id: i64,
        invoice: Invoice,
    },
    RenewalDue {
        user_id: i64,
        plan: String,
        premium_until: DateTime<Utc>,
    },
}

/// Delivers notices (the bot sends them as Telegram messages).
pub trait Notifier: Send + Sync {
    fn notify(&self, notice: Notice) -> impl Future<Output = ()> + Send;
}

pub struct Watcher {
    ledger: Ledger,
    sources: TransferListings,
    /// Matched transactions already settled (credited, kept pending or refused).
    examined: Mutex<HashSet<(Chain, String)>>,
    /// What each Solana signature paid us, so each is fetched once.
    solana_lookups: Mutex<HashMap<String, Vec<IncomingTransfer>>>,
}

fn grace() -> chrono::Duration {
    chrono::Duration::from_std(LATE_LISTING_GRACE).unwrap_or(chrono::Duration::zero())
}

impl Watcher {
    pub fn new(ledger: Ledger, http: reqwest::Client) -> Watcher {
        let sources = TransferListings::new(http, ledger.verifier().config(), ledger.billing());
        Watcher {
            ledger,
            sources,
            examined: Mutex::new(HashSet::new()),
            solana_lookups: Mutex::new(HashMap::new()),
        }
    }

    /// Ticks every `PAYMENT_WATCH_SECONDS` until `cancel`, handing notices to `notifier`.
    /// A round in progress is finished, not cut: a credit committed in it must still be
    /// announced.
    pub async fn run(self, notifier: impl Notifier, cancel: CancellationToken) {
        let interval = self.ledger.billing().watch_interval;
        tracing::info!(?interval, "payment watcher started");
        while !cancel.is_cancelled() {
            for notice in self.tick(Utc::now()).await {
                notifier.notify(notice).await;
            }
            tokio::select! {
                () = cancel.cancelled() => {}
                () = tokio::time::sleep(interval) => {}
            }
        }
        tracing::info!("payment watcher stopped");
    }

    /// One round of every job. Failures are logged and retried next round.
    pub async fn tick(&self, now: DateTime<Utc>) -> Vec<Notice> {
        let mut notices = Vec::new();
        if let Err(error) = self.recheck_due(now, &mut notices).await {
            tracing::error!(%error, "pending payment re-checks failed");
        }
        for chain in self.ledger.verifier().config().enabled_chains() {
            if let Err(error) = self.match_incoming_on(chain, now, &mut notices).await {
                tracing::warn!(%error, %chain, "matching incoming payments failed");
            }
        }
        if let Err(error) = self.expire(now, &mut notices).await {
            tracing::error!(%error, "expiring invoices failed");
        }
        if let Err(error) = self.remind(now, &mut notices).await {
            tracing::error!(%error, "renewal reminders failed");
        }
        notices
    }

    async fn recheck_due(
        &self,
        now: DateTime<Utc>,
        notices: &mut Vec<Notice>,
    ) -> Result<(), LedgerError> {
        let due = self
            .ledger
            .store()
            .due_pending_checks(now.timestamp(), RECHECKS_PER_TICK)
            .await?;
        for check in due {
            let notice = match self.ledger.recheck(&check, now).await {
                Ok(RecheckOutcome::Credited(credited)) => Some(Notice::Credited {
                    chat_id: check.chat_id,
                    credited,
                    matched_by_amount: false,
                }),
                Ok(RecheckOutcome::Rejected(reason)) => Some(Notice::Rejected {
                    chat_id: check.chat_id,
                    tx_hash: check.tx_hash.clone(),
                    reason,
                }),
                Ok(RecheckOutcome::GaveUp) => Some(Notice::GaveUp {
                    chat_id: check.chat_id,
                    tx_hash: check.tx_hash.clone(),
                }),
                Ok(RecheckOutcome::StillPending | RecheckOutcome::Settled) => None,
                Err(error) => {
                    tracing::error!(%error, tx = %check.tx_hash, "a pending payment re-check failed");
                    None
                }
            };
            notices.extend(notice);
        }
        Ok(())
    }

    /// Credits transfers of an open invoice's exact amount on `chain`.
    async fn match_incoming_on(
        &self,
        chain: Chain,
        now: DateTime<Utc>,
        notices: &mut Vec<Notice>,
    ) -> Result<(), LedgerError> {
        let records = self.ledger.store().open_invoices(chain.id()).await?;
        let oldest_deadline = now - grace();
        let mut by_destination: BTreeMap<(Token, String), Vec<Invoice>> = BTreeMap::new();
        for record in &records {
            match Invoice::from_record(record) {
                Ok(invoice) if invoice.expires_at >= oldest_deadline => by_destination
                    .entry((invoice.token, invoice.recipient.clone()))
                    .or_default()
                    .push(invoice),
                Ok(_) => {}
                Err(error) => tracing::error!(%error, "skipping an unreadable invoice"),
            }
        }
        for ((token, recipient), invoices) in by_destination {
            let since = invoices.iter().map(|i| i.created_at).min().unwrap_or(now);
            let listed = match chain {
                Chain::Ethereum => self.sources.ethereum_transfers(token, &recipient).await,
                Chain::Tron => self.sources.tron_transfers(token, &recipient, since).await,
                Chain::Solana => self.solana_transfers(token, &recipient, since).await,
            };
            let transfers: Vec<IncomingTransfer> = match listed {
                Ok(transfers) => transfers
                    .into_iter()
                    .filter(|t| t.block_time >= since && !self.was_examined(chain, &t.tx_hash))
                    .collect(),
                Err(error) => {
                    tracing::warn!(%error, %chain, "could not list incoming transfers");
                    continue;
                }
            };
            let open: Vec<OpenInvoice<i64>> = invoices.iter().map(Invoice::as_open).collect();
            for matched in match_incoming(&transfers, &open) {
                let Some(invoice) = invoices.iter().find(|i| i.id == matched.invoice_id) else {
                    continue;
                };
                let tx = TxRef {
                    chain,
                    hash: matched.tx_hash,
                };
                if let Some(notice) = self.settle_match(invoice, &tx, now).await? {
                    notices.push(notice);
                }
            }
        }
        Ok(())
    }

    /// Verifies a matched transfer in full and credits it, or keeps it for re-checking.
    async fn settle_match(
        &self,
        invoice: &Invoice,
        tx: &TxRef,
        now: DateTime<Utc>,
    ) -> Result<Option<Notice>, LedgerError> {
        let store = self.ledger.store();
        let known = store
            .payment_invoice(tx.chain.id(), &tx.hash)
            .await?
            .is_some()
            || !store
                .pending_checks_for_tx(tx.chain.id(), &tx.hash)
                .await?
                .is_empty();
        if known {
            self.mark_examined(tx);
            return Ok(None);
        }
        let checked = match self
            .ledger
            .verifier()
            .verify(&invoice.request(&tx.hash))
            .await
        {
            Ok(checked) => checked,
            Err(error) => {
                tracing::warn!(%error, tx = %tx, "could not verify a matched transfer; retrying later");
                return Ok(None);
            }
        };
        self.mark_examined(tx);
        match checked.verdict {
            Verdict::Confirmed(confirmed) => {
                let result = self
                    .ledger
                    .credit(
                        invoice,
                        &checked.tx,
                        &confirmed,
                        "matched by its unique amount",
                        now,
                    )
                    .await?;
                Ok(match result {
                    CreditResult::Credited(credited) => Some(Notice::Credited {
                        chat_id: invoice.chat_id,
                        credited: *credited,
                        matched_by_amount: true,
                    }),
                    CreditResult::AlreadyCredited { .. } | CreditResult::AlreadyUsed => None,
                })
            }
            Verdict::Pending(reason) => {
                let why = format!("matched by amount; {}: {reason}", reason.id());
                self.ledger
                    .keep_pending(invoice, &checked.tx, invoice.chat_id, &why, now)
                    .await?;
                Ok(None)
            }
            Verdict::Rejected(reason) => {
                store
                    .record_payment_event(
                        Some(invoice.id),
                        Some(&tx.hash),
                        "rejected",
                        &format!("matched by amount but {}", reason.id()),
                        now.timestamp(),
                    )
                    .await?;
                Ok(None)
            }
        }
    }

    /// Solana listings carry no amounts: each new signature is looked up once.
    async fn solana_transfers(
        &self,
        token: Token,
        recipient: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<IncomingTransfer>, super::VerifyError> {
        let account = token_account::associated_token_address(recipient, token.contract())
            .map_err(|e| super::VerifyError::Malformed {
                chain: Chain::Solana,
                detail: e.to_string(),
            })?;
        let mut transfers = Vec::new();
        for entry in self.sources.solana_signatures(&account, None).await? {
            let recent = entry.block_time.is_none_or(|t| t >= since);
            if entry.failed || !recent || self.was_examined(Chain::Solana, &entry.signature) {
                continue;
            }
            let cached = self
                .solana_lookups
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(&entry.signature)
                .cloned();
            let paid = match cached {
                Some(paid) => paid,
                None => {
                    let Some(paid) = self
                        .solana_payment(&entry.signature, token, recipient)
                        .await?
                    else {
                        continue;
                    };
                    let mut lookups = self
                        .solana_lookups
                        .lock()
                        .unwrap_or_else(|p| p.into_inner());
                    if lookups.len() >= EXAMINED_CAP {
                        lookups.clear();
                    }
                    lookups.insert(entry.signature.clone(), paid.clone());
                    paid
                }
            };
            transfers.extend(paid);
        }
        Ok(transfers)
    }

    /// What one Solana transaction paid `recipient` in `token`; `None` while it is not
    /// visible at the confirmed level yet.
    async fn solana_payment(
        &self,
        signature: &str,
        token: Token,
        recipient: &str,
    ) -> Result<Option<Vec<IncomingTransfer>>, super::VerifyError> {
        let tx = TxRef {
            chain: Chain::Solana,
            hash: signature.to_string(),
        };
        let Lookup::Found(observation) = self.ledger.verifier().lookup(&tx, recipient).await?
        else {
            return Ok(None);
        };
        let Some(block_time) = observation.block_time else {
            return Ok(None);
        };
        Ok(Some(
            observation
                .transfers
                .iter()
                .filter(|t| t.token == token)
                .map(|t| IncomingTransfer {
                    token,
                    to: t.to.clone(),
                    amount: t.amount,
                    tx_hash: signature.to_string(),
                    block_time,
                })
                .collect(),
        ))
    }

    async fn expire(
        &self,
        now: DateTime<Utc>,
        notices: &mut Vec<Notice>,
    ) -> Result<(), LedgerError> {
        let deadline = now - grace();
        for record in self
            .ledger
            .store()
            .expire_invoices(deadline.timestamp())
            .await?
        {
            match Invoice::from_record(&record) {
                Ok(invoice) => notices.push(Notice::InvoiceExpired {
                    chat_id: invoice.chat_id,
                    invoice,
                }),
                Err(error) => tracing::error!(%error, "an expired invoice is unreadable"),
            }
        }
        Ok(())
    }

    async fn remind(
        &self,
        now: DateTime<Utc>,
        notices: &mut Vec<Notice>,
    ) -> Result<(), LedgerError> {
        let store = self.ledger.store();
        let window = i64::try_from(RENEWAL_REMINDER_BEFORE.as_secs()).unwrap_or(i64::MAX);
        for due in store.due_renewal_reminders(now.timestamp(), window).await? {
            // Claimed before it is sent: a crash in between loses one reminder, never
            // sends two.
            if !store
                .claim_renewal_reminder(due.user_id, due.premium_until)
                .await?
            {
                continue;
            }
            if let Some(premium_until) = DateTime::from_timestamp(due.premium_until, 0) {
                notices.push(Notice::RenewalDue {
                    user_id: due.user_id,
                    plan: due.plan,
                    premium_until,
                });
            }
        }
        Ok(())
    }

    fn was_examined(&self, chain: Chain, hash: &str) -> bool {
        self.examined
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&(chain, hash.to_string()))
    }

    fn mark_examined(&self, tx: &TxRef) {
        let mut examined = self.examined.lock().unwrap_or_else(|p| p.into_inner());
        if examined.len() >= EXAMINED_CAP {
            examined.clear();
        }
        examined.insert((tx.chain, tx.hash.clone()));
    }
}
