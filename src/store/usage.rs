//! Daily quotas and the LLM cost ledger.

use sqlx::Row;

use super::{Store, StoreError, now_unix};

/// A day's limit in SQL: the premium allowance while the user's subscription runs at `now`,
/// the free one otherwise. Written once for every statement that takes a unit.
macro_rules! daily_limit {
    ($user:literal, $now:literal, $free:literal, $premium:literal) => {
        concat!(
            "(CASE WHEN EXISTS (SELECT 1 FROM subscriptions WHERE user_id = ",
            $user,
            " AND premium_until > ",
            $now,
            ") THEN ",
            $premium,
            " ELSE ",
            $free,
            " END)"
        )
    };
}

/// Takes one unit of `$column` for the day, if the day's limit (see [`daily_limit!`]) leaves
/// one and `$allowed` holds: the day's first use creates the row, later ones count up to the
/// limit, and at the limit the conflict update does nothing and returns no row.
macro_rules! take_unit {
    ($column:literal, $user:literal, $day:literal, $now:literal, $free:literal, $premium:literal,
     $allowed:literal) => {
        concat!(
            "INSERT INTO daily_usage (user_id, day, ",
            $column,
            ") SELECT ",
            $user,
            ", ",
            $day,
            ", 1 WHERE ",
            daily_limit!($user, $now, $free, $premium),
            " > 0 AND ",
            $allowed,
            " ON CONFLICT (user_id, day) DO UPDATE SET ",
            $column,
            " = daily_usage.",
            $column,
            " + 1 WHERE daily_usage.",
            $column,
            " < ",
            daily_limit!($user, $now, $free, $premium),
            " AND ",
            $allowed,
            " RETURNING ",
            $column
        )
    };
}

/// Days since the unix epoch, UTC: the quota day.
pub fn utc_day(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(86_400)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    Allowed {
        used: i64,
    },
    /// Over `limit`; `first_notice` is true exactly once per user per day.
    Exhausted {
        first_notice: bool,
        limit: i64,
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

/// One counter's daily allowance: what a free user gets, and what a premium one gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    pub free: i64,
    pub premium: i64,
}

impl Allowance {
    /// The limit for a user with or without premium.
    pub fn limit(self, premium: bool) -> i64 {
        if premium { self.premium } else { self.free }
    }
}

impl Store {
    /// Takes one unit of today's quota if any is left, from the premium allowance while the
    /// user's subscription runs and the free one otherwise. Atomic: concurrent calls never
    /// exceed the limit between them.
    pub async fn try_consume(
        &self,
        user_id: i64,
        counter: Counter,
        allowance: Allowance,
    ) -> Result<Quota, StoreError> {
        let now = now_unix();
        let day = utc_day(now);
        // One statement, with the plan looked up inside it.
        let take = match counter {
            Counter::Messages => take_unit!("messages", "$1", "$2", "$3", "$4", "$5", "1 = 1"),
            Counter::Scans => take_unit!("scans", "$1", "$2", "$3", "$4", "$5", "1 = 1"),
        };
        let taken = sqlx::query(take)
            .bind(user_id)
            .bind(day)
            .bind(now)
            .bind(allowance.free)
            .bind(allowance.premium)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        if let Some(row) = taken {
            return Ok(Quota::Allowed { used: row.get(0) });
        }
        self.quota_exhausted(user_id, counter, allowance, now).await
    }

    /// After no unit could be taken, which is rare: which limit it was, and whether this is
    /// the day's first refusal (the one the user is told about).
    pub(super) async fn quota_exhausted(
        &self,
        user_id: i64,
        counter: Counter,
        allowance: Allowance,
        now: i64,
    ) -> Result<Quota, StoreError> {
        let day = utc_day(now);
        let limit = allowance.limit(self.is_premium(user_id, now).await?);
        // With a limit of 0 nothing was taken, but the row must exist to remember the notice.
        sqlx::query(
            "INSERT INTO daily_usage (user_id, day) VALUES ($1, $2)
             ON CONFLICT (user_id, day) DO NOTHING",
        )
        .bind(user_id)
        .bind(day)
        .execute(&mut *self.conn().await?)
        .await?;
        let notified = counter.notified_column();
        let notice = sqlx::query(&format!(
            "UPDATE daily_usage SET {notified} = 1
             WHERE user_id = $1 AND day = $2 AND {notified} = 0"
        ))
        .bind(user_id)
        .bind(day)
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(Quota::Exhausted {
            first_notice: notice.rows_affected() == 1,
            limit,
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
        .execute(&mut *self.conn().await?)
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
        .fetch_optional(&mut *self.conn().await?)
        .await?;
        Ok(row.map_or(0, |r| r.get(0)))
    }

    pub async fn record_completion(&self, entry: &LedgerEntry) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
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
        .fetch_one(&mut *self.conn().await?)
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

    const TWO_A_DAY: Allowance = Allowance {
        free: 2,
        premium: 4,
    };

    #[tokio::test]
    async fn the_quota_stops_at_the_limit_and_notices_once() {
        for (dialect, store) in each_store().await {
            for expected in 1..=2 {
                let q = store.try_consume(7, Counter::Messages, TWO_A_DAY).await;
                assert_eq!(q.unwrap(), Quota::Allowed { used: expected }, "{dialect}");
            }
            let over = store.try_consume(7, Counter::Messages, TWO_A_DAY).await;
            let exhausted = |first_notice| Quota::Exhausted {
                first_notice,
                limit: 2,
            };
            assert_eq!(over.unwrap(), exhausted(true), "{dialect}");
            let again = store.try_consume(7, Counter::Messages, TWO_A_DAY).await;
            assert_eq!(again.unwrap(), exhausted(false), "{dialect}");
            assert_eq!(store.used_today(7, Counter::Scans).await.unwrap(), 0);
            // The scan quota has its own notice, even when there is nothing to take.
            let none = Allowance {
                free: 0,
                premium: 0,
            };
            assert_eq!(
                store.try_consume(7, Counter::Scans, none).await.unwrap(),
                Quota::Exhausted {
                    first_notice: true,
                    limit: 0
                },
                "{dialect}"
            );
            store.refund(7, Counter::Messages).await.unwrap();
            assert_eq!(store.used_today(7, Counter::Messages).await.unwrap(), 1);
        }
    }

    #[tokio::test]
    async fn premium_users_count_against_the_premium_allowance() {
        for (dialect, store) in each_store().await {
            for _ in 0..2 {
                let q = store.try_consume(8, Counter::Messages, TWO_A_DAY).await;
                assert!(matches!(q.unwrap(), Quota::Allowed { .. }), "{dialect}");
            }
            // Buying premium mid-day lifts the limit at once.
            store.grant_premium(8, 30).await.unwrap();
            for expected in 3..=4 {
                let q = store.try_consume(8, Counter::Messages, TWO_A_DAY).await;
                assert_eq!(q.unwrap(), Quota::Allowed { used: expected }, "{dialect}");
            }
            let over = store.try_consume(8, Counter::Messages, TWO_A_DAY).await;
            assert_eq!(
                over.unwrap(),
                Quota::Exhausted {
                    first_notice: true,
                    limit: 4
                },
                "{dialect}"
            );
        }
    }

    #[tokio::test]
    async fn concurrent_consumers_never_exceed_the_limit() {
        for (dialect, store) in each_store().await {
            let five = Allowance {
                free: 5,
                premium: 50,
            };
            let tasks: Vec<_> = (0..20)
                .map(|_| {
                    let store = store.clone();
                    tokio::spawn(async move { store.try_consume(9, Counter::Scans, five).await })
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
