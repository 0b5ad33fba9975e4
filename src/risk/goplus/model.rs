//! The typed view of one GoPlus `token_security` entry, parsed defensively.
//!
//! GoPlus sends flags and numbers as strings ("0", "1", "0.05"), sometimes as numbers,
//! omits fields it does not know and changes field names between schema versions
//! (`dex` vs legacy `dexs`, Solana `account` vs `token_account`). Every field here is
//! therefore an `Option`: `None` means "GoPlus did not say", which the scorer treats as
//! unknown, never as safe. A field of an unexpected type becomes `None` instead of
//! failing the whole scan.

use serde::Serialize;
use serde_json::{Map, Value};

/// One holder row (token holders or LP holders).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Holder {
    pub address: Option<String>,
    pub tag: Option<String>,
    /// Share of supply, clamped to 0..=1 (one recorded capture reports 1769801 for a pair).
    pub percent: Option<f64>,
    pub is_locked: Option<bool>,
    pub is_contract: Option<bool>,
}

/// One DEX pool that trades the token.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct DexPool {
    pub name: Option<String>,
    pub pair: Option<String>,
    /// USD value of the pool (EVM `liquidity`, Solana `tvl`).
    pub liquidity_usd: Option<f64>,
}

/// A Solana authority such as the mint or freeze authority.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Authority {
    /// `status` "1": the power is still held by someone.
    pub enabled: Option<bool>,
    pub holders: Vec<String>,
    /// GoPlus marks one of the holders as a known malicious address.
    pub malicious: bool,
}

/// Solana-only controls (SPL / Token-2022).
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct SolanaControls {
    pub mint: Option<Authority>,
    pub freeze: Option<Authority>,
    pub close: Option<Authority>,
    pub metadata_mutable: Option<Authority>,
    pub balance_mutable: Option<Authority>,
    pub default_account_state_upgradable: Option<Authority>,
    pub transfer_fee_upgradable: Option<Authority>,
    pub transfer_hook_upgradable: Option<Authority>,
    /// Current Token-2022 transfer fee as a fraction; `Some(0.0)` when the extension is absent.
    pub transfer_fee: Option<f64>,
    /// Transfer hook program addresses; empty when there is none.
    pub transfer_hooks: Option<Vec<String>>,
    /// 0 uninitialised, 1 initialised, 2 frozen.
    pub default_account_state: Option<u8>,
    pub non_transferable: Option<bool>,
    pub trusted_token: Option<bool>,
    pub malicious_creator: Option<bool>,
}

/// Everything GoPlus told us about one token. `None` everywhere means unknown.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct TokenSecurity {
    pub name: Option<String>,
    pub symbol: Option<String>,
    pub total_supply: Option<f64>,
    pub holder_count: Option<u64>,

    pub is_honeypot: Option<bool>,
    pub cannot_buy: Option<bool>,
    pub cannot_sell_all: Option<bool>,
    /// Fractions 0..=1.
    pub buy_tax: Option<f64>,
    pub sell_tax: Option<f64>,
    pub transfer_tax: Option<f64>,

    pub is_open_source: Option<bool>,
    pub is_proxy: Option<bool>,
    pub is_mintable: Option<bool>,
    pub owner_change_balance: Option<bool>,
    pub hidden_owner: Option<bool>,
    pub can_take_back_ownership: Option<bool>,
    pub selfdestruct: Option<bool>,
    pub external_call: Option<bool>,
    pub is_blacklisted: Option<bool>,
    pub is_whitelisted: Option<bool>,
    pub transfer_pausable: Option<bool>,
    pub trading_cooldown: Option<bool>,
    pub slippage_modifiable: Option<bool>,
    pub personal_slippage_modifiable: Option<bool>,
    pub is_anti_whale: Option<bool>,
    pub anti_whale_modifiable: Option<bool>,
    pub honeypot_with_same_creator: Option<bool>,
    pub is_in_dex: Option<bool>,
    pub trust_list: Option<bool>,
    pub is_true_token: Option<bool>,
    pub is_airdrop_scam: Option<bool>,

    pub owner_address: Option<String>,
    pub owner_percent: Option<f64>,
    pub creator_address: Option<String>,
    pub creator_percent: Option<f64>,

    pub holders: Option<Vec<Holder>>,
    pub lp_holders: Option<Vec<Holder>>,
    pub dexes: Option<Vec<DexPool>>,

    pub solana: Option<SolanaControls>,
}

