//! Turns the `data:` payloads of a chat-completions stream into [`StreamEvent`]s (pure).
//!
//! Handles what real servers send besides plain content deltas: `[DONE]`, `choices: []`
//! usage chunks, `usage: null` on every chunk, usage with `cost` on late chunks (the last
//! non-null report wins), `reasoning` / `reasoning_content` deltas, `content: null`, tool-call
//! deltas, an `error` object in a chunk (a mid-stream failure, after which `[DONE]` may still
//! come), and shapes it does not know (skipped, not fatal).

use super::chunk::{self, Chunk};
use super::error::{LlmError, WireError};
use super::types::{FinishReason, StreamEvent, TokenUsage};
use std::collections::VecDeque;

pub type EventQueue = VecDeque<Result<StreamEvent, LlmError>>;

/// Whether the stream has reached its end (successful or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Continue,
    Terminal,
}

#[derive(Debug, Default)]
pub struct CompletionParser {
    usage: Option<TokenUsage>,
    finish_reason: Option<FinishReason>,
    terminal: bool,
    /// The last token chunk's bytes around its text: the chunks of one stream usually differ
    /// only in the text.
    shape: TokenShape,
}

/// A token chunk's JSON without its text: `prefix` ends with the string's opening quote and
/// `suffix` starts with its closing one. Empty until a chunk that only adds text is read.
///
/// A chunk that is `prefix`, then string characters with no quote, backslash or control
/// character, then `suffix`, is the recorded chunk with one string token swapped for
/// another: the same JSON structure, so reading it in full would find the same fields with
/// only the text changed. Such a chunk is taken without reading its JSON (most of the
/// parser's time went into skipping the fields around the text).
#[derive(Debug, Default)]
struct TokenShape {
    prefix: String,
    suffix: String,
}

impl TokenShape {
    /// The text of a chunk of this shape, or `None` when it is not one.
    fn text_of<'a>(&self, data: &'a str) -> Option<&'a str> {
        if self.prefix.is_empty() {
            return None;
        }
        let text = data
            .strip_prefix(self.prefix.as_str())?
            .strip_suffix(self.suffix.as_str())?;
        let plain = text.bytes().all(|b| b != b'"' && b != b'\\' && b >= 0x20);
        plain.then_some(text)
    }

    /// Remembers the bytes around `text`, which must lie inside `data`.
    fn record(&mut self, data: &str, text: &str) {
        let start = text.as_ptr() as usize - data.as_ptr() as usize;
        let end = start + text.len();
        let (prefix, suffix) = (&data[..start], &data[end..]);
        if !(prefix.ends_with('"') && suffix.starts_with('"')) {
            return;
        }
        self.prefix.clear();
        self.prefix.push_str(prefix);
        self.suffix.clear();
        self.suffix.push_str(suffix);
    }
}

impl CompletionParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Interprets one event's data. After `Terminal` the caller stops reading.
    pub fn push_data(&mut self, data: &str, out: &mut EventQueue) -> Progress {
        if self.terminal {
            return Progress::Terminal;
        }
        if data.trim() == "[DONE]" {
            self.finish(out);
            return Progress::Terminal;
        }
        if let Some(text) = self.shape.text_of(data) {
            if !text.is_empty() {
                push_answer_text(text, out);
            }
            return Progress::Continue;
        }
        let mut chunk = Chunk::default();
        if let Err(err) = chunk::read(data, &mut chunk) {
            tracing::debug!(%err, bytes = data.len(), "skipping unrecognised LLM stream chunk");
            return Progress::Continue;
        }
        if let Some(error) = chunk.error {
            return self.fail(wire_error_from_value(error), out);
        }
        if !chunk.has_choices && chunk.usage.is_none() {
            tracing::debug!(
                bytes = data.len(),
                "skipping LLM stream chunk without choices or usage"
            );
            return Progress::Continue;
        }
        if let Some(text) = only_text(&chunk) {
            self.shape.record(data, text);
        }
        if let Some(usage) = chunk.usage {
            self.usage = Some(TokenUsage {
                prompt_tokens: usage.prompt_tokens,
                completion_tokens: usage.completion_tokens,
                cost: usage.cost,
            });
        }
        if let Some(choice) = chunk.choice {
            if let Some(delta) = choice.delta.or(choice.message) {
                // OpenRouter mirrors `reasoning` in `reasoning_details`; DeepSeek's own API
                // says `reasoning_content`. Take one so nothing is doubled.
                if let Some(reasoning) = delta
                    .reasoning
                    .or(delta.reasoning_content)
                    .filter(|r| !r.0.is_empty())
                {
                    out.push_back(Ok(StreamEvent::Reasoning(reasoning.0.into_owned())));
                }
                if let Some(content) = delta.content.filter(|c| !c.0.is_empty()) {
                    push_answer_text(&content.0, out);
                }
            }
            if let Some(reason) = choice.finish_reason {
                self.finish_reason = Some(FinishReason::from_wire(&reason.0));
            }
        }
        Progress::Continue
    }

    /// Interprets a line-level `error:` field (older llama.cpp servers).
    pub fn push_error_field(&mut self, value: &str, out: &mut EventQueue) -> Progress {
        if self.terminal {
            return Progress::Terminal;
        }
        let error = match serde_json::from_str::<serde_json::Value>(value) {
            Ok(parsed) => wire_error_from_value(parsed),
            Err(_) => wire_error_from_value(serde_json::Value::String(value.to_owned())),
        };
        self.fail(error, out)
    }

    /// The byte stream ended. Without `[DONE]` that is only a success if the model already
    /// said why it stopped; otherwise the reply was cut off.
    pub fn end_of_stream(&mut self, out: &mut EventQueue) {
        if self.terminal {
            return;
        }
        if self.finish_reason.is_some() {
            self.finish(out);
        } else {
            self.terminal = true;
            out.push_back(Err(LlmError::Truncated));
        }
    }

    fn finish(&mut self, out: &mut EventQueue) {
        self.terminal = true;
        if let Some(usage) = self.usage {
            out.push_back(Ok(StreamEvent::Usage(usage)));
        }
        out.push_back(Ok(StreamEvent::Finished {
            finish_reason: self.finish_reason.take(),
        }));
    }

    fn fail(&mut self, error: WireError, out: &mut EventQueue) -> Progress {
        self.terminal = true;
        // Tokens already generated are billed even when the stream fails.
        if let Some(usage) = self.usage {
            out.push_back(Ok(StreamEvent::Usage(usage)));
        }
        out.push_back(Err(LlmError::MidStream {
            code: error.code_string(),
            message: error.full_message(),
        }));
        Progress::Terminal
    }
}

