//! The real LLM client against the LLM simulator: streamed text, reasoning, usage and cost,
//! request shape (headers, `max_tokens`, image data URLs), typed errors for every refusal,
//! mid-stream failures, truncation, timeouts, and cancellation by dropping the stream.

use base64::Engine as _;
use futures_util::StreamExt;
use std::time::Duration;
use tiltguard::llm::{
    ChatMessage, ChatRequest, ChatStream, ContentPart, FinishReason, ImageKind, LlmClient,
    LlmEndpoint, LlmError, StreamEvent,
};
use tiltguard_sim::llm::{LineEnding, LlmFailure, LlmSim, LlmSimConfig, Timing, filler_text};

const MODEL: &str = "deepseek/deepseek-chat";
const VISION: &str = "google/gemini-2.5-flash";

fn endpoint(sim: &LlmSim, key: Option<&str>) -> LlmEndpoint {
    LlmEndpoint {
        base_url: sim.base_url(),
        api_key: key.map(str::to_owned),
        app_url: "https://tiltguard.example".into(),
        app_title: "tiltguard".into(),
        timeout: Duration::from_secs(5),
    }
}

fn client(sim: &LlmSim) -> LlmClient {
    LlmClient::new(endpoint(sim, Some("sk-test-key")), reqwest::Client::new()).expect("client")
}

fn request(model: &str, text: &str) -> ChatRequest {
    ChatRequest::new(
        model,
        vec![
            ChatMessage::system("You are a calm trading coach."),
            ChatMessage::user(text),
        ],
        800,
    )
}

#[derive(Debug, Default)]
struct Received {
    text: String,
    reasoning: String,
    usage: Option<tiltguard::llm::TokenUsage>,
    finish: Option<Option<FinishReason>>,
    error: Option<LlmError>,
    reasoning_after_text: bool,
}

async fn drain(mut stream: ChatStream) -> Received {
    let mut received = Received::default();
    while let Some(event) = stream.next().await {
        assert!(
            received.finish.is_none() && received.error.is_none(),
            "event after the end: {event:?}"
        );
        match event {
            Ok(StreamEvent::Delta(text)) => received.text.push_str(&text),
            Ok(StreamEvent::Reasoning(text)) => {
                received.reasoning_after_text |= !received.text.is_empty();
                received.reasoning.push_str(&text);
            }
            Ok(StreamEvent::Usage(usage)) => received.usage = Some(usage),
            Ok(StreamEvent::Finished { finish_reason }) => received.finish = Some(finish_reason),
            Err(err) => received.error = Some(err),
        }
    }
    received
}

async fn start(config: LlmSimConfig) -> LlmSim {
    LlmSim::start(config).await.expect("sim start")
}

#[tokio::test]
async fn a_reply_streams_through_cut_writes_crlf_and_keepalives_intact() {
    let config = LlmSimConfig {
        chunk_seed: Some(7),
        keepalive_comments: 3,
        line_ending: LineEnding::CrLf,
        timing: Timing::new(0.0, Duration::from_millis(30)),
        ..LlmSimConfig::default()
    };
    let sim = start(config).await;
    let reply = filler_text(1200, 3);
    sim.set_reply(MODEL, reply.clone());
    let received = drain(
        client(&sim)
            .stream_chat(&request(MODEL, "hi"))
            .await
            .expect("stream"),
    )
    .await;
    assert_eq!(received.error, None);
    assert_eq!(received.text, reply);
    assert_eq!(received.finish, Some(Some(FinishReason::Stop)));
    let usage = received.usage.expect("usage");
    assert!(
        usage.completion_tokens > 250 && usage.cost.is_some_and(|c| c > 0.0),
        "{usage:?}"
    );
    assert!(
        sim.stats().cuts_inside_char > 0,
        "the writes were not cut inside characters"
    );
}

