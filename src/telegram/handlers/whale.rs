//! /watch, /unwatch and /watches, and the whale poller's alerts as chat messages.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::{BotContext, MEMORY_UNAVAILABLE, escape, reply};
use crate::payments::chain::{Chain, address_chain, normalize_address};
use crate::payments::tokens::STABLECOIN_DECIMALS;
use crate::payments::watcher::TransferListings;
use crate::store::{AddWatch, UserRecord, Watch};
use crate::whales::{Alert, AlertSink, WalletMove, WhalePoller, explorer_tx_url};

/// A wallet's name as the trader gave it, cut to fit a line.
const MAX_LABEL_CHARS: usize = 32;

const OFF: &str = "Whale alerts are turned off on this bot.";

/// Starts the whale poller on the bot's task tracker, unless whale alerts are off.
pub fn start_poller(ctx: &Arc<BotContext>, http: reqwest::Client, shutdown: CancellationToken) {
    let settings = ctx.config.whales.clone();
    if !settings.enabled() {
        return;
    }
    let listings = TransferListings::new(http, &ctx.config.payments, &ctx.config.billing);
    let poller = WhalePoller::new(ctx.store.clone(), listings, settings);
    let sink = TelegramAlerts { ctx: ctx.clone() };
    ctx.tasks.spawn(poller.run(sink, shutdown));
}

struct TelegramAlerts {
    ctx: Arc<BotContext>,
}

impl AlertSink for TelegramAlerts {
    async fn alert(&self, alert: Alert) {
        reply(&self.ctx, alert.chat_id, &alert_html(&alert)).await;
    }
}

/// `/watch <wallet> [name]`.
pub async fn watch(ctx: &BotContext, chat_id: i64, user: &UserRecord, args: &str) {
    let settings = &ctx.config.whales;
    if !settings.enabled() {
        reply(ctx, chat_id, OFF).await;
        return;
    }
    let mut words = args.split_whitespace();
    let Some(raw) = words.next() else {
        reply(ctx, chat_id, &usage_html(ctx)).await;
        return;
    };
    let Some((chain, address)) = wallet(raw) else {
        reply(ctx, chat_id, &not_a_wallet_html(raw)).await;
        return;
    };
    let label: String = words
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_LABEL_CHARS)
        .collect();
    let added = ctx
        .store
        .add_watch(
            user.id,
            chat_id,
            chain.id(),
            &address,
            &label,
            settings.max_watches,
        )
        .await;
    let html = match added {
        Ok(AddWatch::Added(watch)) => format!(
            "🐋 Watching {wallet} on {chain}.\n\nI'll message this chat when at least \
             <b>${min}</b> in USDT or USDC moves in or out of it. /watches lists your \
             wallets; /unwatch stops one.",
            wallet = wallet_html(&watch.label, &watch.address),
            min = dollars(&settings.min_amount.to_decimal_string(STABLECOIN_DECIMALS)),
        ),
        Ok(AddWatch::AlreadyWatched(watch)) => format!(
            "You already watch {} on {chain}; alerts go to this chat.",
            wallet_html(&watch.label, &watch.address)
        ),
        Ok(AddWatch::LimitReached { limit }) => format!(
            "You're watching {limit} wallets, the most I can follow for one trader. \
             /unwatch one first."
        ),
        Err(error) => {
            tracing::error!(%error, "could not store a watch");
            MEMORY_UNAVAILABLE.to_string()
        }
    };
    reply(ctx, chat_id, &html).await;
}

/// `/unwatch <wallet or name>`.
pub async fn unwatch(ctx: &BotContext, chat_id: i64, user: &UserRecord, args: &str) {
    let wanted = args.trim();
    if wanted.is_empty() {
        reply(
            ctx,
            chat_id,
            "Send /unwatch followed by the wallet address or the name you gave it.",
        )
        .await;
        return;
    }
    let found = match ctx.store.watches_of(user.id).await {
        Ok(watches) => watches.into_iter().find(|w| matches(w, wanted)),
        Err(error) => {
            tracing::error!(%error, "could not read watches");
            reply(ctx, chat_id, MEMORY_UNAVAILABLE).await;
            return;
        }
    };
    let Some(watch) = found else {
        let html = format!(
            "You don't watch {}. /watches lists the wallets you do.",
            escape(&wanted.chars().take(64).collect::<String>())
        );
        reply(ctx, chat_id, &html).await;
        return;
    };
    let html = match ctx
        .store
        .remove_watch(user.id, &watch.chain, &watch.address)
        .await
    {
        Ok(_) => format!(
            "Stopped watching {}.",
            wallet_html(&watch.label, &watch.address)
        ),
        Err(error) => {
            tracing::error!(%error, "could not remove a watch");
            MEMORY_UNAVAILABLE.to_string()
        }
    };
    reply(ctx, chat_id, &html).await;
}

/// `/watches`: the trader's wallets.
pub async fn list(ctx: &BotContext, chat_id: i64, user: &UserRecord) {
    if !ctx.config.whales.enabled() {
        reply(ctx, chat_id, OFF).await;
        return;
    }
    let html = match ctx.store.watches_of(user.id).await {
        Ok(watches) if watches.is_empty() => usage_html(ctx),
        Ok(watches) => {
            let mut html = format!(
                "🐋 <b>Your wallets</b> ({} of {})\n\n",
                watches.len(),
                ctx.config.whales.max_watches
            );
            for watch in &watches {
                let chain = watch
                    .chain
                    .parse::<Chain>()
                    .map_or("?", Chain::display_name);
                let since = DateTime::from_timestamp(watch.created_at, 0)
                    .map(|t| t.format("%Y-%m-%d").to_string())
                    .unwrap_or_default();
                html.push_str(&format!(
                    "• {} · {chain} · since {since}\n",
                    wallet_html(&watch.label, &watch.address)
                ));
            }
            html.push_str("\n/unwatch followed by an address or name stops one.");
            html
        }
        Err(error) => {
            tracing::error!(%error, "could not read watches");
            MEMORY_UNAVAILABLE.to_string()
        }
    };
    reply(ctx, chat_id, &html).await;
}

