//! Replays the recorded LLM streams byte for byte through [`ReplyDecoder`], under several
//! chunkings, and checks the result against an expectation computed independently from the
//! same bytes with `serde_json::Value`.

use super::error::LlmError;
use super::parse::EventQueue;
use super::stream::ReplyDecoder;
use super::types::{FinishReason, StreamEvent, TokenUsage};
use serde_json::Value;
use std::path::PathBuf;

fn fixture_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/llm"))
}

fn read_fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_dir().join(name)).expect("fixture file")
}

#[derive(Debug, Default, PartialEq)]
struct Outcome {
    text: String,
    reasoning: String,
    usage: Option<TokenUsage>,
    finished: Option<Option<FinishReason>>,
    error: Option<LlmError>,
    events_after_end: usize,
}

fn replay(chunks: &[&[u8]]) -> Outcome {
    let mut decoder = ReplyDecoder::new();
    let mut queue = EventQueue::new();
    let mut ended = false;
    for chunk in chunks {
        if decoder.feed(chunk, &mut queue) == super::parse::Progress::Terminal {
            ended = true;
            break;
        }
    }
    if !ended {
        decoder.end(&mut queue);
    }
    let mut outcome = Outcome::default();
    for event in queue {
        if outcome.finished.is_some() || outcome.error.is_some() {
            outcome.events_after_end += 1;
            continue;
        }
        match event {
            Ok(StreamEvent::Delta(text)) => outcome.text.push_str(&text),
            Ok(StreamEvent::Reasoning(text)) => outcome.reasoning.push_str(&text),
            Ok(StreamEvent::Usage(usage)) => outcome.usage = Some(usage),
            Ok(StreamEvent::Finished { finish_reason }) => outcome.finished = Some(finish_reason),
            Err(err) => outcome.error = Some(err),
        }
    }
    outcome
}

/// Cuts `bytes` at pseudo-random offsets (a fixed LCG, so failures reproduce).
fn random_cuts(bytes: &[u8], seed: u64) -> Vec<&[u8]> {
    let mut state = seed;
    let mut pieces = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let len = 1 + (state >> 33) as usize % 23;
        let (piece, tail) = rest.split_at(len.min(rest.len()));
        pieces.push(piece);
        rest = tail;
    }
    pieces
}

/// Every way of cutting the same bytes must give the same outcome.
fn replay_all_chunkings(bytes: &[u8]) -> Outcome {
    let whole = replay(&[bytes]);
    let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(replay(&bytewise), whole, "byte-by-byte replay differs");
    for seed in 1..=5 {
        assert_eq!(
            replay(&random_cuts(bytes, seed)),
            whole,
            "random cut (seed {seed}) differs"
        );
    }
    whole
}

/// What the stream says, read independently: every `data:` payload of every blank-line
/// separated block, parsed as a JSON value.
struct Expected {
    text: String,
    reasoning: String,
    last_usage: Option<Value>,
}

fn expected_from_payloads<'a>(payloads: impl Iterator<Item = &'a str>) -> Expected {
    let mut expected = Expected {
        text: String::new(),
        reasoning: String::new(),
        last_usage: None,
    };
    for payload in payloads {
        if payload == "[DONE]" {
            break;
        }
        let value: Value = serde_json::from_str(payload).expect("payload json");
        let delta = &value["choices"][0]["delta"];
        if let Some(content) = delta["content"].as_str() {
            expected.text.push_str(content);
        }
        if let Some(reasoning) = delta["reasoning"]
            .as_str()
            .or(delta["reasoning_content"].as_str())
        {
            expected.reasoning.push_str(reasoning);
        }
        if !value["usage"].is_null() {
            expected.last_usage = Some(value["usage"].clone());
        }
    }
    expected
}

fn sse_payloads(text: &str) -> impl Iterator<Item = &str> {
    text.split("\n\n")
        .filter_map(|block| block.strip_prefix("data: "))
}

