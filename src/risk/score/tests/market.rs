//! Market rules, missing data, recognised issuers, the score arithmetic and the ids.

use super::*;

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
    let rules = include_str!("../../../../README.md");
    for id in FlagId::ALL {
        assert!(
            rules.contains(&format!("`{}`", id.as_str())),
            "README.md (risk rules) misses {}",
            id.as_str()
        );
    }
}
