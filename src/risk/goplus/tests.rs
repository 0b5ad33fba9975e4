//! GoPlus parsing against the recorded responses and the documented status codes.

use super::*;

const WETH: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/goplus/goplus_evm_token_security_weth_0xc02aaa39.json"
));
const UNIV2: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/goplus/goplus_evm_token_security_univ2_lp_0xd7e1055a.json"
));
const KOKODI: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/goplus/goplus_evm_token_security_kokodi_honeypot_0x4e7e15a6.json"
));
const REN: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/goplus/goplus_evm_token_security_ren_legacy_doc_0x408e4187.json"
));
const TOES_RESULT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/goplus/goplus_solana_token_security_toes_pumpfun_result_trimmed.json"
));

const WETH_ADDR: &str = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2";
const KOKODI_ADDR: &str = "0x4e7e15a6b83718ba79674cc4ce09f7d4a631ec2c";
const TOES_MINT: &str = "6ehEcTMCc85aNF4x9CWx8HuvWGhxQtvKdhKVf2HDpump";

/// The Solana fixture is the `result` entry only; wrap it the way the API sends it.
fn toes_body() -> String {
    format!(r#"{{"code":1,"message":"OK","result":{{"{TOES_MINT}":{TOES_RESULT}}}}}"#)
}

#[test]
fn weth_parses_with_its_missing_fields_left_unknown() {
    let weth = parse_response(Chain::Ethereum, WETH_ADDR, WETH).expect("weth parses");
    assert_eq!(weth.name.as_deref(), Some("Wrapped Ether"));
    assert_eq!(weth.symbol.as_deref(), Some("WETH"));
    assert_eq!(weth.holder_count, Some(3_679_802));
    assert_eq!(weth.is_honeypot, Some(false));
    assert_eq!(weth.buy_tax, Some(0.0));
    // `transfer_tax: ""` and the absent `cannot_sell_all` / `dex` are unknown, not safe.
    assert_eq!(weth.transfer_tax, None);
    assert_eq!(weth.cannot_sell_all, None);
    assert_eq!(weth.dexes, None);
    assert_eq!(weth.owner_address, None);
    assert_eq!(weth.trust_list, Some(true));
    let holders = weth.holders.expect("holders");
    assert_eq!(holders.len(), 10);
    assert_eq!(holders[0].is_contract, Some(true));
    assert_eq!(holders[4].is_contract, Some(false));
}

#[test]
fn an_address_in_another_case_still_finds_its_entry() {
    let upper = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
    assert!(parse_response(Chain::Ethereum, upper, WETH).is_ok());
}

#[test]
fn kokodi_is_a_honeypot_with_a_clamped_pair_share() {
    let koko = parse_response(Chain::Ethereum, KOKODI_ADDR, KOKODI).expect("kokodi parses");
    assert_eq!(koko.is_honeypot, Some(true));
    assert_eq!(koko.owner_change_balance, Some(true));
    assert_eq!(koko.hidden_owner, Some(true));
    assert_eq!(koko.honeypot_with_same_creator, Some(true));
    let holders = koko.holders.expect("holders");
    // The pair's recorded percent is 1769801; shares are clamped into 0..=1.
    assert_eq!(holders[0].percent, Some(1.0));
    assert_eq!(holders[0].is_contract, Some(true));
    let lp = koko.lp_holders.expect("lp holders");
    assert_eq!(lp.len(), 2);
    assert!(lp.iter().all(|h| h.is_locked == Some(true)));
    let dex = koko.dexes.expect("dex list");
    assert_eq!(dex[0].name.as_deref(), Some("UniswapV2"));
    assert_eq!(dex[0].liquidity_usd, Some(0.00152942));
}

#[test]
fn univ2_lp_keeps_taxes_as_fractions_and_locked_holders() {
    let lp = parse_response(
        Chain::Ethereum,
        "0xd7e1055aa8ca4bc723788c5e69e38d27b90c5097",
        UNIV2,
    )
    .expect("univ2 parses");
    assert_eq!(lp.buy_tax, Some(0.05));
    assert_eq!(lp.sell_tax, Some(0.0493));
    assert_eq!(lp.is_in_dex, Some(false));
    let holders = lp.holders.expect("holders");
    assert_eq!(holders[0].tag.as_deref(), Some("UniCrypt"));
    assert_eq!(holders[0].is_locked, Some(true));
}

#[test]
fn ren_legacy_schema_reads_dexs_and_numeric_percents() {
    let ren = parse_response(
        Chain::Ethereum,
        "0x408e41876cccdc0f92210600ef50372656052a38",
        REN,
    )
    .expect("ren parses");
    let pools = ren.dexes.expect("legacy dexs list");
    assert_eq!(pools.len(), 9);
    let total: f64 = pools.iter().filter_map(|p| p.liquidity_usd).sum();
    assert!((total - 3_729_492.0).abs() < 1.0, "total {total}");
    assert_eq!(ren.transfer_pausable, Some(true));
    assert_eq!(ren.hidden_owner, None);
    let holders = ren.holders.expect("holders");
    assert_eq!(holders[0].percent, Some(0.1803));
    assert_eq!(ren.name, None);
}

#[test]
fn toes_solana_entry_reads_authorities_and_accounts() {
    let toes = parse_response(Chain::Solana, TOES_MINT, &toes_body()).expect("toes parses");
    assert_eq!(toes.name.as_deref(), Some("TOES"));
    assert_eq!(toes.symbol.as_deref(), Some("TOESCOIN"));
    assert_eq!(toes.holder_count, Some(19_745));
    let controls = toes.solana.expect("solana controls");
    assert_eq!(controls.mint.as_ref().and_then(|a| a.enabled), Some(false));
    assert_eq!(
        controls.freeze.as_ref().and_then(|a| a.enabled),
        Some(false)
    );
    assert_eq!(controls.transfer_fee, Some(0.0));
    assert_eq!(controls.transfer_hooks, Some(vec![]));
    assert_eq!(controls.non_transferable, Some(false));
    assert_eq!(controls.default_account_state, Some(1));
    let holders = toes.holders.expect("holders");
    assert_eq!(
        holders[0].address.as_deref(),
        Some("EE3zk9Fxp9guair2xeReFxf4TsEXeZFFuWETRna2PkcV")
    );
    let tvl: f64 = toes
        .dexes
        .expect("pools")
        .iter()
        .filter_map(|p| p.liquidity_usd)
        .sum();
    assert_eq!(tvl, 12.51);
    // The EVM-only fields are unknown for a Solana token.
    assert_eq!(toes.is_honeypot, None);
}

#[test]
fn unknown_token_is_code_1_with_an_empty_result() {
    let body = r#"{"code":1,"message":"OK","result":{}}"#;
    assert_eq!(
        parse_response(Chain::Bsc, WETH_ADDR, body),
        Err(GoPlusError::TokenNotFound)
    );
    let null = r#"{"code":1,"message":"OK","result":null}"#;
    assert_eq!(
        parse_response(Chain::Bsc, WETH_ADDR, null),
        Err(GoPlusError::TokenNotFound)
    );
}

#[test]
fn an_entry_without_token_fields_is_a_wallet() {
    let body = format!(r#"{{"code":1,"message":"OK","result":{{"{WETH_ADDR}":{{}}}}}}"#);
    assert_eq!(
        parse_response(Chain::Ethereum, WETH_ADDR, &body),
        Err(GoPlusError::NotAToken)
    );
    let non_contract = r#"{"code":2020,"message":"non-contract address","result":null}"#;
    assert_eq!(
        parse_response(Chain::Ethereum, WETH_ADDR, non_contract),
        Err(GoPlusError::NotAToken)
    );
}

#[test]
fn status_codes_become_typed_errors() {
    let body = |code: &str| format!(r#"{{"code":{code},"message":"m","result":{{}}}}"#);
    let partial = parse_response(Chain::Ethereum, WETH_ADDR, &body("2"));
    assert_eq!(
        partial,
        Err(GoPlusError::Partial {
            retry_after: Duration::from_secs(15)
        })
    );
    assert!(partial.unwrap_err().is_transient());
    assert_eq!(
        parse_response(Chain::Ethereum, WETH_ADDR, &body("4029")),
        Err(GoPlusError::RateLimited)
    );
    assert_eq!(
        parse_response(Chain::Ethereum, WETH_ADDR, &body("\"4029\"")),
        Err(GoPlusError::RateLimited)
    );
    assert!(matches!(
        parse_response(Chain::Ethereum, WETH_ADDR, &body("4012")),
        Err(GoPlusError::Unauthorized { code: 4012, .. })
    ));
    assert!(matches!(
        parse_response(Chain::Ethereum, WETH_ADDR, &body("5000")),
        Err(GoPlusError::Unavailable(_))
    ));
    let api = parse_response(Chain::Ethereum, WETH_ADDR, &body("2018"));
    assert!(matches!(api, Err(GoPlusError::Api { code: 2018, .. })));
    assert!(!api.unwrap_err().is_transient());
}

#[test]
fn garbage_bodies_are_bad_responses_not_panics() {
    for body in ["", "<html>502</html>", "[]", r#"{"message":"no code"}"#] {
        assert!(
            matches!(
                parse_response(Chain::Ethereum, WETH_ADDR, body),
                Err(GoPlusError::BadResponse(_))
            ),
            "body {body:?}"
        );
    }
}

#[test]
fn endpoints_follow_the_documented_paths() {
    let client = GoPlusClient::new(reqwest::Client::new(), "http://sim/");
    assert_eq!(
        client.endpoint(Chain::Bsc),
        "http://sim/api/v1/token_security/56"
    );
    assert_eq!(
        client.endpoint(Chain::Tron),
        "http://sim/api/v1/token_security/tron"
    );
    assert_eq!(
        client.endpoint(Chain::Solana),
        "http://sim/api/v1/solana/token_security"
    );
}
