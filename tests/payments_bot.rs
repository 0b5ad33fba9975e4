//! Premium end to end: the real bot against the Telegram and chain simulators.
//! /subscribe → plan → token → invoice → pay → /verify → confirmed → /status, and the
//! payments that confirm by themselves (pending across a restart, an explorer outage,
//! an exact amount paid without /verify).

mod payments_support;
mod support;

use payments_support::{OUR_SOL, OUR_TRON, chain_env, our_eth};
use support::keyboard::buttons;
use support::{Harness, WAIT, trader};
use tiltguard::payments::tokens::{ETHEREUM_USDT, SOLANA_USDC, TRON_USDT};
use tiltguard::payments::watcher::token_account::associated_token_address;
use tiltguard_sim::chains::{Api, ChainSim, Commitment, Mode};
use tiltguard_sim::{SimChat, SimMessage, SimUser};

async fn bot(sim: &ChainSim, watch_seconds: u64) -> Harness {
    let mut h = Harness::new().await;
    for (key, value) in chain_env(sim, watch_seconds) {
        h.set(key, value);
    }
    h.start().await;
    h
}

/// Waits until the bot's `n`-th message in the chat (1-based) exists and returns it.
async fn nth_reply(h: &Harness, chat: &SimChat, n: usize) -> SimMessage {
    h.wait_for_bot_messages(chat.id, n).await.remove(n - 1)
}

/// Waits for a bot message in the chat whose text contains `needle`.
async fn message_containing(h: &Harness, chat: &SimChat, needle: &str) -> SimMessage {
    let found = h
        .telegram
        .wait_until(WAIT, |sim| {
            sim.bot_messages(chat.id)
                .iter()
                .any(|m| m.text.contains(needle))
        })
        .await;
    let messages = h.telegram.bot_messages(chat.id);
    assert!(
        found,
        "no message with {needle:?}: {:#?}",
        messages.iter().map(|m| &m.text).collect::<Vec<_>>()
    );
    messages
        .into_iter()
        .rev()
        .find(|m| m.text.contains(needle))
        .unwrap()
}

/// Taps a button and waits for the message to change into one containing `needle`.
async fn tap(
    h: &Harness,
    chat: &SimChat,
    user: &SimUser,
    message: &SimMessage,
    data: &str,
    needle: &str,
) -> SimMessage {
    h.telegram
        .press_button(chat, user, message.message_id, data);
    let changed = h
        .telegram
        .wait_until(WAIT, |sim| {
            sim.message(chat.id, message.message_id)
                .is_some_and(|m| m.text.contains(needle))
        })
        .await;
    let now = h.telegram.message(chat.id, message.message_id).unwrap();
    assert!(changed, "after {data}: {}", now.text);
    now
}

/// /subscribe, a plan, a token: returns the invoice message and its exact amount.
async fn open_invoice(
    h: &Harness,
    chat: &SimChat,
    user: &SimUser,
    token_data: &str,
) -> (SimMessage, u128) {
    let before = h.telegram.bot_messages(chat.id).len();
    h.telegram.send_text(chat, user, "/subscribe");
    let picker = nth_reply(h, chat, before + 1).await;
    let networks = tap(
        h,
        chat,
        user,
        &picker,
        "pay:plan:monthly",
        "Pay with which token",
    )
    .await;
    let invoice = tap(h, chat, user, &networks, token_data, "Invoice #").await;
    let amount_line = invoice
        .text
        .lines()
        .skip_while(|line| !line.starts_with("Send exactly"))
        .nth(1)
        .expect("amount line");
    let amount = amount_line.split_whitespace().next().unwrap();
    let (whole, fraction) = amount.split_once('.').unwrap();
    let units = whole.parse::<u128>().unwrap() * 1_000_000
        + format!("{fraction:0<6}").parse::<u128>().unwrap();
    (invoice, units)
}

fn now() -> u64 {
    chrono::Utc::now().timestamp() as u64
}

