//! The LLM simulator over real HTTP: wire format, pacing, write cuts, refusals the real
//! servers make, injected failures, request recording and cancellation detection.

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tiltguard_sim::llm::{LlmFailure, LlmSim, LlmSimConfig, Timing, filler_text};

const MODEL: &str = "deepseek/deepseek-chat";
const VISION: &str = "google/gemini-2.5-flash";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../fixtures/llm/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

fn chat_body(model: &str, text: &str) -> Value {
    json!({
        "model": model,
        "messages": [{"role": "system", "content": "be kind"}, {"role": "user", "content": text}],
        "max_tokens": 1000,
        "stream": true,
        "stream_options": {"include_usage": true}
    })
}

async fn post(sim: &LlmSim, body: &Value) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/chat/completions", sim.base_url()))
        .header("HTTP-Referer", "https://tiltguard.example")
        .header("X-Title", "tiltguard")
        .json(body)
        .send()
        .await
        .expect("send")
}

/// Reads the whole body, remembering how it arrived.
async fn read_chunks(mut response: reqwest::Response) -> Result<Vec<bytes::Bytes>, reqwest::Error> {
    let mut chunks = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        chunks.push(chunk);
    }
    Ok(chunks)
}

/// `data:` payloads of an LF-framed stream.
fn payloads(body: &[u8]) -> Vec<String> {
    String::from_utf8(body.to_vec())
        .expect("utf-8 body")
        .split("\n\n")
        .filter_map(|block| block.strip_prefix("data: ").map(str::to_owned))
        .collect()
}

