//! Long polling that loses nothing: each batch is written to the store before its offset is
//! confirmed, and on start the updates an earlier run took but never finished are replayed.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::api::BotApi;
use super::dispatch::Dispatcher;
use super::update::{Incoming, parse_update};
use crate::store::Store;

/// Update kinds the bot asks for. `stopped_message_generation` must be listed explicitly.
pub const ALLOWED_UPDATES: &[&str] = &["message", "callback_query", "stopped_message_generation"];

pub async fn run(
    api: BotApi,
    store: Store,
    dispatcher: Arc<Dispatcher>,
    poll_timeout: Duration,
    shutdown: CancellationToken,
) {
    match store.pending_updates().await {
        Ok(pending) => {
            if !pending.is_empty() {
                tracing::info!(count = pending.len(), "replaying updates left unfinished");
            }
            for update in pending {
                let incoming = serde_json::from_str(&update.payload)
                    .ok()
                    .and_then(|raw| parse_update(&raw))
                    .map_or(Incoming::Ignored, |(_, incoming)| incoming);
                dispatcher.replay(update.update_id, incoming);
            }
        }
        Err(error) => tracing::error!(%error, "cannot read unfinished updates"),
    }
    let mut offset = match store.last_update_id().await {
        Ok(last) => last.map_or(0, |id| id + 1),
        Err(_) => 0,
    };
    let mut failures: u32 = 0;
    while !shutdown.is_cancelled() {
        let batch = tokio::select! {
            _ = shutdown.cancelled() => break,
            batch = api.get_updates(offset, poll_timeout, ALLOWED_UPDATES) => batch,
        };
        let raw_updates = match batch {
            Ok(updates) => {
                failures = 0;
                updates
            }
            Err(error) => {
                failures += 1;
                let wait = if error.is_conflict() {
                    tracing::error!("another bot instance is polling with this token");
                    Duration::from_secs(5)
                } else {
                    tracing::warn!(%error, "getUpdates failed");
                    Duration::from_millis(500 * 2u64.pow(failures.min(6)))
                };
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(wait) => continue,
                }
            }
        };
        let parsed: Vec<(i64, Incoming, String)> = raw_updates
            .iter()
            .filter_map(|raw| {
                let (id, incoming) = parse_update(raw)?;
                Some((id, incoming, raw.to_string()))
            })
            .collect();
        let records: Vec<(i64, Option<i64>, String)> = parsed
            .iter()
            .map(|(id, incoming, raw)| (*id, incoming.chat_id(), raw.clone()))
            .collect();
        let fresh = match store.record_updates(&records).await {
            Ok(fresh) => fresh,
            Err(error) => {
                // Not recorded means not confirmed: Telegram keeps them and we try again.
                tracing::error!(%error, "cannot record updates; will fetch them again");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        for (id, incoming, _) in parsed {
            offset = offset.max(id + 1);
            if fresh.contains(&id) {
                dispatcher.dispatch(id, incoming);
            } else {
                tracing::debug!(update_id = id, "skipping an update already handled");
            }
        }
    }
    confirm(&api, offset).await;
}

/// Tells Telegram everything below `offset` is ours, so a restart does not fetch it again.
async fn confirm(api: &BotApi, offset: i64) {
    if offset == 0 {
        return;
    }
    if let Err(error) = api.get_updates_confirm_only(offset).await {
        tracing::warn!(%error, "could not confirm the last updates; they will be deduplicated");
    }
}
