//! The database: one dialect flag, one repository file per table group.
//!
//! Queries go through `sqlx::Any`, which accepts `$N` placeholders on both SQLite and Postgres
//! and keeps us to primitive column types: times are UTC unix seconds (`i64`), money is integer
//! base units. Migrations are per dialect (`migrations/sqlite`, `migrations/postgres`) because DDL
//! differs, but the queries run unchanged on both, with two exceptions on the path of every
//! message: recording a message's chat and sender (`touch_chat_and_user`) and the write that
//! ends every reply (`record_exchange`) are a script on SQLite and one statement on Postgres,
//! so each costs one round trip on both. On SQLite, messages that start together share one
//! script and one transaction, and so do the replies that end together (see `group`); a coach
//! message's script also reads its conversation (see `message_start`).
//!
//! Postgres is reached through a pool; SQLite through one connection handed out in turn
//! (see `Backend`). Either way a caller holds a [`Conn`] for one unit of work only.

/// The newest turns of a conversation's session (newest first, at most `$limit`), with the
/// conversation's state on every row; the parameters are given so that the read can follow
/// other statements in one script.
macro_rules! window_select {
    ($chat:literal, $user:literal, $limit:literal) => {
        concat!(
            "SELECT c.session_started_at, c.last_activity_at, c.summary, c.summarized_through,
                    c.session_from_turn, t.id, t.role, t.content, t.message_id
             FROM conversations c
             LEFT JOIN turns t ON t.chat_id = c.chat_id AND t.user_id = c.user_id
                              AND t.id >= c.session_from_turn
             WHERE c.chat_id = ",
            $chat,
            " AND c.user_id = ",
            $user,
            " ORDER BY t.id DESC LIMIT ",
            $limit
        )
    };
}

mod admin;
mod conversations;
mod exchanges;
mod group;
mod message_start;
mod payments;
mod updates;
#[macro_use]
mod usage;
mod users;
mod watches;

pub use admin::{AdminAction, BotStats, Broadcast};
pub use conversations::{ConversationKey, ConversationState, ConversationWindow, Turn};
pub use message_start::CoachMessageStart;
pub use payments::{
    Credit, CreditOutcome, InvoiceRecord, InvoiceStatus, NewInvoice, PaymentEvent, PendingCheck,
    SubscriptionRecord,
};
pub use updates::{DoneMarks, PendingUpdate};
pub use usage::{Allowance, Counter, LedgerEntry, Quota, UsageTotals, utc_day};
pub use users::{ChatRecord, SeenChat, SeenUser, UserRecord};
pub use watches::{AddWatch, Watch, WatchedWallet};

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor};
use tokio::sync::{Mutex, OwnedMappedMutexGuard, OwnedMutexGuard};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database: {0}")]
    Connect(String),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    #[error("the database is closed")]
    Closed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    backend: Backend,
    dialect: Dialect,
    /// Writes waiting for their group commit (SQLite only; see `group`).
    groups: Option<Groups>,
}

#[derive(Clone, Default)]
struct Groups {
    exchanges: Arc<group::GroupQueue<exchanges::Exchange>>,
    starts: Arc<group::GroupQueue<message_start::MessageStart>>,
}

/// Where connections come from.
///
/// SQLite gets one connection, handed out in turn, not a pool: sqlx's pool pings a
/// connection every time it goes back, and for SQLite that ping is a round trip to the
/// connection's worker thread, so a pool doubled the cost of every statement. SQLite lets
/// one writer in at a time anyway; one connection also means no writer waits on another's
/// lock and no page cache is thrown away because another connection wrote.
#[derive(Clone)]
enum Backend {
    Sqlite(Arc<Mutex<Option<AnyConnection>>>),
    Postgres(AnyPool),
}

/// A query whose parameters are owned, so it can run in a task of its own.
pub(super) type Script = sqlx::query::Query<'static, Any, sqlx::any::AnyArguments<'static>>;

