//! The verdict on each recorded fixture.

use super::*;

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
