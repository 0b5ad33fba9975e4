//! Invoices, credited payments, subscriptions, the payment audit trail and the pending
//! re-checks.
//!
//! Crediting is one database transaction: insert the payment (UNIQUE (chain, tx_hash)), mark
//! the invoice paid, extend the subscription, append the audit event and drop the pending
//! re-check. A UNIQUE conflict rolls everything back and means "already used", so one
//! transaction can never credit twice, whatever runs concurrently.

use sqlx::Connection;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError};

mod pending;
mod subscriptions;

pub(super) use subscriptions::extend_subscription;

const DAY_SECONDS: i64 = 86_400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceStatus {
    Created,
    /// A transaction was submitted and is being re-checked until final.
    Pending,
    Paid,
    Expired,
}

impl InvoiceStatus {
    pub fn id(self) -> &'static str {
        match self {
            InvoiceStatus::Created => "created",
            InvoiceStatus::Pending => "pending",
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Expired => "expired",
        }
    }

    fn parse(text: &str) -> InvoiceStatus {
        match text {
            "pending" => InvoiceStatus::Pending,
            "paid" => InvoiceStatus::Paid,
            "expired" => InvoiceStatus::Expired,
            _ => InvoiceStatus::Created,
        }
    }

    pub fn is_open(self) -> bool {
        matches!(self, InvoiceStatus::Created | InvoiceStatus::Pending)
    }
}

/// An invoice about to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvoice {
    pub user_id: i64,
    pub chat_id: i64,
    pub plan: String,
    pub days: i64,
    pub chain: String,
    pub token: String,
    pub amount: i64,
    pub recipient: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceRecord {
    pub id: i64,
    pub user_id: i64,
    pub chat_id: i64,
    pub plan: String,
    pub days: i64,
    pub chain: String,
    /// Official contract / mint address.
    pub token: String,
    /// Exact amount due, base units.
    pub amount: i64,
    pub recipient: String,
    pub status: InvoiceStatus,
    pub created_at: i64,
    pub expires_at: i64,
    pub paid_at: Option<i64>,
}