#[tokio::test]
async fn subscribe_pay_verify_and_see_premium_in_status() {
    let sim = ChainSim::start().await.expect("chain sim");
    // The watcher stays quiet here so the payment is proven by /verify itself.
    let mut h = bot(&sim, 3_600).await;
    let menu: Vec<String> = h.telegram.commands().into_iter().map(|(c, _)| c).collect();
    for command in ["subscribe", "verify", "status"] {
        assert!(
            menu.contains(&command.to_string()),
            "{command} not in the menu"
        );
    }
    let (ann, chat) = trader(3001, "Ann");
    h.telegram.send_text(&chat, &ann, "/status");
    let free = nth_reply(&h, &chat, 1).await;
    assert!(
        free.text.contains("Free.") && free.text.contains("Coach replies: 0 / 30"),
        "{}",
        free.text
    );

    h.telegram.send_text(&chat, &ann, "/subscribe");
    let picker = nth_reply(&h, &chat, 2).await;
    assert!(
        picker.text.contains("300 coach replies a day"),
        "{}",
        picker.text
    );
    let plans: Vec<String> = buttons(&picker).into_iter().map(|(_, data)| data).collect();
    assert_eq!(plans, ["pay:plan:monthly", "pay:plan:yearly"]);
    let networks = tap(
        &h,
        &chat,
        &ann,
        &picker,
        "pay:plan:monthly",
        "Pay with which token",
    )
    .await;
    let offered: Vec<String> = buttons(&networks)
        .into_iter()
        .map(|(text, _)| text)
        .collect();
    assert_eq!(
        offered,
        [
            "USDT · Ethereum",
            "USDC · Ethereum",
            "USDT · TRON",
            "USDC · Solana",
            "USDT · Solana"
        ]
    );

    let invoice = tap(
        &h,
        &chat,
        &ann,
        &networks,
        "pay:tok:monthly:ethereum:usdt",
        "Invoice #",
    )
    .await;
    let text = &invoice.text;
    assert!(text.contains("9.990001 USDT"), "{text}");
    assert!(text.contains(&our_eth()), "{text}");
    assert!(
        text.contains("Only USDT on Ethereum") && text.contains(ETHEREUM_USDT.contract()),
        "{text}"
    );
    assert!(
        text.contains("Valid until") && text.contains("/verify <tx hash>"),
        "{text}"
    );
    let html = invoice.html.as_deref().unwrap_or_default();
    assert!(
        html.contains(&format!("<code>{}</code>", our_eth())),
        "address is copyable: {html}"
    );

    let hash = sim.pay_eth(ETHEREUM_USDT.contract(), &our_eth(), 9_990_001, now());
    sim.mine_eth_blocks(11);
    h.telegram
        .send_text(&chat, &ann, &format!("/verify {hash}"));
    // The picker became the invoice, so this is the third message.
    let confirmed = nth_reply(&h, &chat, 3).await;
    assert!(
        confirmed.text.contains("Payment confirmed"),
        "{}",
        confirmed.text
    );
    assert!(
        confirmed
            .text
            .contains("9.990001 USDT received on Ethereum"),
        "{}",
        confirmed.text
    );
    assert!(
        confirmed.text.contains("Premium is active until"),
        "{}",
        confirmed.text
    );

    h.telegram.send_text(&chat, &ann, "/status");
    let status = nth_reply(&h, &chat, 4).await;
    assert!(
        status.text.contains("Premium (Monthly) until"),
        "{}",
        status.text
    );
    assert!(
        status.text.contains("Coach replies: 0 / 300"),
        "{}",
        status.text
    );
    assert!(
        status.text.contains("Token scans: 0 / 100"),
        "{}",
        status.text
    );

    // Another trader cannot reuse the hash for their own invoice.
    let (bob, bob_chat) = trader(3002, "Bob");
    open_invoice(&h, &bob_chat, &bob, "pay:tok:monthly:ethereum:usdt").await;
    h.telegram
        .send_text(&bob_chat, &bob, &format!("/verify {hash}"));
    let reused = message_containing(&h, &bob_chat, "Not accepted").await;
    assert!(reused.text.contains("already been used"), "{}", reused.text);
    // A Solana signature for an Ethereum invoice names both networks.
    let ata = associated_token_address(OUR_SOL, SOLANA_USDC.contract()).unwrap();
    let signature = sim.pay_solana(
        SOLANA_USDC.contract(),
        OUR_SOL,
        &ata,
        9_990_002,
        now(),
        Commitment::Finalized,
    );
    h.telegram
        .send_text(&bob_chat, &bob, &format!("/verify {signature}"));
    let wrong = message_containing(&h, &bob_chat, "is a Solana transaction").await;
    assert!(
        wrong.text.contains("invoice is for Ethereum"),
        "{}",
        wrong.text
    );
    h.telegram.send_text(&bob_chat, &bob, "/verify 0x1234");
    message_containing(&h, &bob_chat, "cut off or mistyped").await;
    h.stop().await;
}

