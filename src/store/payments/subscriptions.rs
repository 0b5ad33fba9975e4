//! Subscriptions: whether a trader has premium, and the renewal reminder once per expiry.
//! They are extended only by [`Store::credit_payment`].

use sqlx::Row;

use super::SubscriptionRecord;
use crate::store::{Store, StoreError};

impl Store {
    pub async fn subscription(
        &self,
        user_id: i64,
    ) -> Result<Option<SubscriptionRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id, plan, premium_until, reminded_for FROM subscriptions WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|row| SubscriptionRecord {
            user_id: row.get(0),
            plan: row.get(1),
            premium_until: row.get(2),
            reminded_for: row.get(3),
        }))
    }

    /// Whether `user_id` has premium at `now`.
    pub async fn is_premium(&self, user_id: i64, now: i64) -> Result<bool, StoreError> {
        Ok(self
            .subscription(user_id)
            .await?
            .is_some_and(|s| s.premium_until > now))
    }

    /// Subscriptions ending within `(now, now + window]` whose reminder for this expiry
    /// has not been sent.
    pub async fn due_renewal_reminders(
        &self,
        now: i64,
        window: i64,
    ) -> Result<Vec<SubscriptionRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT user_id, plan, premium_until, reminded_for FROM subscriptions
             WHERE premium_until > $1 AND premium_until <= $2 AND reminded_for <> premium_until",
        )
        .bind(now)
        .bind(now.saturating_add(window))
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .iter()
            .map(|row| SubscriptionRecord {
                user_id: row.get(0),
                plan: row.get(1),
                premium_until: row.get(2),
                reminded_for: row.get(3),
            })
            .collect())
    }

    /// Claims the reminder for one expiry; true for exactly one caller, so two replicas
    /// never both send it.
    pub async fn claim_renewal_reminder(
        &self,
        user_id: i64,
        premium_until: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE subscriptions SET reminded_for = $2
             WHERE user_id = $1 AND premium_until = $2 AND reminded_for <> $2",
        )
        .bind(user_id)
        .bind(premium_until)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
