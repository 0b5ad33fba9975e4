//! `tiltguard scan <ADDRESS> [--chain <CHAIN>] [--json]`: the risk radar in a terminal, on the
//! same service (GoPlus, honeypot.is, scoring) as `/scan` in the bot.
//!
//! The report goes to stdout (text, or JSON for scripts); anything that stops a scan goes to
//! stderr as one line. Exit codes: 0 the scan ran, whatever the verdict; 1 the scan could not
//! run or found no token (upstream down, rate-limited, unknown token, a wallet); 2 the input
//! needs fixing (malformed address, unknown chain, or an address on several chains without
//! `--chain`).

use crate::config::Config;
use crate::risk::service::{ScanError, not_found_message};
use crate::risk::{Chain, RiskService, ScanOutcome, render_terminal};

pub const EXIT_SCANNED: i32 = 0;
pub const EXIT_NO_REPORT: i32 = 1;
pub const EXIT_BAD_INPUT: i32 = 2;

/// Runs one scan and prints it. Returns the process exit code.
pub async fn run(config: &Config, address: &str, chain: Option<&str>, json: bool) -> i32 {
    let chain = match chain.map(str::parse::<Chain>).transpose() {
        Ok(chain) => chain,
        Err(unknown) => {
            eprintln!("error: {unknown}");
            return EXIT_BAD_INPUT;
        }
    };
    let service = match RiskService::new(config.risk.clone()) {
        Ok(service) => service,
        Err(error) => {
            eprintln!("error: cannot build the HTTP client: {error}");
            return EXIT_NO_REPORT;
        }
    };
    let outcome = service.scan(address, chain).await;
    match render(address, &outcome, json) {
        Ok(text) => {
            println!("{text}");
            EXIT_SCANNED
        }
        Err((code, line)) => {
            eprintln!("error: {line}");
            code
        }
    }
}

/// The stdout text for a report, or the exit code and stderr line. Pure.
fn render(
    address: &str,
    outcome: &Result<ScanOutcome, ScanError>,
    json: bool,
) -> Result<String, (i32, String)> {
    match outcome {
        // The report's own serialisation is the documented shape: chain, address, name,
        // symbol, score, level, flags [{id, severity, detail}], then the details.
        Ok(ScanOutcome::Found(report)) if json => serde_json::to_string_pretty(report.as_ref())
            .map_err(|error| (EXIT_NO_REPORT, format!("cannot write JSON: {error}"))),
        Ok(ScanOutcome::Found(report)) => Ok(render_terminal(report)),
        Ok(ScanOutcome::MultipleChains(chains)) => {
            let names: Vec<&str> = chains.iter().map(|c| c.name()).collect();
            Err((
                EXIT_BAD_INPUT,
                format!(
                    "{address} is a token on several chains: {}. Pick one with --chain, e.g. --chain {}",
                    names.join(", "),
                    names.first().copied().unwrap_or("ethereum")
                ),
            ))
        }
        Ok(ScanOutcome::NotFound(chains)) => Err((EXIT_NO_REPORT, not_found_message(chains))),
        Err(error @ (ScanError::InvalidAddress(_) | ScanError::ChainMismatch { .. })) => {
            Err((EXIT_BAD_INPUT, error.to_string()))
        }
        Err(error) => Err((EXIT_NO_REPORT, cli_wording(&error.to_string()))),
    }
}

/// The service writes for the bot, where a "Rescan" button exists; a terminal re-runs the
/// command instead.
fn cli_wording(message: &str) -> String {
    message.replace("Try Rescan", "Run the scan again")
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::risk::report::tests::kokodi_report;

    const ADDRESS: &str = "0x4e7e15a6b83718ba79674cc4ce09f7d4a631ec2c";

    #[test]
    fn json_leads_with_the_documented_keys() {
        let outcome = Ok(ScanOutcome::Found(Arc::new(kokodi_report())));
        let text = render(ADDRESS, &outcome, true).expect("json");
        let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(value["chain"], "ethereum");
        assert_eq!(value["level"], "critical");
        assert_eq!(value["flags"][0]["id"], "honeypot");
        assert_eq!(value["flags"][0]["severity"], "critical");
        // Top-level keys in output order (two-space indent in the pretty form).
        let keys: Vec<&str> = text
            .lines()
            .filter_map(|line| line.strip_prefix("  \""))
            .filter_map(|rest| rest.split('"').next())
            .take(7)
            .collect();
        assert_eq!(
            keys,
            [
                "chain", "address", "name", "symbol", "score", "level", "flags"
            ]
        );
    }

    #[test]
    fn what_stops_a_scan_has_its_own_exit_code_and_one_line() {
        let several = Ok(ScanOutcome::MultipleChains(vec![
            Chain::Ethereum,
            Chain::Base,
        ]));
        let (code, line) = render(ADDRESS, &several, false).expect_err("needs --chain");
        assert_eq!(code, EXIT_BAD_INPUT);
        assert!(
            line.contains("ethereum, base") && line.contains("--chain ethereum"),
            "{line}"
        );
        let (code, line) = render(ADDRESS, &Err(ScanError::RateLimited), true).expect_err("down");
        assert_eq!(code, EXIT_NO_REPORT);
        assert!(
            line.contains("rate-limiting") && !line.contains("Rescan"),
            "{line}"
        );
        let (code, _) = render(ADDRESS, &Ok(ScanOutcome::NotFound(vec![Chain::Bsc])), false)
            .expect_err("unknown");
        assert_eq!(code, EXIT_NO_REPORT);
        for (_, line) in [
            render(ADDRESS, &several, false).expect_err("x"),
            render(ADDRESS, &Err(ScanError::NotAToken), false).expect_err("x"),
        ] {
            assert!(!line.contains('\n'), "{line}");
        }
    }
}
