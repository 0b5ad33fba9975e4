//! honeypot.is client: `v2/IsHoneypot` simulates a buy and a sell on a fork and reports
//! whether the sell went through and what it cost. It is the second opinion next to
//! GoPlus on Ethereum, BNB Chain and Base.
//!
//! honeypot.is reports taxes in PERCENT (0–100); [`HoneypotVerdict`] converts them to
//! fractions (0–1) so they compare directly with GoPlus.

use serde::Serialize;
use serde_json::{Map, Value};

use super::detect::Chain;

/// The chains honeypot.is simulates on.
pub fn supports(chain: Chain) -> bool {
    matches!(chain, Chain::Ethereum | Chain::Bsc | Chain::Base)
}

/// The typed second opinion.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct HoneypotVerdict {
    /// `None` when the simulation could not run, so there is no verdict.
    pub is_honeypot: Option<bool>,
    pub honeypot_reason: Option<String>,
    pub simulation_success: Option<bool>,
    pub simulation_error: Option<String>,
    /// Fractions 0..=1, converted from honeypot.is percentages.
    pub buy_tax: Option<f64>,
    pub sell_tax: Option<f64>,
    pub transfer_tax: Option<f64>,
    pub token_name: Option<String>,
    pub token_symbol: Option<String>,
    pub total_holders: Option<u64>,
    /// USD liquidity of the pair the simulation used.
    pub pair_liquidity_usd: Option<f64>,
    pub pair_name: Option<String>,
    pub open_source: Option<bool>,
    pub is_proxy: Option<bool>,
    /// Holders whose simulated sells were siphoned (funds taken on sell).
    pub siphoned_holders: Option<u64>,
    pub flags: Vec<String>,
}

/// What went wrong asking honeypot.is.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HoneypotError {
    #[error("honeypot.is does not simulate on {0}")]
    UnsupportedChain(Chain),
    #[error("honeypot.is is unavailable: {0}")]
    Unavailable(String),
    #[error("honeypot.is rate limit reached")]
    RateLimited,
    #[error("honeypot.is answered {status}: {message}")]
    Rejected { status: u16, message: String },
    #[error("honeypot.is sent a response I can't read: {0}")]
    BadResponse(String),
}

/// A small honeypot.is client; the base URL is injectable for the simulator.
#[derive(Debug, Clone)]
pub struct HoneypotClient {
    http: reqwest::Client,
    base_url: String,
}

impl HoneypotClient {
    pub fn new(http: reqwest::Client, base_url: impl Into<String>) -> Self {
        HoneypotClient {
            http,
            base_url: base_url.into().trim_end_matches('/').to_string(),
        }
    }

    pub async fn is_honeypot(
        &self,
        chain: Chain,
        address: &str,
    ) -> Result<HoneypotVerdict, HoneypotError> {
        let chain_id = chain
            .evm_chain_id()
            .filter(|_| supports(chain))
            .ok_or(HoneypotError::UnsupportedChain(chain))?;
        let response = self
            .http
            .get(format!("{}/v2/IsHoneypot", self.base_url))
            .query(&[("address", address), ("chainID", &chain_id.to_string())])
            .send()
            .await
            .map_err(|error| {
                HoneypotError::Unavailable(if error.is_timeout() {
                    "request timed out".to_string()
                } else {
                    "could not connect".to_string()
                })
            })?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|_| HoneypotError::Unavailable("the response was cut off".to_string()))?;
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(HoneypotError::RateLimited);
        }
        if status.is_server_error() {
            return Err(HoneypotError::Unavailable(format!(
                "HTTP {}",
                status.as_u16()
            )));
        }
        if !status.is_success() {
            return Err(HoneypotError::Rejected {
                status: status.as_u16(),
                message: error_message(&body),
            });
        }
        parse_verdict(&body)
    }
}

/// honeypot.is errors are `{"code": 400, "error": "invalid token address"}`.
fn error_message(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| "no details".to_string())
}

