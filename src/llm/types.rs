//! Request-side types of the chat-completions API and the events a streamed reply yields.
//!
//! The request types serialize to the exact wire shape OpenAI-compatible servers accept:
//! plain string content for text turns, and a list of typed parts for a turn carrying an image
//! (`{"type":"image_url","image_url":{"url":"data:image/png;base64,..."}}`).

use base64::Engine as _;
use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatMessage {
    pub role: Role,
    pub content: MessageContent,
}

impl ChatMessage {
    pub fn system(text: impl Into<String>) -> Self {
        Self {
            role: Role::System,
            content: MessageContent::Text(text.into()),
        }
    }

    pub fn user(text: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: MessageContent::Text(text.into()),
        }
    }

    pub fn assistant(text: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: MessageContent::Text(text.into()),
        }
    }

    /// A user turn made of parts, e.g. an image followed by the question about it.
    pub fn user_parts(parts: Vec<ContentPart>) -> Self {
        Self {
            role: Role::User,
            content: MessageContent::Parts(parts),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MessageContent {
    Text(String),
    Parts(Vec<ContentPart>),
}

impl MessageContent {
    fn has_image(&self) -> bool {
        match self {
            Self::Text(_) => false,
            Self::Parts(parts) => parts
                .iter()
                .any(|p| matches!(p, ContentPart::ImageUrl { .. })),
        }
    }

    fn text_chars(&self) -> usize {
        match self {
            Self::Text(text) => text.chars().count(),
            Self::Parts(parts) => parts
                .iter()
                .map(|p| match p {
                    ContentPart::Text { text } => text.chars().count(),
                    ContentPart::ImageUrl { .. } => 0,
                })
                .sum(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    Text { text: String },
    ImageUrl { image_url: ImageUrl },
}

impl ContentPart {
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text { text: text.into() }
    }

    /// An inline image as a base64 data URL of exactly `bytes`.
    pub fn image(kind: ImageKind, bytes: &[u8]) -> Self {
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        Self::ImageUrl {
            image_url: ImageUrl {
                url: format!("data:{};base64,{encoded}", kind.mime()),
            },
        }
    }
}

#[derive(Clone, PartialEq, Serialize)]
pub struct ImageUrl {
    pub url: String,
}

impl fmt::Debug for ImageUrl {
    // A data URL is megabytes of base64: logs get its length, not its bytes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.url.split_once(',') {
            Some((head, payload)) if head.starts_with("data:") => {
                write!(f, "ImageUrl({head},<{} base64 chars>)", payload.len())
            }
            _ => write!(f, "ImageUrl({})", self.url),
        }
    }
}

/// Image formats vision models accept, recognised from their magic bytes (a file name or a
/// declared MIME type is not evidence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Webp,
    Gif,
}

impl ImageKind {
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(b"\xFF\xD8\xFF") {
            Some(Self::Jpeg)
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Self::Gif)
        } else {
            None
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
            Self::Gif => "image/gif",
        }
    }
}

/// One chat-completion request. Always streamed; `max_tokens` is always sent so a provider
/// never reserves (and bills credit checks against) the model's full output window.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<ChatMessage>,
    pub max_tokens: u32,
    pub temperature: Option<f32>,
}

impl ChatRequest {
    pub fn new(model: impl Into<String>, messages: Vec<ChatMessage>, max_tokens: u32) -> Self {
        Self {
            model: model.into(),
            messages,
            max_tokens,
            temperature: None,
        }
    }

    /// Whether any turn carries an image, i.e. only a vision model can take it.
    pub fn has_images(&self) -> bool {
        self.messages.iter().any(|m| m.content.has_image())
    }

    /// Characters of text across all turns, for budget estimates.
    pub fn text_chars(&self) -> usize {
        self.messages.iter().map(|m| m.content.text_chars()).sum()
    }
}

/// The JSON body actually posted.
#[derive(Serialize)]
pub(crate) struct WireRequest<'a> {
    pub(crate) model: &'a str,
    messages: &'a [ChatMessage],
    max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    stream: bool,
    stream_options: StreamOptions,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

impl<'a> WireRequest<'a> {
    pub(crate) fn new(
        model: &'a str,
        messages: &'a [ChatMessage],
        max_tokens: u32,
        temperature: Option<f32>,
    ) -> Self {
        Self {
            model,
            messages,
            max_tokens,
            temperature,
            stream: true,
            stream_options: StreamOptions {
                include_usage: true,
            },
        }
    }
}

