//! Typed failures of an LLM call, and the pure mapping from an HTTP error response
//! (status, `Retry-After`, `{"error":{"code","message","metadata"}}` body) to them.
//!
//! `Display` carries the provider's details for the operator's logs; `user_message()` is the
//! short, detail-free text a trader may see. Neither ever contains the API key.

use serde::Deserialize;
use std::time::{Duration, SystemTime};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    #[error("unauthorized (401): {message}")]
    Unauthorized { message: String },
    #[error("insufficient credits (402): {message}")]
    InsufficientCredits { message: String },
    #[error("forbidden / moderation (403): {message}")]
    Forbidden { message: String },
    #[error("model not found: {message}")]
    ModelNotFound { message: String },
    #[error("no provider endpoint for the model (404): {message}")]
    NoEndpoints { message: String },
    #[error("timed out")]
    Timeout,
    #[error("payload too large (413): {message}")]
    PayloadTooLarge { message: String },
    #[error("rate limited (429), retry after {retry_after:?}: {message}")]
    RateLimited {
        retry_after: Option<Duration>,
        message: String,
    },
    #[error("context length exceeded: {message}")]
    ContextLengthExceeded { message: String },
    #[error("bad request ({status}): {message}")]
    BadRequest { status: u16, message: String },
    #[error("upstream error ({status}): {message}")]
    Upstream { status: u16, message: String },
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("error in the stream (code {code:?}): {message}")]
    MidStream {
        code: Option<String>,
        message: String,
    },
    #[error("stream ended before the reply was complete")]
    Truncated,
    #[error("protocol error: {0}")]
    Protocol(String),
    #[error("invalid LLM configuration: {0}")]
    InvalidConfig(String),
}

impl LlmError {
    /// Short text for the trader: what kind of failure, no provider details.
    pub fn user_message(&self) -> &'static str {
        match self {
            Self::Unauthorized { .. } => "The AI service rejected the bot's credentials.",
            Self::InsufficientCredits { .. } => "The AI service is out of credits.",
            Self::Forbidden { .. } => "The AI service declined this request.",
            Self::ModelNotFound { .. } => "The AI model is not available.",
            Self::NoEndpoints { .. } => "The AI model is unavailable right now.",
            Self::Timeout => "The AI service took too long to answer.",
            Self::PayloadTooLarge { .. } => "That was too large for the AI service.",
            Self::RateLimited { .. } => "The AI service is busy right now.",
            Self::ContextLengthExceeded { .. } => "The conversation is too long for the AI model.",
            Self::BadRequest { .. } => "The AI service could not process this request.",
            Self::Upstream { .. } => "The AI service is having problems.",
            Self::Connect(_) => "The AI service could not be reached.",
            Self::MidStream { .. } => "The AI service failed while answering.",
            Self::Truncated => "The answer was cut off.",
            Self::Protocol(_) => "The AI service sent an unreadable answer.",
            Self::InvalidConfig(_) => "The AI service is not configured correctly.",
        }
    }

    /// Whether another attempt (the same model later, or the next model of a chain) can
    /// succeed where this one failed, provided no answer text was shown yet. Failures caused
    /// by the request itself (too long, too large, refused) would fail everywhere.
    pub fn is_retryable_before_first_token(&self) -> bool {
        match self {
            Self::Connect(_)
            | Self::Timeout
            | Self::RateLimited { .. }
            | Self::Upstream { .. }
            | Self::NoEndpoints { .. }
            | Self::ModelNotFound { .. }
            | Self::InsufficientCredits { .. }
            | Self::MidStream { .. }
            | Self::Truncated => true,
            Self::Unauthorized { .. }
            | Self::Forbidden { .. }
            | Self::PayloadTooLarge { .. }
            | Self::ContextLengthExceeded { .. }
            | Self::BadRequest { .. }
            | Self::Protocol(_)
            | Self::InvalidConfig(_) => false,
        }
    }

    /// How long the provider asked us to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Replaces every occurrence of `secret` in the messages (some providers echo the key back).
    pub(crate) fn redact(self, secret: Option<&str>) -> Self {
        let Some(secret) = secret.filter(|s| !s.is_empty()) else {
            return self;
        };
        let scrub = |m: String| m.replace(secret, "[redacted]");
        match self {
            Self::Unauthorized { message } => Self::Unauthorized {
                message: scrub(message),
            },
            Self::InsufficientCredits { message } => Self::InsufficientCredits {
                message: scrub(message),
            },
            Self::Forbidden { message } => Self::Forbidden {
                message: scrub(message),
            },
            Self::ModelNotFound { message } => Self::ModelNotFound {
                message: scrub(message),
            },
            Self::NoEndpoints { message } => Self::NoEndpoints {
                message: scrub(message),
            },
            Self::PayloadTooLarge { message } => Self::PayloadTooLarge {
                message: scrub(message),
            },
            Self::RateLimited {
                retry_after,
                message,
            } => Self::RateLimited {
                retry_after,
                message: scrub(message),
            },
            Self::ContextLengthExceeded { message } => Self::ContextLengthExceeded {
                message: scrub(message),
            },
            Self::BadRequest { status, message } => Self::BadRequest {
                status,
                message: scrub(message),
            },
            Self::Upstream { status, message } => Self::Upstream {
                status,
                message: scrub(message),
            },
            Self::Connect(message) => Self::Connect(scrub(message)),
            Self::MidStream { code, message } => Self::MidStream {
                code,
                message: scrub(message),
            },
            Self::Protocol(message) => Self::Protocol(scrub(message)),
            Self::InvalidConfig(message) => Self::InvalidConfig(scrub(message)),
            other @ (Self::Timeout | Self::Truncated) => other,
        }
    }
}

