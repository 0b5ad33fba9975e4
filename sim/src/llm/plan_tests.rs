//! The frames a simulated reply is made of: wire shape, pacing, limits and injected failures.

use super::config::{LineEnding, LlmFailure, Timing};
use super::plan::{Frame, ReplyFrames, ScriptBody, StreamScript};
use bytes::Bytes;
use serde_json::Value;
use std::time::Duration;

fn script(answer: &str) -> StreamScript {
    StreamScript {
        id: "gen-1-sim".into(),
        created: 1_700_000_000,
        model: "deepseek/deepseek-chat".into(),
        timing: Timing::new(40.0, Duration::from_millis(300)),
        keepalive_comments: 0,
        line_ending: LineEnding::Lf,
        body: ScriptBody::Generate {
            reasoning: String::new(),
            answer: answer.into(),
        },
        failure: None,
        max_tokens: None,
        prompt_tokens: 100,
        price_per_million: (1.0, 2.0),
    }
}

fn all_frames(script: StreamScript) -> Vec<Frame> {
    let mut frames = ReplyFrames::new(script);
    std::iter::from_fn(|| frames.next_frame()).collect()
}

fn payloads(frames: &[Frame]) -> Vec<String> {
    frames
        .iter()
        .filter_map(|f| match f {
            Frame::Send { bytes, .. } => Some(String::from_utf8(bytes.to_vec()).expect("utf-8")),
            _ => None,
        })
        .filter_map(|text| text.strip_prefix("data: ").map(|p| p.trim_end().to_owned()))
        .collect()
}