/// Parses a successful `IsHoneypot` body. Pure.
pub fn parse_verdict(body: &str) -> Result<HoneypotVerdict, HoneypotError> {
    let root: Value = serde_json::from_str(body)
        .map_err(|error| HoneypotError::BadResponse(format!("not JSON ({error})")))?;
    let root = root
        .as_object()
        .ok_or_else(|| HoneypotError::BadResponse("not a JSON object".to_string()))?;
    let section = |key: &str| root.get(key).and_then(Value::as_object);
    let result = section("honeypotResult");
    let simulation = section("simulationResult");
    let token = section("token");
    let pair = section("pair");
    let code = section("contractCode");
    let holders = section("holderAnalysis");
    let simulation_success = root.get("simulationSuccess").and_then(Value::as_bool);
    Ok(HoneypotVerdict {
        // Without a successful simulation a `false` means "not checked", not "safe".
        is_honeypot: result
            .and_then(|r| r.get("isHoneypot"))
            .and_then(Value::as_bool)
            .filter(|verdict| *verdict || simulation_success != Some(false)),
        honeypot_reason: result.and_then(|r| string(r, "honeypotReason")),
        simulation_success,
        simulation_error: string(root, "simulationError"),
        buy_tax: simulation.and_then(|s| percent(s, "buyTax")),
        sell_tax: simulation.and_then(|s| percent(s, "sellTax")),
        transfer_tax: simulation.and_then(|s| percent(s, "transferTax")),
        token_name: token.and_then(|t| string(t, "name")),
        token_symbol: token.and_then(|t| string(t, "symbol")),
        total_holders: token.and_then(|t| count(t, "totalHolders")),
        pair_liquidity_usd: pair
            .and_then(|p| number(p, "liquidity"))
            .map(|usd| usd.max(0.0)),
        pair_name: pair
            .and_then(|p| p.get("pair"))
            .and_then(Value::as_object)
            .and_then(|p| string(p, "name")),
        open_source: code
            .and_then(|c| c.get("openSource"))
            .and_then(Value::as_bool),
        is_proxy: code.and_then(|c| c.get("isProxy")).and_then(Value::as_bool),
        siphoned_holders: holders.and_then(|h| count(h, "siphoned")),
        flags: flags(root),
    })
}

fn string(map: &Map<String, Value>, key: &str) -> Option<String> {
    let value = map.get(key)?.as_str()?.trim();
    (!value.is_empty()).then(|| value.to_string())
}

fn number(map: &Map<String, Value>, key: &str) -> Option<f64> {
    let value = match map.get(key)? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    value.is_finite().then_some(value)
}

fn count(map: &Map<String, Value>, key: &str) -> Option<u64> {
    number(map, key)
        .filter(|v| *v >= 0.0)
        .map(|v| v.round() as u64)
}

/// A honeypot.is percentage (0–100) as a fraction.
fn percent(map: &Map<String, Value>, key: &str) -> Option<f64> {
    number(map, key).map(|pct| (pct / 100.0).clamp(0.0, 1.0))
}

