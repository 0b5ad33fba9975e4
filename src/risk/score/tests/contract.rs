//! EVM contract rules, the two-source honeypot and tax rules, and the Solana rules.

use super::*;

#[test]
fn each_evm_yes_no_rule_flags_with_its_severity() {
    type Set = fn(&mut TokenSecurity);
    let table: &[(Set, FlagId, Severity)] = &[
        (
            |s| s.is_honeypot = Some(true),
            FlagId::Honeypot,
            Severity::Critical,
        ),
        (
            |s| s.cannot_sell_all = Some(true),
            FlagId::CannotSellAll,
            Severity::Critical,
        ),
        (
            |s| s.owner_change_balance = Some(true),
            FlagId::OwnerCanChangeBalance,
            Severity::High,
        ),
        (
            |s| s.hidden_owner = Some(true),
            FlagId::HiddenOwner,
            Severity::High,
        ),
        (
            |s| s.can_take_back_ownership = Some(true),
            FlagId::TakeBackOwnership,
            Severity::High,
        ),
        (
            |s| s.slippage_modifiable = Some(true),
            FlagId::SlippageModifiable,
            Severity::High,
        ),
        (
            |s| s.personal_slippage_modifiable = Some(true),
            FlagId::PersonalSlippageModifiable,
            Severity::High,
        ),
        (
            |s| s.selfdestruct = Some(true),
            FlagId::Selfdestruct,
            Severity::High,
        ),
        (
            |s| s.is_open_source = Some(false),
            FlagId::NotOpenSource,
            Severity::High,
        ),
        (
            |s| s.honeypot_with_same_creator = Some(true),
            FlagId::HoneypotCreator,
            Severity::High,
        ),
        (
            |s| s.is_true_token = Some(false),
            FlagId::FakeToken,
            Severity::High,
        ),
        (
            |s| s.is_airdrop_scam = Some(true),
            FlagId::AirdropScam,
            Severity::High,
        ),
        (|s| s.is_proxy = Some(true), FlagId::Proxy, Severity::Medium),
        (
            |s| s.is_blacklisted = Some(true),
            FlagId::Blacklist,
            Severity::Medium,
        ),
        (
            |s| s.transfer_pausable = Some(true),
            FlagId::TransferPausable,
            Severity::Medium,
        ),
        (
            |s| s.cannot_buy = Some(true),
            FlagId::CannotBuy,
            Severity::Medium,
        ),
        (
            |s| s.is_whitelisted = Some(true),
            FlagId::Whitelist,
            Severity::Low,
        ),
        (
            |s| s.trading_cooldown = Some(true),
            FlagId::TradingCooldown,
            Severity::Low,
        ),
        (
            |s| s.anti_whale_modifiable = Some(true),
            FlagId::AntiWhaleModifiable,
            Severity::Low,
        ),
        (
            |s| s.external_call = Some(true),
            FlagId::ExternalCall,
            Severity::Low,
        ),
    ];
    for (set, id, severity) in table {
        let mut sec = clean_evm();
        set(&mut sec);
        let assessment = assess_evm(&sec, None);
        assert_eq!(ids(&assessment), vec![id.as_str()], "rule {id:?}");
        assert_eq!(assessment.flags[0].severity, *severity, "rule {id:?}");
        assert!(
            assessment.flags[0]
                .detail
                .ends_with(|c: char| c.is_alphanumeric() || c == ')')
        );
    }
}

#[test]
fn mint_function_with_renounced_ownership_is_only_low() {
    let mut sec = clean_evm();
    sec.is_mintable = Some(true);
    let renounced = assess_evm(&sec, None);
    assert_eq!(
        flag(&renounced, FlagId::Mintable).map(|f| f.severity),
        Some(Severity::Low)
    );

    sec.owner_address = Some("0x9999999999999999999999999999999999999999".into());
    let owned = assess_evm(&sec, None);
    let mintable = flag(&owned, FlagId::Mintable).expect("flag");
    assert_eq!(mintable.severity, Severity::Medium);
    assert_eq!(mintable.detail, "The owner can mint new tokens");

    // A renounced owner means nothing if a hidden owner exists.
    sec.owner_address = Some("0x0000000000000000000000000000000000000000".into());
    sec.hidden_owner = Some(true);
    let hidden = assess_evm(&sec, None);
    assert_eq!(
        flag(&hidden, FlagId::Mintable).map(|f| f.severity),
        Some(Severity::Medium)
    );
}

