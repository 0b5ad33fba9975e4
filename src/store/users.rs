//! Users (persona choice, ban flag) and chats (kind, blocked-by-user).

use sqlx::Row;

use super::{Script, Store, StoreError, now_unix};

// Each upsert is written once and put together below: alone, as SQLite's script, and as
// Postgres's one statement. The chat takes `$1..$4` (its `$4` is the time); the user of a
// message takes `$5..$8` and the same time.
macro_rules! upsert_chat {
    () => {
        "INSERT INTO chats (id, kind, title, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET kind = $2, title = $3, blocked_at = NULL"
    };
}

macro_rules! upsert_message_user {
    () => {
        "INSERT INTO users (id, first_name, username, language_code, created_at, last_seen_at)
         VALUES ($5, $6, $7, $8, $4, $4)
         ON CONFLICT (id) DO UPDATE SET first_name = $6, username = $7,
             language_code = $8, last_seen_at = $4
         RETURNING id, first_name, username, persona, is_banned"
    };
}

/// A message's chat and sender as SQLite's script (one round trip, one transaction).
const TOUCH_CHAT_AND_USER_SQLITE: &str = concat!(
    "BEGIN; ",
    upsert_chat!(),
    "; ",
    upsert_message_user!(),
    "; COMMIT;"
);

/// The same as one Postgres statement; writes in `WITH` run even when nothing reads them.
const TOUCH_CHAT_AND_USER_POSTGRES: &str = concat!(
    "WITH chat AS (",
    upsert_chat!(),
    ") ",
    upsert_message_user!()
);

// A coach message also takes a unit of the day's message quota, unless its sender is banned:
// from the allowance `$10` (free) or `$11` (premium, while a subscription runs) for the day
// `$9`.
macro_rules! consume_message_unit {
    () => {
        take_unit!(
            "messages",
            "$5",
            "$9",
            "$4",
            "$10",
            "$11",
            "NOT EXISTS (SELECT 1 FROM users WHERE id = $5 AND is_banned <> 0)"
        )
    };
}

/// A coach message's chat, sender and quota unit, then the newest turns of its conversation
/// (`$12` chat, `$13` user, at most `$14`), as SQLite statements without a transaction of
/// their own: a group of message starts repeats them once per message (see `message_start`).
/// They give the sender's row, the unit's row if one was taken, and the turns.
pub(super) const START_COACH_MESSAGE_SQLITE: &str = concat!(
    upsert_chat!(),
    "; ",
    upsert_message_user!(),
    "; ",
    consume_message_unit!(),
    "; ",
    window_select!("$12", "$13", "$14"),
    ";"
);

/// Statements in [`START_COACH_MESSAGE_SQLITE`], and parameters it takes.
pub(super) const START_COACH_MESSAGE_STATEMENTS: usize = 4;
pub(super) const START_COACH_MESSAGE_PARAMS: usize = 14;

/// A coach message's chat, sender and quota unit as one Postgres statement (the reply reads
/// the conversation itself). Its parts see the table as it was before it, so a ban is read
/// as stored (a message never changes it) and a new sender is not banned.
pub(super) const TOUCH_AND_CONSUME_POSTGRES: &str = concat!(
    "WITH chat AS (",
    upsert_chat!(),
    "), sender AS (",
    upsert_message_user!(),
    "), unit AS (",
    consume_message_unit!(),
    ") SELECT sender.*, (SELECT messages FROM unit) FROM sender"
);

/// A chat as a message shows it.
#[derive(Debug, Clone, Copy)]
pub struct SeenChat<'a> {
    pub id: i64,
    /// `private`, `group`, `supergroup` or `channel`.
    pub kind: &'a str,
    pub title: Option<&'a str>,
}

/// A message's sender as Telegram describes them.
#[derive(Debug, Clone, Copy)]
pub struct SeenUser<'a> {
    pub id: i64,
    pub first_name: &'a str,
    pub username: Option<&'a str>,
    pub language_code: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: i64,
    pub first_name: String,
    pub username: Option<String>,
    pub persona: Option<String>,
    pub is_banned: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRecord {
    pub id: i64,
    pub kind: String,
    pub title: Option<String>,
    pub blocked: bool,
}

impl Store {
    /// Records that a user was seen, refreshing their display name; returns their record.
    pub async fn touch_user(
        &self,
        id: i64,
        first_name: &str,
        username: Option<&str>,
        language_code: Option<&str>,
    ) -> Result<UserRecord, StoreError> {
        let now = now_unix();
        let row = sqlx::query(
            "INSERT INTO users (id, first_name, username, language_code, created_at, last_seen_at)
             VALUES ($1, $2, $3, $4, $5, $5)
             ON CONFLICT (id) DO UPDATE SET first_name = $2, username = $3,
                 language_code = $4, last_seen_at = $5
             RETURNING id, first_name, username, persona, is_banned",
        )
        .bind(id)
        .bind(first_name)
        .bind(username)
        .bind(language_code)
        .bind(now)
        .fetch_one(&mut *self.conn().await?)
        .await?;
        Ok(user_record(&row))
    }

