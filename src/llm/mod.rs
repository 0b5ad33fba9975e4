//! OpenAI-compatible chat-completions client: request types (text and image parts), an SSE
//! decoder that passes the shared conformance vectors, the chunk parser (answer vs reasoning,
//! usage and cost, mid-stream errors, truncation) and typed errors with short user messages.
//!
//! Model routing and fallback live in `router.rs`, built on this layer.

mod breaker;
mod chunk;
mod client;
mod error;
mod parse;
pub mod router;
pub mod sse;
mod stream;
mod types;

#[cfg(test)]
mod error_tests;
#[cfg(test)]
mod replay_tests;
#[cfg(test)]
mod sse_conformance_tests;

pub use breaker::{Breaker, BreakerSettings, BreakerState};
pub use client::{LlmClient, LlmEndpoint};
pub use error::{LlmError, classify_http_error, parse_retry_after};
pub use parse::{CompletionParser, EventQueue, Progress};
pub use stream::{ChatStream, Completion, ReplyDecoder};
pub use types::{
    ChatMessage, ChatRequest, ContentPart, FinishReason, ImageKind, ImageUrl, MessageContent, Role,
    StreamEvent, TokenUsage,
};
