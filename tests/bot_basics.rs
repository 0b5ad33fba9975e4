//! The foundation, end to end: the real bot against the Telegram simulator.

mod support;

use std::time::{Duration, Instant};

use support::{Harness, WAIT, trader};
use tiltguard_sim::{SimChat, SimUser};

#[tokio::test]
async fn start_welcomes_and_offers_the_eight_coaches() {
    let mut h = Harness::new().await;
    h.start().await;
    let (ann, chat) = trader(1001, "Ann");
    h.telegram.send_text(&chat, &ann, "/start");
    let replies = h.wait_for_bot_messages(chat.id, 1).await;
    let welcome = &replies[0];
    assert!(
        welcome.text.contains("Welcome to tiltguard, Ann"),
        "{}",
        welcome.text
    );
    assert!(welcome.text.contains("not financial advice"));
    let keyboard = welcome.reply_markup.as_ref().expect("persona keyboard");
    let buttons: Vec<_> = keyboard["inline_keyboard"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| row.as_array().unwrap().clone())
        .collect();
    assert_eq!(buttons.len(), 8);
    assert!(
        buttons
            .iter()
            .all(|b| b["callback_data"].as_str().unwrap().starts_with("persona:"))
    );
    let menu: Vec<_> = h.telegram.commands().into_iter().map(|(c, _)| c).collect();
    assert!(menu.contains(&"start".to_string()) && menu.contains(&"help".to_string()));
    h.stop().await;
}

#[tokio::test]
async fn help_lists_every_command_with_a_line_each() {
    let mut h = Harness::new().await;
    h.start().await;
    let (bob, chat) = trader(1002, "Bob");
    h.telegram.send_text(&chat, &bob, "/help");
    let reply = &h.wait_for_bot_messages(chat.id, 1).await[0];
    for (command, _) in h.telegram.commands() {
        assert!(
            reply.text.contains(&format!("/{command} — ")),
            "{command} missing: {}",
            reply.text
        );
    }
    h.stop().await;
}

#[tokio::test]
async fn picking_a_persona_stores_it_answers_the_tap_and_confirms_in_place() {
    let mut h = Harness::new().await;
    h.start().await;
    let (cat, chat) = trader(1003, "Cat");
    h.telegram.send_text(&chat, &cat, "/persona");
    let picker = h.wait_for_bot_messages(chat.id, 1).await.remove(0);
    assert!(picker.text.contains("Choose your coach"));
    let callback = h
        .telegram
        .press_button(&chat, &cat, picker.message_id, "persona:zen");
    let confirmed = h
        .telegram
        .wait_until(WAIT, |sim| {
            sim.message(chat.id, picker.message_id)
                .is_some_and(|m| m.text.contains("is your coach now"))
        })
        .await;
    assert!(
        confirmed,
        "picker not edited: {:?}",
        h.telegram.message(chat.id, picker.message_id)
    );
    let answers = h.telegram.callback_answers();
    let answer = answers
        .iter()
        .find(|(id, _)| *id == callback)
        .expect("callback answered");
    assert!(answer.1.as_deref().unwrap_or_default().contains("Zen"));
    let edited = h.telegram.message(chat.id, picker.message_id).unwrap();
    assert!(edited.text.contains("Zen"), "{}", edited.text);
    // The choice survives: /start now names it as the current coach.
    h.telegram.send_text(&chat, &cat, "/start");
    let welcome = h.wait_for_bot_messages(chat.id, 2).await.remove(1);
    assert!(welcome.text.contains("Zen"), "{}", welcome.text);
    h.stop().await;
}

#[tokio::test]
async fn an_unknown_command_gets_a_hint_towards_help() {
    let mut h = Harness::new().await;
    h.start().await;
    let (dan, chat) = trader(1004, "Dan");
    h.telegram.send_text(&chat, &dan, "/moon");
    let reply = &h.wait_for_bot_messages(chat.id, 1).await[0];
    assert!(
        reply.text.contains("/moon") && reply.text.contains("/help"),
        "{}",
        reply.text
    );
    h.stop().await;
}

#[tokio::test]
async fn a_restarted_bot_never_answers_the_same_update_twice() {
    let mut h = Harness::new().await;
    h.start().await;
    let (eve, chat) = trader(1005, "Eve");
    // The bot handles /help but dies before its confirmation reaches Telegram, so the
    // restarted bot is handed the same update again.
    h.telegram.set_confirmations_lost(true);
    h.telegram.send_text(&chat, &eve, "/help");
    h.wait_for_bot_messages(chat.id, 1).await;
    h.crash();
    h.telegram.set_confirmations_lost(false);
    assert_eq!(
        h.telegram.pending_updates(),
        1,
        "Telegram still holds /help"
    );
    h.start().await;
    h.telegram.send_text(&chat, &eve, "/moon");
    let replies = h.wait_for_bot_messages(chat.id, 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let replies_after = h.telegram.bot_messages(chat.id);
    assert_eq!(
        replies_after.len(),
        2,
        "{:#?}",
        replies_after.iter().map(|m| &m.text).collect::<Vec<_>>()
    );
    assert!(replies[0].text.contains("What I can do"));
    assert!(replies[1].text.contains("/moon"));
    h.stop().await;
}

#[tokio::test]
async fn graceful_stop_confirms_every_handled_update() {
    let mut h = Harness::new().await;
    h.start().await;
    let (fay, chat) = trader(1006, "Fay");
    for _ in 0..3 {
        h.telegram.send_text(&chat, &fay, "/help");
    }
    h.wait_for_bot_messages(chat.id, 3).await;
    h.stop().await;
    assert_eq!(h.telegram.pending_updates(), 0);
    assert!(
        h.telegram.confirmed_offset() >= 4,
        "offset {}",
        h.telegram.confirmed_offset()
    );
}

#[tokio::test]
async fn a_chat_flooding_commands_does_not_delay_another_chat() {
    let mut h = Harness::new().await;
    h.start().await;
    let (noisy, noisy_chat) = trader(1007, "Noisy");
    let (calm, calm_chat) = trader(1008, "Calm");
    for _ in 0..20 {
        h.telegram.send_text(&noisy_chat, &noisy, "/help");
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let asked = Instant::now();
    h.telegram.send_text(&calm_chat, &calm, "/help");
    h.wait_for_bot_messages(calm_chat.id, 1).await;
    let calm_latency = asked.elapsed();
    // The noisy chat is paced at ~1 message/s, so it is still far from done.
    let noisy_done = h.telegram.bot_messages(noisy_chat.id).len();
    assert!(
        calm_latency < Duration::from_secs(2),
        "calm chat waited {calm_latency:?}"
    );
    assert!(noisy_done < 20, "noisy chat finished {noisy_done} already");
    assert_eq!(
        h.telegram.stats().status_429,
        0,
        "the outbox must pace, not collide"
    );
    h.crash();
}

#[tokio::test]
async fn a_bare_mention_in_a_group_is_answered_without_asking_the_coach() {
    let mut h = Harness::new().await;
    h.start().await;
    let ann = SimUser::new(1010, "Ann");
    let group = SimChat::group(-1010, "Prop desk");
    h.telegram.send_text(&group, &ann, "@tiltguard_bot");
    let reply = &h.wait_for_bot_messages(group.id, 1).await[0];
    assert_eq!(reply.text, "I'm listening. What's on your mind?");
    h.stop().await;
}
