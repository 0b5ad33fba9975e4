//! What one simulated reply sends, and when (pure): keep-alive comments, one
//! `chat.completion.chunk` per token, the finish chunk, the usage chunk with `cost`,
//! `data: [DONE]` — or an injected failure part-way. Frames are produced lazily so 250
//! concurrent streams hold only their reply text, not their encoded bytes.

use super::config::{LineEnding, LlmFailure, Timing};
use super::text::split_tokens;
use bytes::Bytes;
use serde::Serialize;
use serde_json::json;
use std::ops::Range;
use std::time::Duration;

/// One step of the response body, due at an offset from the start of the response.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Frame {
    Send {
        due: Duration,
        bytes: Bytes,
        tokens: u32,
    },
    /// Cut the connection without finishing the body.
    Abort { due: Duration },
    /// Send nothing more, keep the connection open.
    Stall { due: Duration },
}

#[derive(Debug, Clone)]
pub(crate) enum ScriptBody {
    Generate {
        reasoning: String,
        answer: String,
    },
    /// Recorded SSE bytes, sent verbatim block by block.
    Replay(Bytes),
}

#[derive(Debug, Clone)]
pub(crate) struct StreamScript {
    pub id: String,
    pub created: u64,
    pub model: String,
    pub timing: Timing,
    pub keepalive_comments: u32,
    pub line_ending: LineEnding,
    pub body: ScriptBody,
    pub failure: Option<LlmFailure>,
    pub max_tokens: Option<u64>,
    pub prompt_tokens: u64,
    pub price_per_million: (f64, f64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    Keepalive(u32),
    Tokens,
    Finish,
    Usage,
    Done,
    Over,
}

/// Lazily yields the frames of a [`StreamScript`].
pub(crate) struct ReplyFrames {
    script: StreamScript,
    /// (is_reasoning, byte range in its text) per token, or block ranges when replaying.
    pieces: Vec<(bool, Range<usize>)>,
    next_piece: usize,
    answer_tokens_sent: usize,
    /// Answer bytes in the frames produced so far (what the emission log reports).
    answer_bytes_sent: usize,
    completion_tokens: u64,
    last_due: Duration,
    finish_reason: &'static str,
    phase: Phase,
    /// Token chunks differ only in the token: serialize the rest once per stream.
    answer_template: (String, String),
    reasoning_template: (String, String),
}

/// Stands for the token while a template is serialized; JSON-encoded it cannot occur in a
/// model id or reply id.
const TOKEN_SLOT: &str = "\u{0}token\u{0}";

#[derive(Serialize)]
struct ChunkJson<'a> {
    id: &'a str,
    provider: &'static str,
    model: &'a str,
    object: &'static str,
    created: u64,
    choices: &'a [ChoiceJson<'a>],
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct ChoiceJson<'a> {
    index: u32,
    delta: DeltaJson<'a>,
    finish_reason: Option<&'a str>,
    native_finish_reason: Option<&'a str>,
    logprobs: Option<()>,
}

#[derive(Serialize)]
struct DeltaJson<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning: Option<&'a str>,
}

fn token_ranges(text: &str, reasoning: bool) -> impl Iterator<Item = (bool, Range<usize>)> + '_ {
    let base = text.as_ptr() as usize;
    split_tokens(text).into_iter().map(move |t| {
        let start = t.as_ptr() as usize - base;
        (reasoning, start..start + t.len())
    })
}

fn block_ranges(bytes: &[u8]) -> Vec<(bool, Range<usize>)> {
    let mut ranges = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let end = bytes[start..]
            .windows(2)
            .position(|w| w == b"\n\n")
            .map_or(bytes.len(), |at| start + at + 2);
        ranges.push((false, start..end));
        start = end;
    }
    ranges
}

impl ReplyFrames {
    pub fn new(script: StreamScript) -> Self {
        let pieces = match &script.body {
            ScriptBody::Generate { reasoning, answer } => token_ranges(reasoning, true)
                .chain(token_ranges(answer, false))
                .collect(),
            ScriptBody::Replay(bytes) => block_ranges(bytes),
        };
        let phase = if script.keepalive_comments > 0 {
            Phase::Keepalive(0)
        } else {
            Phase::Tokens
        };
        let mut frames = Self {
            script,
            pieces,
            next_piece: 0,
            answer_tokens_sent: 0,
            answer_bytes_sent: 0,
            completion_tokens: 0,
            last_due: Duration::ZERO,
            finish_reason: "stop",
            phase,
            answer_template: (String::new(), String::new()),
            reasoning_template: (String::new(), String::new()),
        };
        frames.answer_template = frames.template(DeltaJson {
            role: Some("assistant"),
            content: Some(TOKEN_SLOT),
            reasoning: None,
        });
        frames.reasoning_template = frames.template(DeltaJson {
            role: Some("assistant"),
            content: Some(""),
            reasoning: Some(TOKEN_SLOT),
        });
        frames
    }

