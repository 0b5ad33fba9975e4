//! Telegram HTML rendering of a scan report. Only `b`, `i`, `code` and `a` tags are used and
//! every piece of text is escaped, so Telegram can never answer "can't parse entities". The
//! result always fits one message (4096 UTF-16 code units), the expanded view included.

use super::{ScanReport, badge, severity_icon};
use crate::risk::fmt;
use crate::risk::score::{Check, Outcome};

/// Telegram's message limit, counted in UTF-16 code units after entity parsing.
pub const TELEGRAM_LIMIT_UTF16: usize = 4096;

/// Reasons shown in the compact view.
const COMPACT_REASONS: usize = 5;

/// Renders the report. `expanded` is the "All checks" view listing every check.
pub fn render_telegram_html(report: &ScanReport, expanded: bool) -> String {
    let head = header(report);
    let tail = footer(report);
    if !expanded {
        let body = compact_reasons(report);
        return [head, body, tail].join("\n\n");
    }
    // Passed rows go first when space runs short: they are the least informative.
    let (flagged, unknown, passed) = partition(report);
    let mut shown_passed = passed.len();
    let mut shown_unknown = unknown.len();
    loop {
        let body = all_checks(
            &flagged,
            &unknown[..shown_unknown],
            unknown.len(),
            &passed[..shown_passed],
            passed.len(),
        );
        let text = [head.as_str(), body.as_str(), tail.as_str()].join("\n\n");
        if text.encode_utf16().count() <= TELEGRAM_LIMIT_UTF16 {
            return text;
        }
        if shown_passed > 0 {
            shown_passed -= 1;
        } else if shown_unknown > 0 {
            shown_unknown -= 1;
        } else {
            // Flag details are short sentences, so this only happens with absurd input;
            // fall back to the compact view, which is bounded.
            return [head, compact_reasons(report), tail].join("\n\n");
        }
    }
}

/// Escapes text for Telegram HTML (`&`, `<`, `>`, and `"` for attribute values).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

fn header(report: &ScanReport) -> String {
    format!(
        "{} <b>{} risk</b> · score <b>{}</b>/100\n<b>{}</b> on {}\n<code>{}</code>",
        badge(report.level),
        report.level.name().to_uppercase(),
        report.score,
        escape(&report.title()),
        escape(report.chain.display_name()),
        escape(&report.address),
    )
}

fn compact_reasons(report: &ScanReport) -> String {
    let top = report.top_reasons(COMPACT_REASONS);
    if top.is_empty() {
        return "✅ <b>No risks found</b> in the checks that returned data.".to_string();
    }
    let mut lines = vec!["<b>Why</b>".to_string()];
    lines.extend(
        top.iter()
            .map(|flag| format!("{} {}", severity_icon(flag.severity), escape(&flag.detail))),
    );
    let hidden = report.flags.len() - top.len();
    if hidden > 0 {
        lines.push(format!("<i>+{hidden} more under All checks</i>"));
    }
    lines.join("\n")
}

type Rows<'a> = (Vec<String>, Vec<&'a Check>, Vec<&'a Check>);

/// Flag lines (notes included, most severe first), then unknown and passed check rows.
fn partition(report: &ScanReport) -> Rows<'_> {
    let flagged = report
        .flags
        .iter()
        .map(|flag| format!("{} {}", severity_icon(flag.severity), escape(&flag.detail)))
        .collect();
    let unknown = report
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Unknown)
        .collect();
    let passed = report
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Passed)
        .collect();
    (flagged, unknown, passed)
}

fn all_checks(
    flagged: &[String],
    unknown: &[&Check],
    unknown_total: usize,
    passed: &[&Check],
    passed_total: usize,
) -> String {
    let mut lines = vec!["<b>All checks</b>".to_string()];
    lines.extend(flagged.iter().cloned());
    lines.extend(unknown.iter().map(|c| format!("❔ {}", escape(&c.detail))));
    if unknown.len() < unknown_total {
        lines.push(format!(
            "❔ <i>{} more checks returned no data</i>",
            unknown_total - unknown.len()
        ));
    }
    lines.extend(passed.iter().map(|c| format!("✅ {}", escape(&c.detail))));
    if passed.len() < passed_total {
        lines.push(format!(
            "✅ <i>{} more checks passed</i>",
            passed_total - passed.len()
        ));
    }
    lines.join("\n")
}

fn footer(report: &ScanReport) -> String {
    let unknown = || "unknown".to_string();
    let pct = |value: Option<f64>| value.map(fmt::percent).unwrap_or_else(unknown);
    let liquidity = report.liquidity_text();
    let lp = report
        .lp_locked_share
        .map(|share| format!(" · LP {} locked/burned", fmt::percent(share)))
        .unwrap_or_default();
    let holders = report.holder_count.map(fmt::count).unwrap_or_else(unknown);
    let mut lines = vec![
        format!(
            "<b>Tax</b> buy {} · sell {}",
            pct(report.buy_tax),
            pct(report.sell_tax)
        ),
        format!("<b>Liquidity</b> {}{}", escape(&liquidity), lp),
        format!(
            "<b>Holders</b> {} · top 10 wallets {}",
            holders,
            pct(report.top10_share)
        ),
    ];
    if report.owner_share.is_some() || report.creator_share.is_some() {
        lines.push(format!(
            "<b>Owner</b> {} · <b>creator</b> {}",
            pct(report.owner_share),
            pct(report.creator_share)
        ));
    }
    let links: Vec<String> = report
        .links
        .iter()
        .map(|link| {
            format!(
                "<a href=\"{}\">{}</a>",
                escape(&link.url),
                escape(&link.label)
            )
        })
        .collect();
    lines.push(String::new());
    lines.push(links.join(" · "));
    let sources: Vec<&str> = report.sources.iter().map(|s| s.display_name()).collect();
    lines.push(format!("<i>Data: {}</i>", escape(&sources.join(", "))));
    lines.push("Not financial advice.".to_string());
    lines.join("\n")
}