/// The text of a chunk that does nothing but add borrowed answer text (no usage, no finish
/// reason, no reasoning): the kind whose shape is worth remembering.
fn only_text<'a>(chunk: &Chunk<'a>) -> Option<&'a str> {
    let choice = chunk.choice.as_ref()?;
    if chunk.usage.is_some() || chunk.error.is_some() || choice.finish_reason.is_some() {
        return None;
    }
    let delta = choice.delta.as_ref().or(choice.message.as_ref())?;
    let no_reasoning = [&delta.reasoning, &delta.reasoning_content]
        .iter()
        .all(|r| r.as_ref().is_none_or(|r| r.0.is_empty()));
    match &delta.content.as_ref()?.0 {
        std::borrow::Cow::Borrowed(text) if no_reasoning && !text.is_empty() => Some(text),
        _ => None,
    }
}

/// Queues answer text. Tokens that follow one another in the queue are joined: a read takes
/// every token that arrived since the last one, and the reader wants the text, not the count.
fn push_answer_text(text: &str, out: &mut EventQueue) {
    match out.back_mut() {
        Some(Ok(StreamEvent::Delta(queued))) => queued.push_str(text),
        _ => {
            // Room for the tokens of one read, so joining them rarely grows the string.
            let mut joined = String::with_capacity(text.len().max(128));
            joined.push_str(text);
            out.push_back(Ok(StreamEvent::Delta(joined)));
        }
    }
}

