//! The streamed reply: response bytes → SSE events → [`StreamEvent`]s.
//!
//! [`ReplyDecoder`] is the pure part (bytes in, events out). [`ChatStream`] drives it from the
//! HTTP body with an idle timeout. Dropping a `ChatStream` drops the HTTP response, which
//! closes the connection: that is how a reply is cancelled, and the server stops generating
//! (and billing) tokens.

use super::error::LlmError;
use super::parse::{CompletionParser, EventQueue, Progress};
use super::sse::{SseDecoder, SseRef};
use super::types::{FinishReason, StreamEvent, TokenUsage};
use crate::net;
use bytes::Bytes;
use futures_util::stream::{BoxStream, Stream, StreamExt};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

/// An event bigger than this is not a chat chunk; refuse to buffer it without end.
const MAX_EVENT_BYTES: usize = 8 << 20;

/// Bytes of a chat-completions stream in, events out.
#[derive(Debug, Default)]
pub struct ReplyDecoder {
    sse: SseDecoder,
    parser: CompletionParser,
}

impl ReplyDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn feed(&mut self, bytes: &[u8], out: &mut EventQueue) -> Progress {
        let parser = &mut self.parser;
        let mut progress = Progress::Continue;
        // Events are read where the decoder keeps them: a token costs no allocation here.
        self.sse.feed_with(bytes, &mut |item| {
            if progress == Progress::Terminal {
                return;
            }
            progress = match item {
                SseRef::Event { data, .. } => parser.push_data(data, out),
                SseRef::ErrorField(value) => parser.push_error_field(value, out),
            };
        });
        if progress == Progress::Continue && self.sse.pending_len() > MAX_EVENT_BYTES {
            out.push_back(Err(LlmError::Protocol(format!(
                "stream event larger than {MAX_EVENT_BYTES} bytes"
            ))));
            return Progress::Terminal;
        }
        progress
    }

    pub fn end(&mut self, out: &mut EventQueue) {
        if self.sse.finish() {
            tracing::debug!("LLM stream ended inside an event; the partial event is discarded");
        }
        self.parser.end_of_stream(out);
    }
}

/// A streamed reply. Yields answer/reasoning pieces, then `Usage` and `Finished`, or an
/// error; nothing after either. Drop it to cancel.
pub struct ChatStream {
    source: Option<Source>,
    decoder: ReplyDecoder,
    ready: EventQueue,
    idle_timeout: Duration,
    /// Armed on the first poll, so a stream can be built outside a runtime.
    idle: Option<Pin<Box<tokio::time::Sleep>>>,
    /// When bytes last arrived. The timer is only re-armed from this when it fires, instead
    /// of being reset on every token (a timer-wheel update per token costs measurable CPU).
    last_activity: Option<tokio::time::Instant>,
}

enum Source {
    /// Any byte stream (reqwest's, or a recording in tests): read as bytes arrive.
    Bytes(BoxStream<'static, Result<Bytes, String>>),
    /// A socket outside the reactor, read once per tick (see `net`).
    Polled(Box<Polled>),
}

struct Polled {
    body: net::Body,
    every: Duration,
    /// Until the first answer text, every arriving byte wakes the reader, so the first token
    /// shows at once however long the model thinks; after it, reads follow `tick`.
    eager: bool,
    tick: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Polled {
    /// The next read: at once while eager, else at the next tick. What arrived goes to
    /// `sink` straight from the receive buffer, in the pieces the framing allows. `Pending`
    /// when there is nothing to read yet (a wake-up is arranged).
    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        sink: &mut dyn FnMut(&[u8]),
    ) -> Poll<std::io::Result<net::BodyRead>> {
        if self.eager {
            return self.body.poll_read(cx, sink);
        }
        if let Some(tick) = self.tick.as_mut() {
            ready!(tick.as_mut().poll(cx));
        }
        let mut arrived = false;
        let read = self.body.read_now(&mut |piece| {
            arrived |= !piece.is_empty();
            sink(piece);
        });
        let next = net::on_grid(tokio::time::Instant::now() + self.every);
        let tick = match self.tick.as_mut() {
            Some(tick) => {
                tick.as_mut().reset(next);
                tick
            }
            None => self.tick.insert(Box::pin(tokio::time::sleep_until(next))),
        };
        if matches!(read, Ok(net::BodyRead::Open)) && !arrived {
            // Registers the wake-up for the next tick.
            ready!(tick.as_mut().poll(cx));
        }
        Poll::Ready(read)
    }

    fn switch_to_ticks(&mut self) {
        self.eager = false;
        self.body.stop_waking();
    }
}

impl ChatStream {
    /// `idle_timeout` bounds the silence between two reads (keep-alive comments count as
    /// activity, so a slow thinker that keeps the line alive is not cut off).
    pub fn from_bytes<S, E>(body: S, idle_timeout: Duration) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: std::fmt::Display,
    {
        Self {
            source: Some(Source::Bytes(
                body.map(|r| r.map_err(|e| e.to_string())).boxed(),
            )),
            decoder: ReplyDecoder::new(),
            ready: EventQueue::new(),
            idle_timeout,
            idle: None,
            last_activity: None,
        }
    }

