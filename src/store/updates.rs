//! The durable update inbox: record before confirming, mark done after handling.

use std::fmt::Write;
use std::sync::Mutex;

use sqlx::Row;

use super::{Store, StoreError, now_unix};

/// Marks handled updates done, many per statement when handlers finish together.
///
/// Each message used to end with a statement of its own: a hand-off to the database and a
/// commit, a sixth of a coach message's database work. Here a finished update queues its id
/// and waits its turn to write; whoever gets the turn writes every id queued by then. An idle
/// bot so writes each id at once, a busy one in batches, and [`DoneMarks::mark`] still
/// returns only once the id is stored, by this caller or by the one before it.
pub struct DoneMarks {
    store: Store,
    queued: Mutex<Vec<i64>>,
    turn: tokio::sync::Mutex<()>,
}

impl DoneMarks {
    pub fn new(store: Store) -> DoneMarks {
        DoneMarks {
            store,
            queued: Mutex::new(Vec::new()),
            turn: tokio::sync::Mutex::new(()),
        }
    }

    /// Marks `update_id` done; returns once it is stored (or the write failed).
    pub async fn mark(&self, update_id: i64) -> Result<(), StoreError> {
        self.queue().push(update_id);
        self.flush().await
    }

    /// Queues `update_id` for a later write ([`DoneMarks::flush`]) instead of writing it now.
    /// True when nothing else was waiting, so the caller should arrange that flush.
    pub fn defer(&self, update_id: i64) -> bool {
        let mut queue = self.queue();
        queue.push(update_id);
        queue.len() == 1
    }

    /// Writes every queued id, once the turn to write is ours.
    pub async fn flush(&self) -> Result<(), StoreError> {
        let _turn = self.turn.lock().await;
        let batch = std::mem::take(&mut *self.queue());
        if batch.is_empty() {
            // An earlier turn took these ids along and has stored them.
            return Ok(());
        }
        self.store.mark_updates_done(&batch).await
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Vec<i64>> {
        self.queued.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// An update that was taken from Telegram but whose handling never finished.
#[derive(Debug, Clone)]
pub struct PendingUpdate {
    pub update_id: i64,
    pub payload: String,
}

impl Store {
    /// Records a batch of raw updates in one transaction. Returns the ids that were new; ids
    /// already present (a redelivery after a crash) are left out so they are not answered twice.
    pub async fn record_updates(
        &self,
        batch: &[(i64, Option<i64>, String)],
    ) -> Result<Vec<i64>, StoreError> {
        let now = now_unix();
        let mut fresh = Vec::with_capacity(batch.len());
        // One statement per hundred updates (a statement is a round trip); the ones already
        // stored (a batch seen twice) are skipped and not returned.
        for rows in batch.chunks(100) {
            let mut sql = String::from(
                "INSERT INTO updates (update_id, chat_id, payload, status, received_at) VALUES ",
            );
            for index in 0..rows.len() {
                let first = index * 3 + 2;
                if index > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!(
                    "(${first}, ${}, ${}, 'pending', $1)",
                    first + 1,
                    first + 2
                ));
            }
            sql.push_str(" ON CONFLICT (update_id) DO NOTHING RETURNING update_id");
            let mut query = sqlx::query(&sql).bind(now);
            for (update_id, chat_id, payload) in rows {
                query = query.bind(*update_id).bind(*chat_id).bind(payload.as_str());
            }
            let inserted = query.fetch_all(&mut *self.conn().await?).await?;
            fresh.extend(inserted.iter().map(|row| row.get::<i64, _>(0)));
        }
        fresh.sort_unstable();
        Ok(fresh)
    }

    /// Marks many handled updates done, up to 64 per statement.
    pub async fn mark_updates_done(&self, update_ids: &[i64]) -> Result<(), StoreError> {
        for ids in update_ids.chunks(64) {
            // The list is padded to a power of two with its last id, so the statement takes
            // one of seven shapes, each prepared once, not one per batch size.
            let shape = ids.len().next_power_of_two();
            let mut sql = String::from(
                "UPDATE updates SET status = 'done', done_at = $1 WHERE update_id IN ($2",
            );
            for placeholder in 3..shape + 2 {
                let _ = write!(sql, ", ${placeholder}");
            }
            sql.push(')');
            let mut query = sqlx::query(&sql).bind(now_unix());
            let Some(&last) = ids.last() else { continue };
            for id in ids
                .iter()
                .copied()
                .chain(std::iter::repeat(last))
                .take(shape)
            {
                query = query.bind(id);
            }
            query.execute(&mut *self.conn().await?).await?;
        }
        Ok(())
    }

    /// Updates taken by an earlier run that stopped before handling them, oldest first.
    pub async fn pending_updates(&self) -> Result<Vec<PendingUpdate>, StoreError> {
        let rows = sqlx::query(
            "SELECT update_id, payload FROM updates WHERE status = 'pending' ORDER BY update_id",
        )
        .fetch_all(&mut *self.conn().await?)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| PendingUpdate {
                update_id: row.get(0),
                payload: row.get(1),
            })
            .collect())
    }

