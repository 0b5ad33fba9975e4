//! Whale alerts against the chain simulators: the store's watch lists, the poller on each
//! chain (once per watch, never for history or small moves, across restarts and outages),
//! and the whole flow through the real bot.

mod payments_support;
mod support;

use chrono::Utc;
use payments_support::{OUR_SOL, OUR_TRON, billing, chain_env, payments_config};
use support::{Harness, trader};
use tiltguard::payments::tokens::{ETHEREUM_USDC, ETHEREUM_USDT, SOLANA_USDC, TRON_USDT};
use tiltguard::payments::watcher::TransferListings;
use tiltguard::payments::watcher::token_account::associated_token_address;
use tiltguard::store::testing::each_store;
use tiltguard::store::{AddWatch, Store};
use tiltguard::whales::{Alert, AlertSink, WhalePoller, WhaleSettings};
use tiltguard_sim::chains::{Api, ChainSim, Commitment, Mode};
use tiltguard_sim::{SimChat, SimMessage};

const WHALE_ETH: &str = "0x28C6c06298d514Db089934071355E5743bf21d60";
const EXCHANGE_ETH: &str = "0x21a31Ee1afC51d94C2eFcCAa2092aD1028285549";
/// The payer of the recorded Tronscan transfer, here a whale.
const WHALE_TRON: &str = "TQQrSXL8WCxeEfkZPHDrG6qX9MistA1XgV";

fn dollars(n: u128) -> u128 {
    n * 1_000_000
}

fn now() -> u64 {
    Utc::now().timestamp() as u64
}

fn poller(store: &Store, sim: &ChainSim) -> WhalePoller {
    let listings =
        TransferListings::new(reqwest::Client::new(), &payments_config(sim), &billing(sim));
    WhalePoller::new(store.clone(), listings, WhaleSettings::default())
}

/// The Ethereum whale sends `units` of USDT to the exchange at `at`.
fn whale_sends_usdt(sim: &ChainSim, units: u128, at: u64) -> String {
    sim.transfer_eth(
        ETHEREUM_USDT.contract(),
        Some(WHALE_ETH),
        EXCHANGE_ETH,
        units,
        at,
    )
}

/// The bot's `n`-th message in the chat (1-based), once it exists.
async fn nth_reply(h: &Harness, chat: &SimChat, n: usize) -> SimMessage {
    h.wait_for_bot_messages(chat.id, n).await.remove(n - 1)
}

/// Keeps the alerts of a round, for assertions.
#[derive(Default)]
struct Collected(std::sync::Mutex<Vec<Alert>>);

impl AlertSink for Collected {
    async fn alert(&self, alert: Alert) {
        self.0.lock().unwrap().push(alert);
    }
}

/// One poll round's alerts.
async fn round(poller: &WhalePoller) -> Vec<Alert> {
    let collected = Collected::default();
    let sent = poller.tick(&collected).await;
    let alerts = collected.0.into_inner().unwrap();
    assert_eq!(sent, alerts.len());
    alerts
}

/// (chat, received, whole dollars) of each alert, in order.
fn summary(alerts: &[Alert]) -> Vec<(i64, bool, u128)> {
    alerts
        .iter()
        .map(|a| {
            (
                a.chat_id,
                a.movement.received,
                a.movement.amount.base_units() / 1_000_000,
            )
        })
        .collect()
}

async fn watch(store: &Store, user: i64, chain: &str, address: &str, label: &str) {
    let added = store
        .add_watch(user, user, chain, address, label, 10)
        .await
        .unwrap();
    assert!(matches!(added, AddWatch::Added(_)), "{added:?}");
}

