//! The whale poller: one round per `WHALE_POLL_SECONDS` over every watched wallet.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::{Alert, AlertSink, WalletMove, WhaleSettings};
use crate::payments::chain::Chain;
use crate::payments::error::VerifyError;
use crate::payments::solana::wallet_activity;
use crate::payments::tokens::Token;
use crate::payments::watcher::listings::{ListedTransfer, PAGE};
use crate::payments::watcher::token_account::associated_token_address;
use crate::payments::watcher::{LATE_LISTING_GRACE, SignatureEntry, TransferListings};
use crate::store::{Store, WatchedWallet};

/// Listing pages read per wallet and token in one round, at most: a busy exchange wallet
/// moves hundreds of transfers a minute, and a large one among them must not scroll past.
const MAX_PAGES: u32 = 5;

/// Forget examined Solana signatures beyond this many (looking one up again is harmless:
/// its alert is already claimed).
const EXAMINED_CAP: usize = 20_000;

pub struct WhalePoller {
    store: Store,
    listings: TransferListings,
    settings: WhaleSettings,
    /// Solana signatures already looked up, so each costs one `getTransaction`.
    examined: Mutex<HashSet<String>>,
    /// The newest transfer seen per wallet and token: later rounds read back to it (less a
    /// grace for late listings) instead of to the watch's start.
    seen_through: Mutex<HashMap<(String, &'static str), DateTime<Utc>>>,
}

impl WhalePoller {
    pub fn new(store: Store, listings: TransferListings, settings: WhaleSettings) -> Self {
        WhalePoller {
            store,
            listings,
            settings,
            examined: Mutex::new(HashSet::new()),
            seen_through: Mutex::new(HashMap::new()),
        }
    }

    /// Polls every `WHALE_POLL_SECONDS` until `cancel`, handing alerts to `sink`.
    pub async fn run(self, sink: impl AlertSink, cancel: CancellationToken) {
        let interval = self.settings.poll_interval;
        tracing::info!(?interval, "whale poller started");
        while !cancel.is_cancelled() {
            self.tick(&sink).await;
            tokio::select! {
                () = cancel.cancelled() => {}
                () = tokio::time::sleep(interval) => {}
            }
        }
        tracing::info!("whale poller stopped");
    }

    /// One round: the new large moves of every watched wallet, claimed and handed to
    /// `sink` wallet by wallet (a long round does not hold back the first alerts). A wallet
    /// whose explorer fails is logged and tried again next round. Returns the alerts sent.
    pub async fn tick(&self, sink: &impl AlertSink) -> usize {
        let wallets = match self.store.watched_wallets().await {
            Ok(wallets) => wallets,
            Err(error) => {
                tracing::warn!(%error, "whale poller cannot read the watch list");
                return 0;
            }
        };
        let mut sent = 0;
        for wallet in wallets {
            let Ok(chain) = wallet.chain.parse::<Chain>() else {
                continue;
            };
            let Some(since) = DateTime::from_timestamp(wallet.since, 0) else {
                continue;
            };
            let moves = match self.moves(chain, &wallet.address, since).await {
                Ok(moves) => moves,
                Err(error) => {
                    tracing::warn!(%chain, %error, "whale poller: listing failed");
                    metrics::counter!("tiltguard_whale_listing_failures_total", "chain" => chain.id())
                        .increment(1);
                    continue;
                }
            };
            let large: Vec<WalletMove> = moves
                .into_iter()
                .filter(|m| m.amount >= self.settings.min_amount && m.block_time >= since)
                .collect();
            if large.is_empty() {
                continue;
            }
            for alert in self.claim(&wallet, large).await {
                sink.alert(alert).await;
                sent += 1;
            }
        }
        sent
    }

    /// Alerts for the watches of `wallet` that began before each move and have not had it.
    async fn claim(&self, wallet: &WatchedWallet, large: Vec<WalletMove>) -> Vec<Alert> {
        let watchers = match self.store.watchers(&wallet.chain, &wallet.address).await {
            Ok(watchers) => watchers,
            Err(error) => {
                tracing::warn!(%error, "whale poller cannot read a wallet's watchers");
                return Vec::new();
            }
        };
        let mut alerts = Vec::new();
        // Oldest first, so a burst reads in the order it happened.
        for movement in large.into_iter().rev() {
            let key = movement.claim_key();
            for watch in &watchers {
                if movement.block_time.timestamp() < watch.created_at {
                    continue;
                }
                match self.store.claim_whale_alert(watch.id, &key).await {
                    Ok(true) => {
                        metrics::counter!("tiltguard_whale_alerts_total", "chain" => movement.chain.id())
                            .increment(1);
                        alerts.push(Alert {
                            chat_id: watch.chat_id,
                            label: watch.label.clone(),
                            movement: movement.clone(),
                        });
                    }
                    Ok(false) => {}
                    Err(error) => tracing::warn!(%error, "whale poller cannot claim an alert"),
                }
            }
        }
        alerts
    }

