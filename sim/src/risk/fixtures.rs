//! The recorded GoPlus and honeypot.is responses the simulator replays, each bound to the
//! chain and address it was recorded for.

use serde_json::{Map, Value};

/// GoPlus chain ids the simulator accepts (the list in GoPlus' API docs).
pub const GOPLUS_EVM_CHAINS: &[&str] = &[
    "1",
    "10",
    "25",
    "56",
    "66",
    "100",
    "128",
    "137",
    "250",
    "321",
    "324",
    "8453",
    "10001",
    "42161",
    "43114",
    "59144",
    "201022",
    "1666600000",
    "tron",
];

/// Chains honeypot.is simulates on.
pub const HONEYPOT_CHAINS: &[&str] = &["1", "56", "8453"];

/// GoPlus chain key used for the Solana endpoint.
pub const SOLANA: &str = "solana";

pub const WETH: &str = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2";
pub const UNIV2_LP: &str = "0xd7e1055aa8ca4bc723788c5e69e38d27b90c5097";
pub const KOKODI: &str = "0x4e7e15a6b83718ba79674cc4ce09f7d4a631ec2c";
pub const REN: &str = "0x408e41876cccdc0f92210600ef50372656052a38";
pub const TOES: &str = "6ehEcTMCc85aNF4x9CWx8HuvWGhxQtvKdhKVf2HDpump";
pub const NODEAI: &str = "0x1258d60b224c0c5cd888d37bbf31aa5fcfb7e870";
pub const USDC: &str = "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48";

const GOPLUS_WETH: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/goplus/goplus_evm_token_security_weth_0xc02aaa39.json"
));
const GOPLUS_UNIV2: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/goplus/goplus_evm_token_security_univ2_lp_0xd7e1055a.json"
));
const GOPLUS_KOKODI: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/goplus/goplus_evm_token_security_kokodi_honeypot_0x4e7e15a6.json"
));
const GOPLUS_REN: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/goplus/goplus_evm_token_security_ren_legacy_doc_0x408e4187.json"
));
const GOPLUS_TOES: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/goplus/goplus_solana_token_security_toes_pumpfun_result_trimmed.json"
));
const HONEYPOT_WETH: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/honeypot_is/honeypot_is_v2_IsHoneypot_weth_chain1.json"
));
const HONEYPOT_NODEAI: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/honeypot_is/honeypot_is_v2_IsHoneypot_nodeai_gpu_taxed.json"
));
const HONEYPOT_USDC_DOCS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../fixtures/honeypot_is/honeypot_is_v2_IsHoneypot_docs_sample_usdc.jsonc"
));

/// A GoPlus token entry recorded on (chain, address).
pub struct GoPlusRecord {
    pub chain: &'static str,
    pub address: &'static str,
    pub entry: Value,
}

/// A honeypot.is response recorded on (chain, address).
pub struct HoneypotRecord {
    pub chain: &'static str,
    pub address: &'static str,
    pub body: Value,
}

/// Every recorded GoPlus entry. EVM captures are full envelopes; the Solana capture is the
/// entry alone.
pub fn goplus_records() -> Vec<GoPlusRecord> {
    let mut records: Vec<GoPlusRecord> = [
        (WETH, GOPLUS_WETH),
        (UNIV2_LP, GOPLUS_UNIV2),
        (KOKODI, GOPLUS_KOKODI),
        (REN, GOPLUS_REN),
    ]
    .into_iter()
    .filter_map(|(address, text)| {
        let envelope: Value = serde_json::from_str(text).ok()?;
        let entry = envelope.get("result")?.get(address)?.clone();
        Some(GoPlusRecord {
            chain: "1",
            address,
            entry,
        })
    })
    .collect();
    if let Ok(entry) = serde_json::from_str(GOPLUS_TOES) {
        records.push(GoPlusRecord {
            chain: SOLANA,
            address: TOES,
            entry,
        });
    }
    records
}

/// Every recorded honeypot.is response.
pub fn honeypot_records() -> Vec<HoneypotRecord> {
    [
        (WETH, HONEYPOT_WETH.to_string()),
        (NODEAI, HONEYPOT_NODEAI.to_string()),
        (USDC, strip_json_comments(HONEYPOT_USDC_DOCS)),
    ]
    .into_iter()
    .filter_map(|(address, text)| {
        Some(HoneypotRecord {
            chain: "1",
            address,
            body: serde_json::from_str(&text).ok()?,
        })
    })
    .collect()
}

/// Removes `//` comments from a `.jsonc` docs sample, leaving string contents intact.
pub fn strip_json_comments(text: &str) -> String {
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

/// Builds the `{code, message, result}` envelope GoPlus answers with.
pub fn goplus_envelope(code: i64, message: &str, result: Option<Map<String, Value>>) -> Value {
    let mut body = Map::new();
    body.insert("code".into(), Value::from(code));
    body.insert("message".into(), Value::from(message));
    body.insert(
        "result".into(),
        result.map(Value::Object).unwrap_or(Value::Null),
    );
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recording_loads() {
        assert_eq!(goplus_records().len(), 5);
        assert_eq!(honeypot_records().len(), 3);
    }

    #[test]
    fn jsonc_comments_are_removed() {
        let stripped = strip_json_comments(HONEYPOT_USDC_DOCS);
        let value: Value = serde_json::from_str(&stripped).expect("valid JSON");
        assert_eq!(value["token"]["symbol"], "USDC");
    }
}
