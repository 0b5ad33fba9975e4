//! Daily quotas and the LLM cost ledger.

use sqlx::Row;

use super::{Store, StoreError, now_unix};

/// Days since the unix epoch, UTC: the quota day.
pub fn utc_day(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(86_400)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    Allowed {
        used: i64,
    },
    /// Over the limit; `first_notice` is true exactly once per user per day.
    Exhausted {
        first_notice: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    Messages,
    Scans,
}

impl Counter {
    fn column(self) -> &'static str {
        match self {
            Counter::Messages => "messages",
            Counter::Scans => "scans",
        }
    }

    /// Each counter has its own "notice sent today" flag.
    fn notified_column(self) -> &'static str {
        match self {
            Counter::Messages => "messages_notified",
            Counter::Scans => "scans_notified",
        }
    }
}

/// One completion's cost, as the ledger records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub user_id: i64,
    pub chat_id: i64,
    pub model: String,
    pub kind: &'static str,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cost_micros: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageTotals {
    pub replies: i64,
    pub prompt_tokens: i64,
    pub completion_tokens: i64,
    pub cost_micros: i64,
}

impl Store {
    /// Takes one unit of today's quota if any is left. Atomic: concurrent calls never exceed
    /// `limit` between them.
    pub async fn try_consume(
        &self,
        user_id: i64,
        counter: Counter,
        limit: i64,
    ) -> Result<Quota, StoreError> {
        let day = utc_day(now_unix());
        let column = counter.column();
        // One statement: the day's first use creates the row, later ones count up to the
        // limit (the conflict update does nothing, and returns no row, at the limit).
        let taken = if limit > 0 {
            sqlx::query(&format!(
                "INSERT INTO daily_usage (user_id, day, {column}) VALUES ($1, $2, 1)
                 ON CONFLICT (user_id, day) DO UPDATE SET {column} = daily_usage.{column} + 1
                 WHERE daily_usage.{column} < $3 RETURNING {column}"
            ))
            .bind(user_id)
            .bind(day)
            .bind(limit)
            .fetch_optional(self.pool())
            .await?
        } else {
            // Nothing to take, but the row must exist to remember the notice.
            sqlx::query(
                "INSERT INTO daily_usage (user_id, day) VALUES ($1, $2)
                 ON CONFLICT (user_id, day) DO NOTHING",
            )
            .bind(user_id)
            .bind(day)
            .execute(self.pool())
            .await?;
            None
        };
        if let Some(row) = taken {
            return Ok(Quota::Allowed { used: row.get(0) });
        }
        let notified = counter.notified_column();
        let notice = sqlx::query(&format!(
            "UPDATE daily_usage SET {notified} = 1
             WHERE user_id = $1 AND day = $2 AND {notified} = 0"
        ))
        .bind(user_id)
        .bind(day)
        .execute(self.pool())
        .await?;
        Ok(Quota::Exhausted {
            first_notice: notice.rows_affected() == 1,
        })
    }

    /// Gives a unit back, e.g. when the reply could not be produced at all.
    pub async fn refund(&self, user_id: i64, counter: Counter) -> Result<(), StoreError> {
        let column = counter.column();
        sqlx::query(&format!(
            "UPDATE daily_usage SET {column} = {column} - 1
             WHERE user_id = $1 AND day = $2 AND {column} > 0"
        ))
        .bind(user_id)
        .bind(utc_day(now_unix()))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn used_today(&self, user_id: i64, counter: Counter) -> Result<i64, StoreError> {
        let column = counter.column();
        let row = sqlx::query(&format!(
            "SELECT {column} FROM daily_usage WHERE user_id = $1 AND day = $2"
        ))
        .bind(user_id)
        .bind(utc_day(now_unix()))
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map_or(0, |r| r.get(0)))
    }

