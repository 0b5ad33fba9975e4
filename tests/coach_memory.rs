//! Quotas, sessions, summaries and memory across restarts.

mod support;

use std::time::Duration;

use support::{Harness, WAIT, trader};
use tiltguard::store::{ConversationKey, Counter, utc_day};
use tiltguard_sim::llm::{LlmSim, LlmSimConfig, Timing};

#[tokio::test]
async fn the_daily_quota_stops_replies_says_so_once_and_resets_with_the_day() {
    let mut h = Harness::new().await;
    let llm = h.with_llm(LlmSimConfig::default()).await;
    h.set("FREE_DAILY_MESSAGES", "2");
    h.start().await;
    let (ann, chat) = trader(5001, "Ann");
    for i in 0..4 {
        h.telegram.send_text(&chat, &ann, &format!("message {i}"));
    }
    let replies = h.wait_for_bot_messages(chat.id, 3).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let replies_now = h.telegram.bot_messages(chat.id);
    assert_eq!(
        replies_now.len(),
        3,
        "two answers and one notice, then silence"
    );
    let notices = replies
        .iter()
        .filter(|m| m.text.contains("reset at 00:00 UTC"))
        .count();
    assert_eq!(notices, 1, "{replies:#?}");
    assert_eq!(llm.requests().len(), 2);
    // Yesterday's usage does not count today: a fresh user row for yesterday at the limit
    // leaves today's quota untouched.
    let store = h.store().await;
    let yesterday = utc_day(chrono::Utc::now().timestamp()) - 1;
    sqlx::query("INSERT INTO daily_usage (user_id, day, messages) VALUES ($1, $2, 2)")
        .bind(5002_i64)
        .bind(yesterday)
        .execute(&mut *store.conn().await.unwrap())
        .await
        .unwrap();
    let (bob, bob_chat) = trader(5002, "Bob");
    h.telegram.send_text(&bob_chat, &bob, "new day");
    let reply = h.wait_for_bot_messages(bob_chat.id, 1).await.remove(0);
    assert_eq!(reply.text, "You said: new day");
    h.stop().await;
}

#[tokio::test]
async fn history_survives_a_restart_and_reaches_the_model() {
    let mut h = Harness::new().await;
    let llm = h.with_llm(LlmSimConfig::default()).await;
    h.start().await;
    let (ann, chat) = trader(5003, "Ann");
    h.telegram
        .send_text(&chat, &ann, "My rule: never risk more than 1% per trade.");
    h.wait_for_bot_messages(chat.id, 1).await;
    h.stop().await;
    h.start().await;
    h.telegram.send_text(&chat, &ann, "What was my rule?");
    h.wait_for_bot_messages(chat.id, 2).await;
    let request = llm.requests().pop().unwrap().json().unwrap();
    let contents: Vec<String> = request["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        contents
            .iter()
            .any(|c| c.contains("never risk more than 1%")),
        "{contents:?}"
    );
    assert_eq!(contents.last().unwrap(), "What was my rule?");
    h.stop().await;
}

