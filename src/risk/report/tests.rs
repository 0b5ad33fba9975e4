//! Report building and rendering against the recorded fixtures.

use super::*;
use crate::risk::detect::detect;
use crate::risk::goplus;
use crate::risk::honeypot;
use crate::risk::score::{FlagId, IssuerAllowlist, Outcome};

const KOKODI_ADDR: &str = "0x4e7e15a6b83718ba79674cc4ce09f7d4a631ec2c";
const WETH_ADDR: &str = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2";

pub(crate) fn kokodi_report() -> ScanReport {
    let sec = goplus::parse_response(
        Chain::Ethereum,
        KOKODI_ADDR,
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/goplus/goplus_evm_token_security_kokodi_honeypot_0x4e7e15a6.json"
        )),
    )
    .expect("fixture");
    let address = detect(KOKODI_ADDR).expect("address");
    ScanReport::build(Chain::Ethereum, &address, &sec, None, None)
}

fn weth_report() -> ScanReport {
    let sec = goplus::parse_response(
        Chain::Ethereum,
        WETH_ADDR,
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/goplus/goplus_evm_token_security_weth_0xc02aaa39.json"
        )),
    )
    .expect("fixture");
    let simulation = honeypot::parse_verdict(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/honeypot_is/honeypot_is_v2_IsHoneypot_weth_chain1.json"
    )))
    .expect("fixture");
    let allowlist = IssuerAllowlist::default();
    let address = detect(WETH_ADDR).expect("address");
    ScanReport::build(
        Chain::Ethereum,
        &address,
        &sec,
        Some(&simulation),
        allowlist.lookup(Chain::Ethereum, WETH_ADDR),
    )
}

/// Asserts Telegram would accept the HTML: only b/i/code/a tags, balanced, entities escaped.
pub(crate) fn assert_valid_telegram_html(html: &str) {
    let mut open: Vec<&str> = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(['<', '&']) {
        let after = &rest[start..];
        if let Some(entity) = after.strip_prefix('&') {
            let ok = ["amp;", "lt;", "gt;", "quot;"]
                .iter()
                .any(|name| entity.starts_with(name));
            assert!(ok, "raw & in {html}");
            rest = entity;
            continue;
        }
        let end = after
            .find('>')
            .unwrap_or_else(|| panic!("unclosed tag in {html}"));
        let tag = &after[1..end];
        match tag {
            "b" | "i" | "code" => open.push(tag),
            "/b" | "/i" | "/code" | "/a" => {
                assert_eq!(open.pop(), Some(&tag[1..]), "unbalanced {tag} in {html}");
            }
            _ if tag.starts_with("a href=\"") && tag.ends_with('"') => {
                assert!(!tag[8..tag.len() - 1].contains('"'), "quote in href");
                open.push("a");
            }
            _ => panic!("tag <{tag}> is not allowed in {html}"),
        }
        rest = &after[end + 1..];
    }
    assert!(open.is_empty(), "unclosed {open:?}");
}

#[test]
fn kokodi_report_carries_the_figures_and_links() {
    let report = kokodi_report();
    assert_eq!(report.title(), "KOKODI (KOKO)");
    assert_eq!(report.address, "0x4e7E15A6B83718bA79674cc4ce09f7d4a631eC2C");
    assert_eq!(report.level, Level::Critical);
    assert_eq!(report.holder_count, Some(40));
    assert_eq!(report.lp_locked_share, Some(1.0));
    assert_eq!(report.sources, vec![Source::Goplus]);
    assert_eq!(
        report.links[0].url,
        "https://etherscan.io/token/0x4e7E15A6B83718bA79674cc4ce09f7d4a631eC2C"
    );
    assert!(
        report.links[1]
            .url
            .starts_with("https://dexscreener.com/ethereum/")
    );
}

#[test]
fn compact_telegram_view_leads_with_the_worst_reasons() {
    let report = kokodi_report();
    let html = render_telegram_html(&report, false);
    assert_valid_telegram_html(&html);
    assert!(
        html.starts_with("🔴 <b>CRITICAL risk</b> · score <b>100</b>/100"),
        "{html}"
    );
    assert!(html.contains("<b>KOKODI (KOKO)</b> on Ethereum"));
    let why = html.split("<b>Why</b>\n").nth(1).expect("reasons section");
    let first_reason = why.lines().next().expect("a reason");
    assert_eq!(first_reason, "⛔ Sells are blocked: this is a honeypot");
    let reason_lines = why
        .lines()
        .take_while(|l| !l.is_empty())
        .filter(|l| !l.starts_with("<i>"))
        .count();
    assert_eq!(reason_lines, 5);
    assert!(html.contains(&format!(
        "<i>+{} more under All checks</i>",
        report.flags.len() - 5
    )));
    assert!(html.contains("<b>Holders</b> 40 · top 10 wallets 57%"));
    assert!(html.contains("<a href=\"https://etherscan.io/token/"));
    assert!(html.ends_with("\nNot financial advice."));
    assert!(!html.contains("✅"), "compact view lists no passed checks");
}