#[tokio::test]
async fn the_request_carries_stream_usage_max_tokens_and_app_headers() {
    let sim = start(LlmSimConfig {
        api_key: Some("sk-test-key".into()),
        ..LlmSimConfig::default()
    })
    .await;
    drain(
        client(&sim)
            .stream_chat(&request(MODEL, "hello"))
            .await
            .expect("stream"),
    )
    .await;
    let recorded = &sim.requests()[0];
    let body = recorded.json().expect("json body");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(body["max_tokens"], 800);
    assert_eq!(body["messages"][1]["content"], "hello");
    assert_eq!(recorded.header("authorization"), Some("Bearer sk-test-key"));
    assert_eq!(
        recorded.header("http-referer"),
        Some("https://tiltguard.example")
    );
    assert_eq!(recorded.header("x-title"), Some("tiltguard"));

    let keyless = start(LlmSimConfig::default()).await;
    let no_key = LlmClient::new(endpoint(&keyless, None), reqwest::Client::new()).expect("client");
    drain(
        no_key
            .stream_chat(&request(MODEL, "hello"))
            .await
            .expect("stream"),
    )
    .await;
    assert_eq!(keyless.requests()[0].header("authorization"), None);
}

#[tokio::test]
async fn reasoning_arrives_separately_and_never_as_answer_text() {
    let sim = start(LlmSimConfig::default()).await;
    sim.set_reasoning(MODEL, "The trader sounds tilted; slow them down.");
    sim.set_reply(MODEL, "Let's pause for a minute.");
    let received = drain(
        client(&sim)
            .stream_chat(&request(MODEL, "x"))
            .await
            .expect("stream"),
    )
    .await;
    assert_eq!(
        received.reasoning,
        "The trader sounds tilted; slow them down."
    );
    assert_eq!(received.text, "Let's pause for a minute.");
    assert!(!received.reasoning_after_text);
}

#[tokio::test]
async fn a_chart_image_is_sent_as_a_data_url_of_the_exact_bytes() {
    let sim = start(LlmSimConfig {
        vision_models: vec![VISION.into()],
        ..LlmSimConfig::default()
    })
    .await;
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend((0..5000u32).map(|i| (i * 7 % 251) as u8));
    let kind = ImageKind::sniff(&png).expect("png");
    let message = ChatMessage::user_parts(vec![
        ContentPart::image(kind, &png),
        ContentPart::text("is this a bull flag?"),
    ]);
    let vision_request = ChatRequest::new(VISION, vec![message.clone()], 600);
    assert!(vision_request.has_images());
    let received = drain(
        client(&sim)
            .stream_chat(&vision_request)
            .await
            .expect("stream"),
    )
    .await;
    assert_eq!(received.text, "You said: is this a bull flag?");
    let urls = sim.requests()[0].image_urls();
    let payload = urls[0]
        .strip_prefix("data:image/png;base64,")
        .expect("png data url");
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(payload)
            .expect("base64"),
        png
    );

    let text_only = ChatRequest::new(MODEL, vec![message], 600);
    match client(&sim).stream_chat(&text_only).await {
        Err(LlmError::NoEndpoints { message }) => {
            assert!(message.contains("support image input"), "{message}")
        }
        other => panic!("expected NoEndpoints, got {:?}", other.map(|_| "a stream")),
    }
}

/// Whether an error is the expected variant.
type ErrorCheck = fn(&LlmError) -> bool;

async fn refusal(sim: &LlmSim, request: &ChatRequest) -> LlmError {
    match client(sim).stream_chat(request).await {
        Err(err) => err,
        Ok(stream) => panic!("expected a refusal, got {:?}", drain(stream).await),
    }
}

