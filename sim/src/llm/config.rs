//! Knobs of the LLM simulator: the start-up configuration and the per-model behaviour tests
//! change at run time (replies, timing, injected failures).

use std::sync::Arc;
use std::time::Duration;

/// Start-up configuration. Everything here except the API key can also be changed later
/// through the [`super::LlmSim`] handle.
#[derive(Debug, Clone)]
pub struct LlmSimConfig {
    pub timing: Timing,
    /// `: OPENROUTER PROCESSING` comments sent while the first token is pending.
    pub keepalive_comments: u32,
    /// `Some(seed)`: every write is cut at random byte offsets (reproducible per seed).
    pub chunk_seed: Option<u64>,
    pub line_ending: LineEnding,
    /// Models that accept image parts; an image sent to any other model is refused the way
    /// OpenRouter refuses it (404 "No endpoints found that support image input").
    pub vision_models: Vec<String>,
    /// `Some(list)`: any other model id is refused with 400 "... is not a valid model ID".
    pub known_models: Option<Vec<String>>,
    /// Prompts longer than this many characters are refused with a context-length 400.
    pub context_limit_chars: Option<usize>,
    /// `Some(key)`: requests must carry `Authorization: Bearer <key>`.
    pub api_key: Option<String>,
    /// USD per million prompt / completion tokens, reported as `usage.cost`.
    pub price_per_million: (f64, f64),
    /// Larger request bodies get OpenRouter's 413.
    pub max_body_bytes: usize,
}

impl Default for LlmSimConfig {
    fn default() -> Self {
        Self {
            timing: Timing::default(),
            keepalive_comments: 0,
            chunk_seed: None,
            line_ending: LineEnding::Lf,
            vision_models: Vec::new(),
            known_models: None,
            context_limit_chars: None,
            api_key: None,
            price_per_million: (0.27, 1.10),
            max_body_bytes: 32 << 20,
        }
    }
}

/// How fast a reply streams.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    /// 0 = as fast as the connection takes it.
    pub tokens_per_second: f64,
    pub first_token_delay: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            tokens_per_second: 0.0,
            first_token_delay: Duration::ZERO,
        }
    }
}

impl Timing {
    pub fn new(tokens_per_second: f64, first_token_delay: Duration) -> Self {
        Self {
            tokens_per_second,
            first_token_delay,
        }
    }

    /// When token number `index` (0-based) is due, counted from the start of the response.
    pub fn token_due(&self, index: usize) -> Duration {
        if self.tokens_per_second > 0.0 && self.tokens_per_second.is_finite() {
            self.first_token_delay + Duration::from_secs_f64(index as f64 / self.tokens_per_second)
        } else {
            self.first_token_delay
        }
    }
}

/// Line terminator of the SSE framing (real servers use LF; CRLF exercises CR handling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnding {
    Lf,
    CrLf,
}

impl LineEnding {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Lf => "\n",
            Self::CrLf => "\r\n",
        }
    }
}

/// An injected failure for one model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LlmFailure {
    /// Refuse before streaming with this HTTP status and the recorded body of that status
    /// (400, 401, 402, 403, 404 no endpoints, 408, 413, 429, 500, 502, 503…).
    Status(u16),
    /// 429 with a `Retry-After` header.
    RateLimited { retry_after_secs: u64 },
    /// After this many answer tokens, an `error` chunk (finish_reason "error") then `[DONE]`.
    MidStreamError { after_tokens: usize },
    /// After this many answer tokens, the connection is cut: no `[DONE]`, no clean end.
    DropConnection { after_tokens: usize },
    /// After this many answer tokens, the body ends cleanly but without finish or `[DONE]`.
    EndWithoutDone { after_tokens: usize },
    /// After this many answer tokens, nothing more is sent; the connection stays open.
    Stall { after_tokens: usize },
}

/// What the default reply builder sees of a request.
#[derive(Debug, Clone)]
pub struct ReplyContext {
    pub model: String,
    pub last_user_text: String,
    pub request_number: u64,
}

pub type ReplyBuilder = Arc<dyn Fn(&ReplyContext) -> String + Send + Sync>;

/// The builder used when no reply was scripted: echoes the last user message.
pub fn echo_reply_builder() -> ReplyBuilder {
    Arc::new(|ctx: &ReplyContext| format!("You said: {}", ctx.last_user_text))
}
