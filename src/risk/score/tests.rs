//! Every scoring rule, the level/score arithmetic, and the verdict on each recorded fixture.

use super::*;
use crate::risk::goplus::{self, DexPool, Holder, SolanaControls};
use crate::risk::honeypot;

const WETH_ADDR: &str = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2";

fn fixture_goplus(chain: Chain, address: &str, body: &str) -> TokenSecurity {
    goplus::parse_response(chain, address, body).expect("fixture parses")
}

fn weth() -> TokenSecurity {
    fixture_goplus(
        Chain::Ethereum,
        WETH_ADDR,
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/goplus/goplus_evm_token_security_weth_0xc02aaa39.json"
        )),
    )
}

fn weth_simulation() -> HoneypotVerdict {
    honeypot::parse_verdict(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/honeypot_is/honeypot_is_v2_IsHoneypot_weth_chain1.json"
    )))
    .expect("fixture parses")
}

fn kokodi() -> TokenSecurity {
    fixture_goplus(
        Chain::Ethereum,
        "0x4e7e15a6b83718ba79674cc4ce09f7d4a631ec2c",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/goplus/goplus_evm_token_security_kokodi_honeypot_0x4e7e15a6.json"
        )),
    )
}

fn assess_evm(sec: &TokenSecurity, hp: Option<&HoneypotVerdict>) -> Assessment {
    assess(&ScoreInput {
        chain: Chain::Ethereum,
        goplus: sec,
        honeypot: hp,
        issuer: None,
    })
}

fn ids(assessment: &Assessment) -> Vec<&'static str> {
    assessment.flags.iter().map(|f| f.id.as_str()).collect()
}

fn flag(assessment: &Assessment, id: FlagId) -> Option<&Flag> {
    assessment.flags.iter().find(|f| f.id == id)
}

fn wallet(percent: f64) -> Holder {
    Holder {
        address: Some(format!("0x{:040x}", (percent * 1e9) as u64 + 7)),
        percent: Some(percent),
        is_locked: Some(false),
        is_contract: Some(false),
        tag: None,
    }
}

/// A token with every field known and nothing wrong: the baseline each rule test perturbs.
fn clean_evm() -> TokenSecurity {
    TokenSecurity {
        name: Some("Clean".into()),
        symbol: Some("CLN".into()),
        holder_count: Some(5_000),
        is_honeypot: Some(false),
        cannot_buy: Some(false),
        cannot_sell_all: Some(false),
        buy_tax: Some(0.0),
        sell_tax: Some(0.0),
        is_open_source: Some(true),
        is_proxy: Some(false),
        is_mintable: Some(false),
        owner_change_balance: Some(false),
        hidden_owner: Some(false),
        can_take_back_ownership: Some(false),
        selfdestruct: Some(false),
        external_call: Some(false),
        is_blacklisted: Some(false),
        is_whitelisted: Some(false),
        transfer_pausable: Some(false),
        trading_cooldown: Some(false),
        slippage_modifiable: Some(false),
        personal_slippage_modifiable: Some(false),
        anti_whale_modifiable: Some(false),
        honeypot_with_same_creator: Some(false),
        is_true_token: Some(true),
        is_airdrop_scam: Some(false),
        is_in_dex: Some(true),
        owner_address: Some("0x0000000000000000000000000000000000000000".into()),
        owner_percent: Some(0.0),
        creator_address: Some("0x1111111111111111111111111111111111111111".into()),
        creator_percent: Some(0.01),
        holders: Some(vec![wallet(0.05), wallet(0.04), wallet(0.03)]),
        lp_holders: Some(vec![Holder {
            address: Some("0x000000000000000000000000000000000000dead".into()),
            percent: Some(1.0),
            ..Holder::default()
        }]),
        dexes: Some(vec![DexPool {
            name: Some("UniswapV2".into()),
            pair: Some("0x2222222222222222222222222222222222222222".into()),
            liquidity_usd: Some(250_000.0),
        }]),
        ..TokenSecurity::default()
    }
}

