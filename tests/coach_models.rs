//! Chart screenshots, fallback chains, circuit breakers and the cost ledger.

mod support;

use std::time::Duration;

use base64::Engine;
use futures_util::StreamExt;
use support::{Harness, trader};
use tiltguard::llm::router::InputKind;
use tiltguard::llm::{ChatMessage, StreamEvent};
use tiltguard_sim::llm::{LlmFailure, LlmSimConfig};

fn png(size: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend((0..size).map(|i| (i * 7 % 251) as u8));
    bytes
}

#[tokio::test]
async fn a_chart_goes_to_the_vision_chain_as_a_data_url_of_the_exact_bytes() {
    let mut h = Harness::new().await;
    let llm = h.with_llm(LlmSimConfig::default()).await;
    llm.set_reply(
        "vision",
        "A clean breakout on the 4h. What was your plan before it moved?",
    );
    h.start().await;
    let (ann, chat) = trader(7001, "Ann");
    let image = png(3000);
    h.telegram
        .send_photo(&chat, &ann, image.clone(), Some("Is this a breakout?"));
    let reply = h.wait_for_bot_messages(chat.id, 1).await.remove(0);
    assert!(reply.text.starts_with("A clean breakout"), "{}", reply.text);
    let request = llm.requests().pop().unwrap();
    assert_eq!(request.model().as_deref(), Some("vision"));
    let expected = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&image)
    );
    assert_eq!(request.image_urls(), vec![expected]);
    let body = request.json().unwrap().to_string();
    assert!(body.contains("Is this a breakout?"));
    // The follow-up is plain text on the text chain, with the chart remembered as text.
    h.telegram
        .send_text(&chat, &ann, "So should I have waited?");
    h.wait_for_bot_messages(chat.id, 2).await;
    let follow_up = llm.requests().pop().unwrap();
    assert_eq!(follow_up.model().as_deref(), Some("primary"));
    assert!(
        follow_up.image_urls().is_empty(),
        "a text model never gets an image"
    );
    let body = follow_up.json().unwrap().to_string();
    assert!(body.contains("[chart image] Is this a breakout?"), "{body}");
    h.stop().await;
}

#[tokio::test]
async fn images_sent_as_documents_work_and_bad_images_get_clear_answers() {
    let mut h = Harness::new().await;
    let llm = h.with_llm(LlmSimConfig::default()).await;
    llm.set_reply("vision", "I see a range.");
    h.set("MAX_IMAGE_BYTES", "10000");
    h.start().await;
    let (ann, chat) = trader(7002, "Ann");
    h.telegram
        .send_document(&chat, &ann, png(2000), "chart.png", "image/png", None);
    let reply = h.wait_for_bot_messages(chat.id, 1).await.remove(0);
    assert_eq!(reply.text, "I see a range.");
    let request = llm.requests().pop().unwrap().json().unwrap().to_string();
    assert!(
        request.contains("[chart image]") || request.contains("chart"),
        "uses the chart prompt"
    );

    h.telegram.send_photo(&chat, &ann, png(50_000), None);
    let too_big = h.wait_for_bot_messages(chat.id, 2).await.remove(1);
    assert!(too_big.text.contains("MB"), "{}", too_big.text);

    h.telegram.send_document(
        &chat,
        &ann,
        b"GIF89a....".to_vec(),
        "pump.gif",
        "image/gif",
        None,
    );
    let gif = h.wait_for_bot_messages(chat.id, 3).await.remove(2);
    assert!(gif.text.contains("PNG, JPEG or WebP"), "{}", gif.text);

    h.telegram.send_document(
        &chat,
        &ann,
        b"not really".to_vec(),
        "chart.png",
        "image/png",
        None,
    );
    let fake = h.wait_for_bot_messages(chat.id, 4).await.remove(3);
    assert!(fake.text.contains("doesn't look like"), "{}", fake.text);
    assert_eq!(
        llm.requests().len(),
        1,
        "only the real image reached a model"
    );
    h.stop().await;
}

#[tokio::test]
async fn a_primary_down_before_the_first_token_is_invisible_to_the_trader() {
    let mut h = Harness::new().await;
    let llm = h.with_llm(LlmSimConfig::default()).await;
    llm.fail_model("primary", LlmFailure::Status(503));
    llm.set_reply("secondary", "Secondary here: size down today.");
    h.start().await;
    let (ann, chat) = trader(7003, "Ann");
    h.telegram.send_text(&chat, &ann, "help");
    let reply = h.wait_for_bot_messages(chat.id, 1).await.remove(0);
    assert_eq!(reply.text, "Secondary here: size down today.");
    h.stop().await;
}

