//! Turns the `data:` payloads of a chat-completions stream into [`StreamEvent`]s (pure).
//!
//! Handles what real servers send besides plain content deltas: `[DONE]`, `choices: []`
//! usage chunks, `usage: null` on every chunk, usage with `cost` on late chunks (the last
//! non-null report wins), `reasoning` / `reasoning_content` deltas, `content: null`, tool-call
//! deltas, an `error` object in a chunk (a mid-stream failure, after which `[DONE]` may still
//! come), and shapes it does not know (skipped, not fatal).

use super::error::{LlmError, WireError};
use super::types::{FinishReason, StreamEvent, TokenUsage};
use serde::Deserialize;
use std::borrow::Cow;
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
}

/// One chunk, read in place: text without escapes is borrowed from the event's data, and of
/// `choices` only the first is kept, so a token costs no allocation until its text is queued.
#[derive(Deserialize)]
struct Chunk<'a> {
    #[serde(borrow)]
    choices: Option<FirstChoice<'a>>,
    usage: Option<WireUsage>,
    /// Usually `{code, message, metadata}`, but some servers send a bare string.
    error: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Choice<'a> {
    #[serde(default)]
    index: u32,
    #[serde(borrow)]
    delta: Option<Delta<'a>>,
    /// Non-streaming replies (`chat.completion`) carry `message` instead of `delta`.
    #[serde(borrow)]
    message: Option<Delta<'a>>,
    #[serde(borrow)]
    finish_reason: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct Delta<'a> {
    #[serde(borrow)]
    content: Option<Text<'a>>,
    #[serde(borrow)]
    reasoning: Option<Text<'a>>,
    #[serde(borrow)]
    reasoning_content: Option<Text<'a>>,
}

/// A JSON string, borrowed unless it has escapes. (serde's own `Option<Cow<str>>` always
/// copies: `#[serde(borrow)]` only reaches a `Cow` that is not inside an `Option`.)
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visit<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(text)))
            }
            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text.to_owned())))
            }
            fn visit_string<E>(self, text: String) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(text)))
            }
        }
        deserializer.deserialize_str(Visit(std::marker::PhantomData))
    }
}

/// The choice with index 0 of a `choices` array (requests never ask for n > 1), read
/// without collecting the array.
struct FirstChoice<'a>(Option<Choice<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for FirstChoice<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Choices<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Choices<'a> {
            type Value = FirstChoice<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of choices")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                let mut first = None;
                while let Some(choice) = seq.next_element::<Choice<'a>>()? {
                    if first.is_none() && choice.index == 0 {
                        first = Some(choice);
                    }
                }
                Ok(FirstChoice(first))
            }
        }
        deserializer.deserialize_seq(Choices(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    cost: Option<f64>,
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
        let chunk = match serde_json::from_str::<Chunk>(data) {
            Ok(chunk) => chunk,
            Err(err) => {
                tracing::debug!(%err, bytes = data.len(), "skipping unrecognised LLM stream chunk");
                return Progress::Continue;
            }
        };
        if let Some(error) = chunk.error {
            return self.fail(wire_error_from_value(error), out);
        }
        if chunk.choices.is_none() && chunk.usage.is_none() {
            tracing::debug!(
                bytes = data.len(),
                "skipping LLM stream chunk without choices or usage"
            );
            return Progress::Continue;
        }
        if let Some(usage) = chunk.usage {
            self.usage = Some(TokenUsage {
                prompt_tokens: usage.prompt_tokens,
                completion_tokens: usage.completion_tokens,
                cost: usage.cost,
            });
        }
        if let Some(FirstChoice(Some(choice))) = chunk.choices {
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
}
