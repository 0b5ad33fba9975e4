//! Routes updates to per-chat workers: one chat's updates run in order, chats run in parallel.
//!
//! A worker exists only while its chat has work; it exits after a short idle spell. Each update
//! is marked done in the store after its handler returns, or, for a coach message, when its
//! reply has ended, so a crash replays what was taken but not finished, and nothing finished is
//! replayed.

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::FutureExt;
use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;

use super::handlers::{self, BotContext};
use super::update::Incoming;
use crate::store::DoneMarks;

const WORKER_IDLE: Duration = Duration::from_secs(30);
/// Replies that end within this long of each other have their updates marked done in one
/// write. Replies end spread over their final messages' slots, and a write per reply added
/// about 1,100 context switches to a run of 250; a crash within this long after a reply
/// replays its message.
const DEFERRED_MARK_DELAY: Duration = Duration::from_secs(1);

struct Job {
    update_id: i64,
    incoming: Incoming,
    /// Taken by an earlier run that stopped before finishing it.
    replayed: bool,
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
        self.enqueue(update_id, incoming, false);
    }

    /// An update an earlier run took but did not finish (it crashed, or stopped in the middle
    /// of a reply).
    pub fn replay(self: &Arc<Self>, update_id: i64, incoming: Incoming) {
        self.enqueue(update_id, incoming, true);
    }

    fn enqueue(self: &Arc<Self>, update_id: i64, incoming: Incoming, replayed: bool) {
        metrics::counter!("tiltguard_updates_total").increment(1);
        // The stop button must not wait behind the chat's queue; it only cancels.
        let key = match &incoming {
            Incoming::StopGeneration { .. } | Incoming::Ignored => None,
            other => other.chat_id(),
        };
        let job = Job {
            update_id,
            incoming,
            replayed,
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

/// Runs one handler in its own task so a panic is contained and logged, then marks it done
/// unless the handler handed the mark to work that outlives it.
async fn run_job(ctx: Arc<BotContext>, done: Arc<DoneMarks>, job: Job) {
    let finish = UpdateFinish(Arc::new(FinishState {
        update_id: job.update_id,
        done,
        tasks: ctx.tasks.clone(),
        replayed: job.replayed,
        handed_over: AtomicBool::new(false),
    }));
    let chat_id = job.incoming.chat_id();
    let after_crash = {
        let ctx = ctx.clone();
        move || async move {
            if let Some(chat_id) = chat_id {
                handlers::reply(&ctx, chat_id, HANDLER_CRASH_APOLOGY).await;
            }
        }
    };
    let handler = handlers::handle(ctx, job.incoming, finish.clone());
    let outcome = tokio::spawn(contained(handler, after_crash)).await;
    if !matches!(outcome, Ok(true)) {
        tracing::error!(update_id = job.update_id, "an update handler crashed");
    }
    if !finish.0.handed_over.load(Ordering::Acquire) {
        finish.0.mark().await;
    }
}

/// What the sender of an update is told when its handler crashed. Nothing else would answer,
/// and a replay would crash again.
const HANDLER_CRASH_APOLOGY: &str =
    "Something broke on my side while handling that. Please try again in a moment.";

/// Runs `work`; if it panics, counts the crash and runs `after_crash` (an apology, and for a
/// coach reply the refund). False when it panicked.
///
/// The apology's future is made and boxed only after a crash: held beside a coach reply in
/// its task, its room for a whole send made every reply's task kilobytes larger (250 replies
/// took 2 MB more memory).
pub(super) async fn contained<Apology: Future<Output = ()>>(
    work: impl Future<Output = ()>,
    after_crash: impl FnOnce() -> Apology,
) -> bool {
    if AssertUnwindSafe(work).catch_unwind().await.is_ok() {
        return true;
    }
    metrics::counter!("tiltguard_handler_panics_total").increment(1);
    Box::pin(after_crash()).await;
    false
}

/// The "done" mark of the update being handled. A handler that leaves work running after it
/// returns (a coach reply) takes the mark along, so the update counts as finished only when
/// that work ends: a crash mid-reply replays the message instead of losing its answer.
#[derive(Clone)]
pub struct UpdateFinish(Arc<FinishState>);

struct FinishState {
    update_id: i64,
    done: Arc<DoneMarks>,
    tasks: TaskTracker,
    replayed: bool,
    handed_over: AtomicBool,
}

impl FinishState {
    async fn mark(&self) {
        if let Err(error) = self.done.mark(self.update_id).await {
            tracing::error!(update_id = self.update_id, %error, "could not mark an update done");
        }
    }

    /// Marks the update done with the others that finish soon after it, without waiting.
    fn mark_soon(&self) {
        if !self.done.defer(self.update_id) {
            return;
        }
        let done = self.done.clone();
        self.tasks.spawn(async move {
            tokio::time::sleep(DEFERRED_MARK_DELAY).await;
            if let Err(error) = done.flush().await {
                tracing::error!(%error, "could not mark finished replies' updates done");
            }
        });
    }
}

impl UpdateFinish {
    /// True when an earlier run took this update and stopped before finishing it: a coach
    /// message then already took its unit of the day's quota.
    pub fn is_replay(&self) -> bool {
        self.0.replayed
    }

    /// Takes the mark out of the handler's hands, for the work that goes on after it.
    pub fn hand_over(&self) -> FinishLater {
        self.0.handed_over.store(true, Ordering::Release);
        FinishLater(self.0.clone())
    }
}

/// The mark of an update whose work goes on after its handler returned. Dropped without
/// [`FinishLater::done`] (the work was cut off, by a runtime shutting down), it leaves the
/// update to be replayed.
pub struct FinishLater(Arc<FinishState>);

impl FinishLater {
    /// The work has ended: the update is done.
    pub fn done(self) {
        self.0.mark_soon();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    async fn apologies_after(reply: impl Future<Output = ()>) -> (bool, usize) {
        let apologies = AtomicUsize::new(0);
        let finished = contained(reply, || async {
            apologies.fetch_add(1, Ordering::Relaxed);
        })
        .await;
        (finished, apologies.into_inner())
    }

    #[tokio::test]
    async fn work_that_panics_is_followed_by_an_apology() {
        let crashing = async {
            tokio::task::yield_now().await;
            panic!("a bug in the middle of a reply");
        };
        assert_eq!(apologies_after(crashing).await, (false, 1));
    }

    #[tokio::test]
    async fn work_that_ends_gets_no_apology() {
        assert_eq!(apologies_after(async {}).await, (true, 0));
    }
}