fn clean_solana() -> TokenSecurity {
    let off = || {
        Some(goplus::Authority {
            enabled: Some(false),
            ..goplus::Authority::default()
        })
    };
    TokenSecurity {
        holder_count: Some(5_000),
        holders: Some(vec![wallet(0.05), wallet(0.02)]),
        dexes: Some(vec![DexPool {
            liquidity_usd: Some(400_000.0),
            ..DexPool::default()
        }]),
        solana: Some(SolanaControls {
            mint: off(),
            freeze: off(),
            close: off(),
            metadata_mutable: off(),
            balance_mutable: off(),
            default_account_state_upgradable: off(),
            transfer_fee_upgradable: off(),
            transfer_hook_upgradable: off(),
            transfer_fee: Some(0.0),
            transfer_hooks: Some(vec![]),
            default_account_state: Some(1),
            non_transferable: Some(false),
            trusted_token: Some(false),
            malicious_creator: Some(false),
        }),
        ..TokenSecurity::default()
    }
}

#[test]
fn the_clean_baselines_have_no_flags() {
    let evm = assess_evm(&clean_evm(), None);
    assert_eq!(ids(&evm), Vec::<&str>::new());
    assert_eq!((evm.score, evm.level), (0, Level::Low));
    assert!(
        evm.checks.iter().all(|c| c.outcome == Outcome::Passed),
        "{:?}",
        evm.checks
    );

    let sol = assess(&ScoreInput {
        chain: Chain::Solana,
        goplus: &clean_solana(),
        honeypot: None,
        issuer: None,
    });
    assert_eq!(ids(&sol), Vec::<&str>::new());
    assert_eq!(sol.level, Level::Low);
}

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
fn liquidity_thresholds_and_the_unlocked_sentence() {
    for (usd, expected) in [
        (500.0, Some(Severity::High)),
        (5_000.0, Some(Severity::Medium)),
        (20_000.0, Some(Severity::Low)),
        (60_000.0, None),
    ] {
        let mut sec = clean_evm();
        sec.dexes = Some(vec![DexPool {
            liquidity_usd: Some(usd),
            ..DexPool::default()
        }]);
        let assessment = assess_evm(&sec, None);
        assert_eq!(
            flag(&assessment, FlagId::LowLiquidity).map(|f| f.severity),
            expected,
            "{usd}"
        );
    }
    let mut sec = clean_evm();
    sec.dexes = Some(vec![DexPool {
        liquidity_usd: Some(1_234.0),
        ..DexPool::default()
    }]);
    sec.lp_holders = Some(vec![wallet(0.95)]);
    let assessment = assess_evm(&sec, None);
    assert_eq!(
        flag(&assessment, FlagId::LowLiquidity).map(|f| f.detail.as_str()),
        Some("Liquidity is $1.2k and unlocked")
    );
    assert_eq!(
        flag(&assessment, FlagId::LpUnlocked).map(|f| (f.severity, f.detail.as_str())),
        Some((
            Severity::High,
            "One wallet holds 95% of the liquidity and could pull it"
        ))
    );
}

#[test]
fn lp_lock_rules() {
    let lp = |rows: Vec<Holder>| {
        let mut sec = clean_evm();
        sec.lp_holders = Some(rows);
        flag(&assess_evm(&sec, None), FlagId::LpUnlocked).map(|f| f.severity)
    };
    let contract = |percent: f64| Holder {
        is_contract: Some(true),
        ..wallet(percent)
    };
    let locked = |percent: f64| Holder {
        is_locked: Some(true),
        ..contract(percent)
    };
    assert_eq!(lp(vec![locked(0.95), wallet(0.05)]), None);
    assert_eq!(lp(vec![contract(0.7), locked(0.3)]), Some(Severity::Medium));
    assert_eq!(lp(vec![locked(0.6), contract(0.4)]), Some(Severity::Low));
    assert_eq!(lp(vec![wallet(0.6), locked(0.4)]), Some(Severity::High));

    // Deep liquidity makes the lock moot.
    let mut sec = clean_evm();
    sec.lp_holders = Some(vec![wallet(1.0)]);
    sec.dexes = Some(vec![DexPool {
        liquidity_usd: Some(5_000_000.0),
        ..DexPool::default()
    }]);
    assert!(flag(&assess_evm(&sec, None), FlagId::LpUnlocked).is_none());
}