fn content_of(payloads: &[String]) -> String {
    payloads
        .iter()
        .filter(|p| *p != "[DONE]")
        .filter_map(|p| serde_json::from_str::<Value>(p).ok())
        .filter_map(|v| {
            v["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

#[tokio::test]
async fn scripted_reply_streams_in_openai_wire_format() {
    let sim = LlmSim::start(LlmSimConfig::default()).await.expect("start");
    sim.set_reply(MODEL, "Step away from the chart for ten minutes. ☕");
    let response = post(&sim, &chat_body(MODEL, "I keep revenge trading")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let body = read_chunks(response).await.expect("body").concat();
    let payloads = payloads(&body);
    assert_eq!(
        content_of(&payloads),
        "Step away from the chart for ten minutes. ☕"
    );
    assert_eq!(payloads.last().map(String::as_str), Some("[DONE]"));
    let usage: Value = serde_json::from_str(&payloads[payloads.len() - 2]).expect("usage chunk");
    assert_eq!(usage["object"], "chat.completion.chunk");
    assert_eq!(usage["choices"], json!([]));
    assert!(usage["usage"]["cost"].as_f64().expect("cost") > 0.0);
    assert!(
        usage["usage"]["completion_tokens"]
            .as_u64()
            .expect("tokens")
            >= 10
    );
}

#[tokio::test]
async fn default_reply_echoes_the_last_user_message_and_requests_are_recorded() {
    let sim = LlmSim::start(LlmSimConfig::default()).await.expect("start");
    let body = read_chunks(post(&sim, &chat_body(MODEL, "is BTC going up?")).await)
        .await
        .expect("body");
    assert_eq!(
        content_of(&payloads(&body.concat())),
        "You said: is BTC going up?"
    );
    let requests = sim.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/api/v1/chat/completions");
    assert_eq!(requests[0].header("x-title"), Some("tiltguard"));
    assert_eq!(
        requests[0].header("HTTP-Referer"),
        Some("https://tiltguard.example")
    );
    assert_eq!(requests[0].json().expect("json")["max_tokens"], 1000);
    assert_eq!(sim.stats().completed_streams, 1);
}

#[tokio::test]
async fn tokens_arrive_at_the_configured_rate() {
    let sim = LlmSim::start(LlmSimConfig::default()).await.expect("start");
    sim.set_model_timing(MODEL, Timing::new(50.0, Duration::from_millis(200)));
    sim.set_reply(MODEL, "a b c d e f g h i j k l m n o p q r s t"); // 20 tokens
    let started = Instant::now();
    let response = post(&sim, &chat_body(MODEL, "go")).await;
    read_chunks(response).await.expect("body");
    let elapsed = started.elapsed();
    // 200 ms to the first token, then 19 gaps of 20 ms.
    assert!(elapsed >= Duration::from_millis(560), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(2000), "{elapsed:?}");
}

#[tokio::test]
async fn chunked_writes_split_utf8_characters_without_changing_the_text() {
    let sim = LlmSim::start(LlmSimConfig {
        chunk_seed: Some(42),
        ..LlmSimConfig::default()
    })
    .await
    .expect("start");
    let reply = "止损不是失败，是纪律。📉➡️📈 ".repeat(30);
    sim.set_reply(MODEL, reply.clone());
    let chunks = read_chunks(post(&sim, &chat_body(MODEL, "x")).await)
        .await
        .expect("body");
    let body = chunks.concat();
    assert_eq!(content_of(&payloads(&body)), reply);
    let split_inside_char = chunks
        .iter()
        .filter(|c| std::str::from_utf8(c).is_err())
        .count();
    assert!(
        split_inside_char > 0,
        "no read ended inside a character ({} reads)",
        chunks.len()
    );
    assert!(sim.stats().cuts_inside_char > 0);
}

#[tokio::test]
async fn keepalive_comments_come_before_the_first_token() {
    let config = LlmSimConfig {
        keepalive_comments: 2,
        timing: Timing::new(0.0, Duration::from_millis(50)),
        ..LlmSimConfig::default()
    };
    let sim = LlmSim::start(config).await.expect("start");
    let body = read_chunks(post(&sim, &chat_body(MODEL, "x")).await)
        .await
        .expect("body")
        .concat();
    let text = String::from_utf8(body).expect("utf-8");
    assert!(
        text.starts_with(": OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\ndata: {"),
        "{text}"
    );
}

#[tokio::test]
async fn failing_models_answer_with_the_recorded_bodies() {
    let sim = LlmSim::start(LlmSimConfig::default()).await.expect("start");
    sim.fail_model(MODEL, LlmFailure::Status(402));
    let response = post(&sim, &chat_body(MODEL, "x")).await;
    assert_eq!(response.status(), 402);
    assert_eq!(
        response.text().await.expect("body"),
        fixture("openrouter_error_402_insufficient_credits.json")
    );

    sim.fail_model(
        MODEL,
        LlmFailure::RateLimited {
            retry_after_secs: 12,
        },
    );
    let response = post(&sim, &chat_body(MODEL, "x")).await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "12");

    sim.fail_model(MODEL, LlmFailure::Status(404));
    let body: Value = post(&sim, &chat_body(MODEL, "x"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        body["error"]["message"],
        format!("No endpoints found for {MODEL}.")
    );

    for status in [500, 502, 503] {
        sim.fail_model(MODEL, LlmFailure::Status(status));
        let response = post(&sim, &chat_body(MODEL, "x")).await;
        assert_eq!(response.status().as_u16(), status);
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error"]["code"], status);
    }
    sim.clear_failure(MODEL);
    assert_eq!(post(&sim, &chat_body(MODEL, "x")).await.status(), 200);
}

#[tokio::test]
async fn a_model_failing_n_times_recovers_and_other_models_are_unaffected() {
    let sim = LlmSim::start(LlmSimConfig::default()).await.expect("start");
    sim.fail_model_times(MODEL, LlmFailure::Status(503), 2);
    assert_eq!(
        post(&sim, &chat_body("other/model", "x")).await.status(),
        200
    );
    assert_eq!(post(&sim, &chat_body(MODEL, "x")).await.status(), 503);
    assert_eq!(post(&sim, &chat_body(MODEL, "x")).await.status(), 503);
    assert_eq!(post(&sim, &chat_body(MODEL, "x")).await.status(), 200);
}

#[tokio::test]
async fn midstream_error_chunk_is_shaped_like_the_recording_and_done_follows() {
    let sim = LlmSim::start(LlmSimConfig::default()).await.expect("start");
    sim.set_reply(MODEL, "one two three four five six");
    sim.fail_model(MODEL, LlmFailure::MidStreamError { after_tokens: 2 });
    let body = read_chunks(post(&sim, &chat_body(MODEL, "x")).await)
        .await
        .expect("body")
        .concat();
    let payloads = payloads(&body);
    assert_eq!(content_of(&payloads), "one two");
    let recorded: Value = serde_json::from_str(
        fixture("openrouter_stream_midstream_error_documented.txt")
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("data: "))
            .expect("line"),
    )
    .expect("recorded json");
    let ours: Value = serde_json::from_str(&payloads[payloads.len() - 2]).expect("error chunk");
    let keys = |v: &Value| {
        v.as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let mut recorded_keys = keys(&recorded);
    recorded_keys.sort();
    let mut our_keys = keys(&ours);
    our_keys.sort();
    assert_eq!(our_keys, recorded_keys);
    assert_eq!(ours["error"], recorded["error"]);
    assert_eq!(ours["choices"][0]["finish_reason"], "error");
    assert_eq!(payloads.last().map(String::as_str), Some("[DONE]"));
}

#[tokio::test]
async fn dropped_connection_breaks_the_body_before_done() {
    let sim = LlmSim::start(LlmSimConfig::default()).await.expect("start");
    sim.fail_model(MODEL, LlmFailure::DropConnection { after_tokens: 2 });
    let response = post(&sim, &chat_body(MODEL, "a long enough message to echo")).await;
    assert_eq!(response.status(), 200);
    assert!(
        read_chunks(response).await.is_err(),
        "the body must end in an error"
    );
    assert!(sim.wait_until_idle(Duration::from_secs(2)).await);
    assert_eq!(sim.stats().aborted_streams, 1);
}

#[tokio::test]
async fn client_hang_up_is_seen_and_generation_stops() {
    let sim = LlmSim::start(LlmSimConfig::default()).await.expect("start");
    sim.set_timing(Timing::new(100.0, Duration::ZERO));
    sim.set_reply(MODEL, filler_text(4000, 1)); // ~1000 tokens = 10 s
    let mut response = post(&sim, &chat_body(MODEL, "x")).await;
    for _ in 0..3 {
        response.chunk().await.expect("chunk").expect("data");
    }
    drop(response);
    assert!(
        sim.wait_until_idle(Duration::from_secs(2)).await,
        "stream still active after hang-up"
    );
    let stats = sim.stats();
    assert_eq!(stats.cancelled_streams, 1);
    assert_eq!(stats.completed_streams, 0);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        sim.stats().tokens_streamed,
        stats.tokens_streamed,
        "tokens kept flowing"
    );
    assert!(stats.tokens_streamed < 100, "{}", stats.tokens_streamed);
}

#[tokio::test]
async fn hang_up_during_a_stall_is_seen_too() {
    let sim = LlmSim::start(LlmSimConfig::default()).await.expect("start");
    sim.fail_model(MODEL, LlmFailure::Stall { after_tokens: 1 });
    let mut response = post(&sim, &chat_body(MODEL, "hello there")).await;
    response.chunk().await.expect("chunk").expect("data");
    drop(response);
    assert!(
        sim.wait_until_idle(Duration::from_secs(2)).await,
        "stalled stream not released"
    );
    assert_eq!(sim.stats().cancelled_streams, 1);
}

fn image_body(model: &str) -> Value {
    let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
    json!({
        "model": model,
        "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": format!("data:image/png;base64,{png}")}},
            {"type": "text", "text": "what pattern is this?"}
        ]}],
        "max_tokens": 500,
        "stream": true
    })
}

