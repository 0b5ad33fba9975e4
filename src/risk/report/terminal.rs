//! Plain-text rendering of a scan report for `tiltguard scan`.

use super::{ScanReport, badge, severity_icon};
use crate::risk::fmt;
use crate::risk::score::Outcome;

/// Renders every flag, the checks that returned no data, the market figures and the links.
pub fn render_terminal(report: &ScanReport) -> String {
    let unknown = || "unknown".to_string();
    let pct = |value: Option<f64>| value.map(fmt::percent).unwrap_or_else(unknown);
    let mut out = vec![
        format!(
            "{} {} RISK  score {}/100",
            badge(report.level),
            report.level.name().to_uppercase(),
            report.score
        ),
        format!("{} on {}", report.title(), report.chain.display_name()),
        report.address.clone(),
        String::new(),
    ];
    if report.flags.is_empty() {
        out.push("No risks found in the checks that returned data.".to_string());
    } else {
        out.push("Findings:".to_string());
        for flag in &report.flags {
            out.push(format!(
                "  {} [{}] {} ({})",
                severity_icon(flag.severity),
                flag.severity.name(),
                flag.detail,
                flag.id.as_str()
            ));
        }
    }
    let unknown_checks: Vec<&str> = report
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Unknown)
        .map(|c| c.label)
        .collect();
    let passed = report
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Passed)
        .count();
    out.push(String::new());
    out.push(format!(
        "Checks: {} passed, {} flagged, {} without data{}",
        passed,
        report.checks.len() - passed - unknown_checks.len(),
        unknown_checks.len(),
        if unknown_checks.is_empty() {
            String::new()
        } else {
            format!(" ({})", unknown_checks.join(", "))
        }
    ));
    out.push(String::new());
    out.push(format!(
        "Tax         buy {} / sell {}",
        pct(report.buy_tax),
        pct(report.sell_tax)
    ));
    out.push(format!(
        "Liquidity   {}{}",
        report.liquidity_text(),
        report
            .lp_locked_share
            .map(|s| format!(", LP {} locked/burned", fmt::percent(s)))
            .unwrap_or_default()
    ));
    out.push(format!(
        "Holders     {}, top 10 wallets {}",
        report.holder_count.map(fmt::count).unwrap_or_else(unknown),
        pct(report.top10_share)
    ));
    if report.owner_share.is_some() || report.creator_share.is_some() {
        out.push(format!(
            "Owner       {}, creator {}",
            pct(report.owner_share),
            pct(report.creator_share)
        ));
    }
    out.push(String::new());
    for link in &report.links {
        out.push(format!("{}: {}", link.label, link.url));
    }
    let sources: Vec<&str> = report.sources.iter().map(|s| s.display_name()).collect();
    out.push(format!("Data: {}", sources.join(", ")));
    out.push("Not financial advice.".to_string());
    out.join("\n")
}
