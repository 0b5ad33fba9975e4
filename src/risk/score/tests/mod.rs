//! Every scoring rule, the level/score arithmetic, and the verdict on each recorded fixture.
//! Shared builders live here; the tests are grouped by topic in the submodules.

mod contract;
mod fixtures;
mod market;

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
