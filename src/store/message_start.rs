//! The round trip that starts every coach text message: its chat and sender recorded, a unit
//! of the day's quota taken and, when the caller asks, the conversation's recent turns read
//! in the same SQLite script.
//!
//! Each statement sent to SQLite is a hand-off to its worker thread and back. At 250
//! concurrent messages, dropping the separate read of the conversation cut the bot's context
//! switches by about five per reply and its CPU by about a tenth, so the read rides along
//! with the writes. The caller asks only when no reply in the chat can write to the
//! conversation before this message's reply starts (it holds the chat's turn).

use sqlx::Row;

use super::conversations::window_from_rows;
use super::users::{
    TOUCH_AND_CONSUME_POSTGRES, TOUCH_AND_CONSUME_SQLITE, TOUCH_CONSUME_AND_READ_SQLITE, bind_seen,
    user_record,
};
use super::{
    Allowance, ConversationKey, ConversationWindow, Counter, Dialect, Quota, Script, SeenChat,
    SeenUser, Store, StoreError, UserRecord, now_unix, utc_day,
};

/// What the start of a coach message found.
#[derive(Debug)]
pub struct CoachMessageStart {
    pub user: UserRecord,
    /// `None` for a banned sender, whose message takes nothing.
    pub quota: Option<Quota>,
    /// The conversation, when it was asked for and read in the same round trip (on SQLite;
    /// on Postgres the reply reads it itself).
    pub window: Option<ConversationWindow>,
}

impl Store {
    /// Records a coach message's chat and sender and, unless the sender is banned, takes one
    /// unit of the day's message quota; with `read`, also the newest turns of that
    /// conversation (at most `limit`).
    pub async fn start_coach_message(
        &self,
        chat: SeenChat<'_>,
        user: SeenUser<'_>,
        allowance: Allowance,
        read: Option<(ConversationKey, i64)>,
    ) -> Result<CoachMessageStart, StoreError> {
        let now = now_unix();
        let bind = |query: Script| {
            bind_seen(query, chat, user, now)
                .bind(utc_day(now))
                .bind(allowance.free)
                .bind(allowance.premium)
        };
        let (rows, window) = match read {
            Some((key, limit)) if self.dialect == Dialect::Sqlite => {
                let script = bind(sqlx::query(TOUCH_CONSUME_AND_READ_SQLITE))
                    .bind(key.chat_id)
                    .bind(key.user_id)
                    .bind(limit);
                let mut statements = self.run_sqlite_script(script).await?;
                let window = statements.pop().unwrap_or_default();
                let rows: Vec<_> = statements.into_iter().flatten().collect();
                (rows, Some(window_from_rows(&window)))
            }
            _ => {
                let rows = self
                    .run_script(TOUCH_AND_CONSUME_SQLITE, TOUCH_AND_CONSUME_POSTGRES, bind)
                    .await?;
                (rows, None)
            }
        };
        let sender = rows.first().ok_or(sqlx::Error::RowNotFound)?;
        let record = user_record(sender);
        if record.is_banned {
            return Ok(CoachMessageStart {
                user: record,
                quota: None,
                window,
            });
        }
        // SQLite returns the unit as a row of its own, Postgres as the sender row's last column.
        let used: Option<i64> = match rows.get(1) {
            Some(unit) => Some(unit.get(0)),
            None if sender.len() > 5 => sender.get(5),
            None => None,
        };
        let quota = match used {
            Some(used) => Quota::Allowed { used },
            None => {
                self.quota_exhausted(user.id, Counter::Messages, allowance, now)
                    .await?
            }
        };
        Ok(CoachMessageStart {
            user: record,
            quota: Some(quota),
            window,
        })
    }
}