/// The chain and canonical spelling of a pasted wallet address.
fn wallet(raw: &str) -> Option<(Chain, String)> {
    let chain = address_chain(raw)?;
    Some((chain, normalize_address(chain, raw).ok()?))
}

fn matches(watch: &Watch, wanted: &str) -> bool {
    let by_address = wallet(wanted).is_some_and(|(_, address)| address == watch.address);
    by_address || (!watch.label.is_empty() && watch.label.eq_ignore_ascii_case(wanted))
}

fn usage_html(ctx: &BotContext) -> String {
    format!(
        "🐋 <b>Whale alerts</b>\n\nSend <code>/watch &lt;wallet&gt; [name]</code> and I'll \
         message you when at least <b>${}</b> in USDT or USDC moves in or out of that \
         wallet. Ethereum, TRON and Solana wallets work; you can follow up to {}.",
        dollars(
            &ctx.config
                .whales
                .min_amount
                .to_decimal_string(STABLECOIN_DECIMALS)
        ),
        ctx.config.whales.max_watches
    )
}

fn not_a_wallet_html(raw: &str) -> String {
    let shown: String = raw.chars().take(64).collect();
    format!(
        "<code>{}</code> isn't a wallet address I can watch. I follow Ethereum wallets \
         (0x and 40 hex characters), TRON wallets (T…, 34 characters) and Solana wallets \
         (base58, 32–44 characters).",
        escape(&shown)
    )
}

/// "Treasury (<code>0x12…cdef</code>)" or just the shortened address.
fn wallet_html(label: &str, address: &str) -> String {
    let short = format!("<code>{}</code>", escape(&shorten(address)));
    if label.is_empty() {
        short
    } else {
        format!("<b>{}</b> ({short})", escape(label))
    }
}

fn shorten(address: &str) -> String {
    let chars: Vec<char> = address.chars().collect();
    if chars.len() <= 14 {
        return address.to_string();
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// "1234567.891" → "1,234,567.89": whole dollars grouped, cents kept.
fn dollars(decimal: &str) -> String {
    let (whole, fraction) = decimal.split_once('.').unwrap_or((decimal, ""));
    let grouped = whole
        .parse::<u64>()
        .map_or_else(|_| whole.to_string(), crate::risk::fmt::count);
    let cents: String = fraction.chars().chain("00".chars()).take(2).collect();
    if cents == "00" {
        grouped
    } else {
        format!("{grouped}.{cents}")
    }
}

/// The alert message.
pub fn alert_html(alert: &Alert) -> String {
    let movement: &WalletMove = &alert.movement;
    let amount = dollars(&movement.token.format_amount(movement.amount));
    let wallet = wallet_html(&alert.label, &movement.wallet);
    let (verb, preposition) = if movement.received {
        ("received by", "from")
    } else {
        ("sent by", "to")
    };
    let other = movement
        .counterparty
        .as_deref()
        .map(|c| format!(" {preposition} <code>{}</code>", escape(&shorten(c))))
        .unwrap_or_default();
    let when: DateTime<Utc> = movement.block_time;
    format!(
        "🐋 <b>Whale move</b> · {chain}\n\n<b>{amount} {symbol}</b> {verb} {wallet}{other}\n\
         {time} · <a href=\"{url}\">view transaction</a>",
        chain = movement.chain.display_name(),
        symbol = movement.token.symbol(),
        time = when.format("%Y-%m-%d %H:%M UTC"),
        url = escape(&explorer_tx_url(movement.chain, &movement.tx_hash)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payments::amount::Amount;
    use crate::payments::tokens::ETHEREUM_USDT;

    #[test]
    fn amounts_read_like_dollars() {
        assert_eq!(dollars("1234567.891"), "1,234,567.89");
        assert_eq!(dollars("100000.00"), "100,000");
        assert_eq!(dollars("999.5"), "999.50");
        assert_eq!(dollars("12"), "12");
    }

    #[test]
    fn an_alert_names_the_amount_the_wallet_the_other_side_and_the_transaction() {
        let alert = Alert {
            chat_id: 1,
            label: "Binance <hot>".into(),
            movement: WalletMove {
                chain: Chain::Ethereum,
                token: ETHEREUM_USDT,
                wallet: "0xDFd5293D8e347dFe59E90eFd55b2956a1343963d".into(),
                received: false,
                counterparty: Some("0xf7140bB010Da74A191E3C98F801E596937F177Fb".into()),
                amount: Amount::from_base_units(4_496_800_000_000),
                tx_hash: "0xd3d529d0d4".into(),
                block_time: DateTime::from_timestamp(1_671_121_907, 0).unwrap(),
            },
        };
        let html = alert_html(&alert);
        assert!(html.contains("<b>4,496,800 USDT</b> sent by"), "{html}");
        assert!(html.contains("<b>Binance &lt;hot&gt;</b>"), "{html}");
        assert!(html.contains("<code>0xDFd5…963d</code>"), "{html}");
        assert!(html.contains(" to <code>0xf714…77Fb</code>"), "{html}");
        assert!(
            html.contains("https://etherscan.io/tx/0xd3d529d0d4"),
            "{html}"
        );
        assert!(html.contains("2022-12-15 16:31 UTC"), "{html}");
    }
}
