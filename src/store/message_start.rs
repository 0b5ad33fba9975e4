//! The round trip that starts every coach text message: its chat and sender recorded, a unit
//! of the day's quota taken and, when the caller asks, the conversation's recent turns read
//! along.
//!
//! Each script sent to SQLite is a hand-off to its worker thread and back, and each
//! transaction a WAL commit. At 250 concurrent messages, dropping the separate read of the
//! conversation cut the bot's context switches by about five per reply and its CPU by about
//! a tenth, so the read rides along with the writes. The caller asks only when no reply in
//! the chat can write to the conversation before this message's reply starts (it holds the
//! chat's turn). Messages that arrive together then share one script and one transaction
//! (see `group`); a group's size is a power of two, so its script takes one of four shapes,
//! each prepared once.

use std::sync::OnceLock;

use sqlx::Row;
use sqlx::any::AnyRow;

use super::conversations::window_from_rows;
use super::group::{GroupJob, shift_placeholders};
use super::users::{
    START_COACH_MESSAGE_PARAMS, START_COACH_MESSAGE_SQLITE, START_COACH_MESSAGE_STATEMENTS,
    TOUCH_AND_CONSUME_POSTGRES, bind_seen, user_record,
};
use super::{
    Allowance, ConversationKey, ConversationWindow, Counter, Dialect, Quota, Script, SeenChat,
    SeenUser, Store, StoreError, UserRecord, now_unix, utc_day,
};

/// Messages per group; more wait for the next one. At 250 messages arriving together, groups
/// of up to 32 took no less CPU than groups of 8 and held about 0.6 MB more at the peak.
const MAX_GROUP: usize = 8;

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

/// One message's start, owned, so it can wait for its group.
pub(super) struct MessageStart {
    chat_id: i64,
    chat_kind: String,
    chat_title: Option<String>,
    user_id: i64,
    first_name: String,
    username: Option<String>,
    language_code: Option<String>,
    now: i64,
    allowance: Allowance,
    read: Option<(ConversationKey, i64)>,
}

/// A message start's rows: the sender's, the quota unit's if one was taken, and the turns
/// read (or, on Postgres, the sender's row with the unit as its last column).
pub(super) struct StartRows {
    sender: Option<AnyRow>,
    unit: Option<AnyRow>,
    window: Option<Vec<AnyRow>>,
}

impl MessageStart {
    fn seen(&self) -> (SeenChat<'_>, SeenUser<'_>) {
        let chat = SeenChat {
            id: self.chat_id,
            kind: &self.chat_kind,
            title: self.chat_title.as_deref(),
        };
        let user = SeenUser {
            id: self.user_id,
            first_name: &self.first_name,
            username: self.username.as_deref(),
            language_code: self.language_code.as_deref(),
        };
        (chat, user)
    }

    /// Binds the writes' parameters (`$1..$11`, what Postgres's statement takes).
    fn bind_writes(&self, query: Script) -> Script {
        let (chat, user) = self.seen();
        bind_seen(query, chat, user, self.now)
            .bind(utc_day(self.now))
            .bind(self.allowance.free)
            .bind(self.allowance.premium)
    }

    /// Binds all of SQLite's parameters; a start that reads nothing reads at most 0 turns.
    fn bind_all(&self, query: Script) -> Script {
        let (chat, user, limit) = self
            .read
            .map_or((0, 0, 0), |(key, limit)| (key.chat_id, key.user_id, limit));
        self.bind_writes(query).bind(chat).bind(user).bind(limit)
    }
}

impl GroupJob for MessageStart {
    type Done = StartRows;
    /// The trader waits for the reply this starts.
    const ON_GRID: bool = false;

    fn group_size(waiting: usize) -> usize {
        let fits = waiting.clamp(1, MAX_GROUP);
        1 << fits.ilog2()
    }

    async fn run_group(store: &Store, group: &[Self]) -> Result<Vec<StartRows>, StoreError> {
        let script = group
            .iter()
            .fold(sqlx::query(group_script(group.len())), |query, start| {
                start.bind_all(query)
            });
        let statements = store.run_sqlite_script(script).await?;
        // BEGIN, then each message's statements, then COMMIT.
        let expected = group.len() * START_COACH_MESSAGE_STATEMENTS + 2;
        if statements.len() != expected {
            return Err(StoreError::Query(sqlx::Error::Protocol(format!(
                "a group of message starts gave {} statement results, not {expected}",
                statements.len()
            ))));
        }
        let mut statements = statements.into_iter().skip(1);
        let rows = group
            .iter()
            .map(|start| {
                let mut next = || statements.next().unwrap_or_default().into_iter().next();
                let _chat = next();
                let sender = next();
                let unit = next();
                let window = statements.next().unwrap_or_default();
                StartRows {
                    sender,
                    unit,
                    window: start.read.is_some().then_some(window),
                }
            })
            .collect();
        Ok(rows)
    }

    async fn run_one(store: &Store, start: Self) -> Result<StartRows, StoreError> {
        if store.dialect == Dialect::Postgres {
            let statement = start.bind_writes(sqlx::query(TOUCH_AND_CONSUME_POSTGRES));
            let sender = statement.fetch_optional(&mut *store.conn().await?).await?;
            return Ok(StartRows {
                sender,
                unit: None,
                window: None,
            });
        }
        let mut rows = Self::run_group(store, std::slice::from_ref(&start)).await?;
        rows.pop()
            .ok_or(StoreError::Query(sqlx::Error::RowNotFound))
    }
}

/// The SQLite script for a group of `n` message starts, built once per size.
fn group_script(n: usize) -> &'static str {
    static SCRIPTS: [OnceLock<String>; MAX_GROUP + 1] = [const { OnceLock::new() }; MAX_GROUP + 1];
    let n = n.clamp(1, MAX_GROUP);
    SCRIPTS[n].get_or_init(|| {
        let statements: String = (0..n)
            .map(|i| shift_placeholders(START_COACH_MESSAGE_SQLITE, i * START_COACH_MESSAGE_PARAMS))
            .collect::<Vec<_>>()
            .join(" ");
        format!("BEGIN; {statements} COMMIT;")
    })
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
        let start = MessageStart {
            chat_id: chat.id,
            chat_kind: chat.kind.to_owned(),
            chat_title: chat.title.map(str::to_owned),
            user_id: user.id,
            first_name: user.first_name.to_owned(),
            username: user.username.map(str::to_owned),
            language_code: user.language_code.map(str::to_owned),
            now: now_unix(),
            allowance,
            read,
        };
        let now = start.now;
        let rows = match &self.groups {
            Some(groups) => groups.starts.run(self, start).await?,
            None => MessageStart::run_one(self, start).await?,
        };
        let window = rows.window.as_deref().map(window_from_rows);
        let sender = rows.sender.ok_or(sqlx::Error::RowNotFound)?;
        let record = user_record(&sender);
        if record.is_banned {
            return Ok(CoachMessageStart {
                user: record,
                quota: None,
                window,
            });
        }
        // SQLite returns the unit as a row of its own, Postgres as the sender row's last column.
        let used: Option<i64> = match &rows.unit {
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