#[test]
fn expanded_view_lists_every_check_including_passed_ones() {
    let report = kokodi_report();
    let html = render_telegram_html(&report, true);
    assert_valid_telegram_html(&html);
    assert!(html.contains("<b>All checks</b>"));
    let passed = report
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Passed)
        .count();
    assert!(passed > 5);
    assert_eq!(html.matches("\n✅ ").count(), passed);
    for flag in &report.flags {
        assert!(
            html.contains(&escape_for_test(&flag.detail)),
            "missing {}",
            flag.detail
        );
    }
    assert!(html.contains("✅ Source code is verified"));
    assert!(html.encode_utf16().count() <= TELEGRAM_LIMIT_UTF16);
    assert!(html.ends_with("Not financial advice."));
}

fn escape_for_test(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[test]
fn recognised_issuer_shows_its_notes_as_reasons() {
    let report = weth_report();
    assert_eq!(report.level, Level::Low);
    assert_eq!(report.recognised_issuer.as_deref(), Some("WETH9"));
    assert_eq!(report.sources, vec![Source::Goplus, Source::HoneypotIs]);
    let html = render_telegram_html(&report, false);
    assert_valid_telegram_html(&html);
    assert!(html.starts_with("🟢 <b>LOW risk</b>"));
    assert!(html.contains("ℹ️ Recognised token: WETH is the canonical wrapped-coin contract"));
    assert!(html.contains("<b>Liquidity</b> $99.6M"));
    assert!(html.contains("<i>Data: GoPlus, honeypot.is</i>"));
}

#[test]
fn hostile_token_names_are_escaped_and_trimmed() {
    let mut report = kokodi_report();
    report.name = clean_label("<b>Free</b> & \"safe\"\u{0007} token");
    report.flags[0].detail = "a < b & c > d".to_string();
    for expanded in [false, true] {
        let html = render_telegram_html(&report, expanded);
        assert_valid_telegram_html(&html);
        assert!(
            html.contains("&lt;b&gt;Free&lt;/b&gt; &amp; &quot;safe&quot; token"),
            "{html}"
        );
        assert!(html.contains("a &lt; b &amp; c &gt; d"));
    }
    let long = clean_label(&"X".repeat(500)).expect("label");
    assert_eq!(long.chars().count(), 48);
    assert_eq!(clean_label(" \u{0000} "), None);
}

#[test]
fn expanded_view_stays_under_the_limit_even_with_huge_input() {
    let mut report = kokodi_report();
    let template = report.checks[0].clone();
    for index in 0..300 {
        let mut check = template.clone();
        check.outcome = Outcome::Passed;
        check.detail =
            format!("Synthetic passed check number {index} with a fairly long sentence 🚀");
        report.checks.push(check);
    }
    let html = render_telegram_html(&report, true);
    assert_valid_telegram_html(&html);
    assert!(
        html.encode_utf16().count() <= TELEGRAM_LIMIT_UTF16,
        "{}",
        html.len()
    );
    assert!(html.contains("more checks passed</i>"));
    assert!(html.ends_with("Not financial advice."));
}

#[test]
fn json_has_the_documented_shape() {
    let value = serde_json::to_value(kokodi_report()).expect("serialise");
    assert_eq!(value["chain"], "ethereum");
    assert_eq!(
        value["address"],
        "0x4e7E15A6B83718bA79674cc4ce09f7d4a631eC2C"
    );
    assert_eq!(value["name"], "KOKODI");
    assert_eq!(value["symbol"], "KOKO");
    assert_eq!(value["score"], 100);
    assert_eq!(value["level"], "critical");
    assert_eq!(value["flags"][0]["id"], "honeypot");
    assert_eq!(value["flags"][0]["severity"], "critical");
    assert_eq!(
        value["flags"][0]["detail"],
        "Sells are blocked: this is a honeypot"
    );
    let check = value["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["id"] == "not_open_source"))
        .expect("check row");
    assert_eq!(check["status"], "passed");
    assert_eq!(value["sources"][0], "goplus");
    assert!(value["liquidity_usd"].is_number());
}

#[test]
fn terminal_view_lists_findings_and_figures() {
    let text = render_terminal(&kokodi_report());
    assert!(text.starts_with("🔴 CRITICAL RISK  score 100/100"));
    assert!(text.contains("⛔ [critical] Sells are blocked: this is a honeypot (honeypot)"));
    assert!(text.contains("Holders     40, top 10 wallets 57%"));
    assert!(text.contains("Etherscan: https://etherscan.io/token/"));
    assert!(text.ends_with("Not financial advice."));
    assert!(!text.contains("<b>"));
}

#[test]
fn top_reasons_skip_info_when_something_serious_exists() {
    let report = kokodi_report();
    assert!(
        report
            .top_reasons(50)
            .iter()
            .all(|f| f.severity > Severity::Info)
    );
    assert_eq!(report.top_reasons(2).len(), 2);
    assert_eq!(report.top_reasons(2)[0].id, FlagId::Honeypot);
}

#[test]
fn short_addresses_for_untitled_tokens() {
    assert_eq!(
        short_address("0x4e7E15A6B83718bA79674cc4ce09f7d4a631eC2C"),
        "0x4e7E…eC2C"
    );
    assert_eq!(short_address("abc"), "abc");
}
