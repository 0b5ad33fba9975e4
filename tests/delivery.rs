//! The outbox on its own against the Telegram simulator: what it does when Telegram says no.

use std::time::{Duration, Instant};

use tiltguard::config::Secret;
use tiltguard::store::testing::fresh_sqlite;
use tiltguard::telegram::api::{BotApi, TextMode};
use tiltguard::telegram::delivery::{DeliveryError, OutMessage, Outbox};
use tiltguard::telegram::pacing::Budgets;
use tiltguard_sim::{SimChat, SimUser, TelegramSim, TelegramSimConfig};

async fn outbox() -> (TelegramSim, std::sync::Arc<Outbox>, tiltguard::store::Store) {
    outbox_with(
        TelegramSimConfig::default(),
        Budgets::telegram_defaults(4.0),
    )
    .await
}

async fn outbox_with(
    config: TelegramSimConfig,
    budgets: Budgets,
) -> (TelegramSim, std::sync::Arc<Outbox>, tiltguard::store::Store) {
    let sim = TelegramSim::start(config).await.unwrap();
    let api = BotApi::new(
        reqwest::Client::new(),
        &sim.api_url(),
        &Secret::new(sim.token()),
    );
    let store = fresh_sqlite().await;
    let outbox = Outbox::new(api, store.clone(), budgets);
    (sim, outbox, store)
}

fn chat(sim: &TelegramSim, id: i64) -> SimChat {
    let chat = SimChat::private(&SimUser::new(id, "Ann"));
    sim.add_chat(&chat);
    chat
}

#[tokio::test]
async fn html_telegram_refuses_is_resent_as_plain_text() {
    let (sim, outbox, _) = outbox().await;
    let chat = chat(&sim, 1);
    let id = outbox
        .send(
            chat.id,
            &OutMessage::html("<blink>Risk</blink> &amp; reward"),
        )
        .await
        .unwrap();
    let message = sim.message(chat.id, id).unwrap();
    assert_eq!(message.text, "Risk & reward");
    assert_eq!(
        sim.stats().status_400,
        1,
        "one refusal, then the plain resend"
    );
}

#[tokio::test]
async fn retry_after_is_honoured_and_the_message_still_lands() {
    let (sim, outbox, _) = outbox().await;
    let chat = chat(&sim, 2);
    sim.inject_flood(Some(chat.id), 2, 1);
    let started = Instant::now();
    let id = outbox
        .send(chat.id, &OutMessage::html("after the storm"))
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "waited retry_after"
    );
    assert_eq!(sim.message(chat.id, id).unwrap().text, "after the storm");
    assert_eq!(
        sim.stats().status_429,
        1,
        "no second 429: the penalty was respected"
    );
}

#[tokio::test]
async fn an_edit_that_changes_nothing_is_success_and_a_blocked_chat_is_remembered() {
    let (sim, outbox, store) = outbox().await;
    let chat = chat(&sim, 3);
    tiltguard::store::testing::message_in(&store, chat.id, "private", None).await;
    let message = OutMessage::html("<b>same</b>");
    let id = outbox.send(chat.id, &message).await.unwrap();
    outbox.edit(chat.id, id, &message).await.unwrap();
    sim.block_chat(chat.id);
    let blocked = outbox.send(chat.id, &OutMessage::html("hello?")).await;
    assert!(matches!(blocked, Err(DeliveryError::ChatGone)));
    assert!(store.chat(chat.id).await.unwrap().unwrap().blocked);
}

#[tokio::test]
async fn telegram_5xx_is_retried_with_backoff() {
    let (sim, outbox, _) = outbox().await;
    let chat = chat(&sim, 4);
    sim.fail_next(2, 502);
    let id = outbox
        .send(chat.id, &OutMessage::html("eventually"))
        .await
        .unwrap();
    assert_eq!(sim.message(chat.id, id).unwrap().text, "eventually");
}

#[tokio::test]
async fn sixty_messages_to_sixty_chats_stay_inside_the_bot_wide_limit() {
    let (sim, outbox, _) = outbox().await;
    let chats: Vec<_> = (100..160).map(|id| chat(&sim, id)).collect();
    let sends = chats.iter().map(|c| {
        let outbox = outbox.clone();
        let id = c.id;
        async move { outbox.send(id, &OutMessage::html("tick")).await }
    });
    let results = futures_util::future::join_all(sends).await;
    assert!(results.iter().all(Result::is_ok));
    assert_eq!(sim.stats().status_429, 0);
}

