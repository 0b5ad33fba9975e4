//! Subscriptions: whether a trader has premium, the renewal reminder once per expiry, and
//! the one statement that extends premium (for a credited payment or an operator's grant).

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
        .fetch_optional(&mut *self.conn().await?)
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
        .fetch_all(&mut *self.conn().await?)
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
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

/// Extends a user's premium by `seconds` in one statement, from the current expiry while it
/// is in the future (renewals) or from `now`; returns the new expiry. One statement keeps
/// concurrent extensions from losing each other. `plan: None` keeps the current plan name.
pub(in crate::store) async fn extend_subscription(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    plan: Option<&str>,
    now: i64,
    seconds: i64,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO subscriptions (user_id, plan, premium_until, reminded_for, updated_at)
         VALUES ($1, COALESCE($2, 'granted'), $3 + $4, 0, $3)
         ON CONFLICT (user_id) DO UPDATE SET
             plan = COALESCE($2, subscriptions.plan),
             premium_until = CASE WHEN subscriptions.premium_until > $3
                                  THEN subscriptions.premium_until ELSE $3 END + $4,
             updated_at = $3
         RETURNING premium_until",
    )
    .bind(user_id)
    .bind(plan)
    .bind(now)
    .bind(seconds)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}