    pub async fn record_completion(&self, entry: &LedgerEntry) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        insert_ledger(&mut conn, entry).await
    }

    /// Ledger totals for one user over the days `from_day..=to_day`.
    pub async fn usage_totals(
        &self,
        user_id: i64,
        from_day: i64,
        to_day: i64,
    ) -> Result<UsageTotals, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*), CAST(COALESCE(SUM(prompt_tokens), 0) AS BIGINT),
                    CAST(COALESCE(SUM(completion_tokens), 0) AS BIGINT),
                    CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT)
             FROM llm_ledger WHERE user_id = $1 AND day >= $2 AND day <= $3 AND kind <> 'summary'",
        )
        .bind(user_id)
        .bind(from_day)
        .bind(to_day)
        .fetch_one(self.pool())
        .await?;
        Ok(UsageTotals {
            replies: row.get(0),
            prompt_tokens: row.get(1),
            completion_tokens: row.get(2),
            cost_micros: row.get(3),
        })
    }
}

/// One ledger row, on any connection (so it can join a caller's transaction).
pub(super) async fn insert_ledger(
    conn: &mut sqlx::AnyConnection,
    entry: &LedgerEntry,
) -> Result<(), StoreError> {
    let now = now_unix();
    sqlx::query(
        "INSERT INTO llm_ledger (user_id, chat_id, day, model, kind, prompt_tokens,
                                 completion_tokens, cost_micros, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(entry.user_id)
    .bind(entry.chat_id)
    .bind(utc_day(now))
    .bind(entry.model.as_str())
    .bind(entry.kind)
    .bind(entry.prompt_tokens)
    .bind(entry.completion_tokens)
    .bind(entry.cost_micros)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::testing::each_store;

    #[tokio::test]
    async fn the_quota_stops_at_the_limit_and_notices_once() {
        for (dialect, store) in each_store().await {
            for expected in 1..=2 {
                let q = store.try_consume(7, Counter::Messages, 2).await.unwrap();
                assert_eq!(q, Quota::Allowed { used: expected }, "{dialect}");
            }
            let over = store.try_consume(7, Counter::Messages, 2).await.unwrap();
            assert_eq!(over, Quota::Exhausted { first_notice: true }, "{dialect}");
            let again = store.try_consume(7, Counter::Messages, 2).await.unwrap();
            assert_eq!(
                again,
                Quota::Exhausted {
                    first_notice: false
                },
                "{dialect}"
            );
            assert_eq!(store.used_today(7, Counter::Scans).await.unwrap(), 0);
            // The scan quota has its own notice.
            assert_eq!(
                store.try_consume(7, Counter::Scans, 0).await.unwrap(),
                Quota::Exhausted { first_notice: true }
            );
            store.refund(7, Counter::Messages).await.unwrap();
            assert_eq!(store.used_today(7, Counter::Messages).await.unwrap(), 1);
        }
    }

    #[tokio::test]
    async fn concurrent_consumers_never_exceed_the_limit() {
        for (dialect, store) in each_store().await {
            let tasks: Vec<_> = (0..20)
                .map(|_| {
                    let store = store.clone();
                    tokio::spawn(async move { store.try_consume(9, Counter::Scans, 5).await })
                })
                .collect();
            let mut allowed = 0;
            for task in tasks {
                if matches!(task.await.unwrap().unwrap(), Quota::Allowed { .. }) {
                    allowed += 1;
                }
            }
            assert_eq!(allowed, 5, "{dialect}");
        }
    }

    #[tokio::test]
    async fn the_ledger_sums_replies_tokens_and_cost() {
        for (dialect, store) in each_store().await {
            let entry = LedgerEntry {
                user_id: 5,
                chat_id: 5,
                model: "deepseek/deepseek-chat".into(),
                kind: "text",
                prompt_tokens: 100,
                completion_tokens: 50,
                cost_micros: 1_234,
            };
            store.record_completion(&entry).await.unwrap();
            store
                .record_completion(&LedgerEntry {
                    kind: "summary",
                    ..entry.clone()
                })
                .await
                .unwrap();
            let today = utc_day(now_unix());
            let totals = store.usage_totals(5, today, today).await.unwrap();
            assert_eq!(totals.replies, 1, "{dialect}");
            assert_eq!(totals.cost_micros, 1_234);
            assert_eq!(totals.prompt_tokens, 100);
        }
    }
}
