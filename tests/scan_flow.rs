//! The risk radar in Telegram, end to end: the real bot against the Telegram, GoPlus and
//! honeypot.is simulators, asserting what the trader sees.

mod support;

use std::time::Duration;

use support::keyboard::{button_data, buttons, edited_until, press};
use support::{Harness, WAIT, trader};
use tiltguard_sim::risk::{GoPlusMode, RiskSim};
use tiltguard_sim::{SimEventKind, SimMessage};

const KOKODI: &str = "0x4e7e15a6b83718ba79674cc4ce09f7d4a631ec2c";
const KOKODI_EIP55: &str = "0x4e7E15A6B83718bA79674cc4ce09f7d4a631eC2C";
const WETH: &str = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
const REN: &str = "0x408e41876cccdc0f92210600ef50372656052a38";
const TOES: &str = "6ehEcTMCc85aNF4x9CWx8HuvWGhxQtvKdhKVf2HDpump";
const UNKNOWN: &str = "0x1111111111111111111111111111111111111111";

/// A harness whose bot scans against a fresh GoPlus + honeypot.is simulator.
async fn radar(settings: &[(&str, &str)]) -> (Harness, RiskSim) {
    let sim = RiskSim::start().await.expect("risk sim");
    let mut h = Harness::new().await;
    h.set("GOPLUS_API_URL", sim.base_url());
    h.set("HONEYPOT_API_URL", sim.base_url());
    for (key, value) in settings {
        h.set(key, *value);
    }
    h.start().await;
    (h, sim)
}

/// Waits until the bot's `n`-th message in the chat no longer says "Scanning" and returns it.
async fn settled(h: &Harness, chat_id: i64, n: usize) -> SimMessage {
    let message_id = h.wait_for_bot_messages(chat_id, n).await[n - 1].message_id;
    let done = h
        .telegram
        .wait_until(WAIT, |sim| {
            sim.message(chat_id, message_id)
                .is_some_and(|m| !m.text.contains("Scanning"))
        })
        .await;
    let message = h.telegram.message(chat_id, message_id).expect("message");
    assert!(done, "still scanning: {}", message.text);
    message
}

#[tokio::test]
async fn scanning_a_honeypot_edits_the_placeholder_into_a_critical_report() {
    let (mut h, sim) = radar(&[]).await;
    let (ann, chat) = trader(5001, "Ann");
    h.telegram
        .send_text(&chat, &ann, &format!("/scan {KOKODI}"));
    let report = settled(&h, chat.id, 1).await;
    // The first thing the trader saw was the placeholder, and it became the report in place.
    let first_send = h
        .telegram
        .events_for(chat.id)
        .into_iter()
        .find(|e| e.kind == SimEventKind::Send)
        .expect("a send");
    assert!(
        first_send.text.starts_with("🔎 Scanning"),
        "{}",
        first_send.text
    );
    assert_eq!(first_send.message_id, Some(report.message_id));
    assert!(report.edits >= 1);
    assert!(report.text.contains("CRITICAL risk"), "{}", report.text);
    assert!(
        report.text.contains("KOKODI (KOKO) on Ethereum"),
        "{}",
        report.text
    );
    assert!(
        report
            .text
            .contains("Sells are blocked: this is a honeypot"),
        "{}",
        report.text
    );
    assert!(report.text.contains(KOKODI_EIP55));
    assert!(report.text.ends_with("Not financial advice."));
    let labels: Vec<String> = buttons(&report).into_iter().map(|(t, _)| t).collect();
    assert_eq!(labels, vec!["🔄 Rescan", "📋 All checks"]);
    assert_eq!(
        h.telegram.bot_messages(chat.id).len(),
        1,
        "one message per scan"
    );
    // Seven chains were asked once each; only Ethereum knows the token.
    assert_eq!(sim.total_goplus_calls(), 7);
    assert!(h.telegram.commands().iter().any(|(c, _)| c == "scan"));
    h.stop().await;
}