    /// The highest update id ever recorded, so a restart can confirm it straight away.
    pub async fn last_update_id(&self) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT MAX(update_id) FROM updates")
            .fetch_one(&mut *self.conn().await?)
            .await?;
        Ok(row.get::<Option<i64>, _>(0))
    }

    /// Forgets handled updates older than `max_age_seconds`; redeliveries never go back that far.
    pub async fn prune_updates(&self, max_age_seconds: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM updates WHERE status = 'done' AND received_at < $1")
            .bind(now_unix() - max_age_seconds)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::DoneMarks;
    use crate::store::Store;
    use crate::store::testing::each_store;

    /// Records updates `1..=last` as taken, each with its own id as payload.
    async fn record_taken(store: &Store, last: i64) {
        let batch: Vec<_> = (1..=last)
            .map(|id| (id, Some(id), format!("{{\"update_id\":{id}}}")))
            .collect();
        store.record_updates(&batch).await.unwrap();
    }

    async fn pending_ids(store: &Store) -> Vec<i64> {
        let pending = store.pending_updates().await.unwrap();
        pending.iter().map(|u| u.update_id).collect()
    }

    #[tokio::test]
    async fn a_redelivered_update_is_not_fresh_and_pending_ones_survive() {
        for (dialect, store) in each_store().await {
            let batch = vec![
                (10, Some(1), "{\"update_id\":10}".to_string()),
                (11, None, "{\"update_id\":11}".to_string()),
            ];
            assert_eq!(
                store.record_updates(&batch).await.unwrap(),
                vec![10, 11],
                "{dialect}"
            );
            assert!(
                store.record_updates(&batch).await.unwrap().is_empty(),
                "{dialect}"
            );
            store.mark_updates_done(&[10]).await.unwrap();
            let pending = store.pending_updates().await.unwrap();
            assert_eq!(pending.len(), 1, "{dialect}");
            assert_eq!(pending[0].update_id, 11);
            assert_eq!(pending[0].payload, "{\"update_id\":11}");
            assert_eq!(store.last_update_id().await.unwrap(), Some(11), "{dialect}");
        }
    }

    #[tokio::test]
    async fn every_mark_that_returned_is_stored_even_when_batched() {
        for (dialect, store) in each_store().await {
            record_taken(&store, 250).await;
            let marks = std::sync::Arc::new(DoneMarks::new(store.clone()));
            let handlers: Vec<_> = (1..=240)
                .map(|id| {
                    let marks = marks.clone();
                    tokio::spawn(async move { marks.mark(id).await })
                })
                .collect();
            for handler in handlers {
                handler.await.unwrap().unwrap();
            }
            let pending = pending_ids(&store).await;
            assert_eq!(pending, (241..=250).collect::<Vec<_>>(), "{dialect}");
        }
    }

    #[tokio::test]
    async fn deferred_marks_wait_for_the_flush_and_odd_batches_mark_exactly_their_ids() {
        for (dialect, store) in each_store().await {
            record_taken(&store, 8).await;
            let marks = DoneMarks::new(store.clone());
            assert!(marks.defer(2), "the first deferred id asks for a flush");
            assert!(!marks.defer(3) && !marks.defer(5), "later ones ride along");
            assert_eq!(store.pending_updates().await.unwrap().len(), 8, "{dialect}");
            marks.flush().await.unwrap();
            assert_eq!(pending_ids(&store).await, vec![1, 4, 6, 7, 8], "{dialect}");
        }
    }
}