#[test]
fn not_traded_anywhere_is_a_liquidity_flag() {
    let mut sec = clean_evm();
    sec.dexes = None;
    sec.is_in_dex = Some(false);
    let assessment = assess_evm(&sec, None);
    assert_eq!(
        flag(&assessment, FlagId::LowLiquidity).map(|f| f.severity),
        Some(Severity::Medium)
    );
}

#[test]
fn holder_concentration_counts_wallets_not_pools_locks_or_contracts() {
    let concentrated = |rows: Vec<Holder>| {
        let mut sec = clean_evm();
        sec.holders = Some(rows);
        let assessment = assess_evm(&sec, None);
        flag(&assessment, FlagId::HolderConcentration).map(|f| (f.severity, f.detail.clone()))
    };
    assert_eq!(
        concentrated(vec![wallet(0.5), wallet(0.37)]),
        Some((
            Severity::High,
            "Top 10 wallets hold 87% of supply".to_string()
        ))
    );
    assert_eq!(
        concentrated(vec![wallet(0.3), wallet(0.25)]).map(|f| f.0),
        Some(Severity::Medium)
    );
    assert_eq!(
        concentrated(vec![wallet(0.2), wallet(0.15)]).map(|f| f.0),
        Some(Severity::Low)
    );
    let pool = Holder {
        address: Some("0x2222222222222222222222222222222222222222".into()),
        is_contract: Some(false),
        ..wallet(0.9)
    };
    let contract = Holder {
        is_contract: Some(true),
        ..wallet(0.9)
    };
    let burned = Holder {
        address: Some("0x000000000000000000000000000000000000dEaD".into()),
        ..wallet(0.9)
    };
    for row in [pool, contract, burned] {
        assert_eq!(
            concentrated(vec![row.clone(), wallet(0.05)]),
            None,
            "{row:?}"
        );
    }
}

