//! The service end to end against the GoPlus + honeypot.is simulator.

use std::time::Instant;

use tiltguard_sim::risk::{GoPlusMode, HoneypotMode, RiskSim, refused_base_url};

use super::*;
use crate::risk::report::Source;
use crate::risk::score::{FlagId, Level};

const WETH: &str = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
const WETH_LOWER: &str = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2";
const KOKODI: &str = "0x4e7e15a6b83718ba79674cc4ce09f7d4a631ec2c";
const REN: &str = "0x408e41876cccdc0f92210600ef50372656052a38";
const UNIV2: &str = "0xd7e1055aa8ca4bc723788c5e69e38d27b90c5097";
const TOES: &str = "6ehEcTMCc85aNF4x9CWx8HuvWGhxQtvKdhKVf2HDpump";
const UNKNOWN: &str = "0x1111111111111111111111111111111111111111";

fn service_for(base_url: &str, ttl: Duration) -> RiskService {
    RiskService::new(RiskConfig {
        goplus_url: base_url.to_string(),
        honeypot_url: base_url.to_string(),
        cache_ttl: ttl,
        request_timeout: Duration::from_secs(5),
        ..RiskConfig::default()
    })
    .expect("http client")
}

async fn start() -> (RiskSim, RiskService) {
    let sim = RiskSim::start().await.expect("simulator");
    let service = service_for(&sim.base_url(), DEFAULT_CACHE_TTL);
    (sim, service)
}

fn found(outcome: Result<ScanOutcome, ScanError>) -> Arc<ScanReport> {
    match outcome {
        Ok(ScanOutcome::Found(report)) => report,
        other => panic!("expected a report, got {other:?}"),
    }
}

#[tokio::test]
async fn every_fixture_scans_to_its_expected_level() {
    let (sim, service) = start().await;
    let cases: [(&str, Option<Chain>, Level, &str); 5] = [
        (WETH, Some(Chain::Ethereum), Level::Low, "recognised_issuer"),
        (KOKODI, Some(Chain::Ethereum), Level::Critical, "honeypot"),
        (
            REN,
            Some(Chain::Ethereum),
            Level::Medium,
            "transfer_pausable",
        ),
        (UNIV2, Some(Chain::Ethereum), Level::High, "mintable"),
        (TOES, None, Level::High, "low_liquidity"),
    ];
    for (address, chain, level, top) in cases {
        let report = found(service.scan(address, chain).await);
        assert_eq!(report.level, level, "{address}");
        assert_eq!(report.flags[0].id.as_str(), top, "{address}");
    }
    let weth = found(service.scan(WETH, Some(Chain::Ethereum)).await);
    assert_eq!(weth.sources, vec![Source::Goplus, Source::HoneypotIs]);
    assert!(
        weth.flags
            .iter()
            .all(|f| f.severity == crate::risk::Severity::Info)
    );
    assert_eq!(sim.goplus_calls("solana", TOES), 1);
    assert_eq!(
        sim.honeypot_calls("1", WETH),
        1,
        "cached after the first scan"
    );
}

#[tokio::test]
async fn an_evm_address_without_a_chain_is_looked_up_everywhere() {
    let (sim, service) = start().await;
    let report = found(service.scan(KOKODI, None).await);
    assert_eq!(report.chain, Chain::Ethereum);
    for chain in ["1", "56", "8453", "42161", "137", "10", "43114"] {
        assert_eq!(sim.goplus_calls(chain, KOKODI), 1, "chain {chain}");
    }
    // The second opinion is only asked where GoPlus found the token.
    assert_eq!(sim.total_honeypot_calls(), 1);
}