/// `{"error": {...}}`, the envelope every OpenAI-compatible server uses for failures.
#[derive(Debug, Deserialize)]
pub(crate) struct ErrorEnvelope {
    pub error: WireError,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WireError {
    pub code: Option<ErrorCode>,
    pub message: Option<String>,
    pub metadata: Option<serde_json::Value>,
    pub availability: Option<Availability>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum ErrorCode {
    Number(i64),
    Text(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Availability {
    pub retry_after: Option<f64>,
}

impl WireError {
    pub fn code_string(&self) -> Option<String> {
        self.code.as_ref().map(|code| match code {
            ErrorCode::Number(n) => n.to_string(),
            ErrorCode::Text(t) => t.clone(),
        })
    }

    /// The message plus the upstream provider's own words, which OpenRouter tucks into
    /// `metadata.raw` behind a generic "Provider returned error".
    pub fn full_message(&self) -> String {
        let mut message = self.message.clone().unwrap_or_default();
        let metadata = self.metadata.as_ref();
        if let Some(raw) = metadata.and_then(|m| m.get("raw")).and_then(|r| r.as_str()) {
            message = format!("{message} ({raw})");
        }
        if let Some(provider) = metadata
            .and_then(|m| m.get("provider_name"))
            .and_then(|p| p.as_str())
        {
            message = format!("{message} [provider: {provider}]");
        }
        clip(&message)
    }
}

const MAX_MESSAGE_CHARS: usize = 400;

fn clip(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(MAX_MESSAGE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Maps a non-success HTTP response to its error. `now` is only used to turn an HTTP-date
/// `Retry-After` into a delay.
pub fn classify_http_error(
    status: u16,
    retry_after_header: Option<&str>,
    body: &[u8],
    now: SystemTime,
) -> LlmError {
    let wire = serde_json::from_slice::<ErrorEnvelope>(body)
        .ok()
        .map(|e| e.error);
    let message = match &wire {
        Some(error) => error.full_message(),
        None => clip(&String::from_utf8_lossy(body)),
    };
    let code = wire.as_ref().and_then(WireError::code_string);
    match status {
        400 | 413 | 422 if mentions_context_length(&message, code.as_deref()) => {
            LlmError::ContextLengthExceeded { message }
        }
        400 | 422 if mentions_invalid_model(&message, code.as_deref()) => {
            LlmError::ModelNotFound { message }
        }
        401 => LlmError::Unauthorized { message },
        402 => LlmError::InsufficientCredits { message },
        403 => LlmError::Forbidden { message },
        404 if message.to_ascii_lowercase().contains("no endpoints found") => {
            LlmError::NoEndpoints { message }
        }
        404 => LlmError::ModelNotFound { message },
        408 => LlmError::Timeout,
        413 => LlmError::PayloadTooLarge { message },
        429 => {
            let from_header = retry_after_header.and_then(|h| parse_retry_after(h, now));
            let from_body = wire
                .as_ref()
                .and_then(|w| w.availability.as_ref())
                .and_then(|a| a.retry_after)
                .and_then(|secs| Duration::try_from_secs_f64(secs).ok());
            LlmError::RateLimited {
                retry_after: from_header.or(from_body),
                message,
            }
        }
        500..=599 => LlmError::Upstream { status, message },
        _ => LlmError::BadRequest { status, message },
    }
}

/// Providers word this differently; these cover OpenAI, OpenRouter, Anthropic, DeepSeek,
/// Gemini, Mistral, Groq, vLLM, llama.cpp and Ollama.
pub(crate) fn mentions_context_length(message: &str, code: Option<&str>) -> bool {
    if code == Some("context_length_exceeded") {
        return true;
    }
    let message = message.to_ascii_lowercase();
    [
        "context length",
        "context_length",
        "maximum context",
        "context window",
        "context size",
        "prompt is too long",
        "input is too long",
        "too many tokens",
        "maximum number of tokens",
        "reduce the length of the messages",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

fn mentions_invalid_model(message: &str, code: Option<&str>) -> bool {
    let message = message.to_ascii_lowercase();
    code == Some("model_not_found")
        || message.contains("not a valid model")
        || message.contains("model not found")
}

/// `Retry-After` is either delay-seconds or an HTTP-date.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).ok();
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let at = SystemTime::from(at.with_timezone(&chrono::Utc));
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}
