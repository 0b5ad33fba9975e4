//! Market-structure rules shared by every chain: liquidity and its lock, holder
//! concentration, owner and creator holdings. Also derives the figures the report shows.

use serde::Serialize;

use super::rules_evm::is_burn_address;
use super::{Checklist, FlagId, Severity};
use crate::risk::detect::{Chain, ChainFamily};
use crate::risk::fmt;
use crate::risk::goplus::{Holder, TokenSecurity};
use crate::risk::honeypot::HoneypotVerdict;

/// Above this much liquidity a single LP holder pulling out no longer drains the market.
const DEEP_LIQUIDITY_USD: f64 = 1_000_000.0;

/// Symbols of pool-share tokens, which are not meant to be traded themselves.
const LP_SYMBOLS: &[&str] = &["UNI-V2", "UNI-V3-POS", "Cake-LP", "SLP", "BPT", "CMLT-LP"];

/// The figures a report shows next to the flags. `None` means unknown.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct MarketFacts {
    /// Fractions; the worse of GoPlus and honeypot.is.
    pub buy_tax: Option<f64>,
    pub sell_tax: Option<f64>,
    pub liquidity_usd: Option<f64>,
    /// `Some(false)` when GoPlus says the token trades on no DEX at all.
    pub traded_on_dex: Option<bool>,
    /// Share of the main pool's LP tokens that is locked or burned.
    pub lp_locked_share: Option<f64>,
    pub holder_count: Option<u64>,
    /// Top-10 share held by plain wallets (contracts, locks, burns and pools excluded).
    pub top10_wallet_share: Option<f64>,
    pub owner_share: Option<f64>,
    pub creator_share: Option<f64>,
}

pub fn facts(sec: &TokenSecurity, hp: Option<&HoneypotVerdict>) -> MarketFacts {
    let worse = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let pooled: Option<f64> = sec
        .dexes
        .as_ref()
        .filter(|pools| !pools.is_empty())
        .map(|pools| pools.iter().filter_map(|p| p.liquidity_usd).sum());
    let liquidity_usd = pooled.or_else(|| hp.and_then(|v| v.pair_liquidity_usd));
    let traded_on_dex = match (&sec.dexes, sec.is_in_dex) {
        (Some(pools), _) if !pools.is_empty() => Some(true),
        (_, Some(in_dex)) => Some(in_dex),
        _ => hp.and_then(|v| v.pair_liquidity_usd).map(|_| true),
    };
    // A Token-2022 transfer fee is charged on buys and sells alike.
    let transfer_fee = sec.solana.as_ref().and_then(|s| s.transfer_fee);
    MarketFacts {
        buy_tax: worse(sec.buy_tax.or(transfer_fee), hp.and_then(|v| v.buy_tax)),
        sell_tax: worse(sec.sell_tax.or(transfer_fee), hp.and_then(|v| v.sell_tax)),
        liquidity_usd,
        traded_on_dex,
        lp_locked_share: sec
            .lp_holders
            .as_ref()
            .filter(|rows| !rows.is_empty())
            .map(|rows| locked_share(rows)),
        holder_count: sec
            .holder_count
            .or_else(|| hp.and_then(|v| v.total_holders)),
        top10_wallet_share: sec
            .holders
            .as_ref()
            .filter(|rows| !rows.is_empty())
            .map(|rows| wallet_share(rows, sec)),
        owner_share: sec.owner_percent,
        creator_share: sec.creator_percent,
    }
}

fn is_locked_or_burned(holder: &Holder) -> bool {
    holder.is_locked == Some(true) || holder.address.as_deref().is_some_and(is_burn_address)
}

fn locked_share(rows: &[Holder]) -> f64 {
    rows.iter()
        .filter(|h| is_locked_or_burned(h))
        .filter_map(|h| h.percent)
        .sum::<f64>()
        .min(1.0)
}

/// Plain wallets only: a pool, a lock, a burn address or a contract (bridges, vaults) is
/// not someone who can dump on you.
fn wallet_share(rows: &[Holder], sec: &TokenSecurity) -> f64 {
    let pairs: Vec<String> = sec
        .dexes
        .iter()
        .flatten()
        .filter_map(|p| p.pair.as_deref().map(str::to_ascii_lowercase))
        .collect();
    rows.iter()
        .take(10)
        .filter(|h| !is_locked_or_burned(h) && h.is_contract != Some(true))
        .filter(|h| {
            h.address
                .as_deref()
                .is_none_or(|a| !pairs.contains(&a.to_ascii_lowercase()))
        })
        .filter_map(|h| h.percent)
        .sum::<f64>()
        .min(1.0)
}

pub(super) fn checks(list: &mut Checklist, chain: Chain, sec: &TokenSecurity, facts: &MarketFacts) {
    let lp_unlocked = lp_lock(list, sec, facts);
    liquidity(list, facts, lp_unlocked);
    holders(list, facts);
    if chain.family() != ChainFamily::Solana {
        share(
            list,
            FlagId::OwnerConcentration,
            "Owner holdings",
            "The owner holds",
            facts.owner_share,
        );
        let creator_is_owner = match (&sec.creator_address, &sec.owner_address) {
            (Some(c), Some(o)) => c.eq_ignore_ascii_case(o),
            _ => false,
        };
        if !creator_is_owner {
            share(
                list,
                FlagId::CreatorConcentration,
                "Creator holdings",
                "The creator holds",
                facts.creator_share,
            );
        }
    }
    if let Some(symbol) = sec.symbol.as_deref()
        && LP_SYMBOLS.iter().any(|lp| lp.eq_ignore_ascii_case(symbol))
    {
        list.note(
            FlagId::LpToken,
            Severity::Info,
            format!("{symbol} is a liquidity-pool share token, not a token meant to be traded"),
        );
    }
}