/// Field names that only a token entry carries. An entry with none of them is what GoPlus
/// returns for an address that holds no token contract (a wallet).
const TOKEN_MARKERS: &[&str] = &[
    "token_name",
    "token_symbol",
    "total_supply",
    "holder_count",
    "is_open_source",
    "is_honeypot",
    "metadata",
    "mintable",
    "freezable",
];

impl TokenSecurity {
    /// Parses one EVM or TRON entry (the value under the address key).
    pub fn from_evm_entry(entry: &Map<String, Value>) -> TokenSecurity {
        TokenSecurity {
            name: text(entry, "token_name"),
            symbol: text(entry, "token_symbol"),
            total_supply: number(entry, "total_supply"),
            holder_count: whole(entry, "holder_count"),
            is_honeypot: flag(entry, "is_honeypot"),
            cannot_buy: flag(entry, "cannot_buy"),
            cannot_sell_all: flag(entry, "cannot_sell_all"),
            buy_tax: fraction(entry, "buy_tax"),
            sell_tax: fraction(entry, "sell_tax"),
            transfer_tax: fraction(entry, "transfer_tax"),
            is_open_source: flag(entry, "is_open_source"),
            is_proxy: flag(entry, "is_proxy"),
            is_mintable: flag(entry, "is_mintable"),
            owner_change_balance: flag(entry, "owner_change_balance"),
            hidden_owner: flag(entry, "hidden_owner"),
            can_take_back_ownership: flag(entry, "can_take_back_ownership"),
            selfdestruct: flag(entry, "selfdestruct"),
            external_call: flag(entry, "external_call"),
            is_blacklisted: flag(entry, "is_blacklisted"),
            is_whitelisted: flag(entry, "is_whitelisted"),
            transfer_pausable: flag(entry, "transfer_pausable"),
            trading_cooldown: flag(entry, "trading_cooldown"),
            slippage_modifiable: flag(entry, "slippage_modifiable"),
            personal_slippage_modifiable: flag(entry, "personal_slippage_modifiable"),
            is_anti_whale: flag(entry, "is_anti_whale"),
            anti_whale_modifiable: flag(entry, "anti_whale_modifiable"),
            honeypot_with_same_creator: flag(entry, "honeypot_with_same_creator"),
            is_in_dex: flag(entry, "is_in_dex"),
            trust_list: flag(entry, "trust_list"),
            is_true_token: flag(entry, "is_true_token"),
            is_airdrop_scam: flag(entry, "is_airdrop_scam"),
            owner_address: text(entry, "owner_address"),
            owner_percent: fraction(entry, "owner_percent"),
            creator_address: text(entry, "creator_address"),
            creator_percent: fraction(entry, "creator_percent"),
            holders: holders(entry, "holders"),
            lp_holders: holders(entry, "lp_holders"),
            // The legacy schema calls the pool list `dexs`.
            dexes: pools(entry, "dex").or_else(|| pools(entry, "dexs")),
            solana: None,
        }
    }