#[test]
fn sell_tax_thresholds_and_the_critical_half() {
    let cases = [
        (0.04, None),
        (0.05, Some(Severity::Low)),
        (0.12, Some(Severity::Medium)),
        (0.2, Some(Severity::High)),
        (0.49, Some(Severity::High)),
        (0.5, Some(Severity::Critical)),
        (1.0, Some(Severity::Critical)),
    ];
    for (tax, expected) in cases {
        let mut sec = clean_evm();
        sec.sell_tax = Some(tax);
        let assessment = assess_evm(&sec, None);
        assert_eq!(
            flag(&assessment, FlagId::HighSellTax).map(|f| f.severity),
            expected,
            "tax {tax}"
        );
        if expected == Some(Severity::Critical) {
            assert_eq!(assessment.level, Level::Critical, "tax {tax}");
        }
    }
    let mut sec = clean_evm();
    sec.sell_tax = Some(0.6);
    let detail = &assess_evm(&sec, None).flags[0].detail;
    assert_eq!(
        detail,
        "Sell tax is 60%: you keep less than half of every sale"
    );
}

#[test]
fn buy_tax_thresholds() {
    for (tax, expected) in [
        (0.0, None),
        (0.05, Some(Severity::Low)),
        (0.1, Some(Severity::Medium)),
        (0.3, Some(Severity::High)),
    ] {
        let mut sec = clean_evm();
        sec.buy_tax = Some(tax);
        let assessment = assess_evm(&sec, None);
        assert_eq!(
            flag(&assessment, FlagId::HighBuyTax).map(|f| f.severity),
            expected
        );
    }
}

#[test]
fn honeypot_verdicts_take_the_worse_opinion_and_say_they_disagree() {
    // GoPlus: honeypot. Simulation: sold fine.
    let koko = assess_evm(&kokodi(), Some(&weth_simulation()));
    assert_eq!(koko.flags[0].id, FlagId::Honeypot);
    assert_eq!(koko.level, Level::Critical);
    let disagreement = flag(&koko, FlagId::HoneypotDisagreement).expect("disagreement flag");
    assert!(
        disagreement.detail.contains("GoPlus says honeypot"),
        "{}",
        disagreement.detail
    );

    // GoPlus: fine. Simulation: the sell failed.
    let caught = HoneypotVerdict {
        is_honeypot: Some(true),
        honeypot_reason: Some("TRANSFER_FROM_FAILED".into()),
        simulation_success: Some(true),
        ..HoneypotVerdict::default()
    };
    let assessment = assess_evm(&clean_evm(), Some(&caught));
    assert_eq!(assessment.level, Level::Critical);
    assert_eq!(
        assessment.flags[0].detail,
        "Sells are blocked: this is a honeypot (simulated sell failed: TRANSFER_FROM_FAILED)"
    );
    assert!(flag(&assessment, FlagId::HoneypotDisagreement).is_some());

    // Agreement adds no disagreement flag.
    let agreed = assess_evm(&clean_evm(), Some(&weth_simulation()));
    assert!(flag(&agreed, FlagId::HoneypotDisagreement).is_none());
}

#[test]
fn a_tax_gap_between_sources_uses_the_higher_tax() {
    let taxed = HoneypotVerdict {
        is_honeypot: Some(false),
        sell_tax: Some(0.3),
        buy_tax: Some(0.0),
        ..HoneypotVerdict::default()
    };
    let assessment = assess_evm(&clean_evm(), Some(&taxed));
    let tax = flag(&assessment, FlagId::HighSellTax).expect("sell tax flag");
    assert_eq!(
        (tax.severity, tax.detail.as_str()),
        (Severity::High, "Sell tax is 30%")
    );
    let gap = flag(&assessment, FlagId::HoneypotDisagreement).expect("disagreement");
    assert!(gap.detail.contains("sell tax 0% vs 30%"), "{}", gap.detail);
    assert_eq!(assessment.facts.sell_tax, Some(0.3));
}

