//! The spoof family: copies of a recorded payment with one thing changed, registered under
//! a fresh hash, exactly as each explorer would show such a transaction.

use serde_json::{Value, json};

use super::base58;
use super::etherscan::{TRANSFER_TOPIC, address_topic};
use super::state::{Commitment, SimState};

/// One way a payment can be wrong (or not final yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spoof {
    /// The same transfer, emitted by a look-alike token contract / mint.
    FakeToken,
    /// The official token, paid to someone else.
    WrongRecipient,
    /// The transaction failed on chain (no transfer happened).
    Reverted,
    /// Seen but not final: 3 blocks deep on Ethereum, `confirmed: false` on TRON,
    /// `confirmed` (not `finalized`) on Solana.
    NotFinal,
    /// The payee received `by` base units less.
    Underpaid { by: u128 },
    /// An official transfer of zero to the payee.
    ZeroValue,
}

/// A registered spoof: its hash and the facts of the payment it was copied from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoofedTx {
    pub hash: String,
    /// The payee of the original payment (use it as "our address").
    pub recipient: String,
    /// The amount of the original payment, in base units.
    pub original_amount: u128,
    pub block_time: u64,
}

const FAKE_ETH_TOKEN: &str = "0xdac17f958d2ee523a2206206994597c13d8a1ec7";
const OTHER_ETH: &str = "0x292f04a44506c2fd49bac032e1ca148c35a478c8";
const FAKE_TRON_TOKEN: &str = "TAj8fiMfB1iQQshHtLGPoFWZCNVdai9fqG";
const OTHER_TRON: &str = "TNtbiqvanUnm4YHK9SYzRGR8ktiHRduDbM";

/// Replaces every string value equal to `from`.
pub(crate) fn replace_strings(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::String(s) if s == from => *s = to.to_string(),
        Value::Array(items) => items.iter_mut().for_each(|v| replace_strings(v, from, to)),
        Value::Object(map) => map.values_mut().for_each(|v| replace_strings(v, from, to)),
        _ => {}
    }
}

pub(crate) fn ethereum(state: &mut SimState, base_hash: &str, spoof: Spoof) -> Option<SpoofedTx> {
    let mut receipt = state.eth.receipts.get(&base_hash.to_lowercase())?.clone();
    let index = receipt["logs"]
        .as_array()?
        .iter()
        .position(|log| log["topics"][0] == TRANSFER_TOPIC)?;
    let payee = format!(
        "0x{}",
        receipt["logs"][index]["topics"][2].as_str()?.get(26..)?
    );
    let amount = u128::from_str_radix(
        receipt["logs"][index]["data"]
            .as_str()?
            .trim_start_matches("0x"),
        16,
    )
    .ok()?;
    let block_hex = receipt["blockNumber"].as_str()?.to_string();
    let block = u64::from_str_radix(block_hex.trim_start_matches("0x"), 16).ok()?;
    let time = *state.eth.block_times.get(&block)?;

    let hash = format!("0x5b00f{:059x}", state.next_id());
    let original_hash = receipt["transactionHash"].as_str()?.to_string();
    replace_strings(&mut receipt, &original_hash, &hash);
    match spoof {
        Spoof::FakeToken => {
            receipt["logs"][index]["address"] = json!(FAKE_ETH_TOKEN);
            receipt["to"] = json!(FAKE_ETH_TOKEN);
        }
        Spoof::WrongRecipient => {
            receipt["logs"][index]["topics"][2] = json!(address_topic(OTHER_ETH));
        }
        Spoof::Reverted => {
            // A reverted transaction keeps no logs.
            receipt["status"] = json!("0x0");
            receipt["logs"] = json!([]);
        }
        Spoof::NotFinal => {
            let recent = state.eth.head.saturating_sub(2);
            replace_strings(&mut receipt, &block_hex, &format!("{recent:#x}"));
            state.eth.block_times.insert(recent, time);
        }
        Spoof::Underpaid { by } => {
            receipt["logs"][index]["data"] = json!(format!("0x{:064x}", amount.saturating_sub(by)));
        }
        Spoof::ZeroValue => receipt["logs"][index]["data"] = json!(format!("0x{:064x}", 0)),
    }
    state.eth.receipts.insert(hash.clone(), receipt);
    Some(SpoofedTx {
        hash,
        recipient: payee,
        original_amount: amount,
        block_time: time,
    })
}

