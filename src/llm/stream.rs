//! The streamed reply: response bytes → SSE events → [`StreamEvent`]s.
//!
//! [`ReplyDecoder`] is the pure part (bytes in, events out). [`ChatStream`] drives it from the
//! HTTP body with an idle timeout. Dropping a `ChatStream` drops the HTTP response, which
//! closes the connection: that is how a reply is cancelled, and the server stops generating
//! (and billing) tokens.

use super::error::LlmError;
use super::parse::{CompletionParser, EventQueue, Progress};
use super::sse::{SseDecoder, SseItem};
use super::types::{FinishReason, StreamEvent, TokenUsage};
use bytes::Bytes;
use futures_util::stream::{BoxStream, Stream, StreamExt};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// An event bigger than this is not a chat chunk; refuse to buffer it without end.
const MAX_EVENT_BYTES: usize = 8 << 20;

/// Bytes of a chat-completions stream in, events out.
#[derive(Debug, Default)]
pub struct ReplyDecoder {
    sse: SseDecoder,
    parser: CompletionParser,
    items: Vec<SseItem>,
}

impl ReplyDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn feed(&mut self, bytes: &[u8], out: &mut EventQueue) -> Progress {
        self.sse.feed(bytes, &mut self.items);
        let mut progress = Progress::Continue;
        for item in self.items.drain(..) {
            progress = match item {
                SseItem::Event(event) => self.parser.push_data(&event.data, out),
                SseItem::ErrorField(value) => self.parser.push_error_field(&value, out),
            };
            if progress == Progress::Terminal {
                break;
            }
        }
        self.items.clear();
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
    body: Option<BoxStream<'static, Result<Bytes, String>>>,
    decoder: ReplyDecoder,
    ready: EventQueue,
    idle_timeout: Duration,
    /// Armed on the first poll, so a stream can be built outside a runtime.
    idle: Option<Pin<Box<tokio::time::Sleep>>>,
    /// When bytes last arrived. The timer is only re-armed from this when it fires, instead
    /// of being reset on every token (a timer-wheel update per token costs measurable CPU).
    last_activity: Option<tokio::time::Instant>,
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
            body: Some(body.map(|r| r.map_err(|e| e.to_string())).boxed()),
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
            body: None,
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

    /// True when events are already decoded and the next `next()` needs no read.
    pub fn has_buffered_events(&self) -> bool {
        !self.ready.is_empty()
    }

    fn close(&mut self) {
        // Dropping the body closes the connection instead of draining it.
        self.body = None;
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
            let Some(body) = this.body.as_mut() else {
                return Poll::Ready(None);
            };
            match body.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(bytes))) => {
                    if this.idle.is_some() {
                        this.last_activity = Some(tokio::time::Instant::now());
                    }
                    if this.decoder.feed(&bytes, &mut this.ready) == Progress::Terminal {
                        this.close();
                    }
                }
                Poll::Ready(Some(Err(err))) => {
                    tracing::warn!(%err, "LLM stream broke off");
                    this.decoder.end(&mut this.ready);
                    this.close();
                }
                Poll::Ready(None) => {
                    this.decoder.end(&mut this.ready);
                    this.close();
                }
                Poll::Pending => {
                    let timeout = this.idle_timeout;
                    let idle = this
                        .idle
                        .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
                    if idle.as_mut().poll(cx).is_ready() {
                        if let Some(last) = this.last_activity.take() {
                            // Bytes came since the timer was armed: silence starts from them.
                            idle.as_mut().reset(last + timeout);
                            continue;
                        }
                        tracing::warn!(timeout = ?this.idle_timeout, "LLM stream went silent");
                        this.ready.push_back(Err(LlmError::Timeout));
                        this.close();
                        continue;
                    }
                    return Poll::Pending;
                }
            }
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