fn assert_usage_matches(usage: Option<TokenUsage>, expected: &Option<Value>) {
    let expected = expected.as_ref().expect("fixture has a usage report");
    let usage = usage.expect("usage extracted");
    assert_eq!(
        Some(usage.prompt_tokens),
        expected["prompt_tokens"].as_u64()
    );
    assert_eq!(
        Some(usage.completion_tokens),
        expected["completion_tokens"].as_u64()
    );
    assert_eq!(usage.cost, expected["cost"].as_f64());
}

#[test]
fn every_recorded_stream_replays_to_its_content_deltas() {
    let mut replayed = 0;
    for entry in std::fs::read_dir(fixture_dir()).expect("fixture dir") {
        let path = entry.expect("dir entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        if !(name.contains("stream") && name.ends_with(".txt")) || name.contains("midstream_error")
        {
            continue;
        }
        let bytes = std::fs::read(&path).expect("fixture");
        let expected =
            expected_from_payloads(sse_payloads(std::str::from_utf8(&bytes).expect("utf-8")));
        let outcome = replay_all_chunkings(&bytes);
        assert_eq!(outcome.error, None, "{name}");
        assert!(outcome.finished.is_some(), "{name}: no Finished");
        assert_eq!(outcome.events_after_end, 0, "{name}");
        assert_eq!(outcome.text, expected.text, "{name}: answer text");
        assert_eq!(outcome.reasoning, expected.reasoning, "{name}: reasoning");
        assert_usage_matches(outcome.usage, &expected.last_usage);
        replayed += 1;
    }
    assert!(replayed >= 4, "only {replayed} stream fixtures found");
}

#[test]
fn openai_stream_ends_with_stop_and_usage_without_cost() {
    let outcome = replay_all_chunkings(&read_fixture("openai_stream_gpt4omini_text_usage.txt"));
    assert_eq!(outcome.finished, Some(Some(FinishReason::Stop)));
    assert_eq!(
        outcome.usage,
        Some(TokenUsage {
            prompt_tokens: 78,
            completion_tokens: 9,
            cost: None
        })
    );
    assert!(outcome.text.starts_with("The capital"), "{}", outcome.text);
}

#[test]
fn tool_call_deltas_produce_no_answer_text() {
    let outcome = replay_all_chunkings(&read_fixture("openai_stream_gpt4omini_tool_call.txt"));
    assert_eq!(outcome.text, "");
    assert_eq!(outcome.finished, Some(Some(FinishReason::ToolCalls)));
}

#[test]
fn openrouter_reasoning_is_kept_out_of_the_answer_and_cost_is_read() {
    let outcome = replay_all_chunkings(&read_fixture(
        "openrouter_stream_reasoning_claude_sonnet45.txt",
    ));
    assert!(
        outcome.reasoning.contains("2+2 equals 4."),
        "{}",
        outcome.reasoning
    );
    assert!(
        !outcome.text.contains("simple arithmetic"),
        "{}",
        outcome.text
    );
    assert_eq!(outcome.usage.and_then(|u| u.cost), Some(0.000669));
}

#[test]
fn annotations_and_keepalives_leave_only_the_answer_text() {
    let outcome = replay_all_chunkings(&read_fixture(
        "openrouter_stream_deepseek_chat_web_annotations.txt",
    ));
    assert_eq!(
        outcome.text,
        "The URL for Pydantic AI's GitHub repository is:  \n\nhttps://github.com/pydantic/pydantic-ai"
    );
    assert_eq!(outcome.usage.map(|u| u.completion_tokens), Some(53));
}

#[test]
fn midstream_error_chunk_surfaces_as_an_error() {
    let outcome = replay_all_chunkings(&read_fixture(
        "openrouter_stream_midstream_error_documented.txt",
    ));
    assert_eq!(
        outcome.error,
        Some(LlmError::MidStream {
            code: Some("server_error".into()),
            message: "Provider disconnected unexpectedly".into()
        })
    );
    assert_eq!(outcome.finished, None);
    assert_eq!(outcome.events_after_end, 0, "nothing may follow the error");
}

#[test]
fn midstream_error_followed_by_done_is_still_an_error() {
    let mut bytes = read_fixture("openrouter_stream_midstream_error_documented.txt");
    bytes.extend_from_slice(b"data: [DONE]\n\n");
    let outcome = replay_all_chunkings(&bytes);
    assert!(matches!(outcome.error, Some(LlmError::MidStream { .. })));
    assert_eq!(outcome.finished, None);
}

#[test]
fn deepseek_payloads_reframed_split_reasoning_content_from_content() {
    let payloads = String::from_utf8(read_fixture(
        "deepseek_direct_stream_v4flash_reasoning.payloads.jsonl",
    ))
    .expect("utf-8");
    let lines: Vec<&str> = payloads.lines().filter(|l| !l.trim().is_empty()).collect();
    let expected = expected_from_payloads(lines.iter().copied());
    let mut framed: String = lines.iter().map(|l| format!("data: {l}\n\n")).collect();
    // Without [DONE] the recorded finish_reason still makes it a complete reply.
    let without_done = replay_all_chunkings(framed.as_bytes());
    framed.push_str("data: [DONE]\n\n");
    let outcome = replay_all_chunkings(framed.as_bytes());
    assert_eq!(without_done, outcome);
    assert!(!expected.text.is_empty() && !expected.reasoning.is_empty());
    assert_eq!(outcome.text, expected.text);
    assert_eq!(outcome.reasoning, expected.reasoning);
    assert_eq!(
        outcome.usage,
        Some(TokenUsage {
            prompt_tokens: 18,
            completion_tokens: 219,
            cost: None
        })
    );
    assert_eq!(outcome.finished, Some(Some(FinishReason::Stop)));
}

#[test]
fn stream_cut_before_finish_is_truncated_not_success() {
    let bytes = read_fixture("openai_stream_gpt4omini_text_usage.txt");
    let text = std::str::from_utf8(&bytes).expect("utf-8");
    let cut = text
        .find("\"finish_reason\":\"stop\"")
        .expect("finish chunk");
    let outcome = replay_all_chunkings(&bytes[..cut]);
    assert_eq!(outcome.error, Some(LlmError::Truncated));
    assert_eq!(outcome.finished, None);
}

#[test]
fn legacy_llamacpp_error_field_is_a_midstream_error() {
    let bytes = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\nerror: {\"code\":500,\"message\":\"boom\",\"type\":\"server_error\"}\n\ndata: [DONE]\n\n";
    let outcome = replay_all_chunkings(bytes);
    assert_eq!(outcome.text, "Hi");
    assert_eq!(
        outcome.error,
        Some(LlmError::MidStream {
            code: Some("500".into()),
            message: "boom".into()
        })
    );
}

#[test]
fn unknown_chunks_and_empty_choices_are_skipped() {
    let bytes = concat!(
        ": OPENROUTER PROCESSING\n\n",
        "data: {\"type\":\"ping\"}\n\n",
        "data: not json at all\n\n",
        "data: {\"choices\":[]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":null}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"length\"}]}\n\n",
        "data: [DONE]\n\n"
    );
    let outcome = replay_all_chunkings(bytes.as_bytes());
    assert_eq!(outcome.text, "ok");
    assert_eq!(outcome.finished, Some(Some(FinishReason::Length)));
    assert_eq!(outcome.error, None);
}

#[test]
fn a_bare_string_error_is_not_mistaken_for_an_unknown_chunk() {
    let outcome =
        replay_all_chunkings(b"data: {\"error\":\"model overloaded\"}\n\ndata: [DONE]\n\n");
    assert_eq!(
        outcome.error,
        Some(LlmError::MidStream {
            code: None,
            message: "model overloaded".into()
        })
    );
}