    /// Parses one Solana entry (the value under the mint key).
    pub fn from_solana_entry(entry: &Map<String, Value>) -> TokenSecurity {
        let metadata = entry.get("metadata").and_then(Value::as_object);
        let controls = SolanaControls {
            mint: authority(entry, "mintable"),
            freeze: authority(entry, "freezable"),
            close: authority(entry, "closable"),
            metadata_mutable: authority(entry, "metadata_mutable"),
            balance_mutable: authority(entry, "balance_mutable_authority"),
            default_account_state_upgradable: authority(entry, "default_account_state_upgradable"),
            transfer_fee_upgradable: authority(entry, "transfer_fee_upgradable"),
            transfer_hook_upgradable: authority(entry, "transfer_hook_upgradable"),
            transfer_fee: solana_transfer_fee(entry),
            transfer_hooks: entry
                .get("transfer_hook")
                .and_then(Value::as_array)
                .map(|hooks| {
                    hooks
                        .iter()
                        .filter_map(|hook| hook.as_object().and_then(|h| text(h, "address")))
                        .collect()
                }),
            default_account_state: whole(entry, "default_account_state")
                .and_then(|state| u8::try_from(state).ok()),
            // The SDK schema spells it `none_transferable`, live responses `non_transferable`.
            non_transferable: flag(entry, "non_transferable")
                .or_else(|| flag(entry, "none_transferable")),
            trusted_token: flag(entry, "trusted_token"),
            malicious_creator: entry
                .get("creators")
                .and_then(Value::as_array)
                .map(|creators| {
                    creators
                        .iter()
                        .filter_map(Value::as_object)
                        .any(|creator| flag(creator, "malicious_address") == Some(true))
                }),
        };
        TokenSecurity {
            name: metadata.and_then(|m| text(m, "name")),
            symbol: metadata.and_then(|m| text(m, "symbol")),
            total_supply: number(entry, "total_supply"),
            holder_count: whole(entry, "holder_count"),
            holders: holders(entry, "holders"),
            lp_holders: holders(entry, "lp_holders"),
            dexes: pools(entry, "dex"),
            solana: Some(controls),
            ..TokenSecurity::default()
        }
    }

    /// Whether the entry carries any token field at all.
    pub fn entry_describes_a_token(entry: &Map<String, Value>) -> bool {
        TOKEN_MARKERS.iter().any(|key| entry.contains_key(*key))
    }
}

