//! Flood control: per-chat bursts, the edit budget, 20/min per group, 30/s bot-wide, the
//! penalty box after a 429, and injected 429 storms.

mod telegram_support;

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::json;
use telegram_support::{Api, ann_chat, retry_after, start};
use tiltguard_sim::telegram::BucketSpec;
use tiltguard_sim::{FloodLimits, SimChat, SimEventKind, SimUser};

/// Default limits except the per-chat bucket, so another budget is the one that binds.
fn roomy_chat_limits() -> FloodLimits {
    FloodLimits {
        per_chat: BucketSpec::new(1000, Duration::from_millis(1)),
        ..FloodLimits::default()
    }
}

#[tokio::test]
async fn a_chat_gets_a_burst_of_three_then_a_penalty_box() {
    let sim = start(FloodLimits::default()).await;
    let chat = ann_chat(&sim);
    let api = Api::new(&sim);
    for n in 0..3 {
        let (status, body) = api.send(chat.id, &format!("msg {n}")).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = api.send(chat.id, "msg 3").await;
    assert_eq!(status, 429);
    assert_eq!(retry_after(&body), 1);

    // Until retry_after passes, edits and drafts of this chat are refused too.
    let first = sim.bot_messages(chat.id)[0].message_id;
    let (status, body) = api
        .call(
            "editMessageText",
            json!({"chat_id": chat.id, "message_id": first, "text": "edit"}),
        )
        .await;
    assert_eq!(status, 429);
    retry_after(&body);
    let (status, _) = api
        .call(
            "sendMessageDraft",
            json!({"chat_id": chat.id, "draft_id": 1, "text": "d"}),
        )
        .await;
    assert_eq!(status, 429);

    // Another chat is not affected.
    let bob = SimUser::new(1002, "Bob");
    let bob_chat = SimChat::private(&bob);
    sim.add_chat(&bob_chat);
    let (status, _) = api.send(bob_chat.id, "hi Bob").await;
    assert_eq!(status, 200);

    tokio::time::sleep(Duration::from_millis(1050)).await;
    let (status, body) = api.send(chat.id, "msg 4").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(sim.bot_messages(chat.id).len(), 4);
    assert_eq!(sim.stats().status_429, 3);
}

#[tokio::test]
async fn edits_are_held_to_about_twenty_a_minute() {
    let sim = start(roomy_chat_limits()).await;
    let chat = ann_chat(&sim);
    let api = Api::new(&sim);
    let sent = api
        .ok("sendMessage", json!({"chat_id": chat.id, "text": "v0"}))
        .await;
    let id = sent["message_id"].clone();
    for n in 1..=3 {
        api.ok(
            "editMessageText",
            json!({"chat_id": chat.id, "message_id": id, "text": format!("v{n}")}),
        )
        .await;
    }
    let (status, body) = api
        .call(
            "editMessageText",
            json!({"chat_id": chat.id, "message_id": id, "text": "v4"}),
        )
        .await;
    assert_eq!(status, 429);
    assert_eq!(retry_after(&body), 3, "one edit token refills every 3 s");
    // Sends are not edits: the chat is in the penalty box though, so they wait too.
    let (status, _) = api.send(chat.id, "new").await;
    assert_eq!(status, 429);
    assert_eq!(sim.bot_messages(chat.id)[0].text, "v3");
}

#[tokio::test]
async fn a_group_gets_twenty_messages_a_minute() {
    let sim = start(roomy_chat_limits()).await;
    let group = SimChat::group(-4001, "Degens");
    sim.add_chat(&group);
    let api = Api::new(&sim);
    for n in 0..20 {
        let (status, body) = api.send(group.id, &format!("alert {n}")).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, body) = api.send(group.id, "alert 20").await;
    assert_eq!(status, 429);
    assert_eq!(retry_after(&body), 3);
    // A private chat has no group budget.
    let chat = ann_chat(&sim);
    let (status, _) = api.send(chat.id, "hi").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_bot_gets_thirty_messages_a_second_across_chats() {
    let sim = start(FloodLimits::default()).await;
    let api = Api::new(&sim);
    let chats: Vec<i64> = (0..45)
        .map(|n| {
            let chat = SimChat::private(&SimUser::new(7000 + n, "Trader"));
            sim.add_chat(&chat);
            chat.id
        })
        .collect();
    let started = Instant::now();
    let replies = join_all(chats.iter().map(|chat| api.send(*chat, "gm"))).await;
    let elapsed = started.elapsed();
    let accepted = replies.iter().filter(|(status, _)| *status == 200).count();
    let refused: Vec<_> = replies
        .iter()
        .filter(|(status, _)| *status == 429)
        .collect();
    // 30 at once, plus whatever refilled (one per 1/30 s) while the requests were in flight.
    let refilled = (elapsed.as_secs_f64() * 30.0).ceil() as usize;
    assert!(accepted >= 30, "accepted {accepted}");
    assert!(
        accepted <= 30 + refilled,
        "accepted {accepted} in {elapsed:?}"
    );
    assert_eq!(accepted + refused.len(), 45);
    if elapsed < Duration::from_millis(400) {
        assert!(!refused.is_empty());
    }
    for (_, body) in refused {
        assert_eq!(retry_after(body), 1);
    }
}

#[tokio::test]
async fn injected_floods_hit_the_next_requests_and_penalize() {
    let sim = start(FloodLimits::default()).await;
    let chat = ann_chat(&sim);
    let api = Api::new(&sim);
    sim.inject_flood(Some(chat.id), 5, 1);
    let (status, body) = api.send(chat.id, "a").await;
    assert_eq!(status, 429);
    assert_eq!(retry_after(&body), 5);
    let (status, body) = api.send(chat.id, "b").await;
    assert_eq!(status, 429);
    assert!(
        (4..=5).contains(&retry_after(&body)),
        "the penalty box counts down"
    );
    assert!(sim.bot_messages(chat.id).is_empty());

    // A storm for all chats takes the next two requests, whichever chats they are for.
    let others: Vec<i64> = (0..3)
        .map(|n| {
            let chat = SimChat::private(&SimUser::new(8000 + n, "Other"));
            sim.add_chat(&chat);
            chat.id
        })
        .collect();
    sim.inject_flood(None, 2, 2);
    let mut statuses = Vec::new();
    for chat in &others {
        statuses.push(api.send(*chat, "x").await.0);
    }
    assert_eq!(statuses, [429, 429, 200]);
    let rejected_429 = sim
        .events()
        .iter()
        .filter(|e| matches!(e.kind, SimEventKind::Rejected { code: 429, .. }))
        .count();
    assert_eq!(rejected_429, 4);
}

#[tokio::test]
async fn a_timed_storm_refuses_everything_until_it_passes() {
    let sim = start(FloodLimits::default()).await;
    let chat = ann_chat(&sim);
    let api = Api::new(&sim);
    sim.inject_flood_for(None, 1, Duration::from_millis(200));
    let (status, body) = api.send(chat.id, "a").await;
    assert_eq!(status, 429);
    assert_eq!(retry_after(&body), 1);
    tokio::time::sleep(Duration::from_millis(1050)).await;
    let (status, body) = api.send(chat.id, "b").await;
    assert_eq!(status, 200, "{body}");
}