#[tokio::test]
async fn images_are_refused_by_text_only_models_like_openrouter_does() {
    let sim = LlmSim::start(LlmSimConfig {
        vision_models: vec![VISION.into()],
        ..LlmSimConfig::default()
    })
    .await
    .expect("start");
    let response = post(&sim, &image_body(MODEL)).await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body["error"]["message"],
        "No endpoints found that support image input"
    );
    let response = post(&sim, &image_body(VISION)).await;
    assert_eq!(response.status(), 200);
    let body = read_chunks(response).await.expect("body").concat();
    assert_eq!(
        content_of(&payloads(&body)),
        "You said: what pattern is this?"
    );
}

#[tokio::test]
async fn requests_real_servers_refuse_are_refused() {
    let config = LlmSimConfig {
        known_models: Some(vec![MODEL.into()]),
        context_limit_chars: Some(100),
        ..LlmSimConfig::default()
    };
    let sim = LlmSim::start(config).await.expect("start");
    let body: Value = post(&sim, &chat_body(MODEL, &"x".repeat(200)))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(body["error"]["code"], "context_length_exceeded");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("msg")
            .contains("maximum context length")
    );

    let response = post(&sim, &chat_body("nope/model", "x")).await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.expect("json")["error"]["message"],
        "nope/model is not a valid model ID"
    );

    let mut bad_image = image_body(MODEL);
    bad_image["messages"][0]["content"][0]["image_url"]["url"] = json!("data:image/png;base64,%%%");
    assert_eq!(post(&sim, &bad_image).await.status(), 400);
    let no_stream_options = json!({"model": MODEL, "messages": [{"role": "user", "content": "x"}], "stream_options": {"include_usage": true}});
    assert_eq!(post(&sim, &no_stream_options).await.status(), 400);
    assert_eq!(sim.stats().requests, 4);
}

