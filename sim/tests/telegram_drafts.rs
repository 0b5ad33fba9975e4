//! sendMessageDraft: private chats only, non-zero ids, empty text allowed, its own rate limit,
//! dismissal by a sent message, expiry, the stop button, and servers without drafts.

mod telegram_support;

use std::time::Duration;

use serde_json::json;
use telegram_support::{Api, ann_chat, retry_after, start, start_with};
use tiltguard_sim::{FloodLimits, SimChat, SimEventKind, TelegramSimConfig};

#[tokio::test]
async fn a_draft_shows_until_the_bot_sends_the_final_message() {
    let sim = start(FloodLimits::default()).await;
    let chat = ann_chat(&sim);
    let api = Api::new(&sim);
    let result = api
        .ok(
            "sendMessageDraft",
            json!({"chat_id": chat.id, "draft_id": 7, "text": "<b>Brea</b>", "parse_mode": "HTML",
                   "message_thread_id": null, "can_stop": true, "keep_on_stop": false}),
        )
        .await;
    assert_eq!(result, json!(true));
    assert_eq!(sim.current_draft(chat.id), Some((7, "Brea".to_owned())));
    api.ok(
        "sendMessageDraft",
        json!({"chat_id": chat.id, "draft_id": 7, "text": "Breathe"}),
    )
    .await;
    assert_eq!(sim.current_draft(chat.id), Some((7, "Breathe".to_owned())));

    api.ok(
        "sendMessage",
        json!({"chat_id": chat.id, "text": "Breathe. Then trade."}),
    )
    .await;
    assert_eq!(sim.current_draft(chat.id), None);
    let kinds: Vec<SimEventKind> = sim
        .events_for(chat.id)
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [SimEventKind::Draft, SimEventKind::Draft, SimEventKind::Send]
    );
    assert_eq!(sim.stats().drafts, 2);
}

#[tokio::test]
async fn empty_drafts_are_allowed_but_over_long_ones_are_not() {
    let sim = start(FloodLimits::default()).await;
    let chat = ann_chat(&sim);
    let api = Api::new(&sim);
    api.ok(
        "sendMessageDraft",
        json!({"chat_id": chat.id, "draft_id": 3, "text": ""}),
    )
    .await;
    api.ok(
        "sendMessageDraft",
        json!({"chat_id": chat.id, "draft_id": 3}),
    )
    .await;
    assert_eq!(sim.current_draft(chat.id), Some((3, String::new())));
    let too_long = json!({"chat_id": chat.id, "draft_id": 3, "text": "🚀".repeat(2049)});
    assert_eq!(
        api.fails("sendMessageDraft", too_long, 400).await,
        "Bad Request: message is too long"
    );
}

#[tokio::test]
async fn drafts_are_for_private_chats_with_a_non_zero_id() {
    let sim = start(FloodLimits::default()).await;
    let group = SimChat::supergroup(-1_001_234_567_890, "Degens");
    sim.add_chat(&group);
    let api = Api::new(&sim);
    let in_group = json!({"chat_id": group.id, "draft_id": 1, "text": "x"});
    assert_eq!(
        api.fails("sendMessageDraft", in_group, 400).await,
        "Bad Request: TEXTDRAFT_PEER_INVALID"
    );
    let chat = ann_chat(&sim);
    let zero = json!({"chat_id": chat.id, "draft_id": 0, "text": "x"});
    assert_eq!(
        api.fails("sendMessageDraft", zero, 400).await,
        "Bad Request: invalid draft_id"
    );
    let unknown = json!({"chat_id": 4242, "draft_id": 1, "text": "x"});
    assert_eq!(
        api.fails("sendMessageDraft", unknown, 400).await,
        "Bad Request: chat not found"
    );
    let bad_html = json!({"chat_id": chat.id, "draft_id": 1, "text": "<x>", "parse_mode": "HTML"});
    assert_eq!(
        api.fails("sendMessageDraft", bad_html, 400).await,
        "Bad Request: can't parse entities: Unsupported start tag \"x\" at byte offset 0"
    );
    assert_eq!(sim.current_draft(chat.id), None);
}

#[tokio::test]
async fn drafts_expire() {
    let sim = start_with(TelegramSimConfig {
        draft_lifetime: Duration::from_millis(300),
        ..TelegramSimConfig::default()
    })
    .await;
    let chat = ann_chat(&sim);
    Api::new(&sim)
        .ok(
            "sendMessageDraft",
            json!({"chat_id": chat.id, "draft_id": 9, "text": "…"}),
        )
        .await;
    assert!(sim.current_draft(chat.id).is_some());
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(sim.current_draft(chat.id), None);
}

#[tokio::test]
async fn drafts_have_their_own_rate_limit() {
    let sim = start(FloodLimits::default()).await;
    let chat = ann_chat(&sim);
    let api = Api::new(&sim);
    for n in 0..5 {
        api.ok(
            "sendMessageDraft",
            json!({"chat_id": chat.id, "draft_id": 1, "text": format!("part {n}")}),
        )
        .await;
    }
    let (status, body) = api
        .call(
            "sendMessageDraft",
            json!({"chat_id": chat.id, "draft_id": 1, "text": "part 5"}),
        )
        .await;
    assert_eq!(status, 429);
    assert_eq!(retry_after(&body), 1);
    assert_eq!(sim.current_draft(chat.id), Some((1, "part 4".to_owned())));
}

