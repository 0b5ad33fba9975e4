//! The database: one pool, one dialect flag, one repository file per table group.
//!
//! Queries go through `sqlx::Any`, which accepts `$N` placeholders on both SQLite and Postgres
//! and keeps us to primitive column types: times are UTC unix seconds (`i64`), money is integer
//! base units. Migrations are per dialect (`migrations/sqlite`, `migrations/postgres`) because DDL
//! differs, but every query below runs unchanged on both, with one exception: the write that
//! ends every reply (`record_exchange`) is a script on SQLite and one statement on Postgres, so
//! it costs one round trip on each.

mod admin;
mod conversations;
mod payments;
mod updates;
mod usage;
mod users;

pub use admin::{AdminAction, BotStats, Broadcast};
pub use conversations::{ConversationKey, ConversationState, Turn};
pub use payments::{
    Credit, CreditOutcome, InvoiceRecord, InvoiceStatus, NewInvoice, PaymentEvent, PendingCheck,
    SubscriptionRecord,
};
pub use updates::PendingUpdate;
pub use usage::{Counter, LedgerEntry, Quota, UsageTotals, utc_day};
pub use users::{ChatRecord, UserRecord};

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database: {0}")]
    Connect(String),
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Opens `url` (`sqlite://file.db` or `postgres://…`). A SQLite file and its directory are
    /// created when missing; SQLite runs in WAL mode with a busy timeout and foreign keys on.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else {
            Dialect::Postgres
        };
        let url = match dialect {
            Dialect::Sqlite => prepare_sqlite_url(url)?,
            Dialect::Postgres => url.to_string(),
        };
        let options = AnyPoolOptions::new()
            .max_connections(match dialect {
                // SQLite has one writer anyway; a few readers are enough.
                Dialect::Sqlite => 4,
                Dialect::Postgres => 10,
            })
            .acquire_timeout(Duration::from_secs(10))
            // The pool pings a connection before every use by default. A SQLite connection
            // is a file handle that cannot go stale, and the ping is a round trip to its
            // worker thread that doubled the cost of every statement. A Postgres connection
            // can die with its server, so it keeps the check.
            .test_before_acquire(dialect == Dialect::Postgres);
        let options = if dialect == Dialect::Sqlite {
            options.after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; \
                         PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                    )
                    .await?;
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options
            .connect(&url)
            .await
            .map_err(|e| StoreError::Connect(redact_url_password(&e.to_string())))?;
        Ok(Store { pool, dialect })
    }

    /// Applies any migrations not yet applied. Safe to run on every start.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.dialect {
            Dialect::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Dialect::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// A cheap round trip, for `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
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