/// A connection held for one unit of work (a statement, a script or a transaction).
/// Hold it only as long as that work: on SQLite every other caller waits for it, and a
/// store method called while holding one would wait for itself.
pub struct Conn(Held);

enum Held {
    Shared(OwnedMappedMutexGuard<Option<AnyConnection>, AnyConnection>),
    Pooled(PoolConnection<Any>),
}

impl Deref for Conn {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        match &self.0 {
            Held::Shared(conn) => conn,
            Held::Pooled(conn) => conn,
        }
    }
}

impl DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match &mut self.0 {
            Held::Shared(conn) => conn,
            Held::Pooled(conn) => conn,
        }
    }
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Opens `url` (`sqlite://file.db` or `postgres://…`). A SQLite file and its directory are
    /// created when missing; SQLite runs in WAL mode with a busy timeout and foreign keys on.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let redacted = |e: sqlx::Error| StoreError::Connect(redact_url_password(&e.to_string()));
        if url.starts_with("sqlite:") {
            let mut conn = AnyConnection::connect(&prepare_sqlite_url(url)?)
                .await
                .map_err(redacted)?;
            // The busy timeout is for other processes (a `tiltguard chat` beside the bot).
            conn.execute(
                "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; \
                 PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
            )
            .await
            .map_err(redacted)?;
            return Ok(Store {
                backend: Backend::Sqlite(Arc::new(Mutex::new(Some(conn)))),
                dialect: Dialect::Sqlite,
                groups: Some(Groups::default()),
            });
        }
        let pool = AnyPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(redacted)?;
        Ok(Store {
            backend: Backend::Postgres(pool),
            dialect: Dialect::Postgres,
            groups: None,
        })
    }

    /// A connection for one unit of work; see [`Conn`].
    pub async fn conn(&self) -> Result<Conn, StoreError> {
        match &self.backend {
            Backend::Sqlite(shared) => {
                let guard = shared.clone().lock_owned().await;
                OwnedMutexGuard::try_map(guard, Option::as_mut)
                    .map(|conn| Conn(Held::Shared(conn)))
                    .map_err(|_closed| StoreError::Closed)
            }
            Backend::Postgres(pool) => Ok(Conn(Held::Pooled(pool.acquire().await?))),
        }
    }

    /// Runs one unit of writes in one round trip and returns the rows it produced:
    /// `sqlite` is a script that opens and commits its own transaction, `postgres` the same
    /// as one statement (atomic by itself), and `bind` binds the parameters both share.
    ///
    /// The SQLite script runs in a task of its own so that a caller dropped halfway cannot
    /// leave the transaction open on the shared connection, and a failed statement rolls it
    /// back before anyone else gets the connection.
    pub(super) async fn run_script(
        &self,
        sqlite: &'static str,
        postgres: &'static str,
        bind: impl FnOnce(Script) -> Script,
    ) -> Result<Vec<sqlx::any::AnyRow>, StoreError> {
        if self.dialect == Dialect::Postgres {
            let statement = bind(sqlx::query(postgres));
            return Ok(statement.fetch_all(&mut *self.conn().await?).await?);
        }
        let statements = self.run_sqlite_script(bind(sqlx::query(sqlite))).await?;
        Ok(statements.into_iter().flatten().collect())
    }

    /// Runs a SQLite script as [`Store::run_script`] does and returns each statement's rows
    /// apart, in order (a statement without rows has an empty entry).
    pub(super) async fn run_sqlite_script(
        &self,
        script: Script,
    ) -> Result<Vec<Vec<sqlx::any::AnyRow>>, StoreError> {
        let store = self.clone();
        tokio::spawn(async move {
            let mut conn = store.conn().await?;
            let result = rows_by_statement(conn.fetch_many(script)).await;
            if result.is_err() {
                let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            }
            result.map_err(StoreError::from)
        })
        .await
        .unwrap_or_else(|interrupted| {
            tracing::error!(%interrupted, "a database script was interrupted");
            Err(StoreError::Query(sqlx::Error::WorkerCrashed))
        })
    }

    /// Applies any migrations not yet applied. Safe to run on every start.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        match self.dialect {
            Dialect::Sqlite => SQLITE_MIGRATIONS.run(&mut *conn).await?,
            Dialect::Postgres => POSTGRES_MIGRATIONS.run(&mut *conn).await?,
        }
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// A cheap round trip, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&mut *self.conn().await?)
            .await?;
        Ok(())
    }

    /// Closes the database; later calls get [`StoreError::Closed`] (SQLite) or a pool error.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(shared) => {
                let conn = shared.lock().await.take();
                if let Some(conn) = conn
                    && let Err(error) = conn.close().await
                {
                    tracing::warn!(%error, "closing the database failed");
                }
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }
}

