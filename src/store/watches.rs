//! Whale watching: the wallets traders follow, and which alerts each watch has had.
//!
//! A chain is stored by its id (`ethereum`, `tron`, `solana`) and an address in its
//! canonical spelling, so the same wallet pasted twice is one watch.

use sqlx::any::AnyRow;
use sqlx::{Connection, Row};

use super::{Store, StoreError, now_unix};

/// One trader following one wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watch {
    pub id: i64,
    pub user_id: i64,
    /// Where the alerts go: the chat the watch was set up in.
    pub chat_id: i64,
    pub chain: String,
    pub address: String,
    pub label: String,
    /// Transfers before this are history, not news.
    pub created_at: i64,
}

/// A wallet somebody watches, with the oldest watch's start: the poller looks no further
/// back than that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchedWallet {
    pub chain: String,
    pub address: String,
    pub since: i64,
}

/// What `add_watch` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddWatch {
    Added(Watch),
    /// Already watched: the alert chat was refreshed, and the label when a new one was given.
    AlreadyWatched(Watch),
    /// The trader already follows `limit` wallets.
    LimitReached {
        limit: i64,
    },
}

const WATCH_COLUMNS: &str = "id, user_id, chat_id, chain, address, label, created_at";

fn watch_from(row: &AnyRow) -> Watch {
    Watch {
        id: row.get(0),
        user_id: row.get(1),
        chat_id: row.get(2),
        chain: row.get(3),
        address: row.get(4),
        label: row.get(5),
        created_at: row.get(6),
    }
}

impl Store {
    /// Starts watching `address` on `chain` for `user_id`, unless they already follow
    /// `limit` other wallets. Watching a wallet again only moves its alerts to `chat_id` and,
    /// when `label` is not empty, renames it.
    pub async fn add_watch(
        &self,
        user_id: i64,
        chat_id: i64,
        chain: &str,
        address: &str,
        label: &str,
        limit: i64,
    ) -> Result<AddWatch, StoreError> {
        let mut conn = self.conn().await?;
        let existing = sqlx::query(
            "UPDATE watches SET label = CASE WHEN $1 = '' THEN label ELSE $1 END, chat_id = $2
             WHERE user_id = $3 AND chain = $4 AND address = $5
             RETURNING id, user_id, chat_id, chain, address, label, created_at",
        )
        .bind(label.to_owned())
        .bind(chat_id)
        .bind(user_id)
        .bind(chain.to_owned())
        .bind(address.to_owned())
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(row) = existing {
            return Ok(AddWatch::AlreadyWatched(watch_from(&row)));
        }
        let count: i64 = sqlx::query("SELECT COUNT(*) FROM watches WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&mut *conn)
            .await?
            .get(0);
        if count >= limit {
            return Ok(AddWatch::LimitReached { limit });
        }
        let row = sqlx::query(
            "INSERT INTO watches (user_id, chat_id, chain, address, label, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING id, user_id, chat_id, chain, address, label, created_at",
        )
        .bind(user_id)
        .bind(chat_id)
        .bind(chain.to_owned())
        .bind(address.to_owned())
        .bind(label.to_owned())
        .bind(now_unix())
        .fetch_one(&mut *conn)
        .await?;
        Ok(AddWatch::Added(watch_from(&row)))
    }

    /// Stops a watch and forgets its alerts; false when there was none.
    pub async fn remove_watch(
        &self,
        user_id: i64,
        chain: &str,
        address: &str,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn().await?;
        let mut tx = conn.begin().await?;
        let removed = sqlx::query(
            "DELETE FROM watches WHERE user_id = $1 AND chain = $2 AND address = $3
             RETURNING id",
        )
        .bind(user_id)
        .bind(chain.to_owned())
        .bind(address.to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = &removed {
            sqlx::query("DELETE FROM whale_alerts WHERE watch_id = $1")
                .bind(row.get::<i64, _>(0))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(removed.is_some())
    }

    /// A trader's watches, oldest first.
    pub async fn watches_of(&self, user_id: i64) -> Result<Vec<Watch>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {WATCH_COLUMNS} FROM watches WHERE user_id = $1 ORDER BY id"
        ))
        .bind(user_id)
        .fetch_all(&mut *self.conn().await?)
        .await?;
        Ok(rows.iter().map(watch_from).collect())
    }

    /// Every wallet with at least one watch whose trader may still hear from us.
    pub async fn watched_wallets(&self) -> Result<Vec<WatchedWallet>, StoreError> {
        let rows = sqlx::query(
            "SELECT chain, address, MIN(created_at) FROM watches
             WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = watches.user_id AND is_banned <> 0)
             GROUP BY chain, address ORDER BY chain, address",
        )
        .fetch_all(&mut *self.conn().await?)
        .await?;
        Ok(rows
            .iter()
            .map(|row| WatchedWallet {
                chain: row.get(0),
                address: row.get(1),
                since: row.get(2),
            })
            .collect())
    }

    /// The watches of one wallet, skipping banned traders and chats that blocked the bot.
    pub async fn watchers(&self, chain: &str, address: &str) -> Result<Vec<Watch>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {WATCH_COLUMNS} FROM watches
             WHERE chain = $1 AND address = $2
               AND NOT EXISTS (SELECT 1 FROM users WHERE id = watches.user_id AND is_banned <> 0)
               AND NOT EXISTS (SELECT 1 FROM chats WHERE id = watches.chat_id
                                                   AND blocked_at IS NOT NULL)
             ORDER BY id"
        ))
        .bind(chain.to_owned())
        .bind(address.to_owned())
        .fetch_all(&mut *self.conn().await?)
        .await?;
        Ok(rows.iter().map(watch_from).collect())
    }

    /// Claims the alert of `tx_hash` for a watch: true the first time only, so an alert
    /// goes out at most once however often the transfer is listed.
    pub async fn claim_whale_alert(
        &self,
        watch_id: i64,
        tx_hash: &str,
    ) -> Result<bool, StoreError> {
        let claimed = sqlx::query(
            "INSERT INTO whale_alerts (watch_id, tx_hash, sent_at) VALUES ($1, $2, $3)
             ON CONFLICT (watch_id, tx_hash) DO NOTHING",
        )
        .bind(watch_id)
        .bind(tx_hash.to_owned())
        .bind(now_unix())
        .execute(&mut *self.conn().await?)
        .await?;
        Ok(claimed.rows_affected() == 1)
    }
}
