//! The write that ends every reply: the trader's turn, the coach's answer and what it cost,
//! stored atomically so memory and ledger never disagree.
//!
//! On SQLite these writes are committed in groups (see `group`). Replies that end together
//! (a burst of messages streams at one pace, so they do) wait for the next point of the
//! shared 100 ms grid and are written with one multi-row insert per table. Postgres runs each
//! exchange as one statement through its pool, where writes already overlap.

use std::sync::OnceLock;

use super::group::GroupJob;
use super::{ConversationKey, LedgerEntry, Script, Store, StoreError, now_unix, utc_day};

/// One exchange as a SQLite script: `$1`..`$14` mean the same values in every statement.
const RECORD_EXCHANGE_SQLITE: &str = "
    BEGIN;
    INSERT INTO conversations (chat_id, user_id, session_started_at, last_activity_at)
        VALUES ($1, $2, $5, $5)
        ON CONFLICT (chat_id, user_id) DO UPDATE SET last_activity_at = $5;
    INSERT INTO turns (chat_id, user_id, role, content, created_at, message_id)
        VALUES ($1, $2, 'user', $3, $5, $14), ($1, $2, 'assistant', $4, $5, $14);
    INSERT INTO llm_ledger (user_id, chat_id, day, model, kind, prompt_tokens,
                            completion_tokens, cost_micros, created_at)
        VALUES ($6, $7, $8, $9, $10, $11, $12, $13, $5);
    COMMIT;";

/// The same exchange as one Postgres statement (atomic by itself): Postgres prepares one
/// statement per query, and writes in `WITH` all take effect together.
const RECORD_EXCHANGE_POSTGRES: &str = "
    WITH conversation AS (
        INSERT INTO conversations (chat_id, user_id, session_started_at, last_activity_at)
            VALUES ($1, $2, $5, $5)
            ON CONFLICT (chat_id, user_id) DO UPDATE SET last_activity_at = $5
    ), exchange AS (
        INSERT INTO turns (chat_id, user_id, role, content, created_at, message_id)
            VALUES ($1, $2, 'user', $3, $5, $14), ($1, $2, 'assistant', $4, $5, $14)
    )
    INSERT INTO llm_ledger (user_id, chat_id, day, model, kind, prompt_tokens,
                            completion_tokens, cost_micros, created_at)
        VALUES ($6, $7, $8, $9, $10, $11, $12, $13, $5)";

/// Parameters per exchange, in the order both scripts number them.
const PARAMS: usize = 14;
/// Exchanges per group; more wait for the next one. Keeps the script's text to a few
/// shapes, each prepared once.
const MAX_GROUP: usize = 32;

/// One exchange, owned, so it can wait in a queue.
pub(super) struct Exchange {
    key: ConversationKey,
    message_id: Option<i64>,
    user_turn: String,
    answer: String,
    at: i64,
    cost: LedgerEntry,
}

impl Exchange {
    fn bind(&self, query: Script) -> Script {
        query
            .bind(self.key.chat_id)
            .bind(self.key.user_id)
            .bind(self.user_turn.clone())
            .bind(self.answer.clone())
            .bind(self.at)
            .bind(self.cost.user_id)
            .bind(self.cost.chat_id)
            .bind(utc_day(self.at))
            .bind(self.cost.model.clone())
            .bind(self.cost.kind)
            .bind(self.cost.prompt_tokens)
            .bind(self.cost.completion_tokens)
            .bind(self.cost.cost_micros)
            .bind(self.message_id)
    }
}

impl GroupJob for Exchange {
    type Done = ();
    /// Nobody waits to see this write: the reply is already on screen.
    const ON_GRID: bool = true;

    fn group_size(waiting: usize) -> usize {
        waiting.min(MAX_GROUP)
    }

    async fn run_group(store: &Store, group: &[Self]) -> Result<Vec<()>, StoreError> {
        let script = group
            .iter()
            .fold(sqlx::query(group_script(group.len())), |query, exchange| {
                exchange.bind(query)
            });
        store.run_sqlite_script(script).await?;
        Ok(vec![(); group.len()])
    }

    async fn run_one(store: &Store, exchange: Self) -> Result<(), StoreError> {
        store
            .run_script(RECORD_EXCHANGE_SQLITE, RECORD_EXCHANGE_POSTGRES, |query| {
                exchange.bind(query)
            })
            .await
            .map(drop)
    }
}

impl Store {
    /// Stores one exchange atomically and returns once it is committed. `message_id` is the
    /// Telegram message answered, if any.
    pub async fn record_exchange(
        &self,
        key: ConversationKey,
        message_id: Option<i64>,
        user_turn: &str,
        answer: &str,
        cost: &LedgerEntry,
    ) -> Result<(), StoreError> {
        let exchange = Exchange {
            key,
            message_id,
            user_turn: user_turn.to_owned(),
            answer: answer.to_owned(),
            at: now_unix(),
            cost: cost.clone(),
        };
        match &self.groups {
            Some(groups) => groups.exchanges.run(self, exchange).await,
            None => Exchange::run_one(self, exchange).await,
        }
    }
}

/// The SQLite script for `n` exchanges, built once per size: a group's text is what the
/// statement cache knows it by, and building it took dozens of allocations. Groups never
/// exceed [`MAX_GROUP`]; a larger one would get too few rows, fail, and be written one by one.
fn group_script(n: usize) -> &'static str {
    static SCRIPTS: [OnceLock<String>; MAX_GROUP + 1] = [const { OnceLock::new() }; MAX_GROUP + 1];
    SCRIPTS[n.min(MAX_GROUP)].get_or_init(|| build_group_script(n.min(MAX_GROUP)))
}

/// One multi-row insert per table for `n` exchanges, in one transaction.
fn build_group_script(n: usize) -> String {
    let rows = |row: &dyn Fn(usize) -> String| -> String {
        (0..n)
            .map(|i| row(i * PARAMS))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let p = |base: usize, k: usize| format!("${}", base + k);
    format!(
        "BEGIN;
        INSERT INTO conversations (chat_id, user_id, session_started_at, last_activity_at)
            VALUES {}
            ON CONFLICT (chat_id, user_id) DO UPDATE SET last_activity_at = excluded.last_activity_at;
        INSERT INTO turns (chat_id, user_id, role, content, created_at, message_id) VALUES {};
        INSERT INTO llm_ledger (user_id, chat_id, day, model, kind, prompt_tokens,
                                completion_tokens, cost_micros, created_at) VALUES {};
        COMMIT;",
        rows(&|b| format!("({}, {}, {}, {})", p(b, 1), p(b, 2), p(b, 5), p(b, 5))),
        rows(&|b| format!(
            "({c}, {u}, 'user', {}, {t}, {m}), ({c}, {u}, 'assistant', {}, {t}, {m})",
            p(b, 3),
            p(b, 4),
            c = p(b, 1),
            u = p(b, 2),
            t = p(b, 5),
            m = p(b, 14)
        )),
        rows(&|b| format!(
            "({})",
            (6..=13)
                .map(|k| p(b, k))
                .chain([p(b, 5)])
                .collect::<Vec<_>>()
                .join(", ")
        )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_script_numbers_each_exchange_s_parameters_apart() {
        let sql = group_script(2);
        assert!(
            sql.contains("($1, $2, $5, $5), ($15, $16, $19, $19)"),
            "{sql}"
        );
        assert!(
            sql.contains("($15, $16, 'assistant', $18, $19, $28)"),
            "{sql}"
        );
        assert!(
            sql.contains("($20, $21, $22, $23, $24, $25, $26, $27, $19)"),
            "{sql}"
        );
    }
}