/// UTC unix seconds, the one time format the store keeps.
pub fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Makes sure the file's directory exists and asks SQLite to create the file if needed.
fn prepare_sqlite_url(url: &str) -> Result<String, StoreError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" {
        return Ok(url.to_string());
    }
    if let Some(dir) = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Connect(format!("cannot create directory {}: {e}", dir.display()))
        })?;
    }
    let mut params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    if !params.iter().any(|p| p.starts_with("mode=")) {
        params.push("mode=rwc");
    }
    Ok(format!("sqlite://{path}?{}", params.join("&")))
}

/// Connection errors may echo the URL; a password in it must not reach the log.
fn redact_url_password(text: &str) -> String {
    let Some(scheme_end) = text.find("://") else {
        return text.to_string();
    };
    let after = &text[scheme_end + 3..];
    match (after.find('@'), after.find(':')) {
        (Some(at), Some(colon)) if colon < at && !after[..at].contains('/') => {
            format!(
                "{}{}***{}",
                &text[..scheme_end + 3],
                &after[..=colon],
                &after[at..]
            )
        }
        _ => text.to_string(),
    }
}

/// Splits a script's results at the end of each statement.
async fn rows_by_statement(
    mut results: futures_util::stream::BoxStream<
        '_,
        Result<sqlx::Either<sqlx::any::AnyQueryResult, sqlx::any::AnyRow>, sqlx::Error>,
    >,
) -> Result<Vec<Vec<sqlx::any::AnyRow>>, sqlx::Error> {
    use futures_util::TryStreamExt;
    let mut statements = Vec::new();
    let mut rows = Vec::new();
    while let Some(result) = results.try_next().await? {
        match result {
            sqlx::Either::Left(_) => statements.push(std::mem::take(&mut rows)),
            sqlx::Either::Right(row) => rows.push(row),
        }
    }
    Ok(statements)
}

impl FromStr for Dialect {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "sqlite" => Ok(Dialect::Sqlite),
            "postgres" => Ok(Dialect::Postgres),
            other => Err(format!("unknown dialect {other}")),
        }
    }
}

#[doc(hidden)]
pub mod testing;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_url_gains_create_mode_and_keeps_params() {
        assert_eq!(
            prepare_sqlite_url("sqlite::memory:").unwrap(),
            "sqlite::memory:"
        );
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("nested/deeper/x.db");
        let url = format!("sqlite://{}", file.display());
        let prepared = prepare_sqlite_url(&url).unwrap();
        assert!(prepared.ends_with("x.db?mode=rwc"), "{prepared}");
        assert!(file.parent().unwrap().is_dir());
    }

    #[test]
    fn passwords_are_redacted_from_connection_errors() {
        let text = "error connecting to postgres://bob:hunter2@db:5432/x";
        let redacted = redact_url_password(text);
        assert!(!redacted.contains("hunter2"), "{redacted}");
        assert!(redacted.contains("bob:***@db"), "{redacted}");
    }
}
