//! Routes updates to per-chat workers: one chat's updates run in order, chats run in parallel.
//!
//! A worker exists only while its chat has work; it exits after a short idle spell. Each update
//! is marked done in the store after its handler returns, so a crash replays what was taken but
//! not finished, and nothing finished is replayed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;

use super::handlers::{self, BotContext};
use super::update::Incoming;
use crate::store::DoneMarks;

const WORKER_IDLE: Duration = Duration::from_secs(30);

struct Job {
    update_id: i64,
    incoming: Incoming,
}

pub struct Dispatcher {
    ctx: Arc<BotContext>,
    workers: Mutex<HashMap<i64, mpsc::UnboundedSender<Job>>>,
    done: Arc<DoneMarks>,
}

impl Dispatcher {
    pub fn new(ctx: Arc<BotContext>) -> Arc<Dispatcher> {
        Arc::new(Dispatcher {
            done: Arc::new(DoneMarks::new(ctx.store.clone())),
            ctx,
            workers: Mutex::new(HashMap::new()),
        })
    }

    pub fn tracker(&self) -> &TaskTracker {
        &self.ctx.tasks
    }

    pub fn dispatch(self: &Arc<Self>, update_id: i64, incoming: Incoming) {
        metrics::counter!("tiltguard_updates_total").increment(1);
        // The stop button must not wait behind the chat's queue; it only cancels.
        let key = match &incoming {
            Incoming::StopGeneration { .. } | Incoming::Ignored => None,
            other => other.chat_id(),
        };
        let job = Job {
            update_id,
            incoming,
        };
        let Some(chat_id) = key else {
            let ctx = self.ctx.clone();
            self.ctx.tasks.spawn(run_job(ctx, self.done.clone(), job));
            return;
        };
        let mut workers = self.workers.lock().unwrap_or_else(|p| p.into_inner());
        let job = match workers.get(&chat_id) {
            Some(sender) => match sender.send(job) {
                Ok(()) => return,
                Err(mpsc::error::SendError(job)) => job,
            },
            None => job,
        };
        let (sender, receiver) = mpsc::unbounded_channel();
        // Cannot fail: we hold the receiver.
        let _ = sender.send(job);
        workers.insert(chat_id, sender);
        let this = self.clone();
        self.ctx.tasks.spawn(this.worker(chat_id, receiver));
    }

    async fn worker(self: Arc<Self>, chat_id: i64, mut jobs: mpsc::UnboundedReceiver<Job>) {
        loop {
            match tokio::time::timeout(WORKER_IDLE, jobs.recv()).await {
                Ok(Some(job)) => run_job(self.ctx.clone(), self.done.clone(), job).await,
                Ok(None) => return,
                Err(_idle) => {
                    // Retire under the lock so no job can slip into a closing queue.
                    let mut workers = self.workers.lock().unwrap_or_else(|p| p.into_inner());
                    if jobs.is_empty() {
                        workers.remove(&chat_id);
                        return;
                    }
                }
            }
        }
    }

    /// Closes every queue so workers finish what they have and exit.
    pub fn close(&self) {
        self.workers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.ctx.tasks.close();
    }
}

/// Runs one handler in its own task so a panic is contained and logged, then marks it done.
async fn run_job(ctx: Arc<BotContext>, done: Arc<DoneMarks>, job: Job) {
    let outcome = tokio::spawn(handlers::handle(ctx, job.incoming)).await;
    if let Err(error) = outcome {
        tracing::error!(update_id = job.update_id, %error, "an update handler crashed");
        metrics::counter!("tiltguard_handler_panics_total").increment(1);
    }
    if let Err(error) = done.mark(job.update_id).await {
        tracing::error!(update_id = job.update_id, %error, "could not mark an update done");
    }
}
