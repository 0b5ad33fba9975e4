//! Solana payments through JSON-RPC: `getSignatureStatuses` for finality, `getTransaction`
//! (`jsonParsed`) for the content.
//!
//! What was paid is the change in token balances owned by our address for the official
//! mint (post − pre), which covers `transfer`, `transferChecked` and transfers made by
//! other programs alike. Instruction data is never read for amounts.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::amount::Amount;
use super::chain::{Chain, normalize_address};
use super::error::VerifyError;
use super::http::fetch_json;
use super::observation::{Finality, Lookup, NearMiss, Observation, TransferTally};
use super::tokens::Token;

pub struct SolanaVerifier {
    http: reqwest::Client,
    rpc_url: String,
}

impl fmt::Debug for SolanaVerifier {
    // RPC URLs of paid providers embed the key in the path, so the URL is not shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SolanaVerifier").finish_non_exhaustive()
    }
}

/// One entry of `getSignatureStatuses`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureStatus {
    pub slot: u64,
    pub confirmations: Option<u64>,
    #[serde(default)]
    pub err: Value,
    pub confirmation_status: Option<String>,
}

impl SolanaVerifier {
    /// `rpc_url` is `SOLANA_RPC_URL`.
    pub fn new(http: reqwest::Client, rpc_url: impl Into<String>) -> Self {
        SolanaVerifier {
            http,
            rpc_url: rpc_url.into(),
        }
    }

    /// Looks the signature up and describes what it paid to `recipient` (a wallet address).
    pub async fn lookup(&self, signature: &str, recipient: &str) -> Result<Lookup, VerifyError> {
        let recipient =
            normalize_address(Chain::Solana, recipient).map_err(VerifyError::InvalidAddress)?;
        let statuses = self
            .call(
                "getSignatureStatuses",
                json!([[signature], {"searchTransactionHistory": true}]),
            )
            .await?;
        let Some(status) = parse_signature_status(&statuses)? else {
            return Ok(Lookup::NotFound);
        };
        let transaction = self
            .call("getTransaction", get_transaction_params(signature))
            .await?;
        if transaction.is_null() {
            // Only "processed" so far: not visible at the confirmed level yet.
            return Ok(Lookup::NotFound);
        }
        parse_transaction(&transaction, signature, &recipient, &status).map(Lookup::Found)
    }

    async fn call(&self, method: &str, params: Value) -> Result<Value, VerifyError> {
        let request = self.http.post(&self.rpc_url).json(&json!({
            "jsonrpc": "2.0",
            "id": 1,
            "method": method,
            "params": params,
        }));
        rpc_result(fetch_json(Chain::Solana, request).await?)
    }
}

fn malformed(detail: impl Into<String>) -> VerifyError {
    VerifyError::Malformed {
        chain: Chain::Solana,
        detail: detail.into(),
    }
}

/// `getTransaction` parameters: parsed, any transaction version, at `confirmed`.
pub fn get_transaction_params(signature: &str) -> Value {
    json!([signature, {
        "encoding": "jsonParsed",
        "maxSupportedTransactionVersion": 0,
        "commitment": "confirmed"
    }])
}

/// The `result` of a JSON-RPC response, or its error classified.
pub fn rpc_result(body: Value) -> Result<Value, VerifyError> {
    if let Some(error) = body.get("error") {
        let code = error.get("code").and_then(Value::as_i64).unwrap_or(0);
        let message = error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("JSON-RPC error");
        let detail = format!("{message} (code {code})");
        // Invalid request/params and "transaction version not supported" are our fault.
        return Err(if matches!(code, -32600 | -32601 | -32602 | -32015) {
            VerifyError::Refused {
                chain: Chain::Solana,
                detail,
            }
        } else {
            VerifyError::Unavailable {
                chain: Chain::Solana,
                detail,
            }
        });
    }
    body.get("result")
        .cloned()
        .ok_or_else(|| malformed("no result in the response"))
}

