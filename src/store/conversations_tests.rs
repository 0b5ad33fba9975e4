//! The conversation store against both dialects.

use super::*;
use crate::store::testing::each_store;
use crate::store::{Allowance, LedgerEntry, Quota, SeenChat, SeenUser};

const ANN: ConversationKey = ConversationKey {
    chat_id: 42,
    user_id: 42,
};

/// The turns a reply would see: the current session's newest, oldest first.
async fn session_window(store: &Store, limit: i64) -> Vec<Turn> {
    store
        .conversation_with_window(ANN, limit)
        .await
        .unwrap()
        .map(|(_, turns)| turns)
        .unwrap_or_default()
}

/// Ann says `text` and the coach answers "What was the plan?"; returns her turn's id.
async fn ann_asks(store: &Store, text: &str) -> i64 {
    let asked = store.append_turn(ANN, "user", text).await.unwrap();
    store
        .append_turn(ANN, "assistant", "What was the plan?")
        .await
        .unwrap();
    asked
}

#[tokio::test]
async fn turns_sessions_and_summaries_round_trip() {
    for (dialect, store) in each_store().await {
        assert!(store.conversation(ANN).await.unwrap().is_none());
        let first = ann_asks(&store, "I lost 3R today").await;
        let session = store.start_new_session(ANN).await.unwrap();
        let third = store.append_turn(ANN, "user", "new day").await.unwrap();
        assert!(third >= session, "{dialect}");
        let window = session_window(&store, 10).await;
        assert_eq!(window.len(), 1, "{dialect}");
        assert_eq!(window[0].content, "new day");
        let old = store.unsummarized_turns(ANN, session).await.unwrap();
        assert_eq!(old.len(), 2, "{dialect}");
        assert_eq!(old[0].id, first);
        assert!(
            store
                .save_summary(ANN, "Lost 3R.", old[1].id)
                .await
                .unwrap()
        );
        assert!(
            !store.save_summary(ANN, "stale", first).await.unwrap(),
            "{dialect}"
        );
        let state = store.conversation(ANN).await.unwrap().unwrap();
        assert_eq!(state.summary, "Lost 3R.");
        assert!(
            store
                .unsummarized_turns(ANN, session)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn an_exchange_is_stored_with_its_cost_in_one_go() {
    for (dialect, store) in each_store().await {
        let cost = LedgerEntry {
            user_id: 42,
            chat_id: 42,
            model: "m".into(),
            kind: "text",
            prompt_tokens: 10,
            completion_tokens: 5,
            cost_micros: 7,
        };
        store
            .record_exchange(ANN, Some(77), "hi", "hello", &cost)
            .await
            .unwrap();
        let turns = session_window(&store, 10).await;
        let roles: Vec<_> = turns.iter().map(|t| t.role.as_str()).collect();
        assert_eq!(roles, vec!["user", "assistant"], "{dialect}");
        let answered: Vec<_> = turns.iter().map(|t| t.message_id).collect();
        assert_eq!(answered, [Some(77), Some(77)], "{dialect}");
        let day = crate::store::utc_day(now_unix());
        let totals = store.usage_totals(42, day, day).await.unwrap();
        assert_eq!((totals.replies, totals.cost_micros), (1, 7), "{dialect}");
    }
}

#[tokio::test]
async fn a_failed_exchange_stores_nothing_and_leaves_the_store_usable() {
    for (dialect, store) in each_store().await {
        // The ledger write, the last of the three, fails.
        hide_the_ledger(&store).await;
        assert!(
            store
                .record_exchange(ANN, None, "hi", "hello", &cost_of(42))
                .await
                .is_err(),
            "{dialect}"
        );
        assert!(
            store.conversation(ANN).await.unwrap().is_none(),
            "{dialect}"
        );
        // No connection was left inside the failed transaction: every pooled one can
        // write (an open SQLite write transaction would block the others).
        for i in 0..8 {
            store
                .append_turn(ANN, "user", &format!("m{i}"))
                .await
                .unwrap_or_else(|e| panic!("{dialect}: write {i} after the failure: {e}"));
        }
        let turns = session_window(&store, 20).await;
        assert_eq!(turns.len(), 8, "{dialect}: only the later turns are stored");
    }
}

#[tokio::test]
async fn the_conversation_comes_with_its_current_session_only() {
    for (dialect, store) in each_store().await {
        assert!(
            store
                .conversation_with_window(ANN, 10)
                .await
                .unwrap()
                .is_none(),
            "{dialect}"
        );
        store.append_turn(ANN, "user", "old").await.unwrap();
        store.start_new_session(ANN).await.unwrap();
        let (state, turns) = store
            .conversation_with_window(ANN, 10)
            .await
            .unwrap()
            .unwrap();
        assert!(turns.is_empty(), "{dialect}: a fresh session has no turns");
        assert_eq!(
            Some(state),
            store.conversation(ANN).await.unwrap(),
            "{dialect}"
        );
        for i in 0..4 {
            store
                .append_turn(ANN, "user", &format!("m{i}"))
                .await
                .unwrap();
        }
        let (_, turns) = store
            .conversation_with_window(ANN, 3)
            .await
            .unwrap()
            .unwrap();
        let texts: Vec<_> = turns.iter().map(|t| t.content.as_str()).collect();
        assert_eq!(texts, vec!["m1", "m2", "m3"], "{dialect}");
    }
}

#[tokio::test]
async fn the_window_keeps_the_newest_turns_in_order() {
    for (dialect, store) in each_store().await {
        for i in 0..5 {
            store
                .append_turn(ANN, "user", &format!("m{i}"))
                .await
                .unwrap();
        }
        let window = session_window(&store, 2).await;
        let texts: Vec<_> = window.iter().map(|t| t.content.as_str()).collect();
        assert_eq!(texts, vec!["m3", "m4"], "{dialect}");
    }
}

/// Makes every ledger write fail (the last statement of an exchange).
async fn hide_the_ledger(store: &Store) {
    sqlx::query("ALTER TABLE llm_ledger RENAME TO ledger_elsewhere")
        .execute(&mut *store.conn().await.unwrap())
        .await
        .unwrap();
}

fn cost_of(user_id: i64) -> LedgerEntry {
    LedgerEntry {
        user_id,
        chat_id: user_id,
        model: "m".into(),
        kind: "text",
        prompt_tokens: 3,
        completion_tokens: 2,
        cost_micros: 1,
    }
}

#[tokio::test]
async fn replies_that_end_together_each_keep_their_own_exchange() {
    for (dialect, store) in each_store().await {
        let writes = (1..=40).map(|id| {
            let store = store.clone();
            async move {
                let key = ConversationKey {
                    chat_id: id,
                    user_id: id,
                };
                let answer = format!("answer {id}");
                store
                    .record_exchange(
                        key,
                        Some(id),
                        &format!("question {id}"),
                        &answer,
                        &cost_of(id),
                    )
                    .await
            }
        });
        for result in futures_util::future::join_all(writes).await {
            result.unwrap_or_else(|e| panic!("{dialect}: {e}"));
        }
        for id in [1, 17, 40] {
            let key = ConversationKey {
                chat_id: id,
                user_id: id,
            };
            let (_, turns) = store
                .conversation_with_window(key, 10)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("{dialect}: no conversation {id}"));
            let texts: Vec<_> = turns.iter().map(|t| t.content.as_str()).collect();
            assert_eq!(
                texts,
                [format!("question {id}"), format!("answer {id}")],
                "{dialect}"
            );
            let answered: Vec<_> = turns.iter().map(|t| t.message_id).collect();
            assert_eq!(answered, [Some(id), Some(id)], "{dialect}");
            let day = crate::store::utc_day(now_unix());
            let totals = store.usage_totals(id, day, day).await.unwrap();
            assert_eq!(totals.replies, 1, "{dialect}: ledger of {id}");
        }
    }
}

#[tokio::test]
async fn a_failed_group_of_exchanges_fails_each_and_stores_nothing() {
    for (dialect, store) in each_store().await {
        hide_the_ledger(&store).await;
        let writes = (1..=3).map(|id| {
            let store = store.clone();
            async move {
                let key = ConversationKey {
                    chat_id: id,
                    user_id: id,
                };
                store
                    .record_exchange(key, None, "q", "a", &cost_of(id))
                    .await
            }
        });
        let results = futures_util::future::join_all(writes).await;
        assert!(results.iter().all(Result::is_err), "{dialect}: {results:?}");
        let key = ConversationKey {
            chat_id: 2,
            user_id: 2,
        };
        assert!(
            store.conversation(key).await.unwrap().is_none(),
            "{dialect}"
        );
        store
            .append_turn(key, "user", "still writable")
            .await
            .unwrap_or_else(|e| panic!("{dialect}: {e}"));
    }
}

#[tokio::test]
async fn a_coach_message_s_first_round_trip_can_bring_the_conversation_along() {
    let chat = SeenChat {
        id: ANN.chat_id,
        kind: "private",
        title: None,
    };
    let ann = SeenUser {
        id: ANN.user_id,
        first_name: "Ann",
        username: None,
        language_code: None,
    };
    let allowance = Allowance {
        free: 30,
        premium: 300,
    };
    for (dialect, store) in each_store().await {
        let first = store
            .start_coach_message(chat, ann, allowance, Some((ANN, 10)))
            .await
            .unwrap();
        assert_eq!(first.user.first_name, "Ann", "{dialect}");
        assert!(
            matches!(first.quota, Some(Quota::Allowed { used: 1 })),
            "{dialect}"
        );
        if dialect == "sqlite" {
            assert!(matches!(first.window, Some(None)), "no conversation yet");
        } else {
            assert!(
                first.window.is_none(),
                "Postgres leaves the read to the reply"
            );
        }

        ann_asks(&store, "sized up after a loss").await;
        let second = store
            .start_coach_message(chat, ann, allowance, Some((ANN, 10)))
            .await
            .unwrap();
        assert!(
            matches!(second.quota, Some(Quota::Allowed { used: 2 })),
            "{dialect}"
        );
        let read_apart = store.conversation_with_window(ANN, 10).await.unwrap();
        match second.window {
            Some(window) => {
                let (_, turns) = window.expect("the conversation exists");
                let (_, apart) = read_apart.expect("the conversation exists");
                assert_eq!(turns, apart, "the same turns as a read of its own");
                assert_eq!(turns.len(), 2);
                assert_eq!(turns[0].content, "sized up after a loss");
            }
            None => assert_eq!(dialect, "postgres"),
        }
        let unread = store
            .start_coach_message(chat, ann, allowance, None)
            .await
            .unwrap();
        assert!(unread.window.is_none(), "{dialect}");
    }
}

/// Thirteen messages that start at once run on SQLite as groups of 8, 4 and 1; each still
/// gets its own sender, quota count and conversation, and a banned sender takes nothing.
#[tokio::test]
async fn messages_that_start_together_each_get_their_own_rows() {
    let allowance = Allowance {
        free: 30,
        premium: 300,
    };
    let names: Vec<String> = (1..=12).map(|id| format!("Trader {id}")).collect();
    let private = |id: i64| ConversationKey {
        chat_id: id,
        user_id: id,
    };
    for (dialect, store) in each_store().await {
        for id in 1..=12 {
            let said = format!("what trader {id} said");
            store.append_turn(private(id), "user", &said).await.unwrap();
        }
        store.touch_user(5, "Trader 5", None, None).await.unwrap();
        assert!(store.set_banned(5, true).await.unwrap());
        // Every third message does not ask for its conversation.
        let reads = |id: i64| (id % 3 != 0).then_some((private(id), 10));
        let start = |chat: SeenChat<'static>, id: i64, read| {
            let user = SeenUser {
                id,
                first_name: &names[id as usize - 1],
                username: None,
                language_code: None,
            };
            store.start_coach_message(chat, user, allowance, read)
        };
        let desk = SeenChat {
            id: -100,
            kind: "supergroup",
            title: Some("Desk"),
        };
        let starts = (1..=12)
            .map(|id| {
                let chat = SeenChat {
                    id,
                    kind: "private",
                    title: None,
                };
                start(chat, id, reads(id))
            })
            .chain(std::iter::once(start(desk, 1, None)));
        let started = futures_util::future::join_all(starts).await;

        for (index, result) in started.into_iter().enumerate() {
            let message = result.unwrap_or_else(|e| panic!("{dialect} message {index}: {e}"));
            let id = (index % 12) as i64 + 1;
            assert_eq!(message.user.first_name, names[id as usize - 1], "{dialect}");
            match message.quota {
                None => assert_eq!(id, 5, "{dialect}: only the banned sender takes nothing"),
                Some(Quota::Allowed { used }) => {
                    let expected = if index == 12 { 2 } else { 1 };
                    assert_eq!(used, expected, "{dialect}: trader {id}'s count");
                }
                Some(other) => panic!("{dialect}: trader {id} refused: {other:?}"),
            }
            match message.window {
                None => assert!(
                    dialect == "postgres" || reads(id).is_none() || index == 12,
                    "{dialect}: trader {id} asked for the conversation"
                ),
                Some(window) => {
                    assert!(reads(id).is_some() && index < 12, "{dialect}: {id} read");
                    let (_, turns) = window.expect("the conversation exists");
                    assert_eq!(turns.len(), 1, "{dialect}");
                    assert_eq!(turns[0].content, format!("what trader {id} said"));
                }
            }
        }
    }
}