#[tokio::test]
async fn api_key_is_enforced_when_configured() {
    let sim = LlmSim::start(LlmSimConfig {
        api_key: Some("sk-test".into()),
        ..LlmSimConfig::default()
    })
    .await
    .expect("start");
    let url = format!("{}/chat/completions", sim.base_url());
    let http = reqwest::Client::new();
    let missing = http
        .post(&url)
        .json(&chat_body(MODEL, "x"))
        .send()
        .await
        .expect("send");
    assert_eq!(missing.status(), 401);
    assert_eq!(
        missing.text().await.expect("body"),
        fixture("openrouter_error_401_no_cookie_auth.json")
    );
    let wrong = http
        .post(&url)
        .bearer_auth("sk-other")
        .json(&chat_body(MODEL, "x"))
        .send()
        .await
        .expect("send");
    assert_eq!(wrong.status(), 401);
    let right = http
        .post(&url)
        .bearer_auth("sk-test")
        .json(&chat_body(MODEL, "x"))
        .send()
        .await
        .expect("send");
    assert_eq!(right.status(), 200);
}

#[tokio::test]
async fn replayed_recording_is_sent_byte_for_byte() {
    let sim = LlmSim::start(LlmSimConfig::default()).await.expect("start");
    let recorded = fixture("openrouter_stream_deepseek_chat_web_annotations.txt");
    sim.set_replay(MODEL, recorded.clone());
    let body = read_chunks(post(&sim, &chat_body(MODEL, "x")).await)
        .await
        .expect("body")
        .concat();
    assert_eq!(body, recorded.as_bytes());
}

#[tokio::test]
async fn non_streamed_request_gets_a_chat_completion_object() {
    let sim = LlmSim::start(LlmSimConfig::default()).await.expect("start");
    sim.set_reply(MODEL, "Paris");
    let body = json!({"model": MODEL, "messages": [{"role": "user", "content": "capital?"}]});
    let reply: Value = post(&sim, &body).await.json().await.expect("json");
    assert_eq!(reply["object"], "chat.completion");
    assert_eq!(reply["choices"][0]["message"]["content"], "Paris");
    assert!(reply["usage"]["cost"].is_number());
}

#[tokio::test]
async fn models_endpoint_lists_models_with_their_input_modalities() {
    let sim = LlmSim::start(LlmSimConfig {
        known_models: Some(vec![MODEL.into(), VISION.into()]),
        vision_models: vec![VISION.into()],
        ..LlmSimConfig::default()
    })
    .await
    .expect("start");
    let list: Value = reqwest::get(format!("{}/models", sim.base_url()))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let entry = |id: &str| {
        list["data"]
            .as_array()
            .and_then(|d| d.iter().find(|m| m["id"] == id).cloned())
    };
    assert_eq!(
        entry(VISION).expect("vision")["architecture"]["input_modalities"],
        json!(["text", "image"])
    );
    assert_eq!(
        entry(MODEL).expect("text")["architecture"]["input_modalities"],
        json!(["text"])
    );
}