#[test]
fn owner_creator_and_holder_count_rules() {
    let mut sec = clean_evm();
    sec.owner_percent = Some(0.23);
    sec.creator_percent = Some(0.6);
    sec.holder_count = Some(40);
    let assessment = assess_evm(&sec, None);
    assert_eq!(
        flag(&assessment, FlagId::OwnerConcentration).map(|f| (f.severity, f.detail.as_str())),
        Some((Severity::Medium, "The owner holds 23% of supply"))
    );
    assert_eq!(
        flag(&assessment, FlagId::CreatorConcentration).map(|f| f.severity),
        Some(Severity::High)
    );
    assert_eq!(
        flag(&assessment, FlagId::FewHolders).map(|f| f.detail.as_str()),
        Some("Only 40 wallets hold this token")
    );
    // When the creator is the owner, the holding is counted once.
    sec.creator_address = sec.owner_address.clone();
    assert!(flag(&assess_evm(&sec, None), FlagId::CreatorConcentration).is_none());
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

#[test]
fn missing_data_is_never_read_as_safe() {
    let empty = TokenSecurity::default();
    let assessment = assess_evm(&empty, None);
    let unknown = flag(&assessment, FlagId::UnknownData).expect("unknown data flag");
    assert_eq!(unknown.severity, Severity::Medium);
    assert!(
        unknown.detail.contains("honeypot can't be ruled out"),
        "{}",
        unknown.detail
    );
    assert_eq!(assessment.level, Level::Medium);
    assert!(
        assessment
            .checks
            .iter()
            .all(|c| c.outcome == Outcome::Unknown)
    );

    // With a sell verdict but four key checks missing: still medium.
    let mut sec = clean_evm();
    sec.hidden_owner = None;
    sec.owner_change_balance = None;
    sec.is_proxy = None;
    sec.is_blacklisted = None;
    let four = assess_evm(&sec, None);
    assert_eq!(
        flag(&four, FlagId::UnknownData).map(|f| (f.severity, f.detail.as_str())),
        Some((
            Severity::Medium,
            "4 of 14 key checks returned no data, so this report is incomplete"
        ))
    );

    // One or two missing: low, and named.
    let mut sec = clean_evm();
    sec.cannot_sell_all = None;
    let one = assess_evm(&sec, None);
    assert_eq!(
        flag(&one, FlagId::UnknownData).map(|f| (f.severity, f.detail.as_str())),
        Some((
            Severity::Low,
            "Some key checks returned no data (sell whole balance); treat them as unknown, not safe"
        ))
    );
}

#[test]
fn recognised_issuers_get_their_controls_as_info_but_never_a_pass_on_a_honeypot() {
    let allowlist = IssuerAllowlist::default();
    let usdc = allowlist
        .lookup(
            Chain::Ethereum,
            "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48",
        )
        .expect("USDC");
    let mut sec = clean_evm();
    sec.is_proxy = Some(true);
    sec.is_blacklisted = Some(true);
    sec.is_mintable = Some(true);
    sec.owner_address = Some("0xfcb19e6a322b27c06842a71e8c725399f049ae3a".into());
    sec.transfer_pausable = Some(true);
    let unrecognised = assess_evm(&sec, None);
    assert_eq!(unrecognised.level, Level::High);

    let input = |sec: &TokenSecurity| {
        assess(&ScoreInput {
            chain: Chain::Ethereum,
            goplus: &sec.clone(),
            honeypot: None,
            issuer: Some(usdc),
        })
    };
    let recognised = input(&sec);
    assert_eq!((recognised.score, recognised.level), (0, Level::Low));
    assert!(
        recognised
            .flags
            .iter()
            .all(|f| f.severity == Severity::Info)
    );
    assert_eq!(
        flag(&recognised, FlagId::Blacklist).map(|f| f.detail.as_str()),
        Some(
            "Circle can blacklist wallets holding USDC; this is by design for a regulated stablecoin"
        )
    );
    assert!(flag(&recognised, FlagId::RecognisedIssuer).is_some());
    let check = recognised
        .checks
        .iter()
        .find(|c| c.id == FlagId::Proxy)
        .expect("row");
    assert_eq!(check.outcome, Outcome::Flagged(Severity::Info));

    sec.is_honeypot = Some(true);
    let trapped = input(&sec);
    assert_eq!(trapped.level, Level::Critical);
    assert_eq!(trapped.flags[0].severity, Severity::Critical);
}

#[test]
fn score_and_level_arithmetic() {
    let flags = |severities: &[Severity]| -> Vec<Flag> {
        severities
            .iter()
            .map(|s| Flag {
                id: FlagId::Proxy,
                severity: *s,
                detail: String::new(),
            })
            .collect()
    };
    use Severity::*;
    assert_eq!(score_flags(&flags(&[])), (0, Level::Low));
    assert_eq!(score_flags(&flags(&[Info, Info])), (0, Level::Low));
    assert_eq!(score_flags(&flags(&[Low, Low, Low])), (18, Level::Low));
    assert_eq!(
        score_flags(&flags(&[Low, Low, Low, Low])),
        (24, Level::Medium)
    );
    assert_eq!(score_flags(&flags(&[Medium])), (20, Level::Medium));
    assert_eq!(
        score_flags(&flags(&[Medium, Medium, Medium])),
        (60, Level::High)
    );
    assert_eq!(score_flags(&flags(&[High])), (50, Level::High));
    assert_eq!(score_flags(&flags(&[High, High])), (70, Level::High));
    assert_eq!(score_flags(&flags(&[High, High, High])), (79, Level::High));
    assert_eq!(
        score_flags(&flags(&[Medium, Medium, Medium, Medium, Medium])),
        (79, Level::High)
    );
    assert_eq!(score_flags(&flags(&[Critical])), (85, Level::Critical));
    assert_eq!(
        score_flags(&flags(&[Critical, High])),
        (95, Level::Critical)
    );
}

#[test]
fn flag_ids_serialise_as_their_stable_names() {
    for id in FlagId::ALL {
        let json = serde_json::to_string(&id).expect("serialise");
        assert_eq!(json, format!("\"{}\"", id.as_str()));
    }
    let rules = include_str!("../RULES.md");
    for id in FlagId::ALL {
        assert!(
            rules.contains(&format!("`{}`", id.as_str())),
            "RULES.md misses {}",
            id.as_str()
        );
    }
}

// ---- The recorded fixtures -------------------------------------------------------------

#[test]
fn weth_is_low_with_only_info_notes() {
    let allowlist = IssuerAllowlist::default();
    let issuer = allowlist.lookup(Chain::Ethereum, WETH_ADDR);
    let sec = weth();
    let simulation = weth_simulation();
    let assessment = assess(&ScoreInput {
        chain: Chain::Ethereum,
        goplus: &sec,
        honeypot: Some(&simulation),
        issuer,
    });
    assert_eq!((assessment.score, assessment.level), (0, Level::Low));
    assert!(
        assessment
            .flags
            .iter()
            .all(|f| f.severity == Severity::Info),
        "{:?}",
        assessment.flags
    );
    assert!(ids(&assessment).contains(&"recognised_issuer"));
    assert_eq!(
        assessment.facts.liquidity_usd.map(|l| l.round()),
        Some(99_606_174.0)
    );

    // Even unrecognised and without the simulation, WETH stays low.
    let bare = assess_evm(&sec, None);
    assert_eq!(bare.level, Level::Low);
    assert_eq!(ids(&bare), vec!["unknown_data"]);
}

#[test]
fn univ2_lp_token_is_high_because_it_trades_nowhere() {
    let sec = fixture_goplus(
        Chain::Ethereum,
        "0xd7e1055aa8ca4bc723788c5e69e38d27b90c5097",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/goplus/goplus_evm_token_security_univ2_lp_0xd7e1055a.json"
        )),
    );
    let assessment = assess_evm(&sec, None);
    assert_eq!(assessment.level, Level::High);
    assert_eq!(
        ids(&assessment),
        vec![
            "mintable",
            "low_liquidity",
            "high_buy_tax",
            "few_holders",
            "lp_token"
        ]
    );
    assert_eq!(assessment.score, 52);
}