    fn template(&self, delta: DeltaJson<'_>) -> (String, String) {
        let json = String::from_utf8(self.chunk(delta, None, None)).unwrap_or_default();
        let slot = serde_json::to_string(TOKEN_SLOT).unwrap_or_default();
        match json.split_once(&slot) {
            Some((head, tail)) => (head.to_owned(), tail.to_owned()),
            None => (json, String::new()),
        }
    }

    fn data_frame(&self, due: Duration, json: &[u8], tokens: u32) -> Frame {
        let le = self.script.line_ending.as_str();
        let mut bytes = Vec::with_capacity(json.len() + 10);
        bytes.extend_from_slice(b"data: ");
        bytes.extend_from_slice(json);
        bytes.extend_from_slice(le.as_bytes());
        bytes.extend_from_slice(le.as_bytes());
        Frame::Send {
            due,
            bytes: Bytes::from(bytes),
            tokens,
        }
    }

    fn chunk(
        &self,
        delta: DeltaJson<'_>,
        finish_reason: Option<&str>,
        usage: Option<serde_json::Value>,
    ) -> Vec<u8> {
        let choices = [ChoiceJson {
            index: 0,
            delta,
            finish_reason,
            native_finish_reason: finish_reason,
            logprobs: None,
        }];
        let chunk = ChunkJson {
            id: &self.script.id,
            provider: "Sim",
            model: &self.script.model,
            object: "chat.completion.chunk",
            created: self.script.created,
            choices: if usage.is_some() { &[] } else { &choices },
            usage,
        };
        serde_json::to_vec(&chunk).unwrap_or_default()
    }

    fn failure_frames(&mut self, failure: LlmFailure) -> Option<Frame> {
        // A moment after the last token, so what was sent reaches the client before the cut.
        let due = self.last_due + Duration::from_millis(20);
        match failure {
            LlmFailure::MidStreamError { .. } => {
                self.phase = Phase::Done;
                let error = json!({
                    "id": self.script.id,
                    "object": "chat.completion.chunk",
                    "created": self.script.created,
                    "model": self.script.model,
                    "provider": "Sim",
                    "error": {"code": "server_error", "message": "Provider disconnected unexpectedly"},
                    "choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "error"}]
                });
                Some(self.data_frame(due, error.to_string().as_bytes(), 0))
            }
            LlmFailure::DropConnection { .. } => {
                self.phase = Phase::Over;
                Some(Frame::Abort { due })
            }
            LlmFailure::Stall { .. } => {
                self.phase = Phase::Over;
                Some(Frame::Stall { due })
            }
            LlmFailure::EndWithoutDone { .. }
            | LlmFailure::Status(_)
            | LlmFailure::RateLimited { .. } => {
                self.phase = Phase::Over;
                None
            }
        }
    }

    fn failure_due_now(&self) -> Option<LlmFailure> {
        let failure = self.script.failure?;
        let after = match failure {
            LlmFailure::MidStreamError { after_tokens }
            | LlmFailure::DropConnection { after_tokens }
            | LlmFailure::EndWithoutDone { after_tokens }
            | LlmFailure::Stall { after_tokens } => after_tokens,
            LlmFailure::Status(_) | LlmFailure::RateLimited { .. } => return None,
        };
        // A reply shorter than `after` still fails, at its end: the knob means "this model
        // breaks mid-stream", whatever the reply length.
        match self.pieces.get(self.next_piece) {
            None => Some(failure),
            Some((is_reasoning, _)) => {
                (!is_reasoning && self.answer_tokens_sent >= after).then_some(failure)
            }
        }
    }