#[tokio::test]
async fn a_silent_spell_starts_a_new_session_and_folds_the_old_one_into_a_summary() {
    let mut h = Harness::new().await;
    let llm = h.with_llm(LlmSimConfig::default()).await;
    // Every message after the first arrives "after the timeout".
    h.set("SESSION_TIMEOUT_MINUTES", "0");
    h.start().await;
    let (ann, chat) = trader(5004, "Ann");
    h.telegram
        .send_text(&chat, &ann, "I revenge trade after two losses in a row.");
    h.wait_for_bot_messages(chat.id, 1).await;
    llm.set_reply_builder(|ctx: &tiltguard_sim::llm::ReplyContext| {
        if ctx.last_user_text.contains("Trader: I revenge trade") {
            "Revenge-trades after two straight losses.".to_string()
        } else {
            format!("You said: {}", ctx.last_user_text)
        }
    });
    h.telegram.send_text(&chat, &ann, "Morning. New day.");
    h.wait_for_bot_messages(chat.id, 2).await;
    let store = h.store().await;
    let key = ConversationKey {
        chat_id: chat.id,
        user_id: ann.id,
    };
    let deadline = std::time::Instant::now() + WAIT;
    let summary = loop {
        let state = store.conversation(key).await.unwrap().unwrap();
        if !state.summary.is_empty() || std::time::Instant::now() > deadline {
            break state.summary;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(summary, "Revenge-trades after two straight losses.");
    // The next request carries the summary instead of the old turns.
    h.telegram
        .send_text(&chat, &ann, "Anything I should watch for?");
    h.wait_for_bot_messages(chat.id, 3).await;
    // The last coaching request (summaries of later rotations may follow it).
    let request = llm
        .requests()
        .into_iter()
        .filter_map(|r| r.json())
        .filter(|r| r["messages"][0]["role"] == "system")
        .last()
        .unwrap();
    let system = request["messages"][0]["content"].as_str().unwrap();
    assert!(system.contains("Revenge-trades after two straight losses."));
    let turns = request["messages"].as_array().unwrap().len();
    assert_eq!(turns, 2, "system + the new message only: {request}");
    h.stop().await;
}

#[tokio::test]
async fn a_burst_over_the_per_minute_limit_gets_one_polite_notice() {
    let mut h = Harness::new().await;
    let llm = h.with_llm(LlmSimConfig::default()).await;
    h.set("USER_MESSAGES_PER_MINUTE", "2");
    h.start().await;
    let (ann, chat) = trader(5005, "Ann");
    for i in 0..6 {
        h.telegram.send_text(&chat, &ann, &format!("spam {i}"));
    }
    h.wait_for_bot_messages(chat.id, 3).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let replies = h.telegram.bot_messages(chat.id);
    assert_eq!(
        replies.len(),
        3,
        "{:#?}",
        replies.iter().map(|m| &m.text).collect::<Vec<_>>()
    );
    let notices = replies
        .iter()
        .filter(|m| m.text.contains("faster than I can coach"))
        .count();
    assert_eq!(notices, 1);
    assert_eq!(llm.requests().len(), 2);
    h.stop().await;
}

/// A bot that can be killed mid-reply, whose model answers `answer` at `timing`.
async fn killable_bot_answering(timing: Timing, answer: &str) -> (Harness, LlmSim) {
    let mut h = Harness::new().await;
    let llm = h
        .with_llm(LlmSimConfig {
            timing,
            ..LlmSimConfig::default()
        })
        .await;
    llm.set_reply("primary", answer);
    h.start_killable().await;
    (h, llm)
}

/// Kills the bot before it delivered anything into `chat_id`, restarts it, and checks that
/// `answer` then arrives, once.
async fn kill_restart_and_expect_the_answer_once(h: &mut Harness, chat_id: i64, answer: &str) {
    h.kill().await;
    assert!(
        h.telegram.bot_messages(chat_id).is_empty(),
        "the answer was delivered before the crash; the test proves nothing"
    );
    h.start().await;
    let replies = h.wait_for_bot_messages(chat_id, 1).await;
    assert_eq!(replies[0].text, answer);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(h.telegram.bot_messages(chat_id).len(), 1, "answered once");
}

#[tokio::test]
async fn a_reply_cut_off_by_a_crash_is_answered_after_the_restart() {
    let answer = "Size down after two losses. The market will still be there tomorrow, and \
                  so will your account if you protect it today.";
    let (mut h, _llm) =
        killable_bot_answering(Timing::new(10.0, Duration::from_millis(50)), answer).await;
    let (ann, chat) = trader(5010, "Ann");
    h.telegram
        .send_text(&chat, &ann, "Should I double my size to win it back?");
    // The bot dies while the reply is still streaming into a draft.
    assert!(
        h.wait_for_draft_longer_than(chat.id, 10).await,
        "the reply never started streaming"
    );
    kill_restart_and_expect_the_answer_once(&mut h, chat.id, answer).await;
    let store = h.store().await;
    assert_eq!(
        store.used_today(ann.id, Counter::Messages).await.unwrap(),
        1,
        "the replayed message did not take a second unit of the day's quota"
    );
    h.stop().await;
}

#[tokio::test]
async fn a_reply_stored_but_not_delivered_before_a_crash_is_delivered_from_the_store() {
    let answer = "Write the stop down before you enter. A stop you only think about moves.";
    let (mut h, llm) =
        killable_bot_answering(Timing::new(200.0, Duration::from_millis(10)), answer).await;
    let (ann, chat) = trader(5011, "Ann");
    // A flood wait on the first preview holds the chat for 3 s: the reply streams to its end
    // and is stored, and its final message waits.
    h.telegram
        .inject_flood_for(Some(chat.id), 3, Duration::from_millis(200));
    h.telegram.send_text(&chat, &ann, "Where do I put my stop?");
    let store = h.store().await;
    let key = ConversationKey {
        chat_id: chat.id,
        user_id: ann.id,
    };
    let stored_turns = || async {
        match store.conversation_with_window(key, 10).await.unwrap() {
            Some((_, turns)) => turns.len(),
            None => 0,
        }
    };
    let deadline = std::time::Instant::now() + WAIT;
    while stored_turns().await < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(stored_turns().await, 2, "the exchange was never stored");
    // The restarted bot waits out what is left of the flood wait, then answers.
    kill_restart_and_expect_the_answer_once(&mut h, chat.id, answer).await;
    assert_eq!(llm.requests().len(), 1, "the model was not asked again");
    assert_eq!(stored_turns().await, 2, "the exchange was not stored twice");
    assert_eq!(
        store.used_today(ann.id, Counter::Messages).await.unwrap(),
        1
    );
    h.stop().await;
}