    /// A reply read from `body` every `every` (and once at once): tokens that arrive between
    /// two reads cost nothing until the next one. `every` also bounds how late a token is seen.
    pub(crate) fn polled(body: net::Body, every: Duration, idle_timeout: Duration) -> Self {
        Self {
            source: Some(Source::Polled(Box::new(Polled {
                body,
                every,
                eager: true,
                tick: None,
            }))),
            decoder: ReplyDecoder::new(),
            ready: EventQueue::new(),
            idle_timeout,
            idle: None,
            last_activity: None,
        }
    }

    /// A reply that is already complete (a server that ignored `stream: true`).
    pub(crate) fn from_events(events: EventQueue) -> Self {
        Self {
            source: None,
            decoder: ReplyDecoder::new(),
            ready: events,
            idle_timeout: Duration::ZERO,
            idle: None,
            last_activity: None,
        }
    }

    /// Reads the whole reply. For background calls (summaries) where nothing is shown live.
    pub async fn collect(mut self) -> Result<Completion, LlmError> {
        let mut completion = Completion::default();
        while let Some(event) = self.next().await {
            match event? {
                StreamEvent::Delta(text) => completion.text.push_str(&text),
                StreamEvent::Reasoning(text) => completion.reasoning.push_str(&text),
                StreamEvent::Usage(usage) => completion.usage = Some(usage),
                StreamEvent::Finished { finish_reason } => {
                    completion.finish_reason = finish_reason;
                    return Ok(completion);
                }
            }
        }
        Err(LlmError::Truncated)
    }

    /// True when events are already decoded: the next `next()` returns at once.
    pub fn has_buffered_events(&self) -> bool {
        !self.ready.is_empty()
    }

    /// How often a polled stream reads its socket from now on (a byte stream reads as bytes
    /// arrive, whatever this says). Showing text more often than this is pointless.
    pub fn read_every(&mut self, every: Duration) {
        if let Some(Source::Polled(polled)) = self.source.as_mut() {
            polled.every = every;
        }
    }

    fn close(&mut self) {
        // Dropping the body closes the connection instead of draining it.
        self.source = None;
    }
}

impl Stream for ChatStream {
    type Item = Result<StreamEvent, LlmError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(event) = this.ready.pop_front() {
                return Poll::Ready(Some(event));
            }
            let polled = match this.source.as_mut() {
                None => return Poll::Ready(None),
                Some(Source::Polled(polled)) => polled,
                Some(Source::Bytes(body)) => {
                    match body.poll_next_unpin(cx) {
                        Poll::Ready(Some(Ok(bytes))) => this.take_bytes(&bytes),
                        Poll::Ready(Some(Err(err))) => this.broke_off(&err),
                        Poll::Ready(None) => this.ended(),
                        Poll::Pending => ready!(this.poll_idle(cx)),
                    }
                    continue;
                }
            };
            let was_eager = polled.eager;
            let mut arrived = false;
            let mut progress = Progress::Continue;
            let (decoder, events) = (&mut this.decoder, &mut this.ready);
            let read = polled.poll_read(cx, &mut |piece| {
                arrived |= !piece.is_empty();
                if progress == Progress::Continue {
                    progress = decoder.feed(piece, events);
                }
            });
            if this.after_read(arrived, progress) {
                continue;
            }
            match read {
                Poll::Ready(Ok(state)) => {
                    if was_eager
                        && this
                            .ready
                            .iter()
                            .any(|e| matches!(e, Ok(StreamEvent::Delta(_))))
                        && let Some(Source::Polled(polled)) = this.source.as_mut()
                    {
                        polled.switch_to_ticks();
                    }
                    if state == net::BodyRead::Complete {
                        this.ended();
                    }
                }
                Poll::Ready(Err(err)) => this.broke_off(&err),
                Poll::Pending => ready!(this.poll_idle(cx)),
            }
        }
    }
}

impl ChatStream {
    fn take_bytes(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let progress = self.decoder.feed(bytes, &mut self.ready);
        self.after_read(true, progress);
    }

    /// Notes that bytes `arrived` (for the idle timer) and closes the stream once the
    /// decoder has seen its end. Returns whether it closed.
    fn after_read(&mut self, arrived: bool, progress: Progress) -> bool {
        if arrived && self.idle.is_some() {
            self.last_activity = Some(tokio::time::Instant::now());
        }
        if progress == Progress::Terminal {
            self.close();
            return true;
        }
        false
    }

    fn broke_off(&mut self, err: &dyn std::fmt::Display) {
        tracing::warn!(%err, "LLM stream broke off");
        self.ended();
    }

    fn ended(&mut self) {
        if self.source.is_some() {
            self.decoder.end(&mut self.ready);
            self.close();
        }
    }

    /// Nothing to read: `Pending`, unless the stream has been silent for too long (then an
    /// error is queued and the stream closed, and `Ready` says to look at the queue).
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let timeout = self.idle_timeout;
            let idle = self
                .idle
                .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
            ready!(idle.as_mut().poll(cx));
            if let Some(last) = self.last_activity.take() {
                // Bytes came since the timer was armed: silence starts from them.
                idle.as_mut().reset(last + timeout);
                continue;
            }
            tracing::warn!(timeout = ?self.idle_timeout, "LLM stream went silent");
            self.ready.push_back(Err(LlmError::Timeout));
            self.close();
            return Poll::Ready(());
        }
    }
}

/// A whole reply, as [`ChatStream::collect`] returns it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Completion {
    pub text: String,
    pub reasoning: String,
    pub usage: Option<TokenUsage>,
    pub finish_reason: Option<FinishReason>,
}