#[tokio::test]
async fn an_address_pasted_in_private_is_scanned_without_a_command() {
    let (mut h, _sim) = radar(&[]).await;
    let (bob, chat) = trader(5002, "Bob");
    h.telegram.send_text(&chat, &bob, &format!("  {TOES} "));
    let report = settled(&h, chat.id, 1).await;
    assert!(report.text.contains("HIGH risk"), "{}", report.text);
    assert!(
        report.text.contains("TOES (TOESCOIN) on Solana"),
        "{}",
        report.text
    );
    assert!(
        report.text.contains("$13"),
        "thin liquidity is the reason: {}",
        report.text
    );
    // A pasted near miss gets the typo explained, not a coaching reply.
    h.telegram
        .send_text(&chat, &bob, "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756cC2");
    let typo = h.wait_for_bot_messages(chat.id, 2).await.remove(1);
    assert!(
        typo.text.contains("typo") && typo.text.contains(WETH),
        "{}",
        typo.text
    );
    h.stop().await;
}

#[tokio::test]
async fn a_token_on_two_chains_is_picked_from_a_keyboard() {
    let (mut h, sim) = radar(&[]).await;
    assert!(sim.serve_goplus_also_on("56", WETH));
    let (cat, chat) = trader(5003, "Cat");
    h.telegram.send_text(&chat, &cat, &format!("/scan {WETH}"));
    let pick = settled(&h, chat.id, 1).await;
    assert!(
        pick.text.contains("is a token on 2 chains"),
        "{}",
        pick.text
    );
    let choices = buttons(&pick);
    assert_eq!(
        choices,
        vec![
            ("Ethereum".to_string(), format!("scan:pick:1:{WETH}")),
            ("BNB Chain".to_string(), format!("scan:pick:56:{WETH}")),
        ]
    );
    assert!(choices.iter().all(|(_, data)| data.len() <= 64));
    press(
        &h,
        &chat,
        &cat,
        pick.message_id,
        &format!("scan:pick:56:{WETH}"),
    )
    .await;
    let report = edited_until(&h, chat.id, pick.message_id, |m| m.text.contains("risk ·")).await;
    assert!(report.text.contains("on BNB Chain"), "{}", report.text);
    let html = report.html.clone().unwrap_or_default();
    assert!(
        html.contains(&format!("https://bscscan.com/token/{WETH}")),
        "{html}"
    );
    // The pick was served from the lookup's cache.
    assert_eq!(sim.goplus_calls("56", WETH), 1);
    assert_eq!(h.telegram.bot_messages(chat.id).len(), 1);
    h.stop().await;
}

#[tokio::test]
async fn all_checks_expands_top_reasons_collapses_and_rescan_asks_again() {
    let (mut h, sim) = radar(&[]).await;
    let (dan, chat) = trader(5004, "Dan");
    h.telegram
        .send_text(&chat, &dan, &format!("/scan {KOKODI} ethereum"));
    let report = settled(&h, chat.id, 1).await;
    assert!(report.text.contains("Why"), "{}", report.text);
    assert!(!report.text.contains("✅"));
    let id = report.message_id;

    press(&h, &chat, &dan, id, &button_data(&report, "All checks")).await;
    let expanded = edited_until(&h, chat.id, id, |m| {
        buttons(m)
            .iter()
            .any(|(label, _)| label.contains("Top reasons"))
    })
    .await;
    assert!(
        expanded.text.contains("\nAll checks\n"),
        "{}",
        expanded.text
    );
    assert!(
        expanded.text.contains("✅"),
        "passed checks are listed: {}",
        expanded.text
    );
    assert!(expanded.text.contains("Sells are blocked"));
    let labels: Vec<String> = buttons(&expanded).into_iter().map(|(t, _)| t).collect();
    assert_eq!(labels, vec!["🔄 Rescan", "⬆️ Top reasons"]);

    press(&h, &chat, &dan, id, &button_data(&expanded, "Top reasons")).await;
    let compact = edited_until(&h, chat.id, id, |m| {
        buttons(m)
            .iter()
            .any(|(label, _)| label.contains("All checks"))
    })
    .await;
    assert!(compact.text.contains("\nWhy\n"), "{}", compact.text);
    assert!(!compact.text.contains("✅"));
    assert_eq!(
        sim.goplus_calls("1", KOKODI),
        1,
        "toggling the view is served from the cache"
    );

    let answer = press(&h, &chat, &dan, id, &button_data(&compact, "Rescan")).await;
    assert_eq!(answer.as_deref(), Some("Scanning again…"));
    // "Scanning…" again, then the fresh report: two more edits of the same message.
    let after = edited_until(&h, chat.id, id, |m| {
        m.edits >= compact.edits + 2 && m.text.contains("CRITICAL risk")
    })
    .await;
    assert!(after.text.contains("Why"), "{}", after.text);
    assert_eq!(sim.goplus_calls("1", KOKODI), 2, "Rescan asks GoPlus again");
    assert_eq!(buttons(&after).len(), 2);
    assert_eq!(h.telegram.bot_messages(chat.id).len(), 1);
    h.stop().await;
}