/// A verified, final payment to credit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    pub invoice_id: i64,
    pub user_id: i64,
    pub plan: String,
    pub days: i64,
    pub chain: String,
    pub tx_hash: String,
    pub token: String,
    pub amount: i64,
    pub block_time: i64,
    /// Audit text, e.g. "verified by /verify" or "matched by amount".
    pub detail: String,
    pub now: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditOutcome {
    Credited {
        premium_until: i64,
    },
    /// The transaction already credited an invoice (maybe this one, maybe another).
    AlreadyUsed {
        invoice_id: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRecord {
    pub user_id: i64,
    pub plan: String,
    pub premium_until: i64,
    pub reminded_for: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentEvent {
    pub invoice_id: Option<i64>,
    pub tx_hash: Option<String>,
    pub status: String,
    pub detail: String,
    pub at: i64,
}

/// A transaction waiting to become final (or to be checkable again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCheck {
    pub chain: String,
    pub tx_hash: String,
    pub invoice_id: i64,
    pub user_id: i64,
    pub chat_id: i64,
    pub attempts: i64,
    pub next_check_at: i64,
    pub last_status: String,
    pub created_at: i64,
}

const INVOICE_COLUMNS: &str = "id, user_id, chat_id, plan, days, chain, token, amount, recipient, \
                               status, created_at, expires_at, paid_at";

fn invoice_from(row: &AnyRow) -> InvoiceRecord {
    InvoiceRecord {
        id: row.get(0),
        user_id: row.get(1),
        chat_id: row.get(2),
        plan: row.get(3),
        days: row.get(4),
        chain: row.get(5),
        token: row.get(6),
        amount: row.get(7),
        recipient: row.get(8),
        status: InvoiceStatus::parse(row.get::<String, _>(9).as_str()),
        created_at: row.get(10),
        expires_at: row.get(11),
        paid_at: row.get(12),
    }
}

const PENDING_COLUMNS: &str = "chain, tx_hash, invoice_id, user_id, chat_id, attempts, \
                               next_check_at, last_status, created_at";

fn pending_from(row: &AnyRow) -> PendingCheck {
    PendingCheck {
        chain: row.get(0),
        tx_hash: row.get(1),
        invoice_id: row.get(2),
        user_id: row.get(3),
        chat_id: row.get(4),
        attempts: row.get(5),
        next_check_at: row.get(6),
        last_status: row.get(7),
        created_at: row.get(8),
    }
}

/// Whether an error is a UNIQUE violation, on either dialect.
fn is_unique_violation(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(db) => db.kind() == sqlx::error::ErrorKind::UniqueViolation,
        _ => false,
    }
}

impl Store {
    /// Amounts of the open invoices to `recipient` in `token`: taken for new invoices.
    pub async fn open_invoice_amounts(
        &self,
        chain: &str,
        token: &str,
        recipient: &str,
    ) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT amount FROM invoices
             WHERE chain = $1 AND token = $2 AND recipient = $3 AND status IN ('created', 'pending')",
        )
        .bind(chain)
        .bind(token)
        .bind(recipient)
        .fetch_all(&mut *self.conn().await?)
        .await?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    /// Stores a new invoice and its `created` event. `Ok(None)` when another open invoice
    /// took the same amount a moment earlier: pick another amount and try again.
    pub async fn insert_invoice(
        &self,
        invoice: &NewInvoice,
    ) -> Result<Option<InvoiceRecord>, StoreError> {
        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        let inserted = sqlx::query(&format!(
            "INSERT INTO invoices (user_id, chat_id, plan, days, chain, token, amount, recipient,
                                   status, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'created', $9, $10)
             RETURNING {INVOICE_COLUMNS}"
        ))
        .bind(invoice.user_id)
        .bind(invoice.chat_id)
        .bind(invoice.plan.as_str())
        .bind(invoice.days)
        .bind(invoice.chain.as_str())
        .bind(invoice.token.as_str())
        .bind(invoice.amount)
        .bind(invoice.recipient.as_str())
        .bind(invoice.created_at)
        .bind(invoice.expires_at)
        .fetch_one(&mut *tx)
        .await;
        let record = match inserted {
            Ok(row) => invoice_from(&row),
            Err(error) if is_unique_violation(&error) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        insert_event(
            &mut tx,
            Some(record.id),
            None,
            "created",
            &format!(
                "{} {} base units on {} for plan {}",
                record.amount, record.token, record.chain, record.plan
            ),
            record.created_at,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(record))
    }

    pub async fn invoice(&self, id: i64) -> Result<Option<InvoiceRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {INVOICE_COLUMNS} FROM invoices WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await?;
        Ok(row.as_ref().map(invoice_from))
    }

    /// The user's invoices a pasted hash may be meant for: open ones, and ones that expired
    /// after `expired_since` (so a late payment gets "invoice expired", not "no invoice").
    /// Newest first.
    pub async fn invoices_to_verify(
        &self,
        user_id: i64,
        expired_since: i64,
    ) -> Result<Vec<InvoiceRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {INVOICE_COLUMNS} FROM invoices
             WHERE user_id = $1
               AND (status IN ('created', 'pending') OR (status = 'expired' AND expires_at >= $2))
             ORDER BY id DESC"
        ))
        .bind(user_id)
        .bind(expired_since)
        .fetch_all(&mut *self.conn().await?)
        .await?;
        Ok(rows.iter().map(invoice_from).collect())
    }

    /// Every open invoice on `chain`, oldest first: what the watcher matches transfers to.
    pub async fn open_invoices(&self, chain: &str) -> Result<Vec<InvoiceRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {INVOICE_COLUMNS} FROM invoices
             WHERE chain = $1 AND status IN ('created', 'pending') ORDER BY id"
        ))
        .bind(chain)
        .fetch_all(&mut *self.conn().await?)
        .await?;
        Ok(rows.iter().map(invoice_from).collect())
    }

    /// Expires open invoices past their time that have no transaction under re-check (a
    /// payment made in time stays creditable until its check ends). Returns them.
    pub async fn expire_invoices(&self, now: i64) -> Result<Vec<InvoiceRecord>, StoreError> {
        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        let rows = sqlx::query(&format!(
            "UPDATE invoices SET status = 'expired'
             WHERE status IN ('created', 'pending') AND expires_at < $1
               AND NOT EXISTS (SELECT 1 FROM pending_checks p WHERE p.invoice_id = invoices.id)
             RETURNING {INVOICE_COLUMNS}"
        ))
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        let expired: Vec<InvoiceRecord> = rows.iter().map(invoice_from).collect();
        for invoice in &expired {
            insert_event(
                &mut tx,
                Some(invoice.id),
                None,
                "expired",
                "no payment in time",
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(expired)
    }

    /// Credits a final payment exactly once; see the module docs.
    pub async fn credit_payment(&self, credit: &Credit) -> Result<CreditOutcome, StoreError> {
        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        // The claim comes first, so concurrent credits of one transaction queue on its key.
        let claimed = sqlx::query(
            "INSERT INTO payments (chain, tx_hash, invoice_id, user_id, amount, token, block_time,
                                   created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (chain, tx_hash) DO NOTHING",
        )
        .bind(credit.chain.as_str())
        .bind(credit.tx_hash.as_str())
        .bind(credit.invoice_id)
        .bind(credit.user_id)
        .bind(credit.amount)
        .bind(credit.token.as_str())
        .bind(credit.block_time)
        .bind(credit.now)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() == 0 {
            tx.rollback().await?;
            // The lookups below take a connection of their own.
            drop(conn);
            let invoice_id = self
                .payment_invoice(&credit.chain, &credit.tx_hash)
                .await?
                .unwrap_or_default();
            self.record_payment_event(
                Some(credit.invoice_id),
                Some(&credit.tx_hash),
                "rejected",
                &format!("already_used: credited invoice {invoice_id} before"),
                credit.now,
            )
            .await?;
            return Ok(CreditOutcome::AlreadyUsed { invoice_id });
        }
        // Any status: a payment made inside the window counts even if its confirmation
        // arrives after the invoice expired, and a second full payment is never lost.
        sqlx::query("UPDATE invoices SET status = 'paid', paid_at = $2 WHERE id = $1")
            .bind(credit.invoice_id)
            .bind(credit.now)
            .execute(&mut *tx)
            .await?;
        let premium_until = extend_subscription(
            &mut tx,
            credit.user_id,
            Some(credit.plan.as_str()),
            credit.now,
            credit.days.saturating_mul(DAY_SECONDS),
        )
        .await?;
        insert_event(
            &mut tx,
            Some(credit.invoice_id),
            Some(&credit.tx_hash),
            "confirmed",
            &format!(
                "{} ({} base units of {}); premium until {premium_until}",
                credit.detail, credit.amount, credit.token
            ),
            credit.now,
        )
        .await?;
        sqlx::query(
            "DELETE FROM pending_checks WHERE chain = $1 AND tx_hash = $2 AND invoice_id = $3",
        )
        .bind(credit.chain.as_str())
        .bind(credit.tx_hash.as_str())
        .bind(credit.invoice_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(CreditOutcome::Credited { premium_until })
    }

    /// The invoice a transaction credited, if it credited one.
    pub async fn payment_invoice(
        &self,
        chain: &str,
        tx_hash: &str,
    ) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT invoice_id FROM payments WHERE chain = $1 AND tx_hash = $2")
            .bind(chain)
            .bind(tx_hash)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        Ok(row.map(|row| row.get(0)))
    }

    /// How many payments `user_id` has had credited (for the status screen and tests).
    pub async fn payment_count(&self, user_id: i64) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM payments WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&mut *self.conn().await?)
            .await?;
        Ok(row.get(0))
    }

    pub async fn record_payment_event(
        &self,
        invoice_id: Option<i64>,
        tx_hash: Option<&str>,
        status: &str,
        detail: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        insert_event(&mut conn, invoice_id, tx_hash, status, detail, at).await
    }

    /// The audit trail of one invoice, oldest first.
    pub async fn payment_events(&self, invoice_id: i64) -> Result<Vec<PaymentEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT invoice_id, tx_hash, status, detail, at FROM payment_events
             WHERE invoice_id = $1 ORDER BY id",
        )
        .bind(invoice_id)
        .fetch_all(&mut *self.conn().await?)
        .await?;
        Ok(rows
            .iter()
            .map(|row| PaymentEvent {
                invoice_id: row.get(0),
                tx_hash: row.get(1),
                status: row.get(2),
                detail: row.get(3),
                at: row.get(4),
            })
            .collect())
    }
}

async fn insert_event(
    conn: &mut sqlx::AnyConnection,
    invoice_id: Option<i64>,
    tx_hash: Option<&str>,
    status: &str,
    detail: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO payment_events (invoice_id, tx_hash, status, detail, at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(invoice_id)
    .bind(tx_hash)
    .bind(status)
    .bind(detail)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
#[path = "payments_tests.rs"]
mod tests;
