//! Group commit on SQLite: writes that arrive together are run as one script, in one
//! transaction.
//!
//! Every script is a hand-off to SQLite's worker thread and back, and every transaction a
//! WAL commit. When many traders write at once (a burst of messages starts together, and
//! their replies, streamed at one pace, end together), doing that once per group instead of
//! once per write is most of what the database costs. A job waits in a [`GroupQueue`]; one
//! writer task runs what is waiting, group by group, until nothing is. A group that fails is
//! run again one job at a time, so one bad row cannot cost the others their write.

use std::future::Future;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use super::{Store, StoreError};

/// A write that can share a transaction with others of its kind.
pub(super) trait GroupJob: Send + Sized + 'static {
    /// What each job's caller gets back.
    type Done: Send + 'static;

    /// Whether the writer waits for the next point of the shared 100 ms grid before each
    /// group (for writes nobody is waiting to see), or writes what is waiting at once.
    const ON_GRID: bool;

    /// How many of `waiting` jobs go into the next group (at least one).
    fn group_size(waiting: usize) -> usize;

    /// Runs `group` in one transaction; one result per job, in order.
    fn run_group(
        store: &Store,
        group: &[Self],
    ) -> impl Future<Output = Result<Vec<Self::Done>, StoreError>> + Send;

    /// Runs one job by itself (a group of one, or a failed group's retry).
    fn run_one(
        store: &Store,
        job: Self,
    ) -> impl Future<Output = Result<Self::Done, StoreError>> + Send;
}

/// The jobs of one kind waiting for their group.
pub(super) struct GroupQueue<J: GroupJob> {
    state: Mutex<QueueState<J>>,
}

struct QueueState<J: GroupJob> {
    waiting: Vec<Waiting<J>>,
    /// A writer task is running or on its way.
    writer_scheduled: bool,
}

struct Waiting<J: GroupJob> {
    job: J,
    done: oneshot::Sender<Result<J::Done, StoreError>>,
}

impl<J: GroupJob> Default for GroupQueue<J> {
    fn default() -> Self {
        Self {
            state: Mutex::new(QueueState {
                waiting: Vec::new(),
                writer_scheduled: false,
            }),
        }
    }
}

impl<J: GroupJob> GroupQueue<J> {
    /// Queues `job` and returns once its group has run.
    pub(super) async fn run(
        self: &Arc<Self>,
        store: &Store,
        job: J,
    ) -> Result<J::Done, StoreError> {
        let (done, finished) = oneshot::channel();
        let start_writer = {
            let mut state = self.lock();
            state.waiting.push(Waiting { job, done });
            !std::mem::replace(&mut state.writer_scheduled, true)
        };
        if start_writer {
            // A task of its own: the writer outlives any caller that stops waiting. It first
            // runs once the tasks ready now have run, so their jobs join the first group.
            tokio::spawn(write_groups(store.clone(), self.clone()));
        }
        finished.await.unwrap_or_else(|_| {
            tracing::error!("a database group writer stopped before running its group");
            Err(StoreError::Query(sqlx::Error::WorkerCrashed))
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, QueueState<J>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Should the writer ever panic, the queue must not wait for it forever: its callers are
/// failed and the next job schedules a new writer.
struct PanicGuard<J: GroupJob>(Arc<GroupQueue<J>>);

impl<J: GroupJob> Drop for PanicGuard<J> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let mut state = self.0.lock();
        state.writer_scheduled = false;
        for waiting in state.waiting.drain(..) {
            let _ = waiting
                .done
                .send(Err(StoreError::Query(sqlx::Error::WorkerCrashed)));
        }
    }
}

/// Runs what is waiting, group by group, until nothing is.
async fn write_groups<J: GroupJob>(store: Store, queue: Arc<GroupQueue<J>>) {
    let _guard = PanicGuard(queue.clone());
    loop {
        if J::ON_GRID {
            tokio::time::sleep_until(crate::net::on_grid(tokio::time::Instant::now())).await;
        }
        let group: Vec<Waiting<J>> = {
            let mut state = queue.lock();
            if state.waiting.is_empty() {
                state.writer_scheduled = false;
                return;
            }
            let take = J::group_size(state.waiting.len()).clamp(1, state.waiting.len());
            state.waiting.drain(..take).collect()
        };
        write_group(&store, group).await;
    }
}

async fn write_group<J: GroupJob>(store: &Store, group: Vec<Waiting<J>>) {
    let (jobs, dones): (Vec<J>, Vec<_>) = group.into_iter().map(|w| (w.job, w.done)).unzip();
    if jobs.len() > 1 {
        match J::run_group(store, &jobs).await {
            Ok(results) if results.len() == jobs.len() => {
                for (done, result) in dones.into_iter().zip(results) {
                    let _ = done.send(Ok(result));
                }
                return;
            }
            Ok(results) => tracing::warn!(
                size = jobs.len(),
                results = results.len(),
                "a group of database writes gave the wrong number of results; running them one by one"
            ),
            Err(error) => tracing::warn!(
                %error,
                size = jobs.len(),
                "a group of database writes failed; running them one by one"
            ),
        }
    }
    for (job, done) in jobs.into_iter().zip(dones) {
        let _ = done.send(J::run_one(store, job).await);
    }
}

/// `sql` with every `$N` placeholder moved up by `by`: a job's statements numbered for its
/// place in a group's script, after the parameters of the jobs before it.
pub(super) fn shift_placeholders(sql: &str, by: usize) -> String {
    let mut shifted = String::with_capacity(sql.len() + sql.len() / 8);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        shifted.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<usize>() {
            Ok(n) => shifted.push_str(&(n + by).to_string()),
            Err(_) => shifted.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    shifted.push_str(rest);
    shifted
}

#[cfg(test)]
mod tests {
    use super::shift_placeholders;

    #[test]
    fn placeholders_move_up_and_everything_else_stays() {
        assert_eq!(
            shift_placeholders("VALUES ($1, $12, 'a$b', $3) -- $", 14),
            "VALUES ($15, $26, 'a$b', $17) -- $"
        );
        assert_eq!(shift_placeholders("SELECT 1", 5), "SELECT 1");
    }
}