#[tokio::test]
async fn goplus_down_says_so_and_rescan_works_once_it_recovers() {
    // One free scan a day: the failed scan must give its unit back for the rescan to run.
    let (mut h, sim) = radar(&[("FREE_DAILY_SCANS", "1")]).await;
    sim.set_goplus_mode(GoPlusMode::Down);
    let (eve, chat) = trader(5005, "Eve");
    h.telegram
        .send_text(&chat, &eve, &format!("/scan {KOKODI} 1"));
    let failed = settled(&h, chat.id, 1).await;
    assert!(
        failed.text.contains("GoPlus is not answering right now"),
        "{}",
        failed.text
    );
    assert!(failed.text.contains("Rescan"), "{}", failed.text);
    let rescan = button_data(&failed, "Rescan");
    assert_eq!(rescan, format!("scan:re:1:{KOKODI_EIP55}"));

    sim.set_goplus_mode(GoPlusMode::Normal);
    press(&h, &chat, &eve, failed.message_id, &rescan).await;
    let report = edited_until(&h, chat.id, failed.message_id, |m| {
        m.text.contains("CRITICAL risk")
    })
    .await;
    assert!(report.text.contains("honeypot"));
    assert_eq!(sim.goplus_calls("1", KOKODI), 2);

    // The rescan used the refunded unit, so the day's one scan is now spent.
    h.telegram
        .send_text(&chat, &eve, &format!("/scan {REN} ethereum"));
    let quota = h.wait_for_bot_messages(chat.id, 2).await.remove(1);
    assert!(
        quota.text.contains("You've used today's 1 free scans"),
        "{}",
        quota.text
    );
    h.stop().await;
}

#[tokio::test]
async fn upstream_rate_limits_are_named_and_offer_rescan() {
    let (mut h, sim) = radar(&[]).await;
    sim.set_goplus_mode(GoPlusMode::RateLimited);
    let (fay, chat) = trader(5006, "Fay");
    h.telegram.send_text(&chat, &fay, &format!("/scan {REN}"));
    let limited = settled(&h, chat.id, 1).await;
    assert!(
        limited.text.contains("GoPlus is rate-limiting scans"),
        "{}",
        limited.text
    );
    let rescan = button_data(&limited, "Rescan");
    let address = rescan
        .strip_prefix("scan:re:any:")
        .expect("a rescan of every chain");
    assert!(address.eq_ignore_ascii_case(REN), "{rescan}");
    h.stop().await;
}

#[tokio::test]
async fn a_user_hammering_scan_gets_one_polite_notice() {
    let (mut h, sim) = radar(&[("SCANS_PER_MINUTE", "2")]).await;
    let (gus, chat) = trader(5007, "Gus");
    for _ in 0..4 {
        h.telegram
            .send_text(&chat, &gus, &format!("/scan {REN} ethereum"));
    }
    let messages = h.wait_for_bot_messages(chat.id, 3).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let messages_after = h.telegram.bot_messages(chat.id);
    assert_eq!(
        messages_after.len(),
        3,
        "the fourth scan is refused silently"
    );
    let notices: Vec<&SimMessage> = messages
        .iter()
        .filter(|m| m.text.contains("more than 2 scans a minute"))
        .collect();
    assert_eq!(notices.len(), 1);
    assert_eq!(
        sim.goplus_calls("1", REN),
        1,
        "the second scan was a cache hit"
    );
    // Another trader is not slowed down by Gus.
    let (hal, other) = trader(5008, "Hal");
    h.telegram
        .send_text(&other, &hal, &format!("/scan {REN} ethereum"));
    let report = settled(&h, other.id, 1).await;
    assert!(report.text.contains("MEDIUM risk"), "{}", report.text);
    h.stop().await;
}

