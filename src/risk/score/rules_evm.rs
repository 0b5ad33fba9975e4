//! Contract rules for EVM chains and TRON (GoPlus uses one schema for both), including the
//! honeypot and tax checks where honeypot.is gives a second opinion.

use super::{Checklist, FlagId, Severity};
use crate::risk::fmt;
use crate::risk::goplus::TokenSecurity;
use crate::risk::honeypot::HoneypotVerdict;

/// Tax gaps smaller than this between GoPlus and honeypot.is are rounding, not disagreement.
const TAX_DISAGREEMENT: f64 = 0.10;

pub(super) fn checks(list: &mut Checklist, sec: &TokenSecurity, hp: Option<&HoneypotVerdict>) {
    let mut disagreements = Vec::new();
    honeypot(list, sec, hp, &mut disagreements);
    list.boolean(
        FlagId::CannotSellAll,
        "Sell whole balance",
        sec.cannot_sell_all,
        Severity::Critical,
        "Sells are restricted: holders can't sell their whole balance",
        "Holders can sell their whole balance",
    );
    sell_tax(list, sec, hp, &mut disagreements);
    buy_tax(list, sec, hp);
    list.boolean(
        FlagId::OwnerCanChangeBalance,
        "Balance changes",
        sec.owner_change_balance,
        Severity::High,
        "The owner can change balances",
        "The owner can't change balances",
    );
    list.boolean(
        FlagId::HiddenOwner,
        "Hidden owner",
        sec.hidden_owner,
        Severity::High,
        "The contract has a hidden owner who keeps control even if ownership looks renounced",
        "No hidden owner",
    );
    list.boolean(
        FlagId::TakeBackOwnership,
        "Reclaimable ownership",
        sec.can_take_back_ownership,
        Severity::High,
        "Ownership can be taken back after being renounced",
        "Ownership can't be reclaimed",
    );
    list.boolean(
        FlagId::SlippageModifiable,
        "Adjustable tax",
        sec.slippage_modifiable,
        Severity::High,
        "The owner can change the buy and sell tax at any time",
        "Taxes are fixed",
    );
    list.boolean(
        FlagId::PersonalSlippageModifiable,
        "Per-wallet tax",
        sec.personal_slippage_modifiable,
        Severity::High,
        "The owner can set a special tax for individual wallets",
        "No per-wallet taxes",
    );
    list.boolean(
        FlagId::Selfdestruct,
        "Self-destruct",
        sec.selfdestruct,
        Severity::High,
        "The contract can self-destruct, wiping the token",
        "No self-destruct",
    );
    list.boolean(
        FlagId::NotOpenSource,
        "Verified source",
        sec.is_open_source.map(|open| !open),
        Severity::High,
        "The contract source is not verified, so nobody can check what it does",
        "Source code is verified",
    );
    list.boolean(
        FlagId::HoneypotCreator,
        "Creator history",
        sec.honeypot_with_same_creator,
        Severity::High,
        "The creator has deployed honeypots before",
        "No honeypots from the same creator",
    );
    list.boolean_if_sent(
        FlagId::FakeToken,
        "Genuine token",
        sec.is_true_token.map(|genuine| !genuine),
        Severity::High,
        "This copies a well-known token's name but is not the real one",
        "Not an impersonation of a known token",
    );
    list.boolean_if_sent(
        FlagId::AirdropScam,
        "Airdrop scam",
        sec.is_airdrop_scam,
        Severity::High,
        "This looks like an airdrop scam token",
        "Not an airdrop scam",
    );
    mintable(list, sec);
    list.boolean(
        FlagId::Proxy,
        "Upgradeable proxy",
        sec.is_proxy,
        Severity::Medium,
        "The contract is upgradeable: its code can be changed",
        "The contract can't be upgraded",
    );
    list.boolean(
        FlagId::Blacklist,
        "Blacklist",
        sec.is_blacklisted,
        Severity::Medium,
        "The owner can blacklist wallets, and a blacklisted wallet can't sell",
        "No blacklist",
    );
    list.boolean(
        FlagId::TransferPausable,
        "Pausable transfers",
        sec.transfer_pausable,
        Severity::Medium,
        "The owner can pause all transfers",
        "Transfers can't be paused",
    );
    list.boolean(
        FlagId::CannotBuy,
        "Buying",
        sec.cannot_buy,
        Severity::Medium,
        "Buying is blocked right now (often a token that has not launched)",
        "Buying works",
    );
    list.boolean(
        FlagId::Whitelist,
        "Whitelist",
        sec.is_whitelisted,
        Severity::Low,
        "Some wallets can be exempted from taxes or limits",
        "No whitelist",
    );
    list.boolean(
        FlagId::TradingCooldown,
        "Trading cooldown",
        sec.trading_cooldown,
        Severity::Low,
        "Trades are rate-limited by a cooldown",
        "No trading cooldown",
    );
    list.boolean(
        FlagId::AntiWhaleModifiable,
        "Adjustable limits",
        sec.anti_whale_modifiable,
        Severity::Low,
        "The owner can change the maximum transaction size",
        "Transaction limits are fixed",
    );
    list.boolean(
        FlagId::ExternalCall,
        "External calls",
        sec.external_call,
        Severity::Low,
        "The contract calls other contracts on transfers, which can change its behaviour",
        "No external calls on transfer",
    );
    if !disagreements.is_empty() {
        list.note(
            FlagId::HoneypotDisagreement,
            Severity::Low,
            format!(
                "GoPlus and the honeypot.is simulation disagree ({}); this report uses the worse answer",
                disagreements.join("; ")
            ),
        );
    }
}