#[tokio::test]
async fn every_refusal_becomes_its_typed_error() {
    let sim = start(LlmSimConfig {
        known_models: Some(vec![MODEL.into()]),
        context_limit_chars: Some(2000),
        ..LlmSimConfig::default()
    })
    .await;
    let cases: [(LlmFailure, ErrorCheck); 7] = [
        (LlmFailure::Status(402), |e| {
            matches!(e, LlmError::InsufficientCredits { .. })
        }),
        (LlmFailure::Status(403), |e| {
            matches!(e, LlmError::Forbidden { .. })
        }),
        (LlmFailure::Status(404), |e| {
            matches!(e, LlmError::NoEndpoints { .. })
        }),
        (LlmFailure::Status(408), |e| matches!(e, LlmError::Timeout)),
        (LlmFailure::Status(413), |e| {
            matches!(e, LlmError::PayloadTooLarge { .. })
        }),
        (LlmFailure::Status(502), |e| {
            matches!(e, LlmError::Upstream { status: 502, .. })
        }),
        (
            LlmFailure::RateLimited {
                retry_after_secs: 12,
            },
            |e| matches!(e, LlmError::RateLimited { retry_after: Some(d), .. } if *d == Duration::from_secs(12)),
        ),
    ];
    for (failure, expected) in cases {
        sim.fail_model(MODEL, failure);
        let err = refusal(&sim, &request(MODEL, "x")).await;
        assert!(expected(&err), "{failure:?} -> {err:?}");
        assert!(!err.user_message().is_empty());
    }
    sim.clear_failure(MODEL);
    let err = refusal(&sim, &request(MODEL, &"too long ".repeat(300))).await;
    assert!(
        matches!(err, LlmError::ContextLengthExceeded { .. }),
        "{err:?}"
    );
    let err = refusal(&sim, &request("made/up-model", "x")).await;
    assert!(
        matches!(err, LlmError::ModelNotFound { ref message } if message.contains("made/up-model")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_wrong_key_is_unauthorized_and_never_echoed() {
    let sim = start(LlmSimConfig {
        api_key: Some("sk-right".into()),
        ..LlmSimConfig::default()
    })
    .await;
    let wrong = LlmClient::new(
        endpoint(&sim, Some("sk-or-v1-wrong-secret")),
        reqwest::Client::new(),
    )
    .expect("client");
    let err = match wrong.stream_chat(&request(MODEL, "x")).await {
        Err(err) => err,
        Ok(_) => panic!("accepted a wrong key"),
    };
    assert!(matches!(err, LlmError::Unauthorized { .. }), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("wrong-secret"));
    assert!(!err.is_retryable_before_first_token());
}

#[tokio::test]
async fn a_midstream_error_keeps_the_partial_text_then_fails() {
    let sim = start(LlmSimConfig::default()).await;
    sim.set_reply(MODEL, "Risk two percent, not twenty.");
    sim.fail_model(MODEL, LlmFailure::MidStreamError { after_tokens: 3 });
    let received = drain(
        client(&sim)
            .stream_chat(&request(MODEL, "x"))
            .await
            .expect("stream"),
    )
    .await;
    assert_eq!(received.text, "Risk two perc");
    assert!(
        matches!(received.error, Some(LlmError::MidStream { ref code, .. }) if code.as_deref() == Some("server_error"))
    );
    assert_eq!(received.finish, None);
}

#[tokio::test]
async fn a_cut_connection_or_a_body_without_done_is_truncated() {
    let sim = start(LlmSimConfig::default()).await;
    sim.set_reply(MODEL, "one two three four five six seven");
    for failure in [
        LlmFailure::DropConnection { after_tokens: 2 },
        LlmFailure::EndWithoutDone { after_tokens: 2 },
    ] {
        sim.fail_model(MODEL, failure);
        let received = drain(
            client(&sim)
                .stream_chat(&request(MODEL, "x"))
                .await
                .expect("stream"),
        )
        .await;
        assert_eq!(received.text, "one two", "{failure:?}");
        assert_eq!(received.error, Some(LlmError::Truncated), "{failure:?}");
        assert_eq!(received.finish, None);
    }
}

#[tokio::test]
async fn a_silent_stream_times_out_and_the_connection_is_released() {
    let sim = start(LlmSimConfig::default()).await;
    sim.fail_model(MODEL, LlmFailure::Stall { after_tokens: 2 });
    let mut short = endpoint(&sim, None);
    short.timeout = Duration::from_millis(300);
    let client = LlmClient::new(short, reqwest::Client::new()).expect("client");
    let received = drain(
        client
            .stream_chat(&request(MODEL, "a few words here"))
            .await
            .expect("stream"),
    )
    .await;
    assert_eq!(received.error, Some(LlmError::Timeout));
    assert!(sim.wait_until_idle(Duration::from_secs(2)).await);
    assert_eq!(sim.stats().cancelled_streams, 1);
}

#[tokio::test]
async fn dropping_the_stream_cancels_generation_on_the_server() {
    let sim = start(LlmSimConfig::default()).await;
    sim.set_timing(Timing::new(50.0, Duration::ZERO));
    sim.set_reply(MODEL, filler_text(4000, 9)); // ~20 s of tokens
    let mut stream = client(&sim)
        .stream_chat(&request(MODEL, "x"))
        .await
        .expect("stream");
    let mut deltas = 0;
    while deltas < 5 {
        if let Some(Ok(StreamEvent::Delta(_))) = stream.next().await {
            deltas += 1;
        }
    }
    drop(stream);
    assert!(
        sim.wait_until_idle(Duration::from_secs(2)).await,
        "server kept streaming"
    );
    let stats = sim.stats();
    assert_eq!((stats.cancelled_streams, stats.completed_streams), (1, 0));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sim.stats().tokens_streamed, stats.tokens_streamed);
}

#[tokio::test]
async fn max_tokens_shows_up_as_finish_reason_length() {
    let sim = start(LlmSimConfig::default()).await;
    sim.set_reply(MODEL, filler_text(400, 2));
    let mut short = request(MODEL, "x");
    short.max_tokens = 10;
    let completion = client(&sim)
        .stream_chat(&short)
        .await
        .expect("stream")
        .collect()
        .await
        .expect("completion");
    assert_eq!(completion.finish_reason, Some(FinishReason::Length));
    assert_eq!(completion.usage.map(|u| u.completion_tokens), Some(10));
    assert!(!completion.text.is_empty());
}

#[tokio::test]
async fn recorded_streams_replayed_by_the_sim_parse_to_their_content() {
    let sim = start(LlmSimConfig {
        chunk_seed: Some(99),
        ..LlmSimConfig::default()
    })
    .await;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/llm");
    for name in [
        "openrouter_stream_reasoning_claude_sonnet45.txt",
        "openai_stream_gpt4omini_text_usage.txt",
    ] {
        let recorded = std::fs::read_to_string(format!("{dir}/{name}")).expect("fixture");
        let expected: String = recorded
            .split("\n\n")
            .filter_map(|block| block.strip_prefix("data: "))
            .filter_map(|p| serde_json::from_str::<serde_json::Value>(p).ok())
            .filter_map(|v| {
                v["choices"][0]["delta"]["content"]
                    .as_str()
                    .map(str::to_owned)
            })
            .collect();
        sim.set_replay(MODEL, recorded);
        let received = drain(
            client(&sim)
                .stream_chat(&request(MODEL, "x"))
                .await
                .expect("stream"),
        )
        .await;
        assert_eq!(received.error, None, "{name}");
        assert_eq!(received.text, expected, "{name}");
        assert!(received.usage.is_some(), "{name}");
    }
}

#[tokio::test]
async fn connection_refused_is_a_retryable_connect_error() {
    let sim = start(LlmSimConfig::default()).await;
    let gone = endpoint(&sim, None);
    drop(sim);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let client = LlmClient::new(gone, reqwest::Client::new()).expect("client");
    match client.stream_chat(&request(MODEL, "x")).await {
        Err(err @ LlmError::Connect(_)) => assert!(err.is_retryable_before_first_token()),
        Err(other) => panic!("expected Connect, got {other:?}"),
        Ok(_) => panic!("connected to a stopped server"),
    }
}

#[tokio::test]
async fn model_ids_can_be_listed() {
    let sim = start(LlmSimConfig {
        known_models: Some(vec![MODEL.into(), VISION.into()]),
        ..LlmSimConfig::default()
    })
    .await;
    let mut ids = client(&sim).list_models().await.expect("models");
    ids.sort();
    assert_eq!(ids, vec![MODEL.to_owned(), VISION.to_owned()]);
}

#[tokio::test]
async fn a_redirecting_server_is_named_with_where_it_points() {
    // A plain-HTTP base URL in front of an HTTPS-only server answers with a redirect.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = vec![0u8; 64 << 10];
        let _ = socket.read(&mut request).await;
        let answer = "HTTP/1.1 308 Permanent Redirect\r\n\
            Location: https://llm.example/api/v1/chat/completions\r\nContent-Length: 0\r\n\r\n";
        socket.write_all(answer.as_bytes()).await.unwrap();
    });
    let endpoint = LlmEndpoint {
        base_url: format!("http://{address}/api/v1"),
        api_key: Some("sk-test-key".into()),
        app_url: String::new(),
        app_title: String::new(),
        timeout: Duration::from_secs(5),
    };
    let client = LlmClient::new(endpoint, reqwest::Client::new()).expect("client");
    match client.stream_chat(&request(MODEL, "x")).await {
        Err(LlmError::BadRequest { status, message }) => {
            assert_eq!(status, 308);
            assert!(message.contains("https://llm.example/api/v1"), "{message}");
            assert!(message.contains("LLM_BASE_URL"), "{message}");
        }
        Err(other) => panic!("expected BadRequest, got {other:?}"),
        Ok(_) => panic!("a redirect is not a reply"),
    }
}