/// `flags` may be plain strings or `{flag, description}` objects depending on the version.
fn flags(root: &Map<String, Value>) -> Vec<String> {
    let from = |value: Option<&Value>| -> Vec<String> {
        value
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| match item {
                        Value::String(s) => Some(s.clone()),
                        Value::Object(o) => string(o, "flag"),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut all = from(root.get("flags"));
    let summary = root.get("summary").and_then(Value::as_object);
    for flag in from(summary.and_then(|s| s.get("flags"))) {
        if !all.contains(&flag) {
            all.push(flag);
        }
    }
    all
}

/// Removes `//` line comments from a `.jsonc` docs sample, leaving strings intact.
#[cfg(test)]
pub(crate) fn strip_json_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if c == '/' && chars.peek() == Some(&'/') {
            for skipped in chars.by_ref() {
                if skipped == '\n' {
                    out.push('\n');
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const WETH: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/honeypot_is/honeypot_is_v2_IsHoneypot_weth_chain1.json"
    ));
    const NODEAI: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/honeypot_is/honeypot_is_v2_IsHoneypot_nodeai_gpu_taxed.json"
    ));
    const DOCS_SAMPLE: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/honeypot_is/honeypot_is_v2_IsHoneypot_docs_sample_usdc.jsonc"
    ));

    #[test]
    fn weth_is_clean_with_deep_liquidity() {
        let verdict = parse_verdict(WETH).expect("weth parses");
        assert_eq!(verdict.is_honeypot, Some(false));
        assert_eq!(verdict.sell_tax, Some(0.0));
        assert_eq!(verdict.token_symbol.as_deref(), Some("WETH"));
        let liquidity = verdict.pair_liquidity_usd.expect("liquidity");
        assert!((liquidity - 99_606_174.27).abs() < 1.0);
        assert_eq!(verdict.pair_name.as_deref(), Some("Uniswap V3: WETH-USDT"));
    }

    #[test]
    fn nodeai_percent_taxes_become_fractions() {
        let verdict = parse_verdict(NODEAI).expect("nodeai parses");
        // honeypot.is says 3.99999 (percent); GoPlus would say 0.04.
        let buy = verdict.buy_tax.expect("buy tax");
        let sell = verdict.sell_tax.expect("sell tax");
        assert!((buy - 0.04).abs() < 1e-9, "buy {buy}");
        assert!((sell - 0.039988707).abs() < 1e-6, "sell {sell}");
        assert_eq!(verdict.siphoned_holders, Some(1));
        assert_eq!(verdict.is_honeypot, Some(false));
    }

    #[test]
    fn docs_sample_parses_once_comments_are_stripped() {
        let verdict = parse_verdict(&strip_json_comments(DOCS_SAMPLE)).expect("docs sample");
        assert_eq!(verdict.token_symbol.as_deref(), Some("USDC"));
        assert_eq!(verdict.is_proxy, Some(true));
        assert_eq!(verdict.honeypot_reason, None);
    }

    #[test]
    fn a_failed_simulation_is_no_verdict_but_a_positive_one_counts() {
        let failed = r#"{"simulationSuccess":false,"simulationError":"Insufficient liquidity",
            "honeypotResult":{"isHoneypot":false}}"#;
        let verdict = parse_verdict(failed).expect("parses");
        assert_eq!(verdict.is_honeypot, None);
        assert_eq!(
            verdict.simulation_error.as_deref(),
            Some("Insufficient liquidity")
        );

        let caught = r#"{"simulationSuccess":true,"honeypotResult":{"isHoneypot":true,
            "honeypotReason":"PancakeSwap: TRANSFER_FROM_FAILED"},
            "simulationResult":{"buyTax":0,"sellTax":100}}"#;
        let verdict = parse_verdict(caught).expect("parses");
        assert_eq!(verdict.is_honeypot, Some(true));
        assert_eq!(verdict.sell_tax, Some(1.0));
        assert_eq!(
            verdict.honeypot_reason.as_deref(),
            Some("PancakeSwap: TRANSFER_FROM_FAILED")
        );
    }

    #[test]
    fn flags_accept_strings_and_objects() {
        let body =
            r#"{"flags":["high_siphon_rate"],"summary":{"flags":[{"flag":"EXTERNAL_CALLS"}]}}"#;
        let verdict = parse_verdict(body).expect("parses");
        assert_eq!(verdict.flags, vec!["high_siphon_rate", "EXTERNAL_CALLS"]);
    }

    #[test]
    fn errors_and_garbage_do_not_panic() {
        assert!(matches!(
            parse_verdict("oops"),
            Err(HoneypotError::BadResponse(_))
        ));
        assert_eq!(
            error_message(r#"{"code":400,"error":"invalid token address"}"#),
            "invalid token address"
        );
        assert_eq!(error_message("<html>"), "no details");
    }

    #[test]
    fn only_three_chains_are_simulated() {
        assert!(supports(Chain::Ethereum) && supports(Chain::Bsc) && supports(Chain::Base));
        assert!(!supports(Chain::Polygon) && !supports(Chain::Solana) && !supports(Chain::Tron));
    }

    #[test]
    fn comment_stripping_keeps_slashes_inside_strings() {
        let text = "{\"url\": \"a//b\", // note\n \"x\": 1}";
        let value: Value = serde_json::from_str(&strip_json_comments(text)).expect("json");
        assert_eq!(value["url"], "a//b");
        assert_eq!(value["x"], 1);
    }
}
