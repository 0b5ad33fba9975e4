//! The paced response body of one simulated stream. It is driven by the connection's own
//! task (no extra task, no busy loop: one timer per write), and it notices the client
//! hanging up because hyper drops the body then; the guard counts that as a cancellation and
//! generation stops with it. With the emission log on, the guard also carries this stream's
//! answer writes and hands them over when the stream ends.

use super::emission::Emission;
use super::plan::{Frame, ReplyFrames};
use super::state::{Shared, lock};
use super::text::SimRng;
use bytes::Bytes;
use futures_util::Stream;
use std::collections::VecDeque;
use std::io;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::time::Instant;

/// Gap between the pieces of a cut write, so they reach the client as separate reads.
const PIECE_GAP: Duration = Duration::from_millis(1);

#[derive(Debug, Clone, Copy)]
enum StreamEnd {
    Completed,
    Aborted,
}

/// Keeps the active/completed/cancelled counters true however the body ends.
struct StreamGuard {
    shared: Arc<Shared>,
    end: Option<StreamEnd>,
    emission: Option<Emission>,
}

impl StreamGuard {
    fn new(shared: Arc<Shared>, emission: Option<Emission>) -> Self {
        shared
            .counters
            .active_streams
            .fetch_add(1, Ordering::Relaxed);
        Self {
            shared,
            end: None,
            emission,
        }
    }

    fn ended(&mut self, end: StreamEnd) {
        self.end = Some(end);
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        if let Some(emission) = self.emission.take() {
            lock(&self.shared.emissions).push(emission);
        }
        let counters = &self.shared.counters;
        counters.active_streams.fetch_sub(1, Ordering::Relaxed);
        let counter = match self.end {
            Some(StreamEnd::Completed) => &counters.completed_streams,
            Some(StreamEnd::Aborted) => &counters.aborted_streams,
            None => &counters.cancelled_streams,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

struct Piece {
    due: Duration,
    bytes: Bytes,
    tokens: u32,
    /// On the last piece of a frame that carried answer text: the answer bytes sent once
    /// this piece is written.
    content_total: Option<usize>,
}

struct BodyState {
    frames: ReplyFrames,
    /// Answer bytes in the frames queued so far.
    queued_content: usize,
    pending: VecDeque<Piece>,
    start: Instant,
    cutter: Option<SimRng>,
    guard: StreamGuard,
}

impl BodyState {
    /// Queues a frame's bytes, cut at up to two random offsets when chunking is on.
    fn queue(&mut self, due: Duration, bytes: Bytes, tokens: u32) {
        let total = self.frames.answer_bytes_sent();
        let content_total = (total > self.queued_content).then_some(total);
        self.queued_content = total;
        let Some(rng) = self.cutter.as_mut().filter(|_| bytes.len() > 1) else {
            self.pending.push_back(Piece {
                due,
                bytes,
                tokens,
                content_total,
            });
            return;
        };
        let mut cuts: Vec<usize> = (0..rng.below(3))
            .map(|_| 1 + rng.below(bytes.len() - 1))
            .collect();
        // Uniform cuts rarely land in the few bytes that break naive decoders; aim there half
        // the time.
        if rng.below(2) == 0 {
            cuts.extend(tricky_cut(&bytes, rng));
        }
        cuts.sort_unstable();
        cuts.dedup();
        let inside_char = cuts.iter().filter(|&&at| bytes[at] & 0xC0 == 0x80).count();
        self.guard
            .shared
            .counters
            .cuts_inside_char
            .fetch_add(inside_char as u64, Ordering::Relaxed);
        let mut from = 0;
        let mut piece_due = due;
        for at in cuts.into_iter().chain(std::iter::once(bytes.len())) {
            let tokens = if from == 0 { tokens } else { 0 };
            let last = at == bytes.len();
            self.pending.push_back(Piece {
                due: piece_due,
                bytes: bytes.slice(from..at),
                tokens,
                content_total: content_total.filter(|_| last),
            });
            from = at;
            piece_due += PIECE_GAP;
        }
    }
}

/// A cut inside a multi-byte character or between line terminators, if the frame has one.
fn tricky_cut(bytes: &[u8], rng: &mut SimRng) -> Option<usize> {
    let is_tricky = |at: usize| bytes[at] & 0xC0 == 0x80 || matches!(bytes[at - 1], b'\r' | b'\n');
    let candidates = (1..bytes.len()).filter(|&at| is_tricky(at)).count();
    if candidates == 0 {
        return None;
    }
    let pick = rng.below(candidates);
    (1..bytes.len()).filter(|&at| is_tricky(at)).nth(pick)
}

/// `emission`: where to log this stream's answer writes, when the log is on.
pub(crate) fn paced_body(
    shared: Arc<Shared>,
    frames: ReplyFrames,
    chunk_seed: Option<u64>,
    emission: Option<Emission>,
) -> impl Stream<Item = Result<Bytes, io::Error>> + Send + 'static {
    let state = BodyState {
        frames,
        queued_content: 0,
        pending: VecDeque::new(),
        start: Instant::now(),
        cutter: chunk_seed.map(SimRng::new),
        guard: StreamGuard::new(shared, emission),
    };
    futures_util::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(piece) = state.pending.pop_front() {
                tokio::time::sleep_until(state.start + piece.due).await;
                let counters = &state.guard.shared.counters;
                counters
                    .tokens_streamed
                    .fetch_add(u64::from(piece.tokens), Ordering::Relaxed);
                if let (Some(total), Some(emission)) =
                    (piece.content_total, state.guard.emission.as_mut())
                {
                    emission.note(total);
                }
                return Some((Ok(piece.bytes), state));
            }
            match state.frames.next_frame() {
                Some(Frame::Send { due, bytes, tokens }) => state.queue(due, bytes, tokens),
                Some(Frame::Abort { due }) => {
                    tokio::time::sleep_until(state.start + due).await;
                    state.guard.ended(StreamEnd::Aborted);
                    let cut = io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "simulated connection drop",
                    );
                    return Some((Err(cut), state));
                }
                Some(Frame::Stall { .. }) => std::future::pending::<()>().await,
                None => {
                    state.guard.ended(StreamEnd::Completed);
                    return None;
                }
            }
        }
    })
}