fn contents(payloads: &[String]) -> String {
    payloads
        .iter()
        .filter(|p| *p != "[DONE]")
        .filter_map(|p| {
            let v: Value = serde_json::from_str(p).expect("chunk json");
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

#[test]
fn reply_streams_as_openai_chunks_then_usage_then_done() {
    let answer = "Breathe. Your plan said 2% — not 10%. 止损";
    let frames = all_frames(script(answer));
    let payloads = payloads(&frames);
    assert_eq!(contents(&payloads), answer);
    assert_eq!(payloads.last().map(String::as_str), Some("[DONE]"));

    let first: Value = serde_json::from_str(&payloads[0]).expect("json");
    assert_eq!(first["object"], "chat.completion.chunk");
    assert_eq!(first["model"], "deepseek/deepseek-chat");
    assert_eq!(first["choices"][0]["index"], 0);
    assert_eq!(first["choices"][0]["delta"]["role"], "assistant");
    assert!(first["choices"][0]["finish_reason"].is_null());

    let finish: Value = serde_json::from_str(&payloads[payloads.len() - 3]).expect("json");
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    let usage: Value = serde_json::from_str(&payloads[payloads.len() - 2]).expect("json");
    assert_eq!(usage["choices"], Value::Array(Vec::new()));
    let tokens = super::text::split_tokens(answer).len() as u64;
    assert_eq!(usage["usage"]["completion_tokens"], tokens);
    assert_eq!(usage["usage"]["prompt_tokens"], 100);
    let expected_cost = (100.0 * 1.0 + tokens as f64 * 2.0) / 1e6;
    assert!((usage["usage"]["cost"].as_f64().expect("cost") - expected_cost).abs() < 1e-12);
}

#[test]
fn tokens_are_due_at_the_configured_rate_after_the_first_token_delay() {
    let frames = all_frames(script("one two three four five six"));
    let dues: Vec<Duration> = frames
        .iter()
        .map(|f| match f {
            Frame::Send { due, .. } | Frame::Abort { due } | Frame::Stall { due } => *due,
        })
        .collect();
    assert_eq!(dues[0], Duration::from_millis(300));
    assert_eq!(dues[1], Duration::from_millis(325));
    assert!(dues.windows(2).all(|w| w[0] <= w[1]), "{dues:?}");
}

#[test]
fn keepalive_comments_precede_the_first_token() {
    let mut s = script("hi");
    s.keepalive_comments = 3;
    s.line_ending = LineEnding::CrLf;
    let frames = all_frames(s);
    for frame in &frames[..3] {
        let Frame::Send {
            bytes,
            due,
            tokens: 0,
        } = frame
        else {
            panic!("{frame:?}")
        };
        assert_eq!(bytes.as_ref(), b": OPENROUTER PROCESSING\r\n\r\n");
        assert!(*due < Duration::from_millis(300));
    }
    let Frame::Send { bytes, .. } = &frames[3] else {
        panic!()
    };
    assert!(bytes.starts_with(b"data: {") && bytes.ends_with(b"}\r\n\r\n"));
}

#[test]
fn max_tokens_cuts_the_reply_with_finish_reason_length() {
    let mut s = script("a b c d e f g h i j");
    s.max_tokens = Some(4);
    let frames = all_frames(s);
    let payloads = payloads(&frames);
    assert_eq!(contents(&payloads), "a b c d");
    let finish: Value = serde_json::from_str(&payloads[payloads.len() - 3]).expect("json");
    assert_eq!(finish["choices"][0]["finish_reason"], "length");
}

#[test]
fn reasoning_streams_before_the_answer_in_its_own_field() {
    let mut s = script("4");
    s.body = ScriptBody::Generate {
        reasoning: "2+2 is 4".into(),
        answer: "4".into(),
    };
    let payloads = payloads(&all_frames(s));
    let first: Value = serde_json::from_str(&payloads[0]).expect("json");
    assert_eq!(first["choices"][0]["delta"]["reasoning"], "2+2");
    assert_eq!(first["choices"][0]["delta"]["content"], "");
    assert_eq!(contents(&payloads), "4");
}

#[test]
fn midstream_error_follows_n_tokens_and_done_still_comes() {
    let mut s = script("one two three four five");
    s.failure = Some(LlmFailure::MidStreamError { after_tokens: 2 });
    let payloads = payloads(&all_frames(s));
    assert_eq!(contents(&payloads), "one two");
    let error: Value = serde_json::from_str(&payloads[payloads.len() - 2]).expect("json");
    assert_eq!(error["error"]["code"], "server_error");
    assert_eq!(error["choices"][0]["finish_reason"], "error");
    assert_eq!(payloads.last().map(String::as_str), Some("[DONE]"));
}

#[test]
fn drop_stall_and_clean_end_failures_leave_out_finish_and_done() {
    for (failure, last) in [
        (
            LlmFailure::DropConnection { after_tokens: 3 },
            Some("abort"),
        ),
        (LlmFailure::Stall { after_tokens: 3 }, Some("stall")),
        (LlmFailure::EndWithoutDone { after_tokens: 3 }, None),
    ] {
        let mut s = script("one two three four five");
        s.failure = Some(failure);
        let frames = all_frames(s);
        let payloads = payloads(&frames);
        let first_three: String =
            super::text::split_tokens("one two three four five")[..3].concat();
        assert_eq!(contents(&payloads), first_three, "{failure:?}");
        assert!(
            !payloads
                .iter()
                .any(|p| p == "[DONE]" || p.contains("finish_reason\":\"")),
            "{failure:?}"
        );
        let kind = match frames.last() {
            Some(Frame::Abort { .. }) => Some("abort"),
            Some(Frame::Stall { .. }) => Some("stall"),
            _ => None,
        };
        assert_eq!(kind, last, "{failure:?}");
    }
}

#[test]
fn a_failure_past_the_reply_length_still_fires_at_its_end() {
    let mut s = script("short");
    s.failure = Some(LlmFailure::DropConnection { after_tokens: 1000 });
    assert!(matches!(all_frames(s).last(), Some(Frame::Abort { .. })));
}

#[test]
fn replay_sends_the_recorded_bytes_verbatim() {
    let recorded = include_bytes!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/llm/openrouter_stream_reasoning_claude_sonnet45.txt"
    ));
    let mut s = script("");
    s.body = ScriptBody::Replay(Bytes::from_static(recorded));
    let mut sent = Vec::new();
    for frame in all_frames(s) {
        let Frame::Send { bytes, .. } = frame else {
            panic!("{frame:?}")
        };
        sent.extend_from_slice(&bytes);
    }
    assert_eq!(sent, recorded);
}