/// The status of the single signature asked about; `None` when the node does not know it.
pub fn parse_signature_status(result: &Value) -> Result<Option<SignatureStatus>, VerifyError> {
    let first = result
        .get("value")
        .and_then(Value::as_array)
        .and_then(|values| values.first())
        .ok_or_else(|| malformed("getSignatureStatuses without a value list"))?;
    if first.is_null() {
        return Ok(None);
    }
    serde_json::from_value(first.clone())
        .map(Some)
        .map_err(|e| malformed(format!("signature status: {e}")))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TransactionResult {
    slot: u64,
    block_time: Option<i64>,
    meta: Option<Meta>,
    transaction: Value,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Meta {
    err: Value,
    #[serde(default)]
    pre_balances: Vec<u64>,
    #[serde(default)]
    post_balances: Vec<u64>,
    #[serde(default)]
    pre_token_balances: Vec<TokenBalance>,
    #[serde(default)]
    post_token_balances: Vec<TokenBalance>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TokenBalance {
    account_index: usize,
    mint: String,
    owner: Option<String>,
    ui_token_amount: UiTokenAmount,
}

#[derive(Deserialize)]
struct UiTokenAmount {
    amount: String,
}

/// Pure decoding of a `getTransaction` (`jsonParsed`) result plus its signature status.
pub fn parse_transaction(
    result: &Value,
    signature: &str,
    recipient: &str,
    status: &SignatureStatus,
) -> Result<Observation, VerifyError> {
    let tx: TransactionResult = serde_json::from_value(result.clone())
        .map_err(|e| malformed(format!("getTransaction: {e}")))?;
    let meta = tx
        .meta
        .ok_or_else(|| malformed("transaction without meta: cannot see its effects"))?;
    let signed_as = tx
        .transaction
        .pointer("/signatures/0")
        .and_then(Value::as_str);
    if signed_as.is_some_and(|first| first != signature) {
        return Err(malformed("getTransaction returned another transaction"));
    }

    let mut tally = TransferTally::default();
    let mut near_misses = Vec::new();
    let keys = account_keys(&tx.transaction);
    for (mint, change) in balance_changes(&meta, &keys, recipient)? {
        let official = Token::by_contract(Chain::Solana, &mint);
        for (owner, (pre, post)) in change {
            let miss = match official {
                Some(token) if owner == recipient && post > pre => {
                    tally.add(token, recipient, Amount::from_base_units(post - pre));
                    None
                }
                Some(token) if owner == recipient && post == pre => {
                    Some(NearMiss::ZeroValue { token })
                }
                Some(token) if owner != recipient && post > pre => Some(NearMiss::OtherRecipient {
                    token,
                    to: owner.clone(),
                }),
                None if owner == recipient && post > pre => Some(NearMiss::UnofficialToken {
                    contract: mint.clone(),
                }),
                _ => None,
            };
            if let Some(miss) = miss.filter(|m| !near_misses.contains(m)) {
                near_misses.push(miss);
            }
        }
    }
    if received_lamports(&tx.transaction, &meta, recipient) {
        near_misses.push(NearMiss::NativeCoin);
    }

    let finality = if status.confirmation_status.as_deref() == Some("finalized") {
        Finality::Final {
            confirmations: None,
        }
    } else {
        Finality::NotFinal {
            status: status
                .confirmation_status
                .clone()
                .unwrap_or_else(|| "processed".into()),
            confirmations: status.confirmations,
        }
    };
    Ok(Observation {
        chain: Chain::Solana,
        tx_hash: signature.to_string(),
        success: meta.err.is_null() && status.err.is_null(),
        block_time: tx.block_time.and_then(|s| DateTime::from_timestamp(s, 0)),
        block: Some(tx.slot),
        finality,
        transfers: tally.into_transfers(),
        near_misses,
    })
}

/// How one wallet's official stablecoin balance moved in a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceMove {
    pub token: Token,
    /// True when the wallet's balance went up.
    pub received: bool,
    pub amount: Amount,
    /// The holder whose balance of the same token moved the other way the most.
    pub counterparty: Option<String>,
}

/// A transaction seen from one wallet: whether it succeeded, when, and its token moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletActivity {
    pub success: bool,
    pub block_time: Option<DateTime<Utc>>,
    pub moves: Vec<BalanceMove>,
}

/// Pure decoding of a `getTransaction` (`jsonParsed`) result from `wallet`'s side.
pub fn wallet_activity(result: &Value, wallet: &str) -> Result<WalletActivity, VerifyError> {
    let tx: TransactionResult = serde_json::from_value(result.clone())
        .map_err(|e| malformed(format!("getTransaction: {e}")))?;
    let meta = tx
        .meta
        .ok_or_else(|| malformed("transaction without meta: cannot see its effects"))?;
    let keys = account_keys(&tx.transaction);
    let mut moves = Vec::new();
    for (mint, holders) in balance_changes(&meta, &keys, wallet)? {
        let Some(token) = Token::by_contract(Chain::Solana, &mint) else {
            continue;
        };
        let Some(&(pre, post)) = holders.get(wallet) else {
            continue;
        };
        if pre == post {
            continue;
        }
        let received = post > pre;
        let counterparty = holders
            .iter()
            .filter(|(owner, (p, q))| owner.as_str() != wallet && (q > p) != received && p != q)
            .max_by_key(|(_, (p, q))| p.abs_diff(*q))
            .map(|(owner, _)| owner.clone());
        moves.push(BalanceMove {
            token,
            received,
            amount: Amount::from_base_units(pre.abs_diff(post)),
            counterparty,
        });
    }
    Ok(WalletActivity {
        success: meta.err.is_null(),
        block_time: tx.block_time.and_then(|s| DateTime::from_timestamp(s, 0)),
        moves,
    })
}

/// mint → holder → (pre, post) summed over that holder's token accounts. Accounts created
/// in the transaction have no pre entry, which is a balance of zero.
type BalanceChanges = BTreeMap<String, BTreeMap<String, (u128, u128)>>;

/// The holder is the owner wallet, except that a configured address that is itself the
/// token account (an operator pasting their USDC account instead of the wallet) counts
/// as ours too.
fn balance_changes(
    meta: &Meta,
    keys: &[&str],
    recipient: &str,
) -> Result<BalanceChanges, VerifyError> {
    let mut changes = BalanceChanges::new();
    for (balances, is_post) in [
        (&meta.pre_token_balances, false),
        (&meta.post_token_balances, true),
    ] {
        for balance in balances {
            let is_our_account = keys.get(balance.account_index) == Some(&recipient);
            let owner = match &balance.owner {
                _ if is_our_account => recipient,
                Some(owner) => owner.as_str(),
                None => continue,
            };
            let amount: u128 = balance
                .ui_token_amount
                .amount
                .parse()
                .map_err(|_| malformed("token balance amount is not an integer"))?;
            let entry = changes
                .entry(balance.mint.clone())
                .or_default()
                .entry(owner.to_string())
                .or_default();
            let slot = if is_post { &mut entry.1 } else { &mut entry.0 };
            *slot = slot.saturating_add(amount);
        }
    }
    Ok(changes)
}

/// The transaction's account keys in index order. jsonParsed lists `{pubkey, …}`
/// objects (loaded lookup-table addresses included); the plain encoding lists strings.
fn account_keys(transaction: &Value) -> Vec<&str> {
    transaction
        .pointer("/message/accountKeys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|key| {
            key.get("pubkey")
                .and_then(Value::as_str)
                .or_else(|| key.as_str())
                .unwrap_or("")
        })
        .collect()
}

/// Whether our wallet's own SOL balance went up (SOL sent instead of a token).
fn received_lamports(transaction: &Value, meta: &Meta, recipient: &str) -> bool {
    let index = account_keys(transaction)
        .iter()
        .position(|key| *key == recipient);
    index.is_some_and(|i| {
        matches!(
            (meta.pre_balances.get(i), meta.post_balances.get(i)),
            (Some(pre), Some(post)) if post > pre
        )
    })
}

#[cfg(test)]
#[path = "tests/solana_parse.rs"]
mod tests;