#[test]
fn solana_rules() {
    type Set = fn(&mut SolanaControls);
    let on = || {
        Some(goplus::Authority {
            enabled: Some(true),
            holders: vec!["Auth1111111111111111111111111111111111111111".into()],
            malicious: false,
        })
    };
    let table: &[(Set, FlagId, Severity)] = &[
        (
            |c| {
                c.mint = Some(goplus::Authority {
                    enabled: Some(true),
                    ..Default::default()
                })
            },
            FlagId::MintAuthority,
            Severity::High,
        ),
        (
            |c| {
                c.freeze = Some(goplus::Authority {
                    enabled: Some(true),
                    ..Default::default()
                })
            },
            FlagId::FreezeAuthority,
            Severity::High,
        ),
        (
            |c| {
                c.close = Some(goplus::Authority {
                    enabled: Some(true),
                    ..Default::default()
                })
            },
            FlagId::Closable,
            Severity::High,
        ),
        (
            |c| {
                c.balance_mutable = Some(goplus::Authority {
                    enabled: Some(true),
                    ..Default::default()
                })
            },
            FlagId::OwnerCanChangeBalance,
            Severity::High,
        ),
        (
            |c| {
                c.metadata_mutable = Some(goplus::Authority {
                    enabled: Some(true),
                    ..Default::default()
                })
            },
            FlagId::MetadataMutable,
            Severity::Low,
        ),
        (
            |c| c.transfer_fee = Some(0.02),
            FlagId::TransferFee,
            Severity::Low,
        ),
        (
            |c| c.transfer_fee = Some(0.05),
            FlagId::TransferFee,
            Severity::Medium,
        ),
        (
            |c| c.transfer_fee = Some(0.1),
            FlagId::TransferFee,
            Severity::High,
        ),
        (
            |c| c.transfer_fee = Some(0.5),
            FlagId::TransferFee,
            Severity::Critical,
        ),
        (
            |c| {
                c.transfer_fee_upgradable = Some(goplus::Authority {
                    enabled: Some(true),
                    ..Default::default()
                })
            },
            FlagId::TransferFeeUpgradable,
            Severity::Medium,
        ),
        (
            |c| c.transfer_hooks = Some(vec!["Hook".into()]),
            FlagId::TransferHook,
            Severity::High,
        ),
        (
            |c| {
                c.transfer_hook_upgradable = Some(goplus::Authority {
                    enabled: Some(true),
                    ..Default::default()
                })
            },
            FlagId::TransferHook,
            Severity::Medium,
        ),
        (
            |c| c.default_account_state = Some(2),
            FlagId::DefaultAccountFrozen,
            Severity::Critical,
        ),
        (
            |c| {
                c.default_account_state_upgradable = Some(goplus::Authority {
                    enabled: Some(true),
                    ..Default::default()
                })
            },
            FlagId::DefaultAccountFrozen,
            Severity::Medium,
        ),
        (
            |c| c.non_transferable = Some(true),
            FlagId::NonTransferable,
            Severity::Critical,
        ),
        (
            |c| c.malicious_creator = Some(true),
            FlagId::MaliciousAuthority,
            Severity::High,
        ),
    ];
    for (set, id, severity) in table {
        let mut sec = clean_solana();
        if let Some(controls) = sec.solana.as_mut() {
            set(controls);
        }
        let assessment = assess(&ScoreInput {
            chain: Chain::Solana,
            goplus: &sec,
            honeypot: None,
            issuer: None,
        });
        assert_eq!(
            ids(&assessment),
            vec![id.as_str()],
            "rule {id:?} {severity:?}"
        );
        assert_eq!(assessment.flags[0].severity, *severity, "rule {id:?}");
    }
    // A malicious authority holder is caught even when creators look clean.
    let mut sec = clean_solana();
    if let Some(controls) = sec.solana.as_mut() {
        controls.freeze = on().map(|a| goplus::Authority {
            malicious: true,
            ..a
        });
    }
    let assessment = assess(&ScoreInput {
        chain: Chain::Solana,
        goplus: &sec,
        honeypot: None,
        issuer: None,
    });
    assert!(flag(&assessment, FlagId::MaliciousAuthority).is_some());
}