    fn token_frame(&mut self) -> Option<Frame> {
        if matches!(self.script.body, ScriptBody::Replay(_)) {
            return self.replay_frame();
        }
        if let Some(failure) = self.failure_due_now() {
            return self.failure_frames(failure);
        }
        let out_of_budget = self
            .script
            .max_tokens
            .is_some_and(|max| self.completion_tokens >= max);
        let Some((is_reasoning, range)) = self
            .pieces
            .get(self.next_piece)
            .cloned()
            .filter(|_| !out_of_budget)
        else {
            if out_of_budget && self.next_piece < self.pieces.len() {
                self.finish_reason = "length";
            }
            self.phase = Phase::Finish;
            return self.next_frame();
        };
        let due = self.script.timing.token_due(self.next_piece);
        self.next_piece += 1;
        self.completion_tokens += 1;
        self.last_due = due;
        let ScriptBody::Generate { reasoning, answer } = &self.script.body else {
            return None;
        };
        let (text, (head, tail)) = if is_reasoning {
            (&reasoning[range], &self.reasoning_template)
        } else {
            self.answer_tokens_sent += 1;
            self.answer_bytes_sent += range.len();
            (&answer[range], &self.answer_template)
        };
        let mut json = Vec::with_capacity(head.len() + text.len() + tail.len() + 8);
        json.extend_from_slice(head.as_bytes());
        // Writing a &str into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut json, text);
        json.extend_from_slice(tail.as_bytes());
        Some(self.data_frame(due, &json, 1))
    }

    fn replay_frame(&mut self) -> Option<Frame> {
        let ScriptBody::Replay(bytes) = &self.script.body else {
            return None;
        };
        let Some((_, range)) = self.pieces.get(self.next_piece).cloned() else {
            self.phase = Phase::Over;
            return None;
        };
        let due = self.script.timing.token_due(self.next_piece);
        self.next_piece += 1;
        Some(Frame::Send {
            due,
            bytes: bytes.slice(range),
            tokens: 1,
        })
    }

    /// Bytes of answer text in the frames produced so far (0 for replays, whose content is
    /// not decoded).
    pub fn answer_bytes_sent(&self) -> usize {
        self.answer_bytes_sent
    }

    pub fn next_frame(&mut self) -> Option<Frame> {
        match self.phase {
            Phase::Keepalive(sent) => {
                let total = self.script.keepalive_comments;
                let due = self
                    .script
                    .timing
                    .first_token_delay
                    .mul_f64(f64::from(sent) / f64::from(total));
                self.phase = if sent + 1 >= total {
                    Phase::Tokens
                } else {
                    Phase::Keepalive(sent + 1)
                };
                let le = self.script.line_ending.as_str();
                let bytes = Bytes::from(format!(": OPENROUTER PROCESSING{le}{le}"));
                Some(Frame::Send {
                    due,
                    bytes,
                    tokens: 0,
                })
            }
            Phase::Tokens => self.token_frame(),
            Phase::Finish => {
                self.phase = Phase::Usage;
                let delta = DeltaJson {
                    role: Some("assistant"),
                    content: Some(""),
                    reasoning: None,
                };
                let json = self.chunk(delta, Some(self.finish_reason), None);
                Some(self.data_frame(self.last_due, &json, 0))
            }
            Phase::Usage => {
                self.phase = Phase::Done;
                let usage = usage_json(
                    self.script.prompt_tokens,
                    self.completion_tokens,
                    self.script.price_per_million,
                );
                let delta = DeltaJson {
                    role: None,
                    content: None,
                    reasoning: None,
                };
                let json = self.chunk(delta, None, Some(usage));
                Some(self.data_frame(self.last_due, &json, 0))
            }
            Phase::Done => {
                self.phase = Phase::Over;
                Some(self.data_frame(self.last_due, b"[DONE]", 0))
            }
            Phase::Over => None,
        }
    }
}

/// OpenRouter's usage object, with `cost` in USD.
pub(crate) fn usage_json(
    prompt_tokens: u64,
    completion_tokens: u64,
    price_per_million: (f64, f64),
) -> serde_json::Value {
    let cost = (prompt_tokens as f64 * price_per_million.0
        + completion_tokens as f64 * price_per_million.1)
        / 1e6;
    json!({
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "cost": cost,
        "is_byok": false
    })
}

/// A whole `chat.completion` body, for requests with `stream: false`.
pub(crate) fn completion_json(script: &StreamScript) -> serde_json::Value {
    let (reasoning, answer) = match &script.body {
        ScriptBody::Generate { reasoning, answer } => (reasoning.as_str(), answer.as_str()),
        ScriptBody::Replay(_) => ("", ""),
    };
    let tokens = split_tokens(reasoning).len() + split_tokens(answer).len();
    json!({
        "id": script.id,
        "provider": "Sim",
        "model": script.model,
        "object": "chat.completion",
        "created": script.created,
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": answer,
                "reasoning": if reasoning.is_empty() { None } else { Some(reasoning) },
                "refusal": null
            },
            "finish_reason": "stop",
            "native_finish_reason": "stop",
            "logprobs": null
        }],
        "usage": usage_json(script.prompt_tokens, tokens as u64, script.price_per_million)
    })
}
