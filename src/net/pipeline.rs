//! Small requests written several at a time on a few kept-alive connections (HTTP/1.1
//! pipelining).
//!
//! Why: at 250 concurrent streams about 60 previews fall due in each 100 ms tick. Sent one
//! per connection, each costs a `sendto` (which on loopback also runs the server's receive
//! path and wakes it), a wake-up of this process for its answer, and a `recvfrom`. Queued
//! here instead, the previews of one tick leave in a few writes and their answers come back
//! in a few reads. HTTP/1.1 answers pipelined requests in order, so the n-th answer belongs
//! to the n-th caller.
//!
//! A server works through the requests of one connection one after another, so a deep
//! pipeline makes the last request wait for all before it: with 64 in one batch, the first
//! previews of 250 streams starting together showed 130 ms later. So a batch holds at most
//! [`MAX_DEPTH`] requests, and more of the queue is served by more connections ("lanes",
//! up to [`MAX_LANES`]), which the server works through side by side. The depth follows
//! the server: when a batch's answers come far apart (a server that takes milliseconds per
//! request), it halves, down to one request at a time; when they come close together, it
//! grows again.
//!
//! A lane reads its answers at the next grid point (see [`super::on_grid`]) rather than as
//! they arrive, and its connection is watched for room to write only: answers that nobody
//! needs before the next grid point then wake nobody, and one read takes a whole batch's.
//! A caller may also [`Pipeline::queue`] a request and pick its answer up later, so a
//! preview costs its stream no wake-up at all.
//!
//! Only idempotent requests belong here: when the connection breaks with requests
//! unanswered, nobody knows which of them the server acted on, so they all fail and their
//! callers decide (a preview simply waits for the next one).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, oneshot};

pub use super::answers::PendingAnswer;
use super::answers::{read_answer, stopped};
use super::head::{Origin, write_post_request};
use super::socket::Socket;
use super::{HttpClient, HttpError, Target};

/// Requests written together on one connection at most.
const MAX_DEPTH: usize = 8;
/// Requests per batch at first: a server must show it answers quickly before batches grow
/// (8 at once made the first previews of a cold start wait behind each other).
const INITIAL_DEPTH: usize = 2;
/// Connections at most, each with a task of its own (enough for one request each when the
/// server is slow).
const MAX_LANES: usize = 64;
/// When the answers of one batch arrive further apart than this, the server is working
/// through them slowly and the depth halves; when closer than [`FAST_SPREAD`], it grows.
/// Answers are read at grid points, so in effect a batch whose answers did not all come by
/// one read halves the depth, and one answered within a read lets it grow.
const SLOW_SPREAD: Duration = Duration::from_millis(20);
const FAST_SPREAD: Duration = Duration::from_millis(5);
/// Batches in a row that got one answer before the server closed the connection, after
/// which the server is taken not to pipeline and requests go one at a time.
const LONE_ANSWERS_TO_STOP_PIPELINING: u8 = 2;
/// A lane with nothing to send for this long ends and closes its connection.
const IDLE_EXIT: Duration = Duration::from_secs(30);
/// A connection answered this recently is reused without asking the kernel whether the
/// server closed it or sent something unasked: no server gives up on a connection that soon.
const JUST_ANSWERED: Duration = Duration::from_secs(1);

/// A status and body, or why there is none.
pub type Answer = Result<(u16, Vec<u8>), HttpError>;

/// A queue of requests to one origin, sent in batches by a few lanes.
#[derive(Clone)]
pub struct Pipeline {
    inner: Arc<Inner>,
}

struct Inner {
    client: HttpClient,
    origin: Origin,
    /// The longest a batch may wait for its answers.
    timeout: Duration,
    queue: Mutex<Queue>,
    work: Notify,
}

#[derive(Default)]
struct Queue {
    /// Encoded requests not yet sent, in order.
    requests: Vec<u8>,
    /// Where each of them ends in `requests`.
    ends: VecDeque<usize>,
    /// Who waits for each of them, in the same order.
    callers: VecDeque<oneshot::Sender<Answer>>,
    /// Lanes running.
    lanes: usize,
    /// Requests per batch at most, 1 to [`MAX_DEPTH`].
    depth: usize,
    /// The server dropped pipelined requests: one at a time for good.
    no_pipelining: bool,
    /// Batches in a row that got one answer before the server closed the connection.
    lone_answers: u8,
}

impl Pipeline {
    /// `timeout` bounds connecting and each batch's answers.
    pub fn new(client: HttpClient, origin: &Target, timeout: Duration) -> Pipeline {
        Pipeline {
            inner: Arc::new(Inner {
                client,
                origin: origin.origin.clone(),
                timeout,
                queue: Mutex::new(Queue {
                    depth: INITIAL_DEPTH,
                    ..Queue::default()
                }),
                work: Notify::new(),
            }),
        }
    }