#[tokio::test]
async fn a_token_on_two_chains_asks_the_trader_to_pick() {
    let (sim, service) = start().await;
    assert!(sim.serve_goplus_also_on("56", WETH));
    match service.scan(WETH, None).await {
        Ok(ScanOutcome::MultipleChains(chains)) => {
            assert_eq!(chains, vec![Chain::Ethereum, Chain::Bsc]);
        }
        other => panic!("expected a pick, got {other:?}"),
    }
    // Picking a chain is served from the cache filled by the lookup.
    let cached = service
        .cached_report(WETH, Chain::Bsc)
        .await
        .expect("cached");
    assert_eq!(cached.chain, Chain::Bsc);
    assert!(service.cached_report(WETH, Chain::Base).await.is_none());
    let bsc = found(service.scan(WETH, Some(Chain::Bsc)).await);
    assert_eq!(bsc.chain, Chain::Bsc);
    assert_eq!(
        bsc.links[0].url,
        format!("https://bscscan.com/token/{WETH}")
    );
    assert_eq!(sim.goplus_calls("56", WETH), 1);
    // On BNB Chain this address is not the recognised WETH9 contract.
    assert!(bsc.recognised_issuer.is_none());
}

#[tokio::test]
async fn an_unknown_token_is_not_found_on_every_searched_chain() {
    let (_sim, service) = start().await;
    match service.scan(UNKNOWN, None).await {
        Ok(ScanOutcome::NotFound(chains)) => {
            assert_eq!(chains, Chain::DEFAULT_EVM.to_vec());
            let message = not_found_message(&chains);
            assert!(message.contains("Ethereum, BNB Chain, Base"), "{message}");
        }
        other => panic!("expected not found, got {other:?}"),
    }
    match service.scan(UNKNOWN, Some(Chain::Polygon)).await {
        Ok(ScanOutcome::NotFound(chains)) => assert_eq!(chains, vec![Chain::Polygon]),
        other => panic!("expected not found, got {other:?}"),
    }
}

#[tokio::test]
async fn goplus_down_rate_limited_or_partial_is_a_transient_error() {
    let (sim, service) = start().await;
    for (mode, expected) in [
        (GoPlusMode::Down, ScanError::Unavailable("HTTP 503".into())),
        (GoPlusMode::RateLimited, ScanError::RateLimited),
        (
            GoPlusMode::Partial,
            ScanError::Pending {
                retry_after: Duration::from_secs(15),
            },
        ),
    ] {
        sim.set_goplus_mode(mode);
        let error = service
            .scan(KOKODI, Some(Chain::Ethereum))
            .await
            .expect_err("must fail");
        assert_eq!(error, expected, "{mode:?}");
        assert!(error.is_transient());
        assert!(error.to_string().contains("Rescan"), "{error}");
    }
    // Failures were not cached: back to normal, the scan asks again and succeeds.
    sim.set_goplus_mode(GoPlusMode::Normal);
    let report = found(service.scan(KOKODI, Some(Chain::Ethereum)).await);
    assert_eq!(report.level, Level::Critical);
    assert_eq!(sim.goplus_calls("1", KOKODI), 4);
}

#[tokio::test]
async fn a_multi_chain_lookup_with_goplus_down_says_so() {
    let (sim, service) = start().await;
    sim.set_goplus_mode(GoPlusMode::RateLimited);
    assert_eq!(
        service.scan(KOKODI, None).await.err(),
        Some(ScanError::RateLimited)
    );
}

#[tokio::test]
async fn an_unreachable_goplus_is_unavailable() {
    let url = refused_base_url().await.expect("port");
    let service = service_for(&url, DEFAULT_CACHE_TTL);
    let error = service
        .scan(KOKODI, Some(Chain::Ethereum))
        .await
        .expect_err("nobody listens");
    assert_eq!(error, ScanError::Unavailable("could not connect".into()));
}

#[tokio::test]
async fn honeypot_is_down_still_gives_a_goplus_report() {
    let (sim, service) = start().await;
    sim.set_honeypot_mode(HoneypotMode::Down);
    let report = found(service.scan(WETH, Some(Chain::Ethereum)).await);
    assert_eq!(report.sources, vec![Source::Goplus]);
    assert_eq!(report.level, Level::Low);
}

#[tokio::test]
async fn one_hundred_concurrent_scans_make_one_upstream_call() {
    let (sim, service) = start().await;
    sim.set_latency(Duration::from_millis(200));
    let scans = (0..100).map(|_| {
        let service = service.clone();
        tokio::spawn(async move { service.scan(KOKODI, Some(Chain::Ethereum)).await })
    });
    let results = join_all(scans).await;
    for result in results {
        let report = found(result.expect("task"));
        assert_eq!(report.flags[0].id, FlagId::Honeypot);
    }
    assert_eq!(sim.goplus_calls("1", KOKODI), 1);
    assert_eq!(sim.honeypot_calls("1", KOKODI), 1);
    println!(
        "coalescing: 100 concurrent scans -> {} GoPlus call(s), {} honeypot.is call(s)",
        sim.goplus_calls("1", KOKODI),
        sim.honeypot_calls("1", KOKODI)
    );
}