#[tokio::test]
async fn a_pending_payment_is_confirmed_after_a_restart_without_asking_again() {
    let sim = ChainSim::start().await.expect("chain sim");
    let mut h = bot(&sim, 1).await;
    let (cat, chat) = trader(3003, "Cat");
    let (_, amount) = open_invoice(&h, &chat, &cat, "pay:tok:monthly:ethereum:usdt").await;
    let hash = sim.pay_eth(ETHEREUM_USDT.contract(), &our_eth(), amount, now());
    h.telegram
        .send_text(&chat, &cat, &format!("/verify {hash}"));
    let pending = message_containing(&h, &chat, "not final yet").await;
    assert!(
        pending.text.contains("1/12 confirmations"),
        "{}",
        pending.text
    );

    h.stop().await;
    sim.mine_eth_blocks(11);
    h.start().await;
    let confirmed = message_containing(&h, &chat, "Payment confirmed").await;
    assert!(
        confirmed.text.contains("Premium is active until"),
        "{}",
        confirmed.text
    );
    h.stop().await;
}

#[tokio::test]
async fn an_explorer_outage_is_reported_and_the_payment_confirmed_on_recovery() {
    let sim = ChainSim::start().await.expect("chain sim");
    let mut h = bot(&sim, 1).await;
    let (dan, chat) = trader(3004, "Dan");
    let (_, amount) = open_invoice(&h, &chat, &dan, "pay:tok:monthly:tron:usdt").await;
    let hash = sim.pay_tron(TRON_USDT.contract(), OUR_TRON, amount, now(), true);
    sim.set_mode(Api::Tronscan, Mode::Down);
    h.telegram
        .send_text(&chat, &dan, &format!("/verify {hash}"));
    let down = message_containing(&h, &chat, "can't reach the TRON network").await;
    assert!(
        down.text.contains("check it again shortly"),
        "{}",
        down.text
    );
    sim.set_mode(Api::Tronscan, Mode::Up);
    let confirmed = message_containing(&h, &chat, "Payment confirmed").await;
    assert!(
        confirmed.text.contains("received on TRON"),
        "{}",
        confirmed.text
    );
    h.stop().await;
}

#[tokio::test]
async fn an_exact_amount_paid_without_verify_is_found_and_credited() {
    let sim = ChainSim::start().await.expect("chain sim");
    let mut h = bot(&sim, 1).await;
    let (eve, chat) = trader(3005, "Eve");
    let (_, amount) = open_invoice(&h, &chat, &eve, "pay:tok:monthly:solana:usdc").await;
    let ata = associated_token_address(OUR_SOL, SOLANA_USDC.contract()).unwrap();
    sim.pay_solana(
        SOLANA_USDC.contract(),
        OUR_SOL,
        &ata,
        amount,
        now(),
        Commitment::Finalized,
    );
    let found = message_containing(&h, &chat, "found by its exact amount").await;
    assert!(found.text.contains("received on Solana"), "{}", found.text);
    h.telegram.send_text(&chat, &eve, "/status");
    message_containing(&h, &chat, "Premium (Monthly) until").await;
    h.stop().await;
}