    /// Queues a `POST` to `target` (same origin as the pipeline) and waits at most `timeout`
    /// for its answer. It leaves with whatever else was queued in this turn of the event loop.
    pub async fn post(
        &self,
        target: &Target,
        headers: &[(&str, &str)],
        body: &[u8],
        timeout: Duration,
    ) -> Answer {
        self.queue(target, headers, body).wait(timeout).await
    }

    /// Queues a `POST` like [`Pipeline::post`] and returns at once: the caller picks the
    /// answer up later, usually after it came, so waiting for it wakes nobody. Dropping the
    /// [`PendingAnswer`] gives the request up (it is not sent if it is still queued).
    pub fn queue(&self, target: &Target, headers: &[(&str, &str)], body: &[u8]) -> PendingAnswer {
        let (tx, rx) = oneshot::channel();
        {
            let mut queue = self.inner.lock();
            write_post_request(&mut queue.requests, target, headers, body);
            let end = queue.requests.len();
            queue.ends.push_back(end);
            queue.callers.push_back(tx);
            // Another lane when the queue alone would fill a batch on every lane.
            let lanes = queue.lanes;
            if lanes == 0 || (queue.callers.len() > queue.depth * lanes && lanes < MAX_LANES) {
                queue.lanes += 1;
                tokio::spawn(Lane::new(self.inner.clone()).run());
            }
        }
        self.inner.work.notify_one();
        PendingAnswer::new(rx)
    }