#[tokio::test]
async fn concurrent_failures_are_shared_but_not_kept() {
    let (sim, service) = start().await;
    sim.set_latency(Duration::from_millis(200));
    sim.set_goplus_mode(GoPlusMode::Down);
    let scans = (0..20).map(|_| {
        let service = service.clone();
        tokio::spawn(async move { service.scan(KOKODI, Some(Chain::Ethereum)).await })
    });
    for result in join_all(scans).await {
        assert!(result.expect("task").is_err());
    }
    assert_eq!(sim.goplus_calls("1", KOKODI), 1);
    sim.set_goplus_mode(GoPlusMode::Normal);
    found(service.scan(KOKODI, Some(Chain::Ethereum)).await);
    assert_eq!(sim.goplus_calls("1", KOKODI), 2);
}

#[tokio::test]
async fn cached_reports_expire_and_rescan_bypasses_the_cache() {
    let sim = RiskSim::start().await.expect("simulator");
    let service = service_for(&sim.base_url(), Duration::from_millis(300));
    found(service.scan(REN, Some(Chain::Ethereum)).await);
    found(service.scan(REN, Some(Chain::Ethereum)).await);
    assert_eq!(sim.goplus_calls("1", REN), 1, "second scan is a cache hit");
    tokio::time::sleep(Duration::from_millis(600)).await;
    found(service.scan(REN, Some(Chain::Ethereum)).await);
    assert_eq!(sim.goplus_calls("1", REN), 2, "expired after the TTL");
    found(service.rescan(REN, Chain::Ethereum).await);
    assert_eq!(sim.goplus_calls("1", REN), 3, "rescan asks again");
}

#[tokio::test]
async fn bad_input_gets_a_clear_answer_without_upstream_calls() {
    let (sim, service) = start().await;
    let typo = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756cC2";
    assert_eq!(
        service.scan(typo, None).await.err(),
        Some(ScanError::InvalidAddress(DetectError::BadChecksum))
    );
    let mismatch = service.scan(TOES, Some(Chain::Ethereum)).await.err();
    assert_eq!(
        mismatch.as_ref().map(ToString::to_string).as_deref(),
        Some("That address can't be on Ethereum: it is a Solana address")
    );
    assert_eq!(sim.total_goplus_calls(), 0);
}

#[test]
fn the_pick_rules() {
    let report = || -> Arc<ScanReport> { crate::risk::report::tests::kokodi_report().into() };
    let wallet = combine(vec![
        (Chain::Ethereum, Err(ChainAnswer::NotAToken)),
        (Chain::Bsc, Err(ChainAnswer::NotFound)),
    ]);
    assert_eq!(wallet.err(), Some(ScanError::NotAToken));
    let partial_failure = combine(vec![
        (Chain::Ethereum, Err(ChainAnswer::NotFound)),
        (Chain::Bsc, Err(ChainAnswer::Failed(ScanError::RateLimited))),
    ]);
    assert_eq!(partial_failure.err(), Some(ScanError::RateLimited));
    let one_hit = combine(vec![
        (Chain::Ethereum, Ok(report())),
        (Chain::Bsc, Err(ChainAnswer::Failed(ScanError::RateLimited))),
    ]);
    assert!(matches!(one_hit, Ok(ScanOutcome::Found(_))));
    let two_hits = combine(vec![
        (Chain::Base, Ok(report())),
        (Chain::Bsc, Err(ChainAnswer::NotFound)),
        (Chain::Polygon, Ok(report())),
    ]);
    assert!(
        matches!(two_hits, Ok(ScanOutcome::MultipleChains(c)) if c == vec![Chain::Base, Chain::Polygon])
    );
}