pub(crate) fn tron(state: &mut SimState, base_hash: &str, spoof: Spoof) -> Option<SpoofedTx> {
    let mut info = state
        .tron
        .transactions
        .get(&base_hash.to_lowercase())?
        .clone();
    let payee = info["trc20TransferInfo"][0]["to_address"]
        .as_str()?
        .to_string();
    let contract = info["trc20TransferInfo"][0]["contract_address"]
        .as_str()?
        .to_string();
    let amount: u128 = info["trc20TransferInfo"][0]["amount_str"]
        .as_str()?
        .parse()
        .ok()?;
    let time = info["timestamp"].as_u64()? / 1000;

    let hash = format!("5b00f{:059x}", state.next_id());
    info["hash"] = json!(hash);
    let set_amount = |info: &mut Value, value: u128| {
        let text = json!(value.to_string());
        info["trc20TransferInfo"][0]["amount_str"] = text.clone();
        if info["tokenTransferInfo"].is_object() {
            info["tokenTransferInfo"]["amount_str"] = text.clone();
        }
        if info["trigger_info"]["parameter"]["_value"].is_string() {
            info["trigger_info"]["parameter"]["_value"] = text;
        }
    };
    match spoof {
        Spoof::FakeToken => replace_strings(&mut info, &contract, FAKE_TRON_TOKEN),
        Spoof::WrongRecipient => replace_strings(&mut info, &payee, OTHER_TRON),
        Spoof::Reverted => {
            info["contractRet"] = json!("REVERT");
            info["revert"] = json!(true);
            if let Some(object) = info.as_object_mut() {
                object.remove("trc20TransferInfo");
                object.remove("tokenTransferInfo");
            }
        }
        Spoof::NotFinal => {
            info["confirmed"] = json!(false);
            info["confirmations"] = json!(0);
        }
        Spoof::Underpaid { by } => set_amount(&mut info, amount.saturating_sub(by)),
        Spoof::ZeroValue => set_amount(&mut info, 0),
    }
    state.tron.transactions.insert(hash.clone(), info);
    Some(SpoofedTx {
        hash,
        recipient: payee,
        original_amount: amount,
        block_time: time,
    })
}

pub(crate) fn solana(
    state: &mut SimState,
    base_signature: &str,
    spoof: Spoof,
) -> Option<SpoofedTx> {
    let mut tx = state.solana.transactions.get(base_signature)?.clone();
    let meta = tx.result["meta"].clone();
    let balance = |list: &str, owner: &str, mint: &str| -> u128 {
        meta[list]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|b| b["owner"] == owner && b["mint"] == mint)
            .filter_map(|b| b["uiTokenAmount"]["amount"].as_str()?.parse::<u128>().ok())
            .sum()
    };
    // The payee is the owner whose balance of some mint grew the most.
    let (payee, mint, amount) = meta["postTokenBalances"]
        .as_array()?
        .iter()
        .filter_map(|b| {
            let (owner, mint) = (b["owner"].as_str()?, b["mint"].as_str()?);
            let gain = balance("postTokenBalances", owner, mint).checked_sub(balance(
                "preTokenBalances",
                owner,
                mint,
            ))?;
            Some((owner.to_string(), mint.to_string(), gain))
        })
        .max_by_key(|(_, _, gain)| *gain)
        .filter(|(_, _, gain)| *gain > 0)?;
    let time = tx.result["blockTime"].as_u64()?;

    let mut raw = [0x5bu8; 64];
    raw[56..].copy_from_slice(&state.next_id().to_be_bytes());
    let signature = base58::encode(&raw);
    *tx.result.pointer_mut("/transaction/signatures/0")? = json!(signature);
    let result = &mut tx.result;
    match spoof {
        Spoof::FakeToken => replace_strings(result, &mint, &base58::encode(&[7u8; 32])),
        Spoof::WrongRecipient => replace_strings(result, &payee, &base58::encode(&[9u8; 32])),
        Spoof::Reverted => {
            let err = json!({"InstructionError": [1, {"Custom": 1}]});
            result["meta"]["err"] = err.clone();
            result["meta"]["status"] = json!({"Err": err});
            // Nothing moved: balances after are the balances before.
            result["meta"]["postTokenBalances"] = result["meta"]["preTokenBalances"].clone();
        }
        Spoof::NotFinal => {
            tx.commitment = Commitment::Confirmed;
            tx.confirmations = 10;
        }
        Spoof::Underpaid { by } => shift_post_balances(result, &mint, &payee, amount.min(by)),
        Spoof::ZeroValue => shift_post_balances(result, &mint, &payee, amount),
    }
    state.solana.transactions.insert(signature.clone(), tx);
    Some(SpoofedTx {
        hash: signature,
        recipient: payee,
        original_amount: amount,
        block_time: time,
    })
}