    /// Requests per batch at most, as the server's answers have set it (tests read it).
    pub fn depth(&self) -> usize {
        self.inner.lock().depth
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One lane: owns a connection. Its drop (the runtime shutting down with it, say) fails
/// what it still holds, and the last lane's also what is queued.
struct Lane {
    inner: Arc<Inner>,
    socket: Option<Socket>,
    /// The batch being sent and the callers still waiting for its answers.
    batch: Vec<u8>,
    waiting: VecDeque<oneshot::Sender<Answer>>,
    received: Vec<u8>,
    /// Answers the current batch got, and when its first and last came.
    answered: usize,
    answer_times: Option<(Instant, Instant)>,
    /// When the connection last finished a batch cleanly.
    last_done: Option<Instant>,
    /// The lane already left the count (an idle exit).
    counted_out: bool,
}

impl Lane {
    fn new(inner: Arc<Inner>) -> Lane {
        Lane {
            inner,
            socket: None,
            batch: Vec::new(),
            waiting: VecDeque::new(),
            received: Vec::new(),
            answered: 0,
            answer_times: None,
            last_done: None,
            counted_out: false,
        }
    }

    async fn run(mut self) {
        loop {
            if self.inner.lock().callers.is_empty() {
                let idle = tokio::time::timeout(IDLE_EXIT, self.inner.work.notified()).await;
                if idle.is_err() {
                    // Counted out under the same lock that saw the queue empty, so a request
                    // queued meanwhile finds no lane and starts one.
                    let mut queue = self.inner.lock();
                    if queue.callers.is_empty() {
                        queue.lanes -= 1;
                        self.counted_out = true;
                        return;
                    }
                }
            }
            // The other streams due in this tick queue theirs before the batch leaves.
            tokio::task::yield_now().await;
            if self.take_batch() {
                self.send_batch().await;
            }
        }
    }

    /// Moves up to `depth` queued requests into the batch, leaving out those whose callers
    /// gave up waiting (a stale preview must not land after a newer one). False when none
    /// were left to send.
    fn take_batch(&mut self) -> bool {
        let mut queue = self.inner.lock();
        self.batch.clear();
        let mut consumed = 0;
        while self.waiting.len() < queue.depth {
            let Some(caller) = queue.callers.pop_front() else {
                break;
            };
            let end = queue.ends.pop_front().unwrap_or(queue.requests.len());
            if !caller.is_closed() {
                // Copied, not swapped: the queue's buffer grows to a whole burst, and handed
                // from lane to lane it would leave each of them holding one (about 150 KB
                // each at 250 streams).
                self.batch.extend_from_slice(&queue.requests[consumed..end]);
                self.waiting.push_back(caller);
            }
            consumed = end;
        }
        if queue.callers.is_empty() {
            queue.requests.clear();
        } else {
            queue.requests.drain(..consumed);
            for end in &mut queue.ends {
                *end -= consumed;
            }
            // The rest is for another lane.
            self.inner.work.notify_one();
        }
        !self.waiting.is_empty()
    }

    async fn send_batch(&mut self) {
        let sent = self.waiting.len();
        let just_answered = self
            .last_done
            .is_some_and(|done| done.elapsed() < JUST_ANSWERED);
        let reused = self
            .socket
            .as_mut()
            .is_some_and(|socket| just_answered || socket.looks_idle());
        if !reused {
            self.socket = None;
        }
        let result = match self.exchange().await {
            // A kept-alive connection the server had closed: nothing was answered or acted
            // on, so the batch goes again on a fresh one, once.
            Err(Broken::BeforeAnswers(_)) if reused => {
                tracing::debug!("a pipelined connection was stale; reconnecting");
                self.socket = None;
                self.exchange().await
            }
            other => other,
        };
        if let Err(Broken::BeforeAnswers(error) | Broken::Midway(error)) = &result {
            self.socket = None;
            self.fail_waiting(error);
        }
        self.notice_lone_answers(sent, result.is_ok());
        if result.is_ok() {
            self.adapt_depth(sent);
        }
        self.last_done = (result.is_ok() && self.socket.is_some()).then(Instant::now);
    }

    /// Halves the depth when the server answered this batch slowly, one request after the
    /// other; grows it by one when it answered quickly.
    fn adapt_depth(&mut self, sent: usize) {
        let Some((first, last)) = self.answer_times else {
            return;
        };
        let mut queue = self.inner.lock();
        let spread = last - first;
        if sent >= 2 && spread > SLOW_SPREAD && queue.depth > 1 {
            queue.depth /= 2;
            tracing::debug!(
                depth = queue.depth,
                ?spread,
                "the server answers slowly; pipelining less"
            );
        } else if spread < FAST_SPREAD
            && sent >= queue.depth
            && queue.depth < MAX_DEPTH
            && !queue.no_pipelining
        {
            queue.depth += 1;
        }
    }

    /// A server (or a proxy before it) that does not pipeline answers the first request of a
    /// batch and closes the connection, dropping the rest. Twice in a row, and requests go
    /// one at a time from then on: previews keep arriving, only less cheaply.
    fn notice_lone_answers(&mut self, sent: usize, all_answered: bool) {
        if sent < 2 {
            return;
        }
        let mut queue = self.inner.lock();
        if all_answered || self.answered != 1 {
            queue.lone_answers = 0;
            return;
        }
        queue.lone_answers += 1;
        if queue.lone_answers >= LONE_ANSWERS_TO_STOP_PIPELINING && !queue.no_pipelining {
            queue.no_pipelining = true;
            queue.depth = 1;
            tracing::warn!(
                origin = %self.inner.origin.host,
                "the server closes a connection after one pipelined answer; sending one request at a time"
            );
        }
    }

    /// Writes the batch and hands each answer to its caller in order.
    async fn exchange(&mut self) -> Result<(), Broken> {
        let timeout = self.inner.timeout;
        let socket = match self.socket.as_mut() {
            Some(socket) => socket,
            None => {
                let socket = Socket::connect(&self.inner.origin, self.inner.client.tls(), timeout)
                    .await
                    .map_err(|e| Broken::BeforeAnswers(HttpError::Connect(e.to_string())))?;
                self.socket.insert(socket)
            }
        };
        socket
            .watch_writes_only()
            .map_err(|e| Broken::BeforeAnswers(HttpError::Connect(e.to_string())))?;
        socket
            .write_all(&self.batch)
            .await
            .map_err(|e| Broken::BeforeAnswers(HttpError::Connect(format!("sending: {e}"))))?;
        self.received.clear();
        let deadline = tokio::time::Instant::now() + timeout;
        let mut at = 0;
        self.answered = 0;
        self.answer_times = None;
        while !self.waiting.is_empty() {
            let read = read_answer(socket, &mut self.received, &mut at, deadline).await;
            let (answer, closes) = read.map_err(|error| {
                if self.answered == 0 && at == 0 {
                    Broken::BeforeAnswers(error)
                } else {
                    Broken::Midway(error)
                }
            })?;
            self.answered += 1;
            let now = Instant::now();
            let first = self.answer_times.map_or(now, |(first, _)| first);
            self.answer_times = Some((first, now));
            if let Some(caller) = self.waiting.pop_front() {
                // A caller that gave up has dropped its receiver; nothing to tell it.
                let _ = caller.send(Ok(answer));
            }
            if closes {
                self.socket = None;
                if self.waiting.is_empty() {
                    return Ok(());
                }
                return Err(Broken::Midway(HttpError::Connect(
                    "the server closed the connection before answering every request".into(),
                )));
            }
        }
        if at < self.received.len() {
            // Bytes nobody asked for: the connection is in an unknown state.
            self.socket = None;
        }
        Ok(())
    }

    fn fail_waiting(&mut self, error: &HttpError) {
        for caller in self.waiting.drain(..) {
            let _ = caller.send(Err(error.clone()));
        }
    }
}

impl Drop for Lane {
    fn drop(&mut self) {
        let stopped = stopped();
        self.fail_waiting(&stopped);
        let mut queue = self.inner.lock();
        if !self.counted_out {
            queue.lanes -= 1;
        }
        if queue.lanes > 0 {
            return;
        }
        for caller in queue.callers.drain(..) {
            let _ = caller.send(Err(stopped.clone()));
        }
        queue.requests.clear();
        queue.ends.clear();
    }
}

enum Broken {
    /// No answer byte arrived: the server may not have seen the requests at all.
    BeforeAnswers(HttpError),
    Midway(HttpError),
}
