//! OpenAI/OpenRouter-compatible LLM simulator: `POST {base}/chat/completions` streamed as
//! `chat.completion.chunk` SSE (keep-alive comments, usage with `cost`, `[DONE]`), and
//! `GET {base}/models`. Replies are scripted, echoed or replayed from recordings at a chosen
//! token rate, writes can be cut at random byte offsets, and chosen models fail with real
//! status bodies, mid-stream errors, dropped connections or stalls. It refuses what the real
//! servers refuse: malformed bodies, unknown models, images sent to text-only models, prompts
//! over the context limit, bad keys. For load tests, an emission log records when each piece
//! of every answer was written.

mod bodies;
mod body;
mod config;
mod emission;
mod plan;
mod server;
mod state;
mod text;
mod validate;

#[cfg(test)]
mod plan_tests;

pub use config::{
    LineEnding, LlmFailure, LlmSimConfig, ReplyBuilder, ReplyContext, Timing, echo_reply_builder,
};
pub use emission::{Emission, EmittedWrite};
pub use server::LlmSim;
pub use state::{LlmSimStats, RecordedRequest};
pub use text::{SimRng, filler_text, split_tokens};