/// Moves `less` base units of `mint` from the payee's post balance back to the payer's,
/// keeping the token conserved, and updates the transfer instruction to match.
fn shift_post_balances(result: &mut Value, mint: &str, payee: &str, less: u128) {
    let Some(post) = result["meta"]["postTokenBalances"].as_array_mut() else {
        return;
    };
    let mut payer_adjusted = false;
    for balance in post.iter_mut().filter(|b| b["mint"] == mint) {
        let decimals = balance["uiTokenAmount"]["decimals"].as_u64().unwrap_or(0) as u32;
        let Some(current) = balance["uiTokenAmount"]["amount"]
            .as_str()
            .and_then(|a| a.parse::<u128>().ok())
        else {
            continue;
        };
        let updated = if balance["owner"] == payee {
            current.saturating_sub(less)
        } else if !payer_adjusted {
            payer_adjusted = true;
            current + less
        } else {
            continue;
        };
        balance["uiTokenAmount"] = ui_token_amount(updated, decimals);
    }
    for instruction in result["transaction"]["message"]["instructions"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        // Some parsed instructions are plain strings (the memo program's).
        let Some(info) = instruction.pointer_mut("/parsed/info") else {
            continue;
        };
        if info["mint"] == mint && info["tokenAmount"].is_object() {
            let decimals = info["tokenAmount"]["decimals"].as_u64().unwrap_or(0) as u32;
            let sent = info["tokenAmount"]["amount"]
                .as_str()
                .and_then(|a| a.parse::<u128>().ok())
                .unwrap_or(0);
            info["tokenAmount"] = ui_token_amount(sent.saturating_sub(less), decimals);
        }
    }
}

pub(crate) fn ui_token_amount(amount: u128, decimals: u32) -> Value {
    let scale = 10u128.pow(decimals);
    let fraction = format!("{:0width$}", amount % scale, width = decimals as usize);
    let fraction = fraction.trim_end_matches('0');
    let text = if fraction.is_empty() {
        (amount / scale).to_string()
    } else {
        format!("{}.{fraction}", amount / scale)
    };
    json!({
        "amount": amount.to_string(),
        "decimals": decimals,
        "uiAmount": text.parse::<f64>().unwrap_or(0.0),
        "uiAmountString": text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_amounts_match_the_rpc_format() {
        assert_eq!(
            ui_token_amount(1000, 6),
            json!({"amount": "1000", "decimals": 6, "uiAmount": 0.001, "uiAmountString": "0.001"})
        );
        assert_eq!(ui_token_amount(0, 6)["uiAmountString"], "0");
        assert_eq!(ui_token_amount(5_000_000, 6)["uiAmountString"], "5");
    }

    #[test]
    fn replace_strings_reaches_nested_values_only() {
        let mut value = json!({"a": "x", "b": ["x", {"c": "x"}], "x": "y"});
        replace_strings(&mut value, "x", "z");
        assert_eq!(value, json!({"a": "z", "b": ["z", {"c": "z"}], "x": "y"}));
    }
}
