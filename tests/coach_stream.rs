//! The streaming coach as a trader sees it, against the Telegram and LLM simulators.

mod support;

use std::time::Duration;

use support::{Harness, WAIT, trader};
use tiltguard_sim::llm::{LlmFailure, LlmSimConfig, Timing};
use tiltguard_sim::{SimChat, SimEventKind, SimUser};

const REPLY: &str = "Losses sting because they feel personal. They are not. Write down the plan \
you had before the entry, then compare it with what you actually did. Where did they split?";

fn slow(tokens_per_second: f64) -> LlmSimConfig {
    LlmSimConfig {
        timing: Timing::new(tokens_per_second, Duration::from_millis(200)),
        ..LlmSimConfig::default()
    }
}

#[tokio::test]
async fn a_private_reply_streams_as_drafts_then_lands_as_one_message() {
    let mut h = Harness::new().await;
    let llm = h.with_llm(slow(40.0)).await;
    llm.set_reply("primary", REPLY);
    h.start().await;
    let (ann, chat) = trader(4001, "Ann");
    h.telegram
        .send_text(&chat, &ann, "I just lost 3R on a revenge trade");
    let final_message = h.wait_for_bot_messages(chat.id, 1).await.remove(0);
    assert_eq!(final_message.text, REPLY);
    let events = h.telegram.events_for(chat.id);
    let drafts: Vec<_> = events
        .iter()
        .filter(|e| e.kind == SimEventKind::Draft)
        .collect();
    assert!(
        drafts.len() >= 3,
        "expected a live preview, got {} drafts",
        drafts.len()
    );
    assert_eq!(
        drafts[0].text, "",
        "the first draft is the empty 'Thinking…' state"
    );
    assert!(
        drafts
            .iter()
            .any(|d| !d.text.is_empty() && d.text.len() < REPLY.len())
    );
    let send_at = events
        .iter()
        .find(|e| e.kind == SimEventKind::Send)
        .unwrap()
        .at;
    assert!(
        drafts.iter().all(|d| d.at <= send_at),
        "no draft after the final message"
    );
    // The request carried the persona's system prompt and the trader's words.
    let request = llm.requests().pop().unwrap().json().unwrap();
    assert!(
        request["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("The Stoic")
    );
    assert_eq!(request["stream"], true);
    assert!(request["max_tokens"].as_u64().is_some());
    let stats = h.telegram.stats();
    assert_eq!((stats.status_429, stats.status_400), (0, 0));
    h.stop().await;
}

#[tokio::test]
async fn a_group_reply_is_a_placeholder_then_paced_edits() {
    let mut h = Harness::new().await;
    let llm = h.with_llm(slow(20.0)).await;
    llm.set_reply("primary", REPLY);
    h.start().await;
    let ann = SimUser::new(4002, "Ann");
    let group = SimChat::group(-4002, "Prop desk");
    // Not addressed to the bot: ignored.
    h.telegram.send_text(&group, &ann, "anyone long here?");
    let asked = h.telegram.send_text(
        &group,
        &ann,
        "@tiltguard_bot how do I stop revenge trading?",
    );
    let done = h
        .telegram
        .wait_until(WAIT, |sim| {
            sim.bot_messages(group.id)
                .first()
                .is_some_and(|m| m.text == REPLY)
        })
        .await;
    assert!(
        done,
        "{:?}\n{:#?}",
        h.telegram.bot_messages(group.id),
        h.telegram.events_for(group.id)
    );
    let messages = h.telegram.bot_messages(group.id);
    assert_eq!(messages.len(), 1, "one message, edited in place");
    assert_eq!(messages[0].reply_to, Some(asked));
    assert!(messages[0].edits >= 1, "the reply grew by edits");
    let edits: Vec<_> = h
        .telegram
        .events_for(group.id)
        .into_iter()
        .filter(|e| e.kind == SimEventKind::Edit)
        .collect();
    // Paced: one chat gets a burst of two, then about one change a second, so no three
    // edits ever fall within a second; and never a flood in the group.
    for triple in edits.windows(3) {
        assert!(
            triple[2].at - triple[0].at >= Duration::from_millis(1000),
            "edits too close: {:?}",
            edits.iter().map(|e| e.at).collect::<Vec<_>>()
        );
    }
    assert_eq!(h.telegram.stats().status_429, 0);
    assert_eq!(
        llm.requests().len(),
        1,
        "only the mention reached the coach"
    );
    h.stop().await;
}

#[tokio::test]
async fn the_stop_button_and_slash_stop_cancel_the_model_and_keep_the_text() {
    let mut h = Harness::new().await;
    let llm = h.with_llm(slow(15.0)).await;
    let long = "Breathe in for four counts. ".repeat(60);
    llm.set_reply("primary", long.clone());
    h.start().await;
    let (ann, chat) = trader(4003, "Ann");
    h.telegram.send_text(&chat, &ann, "I want to go all in");
    assert!(h.wait_for_draft_longer_than(chat.id, 40).await);
    let (draft_id, _) = h.telegram.current_draft(chat.id).unwrap();
    h.telegram.press_stop(&chat, draft_id);
    let stopped = h.wait_for_bot_messages(chat.id, 1).await.remove(0);
    assert!(stopped.text.contains("Stopped"), "{}", stopped.text);
    assert!(stopped.text.len() < long.len());
    assert!(stopped.text.starts_with("Breathe in"));
    let cancelled = h
        .telegram
        .wait_until(WAIT, |_| llm.stats().cancelled_streams == 1)
        .await;
    assert!(cancelled, "the LLM request was dropped: {:?}", llm.stats());

    // The same with /stop.
    h.telegram.send_text(&chat, &ann, "again please");
    assert!(h.wait_for_draft_longer_than(chat.id, 40).await);
    h.telegram.send_text(&chat, &ann, "/stop");
    let replies = h.wait_for_bot_messages(chat.id, 2).await;
    assert!(replies[1].text.contains("Stopped"), "{}", replies[1].text);
    let cancelled = h
        .telegram
        .wait_until(WAIT, |_| llm.stats().cancelled_streams == 2)
        .await;
    assert!(cancelled, "{:?}", llm.stats());
    h.stop().await;
}

#[tokio::test]
async fn a_429_storm_delays_but_never_loses_the_final_text() {
    let mut h = Harness::new().await;
    let llm = h.with_llm(slow(30.0)).await;
    llm.set_reply("primary", REPLY);
    h.start().await;
    let (ann, chat) = trader(4004, "Ann");
    h.telegram.inject_flood(Some(chat.id), 2, 6);
    h.telegram.send_text(&chat, &ann, "talk me down");
    let done = h
        .telegram
        .wait_until(Duration::from_secs(30), |sim| {
            sim.bot_messages(chat.id)
                .first()
                .is_some_and(|m| m.text == REPLY)
        })
        .await;
    assert!(
        done,
        "final text lost: {:?}",
        h.telegram.bot_messages(chat.id)
    );
    assert!(h.telegram.stats().status_429 >= 1, "the storm happened");
    h.stop().await;
}

#[tokio::test]
async fn a_flood_wait_on_a_preview_holds_the_next_one_until_it_has_passed() {
    let mut h = Harness::new().await;
    let llm = h.with_llm(slow(10.0)).await;
    llm.set_reply("primary", REPLY);
    h.start().await;
    let (ann, chat) = trader(4010, "Ann");
    h.telegram.send_text(&chat, &ann, "one more trade?");
    let thinking = h
        .telegram
        .wait_until(WAIT, |sim| {
            sim.events_for(chat.id)
                .iter()
                .any(|e| e.kind == SimEventKind::Draft)
        })
        .await;
    assert!(thinking, "no 'Thinking…' draft");
    // The next preview is refused with a 2-second flood wait.
    h.telegram.inject_flood(Some(chat.id), 2, 1);
    let final_message = h.wait_for_bot_messages(chat.id, 1).await.remove(0);
    assert_eq!(final_message.text, REPLY);

    let events = h.telegram.events_for(chat.id);
    let refused = events
        .iter()
        .position(|e| matches!(e.kind, SimEventKind::Rejected { code: 429, .. }))
        .expect("a preview met the flood wait");
    let next = events[refused + 1..]
        .first()
        .expect("the reply went on after the flood wait");
    let held = next.at - events[refused].at;
    assert!(
        held >= Duration::from_millis(1950),
        "the chat was written to {held:?} after a 2 s flood wait"
    );
    assert_eq!(h.telegram.stats().status_429, 1, "no second 429");
    h.stop().await;
}

#[tokio::test]
async fn overlapping_messages_queue_and_never_interleave() {
    let mut h = Harness::new().await;
    let llm = h.with_llm(slow(40.0)).await;
    llm.push_reply("primary", "First answer, about sizing.");
    llm.push_reply("primary", "Second answer, about patience.");
    h.start().await;
    let (ann, chat) = trader(4005, "Ann");
    h.telegram.send_text(&chat, &ann, "question one");
    h.telegram.send_text(&chat, &ann, "question two");
    let replies = h.wait_for_bot_messages(chat.id, 2).await;
    assert_eq!(replies[0].text, "First answer, about sizing.");
    assert_eq!(replies[1].text, "Second answer, about patience.");
    // The second request was only made after the first reply was complete.
    let requests = llm.requests();
    assert_eq!(requests.len(), 2);
    let second = requests[1].json().unwrap();
    let history: Vec<_> = second["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        history.iter().any(|c| c == "First answer, about sizing."),
        "{history:?}"
    );
    h.stop().await;
}

#[tokio::test]
async fn provider_errors_become_short_kind_messages() {
    let mut h = Harness::new().await;
    let llm = h.with_llm(LlmSimConfig::default()).await;
    h.set("LLM_TEXT_MODELS", "primary");
    h.start().await;
    let (ann, chat) = trader(4006, "Ann");
    llm.fail_model("primary", LlmFailure::Status(402));
    h.telegram.send_text(&chat, &ann, "hello?");
    let reply = h.wait_for_bot_messages(chat.id, 1).await.remove(0);
    assert!(reply.text.contains("out of credits"), "{}", reply.text);
    llm.fail_model(
        "primary",
        LlmFailure::RateLimited {
            retry_after_secs: 1,
        },
    );
    h.telegram.send_text(&chat, &ann, "hello again?");
    let reply = h.wait_for_bot_messages(chat.id, 2).await.remove(1);
    assert!(reply.text.contains("busy"), "{}", reply.text);
    assert!(
        !reply.text.contains("429") && !reply.text.contains("error\":"),
        "no provider details: {}",
        reply.text
    );
    // Neither failed reply counts against the day's messages.
    let used = h
        .store()
        .await
        .used_today(ann.id, tiltguard::store::Counter::Messages)
        .await
        .unwrap();
    assert_eq!(used, 0);
    h.stop().await;
}

#[tokio::test]
async fn without_drafts_on_the_server_private_replies_stream_by_edits() {
    let mut h = Harness::new().await;
    let llm = h.with_llm(slow(20.0)).await;
    llm.set_reply("primary", REPLY);
    h.telegram.set_drafts_supported(false);
    h.start().await;
    let (ann, chat) = trader(4007, "Ann");
    h.telegram.send_text(&chat, &ann, "old server?");
    let done = h
        .telegram
        .wait_until(WAIT, |sim| {
            sim.bot_messages(chat.id)
                .first()
                .is_some_and(|m| m.text == REPLY)
        })
        .await;
    assert!(done, "{:?}", h.telegram.bot_messages(chat.id));
    let events = h.telegram.events_for(chat.id);
    assert!(
        events.iter().any(|e| e.kind == SimEventKind::ChatAction),
        "typing… while thinking"
    );
    assert!(
        events.iter().any(|e| e.kind == SimEventKind::Edit),
        "grew by edits"
    );
    assert_eq!(h.telegram.bot_messages(chat.id).len(), 1);
    h.stop().await;
}

#[tokio::test]
async fn a_reply_cut_at_the_token_limit_says_so_instead_of_ending_mid_thought() {
    let mut h = Harness::new().await;
    let llm = h.with_llm(LlmSimConfig::default()).await;
    llm.set_reply(
        "primary",
        "One two three four five six seven eight nine ten ".repeat(20),
    );
    h.set("LLM_MAX_TOKENS", "12");
    h.start().await;
    let (ann, chat) = trader(4008, "Ann");
    h.telegram.send_text(&chat, &ann, "tell me everything");
    let reply = h.wait_for_bot_messages(chat.id, 1).await.remove(0);
    assert!(reply.text.starts_with("One two three"), "{}", reply.text);
    assert!(reply.text.contains("go on"), "{}", reply.text);
    // Asked to go on, the model sees that its last answer was cut, not finished.
    h.telegram.send_text(&chat, &ann, "go on");
    h.wait_for_bot_messages(chat.id, 2).await;
    let request = llm.requests().pop().unwrap().json().unwrap();
    let cut_answer_shown = request["messages"].as_array().unwrap().iter().any(|m| {
        m["role"] == "assistant"
            && m["content"]
                .as_str()
                .is_some_and(|c| c.ends_with("[cut at the reply length limit]"))
    });
    assert!(cut_answer_shown, "{request:#}");
    h.stop().await;
}