    /// Records a message's chat and sender together (every message does both, so it is one
    /// round trip); returns the sender's record.
    pub async fn touch_chat_and_user(
        &self,
        chat: SeenChat<'_>,
        user: SeenUser<'_>,
    ) -> Result<UserRecord, StoreError> {
        let now = now_unix();
        let rows = self
            .run_script(
                TOUCH_CHAT_AND_USER_SQLITE,
                TOUCH_CHAT_AND_USER_POSTGRES,
                |query| bind_seen(query, chat, user, now),
            )
            .await?;
        let row = rows.first().ok_or(sqlx::Error::RowNotFound)?;
        Ok(user_record(row))
    }

    pub async fn user(&self, id: i64) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT id, first_name, username, persona, is_banned FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *self.conn().await?)
        .await?;
        Ok(row.as_ref().map(user_record))
    }

    /// Stores the persona choice; returns false when the user is unknown.
    pub async fn set_persona(&self, user_id: i64, persona: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE users SET persona = $1 WHERE id = $2")
            .bind(persona)
            .bind(user_id)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_banned(&self, user_id: i64, banned: bool) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE users SET is_banned = $1 WHERE id = $2")
            .bind(i64::from(banned))
            .bind(user_id)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Telegram said the user blocked the bot: stop writing to them, keep their data.
    pub async fn mark_chat_blocked(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE chats SET blocked_at = $1 WHERE id = $2")
            .bind(now_unix())
            .bind(id)
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    pub async fn chat(&self, id: i64) -> Result<Option<ChatRecord>, StoreError> {
        let row = sqlx::query("SELECT id, kind, title, blocked_at FROM chats WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.conn().await?)
            .await?;
        Ok(row.map(|row| ChatRecord {
            id: row.get(0),
            kind: row.get(1),
            title: row.get(2),
            blocked: row.get::<Option<i64>, _>(3).is_some(),
        }))
    }

    pub async fn count_users(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) FROM users")
            .fetch_one(&mut *self.conn().await?)
            .await?;
        Ok(row.get(0))
    }
}

/// Binds `$1..$8` of the upserts above: the chat, the time, the sender.
pub(super) fn bind_seen(query: Script, chat: SeenChat<'_>, user: SeenUser<'_>, now: i64) -> Script {
    query
        .bind(chat.id)
        .bind(chat.kind.to_owned())
        .bind(chat.title.map(str::to_owned))
        .bind(now)
        .bind(user.id)
        .bind(user.first_name.to_owned())
        .bind(user.username.map(str::to_owned))
        .bind(user.language_code.map(str::to_owned))
}

/// A `UserRecord` from `id, first_name, username, persona, is_banned`.
pub(super) fn user_record(row: &sqlx::any::AnyRow) -> UserRecord {
    UserRecord {
        id: row.get(0),
        first_name: row.get(1),
        username: row.get(2),
        persona: row.get(3),
        is_banned: row.get::<i64, _>(4) != 0,
    }
}

#[cfg(test)]
mod tests {
    use super::{SeenChat, SeenUser};
    use crate::store::testing::{each_store, message_in};
    use crate::store::{Allowance, Counter, Quota, Store, UserRecord};

    /// A coach message's first round trip, without the conversation read.
    async fn touch_and_consume_message(
        store: &Store,
        chat: SeenChat<'_>,
        user: SeenUser<'_>,
        allowance: Allowance,
    ) -> (UserRecord, Option<Quota>) {
        let start = store
            .start_coach_message(chat, user, allowance, None)
            .await
            .unwrap();
        (start.user, start.quota)
    }

    #[tokio::test]
    async fn a_message_records_its_chat_and_sender_together() {
        for (dialect, store) in each_store().await {
            let desk = SeenChat {
                id: -100,
                kind: "supergroup",
                title: Some("Desk"),
            };
            let ann = SeenUser {
                id: 42,
                first_name: "Ann",
                username: Some("ann"),
                language_code: Some("en"),
            };
            store.mark_chat_blocked(-100).await.unwrap();
            let user = store.touch_chat_and_user(desk, ann).await.unwrap();
            assert_eq!(
                (user.id, user.first_name.as_str()),
                (42, "Ann"),
                "{dialect}"
            );
            let chat = store.chat(-100).await.unwrap().expect("chat recorded");
            assert_eq!(chat.title.as_deref(), Some("Desk"), "{dialect}");
            assert_eq!(chat.kind, "supergroup", "{dialect}");

            // A second message refreshes both and keeps what the user chose.
            store.mark_chat_blocked(-100).await.unwrap();
            assert!(store.set_persona(42, "zen").await.unwrap());
            let renamed = SeenUser {
                first_name: "Annie",
                ..ann
            };
            let user = store.touch_chat_and_user(desk, renamed).await.unwrap();
            assert_eq!(user.first_name, "Annie", "{dialect}");
            assert_eq!(user.persona.as_deref(), Some("zen"), "{dialect}");
            assert!(
                !store.chat(-100).await.unwrap().unwrap().blocked,
                "{dialect}"
            );
            // The store stays usable: the script's transaction was committed.
            assert_eq!(store.count_users().await.unwrap(), 1, "{dialect}");
        }
    }

    #[tokio::test]
    async fn a_coach_message_records_its_sender_and_takes_a_unit_in_one_go() {
        for (dialect, store) in each_store().await {
            let desk = SeenChat {
                id: 77,
                kind: "private",
                title: None,
            };
            let ann = SeenUser {
                id: 77,
                first_name: "Ann",
                username: Some("ann"),
                language_code: None,
            };
            let two_a_day = Allowance {
                free: 2,
                premium: 5,
            };
            let (user, quota) = touch_and_consume_message(&store, desk, ann, two_a_day).await;
            assert_eq!(
                (user.id, user.first_name.as_str()),
                (77, "Ann"),
                "{dialect}"
            );
            assert_eq!(quota, Some(Quota::Allowed { used: 1 }), "{dialect}");
            assert_eq!(store.chat(77).await.unwrap().unwrap().kind, "private");
            let (_, quota) = touch_and_consume_message(&store, desk, ann, two_a_day).await;
            assert_eq!(quota, Some(Quota::Allowed { used: 2 }), "{dialect}");
            // The third is refused, and only the first refusal asks for a notice.
            for first_notice in [true, false] {
                let (_, quota) = touch_and_consume_message(&store, desk, ann, two_a_day).await;
                let refused = Quota::Exhausted {
                    first_notice,
                    limit: 2,
                };
                assert_eq!(quota, Some(refused), "{dialect}");
            }
            // Premium lifts the limit at once.
            store.grant_premium(77, 30).await.unwrap();
            let (_, quota) = touch_and_consume_message(&store, desk, ann, two_a_day).await;
            assert_eq!(quota, Some(Quota::Allowed { used: 3 }), "{dialect}");
            assert_eq!(store.used_today(77, Counter::Messages).await.unwrap(), 3);
        }
    }

    #[tokio::test]
    async fn a_banned_sender_is_recorded_but_takes_nothing() {
        for (dialect, store) in each_store().await {
            let chat = SeenChat {
                id: -5,
                kind: "group",
                title: Some("Desk"),
            };
            let bob = SeenUser {
                id: 9,
                first_name: "Bob",
                username: None,
                language_code: None,
            };
            store.touch_user(9, "Bob", None, None).await.unwrap();
            assert!(store.set_banned(9, true).await.unwrap());
            let allowance = Allowance {
                free: 30,
                premium: 300,
            };
            let (user, quota) = touch_and_consume_message(&store, chat, bob, allowance).await;
            assert!(user.is_banned, "{dialect}");
            assert_eq!(quota, None, "{dialect}");
            assert_eq!(store.used_today(9, Counter::Messages).await.unwrap(), 0);
            assert_eq!(
                store.chat(-5).await.unwrap().unwrap().title.as_deref(),
                Some("Desk")
            );
        }
    }

    #[tokio::test]
    async fn users_are_created_updated_and_keep_their_persona() {
        for (dialect, store) in each_store().await {
            let user = store
                .touch_user(42, "Ann", Some("ann"), Some("en"))
                .await
                .unwrap();
            assert_eq!(user.persona, None, "{dialect}");
            assert!(store.set_persona(42, "zen").await.unwrap());
            let user = store.touch_user(42, "Annie", None, None).await.unwrap();
            assert_eq!(user.first_name, "Annie", "{dialect}");
            assert_eq!(user.persona.as_deref(), Some("zen"), "{dialect}");
            assert!(!store.set_persona(999, "zen").await.unwrap(), "{dialect}");
            assert_eq!(store.count_users().await.unwrap(), 1, "{dialect}");
        }
    }

    #[tokio::test]
    async fn blocked_chats_are_remembered_until_the_user_writes_again() {
        for (dialect, store) in each_store().await {
            message_in(&store, -100, "group", Some("Desk")).await;
            store.mark_chat_blocked(-100).await.unwrap();
            assert!(
                store.chat(-100).await.unwrap().unwrap().blocked,
                "{dialect}"
            );
            message_in(&store, -100, "group", Some("Desk")).await;
            assert!(
                !store.chat(-100).await.unwrap().unwrap().blocked,
                "{dialect}"
            );
        }
    }
}