fn honeypot(
    list: &mut Checklist,
    sec: &TokenSecurity,
    hp: Option<&HoneypotVerdict>,
    disagreements: &mut Vec<String>,
) {
    const LABEL: &str = "Honeypot";
    let goplus = sec.is_honeypot;
    let simulated = hp.and_then(|verdict| verdict.is_honeypot);
    let reason = hp.and_then(|verdict| verdict.honeypot_reason.as_deref());
    if let (Some(a), Some(b)) = (goplus, simulated)
        && a != b
    {
        disagreements.push(if a {
            "GoPlus says honeypot, the simulation sold fine".to_string()
        } else {
            "the simulation could not sell, GoPlus saw no honeypot".to_string()
        });
    }
    match (goplus, simulated) {
        (Some(true), _) | (_, Some(true)) => {
            let detail = match (simulated, reason) {
                (Some(true), Some(reason)) => {
                    format!(
                        "Sells are blocked: this is a honeypot (simulated sell failed: {reason})"
                    )
                }
                _ => "Sells are blocked: this is a honeypot".to_string(),
            };
            list.flag(FlagId::Honeypot, LABEL, Severity::Critical, detail);
        }
        (Some(false), _) | (_, Some(false)) => {
            let detail = if simulated == Some(false) {
                "A simulated buy and sell went through"
            } else {
                "GoPlus found no honeypot"
            };
            list.pass(FlagId::Honeypot, LABEL, detail);
        }
        (None, None) => list.unknown(FlagId::Honeypot, LABEL),
    }
}

/// The worse of two optional taxes, and whether they differ enough to say so.
fn worse_tax(goplus: Option<f64>, simulated: Option<f64>) -> (Option<f64>, bool) {
    match (goplus, simulated) {
        (Some(a), Some(b)) => (Some(a.max(b)), (a - b).abs() >= TAX_DISAGREEMENT),
        (a, b) => (a.or(b), false),
    }
}

fn sell_tax(
    list: &mut Checklist,
    sec: &TokenSecurity,
    hp: Option<&HoneypotVerdict>,
    disagreements: &mut Vec<String>,
) {
    const LABEL: &str = "Sell tax";
    let (tax, disagree) = worse_tax(sec.sell_tax, hp.and_then(|v| v.sell_tax));
    if disagree {
        disagreements.push(format!(
            "sell tax {} vs {}",
            fmt::percent(sec.sell_tax.unwrap_or_default()),
            fmt::percent(hp.and_then(|v| v.sell_tax).unwrap_or_default())
        ));
    }
    let Some(tax) = tax else {
        return list.unknown(FlagId::HighSellTax, LABEL);
    };
    let shown = fmt::percent(tax);
    match tax {
        t if t >= 0.5 => list.flag(
            FlagId::HighSellTax,
            LABEL,
            Severity::Critical,
            format!("Sell tax is {shown}: you keep less than half of every sale"),
        ),
        t if t >= 0.2 => list.flag(
            FlagId::HighSellTax,
            LABEL,
            Severity::High,
            format!("Sell tax is {shown}"),
        ),
        t if t >= 0.1 => list.flag(
            FlagId::HighSellTax,
            LABEL,
            Severity::Medium,
            format!("Sell tax is {shown}"),
        ),
        t if t >= 0.05 => list.flag(
            FlagId::HighSellTax,
            LABEL,
            Severity::Low,
            format!("Sell tax is {shown}"),
        ),
        _ => list.pass(FlagId::HighSellTax, LABEL, format!("Sell tax is {shown}")),
    }
}

fn buy_tax(list: &mut Checklist, sec: &TokenSecurity, hp: Option<&HoneypotVerdict>) {
    const LABEL: &str = "Buy tax";
    let (tax, _) = worse_tax(sec.buy_tax, hp.and_then(|v| v.buy_tax));
    let Some(tax) = tax else {
        return list.unknown(FlagId::HighBuyTax, LABEL);
    };
    let shown = fmt::percent(tax);
    let severity = match tax {
        t if t >= 0.3 => Some(Severity::High),
        t if t >= 0.1 => Some(Severity::Medium),
        t if t >= 0.05 => Some(Severity::Low),
        _ => None,
    };
    match severity {
        Some(severity) => list.flag(
            FlagId::HighBuyTax,
            LABEL,
            severity,
            format!("Buy tax is {shown}"),
        ),
        None => list.pass(FlagId::HighBuyTax, LABEL, format!("Buy tax is {shown}")),
    }
}

/// Renounced ownership takes the sting out of a mint function, unless control can come back.
fn mintable(list: &mut Checklist, sec: &TokenSecurity) {
    const LABEL: &str = "Minting";
    match sec.is_mintable {
        Some(true) => {
            let renounced = sec.owner_address.as_deref().is_some_and(is_burn_address)
                && sec.hidden_owner == Some(false)
                && sec.can_take_back_ownership == Some(false);
            if renounced {
                list.flag(
                    FlagId::Mintable,
                    LABEL,
                    Severity::Low,
                    "The contract has a mint function, but ownership is renounced",
                );
            } else {
                list.flag(
                    FlagId::Mintable,
                    LABEL,
                    Severity::Medium,
                    "The owner can mint new tokens",
                );
            }
        }
        Some(false) => list.pass(FlagId::Mintable, LABEL, "Supply can't be increased"),
        None => list.unknown(FlagId::Mintable, LABEL),
    }
}

/// Zero and the usual burn addresses: as an owner they mean "nobody", as a holder "burned".
pub(crate) fn is_burn_address(address: &str) -> bool {
    let lower = address.trim().to_ascii_lowercase();
    let Some(hex) = lower.strip_prefix("0x") else {
        return false;
    };
    hex.len() == 40
        && (hex.bytes().all(|b| b == b'0')
            || hex.ends_with("dead") && hex[..36].bytes().all(|b| b == b'0')
            || hex == "dead000000000000000042069420694206942069")
}