#[test]
fn kokodi_is_a_critical_honeypot() {
    let assessment = assess_evm(&kokodi(), None);
    assert_eq!((assessment.score, assessment.level), (100, Level::Critical));
    assert_eq!(
        &ids(&assessment)[..5],
        &[
            "honeypot",
            "owner_can_change_balance",
            "hidden_owner",
            "honeypot_creator",
            "low_liquidity"
        ]
    );
    assert_eq!(
        assessment.flags[0].detail,
        "Sells are blocked: this is a honeypot"
    );
    assert_eq!(
        flag(&assessment, FlagId::HolderConcentration).map(|f| f.detail.as_str()),
        Some("Top 10 wallets hold 57% of supply")
    );
    // Its LP sits in the burn and null addresses: burned, so not "unlocked".
    assert_eq!(assessment.facts.lp_locked_share, Some(1.0));
    assert!(flag(&assessment, FlagId::LpUnlocked).is_none());
}

#[test]
fn ren_legacy_schema_is_medium() {
    let sec = fixture_goplus(
        Chain::Ethereum,
        "0x408e41876cccdc0f92210600ef50372656052a38",
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/goplus/goplus_evm_token_security_ren_legacy_doc_0x408e4187.json"
        )),
    );
    let assessment = assess_evm(&sec, None);
    assert_eq!((assessment.score, assessment.level), (26, Level::Medium));
    assert_eq!(ids(&assessment), vec!["transfer_pausable", "unknown_data"]);
    assert_eq!(
        assessment.facts.liquidity_usd.map(|l| l.round()),
        Some(3_729_492.0)
    );
}

#[test]
fn toes_solana_is_high_on_thin_liquidity() {
    let mint = "6ehEcTMCc85aNF4x9CWx8HuvWGhxQtvKdhKVf2HDpump";
    let body = format!(
        r#"{{"code":1,"message":"OK","result":{{"{mint}":{}}}}}"#,
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/goplus/goplus_solana_token_security_toes_pumpfun_result_trimmed.json"
        ))
    );
    let sec = fixture_goplus(Chain::Solana, mint, &body);
    let assessment = assess(&ScoreInput {
        chain: Chain::Solana,
        goplus: &sec,
        honeypot: None,
        issuer: None,
    });
    assert_eq!((assessment.score, assessment.level), (50, Level::High));
    assert_eq!(ids(&assessment), vec!["low_liquidity"]);
    assert_eq!(
        assessment.flags[0].detail,
        "Liquidity is only $13, so even small sells move the price"
    );
    let passed = assessment
        .checks
        .iter()
        .filter(|c| c.outcome == Outcome::Passed)
        .count();
    assert!(passed >= 10, "passed {passed}");
}
