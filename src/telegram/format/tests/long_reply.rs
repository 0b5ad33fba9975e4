//! A 9,000+ character coach reply whose Rust code block crosses Telegram's 4096 limit, and
//! checks shared by the splitting and streaming tests.

use super::validator::{check_telegram_html, visible_text};
use crate::telegram::format::utf16_len;

pub(super) const GUIDE_LINK: &str =
    "https://docs.gopluslabs.io/reference/token-security?chain_id=1&contract=0xabc";

/// About 9,600 characters: heading, prose with links and emoji, a quote, a list, then a long
/// Rust block that starts around 2,300 visible characters in and ends after 4,096.
pub(super) fn long_reply() -> String {
    let mut reply = String::from("## Building a risk dashboard in Rust 🦀\n\n");
    for round in 1..=4 {
        reply.push_str(&format!(
            "Round {round}: before any entry, write the **invalidation level** and the *reason* \
it invalidates the idea. Traders who skip this step confuse hope with a plan 🚀, and the \
market charges tuition for that. Check the token first with [the GoPlus guide]({GUIDE_LINK}) \
so a honeypot never reaches your watchlist. Keep position size <= 1% & review weekly.\n\n"
        ));
    }
    reply.push_str("> Cut losses early; let winners run.\n\n### Step 1: the sizing module\n\n");
    reply.push_str("- computes size from risk\n- refuses trades without a stop\n\n```rust\n");
    for line in 0..90 {
        reply.push_str(&format!(
            "    let size_{line} = position_size(balance, risk_pct, entry[{line}], stop[{line}]); // <= cap\n"
        ));
    }
    reply.push_str("```\n\n");
    for round in 1..=6 {
        reply.push_str(&format!(
            "After the code, note {round}: journal every trade, tag the emotion 😤 or 😌, and \
reread the week on Sunday. Patterns appear after twenty trades, not two.\n\n"
        ));
    }
    reply.push_str("That's the whole system. Stay disciplined! 💪");
    reply
}

/// Asserts each part is valid, non-empty, within `limit`, and that together they hold the
/// whole text: only whitespace may be missing, and only between parts.
pub(super) fn assert_parts_cover(whole_html: &str, parts: &[String], limit: usize) {
    let whole = visible_text(whole_html);
    let mut rest = whole.as_str();
    for (index, part) in parts.iter().enumerate() {
        assert_eq!(check_telegram_html(part), Ok(()), "part {index}: {part}");
        let text = visible_text(part);
        assert!(!text.trim().is_empty(), "part {index} is empty: {part:?}");
        assert!(
            utf16_len(&text) <= limit,
            "part {index} is {} units, limit {limit}",
            utf16_len(&text)
        );
        let blank_run = rest.len() - rest.trim_start().len();
        let skipped = (0..=blank_run)
            .filter(|&w| rest.is_char_boundary(w))
            .find(|&w| rest[w..].starts_with(&text))
            .unwrap_or_else(|| {
                panic!(
                    "part {index} {text:?} does not continue the text at {:?}",
                    rest.chars().take(80).collect::<String>()
                )
            });
        rest = &rest[skipped + text.len()..];
    }
    assert!(rest.trim().is_empty(), "text left over: {rest:?}");
}