#[tokio::test]
async fn the_daily_quota_is_announced_once_and_admins_are_exempt() {
    let (mut h, _sim) = radar(&[
        ("FREE_DAILY_SCANS", "2"),
        ("SCANS_PER_MINUTE", "100"),
        ("ADMIN_USER_IDS", "5010"),
    ])
    .await;
    let (ivy, chat) = trader(5009, "Ivy");
    for _ in 0..4 {
        h.telegram
            .send_text(&chat, &ivy, &format!("/scan {REN} ethereum"));
    }
    h.wait_for_bot_messages(chat.id, 3).await;
    tokio::time::sleep(Duration::from_millis(700)).await;
    let texts: Vec<String> = h
        .telegram
        .bot_messages(chat.id)
        .into_iter()
        .map(|m| m.text)
        .collect();
    assert_eq!(texts.len(), 3, "{texts:#?}");
    assert_eq!(
        texts.iter().filter(|t| t.contains("MEDIUM risk")).count(),
        2
    );
    let notice = texts
        .iter()
        .find(|t| t.contains("free scans"))
        .expect("quota notice");
    assert!(
        notice.contains("You've used today's 2 free scans. They reset at 00:00 UTC, in "),
        "{notice}"
    );

    let (admin, admin_chat) = trader(5010, "Admin");
    for _ in 0..3 {
        h.telegram
            .send_text(&admin_chat, &admin, &format!("/scan {REN} ethereum"));
    }
    for n in 1..=3 {
        let report = settled(&h, admin_chat.id, n).await;
        assert!(report.text.contains("MEDIUM risk"), "{}", report.text);
    }
    h.stop().await;
}

#[tokio::test]
async fn bad_input_gets_a_clear_kind_answer_and_costs_nothing() {
    let (mut h, sim) = radar(&[("FREE_DAILY_SCANS", "1")]).await;
    let (jo, chat) = trader(5011, "Jo");
    let cases = [
        ("/scan", "Send <code>/scan"),
        ("/scan 0x1234", "exactly 40 hex characters"),
        (
            &format!("/scan {KOKODI} fantom") as &str,
            "I don't know the chain \"fantom\"",
        ),
        (
            &format!("/scan {TOES} bsc") as &str,
            "can't be on BNB Chain: it is a Solana address",
        ),
    ];
    for (i, (text, expected)) in cases.iter().enumerate() {
        h.telegram.send_text(&chat, &jo, text);
        let reply = h.wait_for_bot_messages(chat.id, i + 1).await.remove(i);
        let html = reply.html.clone().unwrap_or_default();
        assert!(html.contains(expected), "{text}: {html}");
    }
    let malformed = h.telegram.bot_messages(chat.id).remove(1);
    assert!(
        malformed.text.contains("A token address looks like 0x"),
        "{}",
        malformed.text
    );
    assert!(
        h.telegram.bot_messages(chat.id)[0]
            .text
            .contains(&format!("/scan {WETH}"))
    );
    assert_eq!(sim.total_goplus_calls(), 0);

    // The one free scan of the day was not spent by the typos: an unknown token is answered.
    h.telegram
        .send_text(&chat, &jo, &format!("/scan {UNKNOWN}"));
    let unknown = settled(&h, chat.id, 5).await;
    assert!(
        unknown
            .text
            .contains("GoPlus has no token at this address on Ethereum, BNB Chain, Base"),
        "{}",
        unknown.text
    );
    assert!(buttons(&unknown).is_empty());
    h.stop().await;
}

#[tokio::test]
async fn a_view_switch_after_the_cache_expired_fetches_again_and_stale_buttons_are_answered() {
    let (mut h, sim) = radar(&[("SCAN_CACHE_TTL_SECONDS", "1")]).await;
    let (kim, chat) = trader(5012, "Kim");
    h.telegram
        .send_text(&chat, &kim, &format!("/scan {KOKODI} ethereum"));
    let report = settled(&h, chat.id, 1).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let answer = press(
        &h,
        &chat,
        &kim,
        report.message_id,
        &button_data(&report, "All checks"),
    )
    .await;
    assert_eq!(
        answer.as_deref(),
        Some("That report expired; fetching fresh data…")
    );
    let expanded = edited_until(&h, chat.id, report.message_id, |m| {
        buttons(m)
            .iter()
            .any(|(label, _)| label.contains("Top reasons"))
    })
    .await;
    assert!(expanded.text.contains("✅"), "{}", expanded.text);
    assert_eq!(sim.goplus_calls("1", KOKODI), 2);

    // Data this bot never drew (or a tampered address) is answered, never left spinning.
    let answer = press(&h, &chat, &kim, report.message_id, "scan:all:1:0x1234").await;
    assert!(answer.unwrap_or_default().contains("expired"));
    h.stop().await;
}