#[tokio::test]
async fn a_trader_s_watch_list_has_a_limit_and_one_entry_per_wallet() {
    for (db, store) in each_store().await {
        let first = store
            .add_watch(7, 70, "ethereum", WHALE_ETH, "Binance", 2)
            .await
            .unwrap();
        assert!(matches!(first, AddWatch::Added(_)), "{db}: {first:?}");
        let again = store
            .add_watch(7, 71, "ethereum", WHALE_ETH, "Binance 14", 2)
            .await
            .unwrap();
        let AddWatch::AlreadyWatched(watch) = again else {
            panic!("{db}: {again:?}");
        };
        assert_eq!((watch.chat_id, watch.label.as_str()), (71, "Binance 14"));
        let unnamed = store
            .add_watch(7, 71, "ethereum", WHALE_ETH, "", 2)
            .await
            .unwrap();
        assert!(
            matches!(&unnamed, AddWatch::AlreadyWatched(w) if w.label == "Binance 14"),
            "{db}: watching again without a name keeps the name: {unnamed:?}"
        );
        store
            .add_watch(7, 70, "tron", WHALE_TRON, "", 2)
            .await
            .unwrap();
        let third = store
            .add_watch(7, 70, "solana", OUR_SOL, "", 2)
            .await
            .unwrap();
        assert_eq!(third, AddWatch::LimitReached { limit: 2 }, "{db}");
        let listed: Vec<String> = store
            .watches_of(7)
            .await
            .unwrap()
            .into_iter()
            .map(|w| w.chain)
            .collect();
        assert_eq!(listed, ["ethereum", "tron"], "{db}");
        assert!(store.remove_watch(7, "tron", WHALE_TRON).await.unwrap());
        assert!(!store.remove_watch(7, "tron", WHALE_TRON).await.unwrap());
        assert_eq!(store.watches_of(7).await.unwrap().len(), 1, "{db}");
    }
}

#[tokio::test]
async fn large_ethereum_moves_are_alerted_once_to_every_watcher() {
    for (db, store) in each_store().await {
        let sim = ChainSim::start().await.expect("chain sim");
        watch(&store, 1, "ethereum", WHALE_ETH, "Binance 14").await;
        watch(&store, 2, "ethereum", WHALE_ETH, "").await;
        let t = now() + 5;
        // History from before the watches, and a move too small to be news.
        whale_sends_usdt(&sim, dollars(9_000_000), t - 7_200);
        whale_sends_usdt(&sim, dollars(99_999), t);
        whale_sends_usdt(&sim, dollars(250_000), t);
        sim.transfer_eth(
            ETHEREUM_USDC.contract(),
            Some(EXCHANGE_ETH),
            WHALE_ETH,
            dollars(1_000_000),
            t + 1,
        );
        let poller = poller(&store, &sim);
        let mut alerts = round(&poller).await;
        alerts.sort_by_key(|a| (a.chat_id, a.movement.amount));
        assert_eq!(
            summary(&alerts),
            [
                (1, false, 250_000),
                (1, true, 1_000_000),
                (2, false, 250_000),
                (2, true, 1_000_000)
            ],
            "{db}"
        );
        assert_eq!(alerts[0].label, "Binance 14");
        assert_eq!(
            alerts[0].movement.counterparty.as_deref(),
            Some(EXCHANGE_ETH)
        );
        assert!(round(&poller).await.is_empty(), "{db}: alerted twice");
        // A restarted bot remembers what it already said.
        let restarted = self::poller(&store, &sim);
        assert!(round(&restarted).await.is_empty(), "{db}");
    }
}

#[tokio::test]
async fn a_large_move_behind_a_page_of_small_ones_is_still_found() {
    let store = tiltguard::store::testing::fresh_sqlite().await;
    let sim = ChainSim::start().await.expect("chain sim");
    watch(&store, 6, "ethereum", WHALE_ETH, "Busy exchange").await;
    let t = now() + 5;
    whale_sends_usdt(&sim, dollars(400_000), t);
    // A busy hot wallet: more small withdrawals since than one listing page holds.
    for i in 0..150 {
        whale_sends_usdt(&sim, dollars(500 + i), t + 1);
    }
    let alerts = round(&poller(&store, &sim)).await;
    assert_eq!(summary(&alerts), [(6, false, 400_000)]);
}

#[tokio::test]
async fn a_tron_whale_is_alerted_after_an_explorer_outage() {
    for (db, store) in each_store().await {
        let sim = ChainSim::start().await.expect("chain sim");
        watch(&store, 3, "tron", WHALE_TRON, "Tron whale").await;
        sim.transfer_tron(
            TRON_USDT.contract(),
            WHALE_TRON,
            OUR_TRON,
            dollars(5_000_000),
            now() + 5,
            true,
        );
        sim.set_mode(Api::TronGrid, Mode::Down);
        let poller = poller(&store, &sim);
        assert!(round(&poller).await.is_empty(), "{db}");
        sim.set_mode(Api::TronGrid, Mode::Up);
        let alerts = round(&poller).await;
        assert_eq!(summary(&alerts), [(3, false, 5_000_000)], "{db}");
        assert_eq!(alerts[0].movement.counterparty.as_deref(), Some(OUR_TRON));
    }
}