fn wire_error_from_value(value: serde_json::Value) -> WireError {
    match value {
        serde_json::Value::String(message) => WireError {
            message: Some(message),
            ..WireError::default()
        },
        other => {
            let fallback = other.to_string();
            serde_json::from_value::<WireError>(other)
                .ok()
                .filter(|e| e.message.is_some() || e.code.is_some())
                .unwrap_or(WireError {
                    message: Some(fallback),
                    ..WireError::default()
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(events: &[&str]) -> Vec<Result<StreamEvent, LlmError>> {
        let mut parser = CompletionParser::new();
        let mut out = EventQueue::new();
        for data in events {
            parser.push_data(data, &mut out);
        }
        out.into_iter().collect()
    }

    /// Events of `data` read after a token chunk (whose shape the parser then knows), and
    /// read by a fresh parser that knows no shape, each followed by the end of the stream.
    fn after_a_token_and_fresh(data: &str) -> (Vec<String>, Vec<String>) {
        const FIRST: &str = r#"{"id":"gen-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}"#;
        let events = |parser: &mut CompletionParser, out: &mut EventQueue| {
            parser.push_data(data, out);
            parser.end_of_stream(out);
            out.drain(..).map(|e| format!("{e:?}")).collect()
        };
        let mut warm = CompletionParser::new();
        let mut out = EventQueue::new();
        warm.push_data(FIRST, &mut out);
        assert!(
            !warm.shape.prefix.is_empty(),
            "the token's shape was recorded"
        );
        out.clear();
        let after_token = events(&mut warm, &mut out);
        let fresh = events(&mut CompletionParser::new(), &mut EventQueue::new());
        (after_token, fresh)
    }

    #[test]
    fn a_chunk_shaped_like_the_last_token_reads_as_if_read_in_full() {
        let head = r#"{"id":"gen-1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""#;
        let tail = r#""},"finish_reason":null}]}"#;
        let cases = [
            format!("{head} there{tail}"),
            format!("{head}{tail}"),
            format!("{head}caf\u{e9} \u{1f642}{tail}"),
            // Escapes are decoded by the full reader.
            format!(r#"{head}line\nnext \"quoted\"{tail}"#),
            // A quote in the swapped text would change the structure: here it smuggles in a
            // reasoning field, which only the full reader sees.
            format!(r#"{head}a","reasoning":"b{tail}"#),
            // A raw control character is not JSON: the full reader skips the chunk.
            format!("{head}bell\u{7}{tail}"),
            // Same head, another tail: the finish reason must not be lost.
            format!(r#"{head}end"}},"finish_reason":"stop"}}]}}"#),
            r#"{"id":"gen-1","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#.to_owned(),
            r#"{"id":"gen-1"}"#.to_owned(),
            "[DONE]".to_owned(),
        ];
        for data in &cases {
            let (after_token, fresh) = after_a_token_and_fresh(data);
            assert_eq!(after_token, fresh, "{data}");
        }
        let (smuggled, _) = after_a_token_and_fresh(&cases[4]);
        assert!(smuggled[0].contains("Reasoning(\"b\")"), "{smuggled:?}");
    }

    #[test]
    fn escaped_text_is_decoded() {
        let events = parse(&[
            r#"{"choices":[{"index":0,"delta":{"content":"Stop "}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"\"revenge\"\n"}}]}"#,
            r#"{"choices":[{"index":0,"delta":{"content":"trading \u00e9"}}]}"#,
        ]);
        let text: String = events
            .into_iter()
            .map(|event| match event {
                Ok(StreamEvent::Delta(text)) => text,
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(text, "Stop \"revenge\"\ntrading \u{e9}");
    }

    #[test]
    fn only_choice_zero_is_read_wherever_it_stands() {
        let events = parse(&[
            r#"{"choices":[{"index":1,"delta":{"content":"other"}},{"index":0,"delta":{"content":"ours"},"finish_reason":"stop"},{"index":2}]}"#,
            "[DONE]",
        ]);
        assert_eq!(
            events,
            vec![
                Ok(StreamEvent::Delta("ours".into())),
                Ok(StreamEvent::Finished {
                    finish_reason: Some(FinishReason::Stop)
                }),
            ]
        );
    }

    #[test]
    fn reasoning_between_texts_keeps_the_order() {
        let events = parse(&[
            r#"{"choices":[{"delta":{"content":"a"}}]}"#,
            r#"{"choices":[{"delta":{"reasoning":"hmm"}}]}"#,
            r#"{"choices":[{"delta":{"content":"b"}}]}"#,
        ]);
        assert_eq!(
            events,
            vec![
                Ok(StreamEvent::Delta("a".into())),
                Ok(StreamEvent::Reasoning("hmm".into())),
                Ok(StreamEvent::Delta("b".into())),
            ]
        );
    }

    #[test]
    fn tokens_read_together_reach_the_reader_as_one_text() {
        let events = parse(&[
            r#"{"choices":[{"delta":{"content":"Size "}}]}"#,
            r#"{"choices":[{"delta":{"content":"down, "}}]}"#,
            r#"{"choices":[{"delta":{"content":"\"then\" wait."}}],"usage":null}"#,
            "[DONE]",
        ]);
        assert_eq!(
            events,
            vec![
                Ok(StreamEvent::Delta("Size down, \"then\" wait.".into())),
                Ok(StreamEvent::Finished {
                    finish_reason: None
                }),
            ]
        );
    }

    #[test]
    fn fields_of_any_shape_around_the_text_are_skipped() {
        let events = parse(&[
            r#"{"id":"gen-1","created":1,"meta":{"a":[1,{"b":null}]},"choices":[{"logprobs":null,"index":0,"delta":{"role":"assistant","content":"Breathe","tool_calls":[]},"native_finish_reason":null}],"usage":null}"#,
            r#"{"choices":null,"usage":{"prompt_tokens":3,"completion_tokens":1,"cost":0.5}}"#,
            r#"{"choices":[{"index":0,"delta":{"content":7}}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2}} trailing"#,
            "[DONE]",
        ]);
        assert_eq!(
            events,
            vec![
                Ok(StreamEvent::Delta("Breathe".into())),
                Ok(StreamEvent::Usage(TokenUsage {
                    prompt_tokens: 3,
                    completion_tokens: 1,
                    cost: Some(0.5),
                })),
                Ok(StreamEvent::Finished {
                    finish_reason: None
                }),
            ]
        );
    }
}