    /// The wallet's recent stablecoin moves since `since`, newest first.
    async fn moves(
        &self,
        chain: Chain,
        wallet: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<WalletMove>, VerifyError> {
        let mut moves = Vec::new();
        for token in Token::on_chain(chain) {
            if chain == Chain::Solana {
                moves.extend(self.solana_moves(token, wallet, since).await?);
                continue;
            }
            let key = (wallet.to_string(), token.symbol());
            let floor = self.floor(&key, since);
            let rows = match chain {
                Chain::Tron => {
                    self.listings
                        .tron_listing(token, wallet, floor, false)
                        .await?
                }
                _ => self.ethereum_rows(token, wallet, floor).await?,
            };
            self.saw(key, rows.iter().map(|row| row.block_time).max());
            moves.extend(merge_rows(chain, wallet, rows));
        }
        moves.sort_by_key(|m| std::cmp::Reverse(m.block_time));
        Ok(moves)
    }

    /// How far back this round reads: the newest transfer seen last round, less the grace
    /// for late listings, but never before the oldest watch began.
    fn floor(&self, key: &(String, &'static str), since: DateTime<Utc>) -> DateTime<Utc> {
        let seen = self.seen_through.lock().unwrap_or_else(|p| p.into_inner());
        let grace = chrono::Duration::from_std(LATE_LISTING_GRACE).unwrap_or_default();
        seen.get(key)
            .map_or(since, |through| since.max(*through - grace))
    }

    /// Moves the cursor of `key` forward to `newest`.
    fn saw(&self, key: (String, &'static str), newest: Option<DateTime<Utc>>) {
        let Some(newest) = newest else {
            return;
        };
        let mut seen = self.seen_through.lock().unwrap_or_else(|p| p.into_inner());
        let through = seen.entry(key).or_insert(newest);
        *through = (*through).max(newest);
    }

    /// Etherscan pages, newest first, until one reaches back to `floor` or is not full.
    async fn ethereum_rows(
        &self,
        token: Token,
        wallet: &str,
        floor: DateTime<Utc>,
    ) -> Result<Vec<ListedTransfer>, VerifyError> {
        let mut rows = Vec::new();
        for page in 1..=MAX_PAGES {
            let batch = self.listings.ethereum_listing(token, wallet, page).await?;
            let more = batch.len() >= PAGE as usize
                && batch.last().is_some_and(|row| row.block_time > floor);
            rows.extend(batch);
            if !more {
                break;
            }
        }
        Ok(rows)
    }

    /// Solana lists signatures only: each new one is looked up once and read from the
    /// wallet's side. The wallet's token account for `token` is what transfers touch; its
    /// list is paged like Etherscan's, back to the last round's newest transfer.
    async fn solana_moves(
        &self,
        token: Token,
        wallet: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<WalletMove>, VerifyError> {
        let Ok(account) = associated_token_address(wallet, token.contract()) else {
            return Ok(Vec::new());
        };
        let key = (wallet.to_string(), token.symbol());
        let floor = self.floor(&key, since);
        let mut entries = Vec::new();
        for _ in 0..MAX_PAGES {
            let before = entries.last().map(|e: &SignatureEntry| e.signature.clone());
            let page = self
                .listings
                .solana_signatures(&account, before.as_deref())
                .await?;
            let more = page.len() >= PAGE as usize
                && page
                    .last()
                    .is_some_and(|e| e.block_time.is_some_and(|t| t > floor));
            entries.extend(page);
            if !more {
                break;
            }
        }
        self.saw(key, entries.iter().filter_map(|e| e.block_time).max());
        let mut moves = Vec::new();
        for entry in entries {
            let recent = entry.block_time.is_some_and(|t| t >= since);
            if entry.failed || !recent || self.was_examined(&entry.signature) {
                continue;
            }
            let result = self.listings.solana_transaction(&entry.signature).await?;
            if result.is_null() {
                // Not visible at `confirmed` yet: next round.
                continue;
            }
            let activity = wallet_activity(&result, wallet)?;
            self.mark_examined(&entry.signature);
            let Some(block_time) = activity.block_time.or(entry.block_time) else {
                continue;
            };
            if !activity.success {
                continue;
            }
            moves.extend(activity.moves.into_iter().map(|m| WalletMove {
                chain: Chain::Solana,
                token: m.token,
                wallet: wallet.to_string(),
                received: m.received,
                counterparty: m.counterparty,
                amount: m.amount,
                tx_hash: entry.signature.clone(),
                block_time,
            }));
        }
        Ok(moves)
    }

    fn was_examined(&self, signature: &str) -> bool {
        let examined = self.examined.lock().unwrap_or_else(|p| p.into_inner());
        examined.contains(signature)
    }

    fn mark_examined(&self, signature: &str) {
        let mut examined = self.examined.lock().unwrap_or_else(|p| p.into_inner());
        if examined.len() >= EXAMINED_CAP {
            examined.clear();
        }
        examined.insert(signature.to_string());
    }
}

/// Listing rows of one token as the wallet's moves: rows of one transaction in the same
/// direction are summed (a batch payout is one move), a transfer to itself is no move.
pub fn merge_rows(chain: Chain, wallet: &str, rows: Vec<ListedTransfer>) -> Vec<WalletMove> {
    let mut merged: BTreeMap<(String, bool), WalletMove> = BTreeMap::new();
    for row in rows {
        let received = match (row.from == wallet, row.to == wallet) {
            (false, true) => true,
            (true, false) => false,
            _ => continue,
        };
        let counterparty = if received { row.from } else { row.to };
        merged
            .entry((row.tx_hash.clone(), received))
            .and_modify(|m| {
                m.amount = m.amount.checked_add(row.amount).unwrap_or(m.amount);
                if m.counterparty.as_deref() != Some(counterparty.as_str()) {
                    // Several counterparties: the alert names none rather than one of them.
                    m.counterparty = None;
                }
            })
            .or_insert_with(|| WalletMove {
                chain,
                token: row.token,
                wallet: wallet.to_string(),
                received,
                counterparty: Some(counterparty),
                amount: row.amount,
                tx_hash: row.tx_hash,
                block_time: row.block_time,
            });
    }
    merged.into_values().collect()
}