/// "1"/"0", 1/0 or true/false; anything else (including "") is unknown.
pub(crate) fn flag(map: &Map<String, Value>, key: &str) -> Option<bool> {
    match map.get(key)? {
        Value::Bool(value) => Some(*value),
        Value::Number(n) => match n.as_u64()? {
            1 => Some(true),
            0 => Some(false),
            _ => None,
        },
        Value::String(s) => match s.trim() {
            "1" | "true" => Some(true),
            "0" | "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A finite number sent as a JSON number or a numeric string.
pub(crate) fn number(map: &Map<String, Value>, key: &str) -> Option<f64> {
    let value = match map.get(key)? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    value.is_finite().then_some(value)
}

/// A share or tax as a fraction, clamped to 0..=1.
pub(crate) fn fraction(map: &Map<String, Value>, key: &str) -> Option<f64> {
    number(map, key).map(|value| value.clamp(0.0, 1.0))
}

fn whole(map: &Map<String, Value>, key: &str) -> Option<u64> {
    let value = number(map, key)?;
    (value >= 0.0).then(|| value.round() as u64)
}

/// A non-empty string.
pub(crate) fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    let value = map.get(key)?.as_str()?.trim();
    (!value.is_empty()).then(|| value.to_string())
}

fn holders(map: &Map<String, Value>, key: &str) -> Option<Vec<Holder>> {
    let rows = map.get(key)?.as_array()?;
    Some(
        rows.iter()
            .filter_map(Value::as_object)
            .map(|row| Holder {
                address: text(row, "address")
                    .or_else(|| text(row, "account"))
                    .or_else(|| text(row, "token_account")),
                tag: text(row, "tag"),
                percent: fraction(row, "percent"),
                is_locked: flag(row, "is_locked"),
                is_contract: flag(row, "is_contract"),
            })
            .collect(),
    )
}

fn pools(map: &Map<String, Value>, key: &str) -> Option<Vec<DexPool>> {
    let rows = map.get(key)?.as_array()?;
    Some(
        rows.iter()
            .filter_map(Value::as_object)
            .map(|row| DexPool {
                name: text(row, "name").or_else(|| text(row, "dex_name")),
                pair: text(row, "pair").or_else(|| text(row, "id")),
                liquidity_usd: number(row, "liquidity")
                    .or_else(|| number(row, "tvl"))
                    .map(|usd| usd.max(0.0)),
            })
            .collect(),
    )
}

fn authority(map: &Map<String, Value>, key: &str) -> Option<Authority> {
    let object = map.get(key)?.as_object()?;
    let rows = object
        .get("authority")
        .or_else(|| object.get("metadata_upgrade_authority"))
        .and_then(Value::as_array);
    let rows: Vec<&Map<String, Value>> = rows
        .map(|rows| rows.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default();
    Some(Authority {
        enabled: flag(object, "status"),
        holders: rows.iter().filter_map(|row| text(row, "address")).collect(),
        malicious: rows
            .iter()
            .any(|row| flag(row, "malicious_address") == Some(true)),
    })
}

/// `transfer_fee: {}` means the Token-2022 fee extension is absent (no fee); a missing key
/// is unknown. The rate is documented as a ratio ("0.02" = 2%), but some sources send basis
/// points, so a value above 1 is read as basis points.
fn solana_transfer_fee(map: &Map<String, Value>) -> Option<f64> {
    let object = map.get("transfer_fee")?.as_object()?;
    let Some(current) = object.get("current_fee_rate") else {
        return object.is_empty().then_some(0.0);
    };
    let rate = number(current.as_object()?, "fee_rate")?;
    let rate = if rate > 1.0 { rate / 10_000.0 } else { rate };
    Some(rate.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn flags_accept_strings_numbers_and_bools_but_not_noise() {
        let map = object(json!({
            "a": "1", "b": "0", "c": 1, "d": 0, "e": true, "f": "", "g": "yes", "h": null, "i": 2
        }));
        assert_eq!(flag(&map, "a"), Some(true));
        assert_eq!(flag(&map, "b"), Some(false));
        assert_eq!(flag(&map, "c"), Some(true));
        assert_eq!(flag(&map, "d"), Some(false));
        assert_eq!(flag(&map, "e"), Some(true));
        assert_eq!(flag(&map, "f"), None);
        assert_eq!(flag(&map, "g"), None);
        assert_eq!(flag(&map, "h"), None);
        assert_eq!(flag(&map, "i"), None);
        assert_eq!(flag(&map, "missing"), None);
    }

    #[test]
    fn fractions_are_clamped_and_garbage_is_unknown() {
        let map = object(json!({
            "tax": "0.0493", "big": "1769801.0178", "neg": "-0.2", "num": 0.18, "bad": "n/a", "empty": ""
        }));
        assert_eq!(fraction(&map, "tax"), Some(0.0493));
        assert_eq!(fraction(&map, "big"), Some(1.0));
        assert_eq!(fraction(&map, "neg"), Some(0.0));
        assert_eq!(fraction(&map, "num"), Some(0.18));
        assert_eq!(fraction(&map, "bad"), None);
        assert_eq!(fraction(&map, "empty"), None);
    }

    #[test]
    fn missing_fields_stay_unknown() {
        let parsed = TokenSecurity::from_evm_entry(&object(json!({ "token_name": "X" })));
        assert_eq!(parsed.name.as_deref(), Some("X"));
        assert_eq!(parsed.is_honeypot, None);
        assert_eq!(parsed.sell_tax, None);
        assert_eq!(parsed.holders, None);
        assert_eq!(parsed.dexes, None);
    }

    #[test]
    fn solana_transfer_fee_reads_ratio_basis_points_and_absence() {
        let ratio =
            object(json!({ "transfer_fee": { "current_fee_rate": { "fee_rate": "0.02" } } }));
        assert_eq!(solana_transfer_fee(&ratio), Some(0.02));
        let bps = object(json!({ "transfer_fee": { "current_fee_rate": { "fee_rate": "250" } } }));
        assert_eq!(solana_transfer_fee(&bps), Some(0.025));
        let absent = object(json!({ "transfer_fee": {} }));
        assert_eq!(solana_transfer_fee(&absent), Some(0.0));
        assert_eq!(solana_transfer_fee(&object(json!({}))), None);
    }

    #[test]
    fn wallet_like_entries_are_told_apart_from_tokens() {
        assert!(!TokenSecurity::entry_describes_a_token(&Map::new()));
        assert!(TokenSecurity::entry_describes_a_token(&object(
            json!({ "is_honeypot": "0" })
        )));
    }
}