#[tokio::test]
async fn drafts_do_not_use_the_bot_wide_budget() {
    let sim = start(FloodLimits::default()).await;
    let api = Api::new(&sim);
    // 40 chats × 1 draft, all at once: over the bot-wide 30/s, yet all accepted.
    for n in 0..40 {
        let user = tiltguard_sim::SimUser::new(5000 + n, "Trader");
        let chat = SimChat::private(&user);
        sim.add_chat(&chat);
        api.ok(
            "sendMessageDraft",
            json!({"chat_id": chat.id, "draft_id": 1, "text": "…"}),
        )
        .await;
    }
    // And the bot-wide budget is untouched afterwards.
    for n in 0..30 {
        let (status, body) = api.send(5000 + n, "final").await;
        assert_eq!(status, 200, "{body}");
    }
}

#[tokio::test]
async fn the_stop_button_sends_an_update_and_clears_the_draft() {
    let sim = start(FloodLimits::default()).await;
    let chat = ann_chat(&sim);
    let api = Api::new(&sim);
    api.ok(
        "sendMessageDraft",
        json!({"chat_id": chat.id, "draft_id": 7, "text": "long answer", "can_stop": true,
               "message_thread_id": 12}),
    )
    .await;
    sim.press_stop(&chat, 7);
    assert_eq!(sim.current_draft(chat.id), None);
    let updates = api.ok("getUpdates", json!({})).await;
    let stop = &updates[1];
    assert_eq!(
        stop["stopped_message_generation"],
        json!({"chat": {"id": 1001, "type": "private", "first_name": "Ann", "username": "ann_trades"},
               "draft_id": 7, "message_thread_id": 12})
    );
}

#[tokio::test]
async fn keep_on_stop_keeps_the_draft_visible() {
    let sim = start(FloodLimits::default()).await;
    let chat = ann_chat(&sim);
    Api::new(&sim)
        .ok(
            "sendMessageDraft",
            json!({"chat_id": chat.id, "draft_id": 2, "text": "partial", "can_stop": true,
                   "keep_on_stop": true}),
        )
        .await;
    sim.press_stop(&chat, 2);
    assert_eq!(sim.current_draft(chat.id), Some((2, "partial".to_owned())));
}

#[tokio::test]
async fn an_old_server_does_not_know_drafts() {
    let sim = start(FloodLimits::default()).await;
    let chat = ann_chat(&sim);
    sim.set_drafts_supported(false);
    let api = Api::new(&sim);
    let (status, body) = api
        .call(
            "sendMessageDraft",
            json!({"chat_id": chat.id, "draft_id": 1, "text": "x"}),
        )
        .await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 404, "description": "Not Found"})
    );
    sim.set_drafts_supported(true);
    api.ok(
        "sendMessageDraft",
        json!({"chat_id": chat.id, "draft_id": 1, "text": "x"}),
    )
    .await;
}

/// HTTP/1.1 pipelining, as the real Bot API's front servers accept it: several drafts written
/// at once on one connection are each applied, and answered in order.
#[tokio::test]
async fn drafts_pipelined_on_one_connection_are_answered_in_order() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let sim = start(FloodLimits::default()).await;
    let chat = ann_chat(&sim);
    let api_url = sim.api_url();
    let authority = api_url.trim_start_matches("http://").trim_end_matches('/');
    let mut batch = Vec::new();
    // The second asks for a draft id of 0, which Telegram refuses; the others are fine.
    for (draft_id, text) in [(5, "one"), (0, "two"), (5, "three")] {
        let body = json!({"chat_id": chat.id, "draft_id": draft_id, "text": text}).to_string();
        batch.extend_from_slice(
            format!(
                "POST /bot{}/sendMessageDraft HTTP/1.1\r\nHost: {authority}\r\n\
                 Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                sim.token(),
                body.len()
            )
            .as_bytes(),
        );
    }
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    stream.write_all(&batch).await.unwrap();

    let mut received = Vec::new();
    let answered = tokio::time::timeout(Duration::from_secs(5), async {
        while count(&received, b"HTTP/1.1 ") < 3 || !received.ends_with(b"}") {
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the simulator closed the connection");
            received.extend_from_slice(&chunk[..n]);
        }
    })
    .await;
    assert!(answered.is_ok(), "not every pipelined request was answered");
    let text = String::from_utf8_lossy(&received);
    let statuses: Vec<&str> = text
        .match_indices("HTTP/1.1 ")
        .map(|(at, _)| &text[at + 9..at + 12])
        .collect();
    assert_eq!(statuses, ["200", "400", "200"]);
    assert_eq!(sim.current_draft(chat.id), Some((5, "three".to_owned())));
    assert_eq!(sim.stats().drafts, 2);
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}
