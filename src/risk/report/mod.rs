//! The scan report: everything a trader sees about one token, built purely from the
//! upstream data and the assessment, plus its renderers (Telegram HTML, terminal, JSON).

mod telegram;
mod terminal;

use serde::Serialize;

pub use telegram::{TELEGRAM_LIMIT_UTF16, render_telegram_html};
pub use terminal::render_terminal;

use super::detect::{AddressKind, Chain};
use super::goplus::TokenSecurity;
use super::honeypot::HoneypotVerdict;
use super::score::{self, Check, Flag, Issuer, Level, ScoreInput, Severity};

/// Where the data came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Goplus,
    HoneypotIs,
}

impl Source {
    pub fn display_name(self) -> &'static str {
        match self {
            Source::Goplus => "GoPlus",
            Source::HoneypotIs => "honeypot.is",
        }
    }
}

/// A link shown under the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub label: String,
    pub url: String,
}

/// One token's report. Serialised as the `--json` output of the CLI.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScanReport {
    pub chain: Chain,
    /// Display form: EIP-55 for EVM addresses.
    pub address: String,
    pub name: Option<String>,
    pub symbol: Option<String>,
    /// 0–100, higher is riskier.
    pub score: u8,
    pub level: Level,
    /// Most severe first.
    pub flags: Vec<Flag>,
    /// Every check, passed ones included.
    pub checks: Vec<Check>,
    /// Fractions 0–1.
    pub buy_tax: Option<f64>,
    pub sell_tax: Option<f64>,
    pub liquidity_usd: Option<f64>,
    /// `Some(false)` when the token trades on no DEX at all.
    pub traded_on_dex: Option<bool>,
    pub lp_locked_share: Option<f64>,
    pub holder_count: Option<u64>,
    /// Top-10 share held by plain wallets (pools, locks, burns and contracts excluded).
    pub top10_share: Option<f64>,
    pub owner_share: Option<f64>,
    pub creator_share: Option<f64>,
    pub links: Vec<Link>,
    pub sources: Vec<Source>,
    /// Issuer name when the token is on the recognised-issuer allowlist.
    pub recognised_issuer: Option<String>,
}

impl ScanReport {
    /// Builds the report for one token. Pure.
    pub fn build(
        chain: Chain,
        address: &AddressKind,
        goplus: &TokenSecurity,
        honeypot: Option<&HoneypotVerdict>,
        issuer: Option<&Issuer>,
    ) -> ScanReport {
        let assessment = score::assess(&ScoreInput {
            chain,
            goplus,
            honeypot,
            issuer,
        });
        let facts = assessment.facts;
        let display = address.display();
        let mut sources = vec![Source::Goplus];
        if honeypot.is_some() {
            sources.push(Source::HoneypotIs);
        }
        ScanReport {
            chain,
            name: goplus
                .name
                .as_deref()
                .or_else(|| honeypot.and_then(|v| v.token_name.as_deref()))
                .and_then(clean_label),
            symbol: goplus
                .symbol
                .as_deref()
                .or_else(|| honeypot.and_then(|v| v.token_symbol.as_deref()))
                .and_then(clean_label),
            score: assessment.score,
            level: assessment.level,
            flags: assessment.flags,
            checks: assessment.checks,
            buy_tax: facts.buy_tax,
            sell_tax: facts.sell_tax,
            liquidity_usd: facts.liquidity_usd,
            traded_on_dex: facts.traded_on_dex,
            lp_locked_share: facts.lp_locked_share,
            holder_count: facts.holder_count,
            top10_share: facts.top10_wallet_share,
            owner_share: facts.owner_share,
            creator_share: facts.creator_share,
            links: links(chain, &display),
            sources,
            recognised_issuer: issuer.map(|i| i.issuer.clone()),
            address: display,
        }
    }

    /// The flags worth a trader's attention first: everything above `info`, or the info
    /// notes when there is nothing else.
    pub fn top_reasons(&self, max: usize) -> &[Flag] {
        let serious = self
            .flags
            .iter()
            .take_while(|f| f.severity > Severity::Info)
            .count();
        let shown = if serious == 0 {
            self.flags.len()
        } else {
            serious
        };
        &self.flags[..shown.min(max)]
    }

    /// Liquidity for the figures block: "$1.2k", "none (not traded on a DEX)" or "unknown".
    pub fn liquidity_text(&self) -> String {
        match (self.liquidity_usd, self.traded_on_dex) {
            (Some(usd), _) => super::fmt::usd(usd),
            (None, Some(false)) => "none (not traded on a DEX)".to_string(),
            (None, _) => "unknown".to_string(),
        }
    }

    /// "KOKODI (KOKO)", or the short address when GoPlus knows no name.
    pub fn title(&self) -> String {
        match (&self.name, &self.symbol) {
            (Some(name), Some(symbol)) if name != symbol => format!("{name} ({symbol})"),
            (Some(name), _) => name.clone(),
            (None, Some(symbol)) => symbol.clone(),
            (None, None) => short_address(&self.address),
        }
    }
}

/// Token names come from the token's deployer: strip control characters and cap the length.
fn clean_label(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .take(48)
        .collect::<String>()
        .trim()
        .to_string();
    (!cleaned.is_empty()).then_some(cleaned)
}

pub(crate) fn short_address(address: &str) -> String {
    if address.chars().count() <= 14 {
        return address.to_string();
    }
    let head: String = address.chars().take(6).collect();
    let tail: String = address
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("{head}…{tail}")
}

fn links(chain: Chain, address: &str) -> Vec<Link> {
    let (explorer, base) = match chain {
        Chain::Ethereum => ("Etherscan", "https://etherscan.io/token/"),
        Chain::Bsc => ("BscScan", "https://bscscan.com/token/"),
        Chain::Base => ("BaseScan", "https://basescan.org/token/"),
        Chain::Arbitrum => ("Arbiscan", "https://arbiscan.io/token/"),
        Chain::Polygon => ("PolygonScan", "https://polygonscan.com/token/"),
        Chain::Optimism => (
            "Optimism Explorer",
            "https://optimistic.etherscan.io/token/",
        ),
        Chain::Avalanche => ("Snowtrace", "https://snowtrace.io/token/"),
        Chain::Solana => ("Solscan", "https://solscan.io/token/"),
        Chain::Tron => ("Tronscan", "https://tronscan.org/#/token20/"),
    };
    vec![
        Link {
            label: explorer.to_string(),
            url: format!("{base}{address}"),
        },
        Link {
            label: "DEX Screener".to_string(),
            url: format!("https://dexscreener.com/{}/{address}", chain.name()),
        },
    ]
}

/// Level badge shared by the renderers.
pub(crate) fn badge(level: Level) -> &'static str {
    match level {
        Level::Low => "🟢",
        Level::Medium => "🟡",
        Level::High => "🟠",
        Level::Critical => "🔴",
    }
}

pub(crate) fn severity_icon(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "⛔",
        Severity::High => "❗",
        Severity::Medium => "⚠️",
        Severity::Low => "🔸",
        Severity::Info => "ℹ️",
    }
}

#[cfg(test)]
pub(crate) mod tests;
