//! The write that ends every reply: the trader's turn, the coach's answer and what it cost,
//! stored atomically so memory and ledger never disagree.
//!
//! On SQLite these writes are committed in groups. Replies that end together (a burst of
//! messages streams at one pace, so they do) wait for the next point of the shared 50 ms
//! grid and are written in one script and one transaction: one hand-off to SQLite's worker
//! thread and one WAL commit for the group instead of one each. A failed group is retried
//! one exchange at a time, so one bad row cannot cost the others their history. Postgres
//! runs each exchange as one statement through its pool, where writes already overlap.

use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::oneshot;

use super::{ConversationKey, LedgerEntry, Script, Store, StoreError, now_unix, utc_day};

/// One exchange as a SQLite script: `$1`..`$13` mean the same values in every statement.
const RECORD_EXCHANGE_SQLITE: &str = "
    BEGIN;
    INSERT INTO conversations (chat_id, user_id, session_started_at, last_activity_at)
        VALUES ($1, $2, $5, $5)
        ON CONFLICT (chat_id, user_id) DO UPDATE SET last_activity_at = $5;
    INSERT INTO turns (chat_id, user_id, role, content, created_at)
        VALUES ($1, $2, 'user', $3, $5), ($1, $2, 'assistant', $4, $5);
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
        INSERT INTO turns (chat_id, user_id, role, content, created_at)
            VALUES ($1, $2, 'user', $3, $5), ($1, $2, 'assistant', $4, $5)
    )
    INSERT INTO llm_ledger (user_id, chat_id, day, model, kind, prompt_tokens,
                            completion_tokens, cost_micros, created_at)
        VALUES ($6, $7, $8, $9, $10, $11, $12, $13, $5)";

/// Parameters per exchange, in the order both scripts number them.
const PARAMS: usize = 13;
/// Exchanges per group; more wait for the next one. Keeps the script's text to a few
/// shapes, each prepared once.
const MAX_GROUP: usize = 32;

/// One exchange, owned, so it can wait in a queue.
struct Exchange {
    key: ConversationKey,
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
    }
}

struct Waiting {
    exchange: Exchange,
    stored: oneshot::Sender<Result<(), StoreError>>,
}

/// The exchanges waiting for the next group commit (SQLite only).
#[derive(Default)]
pub(super) struct ExchangeQueue {
    state: Mutex<QueueState>,
}

#[derive(Default)]
struct QueueState {
    waiting: Vec<Waiting>,
    /// A writer task is on its way to the next grid point.
    writer_scheduled: bool,
}

impl Store {
    /// Stores one exchange atomically and returns once it is committed.
    pub async fn record_exchange(
        &self,
        key: ConversationKey,
        user_turn: &str,
        answer: &str,
        cost: &LedgerEntry,
    ) -> Result<(), StoreError> {
        let exchange = Exchange {
            key,
            user_turn: user_turn.to_owned(),
            answer: answer.to_owned(),
            at: now_unix(),
            cost: cost.clone(),
        };
        let Some(queue) = &self.exchanges else {
            return self.record_one(exchange).await;
        };
        let (stored, committed) = oneshot::channel();
        let start_writer = {
            let mut state = queue.state.lock().unwrap_or_else(|p| p.into_inner());
            state.waiting.push(Waiting { exchange, stored });
            !std::mem::replace(&mut state.writer_scheduled, true)
        };
        if start_writer {
            tokio::spawn(write_groups(self.clone(), queue.clone()));
        }
        committed.await.unwrap_or_else(|_| {
            tracing::error!("the exchange writer stopped before committing");
            Err(StoreError::Query(sqlx::Error::WorkerCrashed))
        })
    }

    async fn record_one(&self, exchange: Exchange) -> Result<(), StoreError> {
        self.run_script(RECORD_EXCHANGE_SQLITE, RECORD_EXCHANGE_POSTGRES, |query| {
            exchange.bind(query)
        })
        .await
        .map(drop)
    }
}

/// Should the writer ever panic, the queue must not wait for it forever: its callers are
/// failed and the next exchange schedules a new writer.
struct PanicGuard(Arc<ExchangeQueue>);

impl Drop for PanicGuard {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let mut state = self.0.state.lock().unwrap_or_else(|p| p.into_inner());
        state.writer_scheduled = false;
        for waiting in state.waiting.drain(..) {
            let _ = waiting
                .stored
                .send(Err(StoreError::Query(sqlx::Error::WorkerCrashed)));
        }
    }
}

/// Writes what is waiting at each grid point until nothing is.
async fn write_groups(store: Store, queue: Arc<ExchangeQueue>) {
    let _guard = PanicGuard(queue.clone());
    loop {
        tokio::time::sleep_until(crate::net::on_grid(tokio::time::Instant::now())).await;
        let group: Vec<Waiting> = {
            let mut state = queue.state.lock().unwrap_or_else(|p| p.into_inner());
            if state.waiting.is_empty() {
                state.writer_scheduled = false;
                return;
            }
            let take = state.waiting.len().min(MAX_GROUP);
            state.waiting.drain(..take).collect()
        };
        write_group(&store, group).await;
    }
}

async fn write_group(store: &Store, group: Vec<Waiting>) {
    if group.len() > 1 {
        let script = group
            .iter()
            .fold(sqlx::query(group_script(group.len())), |query, waiting| {
                waiting.exchange.bind(query)
            });
        match store.run_sqlite_script(script).await {
            Ok(_) => {
                for waiting in group {
                    let _ = waiting.stored.send(Ok(()));
                }
                return;
            }
            Err(error) => {
                tracing::warn!(%error, size = group.len(), "a group of exchanges failed; writing them one by one");
            }
        }
    }
    for waiting in group {
        let result = store.record_one(waiting.exchange).await;
        let _ = waiting.stored.send(result);
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
        INSERT INTO turns (chat_id, user_id, role, content, created_at) VALUES {};
        INSERT INTO llm_ledger (user_id, chat_id, day, model, kind, prompt_tokens,
                                completion_tokens, cost_micros, created_at) VALUES {};
        COMMIT;",
        rows(&|b| format!("({}, {}, {}, {})", p(b, 1), p(b, 2), p(b, 5), p(b, 5))),
        rows(&|b| format!(
            "({c}, {u}, 'user', {}, {t}), ({c}, {u}, 'assistant', {}, {t})",
            p(b, 3),
            p(b, 4),
            c = p(b, 1),
            u = p(b, 2),
            t = p(b, 5)
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
            sql.contains("($1, $2, $5, $5), ($14, $15, $18, $18)"),
            "{sql}"
        );
        assert!(sql.contains("($14, $15, 'assistant', $17, $18)"), "{sql}");
        assert!(
            sql.contains("($19, $20, $21, $22, $23, $24, $25, $26, $18)"),
            "{sql}"
        );
    }
}
