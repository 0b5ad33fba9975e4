//! Conversation memory: turns, sessions and the rolling summary.

use sqlx::Connection;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Store, StoreError, now_unix};

/// Who a conversation belongs to: a user in a private chat, or a whole group (`user_id` 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConversationKey {
    pub chat_id: i64,
    pub user_id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub id: i64,
    pub role: String,
    pub content: String,
    /// The Telegram message this turn's exchange answered, where there was one.
    pub message_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationState {
    pub session_started_at: i64,
    pub last_activity_at: i64,
    pub summary: String,
    pub summarized_through: i64,
    pub session_from_turn: i64,
}

/// A conversation and the newest turns of its session, oldest first; `None` when the chat
/// has no conversation yet.
pub type ConversationWindow = Option<(ConversationState, Vec<Turn>)>;

impl Store {
    pub async fn conversation(
        &self,
        key: ConversationKey,
    ) -> Result<Option<ConversationState>, StoreError> {
        let row = sqlx::query(
            "SELECT session_started_at, last_activity_at, summary, summarized_through,
                    session_from_turn
             FROM conversations WHERE chat_id = $1 AND user_id = $2",
        )
        .bind(key.chat_id)
        .bind(key.user_id)
        .fetch_optional(&mut *self.conn().await?)
        .await?;
        Ok(row.as_ref().map(state_from_row))
    }

    /// The conversation and the newest `limit` turns of its current session, oldest first,
    /// in one round trip: every reply starts with this read (unless the message's first
    /// round trip brought it along, see [`Store::start_coach_message`]).
    pub async fn conversation_with_window(
        &self,
        key: ConversationKey,
        limit: i64,
    ) -> Result<ConversationWindow, StoreError> {
        let rows = sqlx::query(window_select!("$1", "$2", "$3"))
            .bind(key.chat_id)
            .bind(key.user_id)
            .bind(limit)
            .fetch_all(&mut *self.conn().await?)
            .await?;
        Ok(window_from_rows(&rows))
    }

    /// Appends a turn and refreshes the conversation's activity time; returns the turn id.
    pub async fn append_turn(
        &self,
        key: ConversationKey,
        role: &str,
        content: &str,
    ) -> Result<i64, StoreError> {
        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        let id = insert_turn(&mut tx, key, role, content).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Turns not yet folded into the summary and older than `before_turn`, oldest first.
    pub async fn unsummarized_turns(
        &self,
        key: ConversationKey,
        before_turn: i64,
    ) -> Result<Vec<Turn>, StoreError> {
        let state = self.conversation(key).await?;
        let after = state.map_or(0, |s| s.summarized_through);
        let rows = sqlx::query(
            "SELECT id, role, content, message_id FROM turns
             WHERE chat_id = $1 AND user_id = $2 AND id > $3 AND id < $4 ORDER BY id",
        )
        .bind(key.chat_id)
        .bind(key.user_id)
        .bind(after)
        .bind(before_turn)
        .fetch_all(&mut *self.conn().await?)
        .await?;
        Ok(rows
            .into_iter()
            .map(|row| Turn {
                id: row.get(0),
                role: row.get(1),
                content: row.get(2),
                message_id: row.get(3),
            })
            .collect())
    }

    /// Starts a new session: turns from now on form the visible window.
    pub async fn start_new_session(&self, key: ConversationKey) -> Result<i64, StoreError> {
        let now = now_unix();
        let next_turn: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM turns")
            .fetch_one(&mut *self.conn().await?)
            .await?
            .get(0);
        sqlx::query(
            "INSERT INTO conversations (chat_id, user_id, session_started_at, last_activity_at,
                                        session_from_turn)
             VALUES ($1, $2, $3, $3, $4)
             ON CONFLICT (chat_id, user_id) DO UPDATE
                 SET session_started_at = $3, last_activity_at = $3, session_from_turn = $4",
        )
        .bind(key.chat_id)
        .bind(key.user_id)
        .bind(now)
        .bind(next_turn)
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(next_turn)
    }

    /// Stores a new rolling summary covering every turn up to `through_turn`. A summary
    /// computed from older turns never overwrites a newer one.
    pub async fn save_summary(
        &self,
        key: ConversationKey,
        summary: &str,
        through_turn: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE conversations SET summary = $1, summarized_through = $2
             WHERE chat_id = $3 AND user_id = $4 AND summarized_through < $2",
        )
        .bind(summary)
        .bind(through_turn)
        .bind(key.chat_id)
        .bind(key.user_id)
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

/// The rows of [`window_select!`] as a window: the newest turns come first and are put in
/// order, and a conversation without turns in its session is one row of NULL turns.
pub(super) fn window_from_rows(rows: &[AnyRow]) -> ConversationWindow {
    let first = rows.first()?;
    let state = state_from_row(first);
    let mut turns: Vec<Turn> = rows
        .iter()
        .filter_map(|row| {
            let id: Option<i64> = row.get(5);
            Some(Turn {
                id: id?,
                role: row.get(6),
                content: row.get(7),
                message_id: row.get(8),
            })
        })
        .collect();
    turns.reverse();
    Some((state, turns))
}

/// A conversation's columns, selected first and in this order.
fn state_from_row(row: &AnyRow) -> ConversationState {
    ConversationState {
        session_started_at: row.get(0),
        last_activity_at: row.get(1),
        summary: row.get(2),
        summarized_through: row.get(3),
        session_from_turn: row.get(4),
    }
}

/// Creates the conversation row on its first turn, and marks it active.
async fn touch_conversation(
    conn: &mut sqlx::AnyConnection,
    key: ConversationKey,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO conversations (chat_id, user_id, session_started_at, last_activity_at)
         VALUES ($1, $2, $3, $3)
         ON CONFLICT (chat_id, user_id) DO UPDATE SET last_activity_at = $3",
    )
    .bind(key.chat_id)
    .bind(key.user_id)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Refreshes the conversation's activity time and appends a turn; returns its id.
async fn insert_turn(
    conn: &mut sqlx::AnyConnection,
    key: ConversationKey,
    role: &str,
    content: &str,
) -> Result<i64, StoreError> {
    let now = now_unix();
    touch_conversation(conn, key, now).await?;
    let row = sqlx::query(
        "INSERT INTO turns (chat_id, user_id, role, content, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(key.chat_id)
    .bind(key.user_id)
    .bind(role)
    .bind(content)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get(0))
}

#[cfg(test)]
#[path = "conversations_tests.rs"]
mod tests;
