//! The operator's side: bot statistics, premium grants, the audit log and broadcasts.

use sqlx::Row;

use super::payments::extend_subscription;
use super::{Store, StoreError, now_unix, utc_day};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BotStats {
    pub users: i64,
    pub active_today: i64,
    pub banned: i64,
    pub premium: i64,
    pub replies_today: i64,
    pub scans_today: i64,
    pub cost_today_micros: i64,
    pub cost_month_micros: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminAction {
    pub admin_id: i64,
    pub action: String,
    pub target: Option<String>,
    pub detail: String,
    pub at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broadcast {
    pub id: i64,
    pub admin_id: i64,
    pub text: String,
    pub last_chat: i64,
    pub sent: i64,
    pub failed: i64,
}

const COST_SINCE: &str =
    "SELECT CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT) FROM llm_ledger WHERE day >= $1";

impl Store {
    pub async fn bot_stats(&self, month_start_day: i64) -> Result<BotStats, StoreError> {
        let now = now_unix();
        let today = utc_day(now);
        // Every figure is one aggregate over one table, filtered by a single value.
        let scalar = |sql: &'static str, value: i64| async move {
            let row = sqlx::query(sql)
                .bind(value)
                .fetch_one(&mut *self.conn().await?)
                .await?;
            Ok::<i64, StoreError>(row.get(0))
        };
        Ok(BotStats {
            users: scalar("SELECT COUNT(*) FROM users WHERE created_at <= $1", now).await?,
            active_today: scalar(
                "SELECT COUNT(*) FROM users WHERE last_seen_at >= $1",
                today * 86_400,
            )
            .await?,
            banned: scalar("SELECT COUNT(*) FROM users WHERE is_banned = $1", 1).await?,
            premium: scalar(
                "SELECT COUNT(*) FROM subscriptions WHERE premium_until > $1",
                now,
            )
            .await?,
            replies_today: scalar(
                "SELECT COUNT(*) FROM llm_ledger WHERE day = $1 AND kind <> 'summary'",
                today,
            )
            .await?,
            scans_today: scalar(
                "SELECT CAST(COALESCE(SUM(scans), 0) AS BIGINT) FROM daily_usage WHERE day = $1",
                today,
            )
            .await?,
            cost_today_micros: scalar(COST_SINCE, today).await?,
            cost_month_micros: scalar(COST_SINCE, month_start_day).await?,
        })
    }

    /// Extends a user's premium by `days` from the later of now and their current expiry,
    /// keeping their plan name; returns the new expiry.
    pub async fn grant_premium(&self, user_id: i64, days: i64) -> Result<i64, StoreError> {
        let mut conn = self.conn().await?;
        extend_subscription(
            &mut conn,
            user_id,
            None,
            now_unix(),
            days.saturating_mul(86_400),
        )
        .await
    }

    pub async fn record_admin_action(
        &self,
        admin_id: i64,
        action: &str,
        target: Option<&str>,
        detail: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO admin_actions (admin_id, action, target, detail, at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(admin_id)
        .bind(action)
        .bind(target)
        .bind(detail)
        .bind(now_unix())
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(())
    }

    /// The newest `limit` admin actions, newest first.
    pub async fn admin_actions(&self, limit: i64) -> Result<Vec<AdminAction>, StoreError> {
        let rows = sqlx::query(
            "SELECT admin_id, action, target, detail, at FROM admin_actions
             ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&mut *self.conn().await?)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| AdminAction {
                admin_id: row.get(0),
                action: row.get(1),
                target: row.get(2),
                detail: row.get(3),
                at: row.get(4),
            })
            .collect())
    }

    pub async fn create_broadcast(&self, admin_id: i64, text: &str) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO broadcasts (admin_id, text, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(admin_id)
        .bind(text)
        .bind(now_unix())
        .fetch_one(&mut *self.conn().await?)
        .await?;
        Ok(row.get(0))
    }

    pub async fn running_broadcasts(&self) -> Result<Vec<Broadcast>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, admin_id, text, last_chat, sent, failed FROM broadcasts
             WHERE status = 'running' ORDER BY id",
        )
        .fetch_all(&mut *self.conn().await?)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| Broadcast {
                id: row.get(0),
                admin_id: row.get(1),
                text: row.get(2),
                last_chat: row.get(3),
                sent: row.get(4),
                failed: row.get(5),
            })
            .collect())
    }

    /// The next private chats to receive a broadcast: not blocked, ids after `after`.
    pub async fn broadcast_targets(&self, after: i64, limit: i64) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query(
            "SELECT id FROM chats WHERE kind = 'private' AND blocked_at IS NULL AND id > $1
             ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&mut *self.conn().await?)
        .await?;
        Ok(rows.into_iter().map(|row| row.get(0)).collect())
    }

    /// Records one delivery attempt so a restart resumes after `chat_id`.
    pub async fn advance_broadcast(
        &self,
        id: i64,
        chat_id: i64,
        delivered: bool,
    ) -> Result<(), StoreError> {
        let (sent, failed) = if delivered { (1, 0) } else { (0, 1) };
        sqlx::query(
            "UPDATE broadcasts SET last_chat = $1, sent = sent + $2, failed = failed + $3
             WHERE id = $4",
        )
        .bind(chat_id)
        .bind(sent as i64)
        .bind(failed as i64)
        .bind(id)
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(())
    }

    pub async fn finish_broadcast(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE broadcasts SET status = 'done', finished_at = $1 WHERE id = $2")
            .bind(now_unix())
            .bind(id)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::store::testing::{each_store, message_in};

    #[tokio::test]
    async fn grants_extend_from_the_later_of_now_and_the_current_expiry() {
        for (dialect, store) in each_store().await {
            let first = store.grant_premium(1, 30).await.unwrap();
            let second = store.grant_premium(1, 30).await.unwrap();
            assert_eq!(second - first, 30 * 86_400, "{dialect}");
            let stats = store.bot_stats(0).await.unwrap();
            assert_eq!(stats.premium, 1, "{dialect}");
        }
    }

    #[tokio::test]
    async fn broadcasts_resume_after_the_last_chat_reached() {
        for (dialect, store) in each_store().await {
            for id in [5, 3, 9] {
                message_in(&store, id, "private", None).await;
            }
            message_in(&store, -7, "group", Some("g")).await;
            store.mark_chat_blocked(9).await.unwrap();
            let id = store.create_broadcast(1, "hello").await.unwrap();
            assert_eq!(
                store.broadcast_targets(0, 10).await.unwrap(),
                vec![3, 5],
                "{dialect}"
            );
            store.advance_broadcast(id, 3, true).await.unwrap();
            let running = store.running_broadcasts().await.unwrap();
            assert_eq!(running[0].last_chat, 3);
            assert_eq!(
                store.broadcast_targets(3, 10).await.unwrap(),
                vec![5],
                "{dialect}"
            );
            store.finish_broadcast(id).await.unwrap();
            assert!(store.running_broadcasts().await.unwrap().is_empty());
            store
                .record_admin_action(1, "broadcast", None, "2 chats")
                .await
                .unwrap();
            assert_eq!(store.admin_actions(5).await.unwrap()[0].action, "broadcast");
        }
    }
}
