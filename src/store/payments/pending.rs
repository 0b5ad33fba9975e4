//! Pending re-checks: transactions seen but not final (or not checkable because an explorer
//! was down), kept in the database so the watcher re-checks them with backoff across
//! restarts.

use sqlx::Connection;

use super::{PENDING_COLUMNS, PendingCheck, insert_event, pending_from};
use crate::store::{Store, StoreError};

impl Store {
    /// Keeps a transaction for re-checking and marks its invoice pending. Returns false
    /// (and changes nothing) when this transaction is already waiting for this invoice.
    pub async fn add_pending_check(&self, check: &PendingCheck) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO pending_checks (chain, tx_hash, invoice_id, user_id, chat_id, attempts,
                                         next_check_at, last_status, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (chain, tx_hash, invoice_id) DO NOTHING",
        )
        .bind(check.chain.as_str())
        .bind(check.tx_hash.as_str())
        .bind(check.invoice_id)
        .bind(check.user_id)
        .bind(check.chat_id)
        .bind(check.attempts)
        .bind(check.next_check_at)
        .bind(check.last_status.as_str())
        .bind(check.created_at)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        sqlx::query(
            "UPDATE invoices SET status = 'pending' WHERE id = $1 AND status IN ('created', 'expired')",
        )
        .bind(check.invoice_id)
        .execute(&mut *tx)
        .await?;
        insert_event(
            &mut tx,
            Some(check.invoice_id),
            Some(&check.tx_hash),
            "pending",
            &check.last_status,
            check.created_at,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Moves a re-check to a later time after another inconclusive attempt.
    pub async fn reschedule_pending_check(
        &self,
        check: &PendingCheck,
        attempts: i64,
        next_check_at: i64,
        last_status: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE pending_checks SET attempts = $4, next_check_at = $5, last_status = $6
             WHERE chain = $1 AND tx_hash = $2 AND invoice_id = $3",
        )
        .bind(check.chain.as_str())
        .bind(check.tx_hash.as_str())
        .bind(check.invoice_id)
        .bind(attempts)
        .bind(next_check_at)
        .bind(last_status)
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(())
    }

    /// Re-checks that are due at `now`, oldest due first.
    pub async fn due_pending_checks(
        &self,
        now: i64,
        limit: i64,
    ) -> Result<Vec<PendingCheck>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {PENDING_COLUMNS} FROM pending_checks WHERE next_check_at <= $1
             ORDER BY next_check_at LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *self.conn().await?)
        .await?;
        Ok(rows.iter().map(pending_from).collect())
    }

    /// Every re-check of one transaction, whatever invoice it is for.
    pub async fn pending_checks_for_tx(
        &self,
        chain: &str,
        tx_hash: &str,
    ) -> Result<Vec<PendingCheck>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {PENDING_COLUMNS} FROM pending_checks WHERE chain = $1 AND tx_hash = $2"
        ))
        .bind(chain)
        .bind(tx_hash)
        .fetch_all(&mut *self.conn().await?)
        .await?;
        Ok(rows.iter().map(pending_from).collect())
    }

    /// Ends a re-check without a credit: the transaction was rejected or given up on. An
    /// unpaid invoice becomes payable again (`created`) until it expires.
    pub async fn finish_pending_check(
        &self,
        check: &PendingCheck,
        status: &str,
        detail: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        sqlx::query(
            "DELETE FROM pending_checks WHERE chain = $1 AND tx_hash = $2 AND invoice_id = $3",
        )
        .bind(check.chain.as_str())
        .bind(check.tx_hash.as_str())
        .bind(check.invoice_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE invoices SET status = 'created' WHERE id = $1 AND status = 'pending'
               AND NOT EXISTS (SELECT 1 FROM pending_checks p WHERE p.invoice_id = invoices.id)",
        )
        .bind(check.invoice_id)
        .execute(&mut *tx)
        .await?;
        insert_event(
            &mut tx,
            Some(check.invoice_id),
            Some(&check.tx_hash),
            status,
            detail,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