impl<'a> From<&'a ChatRequest> for WireRequest<'a> {
    fn from(request: &'a ChatRequest) -> Self {
        Self::new(
            &request.model,
            &request.messages,
            request.max_tokens,
            request.temperature,
        )
    }
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FinishReason {
    Stop,
    /// `max_tokens` was reached: the answer is cut short.
    Length,
    ContentFilter,
    ToolCalls,
    Error,
    Other(String),
}

impl FinishReason {
    pub(crate) fn from_wire(reason: &str) -> Self {
        match reason {
            "stop" | "end_turn" | "eos" => Self::Stop,
            "length" | "max_tokens" => Self::Length,
            "content_filter" => Self::ContentFilter,
            "tool_calls" | "function_call" => Self::ToolCalls,
            "error" => Self::Error,
            other => Self::Other(other.to_owned()),
        }
    }
}

/// Token counts and, when the provider reports it (OpenRouter does), the cost in USD.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TokenUsage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cost: Option<f64>,
}

/// One step of a streamed reply.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// A piece of the answer text.
    Delta(String),
    /// A piece of the model's reasoning; never part of the answer.
    Reasoning(String),
    /// The final usage report; sent once, just before `Finished`.
    Usage(TokenUsage),
    /// The reply is complete. The stream ends after this.
    Finished { finish_reason: Option<FinishReason> },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn vision_turn_serializes_like_the_recorded_request() {
        let recorded: Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/llm/openrouter_vision_request_claude_dataurl.request.json"
        )))
        .expect("fixture json");
        let recorded_part = &recorded["messages"][0]["content"][0];
        let recorded_url = recorded_part["image_url"]["url"].as_str().expect("url");
        let payload = recorded_url
            .strip_prefix("data:image/jpeg;base64,")
            .expect("jpeg data url");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(payload)
            .expect("base64");
        assert_eq!(ImageKind::sniff(&bytes), Some(ImageKind::Jpeg));

        let message = ChatMessage::user_parts(vec![
            ContentPart::image(ImageKind::Jpeg, &bytes),
            ContentPart::text("What is in this image? Answer in one word."),
        ]);
        let ours = serde_json::to_value(&message).expect("serialize");
        assert_eq!(ours["role"], "user");
        assert_eq!(ours["content"][0]["type"], recorded_part["type"]);
        assert_eq!(
            ours["content"][0]["image_url"]["url"],
            recorded_part["image_url"]["url"]
        );
        assert_eq!(ours["content"][1], recorded["messages"][0]["content"][1]);
    }

    #[test]
    fn wire_request_always_streams_with_usage_and_max_tokens() {
        let request = ChatRequest::new(
            "m",
            vec![ChatMessage::system("s"), ChatMessage::user("hi")],
            700,
        );
        let wire = serde_json::to_value(WireRequest::from(&request)).expect("serialize");
        assert_eq!(
            wire,
            json!({
                "model": "m",
                "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}],
                "max_tokens": 700,
                "stream": true,
                "stream_options": {"include_usage": true}
            })
        );
        assert!(!request.has_images());
    }

    #[test]
    fn sniffing_trusts_magic_bytes_only() {
        assert_eq!(
            ImageKind::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(ImageKind::Png)
        );
        assert_eq!(
            ImageKind::sniff(b"RIFF\x10\0\0\0WEBPVP8 "),
            Some(ImageKind::Webp)
        );
        assert_eq!(ImageKind::sniff(b"GIF89a..."), Some(ImageKind::Gif));
        assert_eq!(ImageKind::sniff(b"RIFF\x10\0\0\0WAVEfmt "), None);
        assert_eq!(ImageKind::sniff(b"<html>"), None);
        assert_eq!(ImageKind::sniff(b""), None);
    }

    #[test]
    fn debug_of_an_image_part_hides_the_payload() {
        let part = ContentPart::image(ImageKind::Png, &[0u8; 3000]);
        let debug = format!("{part:?}");
        assert!(debug.contains("data:image/png;base64"));
        assert!(debug.contains("<4000 base64 chars>"));
        assert!(debug.len() < 120);
    }
}