/// Returns whether the LP was found to be unlocked, for the liquidity sentence.
fn lp_lock(list: &mut Checklist, sec: &TokenSecurity, facts: &MarketFacts) -> bool {
    const LABEL: &str = "Liquidity lock";
    if let Some(usd) = facts.liquidity_usd
        && usd >= DEEP_LIQUIDITY_USD
    {
        list.pass(
            FlagId::LpUnlocked,
            LABEL,
            format!(
                "No single LP can drain liquidity this deep ({})",
                fmt::usd(usd)
            ),
        );
        return false;
    }
    let (Some(locked), Some(rows)) = (facts.lp_locked_share, sec.lp_holders.as_ref()) else {
        list.unknown(FlagId::LpUnlocked, LABEL);
        return false;
    };
    let biggest_free_wallet = rows
        .iter()
        .filter(|h| !is_locked_or_burned(h) && h.is_contract == Some(false))
        .filter_map(|h| h.percent)
        .fold(0.0_f64, f64::max);
    let shown = fmt::percent(locked);
    if locked >= 0.9 {
        list.pass(
            FlagId::LpUnlocked,
            LABEL,
            format!("{shown} of liquidity is locked or burned"),
        );
        false
    } else if biggest_free_wallet >= 0.5 {
        list.flag(
            FlagId::LpUnlocked,
            LABEL,
            Severity::High,
            format!(
                "One wallet holds {} of the liquidity and could pull it",
                fmt::percent(biggest_free_wallet)
            ),
        );
        true
    } else if locked < 0.5 {
        list.flag(
            FlagId::LpUnlocked,
            LABEL,
            Severity::Medium,
            format!("Only {shown} of liquidity is locked or burned"),
        );
        true
    } else {
        list.flag(
            FlagId::LpUnlocked,
            LABEL,
            Severity::Low,
            format!("{shown} of liquidity is locked or burned; the rest could be pulled"),
        );
        true
    }
}

fn liquidity(list: &mut Checklist, facts: &MarketFacts, lp_unlocked: bool) {
    const LABEL: &str = "Liquidity";
    let usd = match (facts.liquidity_usd, facts.traded_on_dex) {
        (Some(usd), _) => usd,
        (None, Some(false)) => {
            return list.flag(
                FlagId::LowLiquidity,
                LABEL,
                Severity::Medium,
                "It isn't traded on any DEX, so there may be no way to sell it",
            );
        }
        (None, _) => return list.unknown(FlagId::LowLiquidity, LABEL),
    };
    let severity = match usd {
        u if u < 1_000.0 => Some(Severity::High),
        u if u < 10_000.0 => Some(Severity::Medium),
        u if u < 50_000.0 => Some(Severity::Low),
        _ => None,
    };
    let shown = fmt::usd(usd);
    match severity {
        Some(severity) => {
            let detail = if lp_unlocked {
                format!("Liquidity is {shown} and unlocked")
            } else {
                let only = if usd < 1.0 { "" } else { "only " };
                format!("Liquidity is {only}{shown}, so even small sells move the price")
            };
            list.flag(FlagId::LowLiquidity, LABEL, severity, detail);
        }
        None => list.pass(FlagId::LowLiquidity, LABEL, format!("Liquidity is {shown}")),
    }
}

fn holders(list: &mut Checklist, facts: &MarketFacts) {
    const LABEL: &str = "Holder concentration";
    match facts.top10_wallet_share {
        Some(share) => {
            let detail = format!("Top 10 wallets hold {} of supply", fmt::percent(share));
            match share {
                s if s >= 0.8 => {
                    list.flag(FlagId::HolderConcentration, LABEL, Severity::High, detail)
                }
                s if s >= 0.5 => {
                    list.flag(FlagId::HolderConcentration, LABEL, Severity::Medium, detail);
                }
                s if s >= 0.3 => {
                    list.flag(FlagId::HolderConcentration, LABEL, Severity::Low, detail)
                }
                _ => list.pass(FlagId::HolderConcentration, LABEL, detail),
            }
        }
        None => list.unknown(FlagId::HolderConcentration, LABEL),
    }
    const COUNT_LABEL: &str = "Holder count";
    match facts.holder_count {
        Some(count) if count < 100 => list.flag(
            FlagId::FewHolders,
            COUNT_LABEL,
            Severity::Low,
            format!("Only {} wallets hold this token", fmt::count(count)),
        ),
        Some(count) => list.pass(
            FlagId::FewHolders,
            COUNT_LABEL,
            format!("{} holders", fmt::count(count)),
        ),
        None => list.unknown(FlagId::FewHolders, COUNT_LABEL),
    }
}

fn share(list: &mut Checklist, id: FlagId, label: &'static str, subject: &str, value: Option<f64>) {
    let Some(value) = value else {
        return list.unknown(id, label);
    };
    let detail = format!("{subject} {} of supply", fmt::percent(value));
    match value {
        v if v >= 0.5 => list.flag(id, label, Severity::High, detail),
        v if v >= 0.2 => list.flag(id, label, Severity::Medium, detail),
        v if v >= 0.05 => list.flag(id, label, Severity::Low, detail),
        _ => list.pass(id, label, detail),
    }
}