#[tokio::test]
async fn a_solana_wallet_receiving_into_its_token_account_is_alerted() {
    for (db, store) in each_store().await {
        let sim = ChainSim::start().await.expect("chain sim");
        watch(&store, 4, "solana", OUR_SOL, "").await;
        let account = associated_token_address(OUR_SOL, SOLANA_USDC.contract()).unwrap();
        sim.pay_solana(
            SOLANA_USDC.contract(),
            OUR_SOL,
            &account,
            dollars(750_000),
            now() + 5,
            Commitment::Finalized,
        );
        let poller = poller(&store, &sim);
        let alerts = round(&poller).await;
        assert_eq!(summary(&alerts), [(4, true, 750_000)], "{db}");
        assert!(alerts[0].movement.counterparty.is_some(), "{db}");
        assert!(round(&poller).await.is_empty(), "{db}");
    }
}

#[tokio::test]
async fn a_large_solana_move_behind_a_page_of_small_ones_is_still_found() {
    let store = tiltguard::store::testing::fresh_sqlite().await;
    let sim = ChainSim::start().await.expect("chain sim");
    watch(&store, 8, "solana", OUR_SOL, "").await;
    let account = associated_token_address(OUR_SOL, SOLANA_USDC.contract()).unwrap();
    let t = now() + 5;
    let pay = |units: u128, at: u64| {
        sim.pay_solana(
            SOLANA_USDC.contract(),
            OUR_SOL,
            &account,
            units,
            at,
            Commitment::Finalized,
        )
    };
    pay(dollars(600_000), t);
    for i in 0..120 {
        pay(dollars(10 + i), t + 1);
    }
    let alerts = round(&poller(&store, &sim)).await;
    assert_eq!(summary(&alerts), [(8, true, 600_000)]);
}

#[tokio::test]
async fn a_trader_watches_a_wallet_gets_the_alert_and_stops_watching() {
    let sim = ChainSim::start().await.expect("chain sim");
    let mut h = Harness::new().await;
    for (key, value) in chain_env(&sim, 60) {
        h.set(key, value);
    }
    h.set("WHALE_POLL_SECONDS", "1");
    h.start().await;
    let (ann, chat) = trader(5001, "Ann");

    h.telegram.send_text(&chat, &ann, "/watch 0x12345");
    let refused = nth_reply(&h, &chat, 1).await;
    assert!(
        refused.text.contains("isn't a wallet address I can watch"),
        "{}",
        refused.text
    );

    h.telegram.send_text(
        &chat,
        &ann,
        &format!("/watch {} Binance 14", WHALE_ETH.to_lowercase()),
    );
    let watching = nth_reply(&h, &chat, 2).await;
    assert!(
        watching
            .text
            .contains("Watching Binance 14 (0x28C6…1d60) on Ethereum"),
        "{}",
        watching.text
    );
    assert!(watching.text.contains("$100,000"), "{}", watching.text);

    whale_sends_usdt(&sim, dollars(2_500_000), now() + 5);
    let alert = nth_reply(&h, &chat, 3).await;
    assert!(
        alert.text.contains("Whale move · Ethereum"),
        "{}",
        alert.text
    );
    assert!(
        alert.text.contains("2,500,000 USDT sent by Binance 14"),
        "{}",
        alert.text
    );

    h.telegram.send_text(&chat, &ann, "/watches");
    let listed = nth_reply(&h, &chat, 4).await;
    assert!(
        listed.text.contains("Your wallets (1 of 10)"),
        "{}",
        listed.text
    );

    h.telegram.send_text(&chat, &ann, "/unwatch binance 14");
    let stopped = nth_reply(&h, &chat, 5).await;
    assert!(
        stopped.text.contains("Stopped watching"),
        "{}",
        stopped.text
    );
    whale_sends_usdt(&sim, dollars(3_000_000), now() + 6);
    // Two more poll rounds: nothing for a wallet nobody watches.
    tokio::time::sleep(std::time::Duration::from_millis(2_500)).await;
    assert_eq!(h.telegram.bot_messages(chat.id).len(), 5);
    h.stop().await;
}

#[tokio::test]
async fn with_whale_alerts_turned_off_the_commands_say_so() {
    let mut h = Harness::new().await;
    h.set("WHALE_MAX_WATCHES", "0");
    h.start().await;
    let (bo, chat) = trader(5002, "Bo");
    h.telegram
        .send_text(&chat, &bo, &format!("/watch {WHALE_ETH}"));
    let off = nth_reply(&h, &chat, 1).await;
    assert_eq!(off.text, "Whale alerts are turned off on this bot.");
    h.telegram.send_text(&chat, &bo, "/watches");
    let listed = nth_reply(&h, &chat, 2).await;
    assert_eq!(listed.text, off.text);
    h.stop().await;
}