#[tokio::test]
async fn a_primary_dying_mid_stream_is_continued_by_the_next_model() {
    let mut h = Harness::new().await;
    let llm = h.with_llm(LlmSimConfig::default()).await;
    llm.set_reply(
        "primary",
        "Your plan said one percent. You risked five. That gap",
    );
    llm.fail_model("primary", LlmFailure::MidStreamError { after_tokens: 6 });
    llm.set_reply("secondary", "is where the tilt lives.");
    h.start().await;
    let (ann, chat) = trader(7004, "Ann");
    h.telegram
        .send_text(&chat, &ann, "why do I keep blowing up?");
    let reply = h.wait_for_bot_messages(chat.id, 1).await.remove(0);
    assert!(reply.text.starts_with("Your plan said"), "{}", reply.text);
    assert!(
        reply.text.ends_with("is where the tilt lives."),
        "{}",
        reply.text
    );
    let continuation = llm.requests().pop().unwrap();
    assert_eq!(continuation.model().as_deref(), Some("secondary"));
    let body = continuation.json().unwrap();
    let messages = body["messages"].as_array().unwrap();
    let n = messages.len();
    assert_eq!(
        messages[n - 2]["role"],
        "assistant",
        "the partial reply is handed over"
    );
    assert!(
        messages[n - 1]["content"]
            .as_str()
            .unwrap()
            .contains("Continue")
    );
    h.stop().await;
}

#[tokio::test]
async fn a_whole_chain_down_gets_one_kind_message_with_a_retry_hint() {
    let mut h = Harness::new().await;
    let llm = h.with_llm(LlmSimConfig::default()).await;
    llm.fail_model("primary", LlmFailure::Status(503));
    llm.fail_model("secondary", LlmFailure::Status(502));
    h.start().await;
    let (ann, chat) = trader(7005, "Ann");
    h.telegram.send_text(&chat, &ann, "anyone there?");
    let reply = h.wait_for_bot_messages(chat.id, 1).await.remove(0);
    assert!(reply.text.contains("try again"), "{}", reply.text);
    assert!(!reply.text.contains("503") && !reply.text.contains("502"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        h.telegram.bot_messages(chat.id).len(),
        1,
        "exactly one message"
    );
    h.stop().await;
}

async fn drain(router: &tiltguard::llm::router::Router) -> String {
    let opened = router
        .open(InputKind::Text, &[ChatMessage::user("hi")], 100, &[])
        .await
        .expect("some model answers");
    let mut stream = opened.stream;
    while let Some(event) = stream.next().await {
        if matches!(event, Ok(StreamEvent::Finished { .. })) {
            router.record_success(&opened.route.label);
        }
    }
    opened.route.label
}

#[tokio::test]
async fn the_breaker_opens_after_repeated_failures_and_half_opens_after_the_cool_down() {
    let mut h = Harness::new().await;
    let llm = h.with_llm(LlmSimConfig::default()).await;
    h.set("BREAKER_FAILURES", "3")
        .set("BREAKER_COOLDOWN_SECONDS", "30");
    let router = tiltguard::app::build_router(&h.config(), reqwest::Client::new()).unwrap();
    llm.fail_model("primary", LlmFailure::Status(500));
    let primary_requests = |llm: &tiltguard_sim::llm::LlmSim| {
        llm.requests()
            .iter()
            .filter(|r| r.model().as_deref() == Some("primary"))
            .count()
    };
    for _ in 0..3 {
        assert_eq!(drain(&router).await, "secondary");
    }
    assert_eq!(router.breaker_state("primary").label(), "open");
    let tried = primary_requests(&llm);
    assert_eq!(drain(&router).await, "secondary");
    assert_eq!(
        primary_requests(&llm),
        tried,
        "an open breaker skips the model"
    );
    // Half-open after the cool-down: time is advanced, not slept.
    llm.clear_failure("primary");
    tokio::time::pause();
    tokio::time::advance(Duration::from_secs(31)).await;
    tokio::time::resume();
    assert_eq!(
        drain(&router).await,
        "primary",
        "one trial request goes through"
    );
    assert_eq!(router.breaker_state("primary").label(), "closed");
}

#[tokio::test]
async fn the_ledger_records_every_completion_and_usage_reports_it() {
    let mut h = Harness::new().await;
    let llm = h.with_llm(LlmSimConfig::default()).await;
    llm.set_reply("vision", "Chart read.");
    h.start().await;
    let (ann, chat) = trader(7006, "Ann");
    h.telegram.send_text(&chat, &ann, "first question");
    h.wait_for_bot_messages(chat.id, 1).await;
    h.telegram.send_photo(&chat, &ann, png(1000), None);
    h.wait_for_bot_messages(chat.id, 2).await;
    let store = h.store().await;
    let rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT model, kind, prompt_tokens, completion_tokens, cost_micros FROM llm_ledger
         WHERE user_id = $1 ORDER BY id",
    )
    .bind(ann.id)
    .fetch_all(&mut *store.conn().await.unwrap())
    .await
    .unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1.as_str()),
        ("primary", "text")
    );
    assert_eq!(
        (rows[1].0.as_str(), rows[1].1.as_str()),
        ("vision", "vision")
    );
    assert!(
        rows.iter().all(|r| r.2 > 0 && r.3 > 0 && r.4 > 0),
        "tokens and cost: {rows:?}"
    );
    h.telegram.send_text(&chat, &ann, "/usage");
    let usage = h.wait_for_bot_messages(chat.id, 3).await.remove(2);
    assert!(
        usage.text.contains("Today") && usage.text.contains("2 replies"),
        "{}",
        usage.text
    );
    h.stop().await;
}