#[tokio::test]
async fn both_transports_read_telegram_the_same_way() {
    let sim = TelegramSim::start(TelegramSimConfig::default())
        .await
        .unwrap();
    let token = Secret::new(sim.token());
    let chat = chat(&sim, 7);
    let lean = BotApi::new(reqwest::Client::new(), &sim.api_url(), &token);
    let proxied = BotApi::through_reqwest(reqwest::Client::new(), &sim.api_url(), &token);
    for api in [lean, proxied] {
        let me = api.get_me().await.expect("getMe");
        assert_eq!(me.username.as_deref(), Some("tiltguard_bot"));
        let sent = api
            .send_message(chat.id, "<b>hi</b> &amp; bye", TextMode::Html, None, None)
            .await
            .expect("sent");
        let stored = sim.message(chat.id, sent.message_id).expect("stored");
        assert_eq!(stored.text, "hi & bye");
        let refused = api
            .send_message(chat.id, "<b>unclosed", TextMode::Html, None, None)
            .await
            .expect_err("bad HTML");
        assert!(refused.is_parse_error(), "{refused}");
        assert!(!refused.to_string().contains(&sim.token()));
    }
    assert_eq!(sim.bot_messages(chat.id).len(), 2);
}

/// After a burst of replies their final messages queue behind the bot-wide budget for longer
/// than Telegram keeps a draft. The draft is shown again meanwhile, so each trader's text
/// stays on screen until the message that replaces it.
#[tokio::test]
async fn a_final_that_waits_longer_than_a_draft_lives_keeps_its_draft_on_screen() {
    use tiltguard::telegram::pacing::Rate;
    use tiltguard::telegram::stream::{StreamHandle, StreamMode};
    use tiltguard_sim::SimEventKind;

    let draft_lifetime = Duration::from_secs(3);
    let config = TelegramSimConfig {
        draft_lifetime,
        ..TelegramSimConfig::default()
    };
    // One message per 2 s bot-wide: the last of three finals outwaits a draft's life.
    let budgets = Budgets {
        global: Rate::new(Duration::from_secs(2), 1),
        draft_kept_for: draft_lifetime,
        ..Budgets::telegram_defaults(4.0)
    };
    let (sim, outbox, _) = outbox_with(config, budgets).await;
    let chats: Vec<SimChat> = (0..3).map(|k| chat(&sim, 40 + k)).collect();

    let replies = chats.iter().map(|chat| {
        let stream = StreamHandle::start(outbox.clone(), chat.id, StreamMode::Draft, None);
        async move {
            stream.append("Size down after a loss streak.");
            stream.finish("Size down after a loss streak.").await
        }
    });
    let outcomes = futures_util::future::join_all(replies).await;

    let mut longest_wait = Duration::ZERO;
    for (chat, outcome) in chats.iter().zip(&outcomes) {
        assert!(outcome.delivered, "chat {}: final not delivered", chat.id);
        let events = sim.events_for(chat.id);
        let sent = events
            .iter()
            .find(|e| e.kind == SimEventKind::Send)
            .expect("the final message");
        assert_eq!(sent.text, "Size down after a loss streak.");
        let drafts: Vec<_> = events
            .iter()
            .filter(|e| e.kind == SimEventKind::Draft && e.text == sent.text)
            .map(|e| e.at)
            .collect();
        let first_full_draft = *drafts.first().expect("the final draft");
        longest_wait = longest_wait.max(sent.at - first_full_draft);
        // From the full draft until the message, no gap as long as a draft lives.
        let mut shown_at = drafts.into_iter().chain([sent.at]);
        let mut previous = shown_at.next().unwrap();
        for at in shown_at {
            assert!(
                at - previous < draft_lifetime,
                "chat {}: nothing on screen for {:?} before {at:?}",
                chat.id,
                at - previous
            );
            previous = at;
        }
    }
    assert!(
        longest_wait > draft_lifetime,
        "some final must outwait a draft's life (waited {longest_wait:?})"
    );
}