fn signed_service(base_url: &str, secret: &str) -> RiskService {
    RiskService::new(RiskConfig {
        goplus_url: base_url.to_string(),
        honeypot_url: base_url.to_string(),
        goplus_credentials: Some(crate::risk::goplus::AppCredentials::new(APP_KEY, secret)),
        request_timeout: Duration::from_secs(5),
        ..RiskConfig::default()
    })
    .expect("http client")
}

const APP_KEY: &str = "tiltguard-test-app";
const APP_SECRET: &str = "test-secret-0123456789";

#[tokio::test]
async fn signed_access_asks_for_one_token_and_sends_it_everywhere() {
    let sim = RiskSim::start().await.expect("simulator");
    sim.register_app(APP_KEY, APP_SECRET);
    let service = signed_service(&sim.base_url(), APP_SECRET);
    // Seven chains at once share one token request.
    let report = found(service.scan(KOKODI, None).await);
    assert_eq!(report.level, Level::Critical);
    found(service.scan(TOES, None).await);
    assert_eq!(sim.token_requests(), 1);
    assert_eq!(sim.goplus_calls_with_token(), 8);
    assert_eq!(sim.goplus_calls_with_token(), sim.total_goplus_calls());
}

#[tokio::test]
async fn an_expired_token_is_replaced_and_the_scan_still_succeeds() {
    let sim = RiskSim::start().await.expect("simulator");
    sim.register_app(APP_KEY, APP_SECRET);
    let service = signed_service(&sim.base_url(), APP_SECRET);
    found(service.scan(REN, Some(Chain::Ethereum)).await);
    sim.expire_access_tokens();
    found(service.scan(KOKODI, Some(Chain::Ethereum)).await);
    assert_eq!(sim.refused_tokens(), 1);
    assert_eq!(sim.token_requests(), 2);
    assert_eq!(sim.goplus_calls_with_token(), 2);
}

#[tokio::test]
async fn a_token_near_its_end_is_renewed_before_use() {
    let sim = RiskSim::start().await.expect("simulator");
    sim.register_app(APP_KEY, APP_SECRET);
    sim.set_token_lifetime(Duration::from_secs(1));
    let service = signed_service(&sim.base_url(), APP_SECRET);
    found(service.scan(REN, Some(Chain::Ethereum)).await);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    found(service.scan(KOKODI, Some(Chain::Ethereum)).await);
    assert_eq!(sim.token_requests(), 2);
    assert_eq!(
        sim.refused_tokens(),
        0,
        "renewed before GoPlus had to refuse it"
    );
}

#[tokio::test]
async fn wrong_credentials_fail_the_scan_without_a_security_request() {
    let sim = RiskSim::start().await.expect("simulator");
    sim.register_app(APP_KEY, APP_SECRET);
    let service = signed_service(&sim.base_url(), "not-the-secret");
    let error = service
        .scan(KOKODI, Some(Chain::Ethereum))
        .await
        .expect_err("refused");
    assert_eq!(
        error,
        ScanError::Upstream("access refused, code 4012".into())
    );
    assert!(!error.to_string().contains("not-the-secret"));
    assert_eq!(sim.total_goplus_calls(), 0);
}

/// Run with `--ignored --nocapture` to print cache miss vs hit latency against the simulator.
#[tokio::test]
#[ignore]
async fn cache_hit_and_miss_latency() {
    let (sim, service) = start().await;
    let started = Instant::now();
    found(service.scan(KOKODI, Some(Chain::Ethereum)).await);
    let miss = started.elapsed();
    let started = Instant::now();
    found(service.scan(WETH_LOWER, None).await);
    let miss_multi = started.elapsed();
    let rounds: u32 = 1_000;
    let started = Instant::now();
    for _ in 0..rounds {
        found(service.scan(KOKODI, Some(Chain::Ethereum)).await);
    }
    let hit = started.elapsed() / rounds;
    println!("scan latency against the simulator (no added latency):");
    println!("  cache miss, one chain (GoPlus + honeypot.is): {miss:?}");
    println!("  cache miss, seven-chain lookup:               {miss_multi:?}");
    println!("  cache hit (mean of {rounds}):                   {hit:?}");
    assert_eq!(sim.goplus_calls("1", KOKODI), 1);
    assert!(hit < miss);
}
