//! The recorded transactions the simulators serve from the start.
//!
//! Served verbatim: the Etherscan receipt docs sample, both Tronscan `transaction-info`
//! captures and both Solana `getTransaction` captures. Derived from recorded rows: one
//! Etherscan receipt per `tokentx` row (USDT and MKR), rebuilt in the receipt format from
//! the row's own fields (hash, block, time, contract, from, to, value).

use serde_json::{Value, json};

use super::state::{Commitment, SimState, SolanaTx};

macro_rules! fixture {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/", $path))
    };
}

pub(crate) const ETH_RECEIPT_DOCS: &str =
    fixture!("ethereum/etherscan_v2_proxy_eth_getTransactionReceipt_docs_sample.json");
pub(crate) const ETH_RATE_LIMIT: &str =
    fixture!("ethereum/etherscan_v2_error_max_rate_limit_docs_sample.json");
const ETH_TOKENTX_USDT: &str =
    fixture!("ethereum/etherscan_tokentx_result_rows_usdt_binance_hot_wallet.json");
const ETH_TOKENTX_MKR: &str = fixture!("ethereum/etherscan_v2_tokentx_docs_sample_MKR.json");
const TRON_USDT: &str = fixture!("tron/tronscan_transaction_info_usdt_trc20_2020_f6301aa7.json");
const TRON_TRX: &str = fixture!("tron/tronscan_transaction_info_trx_native_2020_c31316ba.json");
const SOL_USDC: &str =
    fixture!("solana/solana_getTransaction_jsonParsed_usdc_transferChecked_2S2rTZja.json");
const SOL_NATIVE: &str =
    fixture!("solana/solana_getTransaction_jsonParsed_sol_transfer_5QMfuqTh.json");

pub const ETH_DOCS_RECEIPT_HASH: &str =
    "0xadb8aec59e80db99811ac4a0235efa3e45da32928bcff557998552250fa672eb";
pub const TRON_USDT_HASH: &str = "f6301aa72e56f09b054baf0aa2018d3d213cfce30171fb5bcf37b1493e3b8b28";
pub const TRON_TRX_HASH: &str = "c31316badcdc39d7f6b7d81c5bf5def623b4b4523a03f7bec5bd594e0b79a352";
pub const SOLANA_USDC_SIGNATURE: &str =
    "2S2rTZjaqzxYRw9mnqzwtyqitKtSsnE8GVqLn1KrD5R2YpXZnU4GdjppsgfSAbrzJfaqadfi8CtrqEBy588WVQ3E";
pub const SOLANA_SOL_SIGNATURE: &str =
    "5QMfuqThWSMMpLCRe3tk7qn7iSwWKfJV8EvD1ZPvyqAWa7Z2JftZ4rPq8YCxCwzSykX7dMkDB8RrovQMoL9ZZWKY";

/// Block of the Etherscan receipt docs sample.
pub const ETH_DOCS_RECEIPT_BLOCK: u64 = 0xcf2427;
/// Its time is not recorded: interpolated between the London (12965000, 1628166822) and
/// Arrow Glacier (13773000, 1639079723) fork blocks. Tests read it from here.
pub const ETH_DOCS_RECEIPT_BLOCK_TIME: u64 = 1_636_408_355;
/// Head when the USDT `tokentx` rows were recorded: block 16191306 had 3 confirmations
/// and block 16191304 had 5, counting the transaction's own block.
pub const ETH_RECORDED_HEAD: u64 = 16_191_308;

pub(crate) fn load_into(state: &mut SimState) {
    // The fixtures are part of this crate: a broken one is a build defect, caught by the
    // simulator's own tests, so an empty value is enough here.
    let parse = |text: &str| serde_json::from_str::<Value>(text).unwrap_or(Value::Null);

    let docs = parse(ETH_RECEIPT_DOCS)["result"].clone();
    state
        .eth
        .receipts
        .insert(ETH_DOCS_RECEIPT_HASH.to_string(), docs);
    state
        .eth
        .block_times
        .insert(ETH_DOCS_RECEIPT_BLOCK, ETH_DOCS_RECEIPT_BLOCK_TIME);
    let usdt_rows = parse(ETH_TOKENTX_USDT);
    let mkr_rows = parse(ETH_TOKENTX_MKR)["result"].clone();
    for rows in [usdt_rows, mkr_rows] {
        for row in rows.as_array().into_iter().flatten() {
            if let Some((hash, block, time, receipt)) = receipt_from_tokentx_row(row) {
                state.eth.receipts.insert(hash, receipt);
                state.eth.block_times.insert(block, time);
            }
        }
    }
    state.eth.head = ETH_RECORDED_HEAD;

    for text in [TRON_USDT, TRON_TRX] {
        let info = parse(text);
        if let Some(hash) = info["hash"].as_str() {
            state.tron.transactions.insert(hash.to_lowercase(), info);
        }
    }

    for text in [SOL_USDC, SOL_NATIVE] {
        let result = parse(text)["result"].clone();
        if let Some(signature) = result
            .pointer("/transaction/signatures/0")
            .and_then(Value::as_str)
        {
            let slot = result["slot"].as_u64().unwrap_or(0);
            state.solana.slot = state.solana.slot.max(slot + 64);
            state.solana.transactions.insert(
                signature.to_string(),
                SolanaTx {
                    result,
                    // Both recordings are legacy transactions (no address table lookups).
                    version: json!("legacy"),
                    commitment: Commitment::Finalized,
                    confirmations: 0,
                },
            );
        }
    }
}

/// A receipt in the proxy format for one `tokentx` row: status 0x1 and the single
/// ERC-20 Transfer log the row describes.
fn receipt_from_tokentx_row(row: &Value) -> Option<(String, u64, u64, Value)> {
    let text = |key: &str| row.get(key).and_then(Value::as_str);
    let number = |key: &str| text(key).and_then(|s| s.parse::<u128>().ok());
    let hash = text("hash")?.to_lowercase();
    let block = u64::try_from(number("blockNumber")?).ok()?;
    let time = u64::try_from(number("timeStamp")?).ok()?;
    let value = number("value")?;
    let contract = text("contractAddress")?.to_lowercase();
    let from = text("from")?.to_lowercase();
    let to = text("to")?.to_lowercase();
    let block_hex = format!("{block:#x}");
    let index_hex = format!("{:#x}", number("transactionIndex")?);
    let block_hash = text("blockHash")?;
    let receipt = json!({
        "blockHash": block_hash,
        "blockNumber": block_hex,
        "contractAddress": null,
        "cumulativeGasUsed": format!("{:#x}", number("cumulativeGasUsed")?),
        "effectiveGasPrice": format!("{:#x}", number("gasPrice")?),
        "from": from,
        "gasUsed": format!("{:#x}", number("gasUsed")?),
        "logs": [{
            "address": contract,
            "topics": [
                super::etherscan::TRANSFER_TOPIC,
                super::etherscan::address_topic(&from),
                super::etherscan::address_topic(&to),
            ],
            "data": format!("0x{value:064x}"),
            "blockNumber": block_hex,
            "transactionHash": hash,
            "transactionIndex": index_hex,
            "blockHash": block_hash,
            "logIndex": "0x0",
            "removed": false
        }],
        "logsBloom": format!("0x{}", "0".repeat(512)),
        "status": "0x1",
        "to": contract,
        "transactionHash": hash,
        "transactionIndex": index_hex,
        "type": "0x0"
    });
    Some((hash, block, time, receipt))
}
