//! Contract rules for Solana SPL and Token-2022 mints: authorities and extensions.

use super::{Checklist, FlagId, Severity};
use crate::risk::fmt;
use crate::risk::goplus::{Authority, TokenSecurity};

pub(super) fn checks(list: &mut Checklist, sec: &TokenSecurity) {
    let Some(controls) = &sec.solana else {
        for (id, label) in [
            (FlagId::MintAuthority, "Mint authority"),
            (FlagId::FreezeAuthority, "Freeze authority"),
        ] {
            list.unknown(id, label);
        }
        return;
    };
    list.boolean(
        FlagId::NonTransferable,
        "Transferable",
        controls.non_transferable,
        Severity::Critical,
        "The token can't be transferred, so it can't be sold",
        "The token can be transferred",
    );
    default_account_state(
        list,
        controls.default_account_state,
        &controls.default_account_state_upgradable,
    );
    transfer_fee(
        list,
        controls.transfer_fee,
        &controls.transfer_fee_upgradable,
    );
    transfer_hook(
        list,
        &controls.transfer_hooks,
        &controls.transfer_hook_upgradable,
    );
    list.boolean(
        FlagId::FreezeAuthority,
        "Freeze authority",
        enabled(&controls.freeze),
        Severity::High,
        "The freeze authority is active: your tokens can be frozen so you can't sell",
        "Freeze authority is revoked",
    );
    list.boolean(
        FlagId::MintAuthority,
        "Mint authority",
        enabled(&controls.mint),
        Severity::High,
        "The mint authority is active: new tokens can be minted at will",
        "Mint authority is revoked",
    );
    list.boolean(
        FlagId::OwnerCanChangeBalance,
        "Balance changes",
        enabled(&controls.balance_mutable),
        Severity::High,
        "An authority can change token balances",
        "Nobody can change balances",
    );
    list.boolean(
        FlagId::Closable,
        "Closable mint",
        enabled(&controls.close),
        Severity::High,
        "The mint can be closed, wiping everyone's holdings",
        "The mint can't be closed",
    );
    let authorities = [
        &controls.mint,
        &controls.freeze,
        &controls.close,
        &controls.metadata_mutable,
        &controls.balance_mutable,
        &controls.transfer_fee_upgradable,
        &controls.transfer_hook_upgradable,
        &controls.default_account_state_upgradable,
    ];
    let malicious_authority = authorities
        .iter()
        .any(|authority| authority.as_ref().is_some_and(|a| a.malicious));
    let malicious = match controls.malicious_creator {
        Some(creator) => Some(creator || malicious_authority),
        None => malicious_authority.then_some(true),
    };
    list.boolean(
        FlagId::MaliciousAuthority,
        "Known bad actors",
        malicious,
        Severity::High,
        "The creator or an authority of this token is a known malicious address",
        "No known malicious creator or authority",
    );
    list.boolean(
        FlagId::MetadataMutable,
        "Mutable metadata",
        enabled(&controls.metadata_mutable),
        Severity::Low,
        "The name, symbol and image can still be changed",
        "Metadata is locked",
    );
}

fn enabled(authority: &Option<Authority>) -> Option<bool> {
    authority.as_ref().and_then(|a| a.enabled)
}

fn default_account_state(list: &mut Checklist, state: Option<u8>, upgradable: &Option<Authority>) {
    const LABEL: &str = "Default account state";
    match (state, enabled(upgradable)) {
        (Some(2), _) => list.flag(
            FlagId::DefaultAccountFrozen,
            LABEL,
            Severity::Critical,
            "New token accounts start frozen, so buyers can't move or sell",
        ),
        (_, Some(true)) => list.flag(
            FlagId::DefaultAccountFrozen,
            LABEL,
            Severity::Medium,
            "The issuer can make new token accounts start frozen",
        ),
        (Some(_), _) => list.pass(
            FlagId::DefaultAccountFrozen,
            LABEL,
            "New accounts start usable",
        ),
        (None, _) => list.unknown(FlagId::DefaultAccountFrozen, LABEL),
    }
}

fn transfer_fee(list: &mut Checklist, fee: Option<f64>, upgradable: &Option<Authority>) {
    const LABEL: &str = "Transfer fee";
    match fee {
        Some(fee) if fee > 0.0 => {
            let shown = fmt::percent(fee);
            let severity = match fee {
                f if f >= 0.5 => Severity::Critical,
                f if f >= 0.1 => Severity::High,
                f if f >= 0.05 => Severity::Medium,
                _ => Severity::Low,
            };
            let detail = if severity == Severity::Critical {
                format!("Every transfer pays a {shown} fee: a sale keeps less than half")
            } else {
                format!("Every transfer pays a {shown} fee")
            };
            list.flag(FlagId::TransferFee, LABEL, severity, detail);
        }
        Some(_) => list.pass(FlagId::TransferFee, LABEL, "No transfer fee"),
        None => list.unknown(FlagId::TransferFee, LABEL),
    }
    if enabled(upgradable) == Some(true) {
        list.flag(
            FlagId::TransferFeeUpgradable,
            "Adjustable transfer fee",
            Severity::Medium,
            "The transfer fee can be raised later",
        );
    } else if enabled(upgradable) == Some(false) {
        list.pass(
            FlagId::TransferFeeUpgradable,
            "Adjustable transfer fee",
            "The transfer fee can't be changed",
        );
    }
}

fn transfer_hook(
    list: &mut Checklist,
    hooks: &Option<Vec<String>>,
    upgradable: &Option<Authority>,
) {
    const LABEL: &str = "Transfer hook";
    match (hooks, enabled(upgradable)) {
        (Some(hooks), _) if !hooks.is_empty() => list.flag(
            FlagId::TransferHook,
            LABEL,
            Severity::High,
            "A transfer hook runs custom code on every transfer and can block sells",
        ),
        (_, Some(true)) => list.flag(
            FlagId::TransferHook,
            LABEL,
            Severity::Medium,
            "A transfer hook can be added later, which could block sells",
        ),
        (Some(_), _) => list.pass(FlagId::TransferHook, LABEL, "No transfer hook"),
        (None, _) => list.unknown(FlagId::TransferHook, LABEL),
    }
}
