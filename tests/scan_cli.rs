//! `tiltguard scan` as an operator or a script runs it: the built binary against the GoPlus +
//! honeypot.is simulator.

use std::process::{Command, Output};

use serde_json::Value;
use tiltguard_sim::risk::{GoPlusMode, RiskSim, refused_base_url};

const KOKODI: &str = "0x4e7e15a6b83718ba79674cc4ce09f7d4a631ec2c";
const WETH: &str = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
const TOES: &str = "6ehEcTMCc85aNF4x9CWx8HuvWGhxQtvKdhKVf2HDpump";

/// Runs `tiltguard scan <args>` with only PATH and the upstream URLs in its environment.
/// The child runs on a blocking thread so the simulator keeps answering meanwhile.
async fn scan(upstream: &str, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tiltguard"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GOPLUS_API_URL", upstream)
        .env("HONEYPOT_API_URL", upstream)
        .current_dir(std::env::temp_dir())
        .arg("scan")
        .args(args);
    for (key, value) in extra_env {
        command.env(key, value);
    }
    tokio::task::spawn_blocking(move || command.output().expect("tiltguard runs"))
        .await
        .expect("join")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn json_output_has_the_documented_fields() {
    let sim = RiskSim::start().await.expect("sim");
    let out = scan(
        &sim.base_url(),
        &[KOKODI, "--chain", "ethereum", "--json"],
        &[],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let report: Value = serde_json::from_str(&stdout(&out)).expect("stdout is one JSON document");
    assert_eq!(report["chain"], "ethereum");
    assert_eq!(
        report["address"],
        "0x4e7E15A6B83718bA79674cc4ce09f7d4a631eC2C"
    );
    assert_eq!(report["name"], "KOKODI");
    assert_eq!(report["symbol"], "KOKO");
    assert_eq!(report["level"], "critical");
    assert_eq!(report["score"], 100);
    let flags = report["flags"].as_array().expect("flags");
    assert_eq!(flags[0]["id"], "honeypot");
    assert_eq!(flags[0]["severity"], "critical");
    assert!(
        flags[0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("honeypot"))
    );
    assert!(
        flags
            .iter()
            .all(|f| f["id"].is_string() && f["severity"].is_string())
    );
    assert_eq!(sim.goplus_calls("1", KOKODI), 1);
}

#[tokio::test]
async fn text_output_is_the_terminal_report_and_a_low_verdict_still_exits_zero() {
    let sim = RiskSim::start().await.expect("sim");
    // Chain ids work as well as names.
    let out = scan(&sim.base_url(), &[WETH, "--chain", "1"], &[]).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("🟢 LOW RISK  score 0/100"), "{text}");
    assert!(text.contains("Wrapped Ether (WETH) on Ethereum"), "{text}");
    assert!(
        text.contains(&format!("Etherscan: https://etherscan.io/token/{WETH}")),
        "{text}"
    );
    assert!(text.contains("Data: GoPlus, honeypot.is"), "{text}");
    assert!(text.trim_end().ends_with("Not financial advice."), "{text}");

    let critical = scan(&sim.base_url(), &[KOKODI], &[]).await;
    assert_eq!(
        critical.status.code(),
        Some(0),
        "a critical verdict is still a scan that ran"
    );
    assert!(
        stdout(&critical).contains("[critical] Sells are blocked: this is a honeypot (honeypot)")
    );

    let solana = scan(&sim.base_url(), &[TOES], &[]).await;
    assert_eq!(solana.status.code(), Some(0));
    assert!(stdout(&solana).contains("on Solana"));
}

#[tokio::test]
async fn input_errors_exit_2_with_one_line() {
    let sim = RiskSim::start().await.expect("sim");
    let cases: [(&[&str], &str); 3] = [
        (&["0x1234"], "exactly 40 hex characters"),
        (
            &[KOKODI, "--chain", "fantom"],
            "I don't know the chain \"fantom\"",
        ),
        (&[TOES, "--chain", "bsc"], "can't be on BNB Chain"),
    ];
    for (args, expected) in cases {
        let out = scan(&sim.base_url(), args, &[]).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains(expected),
            "{args:?}: {err}"
        );
        assert!(stdout(&out).is_empty());
    }
    assert_eq!(sim.total_goplus_calls(), 0);
}

#[tokio::test]
async fn several_chains_are_listed_and_chain_is_asked_for() {
    let sim = RiskSim::start().await.expect("sim");
    assert!(sim.serve_goplus_also_on("56", WETH));
    let out = scan(&sim.base_url(), &[WETH, "--json"], &[]).await;
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("several chains: ethereum, bsc") && err.contains("--chain"),
        "{err}"
    );
    let picked = scan(&sim.base_url(), &[WETH, "--chain", "bsc", "--json"], &[]).await;
    assert_eq!(picked.status.code(), Some(0));
    let report: Value = serde_json::from_str(&stdout(&picked)).expect("json");
    assert_eq!(report["chain"], "bsc");
}

#[tokio::test]
async fn upstream_trouble_exits_1_and_says_what_happened() {
    let sim = RiskSim::start().await.expect("sim");
    sim.set_goplus_mode(GoPlusMode::RateLimited);
    let limited = scan(&sim.base_url(), &[KOKODI, "--chain", "ethereum"], &[]).await;
    assert_eq!(limited.status.code(), Some(1));
    let err = stderr(&limited);
    assert!(
        err.contains("GoPlus is rate-limiting scans") && err.contains("Run the scan again"),
        "{err}"
    );

    let nobody = refused_base_url().await.expect("port");
    let down = scan(&nobody, &[KOKODI, "--chain", "ethereum", "--json"], &[]).await;
    assert_eq!(down.status.code(), Some(1));
    let err = stderr(&down);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("GoPlus is not answering right now (could not connect)"),
        "{err}"
    );
    assert!(stdout(&down).is_empty());

    sim.set_goplus_mode(GoPlusMode::Normal);
    let unknown = scan(
        &sim.base_url(),
        &[
            "0x1111111111111111111111111111111111111111",
            "--chain",
            "polygon",
        ],
        &[],
    )
    .await;
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("GoPlus has no token at this address on Polygon"));
}

#[tokio::test]
async fn signed_access_is_used_when_credentials_are_set() {
    let sim = RiskSim::start().await.expect("sim");
    sim.register_app("cli-app", "cli-secret-value");
    let credentials = [
        ("GOPLUS_APP_KEY", "cli-app"),
        ("GOPLUS_APP_SECRET", "cli-secret-value"),
    ];
    let out = scan(
        &sim.base_url(),
        &[KOKODI, "--chain", "ethereum"],
        &credentials,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    assert_eq!(sim.token_requests(), 1);
    assert_eq!(sim.goplus_calls_with_token(), 1);

    let wrong = [
        ("GOPLUS_APP_KEY", "cli-app"),
        ("GOPLUS_APP_SECRET", "wrong-secret-value"),
    ];
    let refused = scan(&sim.base_url(), &[KOKODI, "--chain", "ethereum"], &wrong).await;
    assert_eq!(refused.status.code(), Some(1));
    let err = stderr(&refused);
    assert!(err.contains("access refused, code 4012"), "{err}");
    assert!(
        !err.contains("wrong-secret-value"),
        "the secret is never echoed: {err}"
    );

    let half = scan(&sim.base_url(), &[KOKODI], &[("GOPLUS_APP_KEY", "cli-app")]).await;
    assert_eq!(half.status.code(), Some(2));
    assert!(
        stderr(&half).starts_with("error: GOPLUS_APP_SECRET"),
        "{}",
        stderr(&half)
    );
}
